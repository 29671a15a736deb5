package gormstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

var (
	dept      = workflow.Actor{Role: workflow.RoleDepartment, ID: "dept-1"}
	authority = workflow.Actor{Role: workflow.RoleAuthority, ID: "office"}
	vendor    = workflow.Actor{Role: workflow.RoleVendor, ID: "vendor-1"}
	// start is a Monday, 09:00 in China.
	start = time.Date(2026, 3, 2, 9, 0, 0, 0, workflowtest.China)
)

// openers lists the databases every store test runs on.
func openers() []struct {
	name string
	opts func(t testing.TB) gormstore.Options
} {
	return []struct {
		name string
		opts func(t testing.TB) gormstore.Options
	}{
		{"sqlite-file", func(t testing.TB) gormstore.Options {
			return gormstore.Options{DSN: filepath.Join(t.TempDir(), "govcloud.db")}
		}},
		{"sqlite-memory", func(t testing.TB) gormstore.Options { return gormstore.Options{DSN: ":memory:"} }},
		{"postgres", func(t testing.TB) gormstore.Options { return gormstore.Options{DSN: pgtest.DSN(t)} }},
	}
}

func openDB(t testing.TB, opts gormstore.Options) *gormstore.DB {
	t.Helper()
	db, err := gormstore.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newEngine(t testing.TB, store workflow.Store, clock workflow.Clock, idPrefix string, parts ...workflow.Participant) *workflow.Engine {
	t.Helper()
	e, err := workflow.New(workflow.Options{
		Store:        store,
		Policy:       workflow.ZhejiangPreset(),
		Calendar:     workflowtest.WeekdayCalendar{},
		Clock:        clock,
		IDs:          &workflowtest.IDs{Prefix: idPrefix},
		Participants: parts,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func submitRequest(system string) workflow.SubmitRequest {
	att := func(n string) workflow.Attachment { return workflow.Attachment{Name: n, URI: "doc://" + n} }
	return workflow.SubmitRequest{
		SystemName:    system,
		Vendor:        vendor.ID,
		Zone:          workflow.PrivateZone,
		SecurityLevel: 2,
		Items:         []workflow.Item{{Code: "ecs.4c8g", Quantity: 2}, {Code: "oss.gb", Quantity: 500}},
		Materials: []workflow.Material{
			{Kind: workflow.MaterialConstructionPlan, Attachment: att("plan.pdf")},
			{Kind: workflow.MaterialSelfTestReport, Attachment: att("selftest.pdf")},
			{Kind: workflow.MaterialResourceRequest, Attachment: att("resources.xlsx")},
		},
	}
}

// TestEngineLifecycle drives the engine through submit, accept, approve and a
// vendor work order on every backend, then checks what the store kept.
func TestEngineLifecycle(t *testing.T) {
	for _, o := range openers() {
		t.Run(o.name, func(t *testing.T) {
			ctx := t.Context()
			db := openDB(t, o.opts(t))
			clock := workflowtest.NewClock(start)
			var inTx []string
			part := workflow.ParticipantFunc(func(ctx context.Context, tx workflow.Tx, tr workflow.Transition) error {
				inTx = append(inTx, fmt.Sprintf("%T %s", tx, string(tr.Trigger)))
				return nil
			})
			eng := newEngine(t, db.Workflow(), clock, "app", part)

			app, err := eng.Submit(ctx, dept, submitRequest("一网通办"))
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Hour)
			if app, err = eng.Fire(ctx, authority, app.ID, workflow.TriggerAccept, workflow.Input{}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Hour)
			if app, err = eng.Fire(ctx, authority, app.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 20}); err != nil {
				t.Fatal(err)
			}
			if app.OpenWorkOrder == "" {
				t.Fatalf("approve opened no work order: %+v", app)
			}
			c := workflow.Completion{Key: "k1", Note: "环境已就绪"}
			clock.Advance(time.Hour)
			done, err := eng.CompleteWorkOrder(ctx, vendor, app.OpenWorkOrder, c)
			if err != nil {
				t.Fatal(err)
			}
			if done.State != workflow.StateTrial {
				t.Errorf("state after trial environment = %s, want trial", done.State)
			}
			// Completing again with the same completion changes nothing.
			again, err := eng.CompleteWorkOrder(ctx, vendor, app.OpenWorkOrder, c)
			if err != nil || again.Version != done.Version {
				t.Errorf("repeat completion = v%d, %v; want v%d, nil", again.Version, err, done.Version)
			}
			if _, err := eng.CompleteWorkOrder(ctx, vendor, app.OpenWorkOrder, workflow.Completion{Key: "k2"}); !errors.Is(err, workflow.ErrConflict) {
				t.Errorf("different completion = %v, want ErrConflict", err)
			}
			if err := eng.Verify(ctx, authority, app.ID); err != nil {
				t.Errorf("audit chain: %v", err)
			}
			if len(inTx) != 4 || inTx[0] != "*gorm.DB submit" {
				t.Errorf("participant saw %v, want 4 transitions on *gorm.DB", inTx)
			}

			// Two subscribers each get the 4 transitions, in order.
			st := db.Workflow()
			for _, sub := range []string{"quota", "billing"} {
				var got []string
				for round := 0; round < 10; round++ {
					ds, err := st.Lease(ctx, workflow.LeaseRequest{Subscriber: sub, LeaseID: fmt.Sprintf("%s-%d", sub, round),
						Now: clock.Now(), Until: clock.Now().Add(time.Minute), Max: 10})
					if err != nil {
						t.Fatal(err)
					}
					if len(ds) == 0 {
						break
					}
					for _, d := range ds {
						got = append(got, d.Message.IdempotencyKey)
						if err := st.Ack(ctx, workflow.AckRequest{Subscriber: sub, MessageID: d.Message.ID, LeaseID: d.LeaseID}); err != nil {
							t.Fatal(err)
						}
					}
				}
				want := []string{app.ID + "/1", app.ID + "/2", app.ID + "/3", app.ID + "/4"}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s received %v, want %v", sub, got, want)
				}
			}
		})
	}
}

// TestParticipantSharesTransaction writes through the *gorm.DB a participant
// receives and checks that its rows commit and roll back with the transition.
func TestParticipantSharesTransaction(t *testing.T) {
	for _, o := range openers() {
		t.Run(o.name, func(t *testing.T) {
			ctx := t.Context()
			db := openDB(t, o.opts(t))
			if err := db.Gorm().Exec(`CREATE TABLE side_effects (k TEXT PRIMARY KEY)`).Error; err != nil {
				t.Fatal(err)
			}
			refuse := errors.New("quota exhausted")
			part := workflow.ParticipantFunc(func(ctx context.Context, tx workflow.Tx, tr workflow.Transition) error {
				g, ok := tx.(*gorm.DB)
				if !ok {
					return fmt.Errorf("foreign transaction %T", tx)
				}
				if err := g.Exec(`INSERT INTO side_effects (k) VALUES (?)`, tr.IdempotencyKey).Error; err != nil {
					return err
				}
				if tr.Trigger == workflow.TriggerApprove {
					return refuse
				}
				return nil
			})
			eng := newEngine(t, db.Workflow(), workflowtest.NewClock(start), "app", part)
			app, err := eng.Submit(ctx, dept, submitRequest("财政一体化"))
			if err != nil {
				t.Fatal(err)
			}
			if app, err = eng.Fire(ctx, authority, app.ID, workflow.TriggerAccept, workflow.Input{}); err != nil {
				t.Fatal(err)
			}
			if _, err := eng.Fire(ctx, authority, app.ID, workflow.TriggerApprove, workflow.Input{}); !errors.Is(err, refuse) {
				t.Fatalf("approve with failing participant = %v, want %v", err, refuse)
			}
			var keys []string
			if err := db.Gorm().Raw(`SELECT k FROM side_effects ORDER BY k`).Scan(&keys).Error; err != nil {
				t.Fatal(err)
			}
			if want := []string{app.ID + "/1", app.ID + "/2"}; fmt.Sprint(keys) != fmt.Sprint(want) {
				t.Errorf("participant rows %v, want %v", keys, want)
			}
			got, err := db.Workflow().GetApplication(ctx, app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != workflow.StateAccepted || got.Version != app.Version || got.AuditSeq != 2 {
				t.Errorf("after rolled-back approve: state %s v%d seq %d, want accepted v%d seq 2", got.State, got.Version, got.AuditSeq, app.Version)
			}
			wos, err := db.Workflow().ListWorkOrders(ctx, workflow.WorkOrderFilter{ApplicationID: app.ID})
			if err != nil || len(wos) != 0 {
				t.Errorf("work orders after rollback: %v, %v", wos, err)
			}
			h, err := db.Workflow().History(ctx, app.ID)
			if err != nil || len(h) != 2 {
				t.Errorf("history after rollback: %d records, %v", len(h), err)
			}
		})
	}
}

func TestLeaseRejectsEmptyNames(t *testing.T) {
	db := openDB(t, gormstore.Options{DSN: ":memory:"})
	for _, r := range []workflow.LeaseRequest{
		{LeaseID: "l1", Now: start, Until: start.Add(time.Minute)},
		{Subscriber: "quota", Now: start, Until: start.Add(time.Minute)},
	} {
		var fe *workflow.FieldError
		if _, err := db.Workflow().Lease(t.Context(), r); !errors.Is(err, workflow.ErrInvalidInput) || !errors.As(err, &fe) {
			t.Errorf("Lease(%+v) = %v, want a FieldError matching ErrInvalidInput", r, err)
		}
	}
}

// TestSharedCacheMemory: two Opens naming one shared-cache in-memory
// database see the same data; the database lives while one is open.
func TestSharedCacheMemory(t *testing.T) {
	dsn := "file:gormstore-shared-test?mode=memory&cache=shared"
	a := openDB(t, gormstore.Options{DSN: dsn})
	eng := newEngine(t, a.Workflow(), workflowtest.NewClock(start), "shared")
	app, err := eng.Submit(t.Context(), dept, submitRequest("共享内存库"))
	if err != nil {
		t.Fatal(err)
	}
	b := openDB(t, gormstore.Options{DSN: dsn})
	got, err := b.Workflow().GetApplication(t.Context(), app.ID)
	if err != nil || got.Version != app.Version {
		t.Fatalf("second Open reads %+v, %v", got, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Workflow().GetApplication(t.Context(), app.ID); err != nil {
		t.Errorf("after closing the other handle: %v", err)
	}
}

// TestUpdateMovesIndexedColumns: an update that changes the columns the
// engine normally leaves alone (department, vendor, created_at) moves the
// application in the listings too.
func TestUpdateMovesIndexedColumns(t *testing.T) {
	for _, o := range openers() {
		t.Run(o.name, func(t *testing.T) {
			ctx := t.Context()
			st := openDB(t, o.opts(t)).Workflow()
			app := workflow.Application{ID: "a1", Department: "d1", Vendor: "v1", State: workflow.StateSubmitted,
				Version: 1, CreatedAt: start, UpdatedAt: start, AuditSeq: 1}
			audit := func(seq int64) workflow.AuditRecord {
				return workflow.AuditRecord{ApplicationID: "a1", Seq: seq, At: start, Trigger: workflow.TriggerSubmit}
			}
			if err := st.Commit(ctx, workflow.Commit{Application: app, Audit: audit(1)}, nil); err != nil {
				t.Fatal(err)
			}
			moved := app
			moved.Department, moved.Vendor, moved.Version, moved.AuditSeq = "d2", "v2", 2, 2
			moved.CreatedAt = start.Add(-time.Hour)
			if err := st.Commit(ctx, workflow.Commit{ExpectedVersion: 1, Application: moved, Audit: audit(2)}, nil); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				f    workflow.ApplicationFilter
				want int
			}{
				{workflow.ApplicationFilter{Department: "d1"}, 0},
				{workflow.ApplicationFilter{Department: "d2"}, 1},
				{workflow.ApplicationFilter{Vendor: "v1"}, 0},
				{workflow.ApplicationFilter{Vendor: "v2"}, 1},
			} {
				got, err := st.ListApplications(ctx, tc.f)
				if err != nil || len(got) != tc.want {
					t.Errorf("ListApplications(%+v) = %d apps, %v; want %d", tc.f, len(got), err, tc.want)
				}
			}
		})
	}
}
