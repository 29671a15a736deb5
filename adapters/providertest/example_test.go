package providertest_test

import (
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/adapters/providertest"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// The simulated vendor runs the suite with every hook of the harness.
func TestSimulatorConforms(t *testing.T) {
	providertest.Run(t, newSim)
}

func newSim(t *testing.T) (govcloud.Provider, providertest.Harness) {
	clock := simprovider.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Beijing()))
	sim, err := simprovider.New(simprovider.Options{Vendor: "vendor-a", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	faults := map[providertest.Fault]simprovider.FaultKind{
		providertest.FaultRetryable:       simprovider.FaultServerError,
		providertest.FaultAcceptedTimeout: simprovider.FaultAcceptedTimeout,
		providertest.FaultPartial:         simprovider.FaultPartial,
		providertest.FaultHang:            simprovider.FaultHang,
	}
	return sim, providertest.Harness{
		Vendor:    "vendor-a",
		Items:     []string{"ecs.vcpu", "oss.gb", "rds.instance"},
		Advance:   clock.Advance,
		Now:       clock.Now,
		Resources: sim.Resources,
		Inject:    func(f providertest.Fault) bool { sim.InjectFault(faults[f]); return true },
	}
}

// A vendor's own test runs the suite against its provider; the harness's
// optional hooks (Advance, Resources, Inject) enable more checks.
func ExampleRun() {
	_ = func(t *testing.T) {
		providertest.Run(t, newSim)
	}
}
