package govcloud_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

// Open a platform on an SQLite file with the defaults (Zhejiang policy,
// official calendar); the clock and IDs are fixed here so the output is stable.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "govcloud-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	n := 0
	p, err := govcloud.Open(context.Background(), govcloud.Options{
		SQLitePath: filepath.Join(dir, "govcloud.db"),
		Clock:      workflow.ClockFunc(func() time.Time { return time.Date(2026, 9, 29, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)) }),
		IDs:        workflow.IDFunc(func() string { n++; return fmt.Sprintf("A%03d", n) }),
	})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "市自然资源局"}
	doc := func(name string) workflow.Attachment {
		return workflow.Attachment{Name: name, URI: "file:///docs/" + name}
	}
	app, err := p.Workflow().Submit(context.Background(), dept, workflow.SubmitRequest{
		SystemName: "不动产登记系统", Vendor: "vendor-a", Zone: workflow.PrivateZone, SecurityLevel: 3,
		Items: []workflow.Item{{Code: "ecs.8c16g", Quantity: 4}},
		Materials: []workflow.Material{
			{Kind: workflow.MaterialConstructionPlan, Attachment: doc("建设方案.pdf")},
			{Kind: workflow.MaterialSelfTestReport, Attachment: doc("自测报告.pdf")},
			{Kind: workflow.MaterialResourceRequest, Attachment: doc("资源需求.xlsx")},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(app.ID, app.State, "→", app.Party)
	// Three working days, skipping the weekend and the National Day holiday.
	fmt.Println("受理期限:", app.Due.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04"))
	// Output:
	// A001 已提交待受理 → 行政主管部门
	// 受理期限: 2026-10-10 00:00
}

// Quota follows the lifecycle: the department's pool is set up once, the
// approval reserves the application's resources in the same transaction
// (an approval the pool cannot cover fails and writes nothing), and
// activation commits them.
func ExampleOpen_quota() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "govcloud-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	n := 0
	p, err := govcloud.Open(ctx, govcloud.Options{
		SQLitePath: filepath.Join(dir, "govcloud.db"),
		Clock:      workflow.ClockFunc(func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)) }),
		IDs:        workflow.IDFunc(func() string { n++; return fmt.Sprintf("A%03d", n) }),
	})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	fmt.Println("mode:", p.QuotaMode())

	// Platform capacity → city cloud → the department's yearly quota.
	capacity := quota.Vector{quota.VCPU: 1_000_000, quota.Memory: 4_000_000, quota.Storage: 500_000}
	must(p.CreatePlatformPool(ctx, govcloud.PlatformPool{ID: "vendor-a-private", Vendor: "vendor-a", Zone: workflow.PrivateZone, Limit: capacity}))
	must(p.CreateTierPool(ctx, govcloud.TierPool{ID: "city", Platform: "vendor-a-private", Tier: quota.TierCity, Limit: capacity}))
	must(p.CreateDepartmentPool(ctx, govcloud.DepartmentPool{Department: "市自然资源局", Tier: "city", Year: 2026,
		Limit: quota.Vector{quota.VCPU: 20_000, quota.Memory: 40_960, quota.Storage: 2_000}}))

	dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "市自然资源局"}
	auth := workflow.Actor{Role: workflow.RoleAuthority, ID: "大数据局"}
	doc := func(name string) workflow.Attachment {
		return workflow.Attachment{Name: name, URI: "file:///docs/" + name}
	}
	request := func(servers int64) workflow.SubmitRequest {
		return workflow.SubmitRequest{
			SystemName: "不动产登记系统", Vendor: "vendor-a", Zone: workflow.PrivateZone, SecurityLevel: 2,
			Items: []workflow.Item{{Code: "ecs.4c8g", Quantity: servers}},
			Materials: []workflow.Material{
				{Kind: workflow.MaterialConstructionPlan, Attachment: doc("建设方案.pdf")},
				{Kind: workflow.MaterialSelfTestReport, Attachment: doc("自测报告.pdf")},
				{Kind: workflow.MaterialResourceRequest, Attachment: doc("资源需求.xlsx")},
			},
		}
	}
	// Early feedback before applying: 4 servers fit.
	fmt.Println("check 4 servers:", p.CheckQuota(ctx, dept, request(4)))

	approve := func(servers int64) (string, error) {
		app, err := p.Workflow().Submit(ctx, dept, request(servers))
		if err != nil {
			panic(err)
		}
		must(p.Workflow().Fire(ctx, auth, app.ID, workflow.TriggerAccept, workflow.Input{}))
		_, err = p.Workflow().Fire(ctx, auth, app.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 15})
		return app.ID, err
	}
	id, err := approve(4)
	if err != nil {
		panic(err)
	}
	r := must(p.Quota().Reservation(ctx, id))
	fmt.Println(id, r.State, r.Held)

	// Two more servers do not fit: the approval fails and nothing is written.
	id2, err := approve(2)
	var short *quota.ExceededError
	if errors.As(err, &short) {
		fmt.Println(id2, "refused:", short.Format(quota.English))
	}
	app2 := must(p.Workflow().Get(ctx, auth, id2))
	fmt.Println(id2, app2.State)

	// The vendor provides the trial, the tests pass, the authority activates.
	app := must(p.Workflow().Get(ctx, auth, id))
	must(p.Workflow().CompleteWorkOrder(ctx, workflow.Actor{Role: workflow.RoleVendor, ID: "vendor-a"}, app.OpenWorkOrder, workflow.Completion{Key: "trial-ready"}))
	for _, k := range []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity} {
		must(p.Workflow().Fire(ctx, dept, id, workflow.TriggerRecordTestReport, workflow.Input{
			TestReport: &workflow.TestReport{Kind: k, Passed: true, Report: doc(string(k) + ".pdf")}}))
	}
	must(p.Workflow().Fire(ctx, dept, id, workflow.TriggerSubmitTests, workflow.Input{}))
	must(p.Workflow().Fire(ctx, auth, id, workflow.TriggerActivate, workflow.Input{Opinion: "同意开通"}))
	r = must(p.Quota().Reservation(ctx, id))
	pool := must(p.DepartmentPoolOf(ctx, "市自然资源局"))
	fmt.Println(id, r.State, r.Committed)
	fmt.Println("free:", pool.Free())
	// Output:
	// mode: 同一事务
	// check 4 servers: <nil>
	// A001 已预留 内存 32768 MiB, 虚拟CPU 16000 毫核
	// A003 refused: quota: quota exceeded: pool "dept:市自然资源局" lacks memory short by 8192 (need 16384, free 8192) MiB; vCPU short by 4000 (need 8000, free 4000) milli-vCPU
	// A003 已受理待审批
	// A001 已占用 内存 32768 MiB, 虚拟CPU 16000 毫核
	// free: 内存 8192 MiB, 存储 2000 GiB, 虚拟CPU 4000 毫核
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
