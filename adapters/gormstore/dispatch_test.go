package gormstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/adapters/httpprovider"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	"github.com/opengovcloud/govcloud/dispatch"
	"github.com/opengovcloud/govcloud/dispatch/dispatchtest"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow"
)

func TestJobStoreSQLite(t *testing.T) {
	dispatchtest.RunStore(t, func(t *testing.T) dispatch.Store {
		return openDB(t, gormstore.Options{DSN: filepath.Join(t.TempDir(), "jobs.db")}).Jobs()
	})
}

func TestJobStoreSQLiteMemory(t *testing.T) {
	dispatchtest.RunStore(t, func(t *testing.T) dispatch.Store {
		return openDB(t, gormstore.Options{DSN: ":memory:"}).Jobs()
	})
}

func TestJobStorePostgres(t *testing.T) {
	dispatchtest.RunStore(t, func(t *testing.T) dispatch.Store {
		return openDB(t, gormstore.Options{DSN: pgtest.DSN(t)}).Jobs()
	})
}

// ---- helpers shared by the crash and multi-instance tests ----

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

type noWO struct{}

func (noWO) GetWorkOrder(context.Context, string) (workflow.WorkOrder, error) {
	return workflow.WorkOrder{}, workflow.ErrNotFound
}

const completionsDDL = `CREATE TABLE IF NOT EXISTS test_completions (job_key TEXT PRIMARY KEY, work_order TEXT NOT NULL, note TEXT NOT NULL)`

// dbCompleter persists completions, once per key, like the workflow does.
type dbCompleter struct {
	db    *gormstore.DB
	calls atomic.Int64
}

func (c *dbCompleter) CompleteWorkOrder(ctx context.Context, _ workflow.Actor, id string, comp workflow.Completion) (workflow.Application, error) {
	c.calls.Add(1)
	return workflow.Application{}, c.db.Gorm().WithContext(ctx).Exec(
		`INSERT INTO test_completions (job_key, work_order, note) VALUES (?, ?, ?) ON CONFLICT (job_key) DO NOTHING`,
		comp.Key, id, comp.Note).Error
}

