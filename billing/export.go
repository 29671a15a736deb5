package billing

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
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

// eachStatementRow calls fn with the detail row of every line of the
// statements sts yields, in order, times in loc, and seen (if not nil) with
// each statement first. The row slice is reused between calls.
func eachStatementRow(sts iter.Seq2[Statement, error], loc *time.Location, lang Lang, seen func(Statement), fn func(row []string) error) error {
	row := make([]string, len(statementHeaders[0]))
	for st, err := range sts {
		if err != nil {
			return err
		}
		if seen != nil {
			seen(st)
		}
		for i, l := range st.Lines {
			up := ""
			if l.Kind == LineUsage || l.UnitPrice != 0 {
				up = FormatFen(l.UnitPrice)
			}
			q := ""
			if l.Quantity != 0 {
				q = l.Quantity.String()
			}
			row = append(row[:0], st.ID, st.Department, st.Vendor, st.Month.String(), strconv.Itoa(l.FiscalYear),
				l.BudgetCode, st.State.Label(lang), strconv.Itoa(i+1), l.Kind.Label(lang), l.Item, l.UsageKey,
				fmtTime(l.Start, loc), fmtTime(l.End, loc), q, up, l.Contract, l.Rule, FormatFen(l.Amount), l.Reason,
				l.RefStatement, l.RefLine)
			if err := fn(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// statementsOf yields the statements of a slice.
func statementsOf(sts []Statement) iter.Seq2[Statement, error] {
	return func(yield func(Statement, error) bool) {
		for _, st := range sts {
			if !yield(st, nil) {
				return
			}
		}
	}
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
	add, done := summarize(&set, true)
	for _, st := range sts {
		add(st)
	}
	done()
	return set
}

// summarize returns functions that add a statement to set's totals as
// StatementSummary counts it (every statement that is not void) and finish
// them. Without entries, its memory grows with departments and vendors
// only, not with statements.
func summarize(set *Settlement, entries bool) (add func(Statement), done func()) {
	ag := newAggregator(set)
	ag.noEntries = !entries
	return func(st Statement) {
		if st.State != StatementVoid {
			st.State = StatementApproved // aggregate every live statement
			ag.add(st)
		}
	}, ag.done
}

// WriteStatementsCSV writes the statements' lines as CSV for finance:
// headers in lang (Chinese by default), amounts in 元, times in loc.
func WriteStatementsCSV(w io.Writer, sts []Statement, loc *time.Location, lang Lang) error {
	return WriteStatementsCSVFrom(w, statementsOf(sts), loc, lang)
}

// WriteStatementsCSVFrom is WriteStatementsCSV for statements streamed from
// sts (for instance Service.AllStatements): memory does not grow with them.
// An error sts yields stops the export and is returned.
func WriteStatementsCSVFrom(w io.Writer, sts iter.Seq2[Statement, error], loc *time.Location, lang Lang) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(hdr(statementHeaders, lang)); err != nil {
		return err
	}
	if err := eachStatementRow(sts, loc, lang, nil, cw.Write); err != nil {
		return err
	}
	cw.Flush()
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

// xlsxMaxRows is the most rows a worksheet holds (Excel's limit).
const xlsxMaxRows = excelize.TotalRows

// WriteFinanceXLSX writes a workbook for finance with three sheets:
// statement details, the summary by department and the summary by vendor
// (of set, or of sts when set is nil). Amount cells are numbers formatted
// 0.00, written from exact decimal text (an amount whose number a
// spreadsheet's floating point cannot write back exactly — beyond about
// 10^13 元 — is written as text).
//
// The sheets are streamed (excelize's StreamWriter), so memory does not grow
// with the number of lines beyond the statements themselves. Details past
// Excel's 1,048,576 rows continue on further sheets, "账单明细 (2)" and so on,
// each with the header row.
func WriteFinanceXLSX(w io.Writer, sts []Statement, set *Settlement, loc *time.Location, lang Lang) error {
	return writeFinanceXLSX(w, statementsOf(sts), set, loc, lang, xlsxMaxRows)
}

// WriteFinanceXLSXFrom is WriteFinanceXLSX for statements streamed from sts
// (for instance Service.AllStatements), read once: memory does not grow
// with them (the summaries of a nil set are totalled on the way). An error
// sts yields stops the export and is returned.
func WriteFinanceXLSXFrom(w io.Writer, sts iter.Seq2[Statement, error], set *Settlement, loc *time.Location, lang Lang) error {
	return writeFinanceXLSX(w, sts, set, loc, lang, xlsxMaxRows)
}

// writeFinanceXLSX is WriteFinanceXLSX with maxRows rows (header included)
// per details sheet.
func writeFinanceXLSX(w io.Writer, sts iter.Seq2[Statement, error], set *Settlement, loc *time.Location, lang Lang, maxRows int) error {
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
	var sum Settlement
	var seen func(Statement)
	done := func() {}
	if set != nil {
		sum = *set
	} else {
		seen, done = summarize(&sum, false)
	}
	// sheet streams rows into a new worksheet, the header first.
	type sheet struct {
		sw        *excelize.StreamWriter
		row       int
		moneyCols map[int]bool
		cells     []any
	}
	open := func(name string, head []string, moneyCols map[int]bool, first bool) (*sheet, error) {
		if first {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return nil, err
		}
		cells := make([]any, len(head))
		for i, h := range head {
			cells[i] = excelize.Cell{StyleID: bold, Value: h}
		}
		if err := sw.SetRow("A1", cells); err != nil {
			return nil, err
		}
		return &sheet{sw: sw, row: 1, moneyCols: moneyCols}, nil
	}
	put := func(sh *sheet, row []string) error {
		sh.row++
		sh.cells = sh.cells[:0]
		for c, v := range row {
			if sh.moneyCols[c] && v != "" {
				if n, ok := exactNumber(v); ok {
					sh.cells = append(sh.cells, excelize.Cell{StyleID: money, Value: n})
					continue
				}
			}
			sh.cells = append(sh.cells, v)
		}
		cell, err := excelize.CoordinatesToCellName(1, sh.row)
		if err != nil {
			return err
		}
		return sh.sw.SetRow(cell, sh.cells)
	}
	detailsHead, detailMoney := hdr(statementHeaders, lang), map[int]bool{14: true, 17: true}
	details, part := sheetName("details", lang), 1
	cur, err := open(details, detailsHead, detailMoney, true)
	if err != nil {
		return err
	}
	err = eachStatementRow(sts, loc, lang, seen, func(row []string) error {
		if cur.row == maxRows {
			if err := cur.sw.Flush(); err != nil {
				return err
			}
			part++
			if cur, err = open(fmt.Sprintf("%s (%d)", details, part), detailsHead, detailMoney, false); err != nil {
				return err
			}
		}
		return put(cur, row)
	})
	if err != nil {
		return err
	}
	if err := cur.sw.Flush(); err != nil {
		return err
	}
	done()
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
	for _, part := range []struct {
		key  string
		rows [][]string
	}{{"department", byD}, {"vendor", byV}} {
		sh, err := open(sheetName(part.key, lang), hdr(summaryHeaders, lang), mc, false)
		if err != nil {
			return err
		}
		for _, r := range part.rows {
			if err := put(sh, r); err != nil {
				return err
			}
		}
		if err := sh.sw.Flush(); err != nil {
			return err
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("billing: write xlsx: %w", err)
	}
	return nil
}

// exactNumber returns the 元 amount text v (as FormatFen writes it) as a
// float64 when the number a spreadsheet writes for it — the shortest decimal
// form of the float — has v's value exactly (v without trailing zeros), so
// that no 分 is lost; otherwise false, and the amount is written as text.
// Amounts up to 15 significant digits (about 10^13 元) always pass.
func exactNumber(v string) (float64, bool) {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false
	}
	want := v
	if strings.Contains(want, ".") {
		want = strings.TrimRight(strings.TrimRight(want, "0"), ".")
	}
	if want == "-0" {
		want = "0"
	}
	got := strconv.FormatFloat(n, 'f', -1, 64)
	if got == "-0" {
		got = "0"
	}
	return n, got == want
}
