package gormstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DB is an open govcloud database: a migrated schema and the connection
// pools to use it. It is safe for concurrent use. Close it when done.
type DB struct {
	driver Driver
	memory bool
	single bool // SQLite on one connection: in memory, or SQLiteExclusive
	// w runs every transaction and every write. On SQLite it is a pool of
	// exactly one connection whose BEGIN is BEGIN IMMEDIATE, so writers in
	// this process queue in Go instead of spinning on SQLITE_BUSY.
	w *gorm.DB
	// r serves plain reads outside transactions. On an SQLite file it is a
	// separate read-only pool (WAL lets readers run beside the writer); on
	// PostgreSQL and in-memory SQLite it is w.
	r   *gorm.DB
	log *slog.Logger

	// SQLite file only: the writer never checkpoints the WAL itself (that
	// would put an fsync of the database file inside some unlucky commit);
	// a background goroutine on its own connection runs passive checkpoints.
	stmts       *stmtCache      // SQLite writer's prepared statements
	group       *groupCommitter // SQLite: commits sharing one transaction
	ckpt        *sql.DB
	ckptStop    chan struct{}
	ckptDone    sync.WaitGroup
	checkpoints atomic.Int64
}

// checkpointInterval is how often the background checkpointer of an SQLite
// file copies committed WAL frames into the database file.
const checkpointInterval = 100 * time.Millisecond

// Open connects to the database that opts names, applies every pending
// schema migration (see Migrations), and returns the ready DB. Bad options
// return an *OptionError and open nothing.
func Open(ctx context.Context, opts Options) (*DB, error) {
	return open(ctx, opts, Migrations())
}

func open(ctx context.Context, opts Options, migs []Migration) (*DB, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := checkMigrations(migs); err != nil {
		return nil, err
	}
	db := &DB{driver: opts.driver(), log: opts.Logger}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	var err error
	switch db.driver {
	case SQLite:
		err = db.openSQLite(opts)
	case Postgres:
		err = db.openPostgres(opts)
	}
	if err != nil {
		return nil, err
	}
	if err := db.ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := migrate(ctx, db.w, db.driver, migs, db.log); err != nil {
		db.Close()
		return nil, err
	}
	if db.driver == SQLite && !db.single {
		if err := db.openSQLiteReader(opts); err != nil {
			db.Close()
			return nil, err
		}
		db.startCheckpointer(opts)
	}
	if db.driver == SQLite && !db.single {
		// Group commit amortises a file's WAL writes and fsyncs over
		// concurrent commits. A single connection (in memory, or a file
		// held exclusively) serves one caller at a time: its commits run in
		// the caller's goroutine, without the hand-off.
		db.group = newGroupCommitter(db.w)
	}
	return db, nil
}

func gormConfig(opts Options, prepare bool) *gorm.Config {
	lg := logger.Discard
	if opts.Logger != nil {
		slow := opts.SlowQuery
		if slow == 0 {
			slow = DefaultSlowQueryWarning
		}
		if slow < 0 {
			slow = 0
		}
		lg = logger.NewSlogLogger(opts.Logger, logger.Config{
			SlowThreshold:             slow,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
		})
	}
	return &gorm.Config{
		Logger: lg,
		// Every write this package makes runs in an explicit transaction.
		SkipDefaultTransaction: true,
		DisableAutomaticPing:   true,
		// mattn/go-sqlite3 prepares every statement anew; caching them cuts
		// the writer's critical section by about a fifth. (pgx caches
		// prepared statements itself.)
		PrepareStmt: prepare,
	}
}

// sqliteDSN appends the driver parameters to the user's DSN.
func sqliteDSN(dsn string, params url.Values) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + params.Encode()
}

// busyTimeout is BusyTimeout or its default.
func (o Options) busyTimeout() time.Duration {
	if o.BusyTimeout == 0 {
		return DefaultBusyTimeout
	}
	return o.BusyTimeout
}

func (o Options) sqliteParams() url.Values {
	p := url.Values{}
	p.Set("_busy_timeout", fmt.Sprint(o.busyTimeout().Milliseconds()))
	p.Set("_foreign_keys", "1")
	p.Set("_synchronous", o.sqliteSynchronous())
	return p
}

