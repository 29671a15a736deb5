package gormstore

// openstackMigrations create the operation store of the OpenStack vendor
// adapter (versions 600–699): one row per idempotency key, the whole
// openstack.Op as JSON in doc, and the columns Running and the
// compare-and-set of Put need. The partial index holds only unfinished
// operations, so Running reads a few rows whatever the history.
func openstackMigrations() []Migration {
	return []Migration{
		{
			Version: 600,
			Name:    "openstack: adapter operations",
			SQLite: []string{
				`CREATE TABLE openstack_ops (
					op_key      TEXT PRIMARY KEY,
					application TEXT NOT NULL,
					running     BOOLEAN NOT NULL,
					accepted_at INTEGER NOT NULL,
					revision    INTEGER NOT NULL,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX openstack_ops_running ON openstack_ops (application, accepted_at, op_key) WHERE running`,
			},
			Postgres: []string{
				`CREATE TABLE openstack_ops (
					op_key      TEXT PRIMARY KEY,
					application TEXT NOT NULL,
					running     BOOLEAN NOT NULL,
					accepted_at BIGINT NOT NULL,
					revision    BIGINT NOT NULL,
					doc         TEXT NOT NULL
				)`,
				`CREATE INDEX openstack_ops_running ON openstack_ops (application, accepted_at, op_key) WHERE running`,
			},
		},
	}
}
