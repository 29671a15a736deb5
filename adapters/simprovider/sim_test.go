package simprovider

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/adapters/providertest"
	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

var items = []string{"ecs.vcpu", "oss.gb", "rds.instance"}

// start is a Monday morning, a working day.
var start = time.Date(2025, 3, 3, 9, 0, 0, 0, calendar.Beijing())

func newSim(t testing.TB, o Options) (*Sim, *ManualClock) {
	t.Helper()
	clock := NewManualClock(start)
	if o.Vendor == "" {
		o.Vendor = "sim"
	}
	o.Clock = clock
	if o.Items == nil {
		o.Items = items
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, clock
}

// Harness returns the conformance harness of s.
func harness(s *Sim, c *ManualClock) providertest.Harness {
	return providertest.Harness{
		Vendor:    s.o.Vendor,
		Items:     items,
		Advance:   c.Advance,
		Now:       c.Now,
		Resources: s.Resources,
		Inject: func(f providertest.Fault) bool {
			s.InjectFault(map[providertest.Fault]FaultKind{
				providertest.FaultRetryable:       FaultServerError,
				providertest.FaultAcceptedTimeout: FaultAcceptedTimeout,
				providertest.FaultPartial:         FaultPartial,
				providertest.FaultHang:            FaultHang,
			}[f])
			return true
		},
	}
}

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) (govcloud.Provider, providertest.Harness) {
		s, c := newSim(t, Options{Seed: 7})
		return s, harness(s, c)
	})
}

// With random faults at high rates, retrying every retryable failure with the
// same request converges: every application ends with exactly its items and
// no resource is created twice.
func TestRandomFaultsConverge(t *testing.T) {
	s, c := newSim(t, Options{Seed: 11, Faults: Faults{Timeout: 150, ServerError: 150, Partial: 300}})
	ctx := context.Background()
	do := func(req any) govcloud.Ack {
		for attempt := 0; attempt < 100; attempt++ {
			var ack govcloud.Ack
			var err error
			switch r := req.(type) {
			case govcloud.ProvisionRequest:
				ack, err = s.Provision(ctx, r)
			case govcloud.ChangeRequest:
				ack, err = s.Change(ctx, r)
			}
			for err == nil && !ack.Done {
				c.Advance(time.Hour)
				ack, err = s.Poll(ctx, ack.Key)
			}
			if err == nil {
				return ack
			}
			if !govcloud.IsRetryable(err) {
				t.Fatalf("%+v: %v", req, err)
			}
			c.Advance(time.Minute)
		}
		t.Fatalf("%+v never completed", req)
		return govcloud.Ack{}
	}
	faults := 0
	want := 0
	for i := 0; i < 30; i++ {
		app := string(rune('a' + i))
		req := provision(app, app+"-p", 1+int64(i%4))
		do(req)
		chg := govcloud.ChangeRequest{Order: req.Order, Items: []govcloud.Item{{Code: "ecs.vcpu", Quantity: 9}, {Code: "rds.instance", Quantity: 1}}}
		chg.Key = app + "-c"
		ack := do(chg)
		if d := cmp.Diff(chg.Items, resItems(ack.Result.Resources)); d != "" {
			t.Errorf("%s after change (-want +got)\n%s", app, d)
		}
		if d := cmp.Diff(ack.Result.Resources, s.Resources(app)); d != "" {
			t.Errorf("%s: result differs from the vendor side\n%s", app, d)
		}
		want += 3 // ecs.vcpu and oss.gb, then rds.instance added
		faults += s.attempts[req.Key] + s.attempts[chg.Key] - 2
	}
	if got := s.Created(); got != want {
		t.Errorf("created %d resources, want %d (duplicates?)", got, want)
	}
	if faults < 10 {
		t.Errorf("only %d retried calls: the fault rates did not bite", faults)
	}
}

func resItems(rs []govcloud.Resource) []govcloud.Item {
	var its []govcloud.Item
	for _, r := range rs {
		its = append(its, govcloud.Item{Code: r.Item, Quantity: r.Quantity})
	}
	return its
}

