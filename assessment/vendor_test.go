package assessment

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var cst = time.FixedZone("CST", 8*3600)

func at(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, cst) }

func excl(id string, from, to time.Time) Exclusion {
	return Exclusion{ID: id, Interval: Interval{from, to}, Reason: Maintenance, Evidence: "公告 2026-01", ApprovedBy: "运行管理单位 张三"}
}

func TestMonthlyAvailability(t *testing.T) {
	march := Month{2026, time.March}
	const T = 31 * 24 * 60
	tests := []struct {
		name    string
		outages []Outage
		excl    []Exclusion
		want    Availability
	}{
		{"none", nil, nil, Availability{Month: march, Total: T}},
		{"one hour", []Outage{{"o1", Interval{at(2, 10, 0), at(2, 11, 0)}}}, nil, Availability{Month: march, Total: T, Down: 60}},
		{"overlapping outages merged", []Outage{{"o1", Interval{at(2, 10, 0), at(2, 11, 0)}}, {"o2", Interval{at(2, 10, 30), at(2, 11, 30)}}, {"o3", Interval{at(2, 11, 30), at(2, 11, 40)}}}, nil,
			Availability{Month: march, Total: T, Down: 100}},
		{"partial minutes round outward", []Outage{{"o1", Interval{at(2, 10, 0).Add(30 * time.Second), at(2, 10, 1).Add(10 * time.Second)}}}, nil,
			Availability{Month: march, Total: T, Down: 2}},
		{"downtime inside exclusion not counted", []Outage{{"o1", Interval{at(5, 1, 0), at(5, 3, 0)}}},
			[]Exclusion{excl("e1", at(5, 0, 0), at(5, 2, 0))}, Availability{Month: march, Total: T, Excluded: 120, Down: 60}},
		{"overlapping exclusions merged, partial minutes inward", nil,
			[]Exclusion{excl("e1", at(5, 0, 0).Add(20*time.Second), at(5, 2, 0)), excl("e2", at(5, 1, 0), at(5, 3, 0).Add(50*time.Second))},
			Availability{Month: march, Total: T, Excluded: 179}},
		{"clipped to the month", []Outage{{"o1", Interval{time.Date(2026, 2, 28, 23, 0, 0, 0, cst), at(1, 1, 0)}}, {"o2", Interval{at(31, 23, 30), time.Date(2026, 4, 1, 5, 0, 0, 0, cst)}}}, nil,
			Availability{Month: march, Total: T, Down: 90}},
		{"whole month excluded", nil, []Exclusion{excl("e1", at(1, 0, 0), time.Date(2026, 4, 1, 0, 0, 0, 0, cst))}, Availability{Month: march, Total: T, Excluded: T}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MonthlyAvailability(march, cst, tt.outages, tt.excl)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// Merging never double counts: against a brute-force minute map on random intervals.
func TestAvailabilityAgainstMinuteMap(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	m := Month{2026, time.February}
	start := m.Start(cst)
	total := 28 * 24 * 60
	secs := func(t time.Time) int64 { return int64(t.Sub(start) / time.Second) }
	rnd := func() Interval {
		a := start.Add(time.Duration(r.IntN(total*60+7200)-3600) * time.Second)
		return Interval{a, a.Add(time.Duration(1+r.IntN(3*3600)) * time.Second)}
	}
	for iter := 0; iter < 300; iter++ {
		var outs []Outage
		var exs []Exclusion
		down := make([]bool, total)
		ex := make([]bool, total)
		for i := r.IntN(8); i > 0; i-- {
			iv := rnd()
			outs = append(outs, Outage{"o", iv})
			a, b := secs(iv.From), secs(iv.To)
			for k := range int64(total) { // any overlap with the minute
				if a < 60*k+60 && b > 60*k {
					down[k] = true
				}
			}
		}
		for i := r.IntN(5); i > 0; i-- {
			iv := rnd()
			exs = append(exs, excl("e", iv.From, iv.To))
			a, b := secs(iv.From), secs(iv.To)
			for k := range int64(total) { // the whole minute inside
				if a <= 60*k && b >= 60*k+60 {
					ex[k] = true
				}
			}
		}
		want := Availability{Month: m, Total: int64(total)}
		for k := range total {
			if ex[k] {
				want.Excluded++
			} else if down[k] {
				want.Down++
			}
		}
		got, err := MonthlyAvailability(m, cst, outs, exs)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("iteration %d: got %+v want %+v", iter, got, want)
		}
	}
}

func TestExclusionErrors(t *testing.T) {
	good := excl("e1", at(1, 0, 0), at(1, 1, 0))
	tests := []struct {
		field string
		mod   func(*Exclusion)
	}{
		{"evidence", func(e *Exclusion) { e.Evidence = " " }},
		{"approver", func(e *Exclusion) { e.ApprovedBy = "" }},
		{"reason", func(e *Exclusion) { e.Reason = "weather" }},
		{"interval", func(e *Exclusion) { e.To = e.From }},
		{"id", func(e *Exclusion) { e.ID = "" }},
	}
	for _, tt := range tests {
		e := good
		tt.mod(&e)
		_, err := MonthlyAvailability(Month{2026, time.March}, cst, nil, []Exclusion{good, e})
		var ee *ExclusionError
		if !errors.As(err, &ee) || ee.Field != tt.field || !errors.Is(err, ErrInvalidExclusion) {
			t.Errorf("%s: err = %v", tt.field, err)
		}
	}
	_, err := MonthlyAvailability(Month{2026, time.March}, cst, []Outage{{"o9", Interval{at(2, 0, 0), at(1, 0, 0)}}}, nil)
	var re *RecordError
	if !errors.As(err, &re) || re.ID != "o9" {
		t.Errorf("backwards outage: %v", err)
	}
}

func TestPPM(t *testing.T) {
	for s, want := range map[string]PPM{"99.95": 999_500, "99.95%": 999_500, "5": 50_000, "100": Hundred, "0.0001": 1, "99.9": 999_000} {
		got, err := ParsePPM(s)
		if err != nil || got != want {
			t.Errorf("ParsePPM(%q) = %d, %v; want %d", s, got, err, want)
		}
		if back, _ := ParsePPM(got.String()); back != got {
			t.Errorf("round trip %q → %s", s, got)
		}
	}
	for _, s := range []string{"", "abc", "1.23456", "-5", "+5", "1e3", "5.-1", ".5", "9999999"} {
		if _, err := ParsePPM(s); err == nil {
			t.Errorf("ParsePPM(%q) accepted", s)
		}
	}
}

func TestCredits(t *testing.T) {
	o := DefaultCreditOptions()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	const T = 30 * 24 * 60 // 43200 minutes in April
	apr := Month{2026, time.April}
	tests := []struct {
		name   string
		down   int64
		fee    int64
		tier   int
		amount int64
	}{
		{"exactly 99.95 % is not below", 21.6e0 * 0, 1_000_000, -1, 0},
		{"21 minutes: 99.9514 %", 21, 1_000_000, -1, 0},
		{"22 minutes: 99.9491 %", 22, 1_000_000, 0, 50_000},
		{"43 minutes: 99.9005 %", 43, 1_000_000, 0, 50_000},
		{"44 minutes: 99.8981 %", 44, 1_000_000, 1, 100_000},
		{"half-up: 5 % of 12345 分 = 617.25 → 617", 22, 12_345, 0, 617},
		{"half-up: 5 % of 12350 分 = 617.5 → 618", 22, 12_350, 0, 618},
		{"under 99 %: 50 %", 500, 333, 3, 167},
		{"huge fee stays exact", 44, 9_000_000_000_000_005, 1, 900_000_000_000_001}, // 900000000000000.5 → …001
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Availability{Month: apr, Total: T, Down: tt.down}
			l, err := o.Credit("v1", a, tt.fee)
			if err != nil {
				t.Fatal(err)
			}
			if tt.tier < 0 {
				if l != nil {
					t.Errorf("unexpected line %+v", l)
				}
				return
			}
			if l == nil || l.Tier != tt.tier || l.Amount != tt.amount || l.Num != T-tt.down || l.Den != T {
				t.Errorf("line %+v, want tier %d amount %d", l, tt.tier, tt.amount)
			}
		})
	}
	// exactly at the threshold: 21.6 minutes cannot happen; use T=20000 and 10 minutes → 99.95 % exactly.
	a := Availability{Month: apr, Total: 20000, Down: 10}
	if a.Below(999_500) {
		t.Error("99.95 % exactly reported below 99.95 %")
	}
	if l, _ := o.Credit("v1", a, 100); l != nil {
		t.Errorf("line at exactly the threshold: %+v", l)
	}
	if _, err := o.Credit("v1", a, -1); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("negative fee: %v", err)
	}
	bad := CreditOptions{Tiers: []CreditTier{{Below: 999_000, Deduct: 100_000}, {Below: 999_500, Deduct: 200_000}}}
	var oe *OptionError
	if err := bad.Validate(); !errors.As(err, &oe) || oe.Field != "Tiers[1].Below" {
		t.Errorf("bad tiers: %v", err)
	}
}

