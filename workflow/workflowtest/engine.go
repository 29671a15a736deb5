package workflowtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/opengovcloud/govcloud/workflow"
)

// Actors used by the engine tests.
var (
	Dept      = workflow.Actor{Role: workflow.RoleDepartment, ID: "dept-health"}
	OtherDept = workflow.Actor{Role: workflow.RoleDepartment, ID: "dept-tax"}
	Authority = workflow.Actor{Role: workflow.RoleAuthority, ID: "office-1"}
	Vendor    = workflow.Actor{Role: workflow.RoleVendor, ID: "vendor-a"}
	Vendor2   = workflow.Actor{Role: workflow.RoleVendor, ID: "vendor-b"}
	Operator  = workflow.Actor{Role: workflow.RoleOperator, ID: "bigdata-centre"}
	Finance   = workflow.Actor{Role: workflow.RoleFinance, ID: "finance"}
)

// Env is an engine on a store with a fake clock, IDs and the weekday calendar.
type Env struct {
	T      *testing.T
	Store  workflow.Store
	Engine *workflow.Engine
	Clock  *Clock
	IDs    *IDs
}

// NewEnv builds an Env on s with the Zhejiang preset.
func NewEnv(t *testing.T, s workflow.Store, parts ...workflow.Participant) *Env {
	t.Helper()
	clock := NewClock(Base)
	ids := &IDs{Prefix: "id"}
	e, err := workflow.New(workflow.Options{Store: s, Policy: workflow.ZhejiangPreset(), Calendar: WeekdayCalendar{},
		Clock: clock, IDs: ids, Participants: parts})
	if err != nil {
		t.Fatalf("workflow.New: %v", err)
	}
	return &Env{T: t, Store: s, Engine: e, Clock: clock, IDs: ids}
}

// Mats returns one material per kind.
func Mats(kinds ...workflow.MaterialKind) []workflow.Material {
	out := make([]workflow.Material, len(kinds))
	for i, k := range kinds {
		out[i] = workflow.Material{Kind: k, Attachment: workflow.Attachment{Name: string(k) + ".pdf", URI: "doc://" + string(k)}}
	}
	return out
}

// SubmitMaterials are the 第七条 materials.
func SubmitMaterials() []workflow.Material {
	return Mats(workflow.MaterialConstructionPlan, workflow.MaterialSelfTestReport, workflow.MaterialResourceRequest)
}

// Request is a valid submission at the given security level.
func Request(level int) workflow.SubmitRequest {
	return workflow.SubmitRequest{
		SystemName: "健康码", Vendor: Vendor.ID, Zone: workflow.PrivateZone, SecurityLevel: level,
		Items:     []workflow.Item{{Code: "ecs.4c8g", Quantity: 4}, {Code: "rds.pg", Quantity: 1}},
		Materials: SubmitMaterials(),
	}
}

// Must returns v, panicking on err (the test then fails with the stack). Use it only
// in the test's own goroutine.
func Must[V any](v V, err error) V {
	if err != nil {
		panic(fmt.Sprintf("workflowtest: unexpected error: %v", err))
	}
	return v
}

// Submit submits a valid application of dept.
func (v *Env) Submit(level int) workflow.Application {
	v.T.Helper()
	return Must(v.Engine.Submit(context.Background(), Dept, Request(level)))
}

// Fire fires and fails the test on error.
func (v *Env) Fire(a workflow.Actor, id string, tr workflow.Trigger, in workflow.Input) workflow.Application {
	v.T.Helper()
	return Must(v.Engine.Fire(context.Background(), a, id, tr, in))
}

// CompleteOpen completes the application's open work order as the vendor.
func (v *Env) CompleteOpen(id string) workflow.Application {
	v.T.Helper()
	app := Must(v.Engine.Get(context.Background(), Authority, id))
	if app.OpenWorkOrder == "" {
		v.T.Fatalf("application %s (%s) has no open work order", id, app.State.Label(workflow.English))
	}
	return Must(v.Engine.CompleteWorkOrder(context.Background(), Vendor, app.OpenWorkOrder,
		workflow.Completion{Key: "done-" + app.OpenWorkOrder, Note: "完成"}))
}

// Report returns a passing test report.
func Report(k workflow.TestKind, thirdParty bool) *workflow.TestReport {
	r := &workflow.TestReport{Kind: k, Passed: true, Report: workflow.Attachment{Name: string(k), URI: "doc://test/" + string(k)}}
	if thirdParty {
		r.ThirdParty, r.Lab = true, "CNAS L0001"
	}
	return r
}

