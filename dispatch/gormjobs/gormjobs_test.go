package gormjobs_test

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

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	govcloud "github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/adapters/httpprovider"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	"github.com/opengovcloud/govcloud/dispatch"
	"github.com/opengovcloud/govcloud/dispatch/dispatchtest"
	"github.com/opengovcloud/govcloud/dispatch/gormjobs"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/workflow"
)

func openSQLite(t testing.TB, path string) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(sqlite.Open(path+"?_busy_timeout=10000&_journal_mode=WAL&_txlock=immediate"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1)
	if err := gormjobs.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

func openPostgres(t testing.TB, dsn string) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			s.Close()
		}
	})
	return db
}

func TestStoreSQLite(t *testing.T) {
	dispatchtest.RunStore(t, func(t *testing.T) dispatch.Store {
		return gormjobs.New(openSQLite(t, filepath.Join(t.TempDir(), "jobs.db")))
	})
}

func TestStorePostgres(t *testing.T) {
	dispatchtest.RunStore(t, func(t *testing.T) dispatch.Store {
		db := openPostgres(t, pgtest.DSN(t))
		if err := gormjobs.Migrate(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		return gormjobs.New(db)
	})
}

// ---- helpers shared by the crash and multi-instance tests ----

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

type noWO struct{}

func (noWO) GetWorkOrder(context.Context, string) (workflow.WorkOrder, error) {
	return workflow.WorkOrder{}, workflow.ErrNotFound
}

// completionRow records completions reported to the "workflow" (idempotent by key).
type completionRow struct {
	Key   string `gorm:"primaryKey;size:300"`
	Order string
	Note  string
}

// dbCompleter persists completions, once per key, like the workflow does.
type dbCompleter struct {
	db    *gorm.DB
	calls atomic.Int64
}

func (c *dbCompleter) CompleteWorkOrder(ctx context.Context, _ workflow.Actor, id string, comp workflow.Completion) (workflow.Application, error) {
	c.calls.Add(1)
	return workflow.Application{}, c.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&completionRow{Key: comp.Key, Order: id, Note: comp.Note}).Error
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

// drain runs d until no job is pending or waiting.
func drain(ctx context.Context, d *dispatch.Dispatcher, s dispatch.Store) error {
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

const childEnv = "GOVCLOUD_DISPATCH_CRASH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

// crashChild is the dispatcher process: it drains the jobs of the SQLite
// file against the vendor's server and exits 0, unless it is killed first.
func crashChild() int {
	db, err := gorm.Open(sqlite.Open(os.Getenv("DB")+"?_busy_timeout=10000&_journal_mode=WAL&_txlock=immediate"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1)
	client, err := httpprovider.NewClient(httpprovider.ClientOptions{BaseURL: os.Getenv("URL"), Secret: secret})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	store := gormjobs.New(db)
	d, err := newDispatcher(store, client, &dbCompleter{db: db}, fmt.Sprintf("child-%d", os.Getpid()), 2*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := drain(ctx, d, store); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	return 0
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "jobs.db")
	db := openSQLite(t, path)
	if err := db.AutoMigrate(&completionRow{}); err != nil {
		t.Fatal(err)
	}
	enqueueJobs(t, gormjobs.New(db))
	sqlDB, _ := db.DB()
	sqlDB.Close()

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
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "DB="+path, "URL="+ts.URL)
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

	db = openSQLite(t, path)
	defer func() { s, _ := db.DB(); s.Close() }()
	store := gormjobs.New(db)
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
	var comps int64
	db.Model(&completionRow{}).Count(&comps)
	if comps != jobsN {
		t.Errorf("%d completions recorded, want %d", comps, jobsN)
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
	setup := openPostgres(t, dsn)
	if err := gormjobs.Migrate(context.Background(), setup); err != nil {
		t.Fatal(err)
	}
	if err := setup.AutoMigrate(&completionRow{}); err != nil {
		t.Fatal(err)
	}
	enqueueJobs(t, gormjobs.New(setup))
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
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			store := gormjobs.New(openPostgres(t, dsn))
			d, err := newDispatcher(store, p, comp, fmt.Sprintf("inst-%d", i), 30*time.Second)
			if err == nil {
				err = drain(ctx, d, store)
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
}