// weekdays counts elapsed time on Monday–Friday only (a stand-in for the working-day calendar).
var weekdays = WorkingTimeFunc(func(from, to time.Time) (time.Duration, error) {
	var d time.Duration
	for t := from; t.Before(to); {
		next := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
		if next.After(to) {
			next = to
		}
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			d += next.Sub(t)
		}
		t = next
	}
	return d, nil
})

func TestResponse(t *testing.T) {
	asOf := at(31, 0, 0)
	orders := []WorkOrder{
		{ID: "w1", Opened: at(6, 9, 0), Due: at(10, 9, 0), Done: at(9, 9, 0)},   // Fri 09:00 → Mon 09:00: working 24 h of 48 h allowed
		{ID: "w2", Opened: at(2, 9, 0), Due: at(4, 9, 0), Done: at(5, 9, 0)},    // late
		{ID: "w3", Opened: at(2, 9, 0), Due: at(4, 9, 0)},                       // overdue, open
		{ID: "w4", Opened: at(30, 9, 0), Due: at(31, 9, 0)},                     // pending
		{ID: "w5", Opened: at(30, 9, 0), Due: at(31, 9, 0), Done: at(31, 8, 0)}, // done after asOf: pending
	}
	s, err := Response(orders, weekdays, asOf)
	if err != nil {
		t.Fatal(err)
	}
	got := []int{s.Judged, s.OnTime, s.Completed, s.Overdue, s.Pending}
	if d := cmp.Diff([]int{3, 1, 2, 1, 2}, got); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
	if s.Orders[0].Working != 24*time.Hour || s.Orders[0].Allowed != 48*time.Hour || !s.Orders[0].OnTime {
		t.Errorf("w1 %+v", s.Orders[0])
	}
	if got := s.MeanWorkingHours(); got != (24+72)/2 {
		t.Errorf("mean %g", got)
	}
	if _, err := Response([]WorkOrder{{ID: "x", Opened: at(2, 0, 0), Due: at(1, 0, 0)}}, weekdays, asOf); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("due before opened: %v", err)
	}
}

