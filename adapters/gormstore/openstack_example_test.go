package gormstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/adapters/openstack"
	govcloud "github.com/opengovcloud/govcloud/provider"
)

// The OpenStack adapter keeps its operations in the database, so a
// restarted adapter, or several adapters on one PostgreSQL database, keep
// every idempotency key: pass db.OpenStackOps() as openstack.Options.Ops.
// Put is a compare-and-set on Op.Revision.
func ExampleDB_OpenStackOps() {
	ctx := context.Background()
	db, err := gormstore.Open(ctx, gormstore.Options{DSN: ":memory:"}) // a file or PostgreSQL in production
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	ops := db.OpenStackOps() // openstack.Options{..., Ops: ops}

	op := openstack.Op{Key: "app-1/provision", Op: govcloud.OpProvision, Fingerprint: "fp",
		Order:    govcloud.Order{Key: "app-1/provision", Application: "app-1", Vendor: "os-cloud"},
		Accepted: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	if err := ops.Put(ctx, op); err != nil {
		fmt.Println(err)
		return
	}
	running, _ := ops.Running(ctx, "app-1")
	fmt.Println("running:", running)

	// Another instance that read the key as absent may not overwrite it.
	err = ops.Put(ctx, op)
	fmt.Println("stale:", errors.Is(err, openstack.ErrStaleOp))

	stored, _, _ := ops.Get(ctx, op.Key)
	stored.Done = true
	if err := ops.Put(ctx, stored); err != nil {
		fmt.Println(err)
		return
	}
	running, _ = ops.Running(ctx, "app-1")
	stored, _, _ = ops.Get(ctx, op.Key)
	fmt.Printf("running: %q, revision %d\n", running, stored.Revision)
	// Output:
	// running: app-1/provision
	// stale: true
	// running: "", revision 2
}
