// Package calbench compares govcloud's working-day calendar
// (github.com/opengovcloud/govcloud/workflow/calendar) with
// github.com/rickar/cal/v2 set up with the same holiday data: every rest day
// of the embedded national notices registered as a cal holiday for its year,
// and every 调休 working day as a working-day override through cal's
// WorkdayFunc (cal has no notion of a weekend day made a working day).
//
// Both are checked to agree on every covered day before anything is timed.
// Run the table with
//
//	cd bench && go run ./cmd/calbench
//
// or the benchmarks with
//
//	cd bench && go test -bench . ./calbench
package calbench

import (
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/workflow/calendar"
	"github.com/rickar/cal/v2"
)

// Peer is rickar/cal/v2 loaded with the notices of a govcloud calendar.
type Peer struct {
	Cal      *cal.BusinessCalendar
	Holidays int // rest days registered
	Workdays int // 调休 working days registered
}

type ymd struct {
	y int
	m time.Month
	d int
}

// NewPeer registers the national days of c (holiday and closure: rest days;
// workday: 调休) with a new cal.BusinessCalendar. Cacheable turns on cal's
// own holiday cache (faster, but not safe for concurrent use).
func NewPeer(c *calendar.Calendar, cacheable bool) *Peer {
	bc := cal.NewBusinessCalendar()
	bc.Name = "CN"
	bc.Cacheable = cacheable
	p := &Peer{Cal: bc}
	adjusted := map[ymd]bool{}
	for _, ds := range c.Datasets() {
		if ds.Region != calendar.RegionChina {
			continue
		}
		for _, e := range ds.Days {
			switch e.Kind {
			case calendar.KindAdjustedWorkday:
				adjusted[ymd{e.Date.Year, e.Date.Month, e.Date.Day}] = true
				p.Workdays++
			default:
				bc.AddHoliday(&cal.Holiday{
					Name:      e.Name,
					Type:      cal.ObservancePublic,
					StartYear: e.Date.Year,
					EndYear:   e.Date.Year,
					Month:     e.Date.Month,
					Day:       e.Date.Day,
					Func:      cal.CalcDayOfMonth,
				})
				p.Holidays++
			}
		}
	}
	bc.WorkdayFunc = func(t time.Time) bool {
		switch t.Weekday() {
		case time.Saturday, time.Sunday:
			y, m, d := t.Date()
			return adjusted[ymd{y, m, d}]
		}
		return true
	}
	return p
}

// At returns noon of d in Beijing time, the instant both libraries are asked about.
func At(d calendar.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, calendar.Beijing())
}

// Verify checks that the peer agrees with c on every covered day, on
// WorkdaysBetween over each year and on AddWorkdays(d, 250).
func Verify(c *calendar.Calendar, p *Peer) error {
	first, last := c.Coverage()
	for d := first; !d.After(last); d = d.AddDays(1) {
		ours, err := c.IsWorkday(d)
		if err != nil {
			return err
		}
		if theirs := p.Cal.IsWorkday(At(d)); theirs != ours {
			return fmt.Errorf("IsWorkday(%s): govcloud %v, cal %v", d, ours, theirs)
		}
	}
	for y := first.Year; y <= last.Year; y++ {
		from, to := calendar.Date{Year: y, Month: time.January, Day: 1}, calendar.Date{Year: y, Month: time.December, Day: 31}
		ours, err := c.WorkdaysBetween(from, to)
		if err != nil {
			return err
		}
		if theirs := p.Cal.WorkdaysInRange(At(from.AddDays(1)), At(to)); theirs != ours {
			return fmt.Errorf("WorkdaysBetween(%s, %s): govcloud %d, cal %d", from, to, ours, theirs)
		}
		d := calendar.Date{Year: y, Month: time.January, Day: 2}
		if y == last.Year {
			break // 250 working days later is outside the coverage
		}
		got, err := c.AddWorkdays(d, 250)
		if err != nil {
			return err
		}
		if theirs := calendar.DateOf(p.Cal.WorkdaysFrom(At(d), 250)); theirs != got {
			return fmt.Errorf("AddWorkdays(%s, 250): govcloud %s, cal %s", d, got, theirs)
		}
	}
	return nil
}

