// Command citysim simulates a year of a city's government cloud (政务云) through
// govcloud.Platform.
//
// Applications (使用申请) arrive at seeded random instants over the year from about 60
// departments; each runs through the whole lifecycle of the 浙江省电子政务云计算平台管理办法
// with seeded behaviour of the authority (review times drawn in working time,
// rejections, denials, trial extensions, final review, change and termination
// reviews), the departments (resubmissions, withdrawals, tests that sometimes fail,
// changes, terminations) and three vendors. The vendors are seeded
// adapters/simprovider instances passed as govcloud.Options.Providers: each work
// order (trial environment, change, reclaim) goes outbox → the platform's
// dispatcher → the vendor's API, whose latency is drawn in working time and which
// injects timeouts, server errors and partial deliveries at the scenario's rates;
// the dispatcher retries with backoff on the simulated clock, polls, and records
// the completion in the workflow. The event loop runs the dispatcher in
// deterministic rounds (Platform.DispatchOnce, no goroutines) when a job appears
// and when one falls due (vendors.go). The summary's vendor section counts each
// vendor's calls, retries and on-time rate, and checks that no work order was
// lost (created = completed + open + raised; otherwise the run fails).
// Everything is persisted: SQLite out/citysim.db by default, or PostgreSQL with -db. The summary shows the states at year end, the on-time rate per step and
// party, the vendors' work orders, what is overdue at year end by party, the audit
// chains verified (any failure is an error exit), and the statutory deadline plan.
//
// The simulation is a discrete-event simulation: a priority queue of events keyed by
// (instant, sequence number), a simulated clock set to each event's instant,
// deterministic IDs ("app-000123", "wo-000045") and math/rand/v2 PCG streams from the
// seed. The same seed gives byte-identical standard output; progress and wall time
// go to standard error.
//
//	go run ./examples/citysim                       # city scenario, seed 1, year 2025
//	go run ./examples/citysim -seed 7 -out /tmp/run
//	go run ./examples/citysim -scenario my.json     # see Scenario for the schema
//	go run ./examples/citysim -scale province       # ≈ 2,000 departments, 50,000 applications
//	go run ./examples/citysim -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=citysim'
//
// # Structure
//
// sim.go runs the event loop (clock, IDs, queue, platform); actors.go holds the
// seeded behaviours of departments, the authority and the vendors; scenario.go the
// documented, validated scenario (JSON); quota.go the pool tree, the yearly grants
// and the comparison of allocators; summary.go the text summary; deadlines.go the
// statutory deadline plan. Later stages plug in as a Hook (sees every transition in
// simulated time) and a Section of the summary.
//
// Two stages ship with the command. billing.go (BillingStage) loads a catalog whose
// item codes are the ones the applications use (IAAS-ECS-4C8G …, priced per vendor
// in 分) and each department's budget; after every month it calls
// Platform.MeterMonth, drafts the statements per department × vendor, has the vendor
// confirm them, audits them (availability deductions, a seeded few adjustments with
// reasons) and approves them; in the next year it settles the year (due 30
// September) and writes settlement.xlsx and tidy CSVs to -out. assessment.go
// (AssessmentStage) scores every department and vendor with the preset schemes from
// the simulation's register, utilisation pattern, billed costs, work orders, surveys
// and outages, saves the runs in the platform's database and writes scorecards.csv
// and scorecards.xlsx. The scenario's "billing" object sets the policy (bill_trial)
// and the audit.
//
// # Scenario file
//
// -scenario reads a JSON object over the -scale preset: fields it omits keep their
// preset values, unknown fields are rejected, and every invalid value is named with
// its JSON path. Example:
//
//	{"applications": 800, "authority": {"reject_rate": 0.2},
//	 "quota": {"algorithm": "maxmin", "capacity_ratio": 0.7}}
//
// The default year is 2025: the official holiday calendar covers 2025 and 2026, so
// every deadline of the year, including those running into 2026, is official. A later
// year works too; deadlines past the calendar's coverage are then computed
// provisionally (Monday–Friday) and the summary says so.
//
// The "policy" field takes a workflow policy document (workflow.LoadPolicy), usually
// {"base": "zhejiang", ...} overriding some deadlines, trial bounds or tests; it is
// validated with the scenario (errors name "policy") and replaces the platform's
// Zhejiang preset for the run.
//
// # Experiments
//
// -compare runs two scenarios that differ in policy under one seed and prints their
// key metrics side by side (experiment.go):
//
//	go run ./examples/citysim -compare default,examples/citysim/scenarios/trial-billed.json
//	go run ./examples/citysim -compare default,examples/citysim/scenarios/tight-deadlines.json -seed 7 -out /tmp/exp
//
// Each side is a scenario file over the -scale preset, or the word default for the
// preset itself; its name (the file's base name) is its output directory: out/default
// and out/trial-billed each get their own SQLite database, finance files, scorecards
// and the full summary.txt. Both arms get the -seed and -year flags if given, else the
// first arm's. The table (metric, A, B, difference B − A, relative difference) covers
// the on-time rate per step and party, what is overdue at year end by party, the
// applications held back by quota, approvals and activations, billed usage, audit
// adjustments, deductions, the settlement's net total and each vendor's, and the mean
// scorecard of departments and vendors; out/compare.csv holds the same rows (metric,
// label, unit, a, b, diff, rel_diff; money in 分, rates as fractions) for pandas or R.
// The metrics come from each run's Report (Metrics), not from its text; the same seed
// gives the same table. When only one arm bills the trial, the trial billing amount is
// the difference in usage. -compare does not combine with -scenario or -db.
package main
