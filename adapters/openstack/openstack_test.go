package openstack_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/openstack"
	"github.com/opengovcloud/govcloud/adapters/providertest"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

var catalog = map[string]openstack.Mapping{
	"ecs.small": {Kind: openstack.KindServer, FlavorID: "m1.small", ImageID: "img-1", NetworkID: "net-public",
		PerUnit: openstack.Quota{Cores: 1, RAMMB: 2048, Instances: 1}},
	"evs.gb": {Kind: openstack.KindVolume, PerUnit: openstack.Quota{Gigabytes: 1}},
	"vpc":    {Kind: openstack.KindNetwork, PerUnit: openstack.Quota{Networks: 1}},
}

var items = []string{"ecs.small", "evs.gb", "vpc"}

func newProvider(t *testing.T) (*openstack.Provider, *fakeCloud, *simprovider.ManualClock) {
	t.Helper()
	clock := simprovider.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Beijing()))
	f, ts := newFakeCloud(t, clock)
	return providerOn(t, ts, clock, nil), f, clock
}

// providerOn returns a provider on the fake cloud ts keeping its operations
// in ops (nil: in memory).
func providerOn(t *testing.T, ts *httptest.Server, clock *simprovider.ManualClock, ops openstack.OpStore) *openstack.Provider {
	t.Helper()
	admin := openstack.Clients{
		Compute:      client(ts, "/compute/v2.1/", "token-admin"),
		BlockStorage: client(ts, "/volume/v3/", "token-admin"),
		Network:      client(ts, "/network/v2.0/", "token-admin"),
	}
	p, err := openstack.New(openstack.Options{
		Vendor: "os-cloud", Identity: client(ts, "/identity/v3/", "token-admin"), Admin: admin, DomainID: "default",
		Catalog: catalog, Clock: clock,
		Scoped: func(_ context.Context, projectID string) (openstack.Clients, error) {
			tok := "token-" + projectID
			return openstack.Clients{Compute: client(ts, "/compute/v2.1/", tok), BlockStorage: client(ts, "/volume/v3/", tok),
				Network: client(ts, "/network/v2.0/", tok)}, nil
		},
		Ops: ops,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) (govcloud.Provider, providertest.Harness) {
		p, f, clock := newProvider(t)
		return p, providertest.Harness{
			Vendor: "os-cloud", Items: items, Advance: clock.Advance, Now: clock.Now, Resources: f.resources,
			Inject: func(fault providertest.Fault) bool {
				f.mu.Lock()
				defer f.mu.Unlock()
				switch fault {
				case providertest.FaultRetryable:
					f.fail503 = 1
				case providertest.FaultHang:
					f.hang = true
				case providertest.FaultAcceptedTimeout:
					// The first create succeeds at the cloud, the answer is a gateway timeout.
					f.postFault, f.postStatus, f.postDone = 1, 504, true
				case providertest.FaultPartial:
					// The first create succeeds, the second fails: part is delivered.
					f.postFault, f.postStatus, f.postDone = 2, 503, false
				default:
					return false
				}
				return true
			},
		}
	})
}

func provision(app string, its ...govcloud.Item) govcloud.ProvisionRequest {
	return govcloud.ProvisionRequest{Order: govcloud.Order{Key: app + "/p", WorkOrder: "wo-" + app, Application: app, Department: "d", Vendor: "os-cloud"},
		Items: its}
}

// await polls (advancing the clock) until the operation completes.
func await(t *testing.T, p *openstack.Provider, clock *simprovider.ManualClock, ack govcloud.Ack, err error) govcloud.Ack {
	t.Helper()
	for i := 0; err == nil && !ack.Done && i < 100; i++ {
		clock.Advance(10 * time.Minute)
		ack, err = p.Poll(context.Background(), ack.Key)
	}
	if err != nil || !ack.Done {
		t.Fatalf("ack %+v err %v", ack, err)
	}
	return ack
}