func TestSatisfaction(t *testing.T) {
	o := DefaultSatisfactionOptions()
	surveys := []Survey{{"1", "a", VerySatisfied}, {"2", "b", Satisfied}, {"3", "c", Satisfied}, {"4", "d", BasicallySatisfied}, {"5", "e", Dissatisfied}}
	r, err := o.Satisfaction(surveys, 8)
	if err != nil {
		t.Fatal(err)
	}
	want := SatisfactionResult{Invited: 8, Responses: 5, Counts: [4]int{1, 1, 2, 1}, Mean: (100 + 80 + 80 + 60 + 0) / 5.0, Sufficient: true}
	if d := cmp.Diff(want, r); d != "" || r.ResponseRate() != 62.5 {
		t.Errorf("(-want +got):\n%s rate %g", d, r.ResponseRate())
	}
	r, _ = o.Satisfaction(surveys[:4], 8)
	if r.Sufficient {
		t.Error("4 answers < minimum 5 reported sufficient")
	}
	vals := VendorFacts{Satisfaction: r, Months: 1}.Values()
	if v := vals[PathSatisfaction]; !v.Missing || v.Note != "样本不足:4 份答卷,回收率 50%" {
		t.Errorf("value %+v", v)
	}
	if _, err := o.Satisfaction([]Survey{{"1", "a", 5}}, 1); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("level 5: %v", err)
	}
	if _, err := o.Satisfaction([]Survey{{"1", "a", 1}, {"2", "a", 2}}, 3); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("twice: %v", err)
	}
	custom := SatisfactionOptions{Points: [4]float64{0, 50, 90, 100}, MinSample: 1}
	if r, _ := custom.Satisfaction(surveys[1:2], 1); r.Mean != 90 {
		t.Errorf("custom mapping mean %g", r.Mean)
	}
	bad := SatisfactionOptions{Points: [4]float64{0, 80, 60, 100}, MinSample: 1}
	if err := bad.Validate(); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("non-monotone points: %v", err)
	}
	if got := []string{Dissatisfied.String(), BasicallySatisfied.String(), Satisfied.String(), VerySatisfied.English()}; cmp.Diff([]string{"不满意", "基本满意", "满意", "very satisfied"}, got) != "" {
		t.Errorf("labels %v", got)
	}
}

