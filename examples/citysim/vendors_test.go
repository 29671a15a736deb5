package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	"github.com/opengovcloud/govcloud/dispatch"
	"github.com/opengovcloud/govcloud/workflow"
)

// vendorRun simulates a small year with the given faults for every vendor.
func vendorRun(t *testing.T, seed uint64, f FaultSpec, apps int) (*Sim, *Report) {
	t.Helper()
	sc := small(seed)
	sc.Applications = apps
	for i := range sc.Vendors {
		sc.Vendors[i].Faults = f
	}
	return simulate(t, sc, Options{})
}

// checkWorkOrders checks every work order the simulator saw against the
// dispatcher's job and the workflow, one by one.
func checkWorkOrders(t *testing.T, s *Sim) (completed, open, raised int) {
	t.Helper()
	ctx := context.Background()
	for _, o := range s.vend.orders {
		j, err := s.p.Database().Jobs().Get(ctx, "wo/"+o.id)
		if err != nil {
			t.Fatalf("work order %s has no dispatcher job: %v", o.id, err)
		}
		app, err := s.eng.Get(ctx, authority, s.apps[o.app].cur.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch j.Status {
		case dispatch.StatusDone:
			completed++
			if o.completed.IsZero() || app.OpenWorkOrder == o.id {
				t.Errorf("work order %s: job done, but the simulator saw no completion (open work order %q)", o.id, app.OpenWorkOrder)
			}
		case dispatch.StatusPending, dispatch.StatusWaiting:
			open++
			if !o.completed.IsZero() || app.OpenWorkOrder != o.id {
				t.Errorf("work order %s: job %s, application's open work order %q", o.id, j.Status, app.OpenWorkOrder)
			}
		default:
			raised++
		}
	}
	return completed, open, raised
}

func TestVendorsWithoutFaultsCompleteEverything(t *testing.T) {
	t.Parallel()
	s, rep := vendorRun(t, 11, FaultSpec{}, 20)
	v := rep.Dispatch
	if err := v.Balance(); err != nil {
		t.Fatal(err)
	}
	if v.Created < 15 {
		t.Fatalf("only %d work orders: the scenario is too small to test anything", v.Created)
	}
	completed, open, raised := checkWorkOrders(t, s)
	if diff := cmp.Diff([3]int{v.Completed, v.Open, v.Raised}, [3]int{completed, open, raised}); diff != "" {
		t.Errorf("report vs work orders one by one (completed, open, raised) (-report +checked):\n%s", diff)
	}
	if raised != 0 {
		t.Errorf("%d work orders raised without faults", raised)
	}
	for _, row := range v.Rows {
		if row.Retries+row.Timeouts+row.ServerErrors+row.Partial+row.GaveUp+row.Permanent != 0 {
			t.Errorf("%s: failures without faults: %+v", row.Vendor, row)
		}
		if row.Sends != row.WorkOrders+row.Promotions {
			t.Errorf("%s: %d sends for %d work orders and %d promotions: want one each", row.Vendor, row.Sends, row.WorkOrders, row.Promotions)
		}
	}
	// Every work order still open was opened within a vendor's longest
	// latency of the year's end: without faults nothing else stays open.
	for _, o := range s.vend.orders {
		if o.completed.IsZero() && s.end.Sub(o.opened) > 10*24*time.Hour {
			t.Errorf("work order %s opened %s is still open at year end", o.id, o.opened)
		}
	}
	// The simulator's completion acts are the vendor's: at the instant the
	// dispatcher polled, in the states a work order leaves.
	n := 0
	for _, a := range s.acts {
		if _, ok := completionTrigger[a.From]; ok && a.Party == workflow.PartyVendor {
			n++
		}
	}
	if n != v.Completed {
		t.Errorf("%d vendor acts, %d completed work orders", n, v.Completed)
	}
}

func TestVendorsHighFaultsRetryWithoutLoss(t *testing.T) {
	t.Parallel()
	s, rep := vendorRun(t, 12, FaultSpec{TimeoutRate: 0.25, ServerErrorRate: 0.25, PartialRate: 0.3}, 20)
	v := rep.Dispatch
	if err := v.Balance(); err != nil {
		t.Fatal(err)
	}
	completed, open, raised := checkWorkOrders(t, s)
	if diff := cmp.Diff([3]int{v.Completed, v.Open, v.Raised}, [3]int{completed, open, raised}); diff != "" {
		t.Errorf("report vs work orders one by one (-report +checked):\n%s", diff)
	}
	var retries, timeouts, errs, partial int
	for _, row := range v.Rows {
		retries += row.Retries
		timeouts += row.Timeouts
		errs += row.ServerErrors
		partial += row.Partial
	}
	if timeouts == 0 || errs == 0 || partial == 0 || retries < timeouts+errs+partial-v.Raised {
		t.Errorf("retries %d: timeouts %d, server errors %d, partial %d", retries, timeouts, errs, partial)
	}
	if completed < v.Created/2 {
		t.Errorf("only %d of %d work orders completed", completed, v.Created)
	}
	var out strings.Builder
	if err := v.WriteSection(&out, "七、"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "工单无丢失 / no work order lost: ") || !strings.Contains(out.String(), "平衡 balanced") {
		t.Errorf("section:\n%s", out.String())
	}
}

func TestVendorBalanceDetectsLoss(t *testing.T) {
	ok := VendorReport{Created: 10, Completed: 7, Open: 2, Raised: 1, Observed: 7, InVendorState: 3}
	if err := ok.Balance(); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]VendorReport{
		"lost":                 {Created: 10, Completed: 7, Open: 1, Raised: 1, Observed: 7, InVendorState: 2},
		"completion unseen":    {Created: 10, Completed: 7, Open: 2, Raised: 1, Observed: 6, InVendorState: 3},
		"application stranded": {Created: 10, Completed: 7, Open: 2, Raised: 1, Observed: 7, InVendorState: 4},
	} {
		err := r.Balance()
		if !errors.Is(err, ErrWorkOrderLost) {
			t.Errorf("%s: %v, want ErrWorkOrderLost", name, err)
		}
		var out strings.Builder
		if err := r.WriteSection(&out, "七、"); err != nil || !strings.Contains(out.String(), "UNBALANCED") {
			t.Errorf("%s: %v\n%s", name, err, out.String())
		}
	}
}

