package govcloud

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/workflow"
)

func TestOptionsValidate(t *testing.T) {
	bad := workflow.ZhejiangPreset()
	bad.Deadlines.Accept = -1
	for _, tc := range []struct {
		name  string
		opts  Options
		field string
	}{
		{"zero", Options{}, ""},
		{"sqlite", Options{SQLitePath: "x.db"}, ""},
		{"memory", Options{SQLitePath: ":memory:"}, ""},
		{"postgres", Options{PostgresDSN: "postgres://u@h/db"}, ""},
		{"both", Options{SQLitePath: "x.db", PostgresDSN: "postgres://u@h/db"}, "PostgresDSN"},
		{"blank path", Options{SQLitePath: "  "}, "SQLitePath"},
		{"blank dsn", Options{PostgresDSN: " "}, "PostgresDSN"},
		{"path with query", Options{SQLitePath: "x.db?mode=ro"}, "SQLitePath"},
		{"pg url as path", Options{SQLitePath: "postgres://u@h/db"}, "SQLitePath"},
		{"negative pool", Options{MaxOpenConns: -2}, "MaxOpenConns"},
		{"exclusive", Options{SQLitePath: "x.db", SQLiteExclusive: true}, ""},
		{"exclusive in memory", Options{SQLitePath: ":memory:", SQLiteExclusive: true}, "SQLiteExclusive"},
		{"exclusive on postgres", Options{PostgresDSN: "postgres://u@h/db", SQLiteExclusive: true}, "SQLiteExclusive"},
		{"bad policy", Options{Policy: &bad}, "Policy"},
		{"nil participant", Options{Participants: []workflow.Participant{nil}}, "Participants[0]"},
		{"quota via outbox", Options{QuotaMode: QuotaViaOutbox}, ""},
		{"quota in transaction", Options{QuotaMode: QuotaInTransaction}, ""},
		{"quota elsewhere", Options{QuotaStore: memstore.NewQuotaStore()}, ""},
		{"quota elsewhere in transaction", Options{QuotaStore: memstore.NewQuotaStore(), QuotaMode: QuotaInTransaction}, "QuotaMode"},
		{"unknown quota mode", Options{QuotaMode: 7}, "QuotaMode"},
		{"negative hold TTL", Options{QuotaHoldTTL: -time.Hour}, "QuotaHoldTTL"},
		{"negative hold margin", Options{QuotaHoldMargin: -time.Hour}, "QuotaHoldMargin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			got := ""
			if err != nil {
				var oe *OptionError
				if !errors.As(err, &oe) || !errors.Is(err, ErrInvalidOptions) {
					t.Fatalf("Validate() = %v, not an *OptionError", err)
				}
				got = oe.Field
			}
			if diff := cmp.Diff(tc.field, got); diff != "" {
				t.Errorf("field (-want +got):\n%s (err: %v)", diff, err)
			}
		})
	}
}

func TestStoreOptions(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want gormstore.Options
	}{
		{Options{}, gormstore.Options{Driver: gormstore.SQLite, DSN: DefaultSQLitePath}},
		{Options{SQLitePath: "/var/lib/gc.db", MaxOpenConns: 3}, gormstore.Options{Driver: gormstore.SQLite, DSN: "/var/lib/gc.db", MaxOpenConns: 3}},
		{Options{PostgresDSN: "host=h"}, gormstore.Options{Driver: gormstore.Postgres, DSN: "host=h"}},
	} {
		if diff := cmp.Diff(tc.want, tc.opts.storeOptions()); diff != "" {
			t.Errorf("storeOptions(%+v) (-want +got):\n%s", tc.opts, diff)
		}
	}
}

func TestOpenInvalidWritesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.db")
	_, err := Open(t.Context(), Options{SQLitePath: path, MaxOpenConns: -1})
	if !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("Open = %v, want ErrInvalidOptions", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Errorf("files created: %v", m)
	}
}

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

type seqIDs struct{ n int }

func (g *seqIDs) NewID() string { g.n++; return fmt.Sprintf("id-%04d", g.n) }

func submission() workflow.SubmitRequest {
	att := func(n string) workflow.Attachment { return workflow.Attachment{Name: n, URI: "doc://" + n} }
	return workflow.SubmitRequest{
		SystemName: "不动产登记", Vendor: "vendor-a", Zone: workflow.PrivateZone, SecurityLevel: 3,
		Items: []workflow.Item{{Code: "ecs.8c16g", Quantity: 4}},
		Materials: []workflow.Material{
			{Kind: workflow.MaterialConstructionPlan, Attachment: att("plan.pdf")},
			{Kind: workflow.MaterialSelfTestReport, Attachment: att("self.pdf")},
			{Kind: workflow.MaterialResourceRequest, Attachment: att("res.xlsx")},
		},
	}
}

// TestPlatform runs the same scenario on SQLite and PostgreSQL: a platform
// persists applications across re-open, deadlines follow the injected
// calendar and clock, and the relay delivers committed transitions.
func TestPlatform(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) Options
	}{
		{"sqlite", func(t *testing.T) Options { return Options{SQLitePath: filepath.Join(t.TempDir(), "gc.db")} }},
		{"postgres", func(t *testing.T) Options { return Options{PostgresDSN: pgtest.DSN(t)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			base := tc.opts(t)
			// Tuesday 2026-09-29 10:00 Beijing: the 3-working-day acceptance
			// deadline skips the National Day holiday (2026-10-01..07).
			clock := &fixedClock{time.Date(2026, 9, 29, 2, 0, 0, 0, time.UTC)}
			base.Clock, base.IDs = clock, &seqIDs{}
			p, err := Open(ctx, base)
			if err != nil {
				t.Fatal(err)
			}
			dept := workflow.Actor{Role: workflow.RoleDepartment, ID: "dept-land"}
			app, err := p.Workflow().Submit(ctx, dept, submission())
			if err != nil {
				t.Fatal(err)
			}
			want, err := p.opts.Calendar.Deadline(clock.t, 3)
			if err != nil {
				t.Fatal(err)
			}
			if !app.Due.Equal(want) || app.Party != workflow.PartyAuthority || !want.Equal(time.Date(2026, 10, 9, 16, 0, 0, 0, time.UTC)) {
				t.Errorf("due %v party %s, want %v authority", app.Due, app.Party, want)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}

			p, err = Open(ctx, base)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			auth := workflow.Actor{Role: workflow.RoleAuthority, ID: "office"}
			got, err := p.Workflow().Get(ctx, auth, app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(app, got); diff != "" {
				t.Errorf("application after re-open (-want +got):\n%s", diff)
			}
			if _, err := p.Workflow().Fire(ctx, auth, app.ID, workflow.TriggerAccept, workflow.Input{}); err != nil {
				t.Fatal(err)
			}
			if err := p.Workflow().Verify(ctx, auth, app.ID); err != nil {
				t.Error(err)
			}
			var seen []string
			sub := workflow.SubscriberFunc("test", func(_ context.Context, tr workflow.Transition, _ workflow.Delivery) error {
				seen = append(seen, string(tr.Trigger))
				return nil
			})
			for range 3 {
				if _, err := p.Relay().DeliverOnce(ctx, sub); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff([]string{"submit", "accept"}, seen); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
		})
	}
}
