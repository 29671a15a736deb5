package govcloud

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/quota/quotatest"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

var (
	qDept   = workflow.Actor{Role: workflow.RoleDepartment, ID: "dept-land"}
	qOther  = workflow.Actor{Role: workflow.RoleDepartment, ID: "dept-nopool"}
	qAuth   = workflow.Actor{Role: workflow.RoleAuthority, ID: "office"}
	qVendor = workflow.Actor{Role: workflow.RoleVendor, ID: "vendor-a"}
	// qBase is a Monday, 10:00 Beijing.
	qBase = time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)
)

// deptLimit is the department pool of most tests: 80 vCPU, 200,000 MiB,
// 1,000 GiB, 4 database instances.
var deptLimit = quota.Vector{quota.VCPU: 80_000, quota.Memory: 200_000, quota.Storage: 1_000, quota.DBInstances: 4}

type backend struct {
	name string
	opts func(t *testing.T) Options
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) Options { return Options{SQLitePath: filepath.Join(t.TempDir(), "gc.db")} }},
		{"postgres", func(t *testing.T) Options { return Options{PostgresDSN: pgtest.DSN(t)} }},
	}
}

// qenv is a platform with a fake clock and the three-level pool tree
// platform "zj-private" → tier "city" → "dept:dept-land".
type qenv struct {
	t     testing.TB
	p     *Platform
	clock *workflowtest.Clock
	store quota.Store // where the ledger lives, for snapshots
}

