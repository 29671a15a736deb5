package billing_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/billing"
)

var (
	ctx       = context.Background()
	cst       = billing.CST
	authority = billing.Actor{ID: "auth", Role: billing.RoleAuthority}
	finance   = billing.Actor{ID: "fin", Role: billing.RoleFinance}
	vendor1   = billing.Actor{ID: "v1-ops", Role: billing.RoleVendor, Vendor: "v1"}
	dept1     = billing.Actor{ID: "d1-user", Role: billing.RoleDepartment, Department: "d1"}
)

func at(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, cst) }

type fixture struct {
	svc *billing.Service
	now time.Time
	n   int
}

func newFixture(t *testing.T, p billing.Policy) *fixture {
	t.Helper()
	f := &fixture{now: at(2026, 2, 1, 9)}
	svc, err := billing.New(billing.Options{Store: memstore.NewBillingStore(), Policy: p,
		Clock: billing.ClockFunc(func() time.Time { return f.now }),
		IDs:   billing.IDFunc(func() string { f.n++; return fmt.Sprintf("id%d", f.n) })})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	items := []billing.Item{
		{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: billing.Monthly, Proration: billing.ProrateDays},
		{Code: "IAAS-EVS-SSD", Name: "云硬盘SSD", Unit: "GiB·月", Basis: billing.Monthly, Proration: billing.ProrateHours},
		{Code: "IAAS-NET-BW", Name: "带宽", Unit: "Mbps·月", Basis: billing.Monthly, Proration: billing.ProrateNone},
	}
	prices := []billing.Price{
		{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 6000, From: billing.Date{Year: 2026, Month: 1, Day: 1}},
		{Item: "IAAS-EVS-SSD", Vendor: "v1", UnitPrice: 100, From: billing.Date{Year: 2026, Month: 1, Day: 1}},
	}
	cat, err := billing.NewCatalog(items, prices)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ImportCatalog(ctx, authority, cat); err != nil {
		t.Fatal(err)
	}
	for _, y := range []int{2026, 2027} {
		if err := svc.SetBudget(ctx, finance, billing.Budget{Department: "d1", FiscalYear: y, Code: "B-d1", Amount: 100_000}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestOptionsValidate(t *testing.T) {
	s := memstore.NewBillingStore()
	for _, tc := range []struct {
		name  string
		o     billing.Options
		field string
	}{
		{"no store", billing.Options{}, "store"},
		{"bad budget mode", billing.Options{Store: s, Policy: billing.Policy{Budget: "warn"}}, "policy.budget"},
		{"bad calendar", billing.Options{Store: s, Policy: billing.Policy{Settlement: billing.SettlementCalendar{Month: 2, Day: 30, YearOffset: 1}}}, "policy.settlement"},
		{"bad tiers", billing.Options{Store: s, Policy: billing.Policy{DeductionTiers: []billing.DeductionTier{{10, 500}, {5, 900}}}}, "policy.deduction_tiers[1]"},
	} {
		_, err := billing.New(tc.o)
		var fe *billing.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want field %s", tc.name, err, tc.field)
		}
	}
}

func TestQuoteBudget(t *testing.T) {
	items := []billing.AppItem{{Item: "IAAS-ECS-VCPU", Quantity: billing.Units(2)}}
	// From 1 November: 2 cores × 60 元 × 2 months = 240 元 = 24000 分.
	req := billing.QuoteRequest{Department: "d1", Vendor: "v1", Items: items, From: at(2026, 11, 1, 0)}
	for _, tc := range []struct {
		mode     billing.BudgetMode
		budget   int64
		exceeded bool
		err      error
	}{
		{billing.BudgetNotify, 100_000, false, nil},
		{billing.BudgetNotify, 20_000, true, nil},
		{billing.BudgetBlock, 20_000, true, billing.ErrBudgetExceeded},
		{billing.BudgetBlock, 24_000, false, nil},
	} {
		f := newFixture(t, billing.Policy{Budget: tc.mode})
		if err := f.svc.SetBudget(ctx, authority, billing.Budget{Department: "d1", FiscalYear: 2026, Code: "B-d1", Amount: tc.budget}); err != nil {
			t.Fatal(err)
		}
		q, err := f.svc.Quote(ctx, dept1, req)
		if !errors.Is(err, tc.err) && !(err == nil && tc.err == nil) {
			t.Errorf("%s/%d: error %v, want %v", tc.mode, tc.budget, err, tc.err)
		}
		if q.Amount != 24000 || q.Exceeded != tc.exceeded || q.Remaining != tc.budget || (tc.exceeded && q.Notice == "") {
			t.Errorf("%s/%d: quote %+v", tc.mode, tc.budget, q)
		}
	}
	f := newFixture(t, billing.Policy{})
	other := req
	other.Department = "d2"
	if _, err := f.svc.Quote(ctx, dept1, other); !errors.Is(err, billing.ErrForbidden) {
		t.Errorf("quote for another department: %v", err)
	}
	if _, err := f.svc.Quote(ctx, authority, other); !errors.Is(err, billing.ErrNoBudget) {
		t.Errorf("quote without a budget: %v", err)
	}
	noPrice := req
	noPrice.Items = []billing.AppItem{{Item: "IAAS-NET-BW", Quantity: billing.Units(1)}}
	if _, err := f.svc.Quote(ctx, dept1, noPrice); !errors.Is(err, billing.ErrNoPrice) {
		t.Errorf("quote of an unpriced item: %v", err)
	}
}

func TestMeterApplicationsTrialPolicy(t *testing.T) {
	app := billing.AppSnapshot{ID: "app1", Department: "d1", Vendor: "v1",
		Items:    []billing.AppItem{{Item: "IAAS-ECS-VCPU", Quantity: billing.Units(4)}},
		Instants: billing.Instants{TrialStart: at(2026, 1, 5, 10), Activated: at(2026, 1, 21, 0), Reclaimed: at(2026, 1, 31, 12)}}
	jan := billing.Month{Year: 2026, Month: 1}
	for _, tc := range []struct {
		trial bool
		days  int64
		want  int64
	}{
		{false, 11, 8516}, // 21..31: 4 × 6000 × 11/31 = 8516.13
		{true, 27, 20903}, // 5..31: 4 × 6000 × 27/31 = 20903.2
	} {
		f := newFixture(t, billing.Policy{BillTrial: tc.trial})
		if _, err := f.svc.MeterApplications(ctx, authority, billing.Month{Year: 2026, Month: 2}, []billing.MeteredApplication{app}); !errors.Is(err, billing.ErrInvalid) {
			t.Errorf("metering an open month: %v", err)
		}
		rep, err := f.svc.MeterApplications(ctx, authority, jan, []billing.MeteredApplication{app})
		if err != nil || rep.Inserted != 1 {
			t.Fatalf("meter: %+v, %v", rep, err)
		}
		rep, err = f.svc.MeterApplications(ctx, authority, jan, []billing.MeteredApplication{app})
		if err != nil || rep.Duplicates != 1 {
			t.Errorf("metering twice: %+v, %v", rep, err)
		}
		gen, err := f.svc.GenerateStatements(ctx, authority, jan)
		if err != nil {
			t.Fatal(err)
		}
		if len(gen.Statements) != 1 || len(gen.Statements[0].Lines) != 1 {
			t.Fatalf("statements %+v", gen.Statements)
		}
		l := gen.Statements[0].Lines[0]
		if l.Num != tc.days || l.Amount != tc.want {
			t.Errorf("trial=%v: %d days, %d 分; want %d days, %d 分", tc.trial, l.Num, l.Amount, tc.days, tc.want)
		}
	}
}

func TestForecast(t *testing.T) {
	f := newFixture(t, billing.Policy{})
	active := []billing.MeteredApplication{billing.AppSnapshot{ID: "a1", Department: "d1", Vendor: "v1",
		Items:    []billing.AppItem{{Item: "IAAS-ECS-VCPU", Quantity: billing.Units(2)}, {Item: "IAAS-NET-BW", Quantity: billing.Units(10)}},
		Instants: billing.Instants{Activated: at(2025, 6, 1, 0)}}}
	pipeline := []billing.MeteredApplication{billing.AppSnapshot{ID: "p1", Department: "d1", Vendor: "v1",
		Items:    []billing.AppItem{{Item: "IAAS-EVS-SSD", Quantity: billing.Units(500)}},
		Instants: billing.Instants{Activated: at(2027, 7, 1, 0)}}}
	rows, err := f.svc.Forecast(ctx, dept1, 2027, active, pipeline)
	if err != nil {
		t.Fatal(err)
	}
	want := []billing.ForecastRow{{Department: "d1", RunRate: 2 * 6000 * 12, Pipeline: 500 * 100 * 6, Total: 144000 + 300000,
		Unpriced: []string{"a1/IAAS-NET-BW"}}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("forecast (-want +got):\n%s", diff)
	}
	other := billing.AppSnapshot{ID: "x", Department: "d2", Vendor: "v1"}
	if _, err := f.svc.Forecast(ctx, dept1, 2027, []billing.MeteredApplication{other}, nil); !errors.Is(err, billing.ErrForbidden) {
		t.Errorf("forecast of another department: %v", err)
	}
}

func TestReconcile(t *testing.T) {
	f := newFixture(t, billing.Policy{})
	recs := []billing.UsageRecord{
		{Key: "a", Source: billing.SourceVendor, Vendor: "v1", Department: "d1", Item: "IAAS-ECS-VCPU", Quantity: billing.Units(4), Start: at(2026, 1, 1, 0), End: at(2026, 2, 1, 0)},
		{Key: "b", Source: billing.SourceVendor, Vendor: "v1", Department: "d2", Item: "IAAS-ECS-VCPU", Quantity: billing.Units(2), Start: at(2026, 1, 17, 0), End: at(2026, 2, 1, 0)},
		{Key: "c", Source: billing.SourceVendor, Vendor: "v1", Department: "d1", Item: "IAAS-EVS-SSD", Quantity: billing.Units(100), Start: at(2026, 1, 1, 0), End: at(2026, 2, 1, 0)},
		{Key: "d", Source: billing.SourceVendor, Vendor: "v1", Department: "d3", Item: "IAAS-NET-BW", Quantity: billing.Units(1), Start: at(2026, 1, 1, 0), End: at(2026, 2, 1, 0)},
	}
	if _, err := f.svc.Ingest(ctx, vendor1, recs); err != nil {
		t.Fatal(err)
	}
	jan := billing.Month{Year: 2026, Month: 1}
	bill := []billing.VendorBillLine{
		{Department: "d1", Item: "IAAS-ECS-VCPU", Month: jan, Quantity: billing.Units(4), UnitPrice: 6000, Amount: 24001}, // 1 分 off: within tolerance
		{Department: "d2", Item: "IAAS-ECS-VCPU", Month: jan, Quantity: billing.Units(1), UnitPrice: 6500, Amount: 6500},  // 15/31 × 2 = 0.968 units
		{Department: "d9", Item: "IAAS-ECS-VCPU", Month: jan, Quantity: billing.Units(1), UnitPrice: 6000, Amount: 6000},
	}
	rep, err := f.svc.Reconcile(ctx, authority, "v1", jan, bill, billing.Tolerance{Amount: 1, Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	type d struct {
		Kind       billing.DiscrepancyKind
		Dept, Item string
		Bill, Exp  int64
	}
	var got []d
	for _, x := range rep.Discrepancies {
		got = append(got, d{x.Kind, x.Department, x.Item, x.Bill, x.Expected})
	}
	want := []d{
		{billing.MissingInBill, "d1", "IAAS-EVS-SSD", 0, 10000},
		{billing.QuantityMismatch, "d2", "IAAS-ECS-VCPU", 1000, 968},
		{billing.PriceMismatch, "d2", "IAAS-ECS-VCPU", 6500, 6000},
		{billing.AmountMismatch, "d2", "IAAS-ECS-VCPU", 6500, 5806}, // 2 × 6000 × 15/31 = 5806.45
		{billing.Unpriced, "d3", "IAAS-NET-BW", 0, 0},
		{billing.MissingInUsage, "d9", "IAAS-ECS-VCPU", 6000, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("discrepancies (-want +got):\n%s", diff)
	}
	other := billing.Actor{ID: "v2", Role: billing.RoleVendor, Vendor: "v2"}
	if _, err := f.svc.Reconcile(ctx, other, "v1", jan, bill, billing.Tolerance{}); !errors.Is(err, billing.ErrForbidden) {
		t.Errorf("other vendor reconciles: %v", err)
	}
}

func TestExports(t *testing.T) {
	f := newFixture(t, billing.Policy{})
	recs := []billing.UsageRecord{
		{Key: "a", Source: billing.SourceVendor, Vendor: "v1", Department: "d1", Item: "IAAS-ECS-VCPU", Quantity: billing.Units(4), Start: at(2026, 1, 1, 0), End: at(2026, 2, 1, 0)},
	}
	if _, err := f.svc.Ingest(ctx, vendor1, recs); err != nil {
		t.Fatal(err)
	}
	gen, err := f.svc.GenerateStatements(ctx, authority, billing.Month{Year: 2026, Month: 1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := billing.WriteStatementsCSV(&b, gen.Statements, cst, billing.Chinese); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "账单编号" || rows[1][17] != "240.00" || rows[1][5] != "B-d1" || rows[1][12] != "2026-02-01 00:00:00" {
		t.Errorf("statement CSV rows %q", rows)
	}
	sum := billing.StatementSummary(gen.Statements)
	b.Reset()
	if err := billing.WriteSettlementCSV(&b, sum, billing.Chinese); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&b).ReadAll()
	want := [][]string{
		{"汇总维度", "名称", "用量金额(元)", "调整金额(元)", "扣减金额(元)", "应付净额(元)"},
		{"按使用单位", "d1", "240.00", "0.00", "0.00", "240.00"},
		{"按云服务商", "v1", "240.00", "0.00", "0.00", "240.00"},
		{"合计", "0", "240.00", "0.00", "0.00", "240.00"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("settlement CSV (-want +got):\n%s", diff)
	}
	b.Reset()
	if err := billing.WriteFinanceXLSX(&b, gen.Statements, nil, cst, billing.Chinese); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if diff := cmp.Diff([]string{"账单明细", "按使用单位汇总", "按云服务商汇总"}, x.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	v, _ := x.GetCellValue("账单明细", "R2")
	typ, _ := x.GetCellType("账单明细", "R2")
	if v != "240.00" || typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
		t.Errorf("amount cell R2 = %q (type %v), want the number 240.00", v, typ)
	}
	net, _ := x.GetCellValue("按云服务商汇总", "F2")
	if net != "240.00" {
		t.Errorf("net payable by vendor = %q", net)
	}
}

func TestSettlementCalendar(t *testing.T) {
	f := newFixture(t, billing.Policy{Settlement: billing.SettlementCalendar{Month: 6, Day: 30, YearOffset: 1}})
	set, err := f.svc.BuildSettlement(ctx, authority, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if set.DueDate != (billing.Date{Year: 2027, Month: 6, Day: 30}) {
		t.Errorf("due %v", set.DueDate)
	}
	f.now = at(2026, 12, 31, 9)
	if set, err = f.svc.ApproveSettlement(ctx, authority, set.ID); err != nil {
		t.Fatal(err)
	}
	f.now = at(2027, 7, 1, 9)
	if set, err = f.svc.SubmitSettlement(ctx, authority, set.ID); err != nil || !set.Overdue {
		t.Errorf("late submission: overdue=%v, %v", set.Overdue, err)
	}
	f.now = at(2026, 12, 31, 23)
	if _, err := f.svc.PaySettlement(ctx, finance, set.ID); !errors.Is(err, billing.ErrTooEarly) {
		t.Errorf("payment within the settled year: %v", err)
	}
	if _, err := f.svc.BuildSettlement(ctx, authority, 2026); !errors.Is(err, billing.ErrTransition) {
		t.Errorf("rebuilding a submitted settlement: %v", err)
	}
}

func TestVoidAndRegenerate(t *testing.T) {
	f := newFixture(t, billing.Policy{})
	rec := billing.UsageRecord{Key: "a", Source: billing.SourceVendor, Vendor: "v1", Department: "d1", Item: "IAAS-ECS-VCPU",
		Quantity: billing.Units(1), Start: at(2026, 1, 1, 0), End: at(2026, 2, 1, 0)}
	if _, err := f.svc.Ingest(ctx, vendor1, []billing.UsageRecord{rec}); err != nil {
		t.Fatal(err)
	}
	jan := billing.Month{Year: 2026, Month: 1}
	gen, _ := f.svc.GenerateStatements(ctx, authority, jan)
	st, err := f.svc.Void(ctx, authority, gen.Statements[0].ID, "账期错误")
	if err != nil || st.State != billing.StatementVoid || st.VoidReason != "账期错误" || len(st.History) != 1 {
		t.Fatalf("void: %+v, %v", st, err)
	}
	gen2, err := f.svc.GenerateStatements(ctx, authority, jan)
	if err != nil || len(gen2.Statements) != 1 || gen2.Statements[0].ID == st.ID || gen2.Statements[0].Totals().Net != 6000 {
		t.Errorf("regenerate after void: %+v, %v", gen2, err)
	}
}

// TestConcurrentIngest: the same record from many goroutines is stored once.
func TestConcurrentIngest(t *testing.T) {
	f := newFixture(t, billing.Policy{})
	rec := billing.UsageRecord{Key: "same", Source: billing.SourceVendor, Vendor: "v1", Department: "d1", Item: "IAAS-ECS-VCPU",
		Quantity: billing.Units(1), Start: at(2026, 1, 1, 0), End: at(2026, 1, 2, 0)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	inserted, dups := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := f.svc.Ingest(ctx, vendor1, []billing.UsageRecord{rec})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inserted += rep.Inserted
			dups += rep.Duplicates
			mu.Unlock()
		}()
	}
	wg.Wait()
	if inserted != 1 || dups != 7 {
		t.Errorf("inserted %d, duplicates %d; want 1 and 7", inserted, dups)
	}
}
