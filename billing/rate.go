package billing

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// Piece is one rated part of a usage record: the part inside one month and
// under one price version. Amount = round(Quantity × UnitPrice × Num ÷ Den),
// Quantity in units, rounded half up once to 分. Num/Den is the proration
// factor recorded on the statement line (e.g. 12/31 for 12 natural days of
// a 31-day month on a monthly item; 5/1 for 5 hours of an hourly item).
type Piece struct {
	Item      string
	Vendor    string
	Contract  string
	Start     time.Time // in the billing location
	End       time.Time
	Month     Month
	Quantity  Quantity
	UnitPrice int64
	Basis     Basis
	Proration Proration
	Num, Den  int64
	Amount    int64
}

// Rule describes the proration of p for a statement line, e.g. "按自然日折算
// 12/31" or "by natural days 12/31".
func (p Piece) Rule(lang Lang) string {
	return fmt.Sprintf("%s %s %d/%d", p.Basis.Label(lang), p.Proration.Label(lang), p.Num, p.Den)
}

// NoPriceError says no price version is in force for an item and vendor at
// an instant. It matches ErrNoPrice.
type NoPriceError struct {
	Item, Vendor string
	At           time.Time
}

func (e *NoPriceError) Error() string {
	return fmt.Sprintf("billing: no price in force for item %s, vendor %s at %s", e.Item, e.Vendor, e.At.Format(time.RFC3339))
}

// Is matches ErrNoPrice.
func (e *NoPriceError) Is(target error) bool { return target == ErrNoPrice }

// Rater rates usage against a catalog. It precomputes a price table, so
// rating a record does not allocate: int64 arithmetic with overflow checks,
// falling back to math/big only when a product would leave 64 bits. A Rater
// is immutable and safe for concurrent use.
type Rater struct {
	loc   *time.Location
	items map[string]*rateItem
	// fixed is set when loc has one UTC offset (off seconds) for all years
	// 1900–2200, so days and hours are counted on int64 seconds: the fast
	// path. Otherwise rating goes through time.Time calendar arithmetic.
	fixed bool
	off   int64
	// months[i] is the first local second of month i counted from
	// January 1900 (tableYears years, plus one end entry): the fast path
	// finds a month by index arithmetic instead of civil-date conversion.
	months []int64
	// keys lists every item × vendor pair with price versions; a RateKey
	// indexes it. ft holds the dense per-key, per-month tables of the
	// single-piece fast path (nil without a fixed offset); see ratefast.go.
	keys []keyInfo
	ft   *fastTables
}

const (
	tableFirstYear = 1900
	tableYears     = 301 // 1900–2200
)

type rateItem struct {
	it      Item
	vendors []rateVendor
}

type rateVendor struct {
	vendor string
	vs     []rateVersion
	key    RateKey
}

type rateVersion struct {
	from, to   time.Time // to zero: open
	fromL, toL int64     // local seconds; toL = MaxInt64 when open
	price      int64
	contract   string
}

// NewRater builds a rater from the catalog's current items and prices, with
// periods and dates in loc (use a location without daylight saving time, such
// as China Standard Time).
func NewRater(c *Catalog, loc *time.Location) *Rater {
	r := &Rater{loc: loc, items: map[string]*rateItem{}}
	r.fixed, r.off = fixedOffset(loc)
	if r.fixed {
		r.months = make([]int64, 0, tableYears*12+1)
		for i := 0; i <= tableYears*12; i++ {
			y, m := tableFirstYear+i/12, time.Month(i%12+1)
			r.months = append(r.months, daysFromCivil(y, m, 1)*86400)
		}
	}
	for _, it := range c.Items() {
		r.items[it.Code] = &rateItem{it: it}
	}
	ps := c.Prices()
	for i, p := range ps {
		ri := r.items[p.Item]
		if ri == nil {
			continue
		}
		v := rateVersion{from: p.From.In(loc), price: p.UnitPrice, contract: p.Contract, toL: math.MaxInt64}
		if !p.To.IsZero() {
			v.to = p.To.In(loc)
		} else if i+1 < len(ps) && ps[i+1].Item == p.Item && ps[i+1].Vendor == p.Vendor {
			v.to = ps[i+1].From.In(loc)
		}
		v.fromL = v.from.Unix() + r.off
		if !v.to.IsZero() {
			v.toL = v.to.Unix() + r.off
		}
		j := slices.IndexFunc(ri.vendors, func(rv rateVendor) bool { return rv.vendor == p.Vendor })
		if j < 0 {
			ri.vendors = append(ri.vendors, rateVendor{vendor: p.Vendor})
			j = len(ri.vendors) - 1
		}
		ri.vendors[j].vs = append(ri.vendors[j].vs, v)
	}
	for _, it := range c.Items() { // sorted by code: keys are deterministic
		ri := r.items[it.Code]
		for j := range ri.vendors {
			rv := &ri.vendors[j]
			slices.SortFunc(rv.vs, func(a, b rateVersion) int { return a.from.Compare(b.from) })
			rv.key = RateKey(len(r.keys))
			r.keys = append(r.keys, keyInfo{item: ri, vendor: rv.vendor, vs: rv.vs})
		}
	}
	if r.fixed {
		r.ft = newFastTables(r)
	}
	return r
}

