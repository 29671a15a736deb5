package gormstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// queryRows runs q with positional '?' arguments on g's connection (its
// transaction, when g is one). On SQLite it goes to the connection pool
// directly, skipping GORM's statement building, callbacks and the
// formatting of every statement for its logger, which on the document reads
// of a month close cost as much as the query (trace still reports slow and
// failed statements to the logger); on other dialects GORM rewrites the
// placeholders. The arguments must be scalars: a slice is not
// expanded for "IN ?".
func queryRows(ctx context.Context, g *gorm.DB, q string, args ...any) (*sql.Rows, error) {
	if g.Dialector.Name() != "sqlite" {
		return g.WithContext(ctx).Raw(q, args...).Rows()
	}
	begin := start(g)
	rows, err := g.Statement.ConnPool.QueryContext(ctx, q, args...)
	trace(ctx, g, begin, q, args, -1, err)
	return rows, err
}

// traced reports whether g logs SQL (Options.Logger is set).
func traced(g *gorm.DB) bool { return g.Logger != nil && g.Logger != logger.Discard }

// start returns the time a statement starts, for trace (zero when g does not
// log, sparing the clock).
func start(g *gorm.DB) time.Time {
	if !traced(g) {
		return time.Time{}
	}
	return time.Now()
}

// trace hands a statement run beside GORM to GORM's logger, as GORM would
// have: Options.Logger still sees slow and failed SQL. Without a logger
// (logger.Discard) it does nothing.
func trace(ctx context.Context, g *gorm.DB, begin time.Time, q string, args []any, rows int64, err error) {
	if !traced(g) {
		return
	}
	g.Logger.Trace(ctx, begin, func() (string, int64) { return g.Dialector.Explain(q, args...), rows }, err)
}

// execContext runs q like queryRows, for statements that return no rows:
// on SQLite on g's connection directly, elsewhere through GORM (g.Exec).
func execContext(ctx context.Context, g *gorm.DB, q string, args ...any) execResult {
	if g.Dialector.Name() != "sqlite" {
		r := g.WithContext(ctx).Exec(q, args...)
		return execResult{r.Error, r.RowsAffected}
	}
	begin := start(g)
	res, err := g.Statement.ConnPool.ExecContext(ctx, q, args...)
	if err != nil {
		trace(ctx, g, begin, q, args, -1, err)
		return execResult{Error: err}
	}
	n, err := res.RowsAffected()
	trace(ctx, g, begin, q, args, n, err)
	return execResult{err, n}
}

// int64Column runs q (with queryRows) and returns its single int64 column,
// e.g. the sequence numbers an INSERT … RETURNING assigned.
func int64Column(ctx context.Context, g *gorm.DB, q string, args ...any) ([]int64, error) {
	rows, err := queryRows(ctx, g, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// readDocs runs q like eachDoc, decodes each document into a T (instants in
// UTC) and calls keep with it and the row's sequence number. A document that
// does not decode is an error naming what; a failed query is one naming
// read.
func readDocs[T any](ctx context.Context, g *gorm.DB, what, read, q string, args []any, keep func(seq int64, v T)) error {
	var decodeErr error
	err := eachDoc(ctx, g, q, args, func(seq int64, doc []byte) error {
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			decodeErr = fmt.Errorf("gormstore: decode %s: %w", what, err)
			return decodeErr
		}
		utcAll(&v)
		keep(seq, v)
		return nil
	})
	switch {
	case decodeErr != nil:
		return decodeErr
	case err != nil:
		return fmt.Errorf("gormstore: %s: %w", read, err)
	}
	return nil
}

// eachDoc runs q, whose last column is a JSON document, and calls fn with
// the document of each row (and, when q selects two columns, the first as an
// int64, e.g. a sequence number). doc is valid only during the call: fn
// decodes it and must not keep it. Reading the document as sql.RawBytes
// spares a string and a []byte copy of every document.
func eachDoc(ctx context.Context, g *gorm.DB, q string, args []any, fn func(seq int64, doc []byte) error) error {
	rows, err := queryRows(ctx, g, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var seq int64
	var doc sql.RawBytes
	dest := []any{&doc}
	if len(cols) == 2 {
		dest = []any{&seq, &doc}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(seq, doc); err != nil {
			return err
		}
	}
	return rows.Err()
}
