package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

func TestSameSeedSameOutput(t *testing.T) {
	var a, b, c bytes.Buffer
	if err := run([]string{"-seed", "42", "-year", "2025"}, &a); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-seed", "42", "-year", "2025"}, &b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.String(), b.String()); diff != "" {
		t.Fatalf("same seed, different output (-first +second):\n%s", diff)
	}
	if err := run([]string{"-seed", "43", "-year", "2025"}, &c); err != nil {
		t.Fatal(err)
	}
	if a.String() == c.String() {
		t.Fatal("different seeds gave identical output")
	}
}

func TestPlanDeadlinesAgreeWithCalendar(t *testing.T) {
	cal := calendar.China()
	p, err := PlanDeadlines(cal, Scenario{Seed: 3, Year: 2025, Applications: 200})
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

func TestBadFlags(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-apps", "0", "-year", "20000"}, &out)
	if err == nil || !strings.Contains(err.Error(), "apps") || !strings.Contains(err.Error(), "year") {
		t.Fatalf("got %v, want an error naming apps and year", err)
	}
}
