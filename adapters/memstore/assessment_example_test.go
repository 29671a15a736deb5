package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/assessment"
)

// Save a vendor run, save it again (a no-op), and correct it with a run that
// supersedes it.
func ExampleNewAssessmentStore() {
	ctx := context.Background()
	scheme, _ := assessment.VendorScheme()
	store := memstore.NewAssessmentStore()
	q := assessment.QuarterPeriod(2026, 2)
	run := func(id, supersedes string, avail float64) *assessment.Run {
		r, err := assessment.NewRun(assessment.RunSpec{ID: id, Kind: assessment.SubjectVendor, Period: q, Scheme: scheme,
			Supersedes: supersedes, ScoredAt: time.Date(2026, 7, 3, 9, 0, 0, 0, time.UTC),
			Inputs: []assessment.Input{{Subject: assessment.Subject{ID: "v1", Name: "甲云"},
				Values: assessment.Values{assessment.PathAvailability: assessment.Num(avail)}}}})
		if err != nil {
			panic(err)
		}
		return r
	}
	first := run("v-2026Q2-a", "", 99.5)
	fmt.Println(store.SaveRun(ctx, first))
	fmt.Println(store.SaveRun(ctx, first))
	err := store.SaveRun(ctx, run("v-2026Q2-b", "", 99.95))
	fmt.Println("second first run:", errors.Is(err, assessment.ErrConflict))
	fmt.Println(store.SaveRun(ctx, run("v-2026Q2-b", "v-2026Q2-a", 99.95)))

	cur, _ := store.CurrentRun(ctx, assessment.SubjectVendor, q)
	fmt.Printf("current: %s, total %.2f\n", cur.ID, cur.Cards[0].Total)
	runs, _ := store.PeriodRuns(ctx, assessment.SubjectVendor, q)
	for _, r := range runs {
		fmt.Printf("%s supersedes %q\n", r.ID, r.Supersedes)
	}
	// Output:
	// <nil>
	// <nil>
	// second first run: true
	// <nil>
	// current: v-2026Q2-b, total 37.65
	// v-2026Q2-a supersedes ""
	// v-2026Q2-b supersedes "v-2026Q2-a"
}
