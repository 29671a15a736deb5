package quota

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
)

// Defaults used by Options when a field is zero.
const (
	// DefaultHoldTTL covers the vendor's 2 working days to provide the trial
	// environment, the longest regular trial (30 days, 第九条) and a margin
	// for an extension; the workflow extends holds for longer trials.
	DefaultHoldTTL = 45 * 24 * time.Hour
	// DefaultExpireBatch bounds the holds one ExpireHolds call cleans up.
	DefaultExpireBatch = 100
)

// Options configures a Ledger.
type Options struct {
	// Clock gives the time of every movement and decides hold expiry. Required.
	Clock Clock
	// HoldTTL is the time-to-live of a hold when the request names none
	// (default DefaultHoldTTL).
	HoldTTL time.Duration
	// ExpireBatch bounds the holds one ExpireHolds call releases (default
	// DefaultExpireBatch).
	ExpireBatch int
}

// Validate reports the first wrong field as an *InputError.
func (o Options) Validate() error {
	if o.Clock == nil {
		return &InputError{Field: "Options.Clock", Reason: "nil (inject a clock)"}
	}
	if o.HoldTTL < 0 {
		return &InputError{Field: "Options.HoldTTL", Reason: "negative"}
	}
	if o.ExpireBatch < 0 {
		return &InputError{Field: "Options.ExpireBatch", Reason: "negative"}
	}
	return nil
}

// Ledger enforces the quota rules over a Store: pool limits down the
// hierarchy, approvals for raising a department's quota, the hold → commit
// → adjust/scale → release lifecycle of each application's reservation,
// idempotency of every movement, and warning thresholds. It is safe for
// concurrent use when its Store is. A Ledger is cheap: to run inside a
// caller's transaction, bind a Store to it (gormstore's QuotaStore.WithTx)
// and use WithStore.
type Ledger struct {
	store Store
	opts  Options
}

// NewLedger returns a ledger over s.
func NewLedger(s Store, opts Options) (*Ledger, error) {
	if s == nil {
		return nil, &InputError{Field: "store", Reason: "nil"}
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.HoldTTL == 0 {
		opts.HoldTTL = DefaultHoldTTL
	}
	if opts.ExpireBatch == 0 {
		opts.ExpireBatch = DefaultExpireBatch
	}
	return &Ledger{store: s, opts: opts}, nil
}

// WithStore returns a ledger with the same options over s (e.g. a Store bound
// to an open transaction).
func (l *Ledger) WithStore(s Store) *Ledger { return &Ledger{store: s, opts: l.opts} }

func (l *Ledger) now() time.Time { return l.opts.Clock.Now().UTC() }

// Receipt is the result of a ledger movement.
type Receipt struct {
	Movement    Movement
	Reservation Reservation
	Pool        Pool
	// Warnings lists the pool's dimensions at or above their warning
	// threshold after the movement.
	Warnings []Warning
	// Replayed is true when the idempotency key had been applied before and
	// nothing was written.
	Replayed bool
}

func validID(field, s string) error {
	if s == "" {
		return &InputError{Field: field, Reason: "empty"}
	}
	if len(s) > 128 {
		return &InputError{Field: field, Reason: "longer than 128 bytes"}
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return &InputError{Field: field, Reason: "contains a control or invalid character"}
		}
	}
	return nil
}

// PoolSpec describes a pool to create.
type PoolSpec struct {
	ID         PoolID
	Kind       PoolKind
	Parent     PoolID
	Name       string
	Vendor     string
	Zone       string
	Tier       TierKind
	Department string
	Year       int
	Limit      Vector
	Warn       Vector
	Reason     string
}

// Validate checks the spec on its own (the parent is checked by CreatePool).
func (s PoolSpec) Validate() error {
	if err := validID("ID", string(s.ID)); err != nil {
		return err
	}
	switch s.Kind {
	case KindPlatform:
		if s.Parent != "" {
			return &InputError{Field: "Parent", Reason: "a platform pool has no parent"}
		}
		if err := validID("Vendor", s.Vendor); err != nil {
			return err
		}
		if err := validID("Zone", s.Zone); err != nil {
			return err
		}
	case KindTier:
		if _, ok := tierLabels[s.Tier]; !ok {
			return &InputError{Field: "Tier", Reason: fmt.Sprintf("unknown tier kind %q", s.Tier)}
		}
	case KindDepartment:
		if err := validID("Department", s.Department); err != nil {
			return err
		}
	default:
		return &InputError{Field: "Kind", Reason: fmt.Sprintf("unknown pool kind %q", s.Kind)}
	}
	if s.Kind != KindPlatform {
		if err := validID("Parent", string(s.Parent)); err != nil {
			return err
		}
	}
	if s.Year != 0 && (s.Year < 2000 || s.Year > 9999) {
		return &InputError{Field: "Year", Reason: fmt.Sprintf("%d out of range", s.Year)}
	}
	return validateLimits(s.Limit, s.Warn)
}

