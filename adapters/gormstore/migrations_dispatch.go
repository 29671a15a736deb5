package gormstore

// dispatchMigrations create the tables of the dispatcher's job store and of
// the shared nonce store of signed vendor callbacks (versions 500–599).
//
// Instants are int64 Unix nanoseconds, 0 for the zero time (a job's
// unset due instant or lease). A job's row never changes its request;
// leases are claimed with a conditional UPDATE on lease_owner/leased_until.
func dispatchMigrations() []Migration {
	return []Migration{
		{
			Version: 500,
			Name:    "dispatcher: jobs and attempts",
			SQLite: []string{
				`CREATE TABLE dispatch_jobs (
					job_key      TEXT PRIMARY KEY,
					application  TEXT NOT NULL,
					seq          INTEGER NOT NULL,
					vendor       TEXT NOT NULL,
					work_order   TEXT NOT NULL,
					op           TEXT NOT NULL,
					request      BLOB NOT NULL,
					due_at       INTEGER NOT NULL,
					status       TEXT NOT NULL,
					attempts     INTEGER NOT NULL,
					next_at      INTEGER NOT NULL,
					lease_owner  TEXT NOT NULL,
					leased_until INTEGER NOT NULL,
					last_error   TEXT NOT NULL,
					last_code    TEXT NOT NULL,
					created_at   INTEGER NOT NULL,
					updated_at   INTEGER NOT NULL
				)`,
				`CREATE INDEX dispatch_jobs_app_seq ON dispatch_jobs (application, seq)`,
				`CREATE INDEX dispatch_jobs_due ON dispatch_jobs (next_at, job_key) WHERE status IN ('pending', 'waiting')`,
				`CREATE INDEX dispatch_jobs_status ON dispatch_jobs (status, application, seq)`,
				`CREATE TABLE dispatch_attempts (
					id      INTEGER PRIMARY KEY AUTOINCREMENT,
					job_key TEXT NOT NULL,
					n       INTEGER NOT NULL,
					at      INTEGER NOT NULL,
					owner   TEXT NOT NULL,
					poll    INTEGER NOT NULL,
					outcome TEXT NOT NULL,
					code    TEXT NOT NULL,
					message TEXT NOT NULL
				)`,
				`CREATE INDEX dispatch_attempts_job ON dispatch_attempts (job_key, id)`,
			},
			Postgres: []string{
				`CREATE TABLE dispatch_jobs (
					job_key      TEXT PRIMARY KEY,
					application  TEXT NOT NULL,
					seq          BIGINT NOT NULL,
					vendor       TEXT NOT NULL,
					work_order   TEXT NOT NULL,
					op           TEXT NOT NULL,
					request      BYTEA NOT NULL,
					due_at       BIGINT NOT NULL,
					status       TEXT NOT NULL,
					attempts     INTEGER NOT NULL,
					next_at      BIGINT NOT NULL,
					lease_owner  TEXT NOT NULL,
					leased_until BIGINT NOT NULL,
					last_error   TEXT NOT NULL,
					last_code    TEXT NOT NULL,
					created_at   BIGINT NOT NULL,
					updated_at   BIGINT NOT NULL
				)`,
				`CREATE INDEX dispatch_jobs_app_seq ON dispatch_jobs (application, seq)`,
				`CREATE INDEX dispatch_jobs_due ON dispatch_jobs (next_at, job_key) WHERE status IN ('pending', 'waiting')`,
				`CREATE INDEX dispatch_jobs_status ON dispatch_jobs (status, application, seq)`,
				`CREATE TABLE dispatch_attempts (
					id      BIGSERIAL PRIMARY KEY,
					job_key TEXT NOT NULL,
					n       INTEGER NOT NULL,
					at      BIGINT NOT NULL,
					owner   TEXT NOT NULL,
					poll    BOOLEAN NOT NULL,
					outcome TEXT NOT NULL,
					code    TEXT NOT NULL,
					message TEXT NOT NULL
				)`,
				`CREATE INDEX dispatch_attempts_job ON dispatch_attempts (job_key, id)`,
			},
		},
		{
			Version: 501,
			Name:    "dispatcher: nonces of signed vendor callbacks",
			SQLite: []string{
				`CREATE TABLE http_nonces (
					nonce      TEXT PRIMARY KEY,
					expires_at INTEGER NOT NULL
				)`,
				`CREATE INDEX http_nonces_expires ON http_nonces (expires_at)`,
			},
			Postgres: []string{
				`CREATE TABLE http_nonces (
					nonce      TEXT PRIMARY KEY,
					expires_at BIGINT NOT NULL
				)`,
				`CREATE INDEX http_nonces_expires ON http_nonces (expires_at)`,
			},
		},
	}
}
