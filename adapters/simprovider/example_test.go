package simprovider_test

import (
	"context"
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/adapters/simprovider"
	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// A trial environment requested on the last working day before the 2025
// National Day holiday is delivered after the holiday: the simulated latency
// runs in working time.
func Example() {
	ctx := context.Background()
	clock := simprovider.NewManualClock(time.Date(2025, 9, 30, 16, 0, 0, 0, calendar.Beijing()))
	sim, err := simprovider.New(simprovider.Options{
		Vendor: "vendor-a",
		Seed:   1,
		Clock:  clock,
		Latency: map[govcloud.Op]simprovider.Latency{
			govcloud.OpProvision: {Min: 4 * time.Hour, Max: 4 * time.Hour},
		},
	})
	if err != nil {
		panic(err)
	}
	ack, err := sim.Provision(ctx, govcloud.ProvisionRequest{
		Order: govcloud.Order{Key: "wo-1/provision", WorkOrder: "wo-1", Application: "app-1", Department: "dept-1", Vendor: "vendor-a"},
		Items: []govcloud.Item{{Code: "ecs.vcpu", Quantity: 8}, {Code: "oss.gb", Quantity: 500}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("done at once:", ack.Done)
	fmt.Println("expected:", ack.Expected.Format("2006-01-02 15:04"))

	clock.Set(ack.Expected)
	ack, err = sim.Poll(ctx, "wo-1/provision")
	if err != nil {
		panic(err)
	}
	fmt.Println("done:", ack.Done)
	for _, r := range ack.Result.Resources {
		fmt.Println(r.Item, r.Quantity)
	}
	// Output:
	// done at once: false
	// expected: 2025-10-09 11:30
	// done: true
	// ecs.vcpu 8
	// oss.gb 500
}

// Faults are injected on demand; a retry with the same key completes the
// operation without creating anything twice.
func ExampleSim_InjectFault() {
	ctx := context.Background()
	clock := simprovider.NewManualClock(time.Date(2025, 3, 3, 9, 0, 0, 0, calendar.Beijing()))
	sim, _ := simprovider.New(simprovider.Options{Vendor: "v", Clock: clock})
	req := govcloud.ProvisionRequest{
		Order: govcloud.Order{Key: "k", WorkOrder: "wo", Application: "app", Department: "d", Vendor: "v"},
		Items: []govcloud.Item{{Code: "ecs.vcpu", Quantity: 2}},
	}
	sim.InjectFault(simprovider.FaultAcceptedTimeout)
	_, err := sim.Provision(ctx, req)
	fmt.Println("retryable:", govcloud.IsRetryable(err))
	ack, _ := sim.Provision(ctx, req) // the same key again
	clock.Set(ack.Expected)
	ack, _ = sim.Poll(ctx, "k")
	fmt.Println("done:", ack.Done, "resources created:", sim.Created())
	// Output:
	// retryable: true
	// done: true resources created: 1
}
