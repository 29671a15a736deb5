package workflowtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/workflow"
)

// testPrune checks workflow.OutboxPruner: only messages every subscriber (known
// or named) has acknowledged and older than the horizon go, oldest first, in
// batches; delivery goes on for every subscriber; a new subscriber starts at the
// oldest message kept; the audit trail stays whole.
func testPrune(t *testing.T, s workflow.Store) {
	p, ok := s.(workflow.OutboxPruner)
	if !ok {
		t.Skipf("%T does not implement workflow.OutboxPruner", s)
	}
	ctx := context.Background()
	// Positions in commit order: A/1 B/1 C/1 at Base, A/2 at +1h, A/3 at +2h, C/2 at +3h.
	a := mustCommit(t, s, commitFor(newApp("A", "d", "v"), 0, Base))
	mustCommit(t, s, commitFor(newApp("B", "d", "v"), 0, Base))
	c := mustCommit(t, s, commitFor(newApp("C", "d", "v"), 0, Base))
	a = mustCommit(t, s, commitFor(a, 1, at(time.Hour)))
	mustCommit(t, s, commitFor(a, 2, at(2*time.Hour)))
	mustCommit(t, s, commitFor(c, 1, at(3*time.Hour)))

	now := at(24 * time.Hour)
	lease := func(sub string) []workflow.Delivery {
		t.Helper()
		now = now.Add(2 * time.Minute) // past every earlier lease
		ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: sub, LeaseID: fmt.Sprint(sub, now.Unix()),
			Now: now, Until: now.Add(time.Minute), Max: 10})
		if err != nil {
			t.Fatalf("Lease(%s): %v", sub, err)
		}
		return ds
	}
	ack := func(sub string, d workflow.Delivery) {
		t.Helper()
		if err := s.Ack(ctx, workflow.AckRequest{Subscriber: sub, MessageID: d.Message.ID, LeaseID: d.LeaseID}); err != nil {
			t.Fatalf("Ack(%s, %s): %v", sub, d.Message.ID, err)
		}
	}
	ackAll := func(sub string) {
		t.Helper()
		for ds := lease(sub); len(ds) > 0; ds = lease(sub) {
			for _, d := range ds {
				ack(sub, d)
			}
		}
	}
	prune := func(before time.Time, max int, subs ...string) workflow.PruneResult {
		t.Helper()
		res, err := p.PruneOutbox(ctx, workflow.PruneRequest{Before: before, Subscribers: subs, Max: max})
		if err != nil {
			t.Fatalf("PruneOutbox(before %v, max %d, %v): %v", before, max, subs, err)
		}
		return res
	}
	wantPrune := func(what string, got, want workflow.PruneResult) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: PruneOutbox = %+v, want %+v", what, got, want)
		}
	}

	// Bad requests are refused and delete nothing (checked below: A/1 is still
	// there when s1 leases).
	for _, r := range []workflow.PruneRequest{
		{Subscribers: []string{"s1"}},
		{Before: now, Subscribers: []string{"s1", ""}},
	} {
		if _, err := p.PruneOutbox(ctx, r); !errors.Is(err, workflow.ErrInvalidInput) {
			t.Fatalf("PruneOutbox(%+v) = %v, want ErrInvalidInput", r, err)
		}
	}
	// Named subscribers are registered: with nothing acknowledged, nothing goes.
	wantPrune("nothing acknowledged", prune(now, 0, "s1", "s2"), workflow.PruneResult{})

	// s1 acknowledges everything, s2 only A/1 and B/1 (C/1 stays leased to it).
	ackAll("s1")
	ds := lease("s2")
	if d := cmp.Diff([]string{"A/1", "B/1", "C/1"}, msgIDs(ds)); d != "" {
		t.Fatalf("s2's first lease (-want +got):\n%s", d)
	}
	ack("s2", ds[0])
	ack("s2", ds[1])
	wantPrune("acknowledged by s1 and s2", prune(now, 0), workflow.PruneResult{Pruned: 2})
	if err := s.Ack(ctx, workflow.AckRequest{Subscriber: "s2", MessageID: "A/1", LeaseID: ds[0].LeaseID}); !errors.Is(err, workflow.ErrNotFound) {
		t.Fatalf("Ack of a pruned message = %v, want ErrNotFound", err)
	}
	// A new subscriber starts at the oldest message kept.
	if d := cmp.Diff([]string{"C/1", "A/2"}, msgIDs(lease("s3"))); d != "" {
		t.Fatalf("a subscriber new after the prune leases (-want +got):\n%s", d)
	}
	// s2 goes on where it was: C/1 again (its lease expired), then A's next.
	ds = lease("s2")
	if d := cmp.Diff([]string{"C/1", "A/2"}, msgIDs(ds)); d != "" {
		t.Fatalf("s2 after the prune (-want +got):\n%s", d)
	}
	if ds[0].Attempt != 2 {
		t.Errorf("C/1 redelivered to s2 with attempt %d, want 2", ds[0].Attempt)
	}
	ackAll("s2")
	// s3 is known now and has acknowledged nothing: it holds every message.
	wantPrune("held by s3", prune(now, 0), workflow.PruneResult{})
	ackAll("s3")

	// The horizon: C/1 (Base) and A/2 (+1h) are older than +90m, A/3 and C/2 are not.
	wantPrune("before +90m", prune(at(90*time.Minute), 0), workflow.PruneResult{Pruned: 2})
	// Batches, oldest first: A/3, then C/2.
	wantPrune("first batch of 1", prune(now, 1), workflow.PruneResult{Pruned: 1, More: true})
	if d := cmp.Diff([]string{"C/2"}, msgIDs(lease("s4"))); d != "" {
		t.Fatalf("after pruning A/3 a new subscriber leases (-want +got):\n%s", d)
	}
	wantPrune("held by s4", prune(now, 1), workflow.PruneResult{})
	ackAll("s4")
	wantPrune("last batch of 1", prune(now, 1), workflow.PruneResult{Pruned: 1})
	wantPrune("empty outbox", prune(now, 0), workflow.PruneResult{})

	// Delivery goes on after an application's every message was pruned.
	a = mustGet(t, s, "A")
	mustCommit(t, s, commitFor(a, 3, now))
	for _, sub := range []string{"s1", "s5"} {
		if d := cmp.Diff([]string{"A/4"}, msgIDs(lease(sub))); d != "" {
			t.Fatalf("%s after a new commit (-want +got):\n%s", sub, d)
		}
	}
	// An Ack by a subscriber that never leased fails and registers nothing: it does
	// not hold A/4 once every subscriber that did lease has acknowledged it.
	if err := s.Ack(ctx, workflow.AckRequest{Subscriber: "ghost", MessageID: "A/4", LeaseID: "x"}); !errors.Is(err, workflow.ErrLeaseLost) {
		t.Fatalf("Ack by a subscriber that never leased = %v, want ErrLeaseLost", err)
	}
	for _, sub := range []string{"s1", "s2", "s3", "s4", "s5"} {
		ackAll(sub)
	}
	wantPrune("A/4, acknowledged by every subscriber that leased", prune(now, 0), workflow.PruneResult{Pruned: 1})
	// The audit trail is untouched.
	h, err := s.History(ctx, "A")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int64{1, 2, 3, 4}, seqs(h)); d != "" {
		t.Fatalf("A's history after pruning (-want +got):\n%s", d)
	}
}
