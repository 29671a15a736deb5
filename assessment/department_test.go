package assessment

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

func TestPercentileMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 500; iter++ {
		n := 1 + r.IntN(200)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(r.IntN(50)) // many ties
		}
		p := []float64{50, 90, 95, 99, 100, 0.1}[r.IntN(6)]
		sorted := slices.Clone(xs)
		slices.Sort(sorted)
		k := int(math.Ceil(p / 100 * float64(n)))
		want := sorted[max(k, 1)-1]
		if got := Percentile(xs, p); got != want {
			t.Fatalf("n=%d p=%g: got %g want %g", n, p, got, want)
		}
	}
	if !math.IsNaN(Percentile(nil, 95)) || !math.IsNaN(Percentile([]float64{1}, 0)) {
		t.Error("want NaN for empty input or p=0")
	}
	// nearest rank: p95 of 1..20 is the 19th value.
	xs := make([]float64, 20)
	for i := range xs {
		xs[i] = float64(20 - i)
	}
	if got := Percentile(xs, 95); got != 19 {
		t.Errorf("p95(1..20) = %g, want 19", got)
	}
}

var day0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// daily returns n daily samples starting at start, all with the given levels.
func daily(start time.Time, n int, cpu, mem float64, net int64) []Sample {
	out := make([]Sample, n)
	for i := range out {
		out[i] = Sample{Start: start.AddDate(0, 0, i), Span: 24 * time.Hour, CPU: cpu, Mem: mem, NetBytes: net}
	}
	return out
}

func TestClassify(t *testing.T) {
	o := DefaultEfficiencyOptions()
	at := day0.AddDate(0, 0, 60)
	vm := Resource{ID: "r1", Kind: "vm", Size: "4c8g"}
	spikes := daily(day0, 60, 3, 20, 1_000_000)
	for i := 50; i < 60; i++ { // 10 of the last 14 days busy: p95 high
		spikes[i].CPU = 70
	}
	tests := []struct {
		name      string
		res       Resource
		samples   []Sample
		kind      FindingKind
		suggested string
		coverage  time.Duration
		window    time.Duration
	}{
		{"idle", vm, daily(day0, 60, 3, 20, 1_000_000), Idle, "", 14 * 24 * time.Hour, 14 * 24 * time.Hour},
		{"busy network is not idle but over-provisioned", vm, daily(day0, 60, 3, 20, 50_000_000), Overprovisioned, "2c4g", 30 * 24 * time.Hour, 30 * 24 * time.Hour},
		{"over-provisioned smallest size", Resource{ID: "r2", Kind: "vm", Size: "1c2g"}, daily(day0, 60, 30, 30, 50_000_000), Overprovisioned, "", 30 * 24 * time.Hour, 30 * 24 * time.Hour},
		{"memory busy: normal", vm, daily(day0, 60, 30, 60, 50_000_000), Normal, "", 14 * 24 * time.Hour, 14 * 24 * time.Hour},
		{"CPU spikes: not idle, not over", vm, spikes, Normal, "", 14 * 24 * time.Hour, 14 * 24 * time.Hour},
		{"one day of data: insufficient, never idle", vm, daily(at.AddDate(0, 0, -1), 1, 0, 0, 0), InsufficientData, "", 24 * time.Hour, 14 * 24 * time.Hour},
		{"no data", vm, nil, InsufficientData, "", 0, 14 * 24 * time.Hour},
		{"old data only", vm, daily(day0, 20, 0, 0, 0), InsufficientData, "", 0, 14 * 24 * time.Hour},
		{"two days is enough", vm, daily(at.AddDate(0, 0, -2), 2, 1, 1, 0), Idle, "", 48 * time.Hour, 14 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckSamples(tt.res.ID, tt.samples); err != nil {
				t.Fatal(err)
			}
			f, _ := o.Classify(tt.res, tt.samples, at, nil)
			if f.Kind != tt.kind || f.Suggested != tt.suggested || f.Coverage != tt.coverage || f.Window != tt.window {
				t.Errorf("got %v suggested %q coverage %v window %v; want %v %q %v %v", f.Kind, f.Suggested, f.Coverage, f.Window,
					tt.kind, tt.suggested, tt.coverage, tt.window)
			}
			if f.At != at || !f.From.Equal(at.Add(-f.Window)) {
				t.Errorf("window %v..%v", f.From, f.At)
			}
			if f.Sentence("zh") == "" || f.Sentence("en") == "" {
				t.Error("empty sentence")
			}
		})
	}
}

