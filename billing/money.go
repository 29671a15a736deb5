package billing

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Lang selects the language of a user-facing label; Chinese is the default.
type Lang int

const (
	// Chinese labels (the default).
	Chinese Lang = iota
	// English labels.
	English
)

// Quantity is an amount of a catalog unit in thousandths (1 core = 1000), so
// metered decimals such as 1.5 GiB are exact. Its text form is a decimal with
// at most three fractional digits ("1.5", "4", "0.125").
type Quantity int64

// QuantityScale is the number of Quantity steps in one unit.
const QuantityScale = 1000

// Units returns q for a whole number of units (Units(4) = 4 units).
func Units(n int64) Quantity { return Quantity(n * QuantityScale) }

// String formats q as a decimal without trailing zeros.
func (q Quantity) String() string {
	neg := q < 0
	u := uint64(q)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u/QuantityScale, 10)
	if f := u % QuantityScale; f != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%03d", f), "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseQuantity parses a decimal with at most three fractional digits. A
// leading '-' is accepted (the caller rejects negatives with ErrNegative).
func ParseQuantity(s string) (Quantity, error) {
	t := strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(t, "-") {
		neg, t = true, t[1:]
	}
	ip, fp, hasDot := strings.Cut(t, ".")
	if ip == "" || (hasDot && (fp == "" || len(fp) > 3)) {
		return 0, fieldErr(ErrInvalid, "quantity", s, "want a decimal with at most 3 fractional digits")
	}
	for _, c := range ip + fp {
		if c < '0' || c > '9' {
			return 0, fieldErr(ErrInvalid, "quantity", s, "want a decimal with at most 3 fractional digits")
		}
	}
	whole, err := strconv.ParseInt(ip, 10, 64)
	if err != nil || whole > math.MaxInt64/QuantityScale-1 {
		return 0, fieldErr(ErrInvalid, "quantity", s, "out of range")
	}
	frac := int64(0)
	if fp != "" {
		f, _ := strconv.ParseInt((fp + "00")[:3], 10, 64)
		frac = f
	}
	v := whole*QuantityScale + frac
	if neg {
		v = -v
	}
	return Quantity(v), nil
}

// FormatFen formats an amount of 分 as 元 with two decimals ("1234.50",
// "-0.07"), exactly.
func FormatFen(fen int64) string {
	neg := fen < 0
	u := uint64(fen)
	if neg {
		u = -u
	}
	s := fmt.Sprintf("%d.%02d", u/100, u%100)
	if neg {
		return "-" + s
	}
	return s
}

// Month is a calendar month, the period of a statement.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf returns the month of t in loc.
func MonthOf(t time.Time, loc *time.Location) Month {
	y, m, _ := t.In(loc).Date()
	return Month{y, m}
}

// String formats m as "2026-01".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// ParseMonth parses "2026-01".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil {
		return Month{}, fieldErr(ErrInvalid, "month", s, "want YYYY-MM")
	}
	return Month{t.Year(), t.Month()}, nil
}

// IsZero reports whether m is the zero month.
func (m Month) IsZero() bool { return m == Month{} }

// Valid reports whether m names a real month of years 1..9999.
func (m Month) Valid() bool { return m.Year >= 1 && m.Year <= 9999 && m.Month >= 1 && m.Month <= 12 }

// Start returns the first instant of m in loc.
func (m Month) Start(loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
}

// End returns the first instant after m in loc.
func (m Month) End(loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month+1, 1, 0, 0, 0, 0, loc)
}

// Next returns the following month.
func (m Month) Next() Month {
	if m.Month == 12 {
		return Month{m.Year + 1, 1}
	}
	return Month{m.Year, m.Month + 1}
}

// Before reports whether m is earlier than o.
func (m Month) Before(o Month) bool {
	return m.Year < o.Year || (m.Year == o.Year && m.Month < o.Month)
}

// Days returns the number of natural days in m.
func (m Month) Days() int64 { return int64(daysIn(m.Year, m.Month)) }

func daysIn(y int, m time.Month) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (H. Hinnant's algorithm); it never allocates.
func daysFromCivil(y int, m time.Month, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mm := int64(m)
	var mp int64
	if mm > 2 {
		mp = mm - 3
	} else {
		mp = mm + 9
	}
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// roundDiv returns n/d rounded half away from zero (ROUND_HALF_UP); d > 0.
func roundDiv(n, d int64) int64 {
	q, r := n/d, n%d
	if r < 0 {
		r = -r
	}
	if r >= d-r { // 2r >= d without overflow
		if n < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// mulDivRound returns a·b·c / d rounded half away from zero, with a, b, c ≥ 0
// and d > 0. It uses int64 arithmetic when a·b·c fits in 64 bits and falls
// back to math/big otherwise; ok is false when the result leaves int64.
func mulDivRound(a, b, c, d int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi == 0 && lo <= math.MaxInt64 {
		hi2, lo2 := bits.Mul64(lo, uint64(c))
		if hi2 == 0 && lo2 <= math.MaxInt64 {
			return roundDiv(int64(lo2), d), true
		}
	}
	return mulDivRoundBig(a, b, c, d)
}

func mulDivRoundBig(a, b, c, d int64) (int64, bool) {
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	n.Mul(n, big.NewInt(c))
	r := new(big.Rat).SetFrac(n, big.NewInt(d))
	return roundRat(r)
}

// roundRat rounds r half away from zero to an int64.
func roundRat(r *big.Rat) (int64, bool) {
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	m.Abs(m)
	m.Lsh(m, 1)
	if m.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

func addChecked(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}
