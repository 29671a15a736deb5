package govcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/httpprovider"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	"github.com/opengovcloud/govcloud/dispatch"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// vBase is a Monday, 10:00 Beijing, within the holiday data of
// calendar.China() that simprovider schedules on.
var vBase = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

// venv is a platform whose vendor "vendor-a" is a simprovider, driven by
// DispatchOnce with a fake clock. opts and the ID generator are kept so that
// the platform can be closed and reopened on the same database.
type venv struct {
	t     *testing.T
	opts  Options
	p     *Platform
	clock *workflowtest.Clock
	sim   *simprovider.Sim
	fails []dispatch.Job
}

func newVEnv(t *testing.T, base Options, so simprovider.Options) *venv {
	t.Helper()
	e := &venv{t: t, clock: workflowtest.NewClock(vBase)}
	so.Vendor, so.Clock, so.Seed = qVendor.ID, e.clock, 7
	sim, err := simprovider.New(so)
	if err != nil {
		t.Fatal(err)
	}
	e.sim = sim
	base.Clock, base.IDs, base.Calendar = e.clock, &workflowtest.IDs{Prefix: "app"}, workflowtest.WeekdayCalendar{}
	base.Providers = map[string]Provider{qVendor.ID: sim}
	base.Vendors.Seed, base.Vendors.MaxAttempts = 3, 6
	base.Vendors.OnFailure = func(j dispatch.Job) { e.fails = append(e.fails, j) }
	e.opts = base
	e.open()
	ctx := t.Context()
	capacity := quota.Vector{quota.VCPU: 10_000_000, quota.Memory: 100_000_000, quota.Storage: 100_000, quota.DBInstances: 50, quota.PublicIPs: 10}
	if _, err := e.p.CreatePlatformPool(ctx, PlatformPool{ID: "zj-private", Vendor: qVendor.ID, Zone: workflow.PrivateZone, Limit: capacity}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.CreateTierPool(ctx, TierPool{ID: "city", Platform: "zj-private", Tier: quota.TierCity, Limit: capacity}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.CreateDepartmentPool(ctx, DepartmentPool{Department: qDept.ID, Tier: "city", Year: 2026, Limit: deptLimit}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *venv) open() {
	e.t.Helper()
	p, err := Open(e.t.Context(), e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.p = p
	e.t.Cleanup(func() { p.Close() })
}

// restart closes the platform and opens it again on the same database (the
// vendor, an outside party, keeps its state).
func (e *venv) restart() {
	e.t.Helper()
	if err := e.p.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

// approve submits an application of qDept and approves it: the trial
// environment's work order is open.
func (e *venv) approve() workflow.Application {
	e.t.Helper()
	ctx := e.t.Context()
	req := workflowtest.Request(3)
	req.Vendor = qVendor.ID
	a, err := e.p.Workflow().Submit(ctx, qDept, req)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.p.Workflow().Fire(ctx, qAuth, a.ID, workflow.TriggerAccept, workflow.Input{}); err != nil {
		e.t.Fatal(err)
	}
	a, err = e.p.Workflow().Fire(ctx, qAuth, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
	if err != nil {
		e.t.Fatal(err)
	}
	if a.OpenWorkOrder == "" {
		e.t.Fatal("approval opened no work order")
	}
	return a
}

// pump runs DispatchOnce rounds, advancing the clock by step after each,
// until cond holds (at most n rounds).
func (e *venv) pump(n int, step time.Duration, cond func() bool) {
	e.t.Helper()
	for i := 0; i < n; i++ {
		if _, err := e.p.DispatchOnce(e.t.Context()); err != nil {
			e.t.Fatal(err)
		}
		if cond() {
			return
		}
		e.clock.Advance(step)
	}
	e.t.Fatalf("condition not reached after %d rounds", n)
}

func (e *venv) app(id string) workflow.Application {
	e.t.Helper()
	a, err := e.p.Workflow().Get(e.t.Context(), qAuth, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *venv) inTrial(id string) func() bool {
	return func() bool { return e.app(id).State == workflow.StateTrial }
}

func (e *venv) outcomes(key string) []dispatch.Outcome {
	e.t.Helper()
	at, err := e.p.VendorAttempts(e.t.Context(), key)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []dispatch.Outcome
	for _, a := range at {
		out = append(out, a.Outcome)
	}
	return out
}

func resourceItems(rs []Resource) []Item {
	var out []Item
	for _, r := range rs {
		out = append(out, Item{Code: r.Item, Quantity: r.Quantity})
	}
	return out
}

var trialItems = []Item{{Code: "ecs.4c8g", Quantity: 4}, {Code: "rds.pg", Quantity: 1}}

// Approval → work order → dispatcher → provider → completion → trial.
func TestVendorsApprovalToTrial(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newVEnv(t, b.opts(t), simprovider.Options{})
			a := e.approve()
			woID := a.OpenWorkOrder
			e.pump(200, 30*time.Minute, e.inTrial(a.ID))
			if d := cmp.Diff(trialItems, resourceItems(e.sim.Resources(a.ID))); d != "" {
				t.Errorf("trial environment (-want +got)\n%s", d)
			}
			wos, err := e.p.Workflow().WorkOrders(t.Context(), qAuth, workflow.WorkOrderFilter{ApplicationID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(wos, func(w workflow.WorkOrder) bool { return w.ID == woID })
			if i < 0 || wos[i].Status != workflow.WorkOrderDone || wos[i].Completion == nil || wos[i].Completion.Key != "wo/"+woID {
				t.Fatalf("work order %+v", wos)
			}
			job, err := e.p.Database().Jobs().Get(t.Context(), "wo/"+woID)
			if err != nil {
				t.Fatal(err)
			}
			if job.Status != dispatch.StatusDone || !job.Due.Equal(wos[i].Due) {
				t.Errorf("job %s, due %v (work order due %v)", job.Status.English(), job.Due, wos[i].Due)
			}
			if got := e.outcomes("wo/" + woID); len(got) < 2 || got[0] != dispatch.OutcomeAccepted || got[len(got)-1] != dispatch.OutcomeDone {
				t.Errorf("attempts %v: want accepted, polls, done", got)
			}
			if fs, err := e.p.VendorFailures(t.Context()); err != nil || len(fs) != 0 {
				t.Errorf("failures %+v %v", fs, err)
			}
		})
	}
}

// A retryable fault is retried with the same key and then succeeds; the
// vendor does the work once.
func TestVendorsRetryableFaultRetried(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newVEnv(t, b.opts(t), simprovider.Options{Latency: map[Op]simprovider.Latency{OpProvision: {}}})
			e.sim.InjectFault(simprovider.FaultServerError)
			e.sim.InjectFault(simprovider.FaultAcceptedTimeout) // the vendor works, the answer is lost
			a := e.approve()
			e.pump(100, 10*time.Minute, e.inTrial(a.ID))
			if d := cmp.Diff([]dispatch.Outcome{dispatch.OutcomeRetryable, dispatch.OutcomeRetryable, dispatch.OutcomeDone}, e.outcomes("wo/"+a.OpenWorkOrder)); d != "" {
				t.Errorf("attempts (-want +got)\n%s", d)
			}
			if got := e.sim.Created(); got != len(trialItems) {
				t.Errorf("vendor created %d resources, want %d", got, len(trialItems))
			}
			if len(e.fails) != 0 {
				t.Errorf("raised %+v", e.fails)
			}
		})
	}
}

// A permanent fault is raised to the operator at once; the vendor's
// deadline keeps running, so the application later shows late in Overdue.
func TestVendorsPermanentFaultRaised(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newVEnv(t, b.opts(t), simprovider.Options{Items: []string{"ecs.4c8g"}}) // no rds.pg on offer
			a := e.approve()
			key := "wo/" + a.OpenWorkOrder
			e.pump(5, time.Hour, func() bool { return len(e.fails) > 0 })
			fs, err := e.p.VendorFailures(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 || fs[0].Key != key || fs[0].LastCode != CodeUnknownItem || len(e.fails) != 1 {
				t.Fatalf("failures %+v (OnFailure %d)", fs, len(e.fails))
			}
			if d := cmp.Diff([]dispatch.Outcome{dispatch.OutcomePermanent}, e.outcomes(key)); d != "" {
				t.Errorf("attempts (-want +got)\n%s", d)
			}
			// Later rounds do not retry the failed job.
			for i := 0; i < 3; i++ {
				e.clock.Advance(time.Hour)
				if _, err := e.p.DispatchOnce(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(e.outcomes(key)); n != 1 {
				t.Errorf("%d attempts after the permanent failure, want 1", n)
			}
			// The work order's due instant is unchanged; past it, the vendor is late.
			cur := e.app(a.ID)
			if cur.State != a.State || cur.OpenWorkOrder != a.OpenWorkOrder || !cur.Due.Equal(a.Due) || !fs[0].Due.Equal(a.Due) {
				t.Fatalf("application %s due %v, job due %v; want %s due %v", cur.State, cur.Due, fs[0].Due, a.State, a.Due)
			}
			if over, err := e.p.Workflow().Overdue(t.Context(), workflowtest.Operator, e.clock.Now()); err != nil || len(over) != 0 {
				t.Errorf("overdue before the deadline: %+v %v", over, err)
			}
			e.clock.Set(a.Due.Add(72 * time.Hour))
			over, err := e.p.Workflow().Overdue(t.Context(), workflowtest.Operator, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(over) != 1 || over[0].ApplicationID != a.ID || over[0].Party != workflow.PartyVendor ||
				over[0].WorkOrder != a.OpenWorkOrder || over[0].LateWorkdays < 1 {
				t.Errorf("overdue %+v: want the vendor late on %s", over, a.OpenWorkOrder)
			}
			// The operator fixes the cause (the vendor adds the item) and retries.
			if err := e.p.Dispatcher().Retry(t.Context(), key); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Closing and reopening the platform mid-dispatch loses nothing: a job
// acknowledged by the vendor before the restart is polled and completed
// after it, sent once; a transition committed before the restart but not
// yet delivered to the dispatcher becomes a job after it.
func TestVendorsRestartMidDispatch(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newVEnv(t, b.opts(t), simprovider.Options{})
			a1 := e.approve()
			r, err := e.p.DispatchOnce(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if r.Attempted != 1 {
				t.Fatalf("round %+v: want the work order sent", r)
			}
			if got := e.outcomes("wo/" + a1.OpenWorkOrder); !slices.Equal(got, []dispatch.Outcome{dispatch.OutcomeAccepted}) {
				t.Fatalf("before restart: attempts %v", got)
			}
			a2 := e.approve() // committed, not delivered
			e.restart()
			e.pump(200, 30*time.Minute, func() bool { return e.inTrial(a1.ID)() && e.inTrial(a2.ID)() })
			for _, a := range []workflow.Application{a1, a2} {
				if d := cmp.Diff(trialItems, resourceItems(e.sim.Resources(a.ID))); d != "" {
					t.Errorf("%s trial environment (-want +got)\n%s", a.ID, d)
				}
				if got := e.outcomes("wo/" + a.OpenWorkOrder); got[0] != dispatch.OutcomeAccepted || got[len(got)-1] != dispatch.OutcomeDone {
					t.Errorf("%s attempts %v", a.ID, got)
				}
			}
			if got := e.sim.Created(); got != 2*len(trialItems) {
				t.Errorf("vendor created %d resources, want %d: an order was lost or sent twice", got, 2*len(trialItems))
			}
			jobs, err := e.p.Database().Jobs().List(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) != 2 {
				t.Errorf("%d jobs, want 2", len(jobs))
			}
		})
	}
}

func TestVendorOptionsValidate(t *testing.T) {
	sim := Provider(nil)
	for _, tc := range []struct {
		name  string
		opts  Options
		field string
	}{
		{"nil provider", Options{Providers: map[string]Provider{"v": sim}}, `Providers["v"]`},
		{"blank vendor", Options{Providers: map[string]Provider{" ": nil}}, "Providers"},
		{"negative backoff", Options{Vendors: VendorOptions{BaseBackoff: -1}}, "Vendors.BaseBackoff"},
		{"max below base", Options{Vendors: VendorOptions{BaseBackoff: time.Hour, MaxBackoff: time.Minute}}, "Vendors.MaxBackoff"},
		{"negative attempts", Options{Vendors: VendorOptions{MaxAttempts: -1}}, "Vendors.MaxAttempts"},
		{"negative batch", Options{Vendors: VendorOptions{Batch: -2}}, "Vendors.Batch"},
		{"short secret", Options{Vendors: VendorOptions{CallbackSecret: []byte("short")}}, "Vendors.CallbackSecret"},
	} {
		err := tc.opts.Validate()
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Field != tc.field || !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: %v, want field %s", tc.name, err, tc.field)
		}
	}
}

// Without providers the vendor operations say so.
func TestVendorsNotConfigured(t *testing.T) {
	p, err := Open(t.Context(), Options{SQLitePath: ":memory:"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Dispatcher() != nil {
		t.Error("a dispatcher without providers")
	}
	if _, err := p.DispatchOnce(t.Context()); !errors.Is(err, ErrNoVendors) {
		t.Errorf("DispatchOnce = %v", err)
	}
	if _, err := p.CallbackHandler(); !errors.Is(err, ErrNoVendors) {
		t.Errorf("CallbackHandler = %v", err)
	}
	if _, err := p.VendorFailures(t.Context()); !errors.Is(err, ErrNoVendors) {
		t.Errorf("VendorFailures = %v", err)
	}
	if err := p.RunWorkers(context.Background(), time.Millisecond, nil); !errors.Is(err, ErrNoVendors) {
		t.Errorf("RunWorkers = %v", err)
	}
}

// A completion pushed to Platform.CallbackHandler makes its job due at once
// (the dispatcher polls the vendor on the next round); a replay, also to a
// second platform instance on the same database, is refused.
func TestVendorsCallback(t *testing.T) {
	secret := []byte("vendor-a callback secret, 32+ bytes")
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			opts := b.opts(t)
			opts.Vendors.CallbackSecret = secret
			e := newVEnv(t, opts, simprovider.Options{})
			a := e.approve()
			key := "wo/" + a.OpenWorkOrder
			if _, err := e.p.DispatchOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
			job, err := e.p.Database().Jobs().Get(t.Context(), key)
			if err != nil || job.Status != dispatch.StatusWaiting || !job.NextAt.After(e.clock.Now()) {
				t.Fatalf("job %+v %v: want waiting, due later", job, err)
			}
			second := e.opts
			second.Vendors.Owner = "second"
			p2, err := Open(t.Context(), second)
			if err != nil {
				t.Fatal(err)
			}
			defer p2.Close()
			comp := Completion{Key: key, Op: OpProvision, WorkOrder: a.OpenWorkOrder, Application: a.ID,
				Result: &Result{Application: a.ID, Environment: "env", Completed: e.clock.Now()}}
			body, _ := json.Marshal(comp)
			post := func(p *Platform) int {
				h, err := p.CallbackHandler()
				if err != nil {
					t.Fatal(err)
				}
				r := httptest.NewRequest(http.MethodPost, "/v1/completions", bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set(httpprovider.HeaderIdempotencyKey, key)
				httpprovider.Sign(r, secret, e.clock.Now(), "nonce-0123456789abcdef", body)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				return rec.Code
			}
			if got := []int{post(e.p), post(p2), post(e.p)}; !slices.Equal(got, []int{http.StatusNoContent, http.StatusConflict, http.StatusConflict}) {
				t.Errorf("statuses %v: want accepted once, then refused as replays", got)
			}
			job, _ = e.p.Database().Jobs().Get(t.Context(), key)
			if !job.NextAt.Equal(e.clock.Now()) {
				t.Errorf("next poll at %v, want now %v", job.NextAt, e.clock.Now())
			}
		})
	}
}

// RunWorkers runs the relay and the dispatcher until its context ends.
func TestVendorsRunWorkers(t *testing.T) {
	e := newVEnv(t, Options{SQLitePath: ":memory:"}, simprovider.Options{Latency: map[Op]simprovider.Latency{OpProvision: {}}})
	a := e.approve()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.p.RunWorkers(ctx, 5*time.Millisecond, func(err error) { t.Error(err) }) }()
	deadline := time.Now().Add(20 * time.Second)
	for !e.inTrial(a.ID)() {
		if time.Now().After(deadline) {
			t.Fatal("the workers did not complete the work order")
		}
		time.Sleep(10 * time.Millisecond)
		e.clock.Advance(time.Minute) // the vendor's answer is polled after PollInterval
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("RunWorkers = %v, want context.Canceled", err)
	}
}

// A platform whose vendor is simulated: the approval's work order goes to
// the vendor through the dispatcher, and its completion starts the trial.
func ExamplePlatform_DispatchOnce() {
	ctx := context.Background()
	clock := workflowtest.NewClock(vBase)
	sim, err := simprovider.New(simprovider.Options{Vendor: "vendor-a", Clock: clock, Seed: 1})
	if err != nil {
		panic(err)
	}
	p, err := Open(ctx, Options{SQLitePath: ":memory:", Clock: clock, IDs: &workflowtest.IDs{Prefix: "app"},
		Providers: map[string]Provider{"vendor-a": sim}})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	// Quota: the approval reserves the items in the department's pool.
	capacity := quota.Vector{quota.VCPU: 1_000_000, quota.Memory: 10_000_000, quota.Storage: 10_000, quota.DBInstances: 10}
	p.CreatePlatformPool(ctx, PlatformPool{ID: "zj-private", Vendor: "vendor-a", Zone: workflow.PrivateZone, Limit: capacity})
	p.CreateTierPool(ctx, TierPool{ID: "city", Platform: "zj-private", Tier: quota.TierCity, Limit: capacity})
	p.CreateDepartmentPool(ctx, DepartmentPool{Department: "dept-land", Tier: "city", Year: 2026, Limit: capacity})
	req := workflowtest.Request(3)
	req.Vendor = "vendor-a"
	dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "dept-land"}
	office := workflow.Actor{Role: workflow.RoleAuthority, ID: "office"}
	a, _ := p.Workflow().Submit(ctx, dept, req)
	p.Workflow().Fire(ctx, office, a.ID, workflow.TriggerAccept, workflow.Input{})
	a, err = p.Workflow().Fire(ctx, office, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
	if err != nil {
		panic(err)
	}
	wo := a.OpenWorkOrder
	for a.State != workflow.StateTrial {
		if _, err := p.DispatchOnce(ctx); err != nil {
			panic(err)
		}
		clock.Advance(30 * time.Minute)
		a, _ = p.Workflow().Get(ctx, office, a.ID)
	}
	at, _ := p.VendorAttempts(ctx, "wo/"+wo)
	fmt.Println(a.State.String(), len(sim.Resources(a.ID)), "resources;", at[0].Outcome, "then", at[len(at)-1].Outcome)
	// Output:
	// 试用中 2 resources; accepted then done
}
