package calendar

import (
	"fmt"
	"strconv"
	"time"
)

// beijing is China Standard Time, UTC+8, with no daylight saving time. It is a
// fixed zone so that the package never depends on the system's tzdata.
var beijing = time.FixedZone("CST", 8*3600)

// Beijing returns the fixed zone UTC+8 ("CST") in which every date of this
// package is reckoned. It does not depend on tzdata.
func Beijing() *time.Location { return beijing }

// Date is a calendar date (a civil day) with no time of day and no zone. The
// zero value is not a valid date. Dates are compared with Before, After and
// ==.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// minYear and maxYear bound the dates this package accepts (four-digit years).
const (
	minYear = 1
	maxYear = 9999
)

// ParseDate parses a date in the form "2006-01-02" (four-digit year, two-digit
// month and day). Anything else, including a day that does not exist such as
// "2025-02-29", is an error matching ErrInvalidArgument.
func ParseDate(s string) (Date, error) {
	d, ok := parseDate(s)
	if !ok {
		return Date{}, &ArgumentError{Arg: "date", Msg: "want a date of the form 2006-01-02, got " + quote(s)}
	}
	return d, nil
}

func parseDate(s string) (Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, false
	}
	dt := Date{Year: y, Month: time.Month(m), Day: d}
	if !dt.Valid() {
		return Date{}, false
	}
	return dt, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// DateOf returns the date of the instant t in China Standard Time (UTC+8),
// whatever t's Location. 2025-01-31T17:30:00Z is 2025-02-01 in Beijing.
func DateOf(t time.Time) Date {
	y, m, d := t.In(beijing).Date()
	return Date{Year: y, Month: m, Day: d}
}

// String formats d as "2006-01-02". A Date that is not Valid is printed
// field by field, e.g. "2025-02-30", never normalised.
func (d Date) String() string {
	y, m := d.Year, int(d.Month)
	if y < 0 || y > 9999 || m < 0 || m > 99 || d.Day < 0 || d.Day > 99 {
		return fmt.Sprintf("%04d-%02d-%02d", y, m, d.Day)
	}
	var b [10]byte
	b[0] = byte('0' + y/1000)
	b[1] = byte('0' + y/100%10)
	b[2] = byte('0' + y/10%10)
	b[3] = byte('0' + y%10)
	b[4] = '-'
	b[5] = byte('0' + m/10)
	b[6] = byte('0' + m%10)
	b[7] = '-'
	b[8] = byte('0' + d.Day/10)
	b[9] = byte('0' + d.Day%10)
	return string(b[:])
}

// Valid reports whether d is a real day of the Gregorian calendar with a
// four-digit year (0001-01-01 to 9999-12-31).
func (d Date) Valid() bool {
	if d.Year < minYear || d.Year > maxYear || d.Month < time.January || d.Month > time.December {
		return false
	}
	return d.Day >= 1 && d.Day <= daysIn(d.Year, d.Month)
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.compare(e) < 0 }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.compare(e) > 0 }

func (d Date) compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AddDays returns the date n calendar days after d (before, if n < 0).
func (d Date) AddDays(n int) Date { return dateOfIndex(dayIndex(d) + int64(n)) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return weekdayOf(dayIndex(d)) }

// Midnight returns 00:00 of d in Beijing time (UTC+8).
func (d Date) Midnight() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, beijing)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// dayIndex returns the number of days from 1970-01-01 to d (negative before),
// without time.Time (H. Hinnant's days_from_civil). d must be valid.
func dayIndex(d Date) int64 {
	y := int64(d.Year)
	m := int64(d.Month)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + int64(d.Day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// dateOfIndex is the inverse of dayIndex (civil_from_days).
func dateOfIndex(z int64) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return Date{Year: int(y), Month: time.Month(m), Day: int(d)}
}

// weekdayOf returns the weekday of day index z (1970-01-01 was a Thursday).
func weekdayOf(z int64) time.Weekday {
	return time.Weekday(floorMod(z+4, 7))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m != 0 && ((m < 0) != (b < 0)) {
		m += b
	}
	return m
}

// mondayAnchor shifts a day index so that index 0 is a Monday (1969-12-29).
const mondayAnchor = 3

// weekdaysBefore returns the number of Monday–Friday days with index < z,
// counted from the Monday 1969-12-29 (negative for z before it).
func weekdaysBefore(z int64) int64 {
	m := z + mondayAnchor
	w := floorDiv(m, 7)
	r := m - w*7
	if r > 5 {
		r = 5
	}
	return 5*w + r
}

// nthWeekday is the inverse of weekdaysBefore: the index of the Monday–Friday
// day that has exactly k weekdays before it.
func nthWeekday(k int64) int64 {
	w := floorDiv(k, 5)
	r := k - w*5
	return 7*w + r - mondayAnchor
}

// instantIndex returns the Beijing day index of t and the offset of t into
// that day.
func instantIndex(t time.Time) (int64, time.Duration) {
	// Unix seconds shifted to UTC+8; floor division keeps instants before 1970 right.
	sec := t.Unix() + 8*3600
	day := floorDiv(sec, 86400)
	off := time.Duration(sec-day*86400)*time.Second + time.Duration(t.Nanosecond())
	return day, off
}

// instantOf returns the instant at offset off into the Beijing day z.
func instantOf(z int64, off time.Duration) time.Time {
	return time.Unix(z*86400-8*3600, 0).Add(off).In(beijing)
}

func quote(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}