// fixedOffset reports whether loc has a single UTC offset over 1900–2200.
func fixedOffset(loc *time.Location) (bool, int64) {
	_, off := time.Date(2000, 1, 1, 0, 0, 0, 0, loc).Zone()
	for y := 1900; y <= 2200; y++ {
		for _, m := range []time.Month{1, 4, 7, 10} {
			if _, o := time.Date(y, m, 1, 0, 0, 0, 0, loc).Zone(); o != off {
				return false, 0
			}
		}
	}
	return true, int64(off)
}

// lookup finds item and vendor; key is -1 when the vendor has no price
// version for the item.
func (r *Rater) lookup(item, vendor string) (*rateItem, []rateVersion, RateKey, bool) {
	ri, ok := r.items[item]
	if !ok {
		return nil, nil, -1, false
	}
	for i := range ri.vendors {
		if ri.vendors[i].vendor == vendor {
			return ri, ri.vendors[i].vs, ri.vendors[i].key, true
		}
	}
	return ri, nil, -1, true
}

// Location returns the billing location.
func (r *Rater) Location() *time.Location { return r.loc }

// Item returns the catalog item with code.
func (r *Rater) Item(code string) (Item, bool) {
	ri, ok := r.items[code]
	if !ok {
		return Item{}, false
	}
	return ri.it, true
}

func (r *Rater) versionAt(vs []rateVersion, t time.Time) (rateVersion, bool) {
	for i := len(vs) - 1; i >= 0; i-- {
		if !vs[i].from.After(t) {
			if vs[i].to.IsZero() || t.Before(vs[i].to) {
				return vs[i], true
			}
			return rateVersion{}, false
		}
	}
	return rateVersion{}, false
}

// Rate rates the part of rec inside [from, to) (a zero bound is open) and
// returns its total in 分. emit, if not nil, receives every piece in time
// order. Rating is all or nothing: if any instant lacks a price the error is
// a *NoPriceError and emit is not called. A one-time item is charged once, in
// the month of rec.Start, when Start lies inside [from, to).
func (r *Rater) Rate(rec UsageRecord, from, to time.Time, emit func(Piece)) (int64, error) {
	return r.rate(rec, from, to, emit, true)
}

// rate is Rate; fast says whether a total (emit nil) may come from the
// single-piece tables.
func (r *Rater) rate(rec UsageRecord, from, to time.Time, emit func(Piece), fast bool) (int64, error) {
	ri, vs, key, ok := r.lookup(rec.Item, rec.Vendor)
	if !ok {
		return 0, fieldErr(ErrUnknownItem, "item", rec.Item, "not in the catalog")
	}
	if rec.Quantity < 0 {
		return 0, fieldErr(ErrNegative, "quantity", rec.Quantity.String(), "must be ≥ 0")
	}
	it := &ri.it
	if it.Basis == OneTime {
		if (!from.IsZero() && rec.Start.Before(from)) || (!to.IsZero() && !rec.Start.Before(to)) {
			return 0, nil
		}
		v, ok := r.versionAt(vs, rec.Start)
		if !ok {
			return 0, &NoPriceError{Item: rec.Item, Vendor: rec.Vendor, At: rec.Start}
		}
		p := Piece{Item: rec.Item, Vendor: rec.Vendor, Contract: v.contract, Start: rec.Start.In(r.loc), End: rec.Start.In(r.loc),
			Month: MonthOf(rec.Start, r.loc), Quantity: rec.Quantity, UnitPrice: v.price, Basis: it.Basis, Proration: it.Proration, Num: 1, Den: 1}
		amt, ok := mulDivRound(int64(rec.Quantity), v.price, 1, QuantityScale)
		if !ok {
			return 0, fieldErr(ErrOverflow, "quantity", rec.Quantity.String(), "amount leaves int64")
		}
		p.Amount = amt
		if emit != nil {
			emit(p)
		}
		return amt, nil
	}
	start, end := rec.Start, rec.End
	if !from.IsZero() && start.Before(from) {
		start = from
	}
	if !to.IsZero() && end.After(to) {
		end = to
	}
	if !start.Before(end) {
		return 0, nil
	}
	if fast && emit == nil && key >= 0 && r.ft != nil {
		e := end.Unix()
		if end.Nanosecond() != 0 {
			e++
		}
		if amt, ok := r.ft.rate(key, rec.Quantity, start.Unix(), e); ok {
			return amt, nil
		}
	}
	// Pass 1 checks coverage and computes the total; pass 2 emits.
	walk := r.walk
	if r.fixed {
		walk = r.walkFast
		// One pass suffices when the versions cover the span without a gap
		// (a monthly item without proration needs a price only where it
		// enters each month, so it keeps the two passes).
		if emit != nil && !(it.Basis == Monthly && it.Proration == ProrateNone) && covered(vs, start.Unix()+r.off, end.Unix()+r.off+1) {
			return walk(rec, it, vs, start, end, emit)
		}
	}
	total, err := walk(rec, it, vs, start, end, nil)
	if err != nil || emit == nil {
		return total, err
	}
	return walk(rec, it, vs, start, end, emit)
}

