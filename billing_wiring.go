package govcloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

// This file wires billing (计费结算) into the application lifecycle:
//
//	终审通过 activate           → metering of the application's items starts
//	                             (from 提供试用环境 provide_trial instead, when
//	                             BillingOptions.BillTrial)
//	完成变更 complete_change    → the items whose quantity changed stop at the
//	                             change's effective instant and start anew with
//	                             the new quantity; unchanged items run on
//	试用未通过 / 试用期满        → metering stops (only started when the trial is billed)
//	完成资源回收 complete_reclaim → metering stops
//
// A transition only records the application's metering windows (计量区间:
// item × quantity × [from, to)) in the platform's database, table
// govcloud_meter_windows. Usage reaches billing month by month:
// Platform.MeterMonth turns the windows that overlap a closed month into
// billing's lifecycle usage (billing.Service.MeterApplications, keys
// "lc:<application>:<window>:<item>:<YYYY-MM>"), which is idempotent, so a
// month metered twice changes nothing. Billing refuses to meter a month that
// is not over, because a window may still close inside it.

// BillingMode says how metering windows follow workflow transitions.
//
// BillingInTransaction (同一事务): the windows are written in the same
// database transaction as the transition; the budget check at submission
// or approval reads billing inside it too. It needs billing in the platform's
// database (BillingOptions.Store nil).
//
// BillingViaOutbox (经发件箱异步): the transition commits first;
// Platform.BillingSubscriber writes the windows afterwards, at least once,
// replays changing nothing (each transition's windows carry its key
// "<application>/<seq>"). Run it with the relay or call SyncBilling;
// MeterMonth calls SyncBilling itself before metering.
type BillingMode = FollowMode

// The billing modes.
const (
	// BillingAuto (the zero value) is BillingInTransaction when billing is in
	// the platform's database and BillingViaOutbox otherwise.
	BillingAuto = FollowAuto
	// BillingInTransaction writes metering windows inside the transition's
	// own database transaction.
	BillingInTransaction = FollowInTransaction
	// BillingViaOutbox writes metering windows after commit, from the outbox.
	BillingViaOutbox = FollowViaOutbox
)

// BudgetCheckPoint says when an application's cost quote is checked against
// its department's budget (预算校验).
type BudgetCheckPoint int

const (
	// BudgetAtApproval (the zero value) checks at 审批 (approve).
	BudgetAtApproval BudgetCheckPoint = iota
	// BudgetAtSubmission checks at 提交 and 重新提交 (submit, resubmit).
	BudgetAtSubmission
	// BudgetAtBoth checks at submission and at approval.
	BudgetAtBoth
	// BudgetCheckOff never checks.
	BudgetCheckOff
)

func (c BudgetCheckPoint) at(tr workflow.Trigger) bool {
	switch tr {
	case workflow.TriggerSubmit, workflow.TriggerResubmit:
		return c == BudgetAtSubmission || c == BudgetAtBoth
	case workflow.TriggerApprove:
		return c == BudgetAtApproval || c == BudgetAtBoth
	}
	return false
}

// BillingSubscriberName is the outbox position of Platform.BillingSubscriber.
const BillingSubscriberName = "govcloud.billing"