func validateLimits(limit, warn Vector) error {
	if err := limit.Validate(); err != nil {
		return err
	}
	if err := warn.Validate(); err != nil {
		return err
	}
	for _, d := range warn.sortedKeys() {
		if _, ok := limit[d]; !ok {
			return &DimensionError{Dim: d, Op: "Warn (not in Limit)", Err: ErrUnknownDimension}
		}
		if warn[d] > limit[d] {
			return &InputError{Field: "Warn." + string(d), Reason: fmt.Sprintf("threshold %d above limit %d", warn[d], limit[d])}
		}
	}
	return nil
}

// checkTracked returns ErrUnknownDimension for the first non-zero dimension
// of v that p does not track.
func checkTracked(p Pool, v Vector) error {
	for _, d := range v.sortedKeys() {
		if v[d] != 0 && !p.Tracks(d) {
			return &DimensionError{Dim: d, Op: "pool " + string(p.ID), Err: ErrUnknownDimension}
		}
	}
	return nil
}

// CreatePool creates a pool. A child's limit is carved out of its parent:
// it must fit in the parent's free capacity (else an *ExceededError matching
// ErrParentCapacity) and in the parent's dimensions.
func (l *Ledger) CreatePool(ctx context.Context, s PoolSpec) (Pool, error) {
	if err := s.Validate(); err != nil {
		return Pool{}, err
	}
	now := l.now()
	p := Pool{ID: s.ID, Kind: s.Kind, Parent: s.Parent, Name: s.Name, Vendor: s.Vendor, Zone: s.Zone,
		Tier: s.Tier, Department: s.Department, Year: s.Year, Limit: copyVec(s.Limit), Warn: s.Warn.Clone(),
		Version: 1, CreatedAt: now, UpdatedAt: now}
	if p.Limit == nil {
		p.Limit = Vector{}
	}
	err := l.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		if s.Parent != "" {
			parent, err := tx.LockPool(ctx, s.Parent)
			if err != nil {
				return err
			}
			if parent.Kind != s.Kind.parent() {
				return &PoolError{Pool: parent.ID, Reason: fmt.Sprintf("a %s pool cannot be the parent of a %s pool", parent.Kind, s.Kind), Err: ErrInvalid}
			}
			if err := carve(&parent, s.ID, s.Limit, now); err != nil {
				return err
			}
			if err := tx.UpdatePool(ctx, parent); err != nil {
				return err
			}
		}
		if err := tx.CreatePool(ctx, p); err != nil {
			return err
		}
		_, err := tx.AppendLimitChange(ctx, LimitChange{Pool: p.ID, NewLimit: copyVec(p.Limit), NewWarn: p.Warn.Clone(),
			Reason: nonEmpty(s.Reason, "create"), At: now})
		return err
	})
	if err != nil {
		return Pool{}, err
	}
	return p, nil
}

