package assessment

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func f64(x float64) *float64 { return &x }

func leaf(id string, w Weight, dir Direction, n *Normaliser) *Indicator {
	return &Indicator{ID: id, Name: id, Weight: w, Dir: dir, Norm: n}
}

func TestNormalise(t *testing.T) {
	tests := []struct {
		name string
		dir  Direction
		n    Normaliser
		x    float64
		want float64
	}{
		{"minmax mid", HigherBetter, Normaliser{Kind: MinMax, Min: 0, Max: 200}, 50, 25},
		{"minmax below clamps", HigherBetter, Normaliser{Kind: MinMax, Min: 10, Max: 20}, 5, 0},
		{"minmax above clamps", HigherBetter, Normaliser{Kind: MinMax, Min: 10, Max: 20}, 25, 100},
		{"minmax lower", LowerBetter, Normaliser{Kind: MinMax, Min: 0, Max: 30}, 6, 80},
		{"target reached", HigherBetter, Normaliser{Kind: Target, Target: 99.9, Threshold: 99.2}, 99.95, 100},
		{"target at threshold", HigherBetter, Normaliser{Kind: Target, Target: 99.9, Threshold: 99.2}, 99.2, 60},
		{"target halfway", HigherBetter, Normaliser{Kind: Target, Target: 100, Threshold: 90}, 95, 80},
		{"target below threshold", HigherBetter, Normaliser{Kind: Target, Target: 100, Threshold: 90}, 89.99, 0},
		{"target custom threshold score", HigherBetter, Normaliser{Kind: Target, Target: 100, Threshold: 50, ThresholdScore: f64(0)}, 75, 50},
		{"target lower", LowerBetter, Normaliser{Kind: Target, Target: 1, Threshold: 4}, 2.5, 80},
		{"target lower beyond", LowerBetter, Normaliser{Kind: Target, Target: 1, Threshold: 4}, 4.5, 0},
		{"ladder top", HigherBetter, Normaliser{Kind: Ladder, Steps: []Step{{99.95, 100}, {99.9, 90}}, Otherwise: 10}, 99.97, 100},
		{"ladder second", HigherBetter, Normaliser{Kind: Ladder, Steps: []Step{{99.95, 100}, {99.9, 90}}, Otherwise: 10}, 99.9, 90},
		{"ladder otherwise", HigherBetter, Normaliser{Kind: Ladder, Steps: []Step{{99.95, 100}, {99.9, 90}}, Otherwise: 10}, 99, 10},
		{"ladder lower", LowerBetter, Normaliser{Kind: Ladder, Steps: []Step{{0, 100}, {2, 70}}}, 1, 70},
		{"ladder lower worst", LowerBetter, Normaliser{Kind: Ladder, Steps: []Step{{0, 100}, {2, 70}}}, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.n
			s := &Scheme{ID: "s", Name: "s", Indicators: []*Indicator{leaf("x", 10000, tt.dir, &n)}}
			card, err := s.Score(Subject{ID: "a"}, Values{"x": Num(tt.x)})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(card.Total-tt.want) > 1e-9 {
				t.Errorf("score(%g) = %g, want %g", tt.x, card.Total, tt.want)
			}
		})
	}
}

// threeLeaves: a (50 %), b (30 %), c (20 %).
func threeLeaves(policy MissingPolicy) *Scheme {
	mm := &Normaliser{Kind: MinMax, Min: 0, Max: 100}
	mk := func(id string, w Weight) *Indicator {
		ind := leaf(id, w, HigherBetter, mm)
		ind.Policy = policy
		return ind
	}
	return &Scheme{ID: "t", Name: "t", Indicators: []*Indicator{mk("a", 5000), mk("b", 3000), mk("c", 2000)}}
}

func TestMissingPolicies(t *testing.T) {
	vals := Values{"a": Num(80), "b": Num(50)} // c missing
	t.Run("renormalise", func(t *testing.T) {
		card, err := threeLeaves(Renormalise).Score(Subject{ID: "x"}, vals)
		if err != nil {
			t.Fatal(err)
		}
		want := (80*5000 + 50*3000) / 8000.0
		if card.Total != round4(want) {
			t.Errorf("total %g, want %g", card.Total, round4(want))
		}
		c, _ := card.Line("c")
		if !c.Missing || c.Contribution != 0 || c.EffectiveWeight != 0 {
			t.Errorf("line c = %+v", c)
		}
		a, _ := card.Line("a")
		if math.Abs(a.LocalWeight-0.625) > 1e-12 {
			t.Errorf("a local weight %g, want 0.625", a.LocalWeight)
		}
	})
	t.Run("zero", func(t *testing.T) {
		card, err := threeLeaves(Zero).Score(Subject{ID: "x"}, vals)
		if err != nil {
			t.Fatal(err)
		}
		if want := 0.8*50 + 0.5*30; card.Total != want {
			t.Errorf("total %g, want %g", card.Total, want)
		}
	})
	t.Run("fail", func(t *testing.T) {
		_, err := threeLeaves(Fail).Score(Subject{ID: "x"}, vals)
		var ve *ValueError
		if !errors.Is(err, ErrMissingValue) || !errors.As(err, &ve) || ve.Path != "c" {
			t.Fatalf("err = %v, want ErrMissingValue naming c", err)
		}
	})
	t.Run("explicit missing value counts as missing", func(t *testing.T) {
		v := Values{"a": Num(80), "b": Num(50), "c": MissingValue("样本不足", "too few")}
		card, err := threeLeaves(Renormalise).Score(Subject{ID: "x"}, v)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := card.Line("c")
		if !c.Missing || !strings.Contains(c.Text, "样本不足") {
			t.Errorf("line c = %+v", c)
		}
	})
	t.Run("all missing", func(t *testing.T) {
		_, err := threeLeaves(Renormalise).Score(Subject{ID: "x"}, nil)
		if !errors.Is(err, ErrNoData) {
			t.Fatalf("err = %v, want ErrNoData", err)
		}
	})
}