func TestClassifyNetworkThresholdUsesCoveredDays(t *testing.T) {
	o := DefaultEfficiencyOptions()
	at := day0.AddDate(0, 0, 30)
	// 7 days of data with 4.9 MB a day: idle (per covered day), though the window is 14 days.
	s := daily(at.AddDate(0, 0, -7), 7, 1, 1, 4_900_000)
	f, _ := o.Classify(Resource{ID: "r"}, s, at, nil)
	if f.Kind != Idle || math.Abs(f.NetPerDay-4_900_000) > 1e-6 {
		t.Errorf("kind %v net/day %g", f.Kind, f.NetPerDay)
	}
	s = daily(at.AddDate(0, 0, -7), 7, 1, 1, 5_000_000)
	if f, _ := o.Classify(Resource{ID: "r"}, s, at, nil); f.Kind == Idle {
		t.Errorf("5 MB a day is not below 5 MB: %v", f.Kind)
	}
	if got := f.CoverageRatio(); got != 0.5 {
		t.Errorf("coverage ratio %g", got)
	}
}

func TestCheckSamples(t *testing.T) {
	good := daily(day0, 3, 1, 1, 1)
	tests := []struct {
		name  string
		mod   func([]Sample)
		field string
		err   error
	}{
		{"cpu", func(s []Sample) { s[1].CPU = 130 }, "cpu", ErrOutOfRange},
		{"mem", func(s []Sample) { s[2].Mem = -1 }, "mem", ErrOutOfRange},
		{"net", func(s []Sample) { s[0].NetBytes = -5 }, "net_bytes", ErrOutOfRange},
		{"span", func(s []Sample) { s[0].Span = 0 }, "span", ErrInvalidRecord},
		{"overlap", func(s []Sample) { s[1].Start = s[0].Start.Add(time.Hour) }, "start", ErrInvalidRecord},
		{"nan", func(s []Sample) { s[1].CPU = math.NaN() }, "cpu", ErrOutOfRange},
	}
	for _, tt := range tests {
		s := slices.Clone(good)
		tt.mod(s)
		err := CheckSamples("vm-1", s)
		var re *RecordError
		if !errors.As(err, &re) || re.Field != tt.field || !errors.Is(err, tt.err) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
}

func TestEfficiencyOptionsValidate(t *testing.T) {
	mods := map[string]func(*EfficiencyOptions){
		"IdleWindow":      func(o *EfficiencyOptions) { o.IdleWindow = 0 },
		"OverCPUPercent":  func(o *EfficiencyOptions) { o.OverCPUPercent = 101 },
		"MinCoverage":     func(o *EfficiencyOptions) { o.MinCoverage = 20 * 24 * time.Hour },
		"Percentile":      func(o *EfficiencyOptions) { o.Percentile = 0 },
		"SizeLadders[vm]": func(o *EfficiencyOptions) { o.SizeLadders["vm"] = []string{"a", "a"} },
	}
	for field, mod := range mods {
		o := DefaultEfficiencyOptions()
		mod(&o)
		var oe *OptionError
		if err := o.Validate(); !errors.As(err, &oe) || oe.Field != field || !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: err = %v", field, err)
		}
	}
	o := DefaultDepartmentOptions()
	if err := o.Validate(); err != nil {
		t.Error(err)
	}
}