// carve allots delta (signed) of parent's capacity to child: the increase
// must fit in parent's free capacity, in parent's dimensions.
func carve(parent *Pool, child PoolID, delta Vector, now time.Time) error {
	if err := checkTracked(*parent, delta); err != nil {
		var de *DimensionError
		if errors.As(err, &de) {
			de.Op = fmt.Sprintf("limit of %q: parent %q", string(child), string(parent.ID))
		}
		return err
	}
	if sf := Shortfall(delta.Positive(), parent.Free()); len(sf) > 0 {
		return &ExceededError{Pool: child, Parent: parent.ID, Shortfalls: sf}
	}
	a, err := parent.Allotted.Add(delta)
	if err != nil {
		return err
	}
	parent.Allotted = a
	parent.Version++
	parent.UpdatedAt = now
	return nil
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// SetLimitRequest changes a pool's limit and, when Warn is not nil, its
// warning thresholds.
type SetLimitRequest struct {
	// Key makes the change idempotent (optional; for a department raise the
	// approval's RequestID is a good key).
	Key   string
	Pool  PoolID
	Limit Vector
	Warn  Vector // nil keeps the thresholds (dropping those of removed dimensions fails)
	// Reason is recorded with the change.
	Reason string
	// Approval is required when a department pool's limit rises in any
	// dimension: only an approved request may raise a yearly quota.
	Approval *Approval
}

// SetLimit changes a pool's limit. Lowering below what the pool uses fails
// with *UseError; raising a child beyond its parent's free capacity with
// *ExceededError (ErrParentCapacity); raising a department pool without an
// Approval with ErrApprovalRequired. The change is recorded (LimitChanges).
func (l *Ledger) SetLimit(ctx context.Context, r SetLimitRequest) (Pool, error) {
	if err := validID("Pool", string(r.Pool)); err != nil {
		return Pool{}, err
	}
	if r.Approval != nil {
		if err := validID("Approval.RequestID", r.Approval.RequestID); err != nil {
			return Pool{}, err
		}
		if err := validID("Approval.ApprovedBy", r.Approval.ApprovedBy); err != nil {
			return Pool{}, err
		}
	}
	if err := r.Limit.Validate(); err != nil {
		return Pool{}, err
	}
	now := l.now()
	var out Pool
	err := l.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		p, err := tx.Pool(ctx, r.Pool)
		if err != nil {
			return err
		}
		var parent Pool
		if p.Parent != "" {
			if parent, err = tx.LockPool(ctx, p.Parent); err != nil {
				return err
			}
		}
		if p, err = tx.LockPool(ctx, r.Pool); err != nil {
			return err
		}
		if r.Key != "" {
			c, found, err := tx.LimitChangeByKey(ctx, r.Key)
			if err != nil {
				return err
			}
			if found {
				if c.Pool != r.Pool || !c.NewLimit.Equal(r.Limit) || c.Reason != nonEmpty(r.Reason, "set limit") {
					return &KeyConflictError{Key: r.Key, Reason: "used for a different limit change"}
				}
				out = p
				return nil
			}
		}
		warn := p.Warn
		if r.Warn != nil {
			warn = r.Warn.Clone()
		}
		used := p.Used()
		for _, d := range used.Dimensions() {
			if used[d] > r.Limit[d] {
				return &UseError{Pool: p.ID, Dim: d, Limit: r.Limit[d], Used: used[d]}
			}
		}
		if err := validateLimits(r.Limit, warn); err != nil {
			return err
		}
		delta, err := r.Limit.Sub(p.Limit)
		if err != nil {
			return err
		}
		if p.Kind == KindDepartment && !delta.Positive().IsZero() && r.Approval == nil {
			return &PoolError{Pool: p.ID, Reason: "raises " + delta.Positive().Format(English), Err: ErrApprovalRequired}
		}
		if p.Parent != "" {
			if err := carve(&parent, p.ID, delta, now); err != nil {
				return err
			}
			// Dimensions newly tracked by the child must exist in the parent.
			for d := range r.Limit {
				if !parent.Tracks(d) {
					return &DimensionError{Dim: d, Op: fmt.Sprintf("limit of %q: parent %q", string(p.ID), string(parent.ID)), Err: ErrUnknownDimension}
				}
			}
			if err := tx.UpdatePool(ctx, parent); err != nil {
				return err
			}
		}
		old, oldWarn := p.Limit, p.Warn
		p.Limit, p.Warn = copyVec(r.Limit), warn
		if p.Limit == nil {
			p.Limit = Vector{}
		}
		p.Version++
		p.UpdatedAt = now
		if err := tx.UpdatePool(ctx, p); err != nil {
			return err
		}
		var ap *Approval
		if r.Approval != nil {
			a := *r.Approval
			a.ApprovedAt = a.ApprovedAt.UTC()
			ap = &a
		}
		if _, err := tx.AppendLimitChange(ctx, LimitChange{Key: r.Key, Pool: p.ID, OldLimit: old, NewLimit: copyVec(p.Limit),
			OldWarn: oldWarn, NewWarn: p.Warn.Clone(), Reason: nonEmpty(r.Reason, "set limit"), Approval: ap, At: now}); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return Pool{}, err
	}
	return out, nil
}

