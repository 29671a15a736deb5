package providertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	govcloud "github.com/opengovcloud/govcloud/provider"
)

// Fault is a failure the harness makes the provider's next mutating call
// suffer.
type Fault int

// The faults the suite asks for.
const (
	// FaultRetryable: the next call fails with a retryable error and does nothing.
	FaultRetryable Fault = iota + 1
	// FaultAcceptedTimeout: the next call is accepted by the vendor, but the
	// caller sees a retryable timeout.
	FaultAcceptedTimeout
	// FaultPartial: the next operation delivers only part of its items and
	// completes with a retryable error; sending it again delivers the rest.
	FaultPartial
	// FaultHang: the next call blocks until its context ends.
	FaultHang
)

// Harness tells the suite how to drive a provider from the vendor's side.
type Harness struct {
	// Vendor is the vendor ID the provider answers for (required).
	Vendor string
	// Items are at least three catalog item codes the provider accepts (required).
	Items []string
	// Advance lets the provider's (simulated) time pass by d, so that
	// pending operations can complete and reports can cover it. nil: the
	// provider runs in real time and the suite sleeps between polls.
	Advance func(d time.Duration)
	// Now is the provider's current time (nil: time.Now, for real-time providers).
	Now func() time.Time
	// Resources lists the resources the vendor really runs for an
	// application, read behind the provider's back, so that the suite can
	// detect duplicates. nil: the suite trusts the results.
	Resources func(application string) []govcloud.Resource
	// Inject makes the next mutating call suffer f and reports whether the
	// provider can; nil: the fault tests are skipped.
	Inject func(f Fault) bool
	// PollLimit bounds the polls of one operation (default 2000).
	PollLimit int
}

// Run runs the conformance suite. newProvider is called once per subtest
// and must return a fresh provider (an empty vendor) with its harness.
func Run(t *testing.T, newProvider func(t *testing.T) (govcloud.Provider, Harness)) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, *suite)
	}{
		{"Lifecycle", testLifecycle},
		{"Idempotency", testIdempotency},
		{"IdempotencyConflict", testIdempotencyConflict},
		{"Ordering", testOrdering},
		{"InvalidRequests", testInvalid},
		{"Faults", testFaults},
		{"Cancellation", testCancellation},
		{"Poller", testPoller},
		{"Usage", testUsage},
		{"Utilisation", testUtilisation},
		{"Incidents", testIncidents},
		{"MonthlyReport", testMonthly},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, h := newProvider(t)
			if h.Vendor == "" || len(h.Items) < 3 {
				t.Fatal("providertest: Harness.Vendor and at least three Harness.Items are required")
			}
			if h.PollLimit <= 0 {
				h.PollLimit = 2000
			}
			tc.fn(t, &suite{p: p, h: h, prefix: strings.ReplaceAll(t.Name(), "/", "-")})
		})
	}
}

type suite struct {
	p      govcloud.Provider
	h      Harness
	prefix string
	n      int
}

func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// order returns a fresh order for app with a unique key.
func (s *suite) order(app, what string) govcloud.Order {
	s.n++
	return govcloud.Order{
		Key:         fmt.Sprintf("%s-%s-%s-%d", s.prefix, app, what, s.n),
		WorkOrder:   fmt.Sprintf("wo-%s-%s-%d", app, what, s.n),
		Application: s.prefix + "-" + app,
		Department:  "dept-1",
		Vendor:      s.h.Vendor,
	}
}

func (s *suite) items(qs ...int64) []govcloud.Item {
	var its []govcloud.Item
	for i, q := range qs {
		if q > 0 {
			its = append(its, govcloud.Item{Code: s.h.Items[i], Quantity: q})
		}
	}
	return its
}

func (s *suite) advance(d time.Duration) {
	if s.h.Advance != nil {
		s.h.Advance(d)
		return
	}
	time.Sleep(10 * time.Millisecond)
}

func (s *suite) now() time.Time {
	if s.h.Now != nil {
		return s.h.Now()
	}
	return time.Now()
}