// BillingOptions configures billing on a Platform (Options.Billing). The
// zero value keeps billing in the platform's database, follows transitions
// in their transaction, does not bill the trial, and checks the cost quote
// of each approval against the department's budget in notify mode.
type BillingOptions struct {
	// Store holds billing (nil: the platform's database,
	// gormstore.DB.Billing). Set it (e.g. memstore.NewBillingStore()) to keep
	// billing elsewhere; windows then follow through the outbox.
	Store billing.Store
	// Mode chooses how metering windows follow transitions (zero: BillingAuto).
	Mode BillingMode
	// BillTrial starts metering when the trial environment is provided (试用
	// 计费) instead of at activation; a failed or expired trial then stops it.
	BillTrial bool
	// Budget is what an exceeded budget does (zero: billing.BudgetNotify):
	// notify lets the transition pass and reports a BudgetNotice;
	// billing.BudgetBlock refuses the transition with a *BillingError
	// wrapping the *billing.BudgetError (billing.ErrBudgetExceeded), as it
	// does for a department without a budget or an item without a price.
	Budget billing.BudgetMode
	// BudgetCheck says when the quote is checked (zero: BudgetAtApproval).
	BudgetCheck BudgetCheckPoint
	// OnBudgetNotice receives the notices of notify mode (nil: they go to
	// Options.Logger at warning level; with neither, no quote is computed
	// in notify mode). The quote is computed inside the transition; the
	// notice is delivered once the transition has committed (see
	// workflow.AfterCommit), never for a transition that rolled back, in
	// the goroutine that fired it, before the engine call returns. It must
	// not block.
	OnBudgetNotice func(BudgetNotice)
	// Location is where billing counts months and days (nil: billing.CST).
	Location *time.Location
	// Settlement is the annual settlement calendar (zero:
	// billing.DefaultSettlementCalendar).
	Settlement billing.SettlementCalendar
	// DeductionTiers are the service-level credit tiers (nil:
	// billing.DefaultDeductionTiers).
	DeductionTiers []billing.DeductionTier
}

// Validate reports the first wrong field as an *OptionError ("Billing.…").
func (o BillingOptions) Validate() error {
	switch o.Mode {
	case BillingAuto, BillingViaOutbox:
	case BillingInTransaction:
		if o.Store != nil {
			return &OptionError{Field: "Billing.Mode", Reason: "in-transaction billing needs billing in the platform's database (Billing.Store must be nil)"}
		}
	default:
		return &OptionError{Field: "Billing.Mode", Reason: fmt.Sprintf("unknown mode %d", int(o.Mode))}
	}
	if o.BudgetCheck < BudgetAtApproval || o.BudgetCheck > BudgetCheckOff {
		return &OptionError{Field: "Billing.BudgetCheck", Reason: fmt.Sprintf("unknown check point %d", int(o.BudgetCheck))}
	}
	bo := o.serviceOptions(nil)
	bo.Store = billingStoreStub{}
	if err := bo.Validate(); err != nil {
		return fmt.Errorf("%w: %w", &OptionError{Field: "Billing", Reason: "billing rejects the options"}, err)
	}
	return nil
}

// billingStoreStub stands in for the store while validating options.
type billingStoreStub struct{ billing.Store }

func (o BillingOptions) serviceOptions(store billing.Store) billing.Options {
	return billing.Options{Store: store, Location: o.Location, Policy: billing.Policy{
		BillTrial: o.BillTrial, Budget: o.Budget, Settlement: o.Settlement, DeductionTiers: o.DeductionTiers}}
}

// BudgetNotice reports an application whose cost quote exceeds its
// department's remaining budget, or could not be quoted, in notify mode.
type BudgetNotice struct {
	Application string
	Department  string
	Trigger     workflow.Trigger
	// Quote is set when the quote was computed (Quote.Exceeded is then true).
	Quote billing.Quote
	// Err is why no quote could be computed (billing.ErrNoBudget,
	// billing.ErrNoPrice, billing.ErrUnknownItem …), nil otherwise.
	Err error
}

// Message is the notice for people, Chinese first.
func (n BudgetNotice) Message() string {
	if n.Err != nil {
		return fmt.Sprintf("使用申请 %s 无法完成预算校验 (budget check not possible for application %s): %v", n.Application, n.Application, n.Err)
	}
	return fmt.Sprintf("使用申请 %s: %s", n.Application, n.Quote.Notice)
}

// BillingError reports a billing step that failed for a transition: which
// application, which trigger, and billing's error (Err), which errors.Is and
// errors.As reach (e.g. *billing.BudgetError, billing.ErrBudgetExceeded).
type BillingError struct {
	Application string
	Trigger     workflow.Trigger
	Err         error
}

func (e *BillingError) Error() string {
	return fmt.Sprintf("govcloud: 计费处理失败 / billing: application %q, %s (%s): %v",
		e.Application, e.Trigger.Label(workflow.Chinese), string(e.Trigger), e.Err)
}

// Unwrap returns billing's error.
func (e *BillingError) Unwrap() error { return e.Err }

