package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// small is a scenario that runs in about a second: 8 departments, 40 applications.
func small(seed uint64) Scenario {
	sc := DefaultScenario()
	sc.Name = "test"
	sc.Seed = seed
	sc.Departments = 8
	sc.Applications = 40
	return sc
}

func writeScenario(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runOut(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("citysim %v: %v\nstderr:\n%s", args, err, errOut.String())
	}
	return out.String()
}

func TestSameSeedSameOutput(t *testing.T) {
	t.Parallel()
	sc := writeScenario(t, `{"name": "test", "departments": 8, "applications": 40}`)
	dir := t.TempDir()
	// The other seed runs alongside the two same-seed runs (the suite's longest test).
	type result struct {
		out string
		err error
	}
	other := make(chan result, 1)
	otherDir := t.TempDir()
	go func() {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"-scenario", sc, "-seed", "43", "-out", otherDir}, &out, &errOut)
		other <- result{out.String(), err}
	}()
	a := runOut(t, "-scenario", sc, "-seed", "42", "-out", dir)
	files := readOutFiles(t, dir) // billing and assessment files (billing_test.go)
	// The second run reuses the directory: the database is recreated, or the
	// deterministic IDs would collide.
	b := runOut(t, "-scenario", sc, "-seed", "42", "-out", dir)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different output (-first +second):\n%s", diff)
	}
	sameOutFiles(t, files, readOutFiles(t, dir))
	if _, err := os.Stat(filepath.Join(dir, "citysim.db")); err != nil {
		t.Fatal(err)
	}
	res := <-other
	if res.err != nil {
		t.Fatalf("citysim -seed 43: %v", res.err)
	}
	if c := res.out; a == c {
		t.Fatal("different seeds gave identical output")
	}
	for _, want := range []string{"audit chains verified: 40/40", "on-time rate per step", "overdue at 2026-01-01", "Jain", "statutory deadline plan for 2025"} {
		if !strings.Contains(a, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// simulate runs sc to the end of its year and returns the sim and its report.
func simulate(t *testing.T, sc Scenario, o Options) (*Sim, *Report) {
	t.Helper()
	ctx := context.Background()
	if o.OutDir == "" && o.PostgresDSN == "" {
		o.OutDir = t.TempDir()
	}
	s, err := NewSim(ctx, sc, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := s.Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s, r
}

// TestOnTimeAgreesWithAudit recomputes the per-step statistics from the audit
// trail (the engine's own timing records) and compares them with the summary's,
// which come from what the simulator observed.
func TestOnTimeAgreesWithAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	hook := &orderHook{}
	s, r := simulate(t, small(7), Options{Hooks: []Hook{hook}})
	if hook.n != r.Transitions || hook.err != "" {
		t.Fatalf("hook saw %d of %d transitions; %s", hook.n, r.Transitions, hook.err)
	}
	var fromAudit []Act
	records := 0
	for _, a := range s.apps {
		if err := s.eng.Verify(ctx, authority, a.cur.ID); err != nil {
			t.Fatalf("audit chain of %s: %v", a.cur.ID, err)
		}
		recs, err := s.eng.History(ctx, authority, a.cur.ID)
		if err != nil {
			t.Fatal(err)
		}
		records += len(recs)
		for _, rec := range recs {
			if rec.From == rec.To || rec.From == workflow.StateNone {
				if rec.Timing.Party != workflow.PartyNone {
					t.Errorf("%s seq %d: timing recorded for %s → %s", rec.ApplicationID, rec.Seq, rec.From, rec.To)
				}
				continue
			}
			fromAudit = append(fromAudit, Act{From: rec.From, To: rec.To, Party: rec.Timing.Party, Due: rec.Timing.Due,
				Late: rec.Timing.Late, LateWorkdays: rec.Timing.LateWorkdays})
		}
	}
	if diff := cmp.Diff(StepStats(fromAudit), r.Steps); diff != "" {
		t.Fatalf("on-time statistics differ from the audit trail (-audit +summary):\n%s", diff)
	}
	if r.Verified != r.Total || r.Total != 40 || len(r.AuditFailures) != 0 {
		t.Fatalf("verified %d of %d, failures %v", r.Verified, r.Total, r.AuditFailures)
	}
	if records != r.Transitions || r.AuditRecords != records {
		t.Fatalf("%d audit records, report says %d, simulator made %d transitions", records, r.AuditRecords, r.Transitions)
	}
	// The run must exercise late acts, or the comparison proves little.
	late := 0
	for _, st := range r.Steps {
		late += st.Late
	}
	if late == 0 {
		t.Fatal("no late act in the run")
	}
}

// orderHook checks that a Hook sees every transition in simulated time order with
// the application as committed.
type orderHook struct {
	n    int
	last time.Time
	err  string
}

func (h *orderHook) AfterAct(_ context.Context, _ *Sim, a Act, app workflow.Application) error {
	h.n++
	if a.At.Before(h.last) && h.err == "" {
		h.err = fmt.Sprintf("act %d at %v before the previous one at %v", h.n, a.At, h.last)
	}
	if app.State != a.To && h.err == "" {
		h.err = fmt.Sprintf("act %d: application in %s, act says %s", h.n, app.State, a.To)
	}
	h.last = a.At
	return nil
}

// TestQuotaNeverOverAllocated checks the pools after a run: use within every
// limit, children's limits within their parent's, and the held-back count agrees
// with the reservations.
func TestQuotaNeverOverAllocated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sc := small(3)
	sc.Quota.CapacityRatio = 0.6 // scarce: some approvals are held back
	s, r := simulate(t, sc, Options{})
	pools, err := s.p.Quota().Pools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	allotted := map[quota.PoolID]quota.Vector{}
	for _, p := range pools {
		if p.Parent != "" {
			allotted[p.Parent], err = allotted[p.Parent].Add(p.Limit)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range pools {
		if !p.Allotted.Equal(allotted[p.ID]) && !(p.Allotted.IsZero() && allotted[p.ID].IsZero()) {
			t.Errorf("pool %s: allotted %v, its children's limits sum to %v", p.ID, p.Allotted, allotted[p.ID])
		}
		use, err := p.Held.Add(p.Committed)
		if err == nil {
			use, err = use.Add(allotted[p.ID])
		}
		if err != nil {
			t.Fatal(err)
		}
		if !use.LessEq(p.Limit) {
			t.Errorf("pool %s: held + committed + children's limits %v exceed the limit %v", p.ID, use, p.Limit)
		}
	}
	var qr *QuotaReport
	for _, x := range r.Extra {
		if q, ok := x.(*QuotaReport); ok {
			qr = q
		}
	}
	if qr == nil {
		t.Fatal("no quota section")
	}
	if qr.HeldBack.Applications == 0 {
		t.Fatal("a scarce capacity held nothing back")
	}
	// Every application that went beyond approval has a reservation.
	approved := 0
	for _, a := range s.apps {
		switch a.cur.State {
		case workflow.StateSubmitted, workflow.StateRejected, workflow.StateAccepted, workflow.StateDenied, workflow.StateWithdrawn:
		default:
			approved++
		}
	}
	n := 0
	for _, c := range qr.Reservation {
		n += c
	}
	if n != approved {
		t.Fatalf("%d reservations for %d approved applications", n, approved)
	}
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	_, r := simulate(t, small(5), Options{PostgresDSN: dsn})
	if r.Verified != r.Total || r.Total != 40 {
		t.Fatalf("verified %d of %d", r.Verified, r.Total)
	}
	// A second run on the same schema is refused: the IDs would collide.
	if _, err := NewSim(context.Background(), small(5), Options{PostgresDSN: dsn}); err == nil || !strings.Contains(err.Error(), "already holds applications") {
		t.Fatalf("second run on a used schema: %v", err)
	}
}

func TestScenarioErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // fields named
	}{
		{"unknown field", `{"departments": 8, "depts": 3}`, []string{"depts", "line 1, column"}},
		{"syntax", "{\n  \"departments\": 8,\n}", []string{"(syntax)", "line 3"}},
		{"type", `{"applications": "many"}`, []string{"applications", "string"}},
		{"empty", ``, []string{"empty"}},
		{"trailing", `{} {}`, []string{"data after"}},
		{"every problem at once", `{"year": 1999, "departments": 0, "applications": -1, "vendors": [{"id": "a b", "name": "", "share": 0,
			"trial_environment": {"median_hours": 0, "spread": 9, "max_hours": 1}, "change": {"median_hours": 1, "spread": 0, "max_hours": 1},
			"reclaim": {"median_hours": 1, "spread": 0, "max_hours": 1}}],
			"authority": {"reject_rate": 1.5, "trial_days_min": 10}, "quota": {"algorithm": "lottery"}}`,
			[]string{"year", "departments", "applications", "vendors[0].id", "vendors[0].name", "vendors[0].share",
				"vendors[0].trial_environment.median_hours", "vendors[0].trial_environment.spread", "authority.reject_rate",
				"authority.trial_days_min", "quota.algorithm"}},
		{"duplicate vendor", `{"vendors": [{"id": "v", "name": "V", "share": 1, "trial_environment": {"median_hours": 1, "max_hours": 1},
			"change": {"median_hours": 1, "max_hours": 1}, "reclaim": {"median_hours": 1, "max_hours": 1}},
			{"id": "v", "name": "W", "share": 1, "trial_environment": {"median_hours": 1, "max_hours": 1},
			"change": {"median_hours": 1, "max_hours": 1}, "reclaim": {"median_hours": 1, "max_hours": 1}}]}`,
			[]string{"vendors[1].id", "repeats vendors[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadScenario(strings.NewReader(tc.body), DefaultScenario())
			if !errors.Is(err, ErrScenario) {
				t.Fatalf("got %v, want ErrScenario", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	// A valid partial document keeps the defaults.
	sc, err := LoadScenario(strings.NewReader(`{"applications": 12, "quota": {"algorithm": "maxmin"}}`), DefaultScenario())
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultScenario()
	want.Applications, want.Quota.Algorithm = 12, "maxmin"
	if diff := cmp.Diff(want, sc); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-scale", "county"}, &out, &errOut)
	if !errors.Is(err, ErrScenario) || !strings.Contains(err.Error(), "scale") {
		t.Fatalf("-scale county: %v", err)
	}
	err = run(context.Background(), []string{"-year", "1900"}, &out, &errOut)
	if !errors.Is(err, ErrScenario) || !strings.Contains(err.Error(), "year") {
		t.Fatalf("-year 1900: %v", err)
	}
	cfg, err := parseFlags([]string{"-scale", "province", "-seed", "9", "-year", "2026"}, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.scenario.Departments != 2000 || cfg.scenario.Applications != 50000 || cfg.scenario.Seed != 9 || cfg.scenario.Year != 2026 {
		t.Fatalf("province flags: %+v", cfg.scenario)
	}
}

// TestProvisionalYear: deadlines past the official calendar (2026 → 2027) are
// computed provisionally, and the summary says so.
func TestProvisionalYear(t *testing.T) {
	dc := &deadlineCalendar{pc: calendar.China().WithProvisional()}
	if _, err := dc.Deadline(time.Date(2026, 6, 1, 10, 0, 0, 0, calendar.Beijing()), 5); err != nil || dc.provisional {
		t.Fatalf("June 2026: err %v, provisional %v", err, dc.provisional)
	}
	due, err := dc.Deadline(time.Date(2026, 12, 30, 10, 0, 0, 0, calendar.Beijing()), 5)
	if err != nil || !dc.provisional {
		t.Fatalf("30 December 2026 + 5 wd: err %v, provisional %v", err, dc.provisional)
	}
	// Monday–Friday: 31 Dec, 1, 4, 5, 6 Jan → due before 7 January 2027.
	if got := due.In(calendar.Beijing()).Format(time.DateTime); got != "2027-01-07 00:00:00" {
		t.Fatalf("due %s", got)
	}
	sc := small(2)
	sc.Year = 2026
	plan, err := PlanDeadlines(calendar.China(), PlanParams{Seed: 2, Year: 2026, Applications: 10})
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Scenario: sc, Policy: workflow.ZhejiangPreset(), States: map[workflow.State]int{}, Provisional: true, Plan: plan,
		YearEnd: time.Date(2027, 1, 1, 0, 0, 0, 0, calendar.Beijing())}
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "provisional (Monday–Friday)") {
		t.Fatal("summary lacks the provisional note")
	}
}

func FuzzLoadScenario(f *testing.F) {
	f.Add(`{"departments": 8}`)
	f.Add(`{"vendors": []}`)
	f.Add(`{"quota": {"algorithm": "drf", "pad_min": 1, "pad_max": 0.5}}`)
	f.Add("{\n\"x\": 1}")
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, body string) {
		sc, err := LoadScenario(strings.NewReader(body), DefaultScenario())
		if err != nil {
			if !errors.Is(err, ErrScenario) {
				t.Fatalf("error %v does not match ErrScenario", err)
			}
			return
		}
		if err := sc.Validate(); err != nil {
			t.Fatalf("loaded scenario does not validate: %v", err)
		}
	})
}

// TestTimingsAccountForTheRun: every stage of a small run takes time, the
// stages do not overlap (their sum stays within the run's wall time) and they
// leave little of it unaccounted; the command prints them.
func TestTimingsAccountForTheRun(t *testing.T) {
	t.Parallel()
	sc := writeScenario(t, `{"name": "test", "departments": 8, "applications": 40}`)
	var out, errOut bytes.Buffer
	start := time.Now()
	tm, err := runTimed(context.Background(), []string{"-scenario", sc, "-out", t.TempDir()}, &out, &errOut)
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var sum time.Duration
	for _, st := range tm.Stages() {
		if st.D <= 0 {
			t.Errorf("stage %s took %v", st.English, st.D)
		}
		sum += st.D
	}
	if sum > wall || sum < wall/2 {
		t.Errorf("stages sum to %v of a %v run: they overlap or miss most of it (%+v)", sum, wall, tm)
	}
	if !strings.Contains(errOut.String(), tm.String()) {
		t.Errorf("stderr does not print the timings %q:\n%s", tm.String(), errOut.String())
	}
}

func TestTimingsString(t *testing.T) {
	tm := Timings{Setup: 1500 * time.Millisecond, Lifecycle: 61 * time.Second, Dispatch: 2 * time.Second,
		MonthClose: 3 * time.Second, YearEnd: 4 * time.Second, Summary: 250 * time.Millisecond}
	want := "准备 setup 1.5s · 流转 lifecycle 61.0s · 派发 dispatch 2.0s · 月结 month close 3.0s · 年终 year end 4.0s · 汇总 summary 0.2s"
	if d := cmp.Diff(want, tm.String()); d != "" {
		t.Errorf("Timings.String (-want +got)\n%s", d)
	}
}
