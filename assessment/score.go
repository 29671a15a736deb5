package assessment

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Value is the raw value of one leaf indicator: a number, a category (for lookup
// indicators) or explicitly missing. Note (Chinese) and NoteEn (English) carry
// detail for the explanation, e.g. "12/15 个系统" or the reason a value is missing.
type Value struct {
	Number     float64 `json:"number,omitempty"`
	Category   string  `json:"category,omitempty"`
	IsCategory bool    `json:"is_category,omitempty"`
	Missing    bool    `json:"missing,omitempty"`
	Note       string  `json:"note,omitempty"`
	NoteEn     string  `json:"note_en,omitempty"`
}

// Num returns a numeric value.
func Num(x float64) Value { return Value{Number: x} }

// Cat returns a category value for a lookup indicator.
func Cat(c string) Value { return Value{Category: c, IsCategory: true} }

// MissingValue returns an explicitly missing value with the reason in both languages;
// it is treated like an absent value, by the indicator's missing-data policy.
func MissingValue(reason, reasonEn string) Value {
	return Value{Missing: true, Note: reason, NoteEn: reasonEn}
}

// WithNote returns v with an explanatory note attached.
func (v Value) WithNote(zh, en string) Value { v.Note, v.NoteEn = zh, en; return v }

// Values maps leaf indicator paths ("quality/availability") to raw values.
// A path that is absent is missing data.
type Values map[string]Value

// Subject is what is scored: a department or a vendor.
type Subject struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Line explains one indicator of a scorecard.
type Line struct {
	Path   string `json:"path"`
	Name   string `json:"name"`
	NameEn string `json:"name_en,omitempty"`
	Depth  int    `json:"depth"`
	Leaf   bool   `json:"leaf"`
	Unit   string `json:"unit,omitempty"`
	// Raw is the value given (leaves only; nil when absent).
	Raw *Value `json:"raw,omitempty"`
	// Missing: no value (leaf) or no child present (inner); see Policy.
	Missing bool          `json:"missing"`
	Policy  MissingPolicy `json:"policy"`
	// Score in [0, 100]; 0 when missing.
	Score float64 `json:"score"`
	// Weight is the nominal weight among siblings; LocalWeight the share among the
	// siblings actually present (differs from Weight after re-normalisation), as a fraction.
	Weight      Weight  `json:"weight_bp"`
	LocalWeight float64 `json:"local_weight"`
	// EffectiveWeight is the fraction of the total this indicator carries (product of
	// LocalWeight along the path); Contribution = Score × EffectiveWeight. Leaf
	// contributions add up to the total.
	EffectiveWeight float64 `json:"effective_weight"`
	Contribution    float64 `json:"contribution"`
	Text            string  `json:"text"`
	TextEn          string  `json:"text_en"`
}

// Scorecard is the explained score of one subject under one scheme version.
type Scorecard struct {
	Scheme      string    `json:"scheme"`
	Version     string    `json:"version"`
	SubjectID   string    `json:"subject_id"`
	SubjectName string    `json:"subject_name"`
	Total       float64   `json:"total"` // 0..100, rounded to 4 decimals
	Grade       GradeBand `json:"grade"`
	Rank        int       `json:"rank,omitempty"` // set by Rank; 0 until ranked
	Lines       []Line    `json:"lines"`
}

// Line returns the line for path, or false.
func (c *Scorecard) Line(path string) (Line, bool) {
	for _, l := range c.Lines {
		if l.Path == path {
			return l, true
		}
	}
	return Line{}, false
}

// Score scores one subject. Every bad value (unknown path, out of range, wrong kind,
// unknown category, missing under policy fail) is reported at once in ValueErrors.
// Score is safe for concurrent use.
func (s *Scheme) Score(subj Subject, vals Values) (*Scorecard, error) {
	c, err := s.compile()
	if err != nil {
		return nil, err
	}
	var errs ValueErrors
	bad := func(path string, e error, format string, args ...any) {
		errs = append(errs, &ValueError{Subject: subj.ID, Path: path, Msg: fmt.Sprintf(format, args...), Err: e})
	}
	if len(vals) > 0 {
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if i, ok := c.byPath[k]; !ok {
				bad(k, ErrUnknownIndicator, "scheme %s has no such indicator", s.ID)
			} else if !c.nodes[i].leaf {
				bad(k, ErrUnknownIndicator, "an inner indicator takes no value; give its leaves")
			}
		}
	}
	n := len(c.nodes)
	score := make([]float64, n)
	present := make([]bool, n)
	missing := make([]bool, n)
	// Children follow their parent in c.nodes, so a reverse walk sees children first.
	for i := n - 1; i >= 0; i-- {
		nd := &c.nodes[i]
		ind := nd.ind
		if nd.leaf {
			v, ok := vals[nd.path]
			if ok && !v.Missing {
				sc, ok2 := leafScore(nd, v, bad)
				if ok2 {
					score[i], present[i] = sc, true
				}
				continue
			}
			missing[i] = true
		} else {
			var sw float64
			var w int64
			for _, ch := range nd.children {
				if present[ch] {
					sw += score[ch] * float64(c.nodes[ch].ind.Weight)
					w += int64(c.nodes[ch].ind.Weight)
				}
			}
			if w > 0 {
				score[i], present[i] = sw/float64(w), true
				continue
			}
			missing[i] = true
		}
		switch nd.policy {
		case Fail:
			bad(nd.path, ErrMissingValue, "no value for %s (%s) and its missing-data policy is fail", ind.Name, nd.path)
		case Zero:
			present[i] = true // score stays 0
		}
	}
	var sw float64
	var w int64
	for _, r := range c.roots {
		if present[r] {
			sw += score[r] * float64(c.nodes[r].ind.Weight)
			w += int64(c.nodes[r].ind.Weight)
		}
	}
	if len(errs) == 0 && w == 0 {
		bad("", ErrNoData, "every indicator of scheme %s is missing", s.ID)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	total := sw / float64(w)

	card := &Scorecard{Scheme: s.ID, Version: s.Version, SubjectID: subj.ID, SubjectName: subj.Name,
		Total: round4(total), Lines: make([]Line, n)}
	card.Grade = c.grades.Grade(card.Total)
	eff := make([]float64, n)
	local := make([]float64, n)
	siblingW := func(parent int) int64 {
		list := c.roots
		if parent >= 0 {
			list = c.nodes[parent].children
		}
		var sum int64
		for _, x := range list {
			if present[x] {
				sum += int64(c.nodes[x].ind.Weight)
			}
		}
		return sum
	}
	sibCache := map[int]int64{}
	for i := 0; i < n; i++ { // parents before children
		nd := &c.nodes[i]
		pw, ok := sibCache[nd.parent]
		if !ok {
			pw = siblingW(nd.parent)
			sibCache[nd.parent] = pw
		}
		if present[i] && pw > 0 {
			local[i] = float64(nd.ind.Weight) / float64(pw)
			eff[i] = local[i]
			if nd.parent >= 0 {
				eff[i] *= eff[nd.parent]
			}
		}
		ln := Line{Path: nd.path, Name: nd.ind.Name, NameEn: nd.ind.NameEn, Depth: nd.depth, Leaf: nd.leaf,
			Unit: nd.ind.Unit, Missing: missing[i], Policy: nd.policy, Score: score[i], Weight: nd.ind.Weight,
			LocalWeight: local[i], EffectiveWeight: eff[i], Contribution: score[i] * eff[i]}
		if nd.leaf {
			if v, ok := vals[nd.path]; ok {
				v := v
				ln.Raw = &v
			}
		}
		ln.Text, ln.TextEn = explain(nd, &ln)
		card.Lines[i] = ln
	}
	return card, nil
}

func leafScore(nd *node, v Value, bad func(string, error, string, ...any)) (float64, bool) {
	ind := nd.ind
	if ind.Norm.Kind == Lookup {
		if !v.IsCategory {
			bad(nd.path, ErrWrongKind, "lookup indicator %s needs a category, got the number %g", ind.Name, v.Number)
			return 0, false
		}
		sc, ok := ind.Norm.Table[v.Category]
		if !ok {
			bad(nd.path, ErrUnknownCategory, "category %q is not in the table of %s", v.Category, ind.Name)
			return 0, false
		}
		return sc, true
	}
	if v.IsCategory {
		bad(nd.path, ErrWrongKind, "numeric indicator %s got the category %q", ind.Name, v.Category)
		return 0, false
	}
	x := v.Number
	if !finite(x) {
		bad(nd.path, ErrOutOfRange, "value %g of %s is not a finite number", x, ind.Name)
		return 0, false
	}
	if r := ind.Range; r != nil {
		if r.Min != nil && x < *r.Min || r.Max != nil && x > *r.Max {
			bad(nd.path, ErrOutOfRange, "value %g of %s outside its range %s", x, ind.Name, rangeText(r))
			return 0, false
		}
	}
	return normalise(ind, nd.tsScore, x), true
}

func rangeText(r *Range) string {
	lo, hi := "-∞", "+∞"
	if r.Min != nil {
		lo = fmtNum(*r.Min)
	}
	if r.Max != nil {
		hi = fmtNum(*r.Max)
	}
	return "[" + lo + ", " + hi + "]"
}

// Rank orders cards by Total descending, then SubjectID ascending (the documented,
// stable tie-break), and sets Rank with competition ranking: equal totals share a
// rank and the next rank skips (1, 1, 3). Cards of different schemes should not be
// ranked together.
func Rank(cards []*Scorecard) {
	sort.SliceStable(cards, func(i, j int) bool {
		if cards[i].Total != cards[j].Total {
			return cards[i].Total > cards[j].Total
		}
		return cards[i].SubjectID < cards[j].SubjectID
	})
	for i, c := range cards {
		if i > 0 && c.Total == cards[i-1].Total {
			c.Rank = cards[i-1].Rank
		} else {
			c.Rank = i + 1
		}
	}
}

// ---- explanations ----

func fmtNum(x float64) string {
	x = math.Round(x*1e4) / 1e4
	if x == 0 {
		x = 0 // no "-0"
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

func fmtScore(x float64) string { return fmtNum(math.Round(x*10) / 10) }

func withUnit(x float64, unit string) string {
	switch unit {
	case "":
		return fmtNum(x)
	case "%", "‰":
		return fmtNum(x) + unit
	}
	return fmtNum(x) + " " + unit
}

func explain(nd *node, ln *Line) (zh, en string) {
	ind := nd.ind
	nameEn := ind.NameEn
	if nameEn == "" {
		nameEn = ind.Name
	}
	wZh, wEn := ln.Weight.String(), ln.Weight.String()
	if !ln.Missing && ln.LocalWeight > 0 && math.Abs(ln.LocalWeight*1e4-float64(ln.Weight)) > 0.5 {
		re := Weight(math.Round(ln.LocalWeight * 1e4)).String()
		wZh += "(同级缺失后 " + re + ")"
		wEn += " (" + re + " after siblings missing)"
	}
	tail := func() (string, string) {
		return fmt.Sprintf("得 %s 分,权重 %s,贡献 %.1f 分", fmtScore(ln.Score), wZh, ln.Contribution),
			fmt.Sprintf("score %s, weight %s, contribution %.1f", fmtScore(ln.Score), wEn, ln.Contribution)
	}
	note := func(v *Value) (string, string) {
		if v == nil || v.Note == "" && v.NoteEn == "" {
			return "", ""
		}
		e := v.NoteEn
		if e == "" {
			e = v.Note
		}
		return "(" + v.Note + ")", " (" + e + ")"
	}
	if ln.Missing {
		nz, ne := note(ln.Raw)
		switch ln.Policy {
		case Zero:
			tz, te := tail()
			return ind.Name + " 无数据" + nz + ",按 0 分计," + tz, nameEn + ": no data" + ne + ", counted as 0; " + te
		case Fail:
			return ind.Name + " 无数据" + nz, nameEn + ": no data" + ne
		}
		return ind.Name + " 无数据" + nz + ",不计入,权重由同级指标分摊",
			nameEn + ": no data" + ne + ", left out; its weight is shared among its siblings"
	}
	tz, te := tail()
	if !nd.leaf {
		return ind.Name + " " + tz, nameEn + ": " + te
	}
	v := ln.Raw
	nz, ne := note(v)
	if ind.Norm.Kind == Lookup {
		return fmt.Sprintf("%s %s%s,按类别评分,%s", ind.Name, v.Category, nz, tz),
			fmt.Sprintf("%s %s%s, by category: %s", nameEn, v.Category, ne, te)
	}
	raw := withUnit(v.Number, ind.Unit)
	var pz, pe string
	lowerZh, lowerEn := "", ""
	if ind.Dir == LowerBetter {
		lowerZh, lowerEn = "(越低越好)", " (lower is better)"
	}
	n := ind.Norm
	switch n.Kind {
	case Target:
		pz, pe = "目标 "+withUnit(n.Target, ind.Unit), "target "+withUnit(n.Target, ind.Unit)
	case MinMax:
		r := fmtNum(n.Min) + "–" + withUnit(n.Max, ind.Unit)
		pz, pe = "区间 "+r+lowerZh, "range "+r+lowerEn
	case Ladder:
		op := "≥"
		if ind.Dir == LowerBetter {
			op = "≤"
		}
		pz, pe = "未达任何档", "below every step"
		for _, st := range n.Steps {
			if ind.Dir != LowerBetter && v.Number >= st.Bound || ind.Dir == LowerBetter && v.Number <= st.Bound {
				pz, pe = "达到 "+op+withUnit(st.Bound, ind.Unit)+" 档", "step "+op+withUnit(st.Bound, ind.Unit)
				break
			}
		}
	}
	return fmt.Sprintf("%s %s%s,%s,%s", ind.Name, raw, nz, pz, tz),
		fmt.Sprintf("%s %s%s, %s: %s", nameEn, raw, ne, pe, te)
}

// Sentence returns the line's explanation in Chinese (lang "zh", the default) or English ("en").
func (l Line) Sentence(lang string) string {
	if strings.HasPrefix(lang, "en") {
		return l.TextEn
	}
	return l.Text
}
