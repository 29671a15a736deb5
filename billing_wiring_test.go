package govcloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

var (
	bAuth   = billing.Actor{ID: "office", Role: billing.RoleAuthority}
	cst     = billing.CST
	bBudget = billing.Budget{Department: "dept-land", FiscalYear: 2027, Code: "2130101-云服务", Amount: 100_000_000}
)

// Catalog prices of vendor-a, in 分 per unit per month.
const (
	priceVCPU = 10_000 // 100 元 per 核·月
	priceMem  = 2_000  // 20 元 per GiB·月
	priceDisk = 50     // 0.50 元 per GiB·月
)

func testCatalog(t testing.TB) *billing.Catalog {
	t.Helper()
	from := billing.Date{Year: 2027, Month: time.January, Day: 1}
	c, err := billing.NewCatalog([]billing.Item{
		{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Footprint: quota.Vector{quota.VCPU: 1000}, Basis: billing.Monthly, Proration: billing.ProrateDays},
		{Code: "IAAS-ECS-MEM", Name: "云主机内存", Unit: "GiB·月", Footprint: quota.Vector{quota.Memory: 1024}, Basis: billing.Monthly, Proration: billing.ProrateDays},
		{Code: "IAAS-EVS-GB", Name: "云硬盘", Unit: "GiB·月", Footprint: quota.Vector{quota.Storage: 1}, Basis: billing.Monthly, Proration: billing.ProrateDays},
	}, []billing.Price{
		{Item: "IAAS-ECS-VCPU", Vendor: "vendor-a", Contract: "ZJ-2027-01", UnitPrice: priceVCPU, From: from},
		{Item: "IAAS-ECS-MEM", Vendor: "vendor-a", Contract: "ZJ-2027-01", UnitPrice: priceMem, From: from},
		{Item: "IAAS-EVS-GB", Vendor: "vendor-a", Contract: "ZJ-2027-01", UnitPrice: priceDisk, From: from},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newBEnv is a quota test environment whose billing holds the test catalog
// and the department's 2027 budget.
func newBEnv(t testing.TB, opts Options) *qenv {
	t.Helper()
	e := newQEnv(t, opts, deptLimit)
	if err := e.p.Billing().ImportCatalog(t.Context(), bAuth, testCatalog(t)); err != nil {
		t.Fatal(err)
	}
	if err := e.p.Billing().SetBudget(t.Context(), bAuth, bBudget); err != nil {
		t.Fatal(err)
	}
	return e
}

// syncBilling applies pending transitions in billing's outbox mode.
func syncBilling(e *qenv) {
	e.t.Helper()
	if e.p.BillingMode() != BillingViaOutbox {
		return
	}
	if _, err := e.p.SyncBilling(e.t.Context()); err != nil {
		e.t.Fatal(err)
	}
}

// cstAt is 10:00 Beijing time on the day.
func cstAt(m time.Month, d int) time.Time { return time.Date(2027, m, d, 10, 0, 0, 0, cst) }

// piece is one expected statement line, computed by hand: qty units at
// price 分 per unit-month, prorated by natural days touched ÷ days in month,
// rounded half up.
type piece struct {
	Item      string
	Qty       int64
	Price     int64
	Days      int64
	MonthDays int64
}

func (p piece) amount() int64 {
	num := p.Price * p.Qty * p.Days
	return (2*num + p.MonthDays) / (2 * p.MonthDays)
}

type gotLine struct {
	Item     string
	Quantity string
	Amount   int64
}

func wantLines(ps []piece) ([]gotLine, int64) {
	var out []gotLine
	var total int64
	for _, p := range ps {
		out = append(out, gotLine{p.Item, billing.Units(p.Qty).String(), p.amount()})
		total += p.amount()
	}
	sortLines(out)
	return out, total
}

func sortLines(ls []gotLine) {
	slices.SortFunc(ls, func(a, b gotLine) int {
		return cmp.Or(cmp.Compare(a.Item, b.Item), cmp.Compare(a.Quantity, b.Quantity), cmp.Compare(a.Amount, b.Amount))
	})
}

// statementOf returns the usage lines and net total of dept-land × vendor-a
// for month m.
func statementOf(t testing.TB, p *Platform, m billing.Month) ([]gotLine, int64) {
	t.Helper()
	sts, err := p.Billing().Statements(t.Context(), bAuth, billing.StatementFilter{Department: "dept-land", Vendor: "vendor-a", Month: m})
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 {
		t.Fatalf("%s: %d statements, want 1", m, len(sts))
	}
	var out []gotLine
	for _, l := range sts[0].Lines {
		if l.Kind != billing.LineUsage {
			t.Errorf("%s: unexpected %s line %+v", m, l.Kind, l)
			continue
		}
		if l.BudgetCode != bBudget.Code || l.FiscalYear != 2027 {
			t.Errorf("%s: line %s carries budget %q/%d", m, l.ID, l.BudgetCode, l.FiscalYear)
		}
		out = append(out, gotLine{l.Item, l.Quantity.String(), l.Amount})
	}
	sortLines(out)
	return out, sts[0].Totals().Net
}

// billingModes are the ways a platform can keep billing.
func billingModes() []struct {
	name string
	set  func(o *Options)
	want BillingMode
} {
	return []struct {
		name string
		set  func(o *Options)
		want BillingMode
	}{
		{"in-transaction", func(o *Options) {}, BillingInTransaction},
		{"via-outbox-shared-db", func(o *Options) { o.Billing.Mode = BillingViaOutbox }, BillingViaOutbox},
		{"via-outbox-memstore", func(o *Options) { o.Billing.Store = memstore.NewBillingStore() }, BillingViaOutbox},
	}
}

// TestBillingLifecycle follows one application through activation, a
// change and reclaim, meters March–May 2027 and checks each month's
// statement against amounts computed by hand from the catalog prices and
// natural days; with and without a billed trial, in every billing mode, on
// SQLite and PostgreSQL. It then replays every outbox delivery and meters
// again: nothing changes.
func TestBillingLifecycle(t *testing.T) {
	vcpu, mem, disk := "IAAS-ECS-VCPU", "IAAS-ECS-MEM", "IAAS-EVS-GB"
	// Activation 20 March 10:00 (days 20–31 of 31), change executed 15 April
	// 10:00 (days 1–15 before, 15–30 after, of 30), reclaim 20 May 10:00
	// (days 1–20 of 31). The trial started 10 March 10:00 (days 10–31).
	april := []piece{
		{vcpu, 8, priceVCPU, 15, 30}, {vcpu, 16, priceVCPU, 16, 30},
		{mem, 16, priceMem, 30, 30},
		{disk, 200, priceDisk, 15, 30}, {disk, 500, priceDisk, 16, 30},
	}
	may := []piece{{vcpu, 16, priceVCPU, 20, 31}, {mem, 16, priceMem, 20, 31}, {disk, 500, priceDisk, 20, 31}}
	cases := []struct {
		name      string
		billTrial bool
		march     []piece
		windows   []MeterWindow
	}{
		{"trial not billed", false,
			[]piece{{vcpu, 8, priceVCPU, 12, 31}, {mem, 16, priceMem, 12, 31}, {disk, 200, priceDisk, 12, 31}},
			[]MeterWindow{
				{0, mem, 16, cstAt(3, 20).UTC(), cstAt(5, 20).UTC()},
				{1, vcpu, 8, cstAt(3, 20).UTC(), cstAt(4, 15).UTC()},
				{2, disk, 200, cstAt(3, 20).UTC(), cstAt(4, 15).UTC()},
				{3, vcpu, 16, cstAt(4, 15).UTC(), cstAt(5, 20).UTC()},
				{4, disk, 500, cstAt(4, 15).UTC(), cstAt(5, 20).UTC()},
			}},
		{"trial billed", true,
			[]piece{{vcpu, 8, priceVCPU, 22, 31}, {mem, 16, priceMem, 22, 31}, {disk, 200, priceDisk, 22, 31}},
			[]MeterWindow{
				{0, mem, 16, cstAt(3, 10).UTC(), cstAt(5, 20).UTC()},
				{1, vcpu, 8, cstAt(3, 10).UTC(), cstAt(4, 15).UTC()},
				{2, disk, 200, cstAt(3, 10).UTC(), cstAt(4, 15).UTC()},
				{3, vcpu, 16, cstAt(4, 15).UTC(), cstAt(5, 20).UTC()},
				{4, disk, 500, cstAt(4, 15).UTC(), cstAt(5, 20).UTC()},
			}},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range cases {
				for _, m := range billingModes() {
					t.Run(tc.name+"/"+m.name, func(t *testing.T) {
						opts := b.opts(t)
						m.set(&opts)
						opts.Billing.BillTrial = tc.billTrial
						e := newBEnv(t, opts)
						if e.p.BillingMode() != m.want {
							t.Fatalf("mode %v, want %v", e.p.BillingMode(), m.want)
						}
						ctx := t.Context()
						var recorded []workflow.Transition
						recorder := workflow.SubscriberFunc("recorder", func(_ context.Context, tr workflow.Transition, _ workflow.Delivery) error {
							recorded = append(recorded, tr)
							return nil
						})
						windows := func(id string) []MeterWindow {
							t.Helper()
							syncBilling(e)
							ws, err := e.p.MeterWindows(ctx, id)
							if err != nil {
								t.Fatal(err)
							}
							return ws
						}
						running := func(ws ...MeterWindow) []MeterWindow { return ws }

						id := e.submit(qDept, workflow.Item{Code: vcpu, Quantity: 8}, workflow.Item{Code: mem, Quantity: 16},
							workflow.Item{Code: disk, Quantity: 200}).ID
						e.mustFire(qAuth, id, workflow.TriggerAccept, workflow.Input{})
						e.mustFire(qAuth, id, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
						// The catalog's footprints drive the reservation.
						if diff := gocmp.Diff(resv{quota.StateHeld, "memory=16384,storage=200,vcpu=8000", ""}, e.resv(id)); diff != "" {
							t.Errorf("reservation at approval (-want +got):\n%s", diff)
						}
						if diff := gocmp.Diff(running(), windows(id)); diff != "" {
							t.Errorf("windows after approval (-want +got):\n%s", diff)
						}
						e.clock.Set(cstAt(3, 10))
						e.completeOpen(id)
						ws := windows(id)
						if tc.billTrial != (len(ws) == 3) {
							t.Errorf("windows after the trial started: %+v (trial billed: %v)", ws, tc.billTrial)
						}
						passTests(e, id, workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity)
						e.mustFire(qDept, id, workflow.TriggerSubmitTests, workflow.Input{})
						e.clock.Set(cstAt(3, 20))
						e.mustFire(qAuth, id, workflow.TriggerActivate, workflow.Input{Opinion: "同意"})
						start := tc.windows[0].From
						if diff := gocmp.Diff(running(
							MeterWindow{0, mem, 16, start, time.Time{}}, MeterWindow{1, vcpu, 8, start, time.Time{}},
							MeterWindow{2, disk, 200, start, time.Time{}}), windows(id)); diff != "" {
							t.Errorf("windows after activation (-want +got):\n%s", diff)
						}
						// Metering a month that is not over is refused.
						if _, err := e.p.MeterMonth(ctx, bAuth, billing.Month{Year: 2027, Month: time.March}); !errors.Is(err, billing.ErrInvalid) {
							t.Errorf("MeterMonth of the running month: %v, want ErrInvalid", err)
						}

						e.clock.Set(cstAt(4, 5))
						e.mustFire(qDept, id, workflow.TriggerRequestChange, workflow.Input{
							Change: &workflow.ChangeSpec{Items: []workflow.Item{{Code: vcpu, Quantity: 16}, {Code: mem, Quantity: 16},
								{Code: disk, Quantity: 500}}},
							Materials: workflowtest.Mats(workflow.MaterialChangePlan)})
						e.mustFire(qAuth, id, workflow.TriggerApproveChange, workflow.Input{})
						if diff := gocmp.Diff(resv{quota.StateCommitted, "", "memory=16384,storage=500,vcpu=16000"}, e.resv(id)); diff != "" {
							t.Errorf("reservation after the change's approval (-want +got):\n%s", diff)
						}
						if got := windows(id); len(got) != 3 {
							t.Errorf("the approval of a change moved metering: %+v", got)
						}
						e.clock.Set(cstAt(4, 15))
						e.completeOpen(id)
						e.clock.Set(cstAt(5, 10))
						e.mustFire(qDept, id, workflow.TriggerRequestTermination, workflow.Input{
							Materials: workflowtest.Mats(workflow.MaterialOffboardingConfirmation, workflow.MaterialDataBackup)})
						e.mustFire(qAuth, id, workflow.TriggerApproveTermination, workflow.Input{})
						if got := windows(id); len(got) != 5 || !got[0].To.IsZero() {
							t.Errorf("metering stopped before the reclaim: %+v", got)
						}
						e.clock.Set(cstAt(5, 20))
						e.completeOpen(id)
						if diff := gocmp.Diff(tc.windows, windows(id)); diff != "" {
							t.Errorf("windows after the reclaim (-want +got):\n%s", diff)
						}

						e.clock.Set(cstAt(6, 2))
						meterAll := func() []MeterReport {
							var reps []MeterReport
							for _, mo := range []time.Month{time.March, time.April, time.May} {
								rep, err := e.p.MeterMonth(ctx, bAuth, billing.Month{Year: 2027, Month: mo})
								if err != nil {
									t.Fatalf("MeterMonth %v: %v", mo, err)
								}
								if _, err := e.p.Billing().GenerateStatements(ctx, bAuth, billing.Month{Year: 2027, Month: mo}); err != nil {
									t.Fatal(err)
								}
								reps = append(reps, rep)
							}
							return reps
						}
						reps := meterAll()
						for i, want := range []int{3, 5, 3} {
							if reps[i].Ingest.Inserted != want || reps[i].Applications != 1 || len(reps[i].Unmetered) != 0 {
								t.Errorf("MeterMonth %s: %+v, want %d records of 1 application", reps[i].Month, reps[i], want)
							}
						}
						for _, mc := range []struct {
							m  time.Month
							ps []piece
						}{{time.March, tc.march}, {time.April, april}, {time.May, may}} {
							wl, wt := wantLines(mc.ps)
							gl, gt := statementOf(t, e.p, billing.Month{Year: 2027, Month: mc.m})
							if diff := gocmp.Diff(wl, gl); diff != "" {
								t.Errorf("%v statement lines (-want +got):\n%s", mc.m, diff)
							}
							if wt != gt {
								t.Errorf("%v statement net %d 分, want %d", mc.m, gt, wt)
							}
						}
						if diff := gocmp.Diff(resv{State: quota.StateReleased}, e.resv(id)); diff != "" {
							t.Errorf("reservation after the reclaim (-want +got):\n%s", diff)
						}

						// Replay every delivery, then meter again: nothing changes.
						before := windows(id)
						sts, err := e.p.Billing().Statements(ctx, bAuth, billing.StatementFilter{})
						if err != nil {
							t.Fatal(err)
						}
						for {
							n, err := e.p.Relay().DeliverOnce(ctx, recorder)
							if err != nil {
								t.Fatal(err)
							}
							if n == 0 {
								break
							}
						}
						if len(recorded) < 15 {
							t.Fatalf("recorded %d transitions", len(recorded))
						}
						sub := e.p.BillingSubscriber()
						for _, tr := range recorded {
							if err := sub.Handle(ctx, tr, workflow.Delivery{}); err != nil {
								t.Fatalf("replay of %s: %v", tr.IdempotencyKey, err)
							}
						}
						if diff := gocmp.Diff(before, windows(id)); diff != "" {
							t.Errorf("replay changed the windows (-before +after):\n%s", diff)
						}
						for _, rep := range meterAll() {
							if rep.Ingest.Inserted != 0 || rep.Ingest.Duplicates == 0 {
								t.Errorf("metering %s again: %+v, want duplicates only", rep.Month, rep.Ingest)
							}
						}
						after, err := e.p.Billing().Statements(ctx, bAuth, billing.StatementFilter{})
						if err != nil {
							t.Fatal(err)
						}
						if len(after) != len(sts) {
							t.Fatalf("statements: %d before, %d after", len(sts), len(after))
						}
						for i := range sts {
							if diff := gocmp.Diff(sts[i].Lines, after[i].Lines); diff != "" || sts[i].Totals() != after[i].Totals() {
								t.Errorf("statement %s changed by the replay (-before +after):\n%s", sts[i].ID, diff)
							}
						}
					})
				}
			}
		})
	}
}

// TestBillingFootprints: once billing has a catalog, its footprints decide
// quota: an item outside the catalog is refused at approval (even one the
// default table knows), and a demand above the pool is refused with the
// shortfall computed from the catalog's footprints.
func TestBillingFootprints(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			cases := []struct {
				name  string
				items []workflow.Item
				want  error
				short bool
			}{
				{"default-table code not in the catalog", []workflow.Item{{Code: "ecs.4c8g", Quantity: 1}}, ErrUnknownItem, false},
				{"over the pool by the catalog's footprint", []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 81}}, quota.ErrQuotaExceeded, true},
				{"fits", []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 80}, {Code: "IAAS-EVS-GB", Quantity: 1000}}, nil, false},
			}
			e := newBEnv(t, b.opts(t))
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					id := e.submit(qDept, tc.items...).ID
					e.mustFire(qAuth, id, workflow.TriggerAccept, workflow.Input{})
					_, err := e.fire(qAuth, id, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
					if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
						t.Fatalf("approve: %v, want %v", err, tc.want)
					}
					var xe *quota.ExceededError
					if tc.short {
						if !errors.As(err, &xe) {
							t.Fatalf("approve: %v, want a *quota.ExceededError", err)
						}
						want := []quota.DimShortfall{{Dim: quota.VCPU, Need: 81_000, Free: 80_000, Short: 1_000}}
						if diff := gocmp.Diff(want, xe.Shortfalls); diff != "" {
							t.Errorf("shortfalls (-want +got):\n%s", diff)
						}
					}
				})
			}
		})
	}
	t.Run("no catalog: the default table", func(t *testing.T) {
		e := newQEnv(t, backends()[0].opts(t), deptLimit)
		id := e.submit(qDept, workflow.Item{Code: "ecs.4c8g", Quantity: 2}).ID
		e.mustFire(qAuth, id, workflow.TriggerAccept, workflow.Input{})
		e.mustFire(qAuth, id, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
		if diff := gocmp.Diff(resv{quota.StateHeld, "memory=16384,vcpu=8000", ""}, e.resv(id)); diff != "" {
			t.Errorf("reservation (-want +got):\n%s", diff)
		}
	})
	t.Run("CatalogFootprints", func(t *testing.T) {
		got, err := Demand(CatalogFootprints(testCatalog(t)), []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 4}, {Code: "IAAS-ECS-MEM", Quantity: 8}, {Code: "IAAS-EVS-GB", Quantity: 100}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff("memory=8192,storage=100,vcpu=4000", got.Canonical()); diff != "" {
			t.Errorf("demand (-want +got):\n%s", diff)
		}
	})
}

