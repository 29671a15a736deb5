package gormstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// Open an embedded database and look at the workflow migrations it applied.
// A file path ("govcloud.db") keeps the data; ":memory:" is for tests.
func ExampleOpen() {
	ctx := context.Background()
	db, err := gormstore.Open(ctx, gormstore.Options{DSN: ":memory:"})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("driver:", db.Driver())
	for _, m := range applied {
		if m.Version >= 100 && m.Version <= 199 {
			fmt.Println(m.Version, m.Name)
		}
	}
	// Output:
	// driver: sqlite
	// 100 workflow: applications, audit trail, work orders, outbox
	// 101 workflow: outbox by creation instant, for retention
}

// Run the workflow engine on the store: each transition is one transaction
// holding the application, its audit record and its outbox message.
func ExampleDB_Workflow() {
	ctx := context.Background()
	db, err := gormstore.Open(ctx, gormstore.Options{DSN: ":memory:"})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	eng, err := workflow.New(workflow.Options{
		Store:    db.Workflow(),
		Policy:   workflow.ZhejiangPreset(),
		Calendar: workflowtest.WeekdayCalendar{},
		Clock:    workflowtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, workflowtest.China)),
		IDs:      &workflowtest.IDs{Prefix: "app"},
	})
	if err != nil {
		panic(err)
	}
	dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "卫健委"}
	app, err := eng.Submit(ctx, dept, workflowtest.Request(2))
	if err != nil {
		panic(err)
	}
	authority := workflow.Actor{Role: workflow.RoleAuthority, ID: "office"}
	if _, err := eng.Fire(ctx, authority, app.ID, workflow.TriggerAccept, workflow.Input{}); err != nil {
		panic(err)
	}
	history, _ := db.Workflow().History(ctx, app.ID)
	for _, r := range history {
		fmt.Println(r.Seq, r.Trigger.Label(workflow.English), "→", r.To.Label(workflow.English))
	}
	// Per application, subscribers get messages strictly in order: the
	// second is leased only once the first is acknowledged.
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ds, _ := db.Workflow().Lease(ctx, workflow.LeaseRequest{Subscriber: "billing", LeaseID: "l1",
		Now: now, Until: now.Add(time.Minute), Max: 10})
	fmt.Println("leased:", len(ds), ds[0].Message.IdempotencyKey)
	// Output:
	// 1 submit → submitted
	// 2 accept → accepted
	// leased: 1 app-000001/1
}
