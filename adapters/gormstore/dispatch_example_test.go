package gormstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/dispatch"
)

// The dispatcher's jobs persist in the database: a restarted process sees
// them and leases them.
func ExampleDB_Jobs() {
	dir, _ := os.MkdirTemp("", "jobs")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

	first, err := gormstore.Open(ctx, gormstore.Options{DSN: filepath.Join(dir, "govcloud.db")})
	if err != nil {
		panic(err)
	}
	err = first.Jobs().Enqueue(ctx, dispatch.Job{Key: "wo/1", Application: "app-1", Seq: 3, Vendor: "vendor-a", WorkOrder: "1",
		Op: "provision", Request: []byte(`{"key":"wo/1"}`), Status: dispatch.StatusPending, NextAt: now})
	fmt.Println(err)
	first.Close()

	restarted, err := gormstore.Open(ctx, gormstore.Options{DSN: filepath.Join(dir, "govcloud.db")})
	if err != nil {
		panic(err)
	}
	defer restarted.Close()
	jobs, _ := restarted.Jobs().Lease(ctx, "dispatcher-2", now, now.Add(time.Minute), 10)
	fmt.Println(len(jobs), jobs[0].Key, jobs[0].Status, jobs[0].LeaseOwner)
	// Output:
	// <nil>
	// 1 wo/1 待发送 dispatcher-2
}

// A nonce is accepted once until it expires, whichever instance sees it.
func ExampleDB_Nonces() {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	db, err := gormstore.Open(ctx, gormstore.Options{DSN: ":memory:"})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	nonces := db.Nonces(func() time.Time { return now })
	for i := 0; i < 2; i++ {
		fresh, err := nonces.Remember(ctx, "0123456789abcdef", now.Add(5*time.Minute))
		fmt.Println(fresh, err)
	}
	purged, _ := nonces.Purge(ctx, now.Add(time.Hour))
	fmt.Println("purged", purged)
	// Output:
	// true <nil>
	// false <nil>
	// purged 1
}