func TestAdoptionAndSecurity(t *testing.T) {
	a, err := Adoption([]SystemRecord{{ID: "a", OnPlatform: true}, {ID: "b"}, {ID: "c", OnPlatform: true}, {ID: "d", OnPlatform: true}})
	if err != nil || a != (AdoptionResult{Systems: 4, OnPlatform: 3}) || a.Percent() != 75 {
		t.Errorf("adoption %+v %v", a, err)
	}
	if _, err := Adoption([]SystemRecord{{ID: "a"}, {ID: "a"}}); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("duplicate: %v", err)
	}
	o := DefaultDepartmentOptions()
	until := calendar.Date{Year: 2026, Month: 12, Day: 31}
	expired := calendar.Date{Year: 2026, Month: 6, Day: 30}
	sec, err := o.Security([]SystemSecurity{
		{SystemID: "a", OpenVulns: [4]int{1, 2, 0, 3}, Incidents: 1, Level: 3, AssessedUntil: &until},
		{SystemID: "b", OpenVulns: [4]int{0, 0, 4, 0}, OverdueFixes: 2, Level: 2, AssessedUntil: &expired},
		{SystemID: "c", Level: 2},
	}, calendar.Date{Year: 2026, Month: 12, Day: 31})
	want := SecuritySummary{Systems: 3, OpenVulns: [4]int{1, 2, 4, 3}, VulnPoints: 10 + 10 + 8 + 3, Incidents: 1, OverdueFixes: 2, DengbaoCurrent: 1}
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, sec); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if _, err := o.Security([]SystemSecurity{{SystemID: "x", Level: 7}}, until); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("level 7: %v", err)
	}
}

// ---- fakes for the department assessor ----

type fakeDept struct {
	systems  map[string][]SystemRecord
	res      map[string][]Resource
	samples  map[string][]Sample
	costPerH int64 // 分 per hour for every resource
	security map[string][]SystemSecurity
}

func (f *fakeDept) Systems(_ context.Context, d string) ([]SystemRecord, error) {
	return f.systems[d], nil
}
func (f *fakeDept) Resources(_ context.Context, d string) ([]Resource, error) { return f.res[d], nil }
func (f *fakeDept) AppendSamples(_ context.Context, dst []Sample, id string, from, to time.Time) ([]Sample, error) {
	for _, s := range f.samples[id] {
		if !s.Start.Before(from) && s.Start.Before(to) {
			dst = append(dst, s)
		}
	}
	return dst, nil
}
func (f *fakeDept) Cost(_ context.Context, _ string, from, to time.Time) (int64, error) {
	return f.costPerH * int64(to.Sub(from)/time.Hour), nil
}
func (f *fakeDept) SystemSecurity(_ context.Context, d string) ([]SystemSecurity, error) {
	return f.security[d], nil
}

