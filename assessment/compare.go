package assessment

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// Presence says in which of two compared runs a subject or an indicator
// appears.
type Presence string

// The presences.
const (
	InBoth   Presence = "both" // in both runs
	OnlyTo   Presence = "new"  // only in the later run (a new subject or indicator)
	OnlyFrom Presence = "gone" // only in the earlier run
)

// Label returns 两期均有 / 新增 / 已无, or English for lang "en".
func (p Presence) Label(lang string) string {
	zh, en := map[Presence]string{InBoth: "两期均有", OnlyTo: "新增", OnlyFrom: "已无"}, map[Presence]string{InBoth: "both", OnlyTo: "new", OnlyFrom: "gone"}
	if lang == "en" {
		return en[p]
	}
	return zh[p]
}

// Comparison sets a run (To, usually a period) against an earlier one (From,
// usually the previous period): per subject, the change of total, rank and
// grade, and per indicator the change of score and contribution.
type Comparison struct {
	Kind SubjectKind `json:"kind"`
	From RunInfo     `json:"from"`
	To   RunInfo     `json:"to"`
	// Subjects in To's rank order, then the subjects only in From by ID.
	Subjects []SubjectDelta `json:"subjects"`
}

// SubjectDelta is one subject's change from From to To. The *From fields are
// zero when Presence is OnlyTo, the *To fields when it is OnlyFrom, and the
// deltas are then zero too.
type SubjectDelta struct {
	SubjectID   string   `json:"subject_id"`
	SubjectName string   `json:"subject_name"` // as in To (From if gone)
	Presence    Presence `json:"presence"`

	TotalFrom  float64 `json:"total_from"`
	TotalTo    float64 `json:"total_to"`
	TotalDelta float64 `json:"total_delta"` // To − From, rounded to 4 decimals
	RankFrom   int     `json:"rank_from"`
	RankTo     int     `json:"rank_to"`
	// RankChange is RankFrom − RankTo: positive when the subject moved up.
	RankChange int       `json:"rank_change"`
	GradeFrom  GradeBand `json:"grade_from"`
	GradeTo    GradeBand `json:"grade_to"`

	// Indicators in To's line order, then the indicators only in From.
	Indicators []IndicatorDelta `json:"indicators"`

	// Text and TextEn explain the change in one sentence, e.g.
	// "总分 80 → 85.5(+5.5),排名 3 → 1(上升 2 位),等级 良好 → 优秀".
	Text   string `json:"text"`
	TextEn string `json:"text_en"`
}

// IndicatorDelta is the change of one indicator line of a subject's card.
type IndicatorDelta struct {
	Path     string   `json:"path"`
	Name     string   `json:"name"`
	NameEn   string   `json:"name_en,omitempty"`
	Leaf     bool     `json:"leaf"`
	Presence Presence `json:"presence"`

	RawFrom     *Value `json:"raw_from,omitempty"`
	RawTo       *Value `json:"raw_to,omitempty"`
	MissingFrom bool   `json:"missing_from"`
	MissingTo   bool   `json:"missing_to"`

	ScoreFrom         float64 `json:"score_from"`
	ScoreTo           float64 `json:"score_to"`
	ScoreDelta        float64 `json:"score_delta"`
	ContributionFrom  float64 `json:"contribution_from"`
	ContributionTo    float64 `json:"contribution_to"`
	ContributionDelta float64 `json:"contribution_delta"`
}

// Compare compares two runs of the same subject kind and scheme family
// (versions may differ: an indicator present in one version only has Presence
// OnlyTo or OnlyFrom). Deltas are To − From, rounded to 4 decimals. Different
// kinds or scheme families are ErrIncomparable.
func Compare(from, to *Run) (*Comparison, error) {
	if from == nil || to == nil {
		return nil, fmt.Errorf("%w: nil run", ErrIncomparable)
	}
	if from.Kind != to.Kind {
		return nil, fmt.Errorf("%w: run %q scores %ss, run %q %ss", ErrIncomparable, from.ID, from.Kind, to.ID, to.Kind)
	}
	if from.Scheme != to.Scheme {
		return nil, fmt.Errorf("%w: run %q uses scheme %q, run %q scheme %q", ErrIncomparable, from.ID, from.Scheme, to.ID, to.Scheme)
	}
	c := &Comparison{Kind: to.Kind, From: from.RunInfo, To: to.RunInfo, Subjects: []SubjectDelta{}}
	prev := cardsByID(from)
	seen := make(map[string]bool, len(to.Cards))
	for _, b := range to.Cards {
		seen[b.SubjectID] = true
		c.Subjects = append(c.Subjects, subjectDelta(prev[b.SubjectID], b))
	}
	var gone []SubjectDelta
	for _, a := range from.Cards {
		if !seen[a.SubjectID] {
			gone = append(gone, subjectDelta(a, nil))
		}
	}
	sortByID(gone)
	c.Subjects = append(c.Subjects, gone...)
	return c, nil
}

func cardsByID(r *Run) map[string]*Scorecard {
	m := make(map[string]*Scorecard, len(r.Cards))
	for _, c := range r.Cards {
		m[c.SubjectID] = c
	}
	return m
}

