package gormjobs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/opengovcloud/govcloud/dispatch"
	"github.com/opengovcloud/govcloud/dispatch/gormjobs"
)

// Jobs persist in SQLite: a second store on the same file (a restarted
// process) sees them and can lease them.
func Example() {
	dir, _ := os.MkdirTemp("", "gormjobs")
	defer os.RemoveAll(dir)
	open := func() *gorm.DB {
		db, err := gorm.Open(sqlite.Open(filepath.Join(dir, "jobs.db")), &gorm.Config{Logger: logger.Discard})
		if err != nil {
			panic(err)
		}
		if err := gormjobs.Migrate(context.Background(), db); err != nil {
			panic(err)
		}
		return db
	}
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	first := gormjobs.New(open())
	err := first.Enqueue(ctx, dispatch.Job{Key: "wo/1", Application: "app-1", Seq: 3, Vendor: "vendor-a", WorkOrder: "1",
		Op: "provision", Request: []byte(`{"key":"wo/1"}`), Status: dispatch.StatusPending, NextAt: now})
	fmt.Println(err)

	restarted := gormjobs.New(open())
	jobs, _ := restarted.Lease(ctx, "dispatcher-2", now, now.Add(time.Minute), 10)
	fmt.Println(len(jobs), jobs[0].Key, jobs[0].Status)
	// Output:
	// <nil>
	// 1 wo/1 待发送
}
