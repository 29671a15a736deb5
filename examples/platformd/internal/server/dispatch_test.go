package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
	"github.com/opengovcloud/govcloud/workflow"
)

// TestWorkersDispatchToVendor: with a vendor provider configured, the
// server's workers run the platform's dispatcher: an approval over HTTP
// opens a work order, the dispatcher sends it to the (simulated) vendor,
// and the vendor's completion moves the application into the trial without
// anyone calling the completion endpoint. Without a callback secret the
// callback endpoint answers 404.
func TestWorkersDispatchToVendor(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, cst)}
	instant := simprovider.Latency{}
	sim, err := simprovider.New(simprovider.Options{Vendor: "vA", Seed: 1, Clock: clock,
		Latency: map[govcloud.Op]simprovider.Latency{govcloud.OpProvision: instant, govcloud.OpPromote: instant,
			govcloud.OpChange: instant, govcloud.OpReclaim: instant}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := govcloud.Open(context.Background(), govcloud.Options{SQLitePath: t.TempDir() + "/p.db", Clock: clock, IDs: counterIDs("D"),
		Providers: map[string]govcloud.Provider{"vA": sim}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	setupPlatform(t, p)
	e := newEnvOn(t, p, clock)
	if testing.Verbose() {
		srv, err := server.New(server.Config{Platform: p, Tokens: testTokens(t), Clock: clock, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
		if err != nil {
			t.Fatal(err)
		}
		e.srv = srv
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		e.srv.RunWorkers(ctx, server.WorkerOptions{Relay: true, Idle: 10 * time.Millisecond, RelayRestart: 10 * time.Millisecond})
	})
	defer func() { cancel(); wg.Wait() }()

	app := e.submit(tokDeptA)
	e.fire(tokAuth, app.ID, workflow.TriggerAccept, server.InputBody{})
	e.fire(tokAuth, app.ID, workflow.TriggerApprove, server.InputBody{TrialDays: 15})
	var got workflow.Application
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		e.must(http.StatusOK, "GET", "/v1/applications/"+app.ID, tokDeptA, nil).decode(t, &got)
		if got.State == workflow.StateTrial {
			break
		}
		clock.Advance(5 * time.Minute) // the vendor's work and the dispatcher's polls take platform time
	}
	if got.State != workflow.StateTrial {
		t.Fatalf("the dispatcher did not provide the trial: state %s", got.State)
	}
	if p := e.must(http.StatusNotFound, "POST", "/v1/completions", "", `{}`).problem(t); p.Detail == "" {
		t.Error("callback 404 without detail")
	}
}