func TestOptionsValidate(t *testing.T) {
	c := NewManualClock(start)
	tests := []struct {
		name  string
		o     Options
		field string
	}{
		{"no vendor", Options{Clock: c}, "Vendor"},
		{"no clock", Options{Vendor: "v"}, "Clock"},
		{"bad latency", Options{Vendor: "v", Clock: c, Latency: map[govcloud.Op]Latency{govcloud.OpPromote: {Min: 2, Max: 1}}}, "Latency[转为正式环境]"},
		{"bad op", Options{Vendor: "v", Clock: c, Latency: map[govcloud.Op]Latency{"x": {}}}, "Latency"},
		{"rate", Options{Vendor: "v", Clock: c, Faults: Faults{Partial: 1001}}, "Faults.Partial"},
		{"rates sum", Options{Vendor: "v", Clock: c, Faults: Faults{Timeout: 600, ServerError: 600}}, "Faults"},
		{"blank item", Options{Vendor: "v", Clock: c, Items: []string{"a", " "}}, "Items[1]"},
		{"bad hours", Options{Vendor: "v", Clock: c, Hours: calendar.OfficeHours{Periods: []calendar.Period{{Start: 2, End: 1}}}}, "Hours"},
		{"ok", Options{Vendor: "v", Clock: c}, ""},
	}
	for _, tc := range tests {
		err := tc.o.Validate()
		var oe *OptionError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (!errors.As(err, &oe) || oe.Field != tc.field || !errors.Is(err, ErrInvalidOptions)):
			t.Errorf("%s: err = %v, want field %q", tc.name, err, tc.field)
		}
	}
}

// The latency is working time: an order acknowledged on the last working
// day before the 2025 National Day holiday completes after the holiday.
func TestLatencyInWorkingTime(t *testing.T) {
	s, c := newSim(t, Options{Latency: map[govcloud.Op]Latency{govcloud.OpProvision: {Min: 3 * time.Hour, Max: 3 * time.Hour}}})
	c.Set(time.Date(2025, 9, 30, 16, 0, 0, 0, calendar.Beijing()))
	ack, err := s.Provision(context.Background(), provision("a", "k1", 1))
	if err != nil {
		t.Fatal(err)
	}
	// 1.5h on 30 September (16:00–17:30), holiday 1–8 October, 1.5h on the 9th from 09:00.
	want := time.Date(2025, 10, 9, 10, 30, 0, 0, calendar.Beijing())
	if !ack.Expected.Equal(want) {
		t.Errorf("expected completion %v, want %v", ack.Expected, want)
	}
	c.Set(want.Add(-time.Minute))
	if a, _ := s.Poll(context.Background(), "k1"); a.Done {
		t.Error("done a minute early")
	}
	c.Set(want)
	a, err := s.Poll(context.Background(), "k1")
	if err != nil || !a.Done || !a.Result.Completed.Equal(want) {
		t.Errorf("at due: %+v, %v", a, err)
	}
}

func provision(app, key string, qty int64) govcloud.ProvisionRequest {
	return govcloud.ProvisionRequest{
		Order: govcloud.Order{Key: key, WorkOrder: "wo-" + key, Application: app, Department: "d", Vendor: "sim"},
		Items: []govcloud.Item{{Code: "ecs.vcpu", Quantity: qty}, {Code: "oss.gb", Quantity: 10 * qty}},
	}
}

