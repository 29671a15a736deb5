package assessment

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

func TestParseSchemeReportsEveryProblem(t *testing.T) {
	doc := `{
	  "id": "bad", "version": "1", "name": "坏方案", "effective_from": "2026-01-01", "colour": "red",
	  "indicators": [
	    {"id": "a", "name": "A", "weight_bp": 6000, "direction": "higher", "normaliser": {"kind": "minmax", "min": 0, "max": 100, "bogus": 1}},
	    {"id": "g", "name": "G", "weight_bp": 3000, "children": [
	      {"id": "x", "name": "X", "weight_bp": 5000, "direction": "up", "normaliser": {"kind": "minmax", "min": 5, "max": 5}},
	      {"id": "y", "name": "Y", "weight_bp": 4000, "direction": "higher", "normaliser": {"kind": "zigzag"}, "extra": true}
	    ]}
	  ]
	}`
	_, err := ParseScheme([]byte(doc))
	var se *SchemeError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *SchemeError", err)
	}
	var got []string
	for _, p := range se.Problems {
		got = append(got, p.Path)
	}
	want := []string{"colour", "a.normaliser.bogus", "g/y.extra"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("unknown-field problems (-want +got):\n%s", d)
	}
	if !errors.Is(err, ErrUnknownField) || !errors.Is(err, ErrInvalidScheme) {
		t.Errorf("err does not match sentinels: %v", err)
	}

	// Without the unknown fields the semantic problems all show up together.
	doc = strings.NewReplacer(`, "colour": "red"`, "", `, "bogus": 1`, "", `, "extra": true`, "").Replace(doc)
	_, err = ParseScheme([]byte(doc))
	if !errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
	got = nil
	for _, p := range se.Problems {
		got = append(got, p.String())
	}
	want = []string{
		`g/x: direction "up": want higher or lower`,
		"g/x: minmax: need min < max, got min 5, max 5",
		`g/y: normaliser kind "zigzag": want minmax, target, ladder or lookup`,
		"g: weights of 2 children sum to 9000 bp (90%), want 10000 bp (100%)",
		"(top level): weights of 2 children sum to 9000 bp (90%), want 10000 bp (100%)",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	if !errors.Is(err, ErrWeightSum) {
		t.Errorf("want ErrWeightSum in %v", err)
	}
}

func TestSchemeValidation(t *testing.T) {
	mm := func() *Normaliser { return &Normaliser{Kind: MinMax, Max: 1} }
	tests := []struct {
		name string
		s    *Scheme
		want string // substring of the first problem
	}{
		{"no id", &Scheme{Name: "n", Indicators: []*Indicator{leaf("a", 10000, HigherBetter, mm())}}, "id: scheme id is empty"},
		{"no indicators", &Scheme{ID: "s", Name: "n"}, "indicators: scheme has no indicators"},
		{"bad id", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{leaf("A B", 10000, HigherBetter, mm())}}, "A B: indicator id"},
		{"duplicate", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{leaf("a", 5000, HigherBetter, mm()), leaf("a", 5000, HigherBetter, mm())}}, "a: duplicate indicator id"},
		{"zero weight", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{leaf("a", 0, HigherBetter, mm()), leaf("b", 10000, HigherBetter, mm())}}, "a: weight 0 bp outside"},
		{"leaf no normaliser", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{leaf("a", 10000, HigherBetter, nil)}}, "a: leaf indicator has no normaliser"},
		{"target inverted", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{leaf("a", 10000, HigherBetter, &Normaliser{Kind: Target, Target: 90, Threshold: 95})}}, "higher-is-better needs target"},
		{"ladder not monotone", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{leaf("a", 10000, HigherBetter, &Normaliser{Kind: Ladder, Steps: []Step{{90, 60}, {95, 100}}})}}, "strictly falling bounds"},
		{"ladder scores rise", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{leaf("a", 10000, LowerBetter, &Normaliser{Kind: Ladder, Steps: []Step{{0, 60}, {1, 100}}})}}, "above the better step"},
		{"lookup empty", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{{ID: "a", Name: "a", Weight: 10000, Norm: &Normaliser{Kind: Lookup}}}}, "lookup: empty table"},
		{"lookup with direction", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{{ID: "a", Name: "a", Weight: 10000, Dir: HigherBetter, Norm: &Normaliser{Kind: Lookup, Table: map[string]float64{"x": 1}}}}}, "lookup indicator takes no direction"},
		{"bad policy", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{{ID: "a", Name: "a", Weight: 10000, Dir: HigherBetter, Norm: mm(), Policy: "maybe"}}}, `missing-data policy "maybe"`},
		{"range inverted", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{{ID: "a", Name: "a", Weight: 10000, Dir: HigherBetter, Norm: mm(), Range: &Range{Min: f64(2), Max: f64(1)}}}}, "range min 2 > max 1"},
		{"bad date", &Scheme{ID: "s", Name: "n", EffectiveFrom: calendar.Date{Year: 2026, Month: 2, Day: 30}, Indicators: []*Indicator{leaf("a", 10000, HigherBetter, mm())}}, "effective_from: 2026-02-30 is not a valid date"},
		{"huge parameter", &Scheme{ID: "s", Name: "n", Indicators: []*Indicator{leaf("a", 10000, HigherBetter, &Normaliser{Kind: MinMax, Min: -1e300, Max: 1e300})}}, "outside ±1e12"},
		{"bad grades", &Scheme{ID: "s", Name: "n", Grades: GradeBands{{Name: "A", Min: 50}}, Indicators: []*Indicator{leaf("a", 10000, HigherBetter, mm())}}, "grades: invalid grade bands"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			var se *SchemeError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
			if !strings.Contains(se.Problems[0].String(), tt.want) {
				t.Errorf("first problem %q does not contain %q", se.Problems[0], tt.want)
			}
		})
	}
}

