// Package gormstore keeps govcloud's stores in a SQL database through GORM:
// SQLite (the embedded default: one file, or in memory) or PostgreSQL.
//
// # Opening
//
//	db, err := gormstore.Open(ctx, gormstore.Options{DSN: "govcloud.db"})
//	if err != nil { ... }
//	defer db.Close()
//	store := db.Workflow() // a workflow.Store
//
// Open validates the Options (an *OptionError names the wrong field), connects,
// and migrates the schema before it returns. The same *DB serves every store
// area of the platform; (*DB).Gorm exposes its *gorm.DB to the store areas of
// this package. Besides Workflow: Quota, Billing, Assessment, Jobs (the
// dispatcher's dispatch.Store: work orders owed to vendors and every attempt;
// several dispatcher instances on one PostgreSQL database lease each job to
// one of them) and Nonces (the shared replay protection of signed vendor
// callbacks, an httpprovider.NonceStore) and OpenStackOps (the operations of
// the OpenStack vendor adapter, an openstack.OpStore: a restarted adapter,
// or several on one PostgreSQL database, keep every idempotency key; Put is
// a compare-and-set on the operation's revision).
//
// # SQLite or PostgreSQL
//
// Choose SQLite for one process: a single department's installation, a
// simulation, tests, the quickstart. Nothing to run besides the program; the
// database is one file. Open configures it for that use: WAL journal (readers
// never block the writer), synchronous=NORMAL (a commit survives a crash of
// the program; after a power loss the last commits may be lost, never the
// database), foreign keys on, busy_timeout (default 5s). SQLite allows one
// writer at a time, so a DB keeps exactly one writer connection, whose
// transactions start with BEGIN IMMEDIATE; concurrent writers in the process
// queue for it in Go instead of retrying on SQLITE_BUSY, and plain reads go to
// a separate pool of read-only connections. Three measures keep that single
// writer fast: concurrent workflow commits are grouped into one SQLite
// transaction, each in its own savepoint (a failing commit rolls back alone;
// every caller returns after the shared COMMIT); the writer keeps its
// prepared statements; and WAL checkpoints run on a background connection
// rather than inside some unlucky commit. A batch job in one process that calls
// the store from one goroutine at a time (a simulation, a bulk import) sets
// Options.SQLiteExclusive instead: one connection holds the file for reads
// and writes, so its page cache stays valid across transactions (a reader
// pool re-reads every page the writer changed), and nothing else may open
// the file meanwhile; inside a transition every store call must then use the
// transaction handle. DB.BackupTo copies a live SQLite database to a new
// file (VACUUM INTO; this process's writes wait for the copy). A DSN of ":memory:" gives a private
// in-memory database (one connection, gone on Close); a shared-cache URI such
// as "file:name?mode=memory&cache=shared" is shared by every Open in the
// process that names it (shared-cache connections lock whole tables, so
// heavy concurrent writing through several such Opens can fail with "table
// is locked": use one DB per in-memory database for concurrent work). Several processes may open one SQLite file; they
// serialise their writes through SQLite's lock and busy_timeout, which works
// but is slow under contention: use PostgreSQL for that.
//
// Choose PostgreSQL (Driver Postgres, or a DSN starting postgres://) when
// several instances serve one platform, for high availability, or for
// volumes beyond one machine's disk. All correctness rests on the database,
// not on the process: optimistic versions, unique keys and row locks.
//
// # Running several instances on one PostgreSQL
//
// Any number of processes may Open the same database and schema at once:
//
//   - Migrations take a transaction-scoped advisory lock
//     (pg_advisory_xact_lock, keyed by the current schema): the first
//     instance migrates, the others wait and then find nothing to do.
//   - A transition is one transaction: application row, audit record, outbox
//     messages, work orders and whatever participants (quota, …) write. The
//     application is updated with UPDATE … WHERE id = ? AND version = ?; when
//     another instance got there first no row matches and Commit returns
//     workflow.ErrConflict, so exactly one of two racing transitions wins and
//     the audit chain never forks.
//   - Outbox leasing locks delivery rows with FOR UPDATE SKIP LOCKED, so
//     competing dispatchers in different processes never receive the same
//     message under live leases. A subscriber's cursor advances only past
//     transactions older than the snapshot's xmin, so a message whose
//     transaction commits late, with a lower position than messages already
//     seen, is still delivered.
//   - Keep each pool small (Options.MaxOpenConns, default 10):
//     instances × pool must stay under the server's max_connections.
//
// # Migrations
//
// The schema is a list of numbered migrations (Migrations), each with explicit
// DDL for SQLite and for PostgreSQL, applied in version order. Open records
// each applied migration in schema_migrations (version, name, checksum,
// applied_at) and applies the pending ones in one transaction, so a failed
// migration leaves the database as it was. Re-opening applies nothing. A
// database that holds a version this code does not know was migrated by
// newer code: Open fails with ErrSchemaTooNew rather than run old code on a
// new schema. A recorded checksum that differs from the code's means a
// shipped migration was edited: Open fails with ErrMigrationChanged. Never
// edit a shipped migration; add a new one.
//
// Each store area owns a version range (Areas), so areas add migrations
// without clashing: 1–99 this package, workflow 100–199, quota 200–299,
// billing 300–399, assessment 400–499, dispatcher/provider 500–599, openstack
// (the vendor adapter's operations) 600–699. A new
// migration in a lower range than the newest applied one is still applied.
//
// # Storage layout
//
// Every record is kept whole as JSON in a doc column (the source of truth for
// reads); the fields that queries filter or sort on are copied into indexed
// columns. Instants in columns are int64 nanoseconds since the Unix epoch (the
// same on both engines, exact, compared as integers); a missing deadline is
// NULL, so the overdue query reads a partial index on (due_at, id) or (party,
// due_at, id) holding only applications with a deadline.
//
// # Transactions shared with other stores
//
// WorkflowStore.Commit passes its transaction to the engine's participants as
// workflow.Tx; its dynamic type is *gorm.DB. A store of another area that
// lives in the same DB type-asserts it and writes through it, so its rows
// commit or roll back with the transition. Inside that callback never use
// (*DB).Gorm or another store method that opens its own transaction: on SQLite
// that waits forever for the single writer connection the transition holds.
package gormstore