// await returns the completed Ack of an acknowledged operation, polling and
// advancing time as needed. A failed operation returns its error.
func (s *suite) await(t *testing.T, ctx context.Context, ack govcloud.Ack) (govcloud.Ack, error) {
	t.Helper()
	if ack.Done {
		return ack, nil
	}
	poller, ok := s.p.(govcloud.Poller)
	if !ok {
		t.Fatalf("operation %q was acknowledged without completing, but the provider does not implement govcloud.Poller", ack.Key)
	}
	for i := 0; i < s.h.PollLimit; i++ {
		a, err := poller.Poll(ctx, ack.Key)
		if err != nil {
			return a, err
		}
		if a.Key != ack.Key || a.Op != ack.Op {
			t.Fatalf("Poll(%q) = key %q op %q, want key %q op %q", ack.Key, a.Key, a.Op, ack.Key, ack.Op)
		}
		if a.Done {
			if a.Result == nil {
				t.Fatalf("Poll(%q): Done without Result", ack.Key)
			}
			return a, nil
		}
		s.advance(30 * time.Minute)
	}
	t.Fatalf("operation %q did not complete after %d polls", ack.Key, s.h.PollLimit)
	return govcloud.Ack{}, nil
}

// do sends req and waits for completion, retrying retryable failures with the
// same request (as the dispatcher does).
func (s *suite) do(t *testing.T, ctx context.Context, req any) govcloud.Ack {
	t.Helper()
	var last error
	for attempt := 0; attempt < 20; attempt++ {
		ack, err := s.send(ctx, req)
		if err == nil {
			ack, err = s.await(t, ctx, ack)
		}
		if err == nil {
			return ack
		}
		if !govcloud.IsRetryable(err) {
			t.Fatalf("%T: %v (not retryable)", req, err)
		}
		last = err
		s.advance(time.Hour)
	}
	t.Fatalf("%T: still failing after 20 attempts: %v", req, last)
	return govcloud.Ack{}
}

func (s *suite) send(ctx context.Context, req any) (govcloud.Ack, error) {
	switch r := req.(type) {
	case govcloud.ProvisionRequest:
		return s.p.Provision(ctx, r)
	case govcloud.PromoteRequest:
		return s.p.Promote(ctx, r)
	case govcloud.ChangeRequest:
		return s.p.Change(ctx, r)
	case govcloud.ReclaimRequest:
		return s.p.Reclaim(ctx, r)
	}
	panic(fmt.Sprintf("providertest: %T is not a request", req))
}

// checkResources compares delivered resources with the requested items:
// one or more resources per item code whose quantities add up.
func checkResources(t *testing.T, what string, got []govcloud.Resource, want []govcloud.Item) {
	t.Helper()
	sum := map[string]int64{}
	ids := map[string]bool{}
	for _, r := range got {
		if r.ID == "" {
			t.Errorf("%s: resource with empty ID: %+v", what, r)
		}
		if ids[r.ID+"\x00"+r.Item] {
			t.Errorf("%s: resource %q listed twice", what, r.ID)
		}
		ids[r.ID+"\x00"+r.Item] = true
		sum[r.Item] += r.Quantity
	}
	w := map[string]int64{}
	for _, it := range want {
		w[it.Code] += it.Quantity
	}
	if d := cmp.Diff(w, sum); d != "" {
		t.Errorf("%s: delivered quantities per item (-want +got)\n%s", what, d)
	}
}

func (s *suite) checkVendorSide(t *testing.T, app string, want []govcloud.Item) {
	t.Helper()
	if s.h.Resources != nil {
		checkResources(t, "vendor side of "+app, s.h.Resources(app), want)
	}
}