func (r *Rater) walk(rec UsageRecord, it *Item, vs []rateVersion, start, end time.Time, emit func(Piece)) (int64, error) {
	var total int64
	t := start.In(r.loc)
	end = end.In(r.loc)
	for t.Before(end) {
		y, m, _ := t.Date()
		monthEnd := time.Date(y, m+1, 1, 0, 0, 0, 0, r.loc)
		segEnd := end
		if monthEnd.Before(segEnd) {
			segEnd = monthEnd
		}
		v, ok := r.versionAt(vs, t)
		if !ok {
			return 0, &NoPriceError{Item: rec.Item, Vendor: rec.Vendor, At: t}
		}
		// A monthly item without proration is charged for the whole month at
		// the price in force when the record enters it: no split.
		if !(it.Basis == Monthly && it.Proration == ProrateNone) && !v.to.IsZero() && v.to.Before(segEnd) {
			segEnd = v.to
		}
		num, den := r.factor(it, y, m, t, segEnd)
		amt, ok := mulDivRound(int64(rec.Quantity), v.price, num, den*QuantityScale)
		if !ok {
			return 0, fieldErr(ErrOverflow, "quantity", rec.Quantity.String(), "amount leaves int64")
		}
		if total, ok = addChecked(total, amt); !ok {
			return 0, fieldErr(ErrOverflow, "quantity", rec.Quantity.String(), "total leaves int64")
		}
		if emit != nil {
			emit(Piece{Item: rec.Item, Vendor: rec.Vendor, Contract: v.contract, Start: t, End: segEnd,
				Month: Month{y, m}, Quantity: rec.Quantity, UnitPrice: v.price, Basis: it.Basis,
				Proration: it.Proration, Num: num, Den: den, Amount: amt})
		}
		if it.Basis == Monthly && it.Proration == ProrateNone {
			segEnd = monthEnd
		}
		t = segEnd
	}
	return total, nil
}

// factor returns the proration factor num/den of [a, b) inside month y-m.
func (r *Rater) factor(it *Item, y int, m time.Month, a, b time.Time) (int64, int64) {
	days := int64(daysIn(y, m))
	switch it.Basis {
	case Monthly:
		switch it.Proration {
		case ProrateDays:
			return dayCeil(b) - dayFloor(a), days
		case ProrateHours:
			return hourCeil(b) - hourFloor(a), 24 * days
		default:
			return 1, 1
		}
	case Daily:
		if it.Proration == ProrateHours {
			return hourCeil(b) - hourFloor(a), 24
		}
		return dayCeil(b) - dayFloor(a), 1
	default: // Hourly
		return hourCeil(b) - hourFloor(a), 1
	}
}

// dayFloor returns the day index of t (already in the billing location).
func dayFloor(t time.Time) int64 {
	y, m, d := t.Date()
	return daysFromCivil(y, m, d)
}

func dayCeil(t time.Time) int64 {
	h, mi, s := t.Clock()
	if h == 0 && mi == 0 && s == 0 && t.Nanosecond() == 0 {
		return dayFloor(t)
	}
	return dayFloor(t) + 1
}

func hourFloor(t time.Time) int64 {
	return dayFloor(t)*24 + int64(t.Hour())
}

func hourCeil(t time.Time) int64 {
	_, mi, s := t.Clock()
	if mi == 0 && s == 0 && t.Nanosecond() == 0 {
		return hourFloor(t)
	}
	return hourFloor(t) + 1
}

// ratePieces rates rec inside [from, to) and returns its pieces (not on the
// hot path).
func (r *Rater) ratePieces(rec UsageRecord, from, to time.Time) ([]Piece, error) {
	var out []Piece
	_, err := r.Rate(rec, from, to, func(p Piece) { out = append(out, p) })
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Piece) int { return cmp.Compare(a.Start.UnixNano(), b.Start.UnixNano()) })
	return out, nil
}

