package govcloud

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

// This file wires the quota ledger into the application lifecycle. The
// package documentation of the types below is written for the IT team that
// runs a platform; the short version:
//
//	审批通过 approve            → hold (预留) the application's resources in its
//	                             department's pool, with a time-to-live
//	提供试用环境 / 延长试用 / 提交测试 / 终审不通过(回到试用)
//	                           → the hold lives until the trial's end + a margin
//	终审通过 activate           → hold becomes a commitment (占用)
//	变更审批通过 approve_change → the change's increases are committed
//	完成变更 complete_change    → the change's decreases are released
//	试用未通过 / 试用期满        → the hold is released (trial_failure / expiry)
//	完成资源回收 complete_reclaim → the commitment is released (termination)
//	审批不通过 / 撤回            → nothing is held yet in this lifecycle; released
//	                             if a hold exists

// QuotaMode says how quota movements follow workflow transitions.
//
// Which one to choose: keep the default. A platform on one database —
// the embedded SQLite file or one PostgreSQL database — runs
// QuotaInTransaction, and there is nothing else to set up. Choose
// QuotaViaOutbox only when the quota ledger must live somewhere else (a
// quota service of the province on its own database, or memory in tests),
// and then run the relay.
//
// QuotaInTransaction (同一事务): each movement is written in the same
// database transaction as the transition that causes it. An approval and
// its reservation commit together or not at all: an approval the
// department's quota cannot cover fails with quota.ErrQuotaExceeded
// (a *quota.ExceededError naming every short dimension and by how much),
// the application stays "accepted", and neither the workflow nor the ledger
// records anything. Two authorities approving at the same moment for the
// last units of a pool are serialised by the pool's row lock: one wins, the
// other gets ErrQuotaExceeded. It needs the ledger in the platform's own
// database (Options.QuotaStore nil).
//
// QuotaViaOutbox (经发件箱异步): the transition commits first; the
// movements are applied afterwards by Platform.QuotaSubscriber, which
// follows the workflow's outbox (run Platform.Relay().Run with it, or call
// Platform.SyncQuota from a scheduled job — without either, quota never
// moves). The approval only checks the quota (read-only) and refuses what
// clearly does not fit; but two approvals racing for the last units can
// both pass that check. The ledger never over-allocates: the second
// reservation is refused, reported to the relay's onError, and retried
// after each lease until an administrator frees or raises the department's
// quota. Deliveries are at least once; replays change nothing (every
// movement is idempotent by the transition's key "<application>/<seq>").
type QuotaMode = FollowMode

// The quota modes.
const (
	// QuotaAuto (the zero value) is QuotaInTransaction when the ledger is in
	// the platform's database and QuotaViaOutbox otherwise.
	QuotaAuto = FollowAuto
	// QuotaInTransaction applies each movement inside the transition's own
	// database transaction.
	QuotaInTransaction = FollowInTransaction
	// QuotaViaOutbox applies each movement after commit, from the outbox.
	QuotaViaOutbox = FollowViaOutbox
)

// FollowMode says how a store area that follows the lifecycle (quota,
// billing) applies its writes: inside each transition's own database
// transaction, or after commit from the outbox (at least once, replays being
// no-ops). QuotaMode and BillingMode are this type.
type FollowMode int

const (
	// FollowAuto (the zero value) is FollowInTransaction when the area's store
	// is in the platform's database and FollowViaOutbox otherwise.
	FollowAuto FollowMode = iota
	// FollowInTransaction writes inside the transition's own transaction.
	FollowInTransaction
	// FollowViaOutbox writes after commit, from the outbox.
	FollowViaOutbox
)

var followModeLabels = map[FollowMode][2]string{
	FollowAuto:          {"自动", "auto"},
	FollowInTransaction: {"同一事务", "in transaction"},
	FollowViaOutbox:     {"经发件箱异步", "via outbox"},
}

