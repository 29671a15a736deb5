package assessment

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// WriteJSON writes the scorecards as an indented JSON array (full precision, both languages).
func WriteJSON(w io.Writer, cards []*Scorecard) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if cards == nil {
		cards = []*Scorecard{}
	}
	if err := enc.Encode(cards); err != nil {
		return fmt.Errorf("assessment: writing JSON: %w", err)
	}
	return nil
}

// CSVOptions configures WriteCSV.
type CSVOptions struct {
	// Lang "zh" (default) or "en" for headers, names and explanations.
	Lang string
	// BOM writes a UTF-8 byte-order mark first, so spreadsheet programs read the
	// Chinese text correctly.
	BOM bool
}

var csvHeaders = map[string][]string{
	"zh": {"排名", "对象编号", "对象名称", "考核方案", "方案版本", "总分", "等级", "指标路径", "指标", "层级", "原始值", "单位", "得分", "权重", "实际权重", "贡献", "说明"},
	"en": {"rank", "subject_id", "subject", "scheme", "version", "total", "grade", "path", "indicator", "depth", "raw", "unit", "score", "weight", "effective_weight", "contribution", "explanation"},
}

// CSVHeader returns the column headers for lang.
func CSVHeader(lang string) []string {
	h := csvHeaders["zh"]
	if lang == "en" {
		h = csvHeaders["en"]
	}
	return append([]string(nil), h...)
}

// WriteCSV writes one row per indicator line of every card, with Chinese headers by
// default. Scores are written with 4 decimals, weights as percentages.
func WriteCSV(w io.Writer, cards []*Scorecard, opts CSVOptions) error {
	en := opts.Lang == "en"
	if opts.BOM {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return fmt.Errorf("assessment: writing CSV: %w", err)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader(opts.Lang)); err != nil {
		return fmt.Errorf("assessment: writing CSV: %w", err)
	}
	f4 := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	for _, c := range cards {
		grade := c.Grade.Name
		if en && c.Grade.NameEn != "" {
			grade = c.Grade.NameEn
		}
		rank := ""
		if c.Rank > 0 {
			rank = strconv.Itoa(c.Rank)
		}
		for _, l := range c.Lines {
			name, text := l.Name, l.Text
			if en {
				text = l.TextEn
				if l.NameEn != "" {
					name = l.NameEn
				}
			}
			raw := ""
			if l.Raw != nil && !l.Raw.Missing {
				if l.Raw.IsCategory {
					raw = l.Raw.Category
				} else {
					raw = fmtNum(l.Raw.Number)
				}
			}
			row := []string{rank, c.SubjectID, c.SubjectName, c.Scheme, c.Version, f4(c.Total), grade,
				l.Path, name, strconv.Itoa(l.Depth), raw, l.Unit, f4(l.Score), l.Weight.String(),
				f4(100*l.EffectiveWeight) + "%", f4(l.Contribution), text}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("assessment: writing CSV: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("assessment: writing CSV: %w", err)
	}
	return nil
}

// WriteDeductionsCSV writes deduction lines for billing or review, Chinese headers by default.
func WriteDeductionsCSV(w io.Writer, lines []DeductionLine, opts CSVOptions) error {
	en := opts.Lang == "en"
	if opts.BOM {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return fmt.Errorf("assessment: writing CSV: %w", err)
		}
	}
	cw := csv.NewWriter(w)
	head := []string{"供应商", "月份", "可用性", "可用分钟", "考核分钟", "档位", "低于", "扣减比例", "月费(分)", "扣减金额(分)", "说明"}
	if en {
		head = []string{"vendor_id", "month", "availability", "num_minutes", "den_minutes", "tier", "below", "rate", "monthly_fee_fen", "amount_fen", "reason"}
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("assessment: writing CSV: %w", err)
	}
	for _, l := range lines {
		reason := l.Reason
		if en {
			reason = l.ReasonEn
		}
		row := []string{l.VendorID, l.Month.String(), l.Availability, strconv.FormatInt(l.Num, 10), strconv.FormatInt(l.Den, 10),
			strconv.Itoa(l.Tier + 1), l.Below.String(), l.Rate.String(), strconv.FormatInt(l.MonthlyFee, 10), strconv.FormatInt(l.Amount, 10), reason}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("assessment: writing CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("assessment: writing CSV: %w", err)
	}
	return nil
}
