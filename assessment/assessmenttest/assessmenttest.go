package assessmenttest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/assessment"
)

// Run runs the conformance suite against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) assessment.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, assessment.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"LargeRun", testLargeRun},
		{"Idempotent", testIdempotent},
		{"Invalid", testInvalid},
		{"Immutable", testImmutable},
		{"Chain", testChain},
		{"ConcurrentSaves", testConcurrentSaves},
		{"ReadsByPeriodAndSubject", testReads},
		{"NotFound", testNotFound},
		{"Cancelled", testCancelled},
		{"CompareStoredPeriods", testCompare},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var ctx = context.Background()

// at is a fixed scoring time with a zone, so the suite checks that stores keep
// the instant (reads return it in UTC).
var at = time.Date(2027, time.January, 15, 9, 30, 0, 123456789, time.FixedZone("CST", 8*3600))

// deptRun is SampleRun for tests.
func deptRun(t testing.TB, id string, p assessment.Period, n int, seed uint64, supersedes string) *assessment.Run {
	t.Helper()
	r, err := SampleRun(id, p, n, seed, supersedes)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// SampleRun scores n departments ("dept-0000", "dept-0001", …) for period p
// with the preset department scheme, their values drawn from seed, so equal
// arguments give Equal runs. About one subject in seven repeats the previous
// subject's values (ties share a rank), a quarter have a missing value, and
// ScoredAt carries a non-UTC zone. Implementers may use it for their own
// tests and benchmarks.
func SampleRun(id string, p assessment.Period, n int, seed uint64, supersedes string) (*assessment.Run, error) {
	s, err := assessment.DepartmentScheme()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	inputs := make([]assessment.Input, n)
	for i := range inputs {
		v := assessment.Values{
			assessment.PathAdoption:        assessment.Num(rng.Float64()*100).WithNote(fmt.Sprintf("%d/20 个系统上云", rng.IntN(21)), "systems"),
			assessment.PathIdle:            assessment.Num(rng.Float64() * 40),
			assessment.PathOverprovisioned: assessment.Num(rng.Float64() * 60),
			assessment.PathVulnerabilities: assessment.Num(float64(rng.IntN(30))),
			assessment.PathDeptIncidents:   assessment.Num(float64(rng.IntN(5))),
			assessment.PathOverdueFixes:    assessment.Num(float64(rng.IntN(7))),
			assessment.PathDengbaoCurrent:  assessment.Num(60 + rng.Float64()*40),
		}
		if rng.IntN(4) == 0 {
			v[assessment.PathIdleCost] = assessment.MissingValue("无费用数据", "no cost data")
		} else {
			v[assessment.PathIdleCost] = assessment.Num(rng.Float64() * 25)
		}
		if i%7 == 3 && i > 0 { // ties: same values as the previous subject
			v = inputs[i-1].Values
		}
		inputs[i] = assessment.Input{Subject: assessment.Subject{ID: fmt.Sprintf("dept-%04d", i), Name: fmt.Sprintf("第%d局", i)}, Values: v}
	}
	return assessment.NewRun(assessment.RunSpec{ID: id, Kind: assessment.SubjectDepartment, Period: p,
		Scheme: s, Inputs: inputs, ScoredAt: at, Supersedes: supersedes})
}

// vendorRun scores three vendors with the preset vendor scheme.
func vendorRun(t testing.TB, id string, p assessment.Period) *assessment.Run {
	t.Helper()
	s, err := assessment.VendorScheme()
	if err != nil {
		t.Fatal(err)
	}
	var inputs []assessment.Input
	for i, name := range []string{"甲云", "乙云", "丙云"} {
		inputs = append(inputs, assessment.Input{Subject: assessment.Subject{ID: fmt.Sprintf("v%d", i+1), Name: name}, Values: assessment.Values{
			assessment.PathOnTime:       assessment.Num(90 + float64(i)*3),
			assessment.PathSatisfaction: assessment.Num(70 + float64(i)*10),
			assessment.PathAvailability: assessment.Num(99.5 + float64(i)*0.2),
			assessment.PathDrill:        assessment.Cat("delivered"),
			assessment.PathReports:      assessment.Num(100 - float64(i)*10),
		}})
	}
	r, err := assessment.NewRun(assessment.RunSpec{ID: id, Kind: assessment.SubjectVendor, Period: p,
		Scheme: s, Inputs: inputs, ScoredAt: at})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func want(t *testing.T, r *assessment.Run) *assessment.Run {
	t.Helper()
	w := r.Clone()
	w.ScoredAt = w.ScoredAt.UTC()
	return w
}

func mustSave(t *testing.T, s assessment.Store, r *assessment.Run) {
	t.Helper()
	if err := s.SaveRun(ctx, r); err != nil {
		t.Fatalf("SaveRun(%s): %v", r.ID, err)
	}
}

func diffRun(t *testing.T, what string, w, got *assessment.Run) {
	t.Helper()
	// cmp.Diff is slow on thousands of lines: large runs are compared by
	// their canonical JSON first (Equal), and diffed only when that differs.
	if len(w.Cards) <= 50 || !w.Equal(got) {
		if d := cmp.Diff(w, got); d != "" {
			t.Fatalf("%s (-want +got):\n%s", what, d)
		}
	}
	if !got.ScoredAt.Equal(w.ScoredAt) || !w.Equal(got) {
		t.Fatalf("%s: Equal is false for the stored run", what)
	}
}

var y2026 = assessment.YearPeriod(2026)

func testRoundTrip(t *testing.T, s assessment.Store) {
	r := deptRun(t, "run-2026", y2026, 12, 1, "")
	v := vendorRun(t, "vendors-2026-Q4", assessment.QuarterPeriod(2026, 4))
	mustSave(t, s, r)
	mustSave(t, s, v)
	for _, w := range []*assessment.Run{r, v} {
		got, err := s.Run(ctx, w.ID)
		if err != nil {
			t.Fatalf("Run(%s): %v", w.ID, err)
		}
		diffRun(t, "Run "+w.ID, want(t, w), got)
		if got.ScoredAt.Location() != time.UTC {
			t.Errorf("ScoredAt in %v, want UTC", got.ScoredAt.Location())
		}
	}
	cur, err := s.CurrentRun(ctx, assessment.SubjectDepartment, y2026)
	if err != nil {
		t.Fatal(err)
	}
	diffRun(t, "CurrentRun", want(t, r), cur)
}

func testLargeRun(t *testing.T, s assessment.Store) {
	r := deptRun(t, "big", y2026, 321, 2, "")
	mustSave(t, s, r)
	got, err := s.CurrentRun(ctx, assessment.SubjectDepartment, y2026)
	if err != nil {
		t.Fatal(err)
	}
	diffRun(t, "large run", want(t, r), got)
}

func testIdempotent(t *testing.T, s assessment.Store) {
	r := deptRun(t, "r1", y2026, 5, 3, "")
	mustSave(t, s, r)
	// The same payload again, rebuilt from scratch and with the instant in
	// another zone: a no-op.
	again := deptRun(t, "r1", y2026, 5, 3, "")
	again.ScoredAt = again.ScoredAt.In(time.FixedZone("X", -5*3600))
	if err := s.SaveRun(ctx, again); err != nil {
		t.Fatalf("saving the same run again: %v", err)
	}
	for _, mutate := range []struct {
		name string
		fn   func(*assessment.Run)
	}{
		{"a line's explanation", func(x *assessment.Run) { x.Cards[2].Lines[1].Text += "!" }},
		{"the digest", func(x *assessment.Run) { x.InputDigest = strings.Repeat("0", 64) }},
		{"the scoring time", func(x *assessment.Run) { x.ScoredAt = x.ScoredAt.Add(time.Nanosecond) }},
		{"a subject name", func(x *assessment.Run) { x.Cards[0].SubjectName = "改名" }},
		{"the period", func(x *assessment.Run) { x.Period = assessment.YearPeriod(2025) }},
	} {
		x := r.Clone()
		mutate.fn(x)
		err := s.SaveRun(ctx, x)
		var ce *assessment.ConflictError
		if !errors.Is(err, assessment.ErrConflict) || !errors.As(err, &ce) || ce.RunID != "r1" {
			t.Errorf("changed %s under the same ID: %v, want a *ConflictError for r1", mutate.name, err)
		}
	}
	got, err := s.Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	diffRun(t, "after conflicts", want(t, r), got)
	runs, err := s.PeriodRuns(ctx, assessment.SubjectDepartment, y2026)
	if err != nil || len(runs) != 1 {
		t.Fatalf("PeriodRuns = %v, %v; want one run", runs, err)
	}
}

func testInvalid(t *testing.T, s assessment.Store) {
	for _, tc := range []struct {
		name, field string
		fn          func(*assessment.Run)
	}{
		{"empty ID", "id", func(x *assessment.Run) { x.ID = "" }},
		{"ID with a space", "id", func(x *assessment.Run) { x.ID = "a b" }},
		{"bad kind", "kind", func(x *assessment.Run) { x.Kind = "finance" }},
		{"bad period", "period", func(x *assessment.Run) { x.Period = assessment.Period{Year: 2026, Unit: assessment.UnitQuarter, N: 5} }},
		{"short digest", "input_digest", func(x *assessment.Run) { x.InputDigest = "abc" }},
		{"no time", "scored_at", func(x *assessment.Run) { x.ScoredAt = time.Time{} }},
		{"no cards", "cards", func(x *assessment.Run) { x.Cards, x.Subjects = nil, 0 }},
		{"wrong count", "subjects", func(x *assessment.Run) { x.Subjects++ }},
		{"duplicate subject", "cards[1].subject_id", func(x *assessment.Run) { x.Cards[1].SubjectID = x.Cards[0].SubjectID }},
		{"wrong rank", "cards[2].rank", func(x *assessment.Run) { x.Cards[2].Rank = 9 }},
		{"out of order", "cards[1]", func(x *assessment.Run) {
			x.Cards[0], x.Cards[1] = x.Cards[1], x.Cards[0]
			x.Cards[0].Rank, x.Cards[1].Rank = 1, 2
		}},
		{"total over 100", "cards[0].total", func(x *assessment.Run) { x.Cards[0].Total = 101 }},
		{"other scheme version", "cards[3].scheme", func(x *assessment.Run) { x.Cards[3].Version = "old" }},
		{"supersedes itself", "supersedes", func(x *assessment.Run) { x.Supersedes = x.ID }},
	} {
		x := deptRun(t, "bad", y2026, 6, 4, "")
		tc.fn(x)
		err := s.SaveRun(ctx, x)
		var re *assessment.RunError
		if !errors.Is(err, assessment.ErrInvalidRun) || !errors.As(err, &re) || re.Field != tc.field {
			t.Errorf("%s: SaveRun = %v, want *RunError on field %q", tc.name, err, tc.field)
		}
	}
	if err := s.SaveRun(ctx, nil); !errors.Is(err, assessment.ErrInvalidRun) {
		t.Errorf("SaveRun(nil) = %v, want ErrInvalidRun", err)
	}
	if _, err := s.Run(ctx, "bad"); !errors.Is(err, assessment.ErrNotFound) {
		t.Errorf("an invalid run was written: Run = %v", err)
	}
	if _, err := s.CurrentRun(ctx, assessment.SubjectDepartment, y2026); !errors.Is(err, assessment.ErrNotFound) {
		t.Errorf("an invalid run was written: CurrentRun = %v", err)
	}
}

func testImmutable(t *testing.T, s assessment.Store) {
	r := deptRun(t, "r1", y2026, 4, 5, "")
	w := want(t, r)
	mustSave(t, s, r)
	r.Cards[0].Total = 1
	r.Cards[1].Lines[0].Raw.Number = -1
	r.Cards = r.Cards[:1]
	got, err := s.Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	diffRun(t, "after changing the saved value", w, got)
	got.Cards[0].Lines[0].Score = -5
	got.Cards[0].Grade.Name = "x"
	_, c, err := s.Scorecard(ctx, assessment.SubjectDepartment, y2026, got.Cards[1].SubjectID)
	if err != nil {
		t.Fatal(err)
	}
	c.Lines = nil
	again, err := s.Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	diffRun(t, "after changing a returned value", w, again)
}

func testChain(t *testing.T, s assessment.Store) {
	dept, p := assessment.SubjectDepartment, y2026
	r1 := deptRun(t, "r1", p, 5, 6, "")
	mustSave(t, s, r1)
	conflict := func(what string, r *assessment.Run) {
		t.Helper()
		err := s.SaveRun(ctx, r)
		var ce *assessment.ConflictError
		if !errors.Is(err, assessment.ErrConflict) || !errors.As(err, &ce) || ce.RunID != r.ID {
			t.Errorf("%s: SaveRun(%s) = %v, want a *ConflictError", what, r.ID, err)
		}
		if _, err := s.Run(ctx, r.ID); !errors.Is(err, assessment.ErrNotFound) {
			t.Errorf("%s: the refused run %s was written (%v)", what, r.ID, err)
		}
	}
	conflict("a second first run of the period", deptRun(t, "r2", p, 5, 7, ""))
	conflict("superseding an unknown run", deptRun(t, "r2", p, 5, 7, "nope"))
	mustSave(t, s, deptRun(t, "other-2025", assessment.YearPeriod(2025), 3, 8, ""))
	conflict("superseding a run of another period", deptRun(t, "r2", p, 5, 7, "other-2025"))
	mustSave(t, s, vendorRun(t, "v-2026", p))
	conflict("superseding a run of another kind", deptRun(t, "r2", p, 5, 7, "v-2026"))

	r2 := deptRun(t, "r2", p, 6, 7, "r1")
	mustSave(t, s, r2)
	conflict("superseding a run already superseded", deptRun(t, "r3", p, 5, 9, "r1"))
	r3 := deptRun(t, "r3", p, 4, 9, "r2")
	mustSave(t, s, r3)
	mustSave(t, s, r2) // an old run saved again: still a no-op

	cur, err := s.CurrentRun(ctx, dept, p)
	if err != nil {
		t.Fatal(err)
	}
	diffRun(t, "current run after two corrections", want(t, r3), cur)
	runs, err := s.PeriodRuns(ctx, dept, p)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]assessment.RunInfo{want(t, r1).RunInfo, want(t, r2).RunInfo, want(t, r3).RunInfo}, runs); d != "" {
		t.Errorf("PeriodRuns (-want +got):\n%s", d)
	}
	old, err := s.Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	diffRun(t, "a superseded run stays readable", want(t, r1), old)
	// Kinds and periods are independent.
	vcur, err := s.CurrentRun(ctx, assessment.SubjectVendor, p)
	if err != nil || vcur.ID != "v-2026" {
		t.Errorf("vendor current run = %v, %v; want v-2026", vcur, err)
	}
	empty, err := s.PeriodRuns(ctx, dept, assessment.YearPeriod(2024))
	if err != nil || len(empty) != 0 {
		t.Errorf("PeriodRuns of a period without runs = %v, %v; want empty", empty, err)
	}
}