// Check is the early feedback at submission: it compares demand with what
// the pool has free, writing nothing. It returns nil, a *DimensionError
// (ErrUnknownDimension) or an *ExceededError matching ErrQuotaExceeded with
// every short dimension and its shortfall.
func (l *Ledger) Check(ctx context.Context, pool PoolID, demand Vector) error {
	if err := demand.Validate(); err != nil {
		return err
	}
	return l.store.View(ctx, func(ctx context.Context, tx Tx) error {
		p, err := tx.Pool(ctx, pool)
		if err != nil {
			return err
		}
		if err := checkTracked(p, demand); err != nil {
			return err
		}
		if sf := Shortfall(demand, p.Free()); len(sf) > 0 {
			return &ExceededError{Pool: p.ID, Shortfalls: sf}
		}
		return nil
	})
}

// ReserveRequest holds quota for an application at approval.
type ReserveRequest struct {
	// Key is the idempotency key; empty means Application + "/" + Cause.Seq.
	Key         string
	Application string
	Pool        PoolID // a department pool
	Amount      Vector
	// Bounds, when set, makes the application elastic: after activation it
	// may scale anywhere in [Min, Max] without a new approval. Amount must
	// lie within them.
	Bounds *Bounds
	TTL    time.Duration // the hold's time-to-live (0: Options.HoldTTL)
	Cause  Cause
}

// CommitRequest turns an application's hold into a commitment at activation.
type CommitRequest struct {
	Key         string
	Application string
	Cause       Cause
}

// ExtendRequest extends a hold's time-to-live (e.g. a trial extension).
type ExtendRequest struct {
	Key         string
	Application string
	TTL         time.Duration // new expiry = now + TTL
	Cause       Cause
}

// AdjustRequest changes a committed application by a signed delta at an
// approved change. Bounds, when set, replace the elastic bounds; otherwise
// the new commitment must stay within the current ones.
type AdjustRequest struct {
	Key         string
	Application string
	Delta       Vector
	Bounds      *Bounds
	Cause       Cause
}

// ScaleRequest moves a committed elastic application to Level, which must
// lie within its approved bounds (else *BoundsError: a change request is
// needed).
type ScaleRequest struct {
	Key         string
	Application string
	Level       Vector
	Cause       Cause
}

// ReleaseRequest returns an application's hold (state held) or commitment
// (state committed). Amount nil releases everything; otherwise at most what
// is held or committed in each dimension (else *ReleaseError).
type ReleaseRequest struct {
	Key         string
	Application string
	Amount      Vector
	Reason      Reason // denial, trial_failure, expiry, termination or change
	Cause       Cause
}

func opKey(key, app string, seq int64) (string, error) {
	if key != "" {
		if err := validID("Key", key); err != nil {
			return "", err
		}
		return key, nil
	}
	if seq <= 0 {
		return "", &InputError{Field: "Key", Reason: "empty and Cause.Seq is not positive: an idempotency key is required"}
	}
	return fmt.Sprintf("%s/%d", app, seq), nil
}

func fmtBounds(b *Bounds) string {
	if b == nil {
		return "-"
	}
	return canonical(b.Min) + ".." + canonical(b.Max)
}

type moveFunc func(p *Pool, r *Reservation, found bool, now time.Time) (Movement, error)

// move runs one idempotent movement: it locks the pool, replays a known key,
// applies fn and writes the pool, the reservation and the movement.
func (l *Ledger) move(ctx context.Context, app string, pool PoolID, key, request string, fn moveFunc) (Receipt, error) {
	if err := validID("Application", app); err != nil {
		return Receipt{}, err
	}
	now := l.now()
	var rc Receipt
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if rc, err = l.moveOnce(ctx, app, pool, key, request, now, fn); !errors.Is(err, errMoved) {
			break
		}
	}
	if errors.Is(err, errMoved) {
		err = fmt.Errorf("%w: reservation of %q keeps moving between pools", ErrConflict, app)
	}
	return rc, err
}

var errMoved = errors.New("quota: reservation moved")

