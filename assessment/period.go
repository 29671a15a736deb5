package assessment

import (
	"fmt"
	"strconv"
	"time"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// PeriodUnit is the length of an assessment period.
type PeriodUnit string

// The period units. Departments are usually assessed by year (第二十二条),
// vendors by month or quarter (第十五条 monthly reports, 第二十三条).
const (
	UnitYear    PeriodUnit = "year"    // "2026"
	UnitHalf    PeriodUnit = "half"    // "2026-H1", "2026-H2"
	UnitQuarter PeriodUnit = "quarter" // "2026-Q1" … "2026-Q4"
	UnitMonth   PeriodUnit = "month"   // "2026-03"
)

// per returns how many periods of unit u a year holds (0: unknown unit).
func (u PeriodUnit) per() int {
	switch u {
	case UnitYear:
		return 1
	case UnitHalf:
		return 2
	case UnitQuarter:
		return 4
	case UnitMonth:
		return 12
	}
	return 0
}

// Period names one assessment period: a year, a half year, a quarter or a
// month. N is the half (1–2), quarter (1–4) or month (1–12) within Year; it is
// 1 for a year. Its text form ("2026", "2026-H1", "2026-Q3", "2026-03") is
// what stores keep and JSON carries; the zero Period is not valid.
type Period struct {
	Year int
	Unit PeriodUnit
	N    int
}

// YearPeriod returns the period of a whole year.
func YearPeriod(year int) Period { return Period{Year: year, Unit: UnitYear, N: 1} }

// HalfPeriod returns the first (h = 1) or second (h = 2) half of year.
func HalfPeriod(year, h int) Period { return Period{Year: year, Unit: UnitHalf, N: h} }

// QuarterPeriod returns quarter q (1–4) of year.
func QuarterPeriod(year, q int) Period { return Period{Year: year, Unit: UnitQuarter, N: q} }

// MonthPeriod returns the period of month m.
func MonthPeriod(m Month) Period { return Period{Year: m.Year, Unit: UnitMonth, N: int(m.Month)} }

// Valid reports whether p names a real period with a four-digit year.
func (p Period) Valid() bool {
	n := p.Unit.per()
	return n > 0 && p.Year >= 1 && p.Year <= 9999 && p.N >= 1 && p.N <= n
}

// String returns the text form: "2026", "2026-H1", "2026-Q3" or "2026-03". An
// invalid period is printed field by field, e.g. "2026-Q5".
func (p Period) String() string {
	switch p.Unit {
	case UnitYear:
		return fmt.Sprintf("%04d", p.Year)
	case UnitHalf:
		return fmt.Sprintf("%04d-H%d", p.Year, p.N)
	case UnitQuarter:
		return fmt.Sprintf("%04d-Q%d", p.Year, p.N)
	case UnitMonth:
		return fmt.Sprintf("%04d-%02d", p.Year, p.N)
	}
	return fmt.Sprintf("%04d-%s-%d", p.Year, p.Unit, p.N)
}

// Label names the period for people: Chinese ("2026年第3季度") by default,
// English ("Q3 2026") for lang "en".
func (p Period) Label(lang string) string {
	en := lang == "en"
	switch {
	case p.Unit == UnitYear && en:
		return fmt.Sprintf("%d", p.Year)
	case p.Unit == UnitYear:
		return fmt.Sprintf("%d年度", p.Year)
	case p.Unit == UnitHalf && en:
		return fmt.Sprintf("H%d %d", p.N, p.Year)
	case p.Unit == UnitHalf && p.N == 1:
		return fmt.Sprintf("%d年上半年", p.Year)
	case p.Unit == UnitHalf:
		return fmt.Sprintf("%d年下半年", p.Year)
	case p.Unit == UnitQuarter && en:
		return fmt.Sprintf("Q%d %d", p.N, p.Year)
	case p.Unit == UnitQuarter:
		return fmt.Sprintf("%d年第%d季度", p.Year, p.N)
	case p.Unit == UnitMonth && en && p.N >= 1 && p.N <= 12:
		return fmt.Sprintf("%s %d", time.Month(p.N), p.Year)
	case p.Unit == UnitMonth:
		return fmt.Sprintf("%d年%d月", p.Year, p.N)
	}
	return p.String()
}

// First returns the first day of the period. p must be valid.
func (p Period) First() calendar.Date {
	months := 12 / p.Unit.per()
	return calendar.Date{Year: p.Year, Month: time.Month((p.N-1)*months + 1), Day: 1}
}

// Last returns the last day of the period. p must be valid.
func (p Period) Last() calendar.Date { return p.Next().First().AddDays(-1) }

// Next returns the period of the same unit that follows p.
func (p Period) Next() Period {
	if p.N >= p.Unit.per() {
		return Period{Year: p.Year + 1, Unit: p.Unit, N: 1}
	}
	return Period{Year: p.Year, Unit: p.Unit, N: p.N + 1}
}

// Previous returns the period of the same unit before p: the one a
// comparison ("period vs previous") looks back to.
func (p Period) Previous() Period {
	if p.N <= 1 {
		return Period{Year: p.Year - 1, Unit: p.Unit, N: p.Unit.per()}
	}
	return Period{Year: p.Year, Unit: p.Unit, N: p.N - 1}
}

// ParsePeriod reads the text form of a period: "2026", "2026-H1", "2026-Q3" or
// "2026-03" (four-digit year; a two-digit month). Anything else is a
// *PeriodError matching ErrInvalidPeriod.
func ParsePeriod(s string) (Period, error) {
	p, ok := parsePeriod(s)
	if !ok {
		return Period{}, &PeriodError{Text: s}
	}
	return p, nil
}

func parsePeriod(s string) (Period, bool) {
	if len(s) < 4 {
		return Period{}, false
	}
	y, ok := digits(s[:4])
	if !ok {
		return Period{}, false
	}
	var p Period
	switch rest := s[4:]; {
	case rest == "":
		p = YearPeriod(y)
	case len(rest) == 3 && rest[0] == '-' && (rest[1] == 'H' || rest[1] == 'Q'):
		n, ok := digits(rest[2:])
		if !ok {
			return Period{}, false
		}
		p = Period{Year: y, Unit: UnitHalf, N: n}
		if rest[1] == 'Q' {
			p.Unit = UnitQuarter
		}
	case len(rest) == 3 && rest[0] == '-':
		n, ok := digits(rest[1:])
		if !ok {
			return Period{}, false
		}
		p = Period{Year: y, Unit: UnitMonth, N: n}
	default:
		return Period{}, false
	}
	return p, p.Valid()
}

func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// MarshalText writes the text form; an invalid period is a *PeriodError.
func (p Period) MarshalText() ([]byte, error) {
	if !p.Valid() {
		return nil, &PeriodError{Text: p.String()}
	}
	return []byte(p.String()), nil
}

// UnmarshalText reads the text form with ParsePeriod; on error p is unchanged.
func (p *Period) UnmarshalText(b []byte) error {
	v, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// PeriodError reports text that is not a period. It matches ErrInvalidPeriod.
type PeriodError struct {
	Text string
}

func (e *PeriodError) Error() string {
	t := e.Text
	if r := []rune(t); len(r) > 40 {
		t = string(r[:40]) + "…"
	}
	return "assessment: period " + strconv.Quote(t) + `: want "2026", "2026-H1", "2026-Q3" or "2026-03"`
}

// Unwrap returns ErrInvalidPeriod.
func (e *PeriodError) Unwrap() error { return ErrInvalidPeriod }
