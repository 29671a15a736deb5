package workflowtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/workflow"
)

// testBatchAck checks workflow.OutboxBatchAcker (skipped for a store without it):
// each request's outcome is what Ack alone would give, in the order of the
// requests, and one request's error does not undo the others.
func testBatchAck(t *testing.T, s workflow.Store) {
	b, ok := s.(workflow.OutboxBatchAcker)
	if !ok {
		t.Skip("the store is not a workflow.OutboxBatchAcker")
	}
	ctx := context.Background()
	a := mustCommit(t, s, commitFor(newApp("A", "d", "v"), 0, Base))
	mustCommit(t, s, commitFor(a, 1, at(time.Second)))
	mustCommit(t, s, commitFor(newApp("B", "d", "v"), 0, Base))
	mustCommit(t, s, commitFor(newApp("C", "d", "v"), 0, Base))
	t0 := at(time.Hour)
	ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: "s1", LeaseID: "L1", Now: t0, Until: t0.Add(time.Minute), Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"A/1", "B/1", "C/1"}, msgIDs(ds)); d != "" {
		t.Fatalf("lease (-want +got):\n%s", d)
	}
	if errs, err := b.AckBatch(ctx, nil); err != nil || len(errs) != 0 {
		t.Fatalf("AckBatch(nil) = %v, %v; want no errors", errs, err)
	}
	req := func(sub, msg, lease string) workflow.AckRequest {
		return workflow.AckRequest{Subscriber: sub, MessageID: msg, LeaseID: lease}
	}
	errs, err := b.AckBatch(ctx, []workflow.AckRequest{
		req("s1", "C/1", "L1"),    // acknowledged
		req("s1", "B/1", "other"), // another lease
		req("s1", "nope", "L1"),   // no such message
		req("s1", "A/1", "L1"),    // acknowledged
		req("s1", "A/2", "L1"),    // never leased
		req("s1", "C/1", "L1"),    // acknowledged a moment ago: a no-op
	})
	if err != nil {
		t.Fatalf("AckBatch: %v", err)
	}
	want := []error{nil, workflow.ErrLeaseLost, workflow.ErrNotFound, nil, workflow.ErrLeaseLost, nil}
	if len(errs) != len(want) {
		t.Fatalf("AckBatch returned %d errors for %d requests: %v", len(errs), len(want), errs)
	}
	for i, w := range want {
		if (w == nil) != (errs[i] == nil) || (w != nil && !errors.Is(errs[i], w)) {
			t.Errorf("request %d: error %v, want %v", i, errs[i], w)
		}
	}
	// A/1 and C/1 are acknowledged (A/2 is A's head now), B/1 is still leased.
	ds, err = s.Lease(ctx, workflow.LeaseRequest{Subscriber: "s1", LeaseID: "L2", Now: t0.Add(time.Second), Until: t0.Add(time.Minute), Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"A/2"}, msgIDs(ds)); d != "" {
		t.Fatalf("lease after the batch (-want +got):\n%s", d)
	}
	errs, err = b.AckBatch(ctx, []workflow.AckRequest{req("s1", "A/2", "L2"), req("s1", "B/1", "L1")})
	if err != nil || len(errs) != 2 || errs[0] != nil || errs[1] != nil {
		t.Fatalf("AckBatch of the rest = %v, %v; want two nil errors", errs, err)
	}
	ds, err = s.Lease(ctx, workflow.LeaseRequest{Subscriber: "s1", LeaseID: "L3", Now: t0.Add(time.Hour), Until: t0.Add(2 * time.Hour), Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 0 {
		t.Fatalf("everything acknowledged, yet leased %v", msgIDs(ds))
	}
	// A cancelled context acknowledges nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.AckBatch(cctx, []workflow.AckRequest{req("s1", "A/2", "L2")}); !errors.Is(err, context.Canceled) {
		t.Fatalf("AckBatch with a cancelled context = %v, want context.Canceled", err)
	}
}
