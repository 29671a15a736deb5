package assessment

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const twoLeaves = `{"id": "fam", "version": "%s", "name": "两项", "subject": "department", "indicators": [
	{"id": "a", "name": "甲", "name_en": "A", "weight_bp": %d, "direction": "higher", "normaliser": {"kind": "minmax", "min": 0, "max": 100}},
	{"id": "b", "name": "乙", "name_en": "B", "weight_bp": %d, "direction": "higher", "normaliser": {"kind": "minmax", "min": 0, "max": 100}}%s]}`

func famScheme(t testing.TB, version string, wa int, extra string) *Scheme {
	t.Helper()
	wb := 10000 - wa
	if extra != "" {
		wb -= 1000
		extra = `, {"id": "c", "name": "丙", "name_en": "C", "weight_bp": 1000, "direction": "higher", "normaliser": {"kind": "minmax", "min": 0, "max": 100}}`
	}
	s, err := ParseScheme([]byte(fmt.Sprintf(twoLeaves, version, wa, wb, extra)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var runAt = time.Date(2027, 1, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func ab(id, name string, a, b float64) Input {
	return Input{Subject: Subject{ID: id, Name: name}, Values: Values{"a": Num(a), "b": Num(b)}}
}

func TestNewRun(t *testing.T) {
	s := famScheme(t, "1", 5000, "")
	r, err := NewRun(RunSpec{ID: "r1", Kind: SubjectDepartment, Period: YearPeriod(2026), Scheme: s, ScoredAt: runAt,
		Inputs: []Input{ab("z", "Z局", 80, 80), ab("a", "A局", 60, 100), ab("m", "M局", 100, 90)}})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID    string
		Total float64
		Rank  int
		Grade string
	}
	var got []row
	for _, c := range r.Cards {
		got = append(got, row{c.SubjectID, c.Total, c.Rank, c.Grade.Name})
	}
	want := []row{{"m", 95, 1, "优秀"}, {"a", 80, 2, "良好"}, {"z", 80, 2, "良好"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("cards (-want +got):\n%s", d)
	}
	wantInfo := RunInfo{ID: "r1", Kind: SubjectDepartment, Period: YearPeriod(2026), Scheme: "fam", Version: "1",
		InputDigest: r.InputDigest, ScoredAt: runAt.UTC(), Subjects: 3}
	if d := cmp.Diff(wantInfo, r.RunInfo); d != "" {
		t.Errorf("info (-want +got):\n%s", d)
	}
	if r.ScoredAt.Location() != time.UTC {
		t.Errorf("ScoredAt not in UTC")
	}
	if err := r.Validate(); err != nil {
		t.Errorf("a new run does not validate: %v", err)
	}
	if err := r.Verify(s, []Input{ab("a", "A局", 60, 100), ab("m", "M局", 100, 90), ab("z", "Z局", 80, 80)}); err != nil {
		t.Errorf("Verify with the same inputs in another order: %v", err)
	}
}

func TestRunSpecValidate(t *testing.T) {
	s := famScheme(t, "1", 5000, "")
	ok := RunSpec{ID: "r", Kind: SubjectDepartment, Period: YearPeriod(2026), Scheme: s, ScoredAt: runAt, Inputs: []Input{ab("a", "", 1, 1)}}
	for _, tc := range []struct {
		name, field string
		fn          func(*RunSpec)
	}{
		{"no id", "id", func(r *RunSpec) { r.ID = "" }},
		{"long id", "id", func(r *RunSpec) { r.ID = strings.Repeat("x", 129) }},
		{"control char", "id", func(r *RunSpec) { r.ID = "a\x00" }},
		{"kind", "kind", func(r *RunSpec) { r.Kind = "dept" }},
		{"scheme of the other kind", "scheme", func(r *RunSpec) { r.Kind = SubjectVendor }},
		{"period", "period", func(r *RunSpec) { r.Period = Period{} }},
		{"no scheme", "scheme", func(r *RunSpec) { r.Scheme = nil }},
		{"no inputs", "inputs", func(r *RunSpec) { r.Inputs = nil }},
		{"empty subject", "inputs[1].subject.id", func(r *RunSpec) { r.Inputs = append(r.Inputs, ab("", "", 1, 1)) }},
		{"twice", "inputs[1].subject.id", func(r *RunSpec) { r.Inputs = append(r.Inputs, ab("a", "", 2, 2)) }},
		{"no time", "scored_at", func(r *RunSpec) { r.ScoredAt = time.Time{} }},
		{"supersedes itself", "supersedes", func(r *RunSpec) { r.Supersedes = "r" }},
	} {
		spec := ok
		spec.Inputs = append([]Input(nil), ok.Inputs...)
		tc.fn(&spec)
		_, err := NewRun(spec)
		var re *RunError
		if !errors.Is(err, ErrInvalidRun) || !errors.As(err, &re) || re.Field != tc.field {
			t.Errorf("%s: %v, want *RunError on %q", tc.name, err, tc.field)
		}
	}
	spec := ok
	spec.Inputs = []Input{{Subject: Subject{ID: "a"}, Values: Values{"a": Cat("x")}}}
	if _, err := NewRun(spec); !errors.Is(err, ErrWrongKind) || !strings.Contains(err.Error(), `subject "a"`) {
		t.Errorf("a value out of range: %v", err)
	}
}

func TestInputDigest(t *testing.T) {
	s := famScheme(t, "1", 5000, "")
	in := []Input{ab("a", "A", 60, 100), ab("b", "B", 70, 20)}
	base, err := InputDigest(s, in)
	if err != nil || len(base) != 64 {
		t.Fatalf("InputDigest = %q, %v", base, err)
	}
	same, _ := InputDigest(famScheme(t, "1", 5000, ""), []Input{in[1], in[0]})
	if same != base {
		t.Errorf("the digest depends on input order or on the scheme's identity")
	}
	for name, other := range map[string]func() (string, error){
		"a value": func() (string, error) {
			return InputDigest(s, []Input{ab("a", "A", 60, 100), ab("b", "B", 70, 20.000001)})
		},
		"a note": func() (string, error) {
			return InputDigest(s, []Input{in[0], {in[1].Subject, Values{"a": Num(70).WithNote("x", "x"), "b": Num(20)}}})
		},
		"a name":       func() (string, error) { return InputDigest(s, []Input{ab("a", "甲", 60, 100), in[1]}) },
		"a weight":     func() (string, error) { return InputDigest(famScheme(t, "1", 5001, ""), in) },
		"the version":  func() (string, error) { return InputDigest(famScheme(t, "2", 5000, ""), in) },
		"a subject":    func() (string, error) { return InputDigest(s, in[:1]) },
		"missing flag": func() (string, error) { return InputDigest(s, []Input{in[0], {in[1].Subject, Values{"a": Num(70)}}}) },
	} {
		d, err := other()
		if err != nil || d == base {
			t.Errorf("changing %s does not change the digest (%v)", name, err)
		}
	}
}

func TestVerify(t *testing.T) {
	s := famScheme(t, "1", 5000, "")
	in := []Input{ab("a", "A", 60, 100), ab("b", "B", 70, 20)}
	r, err := NewRun(RunSpec{ID: "r", Kind: SubjectDepartment, Period: YearPeriod(2026), Scheme: s, ScoredAt: runAt, Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, err error, inputsChanged bool, diffs []string) {
		t.Helper()
		var re *ReproductionError
		if !errors.Is(err, ErrNotReproduced) || !errors.As(err, &re) {
			t.Fatalf("%s: %v, want *ReproductionError", name, err)
		}
		if d := cmp.Diff(diffs, re.Differences); d != "" || re.InputsChanged != inputsChanged {
			t.Errorf("%s: inputs changed %v (-want +got):\n%s", name, re.InputsChanged, d)
		}
	}
	// Other inputs.
	check("changed value", r.Verify(s, []Input{ab("a", "A", 60, 100), ab("b", "B", 70, 30)}), true,
		[]string{"b: total 50 ≠ 45", "b/b: score 30 ≠ 20"})
	// Same inputs, a stored run that was altered (or scored by other code).
	bad := r.Clone()
	bad.Cards[0].Lines[0].Text = "改过"
	bad.Cards[1].Rank = 1
	check("altered run", bad.Verify(s, in), false,
		[]string{`a/a: explanation "甲 60,区间 0–100,得 60 分,权重 50%,贡献 30.0 分" ≠ "改过"`, "b: rank 2 ≠ 1"})
	check("a subject left out", r.Verify(s, in[:1]), true, []string{"b: not among the inputs"})
	check("another scheme version", r.Verify(famScheme(t, "2", 5000, ""), in), true, []string{"scheme fam@2 ≠ fam@1"})
}
