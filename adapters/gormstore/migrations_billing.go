package gormstore

// billingMigrations create the tables of the billing store (versions
// 300–399).
//
// Each row keeps the full record as JSON in doc (the source of truth for
// reads); the columns copy what the store filters on or checks. Instants in
// columns are int64 microseconds since the Unix epoch (usage may lie in
// years up to 9999, beyond int64 nanoseconds). version supports the
// compare-and-set updates of statements and settlements. Lists are ordered
// in Go, byte-wise, so both engines return the same order whatever their
// collation; a paged statement listing is ordered in SQL, in PostgreSQL's
// "C" collation, byte-wise too. At most one statement that is not void exists per department,
// vendor and month (bill_statements_live), so two concurrent drafts of the
// same month cannot both commit: the second fails with ErrConflict.
func billingMigrations() []Migration {
	return []Migration{
		{
			Version: 300,
			Name:    "billing: catalog, usage, parked usage, statements, settlements, budgets",
			SQLite: []string{
				`CREATE TABLE bill_items (
					code TEXT PRIMARY KEY,
					doc  TEXT NOT NULL
				)`,
				`CREATE TABLE bill_prices (
					seq INTEGER PRIMARY KEY AUTOINCREMENT,
					doc TEXT NOT NULL
				)`,
				`CREATE TABLE bill_usage (
					ukey       TEXT PRIMARY KEY,
					department TEXT NOT NULL,
					vendor     TEXT NOT NULL,
					item       TEXT NOT NULL,
					start_us   INTEGER NOT NULL,
					end_us     INTEGER NOT NULL,
					doc        TEXT NOT NULL
				)`,
				`CREATE INDEX bill_usage_dv ON bill_usage (department, vendor, start_us)`,
				`CREATE INDEX bill_usage_start ON bill_usage (start_us)`,
				`CREATE TABLE bill_parked (
					ukey  TEXT NOT NULL,
					month TEXT NOT NULL,
					doc   TEXT NOT NULL,
					PRIMARY KEY (ukey, month)
				)`,
				`CREATE TABLE bill_statements (
					id          TEXT PRIMARY KEY,
					department  TEXT NOT NULL,
					vendor      TEXT NOT NULL,
					month       TEXT NOT NULL,
					fiscal_year INTEGER NOT NULL,
					state       TEXT NOT NULL,
					version     INTEGER NOT NULL,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX bill_statements_dvm ON bill_statements (department, vendor, month)`,
				`CREATE UNIQUE INDEX bill_statements_live ON bill_statements (department, vendor, month) WHERE state <> 'void'`,
				`CREATE INDEX bill_statements_month ON bill_statements (month)`,
				`CREATE INDEX bill_statements_fy ON bill_statements (fiscal_year, department)`,
				`CREATE TABLE bill_settlements (
					id          TEXT PRIMARY KEY,
					fiscal_year INTEGER NOT NULL,
					version     INTEGER NOT NULL,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX bill_settlements_fy ON bill_settlements (fiscal_year)`,
				`CREATE TABLE bill_budgets (
					department  TEXT NOT NULL,
					fiscal_year INTEGER NOT NULL,
					doc         TEXT NOT NULL,
					PRIMARY KEY (department, fiscal_year)
				)`,
			},
			Postgres: []string{
				`CREATE TABLE bill_items (
					code TEXT PRIMARY KEY,
					doc  TEXT NOT NULL
				)`,
				`CREATE TABLE bill_prices (
					seq BIGSERIAL PRIMARY KEY,
					doc TEXT NOT NULL
				)`,
				`CREATE TABLE bill_usage (
					ukey       TEXT PRIMARY KEY,
					department TEXT NOT NULL,
					vendor     TEXT NOT NULL,
					item       TEXT NOT NULL,
					start_us   BIGINT NOT NULL,
					end_us     BIGINT NOT NULL,
					doc        TEXT NOT NULL
				)`,
				`CREATE INDEX bill_usage_dv ON bill_usage (department, vendor, start_us)`,
				`CREATE INDEX bill_usage_start ON bill_usage (start_us)`,
				`CREATE TABLE bill_parked (
					ukey  TEXT NOT NULL,
					month TEXT NOT NULL,
					doc   TEXT NOT NULL,
					PRIMARY KEY (ukey, month)
				)`,
				`CREATE TABLE bill_statements (
					id          TEXT PRIMARY KEY,
					department  TEXT NOT NULL,
					vendor      TEXT NOT NULL,
					month       TEXT NOT NULL,
					fiscal_year INTEGER NOT NULL,
					state       TEXT NOT NULL,
					version     BIGINT NOT NULL,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX bill_statements_dvm ON bill_statements (department, vendor, month)`,
				`CREATE UNIQUE INDEX bill_statements_live ON bill_statements (department, vendor, month) WHERE state <> 'void'`,
				`CREATE INDEX bill_statements_month ON bill_statements (month)`,
				`CREATE INDEX bill_statements_fy ON bill_statements (fiscal_year, department)`,
				`CREATE TABLE bill_settlements (
					id          TEXT PRIMARY KEY,
					fiscal_year INTEGER NOT NULL,
					version     BIGINT NOT NULL,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX bill_settlements_fy ON bill_settlements (fiscal_year)`,
				`CREATE TABLE bill_budgets (
					department  TEXT NOT NULL,
					fiscal_year INTEGER NOT NULL,
					doc         TEXT NOT NULL,
					PRIMARY KEY (department, fiscal_year)
				)`,
			},
		},
		{
			// The platform's lifecycle metering (package govcloud, billing_wiring.go):
			// one row per item × quantity × [from, to) of an application, written in
			// the transitions' transactions; to_us = 0 while the window is open.
			Version: 301,
			Name:    "billing: metering windows of the platform's lifecycle",
			SQLite: []string{
				`CREATE TABLE govcloud_meter_windows (
					application TEXT NOT NULL,
					idx         INTEGER NOT NULL,
					department  TEXT NOT NULL,
					vendor      TEXT NOT NULL,
					item        TEXT NOT NULL,
					quantity    INTEGER NOT NULL,
					from_us     INTEGER NOT NULL,
					to_us       INTEGER NOT NULL DEFAULT 0,
					opened_by   TEXT NOT NULL,
					opened_seq  INTEGER NOT NULL,
					closed_by   TEXT NOT NULL DEFAULT '',
					closed_seq  INTEGER NOT NULL DEFAULT 0,
					PRIMARY KEY (application, idx)
				)`,
				`CREATE INDEX govcloud_meter_windows_from ON govcloud_meter_windows (from_us)`,
			},
			Postgres: []string{
				`CREATE TABLE govcloud_meter_windows (
					application VARCHAR(64) NOT NULL,
					idx         INTEGER NOT NULL,
					department  VARCHAR(64) NOT NULL,
					vendor      VARCHAR(64) NOT NULL,
					item        VARCHAR(64) NOT NULL,
					quantity    BIGINT NOT NULL,
					from_us     BIGINT NOT NULL,
					to_us       BIGINT NOT NULL DEFAULT 0,
					opened_by   VARCHAR(200) NOT NULL,
					opened_seq  BIGINT NOT NULL,
					closed_by   VARCHAR(200) NOT NULL DEFAULT '',
					closed_seq  BIGINT NOT NULL DEFAULT 0,
					PRIMARY KEY (application, idx)
				)`,
				`CREATE INDEX govcloud_meter_windows_from ON govcloud_meter_windows (from_us)`,
			},
		},
		{
			// Paged listings (StatementFilter.After and Limit) of a fiscal year
			// read this index in the listing order: byte-wise, so PostgreSQL
			// orders these columns in the "C" collation whatever the database's.
			Version: 302,
			Name:    "billing: statements in listing order by fiscal year, for paging",
			SQLite: []string{
				`CREATE INDEX bill_statements_order ON bill_statements (fiscal_year, month, department, vendor, id)`,
			},
			Postgres: []string{
				`CREATE INDEX bill_statements_order ON bill_statements (fiscal_year, month COLLATE "C",
					department COLLATE "C", vendor COLLATE "C", id COLLATE "C")`,
			},
		},
		{
			// A department's or a vendor's paged listing (the fixed column left
			// out of the order, see billingTx.Statements) seeks to its cursor.
			Version: 303,
			Name:    "billing: a department's and a vendor's statements in listing order, for paging",
			SQLite: []string{
				`CREATE INDEX bill_statements_dept_order ON bill_statements (department, month, vendor, id)`,
				`CREATE INDEX bill_statements_vendor_order ON bill_statements (vendor, month, department, id)`,
			},
			Postgres: []string{
				`CREATE INDEX bill_statements_dept_order ON bill_statements (department, month COLLATE "C",
					vendor COLLATE "C", id COLLATE "C")`,
				`CREATE INDEX bill_statements_vendor_order ON bill_statements (vendor, month COLLATE "C",
					department COLLATE "C", id COLLATE "C")`,
			},
		},
	}
}