func testLifecycle(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	o := s.order("life", "provision")
	items := s.items(2, 100, 1)
	ack := s.do(t, ctx, govcloud.ProvisionRequest{Order: o, SystemName: "测试系统", Zone: "private", SecurityLevel: 3, Items: items})
	r := ack.Result
	if r.Environment == "" || r.Application != o.Application || r.Formal || r.Completed.IsZero() {
		t.Errorf("provision result %+v: want environment, application %q, not formal, completion time", r, o.Application)
	}
	if ack.Op != govcloud.OpProvision || ack.Key != o.Key {
		t.Errorf("ack key %q op %q", ack.Key, ack.Op)
	}
	checkResources(t, "provision", r.Resources, items)
	s.checkVendorSide(t, o.Application, items)
	env := r.Environment

	po := s.order("life", "promote")
	ack = s.do(t, ctx, govcloud.PromoteRequest{Order: po})
	if !ack.Result.Formal || ack.Result.Environment != env {
		t.Errorf("promote result %+v: want formal, environment %q", ack.Result, env)
	}
	checkResources(t, "promote", ack.Result.Resources, items)
	if d := cmp.Diff(r.Resources, ack.Result.Resources); d != "" {
		t.Errorf("promote rebuilt resources (-trial +formal)\n%s", d)
	}

	// Resize item 0, remove item 1, keep item 2; then add item 1 back.
	for _, next := range [][]govcloud.Item{s.items(4, 0, 1), s.items(4, 50, 1)} {
		co := s.order("life", "change")
		ack = s.do(t, ctx, govcloud.ChangeRequest{Order: co, Items: next})
		if ack.Result.Environment != env || !ack.Result.Formal {
			t.Errorf("change result %+v: want formal environment %q", ack.Result, env)
		}
		checkResources(t, "change", ack.Result.Resources, next)
		s.checkVendorSide(t, o.Application, next)
	}

	ro := s.order("life", "reclaim")
	ack = s.do(t, ctx, govcloud.ReclaimRequest{Order: ro})
	if len(ack.Result.Resources) != 0 {
		t.Errorf("reclaim left resources: %+v", ack.Result.Resources)
	}
	s.checkVendorSide(t, o.Application, nil)
}

