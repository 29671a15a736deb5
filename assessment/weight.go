package assessment

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Weight is an indicator's weight among its siblings in basis points (万分之一):
// 10000 is 100 %, 2000 is 20 %, 3333 is 33.33 %. Siblings must add up to exactly
// WeightTotal, an integer check that cannot drift the way float weights do.
type Weight int

// WeightTotal is the sum every group of siblings must reach: 100 %.
const WeightTotal Weight = 10000

// Percent returns the weight as a percentage (2000 → 20).
func (w Weight) Percent() float64 { return float64(w) / 100 }

// String formats the weight as a percentage: "20%", "33.33%".
func (w Weight) String() string {
	s := strconv.Itoa(int(w) / 100)
	if frac := int(w) % 100; frac != 0 {
		if frac < 0 {
			frac = -frac
		}
		s += strings.TrimRight(fmt.Sprintf(".%02d", frac), "0")
	}
	return s + "%"
}

// Month names one calendar month.
type Month struct {
	Year  int
	Month time.Month
}

// String formats the month as "2026-03".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Start returns the first instant of the month in loc.
func (m Month) Start(loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
}

// End returns the first instant of the next month in loc.
func (m Month) End(loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month+1, 1, 0, 0, 0, 0, loc)
}

// Next returns the following month.
func (m Month) Next() Month {
	if m.Month == time.December {
		return Month{m.Year + 1, time.January}
	}
	return Month{m.Year, m.Month + 1}
}

// MonthsOfYear returns January to December of year.
func MonthsOfYear(year int) []Month {
	out := make([]Month, 12)
	for i := range out {
		out[i] = Month{year, time.Month(i + 1)}
	}
	return out
}

// MarshalText writes "2026-03".
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads "2026-03".
func (m *Month) UnmarshalText(b []byte) error {
	t, err := time.Parse("2006-01", string(b))
	if err != nil {
		return fmt.Errorf("assessment: month %q: want YYYY-MM", b)
	}
	*m = Month{t.Year(), t.Month()}
	return nil
}