// ToTrial takes a new application of the given level to StateTrial.
func (v *Env) ToTrial(level int) workflow.Application {
	v.T.Helper()
	a := v.Submit(level)
	v.Fire(Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	v.Fire(Authority, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
	return v.CompleteOpen(a.ID)
}

// PassTests records every passing report the level needs.
func (v *Env) PassTests(id string, kinds []workflow.TestKind, level int) {
	v.T.Helper()
	for _, k := range kinds {
		v.Fire(Dept, id, workflow.TriggerRecordTestReport, workflow.Input{TestReport: Report(k, level >= 3 && k != workflow.TestFunction)})
	}
}

// ToActive takes a new application to StateActive.
func (v *Env) ToActive(level int) workflow.Application {
	v.T.Helper()
	a := v.ToTrial(level)
	v.PassTests(a.ID, []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity}, level)
	v.Fire(Dept, a.ID, workflow.TriggerSubmitTests, workflow.Input{})
	return v.Fire(Authority, a.ID, workflow.TriggerActivate, workflow.Input{Opinion: "同意开通"})
}

func runEngine(t *testing.T, newStore func(t *testing.T) workflow.Store) {
	t.Run("HappyPath", func(t *testing.T) { testHappyPath(t, NewEnv(t, newStore(t))) })
	t.Run("Branches", func(t *testing.T) { testBranches(t, NewEnv(t, newStore(t))) })
	t.Run("Timing", func(t *testing.T) { testTiming(t, NewEnv(t, newStore(t))) })
	t.Run("Overdue", func(t *testing.T) { testEngineOverdue(t, NewEnv(t, newStore(t))) })
	t.Run("Access", func(t *testing.T) { testAccess(t, NewEnv(t, newStore(t))) })
	t.Run("BadInputWritesNothing", func(t *testing.T) { testBadInput(t, NewEnv(t, newStore(t))) })
	t.Run("WorkOrderIdempotency", func(t *testing.T) { testWorkOrderIdempotency(t, NewEnv(t, newStore(t))) })
	t.Run("ParticipantRollback", func(t *testing.T) { testParticipant(t, newStore(t)) })
	t.Run("AfterCommit", func(t *testing.T) { testAfterCommit(t, newStore) })
	t.Run("ConcurrentFire", func(t *testing.T) { testConcurrentFire(t, NewEnv(t, newStore(t))) })
	t.Run("Relay", func(t *testing.T) { testRelay(t, NewEnv(t, newStore(t))) })
}

func testHappyPath(t *testing.T, v *Env) {
	ctx := context.Background()
	a := v.Submit(3)
	if a.State != workflow.StateSubmitted || a.Party != workflow.PartyAuthority || a.Department != Dept.ID || a.Version != 1 {
		t.Fatalf("after submit: %+v", a)
	}
	// Submitted Monday 09:00: 3 working days are Tue, Wed, Thu → due Friday 00:00.
	if want := time.Date(2026, 3, 6, 0, 0, 0, 0, China); !a.Due.Equal(want) {
		t.Errorf("accept due = %v, want %v", a.Due, want)
	}
	for _, c := range []struct {
		actor workflow.Actor
		want  []workflow.Trigger
	}{
		{Authority, []workflow.Trigger{workflow.TriggerAccept, workflow.TriggerReject}},
		{Dept, []workflow.Trigger{workflow.TriggerWithdraw}},
		{Operator, nil},
	} {
		got := Must(v.Engine.Permitted(ctx, c.actor, a.ID))
		if d := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("Permitted(%s) (-want +got):\n%s", c.actor.Role, d)
		}
	}
	v.Clock.Advance(time.Hour)
	a = v.Fire(Authority, a.ID, workflow.TriggerAccept, workflow.Input{Opinion: "材料齐全"})
	a = v.Fire(Authority, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20, ExpectedVersion: a.Version})
	if a.State != workflow.StateProvisioning || a.Party != workflow.PartyVendor || a.OpenWorkOrder == "" {
		t.Fatalf("after approve: state %s party %s wo %q", a.State, a.Party, a.OpenWorkOrder)
	}
	wo := Must(v.Engine.WorkOrders(ctx, Vendor, workflow.WorkOrderFilter{ApplicationID: a.ID}))
	if len(wo) != 1 || wo[0].Kind != workflow.WorkOrderTrialEnvironment || wo[0].Status != workflow.WorkOrderOpen || !wo[0].Due.Equal(a.Due) {
		t.Fatalf("trial work order = %+v (app due %v)", wo, a.Due)
	}
	v.Clock.Advance(24 * time.Hour) // Tuesday 10:00
	a = v.CompleteOpen(a.ID)
	if a.State != workflow.StateTrial || a.Trial == nil || a.Trial.Days != 20 {
		t.Fatalf("after trial environment: %s %+v", a.State, a.Trial)
	}
	if want := time.Date(2026, 3, 24, 0, 0, 0, 0, China); !a.Trial.End.Equal(want) || !a.Due.Equal(want) {
		t.Errorf("trial end = %v due %v, want %v", a.Trial.End, a.Due, want)
	}
	a = v.Fire(Authority, a.ID, workflow.TriggerExtendTrial, workflow.Input{TrialDays: 5, Opinion: "同意延长"})
	if want := time.Date(2026, 3, 29, 0, 0, 0, 0, China); !a.Trial.End.Equal(want) || !a.Due.Equal(want) || a.State != workflow.StateTrial {
		t.Errorf("extended trial end = %v due %v", a.Trial.End, a.Due)
	}
	v.PassTests(a.ID, []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity}, 3)
	a = v.Fire(Dept, a.ID, workflow.TriggerSubmitTests, workflow.Input{})
	if a.State != workflow.StateFinalReview || !a.Due.IsZero() || a.Party != workflow.PartyAuthority {
		t.Fatalf("after tests: %s due %v party %s", a.State, a.Due, a.Party)
	}
	v.Clock.Advance(24 * time.Hour)
	a = v.Fire(Authority, a.ID, workflow.TriggerActivate, workflow.Input{Opinion: "终审通过"})
	if a.State != workflow.StateActive || a.ActivatedAt.IsZero() || !a.Due.IsZero() || a.Party != workflow.PartyNone {
		t.Fatalf("after activation: %+v", a)
	}
	// A minor change.
	newItems := []workflow.Item{{Code: "ecs.4c8g", Quantity: 6}, {Code: "rds.pg", Quantity: 1}}
	a = v.Fire(Dept, a.ID, workflow.TriggerRequestChange, workflow.Input{Change: &workflow.ChangeSpec{Items: newItems, Reason: "业务增长"},
		Materials: Mats(workflow.MaterialChangePlan)})
	if a.State != workflow.StateChangeReview || a.Party != workflow.PartyAuthority {
		t.Fatalf("after change request: %s", a.State)
	}
	a = v.Fire(Authority, a.ID, workflow.TriggerApproveChange, workflow.Input{})
	a = v.CompleteOpen(a.ID)
	if a.State != workflow.StateActive || a.Change != nil {
		t.Fatalf("after minor change: %s change %+v", a.State, a.Change)
	}
	if d := cmp.Diff(newItems, a.Items); d != "" {
		t.Errorf("items after change (-want +got):\n%s", d)
	}
	// A major change goes back through testing.
	major := []workflow.Item{{Code: "ecs.16c32g", Quantity: 4}}
	a = v.Fire(Dept, a.ID, workflow.TriggerRequestChange, workflow.Input{Change: &workflow.ChangeSpec{Items: major, Major: true},
		Materials: append(Mats(workflow.MaterialChangePlan), SubmitMaterials()...)})
	a = v.Fire(Authority, a.ID, workflow.TriggerApproveChange, workflow.Input{})
	a = v.CompleteOpen(a.ID)
	if a.State != workflow.StateChangeTesting || a.Change == nil || !a.Change.Major {
		t.Fatalf("after major change execution: %s %+v", a.State, a.Change)
	}
	v.PassTests(a.ID, []workflow.TestKind{workflow.TestPerformance, workflow.TestSecurity}, 3)
	a = v.Fire(Dept, a.ID, workflow.TriggerSubmitTests, workflow.Input{})
	a = v.Fire(Authority, a.ID, workflow.TriggerActivate, workflow.Input{})
	if a.State != workflow.StateActive || a.Change != nil {
		t.Fatalf("after major change: %s", a.State)
	}
	if d := cmp.Diff(major, a.Items); d != "" {
		t.Errorf("items after major change (-want +got):\n%s", d)
	}
	// Termination.
	a = v.Fire(Dept, a.ID, workflow.TriggerRequestTermination, workflow.Input{
		Materials: Mats(workflow.MaterialOffboardingConfirmation, workflow.MaterialDataBackup)})
	a = v.Fire(Authority, a.ID, workflow.TriggerApproveTermination, workflow.Input{})
	if a.State != workflow.StateReclaiming || a.Party != workflow.PartyVendor {
		t.Fatalf("after termination approval: %s", a.State)
	}
	a = v.CompleteOpen(a.ID)
	if a.State != workflow.StateTerminated || !a.Due.IsZero() || a.OpenWorkOrder != "" {
		t.Fatalf("after reclaim: %+v", a)
	}
	if ts, err := v.Engine.Permitted(ctx, Authority, a.ID); err != nil || len(ts) != 0 {
		t.Errorf("Permitted on a terminated application = %v, %v", ts, err)
	}

	h := Must(v.Engine.History(ctx, Dept, a.ID))
	var got []string
	for _, r := range h {
		got = append(got, string(r.From)+">"+string(r.Trigger)+">"+string(r.To))
	}
	want := []string{
		">submit>submitted", "submitted>accept>accepted", "accepted>approve>provisioning",
		"provisioning>provide_trial>trial", "trial>extend_trial>trial",
		"trial>record_test_report>trial", "trial>record_test_report>trial", "trial>record_test_report>trial",
		"trial>submit_tests>final_review", "final_review>activate>active",
		"active>request_change>change_review", "change_review>approve_change>change_executing", "change_executing>complete_change>active",
		"active>request_change>change_review", "change_review>approve_change>change_executing", "change_executing>complete_change>change_testing",
		"change_testing>record_test_report>change_testing", "change_testing>record_test_report>change_testing",
		"change_testing>submit_tests>final_review", "final_review>activate>active",
		"active>request_termination>termination_review", "termination_review>approve_termination>reclaiming", "reclaiming>complete_reclaim>terminated",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("audit trail (-want +got):\n%s", d)
	}
	if int64(len(h)) != a.AuditSeq || a.Version != a.AuditSeq {
		t.Errorf("%d records, head seq %d, version %d", len(h), a.AuditSeq, a.Version)
	}
	if err := v.Engine.Verify(ctx, Operator, a.ID); err != nil {
		t.Errorf("Verify: %v", err)
	}
	wos := Must(v.Engine.WorkOrders(ctx, Authority, workflow.WorkOrderFilter{ApplicationID: a.ID}))
	if len(wos) != 4 {
		t.Errorf("%d work orders, want 4 (trial environment, two changes, reclaim): %v", len(wos), wos)
	}
	for _, w := range wos {
		if w.Status != workflow.WorkOrderDone || w.Completion == nil || w.CompletedAt.IsZero() {
			t.Errorf("work order %s not done: %+v", w.ID, w)
		}
	}
}

