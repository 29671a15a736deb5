package calendar

import (
	"fmt"
	"time"
)

// DayInfo says what a day is and why: for a day set by a notice, the holiday's
// name and the notice, so that a report can say why a day is off.
type DayInfo struct {
	Date    Date
	Kind    Kind
	Workday bool   // Kind.IsWorkday()
	Name    string // e.g. 春节; empty for an ordinary day
	NameEn  string // e.g. Spring Festival; may be empty
	Notice  string // ID of the notice that set the day; empty for an ordinary day
	Region  string // region of that notice: "CN", or an overlay's such as "CN-GX"
}

// String describes the day in Chinese, e.g. "2025-01-28 节假日 春节（国办发明电〔2024〕12号）".
func (i DayInfo) String() string {
	s := i.Date.String() + " " + i.Kind.String()
	if i.Name != "" {
		s += " " + i.Name
	}
	if i.Notice != "" {
		s += "（" + i.Notice + "）"
	}
	return s
}

// English describes the day in English, e.g. "2025-01-28 holiday Spring Festival (国办发明电〔2024〕12号)".
func (i DayInfo) English() string {
	s := i.Date.String() + " " + i.Kind.English()
	name := i.NameEn
	if name == "" {
		name = i.Name
	}
	if name != "" {
		s += " " + name
	}
	if i.Notice != "" {
		s += " (" + i.Notice + ")"
	}
	return s
}

// Day returns the kind of day d is, and the notice that made it so.
func (c *Calendar) Day(d Date) (DayInfo, error) {
	z, err := c.index("d", d, false)
	if err != nil {
		return DayInfo{}, err
	}
	return c.dayInfo(z), nil
}

// IsWorkday reports whether d is a working day: a Monday–Friday that no
// notice makes a rest day, or a weekend day that a notice makes a working day
// (调休).
func (c *Calendar) IsWorkday(d Date) (bool, error) {
	if i, ok := c.offset(d); ok {
		return c.prefix[i+1] != c.prefix[i], nil
	}
	z, err := c.index("d", d, false)
	if err != nil {
		return false, err
	}
	return c.isWork(z), nil
}

// AddWorkdays returns, for n > 0, the n-th working day strictly after d; for
// n < 0, the |n|-th working day strictly before d; for n == 0, d itself.
// d need not be a working day. WorkdaysBetween(d, AddWorkdays(d, n)) == n.
func (c *Calendar) AddWorkdays(d Date, n int) (Date, error) {
	if i, ok := c.offset(d); ok {
		var k int
		switch {
		case n > 0:
			k = int(c.prefix[i+1]) + n - 1
		case n < 0:
			k = int(c.prefix[i]) + n
		default:
			return d, nil
		}
		if k >= 0 && k < len(c.work) { // an overflowing k is negative
			return c.dateAt(c.work[k]), nil
		}
	}
	z, err := c.index("d", d, false)
	if err != nil {
		return Date{}, err
	}
	x, err := c.addIdx(z, n, false)
	if err != nil {
		return Date{}, err
	}
	return dateOfIndex(x), nil
}

// WorkdaysBetween counts working days: when to ≥ from, the number in
// (from, to]; when to < from, minus the number in [to, from). It is the
// inverse of AddWorkdays.
func (c *Calendar) WorkdaysBetween(from, to Date) (int, error) {
	if i, ok := c.offset(from); ok {
		if j, ok := c.offset(to); ok {
			if j >= i {
				return int(c.prefix[j+1] - c.prefix[i+1]), nil
			}
			return -int(c.prefix[i] - c.prefix[j]), nil
		}
	}
	zf, err := c.index("from", from, false)
	if err != nil {
		return 0, err
	}
	zt, err := c.index("to", to, false)
	if err != nil {
		return 0, err
	}
	return int(c.between(zf, zt)), nil
}

// Deadline returns the end of a period of n working days from the instant
// received (行政许可法 第八十二条): the day of receipt is not counted, and the
// period ends with the n-th working day after the receipt date in Beijing
// time. The result is the first instant after the period, 00:00 UTC+8 of the
// calendar day after that working day: an act at t is on time iff
// t.Before(deadline). n must be ≥ 1.
func (c *Calendar) Deadline(received time.Time, n int) (time.Time, error) {
	if z, _ := instantIndex(received); z >= c.first && z < c.end && n >= 1 {
		if k := int(c.prefix[z-c.first+1]) + n - 1; k >= 0 && k < len(c.work) {
			return instantOf(c.first+int64(c.work[k])+1, 0), nil
		}
	}
	t, _, err := c.deadline(received, n, false)
	return t, err
}

func (c *Calendar) deadline(received time.Time, n int, prov bool) (time.Time, bool, error) {
	if n < 1 {
		return time.Time{}, false, &ArgumentError{Arg: "n", Msg: fmt.Sprintf("a period needs at least 1 working day, got %d", n)}
	}
	z, _ := instantIndex(received)
	if z < minIndex || z > maxIndex {
		return time.Time{}, false, &ArgumentError{Arg: "received", Msg: "instant outside years 0001..9999"}
	}
	if !prov && !c.covered(z) {
		return time.Time{}, false, c.notCovered(dateOfIndex(z), false)
	}
	x, err := c.addIdx(z, n, prov)
	if err != nil {
		return time.Time{}, false, err
	}
	if x+1 > maxIndex {
		return time.Time{}, false, &ArgumentError{Arg: "n", Msg: "deadline after 9999-12-31"}
	}
	return instantOf(x+1, 0), !c.covered(z) || !c.covered(x), nil
}

