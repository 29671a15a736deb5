package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// An application from submission to go-live, with the real PRC calendar.
func Example() {
	ctx := context.Background()
	cst := time.FixedZone("UTC+8", 8*3600)
	clock := workflowtest.NewClock(time.Date(2026, 9, 29, 10, 0, 0, 0, cst)) // Tuesday before National Day
	eng, err := workflow.New(workflow.Options{
		Store:    memstore.NewWorkflowStore(),
		Policy:   workflow.ZhejiangPreset(),
		Calendar: calendar.China(),
		Clock:    clock,
		IDs:      &workflowtest.IDs{Prefix: "app"},
	})
	if err != nil {
		panic(err)
	}
	dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "卫健委"}
	auth := workflow.Actor{Role: workflow.RoleAuthority, ID: "省政府办公厅"}
	vendor := workflow.Actor{Role: workflow.RoleVendor, ID: "云服务商A"}
	doc := func(k workflow.MaterialKind) workflow.Material {
		return workflow.Material{Kind: k, Attachment: workflow.Attachment{URI: "doc://" + string(k)}}
	}
	a, err := eng.Submit(ctx, dept, workflow.SubmitRequest{
		SystemName: "健康档案", Vendor: vendor.ID, Zone: workflow.PrivateZone, SecurityLevel: 2,
		Items: []workflow.Item{{Code: "ecs.4c8g", Quantity: 2}},
		Materials: []workflow.Material{doc(workflow.MaterialConstructionPlan), doc(workflow.MaterialSelfTestReport),
			doc(workflow.MaterialResourceRequest)},
	})
	if err != nil {
		panic(err)
	}
	show := func(a workflow.Application) {
		due := "-"
		if !a.Due.IsZero() {
			due = a.Due.In(cst).Format("2006-01-02 15:04")
		}
		fmt.Printf("%s | %s | due %s\n", a.State, a.Party.Label(workflow.English), due)
	}
	show(a) // 3 working days, skipping the 1–7 October holiday
	a, _ = eng.Fire(ctx, auth, a.ID, workflow.TriggerAccept, workflow.Input{})
	show(a)
	a, _ = eng.Fire(ctx, auth, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 15})
	show(a)
	a, _ = eng.CompleteWorkOrder(ctx, vendor, a.OpenWorkOrder, workflow.Completion{Key: "env-1"})
	show(a)
	for _, k := range []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity} {
		_, err = eng.Fire(ctx, dept, a.ID, workflow.TriggerRecordTestReport, workflow.Input{
			TestReport: &workflow.TestReport{Kind: k, Passed: true, Report: workflow.Attachment{URI: "doc://" + string(k)}}})
		if err != nil {
			panic(err)
		}
	}
	a, _ = eng.Fire(ctx, dept, a.ID, workflow.TriggerSubmitTests, workflow.Input{})
	show(a)
	a, _ = eng.Fire(ctx, auth, a.ID, workflow.TriggerActivate, workflow.Input{Opinion: "终审通过"})
	show(a)
	fmt.Println("audit chain intact:", eng.Verify(ctx, auth, a.ID) == nil)
	// Output:
	// 已提交待受理 | authority | due 2026-10-10 00:00
	// 已受理待审批 | authority | due 2026-10-09 00:00
	// 试用环境准备中 | vendor | due 2026-10-09 00:00
	// 试用中 | department | due 2026-10-15 00:00
	// 终审中 | authority | due -
	// 已开通 | none | due -
	// audit chain intact: true
}

