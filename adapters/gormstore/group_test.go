package gormstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"
)

// TestGroupCommitIsolation commits concurrently through the group committer
// on SQLite; every third commit fails after writing. Failed commits leave no
// row, successful ones all persist, and each caller gets its own result.
// (An in-memory database has no group committer: TestNoGroupInMemory.)
func TestGroupCommitIsolation(t *testing.T) {
	for _, dsn := range []string{filepath.Join(t.TempDir(), "g.db")} {
		t.Run(dsn, func(t *testing.T) {
			db := mustOpen(t, Options{DSN: dsn}, Migrations())
			if err := db.w.Exec(`CREATE TABLE g (k INTEGER PRIMARY KEY)`).Error; err != nil {
				t.Fatal(err)
			}
			boom := errors.New("boom")
			const n = 60
			errs := make([]error, n)
			// Commit 0 holds the writer until the other commits are queued
			// behind it, so they must be grouped (not left to scheduling luck).
			inGate, release := make(chan struct{}), make(chan struct{})
			var wg, started sync.WaitGroup
			commit := func(i int) {
				errs[i] = db.group.do(context.Background(), func(tx *gorm.DB) error {
					if i == 0 {
						close(inGate)
						<-release
					}
					if err := tx.Exec(`INSERT INTO g (k) VALUES (?)`, i).Error; err != nil {
						return err
					}
					if i%3 == 0 {
						return fmt.Errorf("commit %d: %w", i, boom)
					}
					return nil
				})
			}
			wg.Go(func() { commit(0) })
			<-inGate
			for i := 1; i < n; i++ {
				started.Add(1)
				wg.Go(func() { started.Done(); commit(i) })
			}
			started.Wait()
			time.Sleep(100 * time.Millisecond) // let the queued senders block on the writer
			close(release)
			wg.Wait()
			if g, c := db.group.groups.Load(), db.group.commits.Load(); c != n || g >= c {
				t.Errorf("%d commits in %d groups: want %d commits, fewer groups", c, g, n)
			} else {
				t.Logf("%d commits in %d groups", c, g)
			}
			var want []int
			for i, err := range errs {
				if (i%3 == 0) != errors.Is(err, boom) || (i%3 != 0 && err != nil) {
					t.Errorf("commit %d: %v", i, err)
				}
				if i%3 != 0 {
					want = append(want, i)
				}
			}
			var got []int
			if err := db.w.Raw(`SELECT k FROM g ORDER BY k`).Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGroupCommitCancelled: a caller whose context is already done gets its
// error and writes nothing; the DB stays usable.
func TestGroupCommitCancelled(t *testing.T) {
	db := mustOpen(t, Options{DSN: filepath.Join(t.TempDir(), "g.db")}, Migrations())
	if err := db.w.Exec(`CREATE TABLE g (k INTEGER PRIMARY KEY)`).Error; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := db.group.do(ctx, func(tx *gorm.DB) error { return tx.Exec(`INSERT INTO g (k) VALUES (1)`).Error })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("do with cancelled ctx = %v", err)
	}
	if err := db.group.do(context.Background(), func(tx *gorm.DB) error { return tx.Exec(`INSERT INTO g (k) VALUES (2)`).Error }); err != nil {
		t.Fatal(err)
	}
	var got []int
	if err := db.w.Raw(`SELECT k FROM g`).Scan(&got).Error; err != nil || fmt.Sprint(got) != "[2]" {
		t.Errorf("rows %v, %v; want [2]", got, err)
	}
	db.Close()
	if db.group != nil {
		t.Error("group committer not released on Close")
	}
}

// TestSQLiteStatementCacheAndCheckpointer: the writer reuses prepared
// statements across transactions and the background checkpointer runs.
func TestSQLiteStatementCacheAndCheckpointer(t *testing.T) {
	db := mustOpen(t, Options{DSN: filepath.Join(t.TempDir(), "c.db")}, Migrations())
	if err := db.w.Exec(`CREATE TABLE c (k INTEGER PRIMARY KEY, v TEXT)`).Error; err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		err := db.w.Transaction(func(tx *gorm.DB) error {
			return tx.Exec(`INSERT INTO c (k, v) VALUES (?, ?)`, i, fmt.Sprint("v", i)).Error
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	db.stmts.mu.Lock()
	_, cached := db.stmts.stmts[`INSERT INTO c (k, v) VALUES (?, ?)`]
	db.stmts.mu.Unlock()
	if !cached {
		t.Error("insert statement not cached after 20 transactions")
	}
	var n int64
	if err := db.r.Raw(`SELECT COUNT(*) FROM c`).Scan(&n).Error; err != nil || n != 20 {
		t.Errorf("count = %d, %v", n, err)
	}
	var autockpt int
	if err := db.w.Raw(`PRAGMA wal_autocheckpoint`).Scan(&autockpt).Error; err != nil || autockpt != 0 {
		t.Errorf("writer wal_autocheckpoint = %d, %v; want 0", autockpt, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for db.checkpoints.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if db.checkpoints.Load() == 0 {
		t.Error("background checkpointer never ran")
	}
}

// TestNoGroupInMemory: an in-memory SQLite database commits in the caller's
// goroutine (nothing to amortise), a file database through the group
// committer.
func TestNoGroupInMemory(t *testing.T) {
	for _, tc := range []struct {
		dsn   string
		group bool
	}{{":memory:", false}, {filepath.Join(t.TempDir(), "g.db"), true}} {
		db := mustOpen(t, Options{DSN: tc.dsn}, Migrations())
		if got := db.group != nil; got != tc.group {
			t.Errorf("%s: group committer %v, want %v", tc.dsn, got, tc.group)
		}
	}
}
