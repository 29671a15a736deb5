package calendar

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func bj(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, beijing)
}

func TestWorkingTime(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	h := StandardOfficeHours()
	if h.PerDay() != 7*time.Hour {
		t.Fatalf("PerDay = %v", h.PerDay())
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     time.Duration
	}{
		{"same morning", bj(2025, 3, 10, 10, 0), bj(2025, 3, 10, 11, 0), time.Hour},
		{"across lunch", bj(2025, 3, 10, 11, 0), bj(2025, 3, 10, 14, 0), 90 * time.Minute},
		{"inside lunch", bj(2025, 3, 10, 12, 10), bj(2025, 3, 10, 13, 20), 0},
		{"before opening", bj(2025, 3, 10, 6, 0), bj(2025, 3, 10, 9, 0), 0},
		{"overnight", bj(2025, 3, 10, 17, 0), bj(2025, 3, 11, 10, 0), 90 * time.Minute},
		{"weekend", bj(2025, 3, 14, 16, 0), bj(2025, 3, 17, 10, 0), 150 * time.Minute},
		{"whole week", bj(2025, 3, 10, 0, 0), bj(2025, 3, 17, 0, 0), 35 * time.Hour},
		{"on a Sunday", bj(2025, 3, 16, 9, 0), bj(2025, 3, 16, 17, 0), 0},
		{"national day", bj(2025, 9, 30, 16, 0), bj(2025, 10, 9, 10, 0), 150 * time.Minute},
		{"调休 Saturday", bj(2025, 10, 10, 16, 0), bj(2025, 10, 13, 10, 0), 90*time.Minute + 7*time.Hour + time.Hour},
		{"spring festival with 调休 Sunday", bj(2025, 1, 24, 17, 0), bj(2025, 1, 27, 10, 0), 30*time.Minute + 7*time.Hour + time.Hour},
		{"spring festival closed", bj(2025, 1, 27, 17, 30), bj(2025, 2, 5, 9, 0), 0},
		{"reversed is negative", bj(2025, 3, 10, 11, 0), bj(2025, 3, 10, 10, 0), -time.Hour},
		{"reversed across days", bj(2025, 3, 11, 10, 0), bj(2025, 3, 10, 17, 0), -90 * time.Minute},
		// 02:00 UTC is 10:00 in Beijing.
		{"utc input", time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC), time.Date(2025, 3, 10, 3, 0, 0, 0, time.UTC), time.Hour},
		// 2025-01-31T17:30Z is Saturday 1 Feb 01:30 in Beijing, a holiday; Wednesday 5 Feb 10:00 Beijing is the first office hour after it.
		{"utc evening", time.Date(2025, 1, 31, 17, 30, 0, 0, time.UTC), bj(2025, 2, 5, 10, 0), time.Hour},
	}
	for _, tc := range tests {
		got, err := c.WorkingTime(tc.from, tc.to, h)
		if err != nil || got != tc.want {
			t.Errorf("%s: WorkingTime = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestAddWorkingTime(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	h := StandardOfficeHours()
	tests := []struct {
		name string
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"zero", bj(2025, 3, 15, 3, 0), 0, bj(2025, 3, 15, 3, 0)},
		{"same period", bj(2025, 3, 10, 10, 0), time.Hour, bj(2025, 3, 10, 11, 0)},
		{"ends at lunch", bj(2025, 3, 10, 11, 0), time.Hour, bj(2025, 3, 10, 12, 0)},
		{"across lunch", bj(2025, 3, 10, 11, 30), time.Hour, bj(2025, 3, 10, 14, 0)},
		{"before opening", bj(2025, 3, 10, 8, 0), 3 * time.Hour, bj(2025, 3, 10, 12, 0)},
		{"whole day", bj(2025, 3, 10, 9, 0), 7 * time.Hour, bj(2025, 3, 10, 17, 30)},
		{"from closing", bj(2025, 3, 10, 17, 30), 7 * time.Hour, bj(2025, 3, 11, 17, 30)},
		{"two days", bj(2025, 3, 10, 9, 0), 14 * time.Hour, bj(2025, 3, 11, 17, 30)},
		{"over the weekend", bj(2025, 3, 14, 17, 0), time.Hour, bj(2025, 3, 17, 9, 30)},
		{"from a Saturday", bj(2025, 3, 15, 12, 0), 7 * time.Hour, bj(2025, 3, 17, 17, 30)},
		{"over national day", bj(2025, 9, 30, 17, 0), time.Hour, bj(2025, 10, 9, 9, 30)},
		{"onto a 调休 Saturday", bj(2025, 10, 10, 17, 0), 2 * time.Hour, bj(2025, 10, 11, 10, 30)},
		// Fri 24 Jan from 10:00: 6h that day, 7h on Sunday 26 (调休), 7h on Monday 27, then 28 Jan – 4 Feb are off; the last 4h run 09:00–12:00 and 13:30–14:30 on 5 Feb.
		{"24 working hours over spring festival", bj(2025, 1, 24, 10, 0), 24 * time.Hour, bj(2025, 2, 5, 14, 30)},
	}
	for _, tc := range tests {
		got, err := c.AddWorkingTime(tc.from, tc.d, h)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s: AddWorkingTime(%v, %v) = %v, %v; want %v", tc.name, tc.from, tc.d, got, err, tc.want)
		}
	}
	if _, err := c.AddWorkingTime(bj(2025, 12, 31, 9, 0), 8*time.Hour, h); !errors.Is(err, ErrNotCovered) {
		t.Errorf("past the coverage: %v", err)
	}
	if _, err := c.AddWorkingTime(bj(2025, 12, 31, 9, 0), -time.Hour, h); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("negative: %v", err)
	}
	if _, err := c.WorkingTime(bj(2025, 12, 31, 9, 0), bj(2026, 1, 2, 9, 0), h); !errors.Is(err, ErrNotCovered) {
		t.Errorf("WorkingTime past the coverage: %v", err)
	}
	p := c.WithProvisional()
	got, b, err := p.AddWorkingTime(bj(2025, 12, 31, 9, 0), 8*time.Hour, h)
	if err != nil || b != BasisProvisional || !got.Equal(bj(2026, 1, 1, 10, 0)) {
		t.Errorf("provisional AddWorkingTime = %v, %v, %v", got, b, err)
	}
	wt, b, err := p.WorkingTime(bj(2025, 12, 31, 9, 0), bj(2026, 1, 2, 9, 0), h)
	if err != nil || b != BasisProvisional || wt != 14*time.Hour {
		t.Errorf("provisional WorkingTime = %v, %v, %v", wt, b, err)
	}
	wt, b, err = p.WorkingTime(bj(2025, 12, 30, 9, 0), bj(2025, 12, 31, 9, 0), h)
	if err != nil || b != BasisOfficial || wt != 7*time.Hour {
		t.Errorf("provisional WorkingTime inside = %v, %v, %v", wt, b, err)
	}
}

