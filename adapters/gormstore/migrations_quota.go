package gormstore

// quotaMigrations create the tables of the quota store (versions 200–299).
//
// Each row keeps the full record as JSON in doc; the columns copy what the
// store locks, filters, orders or checks on. version supports the
// compare-and-set writes (UPDATE … WHERE version = ?); key is the
// idempotency key, unique, so a movement is recorded at most once.
func quotaMigrations() []Migration {
	return []Migration{
		{
			Version: 200,
			Name:    "quota: pools, reservations, movements, limit changes",
			SQLite: []string{
				`CREATE TABLE quota_pools (
					id      TEXT PRIMARY KEY,
					parent  TEXT NOT NULL,
					kind    TEXT NOT NULL,
					version INTEGER NOT NULL,
					doc     TEXT NOT NULL
				)`,
				`CREATE INDEX quota_pools_parent ON quota_pools (parent, id)`,
				`CREATE TABLE quota_reservations (
					application TEXT PRIMARY KEY,
					pool        TEXT NOT NULL,
					state       TEXT NOT NULL,
					version     INTEGER NOT NULL,
					expires_at  INTEGER,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX quota_reservations_pool ON quota_reservations (pool, application)`,
				`CREATE INDEX quota_reservations_holds ON quota_reservations (expires_at, application) WHERE state = 'held'`,
				`CREATE TABLE quota_movements (
					seq         INTEGER PRIMARY KEY AUTOINCREMENT,
					key         TEXT NOT NULL UNIQUE,
					application TEXT NOT NULL,
					pool        TEXT NOT NULL,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX quota_movements_application ON quota_movements (application, seq)`,
				`CREATE INDEX quota_movements_pool ON quota_movements (pool, seq)`,
				`CREATE TABLE quota_limit_changes (
					seq  INTEGER PRIMARY KEY AUTOINCREMENT,
					key  TEXT UNIQUE,
					pool TEXT NOT NULL,
					doc  TEXT NOT NULL
				)`,
				`CREATE INDEX quota_limit_changes_pool ON quota_limit_changes (pool, seq)`,
			},
			Postgres: []string{
				`CREATE TABLE quota_pools (
					id      TEXT PRIMARY KEY,
					parent  TEXT NOT NULL,
					kind    TEXT NOT NULL,
					version BIGINT NOT NULL,
					doc     TEXT NOT NULL
				)`,
				`CREATE INDEX quota_pools_parent ON quota_pools (parent, id)`,
				`CREATE TABLE quota_reservations (
					application TEXT PRIMARY KEY,
					pool        TEXT NOT NULL,
					state       TEXT NOT NULL,
					version     BIGINT NOT NULL,
					expires_at  BIGINT,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX quota_reservations_pool ON quota_reservations (pool, application)`,
				`CREATE INDEX quota_reservations_holds ON quota_reservations (expires_at, application) WHERE state = 'held'`,
				`CREATE TABLE quota_movements (
					seq         BIGSERIAL PRIMARY KEY,
					key         TEXT NOT NULL UNIQUE,
					application TEXT NOT NULL,
					pool        TEXT NOT NULL,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX quota_movements_application ON quota_movements (application, seq)`,
				`CREATE INDEX quota_movements_pool ON quota_movements (pool, seq)`,
				`CREATE TABLE quota_limit_changes (
					seq  BIGSERIAL PRIMARY KEY,
					key  TEXT UNIQUE,
					pool TEXT NOT NULL,
					doc  TEXT NOT NULL
				)`,
				`CREATE INDEX quota_limit_changes_pool ON quota_limit_changes (pool, seq)`,
			},
		},
	}
}