func newQEnv(t testing.TB, opts Options, limit quota.Vector) *qenv {
	t.Helper()
	clock := workflowtest.NewClock(qBase)
	opts.Clock, opts.IDs, opts.Calendar = clock, &workflowtest.IDs{Prefix: "app"}, workflowtest.WeekdayCalendar{}
	p, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	e := &qenv{t: t, p: p, clock: clock, store: opts.QuotaStore}
	if e.store == nil {
		e.store = p.Database().Quota()
	}
	ctx := t.Context()
	capacity := quota.Vector{quota.VCPU: 10_000_000, quota.Memory: 100_000_000, quota.Storage: 100_000, quota.DBInstances: 50, quota.PublicIPs: 10}
	if _, err := p.CreatePlatformPool(ctx, PlatformPool{ID: "zj-private", Vendor: "vendor-a", Zone: workflow.PrivateZone, Limit: capacity}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.CreateTierPool(ctx, TierPool{ID: "city", Platform: "zj-private", Tier: quota.TierCity, Limit: capacity}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.CreateDepartmentPool(ctx, DepartmentPool{Department: qDept.ID, Tier: "city", Year: 2027, Limit: limit}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *qenv) submit(actor workflow.Actor, items ...workflow.Item) workflow.Application {
	e.t.Helper()
	req := workflowtest.Request(3)
	req.Items = items
	a, err := e.p.Workflow().Submit(e.t.Context(), actor, req)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *qenv) fire(a workflow.Actor, id string, tr workflow.Trigger, in workflow.Input) (workflow.Application, error) {
	return e.p.Workflow().Fire(e.t.Context(), a, id, tr, in)
}

func (e *qenv) mustFire(a workflow.Actor, id string, tr workflow.Trigger, in workflow.Input) workflow.Application {
	e.t.Helper()
	app, err := e.fire(a, id, tr, in)
	if err != nil {
		e.t.Fatalf("%s: %v", tr, err)
	}
	return app
}

func (e *qenv) completeOpen(id string) workflow.Application {
	e.t.Helper()
	app, err := e.p.Workflow().Get(e.t.Context(), qAuth, id)
	if err != nil {
		e.t.Fatal(err)
	}
	app, err = e.p.Workflow().CompleteWorkOrder(e.t.Context(), qVendor, app.OpenWorkOrder, workflow.Completion{Key: "done-" + app.OpenWorkOrder})
	if err != nil {
		e.t.Fatal(err)
	}
	return app
}

// sync applies pending transitions in outbox mode.
func (e *qenv) sync() {
	e.t.Helper()
	if e.p.QuotaMode() != QuotaViaOutbox {
		return
	}
	if _, err := e.p.SyncQuota(e.t.Context()); err != nil {
		e.t.Fatal(err)
	}
}

// resv is the comparable summary of a reservation.
type resv struct {
	State     quota.ReservationState
	Held      string
	Committed string
}

func (e *qenv) resv(app string) resv {
	e.t.Helper()
	r, err := e.p.Quota().Reservation(e.t.Context(), app)
	if errors.Is(err, quota.ErrNoReservation) {
		return resv{State: "none"}
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return resv{r.State, nz(r.Held), nz(r.Committed)}
}

// nz renders a vector without its zero dimensions.
func nz(v quota.Vector) string { return v.Positive().Canonical() }

// move is the comparable summary of a movement.
type move struct {
	Key, Kind, Reason, Transition, Held, Committed string
}

func (e *qenv) moves(app string) []move {
	e.t.Helper()
	ms, err := e.p.Quota().Movements(e.t.Context(), quota.MovementFilter{Application: app})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []move
	for _, m := range ms {
		out = append(out, move{m.Key, string(m.Kind), string(m.Reason), m.Cause.Transition, m.Held.Canonical(), m.Committed.Canonical()})
	}
	return out
}

func passTests(e *qenv, id string, kinds ...workflow.TestKind) {
	e.t.Helper()
	for _, k := range kinds {
		e.mustFire(qDept, id, workflow.TriggerRecordTestReport, workflow.Input{TestReport: workflowtest.Report(k, k != workflow.TestFunction)})
	}
}

// quotaModes are the three ways a platform can keep quota.
func quotaModes() []struct {
	name string
	set  func(o *Options)
} {
	return []struct {
		name string
		set  func(o *Options)
	}{
		{"in-transaction", func(o *Options) {}},
		{"via-outbox-shared-db", func(o *Options) { o.QuotaMode = QuotaViaOutbox }},
		{"via-outbox-memstore", func(o *Options) { o.QuotaStore = memstore.NewQuotaStore() }},
	}
}

// TestQuotaLifecycle follows one application from submission to
// termination, with a minor and a major change, and checks the reservation
// after every step, in all three modes on SQLite and PostgreSQL. The modes
// must end with the same movements, and replaying every delivery to the
// quota subscriber must change nothing.
func TestQuotaLifecycle(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			var first []move
			for _, m := range quotaModes() {
				t.Run(m.name, func(t *testing.T) {
					opts := b.opts(t)
					m.set(&opts)
					e := newQEnv(t, opts, deptLimit)
					wantMode := QuotaViaOutbox
					if m.name == "in-transaction" {
						wantMode = QuotaInTransaction
					}
					if e.p.QuotaMode() != wantMode {
						t.Fatalf("mode %v, want %v", e.p.QuotaMode(), wantMode)
					}
					// A recorder follows the outbox too, to replay every
					// transition to the quota subscriber at the end.
					var recorded []workflow.Transition
					recorder := workflow.SubscriberFunc("recorder", func(_ context.Context, tr workflow.Transition, _ workflow.Delivery) error {
						recorded = append(recorded, tr)
						return nil
					})
					id := ""
					held := resv{quota.StateHeld, "db_instances=1,memory=32768,vcpu=16000", ""}
					committed := func(c string) resv { return resv{quota.StateCommitted, "", c} }
					steps := []struct {
						name string
						do   func()
						want resv
					}{
						{"submit", func() {
							id = e.submit(qDept, workflow.Item{Code: "ecs.4c8g", Quantity: 4}, workflow.Item{Code: "rds.pg", Quantity: 1}).ID
						}, resv{State: "none"}},
						{"accept", func() { e.mustFire(qAuth, id, workflow.TriggerAccept, workflow.Input{}) }, resv{State: "none"}},
						{"approve", func() { e.mustFire(qAuth, id, workflow.TriggerApprove, workflow.Input{TrialDays: 20}) }, held},
						{"provide_trial", func() { e.clock.Advance(24 * time.Hour); e.completeOpen(id) }, held},
						{"tests", func() {
							passTests(e, id, workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity)
							e.mustFire(qDept, id, workflow.TriggerSubmitTests, workflow.Input{})
						}, held},
						{"activate", func() { e.mustFire(qAuth, id, workflow.TriggerActivate, workflow.Input{Opinion: "同意"}) }, committed("db_instances=1,memory=32768,vcpu=16000")},
						{"request minor change", func() {
							e.mustFire(qDept, id, workflow.TriggerRequestChange, workflow.Input{
								Change:    &workflow.ChangeSpec{Items: []workflow.Item{{Code: "ecs.4c8g", Quantity: 6}, {Code: "rds.pg", Quantity: 1}}},
								Materials: workflowtest.Mats(workflow.MaterialChangePlan)})
						}, committed("db_instances=1,memory=32768,vcpu=16000")},
						{"approve minor change", func() { e.mustFire(qAuth, id, workflow.TriggerApproveChange, workflow.Input{}) }, committed("db_instances=1,memory=49152,vcpu=24000")},
						{"complete minor change", func() { e.completeOpen(id) }, committed("db_instances=1,memory=49152,vcpu=24000")},
						{"request major change", func() {
							e.mustFire(qDept, id, workflow.TriggerRequestChange, workflow.Input{
								Change:    &workflow.ChangeSpec{Items: []workflow.Item{{Code: "ecs.16c32g", Quantity: 4}}, Major: true},
								Materials: append(workflowtest.Mats(workflow.MaterialChangePlan), workflowtest.SubmitMaterials()...)})
						}, committed("db_instances=1,memory=49152,vcpu=24000")},
						// Increases are committed at approval, decreases released at execution.
						{"approve major change", func() { e.mustFire(qAuth, id, workflow.TriggerApproveChange, workflow.Input{}) }, committed("db_instances=1,memory=131072,vcpu=64000")},
						{"complete major change", func() { e.completeOpen(id) }, committed("memory=131072,vcpu=64000")},
						{"retest and reactivate", func() {
							passTests(e, id, workflow.TestPerformance, workflow.TestSecurity)
							e.mustFire(qDept, id, workflow.TriggerSubmitTests, workflow.Input{})
							e.mustFire(qAuth, id, workflow.TriggerActivate, workflow.Input{})
						}, committed("memory=131072,vcpu=64000")},
						{"approve termination", func() {
							e.mustFire(qDept, id, workflow.TriggerRequestTermination, workflow.Input{
								Materials: workflowtest.Mats(workflow.MaterialOffboardingConfirmation, workflow.MaterialDataBackup)})
							e.mustFire(qAuth, id, workflow.TriggerApproveTermination, workflow.Input{})
						}, committed("memory=131072,vcpu=64000")},
						{"reclaim", func() { e.completeOpen(id) }, resv{State: quota.StateReleased}},
					}
					for _, s := range steps {
						s.do()
						e.sync()
						if diff := cmp.Diff(s.want, e.resv(id)); diff != "" {
							t.Fatalf("after %s: reservation (-want +got):\n%s", s.name, diff)
						}
					}
					moves := e.moves(id)
					wantKinds := []string{"hold/approval/approve", "extend/trial_extension/provide_trial", "extend/trial_extension/submit_tests",
						"commit/activation/activate", "adjust/change/approve_change", "adjust/change/approve_change",
						"adjust/change/complete_change", "release/termination/complete_reclaim"}
					var gotKinds []string
					for _, m := range moves {
						gotKinds = append(gotKinds, m.Kind+"/"+m.Reason+"/"+m.Transition)
					}
					if diff := cmp.Diff(wantKinds, gotKinds); diff != "" {
						t.Errorf("movements (-want +got):\n%s", diff)
					}
					if first == nil {
						first = moves
					} else if diff := cmp.Diff(first, moves); diff != "" {
						t.Errorf("movements differ from the in-transaction mode (-first +this):\n%s", diff)
					}
					pool, err := e.p.DepartmentPoolOf(t.Context(), qDept.ID)
					if err != nil {
						t.Fatal(err)
					}
					if !pool.Held.IsZero() || !pool.Committed.IsZero() {
						t.Errorf("department pool after termination: held %v committed %v", pool.Held, pool.Committed)
					}
					before := quotatest.CheckInvariants(t, e.store)

					// Replay: every transition delivered again changes nothing.
					for {
						n, err := e.p.Relay().DeliverOnce(t.Context(), recorder)
						if err != nil {
							t.Fatal(err)
						}
						if n == 0 {
							break
						}
					}
					if len(recorded) < 20 {
						t.Fatalf("recorded %d transitions", len(recorded))
					}
					sub := e.p.QuotaSubscriber()
					for _, tr := range recorded {
						if err := sub.Handle(t.Context(), tr, workflow.Delivery{}); err != nil {
							t.Fatalf("replay of %s: %v", tr.IdempotencyKey, err)
						}
					}
					if n, err := e.p.SyncQuota(t.Context()); err != nil || (n != 0 && wantMode == QuotaViaOutbox) {
						t.Errorf("SyncQuota after the end = %d, %v; want 0, nil", n, err)
					}
					if diff := cmp.Diff(before, quotatest.Snapshot(t, e.store)); diff != "" {
						t.Errorf("replay changed the ledger (-before +after):\n%s", diff)
					}
				})
			}
		})
	}
}

// TestQuotaApprovalRefused: an approval the department's pool cannot cover,
// by a department without a pool, or with an item without footprint fails
// with a typed error; the application stays accepted and neither the
// workflow nor the ledger records anything.
func TestQuotaApprovalRefused(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			small := quota.Vector{quota.VCPU: 10_000, quota.Memory: 20_000, quota.Storage: 100, quota.DBInstances: 1}
			e := newQEnv(t, b.opts(t), small)
			for _, tc := range []struct {
				name   string
				actor  workflow.Actor
				items  []workflow.Item
				target error
				short  []quota.DimShortfall
			}{
				{"exceeded", qDept, []workflow.Item{{Code: "ecs.4c8g", Quantity: 4}, {Code: "rds.pg", Quantity: 1}}, quota.ErrQuotaExceeded,
					[]quota.DimShortfall{{Dim: quota.Memory, Need: 32768, Free: 20000, Short: 12768}, {Dim: quota.VCPU, Need: 16000, Free: 10000, Short: 6000}}},
				{"no pool", qOther, []workflow.Item{{Code: "ecs.2c4g", Quantity: 1}}, ErrNoDepartmentPool, nil},
				{"unknown item", qDept, []workflow.Item{{Code: "gpu.a100", Quantity: 1}}, ErrUnknownItem, nil},
				{"untracked dimension", qDept, []workflow.Item{{Code: "eip", Quantity: 1}}, quota.ErrUnknownDimension, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					a := e.submit(tc.actor, tc.items...)
					a = e.mustFire(qAuth, a.ID, workflow.TriggerAccept, workflow.Input{})
					beforeQ := quotatest.Snapshot(t, e.store)
					beforeH, err := e.p.Workflow().History(t.Context(), qAuth, a.ID)
					if err != nil {
						t.Fatal(err)
					}
					_, err = e.fire(qAuth, a.ID, workflow.TriggerApprove, workflow.Input{})
					if !errors.Is(err, tc.target) {
						t.Fatalf("approve = %v, want %v", err, tc.target)
					}
					var qe *QuotaError
					if !errors.As(err, &qe) || qe.Application != a.ID || qe.Trigger != workflow.TriggerApprove {
						t.Errorf("approve error %v is not a *QuotaError for %s", err, a.ID)
					}
					if tc.short != nil {
						var xe *quota.ExceededError
						if !errors.As(err, &xe) {
							t.Fatalf("approve error %v is not a *quota.ExceededError", err)
						}
						if diff := cmp.Diff(tc.short, xe.Shortfalls); diff != "" {
							t.Errorf("shortfalls (-want +got):\n%s", diff)
						}
					}
					got, err := e.p.Workflow().Get(t.Context(), qAuth, a.ID)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(a, got); diff != "" {
						t.Errorf("application changed by the refused approval (-want +got):\n%s", diff)
					}
					afterH, err := e.p.Workflow().History(t.Context(), qAuth, a.ID)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(beforeH, afterH); diff != "" {
						t.Errorf("audit trail changed (-want +got):\n%s", diff)
					}
					if diff := cmp.Diff(beforeQ, quotatest.Snapshot(t, e.store)); diff != "" {
						t.Errorf("ledger changed (-want +got):\n%s", diff)
					}
				})
			}
			// Room made (an approved raise), the same approval goes through.
			if _, err := e.p.Quota().SetLimit(t.Context(), quota.SetLimitRequest{Pool: DepartmentPoolID(qDept.ID), Limit: deptLimit,
				Approval: &quota.Approval{RequestID: "raise-1", ApprovedBy: "office", ApprovedAt: qBase}}); err != nil {
				t.Fatal(err)
			}
			apps, err := e.p.Workflow().List(t.Context(), qDept, workflow.ApplicationFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.fire(qAuth, apps[0].ID, workflow.TriggerApprove, workflow.Input{}); err != nil {
				t.Fatalf("approve after the raise: %v", err)
			}
			if diff := cmp.Diff(resv{quota.StateHeld, "db_instances=1,memory=32768,vcpu=16000", ""}, e.resv(apps[0].ID)); diff != "" {
				t.Errorf("reservation (-want +got):\n%s", diff)
			}
			quotatest.CheckInvariants(t, e.store)
		})
	}
}

