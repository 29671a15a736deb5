package gormstore

// workflowMigrations create the tables of the workflow store (versions 100–199).
//
// Every table keeps the full record as JSON in doc (the source of truth for
// reads) and copies the fields that queries filter or sort on into indexed
// columns. Instants in columns are int64 nanoseconds since the Unix epoch;
// due_at is NULL when there is no deadline, so the partial indexes on it hold
// only applications that have one.
func workflowMigrations() []Migration {
	return []Migration{
		{
			Version: 100,
			Name:    "workflow: applications, audit trail, work orders, outbox",
			SQLite: []string{
				`CREATE TABLE wf_applications (
					id          TEXT PRIMARY KEY,
					department  TEXT NOT NULL,
					vendor      TEXT NOT NULL,
					state       TEXT NOT NULL,
					version     INTEGER NOT NULL,
					party       TEXT NOT NULL,
					due_at      INTEGER,
					created_at  INTEGER NOT NULL,
					updated_at  INTEGER NOT NULL,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX wf_applications_department ON wf_applications (department, id)`,
				`CREATE INDEX wf_applications_vendor ON wf_applications (vendor, id)`,
				`CREATE INDEX wf_applications_state ON wf_applications (state, id)`,
				`CREATE INDEX wf_applications_due ON wf_applications (due_at, id) WHERE due_at IS NOT NULL`,
				`CREATE INDEX wf_applications_party_due ON wf_applications (party, due_at, id) WHERE due_at IS NOT NULL`,
				`CREATE TABLE wf_audit (
					application_id TEXT NOT NULL,
					seq            INTEGER NOT NULL,
					at             INTEGER NOT NULL,
					fired          TEXT NOT NULL,
					actor_role     TEXT NOT NULL,
					actor_id       TEXT NOT NULL,
					hash           TEXT NOT NULL,
					doc            TEXT NOT NULL,
					PRIMARY KEY (application_id, seq)
				) WITHOUT ROWID`,
				`CREATE TABLE wf_work_orders (
					id             TEXT PRIMARY KEY,
					application_id TEXT NOT NULL,
					department     TEXT NOT NULL,
					vendor         TEXT NOT NULL,
					kind           TEXT NOT NULL,
					status         TEXT NOT NULL,
					created_at     INTEGER NOT NULL,
					due_at         INTEGER,
					doc            TEXT NOT NULL
				)`,
				`CREATE INDEX wf_work_orders_application ON wf_work_orders (application_id, created_at, id)`,
				`CREATE INDEX wf_work_orders_vendor ON wf_work_orders (vendor, status, created_at, id)`,
				`CREATE INDEX wf_work_orders_department ON wf_work_orders (department, created_at, id)`,
				`CREATE INDEX wf_work_orders_status ON wf_work_orders (status, created_at, id)`,
				`CREATE INDEX wf_work_orders_open_due ON wf_work_orders (due_at) WHERE status = 'open'`,
				`CREATE TABLE wf_outbox (
					position        INTEGER PRIMARY KEY AUTOINCREMENT,
					id              TEXT NOT NULL UNIQUE,
					application_id  TEXT NOT NULL,
					seq             INTEGER NOT NULL,
					topic           TEXT NOT NULL,
					idempotency_key TEXT NOT NULL,
					payload         BLOB,
					created_at      INTEGER NOT NULL,
					txid            INTEGER NOT NULL DEFAULT 0,
					UNIQUE (application_id, seq)
				)`,
				`CREATE TABLE wf_subscribers (
					subscriber  TEXT PRIMARY KEY,
					cursor_txid INTEGER NOT NULL DEFAULT 0,
					cursor_pos  INTEGER NOT NULL DEFAULT 0
				)`,
				`CREATE TABLE wf_deliveries (
					subscriber     TEXT NOT NULL,
					message_id     TEXT NOT NULL,
					application_id TEXT NOT NULL,
					seq            INTEGER NOT NULL,
					position       INTEGER NOT NULL,
					acked          BOOLEAN NOT NULL DEFAULT FALSE,
					lease_id       TEXT,
					leased_until   INTEGER,
					attempt        INTEGER NOT NULL DEFAULT 0,
					PRIMARY KEY (subscriber, message_id)
				) WITHOUT ROWID`,
				`CREATE INDEX wf_deliveries_pending ON wf_deliveries (subscriber, position) WHERE NOT acked`,
				`CREATE INDEX wf_deliveries_pending_app ON wf_deliveries (subscriber, application_id, seq) WHERE NOT acked`,
			},
			Postgres: []string{
				`CREATE TABLE wf_applications (
					id          TEXT PRIMARY KEY,
					department  TEXT NOT NULL,
					vendor      TEXT NOT NULL,
					state       TEXT NOT NULL,
					version     BIGINT NOT NULL,
					party       TEXT NOT NULL,
					due_at      BIGINT,
					created_at  BIGINT NOT NULL,
					updated_at  BIGINT NOT NULL,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX wf_applications_department ON wf_applications (department, id)`,
				`CREATE INDEX wf_applications_vendor ON wf_applications (vendor, id)`,
				`CREATE INDEX wf_applications_state ON wf_applications (state, id)`,
				`CREATE INDEX wf_applications_due ON wf_applications (due_at, id) WHERE due_at IS NOT NULL`,
				`CREATE INDEX wf_applications_party_due ON wf_applications (party, due_at, id) WHERE due_at IS NOT NULL`,
				`CREATE TABLE wf_audit (
					application_id TEXT NOT NULL,
					seq            BIGINT NOT NULL,
					at             BIGINT NOT NULL,
					fired          TEXT NOT NULL,
					actor_role     TEXT NOT NULL,
					actor_id       TEXT NOT NULL,
					hash           TEXT NOT NULL,
					doc            TEXT NOT NULL,
					PRIMARY KEY (application_id, seq)
				)`,
				`CREATE TABLE wf_work_orders (
					id             TEXT PRIMARY KEY,
					application_id TEXT NOT NULL,
					department     TEXT NOT NULL,
					vendor         TEXT NOT NULL,
					kind           TEXT NOT NULL,
					status         TEXT NOT NULL,
					created_at     BIGINT NOT NULL,
					due_at         BIGINT,
					doc            TEXT NOT NULL
				)`,
				`CREATE INDEX wf_work_orders_application ON wf_work_orders (application_id, created_at, id)`,
				`CREATE INDEX wf_work_orders_vendor ON wf_work_orders (vendor, status, created_at, id)`,
				`CREATE INDEX wf_work_orders_department ON wf_work_orders (department, created_at, id)`,
				`CREATE INDEX wf_work_orders_status ON wf_work_orders (status, created_at, id)`,
				`CREATE INDEX wf_work_orders_open_due ON wf_work_orders (due_at) WHERE status = 'open'`,
				// txid is the inserting transaction's id. Lease uses it to
				// advance a subscriber's cursor only past transactions that
				// have ended, so a message committed late with a lower
				// position is never skipped.
				`CREATE TABLE wf_outbox (
					position        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
					id              TEXT NOT NULL UNIQUE,
					application_id  TEXT NOT NULL,
					seq             BIGINT NOT NULL,
					topic           TEXT NOT NULL,
					idempotency_key TEXT NOT NULL,
					payload         BYTEA,
					created_at      BIGINT NOT NULL,
					txid            BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
					UNIQUE (application_id, seq)
				)`,
				`CREATE INDEX wf_outbox_txid ON wf_outbox (txid, position)`,
				`CREATE TABLE wf_subscribers (
					subscriber  TEXT PRIMARY KEY,
					cursor_txid BIGINT NOT NULL DEFAULT 0,
					cursor_pos  BIGINT NOT NULL DEFAULT 0
				)`,
				`CREATE TABLE wf_deliveries (
					subscriber     TEXT NOT NULL,
					message_id     TEXT NOT NULL,
					application_id TEXT NOT NULL,
					seq            BIGINT NOT NULL,
					position       BIGINT NOT NULL,
					acked          BOOLEAN NOT NULL DEFAULT FALSE,
					lease_id       TEXT,
					leased_until   BIGINT,
					attempt        INTEGER NOT NULL DEFAULT 0,
					PRIMARY KEY (subscriber, message_id)
				)`,
				`CREATE INDEX wf_deliveries_pending ON wf_deliveries (subscriber, position) WHERE NOT acked`,
				`CREATE INDEX wf_deliveries_pending_app ON wf_deliveries (subscriber, application_id, seq) WHERE NOT acked`,
			},
		},
		{
			// Outbox retention (PruneOutbox) reads only the messages created
			// before its horizon, through this index, not the ones it keeps;
			// the index covers the columns it reads.
			Version: 101,
			Name:    "workflow: outbox by creation instant, for retention",
			SQLite: []string{
				`CREATE INDEX wf_outbox_created ON wf_outbox (created_at, position, id)`,
			},
			Postgres: []string{
				`CREATE INDEX wf_outbox_created ON wf_outbox (created_at, position) INCLUDE (id)`,
			},
		},
	}
}