type fakeVendor struct {
	in VendorInput
}

func (f *fakeVendor) WorkOrders(context.Context, string, time.Time, time.Time) ([]WorkOrder, error) {
	return f.in.Orders, nil
}
func (f *fakeVendor) Surveys(context.Context, string, time.Time, time.Time) ([]Survey, int, error) {
	return f.in.Surveys, f.in.Invited, nil
}
func (f *fakeVendor) Outages(context.Context, string, time.Time, time.Time) ([]Outage, []Exclusion, error) {
	return f.in.Outages, f.in.Exclusions, nil
}
func (f *fakeVendor) Incidents(context.Context, string, time.Time, time.Time) ([]Incident, error) {
	return f.in.Incidents, nil
}
func (f *fakeVendor) PerformanceChecks(context.Context, string, time.Time, time.Time) ([]PerformanceCheck, error) {
	return f.in.Performance, nil
}
func (f *fakeVendor) Deliverables(context.Context, string, time.Time, time.Time) (Deliverables, error) {
	return f.in.Deliverables, nil
}

type flatFee int64

func (f flatFee) MonthlyFee(context.Context, string, Month) (int64, error) { return int64(f), nil }

func TestVendorAssessor(t *testing.T) {
	months := []Month{{2026, time.March}, {2026, time.April}}
	src := &fakeVendor{in: VendorInput{
		Orders: []WorkOrder{
			{ID: "w1", Opened: at(6, 9, 0), Due: at(10, 9, 0), Done: at(9, 9, 0)},
			{ID: "w2", Opened: at(2, 9, 0), Due: at(4, 9, 0), Done: at(5, 9, 0)},
		},
		Surveys:      []Survey{{"1", "a", VerySatisfied}, {"2", "b", Satisfied}, {"3", "c", Satisfied}, {"4", "d", VerySatisfied}, {"5", "e", Satisfied}},
		Invited:      5,
		Outages:      []Outage{{"o1", Interval{at(3, 0, 0), at(3, 1, 0)}}}, // 60 min in March: 99.8656 %
		Exclusions:   []Exclusion{excl("e1", at(20, 0, 0), at(20, 4, 0))},
		Incidents:    []Incident{{ID: "i1", Start: at(3, 0, 0), Restored: at(3, 1, 0)}, {ID: "i2", Start: at(8, 0, 0), Restored: at(8, 0, 30), Security: true}},
		Performance:  []PerformanceCheck{{ID: "p1", Passed: true}, {ID: "p2", Passed: true}, {ID: "p3", Passed: false}, {ID: "p4", Passed: true}},
		Deliverables: Deliverables{Bulletins: months, Reports: months[:1], Drill: true},
	}}
	scheme, err := VendorScheme()
	if err != nil {
		t.Fatal(err)
	}
	a := &VendorAssessor{Scheme: scheme, Options: DefaultVendorOptions(), Source: src, Fees: flatFee(2_000_000), Calendar: weekdays, Location: cst}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	rep, err := a.Assess(context.Background(), Subject{ID: "v1", Name: "某云"}, months)
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Facts
	if len(f.Availability) != 2 || f.Availability[0].Down != 60 || f.Availability[0].Excluded != 240 || f.Availability[1].Down != 0 {
		t.Errorf("availability %+v", f.Availability)
	}
	if len(f.Deductions) != 1 || f.Deductions[0].Month != months[0] || f.Deductions[0].Tier != 1 || f.Deductions[0].Amount != 200_000 {
		t.Errorf("deductions %+v", f.Deductions)
	}
	num, den := f.PeriodAvailability()
	if num != 44640-240-60+43200 || den != 44640-240+43200 {
		t.Errorf("period availability %d/%d", num, den)
	}
	gotVals := map[string]any{}
	for k, v := range rep.Values {
		if v.IsCategory {
			gotVals[k] = v.Category
		} else {
			gotVals[k] = v.Number
		}
	}
	want := map[string]any{
		PathOnTime: 50.0, PathResponseHours: 48.0, PathSatisfaction: 88.0, PathAvailability: 100 * float64(num) / float64(den),
		PathPerformance: 75.0, PathStabilityIncident: 1.0, PathRestoreHours: 1.0, PathBulletins: 100.0, PathDrill: DrillDelivered,
		PathSecurityIncidents: 1.0, PathReports: 50.0,
	}
	if d := cmp.Diff(want, gotVals); d != "" {
		t.Errorf("values (-want +got):\n%s", d)
	}
	if rep.Card.Total <= 0 || rep.Card.Total > 100 {
		t.Errorf("total %g", rep.Card.Total)
	}
	// An exclusion without evidence fails the whole assessment with a typed error.
	src.in.Exclusions[0].Evidence = ""
	_, err = a.Assess(context.Background(), Subject{ID: "v1"}, months)
	var ee *ExclusionError
	if !errors.As(err, &ee) || ee.ID != "e1" || ee.Field != "evidence" {
		t.Errorf("err = %v", err)
	}
}