func TestVendorScenarioErrors(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       []string
	}{
		{"rates", `{"vendors": [{"id": "v", "name": "V", "share": 1, "trial_environment": {"median_hours": 1, "max_hours": 1},
			"change": {"median_hours": 1, "max_hours": 1}, "reclaim": {"median_hours": 1, "max_hours": 1},
			"faults": {"timeout_rate": 0.7, "server_error_rate": 0.6, "partial_rate": -1}}]}`,
			[]string{"vendors[0].faults.partial_rate", "vendors[0].faults: timeout_rate + server_error_rate"}},
		{"dispatch", `{"dispatch": {"base_backoff_minutes": 0, "max_backoff_minutes": 99999, "max_attempts": 0}}`,
			[]string{"dispatch.base_backoff_minutes", "dispatch.max_backoff_minutes", "dispatch.max_attempts"}},
		{"type", `{"vendors": [{"faults": {"timeout_rate": "x"}}]}`, []string{"faults.timeout_rate", "line 1"}},
	} {
		_, err := LoadScenario(strings.NewReader(tc.json), DefaultScenario())
		if !errors.Is(err, ErrScenario) {
			t.Errorf("%s: %v, want ErrScenario", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v lacks %q", tc.name, err, w)
			}
		}
	}
	sc, err := LoadScenario(strings.NewReader(`{"dispatch": {"max_attempts": 3}}`), DefaultScenario())
	if err != nil || sc.Dispatch != (DispatchSpec{BaseBackoffMinutes: 1, MaxBackoffMinutes: 60, MaxAttempts: 3}) {
		t.Errorf("partial dispatch: %+v, %v", sc.Dispatch, err)
	}
}

func TestUniformOf(t *testing.T) {
	for _, tc := range []struct {
		in   Latency
		want simprovider.Latency
	}{
		{Latency{MedianHours: 7, Spread: 0, MaxHours: 70}, simprovider.Latency{Min: 7 * time.Hour, Max: 7 * time.Hour}},
		// 7·e^(±1.2816·0.7): 2.85 h and 17.2 h.
		{Latency{MedianHours: 7, Spread: 0.7, MaxHours: 70}, simprovider.Latency{Min: 2*time.Hour + 51*time.Minute, Max: 17*time.Hour + 10*time.Minute}},
		{Latency{MedianHours: 7, Spread: 0.7, MaxHours: 10}, simprovider.Latency{Min: 2*time.Hour + 51*time.Minute, Max: 10 * time.Hour}},
		{Latency{MedianHours: 0.001, Spread: 0, MaxHours: 0.001}, simprovider.Latency{Min: time.Minute, Max: time.Minute}},
	} {
		if diff := cmp.Diff(tc.want, uniformOf(tc.in)); diff != "" {
			t.Errorf("uniformOf(%+v) (-want +got):\n%s", tc.in, diff)
		}
	}
}
