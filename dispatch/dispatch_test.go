package dispatch_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/adapters/httpprovider"
	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	"github.com/opengovcloud/govcloud/dispatch"
	"github.com/opengovcloud/govcloud/dispatch/dispatchtest"
	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

type rig struct {
	t     *testing.T
	env   *workflowtest.Env
	sim   *simprovider.Sim
	relay *workflow.Relay
	d     *dispatch.Dispatcher
	store dispatch.Store
	mu    sync.Mutex
	fails []dispatch.Job
}

func newRig(t *testing.T, so simprovider.Options, store dispatch.Store) *rig {
	t.Helper()
	r := &rig{t: t, env: workflowtest.NewEnv(t, memstore.NewWorkflowStore()), store: store}
	so.Vendor, so.Clock = workflowtest.Vendor.ID, r.env.Clock
	var err error
	if r.sim, err = simprovider.New(so); err != nil {
		t.Fatal(err)
	}
	if r.relay, err = workflow.NewRelay(workflow.RelayOptions{Store: r.env.Store, Clock: r.env.Clock, IDs: r.env.IDs}); err != nil {
		t.Fatal(err)
	}
	r.d, err = dispatch.New(dispatch.Options{
		Store: store, Providers: map[string]govcloud.Provider{workflowtest.Vendor.ID: r.sim},
		WorkOrders: r.env.Store, Completer: r.env.Engine, Clock: r.env.Clock, Owner: "test-1", Seed: 1,
		OnFailure: func(j dispatch.Job) { r.mu.Lock(); r.fails = append(r.fails, j); r.mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pump delivers the outbox and runs the dispatcher, advancing time by step,
// until cond holds (at most n rounds).
func (r *rig) pump(n int, step time.Duration, cond func() bool) {
	r.t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		if _, err := r.relay.DeliverOnce(ctx, r.d); err != nil {
			r.t.Fatal(err)
		}
		if _, err := r.d.RunOnce(ctx); err != nil {
			r.t.Fatal(err)
		}
		if cond() {
			return
		}
		r.env.Clock.Advance(step)
	}
	r.t.Fatalf("condition not reached after %d rounds", n)
}

func (r *rig) state(id string) workflow.State {
	a, err := r.env.Engine.Get(context.Background(), workflowtest.Authority, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return a.State
}

func resItems(rs []govcloud.Resource) []govcloud.Item {
	var out []govcloud.Item
	for _, x := range rs {
		out = append(out, govcloud.Item{Code: x.Item, Quantity: x.Quantity})
	}
	return out
}

// The whole life of an application, with the vendor driven only by the
// dispatcher: trial environment, promotion, change, termination.
func TestLifecycleThroughDispatcher(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults simprovider.Faults
	}{{"no faults", simprovider.Faults{}}, {"random faults", simprovider.Faults{Timeout: 200, ServerError: 200, Partial: 300}}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, simprovider.Options{Seed: 4, Faults: tc.faults}, dispatch.NewMemStore())
			v := r.env
			a := v.Submit(3)
			v.Fire(workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
			v.Fire(workflowtest.Authority, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
			r.pump(500, 30*time.Minute, func() bool { return r.state(a.ID) == workflow.StateTrial })
			if d := cmp.Diff([]govcloud.Item{{Code: "ecs.4c8g", Quantity: 4}, {Code: "rds.pg", Quantity: 1}}, resItems(r.sim.Resources(a.ID))); d != "" {
				t.Errorf("trial resources (-want +got)\n%s", d)
			}
			v.PassTests(a.ID, []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity}, 3)
			v.Fire(workflowtest.Dept, a.ID, workflow.TriggerSubmitTests, workflow.Input{})
			v.Fire(workflowtest.Authority, a.ID, workflow.TriggerActivate, workflow.Input{})
			jobDone := func(status ...dispatch.Status) func() bool {
				return func() bool {
					js, err := r.store.List(context.Background(), status...)
					if err != nil {
						t.Fatal(err)
					}
					return len(js) == 0
				}
			}
			r.pump(500, 30*time.Minute, jobDone(dispatch.StatusPending, dispatch.StatusWaiting))

			newItems := []workflow.Item{{Code: "ecs.4c8g", Quantity: 8}}
			v.Fire(workflowtest.Dept, a.ID, workflow.TriggerRequestChange, workflow.Input{Change: &workflow.ChangeSpec{Items: newItems},
				Materials: workflowtest.Mats(workflow.MaterialChangePlan)})
			v.Fire(workflowtest.Authority, a.ID, workflow.TriggerApproveChange, workflow.Input{})
			r.pump(500, 30*time.Minute, func() bool { return r.state(a.ID) == workflow.StateActive })
			if d := cmp.Diff([]govcloud.Item{{Code: "ecs.4c8g", Quantity: 8}}, resItems(r.sim.Resources(a.ID))); d != "" {
				t.Errorf("resources after change (-want +got)\n%s", d)
			}
			v.Fire(workflowtest.Dept, a.ID, workflow.TriggerRequestTermination, workflow.Input{
				Materials: workflowtest.Mats(workflow.MaterialOffboardingConfirmation, workflow.MaterialDataBackup)})
			v.Fire(workflowtest.Authority, a.ID, workflow.TriggerApproveTermination, workflow.Input{})
			r.pump(500, 30*time.Minute, func() bool { return r.state(a.ID) == workflow.StateTerminated })
			if rs := r.sim.Resources(a.ID); len(rs) != 0 {
				t.Errorf("resources after termination: %+v", rs)
			}
			// Four jobs, all done, each with its attempts recorded; exactly
			// three resources were ever created (two items, then none new:
			// the change resized one and removed the other).
			jobs, err := r.store.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var ops []govcloud.Op
			for _, j := range jobs {
				ops = append(ops, j.Op)
				if j.Status != dispatch.StatusDone {
					t.Errorf("job %s: %s (%s)", j.Key, j.Status.English(), j.LastError)
				}
				at, _ := r.store.Attempts(context.Background(), j.Key)
				if len(at) == 0 || at[len(at)-1].Outcome != dispatch.OutcomeDone {
					t.Errorf("job %s attempts %+v", j.Key, at)
				}
			}
			if d := cmp.Diff([]govcloud.Op{govcloud.OpProvision, govcloud.OpPromote, govcloud.OpChange, govcloud.OpReclaim}, ops); d != "" {
				t.Errorf("jobs (-want +got)\n%s", d)
			}
			if got := r.sim.Created(); got != 2 {
				t.Errorf("resources created %d, want 2", got)
			}
			if len(r.fails) != 0 {
				t.Errorf("failures: %+v", r.fails)
			}
		})
	}
}

// A permanent error stops the job and raises it; the vendor's deadline keeps
// running (the application becomes overdue); Abandon unblocks.
func TestPermanentFailureRaised(t *testing.T) {
	r := newRig(t, simprovider.Options{Items: []string{"ecs.4c8g"}}, dispatch.NewMemStore())
	v := r.env
	a := v.Submit(2)
	v.Fire(workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	v.Fire(workflowtest.Authority, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
	r.pump(10, time.Hour, func() bool { return len(r.fails) > 0 })
	fs, err := r.d.Failures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].LastCode != govcloud.CodeUnknownItem || fs[0].Op != govcloud.OpProvision || fs[0].Due.IsZero() {
		t.Fatalf("failures: %+v", fs)
	}
	at, _ := r.store.Attempts(context.Background(), fs[0].Key)
	if len(at) != 1 || at[0].Outcome != dispatch.OutcomePermanent {
		t.Errorf("attempts: %+v (a permanent error is not retried)", at)
	}
	v.Clock.Set(fs[0].Due)
	over, err := v.Engine.Overdue(context.Background(), workflowtest.Operator, fs[0].Due)
	if err != nil || len(over) != 1 {
		t.Errorf("overdue at the work order's due: %+v %v", over, err)
	}
	if err := r.d.Retry(context.Background(), "nope"); !errors.Is(err, dispatch.ErrNotFound) {
		t.Errorf("Retry(unknown) = %v", err)
	}
	if err := r.d.Abandon(context.Background(), fs[0].Key); err != nil {
		t.Fatal(err)
	}
	if err := r.d.Abandon(context.Background(), fs[0].Key); !errors.Is(err, dispatch.ErrConflict) {
		t.Errorf("second Abandon = %v", err)
	}
}

// Retryable failures back off exponentially up to MaxAttempts, then raise.
func TestRetriesExhausted(t *testing.T) {
	store := dispatch.NewMemStore()
	clock := workflowtest.NewClock(workflowtest.Base)
	d, err := dispatch.New(dispatch.Options{Store: store, Providers: map[string]govcloud.Provider{"v": alwaysDown{}},
		WorkOrders: noWO{}, Completer: noCompleter{}, Clock: clock, Owner: "o", MaxAttempts: 5,
		BaseBackoff: time.Minute, MaxBackoff: 4 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	job := dispatch.Job{Key: "k", Application: "a", Seq: 1, Vendor: "v", Op: govcloud.OpPromote, Status: dispatch.StatusPending,
		Request: []byte(`{"key":"k","work_order":"w","application":"a","department":"d","vendor":"v"}`), NextAt: clock.Now()}
	if err := store.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}
	var gaps []time.Duration
	last := clock.Now()
	for i := 0; i < 200; i++ {
		n, err := d.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 && i > 0 {
			gaps = append(gaps, clock.Now().Sub(last))
		}
		if n > 0 {
			last = clock.Now()
		}
		clock.Advance(time.Second * 5)
	}
	j, _ := store.Get(ctx, "k")
	if j.Status != dispatch.StatusFailed || j.Attempts != 5 {
		t.Fatalf("job after 5 failures: %s attempts %d", j.Status.English(), j.Attempts)
	}
	// Gaps follow Backoff: after attempt n, Backoff(k, n) rounded up to the 5 s tick.
	for i, g := range gaps {
		want := d.Backoff("k", i+1)
		if g < want || g > want+5*time.Second {
			t.Errorf("gap %d = %v, want ≈ %v", i+1, g, want)
		}
	}
	if len(gaps) != 4 {
		t.Errorf("%d gaps", len(gaps))
	}
}

func TestBackoffProperties(t *testing.T) {
	d, err := dispatch.New(dispatch.Options{Store: dispatch.NewMemStore(), Providers: map[string]govcloud.Provider{"v": alwaysDown{}},
		WorkOrders: noWO{}, Completer: noCompleter{}, Clock: workflowtest.NewClock(workflowtest.Base), Owner: "o", Seed: 9,
		BaseBackoff: time.Second, MaxBackoff: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[time.Duration]bool{}
	for k := 0; k < 200; k++ {
		key := string(rune('a'+k%26)) + string(rune('a'+k/26))
		for n := 1; n <= 12; n++ {
			b := min(time.Second<<(n-1), time.Minute)
			got := d.Backoff(key, n)
			if got < b/2 || got > b {
				t.Fatalf("Backoff(%q, %d) = %v, want in [%v, %v]", key, n, got, b/2, b)
			}
			if got != d.Backoff(key, n) {
				t.Fatal("Backoff is not deterministic")
			}
			if n == 12 {
				distinct[got] = true
			}
		}
	}
	if len(distinct) < 50 {
		t.Errorf("only %d distinct delays over 200 keys: no jitter", len(distinct))
	}
}

func TestOptionsValidate(t *testing.T) {
	c := workflowtest.NewClock(workflowtest.Base)
	ok := dispatch.Options{Store: dispatch.NewMemStore(), Providers: map[string]govcloud.Provider{"v": alwaysDown{}},
		WorkOrders: noWO{}, Completer: noCompleter{}, Clock: c, Owner: "o"}
	for _, tc := range []struct {
		field string
		mod   func(o *dispatch.Options)
	}{
		{"Store", func(o *dispatch.Options) { o.Store = nil }},
		{"Providers", func(o *dispatch.Options) { o.Providers = nil }},
		{`Providers["x"]`, func(o *dispatch.Options) { o.Providers = map[string]govcloud.Provider{"x": nil} }},
		{"Owner", func(o *dispatch.Options) { o.Owner = " " }},
		{"Clock", func(o *dispatch.Options) { o.Clock = nil }},
		{"MaxBackoff", func(o *dispatch.Options) { o.BaseBackoff, o.MaxBackoff = time.Hour, time.Minute }},
	} {
		o := ok
		tc.mod(&o)
		err := o.Validate()
		var oe *dispatch.OptionError
		if !errors.As(err, &oe) || oe.Field != tc.field || !errors.Is(err, dispatch.ErrInvalidOptions) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Error(err)
	}
}

type alwaysDown struct{}

func (alwaysDown) err() error { return govcloud.Retryable(govcloud.CodeUnavailable, "down") }
func (a alwaysDown) Provision(context.Context, govcloud.ProvisionRequest) (govcloud.Ack, error) {
	return govcloud.Ack{}, a.err()
}
func (a alwaysDown) Promote(context.Context, govcloud.PromoteRequest) (govcloud.Ack, error) {
	return govcloud.Ack{}, a.err()
}
func (a alwaysDown) Change(context.Context, govcloud.ChangeRequest) (govcloud.Ack, error) {
	return govcloud.Ack{}, a.err()
}
func (a alwaysDown) Reclaim(context.Context, govcloud.ReclaimRequest) (govcloud.Ack, error) {
	return govcloud.Ack{}, a.err()
}

type noWO struct{}

func (noWO) GetWorkOrder(context.Context, string) (workflow.WorkOrder, error) {
	return workflow.WorkOrder{}, workflow.ErrNotFound
}

type noCompleter struct{}

func (noCompleter) CompleteWorkOrder(context.Context, workflow.Actor, string, workflow.Completion) (workflow.Application, error) {
	return workflow.Application{}, nil
}

func TestMemStore(t *testing.T) {
	dispatchtest.RunStore(t, func(t *testing.T) dispatch.Store { return dispatch.NewMemStore() })
}

// A completion pushed by the vendor (signed callback → CallbackHandler →
// Dispatcher.Complete) makes the dispatcher poll at once instead of after
// its poll interval.
func TestPushedCompletionNudges(t *testing.T) {
	env := workflowtest.NewEnv(t, memstore.NewWorkflowStore())
	store := dispatch.NewMemStore()
	var d *dispatch.Dispatcher
	secret := []byte("push test secret of at least 32 bytes")
	cb, err := httpprovider.NewCallbackHandler(httpprovider.CallbackOptions{Secret: secret,
		Sink: govcloud.CompletionSinkFunc(func(ctx context.Context, c govcloud.Completion) error { return d.Complete(ctx, c) })})
	if err != nil {
		t.Fatal(err)
	}
	platform := httptest.NewServer(cb)
	defer platform.Close()
	notifier, err := httpprovider.NewNotifier(httpprovider.NotifierOptions{URL: platform.URL, Secret: secret, HTTPClient: platform.Client()})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simprovider.New(simprovider.Options{Vendor: workflowtest.Vendor.ID, Clock: env.Clock, Sink: notifier})
	if err != nil {
		t.Fatal(err)
	}
	relay, _ := workflow.NewRelay(workflow.RelayOptions{Store: env.Store, Clock: env.Clock, IDs: env.IDs})
	d, err = dispatch.New(dispatch.Options{Store: store, Providers: map[string]govcloud.Provider{workflowtest.Vendor.ID: sim},
		WorkOrders: env.Store, Completer: env.Engine, Clock: env.Clock, Owner: "o", PollInterval: 1000 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := env.Submit(2)
	env.Fire(workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	env.Fire(workflowtest.Authority, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
	for range 3 { // submit, accept, approve: one per round per application
		if _, err := relay.DeliverOnce(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.RunOnce(ctx); err != nil { // sends; the vendor acknowledges
		t.Fatal(err)
	}
	jobs, _ := store.List(ctx, dispatch.StatusWaiting)
	if len(jobs) != 1 {
		t.Fatalf("waiting jobs: %+v", jobs)
	}
	env.Clock.Advance(72 * time.Hour)     // the vendor finishes …
	if err := sim.Tick(ctx); err != nil { // … and pushes its completion
		t.Fatal(err)
	}
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	app, _ := env.Engine.Get(ctx, workflowtest.Authority, a.ID)
	if app.State != workflow.StateTrial {
		t.Fatalf("state %s: the push did not make the dispatcher poll", app.State)
	}
	// A push for an unknown key is refused (404 problem), nothing changes.
	if err := d.Complete(ctx, govcloud.Completion{Key: "nope", Op: govcloud.OpProvision, Application: "x", Result: &govcloud.Result{}}); !errors.Is(err, govcloud.ErrPermanent) {
		t.Errorf("unknown key: %v", err)
	}
}

type refusingCompleter struct{ err error }

func (c refusingCompleter) CompleteWorkOrder(context.Context, workflow.Actor, string, workflow.Completion) (workflow.Application, error) {
	return workflow.Application{}, c.err
}

type fixedWO struct{ status workflow.WorkOrderStatus }

func (f fixedWO) GetWorkOrder(_ context.Context, id string) (workflow.WorkOrder, error) {
	return workflow.WorkOrder{ID: id, Status: f.status}, nil
}

type instantProvider struct{ alwaysDown }

func (instantProvider) Reclaim(_ context.Context, r govcloud.ReclaimRequest) (govcloud.Ack, error) {
	return govcloud.Ack{Key: r.Key, Op: govcloud.OpReclaim, Done: true}, nil
}

// A completion the workflow refuses for good is raised to the operator after
// one attempt; a transient failure to record it is retried.
func TestCompletionRefusedRaisedAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		woState workflow.WorkOrderStatus
		want    dispatch.Status
		outcome dispatch.Outcome
	}{
		{"application moved on", &workflow.TriggerError{Trigger: workflow.TriggerActivate, State: workflow.StateActive, Reason: "moved on"}, workflow.WorkOrderOpen, dispatch.StatusFailed, dispatch.OutcomePermanent},
		{"not the vendor's", &workflow.ForbiddenError{Reason: "other vendor"}, workflow.WorkOrderOpen, dispatch.StatusFailed, dispatch.OutcomePermanent},
		{"unknown work order", workflow.ErrNotFound, workflow.WorkOrderOpen, dispatch.StatusFailed, dispatch.OutcomePermanent},
		{"completed with another completion", workflow.ErrConflict, workflow.WorkOrderDone, dispatch.StatusFailed, dispatch.OutcomePermanent},
		{"lost a race", workflow.ErrConflict, workflow.WorkOrderOpen, dispatch.StatusPending, dispatch.OutcomeRetryable},
		{"database down", errors.New("connection refused"), workflow.WorkOrderOpen, dispatch.StatusPending, dispatch.OutcomeRetryable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, clock, ctx := dispatch.NewMemStore(), workflowtest.NewClock(workflowtest.Base), context.Background()
			var raised []string
			d, err := dispatch.New(dispatch.Options{Store: store, Providers: map[string]govcloud.Provider{"v": instantProvider{}},
				WorkOrders: fixedWO{tc.woState}, Completer: refusingCompleter{tc.err}, Clock: clock, Owner: "o",
				OnFailure: func(j dispatch.Job) { raised = append(raised, j.Key) }})
			if err != nil {
				t.Fatal(err)
			}
			if err := store.Enqueue(ctx, dispatch.Job{Key: "wo/w", Application: "a", Seq: 1, Vendor: "v", WorkOrder: "w", Op: govcloud.OpReclaim,
				Status: dispatch.StatusPending, NextAt: clock.Now(),
				Request: []byte(`{"key":"wo/w","work_order":"w","application":"a","department":"d","vendor":"v"}`)}); err != nil {
				t.Fatal(err)
			}
			if _, err := d.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			j, _ := store.Get(ctx, "wo/w")
			at, _ := store.Attempts(ctx, "wo/w")
			got := struct {
				Status  dispatch.Status
				Outcome dispatch.Outcome
				Raised  int
			}{j.Status, at[len(at)-1].Outcome, len(raised)}
			want := got
			want.Status, want.Outcome, want.Raised = tc.want, tc.outcome, 0
			if tc.want == dispatch.StatusFailed {
				want.Raised = 1
				if j.LastCode != govcloud.CodeInvalidState {
					t.Errorf("code %q", j.LastCode)
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// A major change ends in final review and activation again; the environment is
// formal already, so the dispatcher promotes an application once: no second
// promotion job (which a vendor refuses as "already formal", blocking the
// application's later jobs).
func TestPromotedOnceAcrossMajorChange(t *testing.T) {
	r := newRig(t, simprovider.Options{Seed: 9}, dispatch.NewMemStore())
	v := r.env
	ctx := context.Background()
	a := v.Submit(3)
	v.Fire(workflowtest.Authority, a.ID, workflow.TriggerAccept, workflow.Input{})
	v.Fire(workflowtest.Authority, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
	r.pump(500, 30*time.Minute, func() bool { return r.state(a.ID) == workflow.StateTrial })
	v.PassTests(a.ID, []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity}, 3)
	v.Fire(workflowtest.Dept, a.ID, workflow.TriggerSubmitTests, workflow.Input{})
	v.Fire(workflowtest.Authority, a.ID, workflow.TriggerActivate, workflow.Input{})
	// idle: every transition delivered to the dispatcher and no job left to run.
	idle := func() bool {
		n, err := r.relay.DeliverOnce(ctx, r.d)
		if err != nil {
			t.Fatal(err)
		}
		js, err := r.store.List(ctx, dispatch.StatusPending, dispatch.StatusWaiting)
		if err != nil {
			t.Fatal(err)
		}
		return n == 0 && len(js) == 0
	}
	r.pump(500, 30*time.Minute, idle)

	major := []workflow.Item{{Code: "ecs.4c8g", Quantity: 6}}
	v.Fire(workflowtest.Dept, a.ID, workflow.TriggerRequestChange, workflow.Input{Change: &workflow.ChangeSpec{Items: major, Major: true},
		Materials: append(workflowtest.Mats(workflow.MaterialChangePlan), workflowtest.SubmitMaterials()...)})
	v.Fire(workflowtest.Authority, a.ID, workflow.TriggerApproveChange, workflow.Input{})
	r.pump(500, 30*time.Minute, func() bool { return r.state(a.ID) == workflow.StateChangeTesting })
	v.PassTests(a.ID, []workflow.TestKind{workflow.TestPerformance, workflow.TestSecurity}, 3)
	v.Fire(workflowtest.Dept, a.ID, workflow.TriggerSubmitTests, workflow.Input{})
	v.Fire(workflowtest.Authority, a.ID, workflow.TriggerActivate, workflow.Input{})
	r.pump(500, 30*time.Minute, idle)

	jobs, err := r.store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Key    string
		Op     govcloud.Op
		Status dispatch.Status
	}
	var got []row
	for _, j := range jobs {
		if j.Op == govcloud.OpPromote {
			got = append(got, row{j.Key, j.Op, j.Status})
		}
	}
	want := []row{{dispatch.PromoteKey(a.ID), govcloud.OpPromote, dispatch.StatusDone}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("promotion jobs (-want +got)\n%s", d)
	}
	if len(r.fails) != 0 {
		t.Errorf("failures raised: %+v", r.fails)
	}
}