// The project's quotas follow the approved items (第十条), and are reset on change.
func TestQuotasFromItems(t *testing.T) {
	p, f, clock := newProvider(t)
	ctx := context.Background()
	ack, err := p.Provision(ctx, provision("a", govcloud.Item{Code: "ecs.small", Quantity: 3}, govcloud.Item{Code: "evs.gb", Quantity: 200}))
	await(t, p, clock, ack, err)
	type q struct{ Cores, RAM, Instances, Gigabytes, Volumes int }
	get := func() q {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, pr := range f.projects {
			if pr.Name == "govcloud-a" {
				return q{pr.Cores, pr.RAM, pr.Instances, pr.Gigabytes, pr.Volumes}
			}
		}
		t.Fatal("no project")
		return q{}
	}
	if d := cmp.Diff(q{Cores: 3, RAM: 6144, Instances: 3, Gigabytes: 200, Volumes: 1}, get()); d != "" {
		t.Errorf("quotas (-want +got)\n%s", d)
	}
	chg := govcloud.ChangeRequest{Order: govcloud.Order{Key: "a/c", WorkOrder: "wo-c", Application: "a", Department: "d", Vendor: "os-cloud"},
		Items: []govcloud.Item{{Code: "ecs.small", Quantity: 1}, {Code: "evs.gb", Quantity: 300}}}
	ack, err = p.Change(ctx, chg)
	ack = await(t, p, clock, ack, err)
	if d := cmp.Diff(q{Cores: 1, RAM: 2048, Instances: 1, Gigabytes: 300, Volumes: 1}, get()); d != "" {
		t.Errorf("quotas after change (-want +got)\n%s", d)
	}
	var sum = map[string]int64{}
	for _, r := range ack.Result.Resources {
		sum[r.Item] += r.Quantity
	}
	if d := cmp.Diff(map[string]int64{"ecs.small": 1, "evs.gb": 300}, sum); d != "" {
		t.Errorf("resources after change (-want +got)\n%s", d)
	}
	// A volume cannot shrink: permanent, and the refusal is final for the key.
	shrink := chg
	shrink.Key, shrink.Items = "a/shrink", []govcloud.Item{{Code: "ecs.small", Quantity: 1}, {Code: "evs.gb", Quantity: 10}}
	_, err = p.Change(ctx, shrink)
	if !govcloud.IsPermanent(err) {
		t.Fatalf("shrinking a volume: %v", err)
	}
	if _, err2 := p.Change(ctx, shrink); !errors.Is(err2, govcloud.ErrPermanent) || err2.Error() != err.Error() {
		t.Errorf("replay of the refused change: %v", err2)
	}
}

// Usage comes from os-simple-tenant-usage (instance-hours) and the volume
// list (GB-hours), one record per resource and Beijing day.
func TestUsage(t *testing.T) {
	p, _, clock := newProvider(t)
	ctx := context.Background()
	ack, err := p.Provision(ctx, provision("u", govcloud.Item{Code: "ecs.small", Quantity: 2}, govcloud.Item{Code: "evs.gb", Quantity: 100}))
	ack = await(t, p, clock, ack, err)
	clock.Set(time.Date(2026, 3, 5, 1, 0, 0, 0, calendar.Beijing()))
	recs, err := p.Usage(ctx, govcloud.UsageQuery{Period: govcloud.Period{Start: time.Date(2026, 3, 2, 0, 0, 0, 0, calendar.Beijing()),
		End: clock.Now()}, Application: "u"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int64{}
	for _, r := range recs {
		got[r.Start.In(calendar.Beijing()).Format("01-02")+" "+r.Item] = append(got[r.Start.In(calendar.Beijing()).Format("01-02")+" "+r.Item], r.Quantity)
	}
	// Servers were created at 09:00 on 3-2; volumes too. 3-2 has 15 hours, 3-3 and 3-4 24.
	want := map[string][]int64{
		"03-02 ecs.small": {15000, 15000}, "03-02 evs.gb": {1500000},
		"03-03 ecs.small": {24000, 24000}, "03-03 evs.gb": {2400000},
		"03-04 ecs.small": {24000, 24000}, "03-04 evs.gb": {2400000},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("usage in milli-units (-want +got)\n%s", d)
	}
	_ = ack
}

func TestOptionsValidate(t *testing.T) {
	o := openstack.Options{Vendor: "v"}
	var oe *openstack.OptionError
	if err := o.Validate(); !errors.As(err, &oe) || oe.Field != "Identity" || !errors.Is(err, openstack.ErrInvalidOptions) {
		t.Errorf("Validate() = %v", err)
	}
}

// A provision whose project creation failed is continued by Poll as well as
// by sending the key again.
func TestPollContinuesProvision(t *testing.T) {
	p, f, clock := newProvider(t)
	ctx := context.Background()
	f.mu.Lock()
	f.postFault, f.postStatus = 1, 503 // the project creation fails
	f.mu.Unlock()
	req := provision("c", govcloud.Item{Code: "ecs.small", Quantity: 1})
	if _, err := p.Provision(ctx, req); !govcloud.IsRetryable(err) {
		t.Fatalf("err = %v, want retryable", err)
	}
	if rs := f.resources("c"); rs != nil {
		t.Fatalf("resources before the retry: %+v", rs)
	}
	ack := await(t, p, clock, govcloud.Ack{Key: req.Key, Op: govcloud.OpProvision}, nil)
	if len(ack.Result.Resources) != 1 || len(f.resources("c")) != 1 {
		t.Errorf("after polling: %+v / %+v", ack.Result.Resources, f.resources("c"))
	}
}
