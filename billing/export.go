package billing

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// Export headers. Amounts are in 元 with two decimals, written exactly from
// integer 分 (never through floating point).
var (
	statementHeaders = [2][]string{
		{"账单编号", "使用单位", "云服务商", "账期", "预算年度", "预算科目编码", "账单状态", "行号", "行类型", "目录编码", "用量键",
			"开始时间", "结束时间", "数量", "单价(元)", "合同编号", "计费规则", "金额(元)", "原因", "关联账单", "关联行"},
		{"statement", "department", "vendor", "month", "fiscal year", "budget code", "state", "line", "kind", "item", "usage key",
			"start", "end", "quantity", "unit price (yuan)", "contract", "rule", "amount (yuan)", "reason", "ref statement", "ref line"},
	}
	summaryHeaders = [2][]string{
		{"汇总维度", "名称", "用量金额(元)", "调整金额(元)", "扣减金额(元)", "应付净额(元)"},
		{"dimension", "name", "usage (yuan)", "adjustments (yuan)", "deductions (yuan)", "net payable (yuan)"},
	}
	dimLabels = map[string][2]string{
		"department": {"按使用单位", "by department"}, "vendor": {"按云服务商", "by vendor"},
		"total": {"合计", "total"}, "statement": {"按账单", "by statement"},
	}
)

func hdr(h [2][]string, lang Lang) []string {
	if lang == English {
		return h[1]
	}
	return h[0]
}

func dimLabel(k string, lang Lang) string {
	if lang == English {
		return dimLabels[k][1]
	}
	return dimLabels[k][0]
}

func fmtTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}

// statementRows returns the detail rows of sts: one per line, times in loc.
func statementRows(sts []Statement, loc *time.Location, lang Lang) [][]string {
	var rows [][]string
	for _, st := range sts {
		for i, l := range st.Lines {
			up := ""
			if l.Kind == LineUsage || l.UnitPrice != 0 {
				up = FormatFen(l.UnitPrice)
			}
			q := ""
			if l.Quantity != 0 {
				q = l.Quantity.String()
			}
			rows = append(rows, []string{st.ID, st.Department, st.Vendor, st.Month.String(), strconv.Itoa(l.FiscalYear),
				l.BudgetCode, st.State.Label(lang), strconv.Itoa(i + 1), l.Kind.Label(lang), l.Item, l.UsageKey,
				fmtTime(l.Start, loc), fmtTime(l.End, loc), q, up, l.Contract, l.Rule, FormatFen(l.Amount), l.Reason,
				l.RefStatement, l.RefLine})
		}
	}
	return rows
}

func summaryRows(set Settlement, lang Lang) [][]string {
	row := func(dim, name string, t Totals) []string {
		return []string{dimLabel(dim, lang), name, FormatFen(t.Usage), FormatFen(t.Adjustments), FormatFen(t.Deductions), FormatFen(t.Net)}
	}
	var rows [][]string
	for _, r := range set.ByDepartment {
		rows = append(rows, row("department", r.Key, r.Totals))
	}
	for _, r := range set.ByVendor {
		rows = append(rows, row("vendor", r.Key, r.Totals))
	}
	rows = append(rows, row("total", strconv.Itoa(set.FiscalYear), set.Total))
	return rows
}

// StatementSummary totals statements like a settlement does, without one:
// useful for exporting a month's statements by department and by vendor.
func StatementSummary(sts []Statement) Settlement {
	var set Settlement
	ok := make([]Statement, 0, len(sts))
	for _, st := range sts {
		if st.State != StatementVoid {
			st.State = StatementApproved // aggregate every live statement
			ok = append(ok, st)
		}
	}
	aggregate(&set, ok)
	return set
}

// WriteStatementsCSV writes the statements' lines as CSV for finance:
// headers in lang (Chinese by default), amounts in 元, times in loc.
func WriteStatementsCSV(w io.Writer, sts []Statement, loc *time.Location, lang Lang) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(hdr(statementHeaders, lang))
	_ = cw.WriteAll(statementRows(sts, loc, lang))
	return cw.Error()
}

// WriteSettlementCSV writes the settlement summary by department and by
// vendor, then the total: usage, adjustments, deductions and net payable.
func WriteSettlementCSV(w io.Writer, set Settlement, lang Lang) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(hdr(summaryHeaders, lang))
	_ = cw.WriteAll(summaryRows(set, lang))
	return cw.Error()
}

// XLSX sheet names.
var sheetNames = map[string][2]string{
	"details": {"账单明细", "Statement details"}, "department": {"按使用单位汇总", "By department"},
	"vendor": {"按云服务商汇总", "By vendor"},
}

func sheetName(k string, lang Lang) string {
	if lang == English {
		return sheetNames[k][1]
	}
	return sheetNames[k][0]
}

// WriteFinanceXLSX writes a workbook for finance with three sheets:
// statement details, the summary by department and the summary by vendor
// (of set, or of sts when set is nil). Amount cells are numbers formatted
// 0.00, written from exact decimal text.
func WriteFinanceXLSX(w io.Writer, sts []Statement, set *Settlement, loc *time.Location, lang Lang) error {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	money, err := f.NewStyle(&excelize.Style{NumFmt: 2})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sum := StatementSummary(sts)
	if set != nil {
		sum = *set
	}
	write := func(sheet string, head []string, rows [][]string, moneyCols map[int]bool) error {
		if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(head), 1)
		if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
			return err
		}
		for r, row := range rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
				if moneyCols[c] && v != "" {
					if err := f.SetCellDefault(sheet, cell, v); err != nil {
						return err
					}
					if err := f.SetCellStyle(sheet, cell, cell, money); err != nil {
						return err
					}
					continue
				}
				if err := f.SetCellStr(sheet, cell, v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	details := sheetName("details", lang)
	if err := f.SetSheetName("Sheet1", details); err != nil {
		return err
	}
	if err := write(details, hdr(statementHeaders, lang), statementRows(sts, loc, lang), map[int]bool{14: true, 17: true}); err != nil {
		return err
	}
	all := summaryRows(sum, lang)
	var byD, byV [][]string
	for _, r := range all {
		switch r[0] {
		case dimLabel("department", lang):
			byD = append(byD, r)
		case dimLabel("vendor", lang):
			byV = append(byV, r)
		default:
			byD, byV = append(byD, r), append(byV, r)
		}
	}
	mc := map[int]bool{2: true, 3: true, 4: true, 5: true}
	for _, sh := range []struct {
		key  string
		rows [][]string
	}{{"department", byD}, {"vendor", byV}} {
		name := sheetName(sh.key, lang)
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
		if err := write(name, hdr(summaryHeaders, lang), sh.rows, mc); err != nil {
			return err
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("billing: write xlsx: %w", err)
	}
	return nil
}