// TestQuotaReleases: denial holds nothing; trial failure and expiry release
// the hold with their reasons; a hold that outlived its TTL is renewed when
// the vendor finally provides the trial.
func TestQuotaReleases(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newQEnv(t, b.opts(t), deptLimit)
			item := workflow.Item{Code: "ecs.2c4g", Quantity: 2}
			approved := func() string {
				a := e.submit(qDept, item)
				e.mustFire(qAuth, a.ID, workflow.TriggerAccept, workflow.Input{})
				e.mustFire(qAuth, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 15})
				return a.ID
			}
			kinds := func(id string) []string {
				var out []string
				for _, m := range e.moves(id) {
					out = append(out, m.Kind+"/"+m.Reason+"/"+m.Transition)
				}
				return out
			}

			denied := e.submit(qDept, item)
			e.mustFire(qAuth, denied.ID, workflow.TriggerAccept, workflow.Input{})
			e.mustFire(qAuth, denied.ID, workflow.TriggerDeny, workflow.Input{Opinion: "不符合集约要求"})

			failed := approved()
			e.completeOpen(failed)
			e.mustFire(qDept, failed, workflow.TriggerFailTrial, workflow.Input{Opinion: "性能不达标"})

			expired := approved()
			e.completeOpen(expired)

			late := approved()
			e.clock.Advance(50 * 24 * time.Hour) // past the 45-day hold: the vendor is very late
			e.completeOpen(late)

			e.mustFire(qAuth, expired, workflow.TriggerExpireTrial, workflow.Input{})
			e.completeOpen(expired)

			for _, tc := range []struct {
				id    string
				want  resv
				moves []string
			}{
				{denied.ID, resv{State: "none"}, nil},
				{failed, resv{State: quota.StateReleased}, []string{"hold/approval/approve", "extend/trial_extension/provide_trial", "release/trial_failure/fail_trial"}},
				{expired, resv{State: quota.StateReleased}, []string{"hold/approval/approve", "extend/trial_extension/provide_trial", "release/expiry/expire_trial"}},
				{late, resv{quota.StateHeld, "memory=8192,vcpu=4000", ""}, []string{"hold/approval/approve", "release/expiry/provide_trial", "hold/approval/provide_trial"}},
			} {
				if diff := cmp.Diff(tc.want, e.resv(tc.id)); diff != "" {
					t.Errorf("%s: reservation (-want +got):\n%s", tc.id, diff)
				}
				if diff := cmp.Diff(tc.moves, kinds(tc.id)); diff != "" {
					t.Errorf("%s: movements (-want +got):\n%s", tc.id, diff)
				}
			}
			// The renewed hold lives until the trial's end plus the margin.
			r, err := e.p.Quota().Reservation(t.Context(), late)
			if err != nil {
				t.Fatal(err)
			}
			app, err := e.p.Workflow().Get(t.Context(), qAuth, late)
			if err != nil {
				t.Fatal(err)
			}
			if want := app.Trial.End.Add(DefaultHoldMargin); !r.ExpiresAt.Equal(want) {
				t.Errorf("renewed hold expires %v, want %v", r.ExpiresAt, want)
			}
			quotatest.CheckInvariants(t, e.store)
		})
	}
}