// CatalogFootprints returns the footprint table of a billing catalog: each
// item's quota.Vector per unit (Item.Footprint), so that Demand multiplies
// it by the application's quantity. Items without a footprint (pure
// services) take no quota.
func CatalogFootprints(c *billing.Catalog) FootprintTable {
	t := FootprintTable{}
	for _, it := range c.Items() {
		t[it.Code] = it.Footprint.Clone()
	}
	return t
}

// liveFootprints is the platform's default ItemFootprints: the billing
// catalog's items, or fallback while the catalog holds no item. Catalog
// items are never redefined (billing refuses a code defined differently), so
// a cached item is always right; the cache is refreshed when a transition
// names a code it does not hold (reading the catalog in the transition's
// transaction), at Open and by RefreshFootprints.
type liveFootprints struct {
	mu       sync.RWMutex
	table    FootprintTable
	fallback ItemFootprints
}

func (f *liveFootprints) Footprint(code string) (quota.Vector, error) {
	f.mu.RLock()
	t := f.table
	f.mu.RUnlock()
	if len(t) == 0 {
		return f.fallback.Footprint(code)
	}
	return t.Footprint(code)
}

func (f *liveFootprints) has(code string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	_, ok := f.table[code]
	return ok
}

// set installs the items of a catalog read, unless a larger one is installed
// already (catalogs only grow, so the larger read is the newer).
func (f *liveFootprints) set(items []billing.Item) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(items) < len(f.table) {
		return
	}
	t := make(FootprintTable, len(items))
	for _, it := range items {
		t[it.Code] = it.Footprint.Clone()
	}
	f.table = t
}

// billingWiring is the platform's billing area.
type billingWiring struct {
	db     *gormstore.DB // the platform database: metering windows, and billing when shared
	shared bool          // billing's store is the platform database's
	svc    *billing.Service
	opts   billing.Options // to build services bound to a transaction
	mode   BillingMode     // resolved
	trial  bool
	budget billing.BudgetMode
	check  BudgetCheckPoint
	notify func(BudgetNotice)
	fp     *liveFootprints // nil when Options.Footprints was set
}

func (p *Platform) openBilling(ctx context.Context) error {
	o := p.opts.Billing
	w := &billingWiring{db: p.db, mode: o.Mode, trial: o.BillTrial, budget: o.Budget, check: o.BudgetCheck, notify: o.OnBudgetNotice}
	if w.budget == "" {
		w.budget = billing.BudgetNotify
	}
	if w.notify == nil && p.opts.Logger != nil {
		lg := p.opts.Logger
		w.notify = func(n BudgetNotice) {
			lg.Warn(n.Message(), slog.String("application", n.Application), slog.String("department", n.Department))
		}
	}
	store := o.Store
	if store == nil {
		w.shared = true
		store = p.db.Billing()
		if w.mode == BillingAuto {
			w.mode = BillingInTransaction
		}
	} else if w.mode == BillingAuto {
		w.mode = BillingViaOutbox
	}
	w.opts = o.serviceOptions(store)
	w.opts.Clock = billing.ClockFunc(p.opts.Clock.Now)
	w.opts.IDs = billing.IDFunc(p.opts.IDs.NewID)
	svc, err := billing.New(w.opts)
	if err != nil {
		return err
	}
	w.svc = svc
	if p.opts.Footprints == nil {
		w.fp = &liveFootprints{fallback: DefaultFootprints()}
		p.opts.Footprints = w.fp
	}
	p.billing = w
	return w.refresh(ctx, w.svc)
}

// refresh reloads the footprint cache from svc's catalog.
func (w *billingWiring) refresh(ctx context.Context, svc *billing.Service) error {
	if w.fp == nil {
		return nil
	}
	c, err := svc.Catalog(ctx)
	if err != nil {
		return err
	}
	w.fp.set(c.Items())
	return nil
}

// Billing returns the platform's billing service (计费结算): the catalog,
// usage, statements, the annual settlement, budgets, quotes, deductions and
// reconciliation, on the platform's database (or BillingOptions.Store).
func (p *Platform) Billing() *billing.Service { return p.billing.svc }

// BillingMode returns how billing follows the workflow on this platform
// (BillingInTransaction or BillingViaOutbox, never BillingAuto).
func (p *Platform) BillingMode() BillingMode { return p.billing.mode }