func (l *Ledger) moveOnce(ctx context.Context, app string, pool PoolID, key, request string, now time.Time, fn moveFunc) (Receipt, error) {
	var rc Receipt
	err := l.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		rc = Receipt{}
		pid := pool
		if pid == "" {
			r, err := tx.Reservation(ctx, app)
			if err != nil {
				if m, found, err2 := tx.MovementByKey(ctx, key); err2 == nil && found {
					pid = m.Pool
				} else {
					return err
				}
			} else {
				pid = r.Pool
			}
		}
		p, err := tx.LockPool(ctx, pid)
		if err != nil {
			return err
		}
		if m, found, err := tx.MovementByKey(ctx, key); err != nil {
			return err
		} else if found {
			if m.Request != request || m.Application != app {
				return &KeyConflictError{Key: key, Reason: fmt.Sprintf("recorded for %q %s, now %s", m.Application, m.Request, request)}
			}
			r, err := tx.Reservation(ctx, app)
			if err != nil && !errors.Is(err, ErrNoReservation) {
				return err
			}
			rc = Receipt{Movement: m, Reservation: r, Pool: p, Replayed: true}
			return nil
		}
		r, err := tx.Reservation(ctx, app)
		found := err == nil
		if err != nil && !errors.Is(err, ErrNoReservation) {
			return err
		}
		if found && r.Pool != p.ID {
			if pool == "" {
				// Re-reserved elsewhere between our two reads: retry.
				return errMoved
			}
			if r.State != StateReleased {
				return &StateError{Application: app, State: r.State, Op: "reserve in " + string(pool) + " (reserved in " + string(r.Pool) + ")", Err: ErrState}
			}
		}
		m, err := fn(&p, &r, found, now)
		if err != nil {
			return err
		}
		p.Version++
		p.UpdatedAt = now
		r.Version++
		r.UpdatedAt = now
		if !found {
			r.CreatedAt = now
		}
		m.Key, m.Application, m.Pool, m.Request, m.At = key, app, p.ID, request, now
		if err := tx.UpdatePool(ctx, p); err != nil {
			return err
		}
		if err := tx.PutReservation(ctx, r); err != nil {
			return err
		}
		if m, err = tx.AppendMovement(ctx, m); err != nil {
			return err
		}
		rc = Receipt{Movement: m, Reservation: r, Pool: p, Warnings: warnings(p)}
		return nil
	})
	if err != nil {
		return Receipt{}, err
	}
	return rc, nil
}

func warnings(p Pool) []Warning {
	var out []Warning
	used := p.Used()
	for _, d := range p.Warn.Dimensions() {
		if w := p.Warn[d]; w > 0 && used[d] >= w {
			out = append(out, Warning{Pool: p.ID, Dim: d, Used: used[d], Threshold: w, Limit: p.Limit[d]})
		}
	}
	return out
}

func needState(r *Reservation, found bool, op string, want ReservationState) error {
	if !found {
		return &StateError{Application: r.Application, Op: op, Err: ErrNoReservation}
	}
	if r.State != want {
		return &StateError{Application: r.Application, State: r.State, Op: op, Err: ErrState}
	}
	return nil
}

// fits checks that adding inc (non-negative) to p stays within its limit.
func fits(p Pool, inc Vector) error {
	if err := checkTracked(p, inc); err != nil {
		return err
	}
	if sf := Shortfall(inc, p.Free()); len(sf) > 0 {
		return &ExceededError{Pool: p.ID, Shortfalls: sf}
	}
	return nil
}

// Reserve places a hold for an application in a department pool at
// approval. It fails with *ExceededError when the pool lacks capacity.
func (l *Ledger) Reserve(ctx context.Context, q ReserveRequest) (Receipt, error) {
	key, err := opKey(q.Key, q.Application, q.Cause.Seq)
	if err != nil {
		return Receipt{}, err
	}
	if err := validID("Pool", string(q.Pool)); err != nil {
		return Receipt{}, err
	}
	if err := q.Amount.Validate(); err != nil {
		return Receipt{}, err
	}
	if q.TTL < 0 {
		return Receipt{}, &InputError{Field: "TTL", Reason: "negative"}
	}
	if q.Bounds != nil {
		if err := q.Bounds.Validate(); err != nil {
			return Receipt{}, err
		}
		if err := q.Bounds.check(q.Application, q.Amount); err != nil {
			return Receipt{}, err
		}
	}
	ttl := q.TTL
	if ttl == 0 {
		ttl = l.opts.HoldTTL
	}
	req := fmt.Sprintf("reserve|%s|%s|%s|%d", q.Pool, canonical(q.Amount), fmtBounds(q.Bounds), q.TTL)
	return l.move(ctx, q.Application, q.Pool, key, req, func(p *Pool, r *Reservation, found bool, now time.Time) (Movement, error) {
		if found && r.State != StateReleased {
			return Movement{}, &StateError{Application: q.Application, State: r.State, Op: "reserve", Err: ErrState}
		}
		if p.Kind != KindDepartment {
			return Movement{}, &PoolError{Pool: p.ID, Reason: "reservations are charged to department pools, this is a " + string(p.Kind) + " pool", Err: ErrInvalid}
		}
		if q.Bounds != nil {
			if err := checkTracked(*p, q.Bounds.Max); err != nil {
				return Movement{}, err
			}
		}
		if err := fits(*p, q.Amount); err != nil {
			return Movement{}, err
		}
		h, err := p.Held.Add(q.Amount)
		if err != nil {
			return Movement{}, err
		}
		p.Held = h
		var b *Bounds
		if q.Bounds != nil {
			b = &Bounds{Min: q.Bounds.Min.Clone(), Max: q.Bounds.Max.Clone()}
		}
		*r = Reservation{Application: q.Application, Pool: p.ID, State: StateHeld, Held: q.Amount.Clone(),
			Bounds: b, ExpiresAt: now.Add(ttl), Version: r.Version, CreatedAt: r.CreatedAt}
		return Movement{Kind: MoveHold, Reason: ReasonApproval, Held: q.Amount.Clone(), Cause: q.Cause}, nil
	})
}