func testBranches(t *testing.T, v *Env) {
	// Reject → resubmit (clock restarts, items revised) → withdraw.
	a := v.Submit(2)
	v.Clock.Advance(48 * time.Hour) // Wednesday
	a = v.Fire(Authority, a.ID, workflow.TriggerReject, workflow.Input{Opinion: "资源需求不合理"})
	if a.State != workflow.StateRejected || a.Party != workflow.PartyDepartment || !a.Due.IsZero() {
		t.Fatalf("after reject: %s %s %v", a.State, a.Party, a.Due)
	}
	v.Clock.Advance(24 * time.Hour) // Thursday 09:00
	rev := []workflow.Item{{Code: "ecs.2c4g", Quantity: 2}}
	a = v.Fire(Dept, a.ID, workflow.TriggerResubmit, workflow.Input{Materials: SubmitMaterials(), Revision: &workflow.Revision{Items: rev}})
	// Thursday + 3 working days: Fri, Mon, Tue → Wednesday 00:00.
	if want := time.Date(2026, 3, 11, 0, 0, 0, 0, China); a.State != workflow.StateSubmitted || !a.Due.Equal(want) || a.Submissions != 2 {
		t.Errorf("after resubmit: %s due %v (want %v) submissions %d", a.State, a.Due, want, a.Submissions)
	}
	if d := cmp.Diff(rev, a.Items); d != "" {
		t.Errorf("revised items (-want +got):\n%s", d)
	}
	a = v.Fire(Dept, a.ID, workflow.TriggerWithdraw, workflow.Input{})
	if a.State != workflow.StateWithdrawn || a.Party != workflow.PartyNone {
		t.Fatalf("after withdraw: %s", a.State)
	}
	// Deny.
	b := v.Submit(2)
	v.Fire(Authority, b.ID, workflow.TriggerAccept, workflow.Input{})
	b = v.Fire(Authority, b.ID, workflow.TriggerDeny, workflow.Input{Opinion: "不符合上云条件"})
	if b.State != workflow.StateDenied {
		t.Fatalf("after deny: %s", b.State)
	}
	// Trial expiry: refused before the end, allowed after; leads to reclaim.
	c := v.ToTrial(2)
	_, err := v.Engine.Fire(context.Background(), Authority, c.ID, workflow.TriggerExpireTrial, workflow.Input{})
	var te *workflow.TriggerError
	if !errors.As(err, &te) || te.Reason == "" {
		t.Fatalf("expire before the end = %v, want a TriggerError with a reason", err)
	}
	v.Clock.Set(c.Trial.End)
	c = v.Fire(Authority, c.ID, workflow.TriggerExpireTrial, workflow.Input{})
	if c.State != workflow.StateReclaiming || c.OpenWorkOrder == "" {
		t.Fatalf("after expiry: %s", c.State)
	}
	c = v.CompleteOpen(c.ID)
	if c.State != workflow.StateTerminated {
		t.Fatalf("after reclaim: %s", c.State)
	}
	// Trial failure.
	d := v.ToTrial(2)
	d = v.Fire(Dept, d.ID, workflow.TriggerFailTrial, workflow.Input{Opinion: "性能不达标"})
	if d.State != workflow.StateReclaiming {
		t.Fatalf("after failure: %s", d.State)
	}
	// Final review rejected: back to the trial, reports cleared.
	e := v.ToTrial(2)
	v.PassTests(e.ID, []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity}, 2)
	v.Fire(Dept, e.ID, workflow.TriggerSubmitTests, workflow.Input{})
	e = v.Fire(Authority, e.ID, workflow.TriggerRejectFinal, workflow.Input{Opinion: "安全测试报告不完整"})
	if e.State != workflow.StateTrial || len(e.TestReports) != 0 || !e.Due.Equal(e.Trial.End) {
		t.Fatalf("after final rejection: %s reports %d due %v", e.State, len(e.TestReports), e.Due)
	}
	// Change and termination denied return to active.
	f := v.ToActive(2)
	f = v.Fire(Dept, f.ID, workflow.TriggerRequestChange, workflow.Input{Change: &workflow.ChangeSpec{Items: rev}, Materials: Mats(workflow.MaterialChangePlan)})
	f = v.Fire(Authority, f.ID, workflow.TriggerDenyChange, workflow.Input{Opinion: "无必要"})
	if f.State != workflow.StateActive || f.Change != nil {
		t.Fatalf("after change denial: %s", f.State)
	}
	f = v.Fire(Dept, f.ID, workflow.TriggerRequestTermination, workflow.Input{Materials: Mats(workflow.MaterialOffboardingConfirmation, workflow.MaterialDataBackup)})
	f = v.Fire(Authority, f.ID, workflow.TriggerDenyTermination, workflow.Input{Opinion: "数据未备份"})
	if f.State != workflow.StateActive {
		t.Fatalf("after termination denial: %s", f.State)
	}
	for _, id := range []string{a.ID, b.ID, c.ID, d.ID, e.ID, f.ID} {
		if err := v.Engine.Verify(context.Background(), Authority, id); err != nil {
			t.Errorf("Verify %s: %v", id, err)
		}
	}
}

