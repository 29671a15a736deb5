package assessment

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// Direction says whether a higher or a lower raw value is better.
type Direction string

// Directions.
const (
	HigherBetter Direction = "higher"
	LowerBetter  Direction = "lower"
)

// NormaliserKind names how a raw value becomes a 0–100 score.
type NormaliserKind string

// Normaliser kinds; see the package documentation for their formulas.
const (
	MinMax NormaliserKind = "minmax" // linear between Min and Max
	Target NormaliserKind = "target" // ThresholdScore at Threshold rising to 100 at Target, 0 beyond Threshold
	Ladder NormaliserKind = "ladder" // step table
	Lookup NormaliserKind = "lookup" // category → score
)

// MissingPolicy says what happens when an indicator has no value.
type MissingPolicy string

// Missing-data policies. The empty policy means Renormalise.
const (
	// Renormalise leaves the indicator out; its siblings' weights are scaled up to
	// 100 % among those present. If no sibling is present the parent is missing.
	Renormalise MissingPolicy = "renormalise"
	// Zero counts the indicator as present with score 0.
	Zero MissingPolicy = "zero"
	// Fail makes scoring fail with ErrMissingValue.
	Fail MissingPolicy = "fail"
)

// Normaliser maps a raw value to a score in [0, 100]. Which fields apply depends on Kind.
type Normaliser struct {
	Kind NormaliserKind `json:"kind"`

	// minmax
	Min float64 `json:"min,omitempty"`
	Max float64 `json:"max,omitempty"`

	// target: Target scores 100; Threshold scores ThresholdScore (default 60);
	// linear between; worse than Threshold scores 0.
	Target         float64  `json:"target,omitempty"`
	Threshold      float64  `json:"threshold,omitempty"`
	ThresholdScore *float64 `json:"threshold_score,omitempty"`

	// ladder: the first step the value reaches gives its score (higher-better: value ≥ Bound;
	// lower-better: value ≤ Bound); no step reached gives Otherwise.
	Steps     []Step  `json:"steps,omitempty"`
	Otherwise float64 `json:"otherwise,omitempty"`

	// lookup: category → score.
	Table map[string]float64 `json:"table,omitempty"`
}

// Step is one row of a ladder.
type Step struct {
	Bound float64 `json:"bound"`
	Score float64 `json:"score"`
}

// Range bounds the valid raw values of an indicator; a value outside is an error
// (ErrOutOfRange), not a score of 0. Nil ends are open.
type Range struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// Indicator is one node of an indicator tree. A leaf has a Normaliser and gets a
// raw value; an inner node has Children and scores the weighted mean of theirs.
type Indicator struct {
	ID     string        `json:"id"`                // [a-z0-9_-]+, unique among siblings
	Name   string        `json:"name"`              // Chinese label, e.g. "可用性"
	NameEn string        `json:"name_en,omitempty"` // English label
	Unit   string        `json:"unit,omitempty"`    // printed after raw values: "%", "小时", "个"
	Weight Weight        `json:"weight_bp"`         // among siblings, basis points
	Note   string        `json:"note,omitempty"`    // free text: source article, rationale
	Dir    Direction     `json:"direction,omitempty"`
	Norm   *Normaliser   `json:"normaliser,omitempty"`
	Range  *Range        `json:"range,omitempty"`
	Policy MissingPolicy `json:"missing,omitempty"`

	Children []*Indicator `json:"children,omitempty"`
}

// Leaf reports whether the indicator takes a raw value.
func (ind *Indicator) Leaf() bool { return len(ind.Children) == 0 }