// Commit turns the hold into a commitment at activation. An expired hold
// fails with ErrHoldExpired.
func (l *Ledger) Commit(ctx context.Context, q CommitRequest) (Receipt, error) {
	key, err := opKey(q.Key, q.Application, q.Cause.Seq)
	if err != nil {
		return Receipt{}, err
	}
	return l.move(ctx, q.Application, "", key, "commit", func(p *Pool, r *Reservation, found bool, now time.Time) (Movement, error) {
		if err := needState(r, found, "commit", StateHeld); err != nil {
			return Movement{}, err
		}
		if now.After(r.ExpiresAt) {
			return Movement{}, &StateError{Application: q.Application, State: r.State, Op: "commit", Err: ErrHoldExpired}
		}
		amt := r.Held
		h, err := p.Held.SubNonNeg(amt)
		if err != nil {
			return Movement{}, err
		}
		c, err := p.Committed.Add(amt)
		if err != nil {
			return Movement{}, err
		}
		p.Held, p.Committed = h, c
		r.Committed, r.Held, r.State, r.ExpiresAt = amt, nil, StateCommitted, time.Time{}
		neg, _ := amt.Scale(-1)
		return Movement{Kind: MoveCommit, Reason: ReasonActivation, Held: neg, Committed: amt.Clone(), Cause: q.Cause}, nil
	})
}

// ExtendHold moves a live hold's expiry to now + TTL.
func (l *Ledger) ExtendHold(ctx context.Context, q ExtendRequest) (Receipt, error) {
	key, err := opKey(q.Key, q.Application, q.Cause.Seq)
	if err != nil {
		return Receipt{}, err
	}
	if q.TTL <= 0 {
		return Receipt{}, &InputError{Field: "TTL", Reason: "not positive"}
	}
	return l.move(ctx, q.Application, "", key, fmt.Sprintf("extend|%d", q.TTL), func(p *Pool, r *Reservation, found bool, now time.Time) (Movement, error) {
		if err := needState(r, found, "extend", StateHeld); err != nil {
			return Movement{}, err
		}
		if now.After(r.ExpiresAt) {
			return Movement{}, &StateError{Application: q.Application, State: r.State, Op: "extend", Err: ErrHoldExpired}
		}
		r.ExpiresAt = now.Add(q.TTL)
		return Movement{Kind: MoveExtend, Reason: ReasonTrialExtension, Cause: q.Cause}, nil
	})
}

// Adjust changes a committed application by a signed delta at an approved
// change: increases must fit the pool (*ExceededError), decreases cannot go
// below zero (*ReleaseError).
func (l *Ledger) Adjust(ctx context.Context, q AdjustRequest) (Receipt, error) {
	key, err := opKey(q.Key, q.Application, q.Cause.Seq)
	if err != nil {
		return Receipt{}, err
	}
	if err := q.Delta.ValidateDelta(); err != nil {
		return Receipt{}, err
	}
	if q.Bounds != nil {
		if err := q.Bounds.Validate(); err != nil {
			return Receipt{}, err
		}
	}
	req := fmt.Sprintf("adjust|%s|%s", canonical(q.Delta), fmtBounds(q.Bounds))
	return l.move(ctx, q.Application, "", key, req, func(p *Pool, r *Reservation, found bool, now time.Time) (Movement, error) {
		if err := needState(r, found, "adjust", StateCommitted); err != nil {
			return Movement{}, err
		}
		return l.applyCommitDelta(p, r, q.Delta, q.Bounds, MoveAdjust, ReasonChange, q.Cause)
	})
}