func testIdempotency(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	o := s.order("idem", "provision")
	req := govcloud.ProvisionRequest{Order: o, Items: s.items(2, 10, 0)}
	a1, err := s.p.Provision(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// The same request again before completion: same key, nothing new.
	a2, err := s.p.Provision(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if a1.Key != a2.Key || a1.Op != a2.Op || !a1.Accepted.Equal(a2.Accepted) {
		t.Errorf("second call acknowledged differently: %+v vs %+v", a1, a2)
	}
	done, err := s.await(t, ctx, a1)
	if err != nil {
		t.Fatal(err)
	}
	// Items in another order are the same request.
	req2 := req
	req2.Items = slices.Clone(req.Items)
	slices.Reverse(req2.Items)
	for i := 0; i < 3; i++ {
		again, err := s.p.Provision(ctx, req2)
		if err != nil {
			t.Fatalf("replay %d: %v", i, err)
		}
		if d := cmp.Diff(done, again); d != "" {
			t.Errorf("replay %d after completion differs (-first +replay)\n%s", i, d)
		}
	}
	checkResources(t, "replayed provision", done.Result.Resources, req.Items)
	s.checkVendorSide(t, o.Application, req.Items)

	// The same for a change.
	co := s.order("idem", "change")
	creq := govcloud.ChangeRequest{Order: co, Items: s.items(3, 10, 1)}
	first := s.do(t, ctx, creq)
	again := s.do(t, ctx, creq)
	if d := cmp.Diff(first, again); d != "" {
		t.Errorf("change replay differs (-first +replay)\n%s", d)
	}
	s.checkVendorSide(t, o.Application, creq.Items)
}

func testIdempotencyConflict(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	o := s.order("conflict", "provision")
	req := govcloud.ProvisionRequest{Order: o, Items: s.items(1, 0, 0)}
	done := s.do(t, ctx, req)
	other := req
	other.Items = s.items(5, 0, 0)
	_, err := s.p.Provision(ctx, other)
	if !errors.Is(err, govcloud.ErrIdempotencyConflict) || !govcloud.IsPermanent(err) {
		t.Fatalf("same key, other items: err = %v, want permanent ErrIdempotencyConflict", err)
	}
	again := s.do(t, ctx, req)
	if d := cmp.Diff(done, again); d != "" {
		t.Errorf("the conflicting call changed the outcome (-before +after)\n%s", d)
	}
	s.checkVendorSide(t, o.Application, req.Items)
}

func testOrdering(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	// Operations on an application that was never provisioned.
	ghost := s.order("ghost", "promote")
	if _, err := s.p.Promote(ctx, govcloud.PromoteRequest{Order: ghost}); !govcloud.IsPermanent(err) {
		t.Errorf("promote of an unknown application: err = %v, want permanent", err)
	}
	if _, err := s.p.Change(ctx, govcloud.ChangeRequest{Order: s.order("ghost", "change"), Items: s.items(1, 0, 0)}); !govcloud.IsPermanent(err) {
		t.Errorf("change of an unknown application: err = %v, want permanent", err)
	}

	o := s.order("order", "provision")
	ack, err := s.p.Provision(ctx, govcloud.ProvisionRequest{Order: o, Items: s.items(1, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !ack.Done {
		// A change while the provision runs must be refused as retryable (busy).
		_, err := s.p.Change(ctx, govcloud.ChangeRequest{Order: s.order("order", "early-change"), Items: s.items(2, 1, 0)})
		if !govcloud.IsRetryable(err) {
			t.Errorf("change during provision: err = %v, want retryable", err)
		}
	}
	if _, err := s.await(t, ctx, ack); err != nil {
		t.Fatal(err)
	}
	// A second provision of the same application with another key.
	if _, err := s.p.Provision(ctx, govcloud.ProvisionRequest{Order: s.order("order", "provision-again"), Items: s.items(1, 0, 0)}); !govcloud.IsPermanent(err) {
		t.Errorf("second provision: err = %v, want permanent", err)
	}
	s.do(t, ctx, govcloud.ChangeRequest{Order: s.order("order", "change"), Items: s.items(2, 1, 0)})
	s.do(t, ctx, govcloud.ReclaimRequest{Order: s.order("order", "reclaim")})
	if _, err := s.p.Change(ctx, govcloud.ChangeRequest{Order: s.order("order", "late-change"), Items: s.items(1, 0, 0)}); !govcloud.IsPermanent(err) {
		t.Errorf("change after reclaim: err = %v, want permanent", err)
	}
	if _, err := s.p.Reclaim(ctx, govcloud.ReclaimRequest{Order: s.order("order", "reclaim-again")}); !govcloud.IsPermanent(err) {
		t.Errorf("reclaim after reclaim: err = %v, want permanent", err)
	}
	s.checkVendorSide(t, o.Application, nil)
}

func testInvalid(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	o := s.order("invalid", "provision")
	noKey := o
	noKey.Key = ""
	otherVendor := o
	otherVendor.Vendor = s.h.Vendor + "-other"
	tests := []struct {
		name string
		req  any
	}{
		{"no key", govcloud.ProvisionRequest{Order: noKey, Items: s.items(1, 0, 0)}},
		{"no items", govcloud.ProvisionRequest{Order: o}},
		{"zero quantity", govcloud.ProvisionRequest{Order: o, Items: []govcloud.Item{{Code: s.h.Items[0], Quantity: 0}}}},
		{"duplicate item", govcloud.ProvisionRequest{Order: o, Items: []govcloud.Item{{Code: s.h.Items[0], Quantity: 1}, {Code: s.h.Items[0], Quantity: 2}}}},
		{"other vendor", govcloud.ProvisionRequest{Order: otherVendor, Items: s.items(1, 0, 0)}},
		{"reclaim without key", govcloud.ReclaimRequest{Order: noKey}},
	}
	for _, tc := range tests {
		_, err := s.send(ctx, tc.req)
		if !govcloud.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", tc.name, err)
		}
	}
	// None of them created anything: the key is still free.
	s.do(t, ctx, govcloud.ProvisionRequest{Order: o, Items: s.items(1, 0, 0)})
	s.checkVendorSide(t, o.Application, s.items(1, 0, 0))
}

func testFaults(t *testing.T, s *suite) {
	if s.h.Inject == nil {
		t.Skip("the harness cannot inject faults")
	}
	ctx := s.ctx(t)
	cases := []struct {
		name  string
		fault Fault
	}{
		{"retryable", FaultRetryable},
		{"accepted timeout", FaultAcceptedTimeout},
		{"partial", FaultPartial},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := s.order("fault-"+strings.ReplaceAll(tc.name, " ", "-"), "provision")
			req := govcloud.ProvisionRequest{Order: o, Items: s.items(1, 2, 3)}
			if !s.h.Inject(tc.fault) {
				t.Skipf("the provider cannot inject %s", tc.name)
			}
			ack, err := s.p.Provision(ctx, req)
			if err == nil {
				_, err = s.await(t, ctx, ack)
			}
			if !govcloud.IsRetryable(err) || govcloud.IsPermanent(err) {
				t.Fatalf("err = %v, want retryable", err)
			}
			var pe *govcloud.ProviderError
			if !errors.As(err, &pe) || pe.Code == "" {
				t.Errorf("err = %#v, want a *ProviderError with a code", err)
			}
			done := s.do(t, ctx, req)
			checkResources(t, "after "+tc.name, done.Result.Resources, req.Items)
			s.checkVendorSide(t, o.Application, req.Items)
		})
	}
}

func testCancellation(t *testing.T, s *suite) {
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := s.order("cancel", "provision")
	req := govcloud.ProvisionRequest{Order: o, Items: s.items(1, 0, 0)}
	_, err := s.p.Provision(cctx, req)
	if !errors.Is(err, context.Canceled) || govcloud.IsRetryable(err) || govcloud.IsPermanent(err) {
		t.Errorf("cancelled context: err = %v, want context.Canceled, neither retryable nor permanent", err)
	}
	if s.h.Inject == nil || !s.h.Inject(FaultHang) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := s.p.Provision(ctx, req)
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, context.DeadlineExceeded) || govcloud.IsRetryable(err) {
			t.Errorf("hung call: err = %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a hung call did not return after its context ended")
	}
}

func testPoller(t *testing.T, s *suite) {
	p, ok := s.p.(govcloud.Poller)
	if !ok {
		t.Skip("not a govcloud.Poller")
	}
	ctx := s.ctx(t)
	_, err := p.Poll(ctx, s.prefix+"-never-used")
	if !govcloud.IsPermanent(err) {
		t.Errorf("Poll(unknown key): err = %v, want permanent", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Poll(cctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Poll(cancelled): err = %v, want context.Canceled", err)
	}
}

func unsupported(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, govcloud.ErrUnsupported) {
		t.Skipf("capability unsupported at run time: %v", err)
	}
}

// running provisions an application and lets two days pass.
func (s *suite) running(t *testing.T, ctx context.Context, app string) (govcloud.Order, time.Time) {
	t.Helper()
	o := s.order(app, "provision")
	ack := s.do(t, ctx, govcloud.ProvisionRequest{Order: o, Items: s.items(2, 100, 0)})
	for i := 0; i < 48; i++ {
		s.advance(time.Hour)
	}
	return o, ack.Result.Completed
}

func testUsage(t *testing.T, s *suite) {
	u, ok := s.p.(govcloud.UsageReporter)
	if !ok {
		t.Skip("not a govcloud.UsageReporter")
	}
	ctx := s.ctx(t)
	o, since := s.running(t, ctx, "usage")
	q := govcloud.UsageQuery{Period: govcloud.Period{Start: since.Add(-time.Hour), End: s.now()}, Application: o.Application}
	recs, err := u.Usage(ctx, q)
	unsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatal("no usage for an application that ran for two days")
	}
	keys := map[string]bool{}
	for i, r := range recs {
		if r.Key == "" || keys[r.Key] {
			t.Errorf("record %d: empty or duplicate key %q", i, r.Key)
		}
		keys[r.Key] = true
		if r.Application != o.Application || r.Quantity < 0 || !r.Start.Before(r.End) || r.Start.Before(q.Start) || !r.Start.Before(q.End) {
			t.Errorf("record %d out of the query: %+v", i, r)
		}
		if i > 0 && r.Start.Before(recs[i-1].Start) {
			t.Errorf("record %d out of order", i)
		}
	}
	again, err := u.Usage(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(recs, again); d != "" {
		t.Errorf("the same query gave other records (-first +second)\n%s", d)
	}
	// Overlapping queries report the same record under the same key.
	mid := q.Start.Add(q.End.Sub(q.Start) / 2).Truncate(time.Hour)
	first, err := u.Usage(ctx, govcloud.UsageQuery{Period: govcloud.Period{Start: q.Start, End: mid}, Application: o.Application})
	if err != nil {
		t.Fatal(err)
	}
	second, err := u.Usage(ctx, govcloud.UsageQuery{Period: govcloud.Period{Start: mid, End: q.End}, Application: o.Application})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(recs, append(first, second...)); d != "" {
		t.Errorf("split query differs from the whole (-whole +split)\n%s", d)
	}
	if _, err := u.Usage(ctx, govcloud.UsageQuery{Period: govcloud.Period{Start: q.End, End: q.Start}}); !govcloud.IsPermanent(err) {
		t.Errorf("reversed period: err = %v, want permanent", err)
	}
}

func testUtilisation(t *testing.T, s *suite) {
	u, ok := s.p.(govcloud.UtilisationReporter)
	if !ok {
		t.Skip("not a govcloud.UtilisationReporter")
	}
	ctx := s.ctx(t)
	o, since := s.running(t, ctx, "util")
	q := govcloud.UtilisationQuery{Period: govcloud.Period{Start: since, End: s.now()}, Application: o.Application, Step: time.Hour}
	smp, err := u.Utilisation(ctx, q)
	unsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if len(smp) == 0 {
		t.Fatal("no samples for an application that ran for two days")
	}
	for i, x := range smp {
		if x.Application != o.Application || x.Resource == "" || x.At.Before(q.Start) || !x.At.Before(q.End) ||
			x.CPUPermille < 0 || x.CPUPermille > 1000 || x.MemoryPermille < 0 || x.MemoryPermille > 1000 || x.NetworkBytes < 0 {
			t.Errorf("sample %d invalid: %+v", i, x)
		}
		if i > 0 && x.At.Before(smp[i-1].At) {
			t.Errorf("sample %d out of order", i)
		}
	}
	if _, err := u.Utilisation(ctx, govcloud.UtilisationQuery{Period: govcloud.Period{Start: q.End, End: q.End}}); !govcloud.IsPermanent(err) {
		t.Errorf("empty period: err = %v, want permanent", err)
	}
}

func testIncidents(t *testing.T, s *suite) {
	r, ok := s.p.(govcloud.IncidentReporter)
	if !ok {
		t.Skip("not a govcloud.IncidentReporter")
	}
	ctx := s.ctx(t)
	_, since := s.running(t, ctx, "incidents")
	q := govcloud.Period{Start: since.Add(-24 * time.Hour), End: s.now()}
	incs, err := r.Incidents(ctx, q)
	unsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range incs {
		if in.ID == "" || in.Start.IsZero() || (!in.End.IsZero() && !in.Start.Before(in.End)) || len(in.Applications) == 0 || in.Cause == "" {
			t.Errorf("incident %d invalid: %+v", i, in)
		}
		if !in.Start.Before(q.End) || (!in.End.IsZero() && !in.End.After(q.Start)) {
			t.Errorf("incident %d does not overlap the query: %+v", i, in)
		}
		if i > 0 && in.Start.Before(incs[i-1].Start) {
			t.Errorf("incident %d out of order", i)
		}
	}
	if _, err := r.Incidents(ctx, govcloud.Period{}); !govcloud.IsPermanent(err) {
		t.Errorf("zero period: err = %v, want permanent", err)
	}
}

func testMonthly(t *testing.T, s *suite) {
	r, ok := s.p.(govcloud.MonthlyReporter)
	if !ok {
		t.Skip("not a govcloud.MonthlyReporter")
	}
	if s.h.Advance == nil {
		t.Skip("a month cannot pass in real time")
	}
	ctx := s.ctx(t)
	o, since := s.running(t, ctx, "monthly")
	start := since.In(time.FixedZone("CST", 8*3600))
	m := govcloud.Month{Year: start.Year(), Month: start.Month()}
	if _, err := r.MonthlyReport(ctx, m); err == nil && s.now().Before(m.Period().End) {
		t.Error("report of a month not yet over: no error")
	}
	for s.now().Before(m.Period().End.Add(time.Hour)) {
		s.advance(24 * time.Hour)
	}
	rep, err := r.MonthlyReport(ctx, m)
	unsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Month != m || rep.Vendor != s.h.Vendor || rep.Operations == "" || rep.SecurityBulletin == "" {
		t.Errorf("report header: month %v vendor %q, O&M %q, bulletin %q", rep.Month, rep.Vendor, rep.Operations, rep.SecurityBulletin)
	}
	found := false
	for _, row := range rep.Utilisation {
		if row.Application == o.Application {
			found = true
		}
		if row.AvgCPUPermille > row.PeakCPUPermille || row.PeakCPUPermille > 1000 || row.AvgMemoryPermille > row.PeakMemoryPermille {
			t.Errorf("row invalid: %+v", row)
		}
	}
	if !found {
		t.Errorf("utilisation table has no row for %q", o.Application)
	}
	again, err := r.MonthlyReport(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rep, again); d != "" {
		t.Errorf("the same month reported twice differs\n%s", d)
	}
}
