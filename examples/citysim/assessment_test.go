package main

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/assessment"
)

// checkScorecards: both runs hold one card per department and vendor, the
// database returns the same runs, and the lowest card has reasons. (Called from
// TestSettlementEqualsStatements, which has a billed run at hand.)
func checkScorecards(t *testing.T, s *Sim, as *AssessmentStage) {
	t.Helper()
	ctx := context.Background()
	sc := s.sc
	var wantD, wantV, gotD, gotV []string
	for _, d := range s.depts {
		wantD = append(wantD, d.ID)
	}
	for _, v := range sc.Vendors {
		wantV = append(wantV, v.ID)
	}
	for _, c := range as.DepartmentRun.Cards {
		gotD = append(gotD, c.SubjectID)
		if c.Grade.Name == "" || c.Rank < 1 || c.Total < 0 || c.Total > 100 {
			t.Errorf("card %s: grade %q rank %d total %v", c.SubjectID, c.Grade.Name, c.Rank, c.Total)
		}
	}
	for _, c := range as.VendorRun.Cards {
		gotV = append(gotV, c.SubjectID)
	}
	slices.Sort(gotD)
	slices.Sort(gotV)
	slices.Sort(wantV)
	if diff := cmp.Diff(wantD, gotD); diff != "" {
		t.Errorf("department cards (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantV, gotV); diff != "" {
		t.Errorf("vendor cards (-want +got):\n%s", diff)
	}
	store := s.Platform().Database().Assessment()
	for _, r := range []*assessment.Run{as.DepartmentRun, as.VendorRun} {
		got, err := store.CurrentRun(ctx, r.Kind, assessment.YearPeriod(sc.Year))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(r) {
			t.Errorf("stored run %s differs from the run scored", r.ID)
		}
	}
	cards := sortedCards(as.DepartmentRun.Cards)
	if w := weakest(cards[len(cards)-1], 2); len(w) == 0 || w[0].Text == "" {
		t.Errorf("lowest department %s: no reasons", cards[len(cards)-1].SubjectID)
	}
}

// TestSeededRecordsStable: the vendors' seeded records depend on the seed only,
// and billing's deductions use the same availability as the assessment.
func TestSeededRecordsStable(t *testing.T) {
	t.Parallel()
	sc := small(9)
	a, b := seedVendorRecords(sc), seedVendorRecords(sc)
	for id, ra := range a {
		rb := b[id]
		if diff := cmp.Diff(ra.availability, rb.availability); diff != "" {
			t.Errorf("%s availability differs:\n%s", id, diff)
		}
		if len(ra.availability) != 12 {
			t.Errorf("%s: %d months", id, len(ra.availability))
		}
		for _, m := range ra.availability {
			if m.Down < 0 || m.Excluded < 0 || m.Down+m.Excluded > m.Total {
				t.Errorf("%s %v: %+v", id, m.Month, m)
			}
		}
	}
}