func sortByID(ds []SubjectDelta) {
	sort.Slice(ds, func(i, j int) bool { return ds[i].SubjectID < ds[j].SubjectID })
}

// subjectDelta compares a (From, may be nil) with b (To, may be nil).
func subjectDelta(a, b *Scorecard) SubjectDelta {
	var d SubjectDelta
	switch {
	case a != nil && b != nil:
		d.Presence = InBoth
	case b != nil:
		d.Presence = OnlyTo
	default:
		d.Presence = OnlyFrom
	}
	if a != nil {
		d.SubjectID, d.SubjectName = a.SubjectID, a.SubjectName
		d.TotalFrom, d.RankFrom, d.GradeFrom = a.Total, a.Rank, a.Grade
	}
	if b != nil {
		d.SubjectID, d.SubjectName = b.SubjectID, b.SubjectName
		d.TotalTo, d.RankTo, d.GradeTo = b.Total, b.Rank, b.Grade
	}
	if d.Presence == InBoth {
		d.TotalDelta = round4(d.TotalTo - d.TotalFrom)
		if d.RankFrom > 0 && d.RankTo > 0 {
			d.RankChange = d.RankFrom - d.RankTo
		}
	}
	d.Indicators = lineDeltas(a, b)
	d.Text, d.TextEn = d.explain()
	return d
}

func lineDeltas(a, b *Scorecard) []IndicatorDelta {
	if a != nil && b != nil && samePaths(a.Lines, b.Lines) { // the usual case: one scheme version
		out := make([]IndicatorDelta, len(b.Lines))
		for i := range b.Lines {
			out[i] = lineDelta(&a.Lines[i], &b.Lines[i])
		}
		return out
	}
	from := map[string]*Line{}
	if a != nil {
		for i := range a.Lines {
			from[a.Lines[i].Path] = &a.Lines[i]
		}
	}
	var out []IndicatorDelta
	seen := map[string]bool{}
	if b != nil {
		for i := range b.Lines {
			l := &b.Lines[i]
			seen[l.Path] = true
			out = append(out, lineDelta(from[l.Path], l))
		}
	}
	if a != nil {
		for i := range a.Lines {
			if l := &a.Lines[i]; !seen[l.Path] {
				out = append(out, lineDelta(l, nil))
			}
		}
	}
	return out
}

func lineDelta(a, b *Line) IndicatorDelta {
	var d IndicatorDelta
	switch {
	case a != nil && b != nil:
		d.Presence = InBoth
	case b != nil:
		d.Presence = OnlyTo
	default:
		d.Presence = OnlyFrom
	}
	if a != nil {
		d.Path, d.Name, d.NameEn, d.Leaf = a.Path, a.Name, a.NameEn, a.Leaf
		d.RawFrom, d.MissingFrom, d.ScoreFrom, d.ContributionFrom = copyValue(a.Raw), a.Missing, a.Score, a.Contribution
	}
	if b != nil {
		d.Path, d.Name, d.NameEn, d.Leaf = b.Path, b.Name, b.NameEn, b.Leaf
		d.RawTo, d.MissingTo, d.ScoreTo, d.ContributionTo = copyValue(b.Raw), b.Missing, b.Score, b.Contribution
	}
	if d.Presence == InBoth {
		d.ScoreDelta = round4(d.ScoreTo - d.ScoreFrom)
		d.ContributionDelta = round4(d.ContributionTo - d.ContributionFrom)
	}
	return d
}

func samePaths(a, b []Line) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Path != b[i].Path {
			return false
		}
	}
	return true
}

