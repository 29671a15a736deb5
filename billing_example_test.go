package govcloud_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

// Billing follows the lifecycle: activation starts metering the
// application's catalog items, and once the month is over MeterMonth turns
// the metered days into usage that the month's statement prices by natural
// days. The catalog's footprints are also what quota reserves.
func ExamplePlatform_MeterMonth() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "govcloud-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	cst := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, cst)
	n := 0
	p, err := govcloud.Open(ctx, govcloud.Options{
		SQLitePath: filepath.Join(dir, "govcloud.db"),
		Clock:      workflow.ClockFunc(func() time.Time { return now }),
		IDs:        workflow.IDFunc(func() string { n++; return fmt.Sprintf("A%03d", n) }),
	})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	// The service catalog and vendor-a's contract prices (分 per unit-month).
	office := billing.Actor{ID: "大数据局", Role: billing.RoleAuthority}
	from := billing.Date{Year: 2026, Month: time.January, Day: 1}
	catalog := billMust(billing.NewCatalog([]billing.Item{
		{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Footprint: quota.Vector{quota.VCPU: 1000}, Basis: billing.Monthly, Proration: billing.ProrateDays},
		{Code: "IAAS-EVS-GB", Name: "云硬盘", Unit: "GiB·月", Footprint: quota.Vector{quota.Storage: 1}, Basis: billing.Monthly, Proration: billing.ProrateDays},
	}, []billing.Price{
		{Item: "IAAS-ECS-VCPU", Vendor: "vendor-a", UnitPrice: 10_000, From: from},
		{Item: "IAAS-EVS-GB", Vendor: "vendor-a", UnitPrice: 50, From: from},
	}))
	if err := p.Billing().ImportCatalog(ctx, office, catalog); err != nil {
		panic(err)
	}
	if err := p.Billing().SetBudget(ctx, office, billing.Budget{Department: "市自然资源局", FiscalYear: 2026, Code: "2130101", Amount: 10_000_000}); err != nil {
		panic(err)
	}
	capacity := quota.Vector{quota.VCPU: 1_000_000, quota.Storage: 500_000}
	billMust(p.CreatePlatformPool(ctx, govcloud.PlatformPool{ID: "vendor-a-private", Vendor: "vendor-a", Zone: workflow.PrivateZone, Limit: capacity}))
	billMust(p.CreateTierPool(ctx, govcloud.TierPool{ID: "city", Platform: "vendor-a-private", Tier: quota.TierCity, Limit: capacity}))
	billMust(p.CreateDepartmentPool(ctx, govcloud.DepartmentPool{Department: "市自然资源局", Tier: "city", Year: 2026,
		Limit: quota.Vector{quota.VCPU: 16_000, quota.Storage: 1_000}}))

	dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "市自然资源局"}
	auth := workflow.Actor{Role: workflow.RoleAuthority, ID: "大数据局"}
	vendor := workflow.Actor{Role: workflow.RoleVendor, ID: "vendor-a"}
	doc := func(name string) workflow.Attachment {
		return workflow.Attachment{Name: name, URI: "file:///docs/" + name}
	}
	app := billMust(p.Workflow().Submit(ctx, dept, workflow.SubmitRequest{
		SystemName: "不动产登记系统", Vendor: "vendor-a", Zone: workflow.PrivateZone, SecurityLevel: 2,
		Items: []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 4}, {Code: "IAAS-EVS-GB", Quantity: 100}},
		Materials: []workflow.Material{
			{Kind: workflow.MaterialConstructionPlan, Attachment: doc("建设方案.pdf")},
			{Kind: workflow.MaterialSelfTestReport, Attachment: doc("自测报告.pdf")},
			{Kind: workflow.MaterialResourceRequest, Attachment: doc("资源需求.xlsx")},
		},
	}))
	billMust(p.Workflow().Fire(ctx, auth, app.ID, workflow.TriggerAccept, workflow.Input{}))
	billMust(p.Workflow().Fire(ctx, auth, app.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 15}))
	fmt.Println("held:", billMust(p.Quota().Reservation(ctx, app.ID)).Held.Format(quota.English))
	app = billMust(p.Workflow().Get(ctx, auth, app.ID))
	billMust(p.Workflow().CompleteWorkOrder(ctx, vendor, app.OpenWorkOrder, workflow.Completion{Key: "trial-ready"}))
	for _, k := range []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity} {
		billMust(p.Workflow().Fire(ctx, dept, app.ID, workflow.TriggerRecordTestReport, workflow.Input{
			TestReport: &workflow.TestReport{Kind: k, Passed: true, Report: doc(string(k) + ".pdf")}}))
	}
	billMust(p.Workflow().Fire(ctx, dept, app.ID, workflow.TriggerSubmitTests, workflow.Input{}))
	now = time.Date(2026, 3, 20, 10, 0, 0, 0, cst) // 终审通过, 开通: metering starts
	billMust(p.Workflow().Fire(ctx, auth, app.ID, workflow.TriggerActivate, workflow.Input{Opinion: "同意开通"}))

	// After the month: meter it, draft the statement (20–31 March: 12 of 31 days).
	now = time.Date(2026, 4, 1, 9, 0, 0, 0, cst)
	march := billing.Month{Year: 2026, Month: time.March}
	rep := billMust(p.MeterMonth(ctx, office, march))
	fmt.Println("metered:", rep.Applications, "application,", rep.Ingest.Inserted, "records")
	gen := billMust(p.Billing().GenerateStatements(ctx, office, march))
	for _, st := range gen.Statements {
		for _, l := range st.Lines {
			fmt.Printf("%s × %s  %s  %s 元\n", l.Item, l.Quantity, l.Rule, billing.FormatFen(l.Amount))
		}
		fmt.Println("net:", billing.FormatFen(st.Totals().Net), "元")
	}
	// Output:
	// held: storage 100 GiB, vCPU 4000 milli-vCPU
	// metered: 1 application, 2 records
	// IAAS-ECS-VCPU × 4  按月 按自然日折算 12/31  154.84 元
	// IAAS-EVS-GB × 100  按月 按自然日折算 12/31  19.35 元
	// net: 174.19 元
}

func billMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
