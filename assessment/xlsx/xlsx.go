package xlsx

import (
	"errors"
	"fmt"
	"io"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/xuri/excelize/v2"
)

// ErrWrite wraps every failure to build or write the workbook.
var ErrWrite = errors.New("xlsx: cannot write workbook")

// Options configures Write.
type Options struct {
	Lang string // "zh" (default) or "en"
	// Comparison, when set, adds a sheet (对比 / Comparison) with the change of
	// every subject and indicator against an earlier period (assessment.Compare).
	Comparison *assessment.Comparison
}

type labels struct {
	summary, detail, credits string
	sumHead, detHead, crHead []string
}

var byLang = map[string]labels{
	"zh": {
		summary: "汇总", detail: "明细", credits: "扣减",
		sumHead: []string{"排名", "对象编号", "对象名称", "考核方案", "方案版本", "总分", "等级"},
		detHead: []string{"对象编号", "指标路径", "指标", "层级", "原始值", "单位", "得分", "权重(%)", "实际权重(%)", "贡献", "说明"},
		crHead:  []string{"供应商", "月份", "可用性", "可用分钟", "考核分钟", "低于", "扣减比例", "月费(分)", "扣减金额(分)", "说明"},
	},
	"en": {
		summary: "Summary", detail: "Details", credits: "Credits",
		sumHead: []string{"Rank", "Subject ID", "Subject", "Scheme", "Version", "Total", "Grade"},
		detHead: []string{"Subject ID", "Path", "Indicator", "Depth", "Raw", "Unit", "Score", "Weight (%)", "Effective weight (%)", "Contribution", "Explanation"},
		crHead:  []string{"Vendor", "Month", "Availability", "Num minutes", "Den minutes", "Below", "Rate", "Monthly fee (fen)", "Amount (fen)", "Reason"},
	},
}

// Write writes cards (in the given order; call assessment.Rank first for ranks)
// and the deduction lines (may be nil) as an .xlsx workbook to w.
func Write(w io.Writer, cards []*assessment.Scorecard, deductions []assessment.DeductionLine, opts Options) error {
	en := opts.Lang == "en"
	lb := byLang["zh"]
	if en {
		lb = byLang["en"]
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", lb.summary); err != nil {
		return fmt.Errorf("%w: %v", ErrWrite, err)
	}
	rows := [][]any{toAny(lb.sumHead)}
	for _, c := range cards {
		grade := c.Grade.Name
		if en && c.Grade.NameEn != "" {
			grade = c.Grade.NameEn
		}
		var rank any = ""
		if c.Rank > 0 {
			rank = c.Rank
		}
		rows = append(rows, []any{rank, c.SubjectID, c.SubjectName, c.Scheme, c.Version, c.Total, grade})
	}
	if err := fill(f, lb.summary, rows, []float64{8, 16, 24, 16, 12, 10, 10}); err != nil {
		return err
	}

	if _, err := f.NewSheet(lb.detail); err != nil {
		return fmt.Errorf("%w: %v", ErrWrite, err)
	}
	rows = [][]any{toAny(lb.detHead)}
	for _, c := range cards {
		for _, l := range c.Lines {
			name, text := l.Name, l.Text
			if en {
				text = l.TextEn
				if l.NameEn != "" {
					name = l.NameEn
				}
			}
			var raw any = ""
			if l.Raw != nil && !l.Raw.Missing {
				if l.Raw.IsCategory {
					raw = l.Raw.Category
				} else {
					raw = l.Raw.Number
				}
			}
			rows = append(rows, []any{c.SubjectID, l.Path, name, l.Depth, raw, l.Unit, l.Score, l.Weight.Percent(),
				100 * l.EffectiveWeight, l.Contribution, text})
		}
	}
	if err := fill(f, lb.detail, rows, []float64{14, 30, 24, 6, 10, 6, 10, 10, 12, 10, 80}); err != nil {
		return err
	}

	if len(deductions) > 0 {
		if _, err := f.NewSheet(lb.credits); err != nil {
			return fmt.Errorf("%w: %v", ErrWrite, err)
		}
		rows = [][]any{toAny(lb.crHead)}
		for _, d := range deductions {
			reason := d.Reason
			if en {
				reason = d.ReasonEn
			}
			rows = append(rows, []any{d.VendorID, d.Month.String(), d.Availability, d.Num, d.Den, d.Below.String(),
				d.Rate.String(), d.MonthlyFee, d.Amount, reason})
		}
		if err := fill(f, lb.credits, rows, []float64{12, 10, 12, 12, 12, 10, 10, 16, 16, 70}); err != nil {
			return err
		}
	}
	if opts.Comparison != nil {
		if err := writeComparison(f, opts.Comparison, opts.Lang); err != nil {
			return err
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("%w: %v", ErrWrite, err)
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func fill(f *excelize.File, sheet string, rows [][]any, widths []float64) error {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWrite, err)
	}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("%w: %v", ErrWrite, err)
		}
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, r); err != nil {
			return fmt.Errorf("%w: sheet %s row %d: %v", ErrWrite, sheet, i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("%w: %v", ErrWrite, err)
	}
	return nil
}
