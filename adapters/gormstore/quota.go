package gormstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/opengovcloud/govcloud/quota"
)

// QuotaStore is quota.Store on a DB. Get it from (*DB).Quota; bind it to a
// transaction you already hold with WithTx.
//
// Concurrency: the quota.Ledger locks the pool rows it changes (SELECT …
// FOR UPDATE on PostgreSQL, parent before child; SQLite's BEGIN IMMEDIATE
// serialises writers), and every write is a compare-and-set on the row's
// version, with idempotency keys unique in quota_movements. Two processes
// racing for the last units of a pool therefore never over-allocate.
type QuotaStore struct {
	db *DB
	tx *gorm.DB // non-nil when bound to a caller's transaction
}

var _ quota.Store = (*QuotaStore)(nil)

// Quota returns the quota store on db.
func (db *DB) Quota() *QuotaStore { return &QuotaStore{db: db} }

// WithTx returns the store bound to tx, a transaction opened on the same DB
// (e.g. the *gorm.DB a workflow transition passes to its participants):
// Update then runs inside it, under a savepoint, so a failed ledger
// operation rolls back only its own writes, and its writes commit or roll
// back with tx. Never use the unbound store while holding tx on SQLite: the
// single writer connection is tx's.
func (s *QuotaStore) WithTx(tx *gorm.DB) *QuotaStore { return &QuotaStore{db: s.db, tx: tx} }

// Update implements quota.Store.
func (s *QuotaStore) Update(ctx context.Context, fn func(context.Context, quota.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g := s.db.w
	if s.tx != nil {
		g = s.tx
	}
	return g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(ctx, &quotaTx{g: tx, driver: s.db.driver, write: true})
	})
}

