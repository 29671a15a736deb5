package quota

import (
	"context"
	"time"
)

// Store persists pools, reservations, movements and limit changes. It is
// deliberately small: it offers transactions, and the [Ledger] enforces every
// rule inside them. Implementations: adapters/memstore (NewQuotaStore) and
// adapters/gormstore (SQLite and PostgreSQL); quotatest.Run checks them.
type Store interface {
	// Update runs fn in one read-write transaction: if fn returns an error,
	// or the transaction cannot commit, nothing fn wrote is kept. Concurrent
	// Updates must be serialisable with respect to the pools they lock
	// (Tx.LockPool); an implementation may serialise all of them.
	Update(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// View runs fn in a read-only transaction over a consistent snapshot.
	View(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}

// Tx is the unit of work a Store hands to the Ledger. Reads return copies;
// writes take effect at commit. Not-found lookups return a *PoolError
// matching ErrUnknownPool, or an error matching ErrNoReservation.
type Tx interface {
	// Pool reads a pool without locking it.
	Pool(ctx context.Context, id PoolID) (Pool, error)
	// LockPool reads a pool and locks it until the transaction ends
	// (SELECT … FOR UPDATE). The Ledger locks pools top down (a parent
	// before its child), the fixed order that rules out deadlocks.
	LockPool(ctx context.Context, id PoolID) (Pool, error)
	// Pools lists every pool, sorted by ID.
	Pools(ctx context.Context) ([]Pool, error)
	// CreatePool inserts p; an existing ID fails with ErrExists.
	CreatePool(ctx context.Context, p Pool) error
	// UpdatePool overwrites the pool with p.ID (the caller holds its lock).
	// p.Version is the new version: the write fails with ErrConflict unless
	// the stored version is p.Version−1.
	UpdatePool(ctx context.Context, p Pool) error

	// Reservation reads an application's reservation.
	Reservation(ctx context.Context, app string) (Reservation, error)
	// PutReservation inserts (r.Version == 1) or overwrites the reservation
	// of r.Application. r.Version is the new version: the write fails with
	// ErrConflict unless the stored version is r.Version−1 (absent for 1),
	// which keeps two transactions from writing the same reservation.
	PutReservation(ctx context.Context, r Reservation) error
	// Reservations lists the reservations of a pool ("" for all), sorted by
	// application.
	Reservations(ctx context.Context, pool PoolID) ([]Reservation, error)
	// ExpiredHolds lists up to limit reservations in StateHeld whose
	// ExpiresAt is before now, oldest expiry first (limit <= 0: all of them).
	ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]Reservation, error)

	// MovementByKey finds a movement by idempotency key (found=false if none).
	MovementByKey(ctx context.Context, key string) (m Movement, found bool, err error)
	// AppendMovement stores m, assigning m.Seq; a duplicate key fails with
	// ErrConflict.
	AppendMovement(ctx context.Context, m Movement) (Movement, error)
	// Movements lists movements matching f in Seq order.
	Movements(ctx context.Context, f MovementFilter) ([]Movement, error)

	// LimitChangeByKey finds a limit change by idempotency key.
	LimitChangeByKey(ctx context.Context, key string) (c LimitChange, found bool, err error)
	// AppendLimitChange stores c, assigning c.Seq.
	AppendLimitChange(ctx context.Context, c LimitChange) (LimitChange, error)
	// LimitChanges lists the limit changes of a pool ("" for all) in Seq order.
	LimitChanges(ctx context.Context, pool PoolID) ([]LimitChange, error)
}

// MovementFilter selects movements; zero fields match everything.
type MovementFilter struct {
	Application string
	Pool        PoolID
	AfterSeq    int64 // only Seq > AfterSeq
	Limit       int   // at most this many (0: no limit)
}

// Match reports whether m passes f (ignoring Limit).
func (f MovementFilter) Match(m Movement) bool {
	return (f.Application == "" || m.Application == f.Application) &&
		(f.Pool == "" || m.Pool == f.Pool) && m.Seq > f.AfterSeq
}

// Clock supplies the current time (injected; the ledger never calls time.Now).
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }
