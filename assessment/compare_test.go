package assessment

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustRun(t testing.TB, id string, p Period, s *Scheme, in ...Input) *Run {
	t.Helper()
	r, err := NewRun(RunSpec{ID: id, Kind: SubjectDepartment, Period: p, Scheme: s, ScoredAt: runAt, Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func num(x float64) *Value { v := Num(x); return &v }

func comparePair(t *testing.T) *Comparison {
	t.Helper()
	v1, v2 := famScheme(t, "1", 5000, ""), famScheme(t, "2", 5000, "c")
	from := mustRun(t, "r2025", YearPeriod(2025), v1, ab("x", "X局", 60, 100), ab("y", "Y局", 70, 20), ab("g", "G局", 50, 50))
	abc := func(id string, a, b, c float64) Input {
		return Input{Subject: Subject{ID: id, Name: id + "局"}, Values: Values{"a": Num(a), "b": Num(b), "c": Num(c)}}
	}
	to := mustRun(t, "r2026", YearPeriod(2026), v2, abc("x", 80, 100, 100), abc("y", 70, 20, 0), abc("n", 90, 90, 90))
	c, err := Compare(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCompare(t *testing.T) {
	c := comparePair(t)
	type row struct {
		ID         string
		Presence   Presence
		From, To   float64
		Delta      float64
		RankChange int
		Text       string
		TextEn     string
	}
	var got []row
	for _, s := range c.Subjects {
		got = append(got, row{s.SubjectID, s.Presence, s.TotalFrom, s.TotalTo, s.TotalDelta, s.RankChange, s.Text, s.TextEn})
	}
	want := []row{
		{"n", OnlyTo, 0, 90, 0, 0, "本期新增,总分 90,排名 1,等级 优秀", "new this period: total 90, rank 1, grade Excellent"},
		{"x", InBoth, 80, 90, 10, 0, "总分 80 → 90(+10),排名 1 → 1,等级 良好 → 优秀", "total 80 → 90 (+10), rank 1 → 1, grade Good → Excellent"},
		{"y", InBoth, 45, 43, -2, 0, "总分 45 → 43(-2),排名 3 → 3,等级 不合格 不变", "total 45 → 43 (-2), rank 3 → 3, grade Fail unchanged"},
		{"g", OnlyFrom, 50, 0, 0, 0, "本期未参加考核,上期总分 50,排名 2", "not assessed this period; previous total 50, rank 2"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("subjects (-want +got):\n%s", d)
	}
	wantX := []IndicatorDelta{
		{Path: "a", Name: "甲", NameEn: "A", Leaf: true, Presence: InBoth, RawFrom: num(60), RawTo: num(80),
			ScoreFrom: 60, ScoreTo: 80, ScoreDelta: 20, ContributionFrom: 30, ContributionTo: 40, ContributionDelta: 10},
		{Path: "b", Name: "乙", NameEn: "B", Leaf: true, Presence: InBoth, RawFrom: num(100), RawTo: num(100),
			ScoreFrom: 100, ScoreTo: 100, ScoreDelta: 0, ContributionFrom: 50, ContributionTo: 40, ContributionDelta: -10},
		{Path: "c", Name: "丙", NameEn: "C", Leaf: true, Presence: OnlyTo, RawTo: num(100),
			ScoreTo: 100, ContributionTo: 10},
	}
	if d := cmp.Diff(wantX, c.Subjects[1].Indicators); d != "" {
		t.Errorf("indicators of x (-want +got):\n%s", d)
	}
	if g := c.Subjects[3]; len(g.Indicators) != 2 || g.Indicators[0].Presence != OnlyFrom || g.GradeFrom.Name != "不合格" {
		t.Errorf("gone subject: %+v", g)
	}
	if c.From.ID != "r2025" || c.To.ID != "r2026" || c.Kind != SubjectDepartment {
		t.Errorf("header: %+v %+v", c.From, c.To)
	}
}

func TestCompareRankChange(t *testing.T) {
	s := famScheme(t, "1", 5000, "")
	from := mustRun(t, "a", YearPeriod(2025), s, ab("p", "", 90, 90), ab("q", "", 50, 50), ab("r", "", 10, 10))
	to := mustRun(t, "b", YearPeriod(2026), s, ab("p", "", 40, 40), ab("q", "", 50, 50), ab("r", "", 95, 95))
	c, err := Compare(from, to)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range c.Subjects {
		got = append(got, fmt.Sprintf("%s %d %s", d.SubjectID, d.RankChange, d.Text))
	}
	want := []string{
		"r 2 总分 10 → 95(+85),排名 3 → 1(上升 2 位),等级 不合格 → 优秀",
		"q 0 总分 50 → 50(0),排名 2 → 2,等级 不合格 不变",
		"p -2 总分 90 → 40(-50),排名 1 → 3(下降 2 位),等级 优秀 → 不合格",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestCompareIncomparable(t *testing.T) {
	s := famScheme(t, "1", 5000, "")
	a := mustRun(t, "a", YearPeriod(2025), s, ab("p", "", 1, 1))
	v := a.Clone()
	v.Kind = SubjectVendor
	o := a.Clone()
	o.Scheme = "other"
	for name, pair := range map[string][2]*Run{"kind": {a, v}, "scheme": {a, o}, "nil": {a, nil}} {
		if _, err := Compare(pair[0], pair[1]); !errors.Is(err, ErrIncomparable) {
			t.Errorf("%s: %v, want ErrIncomparable", name, err)
		}
	}
}

// TestCompareProperties checks on random runs (fixed seed): a run compared with
// itself changes nothing; swapping the runs negates every delta; and for
// subjects in both runs of one scheme the leaf contribution deltas add up to
// the total delta.
func TestCompareProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 1))
	s := famScheme(t, "1", 3700, "c")
	random := func(id string, n int) *Run {
		var in []Input
		for i := range n {
			in = append(in, Input{Subject: Subject{ID: fmt.Sprintf("s%02d", rng.IntN(n+5)+i*100)}, Values: Values{
				"a": Num(math.Round(rng.Float64()*1000) / 10), "b": Num(rng.Float64() * 100), "c": Num(float64(rng.IntN(101)))}})
		}
		return mustRun(t, id, YearPeriod(2026), s, in...)
	}
	for iter := range 50 {
		a, b := random("a", 1+rng.IntN(20)), random("b", 1+rng.IntN(20))
		self, err := Compare(a, a)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range self.Subjects {
			if d.Presence != InBoth || d.TotalDelta != 0 || d.RankChange != 0 {
				t.Fatalf("iter %d: self comparison of %s: %+v", iter, d.SubjectID, d)
			}
			for _, l := range d.Indicators {
				if l.ScoreDelta != 0 || l.ContributionDelta != 0 || l.Presence != InBoth {
					t.Fatalf("iter %d: self comparison of %s/%s: %+v", iter, d.SubjectID, l.Path, l)
				}
			}
		}
		ab, _ := Compare(a, b)
		ba, _ := Compare(b, a)
		back := map[string]SubjectDelta{}
		for _, d := range ba.Subjects {
			back[d.SubjectID] = d
		}
		if len(back) != len(ab.Subjects) {
			t.Fatalf("iter %d: %d subjects one way, %d the other", iter, len(ab.Subjects), len(back))
		}
		for _, d := range ab.Subjects {
			r := back[d.SubjectID]
			if d.TotalDelta != -r.TotalDelta || d.RankChange != -r.RankChange {
				t.Fatalf("iter %d: %s: %v/%d vs %v/%d", iter, d.SubjectID, d.TotalDelta, d.RankChange, r.TotalDelta, r.RankChange)
			}
			if d.Presence != InBoth {
				continue
			}
			sum := 0.0
			for _, l := range d.Indicators {
				sum += l.ContributionDelta
			}
			if math.Abs(sum-d.TotalDelta) > 5e-4 {
				t.Fatalf("iter %d: %s: contribution deltas add to %v, total delta %v", iter, d.SubjectID, sum, d.TotalDelta)
			}
		}
	}
}

func TestWriteComparisonCSV(t *testing.T) {
	s := famScheme(t, "1", 5000, "")
	from := mustRun(t, "a", YearPeriod(2025), s, ab("p", "P局", 60, 80))
	to := mustRun(t, "b", YearPeriod(2026), s, ab("p", "P局", 70, 80), ab("q", "Q局", 10, 20))
	c, err := Compare(from, to)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteComparisonCSV(&buf, c, CSVOptions{Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	want := "subject_id,subject,presence,total_from,total_to,total_delta,rank_from,rank_to,rank_change,grade_from,grade_to,path,indicator,indicator_presence,raw_from,raw_to,score_from,score_to,score_delta,contribution_from,contribution_to,contribution_delta,explanation\n" +
		"p,P局,both,70.0000,75.0000,5.0000,1,1,0,Pass,Pass,a,A,both,60,70,60.0000,70.0000,10.0000,30.0000,35.0000,5.0000,\"total 70 → 75 (+5), rank 1 → 1, grade Pass unchanged\"\n" +
		"p,P局,both,70.0000,75.0000,5.0000,1,1,0,Pass,Pass,b,B,both,80,80,80.0000,80.0000,0.0000,40.0000,40.0000,0.0000,\n" +
		"q,Q局,new,,15.0000,,,2,,,Fail,a,A,new,,10,,10.0000,,,5.0000,,\"new this period: total 15, rank 2, grade Fail\"\n" +
		"q,Q局,new,,15.0000,,,2,,,Fail,b,B,new,,20,,20.0000,,,10.0000,,\n"
	if d := cmp.Diff(want, buf.String()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	buf.Reset()
	if err := WriteComparisonCSV(&buf, c, CSVOptions{BOM: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\uFEFF对象编号,对象名称,对比,上期总分")) || !bytes.Contains(buf.Bytes(), []byte("新增")) {
		t.Errorf("Chinese CSV: %q", buf.String()[:80])
	}
}
