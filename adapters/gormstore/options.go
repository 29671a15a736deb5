package gormstore

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Driver names the database engine behind a DB.
type Driver string

const (
	// SQLite is the embedded default: one file (or an in-memory database) in
	// the process, through gorm.io/driver/sqlite (mattn/go-sqlite3, cgo).
	SQLite Driver = "sqlite"
	// Postgres is PostgreSQL through gorm.io/driver/postgres (pgx).
	Postgres Driver = "postgres"
)

// Defaults used by Options when a field is zero.
const (
	DefaultBusyTimeout      = 5 * time.Second
	DefaultPostgresMaxOpen  = 10
	DefaultSQLiteReaders    = 4
	DefaultSlowQueryWarning = 500 * time.Millisecond
)

// Sentinel errors. Typed errors below match them with errors.Is.
var (
	// ErrInvalidOptions reports an Options value that Validate rejects.
	ErrInvalidOptions = errors.New("gormstore: invalid options")
	// ErrSchemaTooNew reports a database migrated by newer code than this
	// binary: it holds a migration version this code does not know.
	ErrSchemaTooNew = errors.New("gormstore: database schema is newer than this code")
	// ErrMigrationChanged reports an applied migration whose checksum differs
	// from the same version in the code: someone edited a shipped migration.
	ErrMigrationChanged = errors.New("gormstore: applied migration differs from the code")
	// ErrBadMigration reports a malformed migration list (order, range, name).
	ErrBadMigration = errors.New("gormstore: malformed migration list")
	// ErrUnsupported: the operation does not exist for this database engine.
	ErrUnsupported = errors.New("gormstore: not supported by this database")
)

// OptionError names the Options field that is wrong and why. It matches
// ErrInvalidOptions.
type OptionError struct {
	Field  string
	Reason string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("gormstore: invalid options: %s: %s", e.Field, e.Reason)
}

// Is reports whether target is ErrInvalidOptions.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }

// Options configures Open. The zero value is not valid: DSN is required.
type Options struct {
	// Driver selects the engine. Empty means: Postgres when DSN starts with
	// "postgres://" or "postgresql://", SQLite otherwise.
	Driver Driver

	// DSN locates the database.
	//
	// SQLite: a file path ("govcloud.db", "/var/lib/govcloud/db.sqlite"), a
	// "file:" URI, ":memory:" (a private in-memory database, gone on Close),
	// or a shared-cache in-memory URI such as "file:name?mode=memory&cache=shared"
	// (shared by every Open in the process that names it). Open adds the
	// pragmas it needs; do not pass _txlock or _journal_mode yourself.
	//
	// PostgreSQL: a URL ("postgres://user@host:5432/db?sslmode=disable") or a
	// key=value string ("host=... user=... dbname=..."); search_path selects
	// the schema.
	DSN string

	// MaxOpenConns bounds the connection pool. PostgreSQL: the whole pool
	// (default 10). SQLite file: the reader pool (default 4); writes always
	// use one dedicated writer connection. SQLite in-memory: ignored (one
	// connection).
	MaxOpenConns int
	// MaxIdleConns bounds idle connections kept (default: MaxOpenConns).
	MaxIdleConns int
	// ConnMaxLifetime recycles connections older than this (0: never).
	ConnMaxLifetime time.Duration

	// BusyTimeout is SQLite's busy_timeout: how long a connection waits for
	// another process's write lock before SQLITE_BUSY (default 5s). Writers
	// inside one process never wait on it: they queue for the writer
	// connection instead.
	BusyTimeout time.Duration

	// SQLiteSynchronous is SQLite's synchronous pragma: "NORMAL" (the
	// default when empty), "FULL" or "OFF" (case-insensitive). NORMAL in WAL
	// mode never corrupts the database; a power loss may lose the last
	// committed transactions. FULL also keeps those, at an fsync per commit.
	// OFF skips fsync altogether: a power loss or OS crash may lose recent
	// transactions and, rarely, corrupt the file. Use OFF only for databases
	// that can be thrown away and rebuilt: simulations and tests, never a
	// platform's records. Setting it with PostgreSQL is an error.
	SQLiteSynchronous string

	// SQLiteExclusive opens an SQLite file on one connection that serves
	// reads and writes and holds the file exclusively (locking_mode
	// EXCLUSIVE): no reader pool, no background checkpointer, no group
	// commit. For a single-process batch job that calls the store from one
	// goroutine at a time — a simulation, a bulk import — it is much faster:
	// the connection's page cache stays valid across transactions, where a
	// reader pool re-reads every page the writer changed. No other process
	// (nor another DB in this one) can open the file while it is open, and
	// concurrent callers queue for the connection. As with ":memory:", code
	// running inside a transition (a workflow Participant) must make every
	// store call through the transaction handle: a plain read would wait for
	// the one connection the transition holds. Setting it with PostgreSQL or
	// an in-memory database is an error.
	SQLiteExclusive bool

	// Logger receives migration events and slow or failed SQL (nil: silent).
	Logger *slog.Logger
	// SlowQuery is the duration above which SQL is logged as slow
	// (default 500ms; negative disables).
	SlowQuery time.Duration
}

