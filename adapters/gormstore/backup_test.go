package gormstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/dispatch/dispatchtest"
)

// TestBackupTo copies each SQLite database (file and in-memory) with a job
// in it to a new file, opens the copy and finds the job; an existing target
// and PostgreSQL are refused with typed errors, writing nothing.
func TestBackupTo(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db, err := Open(ctx, b.opts(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			path := filepath.Join(t.TempDir(), "备份 copy%1.db") // escaped in the URI
			if db.Driver() == Postgres {
				if err := db.BackupTo(ctx, path); !errors.Is(err, ErrUnsupported) {
					t.Errorf("BackupTo on PostgreSQL = %v, want ErrUnsupported", err)
				}
				if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a file was written: %v", err)
				}
				return
			}
			job := dispatchtest.NewJob("k1", "app-1", 1)
			if err := db.Jobs().Enqueue(ctx, job); err != nil {
				t.Fatal(err)
			}
			if err := db.BackupTo(ctx, path); err != nil {
				t.Fatal(err)
			}
			if err := db.BackupTo(ctx, path); !errors.Is(err, os.ErrExist) {
				t.Errorf("BackupTo an existing file = %v, want os.ErrExist", err)
			}
			// A cancelled copy leaves nothing behind: a retry succeeds.
			retry := filepath.Join(filepath.Dir(path), "retry.db")
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			if err := db.BackupTo(cancelled, retry); err == nil {
				t.Error("BackupTo with a cancelled context succeeded")
			}
			if _, err := os.Stat(retry); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed copy left %s: %v", retry, err)
			}
			if err := db.BackupTo(ctx, retry); err != nil {
				t.Errorf("retry after a failed copy: %v", err)
			}
			if err := db.BackupTo(ctx, " "); !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("BackupTo an empty path = %v, want ErrInvalidOptions", err)
			}
			cp, err := Open(ctx, Options{DSN: path})
			if err != nil {
				t.Fatal(err)
			}
			defer cp.Close()
			got, err := cp.Jobs().Get(ctx, "k1")
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(job, got); d != "" {
				t.Errorf("job in the copy (-want +got)\n%s", d)
			}
		})
	}
}
