package xlsx

import (
	"fmt"

	"github.com/xuri/excelize/v2"

	"github.com/opengovcloud/govcloud/assessment"
)

// comparisonSheet names the comparison sheet by language.
var comparisonSheet = map[string]string{"zh": "对比", "en": "Comparison"}

// writeComparison adds the comparison sheet: the columns of
// assessment.WriteComparisonCSV, with numbers as numbers and cells that do not
// apply (a subject absent from one period) left empty.
func writeComparison(f *excelize.File, c *assessment.Comparison, lang string) error {
	en := lang == "en"
	sheet := comparisonSheet["zh"]
	if en {
		sheet = comparisonSheet["en"]
	}
	if _, err := f.NewSheet(sheet); err != nil {
		return fmt.Errorf("%w: %v", ErrWrite, err)
	}
	rows := [][]any{toAny(assessment.ComparisonHeader(lang))}
	opt := func(ok bool, v any) any {
		if ok {
			return v
		}
		return ""
	}
	grade := func(g assessment.GradeBand) string {
		if en && g.NameEn != "" {
			return g.NameEn
		}
		return g.Name
	}
	raw := func(v *assessment.Value) any {
		switch {
		case v == nil || v.Missing:
			return ""
		case v.IsCategory:
			return v.Category
		}
		return v.Number
	}
	for _, s := range c.Subjects {
		from, to := s.Presence != assessment.OnlyTo, s.Presence != assessment.OnlyFrom
		text := s.Text
		if en {
			text = s.TextEn
		}
		head := []any{s.SubjectID, s.SubjectName, s.Presence.Label(lang),
			opt(from, s.TotalFrom), opt(to, s.TotalTo), opt(from && to, s.TotalDelta),
			opt(from && s.RankFrom > 0, s.RankFrom), opt(to && s.RankTo > 0, s.RankTo), opt(from && to, s.RankChange),
			opt(from, grade(s.GradeFrom)), opt(to, grade(s.GradeTo))}
		for i, l := range s.Indicators {
			lf, lt := l.Presence != assessment.OnlyTo, l.Presence != assessment.OnlyFrom
			name := l.Name
			if en && l.NameEn != "" {
				name = l.NameEn
			}
			var expl any = ""
			if i == 0 {
				expl = text
			}
			row := append(append([]any(nil), head...), l.Path, name, l.Presence.Label(lang), raw(l.RawFrom), raw(l.RawTo),
				opt(lf, l.ScoreFrom), opt(lt, l.ScoreTo), opt(lf && lt, l.ScoreDelta),
				opt(lf, l.ContributionFrom), opt(lt, l.ContributionTo), opt(lf && lt, l.ContributionDelta), expl)
			rows = append(rows, row)
		}
	}
	widths := []float64{14, 20, 8, 10, 10, 10, 8, 8, 8, 8, 8, 30, 24, 8, 10, 10, 10, 10, 10, 10, 10, 10, 70}
	return fill(f, sheet, rows, widths)
}
