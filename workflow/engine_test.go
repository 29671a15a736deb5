package workflow_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// model is the lifecycle transcribed independently from RULES.md A (not from the
// engine's table): state → trigger → possible destinations.
var model = map[workflow.State]map[workflow.Trigger][]workflow.State{
	workflow.StateSubmitted: {workflow.TriggerAccept: {workflow.StateAccepted}, workflow.TriggerReject: {workflow.StateRejected},
		workflow.TriggerWithdraw: {workflow.StateWithdrawn}},
	workflow.StateRejected: {workflow.TriggerResubmit: {workflow.StateSubmitted}, workflow.TriggerWithdraw: {workflow.StateWithdrawn}},
	workflow.StateAccepted: {workflow.TriggerApprove: {workflow.StateProvisioning}, workflow.TriggerDeny: {workflow.StateDenied},
		workflow.TriggerWithdraw: {workflow.StateWithdrawn}},
	workflow.StateProvisioning: {workflow.TriggerProvideTrial: {workflow.StateTrial}},
	workflow.StateTrial: {workflow.TriggerRecordTestReport: {workflow.StateTrial}, workflow.TriggerExtendTrial: {workflow.StateTrial},
		workflow.TriggerSubmitTests: {workflow.StateFinalReview}, workflow.TriggerFailTrial: {workflow.StateReclaiming},
		workflow.TriggerExpireTrial: {workflow.StateReclaiming}},
	workflow.StateFinalReview: {workflow.TriggerActivate: {workflow.StateActive},
		workflow.TriggerRejectFinal: {workflow.StateTrial, workflow.StateChangeTesting}},
	workflow.StateActive: {workflow.TriggerRequestChange: {workflow.StateChangeReview},
		workflow.TriggerRequestTermination: {workflow.StateTerminationReview}},
	workflow.StateChangeReview: {workflow.TriggerApproveChange: {workflow.StateChangeExecuting},
		workflow.TriggerDenyChange: {workflow.StateActive}},
	workflow.StateChangeExecuting: {workflow.TriggerCompleteChange: {workflow.StateActive, workflow.StateChangeTesting}},
	workflow.StateChangeTesting: {workflow.TriggerRecordTestReport: {workflow.StateChangeTesting},
		workflow.TriggerSubmitTests: {workflow.StateFinalReview}},
	workflow.StateTerminationReview: {workflow.TriggerApproveTermination: {workflow.StateReclaiming},
		workflow.TriggerDenyTermination: {workflow.StateActive}},
	workflow.StateReclaiming: {workflow.TriggerCompleteReclaim: {workflow.StateTerminated}},
}

// destructive triggers end or set back an application; the walk picks them less often.
var destructive = map[workflow.Trigger]bool{workflow.TriggerWithdraw: true, workflow.TriggerDeny: true,
	workflow.TriggerFailTrial: true, workflow.TriggerExpireTrial: true, workflow.TriggerReject: true,
	workflow.TriggerRequestTermination: true, workflow.TriggerRejectFinal: true}

type appSnap struct {
	App     workflow.Application
	History []workflow.AuditRecord
	WOs     []workflow.WorkOrder
}