// TestCheckQuota is the early feedback, directly and at submission.
func TestCheckQuota(t *testing.T) {
	opts := Options{SQLitePath: filepath.Join(t.TempDir(), "gc.db"), CheckQuotaAtSubmit: true}
	e := newQEnv(t, opts, quota.Vector{quota.VCPU: 8_000, quota.Memory: 16_384, quota.DBInstances: 1})
	req := func(items ...workflow.Item) workflow.SubmitRequest {
		r := workflowtest.Request(3)
		r.Items = items
		return r
	}
	for _, tc := range []struct {
		name   string
		actor  workflow.Actor
		req    workflow.SubmitRequest
		target error
		short  []quota.DimShortfall
	}{
		{"fits", qDept, req(workflow.Item{Code: "ecs.4c8g", Quantity: 2}), nil, nil},
		{"short in two dimensions", qDept, req(workflow.Item{Code: "ecs.4c8g", Quantity: 3}, workflow.Item{Code: "rds.pg", Quantity: 2}), quota.ErrQuotaExceeded,
			[]quota.DimShortfall{{Dim: quota.DBInstances, Need: 2, Free: 1, Short: 1}, {Dim: quota.Memory, Need: 24576, Free: 16384, Short: 8192}, {Dim: quota.VCPU, Need: 12000, Free: 8000, Short: 4000}}},
		{"no pool", qOther, req(workflow.Item{Code: "ecs.2c4g", Quantity: 1}), ErrNoDepartmentPool, nil},
		{"unknown item", qDept, req(workflow.Item{Code: "nope", Quantity: 1}), ErrUnknownItem, nil},
		{"overflow", qDept, req(workflow.Item{Code: "ecs.16c32g", Quantity: 1 << 62}), quota.ErrOverflow, nil},
		{"not a department", qAuth, req(workflow.Item{Code: "ecs.2c4g", Quantity: 1}), workflow.ErrForbidden, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.p.CheckQuota(t.Context(), tc.actor, tc.req)
			if !errors.Is(err, tc.target) || (tc.target == nil) != (err == nil) {
				t.Fatalf("CheckQuota = %v, want %v", err, tc.target)
			}
			var xe *quota.ExceededError
			var got []quota.DimShortfall
			if errors.As(err, &xe) {
				got = xe.Shortfalls
			}
			if diff := cmp.Diff(tc.short, got); diff != "" {
				t.Errorf("shortfalls (-want +got):\n%s", diff)
			}
			if tc.actor.Role != workflow.RoleDepartment {
				return
			}
			// With CheckQuotaAtSubmit, Submit gives the same answer and
			// writes nothing when it refuses.
			before, err := e.p.Workflow().List(t.Context(), qAuth, workflow.ApplicationFilter{})
			if err != nil {
				t.Fatal(err)
			}
			_, serr := e.p.Workflow().Submit(t.Context(), tc.actor, tc.req)
			if !errors.Is(serr, tc.target) || (tc.target == nil) != (serr == nil) {
				t.Fatalf("Submit = %v, want %v", serr, tc.target)
			}
			after, err := e.p.Workflow().List(t.Context(), qAuth, workflow.ApplicationFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if want := len(before) + map[bool]int{true: 1, false: 0}[serr == nil]; len(after) != want {
				t.Errorf("%d applications after Submit, want %d", len(after), want)
			}
		})
	}
	// Without the option, Submit does not look at quota.
	e2 := newQEnv(t, Options{SQLitePath: filepath.Join(t.TempDir(), "gc2.db")}, quota.Vector{quota.VCPU: 1})
	e2.submit(qDept, workflow.Item{Code: "ecs.16c32g", Quantity: 10})
}