// TestBillingBudgetCheck: the cost quote of an application against its
// department's budget, at submission or approval, notifying or blocking.
func TestBillingBudgetCheck(t *testing.T) {
	// 8 vCPU from 1 March 2027 to the year's end: 10 months × 80,000 分 =
	// 800,000 分 (March counted whole: a started day counts, 31/31).
	items := []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 8}}
	const quote = 10 * 8 * priceVCPU
	cases := []struct {
		name       string
		budget     int64 // 0: no budget recorded
		mode       billing.BudgetMode
		at         BudgetCheckPoint
		submitErr  error
		approveErr error
		notices    []string // trigger: amount or error
	}{
		{"within budget", quote, billing.BudgetNotify, BudgetAtBoth, nil, nil, nil},
		{"notify at approval", quote - 1, "", BudgetAtApproval, nil, nil, []string{"approve: exceeded 800000 > 799999"}},
		{"notify at both", quote - 1, billing.BudgetNotify, BudgetAtBoth, nil, nil,
			[]string{"submit: exceeded 800000 > 799999", "approve: exceeded 800000 > 799999"}},
		{"notify without budget", 0, billing.BudgetNotify, BudgetAtApproval, nil, nil, []string{"approve: " + billing.ErrNoBudget.Error()}},
		{"block at approval", quote - 1, billing.BudgetBlock, BudgetAtApproval, nil, billing.ErrBudgetExceeded, nil},
		{"block at submission", quote - 1, billing.BudgetBlock, BudgetAtSubmission, billing.ErrBudgetExceeded, nil, nil},
		{"block without budget", 0, billing.BudgetBlock, BudgetAtApproval, nil, billing.ErrNoBudget, nil},
		{"off", 1, billing.BudgetBlock, BudgetCheckOff, nil, nil, nil},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					var mu sync.Mutex
					var notices []string
					opts := b.opts(t)
					opts.Billing.Budget, opts.Billing.BudgetCheck = tc.mode, tc.at
					opts.Billing.OnBudgetNotice = func(n BudgetNotice) {
						mu.Lock()
						defer mu.Unlock()
						s := string(n.Trigger) + ": "
						switch {
						case n.Err != nil && errors.Is(n.Err, billing.ErrNoBudget):
							s += billing.ErrNoBudget.Error()
						case n.Err != nil:
							s += n.Err.Error()
						default:
							s += "exceeded " + itoa(n.Quote.Amount) + " > " + itoa(n.Quote.Remaining)
						}
						notices = append(notices, s)
					}
					e := newQEnv(t, opts, deptLimit)
					ctx := t.Context()
					if err := e.p.Billing().ImportCatalog(ctx, bAuth, testCatalog(t)); err != nil {
						t.Fatal(err)
					}
					if tc.budget > 0 {
						bu := bBudget
						bu.Amount = tc.budget
						if err := e.p.Billing().SetBudget(ctx, bAuth, bu); err != nil {
							t.Fatal(err)
						}
					}
					req := workflowtest.Request(3)
					req.Items = items
					app, err := e.p.Workflow().Submit(ctx, qDept, req)
					if !errors.Is(err, tc.submitErr) || (tc.submitErr == nil) != (err == nil) {
						t.Fatalf("submit: %v, want %v", err, tc.submitErr)
					}
					if err != nil {
						var be *BillingError
						if !errors.As(err, &be) || be.Trigger != workflow.TriggerSubmit {
							t.Errorf("submit: %v, want a *BillingError of submit", err)
						}
						if apps, _ := e.p.Workflow().List(ctx, qAuth, workflow.ApplicationFilter{}); len(apps) != 0 {
							t.Errorf("refused submission wrote %d applications", len(apps))
						}
					} else {
						e.mustFire(qAuth, app.ID, workflow.TriggerAccept, workflow.Input{})
						_, err = e.fire(qAuth, app.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
						if !errors.Is(err, tc.approveErr) || (tc.approveErr == nil) != (err == nil) {
							t.Fatalf("approve: %v, want %v", err, tc.approveErr)
						}
						got, _ := e.p.Workflow().Get(ctx, qAuth, app.ID)
						wantState := workflow.StateProvisioning
						if err != nil {
							wantState = workflow.StateAccepted
							if r := e.resv(app.ID); r.State != "none" {
								t.Errorf("refused approval left reservation %+v", r)
							}
						}
						if got.State != wantState {
							t.Errorf("state %s, want %s", got.State, wantState)
						}
					}
					if diff := gocmp.Diff(tc.notices, notices); diff != "" {
						t.Errorf("notices (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
	t.Run("CheckBudget", func(t *testing.T) {
		e := newBEnv(t, backends()[0].opts(t))
		req := workflowtest.Request(3)
		req.Items = items
		q, err := e.p.CheckBudget(t.Context(), qDept, req)
		if err != nil {
			t.Fatal(err)
		}
		if q.Amount != quote || q.Exceeded {
			t.Errorf("quote %+v, want %d 分 within budget", q, quote)
		}
		if _, err := e.p.CheckBudget(t.Context(), qAuth, req); !errors.Is(err, workflow.ErrForbidden) {
			t.Errorf("CheckBudget as authority: %v, want ErrForbidden", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestBudgetNoticeAfterCommit: a budget notice (notify mode) is delivered once
// the transition has committed — the application is then in its new state —
// and never for a transition that a later participant rolled back.
func TestBudgetNoticeAfterCommit(t *testing.T) {
	errVeto := errors.New("veto")
	modes := []struct {
		name string
		set  func(o *Options)
	}{
		{"in-transaction", func(*Options) {}},
		{"via-outbox-memstore", func(o *Options) { o.Billing.Store = memstore.NewBillingStore() }},
	}
	for _, b := range backends() {
		for _, m := range modes {
			t.Run(b.name+"/"+m.name, func(t *testing.T) {
				opts := b.opts(t)
				m.set(&opts)
				veto := true
				opts.Participants = []workflow.Participant{workflow.ParticipantFunc(func(_ context.Context, _ workflow.Tx, tr workflow.Transition) error {
					if veto && tr.Trigger == workflow.TriggerApprove {
						return errVeto
					}
					return nil
				})}
				var e *qenv
				var notices []string
				opts.Billing.OnBudgetNotice = func(n BudgetNotice) {
					app, err := e.p.Workflow().Get(t.Context(), qAuth, n.Application)
					if err != nil {
						t.Errorf("reading the application at notice time: %v", err)
					}
					notices = append(notices, fmt.Sprintf("%s: %s, version %d", string(n.Trigger), string(app.State), app.Version))
				}
				e = newQEnv(t, opts, deptLimit)
				ctx := t.Context()
				if err := e.p.Billing().ImportCatalog(ctx, bAuth, testCatalog(t)); err != nil {
					t.Fatal(err)
				}
				bu := bBudget
				bu.Amount = 1 // any approval exceeds it
				if err := e.p.Billing().SetBudget(ctx, bAuth, bu); err != nil {
					t.Fatal(err)
				}
				a := e.submit(qDept, workflow.Item{Code: "IAAS-ECS-VCPU", Quantity: 2})
				e.mustFire(qAuth, a.ID, workflow.TriggerAccept, workflow.Input{})
				if _, err := e.fire(qAuth, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20}); !errors.Is(err, errVeto) {
					t.Fatalf("approve = %v, want the veto", err)
				}
				if len(notices) != 0 {
					t.Fatalf("a rolled-back approval delivered notices: %v", notices)
				}
				veto = false
				e.mustFire(qAuth, a.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
				if d := gocmp.Diff([]string{"approve: provisioning, version 3"}, notices); d != "" {
					t.Errorf("notices (-want +got):\n%s", d)
				}
			})
		}
	}
}

// TestBillingOptionsValidate: bad billing options name their field.
func TestBillingOptionsValidate(t *testing.T) {
	cases := []struct {
		name  string
		o     BillingOptions
		field string
	}{
		{"zero", BillingOptions{}, ""},
		{"in transaction with a store", BillingOptions{Mode: BillingInTransaction, Store: memstore.NewBillingStore()}, "Billing.Mode"},
		{"unknown mode", BillingOptions{Mode: 9}, "Billing.Mode"},
		{"unknown check point", BillingOptions{BudgetCheck: 7}, "Billing.BudgetCheck"},
		{"bad budget mode", BillingOptions{Budget: "shout"}, "Billing"},
		{"bad settlement day", BillingOptions{Settlement: billing.SettlementCalendar{Month: 2, Day: 31, YearOffset: 1}}, "Billing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Options{Billing: tc.o}.Validate()
			var oe *OptionError
			got := ""
			if errors.As(err, &oe) {
				got = oe.Field
			} else if err != nil {
				t.Fatalf("error %v is not an *OptionError", err)
			}
			if got != tc.field || (err != nil && !errors.Is(err, ErrInvalidOptions)) {
				t.Errorf("Validate() = %v, want field %q", err, tc.field)
			}
		})
	}
	for _, m := range []BillingMode{BillingAuto, BillingInTransaction, BillingViaOutbox, 5} {
		if m.Label(workflow.English) == "" || m.String() == "" {
			t.Errorf("mode %d has no label", int(m))
		}
	}
}

// TestBillingTrialFailure: with the trial billed, a failed trial stops
// metering at the failure and the month bills the trial's days only;
// without it nothing was ever metered.
func TestBillingTrialFailure(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			cases := []struct {
				billTrial bool
				want      []piece
			}{
				// Trial 10 March 10:00 to the failure 15 March 10:00: days 10–15 of 31.
				{true, []piece{{"IAAS-ECS-VCPU", 8, priceVCPU, 6, 31}}},
				{false, nil},
			}
			for _, tc := range cases {
				t.Run(strconv.FormatBool(tc.billTrial), func(t *testing.T) {
					opts := b.opts(t)
					opts.Billing.BillTrial = tc.billTrial
					e := newBEnv(t, opts)
					id := e.submit(qDept, workflow.Item{Code: "IAAS-ECS-VCPU", Quantity: 8}).ID
					e.mustFire(qAuth, id, workflow.TriggerAccept, workflow.Input{})
					e.mustFire(qAuth, id, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
					e.clock.Set(cstAt(3, 10))
					e.completeOpen(id)
					e.clock.Set(cstAt(3, 15))
					e.mustFire(qDept, id, workflow.TriggerFailTrial, workflow.Input{Opinion: "性能不达标"})
					e.clock.Set(cstAt(4, 1))
					march := billing.Month{Year: 2027, Month: time.March}
					rep, err := e.p.MeterMonth(t.Context(), bAuth, march)
					if err != nil {
						t.Fatal(err)
					}
					if rep.Ingest.Inserted != len(tc.want) {
						t.Errorf("metered %d records, want %d", rep.Ingest.Inserted, len(tc.want))
					}
					if len(tc.want) == 0 {
						return
					}
					if _, err := e.p.Billing().GenerateStatements(t.Context(), bAuth, march); err != nil {
						t.Fatal(err)
					}
					wl, wt := wantLines(tc.want)
					gl, gt := statementOf(t, e.p, march)
					if diff := gocmp.Diff(wl, gl); diff != "" || wt != gt {
						t.Errorf("statement (-want +got):\n%s\nnet %d, want %d", diff, gt, wt)
					}
				})
			}
		})
	}
}

// TestBillingUnmetered: windows of items the billing catalog lacks (an
// application activated before the catalog held them) are reported by
// MeterMonth, never billed at zero, and billed once the catalog has them.
func TestBillingUnmetered(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newQEnv(t, b.opts(t), deptLimit) // no catalog: the default footprints
			ctx := t.Context()
			id := e.submit(qDept, workflow.Item{Code: "ecs.4c8g", Quantity: 2}).ID
			e.mustFire(qAuth, id, workflow.TriggerAccept, workflow.Input{})
			e.mustFire(qAuth, id, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
			e.completeOpen(id)
			passTests(e, id, workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity)
			e.mustFire(qDept, id, workflow.TriggerSubmitTests, workflow.Input{})
			e.clock.Set(cstAt(3, 20))
			e.mustFire(qAuth, id, workflow.TriggerActivate, workflow.Input{})
			e.clock.Set(cstAt(4, 2))
			if err := e.p.Billing().ImportCatalog(ctx, bAuth, testCatalog(t)); err != nil {
				t.Fatal(err)
			}
			rep, err := e.p.MeterMonth(ctx, bAuth, billing.Month{Year: 2027, Month: time.March})
			if err != nil {
				t.Fatal(err)
			}
			want := []UnmeteredWindow{{Application: id, Item: "ecs.4c8g", Reason: "目录中无此条目 (not in the billing catalog)"}}
			if diff := gocmp.Diff(want, rep.Unmetered); diff != "" || rep.Ingest.Inserted != 0 || rep.Applications != 1 {
				t.Errorf("report %+v; unmetered (-want +got):\n%s", rep, diff)
			}
		})
	}
}

// BenchmarkMeterMonth meters a month of 200 active applications of three
// items each (600 windows) on SQLite; after the first op every record is a
// duplicate, so this is the cost of re-metering a month.
func BenchmarkMeterMonth(b *testing.B) {
	e := newBEnv(b, Options{SQLitePath: filepath.Join(b.TempDir(), "gc.db")})
	ctx := b.Context()
	for i := range 200 {
		id := "bench-" + strconv.Itoa(i)
		tr := workflow.Transition{IdempotencyKey: id + "/1", ApplicationID: id, Seq: 1, At: cstAt(3, 1+i%28),
			Trigger: workflow.TriggerActivate, Department: "dept-land", Vendor: "vendor-a",
			Items: []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 8}, {Code: "IAAS-ECS-MEM", Quantity: 16}, {Code: "IAAS-EVS-GB", Quantity: 200}}}
		if err := e.p.billing.applyWindows(ctx, e.p.Database().Gorm(), tr); err != nil {
			b.Fatal(err)
		}
	}
	e.clock.Set(cstAt(4, 2))
	march := billing.Month{Year: 2027, Month: time.March}
	b.ResetTimer()
	for b.Loop() {
		rep, err := e.p.MeterMonth(ctx, bAuth, march)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Ingest.Inserted+rep.Ingest.Duplicates != 600 {
			b.Fatalf("metered %+v", rep.Ingest)
		}
	}
}