// Basis says whether an answer rests entirely on official notices or used the
// provisional Monday–Friday extension beyond the coverage.
type Basis uint8

const (
	// BasisOfficial: every day the answer needed is covered by notices.
	BasisOfficial Basis = iota
	// BasisProvisional: the answer needed days beyond the coverage and assumed
	// they are ordinary (Monday–Friday working, no holidays). It may change
	// when the next notice is loaded.
	BasisProvisional
)

// String returns the Chinese label.
func (b Basis) String() string {
	if b == BasisProvisional {
		return "临时推定"
	}
	return "正式"
}

// English returns the English label.
func (b Basis) English() string {
	if b == BasisProvisional {
		return "provisional"
	}
	return "official"
}

func basis(provisional bool) Basis {
	if provisional {
		return BasisProvisional
	}
	return BasisOfficial
}

// ProvisionalCalendar is an opt-in view of a Calendar that answers beyond its
// coverage by assuming that every Monday–Friday is a working day and no
// weekend day is, with no holidays. Every answer comes with its Basis, so a
// caller can show "provisional" next to a deadline that a future notice may
// move. Inside the coverage it answers exactly as the Calendar does.
//
// Obtain one with Calendar.WithProvisional. The zero value is not usable.
type ProvisionalCalendar struct {
	c *Calendar
}

// WithProvisional returns the provisional view of c. c itself keeps refusing
// dates outside its coverage.
func (c *Calendar) WithProvisional() ProvisionalCalendar { return ProvisionalCalendar{c: c} }

// Calendar returns the underlying strict calendar.
func (p ProvisionalCalendar) Calendar() *Calendar { return p.c }

// Day is Calendar.Day, extended beyond the coverage.
func (p ProvisionalCalendar) Day(d Date) (DayInfo, Basis, error) {
	z, err := p.c.index("d", d, true)
	if err != nil {
		return DayInfo{}, BasisOfficial, err
	}
	return p.c.dayInfo(z), basis(!p.c.covered(z)), nil
}

// IsWorkday is Calendar.IsWorkday, extended beyond the coverage.
func (p ProvisionalCalendar) IsWorkday(d Date) (bool, Basis, error) {
	z, err := p.c.index("d", d, true)
	if err != nil {
		return false, BasisOfficial, err
	}
	return p.c.isWork(z), basis(!p.c.covered(z)), nil
}

// AddWorkdays is Calendar.AddWorkdays, extended beyond the coverage.
func (p ProvisionalCalendar) AddWorkdays(d Date, n int) (Date, Basis, error) {
	z, err := p.c.index("d", d, true)
	if err != nil {
		return Date{}, BasisOfficial, err
	}
	x, err := p.c.addIdx(z, n, true)
	if err != nil {
		return Date{}, BasisOfficial, err
	}
	return dateOfIndex(x), basis(!p.c.covered(z) || !p.c.covered(x)), nil
}

// WorkdaysBetween is Calendar.WorkdaysBetween, extended beyond the coverage.
func (p ProvisionalCalendar) WorkdaysBetween(from, to Date) (int, Basis, error) {
	zf, err := p.c.index("from", from, true)
	if err != nil {
		return 0, BasisOfficial, err
	}
	zt, err := p.c.index("to", to, true)
	if err != nil {
		return 0, BasisOfficial, err
	}
	return int(p.c.between(zf, zt)), basis(!p.c.covered(zf) || !p.c.covered(zt)), nil
}

// Deadline is Calendar.Deadline, extended beyond the coverage.
func (p ProvisionalCalendar) Deadline(received time.Time, n int) (time.Time, Basis, error) {
	t, prov, err := p.c.deadline(received, n, true)
	return t, basis(prov), err
}

// WorkingTime is Calendar.WorkingTime, extended beyond the coverage.
func (p ProvisionalCalendar) WorkingTime(from, to time.Time, h OfficeHours) (time.Duration, Basis, error) {
	d, prov, err := p.c.workingTime(from, to, h, true)
	return d, basis(prov), err
}

// AddWorkingTime is Calendar.AddWorkingTime, extended beyond the coverage.
func (p ProvisionalCalendar) AddWorkingTime(t time.Time, d time.Duration, h OfficeHours) (time.Time, Basis, error) {
	u, prov, err := p.c.addWorkingTime(t, d, h, true)
	return u, basis(prov), err
}

// RecommendedWarningHorizon is a horizon for CoverageWarning, in days: the
// national notice for the next year is usually published in November, so a
// warning from early November on gives operators time to load it.
const RecommendedWarningHorizon = 60

// CoverageWarning returns nil while the coverage extends at least horizon
// calendar days past the date of now (in Beijing). Otherwise it returns a
// *CoverageWarningError (errors.Is(err, ErrCoverageEnding)) that says when the
// coverage ends and which year's notice to load, e.g. in late November:
// "coverage ends 2026-12-31, 35 days from now; load the 2027 notice". Call it
// at start-up and daily, with now from the injected clock.
func (c *Calendar) CoverageWarning(now time.Time, horizon int) error {
	if horizon < 0 {
		return &ArgumentError{Arg: "horizon", Msg: fmt.Sprintf("must be ≥ 0 days, got %d", horizon)}
	}
	z, _ := instantIndex(now)
	left := c.end - 1 - z
	if left >= int64(horizon) {
		return nil
	}
	last := dateOfIndex(c.end - 1)
	return &CoverageWarningError{Today: dateOfIndex(z), Last: last, DaysLeft: int(left), Horizon: horizon, NextYear: last.Year + 1}
}