func copyValue(v *Value) *Value {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

// fmt2 formats a total for a sentence, with at most 2 decimals.
func fmt2(x float64) string { return fmtNum(math.Round(x*100) / 100) }

// signed formats a delta with its sign and at most 2 decimals: "+5.5", "-2", "0".
func signed(x float64) string {
	s := fmt2(x)
	if x > 0 {
		s = "+" + s
	}
	return s
}

func (d SubjectDelta) explain() (zh, en string) {
	switch d.Presence {
	case OnlyTo:
		return fmt.Sprintf("本期新增,总分 %s,排名 %d,等级 %s", fmt2(d.TotalTo), d.RankTo, d.GradeTo.Name),
			fmt.Sprintf("new this period: total %s, rank %d, grade %s", fmt2(d.TotalTo), d.RankTo, gradeEn(d.GradeTo))
	case OnlyFrom:
		return fmt.Sprintf("本期未参加考核,上期总分 %s,排名 %d", fmt2(d.TotalFrom), d.RankFrom),
			fmt.Sprintf("not assessed this period; previous total %s, rank %d", fmt2(d.TotalFrom), d.RankFrom)
	}
	zh = fmt.Sprintf("总分 %s → %s(%s),排名 %d → %d", fmt2(d.TotalFrom), fmt2(d.TotalTo), signed(d.TotalDelta), d.RankFrom, d.RankTo)
	en = fmt.Sprintf("total %s → %s (%s), rank %d → %d", fmt2(d.TotalFrom), fmt2(d.TotalTo), signed(d.TotalDelta), d.RankFrom, d.RankTo)
	switch {
	case d.RankChange > 0:
		zh += fmt.Sprintf("(上升 %d 位)", d.RankChange)
		en += fmt.Sprintf(" (up %d)", d.RankChange)
	case d.RankChange < 0:
		zh += fmt.Sprintf("(下降 %d 位)", -d.RankChange)
		en += fmt.Sprintf(" (down %d)", -d.RankChange)
	}
	if d.GradeFrom.Name != d.GradeTo.Name {
		zh += fmt.Sprintf(",等级 %s → %s", d.GradeFrom.Name, d.GradeTo.Name)
		en += fmt.Sprintf(", grade %s → %s", gradeEn(d.GradeFrom), gradeEn(d.GradeTo))
	} else {
		zh += ",等级 " + d.GradeTo.Name + " 不变"
		en += ", grade " + gradeEn(d.GradeTo) + " unchanged"
	}
	return zh, en
}

func gradeEn(g GradeBand) string {
	if g.NameEn != "" {
		return g.NameEn
	}
	return g.Name
}

var comparisonHeaders = map[string][]string{
	"zh": {"对象编号", "对象名称", "对比", "上期总分", "本期总分", "总分变化", "上期排名", "本期排名", "排名变化", "上期等级", "本期等级",
		"指标路径", "指标", "指标对比", "上期原始值", "本期原始值", "上期得分", "本期得分", "得分变化", "上期贡献", "本期贡献", "贡献变化", "说明"},
	"en": {"subject_id", "subject", "presence", "total_from", "total_to", "total_delta", "rank_from", "rank_to", "rank_change", "grade_from", "grade_to",
		"path", "indicator", "indicator_presence", "raw_from", "raw_to", "score_from", "score_to", "score_delta", "contribution_from", "contribution_to", "contribution_delta", "explanation"},
}

// ComparisonHeader returns the column headers of WriteComparisonCSV for lang.
func ComparisonHeader(lang string) []string {
	if lang == "en" {
		return append([]string(nil), comparisonHeaders["en"]...)
	}
	return append([]string(nil), comparisonHeaders["zh"]...)
}

// ComparisonRows returns the rows WriteComparisonCSV writes (without the
// header): one per indicator of every subject, scores with 4 decimals; cells
// that do not apply (a rank of a subject absent from a run) are empty. The
// explanation is on each subject's first row.
func ComparisonRows(c *Comparison, lang string) [][]string {
	en := lang == "en"
	f4 := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	var rows [][]string
	for _, s := range c.Subjects {
		from, to := s.Presence != OnlyTo, s.Presence != OnlyFrom
		opt := func(ok bool, v string) string {
			if ok {
				return v
			}
			return ""
		}
		grade := func(g GradeBand) string {
			if en {
				return gradeEn(g)
			}
			return g.Name
		}
		text := s.Text
		if en {
			text = s.TextEn
		}
		head := []string{s.SubjectID, s.SubjectName, s.Presence.Label(lang),
			opt(from, f4(s.TotalFrom)), opt(to, f4(s.TotalTo)), opt(from && to, f4(s.TotalDelta)),
			opt(from && s.RankFrom > 0, strconv.Itoa(s.RankFrom)), opt(to && s.RankTo > 0, strconv.Itoa(s.RankTo)),
			opt(from && to, strconv.Itoa(s.RankChange)), opt(from, grade(s.GradeFrom)), opt(to, grade(s.GradeTo))}
		for i, l := range s.Indicators {
			lf, lt := l.Presence != OnlyTo, l.Presence != OnlyFrom
			name := l.Name
			if en && l.NameEn != "" {
				name = l.NameEn
			}
			expl := ""
			if i == 0 {
				expl = text
			}
			row := append(append([]string(nil), head...), l.Path, name, l.Presence.Label(lang),
				rawText(l.RawFrom), rawText(l.RawTo),
				opt(lf, f4(l.ScoreFrom)), opt(lt, f4(l.ScoreTo)), opt(lf && lt, f4(l.ScoreDelta)),
				opt(lf, f4(l.ContributionFrom)), opt(lt, f4(l.ContributionTo)), opt(lf && lt, f4(l.ContributionDelta)), expl)
			rows = append(rows, row)
		}
	}
	return rows
}

func rawText(v *Value) string {
	switch {
	case v == nil || v.Missing:
		return ""
	case v.IsCategory:
		return v.Category
	}
	return fmtNum(v.Number)
}

// WriteComparisonCSV writes a comparison, one row per indicator of every
// subject, Chinese headers by default (opts as for WriteCSV).
func WriteComparisonCSV(w io.Writer, c *Comparison, opts CSVOptions) error {
	if opts.BOM {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return fmt.Errorf("assessment: writing CSV: %w", err)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ComparisonHeader(opts.Lang)); err != nil {
		return fmt.Errorf("assessment: writing CSV: %w", err)
	}
	if err := cw.WriteAll(ComparisonRows(c, opts.Lang)); err != nil {
		return fmt.Errorf("assessment: writing CSV: %w", err)
	}
	return nil
}
