// Package gormjobs is the dispatch.Store on GORM: SQLite for one process,
// PostgreSQL for several dispatcher instances (in several processes) on one
// database. It keeps two tables, dispatch_jobs and dispatch_attempts, created
// by Migrate.
//
// Leases are claimed with a conditional UPDATE (… WHERE key = ? AND the lease
// is free or expired): under concurrent claims exactly one succeeds, on
// SQLite (one writer) and on PostgreSQL (the second UPDATE waits for the
// first's row lock and re-checks its condition). Instants that are compared
// in SQL (next_at, leased_until) are stored as Unix microseconds.
//
// Use it with the platform's database (gormstore.DB.Gorm()) or a *gorm.DB of
// its own; on SQLite give the pool one connection and a busy timeout.
package gormjobs