func snapApp(t *testing.T, s workflow.Store, id string) appSnap {
	t.Helper()
	ctx := context.Background()
	a, err := s.GetApplication(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.ListWorkOrders(ctx, workflow.WorkOrderFilter{ApplicationID: id})
	if err != nil {
		t.Fatal(err)
	}
	return appSnap{a, h, w}
}

// TestPropertyRandomWalk fires random triggers by random actors with random inputs
// (fixed seed) and checks after every call: a failed call wrote nothing; a successful
// one moved to a state the model allows, bumped version and audit seq by one, keeps
// the chain verifiable and sets the due instant the policy demands.
func TestPropertyRandomWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260302, 7))
	store := memstore.NewWorkflowStore()
	v := workflowtest.NewEnv(t, store)
	ctx := context.Background()
	p := workflow.ZhejiangPreset()
	actors := []workflow.Actor{workflowtest.Dept, workflowtest.OtherDept, workflowtest.Authority, workflowtest.Vendor,
		workflowtest.Vendor2, workflowtest.Operator, workflowtest.Finance}
	roleActor := map[workflow.Role]workflow.Actor{workflow.RoleDepartment: workflowtest.Dept,
		workflow.RoleAuthority: workflowtest.Authority, workflow.RoleVendor: workflowtest.Vendor}
	kinds := []workflow.MaterialKind{workflow.MaterialConstructionPlan, workflow.MaterialSelfTestReport, workflow.MaterialResourceRequest,
		workflow.MaterialOffboardingConfirmation, workflow.MaterialDataBackup, workflow.MaterialChangePlan}
	triggers := append(workflow.AllTriggers(), "bogus")
	var apps []string
	stateOf := map[string]workflow.State{}
	reached := map[workflow.State]int{}
	okCount := 0
	for step := range 800 {
		v.Clock.Advance(time.Duration(rng.IntN(12)) * time.Hour)
		live := apps[:0:0]
		for _, id := range apps {
			if !stateOf[id].Terminal() {
				live = append(live, id)
			}
		}
		if len(live) < 3 || rng.IntN(40) == 0 {
			req := workflowtest.Request(2 + rng.IntN(2))
			if rng.IntN(5) == 0 {
				req.Materials = req.Materials[:rng.IntN(3)]
			}
			a, err := v.Engine.Submit(ctx, workflowtest.Dept, req)
			if err == nil {
				apps = append(apps, a.ID)
				stateOf[a.ID] = a.State
			}
			continue
		}
		id := live[rng.IntN(len(live))]
		if rng.IntN(10) == 0 {
			id = apps[rng.IntN(len(apps))]
		}
		before := snapApp(t, store, id)
		tr := triggers[rng.IntN(len(triggers))]
		if allowed := model[before.App.State]; len(allowed) > 0 && rng.IntN(10) < 8 {
			// Mostly pick a trigger the state allows, so the walk gets somewhere.
			var ts []workflow.Trigger
			for _, x := range workflow.AllTriggers() {
				if _, ok := allowed[x]; ok {
					ts = append(ts, x)
				}
			}
			tr = ts[rng.IntN(len(ts))]
			if destructive[tr] && rng.IntN(10) < 8 {
				tr = ts[rng.IntN(len(ts))]
			}
		}
		actor := actors[rng.IntN(len(actors))]
		if rs := p.Roles[tr]; len(rs) > 0 && rng.IntN(10) < 7 {
			actor = roleActor[rs[rng.IntN(len(rs))]]
		}
		var err error
		var after workflow.Application
		idempotentRepeat := false
		if _, isWO := map[workflow.Trigger]bool{workflow.TriggerProvideTrial: true, workflow.TriggerCompleteChange: true,
			workflow.TriggerCompleteReclaim: true}[tr]; isWO && rng.IntN(4) > 0 {
			woID := before.App.OpenWorkOrder
			if woID == "" && len(before.WOs) > 0 {
				woID = before.WOs[rng.IntN(len(before.WOs))].ID // an old, done one: repeat or conflict
				idempotentRepeat = true
			}
			if woID == "" {
				continue
			}
			for _, w := range before.WOs {
				if w.ID == woID {
					tr = w.Trigger // completing a work order fires its trigger
				}
			}
			after, err = v.Engine.CompleteWorkOrder(ctx, actor, woID, workflow.Completion{Key: "done-" + woID})
		} else {
			in := workflow.Input{}
			if rng.IntN(4) > 0 {
				in.Opinion = "意见"
			}
			for _, k := range kinds {
				if rng.IntN(5) > 0 {
					in.Materials = append(in.Materials, workflow.Material{Kind: k, Attachment: workflow.Attachment{URI: "doc://" + string(k)}})
				}
			}
			if rng.IntN(3) > 0 {
				k := []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity, "bad"}[rng.IntN(4)]
				in.TestReport = workflowtest.Report(k, rng.IntN(2) == 0)
				in.TestReport.Passed = rng.IntN(6) > 0
			}
			in.TrialDays = []int{0, 5, 14, 15, 20, 30, 31}[rng.IntN(7)]
			if rng.IntN(3) > 0 {
				in.Change = &workflow.ChangeSpec{Items: []workflow.Item{{Code: "ecs", Quantity: int64(rng.IntN(3))}}, Major: rng.IntN(2) == 0}
			}
			if rng.IntN(8) == 0 {
				in.ExpectedVersion = before.App.Version + int64(rng.IntN(2))
			}
			after, err = v.Engine.Fire(ctx, actor, id, tr, in)
		}
		now := snapApp(t, store, id)
		stateOf[id] = now.App.State
		if err != nil {
			if d := cmp.Diff(before, now, workflowtest.CmpOpts); d != "" {
				t.Fatalf("step %d: %s by %v failed (%v) but wrote (-before +after):\n%s", step, tr, actor, err, d)
			}
			if _, allowed := model[before.App.State][tr]; !allowed &&
				!errors.Is(err, workflow.ErrInvalidTrigger) && !errors.Is(err, workflow.ErrForbidden) && !errors.Is(err, workflow.ErrConflict) {
				t.Fatalf("step %d: %s in %s refused with %v, want ErrInvalidTrigger/ErrForbidden", step, tr, before.App.State, err)
			}
			continue
		}
		if idempotentRepeat && now.App.Version == before.App.Version {
			if d := cmp.Diff(before, now, workflowtest.CmpOpts); d != "" {
				t.Fatalf("step %d: idempotent completion wrote:\n%s", step, d)
			}
			continue
		}
		okCount++
		from, to := before.App.State, now.App.State
		if !containsState(model[from][tr], to) {
			t.Fatalf("step %d: %s took %s to %s; the model allows %v", step, tr, from, to, model[from][tr])
		}
		reached[to]++
		if now.App.Version != before.App.Version+1 || len(now.History) != len(before.History)+1 || now.App.AuditSeq != before.App.AuditSeq+1 {
			t.Fatalf("step %d: version %d→%d, history %d→%d", step, before.App.Version, now.App.Version, len(before.History), len(now.History))
		}
		if d := cmp.Diff(now.App, after, workflowtest.CmpOpts); d != "" {
			t.Fatalf("step %d: returned application differs from the stored one:\n%s", step, d)
		}
		if err := workflow.VerifyChain(now.App, now.History); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		checkDue(t, step, p, now.App)
	}
	t.Logf("%d successful transitions; states reached: %v", okCount, reached)
	if okCount < 150 {
		t.Errorf("only %d successful transitions: the walk does not explore", okCount)
	}
	for _, s := range []workflow.State{workflow.StateActive, workflow.StateTerminated, workflow.StateChangeTesting, workflow.StateRejected} {
		if reached[s] == 0 {
			t.Errorf("the walk never reached %s (reached %v)", s.Label(workflow.English), reached)
		}
	}
}