// A custom policy loaded from JSON on top of the Zhejiang preset, and a malformed one.
func ExampleLoadPolicy() {
	p, err := workflow.LoadPolicy(strings.NewReader(`{
		"base": "zhejiang",
		"name": "某市",
		"trial": {"min_days": 10, "max_days": 20, "default_days": 15, "max_extensions": 1, "max_extension_days": 10},
		"tests": {"trial": ["function", "performance", "security"], "major_change": ["performance", "security"],
		          "third_party_levels": [2, 3, 4, 5], "third_party_kinds": ["security"]}
	}`))
	fmt.Println(p.Name, p.Deadlines.Accept, p.Trial.MaxDays, p.Tests.ThirdPartyLevels, err)

	_, err = workflow.LoadPolicy(strings.NewReader(`{"base": "zhejiang", "trial": {"min_days": 40, "maxdays": 30}}`))
	var fe *workflow.FieldError
	fmt.Println(errors.Is(err, workflow.ErrInvalidPolicy), errors.As(err, &fe), fe.Field)
	// Output:
	// 某市 3 20 [2 3 4 5] <nil>
	// true true maxdays
}

// Policy.Validate reports every problem at once.
func ExamplePolicy_Validate() {
	p := workflow.ZhejiangPreset()
	p.Deadlines.Accept = -3
	p.Trial.MaxDays = 10
	p.Roles[workflow.TriggerApprove] = []workflow.Role{workflow.RoleOperator}
	var me *workflow.MultiError
	if errors.As(p.Validate(), &me) {
		for _, e := range me.Errs {
			fmt.Println(e.(*workflow.FieldError).Field)
		}
	}
	// Output:
	// deadlines.accept
	// trial.max_days
	// trial.default_days
	// roles.approve[0]
}

// Labels are Chinese by default, English on request.
func ExampleState_Label() {
	s := workflow.StateChangeReview
	fmt.Println(s, "/", s.Label(workflow.English))
	fmt.Println(workflow.TriggerReject, "/", workflow.TriggerReject.Label(workflow.English))
	// Output:
	// 变更审批中 / change under review
	// 不予受理 / reject
}

// Verify finds the record an attacker altered.
func ExampleVerifyChain() {
	ctx := context.Background()
	store := memstore.NewWorkflowStore()
	eng, _ := workflow.New(workflow.Options{Store: store, Policy: workflow.ZhejiangPreset(),
		Calendar: workflowtest.WeekdayCalendar{}, Clock: workflowtest.NewClock(workflowtest.Base), IDs: &workflowtest.IDs{Prefix: "a"}})
	a, _ := eng.Submit(ctx, workflowtest.Dept, workflowtest.Request(2))
	a, _ = eng.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerReject, workflow.Input{Opinion: "材料不全"})
	h, _ := store.History(ctx, a.ID)
	fmt.Println(workflow.VerifyChain(a, h))
	h[1].Opinion = "同意"
	var te *workflow.TamperError
	if errors.As(workflow.VerifyChain(a, h), &te) {
		fmt.Println(te.Seq, te.Problem)
	}
	// Output:
	// <nil>
	// 2 altered
}

// A Relay hands committed transitions to a subscriber, in order per application.
func ExampleRelay() {
	ctx := context.Background()
	store := memstore.NewWorkflowStore()
	clock := workflowtest.NewClock(workflowtest.Base)
	eng, _ := workflow.New(workflow.Options{Store: store, Policy: workflow.ZhejiangPreset(),
		Calendar: workflowtest.WeekdayCalendar{}, Clock: clock, IDs: &workflowtest.IDs{Prefix: "a"}})
	a, _ := eng.Submit(ctx, workflowtest.Dept, workflowtest.Request(2))
	eng.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	relay, _ := workflow.NewRelay(workflow.RelayOptions{Store: store, Clock: clock, IDs: &workflowtest.IDs{Prefix: "lease"}})
	billing := workflow.SubscriberFunc("billing", func(_ context.Context, t workflow.Transition, _ workflow.Delivery) error {
		fmt.Println(t.IdempotencyKey, t.From.Label(workflow.English), "→", t.To.Label(workflow.English))
		return nil
	})
	for {
		n, err := relay.DeliverOnce(ctx, billing)
		if err != nil || n == 0 {
			break
		}
	}
	// Output:
	// a-000001/1 not submitted → submitted
	// a-000001/2 submitted → accepted
}