// Label returns the mode's name in lang (workflow.Chinese or workflow.English).
func (m FollowMode) Label(lang workflow.Lang) string {
	l, ok := followModeLabels[m]
	if !ok {
		return fmt.Sprintf("FollowMode(%d)", int(m))
	}
	if lang == workflow.English {
		return l[1]
	}
	return l[0]
}

// String returns the Chinese name.
func (m FollowMode) String() string { return m.Label(workflow.Chinese) }

// DefaultHoldMargin is how long a quota hold outlives the end of the trial
// (Options.QuotaHoldMargin): time for the final review (终审), which has no
// statutory deadline.
const DefaultHoldMargin = 30 * 24 * time.Hour

// QuotaSubscriberName is the outbox position of Platform.QuotaSubscriber.
const QuotaSubscriberName = "govcloud.quota"

// Errors of the quota wiring. The typed errors below carry the detail.
var (
	// ErrNoDepartmentPool: the application's department has no quota pool
	// (*DepartmentPoolError). Approval is refused: a department without a
	// pool is not unlimited.
	ErrNoDepartmentPool = errors.New("govcloud: department has no quota pool")
	// ErrUnknownItem: an application item whose catalog code has no resource
	// footprint (*ItemError).
	ErrUnknownItem = errors.New("govcloud: catalog item without a resource footprint")
)

// DepartmentPoolError names the department whose pool is missing or wrong.
// It matches ErrNoDepartmentPool.
type DepartmentPoolError struct {
	Department string
	Pool       quota.PoolID
	Reason     string
}

func (e *DepartmentPoolError) Error() string {
	return fmt.Sprintf("govcloud: 使用单位 %q 没有配额资源池 / department has no quota pool: pool %q: %s",
		e.Department, string(e.Pool), e.Reason)
}

// Is matches ErrNoDepartmentPool.
func (e *DepartmentPoolError) Is(target error) bool { return target == ErrNoDepartmentPool }

// ItemError names an application item that cannot be turned into a
// resource footprint. It matches ErrUnknownItem, or wraps the quota error
// (e.g. quota.ErrOverflow) in Err.
type ItemError struct {
	Index  int // position in the item list
	Code   string
	Reason string
	Err    error // an underlying error (nil for an unknown code)
}

