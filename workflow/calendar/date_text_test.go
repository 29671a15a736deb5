package calendar

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDateMarshalText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Date
		want string
		err  bool
	}{
		{"ordinary", Date{2025, time.October, 1}, "2025-10-01", false},
		{"leap day", Date{2024, time.February, 29}, "2024-02-29", false},
		{"first", Date{1, time.January, 1}, "0001-01-01", false},
		{"last", Date{9999, time.December, 31}, "9999-12-31", false},
		{"zero is absent", Date{}, "", false},
		{"no such day", Date{2025, time.February, 29}, "", true},
		{"month 13", Date{2025, 13, 1}, "", true},
		{"year 0", Date{0, time.January, 1}, "", true},
		{"year 10000", Date{10000, time.January, 1}, "", true},
		{"day 0", Date{2025, time.January, 0}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.in.MarshalText()
			if tc.err {
				var ae *ArgumentError
				if !errors.Is(err, ErrInvalidArgument) || !errors.As(err, &ae) || ae.Arg != "date" {
					t.Fatalf("MarshalText(%v) error = %v, want *ArgumentError for date", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("MarshalText(%v): %v", tc.in, err)
			}
			if d := cmp.Diff(tc.want, string(b)); d != "" {
				t.Errorf("MarshalText(%v) (-want +got):\n%s", tc.in, d)
			}
			ab, err := tc.in.AppendText([]byte("x="))
			if err != nil || string(ab) != "x="+tc.want {
				t.Errorf("AppendText = %q, %v; want %q", ab, err, "x="+tc.want)
			}
		})
	}
}

func TestDateUnmarshalText(t *testing.T) {
	prev := Date{2000, time.March, 3}
	for _, tc := range []struct {
		in   string
		want Date
		err  bool
	}{
		{"2025-10-01", Date{2025, time.October, 1}, false},
		{"2024-02-29", Date{2024, time.February, 29}, false},
		{"", Date{}, false},
		{"2025-02-29", prev, true},
		{"2025-1-01", prev, true},
		{"2025/01/01", prev, true},
		{" 2025-01-01", prev, true},
		{"2025-01-01T00:00:00Z", prev, true},
		{"0000-01-01", prev, true},
		{"+025-01-01", prev, true},
		{"二〇二五-01-01", prev, true},
	} {
		d := prev
		err := d.UnmarshalText([]byte(tc.in))
		if tc.err != (err != nil) {
			t.Errorf("UnmarshalText(%q) error = %v, want error %v", tc.in, err, tc.err)
		}
		if err != nil {
			var ae *ArgumentError
			if !errors.Is(err, ErrInvalidArgument) || !errors.As(err, &ae) || ae.Arg != "date" {
				t.Errorf("UnmarshalText(%q) error %v is not a date *ArgumentError", tc.in, err)
			}
		}
		if diff := cmp.Diff(tc.want, d); diff != "" {
			t.Errorf("UnmarshalText(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		From  Date         `json:"from"`
		Until Date         `json:"until,omitzero"`
		Days  map[Date]int `json:"days"`
		List  []Date       `json:"list"`
		Ptr   *Date        `json:"ptr"`
	}
	in := doc{From: Date{2025, time.January, 1}, Days: map[Date]int{{2025, time.May, 1}: 5},
		List: []Date{{2026, time.February, 17}, {}}, Ptr: &Date{2025, time.October, 8}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"from":"2025-01-01","days":{"2025-05-01":5},"list":["2026-02-17",""],"ptr":"2025-10-08"}`
	if d := cmp.Diff(want, string(b)); d != "" {
		t.Fatalf("json (-want +got):\n%s", d)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if _, err := json.Marshal(doc{From: Date{2025, time.February, 30}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("marshalling an invalid date: %v, want ErrInvalidArgument", err)
	}
	if err := json.Unmarshal([]byte(`{"from":"2025-13-01"}`), &out); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("unmarshalling 2025-13-01: %v, want ErrInvalidArgument", err)
	}
}

// TestDateTextRoundTrip checks every valid date of random years (fixed seed)
// and the neighbours that do not exist.
func TestDateTextRoundTrip(t *testing.T) {
	z := dayIndex(Date{1, time.January, 1})
	end := dayIndex(Date{9999, time.December, 31})
	step := (end - z) / 5000
	for ; z <= end; z += step {
		d := dateOfIndex(z)
		b, err := d.MarshalText()
		if err != nil {
			t.Fatalf("MarshalText(%v): %v", d, err)
		}
		var back Date
		if err := back.UnmarshalText(b); err != nil || back != d {
			t.Fatalf("UnmarshalText(%q) = %v, %v; want %v", b, back, err, d)
		}
		bad := Date{d.Year, d.Month, daysIn(d.Year, d.Month) + 1}
		if _, err := bad.MarshalText(); err == nil {
			t.Fatalf("MarshalText(%v) accepted a day that does not exist", bad)
		}
	}
}

func FuzzDateText(f *testing.F) {
	for _, s := range []string{"", "2025-01-01", "2024-02-29", "2025-02-29", "9999-12-31", "0001-01-01",
		"0000-00-00", "2025-1-1", "2025-01-01 ", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d Date
		if err := d.UnmarshalText([]byte(s)); err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("UnmarshalText(%q): error %v does not match ErrInvalidArgument", s, err)
			}
			if d != (Date{}) {
				t.Fatalf("UnmarshalText(%q) failed but changed the date to %v", s, d)
			}
			return
		}
		if s != "" && !d.Valid() {
			t.Fatalf("UnmarshalText(%q) = %v, not valid", s, d)
		}
		b, err := d.MarshalText()
		if err != nil || string(b) != s {
			t.Fatalf("UnmarshalText(%q) = %v, which marshals as %q, %v", s, d, b, err)
		}
		if p, err := ParseDate(s); s != "" && (err != nil || p != d) {
			t.Fatalf("ParseDate(%q) = %v, %v; UnmarshalText gave %v", s, p, err, d)
		}
	})
}
