package server_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	"github.com/opengovcloud/govcloud/workflow"
)

// TestTwoInstancesOnePostgres: two platformd instances (two Platforms, two
// HTTP servers) on one PostgreSQL database, as behind a load balancer.
func TestTwoInstancesOnePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, cst)}
	p1 := openPlatform(t, clock, dsn, counterIDs("I1-"))
	setupPlatform(t, p1)
	p2 := openPlatform(t, clock, dsn, counterIDs("I2-"))
	e1, e2 := newEnvOn(t, p1, clock), newEnvOn(t, p2, clock)

	// Both instances run their workers (overdue scan, outbox relay) meanwhile.
	ctx, cancel := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	for _, e := range []*env{e1, e2} {
		workers.Go(func() {
			e.srv.RunWorkers(ctx, server.WorkerOptions{OverdueEvery: 20 * time.Millisecond, Relay: true, RelayRestart: 20 * time.Millisecond})
		})
	}
	defer func() { cancel(); workers.Wait() }()

	// A submission on one is visible on the other.
	app := e1.submit(tokDeptA)
	var got workflow.Application
	e2.must(http.StatusOK, "GET", "/v1/applications/"+app.ID, tokDeptA, nil).decode(t, &got)
	if diff := cmp.Diff(app, got); diff != "" {
		t.Fatalf("instance 2 sees (-1 +2):\n%s", diff)
	}
	e2.must(http.StatusForbidden, "GET", "/v1/applications/"+app.ID, tokDeptB, nil)

	// The same decision fired on both at once: one wins, the other is 409.
	for round, trig := range []workflow.Trigger{workflow.TriggerAccept, workflow.TriggerApprove} {
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		start := make(chan struct{})
		for i, e := range []*env{e1, e2} {
			wg.Go(func() {
				<-start
				statuses[i] = e.do("POST", "/v1/applications/"+app.ID+"/triggers/"+string(trig), tokAuth,
					server.InputBody{ExpectedVersion: int64(round + 1), TrialDays: 15}).status
			})
		}
		close(start)
		wg.Wait()
		slices.Sort(statuses)
		if diff := cmp.Diff([]int{200, 409}, statuses); diff != "" {
			t.Fatalf("%s on both instances (-want +got):\n%s", trig, diff)
		}
	}
	var hist struct{ Records []workflow.AuditRecord }
	e1.must(http.StatusOK, "GET", "/v1/applications/"+app.ID+"/history", tokAuth, nil).decode(t, &hist)
	if len(hist.Records) != 3 {
		t.Fatalf("%d audit records, want 3 (submit, accept, approve once each)", len(hist.Records))
	}
	var v server.Verification
	e2.must(http.StatusOK, "GET", "/v1/applications/"+app.ID+"/verify", tokAuth, nil).decode(t, &v)
	if !v.Verified {
		t.Fatalf("verify: %+v", v)
	}
	// The quota was reserved exactly once, visible from both.
	var pool server.PoolView
	e2.must(http.StatusOK, "GET", "/v1/departments/dA/pool", tokDeptA, nil).decode(t, &pool)
	if pool.Held["vcpu"] != 8000 {
		t.Fatalf("held vcpu %d, want 8000", pool.Held["vcpu"])
	}
	e1.must(http.StatusOK, "GET", "/healthz", "", nil)
	e2.must(http.StatusOK, "GET", "/healthz", "", nil)
}