func TestPresetsRoundTrip(t *testing.T) {
	for _, id := range []string{DepartmentSchemeID, VendorSchemeID} {
		s, err := Preset(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ParseScheme(b)
		if err != nil {
			t.Fatalf("%s: reparse: %v", id, err)
		}
		l1, _ := s.Leaves()
		l2, _ := s2.Leaves()
		if d := cmp.Diff(l1, l2); d != "" || s2.EffectiveFrom != (calendar.Date{Year: 2026, Month: 1, Day: 1}) {
			t.Errorf("%s: leaves differ or date %v:\n%s", id, s2.EffectiveFrom, d)
		}
	}
	d, _ := DepartmentScheme()
	leaves, _ := d.Leaves()
	want := []string{PathAdoption, PathIdle, PathOverprovisioned, PathIdleCost, PathVulnerabilities, PathDeptIncidents, PathOverdueFixes, PathDengbaoCurrent}
	if diff := cmp.Diff(want, leaves); diff != "" {
		t.Errorf("department leaves (-want +got):\n%s", diff)
	}
	v, _ := VendorScheme()
	leaves, _ = v.Leaves()
	want = []string{PathOnTime, PathResponseHours, PathSatisfaction, PathAvailability, PathPerformance, PathStabilityIncident,
		PathRestoreHours, PathBulletins, PathDrill, PathSecurityIncidents, PathReports}
	if diff := cmp.Diff(want, leaves); diff != "" {
		t.Errorf("vendor leaves (-want +got):\n%s", diff)
	}
	if _, err := Preset("nope"); err == nil {
		t.Error("unknown preset loaded")
	}
}

func TestSchemeSet(t *testing.T) {
	mk := func(ver string, from calendar.Date) *Scheme {
		s := threeLeaves(Renormalise)
		s.ID, s.Version, s.EffectiveFrom = "fam", ver, from
		return s
	}
	set, err := NewSchemeSet(mk("2025", calendar.Date{Year: 2025, Month: 1, Day: 1}), mk("2026", calendar.Date{Year: 2026, Month: 7, Day: 1}), mk("2024", calendar.Date{Year: 2024, Month: 1, Day: 1}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		on   calendar.Date
		want string
	}{{calendar.Date{Year: 2024, Month: 6, Day: 1}, "2024"}, {calendar.Date{Year: 2025, Month: 1, Day: 1}, "2025"}, {calendar.Date{Year: 2026, Month: 6, Day: 30}, "2025"}, {calendar.Date{Year: 2026, Month: 7, Day: 1}, "2026"}, {calendar.Date{Year: 2030, Month: 1, Day: 1}, "2026"}} {
		s, err := set.InForce("fam", tt.on)
		if err != nil || s.Version != tt.want {
			t.Errorf("InForce(%v) = %v, %v; want %s", tt.on, s, err, tt.want)
		}
	}
	if _, err := set.InForce("fam", calendar.Date{Year: 2023, Month: 12, Day: 31}); !errors.Is(err, ErrNoSchemeInForce) {
		t.Errorf("before all: %v", err)
	}
	if _, err := set.InForce("other", calendar.Date{Year: 2026, Month: 1, Day: 1}); !errors.Is(err, ErrNoSchemeInForce) {
		t.Errorf("unknown family: %v", err)
	}
	if _, err := NewSchemeSet(mk("a", calendar.Date{Year: 2025, Month: 1, Day: 1}), mk("b", calendar.Date{Year: 2025, Month: 1, Day: 1})); !errors.Is(err, ErrInvalidScheme) {
		t.Errorf("same date twice: %v", err)
	}
	broken := mk("x", calendar.Date{Year: 2027, Month: 1, Day: 1})
	broken.Indicators[0].Weight = 1
	if _, err := NewSchemeSet(broken); !errors.Is(err, ErrWeightSum) {
		t.Errorf("broken scheme: %v", err)
	}
	if got := len(set.Versions("fam")); got != 3 {
		t.Errorf("versions %d", got)
	}
	if _, err := Presets(); err != nil {
		t.Error(err)
	}
}

func FuzzParseScheme(f *testing.F) {
	for _, id := range []string{DepartmentSchemeID, VendorSchemeID} {
		b, err := PresetJSON(id)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"x","name":"x","indicators":[{"id":"a","name":"a","weight_bp":10000,"direction":"lower","missing":"zero","normaliser":{"kind":"target","target":1,"threshold":4}}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"id":"x","name":"x","indicators":[{"id":"a","name":"a","weight_bp":10000,"normaliser":{"kind":"lookup","table":{"":200}}}]}`))
	f.Add([]byte(`{"id":"x","name":"x","effective_from":"2026-02-30","indicators":null}`))
	f.Add([]byte(`{"id":"x","name":"x","indicators":[{"id":"g","name":"g","weight_bp":10000,"children":[{"id":"g","name":"g","weight_bp":10000,"children":[]}]}]}`))
	f.Add([]byte(`{"id":"x","name":"x","grades":[{"name":"A","min":1e400}],"indicators":[]} trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseScheme(data)
		if err != nil {
			var se *SchemeError
			if !errors.As(err, &se) || len(se.Problems) == 0 || !errors.Is(err, ErrInvalidScheme) {
				t.Fatalf("error %v is not a *SchemeError with problems", err)
			}
			return
		}
		// A loaded scheme is valid, re-encodes to a loadable document, and scores an empty
		// value set either with ErrNoData or (zero policies) a total within 0..100.
		if err := s.Validate(); err != nil {
			t.Fatalf("loaded scheme does not validate: %v", err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseScheme(b); err != nil {
			t.Fatalf("re-encoded scheme does not load: %v\n%s", err, b)
		}
		card, err := s.Score(Subject{ID: "f"}, nil)
		if err == nil && (card.Total < 0 || card.Total > 100) {
			t.Fatalf("total %g", card.Total)
		}
		if err != nil && !errors.Is(err, ErrNoData) && !errors.Is(err, ErrMissingValue) {
			t.Fatalf("score: %v", err)
		}
	})
}

func TestParseSchemeTypeErrors(t *testing.T) {
	doc := `{"id": "t", "name": "类型", "effective_from": "2026-13-01", "indicators": [
	  {"id": "a", "name": "A", "weight_bp": "5000", "direction": "higher", "normaliser": {"kind": "minmax", "max": "100"}},
	  {"id": "g", "name": "G", "weight_bp": 2500.5, "children": [
	    {"id": "l", "name": 7, "weight_bp": 10000, "normaliser": {"kind": "lookup", "table": {"x": "high"}}}]},
	  {"id": "b", "name": "B", "weight_bp": 99999999999, "direction": "higher", "normaliser": [], "range": {"min": true}},
	  "oops"
	]}`
	_, err := ParseScheme([]byte(doc))
	var se *SchemeError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, p := range se.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`effective_from: want a date "YYYY-MM-DD"`,
		"a.normaliser.max: want a number",
		"a.weight_bp: want an integer",
		"g/l.name: want a string",
		`g/l.normaliser.table["x"]: want a number`,
		"g.weight_bp: want an integer",
		"b.normaliser: want an object",
		"b.range.min: want a number",
		"b.weight_bp: want an integer",
		"#4: want an object",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if _, err := ParseScheme([]byte(`[1, 2]`)); !errors.As(err, &se) || se.Problems[0].String() != "(document): want an object" {
		t.Errorf("array document: %v", err)
	}
	if _, err := ParseScheme([]byte(`{"id": "x"} {}`)); !errors.Is(err, ErrInvalidScheme) {
		t.Errorf("trailing data: %v", err)
	}
	if _, err := ParseScheme([]byte(`{"id": `)); !errors.Is(err, ErrInvalidScheme) {
		t.Errorf("truncated: %v", err)
	}
}

func TestEffectiveFromText(t *testing.T) {
	const body = `"name": "n", "indicators": [{"id": "a", "name": "A", "weight_bp": 10000, "direction": "higher", "normaliser": {"kind": "minmax", "min": 0, "max": 1}}]`
	for _, tc := range []struct {
		field string
		want  calendar.Date
		out   string
	}{
		{``, calendar.Date{}, `"effective_from":""`},
		{`"effective_from": "",`, calendar.Date{}, `"effective_from":""`},
		{`"effective_from": null,`, calendar.Date{}, `"effective_from":""`},
		{`"effective_from": "2027-01-01",`, calendar.Date{Year: 2027, Month: time.January, Day: 1}, `"effective_from":"2027-01-01"`},
	} {
		s, err := ParseScheme([]byte(`{"id": "s", ` + tc.field + body + `}`))
		if err != nil {
			t.Fatalf("%s: %v", tc.field, err)
		}
		if d := cmp.Diff(tc.want, s.EffectiveFrom); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.field, d)
		}
		b, err := json.Marshal(s)
		if err != nil || !strings.Contains(string(b), tc.out) {
			t.Errorf("%s: marshalled %s, %v; want it to contain %s", tc.field, b, err, tc.out)
		}
	}
	var m Month
	if err := m.UnmarshalText([]byte("2026-13")); err == nil {
		t.Error("month 13 accepted")
	}
}