// Case is one operation timed on both libraries.
type Case struct {
	Name   string
	Ours   func()
	Theirs func(p *Peer)
	// Check runs both once, outside the timing, and reports the common
	// answer, or an error if they differ.
	Check func(p *Peer) (string, error)
}

// sinks keep the timed results alive; Check reads them back.
var (
	sinkInt  int
	sinkDate calendar.Date
	sinkUnix int64
	sinkBool bool
	sinkDur  time.Duration
)

// pair builds a Case from govcloud's function and cal's, both reduced to the
// same comparable answer and both writing it to sink when timed.
func pair[T comparable](name string, ours func() (T, error), theirs func(p *Peer) T, sink *T) Case {
	return Case{
		Name:   name,
		Ours:   func() { *sink, _ = ours() },
		Theirs: func(p *Peer) { *sink = theirs(p) },
		Check: func(p *Peer) (string, error) {
			want, err := ours()
			if err != nil {
				return "", err
			}
			*sink = *new(T)
			*sink, _ = ours()
			if *sink != want {
				return "", fmt.Errorf("timed govcloud call gives %v, want %v", *sink, want)
			}
			*sink = theirs(p)
			if *sink != want {
				return "", fmt.Errorf("govcloud %v, cal %v", want, *sink)
			}
			return fmt.Sprint(want), nil
		},
	}
}

// Cases returns the compared operations on c's data: the two targets
// (WorkdaysBetween over one year, AddWorkdays(d, 250)) and IsWorkday,
// Deadline(20 working days) and WorkingTime over a month (cal supports one
// office period a day, so both use 09:00–17:00).
func Cases(c *calendar.Calendar) []Case {
	from, to := calendar.Date{Year: 2025, Month: time.January, Day: 1}, calendar.Date{Year: 2025, Month: time.December, Day: 31}
	start := calendar.Date{Year: 2025, Month: time.January, Day: 2}
	day := calendar.Date{Year: 2025, Month: time.October, Day: 11}
	received := time.Date(2025, 9, 30, 16, 0, 0, 0, calendar.Beijing())
	wtFrom := time.Date(2025, 1, 20, 10, 0, 0, 0, calendar.Beijing())
	wtTo := wtFrom.AddDate(0, 1, 0)
	hours := calendar.OfficeHours{Periods: []calendar.Period{{Start: 9 * time.Hour, End: 17 * time.Hour}}}

	return []Case{
		pair("WorkdaysBetween(2025-01-01, 2025-12-31)",
			func() (int, error) { return c.WorkdaysBetween(from, to) },
			// cal counts [start, end] inclusive; (from, to] is [from+1, to].
			func(p *Peer) int { return p.Cal.WorkdaysInRange(At(from.AddDays(1)), At(to)) },
			&sinkInt),
		pair("AddWorkdays(2025-01-02, 250)",
			func() (calendar.Date, error) { return c.AddWorkdays(start, 250) },
			func(p *Peer) calendar.Date { return calendar.DateOf(p.Cal.WorkdaysFrom(At(start), 250)) },
			&sinkDate),
		pair("IsWorkday(2025-10-11)",
			func() (bool, error) { return c.IsWorkday(day) },
			func(p *Peer) bool { return p.Cal.IsWorkday(At(day)) },
			&sinkBool),
		pair("Deadline(2025-09-30 16:00, 20), Unix",
			func() (int64, error) {
				dl, err := c.Deadline(received, 20)
				return dl.Unix(), err
			},
			func(p *Peer) int64 {
				last := p.Cal.WorkdaysFrom(At(calendar.DateOf(received)), 20)
				y, m, d := last.Date()
				return time.Date(y, m, d+1, 0, 0, 0, 0, calendar.Beijing()).Unix()
			},
			&sinkUnix),
		pair("WorkingTime(1 month, 09:00-17:00)",
			func() (time.Duration, error) { return c.WorkingTime(wtFrom, wtTo, hours) },
			func(p *Peer) time.Duration { return p.Cal.WorkHoursInRange(wtFrom, wtTo) },
			&sinkDur),
	}
}
