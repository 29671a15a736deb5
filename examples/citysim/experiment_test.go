package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/workflow"
)

// tiny is a scenario for experiments: both arms run in a few seconds.
func tiny(seed uint64) Scenario {
	sc := small(seed)
	sc.Departments = 4
	sc.Applications = 20
	return sc
}

func readCompareCSV(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"metric", "label", "unit", "a", "b", "diff", "rel_diff"}, recs[0]); diff != "" {
		t.Fatalf("compare.csv header (-want +got):\n%s", diff)
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[0]] = r
	}
	return rows
}

// One experiment, three runs under one seed, each with its own database: the
// base scenario twice (every difference is zero: the runs are deterministic
// and independent) and with the trial billed (bills more, same lifecycle).
func TestExperiment(t *testing.T) {
	ctx := context.Background()
	base := tiny(9)
	trial := tiny(9)
	trial.Name, trial.Billing.BillTrial = "trial", true
	out := t.TempDir()
	again := make(chan error, 1)
	var rep *Report
	go func() {
		var err error
		rep, err = runArm(ctx, Arm{Name: "again", Scenario: base}, filepath.Join(out, "again"))
		again <- err
	}()
	c, err := RunExperiment(ctx, Arm{Name: "base", Scenario: base}, Arm{Name: "trial", Scenario: trial}, ExperimentOptions{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-again; err != nil {
		t.Fatal(err)
	}

	same := Compare("base", c.A, "again", Metrics(*rep))
	if ch := same.Changed(); len(ch) != 0 {
		t.Fatalf("identical arms differ in %d metrics: %+v", len(ch), ch)
	}
	if diff := cmp.Diff(same.A, same.B); diff != "" {
		t.Fatalf("metrics of identical runs (-base +again):\n%s", diff)
	}
	for _, r := range same.Rows {
		if d := r.Diff(); d.F() != 0 {
			t.Errorf("%s: diff %v", r.Key, d)
		}
	}
	// The metrics are real: the runs did something worth comparing.
	if c.A.Transitions == 0 || c.A.Approved == 0 || c.A.Usage <= 0 || len(c.A.Parties) == 0 || c.A.VendorScore == 0 {
		t.Fatalf("empty metrics: %+v", c.A)
	}
	sa, _ := os.ReadFile(filepath.Join(out, "base", "summary.txt"))
	sb, _ := os.ReadFile(filepath.Join(out, "again", "summary.txt"))
	if len(sa) == 0 || !bytes.Equal(sa, sb) {
		t.Errorf("the two summaries of the base scenario differ (or are empty: %d bytes)", len(sa))
	}
	for _, arm := range []string{"base", "trial"} {
		for _, f := range []string{"citysim.db", "summary.txt", "settlement.xlsx", "scorecards.csv"} {
			if _, err := os.Stat(filepath.Join(out, arm, f)); err != nil {
				t.Errorf("arm %s: %v", arm, err)
			}
		}
	}

	rows := readCompareCSV(t, filepath.Join(out, "compare.csv"))
	if len(rows) != len(c.Rows) {
		t.Fatalf("compare.csv has %d metrics, the comparison %d", len(rows), len(c.Rows))
	}
	num := func(key string, col int) int64 {
		t.Helper()
		r, ok := rows[key]
		if !ok {
			t.Fatalf("compare.csv has no %s", key)
		}
		n, err := strconv.ParseInt(r[col], 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return n
	}
	if a, b, d := num("billing.usage", 3), num("billing.usage", 4), num("billing.usage", 5); !(b > a) || d != b-a {
		t.Errorf("usage: a %d, b %d, diff %d: want b > a and diff = b − a", a, b, d)
	}
	if a, b := num("billing.settlement_net", 3), num("billing.settlement_net", 4); !(b > a) {
		t.Errorf("settlement net: a %d, b %d: want the trial-billed arm to bill more", a, b)
	}
	if d := num("billing.bill_trial", 5); d != 1 {
		t.Errorf("bill_trial diff = %d, want 1", d)
	}
	// Billing the trial is a money policy: the lifecycle is the same (one seed).
	for _, k := range []string{"transitions", "approved", "activated", "overdue.total", "quota.held_back"} {
		if d := num(k, 5); d != 0 {
			t.Errorf("%s differs by %d", k, d)
		}
	}
	var table bytes.Buffer
	if err := c.Write(&table); err != nil {
		t.Fatal(err)
	}
	got := table.String()
	for _, want := range []string{"策略对比 / policy experiment: base (A) vs trial (B)", "种子 seed 9", "用量 usage (spend)", "试用期计费金额"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, out) {
		t.Errorf("output names the output directory %s: not reproducible", out)
	}
}

func TestCompareRows(t *testing.T) {
	a := RunMetrics{Name: "a", Applications: 10, Transitions: 50, Approved: 8,
		Steps: []StepStat{{StepKey: StepKey{workflow.StateSubmitted, workflow.PartyAuthority}, Acts: 10, WithDeadline: 10, Late: 2}},
		Usage: 1000, NetTotal: 900, VendorNet: []VendorAmount{{Vendor: "v1", Name: "一", Net: 900}}, VendorScore: 80, VendorCards: 1}
	b := a
	b.Name, b.Approved, b.Usage, b.NetTotal, b.BillTrial = "b", 6, 1500, 1400, true
	b.Steps = append(b.Steps, StepStat{StepKey: StepKey{workflow.StateAccepted, workflow.PartyAuthority}, Acts: 4, WithDeadline: 4, Late: 1})
	b.VendorNet = []VendorAmount{{Vendor: "v1", Name: "一", Net: 1400}}
	c := Compare("a", a, "b", b)
	type row struct {
		Key     string
		A, B, D Value
		Rel     float64
		RelOK   bool
	}
	var got []row
	for _, r := range c.Changed() {
		rel, ok := r.Rel()
		got = append(got, row{r.Key, r.A, r.B, r.Diff(), rel, ok})
	}
	want := []row{
		{"approved", Value{Int: 8}, Value{Int: 6}, Value{Int: -2}, -0.25, true},
		{"billing.bill_trial", Value{}, Value{Int: 1}, Value{Int: 1}, 0, false},
		{"billing.usage", Value{Int: 1000}, Value{Int: 1500}, Value{Int: 500}, 0.5, true},
		{"billing.settlement_net", Value{Int: 900}, Value{Int: 1400}, Value{Int: 500}, 500.0 / 900, true},
		{"billing.vendor.v1.net", Value{Int: 900}, Value{Int: 1400}, Value{Int: 500}, 500.0 / 900, true},
		// A step only B reached: A's rate is missing, so is the difference.
		{"on_time.accepted.authority", Value{IsFloat: true, Missing: true}, Value{Float: 0.75, IsFloat: true}, Value{IsFloat: true, Missing: true}, 0, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changed rows (-want +got):\n%s", diff)
	}
	// The department score has no cards on either side: missing, not zero.
	for _, r := range c.Rows {
		if r.Key == "assessment.departments.mean" && (!r.A.Missing || !r.B.Missing) {
			t.Errorf("department score without cards: %+v", r)
		}
	}
	if got := c.Rows[len(c.Rows)-1].Key; got != "on_time.accepted.authority" {
		t.Errorf("a key only B has goes last, got %s", got)
	}
}

func TestCompareFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	x := write("x.json", `{"seed": 4, "year": 2026}`)
	y := write("y.json", `{"seed": 8, "billing": {"bill_trial": true}}`)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	x2 := filepath.Join(sub, "x.json")
	if err := os.WriteFile(x2, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := write("bad.json", `{"policy": {"base": "zhejiang", "deadlines": {"accept": -1}}}`)
	type arms struct {
		A, B             string
		SeedA, SeedB     uint64
		YearA, YearB     int
		TrialA, TrialB   bool
		PolicyA, PolicyB bool
	}
	ok := []struct {
		args []string
		want arms
	}{
		// Arm B takes arm A's seed and year.
		{[]string{"-compare", x + "," + y}, arms{"x", "y", 4, 4, 2026, 2026, false, true, false, false}},
		// Explicit flags apply to both.
		{[]string{"-compare", x + "," + y, "-seed", "3", "-year", "2025"}, arms{"x", "y", 3, 3, 2025, 2025, false, true, false, false}},
		{[]string{"-compare", "default," + y}, arms{"default", "y", 1, 1, 2025, 2025, false, true, false, false}},
		// Same base name: prefixed so the output directories differ.
		{[]string{"-compare", x + "," + x2}, arms{"a-x", "b-x", 4, 4, 2026, 2026, false, false, false, false}},
		{[]string{"-compare", "default,scenarios/tight-deadlines.json"}, arms{"default", "tight-deadlines", 1, 1, 2025, 2025, false, false, false, true}},
	}
	for _, tc := range ok {
		cfg, err := parseFlags(tc.args, new(bytes.Buffer))
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		a, b := cfg.compare.a, cfg.compare.b
		got := arms{a.Name, b.Name, a.Scenario.Seed, b.Scenario.Seed, a.Scenario.Year, b.Scenario.Year,
			a.Scenario.Billing.BillTrial, b.Scenario.Billing.BillTrial, len(a.Scenario.Policy) > 0, len(b.Scenario.Policy) > 0}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, diff)
		}
	}
	fails := []struct {
		args []string
		want string
	}{
		{[]string{"-compare", x}, "want two scenarios"},
		{[]string{"-compare", x + ",," + y}, "want two scenarios"},
		{[]string{"-compare", x + "," + y, "-scenario", x}, "-scenario: not with -compare"},
		{[]string{"-compare", x + "," + y, "-db", "postgres://x"}, "-db: not with -compare"},
		{[]string{"-compare", x + "," + y, "-out", ""}, "-out: empty"},
		{[]string{"-compare", x + "," + filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{"-compare", "default," + bad}, "scenario: policy:"},
	}
	for _, tc := range fails {
		_, err := parseFlags(tc.args, new(bytes.Buffer))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
	_, err := parseFlags([]string{"-compare", "x"}, new(bytes.Buffer))
	var ee *ExperimentError
	if !errors.Is(err, ErrExperiment) || !errors.As(err, &ee) || ee.Field != "-compare" {
		t.Errorf("error %v: want an *ExperimentError on -compare matching ErrExperiment", err)
	}
	if err := (ExperimentOptions{}).Validate(); !errors.Is(err, ErrExperiment) {
		t.Errorf("empty OutDir: %v", err)
	}
	if _, err := RunExperiment(context.Background(), Arm{Name: "a", Scenario: tiny(1)}, Arm{Name: "a", Scenario: tiny(2)},
		ExperimentOptions{OutDir: t.TempDir()}); !errors.Is(err, ErrExperiment) ||
		!strings.Contains(err.Error(), `"a" repeats`) || !strings.Contains(err.Error(), "differs from arm[0]") {
		t.Errorf("clashing arms: %v", err)
	}
}

// The policy field of a scenario: a workflow policy document over the
// Zhejiang preset, validated with the scenario.
func TestScenarioPolicy(t *testing.T) {
	f, err := os.Open("scenarios/tight-deadlines.json")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := LoadScenario(f, DefaultScenario())
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	p, err := sc.workflowPolicy()
	if err != nil || p == nil {
		t.Fatalf("policy %v, %v", p, err)
	}
	want := workflow.ZhejiangPreset().Deadlines
	want.Accept, want.Approve, want.ProvideTrial, want.ChangeReview, want.ChangeExecution, want.TerminationReview, want.Reclaim = 2, 1, 1, 3, 2, 3, 2
	if diff := cmp.Diff(want, p.Deadlines); diff != "" {
		t.Errorf("deadlines (-want +got):\n%s", diff)
	}
	if p, err := DefaultScenario().workflowPolicy(); p != nil || err != nil {
		t.Errorf("no policy field: %v, %v (want the platform's preset)", p, err)
	}
	f, err = os.Open("scenarios/trial-billed.json")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := LoadScenario(f, DefaultScenario())
	f.Close()
	if err != nil || !tb.Billing.BillTrial || tb.Billing.AdjustRate != DefaultBillingSpec().AdjustRate {
		t.Errorf("trial-billed.json: %+v, %v", tb.Billing, err)
	}
	for _, doc := range []string{
		`{"policy": {"base": "zhejiang", "deadlines": {"accept": -1}}}`,
		`{"policy": {"base": "zhejiang", "deadline": {}}}`,
		`{"policy": 3}`,
	} {
		_, err := LoadScenario(strings.NewReader(doc), DefaultScenario())
		var se *ScenarioError
		if !errors.As(err, &se) || se.Field != "policy" || !errors.Is(err, ErrScenario) {
			t.Errorf("%s: %v, want a ScenarioError on policy", doc, err)
		}
	}
}

func FuzzParseCompare(f *testing.F) {
	for _, s := range []string{"a.json,b.json", "default,default", ",", "default", "default,scenarios/trial-billed.json", "x,y,z"} {
		f.Add(s)
	}
	preset := tiny(1)
	f.Fuzz(func(t *testing.T, spec string) {
		cs, err := parseCompare(spec, preset, nil, nil)
		if err != nil {
			return
		}
		if cs.a.Name == cs.b.Name || cs.a.Scenario.Seed != cs.b.Scenario.Seed {
			t.Fatalf("%q: arms %q, %q with seeds %d, %d", spec, cs.a.Name, cs.b.Name, cs.a.Scenario.Seed, cs.b.Scenario.Seed)
		}
	})
}

func ExampleCompare() {
	a := RunMetrics{Applications: 400, Transitions: 3774, Approved: 350, Usage: 702083385, NetTotal: 694362138,
		Parties: []StepStat{{StepKey: StepKey{Party: workflow.PartyVendor}, WithDeadline: 495, Late: 103}}}
	b := a
	b.BillTrial, b.Usage, b.NetTotal = true, 745000000, 737000000
	b.Parties = []StepStat{{StepKey: StepKey{Party: workflow.PartyVendor}, WithDeadline: 495, Late: 103}}
	for _, r := range Compare("default", a, "trial-billed", b).Changed() {
		rel, _ := r.Rel()
		fmt.Printf("%s: %s → %s (%s, %+.1f%%)\n", r.Key, formatValue(r.Unit, r.A, false), formatValue(r.Unit, r.B, false),
			formatValue(r.Unit, r.Diff(), true), 100*rel)
	}
	// Output:
	// billing.bill_trial: 0 → 1 (+1, +0.0%)
	// billing.usage: 7020833.85 → 7450000.00 (+429166.15, +6.1%)
	// billing.settlement_net: 6943621.38 → 7370000.00 (+426378.62, +6.1%)
}