// driver returns the effective driver (Driver, or the one inferred from DSN).
func (o Options) driver() Driver {
	if o.Driver != "" {
		return o.Driver
	}
	if isPostgresURL(o.DSN) {
		return Postgres
	}
	return SQLite
}

func isPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Validate reports the first wrong field as an *OptionError.
func (o Options) Validate() error {
	d := o.driver()
	switch d {
	case SQLite, Postgres:
	default:
		return &OptionError{Field: "Driver", Reason: fmt.Sprintf("unknown driver %q (want %q or %q)", o.Driver, SQLite, Postgres)}
	}
	if strings.TrimSpace(o.DSN) == "" {
		return &OptionError{Field: "DSN", Reason: "empty"}
	}
	if d == SQLite {
		if isPostgresURL(o.DSN) {
			return &OptionError{Field: "DSN", Reason: "a PostgreSQL URL with Driver sqlite"}
		}
		if !strings.HasPrefix(o.DSN, "file:") && strings.ContainsAny(o.DSN, "?#") {
			return &OptionError{Field: "DSN", Reason: "SQLite path contains '?' or '#': use a file: URI"}
		}
		for _, p := range []string{"_txlock", "_journal_mode", "_journal", "_query_only", "_synchronous", "_sync", "_locking_mode", "_locking"} {
			if strings.Contains(o.DSN, p+"=") {
				return &OptionError{Field: "DSN", Reason: "sets " + p + ", which Open controls"}
			}
		}
	}
	if o.MaxOpenConns < 0 {
		return &OptionError{Field: "MaxOpenConns", Reason: fmt.Sprintf("negative (%d)", o.MaxOpenConns)}
	}
	if o.MaxIdleConns < 0 {
		return &OptionError{Field: "MaxIdleConns", Reason: fmt.Sprintf("negative (%d)", o.MaxIdleConns)}
	}
	if o.MaxOpenConns > 0 && o.MaxIdleConns > o.MaxOpenConns {
		return &OptionError{Field: "MaxIdleConns", Reason: fmt.Sprintf("%d exceeds MaxOpenConns %d", o.MaxIdleConns, o.MaxOpenConns)}
	}
	if o.ConnMaxLifetime < 0 {
		return &OptionError{Field: "ConnMaxLifetime", Reason: "negative"}
	}
	if o.BusyTimeout < 0 {
		return &OptionError{Field: "BusyTimeout", Reason: "negative"}
	}
	if d == Postgres && o.BusyTimeout != 0 {
		return &OptionError{Field: "BusyTimeout", Reason: "only meaningful for SQLite"}
	}
	if o.SQLiteSynchronous != "" {
		if d == Postgres {
			return &OptionError{Field: "SQLiteSynchronous", Reason: "only meaningful for SQLite"}
		}
		if _, ok := sqliteSyncModes[strings.ToUpper(o.SQLiteSynchronous)]; !ok {
			return &OptionError{Field: "SQLiteSynchronous", Reason: fmt.Sprintf("unknown mode %q (want OFF, NORMAL or FULL)", o.SQLiteSynchronous)}
		}
	}
	if o.SQLiteExclusive {
		if d == Postgres {
			return &OptionError{Field: "SQLiteExclusive", Reason: "only meaningful for SQLite"}
		}
		if isMemory(o.DSN) {
			return &OptionError{Field: "SQLiteExclusive", Reason: "an in-memory database is on one connection already"}
		}
	}
	return nil
}

// sqliteSyncModes are the accepted values of Options.SQLiteSynchronous.
var sqliteSyncModes = map[string]bool{"OFF": true, "NORMAL": true, "FULL": true}

// sqliteSynchronous returns the effective synchronous mode (upper case).
func (o Options) sqliteSynchronous() string {
	if o.SQLiteSynchronous == "" {
		return "NORMAL"
	}
	return strings.ToUpper(o.SQLiteSynchronous)
}

// isMemory reports whether an SQLite DSN names an in-memory database.
func isMemory(dsn string) bool {
	return dsn == ":memory:" || strings.HasPrefix(dsn, "file::memory:") ||
		strings.Contains(dsn, "mode=memory")
}
