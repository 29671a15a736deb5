package gormstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/internal/pgtest"
)

func readDir(dir string) ([]string, error) {
	es, err := os.ReadDir(dir)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names, err
}

// backend is one database the tests run against.
type backend struct {
	name string
	// opts returns Options for a fresh database; calling it again within the
	// same test returns the same database (for re-open tests), except for
	// private in-memory SQLite.
	opts       func(t *testing.T) Options
	persistent bool
}

func backends() []backend {
	return []backend{
		{"sqlite-file", func(t *testing.T) Options {
			return Options{DSN: filepath.Join(testDir(t), "govcloud.db")}
		}, true},
		{"sqlite-memory", func(t *testing.T) Options { return Options{DSN: ":memory:"} }, false},
		{"sqlite-exclusive", func(t *testing.T) Options {
			return Options{DSN: filepath.Join(testDir(t), "exclusive.db"), SQLiteExclusive: true}
		}, true},
		{"postgres", func(t *testing.T) Options { return Options{DSN: testPGDSN(t)} }, true},
	}
}

var (
	dirsMu sync.Mutex
	dirs   = map[*testing.T]string{}
	pgMu   sync.Mutex
	pgDSNs = map[*testing.T]string{}
)

func testDir(t *testing.T) string {
	dirsMu.Lock()
	defer dirsMu.Unlock()
	if d, ok := dirs[t]; ok {
		return d
	}
	d := t.TempDir()
	dirs[t] = d
	t.Cleanup(func() { dirsMu.Lock(); delete(dirs, t); dirsMu.Unlock() })
	return d
}

func testPGDSN(t *testing.T) string {
	pgMu.Lock()
	defer pgMu.Unlock()
	if d, ok := pgDSNs[t]; ok {
		return d
	}
	d := pgtest.DSN(t)
	pgDSNs[t] = d
	t.Cleanup(func() { pgMu.Lock(); delete(pgDSNs, t); pgMu.Unlock() })
	return d
}

func mustOpen(t *testing.T, opts Options, migs []Migration) *DB {
	t.Helper()
	db, err := open(t.Context(), opts, migs)
	if err != nil {
		t.Fatalf("open %s: %v", opts.DSN, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func versions(t *testing.T, db *DB) []int {
	t.Helper()
	ms, err := db.AppliedMigrations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.Version)
	}
	return vs
}

func testMigration(v int, table string) Migration {
	return Migration{
		Version:  v,
		Name:     "test: " + table,
		SQLite:   []string{`CREATE TABLE ` + table + ` (id INTEGER PRIMARY KEY)`},
		Postgres: []string{`CREATE TABLE ` + table + ` (id BIGINT PRIMARY KEY)`},
	}
}

func TestMigrationListWellFormed(t *testing.T) {
	migs := Migrations()
	if err := checkMigrations(migs); err != nil {
		t.Fatal(err)
	}
	if len(migs) == 0 {
		t.Fatal("no migrations")
	}
	for _, m := range migs {
		if m.Checksum(SQLite) == m.Checksum(Postgres) {
			t.Errorf("migration %d: same checksum for both engines", m.Version)
		}
	}
}

func TestCheckMigrationsRejects(t *testing.T) {
	good := testMigration(100, "a")
	noName := testMigration(101, "b")
	noName.Name = " "
	noPG := testMigration(102, "c")
	noPG.Postgres = nil
	for _, tc := range []struct {
		name string
		migs []Migration
	}{
		{"duplicate", []Migration{good, good}},
		{"descending", []Migration{testMigration(101, "b"), good}},
		{"out of range", []Migration{testMigration(700, "z")}},
		{"zero", []Migration{testMigration(0, "z")}},
		{"no name", []Migration{good, noName}},
		{"no postgres", []Migration{good, noPG}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkMigrations(tc.migs); !errors.Is(err, ErrBadMigration) {
				t.Errorf("checkMigrations = %v, want ErrBadMigration", err)
			}
		})
	}
}

func TestOpenMigratesFresh(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := mustOpen(t, b.opts(t), Migrations())
			var want []int
			for _, m := range Migrations() {
				want = append(want, m.Version)
			}
			if diff := cmp.Diff(want, versions(t, db)); diff != "" {
				t.Errorf("applied versions (-want +got):\n%s", diff)
			}
			ms, err := db.AppliedMigrations(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range ms {
				if want := Migrations()[i].Checksum(db.Driver()); m.Checksum != want {
					t.Errorf("migration %d checksum %s, want %s", m.Version, m.Checksum, want)
				}
				if m.AppliedAt.IsZero() {
					t.Errorf("migration %d has no applied_at", m.Version)
				}
			}
			// The tables exist and are empty.
			for _, table := range []string{"wf_applications", "wf_audit", "wf_work_orders", "wf_outbox", "wf_subscribers", "wf_deliveries"} {
				var n int64
				if err := db.Gorm().Table(table).Count(&n).Error; err != nil || n != 0 {
					t.Errorf("count(%s) = %d, %v", table, n, err)
				}
			}
		})
	}
}

func TestReopenAppliesNothing(t *testing.T) {
	for _, b := range backends() {
		if !b.persistent {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			opts := b.opts(t)
			db := mustOpen(t, opts, Migrations())
			before, err := db.AppliedMigrations(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			db = mustOpen(t, opts, Migrations())
			after, err := db.AppliedMigrations(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("schema_migrations changed on re-open (-before +after):\n%s", diff)
			}
			done, err := migrate(t.Context(), db.w, db.driver, Migrations(), db.log)
			if err != nil || len(done) != 0 {
				t.Errorf("migrate again = %v, %v; want nothing applied", done, err)
			}
		})
	}
}