// naiveWorkingTime builds each working day's periods as time.Time values and
// sums their overlap with [from, to): an independent model.
func naiveWorkingTime(o oracle, from, to time.Time, h OfficeHours) time.Duration {
	var total time.Duration
	for d := DateOf(from); !d.After(DateOf(to)); d = d.AddDays(1) {
		if !o.work(d) {
			continue
		}
		for _, p := range h.Periods {
			s := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, beijing).Add(p.Start)
			e := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, beijing).Add(p.End)
			if s.Before(from) {
				s = from
			}
			if e.After(to) {
				e = to
			}
			if e.After(s) {
				total += e.Sub(s)
			}
		}
	}
	return total
}

func TestWorkingTimeProperties(t *testing.T) {
	c, dss := fixture(t, "cn-2025.json")
	o := newOracle(dss...)
	r := rand.New(rand.NewPCG(9, 9))
	hours := []OfficeHours{
		StandardOfficeHours(),
		{Periods: []Period{{0, 24 * time.Hour}}},
		{Periods: []Period{{8 * time.Hour, 12 * time.Hour}, {12 * time.Hour, 13 * time.Hour}, {22 * time.Hour, 24 * time.Hour}}},
	}
	base := bj(2025, 1, 1, 0, 0)
	instant := func() time.Time {
		// minute resolution, sometimes on a period boundary, in 2025 (Beijing); sometimes in UTC
		t := base.Add(time.Duration(r.IntN(340*24*60)) * time.Minute)
		if r.IntN(4) == 0 {
			t = time.Date(t.Year(), t.Month(), t.Day(), []int{9, 12, 13, 17}[r.IntN(4)], []int{0, 30}[r.IntN(2)], 0, 0, beijing)
		}
		if r.IntN(2) == 0 {
			t = t.UTC()
		}
		return t
	}
	for i := 0; i < 3000; i++ {
		h := hours[r.IntN(len(hours))]
		a := instant()
		b := a.Add(time.Duration(r.IntN(20*24*60)) * time.Minute)
		got, err := c.WorkingTime(a, b, h)
		if want := naiveWorkingTime(o, a, b, h); err != nil || got != want {
			t.Fatalf("WorkingTime(%v, %v) = %v, %v; naive %v", a, b, got, err, want)
		}
		if neg, _ := c.WorkingTime(b, a, h); neg != -got {
			t.Fatalf("WorkingTime reversed = %v, want %v", neg, -got)
		}
		d := time.Duration(r.IntN(60*60)) * time.Minute
		end, err := c.AddWorkingTime(a, d, h)
		if err != nil {
			t.Fatalf("AddWorkingTime(%v, %v): %v", a, d, err)
		}
		if back, _ := c.WorkingTime(a, end, h); back != d {
			t.Fatalf("WorkingTime(%v, AddWorkingTime(.., %v) = %v) = %v", a, d, end, back)
		}
		if d > 0 {
			if short, _ := c.WorkingTime(a, end.Add(-time.Nanosecond), h); short >= d {
				t.Fatalf("AddWorkingTime(%v, %v) = %v is not the earliest instant", a, d, end)
			}
		}
	}
}

