// Command citysim simulates a year of a city's government cloud (政务云) through
// govcloud.Platform.
//
// Applications (使用申请) arrive at seeded random instants over the year from about 60
// departments; each runs through the whole lifecycle of the 浙江省电子政务云计算平台管理办法
// with seeded behaviour of the authority (review times drawn in working time,
// rejections, denials, trial extensions, final review, change and termination
// reviews), the departments (resubmissions, withdrawals, tests that sometimes fail,
// changes, terminations) and three vendors (trial environments, changes and reclaims
// completed as work orders with seeded latency, some late). Everything is persisted:
// SQLite out/citysim.db by default (removed and recreated at start), or PostgreSQL
// with -db. The summary shows the states at year end, the on-time rate per step and
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
package main