func TestOfficeTimerChina(t *testing.T) {
	ot := NewOfficeTimer()
	// 16:00 on 30 September 2025 to 10:00 on 9 October: 1.5 h + the National Day
	// holiday (1–8 October) + 1 h.
	o := WorkOrder{ID: "w", Opened: time.Date(2025, 9, 30, 16, 0, 0, 0, cst), Due: time.Date(2025, 10, 10, 0, 0, 0, 0, cst),
		Done: time.Date(2025, 10, 9, 10, 0, 0, 0, cst)}
	s, err := Response([]WorkOrder{o}, ot, time.Date(2025, 12, 31, 0, 0, 0, 0, cst))
	if err != nil {
		t.Fatal(err)
	}
	if s.Orders[0].Working != 150*time.Minute || !s.Orders[0].OnTime {
		t.Errorf("order %+v", s.Orders[0])
	}
	// Outside the calendar's coverage: the error is passed on, naming the order.
	o.Opened, o.Due, o.Done = time.Date(1990, 1, 2, 9, 0, 0, 0, cst), time.Date(1990, 1, 3, 9, 0, 0, 0, cst), time.Time{}
	if _, err := Response([]WorkOrder{o}, ot, time.Date(1990, 2, 1, 0, 0, 0, 0, cst)); err == nil {
		t.Error("no error outside the calendar's coverage")
	}
}

func FuzzParsePPM(f *testing.F) {
	for _, s := range []string{"99.95", "99.95%", "5", "0.0001", "100", "", "1.23456", "-1", "１", "9999999", "00.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePPM(s)
		if err != nil {
			return
		}
		if p < 0 || p > 999_999_9999 {
			t.Fatalf("ParsePPM(%q) = %d out of bounds", s, p)
		}
		back, err := ParsePPM(p.String())
		if err != nil || back != p {
			t.Fatalf("round trip %q → %s → %d, %v", s, p, back, err)
		}
	})
}
