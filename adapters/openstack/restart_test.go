package openstack_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/adapters/openstack"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// durable are the databases of gormstore's durable OpStore: an SQLite file
// and PostgreSQL (skipped without GOVCLOUD_TEST_POSTGRES_DSN). Opening the
// same DSN again reopens the database, as a restarted adapter does.
func durable() []struct {
	name string
	dsn  func(t *testing.T) string
} {
	return []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite-file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "ops.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.DSN(t) }},
	}
}

func openOps(t *testing.T, dsn string) (*gormstore.DB, openstack.OpStore) {
	t.Helper()
	db, err := gormstore.Open(t.Context(), gormstore.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, db.OpenStackOps()
}

// count is how many requests the cloud received of one kind.
func (f *fakeCloud) count(req string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r == req {
			n++
		}
	}
	return n
}

// An adapter restarted on the same durable store answers a replayed
// Provision from the stored operation: nothing is created twice, and the
// operation completes. With the in-memory default the restarted adapter
// has forgotten the key and refuses the replay as "already provisioned".
func TestRestartKeepsIdempotency(t *testing.T) {
	ctx := context.Background()
	req := provision("r", govcloud.Item{Code: "ecs.small", Quantity: 2}, govcloud.Item{Code: "evs.gb", Quantity: 50},
		govcloud.Item{Code: "vpc", Quantity: 1})
	for _, b := range durable() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			clock := simprovider.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Beijing()))
			f, ts := newFakeCloud(t, clock)
			db, ops := openOps(t, dsn)
			ack, err := providerOn(t, ts, clock, ops).Provision(ctx, req)
			if err != nil || ack.Done {
				t.Fatalf("first Provision = %+v, %v; want accepted, building", ack, err)
			}
			db.Close() // the adapter stops ...

			_, ops = openOps(t, dsn) // ... and starts again on the same database
			p := providerOn(t, ts, clock, ops)
			ack, err = p.Provision(ctx, req)
			if err != nil || ack.Key != req.Key || ack.Done {
				t.Fatalf("replayed Provision after restart = %+v, %v; want the running operation", ack, err)
			}
			ack = await(t, p, clock, ack, nil)
			again, err := p.Provision(ctx, req)
			if err != nil || !again.Done || again.Result.Environment != ack.Result.Environment {
				t.Errorf("replay of the completed Provision = %+v, %v", again, err)
			}
			for req, want := range map[string]int{"POST /identity/v3/projects": 1, "POST /compute/v2.1/servers": 2,
				"POST /volume/v3/volumes": 1, "POST /network/v2.0/networks": 1} {
				if got := f.count(req); got != want {
					t.Errorf("%s sent %d times, want %d", req, got, want)
				}
			}
			if rs := f.resources("r"); len(rs) != 4 {
				t.Errorf("resources %+v, want 2 servers, a volume and a network", rs)
			}
		})
	}
	t.Run("memory", func(t *testing.T) {
		clock := simprovider.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Beijing()))
		_, ts := newFakeCloud(t, clock)
		if _, err := providerOn(t, ts, clock, nil).Provision(ctx, req); err != nil {
			t.Fatal(err)
		}
		_, err := providerOn(t, ts, clock, nil).Provision(ctx, req)
		if !govcloud.IsPermanent(err) {
			t.Errorf("replay after a restart in memory = %v; want the permanent refusal that a durable store avoids", err)
		}
	})
}

// pausing is an OpStore that, for one Provider, holds Running's answer
// until released: the interleaving in which another adapter instance
// records and starts the same key between this one's read and its write.
type pausing struct {
	openstack.OpStore
	read, release chan struct{}
}

func (p pausing) Running(ctx context.Context, app string) (string, error) {
	key, err := p.OpStore.Running(ctx, app)
	close(p.read)
	<-p.release
	return key, err
}

// Two adapter instances on one store receive the same Provision. The second
// read the key as absent before the first recorded it; when it then finds
// the project, it would fail the key "already provisioned" over the first
// one's running operation. The store refuses its stale write, and it
// answers the running operation instead.
func TestInstancesRaceOnOneKey(t *testing.T) {
	ctx := context.Background()
	req := provision("s", govcloud.Item{Code: "ecs.small", Quantity: 1})
	type store struct {
		name string
		open func(t *testing.T) openstack.OpStore
	}
	stores := []store{{"memory", func(*testing.T) openstack.OpStore { return openstack.NewMemOps() }}}
	for _, b := range durable() {
		stores = append(stores, store{b.name, func(t *testing.T) openstack.OpStore { _, ops := openOps(t, b.dsn(t)); return ops }})
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ops := st.open(t)
			clock := simprovider.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Beijing()))
			f, ts := newFakeCloud(t, clock)
			first := providerOn(t, ts, clock, ops)
			slow := pausing{OpStore: ops, read: make(chan struct{}), release: make(chan struct{})}
			second := providerOn(t, ts, clock, slow)
			type answer struct {
				ack govcloud.Ack
				err error
			}
			done := make(chan answer)
			go func() {
				a, err := second.Provision(ctx, req)
				done <- answer{a, err}
			}()
			<-slow.read
			ack, err := first.Provision(ctx, req)
			if err != nil || ack.Done {
				t.Fatalf("first instance: %+v, %v", ack, err)
			}
			close(slow.release)
			got := <-done
			if got.err != nil || got.ack.Key != req.Key || got.ack.Done {
				t.Fatalf("second instance: %+v, %v; want the first one's running operation", got.ack, got.err)
			}
			op, _, err := ops.Get(ctx, req.Key)
			if err != nil || !op.Running() {
				t.Fatalf("stored operation %+v, %v; want it still running", op, err)
			}
			await(t, first, clock, ack, nil)
			if n := f.count("POST /compute/v2.1/servers"); n != 1 {
				t.Errorf("%d servers created, want 1", n)
			}
		})
	}
}
