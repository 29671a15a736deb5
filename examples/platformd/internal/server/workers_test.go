package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

// TestExpireHolds: the hold an approval places is released by the expiry
// worker once its time-to-live has passed (the vendor never provided the
// trial), not before, once only, and counted in the metrics.
func TestExpireHolds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	app := e.submit(tokDeptA)
	e.fire(tokAuth, app.ID, workflow.TriggerAccept, server.InputBody{})
	e.fire(tokAuth, app.ID, workflow.TriggerApprove, server.InputBody{TrialDays: 15})
	r, err := e.p.Quota().Reservation(ctx, app.ID)
	if err != nil || r.State != quota.StateHeld {
		t.Fatalf("after approval: %+v, %v; want a hold", r, err)
	}
	if n, err := e.srv.ExpireHolds(ctx); err != nil || n != 0 {
		t.Fatalf("expiry before the TTL: %d, %v; want 0", n, err)
	}
	e.clock.Advance(r.ExpiresAt.Sub(e.clock.Now()) + time.Minute)
	if n, err := e.srv.ExpireHolds(ctx); err != nil || n != 1 {
		t.Fatalf("expiry after the TTL: %d, %v; want 1", n, err)
	}
	if r, err := e.p.Quota().Reservation(ctx, app.ID); err != nil || r.State != quota.StateReleased {
		t.Fatalf("after expiry: %+v, %v; want released", r, err)
	}
	if n, err := e.srv.ExpireHolds(ctx); err != nil || n != 0 {
		t.Fatalf("expiry again: %d, %v; want 0", n, err)
	}
	m := string(e.must(200, "GET", "/metrics", "", nil).body)
	for _, want := range []string{"platformd_quota_holds_expired_total 1", "platformd_quota_expiry_runs_total 3", "platformd_quota_expiry_errors_total 0"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestPruneOutbox: the retention deletes only messages older than it that
// every subscriber has acknowledged, and the metrics count them.
func TestPruneOutbox(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	app := e.submit(tokDeptA)
	audit := workflow.SubscriberFunc("audit-log", func(context.Context, workflow.Transition, workflow.Delivery) error { return nil })
	if n, err := e.p.Relay().DeliverOnce(ctx, audit); err != nil || n != 1 {
		t.Fatalf("delivery of the submission: %d, %v", n, err)
	}
	e.fire(tokAuth, app.ID, workflow.TriggerAccept, server.InputBody{})
	e.clock.Advance(server.DefaultOutboxRetention + time.Hour)
	// The submission is acknowledged by audit-log, the acceptance is not yet.
	if n, err := e.srv.PruneOutbox(ctx, server.DefaultOutboxRetention); err != nil || n != 1 {
		t.Fatalf("prune: %d, %v; want 1", n, err)
	}
	if n, err := e.p.Relay().DeliverOnce(ctx, audit); err != nil || n != 1 {
		t.Fatalf("delivery of the acceptance after the prune: %d, %v", n, err)
	}
	m := string(e.must(200, "GET", "/metrics", "", nil).body)
	for _, want := range []string{"platformd_outbox_pruned_total 1", "platformd_outbox_prune_runs_total 1", "platformd_outbox_prune_errors_total 0"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
