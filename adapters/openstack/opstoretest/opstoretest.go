// Package opstoretest is the conformance suite of openstack.OpStore. Every
// implementation runs it in its tests:
//
//	func TestOpStore(t *testing.T) {
//		opstoretest.Run(t, func(t *testing.T) openstack.OpStore { return newStore(t) })
//	}
//
// It checks that Get returns every field Put stored (instants to the
// microsecond, in any location), that Put is a compare-and-set on
// Op.Revision (ErrStaleOp for a stale writer, nothing written), that Running
// answers only unfinished operations of the application, the earliest
// accepted first, that a cancelled context is honoured, and that concurrent
// writers lose no update (run it with -race).
package opstoretest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/opengovcloud/govcloud/adapters/openstack"
	govcloud "github.com/opengovcloud/govcloud/provider"
)

var beijing = time.FixedZone("CST", 8*3600)

// at is an instant at microsecond precision in Beijing time.
func at(min int) time.Time {
	return time.Date(2026, 3, 2, 9, min, 7, 123456000, beijing)
}

func order(key, app string) govcloud.Order {
	return govcloud.Order{Key: key, WorkOrder: "wo-" + key, Application: app, Department: "财政局", Vendor: "os-cloud"}
}

// running is an unfinished operation accepted at minute min.
func running(key, app string, min int) openstack.Op {
	return openstack.Op{Key: key, Op: govcloud.OpProvision, Fingerprint: "fp-" + key, Order: order(key, app),
		Items: []govcloud.Item{{Code: "ecs.small", Quantity: 2}, {Code: "evs.gb", Quantity: 100}}, Accepted: at(min)}
}

func done(key, app string, min int) openstack.Op {
	op := running(key, app, min)
	op.Done = true
	op.Result = &govcloud.Result{Application: app, Environment: "proj-1", Formal: true,
		Resources: []govcloud.Resource{{ID: "srv-1", Item: "ecs.small", Quantity: 1}, {ID: "vol-1", Item: "evs.gb", Quantity: 100}},
		Completed: at(min + 40), Note: "提供试用环境已完成"}
	return op
}

func failed(key, app string, min int) openstack.Op {
	op := running(key, app, min)
	op.Op = govcloud.OpChange
	op.Err = &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Field: "Items",
		Msg: "云硬盘不能缩小 (volumes cannot shrink)", RetryAfter: 90 * time.Second}
	return op
}

// stored is op as Get returns it after its revision-th write.
func stored(op openstack.Op, revision int64) openstack.Op {
	op.Revision = revision
	return op
}

var opts = cmp.Options{cmpopts.EquateEmpty()}

// Run runs the conformance suite; newStore returns an empty store for each
// subtest (closed by t.Cleanup if it needs closing).
func Run(t *testing.T, newStore func(t *testing.T) openstack.OpStore) {
	t.Run("RoundTrip", func(t *testing.T) { roundTrip(t, newStore(t)) })
	t.Run("PutReplaces", func(t *testing.T) { putReplaces(t, newStore(t)) })
	t.Run("StalePut", func(t *testing.T) { stalePut(t, newStore(t)) })
	t.Run("Running", func(t *testing.T) { runningOps(t, newStore(t)) })
	t.Run("Context", func(t *testing.T) { cancelled(t, newStore(t)) })
	t.Run("Concurrent", func(t *testing.T) { concurrent(t, newStore(t)) })
	t.Run("RacingWriters", func(t *testing.T) { racingWriters(t, newStore(t)) })
}

func mustPut(t *testing.T, s openstack.OpStore, op openstack.Op) {
	t.Helper()
	if err := s.Put(t.Context(), op); err != nil {
		t.Fatalf("Put(%q, revision %d): %v", op.Key, op.Revision, err)
	}
}

func mustGet(t *testing.T, s openstack.OpStore, key string) openstack.Op {
	t.Helper()
	op, ok, err := s.Get(t.Context(), key)
	if err != nil || !ok {
		t.Fatalf("Get(%q) = ok %v, %v", key, ok, err)
	}
	return op
}