func testConcurrentSaves(t *testing.T, s assessment.Store) {
	const n = 8
	r1 := deptRun(t, "r1", y2026, 20, 10, "")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = s.SaveRun(ctx, r1.Clone()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent save %d of the same run: %v", i, err)
		}
	}
	for i := range n {
		r := deptRun(t, fmt.Sprintf("fix-%d", i), y2026, 20, uint64(100+i), "r1")
		wg.Go(func() { errs[i] = s.SaveRun(ctx, r) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("two corrections of r1 saved: fix-%d and fix-%d", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, assessment.ErrConflict):
			t.Fatalf("losing correction fix-%d: %v, want ErrConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no correction of r1 was saved")
	}
	runs, err := s.PeriodRuns(ctx, assessment.SubjectDepartment, y2026)
	if err != nil || len(runs) != 2 || runs[1].ID != fmt.Sprintf("fix-%d", won) {
		t.Fatalf("PeriodRuns = %v, %v; want r1 then fix-%d", runs, err, won)
	}
}

func testReads(t *testing.T, s assessment.Store) {
	r := deptRun(t, "r1", y2026, 9, 11, "")
	mustSave(t, s, r)
	w := want(t, r)
	for _, c := range w.Cards {
		info, got, err := s.Scorecard(ctx, assessment.SubjectDepartment, y2026, c.SubjectID)
		if err != nil {
			t.Fatalf("Scorecard(%s): %v", c.SubjectID, err)
		}
		if d := cmp.Diff(w.RunInfo, info); d != "" {
			t.Errorf("Scorecard(%s) run info (-want +got):\n%s", c.SubjectID, d)
		}
		if d := cmp.Diff(c, got); d != "" {
			t.Errorf("Scorecard(%s) (-want +got):\n%s", c.SubjectID, d)
		}
	}
	// After a correction the subject's card comes from the current run.
	r2 := deptRun(t, "r2", y2026, 9, 12, "r1")
	mustSave(t, s, r2)
	c0 := want(t, r2).Cards[4]
	info, got, err := s.Scorecard(ctx, assessment.SubjectDepartment, y2026, c0.SubjectID)
	if err != nil || info.ID != "r2" {
		t.Fatalf("Scorecard after correction: run %q, %v; want r2", info.ID, err)
	}
	if d := cmp.Diff(c0, got); d != "" {
		t.Errorf("Scorecard after correction (-want +got):\n%s", d)
	}
}

func testNotFound(t *testing.T, s assessment.Store) {
	mustSave(t, s, deptRun(t, "r1", y2026, 3, 13, ""))
	check := func(what string, err error) {
		t.Helper()
		var nf *assessment.NotFoundError
		if !errors.Is(err, assessment.ErrNotFound) || !errors.As(err, &nf) {
			t.Errorf("%s: %v, want a *NotFoundError", what, err)
		}
	}
	_, err := s.Run(ctx, "nope")
	check("unknown run", err)
	_, err = s.CurrentRun(ctx, assessment.SubjectDepartment, assessment.YearPeriod(2025))
	check("period without runs", err)
	_, err = s.CurrentRun(ctx, assessment.SubjectVendor, y2026)
	check("kind without runs", err)
	_, _, err = s.Scorecard(ctx, assessment.SubjectDepartment, y2026, "dept-9999")
	check("unknown subject", err)
	_, _, err = s.Scorecard(ctx, assessment.SubjectDepartment, assessment.MonthPeriod(assessment.Month{Year: 2026, Month: 1}), "dept-0000")
	check("subject in a period without runs", err)
}

func testCancelled(t *testing.T, s assessment.Store) {
	c, cancel := context.WithCancel(ctx)
	cancel()
	r := deptRun(t, "r1", y2026, 3, 14, "")
	if err := s.SaveRun(c, r); !errors.Is(err, context.Canceled) {
		t.Errorf("SaveRun with a cancelled context: %v", err)
	}
	if _, err := s.Run(ctx, "r1"); !errors.Is(err, assessment.ErrNotFound) {
		t.Errorf("SaveRun with a cancelled context wrote the run: %v", err)
	}
	mustSave(t, s, r)
	if _, err := s.Run(c, "r1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	if _, err := s.CurrentRun(c, assessment.SubjectDepartment, y2026); !errors.Is(err, context.Canceled) {
		t.Errorf("CurrentRun: %v", err)
	}
	if _, _, err := s.Scorecard(c, assessment.SubjectDepartment, y2026, "dept-0000"); !errors.Is(err, context.Canceled) {
		t.Errorf("Scorecard: %v", err)
	}
	if _, err := s.PeriodRuns(c, assessment.SubjectDepartment, y2026); !errors.Is(err, context.Canceled) {
		t.Errorf("PeriodRuns: %v", err)
	}
}

// testCompare compares two stored periods and checks the result equals the
// comparison of the runs before they were stored.
func testCompare(t *testing.T, s assessment.Store) {
	a := deptRun(t, "y2025", assessment.YearPeriod(2025), 30, 15, "")
	b := deptRun(t, "y2026", y2026, 32, 16, "")
	mustSave(t, s, a)
	mustSave(t, s, b)
	wantCmp, err := assessment.Compare(want(t, a), want(t, b))
	if err != nil {
		t.Fatal(err)
	}
	from, err := s.CurrentRun(ctx, assessment.SubjectDepartment, y2026.Previous())
	if err != nil {
		t.Fatal(err)
	}
	to, err := s.CurrentRun(ctx, assessment.SubjectDepartment, y2026)
	if err != nil {
		t.Fatal(err)
	}
	got, err := assessment.Compare(from, to)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantCmp, got); d != "" {
		t.Errorf("comparison of stored runs (-want +got):\n%s", d)
	}
	count := map[assessment.Presence]int{}
	for _, d := range got.Subjects {
		count[d.Presence]++
	}
	if d := cmp.Diff(map[assessment.Presence]int{assessment.InBoth: 30, assessment.OnlyTo: 2}, count); d != "" {
		t.Errorf("subjects by presence (-want +got):\n%s", d)
	}
}