func completions(t testing.TB, db *gormstore.DB) int64 {
	var n int64
	if err := db.Gorm().Raw(`SELECT COUNT(*) FROM test_completions`).Row().Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const jobsN = 24

var secret = []byte("crash-test secret of at least 32 bytes")

func enqueueJobs(t testing.TB, s dispatch.Store) {
	t.Helper()
	for i := 0; i < jobsN; i++ {
		app := fmt.Sprintf("app%02d", i)
		key := "wo/" + app
		req := govcloud.ProvisionRequest{Order: govcloud.Order{Key: key, WorkOrder: "wo-" + app, Application: app, Department: "d", Vendor: "v"},
			Items: []govcloud.Item{{Code: "ecs.vcpu", Quantity: 2}, {Code: "oss.gb", Quantity: 50}}}
		b, _ := json.Marshal(req)
		now := time.Now()
		if err := s.Enqueue(context.Background(), dispatch.Job{Key: key, Application: app, Seq: 1, Vendor: "v", WorkOrder: "wo-" + app,
			Op: govcloud.OpProvision, Request: b, Status: dispatch.StatusPending, NextAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
}

// newDispatcher builds a test dispatcher. lease is how long one attempt holds its
// job: short where a killed child's jobs must come back soon, long where several
// live instances must not take over each other's jobs on a loaded machine.
func newDispatcher(store dispatch.Store, p govcloud.Provider, c dispatch.Completer, owner string, lease time.Duration) (*dispatch.Dispatcher, error) {
	return dispatch.New(dispatch.Options{Store: store, Providers: map[string]govcloud.Provider{"v": p}, WorkOrders: noWO{},
		Completer: c, Clock: wallClock{}, Owner: owner, Seed: 1, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		MaxAttempts: 1000, PollInterval: 10 * time.Millisecond, Lease: lease, Batch: 4})
}

// drainJobs runs d until no job is pending or waiting.
func drainJobs(ctx context.Context, d *dispatch.Dispatcher, s dispatch.Store) error {
	for ctx.Err() == nil {
		n, err := d.RunOnce(ctx)
		if err != nil {
			return err
		}
		left, err := s.List(ctx, dispatch.StatusPending, dispatch.StatusWaiting)
		if err != nil {
			return err
		}
		if len(left) == 0 {
			return nil
		}
		if n == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	return ctx.Err()
}

// ---- crash recovery: kill -9 mid-dispatch, restart, exactly-once effect ----

const crashChildEnv = "GOVCLOUD_DISPATCH_CRASH_CHILD"

// TestDispatchCrashChild is the dispatcher process of TestDispatchCrashRecovery:
// it drains the jobs of the SQLite file against the vendor's server and
// exits 0, unless it is killed first.
func TestDispatchCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("helper process for TestDispatchCrashRecovery")
	}
	db, err := gormstore.Open(context.Background(), gormstore.Options{DSN: os.Getenv("DB")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	client, err := httpprovider.NewClient(httpprovider.ClientOptions{BaseURL: os.Getenv("URL"), Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDispatcher(db.Jobs(), client, &dbCompleter{db: db}, fmt.Sprintf("child-%d", os.Getpid()), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := drainJobs(ctx, d, db.Jobs()); err != nil {
		t.Fatal("child:", err)
	}
}

func TestDispatchCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child")
	}
	path := filepath.Join(t.TempDir(), "jobs.db")
	db, err := gormstore.Open(context.Background(), gormstore.Options{DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Gorm().Exec(completionsDDL).Error; err != nil {
		t.Fatal(err)
	}
	enqueueJobs(t, db.Jobs())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// The vendor lives in this process, so its state survives the kills.
	sim, err := simprovider.New(simprovider.Options{Vendor: "v", Seed: 5, Clock: wallClock{},
		Latency: map[govcloud.Op]simprovider.Latency{govcloud.OpProvision: {}},
		Faults:  simprovider.Faults{Timeout: 100, ServerError: 100}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpprovider.NewServer(httpprovider.ServerOptions{Provider: sim, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		child *exec.Cmd
		posts int
		kills int
	)
	kill := func() {
		if child != nil && child.Process != nil {
			_ = child.Process.Kill() // SIGKILL: no cleanup, no deferred code
			kills++
		}
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPost {
			posts++
			if posts%5 == 0 {
				// The worst moment: the vendor has done the work, the
				// dispatcher dies before it hears so.
				srv.ServeHTTP(httptest.NewRecorder(), r)
				kill()
				return
			}
			if posts%7 == 0 {
				kill() // dies while the request is in flight
				return
			}
		}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()

	done := false
	for run := 0; run < 40 && !done; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDispatchCrashChild$")
		cmd.Env = append(os.Environ(), crashChildEnv+"=1", "DB="+path, "URL="+ts.URL)
		cmd.Stderr = os.Stderr
		mu.Lock()
		child = cmd
		err := cmd.Start()
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		mu.Lock()
		child = nil
		mu.Unlock()
		if err == nil {
			done = true
		} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
			t.Fatalf("child failed (not killed): %v", err)
		}
	}
	if !done {
		t.Fatal("the jobs were not drained after 40 runs")
	}
	if kills < 3 {
		t.Fatalf("only %d kills: the test did not exercise crashes", kills)
	}

	db = openDB(t, gormstore.Options{DSN: path})
	store := db.Jobs()
	jobs, err := store.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != jobsN {
		t.Fatalf("%d jobs, want %d", len(jobs), jobsN)
	}
	for _, j := range jobs {
		if j.Status != dispatch.StatusDone {
			t.Errorf("job %s: %s", j.Key, j.Status.English())
		}
		at, _ := store.Attempts(context.Background(), j.Key)
		if len(at) == 0 || at[len(at)-1].Outcome != dispatch.OutcomeDone {
			t.Errorf("job %s: attempts %+v", j.Key, at)
		}
		if rs := sim.Resources(j.Application); len(rs) != 2 {
			t.Errorf("%s: vendor runs %+v, want exactly its 2 items", j.Application, rs)
		}
	}
	if got := sim.Created(); got != 2*jobsN {
		t.Errorf("vendor created %d resources, want %d: an order was executed twice", got, 2*jobsN)
	}
	if n := completions(t, db); n != jobsN {
		t.Errorf("%d completions recorded, want %d", n, jobsN)
	}
	t.Logf("%d child runs killed, %d POSTs to the vendor", kills, posts)
}

// ---- several dispatchers on one PostgreSQL deliver each order once ----

type countingProvider struct {
	govcloud.Provider
	mu    sync.Mutex
	sends map[string]int
}

func (c *countingProvider) Provision(ctx context.Context, r govcloud.ProvisionRequest) (govcloud.Ack, error) {
	c.mu.Lock()
	c.sends[r.Key]++
	c.mu.Unlock()
	return c.Provider.Provision(ctx, r)
}

func (c *countingProvider) Poll(ctx context.Context, key string) (govcloud.Ack, error) {
	return c.Provider.(govcloud.Poller).Poll(ctx, key)
}

func TestSeveralDispatchersPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	setup := openDB(t, gormstore.Options{DSN: dsn})
	if err := setup.Gorm().Exec(completionsDDL).Error; err != nil {
		t.Fatal(err)
	}
	enqueueJobs(t, setup.Jobs())
	sim, err := simprovider.New(simprovider.Options{Vendor: "v", Seed: 2, Clock: wallClock{},
		Latency: map[govcloud.Op]simprovider.Latency{govcloud.OpProvision: {}}})
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProvider{Provider: sim, sends: map[string]int{}}
	comp := &dbCompleter{db: setup}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		db := openDB(t, gormstore.Options{DSN: dsn}) // a pool of its own per instance
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d, err := newDispatcher(db.Jobs(), p, comp, fmt.Sprintf("inst-%d", i), 30*time.Second)
			if err == nil {
				err = drainJobs(ctx, d, db.Jobs())
			}
			if err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if len(p.sends) != jobsN {
		t.Errorf("%d orders sent, want %d", len(p.sends), jobsN)
	}
	for k, n := range p.sends {
		if n != 1 {
			t.Errorf("order %s sent %d times", k, n)
		}
	}
	if got := comp.calls.Load(); got != jobsN {
		t.Errorf("%d completions reported, want %d", got, jobsN)
	}
	if got := sim.Created(); got != 2*jobsN {
		t.Errorf("%d resources created, want %d", got, 2*jobsN)
	}
	if n := completions(t, setup); n != jobsN {
		t.Errorf("%d completions recorded, want %d", n, jobsN)
	}
}
