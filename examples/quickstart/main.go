package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

func main() {
	dir, err := os.MkdirTemp("", "govcloud-quickstart")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	// The system clock and random UUIDs; the Example injects fixed ones.
	if err := run(context.Background(), os.Stdout, filepath.Join(dir, "govcloud.db"), nil, nil); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run is the whole quickstart. clock and ids may be nil (system clock,
// random UUIDs).
func run(ctx context.Context, w io.Writer, dbPath string, clock workflow.Clock, ids workflow.IDGenerator) error {
	p, err := govcloud.Open(ctx, govcloud.Options{SQLitePath: dbPath, Clock: clock, IDs: ids})
	if err != nil {
		return err
	}
	defer p.Close()

	// 1. Quota: the vendor's capacity → the city cloud → the department's yearly quota.
	capacity := quota.Vector{quota.VCPU: 1_000_000, quota.Memory: 4_000_000, quota.Storage: 500_000}
	if _, err := p.CreatePlatformPool(ctx, govcloud.PlatformPool{ID: "vendor-a-private", Name: "A 云专有云",
		Vendor: "vendor-a", Zone: workflow.PrivateZone, Limit: capacity}); err != nil {
		return err
	}
	if _, err := p.CreateTierPool(ctx, govcloud.TierPool{ID: "city", Platform: "vendor-a-private", Name: "市级政务云",
		Tier: quota.TierCity, Limit: capacity}); err != nil {
		return err
	}
	if _, err := p.CreateDepartmentPool(ctx, govcloud.DepartmentPool{Department: "市自然资源局", Tier: "city", Year: 2026,
		Limit: quota.Vector{quota.VCPU: 32_000, quota.Memory: 65_536, quota.Storage: 2_000}}); err != nil {
		return err
	}

	// 2. The actors: a department, the authority, the vendor.
	dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "市自然资源局"}
	auth := workflow.Actor{Role: workflow.RoleAuthority, ID: "市大数据局"}
	vendor := workflow.Actor{Role: workflow.RoleVendor, ID: "vendor-a"}
	doc := func(name string) workflow.Attachment {
		return workflow.Attachment{Name: name, URI: "file:///docs/" + name}
	}
	wf := p.Workflow()
	show := func(app workflow.Application, err error) (workflow.Application, error) {
		if err == nil {
			fmt.Fprintf(w, "%s (%s) → 下一步 next: %s\n", app.State, string(app.State), app.Party)
		}
		return app, err
	}

	// 3. The department applies (第七条).
	app, err := show(wf.Submit(ctx, dept, workflow.SubmitRequest{
		SystemName: "不动产登记系统", Vendor: "vendor-a", Zone: workflow.PrivateZone, SecurityLevel: 3,
		Items: []workflow.Item{{Code: "ecs.4c8g", Quantity: 4}, {Code: "evs.gb", Quantity: 500}},
		Materials: []workflow.Material{
			{Kind: workflow.MaterialConstructionPlan, Attachment: doc("建设方案.pdf")},
			{Kind: workflow.MaterialSelfTestReport, Attachment: doc("自测报告.pdf")},
			{Kind: workflow.MaterialResourceRequest, Attachment: doc("资源需求.xlsx")},
		},
	}))
	if err != nil {
		return err
	}
	id := app.ID

	// 4. The authority accepts and approves (第八条): the quota is reserved.
	if _, err := show(wf.Fire(ctx, auth, id, workflow.TriggerAccept, workflow.Input{})); err != nil {
		return err
	}
	if app, err = show(wf.Fire(ctx, auth, id, workflow.TriggerApprove, workflow.Input{TrialDays: 15, Opinion: "同意"})); err != nil {
		return err
	}
	r, err := p.Quota().Reservation(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "配额:", r.State, r.Held)

	// 5. The vendor provides the trial environment by completing its work order (第九条).
	if app, err = show(wf.CompleteWorkOrder(ctx, vendor, app.OpenWorkOrder, workflow.Completion{Key: "trial-env-1", Note: "试用环境已就绪"})); err != nil {
		return err
	}

	// 6. Test reports: function, then performance and security by a CNAS lab (等保三级).
	for _, k := range []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity} {
		rep := &workflow.TestReport{Kind: k, Passed: true, Report: doc(string(k) + "-report.pdf")}
		if k != workflow.TestFunction {
			rep.ThirdParty, rep.Lab = true, "某CNAS认可检测机构"
		}
		if _, err := wf.Fire(ctx, dept, id, workflow.TriggerRecordTestReport, workflow.Input{TestReport: rep}); err != nil {
			return err
		}
	}
	if _, err := show(wf.Fire(ctx, dept, id, workflow.TriggerSubmitTests, workflow.Input{})); err != nil {
		return err
	}

	// 7. Final review (第十条): the system goes live, the quota is committed.
	if _, err := show(wf.Fire(ctx, auth, id, workflow.TriggerActivate, workflow.Input{Opinion: "同意开通"})); err != nil {
		return err
	}
	if r, err = p.Quota().Reservation(ctx, id); err != nil {
		return err
	}
	fmt.Fprintln(w, "配额:", r.State, r.Committed)

	// 8. The audit trail: one hash-chained record per act; Verify recomputes the chain.
	hist, err := wf.History(ctx, auth, id)
	if err != nil {
		return err
	}
	for _, rec := range hist {
		fmt.Fprintf(w, "#%d %s %s (%s)\n", rec.Seq, rec.Hash[:12], rec.Trigger, string(rec.Trigger))
	}
	if err := wf.Verify(ctx, auth, id); err != nil {
		return err
	}
	fmt.Fprintln(w, "审计链校验通过 / audit chain verified")
	return nil
}