func containsState(ss []workflow.State, s workflow.State) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// checkDue asserts the due instant and party the policy demands of a's state.
func checkDue(t *testing.T, step int, p workflow.Policy, a workflow.Application) {
	t.Helper()
	days := map[workflow.State]int{
		workflow.StateSubmitted: p.Deadlines.Accept, workflow.StateAccepted: p.Deadlines.Approve,
		workflow.StateProvisioning: p.Deadlines.ProvideTrial, workflow.StateChangeReview: p.Deadlines.ChangeReview,
		workflow.StateChangeExecuting: p.Deadlines.ChangeExecution, workflow.StateTerminationReview: p.Deadlines.TerminationReview,
		workflow.StateReclaiming: p.Deadlines.Reclaim,
	}
	switch {
	case a.State == workflow.StateTrial:
		if a.Trial == nil || !a.Due.Equal(a.Trial.End) {
			t.Fatalf("step %d: trial due %v, trial %+v", step, a.Due, a.Trial)
		}
	case days[a.State] > 0:
		want, _ := workflowtest.WeekdayCalendar{}.Deadline(a.StateSince, days[a.State])
		if !a.Due.Equal(want) {
			t.Fatalf("step %d: %s due %v, want %v", step, a.State, a.Due, want)
		}
	default:
		if !a.Due.IsZero() {
			t.Fatalf("step %d: %s has due %v, the policy sets none", step, a.State, a.Due)
		}
	}
	if a.State.Terminal() != (a.Party == workflow.PartyNone) && a.State != workflow.StateActive {
		t.Fatalf("step %d: %s has party %q", step, a.State, a.Party)
	}
}

