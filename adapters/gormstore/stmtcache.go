package gormstore

import (
	"context"
	"database/sql"
	"sync"

	"gorm.io/gorm"
)

// maxCachedStmts bounds the statements an SQLite writer keeps prepared.
const maxCachedStmts = 256

// stmtCache is the gorm.ConnPool of an SQLite writer. mattn/go-sqlite3
// prepares every statement anew, and GORM's PrepareStmt re-prepares
// statements inside transactions (they are bound to the transaction), so
// the writer's critical section would spend a fifth of its time in
// sqlite3_prepare. stmtCache prepares each query once on the *sql.DB — the
// writer has a single connection, so that is the connection every
// transaction runs on — and executes it in transactions through
// Tx.StmtContext, which reuses the connection's prepared statement.
//
// A query first seen inside a transaction runs unprepared (preparing on the
// DB then would wait for the connection the transaction holds) and is
// prepared after the transaction ends.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	want  map[string]bool
}

var (
	_ gorm.ConnPool         = (*stmtCache)(nil)
	_ gorm.ConnPoolBeginner = (*stmtCache)(nil)
	_ gorm.GetDBConnector   = (*stmtCache)(nil)
	_ gorm.Tx               = (*stmtCacheTx)(nil)
)

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, want: map[string]bool{}}
}

// lookup returns the prepared statement for q, or nil after noting that q
// is wanted.
func (c *stmtCache) lookup(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stmts[q]
	if s == nil && len(c.stmts)+len(c.want) < maxCachedStmts {
		c.want[q] = true
	}
	return s
}

// prepareWanted prepares the queries noted by lookup. It is called when no
// transaction of the caller holds the connection.
func (c *stmtCache) prepareWanted() {
	c.mu.Lock()
	if len(c.want) == 0 {
		c.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(c.want))
	for q := range c.want {
		qs = append(qs, q)
	}
	clear(c.want)
	c.mu.Unlock()
	for _, q := range qs {
		s, err := c.db.PrepareContext(context.Background(), q)
		if err != nil {
			continue // e.g. a table created by a rolled-back transaction: run it unprepared
		}
		c.mu.Lock()
		if c.stmts[q] == nil {
			c.stmts[q], s = s, nil
		}
		c.mu.Unlock()
		if s != nil {
			s.Close()
		}
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		s.Close()
	}
	clear(c.stmts)
}

// GetDBConn lets gorm.DB.DB() find the *sql.DB.
func (c *stmtCache) GetDBConn() (*sql.DB, error) { return c.db, nil }

func (c *stmtCache) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return c.db.PrepareContext(ctx, q)
}

func (c *stmtCache) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	defer c.prepareWanted()
	if s := c.lookup(q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return c.db.ExecContext(ctx, q, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := c.lookup(q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, q, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := c.lookup(q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, q, args...)
}

func (c *stmtCache) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := c.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &stmtCacheTx{c: c, tx: tx}, nil
}

// stmtCacheTx is a transaction of a stmtCache.
type stmtCacheTx struct {
	c  *stmtCache
	tx *sql.Tx
}

func (t *stmtCacheTx) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, q)
}

func (t *stmtCacheTx) StmtContext(ctx context.Context, s *sql.Stmt) *sql.Stmt {
	return t.tx.StmtContext(ctx, s)
}

func (t *stmtCacheTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := t.c.lookup(q); s != nil {
		return t.tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *stmtCacheTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := t.c.lookup(q); s != nil {
		return t.tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *stmtCacheTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := t.c.lookup(q); s != nil {
		return t.tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

func (t *stmtCacheTx) Commit() error {
	err := t.tx.Commit()
	t.c.prepareWanted()
	return err
}

func (t *stmtCacheTx) Rollback() error {
	err := t.tx.Rollback()
	t.c.prepareWanted()
	return err
}