func testTiming(t *testing.T, v *Env) {
	ctx := context.Background()
	a := v.Submit(2)           // Monday 09:00
	v.Clock.Advance(time.Hour) // Monday 10:00: on time
	a = v.Fire(Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	// Approval due: 2 working days after Monday → Thursday 00:00. Approve next Monday:
	// late by Thu, Fri, Mon = 3 working days.
	v.Clock.Set(time.Date(2026, 3, 9, 10, 0, 0, 0, China))
	v.Fire(Authority, a.ID, workflow.TriggerApprove, workflow.Input{})
	h := Must(v.Engine.History(ctx, Authority, a.ID))
	want := []workflow.Timing{
		{},
		{Party: workflow.PartyAuthority, Due: time.Date(2026, 3, 6, 0, 0, 0, 0, China)},
		{Party: workflow.PartyAuthority, Due: time.Date(2026, 3, 5, 0, 0, 0, 0, China), Late: true, LateWorkdays: 3},
	}
	var got []workflow.Timing
	for _, r := range h {
		got = append(got, r.Timing)
	}
	if d := cmp.Diff(want, got, CmpOpts); d != "" {
		t.Errorf("timings (-want +got):\n%s", d)
	}
	// Late on a rest day right after the due day: late, by 0 working days.
	v.Clock.Set(time.Date(2026, 3, 10, 10, 0, 0, 0, China)) // Tuesday
	b := v.Submit(2)                                        // due: Wed, Thu, Fri → Saturday 14 March 00:00
	v.Clock.Set(time.Date(2026, 3, 14, 12, 0, 0, 0, China)) // Saturday
	v.Fire(Authority, b.ID, workflow.TriggerAccept, workflow.Input{})
	hb := Must(v.Engine.History(ctx, Authority, b.ID))
	if tm := hb[1].Timing; !tm.Late || tm.LateWorkdays != 0 {
		t.Errorf("accepted on the Saturday after the due day: %+v, want late by 0 working days", tm)
	}
	// Exactly at the due instant is late; one microsecond before is on time.
	c := v.Submit(2) // Saturday → 3 wd: Mon, Tue, Wed → Thursday 19 March 00:00
	v.Clock.Set(c.Due.Add(-time.Microsecond))
	v.Fire(Authority, c.ID, workflow.TriggerAccept, workflow.Input{})
	d := v.Submit(2)
	v.Clock.Set(d.Due)
	v.Fire(Authority, d.ID, workflow.TriggerAccept, workflow.Input{})
	hc := Must(v.Engine.History(ctx, Authority, c.ID))
	hd := Must(v.Engine.History(ctx, Authority, d.ID))
	if hc[1].Timing.Late || !hd[1].Timing.Late || hd[1].Timing.LateWorkdays != 1 {
		t.Errorf("boundary: before due %+v, at due %+v (want on time, late by 1)", hc[1].Timing, hd[1].Timing)
	}
}

func testEngineOverdue(t *testing.T, v *Env) {
	ctx := context.Background()
	a := v.Submit(2) // authority due Fri 6 March 00:00
	b := v.Submit(2)
	v.Fire(Authority, b.ID, workflow.TriggerAccept, workflow.Input{})
	v.Fire(Authority, b.ID, workflow.TriggerApprove, workflow.Input{}) // vendor: Tue, Wed → due Thu 5 March 00:00
	other := Must(v.Engine.Submit(ctx, OtherDept, Request(2)))
	now := time.Date(2026, 3, 6, 12, 0, 0, 0, China) // Friday noon
	got := Must(v.Engine.Overdue(ctx, Authority, now))
	type row struct {
		ID    string
		Party workflow.Party
		Late  int
	}
	var rows []row
	for _, o := range got {
		rows = append(rows, row{o.ApplicationID, o.Party, o.LateWorkdays})
	}
	want := []row{{a.ID, workflow.PartyAuthority, 1}, {other.ID, workflow.PartyAuthority, 1}, {b.ID, workflow.PartyVendor, 2}}
	if d := cmp.Diff(want, rows); d != "" {
		t.Errorf("Overdue for the authority (-want +got):\n%s", d)
	}
	if g := workflow.GroupByParty(got); len(g[workflow.PartyAuthority]) != 2 || len(g[workflow.PartyVendor]) != 1 || g[workflow.PartyVendor][0].ApplicationID != b.ID {
		t.Errorf("GroupByParty = %+v", g)
	}
	mine := Must(v.Engine.Overdue(ctx, OtherDept, now))
	if len(mine) != 1 || mine[0].ApplicationID != other.ID {
		t.Errorf("Overdue for another department = %+v, want only its own", mine)
	}
	vend := Must(v.Engine.Overdue(ctx, Vendor, now))
	if len(vend) != 3 {
		t.Errorf("Overdue for the vendor: %d items, want 3 (all assigned to it)", len(vend))
	}
	if none := Must(v.Engine.Overdue(ctx, Operator, Base)); len(none) != 0 {
		t.Errorf("nothing is overdue at the start, got %+v", none)
	}
}

func testAccess(t *testing.T, v *Env) {
	ctx := context.Background()
	a := v.Submit(2)
	b := Must(v.Engine.Submit(ctx, OtherDept, Request(2)))
	for _, actor := range []workflow.Actor{Dept, Authority, Vendor, Operator, Finance} {
		if _, err := v.Engine.Get(ctx, actor, a.ID); err != nil {
			t.Errorf("%v may read its application: %v", actor, err)
		}
	}
	for _, actor := range []workflow.Actor{OtherDept, Vendor2, {Role: "admin", ID: "x"}, {Role: workflow.RoleDepartment}} {
		if _, err := v.Engine.Get(ctx, actor, a.ID); !errors.Is(err, workflow.ErrForbidden) {
			t.Errorf("%v reads another's application: %v, want ErrForbidden", actor, err)
		}
		if _, err := v.Engine.History(ctx, actor, a.ID); !errors.Is(err, workflow.ErrForbidden) {
			t.Errorf("%v reads another's history: %v, want ErrForbidden", actor, err)
		}
	}
	list := Must(v.Engine.List(ctx, Dept, workflow.ApplicationFilter{}))
	if len(list) != 1 || list[0].ID != a.ID {
		t.Errorf("a department lists %v, want only its own", ids(list))
	}
	if _, err := v.Engine.List(ctx, Dept, workflow.ApplicationFilter{Department: OtherDept.ID}); !errors.Is(err, workflow.ErrForbidden) {
		t.Errorf("a department lists another's: %v", err)
	}
	if all := Must(v.Engine.List(ctx, Operator, workflow.ApplicationFilter{})); len(all) != 2 {
		t.Errorf("the operator lists %d, want 2", len(all))
	}
	if none := Must(v.Engine.List(ctx, Vendor2, workflow.ApplicationFilter{})); len(none) != 0 {
		t.Errorf("vendor-b lists %v, want none", ids(none))
	}
	_ = b
	before := takeSnapshot(t, v.Store)
	cases := []struct {
		actor workflow.Actor
		tr    workflow.Trigger
	}{
		{Operator, workflow.TriggerAccept}, {Finance, workflow.TriggerAccept}, {Dept, workflow.TriggerAccept},
		{Vendor, workflow.TriggerAccept}, {OtherDept, workflow.TriggerWithdraw}, {Authority, workflow.TriggerWithdraw},
	}
	for _, c := range cases {
		_, err := v.Engine.Fire(ctx, c.actor, a.ID, c.tr, workflow.Input{})
		var fe *workflow.ForbiddenError
		if !errors.As(err, &fe) || fe.Actor != c.actor {
			t.Errorf("%v fires %s: %v, want *ForbiddenError", c.actor, c.tr, err)
		}
	}
	if _, err := v.Engine.Submit(ctx, Authority, Request(2)); !errors.Is(err, workflow.ErrForbidden) {
		t.Errorf("the authority submits: %v, want ErrForbidden", err)
	}
	assertUnchanged(t, v.Store, before, "forbidden acts")
	// A vendor completes only its own work orders.
	v.Fire(Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	a = v.Fire(Authority, a.ID, workflow.TriggerApprove, workflow.Input{})
	before = takeSnapshot(t, v.Store)
	for _, actor := range []workflow.Actor{Vendor2, Authority, Dept, Operator} {
		if _, err := v.Engine.CompleteWorkOrder(ctx, actor, a.OpenWorkOrder, workflow.Completion{Key: "k"}); !errors.Is(err, workflow.ErrForbidden) {
			t.Errorf("%v completes vendor-a's work order: %v", actor, err)
		}
	}
	assertUnchanged(t, v.Store, before, "forbidden completions")
}

func testBadInput(t *testing.T, v *Env) {
	ctx := context.Background()
	sub := v.Submit(2)
	acc := v.Submit(3)
	v.Fire(Authority, acc.ID, workflow.TriggerAccept, workflow.Input{})
	trial := v.ToTrial(3)
	v.Fire(Authority, trial.ID, workflow.TriggerExtendTrial, workflow.Input{TrialDays: 20})
	active := v.ToActive(2)
	badReq := func(mod func(*workflow.SubmitRequest)) workflow.SubmitRequest {
		r := Request(2)
		mod(&r)
		return r
	}
	type call func() error
	fire := func(a workflow.Actor, id string, tr workflow.Trigger, in workflow.Input) call {
		return func() error { _, err := v.Engine.Fire(ctx, a, id, tr, in); return err }
	}
	submit := func(r workflow.SubmitRequest) call {
		return func() error { _, err := v.Engine.Submit(ctx, Dept, r); return err }
	}
	cases := []struct {
		name  string
		do    call
		is    error
		field string // FieldError field expected among the problems
	}{
		{"unknown application", fire(Authority, "nope", workflow.TriggerAccept, workflow.Input{}), workflow.ErrNotFound, ""},
		{"unknown trigger", fire(Authority, sub.ID, "bogus", workflow.Input{}), workflow.ErrInvalidTrigger, ""},
		{"trigger not allowed in state", fire(Authority, sub.ID, workflow.TriggerApprove, workflow.Input{}), workflow.ErrInvalidTrigger, ""},
		{"submit through Fire", fire(Dept, sub.ID, workflow.TriggerSubmit, workflow.Input{}), workflow.ErrInvalidTrigger, ""},
		{"work-order trigger through Fire", fire(Vendor, trial.ID, workflow.TriggerProvideTrial, workflow.Input{}), workflow.ErrInvalidTrigger, ""},
		{"reject without opinion", fire(Authority, sub.ID, workflow.TriggerReject, workflow.Input{}), workflow.ErrInvalidInput, "opinion"},
		{"stale version", fire(Authority, sub.ID, workflow.TriggerAccept, workflow.Input{ExpectedVersion: 7}), workflow.ErrConflict, ""},
		{"trial too short", fire(Authority, acc.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 14}), workflow.ErrInvalidInput, "trial_days"},
		{"trial too long", fire(Authority, acc.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 31}), workflow.ErrInvalidInput, "trial_days"},
		{"extension beyond the limit", fire(Authority, trial.ID, workflow.TriggerExtendTrial, workflow.Input{TrialDays: 11}), workflow.ErrInvalidInput, "trial_days"},
		{"tests missing", fire(Dept, trial.ID, workflow.TriggerSubmitTests, workflow.Input{}), workflow.ErrMissingMaterial, "test_reports[function]"},
		{"third-party report missing", func() error {
			// Level 3: in-house reports are not enough.
			for _, k := range []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity} {
				v.Fire(Dept, trial.ID, workflow.TriggerRecordTestReport, workflow.Input{TestReport: Report(k, false)})
			}
			return nil
		}, nil, ""},
		{"third-party report missing (check)", fire(Dept, trial.ID, workflow.TriggerSubmitTests, workflow.Input{}), workflow.ErrMissingMaterial, "test_reports[security].third_party"},
		{"test report without lab", fire(Dept, trial.ID, workflow.TriggerRecordTestReport, workflow.Input{TestReport: &workflow.TestReport{Kind: workflow.TestSecurity, ThirdParty: true, Report: workflow.Attachment{URI: "doc://x"}}}), workflow.ErrInvalidInput, "test_report.lab"},
		{"test report of unknown kind", fire(Dept, trial.ID, workflow.TriggerRecordTestReport, workflow.Input{TestReport: &workflow.TestReport{Kind: "usability", Report: workflow.Attachment{URI: "doc://x"}}}), workflow.ErrInvalidInput, "test_report.kind"},
		{"submit without materials", submit(badReq(func(r *workflow.SubmitRequest) { r.Materials = r.Materials[:1] })), workflow.ErrMissingMaterial, "materials[resource_request]"},
		{"submit with bad items", submit(badReq(func(r *workflow.SubmitRequest) { r.Items[1].Quantity = 0 })), workflow.ErrInvalidInput, "items[1].quantity"},
		{"submit with no items", submit(badReq(func(r *workflow.SubmitRequest) { r.Items = nil })), workflow.ErrInvalidInput, "items"},
		{"submit with duplicate items", submit(badReq(func(r *workflow.SubmitRequest) { r.Items[1].Code = r.Items[0].Code })), workflow.ErrInvalidInput, "items[1].code"},
		{"submit with level 6", submit(badReq(func(r *workflow.SubmitRequest) { r.SecurityLevel = 6 })), workflow.ErrInvalidInput, "security_level"},
		{"submit with bad zone", submit(badReq(func(r *workflow.SubmitRequest) { r.Zone = "mars" })), workflow.ErrInvalidInput, "zone"},
		{"submit without vendor", submit(badReq(func(r *workflow.SubmitRequest) { r.Vendor = "" })), workflow.ErrInvalidInput, "vendor"},
		{"major change without 第七条 materials", fire(Dept, active.ID, workflow.TriggerRequestChange, workflow.Input{
			Change: &workflow.ChangeSpec{Items: []workflow.Item{{Code: "x", Quantity: 1}}, Major: true}, Materials: Mats(workflow.MaterialChangePlan)}), workflow.ErrMissingMaterial, "materials[construction_plan]"},
		{"change without spec", fire(Dept, active.ID, workflow.TriggerRequestChange, workflow.Input{Materials: Mats(workflow.MaterialChangePlan)}), workflow.ErrInvalidInput, "change"},
		{"termination without backup", fire(Dept, active.ID, workflow.TriggerRequestTermination, workflow.Input{Materials: Mats(workflow.MaterialOffboardingConfirmation)}), workflow.ErrMissingMaterial, "materials[data_backup]"},
		{"attachment without uri", fire(Authority, sub.ID, workflow.TriggerAccept, workflow.Input{Attachments: []workflow.Attachment{{Name: "x"}}}), workflow.ErrInvalidInput, "attachments[0].uri"},
		{"forbidden actor", fire(OtherDept, active.ID, workflow.TriggerRequestTermination, workflow.Input{}), workflow.ErrForbidden, ""},
		{"unknown work order", func() error {
			_, err := v.Engine.CompleteWorkOrder(ctx, Vendor, "wo-nope", workflow.Completion{Key: "k"})
			return err
		}, workflow.ErrNotFound, ""},
		{"completion without key", func() error {
			_, err := v.Engine.CompleteWorkOrder(ctx, Vendor, "wo-nope", workflow.Completion{})
			return err
		}, workflow.ErrInvalidInput, "completion.key"},
	}
	for _, tc := range cases {
		before := takeSnapshot(t, v.Store)
		err := tc.do()
		if tc.is == nil {
			if err != nil {
				t.Fatalf("%s: setup failed: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.is) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.is)
		}
		if tc.field != "" {
			var fe *workflow.FieldError
			found := false
			for _, e := range flatten(err) {
				if errors.As(e, &fe) && fe.Field == tc.field {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: error %v does not name field %q", tc.name, err, tc.field)
			}
		}
		assertUnchanged(t, v.Store, before, tc.name)
	}
}

// flatten lists err and, for a multi-error, each of its parts.
func flatten(err error) []error {
	out := []error{err}
	if m, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range m.Unwrap() {
			out = append(out, flatten(e)...)
		}
	}
	return out
}

func testWorkOrderIdempotency(t *testing.T, v *Env) {
	ctx := context.Background()
	a := v.Submit(2)
	v.Fire(Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	a = v.Fire(Authority, a.ID, workflow.TriggerApprove, workflow.Input{})
	woID := a.OpenWorkOrder
	c := workflow.Completion{Key: "env-42", Note: "试用环境已开通", Attachments: []workflow.Attachment{{Name: "交付单", URI: "doc://delivery"}}}
	// Concurrent identical completions: all succeed, one transition.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = v.Engine.CompleteWorkOrder(ctx, Vendor, woID, c)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent identical completion %d: %v", i, err)
		}
	}
	before := takeSnapshot(t, v.Store)
	got, err := v.Engine.CompleteWorkOrder(ctx, Vendor, woID, c)
	if err != nil || got.State != workflow.StateTrial {
		t.Fatalf("repeated completion = %s, %v; want a no-op returning the application", got.State, err)
	}
	assertUnchanged(t, v.Store, before, "a repeated completion")
	diff := c
	diff.Note = "另一个结果"
	if _, err := v.Engine.CompleteWorkOrder(ctx, Vendor, woID, diff); !errors.Is(err, workflow.ErrConflict) {
		t.Errorf("a different completion = %v, want ErrConflict", err)
	}
	assertUnchanged(t, v.Store, before, "a conflicting completion")
	h := Must(v.Engine.History(ctx, Authority, a.ID))
	n := 0
	for _, r := range h {
		if r.Trigger == workflow.TriggerProvideTrial {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d provide_trial transitions, want 1", n)
	}
	wo := Must(v.Store.GetWorkOrder(ctx, woID))
	if d := cmp.Diff(&c, wo.Completion, CmpOpts); d != "" {
		t.Errorf("stored completion (-want +got):\n%s", d)
	}
}

func testParticipant(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	var mu sync.Mutex
	var seen []workflow.Transition
	failOn := workflow.TriggerApprove
	p := workflow.ParticipantFunc(func(_ context.Context, tx workflow.Tx, tr workflow.Transition) error {
		if tx == nil {
			return errors.New("nil tx")
		}
		if tr.Trigger == failOn {
			return fmt.Errorf("quota: pool exhausted for %s: %w", tr.ApplicationID, errParticipant)
		}
		mu.Lock()
		seen = append(seen, tr)
		mu.Unlock()
		return nil
	})
	v := NewEnv(t, s, p)
	a := v.Submit(2)
	a = v.Fire(Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	before := takeSnapshot(t, s)
	if _, err := v.Engine.Fire(ctx, Authority, a.ID, workflow.TriggerApprove, workflow.Input{}); !errors.Is(err, errParticipant) {
		t.Fatalf("approve with a failing participant = %v, want the participant's error", err)
	}
	assertUnchanged(t, s, before, "a transition whose participant failed")
	want := []workflow.Transition{
		{IdempotencyKey: a.ID + "/1", ApplicationID: a.ID, Seq: 1, At: Base, Actor: Dept, Trigger: workflow.TriggerSubmit,
			From: workflow.StateNone, To: workflow.StateSubmitted, Department: Dept.ID, Vendor: Vendor.ID, Zone: workflow.PrivateZone,
			SecurityLevel: 2, Items: Request(2).Items, Version: 1},
		{IdempotencyKey: a.ID + "/2", ApplicationID: a.ID, Seq: 2, At: Base, Actor: Authority, Trigger: workflow.TriggerAccept,
			From: workflow.StateSubmitted, To: workflow.StateAccepted, Department: Dept.ID, Vendor: Vendor.ID, Zone: workflow.PrivateZone,
			SecurityLevel: 2, Items: Request(2).Items, Version: 2},
	}
	if d := cmp.Diff(want, seen, CmpOpts); d != "" {
		t.Errorf("participant saw (-want +got):\n%s", d)
	}
}

// testAfterCommit: what participants register with workflow.AfterCommit runs after
// the store has committed (the store already returns the new version), in order,
// once per committed transition, and never for a transition that did not commit.
func testAfterCommit(t *testing.T, newStore func(t *testing.T) workflow.Store) {
	ctx := context.Background()
	t.Run("Order", func(t *testing.T) {
		s := newStore(t)
		var got []string
		// Each function reads the application back: the store must hold the
		// transition already (and must not be locked by it any more).
		hook := func(name string, tr workflow.Transition) func() {
			return func() {
				a, err := s.GetApplication(ctx, tr.ApplicationID)
				if err != nil || a.Version != tr.Version {
					got = append(got, fmt.Sprintf("%s %s: store has version %d (%v), want %d", name, tr.Trigger, a.Version, err, tr.Version))
					return
				}
				got = append(got, name+" "+string(tr.Trigger))
			}
		}
		first := workflow.ParticipantFunc(func(ctx context.Context, _ workflow.Tx, tr workflow.Transition) error {
			if !workflow.AfterCommit(ctx, hook("a", tr)) || !workflow.AfterCommit(ctx, hook("b", tr)) {
				return errors.New("AfterCommit refused a participant's context")
			}
			return nil
		})
		second := workflow.ParticipantFunc(func(ctx context.Context, _ workflow.Tx, tr workflow.Transition) error {
			workflow.AfterCommit(ctx, hook("c", tr))
			if len(got) != 0 {
				return fmt.Errorf("%d functions ran before commit", len(got))
			}
			return nil
		})
		v := NewEnv(t, s, first, second)
		a := v.Submit(2)
		if d := cmp.Diff([]string{"a submit", "b submit", "c submit"}, got); d != "" {
			t.Errorf("after Submit (-want +got):\n%s", d)
		}
		got = nil
		v.Fire(Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
		if d := cmp.Diff([]string{"a accept", "b accept", "c accept"}, got); d != "" {
			t.Errorf("after Fire (-want +got):\n%s", d)
		}
	})
	t.Run("NotOnRollback", func(t *testing.T) {
		s := newStore(t)
		var ran []string
		register := workflow.ParticipantFunc(func(ctx context.Context, _ workflow.Tx, tr workflow.Transition) error {
			workflow.AfterCommit(ctx, func() { ran = append(ran, string(tr.Trigger)) })
			return nil
		})
		refuse := workflow.ParticipantFunc(func(_ context.Context, _ workflow.Tx, tr workflow.Transition) error {
			if tr.Trigger == workflow.TriggerApprove {
				return errParticipant
			}
			return nil
		})
		v := NewEnv(t, s, register, refuse)
		a := v.Submit(2)
		v.Fire(Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
		ran = nil
		if _, err := v.Engine.Fire(ctx, Authority, a.ID, workflow.TriggerApprove, workflow.Input{}); !errors.Is(err, errParticipant) {
			t.Fatalf("approve with a refusing participant = %v, want its error", err)
		}
		if len(ran) != 0 {
			t.Errorf("functions of a rolled-back transition ran: %v", ran)
		}
		// The next transition runs only its own functions.
		v.Fire(Authority, a.ID, workflow.TriggerDeny, workflow.Input{Opinion: "no"})
		if d := cmp.Diff([]string{"deny"}, ran); d != "" {
			t.Errorf("after deny (-want +got):\n%s", d)
		}
	})
	t.Run("Conflict", func(t *testing.T) {
		// Concurrent transitions of one application: the losers' functions
		// never run, the winner's run once.
		s := newStore(t)
		var mu sync.Mutex
		ran := map[string]int{}
		register := workflow.ParticipantFunc(func(ctx context.Context, _ workflow.Tx, tr workflow.Transition) error {
			workflow.AfterCommit(ctx, func() {
				mu.Lock()
				ran[tr.ApplicationID+" "+string(tr.Trigger)]++
				mu.Unlock()
			})
			return nil
		})
		v := NewEnv(t, s, register)
		for race := range 3 {
			a := v.Submit(2)
			results := raceAcceptReject(v, a.ID)
			got := Must(v.Engine.Get(ctx, Authority, a.ID))
			want := map[string]int{a.ID + " submit": 1}
			switch got.State {
			case workflow.StateAccepted:
				want[a.ID+" accept"] = 1
			case workflow.StateRejected:
				want[a.ID+" reject"] = 1
			default:
				t.Fatalf("race %d: state %s", race, got.State)
			}
			mine := map[string]int{}
			mu.Lock()
			for k, n := range ran {
				if strings.HasPrefix(k, a.ID+" ") {
					mine[k] = n
				}
			}
			mu.Unlock()
			if d := cmp.Diff(want, mine); d != "" {
				t.Errorf("race %d: functions run (-want +got):\n%s\nresults: %v", race, d, results)
			}
		}
	})
	t.Run("OutsideTransition", func(t *testing.T) {
		s := newStore(t)
		var kept context.Context
		keep := workflow.ParticipantFunc(func(ctx context.Context, _ workflow.Tx, _ workflow.Transition) error {
			kept = ctx
			return nil
		})
		v := NewEnv(t, s, keep)
		v.Submit(2)
		called := false
		for name, c := range map[string]context.Context{"background": ctx, "kept after the transition": kept} {
			if workflow.AfterCommit(c, func() { called = true }) {
				t.Errorf("AfterCommit with the %s context = true, want false", name)
			}
		}
		if called {
			t.Error("AfterCommit outside a transition called fn")
		}
	})
}

// raceAcceptReject fires accept three times and reject three times at the submitted
// application id, all at once, and returns the six results.
func raceAcceptReject(v *Env, id string) []error {
	var wg sync.WaitGroup
	results := make([]error, 6)
	for i := range results {
		wg.Go(func() {
			tr, in := workflow.TriggerAccept, workflow.Input{}
			if i%2 == 1 {
				tr, in = workflow.TriggerReject, workflow.Input{Opinion: "no"}
			}
			_, results[i] = v.Engine.Fire(context.Background(), Authority, id, tr, in)
		})
	}
	wg.Wait()
	return results
}

func testConcurrentFire(t *testing.T, v *Env) {
	ctx := context.Background()
	for race := range 4 {
		a := v.Submit(2)
		results := raceAcceptReject(v, a.ID)
		wins := 0
		for _, err := range results {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, workflow.ErrConflict), errors.Is(err, workflow.ErrInvalidTrigger):
			default:
				t.Fatalf("race %d: %v", race, err)
			}
		}
		if wins != 1 {
			t.Errorf("race %d: %d winners, want exactly 1", race, wins)
		}
		h := Must(v.Engine.History(ctx, Authority, a.ID))
		if len(h) != 2 {
			t.Errorf("race %d: %d audit records, want 2", race, len(h))
		}
	}
}

func testRelay(t *testing.T, v *Env) {
	ctx := context.Background()
	a := v.ToActive(2)
	b := v.Submit(2)
	v.Fire(Authority, b.ID, workflow.TriggerAccept, workflow.Input{})
	relay := Must(workflow.NewRelay(workflow.RelayOptions{Store: v.Store, Clock: v.Clock, IDs: &IDs{Prefix: "lease"}, Lease: time.Minute, Batch: 3}))
	var got []string
	failOnce := map[string]bool{}
	sub := workflow.SubscriberFunc("billing", func(_ context.Context, tr workflow.Transition, d workflow.Delivery) error {
		if tr.Seq == 3 && tr.ApplicationID == a.ID && !failOnce[tr.IdempotencyKey] {
			failOnce[tr.IdempotencyKey] = true
			return errors.New("billing down")
		}
		got = append(got, tr.IdempotencyKey)
		return nil
	})
	for round := 0; round < 50; round++ {
		n, err := relay.DeliverOnce(ctx, sub)
		var he *workflow.HandlerError
		if err != nil && !errors.As(err, &he) {
			t.Fatal(err)
		}
		if n == 0 && err == nil {
			v.Clock.Advance(2 * time.Minute) // let failed leases expire
			if n2, _ := relay.DeliverOnce(ctx, sub); n2 == 0 {
				break
			}
		}
	}
	ha := Must(v.Engine.History(ctx, Authority, a.ID))
	hb := Must(v.Engine.History(ctx, Authority, b.ID))
	var wantA, wantB, gotA, gotB []string
	for _, r := range ha {
		wantA = append(wantA, fmt.Sprintf("%s/%d", a.ID, r.Seq))
	}
	for _, r := range hb {
		wantB = append(wantB, fmt.Sprintf("%s/%d", b.ID, r.Seq))
	}
	for _, k := range got {
		if len(k) > len(a.ID) && k[:len(a.ID)+1] == a.ID+"/" {
			gotA = append(gotA, k)
		} else {
			gotB = append(gotB, k)
		}
	}
	if d := cmp.Diff(wantA, gotA); d != "" {
		t.Errorf("application A delivered out of order or incompletely (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantB, gotB); d != "" {
		t.Errorf("application B delivered (-want +got):\n%s", d)
	}
	if !failOnce[a.ID+"/3"] {
		t.Errorf("the failing handler was never exercised")
	}
}