// Scheme is one version of an indicator tree with its grade bands. Schemes of the
// same ID form a family whose versions take effect on successive dates (SchemeSet).
// Do not modify a Scheme after it has been validated or used for scoring.
type Scheme struct {
	ID            string        `json:"id"`
	Version       string        `json:"version"`
	Name          string        `json:"name"`
	NameEn        string        `json:"name_en,omitempty"`
	Subject       string        `json:"subject,omitempty"` // "department", "vendor" or free text
	EffectiveFrom calendar.Date `json:"effective_from"`    // zero: in force since always
	Note          string        `json:"note,omitempty"`
	Grades        GradeBands    `json:"grades,omitempty"` // nil: DefaultGrades
	Indicators    []*Indicator  `json:"indicators"`

	compiled atomic.Pointer[compiled]
}

// Validate checks the whole scheme and reports every problem at once, each naming
// its indicator path, in a *SchemeError.
func (s *Scheme) Validate() error {
	_, err := s.compile()
	return err
}

// Leaves returns the paths of all leaf indicators in tree order.
func (s *Scheme) Leaves() ([]string, error) {
	c, err := s.compile()
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range c.nodes {
		if c.nodes[i].leaf {
			out = append(out, c.nodes[i].path)
		}
	}
	return out, nil
}

// node is the flattened, validated form of an Indicator.
type node struct {
	ind      *Indicator
	path     string
	depth    int
	parent   int // -1 for top level
	children []int
	leaf     bool
	policy   MissingPolicy
	tsScore  float64 // target: score at threshold
}

type compiled struct {
	nodes  []node
	roots  []int
	byPath map[string]int
	grades GradeBands
}