func roundTrip(t *testing.T, s openstack.OpStore) {
	for _, op := range []openstack.Op{running("k/run", "a", 0), done("k/done", "a", 1), failed("k/failed", "b", 2),
		{Key: "k/bare", Op: govcloud.OpReclaim, Fingerprint: "fp", Order: order("k/bare", "c"), Accepted: at(3)}} {
		mustPut(t, s, op)
		got := mustGet(t, s, op.Key)
		if d := cmp.Diff(stored(op, 1), got, opts); d != "" {
			t.Errorf("Get(%q) after Put (-want +got)\n%s", op.Key, d)
		}
		if !got.Accepted.Equal(op.Accepted) || (op.Result != nil && !got.Result.Completed.Equal(op.Result.Completed)) {
			t.Errorf("Get(%q) instants %v / %+v, want %v / %+v", op.Key, got.Accepted, got.Result, op.Accepted, op.Result)
		}
		// What Get returned is the caller's: changing it changes nothing stored.
		if len(got.Items) > 0 {
			got.Items[0].Quantity = 999
		}
		if got.Result != nil {
			got.Result.Resources[0].ID = "changed"
		}
		if got.Err != nil {
			got.Err.Msg = "changed"
		}
		if d := cmp.Diff(stored(op, 1), mustGet(t, s, op.Key), opts); d != "" {
			t.Errorf("Get(%q) after changing an earlier answer (-want +got)\n%s", op.Key, d)
		}
	}
	if op, ok, err := s.Get(t.Context(), "k/unknown"); err != nil || ok {
		t.Errorf("Get(unknown) = %+v, %v, %v; want not found", op, ok, err)
	}
}

func putReplaces(t *testing.T, s openstack.OpStore) {
	op := running("k", "a", 0)
	mustPut(t, s, op)
	// The provider drops the items once recorded, then completes the operation.
	op = mustGet(t, s, "k")
	op.Items = nil
	mustPut(t, s, op)
	op = mustGet(t, s, "k")
	if op.Revision != 2 || len(op.Items) != 0 {
		t.Fatalf("after the second Put: revision %d, items %+v", op.Revision, op.Items)
	}
	fin := done("k", "a", 0)
	fin.Items, fin.Revision = nil, 2
	mustPut(t, s, fin)
	if d := cmp.Diff(stored(fin, 3), mustGet(t, s, "k"), opts); d != "" {
		t.Errorf("after completing (-want +got)\n%s", d)
	}
	if key, err := s.Running(t.Context(), "a"); err != nil || key != "" {
		t.Errorf("Running(a) = %q, %v after completing; want none", key, err)
	}
}

func stalePut(t *testing.T, s openstack.OpStore) {
	// A key not stored takes only revision 0.
	ahead := running("k/ahead", "a", 0)
	ahead.Revision = 1
	if err := s.Put(t.Context(), ahead); !errors.Is(err, openstack.ErrStaleOp) {
		t.Errorf("Put(revision 1) of an absent key = %v, want ErrStaleOp", err)
	}
	if _, ok, err := s.Get(t.Context(), "k/ahead"); ok || err != nil {
		t.Errorf("refused Put stored the key (%v, %v)", ok, err)
	}
	// Two instances accept the same key: the second insert is stale.
	first := running("k", "a", 0)
	mustPut(t, s, first)
	other := running("k", "a", 5)
	other.Fingerprint = "another request"
	if err := s.Put(t.Context(), other); !errors.Is(err, openstack.ErrStaleOp) {
		t.Errorf("second Put(revision 0) = %v, want ErrStaleOp", err)
	}
	// One completes the operation; the other, which read revision 1, fails it late.
	fin := stored(done("k", "a", 0), 1)
	mustPut(t, s, fin)
	late := stored(failed("k", "a", 0), 1)
	if err := s.Put(t.Context(), late); !errors.Is(err, openstack.ErrStaleOp) {
		t.Errorf("Put of revision 1 after revision 2 = %v, want ErrStaleOp", err)
	}
	for _, rev := range []int64{0, 3, 7} {
		if err := s.Put(t.Context(), stored(failed("k", "a", 0), rev)); !errors.Is(err, openstack.ErrStaleOp) {
			t.Errorf("Put(revision %d) at revision 2 = %v, want ErrStaleOp", rev, err)
		}
	}
	if d := cmp.Diff(stored(fin, 2), mustGet(t, s, "k"), opts); d != "" {
		t.Errorf("stale writes changed the stored operation (-want +got)\n%s", d)
	}
}

