package govcloud

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/workflow"
)

// TestPruneOutbox checks the platform's retention: its own subscribers hold
// every message they have not acknowledged, even before they first lease;
// once they have, messages older than the retention go, newer ones stay, and
// the audit trail stays whole.
func TestPruneOutbox(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			opts := b.opts(t)
			opts.QuotaMode = QuotaViaOutbox
			e := newQEnv(t, opts, deptLimit)
			ctx := t.Context()
			if d := cmp.Diff([]string{QuotaSubscriberName}, e.p.SubscriberNames()); d != "" {
				t.Fatalf("SubscriberNames (-want +got):\n%s", d)
			}
			id := e.submit(qDept, workflow.Item{Code: "ecs.4c8g", Quantity: 1}).ID
			e.mustFire(qAuth, id, workflow.TriggerAccept, workflow.Input{})
			e.clock.Advance(48 * time.Hour)
			e.mustFire(qAuth, id, workflow.TriggerApprove, workflow.Input{TrialDays: 20})
			e.clock.Advance(48 * time.Hour)

			// The quota subscriber has never leased: it still holds everything.
			if n, err := e.p.PruneOutbox(ctx, time.Hour); err != nil || n != 0 {
				t.Fatalf("PruneOutbox before the quota subscriber ran = %d, %v; want 0", n, err)
			}
			e.sync()
			// Submit and accept are older than 72 hours, approve is not.
			if n, err := e.p.PruneOutbox(ctx, 72*time.Hour); err != nil || n != 2 {
				t.Fatalf("PruneOutbox(72h) = %d, %v; want 2", n, err)
			}
			if n, err := e.p.PruneOutbox(ctx, time.Hour); err != nil || n != 1 {
				t.Fatalf("PruneOutbox(1h) = %d, %v; want 1", n, err)
			}
			if _, err := e.p.PruneOutbox(ctx, 0); err == nil {
				t.Fatal("PruneOutbox(0) succeeded; want an error for a retention of zero")
			}
			if err := e.p.Workflow().Verify(ctx, qAuth, id); err != nil {
				t.Fatalf("audit trail after pruning: %v", err)
			}
			// The quota subscriber goes on with the next transition.
			e.completeOpen(id)
			e.sync()
			e.clock.Advance(time.Minute)
			if n, err := e.p.PruneOutbox(ctx, time.Second); err != nil || n != 1 {
				t.Fatalf("PruneOutbox after the next transition = %d, %v; want 1", n, err)
			}
		})
	}
}
