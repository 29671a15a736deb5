package gormstore

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  Options
		field string // "" = valid
	}{
		{"sqlite file", Options{DSN: "govcloud.db"}, ""},
		{"sqlite memory", Options{DSN: ":memory:"}, ""},
		{"sqlite uri", Options{DSN: "file:x.db?cache=private"}, ""},
		{"postgres inferred", Options{DSN: "postgres://u@h/db"}, ""},
		{"postgres explicit", Options{Driver: Postgres, DSN: "host=h user=u"}, ""},
		{"empty", Options{}, "DSN"},
		{"blank", Options{DSN: "  "}, "DSN"},
		{"unknown driver", Options{Driver: "mysql", DSN: "x"}, "Driver"},
		{"pg url as sqlite", Options{Driver: SQLite, DSN: "postgres://u@h/db"}, "DSN"},
		{"question mark in path", Options{DSN: "a?b.db"}, "DSN"},
		{"txlock", Options{DSN: "file:a.db?_txlock=deferred"}, "DSN"},
		{"journal", Options{DSN: "file:a.db?_journal_mode=DELETE"}, "DSN"},
		{"negative open", Options{DSN: "a.db", MaxOpenConns: -1}, "MaxOpenConns"},
		{"negative idle", Options{DSN: "a.db", MaxIdleConns: -1}, "MaxIdleConns"},
		{"idle over open", Options{DSN: "a.db", MaxOpenConns: 2, MaxIdleConns: 3}, "MaxIdleConns"},
		{"negative lifetime", Options{DSN: "a.db", ConnMaxLifetime: -time.Second}, "ConnMaxLifetime"},
		{"negative busy", Options{DSN: "a.db", BusyTimeout: -time.Second}, "BusyTimeout"},
		{"busy on postgres", Options{DSN: "postgres://h/db", BusyTimeout: time.Second}, "BusyTimeout"},
		{"sync off", Options{DSN: "a.db", SQLiteSynchronous: "OFF"}, ""},
		{"sync full lower case", Options{DSN: "a.db", SQLiteSynchronous: "full"}, ""},
		{"sync unknown", Options{DSN: "a.db", SQLiteSynchronous: "EXTRA"}, "SQLiteSynchronous"},
		{"sync on postgres", Options{DSN: "postgres://h/db", SQLiteSynchronous: "OFF"}, "SQLiteSynchronous"},
		{"exclusive", Options{DSN: "a.db", SQLiteExclusive: true}, ""},
		{"exclusive on postgres", Options{DSN: "postgres://h/db", SQLiteExclusive: true}, "SQLiteExclusive"},
		{"exclusive in memory", Options{DSN: ":memory:", SQLiteExclusive: true}, "SQLiteExclusive"},
		{"locking mode in DSN", Options{DSN: "file:a.db?_locking_mode=NORMAL"}, "DSN"},
		{"sync in dsn", Options{DSN: "file:a.db?_synchronous=OFF"}, "DSN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			got := ""
			if err != nil {
				var oe *OptionError
				if !errors.As(err, &oe) || !errors.Is(err, ErrInvalidOptions) {
					t.Fatalf("Validate() = %v: not an *OptionError matching ErrInvalidOptions", err)
				}
				got = oe.Field
			}
			if diff := cmp.Diff(tc.field, got); diff != "" {
				t.Errorf("failing field (-want +got):\n%s (err %v)", diff, err)
			}
		})
	}
}

func TestOpenInvalidOptionsWritesNothing(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(t.Context(), Options{DSN: dir + "/x.db", MaxOpenConns: -1})
	if !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("Open = %v, want ErrInvalidOptions", err)
	}
	if entries, _ := readDir(dir); len(entries) != 0 {
		t.Errorf("Open with bad options created %v", entries)
	}
}

// TestSQLiteSynchronousApplied reads PRAGMA synchronous back from the writer
// connection for each mode (0 OFF, 1 NORMAL, 2 FULL).
func TestSQLiteSynchronousApplied(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want int
	}{{"", 1}, {"OFF", 0}, {"normal", 1}, {"FULL", 2}} {
		t.Run("mode="+tc.mode, func(t *testing.T) {
			db, err := Open(t.Context(), Options{DSN: t.TempDir() + "/s.db", SQLiteSynchronous: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var got int
			if err := db.Gorm().WithContext(t.Context()).Raw("PRAGMA synchronous").Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("PRAGMA synchronous (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSQLiteExclusive: an exclusive database runs on one connection (reads
// see the writer's data, no reader pool, no group committer) in exclusive
// locking mode, and a second Open of the same file fails while it is open.
func TestSQLiteExclusive(t *testing.T) {
	ctx := t.Context()
	path := t.TempDir() + "/x.db"
	db, err := Open(ctx, Options{DSN: path, SQLiteExclusive: true, SQLiteSynchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.Gorm().WithContext(ctx).Raw("PRAGMA locking_mode").Scan(&mode).Error; err != nil {
		t.Fatal(err)
	}
	got := struct {
		Mode            string
		Single, Grouped bool
	}{mode, db.r == db.w, db.group != nil}
	want := struct {
		Mode            string
		Single, Grouped bool
	}{"exclusive", true, false}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("exclusive database (-want +got)\n%s", d)
	}
	if _, err := Open(ctx, Options{DSN: path, BusyTimeout: 50 * time.Millisecond}); err == nil {
		t.Error("a second Open of an exclusively held file succeeded")
	}
}
