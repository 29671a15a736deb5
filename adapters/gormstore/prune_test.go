package gormstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// TestPruneRacesFirstLeases prunes the outbox while subscribers lease it for the
// first time, on separate connections: afterwards no delivery row points at a
// pruned message (such a row could never be leased or acknowledged, and would
// block its application's later messages), and every subscriber can take
// everything it was left.
func TestPruneRacesFirstLeases(t *testing.T) {
	for _, o := range []struct {
		name string
		opts func(t testing.TB) gormstore.Options
	}{
		{"sqlite-file", openers()[0].opts},
		{"postgres", func(t testing.TB) gormstore.Options { return gormstore.Options{DSN: pgtest.DSN(t), MaxOpenConns: 6} }},
	} {
		t.Run(o.name, func(t *testing.T) {
			db := openDB(t, o.opts(t))
			s := db.Workflow()
			ctx := t.Context()
			eng := newEngine(t, s, workflowtest.NewClock(start), "p")
			const apps = 80
			for i := range apps {
				if _, err := eng.Submit(ctx, dept, submitRequest(fmt.Sprintf("系统%d", i))); err != nil {
					t.Fatal(err)
				}
			}
			now := start.Add(time.Hour)
			drain := func(sub string) (int, error) {
				n := 0
				for {
					ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: sub, LeaseID: fmt.Sprint(sub, n),
						Now: now, Until: now.Add(time.Hour), Max: 7})
					if err != nil || len(ds) == 0 {
						return n, err
					}
					for _, d := range ds {
						if err := s.Ack(ctx, workflow.AckRequest{Subscriber: sub, MessageID: d.Message.ID, LeaseID: d.LeaseID}); err != nil {
							return n, fmt.Errorf("ack %s: %w", d.Message.ID, err)
						}
						n++
					}
				}
			}
			if n, err := drain("first"); err != nil || n != apps {
				t.Fatalf("first subscriber took %d messages (%v), want %d", n, err, apps)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			wg.Go(func() {
				for {
					res, err := s.PruneOutbox(ctx, workflow.PruneRequest{Before: now, Max: 3})
					if err != nil {
						errs <- fmt.Errorf("prune: %w", err)
						return
					}
					if res.Pruned == 0 && !res.More {
						return
					}
				}
			})
			for i := range 4 {
				wg.Go(func() {
					if _, err := drain(fmt.Sprintf("late-%d", i)); err != nil {
						errs <- fmt.Errorf("late-%d: %w", i, err)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			var orphans int64
			if err := db.Gorm().WithContext(context.Background()).Raw(`SELECT count(*) FROM wf_deliveries d
				WHERE NOT EXISTS (SELECT 1 FROM wf_outbox o WHERE o.id = d.message_id)`).Scan(&orphans).Error; err != nil {
				t.Fatal(err)
			}
			if orphans != 0 {
				t.Fatalf("%d delivery rows point at pruned messages", orphans)
			}
			// Every late subscriber acknowledged what it leased: a last prune
			// empties the outbox, and new messages still flow to everyone.
			if _, err := s.PruneOutbox(ctx, workflow.PruneRequest{Before: now}); err != nil {
				t.Fatal(err)
			}
			if _, err := eng.Submit(ctx, dept, submitRequest("最后")); err != nil {
				t.Fatal(err)
			}
			for _, sub := range []string{"first", "late-0", "late-3", "new"} {
				if n, err := drain(sub); err != nil || n != 1 {
					t.Errorf("%s took %d messages after the last prune (%v), want 1", sub, n, err)
				}
			}
		})
	}
}