// TestQuotaApprovalRace: concurrent approvals racing for the last units of a
// department pool never over-allocate: exactly as many win as fit, the
// others fail with quota.ErrQuotaExceeded and stay accepted.
func TestQuotaApprovalRace(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			const apps, fit = 12, 5
			opts := b.opts(t)
			opts.MaxOpenConns = 16
			e := newQEnv(t, opts, quota.Vector{quota.VCPU: fit * 4000, quota.Memory: 1_000_000})
			ids := make([]string, apps)
			for i := range ids {
				a := e.submit(qDept, workflow.Item{Code: "ecs.4c8g", Quantity: 1})
				e.mustFire(qAuth, a.ID, workflow.TriggerAccept, workflow.Input{})
				ids[i] = a.ID
			}
			var wg sync.WaitGroup
			errs := make([]error, apps)
			start := make(chan struct{})
			for i, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = e.p.Workflow().Fire(context.Background(), qAuth, id, workflow.TriggerApprove, workflow.Input{})
				}()
			}
			close(start)
			wg.Wait()
			won := 0
			for i, err := range errs {
				app, gerr := e.p.Workflow().Get(t.Context(), qAuth, ids[i])
				if gerr != nil {
					t.Fatal(gerr)
				}
				switch {
				case err == nil:
					won++
					if app.State != workflow.StateProvisioning || e.resv(ids[i]).State != quota.StateHeld {
						t.Errorf("%s won but is %s / %v", ids[i], app.State, e.resv(ids[i]))
					}
				case errors.Is(err, quota.ErrQuotaExceeded):
					if app.State != workflow.StateAccepted || e.resv(ids[i]).State != "none" {
						t.Errorf("%s lost but is %s / %v", ids[i], app.State, e.resv(ids[i]))
					}
				default:
					t.Errorf("%s: unexpected error %v", ids[i], err)
				}
			}
			if won != fit {
				t.Errorf("%d approvals won, want %d", won, fit)
			}
			st := quotatest.CheckInvariants(t, e.store)
			if len(st.Movements) != fit {
				t.Errorf("%d movements, want %d", len(st.Movements), fit)
			}
		})
	}
}

