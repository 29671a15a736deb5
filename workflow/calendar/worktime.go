package calendar

import (
	"fmt"
	"math"
	"time"
)

// Period is one span of office time in a working day, as offsets from
// midnight Beijing time: [Start, End).
type Period struct {
	Start, End time.Duration
}

// OfficeHours are the hours of each working day during which working time
// runs (e.g. for a vendor's response time counted in working hours). Periods
// must be sorted, non-overlapping, non-empty, within [0, 24h]. The zero value
// is invalid; use StandardOfficeHours for the usual government office day.
type OfficeHours struct {
	Periods []Period
}

// StandardOfficeHours returns the default office day: 09:00–12:00 and
// 13:30–17:30 Beijing time, 7 hours.
func StandardOfficeHours() OfficeHours {
	return OfficeHours{Periods: []Period{
		{Start: 9 * time.Hour, End: 12 * time.Hour},
		{Start: 13*time.Hour + 30*time.Minute, End: 17*time.Hour + 30*time.Minute},
	}}
}

// Validate reports the first problem with h as an *ArgumentError naming the
// period (errors.Is(err, ErrInvalidArgument)).
func (h OfficeHours) Validate() error {
	if len(h.Periods) == 0 {
		return &ArgumentError{Arg: "OfficeHours.Periods", Msg: "no periods: a working day needs office hours"}
	}
	prev := time.Duration(0)
	for i, p := range h.Periods {
		switch {
		case p.Start < 0 || p.End > 24*time.Hour:
			return &ArgumentError{Arg: fmt.Sprintf("OfficeHours.Periods[%d]", i), Msg: fmt.Sprintf("%v–%v is not within 0–24h", p.Start, p.End)}
		case p.End <= p.Start:
			return &ArgumentError{Arg: fmt.Sprintf("OfficeHours.Periods[%d]", i), Msg: fmt.Sprintf("end %v is not after start %v", p.End, p.Start)}
		case i > 0 && p.Start < prev:
			return &ArgumentError{Arg: fmt.Sprintf("OfficeHours.Periods[%d]", i), Msg: fmt.Sprintf("starts at %v, before the previous period ends at %v", p.Start, prev)}
		}
		prev = p.End
	}
	return nil
}

// PerDay returns the office time in one working day.
func (h OfficeHours) PerDay() time.Duration {
	var d time.Duration
	for _, p := range h.Periods {
		d += p.End - p.Start
	}
	return d
}

// within returns the office time in [a, b) of one working day.
func (h OfficeHours) within(a, b time.Duration) time.Duration {
	var d time.Duration
	for _, p := range h.Periods {
		s, e := max(p.Start, a), min(p.End, b)
		if e > s {
			d += e - s
		}
	}
	return d
}

// advance returns the offset at which d of office time (0 < d ≤ within(off,
// 24h)) has elapsed after offset off of a working day.
func (h OfficeHours) advance(off, d time.Duration) time.Duration {
	for _, p := range h.Periods {
		s := max(p.Start, off)
		if s >= p.End {
			continue
		}
		if n := p.End - s; d <= n {
			return s + d
		} else {
			d -= n
		}
	}
	return h.Periods[len(h.Periods)-1].End // unreachable when the precondition holds
}

// WorkingTime returns the office time that elapses between the instants from
// and to: the overlap of [from, to) with the office hours h of the working
// days. Days are reckoned in Beijing time, so 17:00 Beijing time on a Friday
// to 10:00 on the next Monday is 1h30m under StandardOfficeHours. When to is
// before from the result is negative. Both instants must fall on covered days.
func (c *Calendar) WorkingTime(from, to time.Time, h OfficeHours) (time.Duration, error) {
	d, _, err := c.workingTime(from, to, h, false)
	return d, err
}

func (c *Calendar) instant(arg string, t time.Time, prov bool) (int64, time.Duration, error) {
	z, off := instantIndex(t)
	if z < minIndex || z > maxIndex {
		return 0, 0, &ArgumentError{Arg: arg, Msg: "instant outside years 0001..9999"}
	}
	if !prov && !c.covered(z) {
		return 0, 0, c.notCovered(dateOfIndex(z), false)
	}
	return z, off, nil
}

func (c *Calendar) workingTime(from, to time.Time, h OfficeHours, prov bool) (time.Duration, bool, error) {
	if err := h.Validate(); err != nil {
		return 0, false, err
	}
	sign := time.Duration(1)
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	zf, of, err := c.instant("from", from, prov)
	if err != nil {
		return 0, false, err
	}
	zt, ot, err := c.instant("to", to, prov)
	if err != nil {
		return 0, false, err
	}
	used := !c.covered(zf) || !c.covered(zt)
	if zf == zt {
		if !c.isWork(zf) {
			return 0, used, nil
		}
		return sign * h.within(of, ot), used, nil
	}
	var d time.Duration
	if c.isWork(zf) {
		d += h.within(of, 24*time.Hour)
	}
	if c.isWork(zt) {
		d += h.within(0, ot)
	}
	full := c.cum(zt) - c.cum(zf+1) // working days strictly between
	if full > int64(math.MaxInt64/h.PerDay())-2 {
		return 0, used, &ArgumentError{Arg: "to", Msg: "span too long: working time would overflow time.Duration"}
	}
	d += time.Duration(full) * h.PerDay()
	return sign * d, used, nil
}

// AddWorkingTime returns the earliest instant at which d of office time (under
// h, on working days) has elapsed since t: the deadline of a response due
// within d working hours. A result that exhausts d at the end of a period is
// that end (12:00, not 13:30). d must be ≥ 0; d == 0 returns t. The result is
// in Beijing time.
func (c *Calendar) AddWorkingTime(t time.Time, d time.Duration, h OfficeHours) (time.Time, error) {
	u, _, err := c.addWorkingTime(t, d, h, false)
	return u, err
}

func (c *Calendar) addWorkingTime(t time.Time, d time.Duration, h OfficeHours, prov bool) (time.Time, bool, error) {
	if err := h.Validate(); err != nil {
		return time.Time{}, false, err
	}
	if d < 0 {
		return time.Time{}, false, &ArgumentError{Arg: "d", Msg: fmt.Sprintf("working time must be ≥ 0, got %v", d)}
	}
	z, off, err := c.instant("t", t, prov)
	if err != nil {
		return time.Time{}, false, err
	}
	if d == 0 {
		return t, !c.covered(z), nil
	}
	if c.isWork(z) {
		if avail := h.within(off, 24*time.Hour); d <= avail {
			return instantOf(z, h.advance(off, d)), !c.covered(z), nil
		} else {
			d -= avail
		}
	}
	per := h.PerDay()
	full := (d - 1) / per // whole office days used up before the last one
	rem := d - full*per   // 0 < rem ≤ per
	if full >= maxSteps {
		if !prov {
			return time.Time{}, false, c.notCoveredBeyond(true)
		}
		return time.Time{}, false, &ArgumentError{Arg: "d", Msg: fmt.Sprintf("%v of working time is out of range", d)}
	}
	x, err := c.addIdx(z, int(full)+1, prov)
	if err != nil {
		return time.Time{}, false, err
	}
	return instantOf(x, h.advance(0, rem)), !c.covered(z) || !c.covered(x), nil
}
