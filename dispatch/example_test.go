package dispatch_test

import (
	"context"
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	"github.com/opengovcloud/govcloud/dispatch"
	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// An approved application's trial environment is provided by the vendor
// through the dispatcher, and the work order completes.
func Example() {
	ctx := context.Background()
	clk := &clock{time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Beijing())}
	n := 0
	ids := workflow.IDFunc(func() string { n++; return fmt.Sprintf("id-%d", n) })
	store := memstore.NewWorkflowStore()
	engine, _ := workflow.New(workflow.Options{Store: store, Policy: workflow.ZhejiangPreset(), Calendar: calendar.China(), Clock: clk, IDs: ids})
	relay, _ := workflow.NewRelay(workflow.RelayOptions{Store: store, Clock: clk, IDs: ids})
	vendor, _ := simprovider.New(simprovider.Options{Vendor: "vendor-a", Clock: clk})
	d, _ := dispatch.New(dispatch.Options{
		Store: dispatch.NewMemStore(), Providers: map[string]govcloud.Provider{"vendor-a": vendor},
		WorkOrders: store, Completer: engine, Clock: clk, Owner: "dispatcher-1",
	})

	dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "dept-1"}
	auth := workflow.Actor{Role: workflow.RoleAuthority, ID: "office"}
	att := func(k workflow.MaterialKind) workflow.Material {
		return workflow.Material{Kind: k, Attachment: workflow.Attachment{Name: string(k), URI: "doc://" + string(k)}}
	}
	app, err := engine.Submit(ctx, dept, workflow.SubmitRequest{
		SystemName: "不动产登记", Vendor: "vendor-a", Zone: workflow.PrivateZone, SecurityLevel: 2,
		Items:     []workflow.Item{{Code: "ecs.vcpu", Quantity: 8}},
		Materials: []workflow.Material{att(workflow.MaterialConstructionPlan), att(workflow.MaterialSelfTestReport), att(workflow.MaterialResourceRequest)},
	})
	if err != nil {
		panic(err)
	}
	engine.Fire(ctx, auth, app.ID, workflow.TriggerAccept, workflow.Input{})
	engine.Fire(ctx, auth, app.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 15})

	for range 200 { // half-hour steps of simulated time
		relay.DeliverOnce(ctx, d) // transitions → jobs
		d.RunOnce(ctx)            // jobs → vendor → workflow
		clk.t = clk.t.Add(30 * time.Minute)
	}
	app, _ = engine.Get(ctx, auth, app.ID)
	fmt.Println(app.State, vendor.Resources(app.ID)[0].Item)
	// Output:
	// 试用中 ecs.vcpu
}
