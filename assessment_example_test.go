package govcloud_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

// The platform assesses its vendors from what it holds: the work orders'
// deadlines (the trial environment came two days late), the outages
// reported to it, and billing's statements, on which the month's
// service-level credit becomes a deduction line.
func ExamplePlatform_AssessVendors() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "govcloud-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	cst := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, cst) // a Monday
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

	office := billing.Actor{ID: "大数据局", Role: billing.RoleAuthority}
	from := billing.Date{Year: 2026, Month: time.January, Day: 1}
	catalog := billMust(billing.NewCatalog([]billing.Item{
		{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Footprint: quota.Vector{quota.VCPU: 1000}, Basis: billing.Monthly, Proration: billing.ProrateDays},
	}, []billing.Price{{Item: "IAAS-ECS-VCPU", Vendor: "vendor-a", UnitPrice: 10_000, From: from}}))
	billMust(0, p.Billing().ImportCatalog(ctx, office, catalog))
	billMust(0, p.Billing().SetBudget(ctx, office, billing.Budget{Department: "市自然资源局", FiscalYear: 2026, Code: "2130101", Amount: 10_000_000}))
	capacity := quota.Vector{quota.VCPU: 1_000_000}
	billMust(p.CreatePlatformPool(ctx, govcloud.PlatformPool{ID: "vendor-a-private", Vendor: "vendor-a", Zone: workflow.PrivateZone, Limit: capacity}))
	billMust(p.CreateTierPool(ctx, govcloud.TierPool{ID: "city", Platform: "vendor-a-private", Tier: quota.TierCity, Limit: capacity}))
	billMust(p.CreateDepartmentPool(ctx, govcloud.DepartmentPool{Department: "市自然资源局", Tier: "city", Year: 2026, Limit: capacity}))

	dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "市自然资源局"}
	auth := workflow.Actor{Role: workflow.RoleAuthority, ID: "大数据局"}
	vendor := workflow.Actor{Role: workflow.RoleVendor, ID: "vendor-a"}
	doc := func(name string) workflow.Attachment {
		return workflow.Attachment{Name: name, URI: "file:///docs/" + name}
	}
	app := billMust(p.Workflow().Submit(ctx, dept, workflow.SubmitRequest{
		SystemName: "不动产登记系统", Vendor: "vendor-a", Zone: workflow.PrivateZone, SecurityLevel: 2,
		Items: []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 8}},
		Materials: []workflow.Material{
			{Kind: workflow.MaterialConstructionPlan, Attachment: doc("建设方案.pdf")},
			{Kind: workflow.MaterialSelfTestReport, Attachment: doc("自测报告.pdf")},
			{Kind: workflow.MaterialResourceRequest, Attachment: doc("资源需求.xlsx")},
		},
	}))
	billMust(p.Workflow().Fire(ctx, auth, app.ID, workflow.TriggerAccept, workflow.Input{}))
	billMust(p.Workflow().Fire(ctx, auth, app.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 15}))
	app = billMust(p.Workflow().Get(ctx, auth, app.ID))
	now = time.Date(2026, 3, 6, 10, 0, 0, 0, cst) // two working days late
	billMust(p.Workflow().CompleteWorkOrder(ctx, vendor, app.OpenWorkOrder, workflow.Completion{Key: "trial-ready"}))
	for _, k := range []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity} {
		billMust(p.Workflow().Fire(ctx, dept, app.ID, workflow.TriggerRecordTestReport, workflow.Input{
			TestReport: &workflow.TestReport{Kind: k, Passed: true, Report: doc(string(k) + ".pdf")}}))
	}
	billMust(p.Workflow().Fire(ctx, dept, app.ID, workflow.TriggerSubmitTests, workflow.Input{}))
	now = time.Date(2026, 3, 20, 10, 0, 0, 0, cst)
	billMust(p.Workflow().Fire(ctx, auth, app.ID, workflow.TriggerActivate, workflow.Input{Opinion: "同意开通"}))

	// The vendor reports a two-hour outage; the department keeps one system off the platform.
	billMust(0, p.RecordOutage(ctx, vendor, "vendor-a", assessment.Outage{ID: "INC-0325",
		Interval: assessment.Interval{From: time.Date(2026, 3, 25, 1, 0, 0, 0, cst), To: time.Date(2026, 3, 25, 3, 0, 0, 0, cst)}}))
	billMust(0, p.RegisterSystem(ctx, dept, dept.ID, assessment.SystemRecord{ID: "OA", Name: "办公自动化系统"}))

	// After the month: meter it, draft the statement, assess.
	now = time.Date(2026, 4, 1, 9, 0, 0, 0, cst)
	march := assessment.Month{Year: 2026, Month: time.March}
	billMust(p.MeterMonth(ctx, office, billing.Month(march)))
	billMust(p.Billing().GenerateStatements(ctx, office, billing.Month(march)))

	vrun := billMust(p.AssessVendors(ctx, auth, assessment.MonthPeriod(march)))
	card, _ := vrun.Card("vendor-a")
	for _, path := range []string{assessment.PathOnTime, assessment.PathAvailability} {
		l, _ := card.Line(path)
		fmt.Println(l.Text)
	}
	drun := billMust(p.AssessDepartments(ctx, auth, assessment.MonthPeriod(march)))
	dcard, _ := drun.Card(dept.ID)
	adoption, _ := dcard.Line(assessment.PathAdoption)
	fmt.Println(adoption.Text)

	rep := billMust(p.ApplyServiceCredits(ctx, auth, march))
	for _, l := range rep.Lines {
		fmt.Println(billing.FormatFen(l.Amount), "元:", l.Reason)
	}
	// Output:
	// 工单按期完成率 0%(0/1 个工单按期完成,0 个超期未完成),目标 100%,得 0 分,权重 70%,贡献 0.0 分
	// 可用性 99.7312%(1 个月,1 个月触发服务扣减),达到 ≥99.5% 档,得 75 分,权重 40%(同级缺失后 47.06%),贡献 18.8 分
	// 上云率 50%(1/2 个系统上云),区间 0–100%,得 50 分,权重 30%(同级缺失后 100%),贡献 50.0 分
	// -30.97 元: 服务水平扣减 2026-03 可用性 99.7312%,低于 99.9%: availability 目标 99.95% 实际 99.73% 扣减 10.00%
}