func TestDepartmentAssessor(t *testing.T) {
	until := calendar.Date{Year: 2027, Month: 6, Day: 30}
	f := &fakeDept{
		systems: map[string][]SystemRecord{"fin": {{ID: "s1", OnPlatform: true}, {ID: "s2", OnPlatform: true}, {ID: "s3", OnPlatform: true}, {ID: "s4"}}},
		res: map[string][]Resource{"fin": {
			{ID: "busy", Kind: "vm", Size: "4c8g"}, {ID: "idle", Kind: "vm", Size: "4c8g"},
			{ID: "big", Kind: "vm", Size: "8c16g"}, {ID: "new", Kind: "vm", Size: "2c4g"},
		}},
		samples: map[string][]Sample{
			"busy": daily(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 61, 70, 70, 1e9),
			"idle": daily(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 61, 1, 10, 1000),
			"big":  daily(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 61, 20, 20, 1e9),
			"new":  daily(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), 1, 1, 1, 0),
		},
		costPerH: 100,
		security: map[string][]SystemSecurity{"fin": {
			{SystemID: "s1", Level: 3, AssessedUntil: &until}, {SystemID: "s2", Level: 2, OpenVulns: [4]int{0, 1, 0, 0}},
			{SystemID: "s3", Level: 2, AssessedUntil: &until},
		}},
	}
	scheme, err := DepartmentScheme()
	if err != nil {
		t.Fatal(err)
	}
	a := &DepartmentAssessor{Scheme: scheme, Options: DefaultDepartmentOptions(), Register: f, Resources: f, Utilisation: f, Cost: f, Security: f}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	rep, err := a.Assess(context.Background(), Subject{ID: "fin", Name: "财政局"}, []time.Time{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	e := rep.Facts.Efficiency
	const window = 14 * 24 * 100 // 分 per 14-day window
	gotCounts := []int64{int64(e.Assessed), int64(e.Idle), int64(e.Overprovisioned), int64(e.InsufficientData), e.IdleCost, e.AssessedCost}
	if d := cmp.Diff([]int64{3, 1, 1, 1, window, 3 * window}, gotCounts); d != "" {
		t.Errorf("efficiency counts (-want +got):\n%s", d)
	}
	kinds := map[string]FindingKind{}
	for _, fd := range e.Findings {
		kinds[fd.ResourceID] = fd.Kind
		if fd.ResourceID == "big" && fd.Suggested != "4c8g" {
			t.Errorf("big: suggested %q", fd.Suggested)
		}
	}
	if d := cmp.Diff(map[string]FindingKind{"idle": Idle, "big": Overprovisioned, "new": InsufficientData}, kinds); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	wantVals := map[string]float64{
		PathAdoption: 75, PathIdle: 100.0 / 3, PathOverprovisioned: 100.0 / 3, PathIdleCost: 100.0 / 3,
		PathVulnerabilities: 5.0 / 3, PathDeptIncidents: 0, PathOverdueFixes: 0, PathDengbaoCurrent: 200.0 / 3,
	}
	gotVals := map[string]float64{}
	for k, v := range rep.Values {
		gotVals[k] = v.Number
	}
	if d := cmp.Diff(wantVals, gotVals, cmp.Comparer(func(x, y float64) bool { return math.Abs(x-y) < 1e-9 })); d != "" {
		t.Errorf("values (-want +got):\n%s", d)
	}
	// adoption 75·0.3 + efficiency (100−33.3/30·100→0, 100−33.3·2=33.3, 100−33.3·5→0) …
	idleScore := 0.0
	overScore := 100 - 100.0/3*2
	costScore := 0.0
	eff := (idleScore*4000 + overScore*3000 + costScore*3000) / 10000
	vuln := 100 - 5.0/3*5
	sec := (vuln*3000 + 100*2500 + 100*2000 + 0*2500) / 10000 // dengbao 66.7 % is below the 80 % threshold: 0
	want := round4(75*0.3 + eff*0.3 + sec*0.4)
	if rep.Card.Total != want {
		t.Errorf("total %g, want %g", rep.Card.Total, want)
	}
	// Missing register: adoption left out, weights re-normalised.
	f.systems["fin"] = nil
	rep, err = a.Assess(context.Background(), Subject{ID: "fin"}, []time.Time{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := rep.Card.Line(PathAdoption); !l.Missing {
		t.Errorf("adoption line %+v", l)
	}
	// Bad sample: typed error naming the resource.
	f.samples["busy"][50].CPU = 101 // 2026-12-21
	_, err = a.Assess(context.Background(), Subject{ID: "fin"}, []time.Time{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	var re *RecordError
	if !errors.As(err, &re) || re.ID != "busy@2026-12-21T00:00:00Z" || !errors.Is(err, ErrOutOfRange) {
		t.Errorf("err = %v", err)
	}
}

func TestLabels(t *testing.T) {
	got := []string{Critical.String(), Low.English(), Severity(9).String(), Idle.String(), InsufficientData.English(),
		Maintenance.Label(), DepartmentFault.English(), FindingKind(7).String()}
	want := []string{"严重", "low", "Severity(9)", "闲置", "insufficient data", "已公告的计划维护", "caused by the department", "FindingKind(7)"}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

func TestFindingJSON(t *testing.T) {
	f := Finding{ResourceID: "r", Kind: Overprovisioned, At: day0, From: day0.AddDate(0, 0, -30), Window: 30 * 24 * time.Hour,
		Coverage: 29 * 24 * time.Hour, Samples: 29, CPUP: 12, MemP: 30, NetPerDay: 1e6, Suggested: "2c4g"}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back Finding
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(f, back); d != "" || !strings.Contains(string(b), `"kind":"overprovisioned"`) {
		t.Errorf("%s\n%s", b, d)
	}
	if err := json.Unmarshal([]byte(`{"kind":"sleepy"}`), &back); err == nil {
		t.Error("unknown kind accepted")
	}
}