func (l *Ledger) applyCommitDelta(p *Pool, r *Reservation, delta Vector, newBounds *Bounds, kind MovementKind, reason Reason, cause Cause) (Movement, error) {
	if err := checkTracked(*p, delta); err != nil {
		return Movement{}, err
	}
	nc, err := r.Committed.Add(delta)
	if err != nil {
		return Movement{}, err
	}
	for _, d := range nc.Dimensions() {
		if nc[d] < 0 {
			return Movement{}, &ReleaseError{Application: r.Application, Dim: d, Release: -delta[d], Held: r.Committed[d]}
		}
	}
	b := r.Bounds
	if newBounds != nil {
		if err := checkTracked(*p, newBounds.Max); err != nil {
			return Movement{}, err
		}
		b = &Bounds{Min: newBounds.Min.Clone(), Max: newBounds.Max.Clone()}
	}
	if b != nil {
		if err := b.check(r.Application, nc); err != nil {
			return Movement{}, err
		}
	}
	if err := fits(*p, delta.Positive()); err != nil {
		return Movement{}, err
	}
	pc, err := p.Committed.Add(delta)
	if err != nil {
		return Movement{}, err
	}
	p.Committed = pc
	r.Committed, r.Bounds = nc, b
	return Movement{Kind: kind, Reason: reason, Committed: delta.Clone(), Cause: cause}, nil
}

// Scale moves a committed elastic application to Level within its approved
// bounds, without a new approval; each step is recorded. A level outside the
// bounds (or any change of a non-elastic application) fails with
// *BoundsError (ErrOutOfBounds): it needs a change request.
func (l *Ledger) Scale(ctx context.Context, q ScaleRequest) (Receipt, error) {
	key, err := opKey(q.Key, q.Application, q.Cause.Seq)
	if err != nil {
		return Receipt{}, err
	}
	if err := q.Level.Validate(); err != nil {
		return Receipt{}, err
	}
	req := "scale|" + canonical(q.Level)
	return l.move(ctx, q.Application, "", key, req, func(p *Pool, r *Reservation, found bool, now time.Time) (Movement, error) {
		if err := needState(r, found, "scale", StateCommitted); err != nil {
			return Movement{}, err
		}
		b := r.Bounds
		if b == nil {
			b = &Bounds{Min: r.Committed, Max: r.Committed}
		}
		if err := b.check(q.Application, q.Level); err != nil {
			return Movement{}, err
		}
		delta, err := q.Level.Sub(r.Committed)
		if err != nil {
			return Movement{}, err
		}
		return l.applyCommitDelta(p, r, delta, nil, MoveScale, ReasonScale, q.Cause)
	})
}

// Release returns a hold (at denial, trial failure, expiry) or a commitment
// (at termination, expiry, or a change that gives resources back).
func (l *Ledger) Release(ctx context.Context, q ReleaseRequest) (Receipt, error) {
	key, err := opKey(q.Key, q.Application, q.Cause.Seq)
	if err != nil {
		return Receipt{}, err
	}
	if !q.Reason.releases() {
		return Receipt{}, &InputError{Field: "Reason", Reason: fmt.Sprintf("%q is not a release cause", q.Reason)}
	}
	if err := q.Amount.Validate(); err != nil {
		return Receipt{}, err
	}
	amt := "all"
	if q.Amount != nil {
		amt = canonical(q.Amount)
	}
	req := fmt.Sprintf("release|%s|%s", q.Reason, amt)
	return l.move(ctx, q.Application, "", key, req, func(p *Pool, r *Reservation, found bool, now time.Time) (Movement, error) {
		if !found || r.State == StateReleased {
			st := r.State
			e := ErrState
			if !found {
				e = ErrNoReservation
			}
			return Movement{}, &StateError{Application: q.Application, State: st, Op: "release", Err: e}
		}
		return release(p, r, q.Amount, MoveRelease, q.Reason, q.Cause)
	})
}