// TestRealCalendar runs the first steps on calendar.China() across the 2026 National
// Day holiday: the deadline skips 1–7 October and counts the adjusted working Saturday.
func TestRealCalendar(t *testing.T) {
	cal := calendar.China()
	clock := workflowtest.NewClock(time.Date(2026, 9, 30, 9, 0, 0, 0, workflowtest.China))
	e, err := workflow.New(workflow.Options{Store: memstore.NewWorkflowStore(), Policy: workflow.ZhejiangPreset(),
		Calendar: cal, Clock: clock, IDs: &workflowtest.IDs{Prefix: "cn"}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.Submit(context.Background(), workflowtest.Dept, workflowtest.Request(2))
	if err != nil {
		t.Fatal(err)
	}
	want, err := cal.Deadline(clock.Now(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Due.Equal(want) {
		t.Errorf("due %v, calendar says %v", a.Due, want)
	}
	if a.Due.Before(time.Date(2026, 10, 9, 0, 0, 0, 0, workflowtest.China)) {
		t.Errorf("due %v falls inside the National Day holiday", a.Due.In(workflowtest.China))
	}
	// Accept two weeks later: late by the working days the calendar counts.
	clock.Set(time.Date(2026, 10, 21, 10, 0, 0, 0, workflowtest.China))
	if _, err := e.Fire(context.Background(), workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{}); err != nil {
		t.Fatal(err)
	}
	h, err := e.History(context.Background(), workflowtest.Authority, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, err := cal.WorkdaysBetween(calendar.DateOf(a.Due.Add(-time.Microsecond)), calendar.DateOf(clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if tm := h[1].Timing; !tm.Late || tm.LateWorkdays != n || n == 0 {
		t.Errorf("timing %+v, calendar counts %d working days late", tm, n)
	}
}

func TestLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range workflow.AllStates() {
		zh, en := s.Label(workflow.Chinese), s.Label(workflow.English)
		if zh == en || zh == "" || en == "" || s.String() != zh || !s.Valid() {
			t.Errorf("state %q: labels %q / %q", string(s), zh, en)
		}
		if seen[zh] {
			t.Errorf("duplicate label %q", zh)
		}
		seen[zh] = true
	}
	for _, tr := range workflow.AllTriggers() {
		zh, en := tr.Label(workflow.Chinese), tr.Label(workflow.English)
		if zh == en || zh == "" || en == "" || tr.String() != zh || !tr.Valid() {
			t.Errorf("trigger %q: labels %q / %q", string(tr), zh, en)
		}
	}
	if got := workflow.State("weird").String(); got != `"weird"` {
		t.Errorf("unknown state label = %s", got)
	}
	if workflow.PrivateZone.String() != "专有云" || workflow.PublicZone.Label(workflow.English) != "public zone" {
		t.Errorf("zone labels wrong")
	}
}

func TestOptionsValidate(t *testing.T) {
	var o workflow.Options
	o.Policy = workflow.ZhejiangPreset()
	o.Policy.Trial.MinDays = 0
	o.Participants = []workflow.Participant{nil}
	_, err := workflow.New(o)
	got := fieldsOf(err)
	want := []string{"Store", "Calendar", "Participants", "trial.min_days"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Options.Validate fields (-want +got):\n%s", d)
	}
	if !errors.Is(err, workflow.ErrInvalidOptions) || !errors.Is(err, workflow.ErrInvalidPolicy) {
		t.Errorf("error %v should match ErrInvalidOptions and ErrInvalidPolicy", err)
	}
}

func TestRelayRunStopsWithContext(t *testing.T) {
	store := memstore.NewWorkflowStore()
	v := workflowtest.NewEnv(t, store)
	a := v.Submit(2)
	r, err := workflow.NewRelay(workflow.RelayOptions{Store: store, Clock: v.Clock, IDs: &workflowtest.IDs{Prefix: "l"}, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan workflow.Transition, 1)
	sub := workflow.SubscriberFunc("quota", func(_ context.Context, tr workflow.Transition, _ workflow.Delivery) error {
		got <- tr
		cancel()
		return nil
	})
	if err := r.Run(ctx, nil, sub); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	tr := <-got
	if tr.ApplicationID != a.ID || tr.Trigger != workflow.TriggerSubmit || tr.IdempotencyKey != a.ID+"/1" {
		t.Errorf("delivered %+v", tr)
	}
	if _, err := workflow.NewRelay(workflow.RelayOptions{Lease: -1}); len(fieldsOf(err)) != 2 {
		t.Errorf("NewRelay with no store and a negative lease: %v", err)
	}
}

// A custom policy changes the engine's behaviour without code: shorter deadlines, a
// final review deadline, a shorter trial without extensions, third-party reports from
// level 2, and only the authority may fail a trial.
func TestCustomPolicyDrivesEngine(t *testing.T) {
	p, err := workflow.LoadPolicy(strings.NewReader(`{"base": "zhejiang", "name": "custom",
		"deadlines": {"accept": 1, "approve": 1, "provide_trial": 1, "final_review": 2, "change_review": 5,
		              "change_execution": 3, "termination_review": 5, "reclaim": 3},
		"trial": {"min_days": 5, "max_days": 10, "default_days": 7, "max_extensions": 0, "max_extension_days": 0},
		"tests": {"trial": ["security"], "major_change": ["security"], "third_party_levels": [2,3,4,5], "third_party_kinds": ["security"]},
		"roles": {"fail_trial": ["authority"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	clock := workflowtest.NewClock(workflowtest.Base)
	e, err := workflow.New(workflow.Options{Store: memstore.NewWorkflowStore(), Policy: p, Calendar: workflowtest.WeekdayCalendar{},
		Clock: clock, IDs: &workflowtest.IDs{Prefix: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := e.Submit(ctx, workflowtest.Dept, workflowtest.Request(2))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := (workflowtest.WeekdayCalendar{}).Deadline(workflowtest.Base, 1); !a.Due.Equal(want) {
		t.Errorf("accept due %v, want 1 working day: %v", a.Due, want)
	}
	a, _ = e.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	if _, err := e.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 15}); !errors.Is(err, workflow.ErrInvalidInput) {
		t.Errorf("15 days under a 5–10 day policy: %v", err)
	}
	a, _ = e.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerApprove, workflow.Input{})
	a, _ = e.CompleteWorkOrder(ctx, workflowtest.Vendor, a.OpenWorkOrder, workflow.Completion{Key: "k"})
	if a.Trial == nil || a.Trial.Days != 7 {
		t.Fatalf("default trial = %+v, want 7 days", a.Trial)
	}
	if _, err := e.Fire(ctx, workflowtest.Authority, a.ID, workflow.TriggerExtendTrial, workflow.Input{TrialDays: 1}); !errors.Is(err, workflow.ErrInvalidInput) {
		t.Errorf("an extension under a no-extension policy: %v", err)
	}
	if _, err := e.Fire(ctx, workflowtest.Dept, a.ID, workflow.TriggerFailTrial, workflow.Input{Opinion: "x"}); !errors.Is(err, workflow.ErrForbidden) {
		t.Errorf("the department fails a trial the policy reserves to the authority: %v", err)
	}
	e.Fire(ctx, workflowtest.Dept, a.ID, workflow.TriggerRecordTestReport, workflow.Input{TestReport: workflowtest.Report(workflow.TestSecurity, false)})
	if _, err := e.Fire(ctx, workflowtest.Dept, a.ID, workflow.TriggerSubmitTests, workflow.Input{}); !errors.Is(err, workflow.ErrMissingMaterial) {
		t.Errorf("level 2 without a third-party report under this policy: %v", err)
	}
	e.Fire(ctx, workflowtest.Dept, a.ID, workflow.TriggerRecordTestReport, workflow.Input{TestReport: workflowtest.Report(workflow.TestSecurity, true)})
	a, err = e.Fire(ctx, workflowtest.Dept, a.ID, workflow.TriggerSubmitTests, workflow.Input{})
	if err != nil {
		t.Fatalf("only security tests are needed: %v", err)
	}
	if want, _ := (workflowtest.WeekdayCalendar{}).Deadline(clock.Now(), 2); a.State != workflow.StateFinalReview || !a.Due.Equal(want) {
		t.Errorf("final review due %v, want %v from the policy", a.Due, want)
	}
}
