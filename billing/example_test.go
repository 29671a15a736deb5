package billing_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/billing"
)

// Rating a month of four vCPU, from the 10th, by natural days: 22 of 31
// days at 50.00 元 per 核·月.
func ExampleRater_Rate() {
	cat, _ := billing.NewCatalog(
		[]billing.Item{{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: billing.Monthly, Proration: billing.ProrateDays}},
		[]billing.Price{{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 5000, From: billing.Date{Year: 2026, Month: 1, Day: 1}}})
	r := billing.NewRater(cat, billing.CST)
	rec := billing.UsageRecord{Key: "k1", Source: billing.SourceVendor, Vendor: "v1", Department: "d1", Item: "IAAS-ECS-VCPU",
		Quantity: billing.Units(4), Start: time.Date(2026, 1, 10, 0, 0, 0, 0, billing.CST), End: time.Date(2026, 2, 1, 0, 0, 0, 0, billing.CST)}
	total, _ := r.Rate(rec, time.Time{}, time.Time{}, func(p billing.Piece) {
		fmt.Println(p.Month, p.Rule(billing.Chinese), billing.FormatFen(p.Amount), "元")
	})
	fmt.Println("total", total, "分")
	// Output:
	// 2026-01 按月 按自然日折算 22/31 141.94 元
	// total 14194 分
}

// Importing a catalog from CSV: a bad row is named by row and field.
func ExampleImportCatalogCSV() {
	items := "code,name,name_en,unit,basis,proration,footprint,std_code\n" +
		"IAAS-ECS-VCPU,云主机vCPU,ECS vCPU,核·月,monthly,days,vcpu=1000,\n"
	prices := "item,vendor,contract,unit_price,from,to\n" +
		"IAAS-ECS-VCPU,v1,C-1,5000,2026-01-01,\n" +
		"IAAS-ECS-VCPU,,C-1,4500,2026-07-01,\n"
	_, err := billing.ImportCatalogCSV(strings.NewReader(items), strings.NewReader(prices))
	fmt.Println(err)
	// Output:
	// prices: row 3, field vendor: billing: price has no vendor: vendor: a price needs a vendor
}

// A month from usage to an approved, hashed statement.
func ExampleService() {
	now := time.Date(2026, 2, 2, 9, 0, 0, 0, billing.CST)
	n := 0
	svc, _ := billing.New(billing.Options{Store: memstore.NewBillingStore(),
		Clock: billing.ClockFunc(func() time.Time { return now }),
		IDs:   billing.IDFunc(func() string { n++; return fmt.Sprintf("st-%d", n) })})
	auth := billing.Actor{ID: "a", Role: billing.RoleAuthority}
	vendor := billing.Actor{ID: "ops", Role: billing.RoleVendor, Vendor: "v1"}
	cat, _ := billing.NewCatalog(
		[]billing.Item{{Code: "IAAS-EVS-SSD", Name: "云硬盘SSD", Unit: "GiB·月", Basis: billing.Monthly, Proration: billing.ProrateHours}},
		[]billing.Price{{Item: "IAAS-EVS-SSD", Vendor: "v1", UnitPrice: 100, From: billing.Date{Year: 2026, Month: 1, Day: 1}}})
	_ = svc.ImportCatalog(ctx, auth, cat)
	_ = svc.SetBudget(ctx, auth, billing.Budget{Department: "d1", FiscalYear: 2026, Code: "2130101", Amount: 1_000_000})
	_, _ = svc.Ingest(ctx, vendor, []billing.UsageRecord{{Key: "u1", Source: billing.SourceVendor, Vendor: "v1", Department: "d1",
		Item: "IAAS-EVS-SSD", Quantity: billing.Units(500), Start: time.Date(2026, 1, 1, 0, 0, 0, 0, billing.CST),
		End: time.Date(2026, 1, 16, 0, 0, 0, 0, billing.CST)}})
	gen, _ := svc.GenerateStatements(ctx, auth, billing.Month{Year: 2026, Month: 1})
	id := gen.Statements[0].ID
	_, _ = svc.ConfirmByVendor(ctx, vendor, id)
	_, _ = svc.OpenAudit(ctx, auth, id)
	_, _ = svc.Adjust(ctx, auth, id, billing.Adjustment{Amount: -19, Reason: "尾差核减"})
	st, _ := svc.Approve(ctx, auth, id)
	for _, l := range st.Lines {
		fmt.Println(l.Kind, l.Rule, l.BudgetCode, billing.FormatFen(l.Amount))
	}
	fmt.Println(st.State, billing.FormatFen(st.Totals().Net), st.Verify() == nil)
	_ = billing.WriteStatementsCSV(os.Stdout, nil, billing.CST, billing.English)
	// Output:
	// 用量 按月 按小时折算 360/744 2130101 241.94
	// 调整  2130101 -0.19
	// 已审定 241.75 true
	// statement,department,vendor,month,fiscal year,budget code,state,line,kind,item,usage key,start,end,quantity,unit price (yuan),contract,rule,amount (yuan),reason,ref statement,ref line
}