// RefreshFootprints reloads the item footprints from the billing catalog.
// Transitions refresh them by themselves when they name an item the cache
// lacks; call it after importing catalog items when CheckQuota must see
// them before any transition has.
func (p *Platform) RefreshFootprints(ctx context.Context) error {
	return p.billing.refresh(ctx, p.billing.svc)
}

// BillingSubscriber returns the outbox subscriber that records the metering
// windows of committed transitions (named BillingSubscriberName). In
// BillingViaOutbox mode run it with the relay:
//
//	go p.Relay().Run(ctx, onError, p.BillingSubscriber())
//
// Deliveries are at least once; a transition whose windows are recorded
// already (by the transaction or an earlier delivery) changes nothing.
func (p *Platform) BillingSubscriber() workflow.Subscriber {
	w := p.billing
	return workflow.SubscriberFunc(BillingSubscriberName, func(ctx context.Context, t workflow.Transition, _ workflow.Delivery) error {
		err := w.db.Gorm().WithContext(ctx).Transaction(func(g *gorm.DB) error { return w.applyWindows(ctx, g, t) })
		return w.wrap(t, err)
	})
}

// SyncBilling delivers pending transitions to BillingSubscriber until none
// is left (or one fails) and returns how many it applied.
func (p *Platform) SyncBilling(ctx context.Context) (int, error) {
	sub := p.BillingSubscriber()
	total := 0
	for {
		n, err := p.relay.DeliverOnce(ctx, sub)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// MeterReport says what MeterMonth did.
type MeterReport struct {
	Month        billing.Month
	Applications int // applications with a window overlapping the month
	Ingest       billing.IngestReport
	// Unmetered lists windows whose item is not in the billing catalog: they
	// are reported, never billed at zero; meter the month again once the
	// item is in the catalog.
	Unmetered []UnmeteredWindow
}

// UnmeteredWindow is a metering window that MeterMonth could not bill.
type UnmeteredWindow struct {
	Application string
	Item        string
	Reason      string
}

// MeterMonth turns the metering windows overlapping month m into billing's
// lifecycle usage (actor: the authority), prorated by billing from each
// window's start to its end within the month. m must be over (billing's
// rule). Metering a month again changes nothing; after a late transition
// (via outbox) only what is new is ingested, a closed statement then
// receiving adjustment lines. In BillingViaOutbox mode pending transitions
// are synced first. Then draft the statements with
// Billing().GenerateStatements.
func (p *Platform) MeterMonth(ctx context.Context, a billing.Actor, m billing.Month) (MeterReport, error) {
	w := p.billing
	if !m.Valid() {
		return MeterReport{}, fmt.Errorf("%w: month %s", billing.ErrInvalid, m)
	}
	if w.mode == BillingViaOutbox {
		if _, err := p.SyncBilling(ctx); err != nil {
			return MeterReport{}, err
		}
	}
	loc := w.svc.Location()
	ws, err := w.windowsOverlapping(ctx, w.db.Gorm(), m.Start(loc), m.End(loc))
	if err != nil {
		return MeterReport{}, err
	}
	cat, err := w.svc.Catalog(ctx)
	if err != nil {
		return MeterReport{}, err
	}
	rep := MeterReport{Month: m}
	var apps []billing.MeteredApplication
	for i := 0; i < len(ws); {
		j := i
		for j < len(ws) && ws[j].Application == ws[i].Application {
			j++
		}
		apps = append(apps, w.snapshot(ws[i:j], cat, m, &rep))
		i = j
	}
	rep.Applications = len(apps)
	rep.Ingest, err = w.svc.MeterApplications(ctx, a, m, apps)
	if err != nil {
		return MeterReport{}, err
	}
	return rep, nil
}

// snapshot is one application's windows as billing's MeteredApplication.
// The window index is the item's position, so keys stay stable: a window
// billing cannot rate keeps its position with an empty span.
func (w *billingWiring) snapshot(ws []meterWindow, cat *billing.Catalog, m billing.Month, rep *MeterReport) billing.AppSnapshot {
	s := billing.AppSnapshot{ID: ws[0].Application, Department: ws[0].Department, Vendor: ws[0].Vendor}
	start := ws[0].From
	for _, x := range ws {
		if x.From.Before(start) {
			start = x.From
		}
		it := billing.AppItem{Item: x.Item, Quantity: billing.Units(x.Quantity), From: x.From, To: x.To}
		mStart := m.Start(w.svc.Location())
		if _, ok := cat.Item(x.Item); !ok {
			// Every window here started before the month's end.
			if x.To.IsZero() || x.To.After(mStart) {
				rep.Unmetered = append(rep.Unmetered, UnmeteredWindow{Application: x.Application, Item: x.Item,
					Reason: "目录中无此条目 (not in the billing catalog)"})
			}
			it.From, it.To = mStart, mStart
		}
		s.Items = append(s.Items, it)
	}
	s.Instants = billing.Instants{Activated: start}
	return s
}

// CheckBudget is the early feedback for a department preparing an
// application: the cost quote of req.Items from now to the end of the
// fiscal year at req.Vendor's prices, against the department's remaining
// budget. It writes nothing. In block mode an exceeded budget returns the
// quote with a *billing.BudgetError; in notify mode the quote has Exceeded
// set.
func (p *Platform) CheckBudget(ctx context.Context, actor workflow.Actor, req workflow.SubmitRequest) (billing.Quote, error) {
	if actor.Role != workflow.RoleDepartment || actor.ID == "" {
		return billing.Quote{}, &workflow.ForbiddenError{Actor: actor, Action: "check budget", Reason: "only a department checks its own budget"}
	}
	ba := billing.Actor{ID: actor.ID, Role: billing.RoleDepartment, Department: actor.ID}
	return p.billing.svc.Quote(ctx, ba, quoteRequest(actor.ID, req.Vendor, req.Items, p.opts.Clock.Now()))
}

func quoteRequest(dept, vendor string, items []workflow.Item, at time.Time) billing.QuoteRequest {
	q := billing.QuoteRequest{Department: dept, Vendor: vendor, From: at}
	for _, it := range items {
		q.Items = append(q.Items, billing.AppItem{Item: it.Code, Quantity: billing.Units(it.Quantity)})
	}
	return q
}

// platformActor is the billing actor of the platform's own steps.
var platformActor = billing.Actor{ID: "govcloud.platform", Role: billing.RoleAuthority}

// participant is the workflow participant of the billing area. It runs
// before quota's, so that quota finds the footprints of the transition's
// items.
func (w *billingWiring) participant() workflow.Participant {
	return workflow.ParticipantFunc(func(ctx context.Context, tx workflow.Tx, t workflow.Transition) error {
		svc := w.svc
		var g *gorm.DB
		if w.shared || w.mode == BillingInTransaction {
			var ok bool
			if g, ok = tx.(*gorm.DB); !ok {
				return fmt.Errorf("govcloud: billing in transaction needs the gormstore transaction, got %T", tx)
			}
		}
		if w.shared {
			// Read billing inside the transition's transaction (SQLite has one
			// writer connection: tx's).
			bo := w.opts
			bo.Store = w.db.Billing().WithTx(g)
			var err error
			if svc, err = billing.New(bo); err != nil {
				return err
			}
		}
		if err := w.refreshFor(ctx, svc, t); err != nil {
			return w.wrap(t, err)
		}
		if err := w.checkBudget(ctx, svc, t); err != nil {
			return w.wrap(t, err)
		}
		if w.mode != BillingInTransaction {
			return nil // the windows follow from the outbox
		}
		return w.wrap(t, w.applyWindows(ctx, g, t))
	})
}

func (w *billingWiring) wrap(t workflow.Transition, err error) error {
	if err == nil {
		return nil
	}
	var be *BillingError
	if errors.As(err, &be) {
		return err
	}
	return &BillingError{Application: t.ApplicationID, Trigger: t.Trigger, Err: err}
}

// refreshFor reloads the footprint cache when t names a code it lacks.
func (w *billingWiring) refreshFor(ctx context.Context, svc *billing.Service, t workflow.Transition) error {
	if w.fp == nil {
		return nil
	}
	lists := [][]workflow.Item{t.Items, t.PreviousItems}
	if t.Change != nil {
		lists = append(lists, t.Change.Items)
	}
	for _, l := range lists {
		for _, it := range l {
			if !w.fp.has(it.Code) {
				return w.refresh(ctx, svc)
			}
		}
	}
	return nil
}

// checkBudget quotes the application's items at the configured check
// points: block mode refuses, notify mode reports once the transition has
// committed.
func (w *billingWiring) checkBudget(ctx context.Context, svc *billing.Service, t workflow.Transition) error {
	if !w.check.at(t.Trigger) || len(t.Items) == 0 {
		return nil
	}
	if w.budget == billing.BudgetNotify && w.notify == nil {
		return nil // nobody to tell
	}
	q, err := svc.Quote(ctx, platformActor, quoteRequest(t.Department, t.Vendor, t.Items, t.At))
	if w.budget == billing.BudgetBlock {
		return err
	}
	var n BudgetNotice
	switch {
	case err != nil:
		n = BudgetNotice{Application: t.ApplicationID, Department: t.Department, Trigger: t.Trigger, Err: err}
	case q.Exceeded:
		n = BudgetNotice{Application: t.ApplicationID, Department: t.Department, Trigger: t.Trigger, Quote: q}
	default:
		return nil
	}
	notify := w.notify
	if !workflow.AfterCommit(ctx, func() { notify(n) }) {
		// Not called by the engine (only the engine runs this participant):
		// there is no transition to wait for.
		notify(n)
	}
	return nil
}

// meterWindow is one row of govcloud_meter_windows: Quantity units of Item
// metered for Application from From until To (zero: still running).
type meterWindow struct {
	Application string
	Idx         int
	Department  string
	Vendor      string
	Item        string
	Quantity    int64
	From, To    time.Time
	OpenedBy    string // the transition key that opened it
	OpenedSeq   int64  // and its sequence number
	ClosedBy    string // the transition key that closed it ("" while open)
	ClosedSeq   int64  // and its sequence number (0 while open)
}

type meterRow struct {
	Application string
	Idx         int
	Department  string
	Vendor      string
	Item        string
	Quantity    int64
	FromUs      int64
	ToUs        int64
	OpenedBy    string
	OpenedSeq   int64
	ClosedBy    string
	ClosedSeq   int64
}

func (r meterRow) window() meterWindow {
	x := meterWindow{Application: r.Application, Idx: r.Idx, Department: r.Department, Vendor: r.Vendor, Item: r.Item,
		Quantity: r.Quantity, From: time.UnixMicro(r.FromUs).UTC(), OpenedBy: r.OpenedBy, OpenedSeq: r.OpenedSeq, ClosedBy: r.ClosedBy, ClosedSeq: r.ClosedSeq}
	if r.ToUs != 0 {
		x.To = time.UnixMicro(r.ToUs).UTC()
	}
	return x
}

const meterCols = `application, idx, department, vendor, item, quantity, from_us, to_us, opened_by, opened_seq, closed_by, closed_seq`

func scanWindows(ctx context.Context, g *gorm.DB, q string, args ...any) ([]meterWindow, error) {
	var rows []meterRow
	if err := g.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("govcloud: read metering windows: %w", err)
	}
	out := make([]meterWindow, len(rows))
	for i, r := range rows {
		out[i] = r.window()
	}
	return out, nil
}

// windowsOf returns the application's windows by index.
func windowsOf(ctx context.Context, g *gorm.DB, app string) ([]meterWindow, error) {
	return scanWindows(ctx, g, `SELECT `+meterCols+` FROM govcloud_meter_windows WHERE application = ? ORDER BY idx`, app)
}

// windowsOverlapping returns every window of the applications that have a
// window overlapping [from, to), up to the last one started before to,
// ordered by application and index (windows are numbered in the order they
// start, so this is a prefix of each application's windows).
func (w *billingWiring) windowsOverlapping(ctx context.Context, g *gorm.DB, from, to time.Time) ([]meterWindow, error) {
	return scanWindows(ctx, g, `SELECT `+meterCols+` FROM govcloud_meter_windows
		WHERE from_us < ? AND application IN (SELECT application FROM govcloud_meter_windows
			WHERE from_us < ? AND (to_us = 0 OR to_us > ?))
		ORDER BY application, idx`, to.UnixMicro(), to.UnixMicro(), from.UnixMicro())
}

// MeterWindow is a metering window as Platform.MeterWindows reports it.
type MeterWindow struct {
	Index    int
	Item     string
	Quantity int64
	From, To time.Time // To zero: still metered
}

// MeterWindows returns the metering windows of an application, in the order
// they started: what billing meters month by month.
func (p *Platform) MeterWindows(ctx context.Context, application string) ([]MeterWindow, error) {
	ws, err := windowsOf(ctx, p.db.Gorm(), application)
	if err != nil {
		return nil, err
	}
	var out []MeterWindow // nil when the application was never metered
	for _, x := range ws {
		out = append(out, MeterWindow{Index: x.Idx, Item: x.Item, Quantity: x.Quantity, From: x.From, To: x.To})
	}
	return out, nil
}

// applyWindows records the windows t opens and closes through g. Windows
// carry the sequence number of the transition that opened and closed them;
// transitions of an application are applied in sequence order (in its
// transaction, or by the relay in outbox order), so a transition whose
// sequence number is not above every recorded one is a redelivery and
// writes nothing. The decision never rests on the windows' current state
// alone: a late replay of the activation after the reclaim must not start
// metering again.
func (w *billingWiring) applyWindows(ctx context.Context, g *gorm.DB, t workflow.Transition) error {
	var open, closeAll bool
	var next []workflow.Item
	switch t.Trigger {
	case workflow.TriggerProvideTrial:
		open, next = w.trial, t.Items
	case workflow.TriggerActivate:
		// The first activation starts metering (already started by the trial
		// when it is billed); a re-activation after a major change does not:
		// the change took effect when it was executed.
		open, next = t.Change == nil, t.Items
	case workflow.TriggerCompleteChange:
		open, next = true, t.Items
	case workflow.TriggerFailTrial, workflow.TriggerExpireTrial, workflow.TriggerCompleteReclaim:
		closeAll = true
	default:
		return nil
	}
	ws, err := windowsOf(ctx, g, t.ApplicationID)
	if err != nil {
		return err
	}
	for _, x := range ws {
		if x.OpenedSeq >= t.Seq || x.ClosedSeq >= t.Seq {
			return nil // recorded before, or a later transition was: a redelivery
		}
	}
	running := map[string]meterWindow{}
	for _, x := range ws {
		if x.To.IsZero() {
			running[x.Item] = x
		}
	}
	want := map[string]int64{}
	if !closeAll {
		if t.Trigger == workflow.TriggerActivate && len(running) > 0 {
			return nil // metered since the trial
		}
		if !open {
			return nil
		}
		for _, it := range next {
			want[it.Code] += it.Quantity
		}
	}
	at := t.At.UTC().Truncate(time.Microsecond)
	codes := make([]string, 0, len(running))
	for c := range running {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		x := running[c]
		if q, ok := want[c]; ok && q == x.Quantity {
			delete(want, c) // unchanged: runs on
			continue
		}
		if err := g.WithContext(ctx).Exec(`UPDATE govcloud_meter_windows SET to_us = ?, closed_by = ?, closed_seq = ? WHERE application = ? AND idx = ?`,
			at.UnixMicro(), t.IdempotencyKey, t.Seq, x.Application, x.Idx).Error; err != nil {
			return fmt.Errorf("govcloud: close metering window %s/%d: %w", x.Application, x.Idx, err)
		}
	}
	codes = codes[:0]
	for c, q := range want {
		if q > 0 {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	idx := len(ws)
	for _, c := range codes {
		if err := g.WithContext(ctx).Exec(`INSERT INTO govcloud_meter_windows (`+meterCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, '', 0)`,
			t.ApplicationID, idx, t.Department, t.Vendor, c, want[c], at.UnixMicro(), t.IdempotencyKey, t.Seq).Error; err != nil {
			return fmt.Errorf("govcloud: open metering window %s/%d: %w", t.ApplicationID, idx, err)
		}
		idx++
	}
	return nil
}