// TestQuotaOutboxRetry: in outbox mode the approval only checks; when two
// approvals pass the check for the last units, the ledger refuses the
// second reservation, the relay keeps it pending, and it goes through once
// the department's quota is raised.
func TestQuotaOutboxRetry(t *testing.T) {
	opts := Options{SQLitePath: filepath.Join(t.TempDir(), "gc.db"), QuotaStore: memstore.NewQuotaStore()}
	e := newQEnv(t, opts, quota.Vector{quota.VCPU: 4000, quota.Memory: 8192})
	var ids []string
	for range 2 {
		a := e.submit(qDept, workflow.Item{Code: "ecs.4c8g", Quantity: 1})
		e.mustFire(qAuth, a.ID, workflow.TriggerAccept, workflow.Input{})
		ids = append(ids, a.ID)
	}
	// Both approvals pass the read-only check: nothing is held yet.
	e.mustFire(qAuth, ids[0], workflow.TriggerApprove, workflow.Input{})
	e.mustFire(qAuth, ids[1], workflow.TriggerApprove, workflow.Input{})
	_, err := e.p.SyncQuota(t.Context())
	if !errors.Is(err, quota.ErrQuotaExceeded) {
		t.Fatalf("SyncQuota = %v, want ErrQuotaExceeded for the second reservation", err)
	}
	if diff := cmp.Diff([]resv{{quota.StateHeld, "memory=8192,vcpu=4000", ""}, {State: "none"}}, []resv{e.resv(ids[0]), e.resv(ids[1])}); diff != "" {
		t.Errorf("reservations (-want +got):\n%s", diff)
	}
	// A third approval is refused at once by the check.
	a := e.submit(qDept, workflow.Item{Code: "ecs.4c8g", Quantity: 1})
	e.mustFire(qAuth, a.ID, workflow.TriggerAccept, workflow.Input{})
	if _, err := e.fire(qAuth, a.ID, workflow.TriggerApprove, workflow.Input{}); !errors.Is(err, quota.ErrQuotaExceeded) {
		t.Fatalf("third approve = %v, want ErrQuotaExceeded", err)
	}
	if _, err := e.p.Quota().SetLimit(t.Context(), quota.SetLimitRequest{Pool: DepartmentPoolID(qDept.ID),
		Limit:    quota.Vector{quota.VCPU: 8000, quota.Memory: 16384},
		Approval: &quota.Approval{RequestID: "r1", ApprovedBy: "office", ApprovedAt: qBase}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute) // the relay's lease on the failed delivery expires
	if _, err := e.p.SyncQuota(t.Context()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(resv{quota.StateHeld, "memory=8192,vcpu=4000", ""}, e.resv(ids[1])); diff != "" {
		t.Errorf("second reservation after the raise (-want +got):\n%s", diff)
	}
	quotatest.CheckInvariants(t, e.store)
}

func TestDemand(t *testing.T) {
	for _, tc := range []struct {
		items  []workflow.Item
		want   string
		target error
	}{
		{nil, "", nil},
		{[]workflow.Item{{Code: "ecs.8c16g", Quantity: 4}, {Code: "oss.tb", Quantity: 2}, {Code: "evs.gb", Quantity: 500}}, "memory=65536,storage=2548,vcpu=32000", nil},
		{[]workflow.Item{{Code: "ecs.vcpu", Quantity: 0}}, "", nil},
		{[]workflow.Item{{Code: "eip", Quantity: 2}, {Code: "bw.mbps", Quantity: 100}, {Code: "sec.service", Quantity: 3}, {Code: "mem.gb", Quantity: 1}}, "bandwidth=100,memory=1024,public_ips=2,security_services=3", nil},
		{[]workflow.Item{{Code: "ecs.vcpu", Quantity: -1}}, "", quota.ErrNegative},
		{[]workflow.Item{{Code: "ecs.2c4g", Quantity: 1}, {Code: "x", Quantity: 1}}, "", ErrUnknownItem},
		{[]workflow.Item{{Code: "ecs.vcpu", Quantity: 1 << 62}}, "", quota.ErrOverflow},
	} {
		got, err := Demand(DefaultFootprints(), tc.items)
		if !errors.Is(err, tc.target) || (tc.target == nil) != (err == nil) {
			t.Errorf("Demand(%v) error = %v, want %v", tc.items, err, tc.target)
			continue
		}
		if diff := cmp.Diff(tc.want, nz(got)); diff != "" {
			t.Errorf("Demand(%v) (-want +got):\n%s", tc.items, diff)
		}
		var ie *ItemError
		if errors.As(err, &ie) && (ie.Index != len(tc.items)-1 || ie.Code != tc.items[len(tc.items)-1].Code) {
			t.Errorf("Demand(%v): error names item %d %q", tc.items, ie.Index, ie.Code)
		}
	}
}

func TestQuotaModeLabel(t *testing.T) {
	got := fmt.Sprint(QuotaAuto, QuotaInTransaction, QuotaViaOutbox, QuotaMode(9), " ", QuotaViaOutbox.Label(workflow.English))
	if want := "自动 同一事务 经发件箱异步 FollowMode(9) via outbox"; got != want {
		t.Errorf("labels %q, want %q", got, want)
	}
}

// TestQuotaRollsBackWithTransition: in-transaction mode writes the hold in
// the transition's own transaction, so when anything later in that
// transaction fails (here another participant), the hold is rolled back with
// the approval.
func TestQuotaRollsBackWithTransition(t *testing.T) {
	errVeto := errors.New("veto")
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			opts := b.opts(t)
			veto := true
			opts.Participants = []workflow.Participant{workflow.ParticipantFunc(func(_ context.Context, _ workflow.Tx, tr workflow.Transition) error {
				if veto && tr.Trigger == workflow.TriggerApprove {
					return errVeto
				}
				return nil
			})}
			e := newQEnv(t, opts, deptLimit)
			a := e.submit(qDept, workflow.Item{Code: "ecs.2c4g", Quantity: 1})
			e.mustFire(qAuth, a.ID, workflow.TriggerAccept, workflow.Input{})
			before := quotatest.Snapshot(t, e.store)
			if _, err := e.fire(qAuth, a.ID, workflow.TriggerApprove, workflow.Input{}); !errors.Is(err, errVeto) {
				t.Fatalf("approve = %v, want the veto", err)
			}
			if diff := cmp.Diff(before, quotatest.Snapshot(t, e.store)); diff != "" {
				t.Errorf("the hold survived the rolled-back approval (-before +after):\n%s", diff)
			}
			veto = false
			e.mustFire(qAuth, a.ID, workflow.TriggerApprove, workflow.Input{})
			if diff := cmp.Diff(resv{quota.StateHeld, "memory=4096,vcpu=2000", ""}, e.resv(a.ID)); diff != "" {
				t.Errorf("reservation (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkApproveWithQuota: one op is submit → accept → approve of a new
// application whose approval reserves quota (in outbox mode, followed by
// the subscriber's delivery of the three transitions).
func BenchmarkApproveWithQuota(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		for _, m := range quotaModes() {
			b.Run(db+"/"+m.name, func(b *testing.B) {
				opts := Options{SQLitePath: filepath.Join(b.TempDir(), "gc.db")}
				if db == "postgres" {
					opts = Options{PostgresDSN: pgtest.DSN(b)}
				}
				m.set(&opts)
				e := newQEnv(b, opts, quota.Vector{quota.VCPU: 10_000_000, quota.Memory: 100_000_000})
				ctx := context.Background()
				req := workflowtest.Request(3)
				req.Items = []workflow.Item{{Code: "ecs.2c4g", Quantity: 1}}
				for b.Loop() {
					a, err := e.p.Workflow().Submit(ctx, qDept, req)
					if err == nil {
						_, err = e.p.Workflow().Fire(ctx, qAuth, a.ID, workflow.TriggerAccept, workflow.Input{})
					}
					if err == nil {
						_, err = e.p.Workflow().Fire(ctx, qAuth, a.ID, workflow.TriggerApprove, workflow.Input{})
					}
					if err == nil && e.p.QuotaMode() == QuotaViaOutbox {
						_, err = e.p.SyncQuota(ctx)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestQuotaRandomLifecycles is a property test (fixed seeds): applications
// of random sizes follow random paths (denial, withdrawal, trial failure,
// expiry, activation with minor and major changes, termination), interleaved
// at random, with the clock jumping ahead (so holds outlive their TTL and are
// renewed). The in-transaction and via-outbox platforms must end with the
// same outcomes and the same movements, the pools never exceed their
// limits, and every reservation equals the sum of its movements.
func TestQuotaRandomLifecycles(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			var results []string
			for _, m := range []string{"in-transaction", "via-outbox-memstore"} {
				opts := Options{SQLitePath: filepath.Join(t.TempDir(), "gc.db")}
				if m != "in-transaction" {
					opts.QuotaStore = memstore.NewQuotaStore()
				}
				e := newQEnv(t, opts, quota.Vector{quota.VCPU: 40_000, quota.Memory: 81_920, quota.DBInstances: 2})
				log := runRandomLifecycles(t, e, seed)
				quotatest.CheckInvariants(t, e.store)
				results = append(results, log)
			}
			if diff := cmp.Diff(results[0], results[1]); diff != "" {
				t.Errorf("in-transaction vs via-outbox (-tx +outbox):\n%s", diff)
			}
		})
	}
}

func runRandomLifecycles(t *testing.T, e *qenv, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 42))
	type step func(id string) error
	fire := func(a workflow.Actor, tr workflow.Trigger, in workflow.Input) step {
		return func(id string) error { _, err := e.fire(a, id, tr, in); return err }
	}
	complete := func(id string) error {
		app, err := e.p.Workflow().Get(t.Context(), qAuth, id)
		if err == nil {
			_, err = e.p.Workflow().CompleteWorkOrder(t.Context(), qVendor, app.OpenWorkOrder, workflow.Completion{Key: "k-" + app.OpenWorkOrder})
		}
		return err
	}
	report := func(k workflow.TestKind) step {
		return fire(qDept, workflow.TriggerRecordTestReport, workflow.Input{TestReport: workflowtest.Report(k, k != workflow.TestFunction)})
	}
	wait := func(d time.Duration) step { return func(string) error { e.clock.Advance(d); return nil } }
	change := func(major bool) []step {
		items := []workflow.Item{{Code: "ecs.4c8g", Quantity: 1 + rng.Int64N(3)}}
		if rng.IntN(2) == 0 {
			items = append(items, workflow.Item{Code: "rds.pg", Quantity: 1})
		}
		mats := workflowtest.Mats(workflow.MaterialChangePlan)
		if major {
			mats = append(mats, workflowtest.SubmitMaterials()...)
		}
		s := []step{fire(qDept, workflow.TriggerRequestChange, workflow.Input{Change: &workflow.ChangeSpec{Items: items, Major: major}, Materials: mats}),
			fire(qAuth, workflow.TriggerApproveChange, workflow.Input{}), complete}
		if major {
			s = append(s, report(workflow.TestPerformance), report(workflow.TestSecurity),
				fire(qDept, workflow.TriggerSubmitTests, workflow.Input{}), fire(qAuth, workflow.TriggerActivate, workflow.Input{}))
		}
		return s
	}
	approve := []step{fire(qAuth, workflow.TriggerAccept, workflow.Input{}), fire(qAuth, workflow.TriggerApprove, workflow.Input{TrialDays: 15 + rng.IntN(16)})}
	toActive := func() []step {
		s := append(slices.Clone(approve), wait(time.Duration(rng.IntN(60))*24*time.Hour), complete,
			report(workflow.TestFunction), report(workflow.TestPerformance), report(workflow.TestSecurity))
		if rng.IntN(3) == 0 {
			s = append(s, fire(qAuth, workflow.TriggerExtendTrial, workflow.Input{TrialDays: 5}))
		}
		return append(s, fire(qDept, workflow.TriggerSubmitTests, workflow.Input{}), fire(qAuth, workflow.TriggerActivate, workflow.Input{}))
	}
	terminate := []step{fire(qDept, workflow.TriggerRequestTermination, workflow.Input{
		Materials: workflowtest.Mats(workflow.MaterialOffboardingConfirmation, workflow.MaterialDataBackup)}),
		fire(qAuth, workflow.TriggerApproveTermination, workflow.Input{}), complete}
	paths := []func() []step{
		func() []step {
			return []step{fire(qAuth, workflow.TriggerAccept, workflow.Input{}), fire(qAuth, workflow.TriggerDeny, workflow.Input{Opinion: "否"})}
		},
		func() []step { return []step{fire(qDept, workflow.TriggerWithdraw, workflow.Input{})} },
		func() []step {
			return append(slices.Clone(approve), complete, fire(qDept, workflow.TriggerFailTrial, workflow.Input{Opinion: "未通过"}), complete)
		},
		func() []step {
			return append(slices.Clone(approve), complete, wait(31*24*time.Hour), fire(qAuth, workflow.TriggerExpireTrial, workflow.Input{}), complete)
		},
		func() []step { return toActive() },
		func() []step { return append(append(toActive(), change(false)...), terminate...) },
		func() []step { return append(append(toActive(), change(true)...), change(false)...) },
	}
	type appRun struct {
		id    string
		steps []step
		log   string
	}
	var runs []*appRun
	for range 8 {
		items := []workflow.Item{{Code: "ecs.4c8g", Quantity: 1 + rng.Int64N(4)}}
		if rng.IntN(3) == 0 {
			items = append(items, workflow.Item{Code: "rds.mysql", Quantity: 1})
		}
		runs = append(runs, &appRun{id: e.submit(qDept, items...).ID, steps: paths[rng.IntN(len(paths))]()})
	}
	e.sync()
	for {
		var live []*appRun
		for _, r := range runs {
			if len(r.steps) > 0 {
				live = append(live, r)
			}
		}
		if len(live) == 0 {
			break
		}
		r := live[rng.IntN(len(live))]
		err := r.steps[0](r.id)
		r.steps = r.steps[1:]
		e.sync()
		switch {
		case err == nil:
		case errors.Is(err, quota.ErrQuotaExceeded):
			r.log += " refused"
			r.steps = nil
		default:
			t.Fatalf("%s: %v", r.id, err)
		}
	}
	var b strings.Builder
	for _, r := range runs {
		app, err := e.p.Workflow().Get(t.Context(), qAuth, r.id)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s%s %+v\n", r.id, app.State.Label(workflow.English), r.log, e.resv(r.id))
		for _, m := range e.moves(r.id) {
			fmt.Fprintf(&b, "  %+v\n", m)
		}
	}
	return b.String()
}