// run drives a fixed scenario and returns everything observable.
func run(t *testing.T, seed uint64) any {
	s, c := newSim(t, Options{Seed: seed, Faults: Faults{Timeout: 200, ServerError: 100, Partial: 200}, IncidentPermille: 300})
	ctx := context.Background()
	type obs struct {
		Acks      []govcloud.Ack
		Errs      []string
		Usage     []govcloud.UsageRecord
		Samples   []govcloud.UtilisationSample
		Incidents []govcloud.Incident
		Report    govcloud.MonthlyReport
	}
	var o obs
	for i := 0; i < 40; i++ {
		app := string(rune('a' + i%5))
		ack, err := s.Provision(ctx, provision(app, app+"-p", int64(1+i%3)))
		o.Acks = append(o.Acks, ack)
		if err != nil {
			o.Errs = append(o.Errs, err.Error())
		}
		c.Advance(3 * time.Hour)
	}
	c.Set(time.Date(2025, 4, 1, 1, 0, 0, 0, calendar.Beijing()))
	p := govcloud.Period{Start: start, End: c.Now()}
	var err error
	if o.Usage, err = s.Usage(ctx, govcloud.UsageQuery{Period: p}); err != nil {
		t.Fatal(err)
	}
	if o.Samples, err = s.Utilisation(ctx, govcloud.UtilisationQuery{Period: p, Step: 12 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if o.Incidents, err = s.Incidents(ctx, p); err != nil {
		t.Fatal(err)
	}
	if o.Report, err = s.MonthlyReport(ctx, govcloud.Month{Year: 2025, Month: time.March}); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestDeterministic(t *testing.T) {
	a, b := run(t, 42), run(t, 42)
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("same seed, different behaviour (-first +second)\n%s", d)
	}
	if cmp.Equal(a, run(t, 43)) {
		t.Fatal("different seeds, identical behaviour")
	}
}

// Concurrent calls on different applications do not change the outcome.
func TestDeterministicUnderConcurrency(t *testing.T) {
	results := func(parallel bool) map[string]govcloud.Ack {
		s, c := newSim(t, Options{Seed: 5})
		out := map[string]govcloud.Ack{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			app := string(rune('a' + i))
			f := func() {
				defer wg.Done()
				if _, err := s.Provision(context.Background(), provision(app, app, int64(i+1))); err != nil {
					t.Error(err)
				}
			}
			wg.Add(1)
			if parallel {
				go f()
			} else {
				f()
			}
		}
		wg.Wait()
		c.Advance(7 * 24 * time.Hour)
		for i := 0; i < 20; i++ {
			app := string(rune('a' + i))
			a, err := s.Poll(context.Background(), app)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			out[app] = a
			mu.Unlock()
		}
		return out
	}
	if d := cmp.Diff(results(false), results(true)); d != "" {
		t.Errorf("sequential vs concurrent (-seq +conc)\n%s", d)
	}
}

func TestUsageQuantities(t *testing.T) {
	s, c := newSim(t, Options{Latency: map[govcloud.Op]Latency{govcloud.OpProvision: {}, govcloud.OpChange: {}}})
	ctx := context.Background()
	c.Set(time.Date(2025, 3, 3, 9, 30, 0, 0, calendar.Beijing())) // half past
	if _, err := s.Provision(ctx, provision("a", "k", 2)); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Hour) // 11:30: change to 4 vCPUs
	req := govcloud.ChangeRequest{Order: govcloud.Order{Key: "c", WorkOrder: "w", Application: "a", Department: "d", Vendor: "sim"},
		Items: []govcloud.Item{{Code: "ecs.vcpu", Quantity: 4}}}
	if _, err := s.Change(ctx, req); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour) // 12:30
	recs, err := s.Usage(ctx, govcloud.UsageQuery{Period: govcloud.Period{Start: start, End: c.Now()}, Application: "a"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int64{}
	for _, r := range recs {
		got[r.Item] = append(got[r.Item], r.Quantity)
	}
	want := map[string][]int64{
		// 09:30–10 half an hour of 2 vCPUs; 10–11 full; 11–11:30 2 vCPUs and 11:30–12 4 vCPUs.
		"ecs.vcpu": {1000, 2000, 1000, 2000},
		"oss.gb":   {10000, 20000, 10000}, // removed at 11:30
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("usage in milli-units (-want +got)\n%s", d)
	}
}

func TestIdleAndDailyPatterns(t *testing.T) {
	s, c := newSim(t, Options{Seed: 3, IdlePermille: 500, Latency: map[govcloud.Op]Latency{govcloud.OpProvision: {}}})
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		app := string(rune('a' + i))
		if _, err := s.Provision(ctx, provision(app, app, 1)); err != nil {
			t.Fatal(err)
		}
	}
	c.Set(time.Date(2025, 4, 2, 0, 0, 0, 0, calendar.Beijing()))
	rep, err := s.MonthlyReport(ctx, govcloud.Month{Year: 2025, Month: time.March})
	if err != nil {
		t.Fatal(err)
	}
	idle, busy := 0, 0
	for _, r := range rep.Utilisation {
		if r.AvgCPUPermille < 50 {
			idle++
		} else if r.PeakCPUPermille > 400 {
			busy++
		}
	}
	if idle == 0 || busy == 0 || idle+busy != len(rep.Utilisation) {
		t.Errorf("idle %d busy %d of %d rows: want both kinds and nothing else", idle, busy, len(rep.Utilisation))
	}
	advIdle := 0
	for _, a := range rep.Advice {
		if a.Kind == govcloud.AdviceIdle {
			advIdle++
		}
	}
	if advIdle != idle {
		t.Errorf("%d idle advices for %d idle resources", advIdle, idle)
	}
	// The daily cycle: a busy resource at 15:00 on a weekday beats 03:00 and the weekend.
	smp, err := s.Utilisation(ctx, govcloud.UtilisationQuery{Period: govcloud.Period{
		Start: time.Date(2025, 3, 10, 0, 0, 0, 0, calendar.Beijing()), End: time.Date(2025, 3, 17, 0, 0, 0, 0, calendar.Beijing())}})
	if err != nil {
		t.Fatal(err)
	}
	var day, night, weekend int
	for _, x := range smp {
		bt := x.At.In(calendar.Beijing())
		switch {
		case bt.Weekday() == time.Saturday || bt.Weekday() == time.Sunday:
			weekend += x.CPUPermille
		case bt.Hour() == 15:
			day += x.CPUPermille
		case bt.Hour() == 3:
			night += x.CPUPermille
		}
	}
	if day <= night*2 || day*2/5 <= weekend/24 {
		t.Errorf("cpu sums: 15:00 %d, 03:00 %d, weekend %d: no daily cycle", day, night, weekend)
	}
	if rep.Drill || rep.SecurityBulletin == "" {
		t.Errorf("March report: drill %v, bulletin %q", rep.Drill, rep.SecurityBulletin)
	}
}

func TestIncidents(t *testing.T) {
	s, c := newSim(t, Options{Seed: 9, IncidentPermille: 1000, Latency: map[govcloud.Op]Latency{govcloud.OpProvision: {}}})
	ctx := context.Background()
	p := govcloud.Period{Start: start, End: start.Add(10 * 24 * time.Hour)}
	c.Set(p.End)
	incs, err := s.Incidents(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) != 0 {
		t.Errorf("%d incidents with no application running", len(incs))
	}
	c.Set(start)
	if _, err := s.Provision(ctx, provision("a", "k", 1)); err != nil {
		t.Fatal(err)
	}
	c.Set(p.End)
	if incs, err = s.Incidents(ctx, p); err != nil {
		t.Fatal(err)
	}
	// Every day has an incident; the first day's may start before 09:00.
	if len(incs) < 9 {
		t.Errorf("%d incidents in 10 days at 1000‰", len(incs))
	}
	for _, in := range incs {
		if d := cmp.Diff([]string{"a"}, in.Applications); d != "" || in.End.Sub(in.Start) < 5*time.Minute || in.End.Sub(in.Start) > 180*time.Minute {
			t.Errorf("incident %+v", in)
		}
	}
}

type sinkRec struct {
	mu   sync.Mutex
	got  []govcloud.Completion
	fail bool
}

func (r *sinkRec) Complete(_ context.Context, c govcloud.Completion) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("sink down")
	}
	r.got = append(r.got, c)
	return nil
}