// Outbox retention: messages every subscriber has acknowledged go once they are older
// than the retention; a message a subscriber still has to handle stays.
func ExampleRelay_Prune() {
	ctx := context.Background()
	store := memstore.NewWorkflowStore()
	clock := workflowtest.NewClock(workflowtest.Base)
	eng, _ := workflow.New(workflow.Options{Store: store, Policy: workflow.ZhejiangPreset(),
		Calendar: workflowtest.WeekdayCalendar{}, Clock: clock, IDs: &workflowtest.IDs{Prefix: "a"}})
	relay, _ := workflow.NewRelay(workflow.RelayOptions{Store: store, Clock: clock, IDs: &workflowtest.IDs{Prefix: "lease"}})
	a, _ := eng.Submit(ctx, workflowtest.Dept, workflowtest.Request(2))
	billing := workflow.SubscriberFunc("billing", func(context.Context, workflow.Transition, workflow.Delivery) error { return nil })
	relay.DeliverOnce(ctx, billing) // billing acknowledges the submission

	clock.Advance(31 * 24 * time.Hour)
	eng.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	clock.Advance(31 * 24 * time.Hour)
	keep := workflow.PruneOptions{Keep: 30 * 24 * time.Hour, Subscribers: []string{"billing"}}
	n, err := relay.Prune(ctx, keep)
	fmt.Println("pruned", n, err) // the acceptance is not acknowledged yet
	relay.DeliverOnce(ctx, billing)
	n, err = relay.Prune(ctx, keep)
	fmt.Println("pruned", n, err)
	h, _ := eng.History(ctx, workflowtest.Authority, a.ID)
	fmt.Println("audit records kept:", len(h))
	// Output:
	// pruned 1 <nil>
	// pruned 1 <nil>
	// audit records kept: 2
}

// A participant that tells someone about approvals defers the message with
// AfterCommit: it is sent once the approval has committed, and never for an
// approval that a later participant (here a quota check) rolls back.
func ExampleAfterCommit() {
	ctx := context.Background()
	notify := workflow.ParticipantFunc(func(ctx context.Context, _ workflow.Tx, t workflow.Transition) error {
		if t.Trigger == workflow.TriggerApprove {
			workflow.AfterCommit(ctx, func() { fmt.Printf("notice: %s approved (version %d)\n", t.ApplicationID, t.Version) })
		}
		return nil
	})
	poolFull := true
	quotaCheck := workflow.ParticipantFunc(func(_ context.Context, _ workflow.Tx, t workflow.Transition) error {
		if t.Trigger == workflow.TriggerApprove && poolFull {
			return errors.New("quota: pool exhausted")
		}
		return nil
	})
	eng, err := workflow.New(workflow.Options{
		Store: memstore.NewWorkflowStore(), Policy: workflow.ZhejiangPreset(), Calendar: calendar.China(),
		Clock:        workflowtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, workflowtest.China)),
		IDs:          &workflowtest.IDs{Prefix: "app"},
		Participants: []workflow.Participant{notify, quotaCheck},
	})
	if err != nil {
		panic(err)
	}
	a, err := eng.Submit(ctx, workflowtest.Dept, workflowtest.Request(2))
	if err != nil {
		panic(err)
	}
	if _, err := eng.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{}); err != nil {
		panic(err)
	}
	_, err = eng.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerApprove, workflow.Input{})
	fmt.Println("first approval:", err)
	poolFull = false
	_, err = eng.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerApprove, workflow.Input{})
	fmt.Println("second approval:", err)
	fmt.Println("outside a transition:", workflow.AfterCommit(ctx, func() {}))
	// Output:
	// first approval: quota: pool exhausted
	// notice: app-000001 approved (version 3)
	// second approval: <nil>
	// outside a transition: false
}