func TestNestedRenormalisation(t *testing.T) {
	mm := &Normaliser{Kind: MinMax, Min: 0, Max: 100}
	s := &Scheme{ID: "n", Name: "n", Indicators: []*Indicator{
		{ID: "g", Name: "组", Weight: 6000, Children: []*Indicator{
			leaf("x", 5000, HigherBetter, mm), leaf("y", 5000, HigherBetter, mm)}},
		{ID: "h", Name: "组2", Weight: 4000, Children: []*Indicator{
			leaf("z", 10000, HigherBetter, mm)}},
	}}
	// h has no data at all: g carries 100 %.
	card, err := s.Score(Subject{ID: "x"}, Values{"g/x": Num(100), "g/y": Num(50)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]float64{}
	for _, l := range card.Lines {
		got[l.Path] = [2]float64{l.Score, l.EffectiveWeight}
	}
	want := map[string][2]float64{"g": {75, 1}, "g/x": {100, 0.5}, "g/y": {50, 0.5}, "h": {0, 0}, "h/z": {0, 0}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
	if card.Total != 75 {
		t.Errorf("total %g", card.Total)
	}
}

func TestExplanationSentence(t *testing.T) {
	s := &Scheme{ID: "v", Name: "v", Indicators: []*Indicator{
		{ID: "availability", Name: "可用性", NameEn: "Availability", Unit: "%", Weight: 2000, Dir: HigherBetter,
			Norm: &Normaliser{Kind: Target, Target: 99.9, Threshold: 99.2}},
		{ID: "drill", Name: "应急演练", NameEn: "Drill", Weight: 3000,
			Norm: &Normaliser{Kind: Lookup, Table: map[string]float64{"yes": 100, "no": 0}}},
		{ID: "incidents", Name: "故障", NameEn: "Incidents", Unit: "次", Weight: 5000, Dir: LowerBetter,
			Norm: &Normaliser{Kind: Ladder, Steps: []Step{{0, 100}, {2, 80}}}},
	}}
	card, err := s.Score(Subject{ID: "v1"}, Values{"availability": Num(99.2), "drill": Cat("yes"), "incidents": Num(1).WithNote("两月各一次", "")})
	if err != nil {
		t.Fatal(err)
	}
	var zh, en []string
	for _, l := range card.Lines {
		zh = append(zh, l.Sentence("zh"))
		en = append(en, l.Sentence("en"))
	}
	wantZh := []string{
		"可用性 99.2%,目标 99.9%,得 60 分,权重 20%,贡献 12.0 分",
		"应急演练 yes,按类别评分,得 100 分,权重 30%,贡献 30.0 分",
		"故障 1 次(两月各一次),达到 ≤2 次 档,得 80 分,权重 50%,贡献 40.0 分",
	}
	wantEn := []string{
		"Availability 99.2%, target 99.9%: score 60, weight 20%, contribution 12.0",
		"Drill yes, by category: score 100, weight 30%, contribution 30.0",
		"Incidents 1 次 (两月各一次), step ≤2 次: score 80, weight 50%, contribution 40.0",
	}
	if d := cmp.Diff(wantZh, zh); d != "" {
		t.Errorf("zh (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantEn, en); d != "" {
		t.Errorf("en (-want +got):\n%s", d)
	}
	if card.Total != 82 || card.Grade.Name != "良好" {
		t.Errorf("total %g grade %v", card.Total, card.Grade)
	}
}

func TestScoreValueErrors(t *testing.T) {
	s := &Scheme{ID: "e", Name: "e", Indicators: []*Indicator{
		{ID: "pct", Name: "比例", Weight: 5000, Dir: HigherBetter, Norm: &Normaliser{Kind: MinMax, Max: 100}, Range: &Range{Min: f64(0), Max: f64(100)}},
		{ID: "cat", Name: "类别", Weight: 5000, Norm: &Normaliser{Kind: Lookup, Table: map[string]float64{"a": 1}}},
	}}
	tests := []struct {
		name string
		vals Values
		want []string // "path sentinel"
	}{
		{"unknown indicator", Values{"pct": Num(1), "cat": Cat("a"), "nope": Num(1), "also/nope": Num(2)},
			[]string{"also/nope " + ErrUnknownIndicator.Error(), "nope " + ErrUnknownIndicator.Error()}},
		{"out of range", Values{"pct": Num(101), "cat": Cat("a")}, []string{"pct " + ErrOutOfRange.Error()}},
		{"NaN", Values{"pct": Num(math.NaN()), "cat": Cat("a")}, []string{"pct " + ErrOutOfRange.Error()}},
		{"unknown category", Values{"pct": Num(1), "cat": Cat("z")}, []string{"cat " + ErrUnknownCategory.Error()}},
		{"wrong kinds", Values{"pct": Cat("a"), "cat": Num(1)}, []string{"cat " + ErrWrongKind.Error(), "pct " + ErrWrongKind.Error()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Score(Subject{ID: "d"}, tt.vals)
			var ves ValueErrors
			if !errors.As(err, &ves) {
				t.Fatalf("err = %v, want ValueErrors", err)
			}
			var got []string
			for _, e := range ves {
				got = append(got, e.Path+" "+e.Err.Error())
				if e.Subject != "d" {
					t.Errorf("subject %q", e.Subject)
				}
			}
			if d := cmp.Diff(tt.want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestRank(t *testing.T) {
	cards := []*Scorecard{
		{SubjectID: "c", Total: 80}, {SubjectID: "a", Total: 90}, {SubjectID: "d", Total: 80},
		{SubjectID: "b", Total: 80}, {SubjectID: "e", Total: 10},
	}
	Rank(cards)
	var got []string
	for _, c := range cards {
		got = append(got, c.SubjectID+":"+string(rune('0'+c.Rank)))
	}
	want := []string{"a:1", "b:2", "c:2", "d:2", "e:5"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestGradeBands(t *testing.T) {
	g := DefaultGrades()
	for _, tt := range []struct {
		score float64
		want  string
	}{{100, "优秀"}, {90, "优秀"}, {89.99999999, "优秀"}, {89.99, "良好"}, {80, "良好"}, {60, "合格"}, {59.9, "不合格"}, {0, "不合格"}} {
		if got := g.Grade(tt.score).Name; got != tt.want {
			t.Errorf("Grade(%g) = %s, want %s", tt.score, got, tt.want)
		}
	}
	bad := []GradeBands{
		nil,
		{{Name: "A", Min: 90}, {Name: "B", Min: 95}, {Name: "C", Min: 0}},
		{{Name: "A", Min: 90}, {Name: "B", Min: 10}},
		{{Name: "A", Min: 90}, {Name: "A", Min: 0}},
		{{Name: "", Min: 0}},
		{{Name: "A", Min: 101}, {Name: "B", Min: 0}},
	}
	for i, b := range bad {
		if err := b.Validate(); !errors.Is(err, ErrInvalidGrades) {
			t.Errorf("case %d: err = %v", i, err)
		}
	}
	custom := GradeBands{{Name: "A", Min: 75}, {Name: "B", Min: 0}}
	if err := custom.Validate(); err != nil {
		t.Fatal(err)
	}
	s := threeLeaves(Renormalise)
	s.Grades = custom
	card, err := s.Score(Subject{ID: "x"}, Values{"a": Num(80), "b": Num(80), "c": Num(80)})
	if err != nil || card.Grade.Name != "A" {
		t.Fatalf("card %+v err %v", card, err)
	}
}

func TestWeightString(t *testing.T) {
	got := []string{Weight(2000).String(), Weight(3333).String(), Weight(10000).String(), Weight(5).String(), Weight(2050).String()}
	want := []string{"20%", "33.33%", "100%", "0.05%", "20.5%"}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

func TestLeafContributionsSumToTotal(t *testing.T) {
	s, err := VendorScheme()
	if err != nil {
		t.Fatal(err)
	}
	card, err := s.Score(Subject{ID: "v"}, Values{PathAvailability: Num(99.93), PathOnTime: Num(95), PathSatisfaction: Num(72),
		PathDrill: Cat(DrillDelivered), PathReports: Num(100), PathRestoreHours: Num(2)})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, l := range card.Lines {
		if l.Leaf {
			sum += l.Contribution
		}
	}
	if math.Abs(sum-card.Total) > 1e-3 {
		t.Errorf("leaf contributions %g, total %g", sum, card.Total)
	}
}

func TestScoreConcurrent(t *testing.T) {
	s, err := VendorScheme() // fresh, not yet compiled
	if err != nil {
		t.Fatal(err)
	}
	s.compiled.Store(nil)
	done := make(chan float64)
	for i := 0; i < 8; i++ {
		go func() {
			c, err := s.Score(Subject{ID: "v"}, Values{PathAvailability: Num(99.9)})
			if err != nil {
				t.Error(err)
				done <- -1
				return
			}
			done <- c.Total
		}()
	}
	first := <-done
	for i := 1; i < 8; i++ {
		if got := <-done; got != first {
			t.Errorf("concurrent totals differ: %g vs %g", got, first)
		}
	}
}
