package gormstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// racer is one competing instance: role i fires racerTriggers[i] on every
// application. Accept and reject are both allowed in state submitted and
// neither after the other, so on each application exactly one may win.
var racerTriggers = []struct {
	actor   workflow.Actor
	trigger workflow.Trigger
	in      workflow.Input
}{
	{authority, workflow.TriggerAccept, workflow.Input{}},
	{authority, workflow.TriggerReject, workflow.Input{Opinion: "材料不全"}},
	{authority, workflow.TriggerAccept, workflow.Input{Opinion: "同意受理"}},
}

var subscribers = []string{"quota", "billing"}

// setupApps opens dsn, submits n applications and returns their IDs.
func setupApps(t *testing.T, opts gormstore.Options, n int) []string {
	t.Helper()
	db := openDB(t, opts)
	eng := newEngine(t, db.Workflow(), workflowtest.NewClock(start), "app")
	ids := make([]string, n)
	for i := range ids {
		app, err := eng.Submit(t.Context(), dept, submitRequest(fmt.Sprintf("系统%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = app.ID
	}
	return ids
}

// race fires role's trigger on every application (in an order shuffled by
// seed) and reports the ones it won. Losing means ErrConflict (a concurrent
// commit got there first) or ErrInvalidTrigger (it had already happened).
func race(ctx context.Context, eng *workflow.Engine, role int, apps []string, seed uint64) (won []string, err error) {
	order := append([]string(nil), apps...)
	rand.New(rand.NewPCG(seed, uint64(role))).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	r := racerTriggers[role]
	for _, id := range order {
		_, err := eng.Fire(ctx, r.actor, id, r.trigger, r.in)
		switch {
		case err == nil:
			won = append(won, id)
		case errors.Is(err, workflow.ErrConflict), errors.Is(err, workflow.ErrInvalidTrigger):
		default:
			return won, fmt.Errorf("role %d on %s: %w", role, id, err)
		}
	}
	return won, nil
}

// drain delivers to every subscriber through relay until a number of rounds
// in a row delivers nothing, calling got for each delivered transition.
func drain(ctx context.Context, relay *workflow.Relay, idleRounds int, got func(sub, key string)) error {
	subs := make([]workflow.Subscriber, len(subscribers))
	for i, name := range subscribers {
		subs[i] = workflow.SubscriberFunc(name, func(_ context.Context, tr workflow.Transition, _ workflow.Delivery) error {
			got(name, tr.IdempotencyKey)
			return nil
		})
	}
	idle := 0
	for idle < idleRounds {
		n := 0
		for _, s := range subs {
			k, err := relay.DeliverOnce(ctx, s)
			if err != nil {
				return err
			}
			n += k
		}
		if n == 0 {
			idle++
			time.Sleep(5 * time.Millisecond)
		} else {
			idle = 0
		}
	}
	return nil
}

// checkOutcome verifies that each application was won exactly once, that
// every audit chain verifies, and that each of its transitions reached each
// subscriber exactly once.
func checkOutcome(t *testing.T, opts gormstore.Options, apps []string, wins map[string][]int, delivered map[string]int) {
	t.Helper()
	ctx := t.Context()
	db := openDB(t, opts)
	eng := newEngine(t, db.Workflow(), workflowtest.NewClock(start), "check")
	for _, id := range apps {
		if len(wins[id]) != 1 {
			t.Errorf("application %s won by roles %v, want exactly one", id, wins[id])
			continue
		}
		app, err := eng.Get(ctx, authority, id)
		if err != nil {
			t.Fatal(err)
		}
		if app.Version != 2 || app.AuditSeq != 2 {
			t.Errorf("application %s at version %d, audit seq %d; want 2, 2", id, app.Version, app.AuditSeq)
		}
		h, err := eng.History(ctx, authority, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := racerTriggers[wins[id][0]].trigger; len(h) != 2 || h[1].Trigger != want {
			t.Errorf("application %s history %d records, last %v; want trigger %s", id, len(h), h[len(h)-1].Trigger, want)
		}
		if err := eng.Verify(ctx, authority, id); err != nil {
			t.Errorf("audit chain of %s: %v", id, err)
		}
		for _, sub := range subscribers {
			for seq := 1; seq <= 2; seq++ {
				key := fmt.Sprintf("%s %s/%d", sub, id, seq)
				if delivered[key] != 1 {
					t.Errorf("%s delivered %d times, want once", key, delivered[key])
				}
			}
		}
	}
	if len(delivered) != 2*len(subscribers)*len(apps) {
		t.Errorf("%d distinct deliveries, want %d", len(delivered), 2*len(subscribers)*len(apps))
	}
	for _, sub := range subscribers {
		ds, err := db.Workflow().Lease(ctx, workflow.LeaseRequest{Subscriber: sub, LeaseID: "final", Now: start, Until: start.Add(time.Hour), Max: 100})
		if err != nil || len(ds) != 0 {
			t.Errorf("after draining, %s still leases %d messages (%v)", sub, len(ds), err)
		}
	}
}

// TestCompetingInstances runs three instances of the platform, each with its
// own connection pool (its own gormstore.Open), firing conflicting triggers at
// the same applications while relaying the outbox to two subscribers.
func TestCompetingInstances(t *testing.T) {
	for _, o := range []struct {
		name string
		opts func(t testing.TB) gormstore.Options
	}{
		{"sqlite-file", func(t testing.TB) gormstore.Options {
			return gormstore.Options{DSN: filepath.Join(t.TempDir(), "shared.db")}
		}},
		{"postgres", func(t testing.TB) gormstore.Options {
			return gormstore.Options{DSN: pgtest.DSN(t), MaxOpenConns: 4}
		}},
	} {
		t.Run(o.name, func(t *testing.T) {
			opts := o.opts(t)
			apps := setupApps(t, opts, 30)
			var (
				mu        sync.Mutex
				wins      = map[string][]int{}
				delivered = map[string]int{}
				wg        sync.WaitGroup
				startGun  = make(chan struct{})
			)
			errs := make(chan error, 2*len(racerTriggers))
			for role := range racerTriggers {
				db := openDB(t, opts)
				clock := workflowtest.NewClock(start)
				eng := newEngine(t, db.Workflow(), clock, fmt.Sprintf("i%d", role))
				relay, err := workflow.NewRelay(workflow.RelayOptions{Store: db.Workflow(), Clock: clock,
					IDs: &workflowtest.IDs{Prefix: fmt.Sprintf("lease%d", role)}, Batch: 7})
				if err != nil {
					t.Fatal(err)
				}
				raced := make(chan struct{})
				wg.Go(func() {
					defer close(raced)
					<-startGun
					won, err := race(t.Context(), eng, role, apps, 42)
					mu.Lock()
					for _, id := range won {
						wins[id] = append(wins[id], role)
					}
					mu.Unlock()
					if err != nil {
						errs <- err
					}
				})
				wg.Go(func() {
					<-startGun
					// Relay while the racers commit, then drain.
					for {
						select {
						case <-raced:
						default:
							if err := drain(t.Context(), relay, 1, func(sub, key string) {
								mu.Lock()
								delivered[sub+" "+key]++
								mu.Unlock()
							}); err != nil {
								errs <- err
								return
							}
							continue
						}
						break
					}
					if err := drain(t.Context(), relay, 10, func(sub, key string) {
						mu.Lock()
						delivered[sub+" "+key]++
						mu.Unlock()
					}); err != nil {
						errs <- err
					}
				})
			}
			close(startGun)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			checkOutcome(t, opts, apps, wins, delivered)
		})
	}
}

// Environment of the helper process (see TestHelperProcess).
const (
	envHelper = "GORMSTORE_HELPER_ROLE"
	envDSN    = "GORMSTORE_HELPER_DSN"
	envApps   = "GORMSTORE_HELPER_APPS"
	envGo     = "GORMSTORE_HELPER_GO"
)

// TestCompetingProcesses is TestCompetingInstances with each instance in its
// own OS process (this test binary re-executed as TestHelperProcess), on
// PostgreSQL.
func TestCompetingProcesses(t *testing.T) {
	opts := gormstore.Options{DSN: pgtest.DSN(t), MaxOpenConns: 3}
	apps := setupApps(t, opts, 30)
	goFile := filepath.Join(t.TempDir(), "go")
	type child struct {
		cmd   *exec.Cmd
		lines chan string
		done  chan error
	}
	children := make([]*child, len(racerTriggers))
	for role := range racerTriggers {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			envHelper+"="+strconv.Itoa(role), envDSN+"="+opts.DSN,
			envApps+"="+strings.Join(apps, ","), envGo+"="+goFile)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c := &child{cmd: cmd, lines: make(chan string, 1024), done: make(chan error, 1)}
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				c.lines <- sc.Text()
			}
			close(c.lines)
			c.done <- cmd.Wait()
		}()
		children[role] = c
	}
	// Wait until every child has opened its database, then fire.
	var all [][]string
	for role, c := range children {
		var got []string
		for l := range c.lines {
			if l == "ready" {
				break
			}
			got = append(got, l)
		}
		all = append(all, got)
		_ = role
	}
	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wins := map[string][]int{}
	delivered := map[string]int{}
	for role, c := range children {
		for l := range c.lines {
			f := strings.Fields(l)
			switch {
			case len(f) == 2 && f[0] == "win":
				wins[f[1]] = append(wins[f[1]], role)
			case len(f) == 3 && f[0] == "deliver":
				delivered[f[1]+" "+f[2]]++
			default:
				all[role] = append(all[role], l)
			}
		}
		if err := <-c.done; err != nil {
			t.Errorf("helper %d: %v; output:\n%s", role, err, strings.Join(all[role], "\n"))
		}
	}
	checkOutcome(t, opts, apps, wins, delivered)
}

// TestHelperProcess is one competing instance when run by
// TestCompetingProcesses; otherwise it does nothing.
func TestHelperProcess(t *testing.T) {
	roleS := os.Getenv(envHelper)
	if roleS == "" {
		t.Skip("helper process for TestCompetingProcesses")
	}
	role, err := strconv.Atoi(roleS)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := gormstore.Open(ctx, gormstore.Options{DSN: os.Getenv(envDSN), MaxOpenConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := workflowtest.NewClock(start)
	eng := newEngine(t, db.Workflow(), clock, fmt.Sprintf("p%d", role))
	relay, err := workflow.NewRelay(workflow.RelayOptions{Store: db.Workflow(), Clock: clock,
		IDs: &workflowtest.IDs{Prefix: fmt.Sprintf("plane%d", role)}, Batch: 7})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	println := func(s string) { mu.Lock(); fmt.Fprintln(out, s); mu.Unlock() }
	println("ready")
	out.Flush()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(os.Getenv(envGo)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no start signal")
		}
	}
	won, err := race(ctx, eng, role, strings.Split(os.Getenv(envApps), ","), 7)
	for _, id := range won {
		println("win " + id)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := drain(ctx, relay, 20, func(sub, key string) { println("deliver " + sub + " " + key) }); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out.Flush()
	mu.Unlock()
}