func (s *Scheme) compile() (*compiled, error) {
	if c := s.compiled.Load(); c != nil {
		return c, nil
	}
	var probs []Problem
	add := func(path string, err error, format string, args ...any) {
		probs = append(probs, Problem{Path: path, Msg: fmt.Sprintf(format, args...), Err: err})
	}
	if s.ID == "" {
		add("id", ErrInvalidScheme, "scheme id is empty")
	} else if !validID(s.ID) {
		add("id", ErrInvalidScheme, "scheme id %q: use a-z, 0-9, '_' and '-'", s.ID)
	}
	if s.Name == "" {
		add("name", ErrInvalidScheme, "scheme name is empty")
	}
	if !s.EffectiveFrom.IsZero() && !s.EffectiveFrom.Valid() {
		add("effective_from", ErrInvalidScheme, "%v is not a valid date", s.EffectiveFrom)
	}
	grades := s.Grades
	if grades == nil {
		grades = DefaultGrades()
	} else if err := grades.Validate(); err != nil {
		add("grades", ErrInvalidGrades, "%v", strings.TrimPrefix(err.Error(), "assessment: "))
	}
	c := &compiled{byPath: map[string]int{}, grades: grades}
	if len(s.Indicators) == 0 {
		add("indicators", ErrInvalidScheme, "scheme has no indicators")
	}
	var walk func(list []*Indicator, parent int, prefix string, depth int) []int
	walk = func(list []*Indicator, parent int, prefix string, depth int) []int {
		var idx []int
		var sum int64
		ids := map[string]bool{}
		for i, ind := range list {
			if ind == nil {
				add(fmt.Sprintf("%s[%d]", strings.TrimSuffix(prefix, "/"), i), ErrInvalidScheme, "null indicator")
				continue
			}
			path := prefix + ind.ID
			if ind.ID == "" {
				path = fmt.Sprintf("%s#%d", prefix, i+1)
				add(path, ErrInvalidScheme, "indicator id is empty")
			} else if !validID(ind.ID) {
				add(path, ErrInvalidScheme, "indicator id %q: use a-z, 0-9, '_' and '-'", ind.ID)
			} else if ids[ind.ID] {
				add(path, ErrInvalidScheme, "duplicate indicator id %q among siblings", ind.ID)
			}
			ids[ind.ID] = true
			if ind.Name == "" {
				add(path, ErrInvalidScheme, "name is empty")
			}
			if ind.Weight <= 0 || ind.Weight > WeightTotal {
				add(path, ErrWeightSum, "weight %d bp outside 1..10000", ind.Weight)
			}
			sum += int64(ind.Weight)
			policy := ind.Policy
			switch policy {
			case "":
				policy = Renormalise
			case Renormalise, Zero, Fail:
			default:
				add(path, ErrInvalidScheme, "missing-data policy %q: want renormalise, zero or fail", policy)
			}
			n := node{ind: ind, path: path, depth: depth, parent: parent, leaf: ind.Leaf(), policy: policy}
			pos := len(c.nodes)
			c.nodes = append(c.nodes, n)
			if _, dup := c.byPath[path]; !dup {
				c.byPath[path] = pos
			}
			idx = append(idx, pos)
			if n.leaf {
				c.nodes[pos].tsScore = validateLeaf(ind, path, add)
			} else {
				if ind.Norm != nil {
					add(path, ErrInvalidScheme, "inner indicator has a normaliser (only leaves are normalised)")
				}
				if ind.Range != nil {
					add(path, ErrInvalidScheme, "inner indicator has a range (only leaves take raw values)")
				}
				if ind.Dir != "" {
					add(path, ErrInvalidScheme, "inner indicator has a direction (only leaves take raw values)")
				}
				if depth >= 8 {
					add(path, ErrInvalidScheme, "tree deeper than 8 levels")
					continue
				}
				ch := walk(ind.Children, pos, path+"/", depth+1)
				c.nodes[pos].children = ch
			}
		}
		if len(list) > 0 && sum != int64(WeightTotal) {
			where := strings.TrimSuffix(prefix, "/")
			if where == "" {
				where = "(top level)"
			}
			add(where, ErrWeightSum, "weights of %d children sum to %d bp (%s), want 10000 bp (100%%)", len(list), sum, Weight(sum))
		}
		return idx
	}
	c.roots = walk(s.Indicators, -1, "", 0)
	if len(probs) > 0 {
		return nil, &SchemeError{Scheme: s.ID, Problems: probs}
	}
	s.compiled.Store(c)
	return c, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func inScore(x float64) bool { return finite(x) && x >= 0 && x <= 100 }

// validateLeaf checks a leaf's normaliser, direction and range; it returns the
// target normaliser's threshold score (default 60).
func validateLeaf(ind *Indicator, path string, add func(string, error, string, ...any)) float64 {
	ts := 60.0
	n := ind.Norm
	if n == nil {
		add(path, ErrInvalidScheme, "leaf indicator has no normaliser")
		return ts
	}
	numeric := n.Kind != Lookup
	if numeric {
		if ind.Dir != HigherBetter && ind.Dir != LowerBetter {
			add(path, ErrInvalidScheme, "direction %q: want higher or lower", ind.Dir)
		}
	} else if ind.Dir != "" {
		add(path, ErrInvalidScheme, "lookup indicator takes no direction")
	}
	if ind.Range != nil {
		if !numeric {
			add(path, ErrInvalidScheme, "lookup indicator takes no range")
		}
		r := ind.Range
		if r.Min != nil && !finite(*r.Min) || r.Max != nil && !finite(*r.Max) {
			add(path, ErrInvalidScheme, "range bound is not finite")
		} else if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			add(path, ErrInvalidScheme, "range min %g > max %g", *r.Min, *r.Max)
		}
	}
	lower := ind.Dir == LowerBetter
	params := []float64{n.Min, n.Max, n.Target, n.Threshold}
	for _, st := range n.Steps {
		params = append(params, st.Bound)
	}
	for _, p := range params {
		if math.Abs(p) > maxParam {
			add(path, ErrInvalidScheme, "normaliser parameter %g outside ±1e12", p)
			break
		}
	}
	switch n.Kind {
	case MinMax:
		if !finite(n.Min, n.Max) || !(n.Max > n.Min) {
			add(path, ErrInvalidScheme, "minmax: need min < max, got min %g, max %g", n.Min, n.Max)
		}
	case Target:
		if n.ThresholdScore != nil {
			ts = *n.ThresholdScore
			if !inScore(ts) || ts == 100 {
				add(path, ErrInvalidScheme, "target: threshold_score %g outside 0..<100", ts)
			}
		}
		if !finite(n.Target, n.Threshold) || n.Target == n.Threshold {
			add(path, ErrInvalidScheme, "target: target %g and threshold %g must differ", n.Target, n.Threshold)
		} else if !lower && n.Target < n.Threshold {
			add(path, ErrInvalidScheme, "target: higher-is-better needs target %g > threshold %g", n.Target, n.Threshold)
		} else if lower && n.Target > n.Threshold {
			add(path, ErrInvalidScheme, "target: lower-is-better needs target %g < threshold %g", n.Target, n.Threshold)
		}
	case Ladder:
		if len(n.Steps) == 0 {
			add(path, ErrInvalidScheme, "ladder: no steps")
		}
		if !inScore(n.Otherwise) {
			add(path, ErrInvalidScheme, "ladder: otherwise score %g outside 0..100", n.Otherwise)
		}
		for i, st := range n.Steps {
			if !finite(st.Bound) {
				add(path, ErrInvalidScheme, "ladder: step %d bound is not finite", i+1)
			}
			if !inScore(st.Score) {
				add(path, ErrInvalidScheme, "ladder: step %d score %g outside 0..100", i+1, st.Score)
			}
			if st.Score < n.Otherwise {
				add(path, ErrInvalidScheme, "ladder: step %d score %g below otherwise score %g", i+1, st.Score, n.Otherwise)
			}
			if i == 0 {
				continue
			}
			prev := n.Steps[i-1]
			if !lower && !(st.Bound < prev.Bound) {
				add(path, ErrInvalidScheme, "ladder: higher-is-better steps need strictly falling bounds (step %d: %g after %g)", i+1, st.Bound, prev.Bound)
			}
			if lower && !(st.Bound > prev.Bound) {
				add(path, ErrInvalidScheme, "ladder: lower-is-better steps need strictly rising bounds (step %d: %g after %g)", i+1, st.Bound, prev.Bound)
			}
			if st.Score > prev.Score {
				add(path, ErrInvalidScheme, "ladder: step %d score %g above the better step's %g", i+1, st.Score, prev.Score)
			}
		}
	case Lookup:
		if len(n.Table) == 0 {
			add(path, ErrInvalidScheme, "lookup: empty table")
		}
		keys := make([]string, 0, len(n.Table))
		for k := range n.Table {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "" {
				add(path, ErrInvalidScheme, "lookup: empty category")
			}
			if !inScore(n.Table[k]) {
				add(path, ErrInvalidScheme, "lookup: category %q score %g outside 0..100", k, n.Table[k])
			}
		}
	default:
		add(path, ErrInvalidScheme, "normaliser kind %q: want minmax, target, ladder or lookup", n.Kind)
	}
	return ts
}

// normalise maps a numeric raw value to [0, 100] (the caller has checked kind and range).
func normalise(ind *Indicator, tsScore, x float64) float64 {
	n := ind.Norm
	lower := ind.Dir == LowerBetter
	switch n.Kind {
	case MinMax:
		f := (x - n.Min) / (n.Max - n.Min)
		if lower {
			f = (n.Max - x) / (n.Max - n.Min)
		}
		return clamp100(100 * f)
	case Target:
		better := x >= n.Target
		worse := x < n.Threshold
		if lower {
			better = x <= n.Target
			worse = x > n.Threshold
		}
		switch {
		case better:
			return 100
		case worse:
			return 0
		}
		f := (x - n.Threshold) / (n.Target - n.Threshold)
		return clamp100(tsScore + (100-tsScore)*f)
	case Ladder:
		for _, st := range n.Steps {
			if !lower && x >= st.Bound || lower && x <= st.Bound {
				return st.Score
			}
		}
		return n.Otherwise
	}
	return 0
}

// maxParam bounds normaliser parameters so that differences cannot overflow.
const maxParam = 1e12

func clamp100(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return 0
	case x < 0:
		return 0
	case x > 100:
		return 100
	}
	return x
}