func TestMigrationsAcrossAreas(t *testing.T) {
	for _, b := range backends() {
		if !b.persistent {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			opts := b.opts(t)
			v1 := []Migration{testMigration(100, "t_a"), testMigration(200, "t_q")}
			mustOpen(t, opts, v1).Close()
			// A later release adds a workflow migration below the quota one.
			v2 := []Migration{testMigration(100, "t_a"), testMigration(101, "t_b"), testMigration(200, "t_q")}
			db := mustOpen(t, opts, v2)
			if diff := cmp.Diff([]int{100, 101, 200}, versions(t, db)); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
			db.Close()

			// The old release refuses the newer database.
			_, err := open(t.Context(), opts, v1)
			var se *SchemaError
			if !errors.Is(err, ErrSchemaTooNew) || !errors.As(err, &se) || se.Version != 101 {
				t.Fatalf("open with old code = %v, want ErrSchemaTooNew for version 101", err)
			}

			// An edited migration is refused.
			edited := []Migration{testMigration(100, "t_a"), testMigration(101, "t_b"), testMigration(200, "t_q")}
			edited[1].SQLite = []string{`CREATE TABLE t_b (id TEXT PRIMARY KEY)`}
			edited[1].Postgres = []string{`CREATE TABLE t_b (id TEXT PRIMARY KEY)`}
			if _, err := open(t.Context(), opts, edited); !errors.Is(err, ErrMigrationChanged) || !errors.As(err, &se) || se.Version != 101 {
				t.Fatalf("open with edited migration = %v, want ErrMigrationChanged for 101", err)
			}
		})
	}
}

func TestSchemaTooNewRealList(t *testing.T) {
	for _, b := range backends() {
		if !b.persistent {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			opts := b.opts(t)
			db := mustOpen(t, opts, Migrations())
			if err := db.Gorm().Exec(`INSERT INTO schema_migrations (version, name, checksum) VALUES (199, 'workflow: from the future', 'x')`).Error; err != nil {
				t.Fatal(err)
			}
			db.Close()
			_, err := Open(t.Context(), opts)
			var se *SchemaError
			if !errors.Is(err, ErrSchemaTooNew) || !errors.As(err, &se) || se.Version != 199 || se.Name != "workflow: from the future" {
				t.Fatalf("Open = %v, want ErrSchemaTooNew naming 199", err)
			}
		})
	}
}

func TestFailedMigrationRollsBack(t *testing.T) {
	for _, b := range backends() {
		if !b.persistent {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			opts := b.opts(t)
			bad := testMigration(101, "t_bad")
			bad.SQLite = append(bad.SQLite, `CREATE TABLE t_bad (dup INTEGER)`)
			bad.Postgres = append(bad.Postgres, `CREATE TABLE t_bad (dup INTEGER)`)
			_, err := open(t.Context(), opts, []Migration{testMigration(100, "t_ok"), bad})
			if err == nil {
				t.Fatal("open with a failing migration succeeded")
			}
			// Nothing of the failed run remains: 100 is applied afresh.
			db := mustOpen(t, opts, []Migration{testMigration(100, "t_ok")})
			if diff := cmp.Diff([]int{100}, versions(t, db)); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConcurrentOpens(t *testing.T) {
	for _, b := range backends() {
		if !b.persistent || b.name == "sqlite-exclusive" { // one opener at a time, by design (TestSQLiteExclusive)
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			// A new SQLite file opened by several connections at once used to
			// fail about one time in forty ("database is locked" while another
			// connection switched it to WAL): ten new files make that visible.
			rounds := 1
			if b.name == "sqlite-file" {
				rounds = 10
			}
			var opts Options
			for round := range rounds {
				opts = b.opts(t)
				if round > 0 { // a new file each round
					opts.DSN = filepath.Join(t.TempDir(), "govcloud.db")
				}
				const n = 6
				var wg sync.WaitGroup
				errs := make([]error, n)
				for i := range n {
					wg.Go(func() {
						db, err := Open(context.Background(), opts)
						if err == nil {
							err = db.Close()
						}
						errs[i] = err
					})
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Errorf("open %d: %v", i, err)
					}
				}
			}
			db := mustOpen(t, opts, Migrations())
			var rows []struct {
				Version int
				N       int
			}
			if err := db.Gorm().Raw(`SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version ORDER BY version`).Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			var want []struct {
				Version int
				N       int
			}
			for _, m := range Migrations() {
				want = append(want, struct {
					Version int
					N       int
				}{m.Version, 1})
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("schema_migrations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSQLitePragmas(t *testing.T) {
	db := mustOpen(t, Options{DSN: filepath.Join(t.TempDir(), "p.db")}, Migrations())
	for _, tc := range []struct {
		g      string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "1"},
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", fmt.Sprint(DefaultBusyTimeout.Milliseconds())},
		{"reader", "journal_mode", "wal"},
		{"reader", "query_only", "1"},
		{"reader", "busy_timeout", fmt.Sprint(DefaultBusyTimeout.Milliseconds())},
	} {
		g := db.w
		if tc.g == "reader" {
			g = db.r
		}
		var got string
		if err := g.Raw("PRAGMA " + tc.pragma).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s PRAGMA %s = %q, want %q", tc.g, tc.pragma, got, tc.want)
		}
	}
	// The reader pool refuses writes.
	if err := db.r.Exec(`INSERT INTO wf_subscribers (subscriber) VALUES ('x')`).Error; err == nil {
		t.Error("reader pool accepted a write")
	}
}