func TestSinkReceivesCompletions(t *testing.T) {
	sink := &sinkRec{fail: true}
	s, c := newSim(t, Options{Sink: sink})
	ctx := context.Background()
	s.InjectFault(FaultPartial)
	if _, err := s.Provision(ctx, provision("a", "k", 1)); err != nil {
		t.Fatal(err)
	}
	c.Advance(5 * 24 * time.Hour)
	if err := s.Tick(ctx); err == nil {
		t.Fatal("Tick hid the sink's failure")
	}
	sink.mu.Lock()
	sink.fail = false
	sink.mu.Unlock()
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sink.got) != 1 || sink.got[0].Error == nil || sink.got[0].Error.Code != govcloud.CodePartial {
		t.Fatalf("after partial delivery: %+v", sink.got)
	}
	if _, err := s.Provision(ctx, provision("a", "k", 1)); err != nil {
		t.Fatal(err)
	}
	c.Advance(5 * 24 * time.Hour)
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sink.got) != 2 || sink.got[1].Result == nil || len(sink.got[1].Result.Resources) != 2 || sink.got[1].Validate() != nil {
		t.Fatalf("after retry: %+v", sink.got)
	}
	if s.Created() != 2 {
		t.Errorf("created %d resources for 2 items", s.Created())
	}
}