// Three-way reconciliation of a vendor's bill against metered usage and the
// catalog price.
func ExampleReconcile() {
	cat, _ := billing.NewCatalog(
		[]billing.Item{{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: billing.Monthly, Proration: billing.ProrateDays}},
		[]billing.Price{{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 6000, From: billing.Date{Year: 2026, Month: 1, Day: 1}}})
	jan := billing.Month{Year: 2026, Month: 1}
	usage := []billing.UsageRecord{{Key: "u1", Source: billing.SourceVendor, Vendor: "v1", Department: "d1", Item: "IAAS-ECS-VCPU",
		Quantity: billing.Units(2), Start: jan.Start(billing.CST), End: jan.End(billing.CST)}}
	bill := []billing.VendorBillLine{{Department: "d1", Item: "IAAS-ECS-VCPU", Month: jan, Quantity: billing.Units(2), UnitPrice: 6500, Amount: 13000}}
	rep := billing.Reconcile(billing.NewRater(cat, billing.CST), "v1", jan, usage, bill, billing.Tolerance{Amount: 100})
	for _, d := range rep.Discrepancies {
		fmt.Println(d.Kind, d.Department, d.Item, d.Bill, d.Expected)
	}
	// Output:
	// 单价不符 d1 IAAS-ECS-VCPU 6500 6000
	// 金额不符 d1 IAAS-ECS-VCPU 13000 12000
}

// Rating a stream in batches: records are resolved once (Compact) and rated
// many at a time; a record without a price comes back as an issue to park.
func ExampleRater_RateBatch() {
	cat, _ := billing.NewCatalog(
		[]billing.Item{{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: billing.Monthly, Proration: billing.ProrateDays}},
		[]billing.Price{
			{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 5000, From: billing.Date{Year: 2026, Month: 1, Day: 1}},
			{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 4500, From: billing.Date{Year: 2026, Month: 3, Day: 16}},
		})
	r := billing.NewRater(cat, billing.CST)
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, billing.CST) }
	var batch []billing.CompactUsage
	for _, iv := range [][2]time.Time{
		{at(1, 10), at(2, 1)}, // 22/31 of January
		{at(3, 1), at(4, 1)},  // split by the price change: 9677 + 9290
		{at(2, 27), at(3, 2)}, // across a month end: 2/28 1429 + 1/31 645
		{time.Date(2025, 12, 1, 0, 0, 0, 0, billing.CST), at(1, 1)}, // no price yet
	} {
		u, err := r.Compact(billing.UsageRecord{Vendor: "v1", Item: "IAAS-ECS-VCPU", Quantity: billing.Units(4), Start: iv[0], End: iv[1]})
		if err != nil {
			fmt.Println(err)
			return
		}
		batch = append(batch, u)
	}
	total, issues := r.RateBatch(batch)
	for _, u := range batch {
		fmt.Print(u.Amount, " ")
	}
	fmt.Println("total", total)
	for _, is := range issues {
		fmt.Println("park record", is.Index, errors.Is(is.Err, billing.ErrNoPrice))
	}
	// Output:
	// 14194 18967 2074 0 total 35235
	// park record 3 true
}

// A year's statements streamed a page at a time (here one statement per
// page), in the listing order, straight into a finance export: memory does
// not grow with the year.
func ExampleService_AllStatements() {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, billing.CST)
	svc, _ := billing.New(billing.Options{Store: memstore.NewBillingStore(),
		Clock: billing.ClockFunc(func() time.Time { return now })})
	auth := billing.Actor{ID: "a", Role: billing.RoleAuthority}
	fin := billing.Actor{ID: "f", Role: billing.RoleFinance}
	vendor := billing.Actor{ID: "ops", Role: billing.RoleVendor, Vendor: "v1"}
	cat, _ := billing.NewCatalog(
		[]billing.Item{{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: billing.Monthly, Proration: billing.ProrateDays}},
		[]billing.Price{{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 6000, From: billing.Date{Year: 2026, Month: 1, Day: 1}}})
	_ = svc.ImportCatalog(ctx, auth, cat)
	var recs []billing.UsageRecord
	for _, d := range []string{"教育局", "d1"} {
		_ = svc.SetBudget(ctx, auth, billing.Budget{Department: d, FiscalYear: 2026, Code: "2130101", Amount: 10_000_000})
		recs = append(recs, billing.UsageRecord{Key: "u-" + d, Source: billing.SourceVendor, Vendor: "v1", Department: d,
			Item: "IAAS-ECS-VCPU", Quantity: billing.Units(4), Start: time.Date(2026, 1, 1, 0, 0, 0, 0, billing.CST),
			End: time.Date(2026, 3, 1, 0, 0, 0, 0, billing.CST)})
	}
	if _, err := svc.Ingest(ctx, vendor, recs); err != nil {
		fmt.Println("ingest", err)
	}
	for _, m := range []time.Month{time.January, time.February} {
		if _, err := svc.GenerateStatements(ctx, auth, billing.Month{Year: 2026, Month: m}); err != nil {
			fmt.Println("generate", err)
		}
	}
	year := billing.StatementFilter{FiscalYear: 2026, Limit: 1}
	for st, err := range svc.AllStatements(ctx, fin, year) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(st.Month, st.Department, billing.FormatFen(st.Totals().Net))
	}
	var csv strings.Builder
	_ = billing.WriteStatementsCSVFrom(&csv, svc.AllStatements(ctx, fin, year), billing.CST, billing.Chinese)
	fmt.Println(strings.Count(csv.String(), "\n"), "CSV rows")
	// Output:
	// 2026-01 d1 240.00
	// 2026-01 教育局 240.00
	// 2026-02 d1 240.00
	// 2026-02 教育局 240.00
	// 5 CSV rows
}
