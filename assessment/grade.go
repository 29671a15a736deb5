package assessment

import (
	"fmt"
	"math"
)

// GradeBand is one grade: a score of at least Min (and below the next better band's
// Min) earns it.
type GradeBand struct {
	Name   string  `json:"name"`              // Chinese, e.g. "优秀"
	NameEn string  `json:"name_en,omitempty"` // English, e.g. "Excellent"
	Min    float64 `json:"min"`               // inclusive lower bound, 0..100
}

// GradeBands lists grades from best to worst. Valid bands have strictly falling Min,
// the last band's Min is 0 (so every score gets a grade) and names are unique.
type GradeBands []GradeBand

// DefaultGrades returns 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, 不合格 below 60.
func DefaultGrades() GradeBands {
	return GradeBands{
		{Name: "优秀", NameEn: "Excellent", Min: 90},
		{Name: "良好", NameEn: "Good", Min: 80},
		{Name: "合格", NameEn: "Pass", Min: 60},
		{Name: "不合格", NameEn: "Fail", Min: 0},
	}
}

// Validate reports the first defect, naming the band.
func (g GradeBands) Validate() error {
	if len(g) == 0 {
		return fmt.Errorf("%w: no bands", ErrInvalidGrades)
	}
	names := map[string]bool{}
	for i, b := range g {
		if b.Name == "" {
			return fmt.Errorf("%w: band %d has no name", ErrInvalidGrades, i+1)
		}
		if names[b.Name] {
			return fmt.Errorf("%w: band %d: duplicate name %q", ErrInvalidGrades, i+1, b.Name)
		}
		names[b.Name] = true
		if !inScore(b.Min) {
			return fmt.Errorf("%w: band %q: min %g outside 0..100", ErrInvalidGrades, b.Name, b.Min)
		}
		if i > 0 && !(b.Min < g[i-1].Min) {
			return fmt.Errorf("%w: band %q: min %g not below the better band's %g", ErrInvalidGrades, b.Name, b.Min, g[i-1].Min)
		}
	}
	if last := g[len(g)-1]; last.Min != 0 {
		return fmt.Errorf("%w: last band %q must start at 0, not %g", ErrInvalidGrades, last.Name, last.Min)
	}
	return nil
}

// Grade returns the band a score falls in. The score is compared after rounding to
// 4 decimals (the precision of Scorecard.Total), so 89.99999999 from float
// arithmetic on an exact 90 still earns 优秀. Bands must be valid.
func (g GradeBands) Grade(score float64) GradeBand {
	s := round4(score)
	for _, b := range g {
		if s >= b.Min {
			return b
		}
	}
	return g[len(g)-1]
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