func TestUnknownItemAndDepartment(t *testing.T) {
	s, _ := newSim(t, Options{})
	ctx := context.Background()
	req := provision("a", "k", 1)
	req.Items = append(req.Items, govcloud.Item{Code: "gpu", Quantity: 1})
	_, err := s.Provision(ctx, req)
	var pe *govcloud.ProviderError
	if !errors.As(err, &pe) || pe.Code != govcloud.CodeUnknownItem || pe.Field != "Items[2].Code" {
		t.Errorf("unknown item: %v", err)
	}
	if _, err := s.Provision(ctx, provision("a", "k", 1)); err != nil {
		t.Fatalf("the refused request consumed the key: %v", err)
	}
}

func BenchmarkProvisionPoll(b *testing.B) {
	s, c := newSim(b, Options{Latency: map[govcloud.Op]Latency{govcloud.OpProvision: {Min: time.Hour, Max: time.Hour}}})
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key := "k" + string(rune(i))
		if _, err := s.Provision(ctx, provision(key, key, 1)); err != nil {
			b.Fatal(err)
		}
		c.Advance(time.Minute)
	}
}

// Property: after any random sequence of changes (with random faults and
// retries), the vendor runs exactly the last change's items, the result
// says so, and a resource is created only for an item code that was absent.
func TestChangeSequencesProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 30; round++ {
		s, c := newSim(t, Options{Seed: uint64(round), Faults: Faults{Timeout: 100, ServerError: 100, Partial: 200}})
		ctx := context.Background()
		app := "app"
		cur := map[string]int64{}
		created := 0
		send := func(key string, its []govcloud.Item, provisionReq bool) govcloud.Ack {
			for i := 0; i < 200; i++ {
				var ack govcloud.Ack
				var err error
				if provisionReq {
					ack, err = s.Provision(ctx, govcloud.ProvisionRequest{Order: govcloud.Order{Key: key, WorkOrder: "w", Application: app, Department: "d", Vendor: "sim"}, Items: its})
				} else {
					ack, err = s.Change(ctx, govcloud.ChangeRequest{Order: govcloud.Order{Key: key, WorkOrder: "w", Application: app, Department: "d", Vendor: "sim"}, Items: its})
				}
				for err == nil && !ack.Done {
					c.Advance(time.Hour)
					ack, err = s.Poll(ctx, key)
				}
				if err == nil {
					return ack
				}
				if !govcloud.IsRetryable(err) {
					t.Fatalf("round %d key %s: %v", round, key, err)
				}
			}
			t.Fatalf("round %d key %s never completed", round, key)
			return govcloud.Ack{}
		}
		randomItems := func() []govcloud.Item {
			var its []govcloud.Item
			for _, code := range items {
				if rng.IntN(3) > 0 {
					its = append(its, govcloud.Item{Code: code, Quantity: 1 + rng.Int64N(9)})
				}
			}
			if len(its) == 0 {
				its = append(its, govcloud.Item{Code: items[0], Quantity: 1})
			}
			return its
		}
		for step := 0; step < 6; step++ {
			its := randomItems()
			for _, it := range its {
				if cur[it.Code] == 0 {
					created++
				}
			}
			ack := send(fmt.Sprintf("k%d", step), its, step == 0)
			cur = map[string]int64{}
			for _, it := range its {
				cur[it.Code] = it.Quantity
			}
			got := map[string]int64{}
			for _, r := range ack.Result.Resources {
				got[r.Item] += r.Quantity
			}
			if d := cmp.Diff(cur, got); d != "" {
				t.Fatalf("round %d step %d (-want +got)\n%s", round, step, d)
			}
			if d := cmp.Diff(ack.Result.Resources, s.Resources(app)); d != "" {
				t.Fatalf("round %d step %d: result vs vendor side\n%s", round, step, d)
			}
		}
		if s.Created() != created {
			t.Fatalf("round %d: created %d resources, want %d", round, s.Created(), created)
		}
	}
}