func TestOfficeHoursValidate(t *testing.T) {
	tests := []struct {
		name string
		h    OfficeHours
		arg  string // "" = valid
	}{
		{"standard", StandardOfficeHours(), ""},
		{"adjacent periods", OfficeHours{Periods: []Period{{9 * time.Hour, 12 * time.Hour}, {12 * time.Hour, 13 * time.Hour}}}, ""},
		{"zero", OfficeHours{}, "OfficeHours.Periods"},
		{"empty period", OfficeHours{Periods: []Period{{9 * time.Hour, 9 * time.Hour}}}, "OfficeHours.Periods[0]"},
		{"reversed", OfficeHours{Periods: []Period{{9 * time.Hour, 12 * time.Hour}, {17 * time.Hour, 13 * time.Hour}}}, "OfficeHours.Periods[1]"},
		{"overlap", OfficeHours{Periods: []Period{{9 * time.Hour, 12 * time.Hour}, {11 * time.Hour, 13 * time.Hour}}}, "OfficeHours.Periods[1]"},
		{"past midnight", OfficeHours{Periods: []Period{{22 * time.Hour, 25 * time.Hour}}}, "OfficeHours.Periods[0]"},
		{"negative", OfficeHours{Periods: []Period{{-time.Hour, time.Hour}}}, "OfficeHours.Periods[0]"},
	}
	c, _ := fixture(t, "cn-2025.json")
	for _, tc := range tests {
		err := tc.h.Validate()
		var ae *ArgumentError
		switch {
		case tc.arg == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.arg != "" && (!errors.As(err, &ae) || ae.Arg != tc.arg || !errors.Is(err, ErrInvalidArgument)):
			t.Errorf("%s: err = %v, want ArgumentError on %s", tc.name, err, tc.arg)
		}
		if tc.arg != "" {
			if _, err := c.WorkingTime(bj(2025, 3, 10, 9, 0), bj(2025, 3, 11, 9, 0), tc.h); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("%s: WorkingTime accepted invalid hours: %v", tc.name, err)
			}
		}
	}
}

func TestWorkingTimeOverflow(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	h := OfficeHours{Periods: []Period{{0, 24 * time.Hour}}}
	_, _, err := c.WithProvisional().WorkingTime(bj(2025, 1, 1, 0, 0), time.Date(9000, 1, 1, 0, 0, 0, 0, beijing), h)
	if !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("9000 years of working time: %v", err)
	}
	d, _, err := c.WithProvisional().WorkingTime(bj(2025, 1, 1, 0, 0), time.Date(2200, 1, 1, 0, 0, 0, 0, beijing), h)
	if err != nil || d <= 0 {
		t.Errorf("175 years: %v, %v", d, err)
	}
}
