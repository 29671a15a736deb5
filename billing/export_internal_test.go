package billing

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// TestFinanceXLSXSplitsDetails writes five detail lines with three rows per
// sheet: the details continue on numbered sheets, each with the header, and
// every line appears once, in order.
func TestFinanceXLSXSplitsDetails(t *testing.T) {
	st := Statement{ID: "st-1", Department: "d1", Vendor: "v1", Month: Month{Year: 2026, Month: time.March}, State: StatementDraft}
	for i := range 5 {
		st.Lines = append(st.Lines, Line{ID: fmt.Sprint(i + 1), Kind: LineUsage, Item: "ECS", FiscalYear: 2026, Amount: int64(100 * (i + 1))})
	}
	var b bytes.Buffer
	if err := writeFinanceXLSX(&b, statementsOf([]Statement{st}), nil, time.UTC, Chinese, 3); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	want := []string{"账单明细", "账单明细 (2)", "账单明细 (3)", "按使用单位汇总", "按云服务商汇总"}
	if d := cmp.Diff(want, x.GetSheetList()); d != "" {
		t.Fatalf("sheets (-want +got)\n%s", d)
	}
	var amounts []string
	for _, sh := range want[:3] {
		rows, err := x.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 || rows[0][0] != "账单编号" {
			t.Errorf("sheet %s has no header: %v", sh, rows)
			continue
		}
		for _, r := range rows[1:] {
			amounts = append(amounts, r[17])
		}
	}
	if d := cmp.Diff([]string{"1.00", "2.00", "3.00", "4.00", "5.00"}, amounts); d != "" {
		t.Errorf("amounts across sheets (-want +got)\n%s", d)
	}
}

// TestExactNumber: an amount becomes a number only when the text excelize
// writes for it (the float's shortest form) is the amount to the 分.
func TestExactNumber(t *testing.T) {
	for _, tc := range []struct {
		in      string
		written string // what the cell holds: FormatFloat(n, 'f', -1, 64), or the text itself
		number  bool
	}{
		{"0.00", "0", true},
		{"-0.00", "0", true},
		{"240.00", "240", true},
		{"240.10", "240.1", true},
		{"-0.50", "-0.5", true},
		{"9999999999999.99", "9999999999999.99", true},    // 15 significant digits
		{"90071992547409.91", "90071992547409.91", false}, // 2^53−1 分: the float writes …409.9
		{"-90071992547409.93", "-90071992547409.93", false},
		{"abc", "abc", false},
	} {
		n, ok := exactNumber(tc.in)
		written := tc.in
		if ok {
			written = strconv.FormatFloat(n, 'f', -1, 64)
			if written == "-0" {
				written = "0"
			}
		}
		got := struct {
			Written string
			Number  bool
		}{written, ok}
		want := struct {
			Written string
			Number  bool
		}{tc.written, tc.number}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("exactNumber(%q) (-want +got)\n%s", tc.in, d)
		}
	}
}
