package assessment

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

func TestPeriod(t *testing.T) {
	d := func(y int, m time.Month, day int) calendar.Date { return calendar.Date{Year: y, Month: m, Day: day} }
	type row struct {
		Text, Zh, En string
		First, Last  calendar.Date
		Prev, Next   string
	}
	for _, tc := range []struct {
		p    Period
		want row
	}{
		{YearPeriod(2026), row{"2026", "2026年度", "2026", d(2026, 1, 1), d(2026, 12, 31), "2025", "2027"}},
		{HalfPeriod(2026, 1), row{"2026-H1", "2026年上半年", "H1 2026", d(2026, 1, 1), d(2026, 6, 30), "2025-H2", "2026-H2"}},
		{HalfPeriod(2026, 2), row{"2026-H2", "2026年下半年", "H2 2026", d(2026, 7, 1), d(2026, 12, 31), "2026-H1", "2027-H1"}},
		{QuarterPeriod(2024, 1), row{"2024-Q1", "2024年第1季度", "Q1 2024", d(2024, 1, 1), d(2024, 3, 31), "2023-Q4", "2024-Q2"}},
		{QuarterPeriod(2026, 4), row{"2026-Q4", "2026年第4季度", "Q4 2026", d(2026, 10, 1), d(2026, 12, 31), "2026-Q3", "2027-Q1"}},
		{MonthPeriod(Month{2024, time.February}), row{"2024-02", "2024年2月", "February 2024", d(2024, 2, 1), d(2024, 2, 29), "2024-01", "2024-03"}},
		{MonthPeriod(Month{2026, time.January}), row{"2026-01", "2026年1月", "January 2026", d(2026, 1, 1), d(2026, 1, 31), "2025-12", "2026-02"}},
	} {
		if !tc.p.Valid() {
			t.Fatalf("%v not valid", tc.p)
		}
		got := row{tc.p.String(), tc.p.Label("zh"), tc.p.Label("en"), tc.p.First(), tc.p.Last(), tc.p.Previous().String(), tc.p.Next().String()}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.p, diff)
		}
		back, err := ParsePeriod(got.Text)
		if err != nil || back != tc.p {
			t.Errorf("ParsePeriod(%q) = %v, %v", got.Text, back, err)
		}
		if tc.p.Next().Previous() != tc.p || tc.p.Previous().Next() != tc.p {
			t.Errorf("%v: Next and Previous are not inverse", tc.p)
		}
		if tc.p.Next().First() != tc.p.Last().AddDays(1) {
			t.Errorf("%v: next period does not start the day after the last day", tc.p)
		}
	}
}

func TestParsePeriodErrors(t *testing.T) {
	for _, s := range []string{"", "26", "2026-", "2026-H0", "2026-H3", "2026-Q0", "2026-Q5", "2026-00", "2026-13", "2026-1",
		"2026-001", "0000", "2026-h1", "2026-q1", "２０２６", "2026 ", "+026", "2026-Q1x", "2026-M1"} {
		p, err := ParsePeriod(s)
		var pe *PeriodError
		if !errors.Is(err, ErrInvalidPeriod) || !errors.As(err, &pe) || pe.Text != s {
			t.Errorf("ParsePeriod(%q) = %v, %v; want a *PeriodError", s, p, err)
		}
	}
	if _, err := (Period{2026, UnitQuarter, 5}).MarshalText(); !errors.Is(err, ErrInvalidPeriod) {
		t.Errorf("MarshalText of 2026-Q5: %v", err)
	}
	if _, err := (Period{}).MarshalText(); !errors.Is(err, ErrInvalidPeriod) {
		t.Errorf("MarshalText of the zero period: %v", err)
	}
}

func TestPeriodJSON(t *testing.T) {
	in := map[Period]int{YearPeriod(2026): 1, QuarterPeriod(2026, 2): 2}
	b, err := json.Marshal(struct {
		P Period         `json:"p"`
		M map[Period]int `json:"m"`
	}{MonthPeriod(Month{2026, time.March}), in})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"p":"2026-03","m":{"2026":1,"2026-Q2":2}}`, string(b)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var p Period
	if err := json.Unmarshal([]byte(`"2026-H3"`), &p); !errors.Is(err, ErrInvalidPeriod) {
		t.Errorf("unmarshal 2026-H3: %v", err)
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026", "2026-H1", "2026-Q4", "2026-12", "2026-13", "0001-01", "9999-Q4", "", "2026-Q", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidPeriod) {
				t.Fatalf("ParsePeriod(%q): %v does not match ErrInvalidPeriod", s, err)
			}
			return
		}
		if !p.Valid() || p.String() != s {
			t.Fatalf("ParsePeriod(%q) = %#v, which prints as %q", s, p, p)
		}
		if !p.First().Valid() || !p.Last().Valid() || p.Last().Before(p.First()) {
			t.Fatalf("%q: first %v, last %v", s, p.First(), p.Last())
		}
	})
}
