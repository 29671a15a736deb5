// Package dispatchtest is the conformance suite every dispatch.Store must
// pass: dispatch.MemStore and adapters/gormstore (DB.Jobs) on SQLite and PostgreSQL run it.
package dispatchtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/dispatch"
	govcloud "github.com/opengovcloud/govcloud/provider"
)

// T0 is the instant the suite starts at.
var T0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// NewJob returns a pending job of app with sequence seq.
func NewJob(key, app string, seq int64) dispatch.Job {
	return dispatch.Job{Key: key, Application: app, Seq: seq, Vendor: "v", WorkOrder: "wo-" + key, Op: govcloud.OpProvision,
		Request: []byte(fmt.Sprintf(`{"key":%q}`, key)), Due: T0.Add(48 * time.Hour), Status: dispatch.StatusPending,
		NextAt: T0, CreatedAt: T0, UpdatedAt: T0}
}

// RunStore runs the suite; newStore returns a fresh, empty store.
func RunStore(t *testing.T, newStore func(t *testing.T) dispatch.Store) {
	t.Run("EnqueueIdempotent", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		j := NewJob("k1", "a", 1)
		for i := 0; i < 2; i++ {
			if err := s.Enqueue(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		other := j
		other.Request = []byte(`{"key":"k1","other":true}`)
		if err := s.Enqueue(ctx, other); !errors.Is(err, dispatch.ErrConflict) {
			t.Errorf("same key, other request: %v", err)
		}
		got, err := s.Get(ctx, "k1")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(j, got); d != "" {
			t.Errorf("round trip (-want +got)\n%s", d)
		}
		if _, err := s.Get(ctx, "nope"); !errors.Is(err, dispatch.ErrNotFound) {
			t.Errorf("Get(unknown) = %v", err)
		}
	})
	t.Run("LeaseOrderAndExclusion", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		for _, j := range []dispatch.Job{NewJob("a1", "a", 1), NewJob("a2", "a", 2), NewJob("b1", "b", 1)} {
			if err := s.Enqueue(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		later := NewJob("c1", "c", 1)
		later.NextAt = T0.Add(time.Hour)
		if err := s.Enqueue(ctx, later); err != nil {
			t.Fatal(err)
		}
		got, err := s.Lease(ctx, "o1", T0, T0.Add(time.Minute), 10)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]string{"a1", "b1"}, keys(got)); d != "" {
			t.Fatalf("leased (-want +got)\n%s (a2 waits for a1, c1 is not due)", d)
		}
		if got[0].LeaseOwner != "o1" || !got[0].LeasedUntil.Equal(T0.Add(time.Minute)) {
			t.Errorf("lease fields %+v", got[0])
		}
		if again, _ := s.Lease(ctx, "o2", T0.Add(30*time.Second), T0.Add(2*time.Minute), 10); len(again) != 0 {
			t.Errorf("leased twice: %v", keys(again))
		}
		// Expired leases go to another owner; the first owner's record is refused.
		stolen, _ := s.Lease(ctx, "o2", T0.Add(time.Minute), T0.Add(3*time.Minute), 1)
		if d := cmp.Diff([]string{"a1"}, keys(stolen)); d != "" {
			t.Fatalf("after expiry (-want +got)\n%s", d)
		}
		j := got[0]
		j.Status = dispatch.StatusDone
		if err := s.Record(ctx, "o1", j, dispatch.Attempt{JobKey: "a1", N: 1, At: T0, Owner: "o1", Outcome: dispatch.OutcomeDone}); !errors.Is(err, dispatch.ErrLeaseLost) {
			t.Errorf("record by the lost owner: %v", err)
		}
		if err := s.Record(ctx, "o2", j, dispatch.Attempt{JobKey: "a1", N: 1, At: T0, Owner: "o2", Outcome: dispatch.OutcomeDone}); err != nil {
			t.Fatal(err)
		}
		// a1 done: a2 becomes eligible.
		next, _ := s.Lease(ctx, "o1", T0.Add(2*time.Hour), T0.Add(3*time.Hour), 10)
		if d := cmp.Diff([]string{"a2", "b1", "c1"}, keys(next)); d != "" { // b1's lease expired
			t.Errorf("after a1 done (-want +got)\n%s", d)
		}
		at, _ := s.Attempts(ctx, "a1")
		if len(at) != 1 || at[0].Owner != "o2" || at[0].Outcome != dispatch.OutcomeDone {
			t.Errorf("attempts %+v", at)
		}
	})
	t.Run("FailedBlocksUntilResolved", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		_ = s.Enqueue(ctx, NewJob("a1", "a", 1))
		_ = s.Enqueue(ctx, NewJob("a2", "a", 2))
		l, _ := s.Lease(ctx, "o", T0, T0.Add(time.Minute), 5)
		j := l[0]
		j.Status, j.Attempts, j.LastError, j.LastCode = dispatch.StatusFailed, 1, "boom", "unknown_item"
		if err := s.Record(ctx, "o", j, dispatch.Attempt{JobKey: "a1", N: 1, At: T0, Owner: "o", Outcome: dispatch.OutcomePermanent, Code: "unknown_item"}); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.Lease(ctx, "o", T0.Add(time.Hour), T0.Add(2*time.Hour), 5); len(l) != 0 {
			t.Errorf("leased behind a failed job: %v", keys(l))
		}
		failed, _ := s.List(ctx, dispatch.StatusFailed)
		if len(failed) != 1 || failed[0].LastCode != "unknown_item" || failed[0].Attempts != 1 {
			t.Errorf("failed list %+v", failed)
		}
		if err := s.Resolve(ctx, "a2", dispatch.StatusAbandoned, T0); !errors.Is(err, dispatch.ErrConflict) {
			t.Errorf("resolve a pending job: %v", err)
		}
		if err := s.Resolve(ctx, "zz", dispatch.StatusAbandoned, T0); !errors.Is(err, dispatch.ErrNotFound) {
			t.Errorf("resolve unknown: %v", err)
		}
		if err := s.Resolve(ctx, "a1", dispatch.StatusDone, T0); !errors.Is(err, dispatch.ErrInvalidJob) {
			t.Errorf("resolve to done: %v", err)
		}
		if err := s.Resolve(ctx, "a1", dispatch.StatusAbandoned, T0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		l, _ = s.Lease(ctx, "o", T0.Add(time.Hour), T0.Add(2*time.Hour), 5)
		if d := cmp.Diff([]string{"a2"}, keys(l)); d != "" {
			t.Errorf("after abandon (-want +got)\n%s", d)
		}
		all, _ := s.List(ctx)
		if d := cmp.Diff([]string{"a1", "a2"}, keys(all)); d != "" {
			t.Errorf("list (-want +got)\n%s", d)
		}
	})
	t.Run("Nudge", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		j := NewJob("k", "a", 1)
		j.NextAt = T0.Add(time.Hour)
		_ = s.Enqueue(ctx, j)
		if l, _ := s.Lease(ctx, "o", T0, T0.Add(time.Minute), 1); len(l) != 0 {
			t.Fatal("leased before due")
		}
		if err := s.Nudge(ctx, "k", T0); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.Lease(ctx, "o", T0, T0.Add(time.Minute), 1); len(l) != 1 {
			t.Fatal("not due after Nudge")
		}
		if err := s.Nudge(ctx, "zz", T0); !errors.Is(err, dispatch.ErrNotFound) {
			t.Errorf("Nudge(unknown) = %v", err)
		}
		got, _ := s.Get(ctx, "k")
		if !got.NextAt.Equal(T0) {
			t.Errorf("next at %v", got.NextAt)
		}
		if err := s.Nudge(ctx, "k", T0.Add(time.Hour)); err != nil { // later: no change
			t.Fatal(err)
		}
		if got, _ := s.Get(ctx, "k"); !got.NextAt.Equal(T0) {
			t.Errorf("a later nudge moved next at to %v", got.NextAt)
		}
	})
	t.Run("NextDue", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		if _, ok, err := s.NextDue(ctx, T0); err != nil || ok {
			t.Fatalf("empty store: ok %v, err %v", ok, err)
		}
		at := func(h int) time.Time { return T0.Add(time.Duration(h) * time.Hour) }
		jobs := []dispatch.Job{NewJob("a1", "a", 1), NewJob("a2", "a", 2), NewJob("b1", "b", 1), NewJob("c1", "c", 1)}
		jobs[0].NextAt = at(1)
		jobs[1].NextAt = at(2) // blocked behind a1: counts all the same
		jobs[2].NextAt = at(5)
		jobs[3].NextAt = at(3)
		for _, j := range jobs {
			if err := s.Enqueue(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		// c1 is done: no longer due.
		l, err := s.Lease(ctx, "o", at(3), at(4), 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range l {
			if j.Key != "c1" {
				continue
			}
			j.Status = dispatch.StatusDone
			if err := s.Record(ctx, "o", j, dispatch.Attempt{JobKey: j.Key, N: 1, At: at(3), Owner: "o", Outcome: dispatch.OutcomeDone}); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			after time.Time
			want  time.Time
			ok    bool
		}{
			{T0, at(1), true},
			{at(1), at(2), true}, // strictly after
			{at(2), at(5), true}, // c1 (3h) is done
			{at(5), time.Time{}, false},
		} {
			got, ok, err := s.NextDue(ctx, tc.after)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Errorf("NextDue(%v) = %v, %v; want %v, %v", tc.after, got, ok, tc.want, tc.ok)
			}
		}
	})
	t.Run("ConcurrentLeasesExclusive", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		const n = 40
		for i := 0; i < n; i++ {
			if err := s.Enqueue(ctx, NewJob(fmt.Sprintf("j%02d", i), fmt.Sprintf("app%02d", i), 1)); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[string]string{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(owner string) {
				defer wg.Done()
				for round := 0; round < 20; round++ {
					l, err := s.Lease(ctx, owner, T0, T0.Add(time.Hour), 3)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, j := range l {
						if prev, ok := seen[j.Key]; ok {
							t.Errorf("job %s leased by %s and %s", j.Key, prev, owner)
						}
						seen[j.Key] = owner
					}
					mu.Unlock()
				}
			}(fmt.Sprintf("w%d", w))
		}
		wg.Wait()
		if len(seen) != n {
			t.Errorf("%d of %d jobs leased", len(seen), n)
		}
	})
}

func keys(js []dispatch.Job) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.Key)
	}
	return out
}
