package httpprovider_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/opengovcloud/govcloud/adapters/httpprovider"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// A vendor wraps its provider (here the simulator) in the reference server;
// the platform talks to it through the client.
func Example() {
	secret := []byte("a shared secret of at least 32 bytes!!")
	clock := simprovider.NewManualClock(time.Date(2025, 3, 3, 9, 0, 0, 0, calendar.Beijing()))
	vendor, _ := simprovider.New(simprovider.Options{Vendor: "vendor-a", Clock: clock})

	srv, err := httpprovider.NewServer(httpprovider.ServerOptions{Provider: vendor, Secret: secret})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	var p govcloud.Provider
	p, err = httpprovider.NewClient(httpprovider.ClientOptions{BaseURL: ts.URL, Secret: secret})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	ack, err := p.Provision(ctx, govcloud.ProvisionRequest{
		Order: govcloud.Order{Key: "wo-1/provision", WorkOrder: "wo-1", Application: "app-1", Department: "dept-1", Vendor: "vendor-a"},
		Items: []govcloud.Item{{Code: "ecs.vcpu", Quantity: 4}},
	})
	fmt.Println(ack.Done, err)

	clock.Set(ack.Expected) // the vendor's work is done
	ack, err = p.(govcloud.Poller).Poll(ctx, "wo-1/provision")
	fmt.Println(ack.Done, ack.Result.Resources[0].Item, ack.Result.Resources[0].Quantity, err)

	// The same key with another request is refused, permanently.
	_, err = p.Provision(ctx, govcloud.ProvisionRequest{
		Order: govcloud.Order{Key: "wo-1/provision", WorkOrder: "wo-1", Application: "app-1", Department: "dept-1", Vendor: "vendor-a"},
		Items: []govcloud.Item{{Code: "ecs.vcpu", Quantity: 8}},
	})
	fmt.Println(govcloud.IsPermanent(err))
	// Output:
	// false <nil>
	// true ecs.vcpu 4 <nil>
	// true
}