func (db *DB) openSQLite(opts Options) error {
	db.memory = isMemory(opts.DSN)
	db.single = db.memory || opts.SQLiteExclusive
	p := opts.sqliteParams()
	// BEGIN IMMEDIATE takes the write lock at the start of every transaction,
	// so a read-then-write transaction never fails half-way with SQLITE_BUSY
	// when another process wrote in between (no lock-upgrade deadlock).
	p.Set("_txlock", "immediate")
	pragmas := []string{sqliteCacheSize}
	if !db.memory {
		p.Set("_journal_mode", "WAL")
		if opts.SQLiteExclusive {
			// One connection holds the file: the WAL index lives in its
			// heap (no shared memory) and it checkpoints as it goes.
			p.Set("_locking_mode", "EXCLUSIVE")
		} else {
			pragmas = append(pragmas, "PRAGMA wal_autocheckpoint = 0")
		}
	}
	conn := sql.OpenDB(newSQLiteConnector(opts, sqliteDSN(opts.DSN, p), pragmas...))
	db.stmts = newStmtCache(conn)
	g, err := gorm.Open(sqlite.New(sqlite.Config{Conn: db.stmts}), gormConfig(opts, false))
	if err != nil {
		return fmt.Errorf("gormstore: open sqlite %q: %w", opts.DSN, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return err
	}
	// One writer connection. For in-memory databases it is also the only
	// connection: each new connection to ":memory:" would be a new, empty
	// database, so it must never be closed while the DB is open.
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	db.w, db.r = g, g
	return nil
}

func (db *DB) openSQLiteReader(opts Options) error {
	p := opts.sqliteParams()
	p.Set("_query_only", "1")
	conn := sql.OpenDB(newSQLiteConnector(opts, sqliteDSN(opts.DSN, p), sqliteCacheSize))
	g, err := gorm.Open(sqlite.New(sqlite.Config{Conn: conn}), gormConfig(opts, true))
	if err != nil {
		return fmt.Errorf("gormstore: open sqlite reader %q: %w", opts.DSN, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return err
	}
	n := opts.MaxOpenConns
	if n == 0 {
		n = DefaultSQLiteReaders
	}
	idle := opts.MaxIdleConns
	if idle == 0 {
		idle = n
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(idle)
	sqlDB.SetConnMaxLifetime(opts.ConnMaxLifetime)
	db.r = g
	return nil
}

func (db *DB) openPostgres(opts Options) error {
	g, err := gorm.Open(postgres.New(postgres.Config{DSN: opts.DSN}), gormConfig(opts, false))
	if err != nil {
		return fmt.Errorf("gormstore: open postgres: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return err
	}
	n := opts.MaxOpenConns
	if n == 0 {
		n = DefaultPostgresMaxOpen
	}
	idle := opts.MaxIdleConns
	if idle == 0 {
		idle = n
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(idle)
	sqlDB.SetConnMaxLifetime(opts.ConnMaxLifetime)
	db.w, db.r = g, g
	return nil
}

func (db *DB) ping(ctx context.Context) error {
	sqlDB, err := db.w.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("gormstore: connect %s: %w", db.driver, err)
	}
	return nil
}

// Driver reports the engine behind db.
func (db *DB) Driver() Driver { return db.driver }

// Gorm returns the handle other store areas of this package use: it runs
// transactions and writes (on SQLite, through the single writer connection).
// Inside a transaction opened on it, use only the transaction's own
// *gorm.DB: on SQLite a second use of Gorm() there waits for the one writer
// connection that the transaction holds, forever.
func (db *DB) Gorm() *gorm.DB { return db.w }

// reader returns the handle for plain reads outside a transaction.
func (db *DB) reader(ctx context.Context) *gorm.DB { return db.r.WithContext(ctx) }

// BackupTo writes a consistent copy of an SQLite database (file or
// in-memory) to a new file at path, with SQLite's VACUUM INTO: compacted and
// readable by any SQLite. The copy runs on the writer connection, so this
// process's writes wait until it is done (a few seconds per GiB): take online
// backups when the platform is quiet. path must not exist; a copy that fails
// or is cancelled leaves no file behind. On PostgreSQL it returns
// ErrUnsupported (use pg_dump).
func (db *DB) BackupTo(ctx context.Context, path string) error {
	if db.driver != SQLite {
		return fmt.Errorf("%w: BackupTo on %s (use pg_dump)", ErrUnsupported, db.driver)
	}
	if strings.TrimSpace(path) == "" {
		return &OptionError{Field: "path", Reason: "empty"}
	}
	// A URI naming the operating system's VFS: VACUUM INTO would otherwise
	// create the copy with the source connection's VFS, which need not be
	// the disk's.
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("gormstore: backup to %s: %w", path, err)
	}
	vfs := "unix"
	if runtime.GOOS == "windows" {
		vfs = "win32"
	}
	// A Windows extended-length path (\\?\C:\x.db) is an ordinary one to SQLite.
	slashed := filepath.ToSlash(strings.TrimPrefix(abs, `\\?\`))
	if !strings.HasPrefix(slashed, "/") {
		slashed = "/" + slashed // C:/x.db → file:///C:/x.db
	}
	target := (&url.URL{Scheme: "file", Path: slashed, RawQuery: "vfs=" + vfs}).String()
	// Claim the name atomically (VACUUM INTO accepts an empty file): an
	// existing file is never touched, and the one created here is removed if
	// the copy fails, so that a retry can succeed.
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("gormstore: backup to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(abs)
		return fmt.Errorf("gormstore: backup to %s: %w", path, err)
	}
	if err := db.w.WithContext(ctx).Exec(`VACUUM INTO ?`, target).Error; err != nil {
		_ = os.Remove(abs)
		return fmt.Errorf("gormstore: backup to %s: %w", path, err)
	}
	return nil
}

// Close closes every pool. An in-memory SQLite database is gone afterwards.
func (db *DB) Close() error {
	var errs []error
	if db.group != nil {
		db.group.close()
		db.group = nil
	}
	if db.ckptStop != nil {
		close(db.ckptStop)
		db.ckptDone.Wait()
		errs = append(errs, db.ckpt.Close())
		db.ckptStop = nil
	}
	closeOne := func(g *gorm.DB) {
		if g == nil {
			return
		}
		sqlDB, err := g.DB()
		if err != nil {
			errs = append(errs, err)
			return
		}
		errs = append(errs, sqlDB.Close())
	}
	if db.r != db.w {
		closeOne(db.r)
	}
	if db.stmts != nil {
		db.stmts.close()
	}
	closeOne(db.w)
	return errors.Join(errs...)
}

// sqliteCacheSize gives each connection up to 16 MiB of page cache (the
// default is 2 MiB), so the indexes of a large platform stay in memory.
const sqliteCacheSize = "PRAGMA cache_size = -16384"

// sqliteConnector opens mattn/go-sqlite3 connections and runs per-connection
// pragmas on each, including connections database/sql opens later to replace
// broken ones. It needs no global driver registration.
type sqliteConnector struct {
	dsn  string
	drv  *sqlite3.SQLiteDriver
	busy time.Duration // how long Connect retries an open that finds the file busy
}

func newSQLiteConnector(opts Options, dsn string, pragmas ...string) *sqliteConnector {
	return &sqliteConnector{dsn: dsn, busy: opts.busyTimeout(), drv: &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, p := range pragmas {
			if _, err := c.Exec(p, nil); err != nil {
				return fmt.Errorf("gormstore: %s: %w", p, err)
			}
		}
		return nil
	}}}
}

// Connect opens a connection. Opening sets the journal mode (WAL for a file),
// and SQLite answers that with SQLITE_BUSY at once, without its busy handler,
// while another connection is switching a new file to WAL or holds it during
// its first transaction: several processes opening one new database together
// would fail. Connect retries such an open, backing off, for as long as the
// busy timeout.
func (c *sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	deadline := time.Now().Add(c.busy)
	wait := time.Millisecond
	for {
		conn, err := c.drv.Open(c.dsn)
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || !time.Now().Add(wait).Before(deadline) {
			return conn, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

func (c *sqliteConnector) Driver() driver.Driver { return c.drv }

// startCheckpointer starts the background WAL checkpointer of an SQLite file.
func (db *DB) startCheckpointer(opts Options) {
	db.ckpt = sql.OpenDB(newSQLiteConnector(opts, sqliteDSN(opts.DSN, opts.sqliteParams())))
	db.ckpt.SetMaxOpenConns(1)
	db.ckptStop = make(chan struct{})
	db.ckptDone.Add(1)
	go func() {
		defer db.ckptDone.Done()
		t := time.NewTicker(checkpointInterval)
		defer t.Stop()
		for {
			select {
			case <-db.ckptStop:
				return
			case <-t.C:
				// PASSIVE never blocks the writer or readers; it copies what
				// it can and SQLite restarts the WAL once all is copied.
				if _, err := db.ckpt.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
					db.log.Warn("gormstore: WAL checkpoint", slog.Any("error", err))
					continue
				}
				db.checkpoints.Add(1)
			}
		}
	}()
}