func (e *ItemError) Error() string {
	s := fmt.Sprintf("govcloud: items[%d] %q: %s", e.Index, e.Code, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is matches ErrUnknownItem when the code has no footprint.
func (e *ItemError) Is(target error) bool { return target == ErrUnknownItem && e.Err == nil }

// Unwrap returns the underlying error.
func (e *ItemError) Unwrap() error { return e.Err }

// QuotaError reports a quota movement that failed for a transition: which
// application, which trigger, and the ledger's error (Err), which errors.Is
// and errors.As reach — e.g. a *quota.ExceededError naming every short
// dimension and its shortfall (quota.ErrQuotaExceeded).
type QuotaError struct {
	Application string
	Trigger     workflow.Trigger
	Err         error
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("govcloud: 配额处理失败 / quota: application %q, %s (%s): %v",
		e.Application, e.Trigger.Label(workflow.Chinese), string(e.Trigger), e.Err)
}

// Unwrap returns the ledger's error.
func (e *QuotaError) Unwrap() error { return e.Err }

// ItemFootprints gives the resources one unit of a catalog item takes
// (云主机 ecs.4c8g → 4 vCPU + 8 GiB). Billing's service catalog will
// implement it; until then DefaultFootprints serves the codes of the
// workflow examples. Inject another through Options.Footprints.
type ItemFootprints interface {
	Footprint(code string) (quota.Vector, error)
}

// FootprintTable is an ItemFootprints from a fixed table.
type FootprintTable map[string]quota.Vector

// Footprint returns a copy of the code's footprint, or an *ItemError
// (ErrUnknownItem) for a code not in the table.
func (t FootprintTable) Footprint(code string) (quota.Vector, error) {
	v, ok := t[code]
	if !ok {
		return nil, &ItemError{Index: -1, Code: code, Reason: "no resource footprint for this catalog code (目录条目未定义资源占用)"}
	}
	return v.Clone(), nil
}

// DefaultFootprints returns the built-in table, one unit of each code:
//
//	code          resources                       (quota base units)
//	ecs.vcpu      1 vCPU                          vcpu=1000
//	ecs.2c4g      2 vCPU, 4 GiB                   vcpu=2000, memory=4096
//	ecs.4c8g      4 vCPU, 8 GiB                   vcpu=4000, memory=8192
//	ecs.8c16g     8 vCPU, 16 GiB                  vcpu=8000, memory=16384
//	ecs.16c32g    16 vCPU, 32 GiB                 vcpu=16000, memory=32768
//	mem.gb        1 GiB memory                    memory=1024
//	evs.gb        1 GiB block storage (云硬盘)    storage=1
//	oss.gb        1 GiB object storage            storage=1
//	oss.tb        1 TiB object storage            storage=1024
//	rds.mysql     one database instance (云数据库)  db_instances=1
//	rds.pg        one database instance           db_instances=1
//	rds.instance  one database instance           db_instances=1
//	eip           one public IP address           public_ips=1
//	bw.mbps       1 Mbps bandwidth                bandwidth=1
//	sec.service   one security service (云安全)    security_services=1
//
// A department pool must track every dimension its applications use.
func DefaultFootprints() FootprintTable {
	return FootprintTable{
		"ecs.vcpu":     {quota.VCPU: 1000},
		"ecs.2c4g":     {quota.VCPU: 2000, quota.Memory: 4096},
		"ecs.4c8g":     {quota.VCPU: 4000, quota.Memory: 8192},
		"ecs.8c16g":    {quota.VCPU: 8000, quota.Memory: 16384},
		"ecs.16c32g":   {quota.VCPU: 16000, quota.Memory: 32768},
		"mem.gb":       {quota.Memory: 1024},
		"evs.gb":       {quota.Storage: 1},
		"oss.gb":       {quota.Storage: 1},
		"oss.tb":       {quota.Storage: 1024},
		"rds.mysql":    {quota.DBInstances: 1},
		"rds.pg":       {quota.DBInstances: 1},
		"rds.instance": {quota.DBInstances: 1},
		"eip":          {quota.PublicIPs: 1},
		"bw.mbps":      {quota.Bandwidth: 1},
		"sec.service":  {quota.SecurityServices: 1},
	}
}

// Demand is the quota vector of items: Σ footprint(code) × quantity, with
// checked arithmetic. Errors are *ItemError naming the item.
func Demand(f ItemFootprints, items []workflow.Item) (quota.Vector, error) {
	total := quota.Vector{}
	for i, it := range items {
		if it.Quantity < 0 {
			return nil, &ItemError{Index: i, Code: it.Code, Reason: fmt.Sprintf("negative quantity %d", it.Quantity), Err: quota.ErrNegative}
		}
		fp, err := f.Footprint(it.Code)
		if err != nil {
			var ie *ItemError
			if errors.As(err, &ie) && ie.Err == nil {
				return nil, &ItemError{Index: i, Code: it.Code, Reason: ie.Reason}
			}
			return nil, &ItemError{Index: i, Code: it.Code, Reason: "footprint", Err: err}
		}
		if err := fp.Validate(); err != nil {
			return nil, &ItemError{Index: i, Code: it.Code, Reason: "footprint", Err: err}
		}
		v, err := fp.Scale(it.Quantity)
		if err == nil {
			total, err = total.Add(v)
		}
		if err != nil {
			return nil, &ItemError{Index: i, Code: it.Code, Reason: fmt.Sprintf("× %d", it.Quantity), Err: err}
		}
	}
	return total, nil
}

// DepartmentPoolID is the naming convention of department pools: "dept:"
// followed by the department's ID (the workflow actor ID of the
// department). Pool IDs are at most 128 bytes, so department IDs used with
// the convention are at most 123. One pool per department: the yearly
// quota is renewed by raising or lowering its limit (quota.Ledger.SetLimit,
// raises with an approval), not by a new pool. Options.DepartmentPool
// replaces the convention.
func DepartmentPoolID(department string) quota.PoolID { return quota.PoolID("dept:" + department) }

// quotaWiring is the platform's quota area: the ledger, how applications
// map to pools and vectors, and the movement of each trigger.
type quotaWiring struct {
	db     *gormstore.DB // nil when the ledger is not in the platform database
	ledger *quota.Ledger // unbound
	mode   QuotaMode     // resolved: QuotaInTransaction or QuotaViaOutbox
	fp     ItemFootprints
	poolOf func(string) quota.PoolID
	margin time.Duration
	check  bool // check the quota at submission
	clock  workflow.Clock
}

func (p *Platform) openQuota(context.Context) error {
	o := p.opts
	w := &quotaWiring{mode: o.QuotaMode, fp: o.Footprints, poolOf: o.DepartmentPool, margin: o.QuotaHoldMargin,
		check: o.CheckQuotaAtSubmit, clock: o.Clock}
	store := o.QuotaStore
	if store == nil {
		w.db = p.db
		store = p.db.Quota()
		if w.mode == QuotaAuto {
			w.mode = QuotaInTransaction
		}
	} else if w.mode == QuotaAuto {
		w.mode = QuotaViaOutbox
	}
	l, err := quota.NewLedger(store, quota.Options{Clock: quota.ClockFunc(o.Clock.Now), HoldTTL: o.QuotaHoldTTL})
	if err != nil {
		return err
	}
	w.ledger = l
	p.quota = w
	return nil
}

// Quota returns the platform's quota ledger (配额台账): pools, reservations,
// movements, limit changes, early checks, hold expiry and allocation.
func (p *Platform) Quota() *quota.Ledger { return p.quota.ledger }

// QuotaMode returns how quota follows the workflow on this platform
// (QuotaInTransaction or QuotaViaOutbox, never QuotaAuto).
func (p *Platform) QuotaMode() QuotaMode { return p.quota.mode }

// QuotaSubscriber returns the outbox subscriber that applies the quota
// movements of committed transitions (named QuotaSubscriberName). In
// QuotaViaOutbox mode run it with the relay:
//
//	go p.Relay().Run(ctx, onError, p.QuotaSubscriber())
//
// Deliveries are at least once and each movement is idempotent by the
// transition's key ("<application>/<seq>"), so a replay changes nothing. A
// movement the ledger refuses (e.g. quota.ErrQuotaExceeded because two
// approvals raced for the last units) is retried after the relay's lease:
// raise or free the department's quota and it goes through. In
// QuotaInTransaction mode every movement is already written, and the
// subscriber only finds replays.
func (p *Platform) QuotaSubscriber() workflow.Subscriber {
	w := p.quota
	return workflow.SubscriberFunc(QuotaSubscriberName, func(ctx context.Context, t workflow.Transition, _ workflow.Delivery) error {
		return w.apply(ctx, w.ledger, t)
	})
}

// SyncQuota delivers pending transitions to QuotaSubscriber until none is
// left (or one fails) and returns how many it applied: for a scheduled job,
// tests, or a command-line tool, instead of a long-running relay.
func (p *Platform) SyncQuota(ctx context.Context) (int, error) {
	sub := p.QuotaSubscriber()
	total := 0
	for {
		n, err := p.relay.DeliverOnce(ctx, sub)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// CheckQuota is the early feedback for a department preparing an
// application: it computes the demand of req.Items and compares it with what
// the department's pool has free, writing nothing. It returns nil, a
// *quota.ExceededError (quota.ErrQuotaExceeded) naming each short dimension
// and the shortfall, a *DepartmentPoolError, an *ItemError, or a
// *quota.DimensionError for a dimension the pool does not track. actor must
// be a department (the pool is its own).
func (p *Platform) CheckQuota(ctx context.Context, actor workflow.Actor, req workflow.SubmitRequest) error {
	if actor.Role != workflow.RoleDepartment || actor.ID == "" {
		return &workflow.ForbiddenError{Actor: actor, Action: "check quota", Reason: "only a department checks its own quota"}
	}
	w := p.quota
	pool, err := w.departmentPool(ctx, w.ledger, actor.ID)
	if err != nil {
		return err
	}
	demand, err := Demand(w.fp, req.Items)
	if err != nil {
		return err
	}
	return w.ledger.Check(ctx, pool, demand)
}

// PlatformPool describes a platform pool: a vendor's capacity in one zone.
type PlatformPool struct {
	ID     quota.PoolID
	Name   string
	Vendor string
	Zone   workflow.Zone
	Limit  quota.Vector
	Warn   quota.Vector
}

// CreatePlatformPool creates the root of a pool tree (平台容量).
func (p *Platform) CreatePlatformPool(ctx context.Context, s PlatformPool) (quota.Pool, error) {
	return p.quota.ledger.CreatePool(ctx, quota.PoolSpec{ID: s.ID, Kind: quota.KindPlatform, Name: s.Name,
		Vendor: s.Vendor, Zone: string(s.Zone), Limit: s.Limit, Warn: s.Warn, Reason: "create platform pool"})
}

// TierPool describes a tier carved out of a platform pool: a city cloud, a
// district cloud or a dedicated domain (专有域).
type TierPool struct {
	ID       quota.PoolID
	Platform quota.PoolID // the parent platform pool
	Name     string
	Tier     quota.TierKind
	Limit    quota.Vector
	Warn     quota.Vector
}

// CreateTierPool creates a tier pool; its limit comes out of the platform
// pool's free capacity (quota.ErrParentCapacity otherwise).
func (p *Platform) CreateTierPool(ctx context.Context, s TierPool) (quota.Pool, error) {
	return p.quota.ledger.CreatePool(ctx, quota.PoolSpec{ID: s.ID, Kind: quota.KindTier, Parent: s.Platform, Name: s.Name,
		Tier: s.Tier, Limit: s.Limit, Warn: s.Warn, Reason: "create tier pool"})
}

// DepartmentPool describes a department's quota carved out of a tier.
type DepartmentPool struct {
	Department string       // the department's ID (as in workflow.Actor.ID)
	Tier       quota.PoolID // the parent tier pool
	Name       string
	Year       int // fiscal year (0: not yearly)
	Limit      quota.Vector
	Warn       quota.Vector
}

// CreateDepartmentPool creates the department's pool under the platform's
// naming convention (DepartmentPoolID, or Options.DepartmentPool), so that
// its applications are reserved there at approval. Raise it later with
// Quota().SetLimit and an approval.
func (p *Platform) CreateDepartmentPool(ctx context.Context, s DepartmentPool) (quota.Pool, error) {
	return p.quota.ledger.CreatePool(ctx, quota.PoolSpec{ID: p.quota.poolOf(s.Department), Kind: quota.KindDepartment,
		Parent: s.Tier, Name: s.Name, Department: s.Department, Year: s.Year, Limit: s.Limit, Warn: s.Warn,
		Reason: "create department pool"})
}

// DepartmentPoolOf returns the pool the department's applications are
// reserved in, or a *DepartmentPoolError.
func (p *Platform) DepartmentPoolOf(ctx context.Context, department string) (quota.Pool, error) {
	id, err := p.quota.departmentPool(ctx, p.quota.ledger, department)
	if err != nil {
		return quota.Pool{}, err
	}
	return p.quota.ledger.Pool(ctx, id)
}

// departmentPool resolves and checks the department's pool through l.
func (w *quotaWiring) departmentPool(ctx context.Context, l *quota.Ledger, dept string) (quota.PoolID, error) {
	id := w.poolOf(dept)
	pool, err := l.Pool(ctx, id)
	if errors.Is(err, quota.ErrUnknownPool) {
		return "", &DepartmentPoolError{Department: dept, Pool: id, Reason: "no such pool (create it with Platform.CreateDepartmentPool)"}
	}
	if err != nil {
		return "", err
	}
	if pool.Kind != quota.KindDepartment || pool.Department != dept {
		return "", &DepartmentPoolError{Department: dept, Pool: id,
			Reason: fmt.Sprintf("pool is a %s pool of department %q", pool.Kind.Label(quota.English), pool.Department)}
	}
	return id, nil
}

// participant is the workflow participant of the quota area.
func (w *quotaWiring) participant() workflow.Participant {
	return workflow.ParticipantFunc(func(ctx context.Context, tx workflow.Tx, t workflow.Transition) error {
		if w.mode == QuotaViaOutbox {
			// The movement follows from the outbox; here only the early
			// checks, read-only, outside the transaction's database.
			return w.wrap(t, w.precheck(ctx, w.ledger, t))
		}
		g, ok := tx.(*gorm.DB)
		if !ok {
			return fmt.Errorf("govcloud: quota in transaction needs the gormstore transaction, got %T", tx)
		}
		// Every ledger call below runs inside the transition's transaction:
		// never the unbound store (SQLite has one writer connection: tx's).
		l := w.ledger.WithStore(w.db.Quota().WithTx(g))
		if err := w.precheck(ctx, l, t); err != nil {
			return w.wrap(t, err)
		}
		return w.apply(ctx, l, t)
	})
}

func (w *quotaWiring) wrap(t workflow.Transition, err error) error {
	if err == nil {
		return nil
	}
	var qe *QuotaError
	if errors.As(err, &qe) {
		return err
	}
	return &QuotaError{Application: t.ApplicationID, Trigger: t.Trigger, Err: err}
}

// precheck is the read-only check at submission (Options.CheckQuotaAtSubmit)
// and, in QuotaViaOutbox mode, at approvals.
func (w *quotaWiring) precheck(ctx context.Context, l *quota.Ledger, t workflow.Transition) error {
	switch t.Trigger {
	case workflow.TriggerSubmit, workflow.TriggerResubmit:
		if !w.check {
			return nil
		}
	case workflow.TriggerApprove, workflow.TriggerApproveChange:
		if w.mode != QuotaViaOutbox {
			return nil
		}
	default:
		return nil
	}
	pool, err := w.departmentPool(ctx, l, t.Department)
	if err != nil {
		return err
	}
	demand, err := Demand(w.fp, t.Items)
	if err != nil {
		return err
	}
	if t.Trigger == workflow.TriggerApproveChange {
		if demand, err = w.changeDelta(t.Items, changeItems(t)); err != nil {
			return err
		}
		demand = demand.Positive()
	}
	return l.Check(ctx, pool, demand)
}

func changeItems(t workflow.Transition) []workflow.Item {
	if t.Change == nil {
		return t.Items
	}
	return t.Change.Items
}

// changeDelta returns Demand(after) − Demand(before).
func (w *quotaWiring) changeDelta(before, after []workflow.Item) (quota.Vector, error) {
	b, err := Demand(w.fp, before)
	if err != nil {
		return nil, err
	}
	a, err := Demand(w.fp, after)
	if err != nil {
		return nil, err
	}
	return a.Sub(b)
}

// apply writes the movements of transition t through l. Each movement's
// idempotency key is derived from t.IdempotencyKey, so applying t again
// (a redelivery) writes nothing.
func (w *quotaWiring) apply(ctx context.Context, l *quota.Ledger, t workflow.Transition) error {
	cause := quota.Cause{Transition: string(t.Trigger), Seq: t.Seq, Actor: actorString(t.Actor)}
	key := t.IdempotencyKey
	var err error
	switch t.Trigger {
	case workflow.TriggerApprove:
		err = w.reserve(ctx, l, t, key, 0, cause)
	case workflow.TriggerDeny, workflow.TriggerWithdraw:
		// Nothing is held before approval in this lifecycle; release a hold
		// should there be one.
		reason := quota.ReasonDenial
		if t.Trigger == workflow.TriggerWithdraw {
			reason = quota.ReasonTermination
		}
		err = releaseIfOpen(ctx, l, t, key, reason, cause)
	case workflow.TriggerProvideTrial, workflow.TriggerExtendTrial:
		err = w.holdUntil(ctx, l, t, key, cause)
	case workflow.TriggerSubmitTests:
		if t.From == workflow.StateTrial {
			err = w.holdUntil(ctx, l, t, key, cause)
		}
	case workflow.TriggerRejectFinal:
		if t.To == workflow.StateTrial {
			err = w.holdUntil(ctx, l, t, key, cause)
		}
	case workflow.TriggerFailTrial:
		err = releaseIfOpen(ctx, l, t, key, quota.ReasonTrialFailure, cause)
	case workflow.TriggerExpireTrial:
		err = releaseIfOpen(ctx, l, t, key, quota.ReasonExpiry, cause)
	case workflow.TriggerActivate:
		err = w.commit(ctx, l, t, key, cause)
	case workflow.TriggerApproveChange:
		// Increases are committed when the change is approved, so the vendor
		// never executes a change the pool cannot hold.
		var d quota.Vector
		if d, err = w.changeDelta(t.Items, changeItems(t)); err == nil && !d.Positive().IsZero() {
			_, err = l.Adjust(ctx, quota.AdjustRequest{Key: key, Application: t.ApplicationID, Delta: d.Positive(), Cause: cause})
		}
	case workflow.TriggerCompleteChange:
		// Decreases are released once the vendor has executed the change.
		var d quota.Vector
		if d, err = w.changeDelta(t.PreviousItems, t.Items); err == nil {
			var dec quota.Vector
			if dec, err = d.Sub(d.Positive()); err == nil && !dec.IsZero() {
				_, err = l.Adjust(ctx, quota.AdjustRequest{Key: key, Application: t.ApplicationID, Delta: dec, Cause: cause})
			}
		}
	case workflow.TriggerCompleteReclaim:
		// The resources are returned when the vendor has reclaimed them.
		err = releaseIfOpen(ctx, l, t, key, quota.ReasonTermination, cause)
	}
	return w.wrap(t, err)
}

func actorString(a workflow.Actor) string {
	if a.ID == "" {
		return string(a.Role)
	}
	return string(a.Role) + ":" + a.ID
}

// reserve holds the application's demand in its department pool.
func (w *quotaWiring) reserve(ctx context.Context, l *quota.Ledger, t workflow.Transition, key string, ttl time.Duration, cause quota.Cause) error {
	pool, err := w.departmentPool(ctx, l, t.Department)
	if err != nil {
		return err
	}
	demand, err := Demand(w.fp, t.Items)
	if err != nil {
		return err
	}
	_, err = l.Reserve(ctx, quota.ReserveRequest{Key: key, Application: t.ApplicationID, Pool: pool, Amount: demand, TTL: ttl, Cause: cause})
	return err
}

// releaseIfOpen releases the application's hold or commitment, if any.
func releaseIfOpen(ctx context.Context, l *quota.Ledger, t workflow.Transition, key string, reason quota.Reason, cause quota.Cause) error {
	r, err := l.Reservation(ctx, t.ApplicationID)
	if errors.Is(err, quota.ErrNoReservation) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.State == quota.StateReleased {
		return nil // released before (hold timeout) or by this very transition (replay)
	}
	_, err = l.Release(ctx, quota.ReleaseRequest{Key: key, Application: t.ApplicationID, Reason: reason, Cause: cause})
	if errors.Is(err, quota.ErrState) {
		// Released concurrently (ExpireHolds): nothing left to return.
		if r, err2 := l.Reservation(ctx, t.ApplicationID); err2 == nil && r.State == quota.StateReleased {
			return nil
		}
	}
	return err
}

// applied reports whether the movement with key was recorded.
func applied(ctx context.Context, l *quota.Ledger, app, key string) (bool, error) {
	ms, err := l.Movements(ctx, quota.MovementFilter{Application: app})
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if m.Key == key {
			return true, nil
		}
	}
	return false, nil
}

// rehold makes sure the application has a live hold: a hold whose
// time-to-live has passed is released (reason expiry) and reserved afresh,
// as is one the ledger's ExpireHolds already released. It returns the
// reservation and whether the final movement (key) was already written.
func (w *quotaWiring) rehold(ctx context.Context, l *quota.Ledger, t workflow.Transition, key string, ttl time.Duration, cause quota.Cause) (quota.Reservation, bool, error) {
	r, err := l.Reservation(ctx, t.ApplicationID)
	if err != nil {
		return r, false, err
	}
	now := w.clock.Now()
	switch {
	case r.State == quota.StateHeld && !now.After(r.ExpiresAt):
		return r, false, nil
	case r.State == quota.StateHeld:
		if _, err := l.Release(ctx, quota.ReleaseRequest{Key: key + "/expired", Application: t.ApplicationID,
			Reason: quota.ReasonExpiry, Cause: cause}); err != nil {
			return r, false, err
		}
		fallthrough
	case r.State == quota.StateReleased:
		if err := w.reserve(ctx, l, t, key, ttl, cause); err != nil {
			return r, false, err
		}
		r, err = l.Reservation(ctx, t.ApplicationID)
		return r, true, err
	}
	return r, false, nil
}

// holdUntil keeps the hold alive until the trial's end plus the margin.
func (w *quotaWiring) holdUntil(ctx context.Context, l *quota.Ledger, t workflow.Transition, key string, cause quota.Cause) error {
	if done, err := applied(ctx, l, t.ApplicationID, key); err != nil || done {
		return err
	}
	until := t.At
	if t.Trial != nil && t.Trial.End.After(until) {
		until = t.Trial.End
	}
	// Deterministic from the transition, so a redelivery renders the same
	// request (the ledger counts the TTL from its own clock).
	ttl := until.Add(w.margin).Sub(t.At)
	r, done, err := w.rehold(ctx, l, t, key, ttl, cause)
	if err != nil || done || r.State != quota.StateHeld {
		return err
	}
	_, err = l.ExtendHold(ctx, quota.ExtendRequest{Key: key, Application: t.ApplicationID, TTL: ttl, Cause: cause})
	return err
}

// commit turns the hold into a commitment at the first activation. A
// re-activation after a major change (the transition then carries the
// change) moves nothing: the change was adjusted when approved and executed.
// The decision rests on the transition alone, never on the reservation's
// current state, so a late redelivery decides the same way.
func (w *quotaWiring) commit(ctx context.Context, l *quota.Ledger, t workflow.Transition, key string, cause quota.Cause) error {
	if t.Change != nil {
		return nil
	}
	if done, err := applied(ctx, l, t.ApplicationID, key); err != nil || done {
		return err
	}
	if _, _, err := w.rehold(ctx, l, t, key+"/rehold", 0, cause); err != nil {
		return err
	}
	_, err := l.Commit(ctx, quota.CommitRequest{Key: key, Application: t.ApplicationID, Cause: cause})
	return err
}