// walkFast is walk on int64 local seconds, for fixed-offset locations. It
// must agree with walk exactly (see TestFastPathMatchesCalendarPath).
func (r *Rater) walkFast(rec UsageRecord, it *Item, vs []rateVersion, start, end time.Time, emit func(Piece)) (int64, error) {
	var total int64
	t := start.Unix() + r.off // floor of start in local seconds
	e := end.Unix() + r.off
	if end.Nanosecond() != 0 {
		e++ // ceil of end
	}
	monthNone := it.Basis == Monthly && it.Proration == ProrateNone
	for t < e {
		y, m, days, monthEnd := r.monthAt(t)
		segEnd := min(e, monthEnd)
		vi := -1
		for i := len(vs) - 1; i >= 0; i-- {
			if vs[i].fromL <= t {
				if t < vs[i].toL {
					vi = i
				}
				break
			}
		}
		if vi < 0 {
			at := start
			if t > start.Unix()+r.off {
				at = time.Unix(t-r.off, 0).In(r.loc)
			}
			return 0, &NoPriceError{Item: rec.Item, Vendor: rec.Vendor, At: at}
		}
		v := &vs[vi]
		if !monthNone && v.toL < segEnd {
			segEnd = v.toL
		}
		var num, den int64
		switch it.Basis {
		case Monthly:
			switch it.Proration {
			case ProrateDays:
				num, den = ceilDiv(segEnd, 86400)-floorDiv(t, 86400), days
			case ProrateHours:
				num, den = ceilDiv(segEnd, 3600)-floorDiv(t, 3600), 24*days
			default:
				num, den = 1, 1
			}
		case Daily:
			if it.Proration == ProrateHours {
				num, den = ceilDiv(segEnd, 3600)-floorDiv(t, 3600), 24
			} else {
				num, den = ceilDiv(segEnd, 86400)-floorDiv(t, 86400), 1
			}
		default:
			num, den = ceilDiv(segEnd, 3600)-floorDiv(t, 3600), 1
		}
		amt, ok := mulDivRound(int64(rec.Quantity), v.price, num, den*QuantityScale)
		if !ok {
			return 0, fieldErr(ErrOverflow, "quantity", rec.Quantity.String(), "amount leaves int64")
		}
		if total, ok = addChecked(total, amt); !ok {
			return 0, fieldErr(ErrOverflow, "quantity", rec.Quantity.String(), "total leaves int64")
		}
		if emit != nil {
			ps, pe := start.In(r.loc), end.In(r.loc)
			if t > start.Unix()+r.off {
				ps = time.Unix(t-r.off, 0).In(r.loc)
			}
			if segEnd < e {
				pe = time.Unix(segEnd-r.off, 0).In(r.loc)
			}
			emit(Piece{Item: rec.Item, Vendor: rec.Vendor, Contract: v.contract, Start: ps, End: pe,
				Month: Month{y, m}, Quantity: rec.Quantity, UnitPrice: v.price, Basis: it.Basis,
				Proration: it.Proration, Num: num, Den: den, Amount: amt})
		}
		if monthNone {
			segEnd = monthEnd
		}
		t = segEnd
	}
	return total, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// civilFromDays is the inverse of daysFromCivil (H. Hinnant's algorithm).
func civilFromDays(z int64) (int, time.Month, int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
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
	return int(y), time.Month(m), int(d)
}

// dayOfMonth returns the day of month of day index z in month y-m.
func dayOfMonth(z int64, y int, m time.Month) int { return int(z-daysFromCivil(y, m, 1)) + 1 }

// covered reports whether versions vs cover [t, e) (local seconds) without a
// gap.
func covered(vs []rateVersion, t, e int64) bool {
	for t < e {
		vi := -1
		for i := len(vs) - 1; i >= 0; i-- {
			if vs[i].fromL <= t {
				if t < vs[i].toL {
					vi = i
				}
				break
			}
		}
		if vi < 0 {
			return false
		}
		t = vs[vi].toL
	}
	return true
}

// monthAt returns the month containing local second t, its length in days
// and its end (local seconds), from the month table when t is inside it.
func (r *Rater) monthAt(t int64) (int, time.Month, int64, int64) {
	ms := r.months
	if len(ms) > 1 && t >= ms[0] && t < ms[len(ms)-1] {
		// 4800 months every 146097 days: the estimate is off by at most one.
		i := int((t - ms[0]) / 86400 * 4800 / 146097)
		for i > 0 && ms[i] > t {
			i--
		}
		for ms[i+1] <= t {
			i++
		}
		return tableFirstYear + i/12, time.Month(i%12 + 1), (ms[i+1] - ms[i]) / 86400, ms[i+1]
	}
	dayT := floorDiv(t, 86400)
	y, m, _ := civilFromDays(dayT)
	days := int64(daysIn(y, m))
	return y, m, days, (dayT - int64(dayOfMonth(dayT, y, m)) + 1 + days) * 86400
}
