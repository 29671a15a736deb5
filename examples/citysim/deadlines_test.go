package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

func TestPlanDeadlinesAgreeWithCalendar(t *testing.T) {
	cal := calendar.China()
	p, err := PlanDeadlines(cal, PlanParams{Seed: 3, Year: 2025, Applications: 200})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(p.Receipts), 200*len(ZhejiangSteps); got != want {
		t.Fatalf("%d receipts, want %d", got, want)
	}
	for _, r := range p.Receipts {
		st := ZhejiangSteps[r.Step]
		want, err := cal.Deadline(r.Received, st.Workdays)
		if err != nil {
			t.Fatalf("app %d %s: %v", r.App, st.En, err)
		}
		if !r.Deadline.Equal(want) || r.Provisional {
			t.Fatalf("app %d %s: deadline %v (provisional %v), calendar says %v", r.App, st.En, r.Deadline, r.Provisional, want)
		}
		if r.Span < st.Workdays {
			t.Fatalf("app %d %s: %d working days fit in %d calendar days", r.App, st.En, st.Workdays, r.Span)
		}
		if r.Stretch() > 0 && len(r.Holidays) == 0 {
			t.Fatalf("app %d %s: stretched by %d days with no holiday named", r.App, st.En, r.Stretch())
		}
	}
}

func TestSpringFestivalStretch(t *testing.T) {
	// Received Thursday 2026-02-12: 春节 runs 02-15..02-23 and Saturday 02-14 is a 调休
	// working day, so the 3 working days are 02-13, 02-14 and 02-24 — due before 02-25.
	pc := calendar.China().WithProvisional()
	at := time.Date(2026, 2, 12, 10, 0, 0, 0, calendar.Beijing())
	dl, basis, err := pc.Deadline(at, 3)
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		Due      string
		Basis    calendar.Basis
		Holidays []string
	}{dl.In(calendar.Beijing()).Format(time.DateTime), basis, holidayNames(pc, calendar.DateOf(at), calendar.DateOf(dl.Add(-1)))}
	want := struct {
		Due      string
		Basis    calendar.Basis
		Holidays []string
	}{"2026-02-25 00:00:00", calendar.BasisOfficial, []string{"春节"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestPlanParamsValidate(t *testing.T) {
	err := PlanParams{Applications: 0, Year: 20000}.Validate()
	if err == nil || !strings.Contains(err.Error(), "apps") || !strings.Contains(err.Error(), "year") {
		t.Fatalf("got %v, want an error naming apps and year", err)
	}
}
