package workflowtest

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// China is UTC+8, the zone in which working days are counted.
var China = time.FixedZone("UTC+8", 8*3600)

// WeekdayCalendar is a deterministic workflow.Calendar for tests: Monday to Friday
// are working days, every weekend day is a rest day, there are no holidays. Holidays
// holds extra rest days as "2006-01-02" strings (optional).
type WeekdayCalendar struct {
	Holidays map[string]bool
}

func (c WeekdayCalendar) working(t time.Time) bool {
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday && !c.Holidays[t.Format("2006-01-02")]
}

// Deadline returns 00:00 UTC+8 after the n-th working day following received's day.
func (c WeekdayCalendar) Deadline(received time.Time, n int) (time.Time, error) {
	if n < 1 {
		return time.Time{}, fmt.Errorf("workflowtest: Deadline: n = %d, want >= 1", n)
	}
	y, m, d := received.In(China).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, China)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if c.working(day) {
			n--
		}
	}
	return day.AddDate(0, 0, 1), nil
}

// Clock is a settable, concurrency-safe clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's instant.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// IDs generates "<prefix>-000001", "<prefix>-000002", … (concurrency-safe).
type IDs struct {
	Prefix string
	n      atomic.Int64
}

// NewID returns the next ID (the number zero-padded to at least six digits, as
// fmt's %06d; built without fmt, as benchmarks call it on every submission).
func (g *IDs) NewID() string {
	var buf [48]byte
	b := append(buf[:0], g.Prefix...)
	b = append(b, '-')
	var num [20]byte
	digits := strconv.AppendInt(num[:0], g.n.Add(1), 10)
	for i := len(digits); i < 6; i++ {
		b = append(b, '0')
	}
	return string(append(b, digits...))
}