func release(p *Pool, r *Reservation, amount Vector, kind MovementKind, reason Reason, cause Cause) (Movement, error) {
	bucket := &r.Held
	poolBucket := &p.Held
	if r.State == StateCommitted {
		bucket, poolBucket = &r.Committed, &p.Committed
	}
	amt := amount
	if amt == nil {
		amt = bucket.Clone()
	}
	for _, d := range amt.Dimensions() {
		if amt[d] > (*bucket)[d] {
			return Movement{}, &ReleaseError{Application: r.Application, Dim: d, Release: amt[d], Held: (*bucket)[d]}
		}
	}
	nb, err := bucket.SubNonNeg(amt)
	if err != nil {
		return Movement{}, err
	}
	npb, err := poolBucket.SubNonNeg(amt)
	if err != nil {
		return Movement{}, err
	}
	*bucket, *poolBucket = nb, npb
	neg, _ := amt.Scale(-1)
	m := Movement{Kind: kind, Reason: reason, Cause: cause}
	if r.State == StateCommitted {
		m.Committed = neg
	} else {
		m.Held = neg
	}
	if r.Held.IsZero() && r.Committed.IsZero() {
		r.State, r.ExpiresAt, r.Held, r.Committed = StateReleased, time.Time{}, nil, nil
	}
	return m, nil
}

// ExpireHolds releases the holds whose time-to-live has passed (at most
// Options.ExpireBatch per call), each in its own transaction, recorded as
// MoveExpire with ReasonHoldTimeout. It is safe to run concurrently and
// repeatedly. A hold that fails to be released does not stop the others:
// ExpireHolds returns what it released with every failure joined (it stops
// only when ctx ends).
func (l *Ledger) ExpireHolds(ctx context.Context) ([]Movement, error) {
	now := l.now()
	var stale []Reservation
	err := l.store.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		stale, err = tx.ExpiredHolds(ctx, now, l.opts.ExpireBatch)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []Movement
	var errs []error
	for _, s := range stale {
		key := fmt.Sprintf("%s@expire#%d", s.Application, s.Version)
		rc, err := l.move(ctx, s.Application, s.Pool, key, "expire", func(p *Pool, r *Reservation, found bool, now time.Time) (Movement, error) {
			if !found || r.State != StateHeld || r.Version != s.Version || !now.After(r.ExpiresAt) {
				return Movement{}, errSkip
			}
			return release(p, r, nil, MoveExpire, ReasonHoldTimeout, Cause{Transition: "hold_timeout"})
		})
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return out, err
			}
			// One hold that cannot be released must not keep the others
			// (taken oldest first) from expiring: go on, report it.
			errs = append(errs, fmt.Errorf("quota: expire the hold of %s: %w", s.Application, err))
			continue
		}
		if !rc.Replayed {
			out = append(out, rc.Movement)
		}
	}
	return out, errors.Join(errs...)
}

var errSkip = errors.New("quota: skip")

// Pool returns a pool.
func (l *Ledger) Pool(ctx context.Context, id PoolID) (Pool, error) {
	var p Pool
	err := l.store.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		p, err = tx.Pool(ctx, id)
		return err
	})
	return p, err
}

// Pools lists every pool sorted by ID.
func (l *Ledger) Pools(ctx context.Context) ([]Pool, error) {
	var ps []Pool
	err := l.store.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		ps, err = tx.Pools(ctx)
		return err
	})
	return ps, err
}

// Reservation returns an application's reservation.
func (l *Ledger) Reservation(ctx context.Context, app string) (Reservation, error) {
	var r Reservation
	err := l.store.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		r, err = tx.Reservation(ctx, app)
		return err
	})
	return r, err
}

// Movements lists recorded movements.
func (l *Ledger) Movements(ctx context.Context, f MovementFilter) ([]Movement, error) {
	var ms []Movement
	err := l.store.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		ms, err = tx.Movements(ctx, f)
		return err
	})
	return ms, err
}

// LimitChanges lists the recorded limit changes of a pool ("" for all).
func (l *Ledger) LimitChanges(ctx context.Context, pool PoolID) ([]LimitChange, error) {
	var cs []LimitChange
	err := l.store.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		cs, err = tx.LimitChanges(ctx, pool)
		return err
	})
	return cs, err
}

// Reservations lists the reservations charged to a pool ("" for all),
// sorted by application.
func (l *Ledger) Reservations(ctx context.Context, pool PoolID) ([]Reservation, error) {
	var rs []Reservation
	err := l.store.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		rs, err = tx.Reservations(ctx, pool)
		return err
	})
	return rs, err
}
