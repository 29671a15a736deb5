package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/opengovcloud/govcloud/quota"
)

// QuotaStore is a quota.Store in memory: the reference implementation. Every
// Update runs under one mutex, so transactions are serial; writes are staged
// and applied only when fn succeeds. Values are deep-copied in and out.
type QuotaStore struct {
	mu         sync.RWMutex
	pools      map[quota.PoolID]quota.Pool
	res        map[string]quota.Reservation
	moves      []quota.Movement
	moveByKey  map[string]int
	limits     []quota.LimitChange
	limitByKey map[string]int
}

// NewQuotaStore returns an empty store.
func NewQuotaStore() *QuotaStore {
	return &QuotaStore{
		pools:      map[quota.PoolID]quota.Pool{},
		res:        map[string]quota.Reservation{},
		moveByKey:  map[string]int{},
		limitByKey: map[string]int{},
	}
}

var _ quota.Store = (*QuotaStore)(nil)

// Update runs fn in a serial transaction. Do not call the store from fn
// other than through tx.
func (s *QuotaStore) Update(ctx context.Context, fn func(context.Context, quota.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &quotaTx{s: s, write: true, pools: map[quota.PoolID]quota.Pool{}, res: map[string]quota.Reservation{},
		moveByKey: map[string]int{}, limitByKey: map[string]int{}}
	if err := fn(ctx, tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for id, p := range tx.pools {
		s.pools[id] = p
	}
	for a, r := range tx.res {
		s.res[a] = r
	}
	for _, m := range tx.moves {
		s.moveByKey[m.Key] = len(s.moves)
		s.moves = append(s.moves, m)
	}
	for _, c := range tx.limits {
		if c.Key != "" {
			s.limitByKey[c.Key] = len(s.limits)
		}
		s.limits = append(s.limits, c)
	}
	return nil
}

// View runs fn on the current state under a read lock.
func (s *QuotaStore) View(ctx context.Context, fn func(context.Context, quota.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(ctx, &quotaTx{s: s})
}

type quotaTx struct {
	s          *QuotaStore
	write      bool
	pools      map[quota.PoolID]quota.Pool
	res        map[string]quota.Reservation
	moves      []quota.Movement
	moveByKey  map[string]int
	limits     []quota.LimitChange
	limitByKey map[string]int
}

var errReadOnly = errors.New("memstore: write in a read-only transaction")

func cp(v quota.Vector) quota.Vector {
	if v == nil {
		return nil
	}
	out := make(quota.Vector, len(v))
	for d, a := range v {
		out[d] = a
	}
	return out
}

func clonePool(p quota.Pool) quota.Pool {
	p.Limit, p.Warn, p.Allotted, p.Held, p.Committed = cp(p.Limit), cp(p.Warn), cp(p.Allotted), cp(p.Held), cp(p.Committed)
	return p
}

func cloneRes(r quota.Reservation) quota.Reservation {
	r.Held, r.Committed = cp(r.Held), cp(r.Committed)
	if r.Bounds != nil {
		r.Bounds = &quota.Bounds{Min: cp(r.Bounds.Min), Max: cp(r.Bounds.Max)}
	}
	return r
}

func cloneMove(m quota.Movement) quota.Movement {
	m.Held, m.Committed = cp(m.Held), cp(m.Committed)
	return m
}

func cloneLimit(c quota.LimitChange) quota.LimitChange {
	c.OldLimit, c.NewLimit, c.OldWarn, c.NewWarn = cp(c.OldLimit), cp(c.NewLimit), cp(c.OldWarn), cp(c.NewWarn)
	if c.Approval != nil {
		a := *c.Approval
		c.Approval = &a
	}
	return c
}

func (t *quotaTx) pool(id quota.PoolID) (quota.Pool, bool) {
	if p, ok := t.pools[id]; ok {
		return p, true
	}
	p, ok := t.s.pools[id]
	return p, ok
}

func (t *quotaTx) Pool(ctx context.Context, id quota.PoolID) (quota.Pool, error) {
	p, ok := t.pool(id)
	if !ok {
		return quota.Pool{}, &quota.PoolError{Pool: id, Reason: "not found", Err: quota.ErrUnknownPool}
	}
	return clonePool(p), nil
}

// LockPool is Pool: transactions are serial.
func (t *quotaTx) LockPool(ctx context.Context, id quota.PoolID) (quota.Pool, error) {
	return t.Pool(ctx, id)
}

func (t *quotaTx) Pools(ctx context.Context) ([]quota.Pool, error) {
	ids := map[quota.PoolID]bool{}
	for id := range t.s.pools {
		ids[id] = true
	}
	for id := range t.pools {
		ids[id] = true
	}
	out := make([]quota.Pool, 0, len(ids))
	for id := range ids {
		p, _ := t.pool(id)
		out = append(out, clonePool(p))
	}
	slices.SortFunc(out, func(a, b quota.Pool) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (t *quotaTx) CreatePool(ctx context.Context, p quota.Pool) error {
	if !t.write {
		return errReadOnly
	}
	if _, ok := t.pool(p.ID); ok {
		return &quota.PoolError{Pool: p.ID, Reason: "exists", Err: quota.ErrExists}
	}
	t.pools[p.ID] = clonePool(p)
	return nil
}

func (t *quotaTx) UpdatePool(ctx context.Context, p quota.Pool) error {
	if !t.write {
		return errReadOnly
	}
	old, ok := t.pool(p.ID)
	if !ok {
		return &quota.PoolError{Pool: p.ID, Reason: "not found", Err: quota.ErrUnknownPool}
	}
	if old.Version != p.Version-1 {
		return fmt.Errorf("%w: pool %q version %d, writing %d", quota.ErrConflict, p.ID, old.Version, p.Version)
	}
	t.pools[p.ID] = clonePool(p)
	return nil
}

func (t *quotaTx) reservation(app string) (quota.Reservation, bool) {
	if r, ok := t.res[app]; ok {
		return r, true
	}
	r, ok := t.s.res[app]
	return r, ok
}

func (t *quotaTx) Reservation(ctx context.Context, app string) (quota.Reservation, error) {
	r, ok := t.reservation(app)
	if !ok {
		return quota.Reservation{}, &quota.StateError{Application: app, Op: "read", Err: quota.ErrNoReservation}
	}
	return cloneRes(r), nil
}

func (t *quotaTx) PutReservation(ctx context.Context, r quota.Reservation) error {
	if !t.write {
		return errReadOnly
	}
	old, ok := t.reservation(r.Application)
	if (!ok && r.Version != 1) || (ok && old.Version != r.Version-1) {
		return fmt.Errorf("%w: reservation %q version %d, writing %d", quota.ErrConflict, r.Application, old.Version, r.Version)
	}
	t.res[r.Application] = cloneRes(r)
	return nil
}

func (t *quotaTx) allReservations() []quota.Reservation {
	apps := map[string]bool{}
	for a := range t.s.res {
		apps[a] = true
	}
	for a := range t.res {
		apps[a] = true
	}
	out := make([]quota.Reservation, 0, len(apps))
	for a := range apps {
		r, _ := t.reservation(a)
		out = append(out, r)
	}
	return out
}

func (t *quotaTx) Reservations(ctx context.Context, pool quota.PoolID) ([]quota.Reservation, error) {
	var out []quota.Reservation
	for _, r := range t.allReservations() {
		if pool == "" || r.Pool == pool {
			out = append(out, cloneRes(r))
		}
	}
	slices.SortFunc(out, func(a, b quota.Reservation) int { return cmp.Compare(a.Application, b.Application) })
	return out, nil
}

func (t *quotaTx) ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]quota.Reservation, error) {
	var out []quota.Reservation
	for _, r := range t.allReservations() {
		if r.State == quota.StateHeld && r.ExpiresAt.Before(now) {
			out = append(out, cloneRes(r))
		}
	}
	slices.SortFunc(out, func(a, b quota.Reservation) int {
		return cmp.Or(a.ExpiresAt.Compare(b.ExpiresAt), cmp.Compare(a.Application, b.Application))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (t *quotaTx) MovementByKey(ctx context.Context, key string) (quota.Movement, bool, error) {
	if i, ok := t.moveByKey[key]; ok {
		return cloneMove(t.moves[i]), true, nil
	}
	if i, ok := t.s.moveByKey[key]; ok {
		return cloneMove(t.s.moves[i]), true, nil
	}
	return quota.Movement{}, false, nil
}

func (t *quotaTx) AppendMovement(ctx context.Context, m quota.Movement) (quota.Movement, error) {
	if !t.write {
		return quota.Movement{}, errReadOnly
	}
	if _, found, _ := t.MovementByKey(ctx, m.Key); found {
		return quota.Movement{}, &quota.KeyConflictError{Key: m.Key, Reason: "duplicate movement key"}
	}
	m.Seq = int64(len(t.s.moves) + len(t.moves) + 1)
	t.moveByKey[m.Key] = len(t.moves)
	t.moves = append(t.moves, cloneMove(m))
	return m, nil
}

func (t *quotaTx) Movements(ctx context.Context, f quota.MovementFilter) ([]quota.Movement, error) {
	var out []quota.Movement
	for _, list := range [][]quota.Movement{t.s.moves, t.moves} {
		for _, m := range list {
			if f.Match(m) {
				out = append(out, cloneMove(m))
				if f.Limit > 0 && len(out) == f.Limit {
					return out, nil
				}
			}
		}
	}
	return out, nil
}

func (t *quotaTx) LimitChangeByKey(ctx context.Context, key string) (quota.LimitChange, bool, error) {
	if i, ok := t.limitByKey[key]; ok {
		return cloneLimit(t.limits[i]), true, nil
	}
	if i, ok := t.s.limitByKey[key]; ok {
		return cloneLimit(t.s.limits[i]), true, nil
	}
	return quota.LimitChange{}, false, nil
}

func (t *quotaTx) AppendLimitChange(ctx context.Context, c quota.LimitChange) (quota.LimitChange, error) {
	if !t.write {
		return quota.LimitChange{}, errReadOnly
	}
	if c.Key != "" {
		if _, found, _ := t.LimitChangeByKey(ctx, c.Key); found {
			return quota.LimitChange{}, &quota.KeyConflictError{Key: c.Key, Reason: "duplicate limit change key"}
		}
		t.limitByKey[c.Key] = len(t.limits)
	}
	c.Seq = int64(len(t.s.limits) + len(t.limits) + 1)
	t.limits = append(t.limits, cloneLimit(c))
	return c, nil
}

func (t *quotaTx) LimitChanges(ctx context.Context, pool quota.PoolID) ([]quota.LimitChange, error) {
	var out []quota.LimitChange
	for _, list := range [][]quota.LimitChange{t.s.limits, t.limits} {
		for _, c := range list {
			if pool == "" || c.Pool == pool {
				out = append(out, cloneLimit(c))
			}
		}
	}
	return out, nil
}
