package calendar

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseDate(t *testing.T) {
	good := []struct {
		in   string
		want Date
	}{
		{"2025-01-01", Date{2025, time.January, 1}},
		{"2024-02-29", Date{2024, time.February, 29}},
		{"2000-02-29", Date{2000, time.February, 29}},
		{"0001-01-01", Date{1, time.January, 1}},
		{"9999-12-31", Date{9999, time.December, 31}},
	}
	for _, tc := range good {
		got, err := ParseDate(tc.in)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseDate(%q) (-want +got):\n%s", tc.in, diff)
		}
		if got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
	bad := []string{
		"", "2025-1-01", "2025-01-1", "2025/01/01", "20250101", "2025-13-01", "2025-00-10",
		"2025-02-29", "1900-02-29", "2025-04-31", "0000-01-01", "2025-01-01T00:00:00Z",
		" 2025-01-01", "2025-01-01 ", "+025-01-01", "2025-0a-01", "２０２５-01-01",
	}
	for _, in := range bad {
		_, err := ParseDate(in)
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseDate(%q) = %v, want ErrInvalidArgument", in, err)
		}
	}
}

// TestDayIndexMatchesTime checks the time-free day arithmetic against package
// time on random dates over the whole supported range.
func TestDayIndexMatchesTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400
	hi := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix() / 86400
	for i := 0; i < 20000; i++ {
		z := lo + r.Int64N(hi-lo+1)
		tm := time.Unix(z*86400, 0).UTC()
		want := Date{tm.Year(), tm.Month(), tm.Day()}
		if got := dateOfIndex(z); got != want {
			t.Fatalf("dateOfIndex(%d) = %v, want %v", z, got, want)
		}
		if got := dayIndex(want); got != z {
			t.Fatalf("dayIndex(%v) = %d, want %d", want, got, z)
		}
		if got := want.Weekday(); got != tm.Weekday() {
			t.Fatalf("%v.Weekday() = %v, want %v", want, got, tm.Weekday())
		}
		if !want.Valid() {
			t.Fatalf("%v not Valid", want)
		}
		if s := want.String(); s != tm.Format("2006-01-02") {
			t.Fatalf("String() = %q, want %q", s, tm.Format("2006-01-02"))
		}
	}
}

func TestWeekdayCounting(t *testing.T) {
	// weekdaysBefore must count Monday–Friday days one by one, and nthWeekday invert it.
	start := int64(-2000)
	count := weekdaysBefore(start)
	for z := start; z < 2000; z++ {
		if got := weekdaysBefore(z); got != count {
			t.Fatalf("weekdaysBefore(%d) = %d, want %d", z, got, count)
		}
		if wd := weekdayOf(z); wd != time.Saturday && wd != time.Sunday {
			if got := nthWeekday(count); got != z {
				t.Fatalf("nthWeekday(%d) = %d, want %d", count, got, z)
			}
			count++
		}
	}
}

func TestDateOf(t *testing.T) {
	tests := []struct {
		in   time.Time
		want Date
	}{
		// Still 31 January in UTC, already 1 February in Beijing.
		{time.Date(2025, 1, 31, 17, 30, 0, 0, time.UTC), Date{2025, time.February, 1}},
		{time.Date(2025, 1, 31, 15, 59, 59, 999999999, time.UTC), Date{2025, time.January, 31}},
		{time.Date(2025, 1, 31, 16, 0, 0, 0, time.UTC), Date{2025, time.February, 1}},
		// A zone west of UTC: 2025-09-30 12:00 in New York (UTC-4) is 2025-10-01 00:00 in Beijing.
		{time.Date(2025, 9, 30, 12, 0, 0, 0, time.FixedZone("EDT", -4*3600)), Date{2025, time.October, 1}},
		{time.Date(2025, 10, 1, 0, 0, 0, 0, beijing), Date{2025, time.October, 1}},
	}
	for _, tc := range tests {
		if got := DateOf(tc.in); got != tc.want {
			t.Errorf("DateOf(%v) = %v, want %v", tc.in, got, tc.want)
		}
		z, _ := instantIndex(tc.in)
		if got := dateOfIndex(z); got != tc.want {
			t.Errorf("instantIndex(%v) gives %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestInstantRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		sec := r.Int64N(1<<36) - 1<<35 // ±1000 years around 1970
		tm := time.Unix(sec, r.Int64N(1e9))
		z, off := instantIndex(tm)
		if off < 0 || off >= 24*time.Hour {
			t.Fatalf("offset %v out of range for %v", off, tm)
		}
		if back := instantOf(z, off); !back.Equal(tm) {
			t.Fatalf("instantOf(instantIndex(%v)) = %v", tm, back)
		}
		if dateOfIndex(z) != DateOf(tm) {
			t.Fatalf("day of %v: %v vs DateOf %v", tm, dateOfIndex(z), DateOf(tm))
		}
	}
}

func TestDateCompare(t *testing.T) {
	a, b := Date{2025, 1, 31}, Date{2025, 2, 1}
	if !a.Before(b) || a.After(b) || b.Before(a) || !b.After(a) || a.Before(a) || a.After(a) {
		t.Errorf("Before/After wrong for %v, %v", a, b)
	}
	if got := a.AddDays(1); got != b {
		t.Errorf("AddDays(1) = %v", got)
	}
	if got := b.Midnight(); !got.Equal(time.Date(2025, 1, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("Midnight() = %v", got)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2025-01-01", "2024-02-29", "2025-02-29", "x", "9999-12-31", "0000-00-00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if !d.Valid() || d.String() != s {
			t.Fatalf("ParseDate(%q) = %v, which formats as %q", s, d, d.String())
		}
		if _, terr := time.Parse("2006-01-02", s); terr != nil {
			t.Fatalf("ParseDate accepted %q, time.Parse refuses: %v", s, terr)
		}
	})
}