// View implements quota.Store: a read-only transaction (REPEATABLE READ on
// PostgreSQL, a WAL snapshot on SQLite) so that fn sees one consistent state.
func (s *QuotaStore) View(ctx context.Context, fn func(context.Context, quota.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.tx != nil {
		return fn(ctx, &quotaTx{g: s.tx.WithContext(ctx), driver: s.db.driver})
	}
	var opts []*sql.TxOptions
	if s.db.driver == Postgres {
		opts = append(opts, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	return s.db.reader(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(ctx, &quotaTx{g: tx, driver: s.db.driver})
	}, opts...)
}

type quotaTx struct {
	g      *gorm.DB
	driver Driver
	write  bool
}

var errQuotaReadOnly = errors.New("gormstore: quota write in a read-only transaction")

func quotaConflict(format string, args ...any) error {
	return fmt.Errorf("gormstore: "+format+": %w", append(args, quota.ErrConflict)...)
}

func quotaUnknownPool(id quota.PoolID) error {
	return &quota.PoolError{Pool: id, Reason: "not found", Err: quota.ErrUnknownPool}
}

func (t *quotaTx) readPool(ctx context.Context, id quota.PoolID, lock bool) (quota.Pool, error) {
	q := `SELECT doc FROM quota_pools WHERE id = ?`
	if lock && t.driver == Postgres {
		q += ` FOR UPDATE`
	}
	ps, err := readQuotaDocs[quota.Pool](ctx, t.g, "pool "+string(id), "read pool "+string(id), q, []any{string(id)}, nil)
	if err != nil {
		return quota.Pool{}, err
	}
	if len(ps) == 0 {
		return quota.Pool{}, quotaUnknownPool(id)
	}
	return ps[0], nil
}

func (t *quotaTx) Pool(ctx context.Context, id quota.PoolID) (quota.Pool, error) {
	return t.readPool(ctx, id, false)
}

func (t *quotaTx) LockPool(ctx context.Context, id quota.PoolID) (quota.Pool, error) {
	return t.readPool(ctx, id, t.write)
}

func scanQuotaDocs[T any](ctx context.Context, g *gorm.DB, what string, q string, args ...any) ([]T, error) {
	return readQuotaDocs[T](ctx, g, what, "list "+what, q, args, nil)
}

// readQuotaDocs runs q, whose last column is a document of type T (and whose
// first, when it selects two, is the row's sequence number, given to setSeq),
// and decodes its rows. what names a document in a decoding error, read the
// query in a reading error.
func readQuotaDocs[T any](ctx context.Context, g *gorm.DB, what, read, q string, args []any, setSeq func(*T, int64)) ([]T, error) {
	out := []T{}
	err := readDocs(ctx, g, what, read, q, args, func(seq int64, v T) {
		if setSeq != nil {
			setSeq(&v, seq)
		}
		out = append(out, v)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (t *quotaTx) Pools(ctx context.Context) ([]quota.Pool, error) {
	return scanQuotaDocs[quota.Pool](ctx, t.g, "pools", `SELECT doc FROM quota_pools ORDER BY id`)
}

func (t *quotaTx) CreatePool(ctx context.Context, p quota.Pool) error {
	if !t.write {
		return errQuotaReadOnly
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("gormstore: encode pool %s: %w", p.ID, err)
	}
	res := execContext(ctx, t.g, `INSERT INTO quota_pools (id, parent, kind, version, doc) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, string(p.ID), string(p.Parent), string(p.Kind), p.Version, string(doc))
	if res.Error != nil {
		return fmt.Errorf("gormstore: insert pool %s: %w", p.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return &quota.PoolError{Pool: p.ID, Reason: "exists", Err: quota.ErrExists}
	}
	return nil
}

func (t *quotaTx) UpdatePool(ctx context.Context, p quota.Pool) error {
	if !t.write {
		return errQuotaReadOnly
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("gormstore: encode pool %s: %w", p.ID, err)
	}
	res := execContext(ctx, t.g, `UPDATE quota_pools SET version = ?, doc = ? WHERE id = ? AND version = ?`,
		p.Version, string(doc), string(p.ID), p.Version-1)
	if res.Error != nil {
		return fmt.Errorf("gormstore: update pool %s: %w", p.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := t.readPool(ctx, p.ID, false); err != nil {
			return err
		}
		return quotaConflict("pool %s is not at version %d", p.ID, p.Version-1)
	}
	return nil
}

func (t *quotaTx) Reservation(ctx context.Context, app string) (quota.Reservation, error) {
	rs, err := scanQuotaDocs[quota.Reservation](ctx, t.g, "reservation", `SELECT doc FROM quota_reservations WHERE application = ?`, app)
	if err != nil {
		return quota.Reservation{}, err
	}
	if len(rs) == 0 {
		return quota.Reservation{}, &quota.StateError{Application: app, Op: "read", Err: quota.ErrNoReservation}
	}
	return rs[0], nil
}

func (t *quotaTx) PutReservation(ctx context.Context, r quota.Reservation) error {
	if !t.write {
		return errQuotaReadOnly
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("gormstore: encode reservation %s: %w", r.Application, err)
	}
	var exp *int64
	if r.State == quota.StateHeld {
		exp = nullNanos(r.ExpiresAt)
	}
	var res execResult
	if r.Version == 1 {
		res = execContext(ctx, t.g, `INSERT INTO quota_reservations (application, pool, state, version, expires_at, doc)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (application) DO NOTHING`,
			r.Application, string(r.Pool), string(r.State), r.Version, exp, string(doc))
	} else {
		res = execContext(ctx, t.g, `UPDATE quota_reservations SET pool = ?, state = ?, version = ?, expires_at = ?, doc = ?
			WHERE application = ? AND version = ?`,
			string(r.Pool), string(r.State), r.Version, exp, string(doc), r.Application, r.Version-1)
	}
	if res.Error != nil {
		return fmt.Errorf("gormstore: write reservation %s: %w", r.Application, res.Error)
	}
	if res.RowsAffected == 0 {
		return quotaConflict("reservation %s is not at version %d", r.Application, r.Version-1)
	}
	return nil
}

func (t *quotaTx) Reservations(ctx context.Context, pool quota.PoolID) ([]quota.Reservation, error) {
	if pool == "" {
		return scanQuotaDocs[quota.Reservation](ctx, t.g, "reservations", `SELECT doc FROM quota_reservations ORDER BY application`)
	}
	return scanQuotaDocs[quota.Reservation](ctx, t.g, "reservations",
		`SELECT doc FROM quota_reservations WHERE pool = ? ORDER BY application`, string(pool))
}

func (t *quotaTx) ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]quota.Reservation, error) {
	if limit <= 0 {
		limit = math.MaxInt32 // all (PostgreSQL refuses LIMIT -1)
	}
	return scanQuotaDocs[quota.Reservation](ctx, t.g, "expired holds",
		`SELECT doc FROM quota_reservations WHERE state = 'held' AND expires_at < ? ORDER BY expires_at, application LIMIT ?`,
		nanos(now), limit)
}

func (t *quotaTx) MovementByKey(ctx context.Context, key string) (quota.Movement, bool, error) {
	ms, err := scanQuotaMovements(ctx, t.g, `SELECT seq, doc FROM quota_movements WHERE key = ?`, key)
	if err != nil || len(ms) == 0 {
		return quota.Movement{}, false, err
	}
	return ms[0], true, nil
}

func scanQuotaMovements(ctx context.Context, g *gorm.DB, q string, args ...any) ([]quota.Movement, error) {
	return readQuotaDocs(ctx, g, "movement", "read movements", q, args, func(m *quota.Movement, seq int64) { m.Seq = seq })
}

func (t *quotaTx) AppendMovement(ctx context.Context, m quota.Movement) (quota.Movement, error) {
	if !t.write {
		return quota.Movement{}, errQuotaReadOnly
	}
	m.Seq = 0
	doc, err := json.Marshal(m)
	if err != nil {
		return quota.Movement{}, fmt.Errorf("gormstore: encode movement %s: %w", m.Key, err)
	}
	seqs, err := int64Column(ctx, t.g, `INSERT INTO quota_movements (key, application, pool, doc) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO NOTHING RETURNING seq`, m.Key, m.Application, string(m.Pool), string(doc))
	if err != nil {
		return quota.Movement{}, fmt.Errorf("gormstore: insert movement %s: %w", m.Key, err)
	}
	if len(seqs) == 0 {
		return quota.Movement{}, &quota.KeyConflictError{Key: m.Key, Reason: "duplicate movement key"}
	}
	m.Seq = seqs[0]
	return m, nil
}

func (t *quotaTx) Movements(ctx context.Context, f quota.MovementFilter) ([]quota.Movement, error) {
	var where []string
	var args []any
	if f.Application != "" {
		where, args = append(where, "application = ?"), append(args, f.Application)
	}
	if f.Pool != "" {
		where, args = append(where, "pool = ?"), append(args, string(f.Pool))
	}
	if f.AfterSeq > 0 {
		where, args = append(where, "seq > ?"), append(args, f.AfterSeq)
	}
	q := `SELECT seq, doc FROM quota_movements`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY seq`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return scanQuotaMovements(ctx, t.g, q, args...)
}

func (t *quotaTx) LimitChangeByKey(ctx context.Context, key string) (quota.LimitChange, bool, error) {
	cs, err := scanQuotaLimitChanges(ctx, t.g, `SELECT seq, doc FROM quota_limit_changes WHERE key = ?`, key)
	if err != nil || len(cs) == 0 {
		return quota.LimitChange{}, false, err
	}
	return cs[0], true, nil
}

func scanQuotaLimitChanges(ctx context.Context, g *gorm.DB, q string, args ...any) ([]quota.LimitChange, error) {
	return readQuotaDocs(ctx, g, "limit change", "read limit changes", q, args, func(c *quota.LimitChange, seq int64) { c.Seq = seq })
}

func (t *quotaTx) AppendLimitChange(ctx context.Context, c quota.LimitChange) (quota.LimitChange, error) {
	if !t.write {
		return quota.LimitChange{}, errQuotaReadOnly
	}
	c.Seq = 0
	doc, err := json.Marshal(c)
	if err != nil {
		return quota.LimitChange{}, fmt.Errorf("gormstore: encode limit change of %s: %w", c.Pool, err)
	}
	var key *string
	if c.Key != "" {
		key = &c.Key
	}
	seqs, err := int64Column(ctx, t.g, `INSERT INTO quota_limit_changes (key, pool, doc) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING seq`, key, string(c.Pool), string(doc))
	if err != nil {
		return quota.LimitChange{}, fmt.Errorf("gormstore: insert limit change of %s: %w", c.Pool, err)
	}
	if len(seqs) == 0 {
		return quota.LimitChange{}, &quota.KeyConflictError{Key: c.Key, Reason: "duplicate limit change key"}
	}
	c.Seq = seqs[0]
	return c, nil
}

func (t *quotaTx) LimitChanges(ctx context.Context, pool quota.PoolID) ([]quota.LimitChange, error) {
	if pool == "" {
		return scanQuotaLimitChanges(ctx, t.g, `SELECT seq, doc FROM quota_limit_changes ORDER BY seq`)
	}
	return scanQuotaLimitChanges(ctx, t.g, `SELECT seq, doc FROM quota_limit_changes WHERE pool = ? ORDER BY seq`, string(pool))
}