func runningOps(t *testing.T, s openstack.OpStore) {
	ctx := t.Context()
	want := func(app, key string) {
		t.Helper()
		if got, err := s.Running(ctx, app); err != nil || got != key {
			t.Errorf("Running(%q) = %q, %v; want %q", app, got, err, key)
		}
	}
	want("a", "")
	mustPut(t, s, done("a/1", "a", 0))
	mustPut(t, s, failed("a/2", "a", 1))
	mustPut(t, s, running("ab/1", "ab", 0)) // another application, a prefix apart
	mustPut(t, s, running("A/1", "A", 0))
	want("a", "") // finished and failed operations do not run
	mustPut(t, s, running("a/4", "a", 30))
	want("a", "a/4")
	// Several unfinished (two instances accepted different keys): the one
	// accepted first, then the smallest key.
	mustPut(t, s, running("a/3", "a", 20))
	mustPut(t, s, running("a/5", "a", 20))
	want("a", "a/3")
	op := mustGet(t, s, "a/3")
	op.Done = true
	mustPut(t, s, op)
	want("a", "a/5")
	op = mustGet(t, s, "a/5")
	op.Err = &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeNotFound, Msg: "gone"}
	mustPut(t, s, op)
	want("a", "a/4")
	want("ab", "ab/1")
	want("A", "A/1")
	want("nobody", "")
}

func cancelled(t *testing.T, s openstack.OpStore) {
	mustPut(t, s, running("k", "a", 0))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context = %v", err)
	}
	if err := s.Put(ctx, running("k2", "a", 0)); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context = %v", err)
	}
	if _, ok, err := s.Get(t.Context(), "k2"); ok || err != nil {
		t.Errorf("Put with a cancelled context stored the key (%v, %v)", ok, err)
	}
	if _, err := s.Running(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("Running with a cancelled context = %v", err)
	}
}

// concurrent: writers and readers of distinct keys and applications.
func concurrent(t *testing.T, s openstack.OpStore) {
	const workers, each = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	for w := range workers {
		wg.Go(func() {
			app := fmt.Sprintf("app-%d", w)
			for i := range each {
				key := fmt.Sprintf("%s/%d", app, i)
				op := running(key, app, i)
				if err := s.Put(t.Context(), op); err != nil {
					errs <- err
					return
				}
				got, ok, err := s.Get(t.Context(), key)
				if err != nil || !ok {
					errs <- fmt.Errorf("Get(%q) = %v, %v", key, ok, err)
					return
				}
				if r, err := s.Running(t.Context(), app); err != nil || r != app+"/0" {
					errs <- fmt.Errorf("Running(%q) = %q, %v", app, r, err)
					return
				}
				if i%2 == 1 {
					got.Done = true
					if err := s.Put(t.Context(), got); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range workers {
		for i := range each {
			key := fmt.Sprintf("app-%d/%d", w, i)
			want := stored(running(key, fmt.Sprintf("app-%d", w), i), 1)
			if i%2 == 1 {
				want.Done, want.Revision = true, 2
			}
			if d := cmp.Diff(want, mustGet(t, s, key), opts); d != "" {
				t.Errorf("%s (-want +got)\n%s", key, d)
			}
		}
	}
}

// racingWriters: adapter instances racing on one key. Exactly one of
// concurrent first writes wins, and read-modify-write loops that retry on
// ErrStaleOp lose no update.
func racingWriters(t *testing.T, s openstack.OpStore) {
	const workers, each = 4, 10
	var wins sync.WaitGroup
	results := make(chan error, workers)
	for w := range workers {
		wins.Go(func() {
			op := running("k", "a", 0)
			op.Order.WorkOrder = fmt.Sprintf("writer-%d", w)
			results <- s.Put(t.Context(), op)
		})
	}
	wins.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, openstack.ErrStaleOp):
			t.Errorf("racing first Put = %v, want nil or ErrStaleOp", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d racing first writes succeeded, want exactly 1", ok, workers)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for n := 0; n < each; {
				op, _, err := s.Get(t.Context(), "k")
				if err != nil {
					errs <- err
					return
				}
				op.Items[0].Quantity++
				switch err := s.Put(t.Context(), op); {
				case err == nil:
					n++
				case !errors.Is(err, openstack.ErrStaleOp):
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := mustGet(t, s, "k")
	if got.Items[0].Quantity != 2+workers*each || got.Revision != 1+workers*each {
		t.Errorf("after %d increments: quantity %d revision %d, want %d and %d (lost updates)",
			workers*each, got.Items[0].Quantity, got.Revision, 2+workers*each, 1+workers*each)
	}
}
