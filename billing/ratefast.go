package billing

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"
)

// RateKey is the dense index of one item × vendor pair with price versions
// in one [Rater] (see [Rater.Key]). It is meaningful only for the Rater that
// issued it.
type RateKey int32

// CompactUsage is a usage record resolved against one [Rater] for
// [Rater.RateBatch]: the item × vendor as a RateKey and the interval as Unix
// seconds, Start rounded down and End rounded up. Because days and hours are
// counted whole ("a started hour counts") and price versions change at
// midnight, whole seconds rate exactly like the original instants. Amount is
// written by RateBatch.
type CompactUsage struct {
	Key      RateKey
	Quantity Quantity
	Start    int64 // Unix seconds, rounded down
	End      int64 // Unix seconds, rounded up
	Amount   int64 // 分, set by RateBatch
}

// BatchIssue is a record of a batch that was not rated: Err is a
// *NoPriceError (park the record, it is not rated at zero), a *FieldError
// matching ErrOverflow (its amount or the batch total leaves int64) or
// ErrNegative, or ErrInvalid for a key this Rater did not issue.
type BatchIssue struct {
	Index int
	Err   error
}

// Key returns the RateKey of item and vendor. An item outside the catalog is
// a *FieldError matching ErrUnknownItem; a vendor without any price version
// for the item is a *NoPriceError (such usage is parked, never rated at
// zero).
func (r *Rater) Key(item, vendor string) (RateKey, error) {
	_, _, k, ok := r.lookup(item, vendor)
	if !ok {
		return -1, fieldErr(ErrUnknownItem, "item", item, "not in the catalog")
	}
	if k < 0 {
		return -1, &NoPriceError{Item: item, Vendor: vendor}
	}
	return k, nil
}

// Compact resolves rec for RateBatch, failing like Key, and with ErrNegative
// for a negative quantity. A one-time item is charged at Start (End becomes
// Start + 1 s); an empty interval becomes Start = End (rated 0).
func (r *Rater) Compact(rec UsageRecord) (CompactUsage, error) {
	ri, _, k, ok := r.lookup(rec.Item, rec.Vendor)
	if !ok {
		return CompactUsage{}, fieldErr(ErrUnknownItem, "item", rec.Item, "not in the catalog")
	}
	if rec.Quantity < 0 {
		return CompactUsage{}, fieldErr(ErrNegative, "quantity", rec.Quantity.String(), "must be ≥ 0")
	}
	if k < 0 {
		return CompactUsage{}, &NoPriceError{Item: rec.Item, Vendor: rec.Vendor, At: rec.Start.In(r.loc)}
	}
	u := CompactUsage{Key: k, Quantity: rec.Quantity, Start: rec.Start.Unix(), End: rec.End.Unix()}
	if rec.End.Nanosecond() != 0 {
		u.End++
	}
	switch {
	case ri.it.Basis == OneTime:
		u.End = u.Start + 1
	case !rec.Start.Before(rec.End):
		u.End = u.Start
	}
	return u, nil
}

// RateBatch rates every record of us, sets us[i].Amount and returns the
// total in 分. Records that cannot be rated are listed in issues with Amount
// 0 and are left out of the total. Each record is rated exactly as
// [Rater.Rate] rates it over its whole interval, pieces rounded half up one
// by one: a record inside one month and one price version, or across one
// month end with a version covering each side, takes the batch tables (see
// [batchTables]: a table lookup, two multiply-shift divisions for the
// proration factor, one product and one multiply-shift division per piece,
// overflow excluded up front by a per-cell quantity bound); a record with
// more pieces walks the per-month tables month by month; anything else (a
// price change inside a month, a quantity that could overflow, dates outside
// the tables, a location with daylight saving time) takes Rate's general
// path with its math/big fallback. The batch tables are built on the first
// call (64 bytes per item × vendor and month of a ten-year window, at most
// 8 MiB, plus a 64 KiB month table). After that RateBatch
// does not allocate unless there are issues, and like every Rater method it
// is safe for concurrent use (it writes only to us).
func (r *Rater) RateBatch(us []CompactUsage) (total int64, issues []BatchIssue) {
	var bt *batchTables
	if r.ft != nil {
		bt = r.ft.batchTables(r)
	}
	for lo := 0; lo < len(us); lo += batchBlock {
		blk := us[lo:min(lo+batchBlock, len(us))]
		var rest uint64 = 1<<len(blk) - 1 // records left for the general path
		if bt != nil {
			var sum int64
			sum, rest = bt.rateBlock(blk)
			if s := total + sum; s >= 0 {
				total = s
			} else { // the total wraps inside this block: redo it record by record
				for j := range blk {
					blk[j].Amount = 0
				}
				rest = 1<<len(blk) - 1
			}
		}
		for ; rest != 0; rest &= rest - 1 {
			j := bits.TrailingZeros64(rest)
			u := &blk[j]
			amt, err := r.rateGeneral(u)
			if err == nil && total+amt < 0 { // amounts are ≥ 0: a negative sum has wrapped
				err = fieldErr(ErrOverflow, "quantity", u.Quantity.String(), "batch total leaves int64")
			}
			if err != nil {
				u.Amount = 0
				issues = append(issues, BatchIssue{Index: lo + j, Err: err})
				continue
			}
			u.Amount, total = amt, total+amt
		}
	}
	return total, issues
}

// batchBlock is the number of records rateBlock takes at a time (the bits
// of its mask).
const batchBlock = 64

// batchTables are the tables of RateBatch's kernel, all in local seconds
// relative to base (local midnight starting the first month of the window
// covered), below maxBatchSpan < 2³¹ inside the tables:
//
//   - buckets map t>>bucketShift to the month holding the bucket's first
//     second (high 32 bits) and the first second of the next month if it
//     falls inside the bucket (low 32 bits, else MaxUint32); a bucket
//     (18.2 hours) never holds two month ends;
//   - per key, cells[kbase[key]+month] describe that month under one price
//     version (the one in force at the month's start, else at its end),
//     followed by one "none" cell, so a record crossing a month end finds
//     the next month's cell next to its own.
//
// A record is rated from its cell only if it lies inside the cell's month
// and version (for the second piece: the next cell's), and its quantity is
// within the cell's overflow bound; which version a cell holds therefore
// affects speed only, never the result.
type batchTables struct {
	rel     int64 // add to Unix seconds for seconds relative to base
	buckets [batchBuckets]uint64
	stride  uint64 // cells per key: the window's months and a "none" cell
	cells   []batchCell
}

// batchCell is one key × month under one version: 64 bytes. A piece
// [from+a, from+b) of a record (relative to base) is rated here when
// a < tspan and b ≤ elim − from: amount = round(q × price × num ÷ d) half
// up. from is a local midnight, so num, the number of units u (days or
// hours) touched, is ⌊(b+add)/u⌋ − ⌊a/u⌋ with add = u − 1, each ⌊x/u⌋
// computed as ((x>>4)·m)>>40 (see unitDiv); a constant factor 1 has
// u = 2³¹ and add = 2³¹. The division by d is a multiply-shift by rm and
// rh (see recip), with d and price scaled by the same 2^k so that the
// shift is batchRecipShift for every cell.
type batchCell struct {
	from, tspan uint32
	elim        uint32
	add         uint32
	m           uint64
	price       uint64
	maxQ        uint64 // largest quantity with q·price·744 + d/2 ≤ MaxInt64
	rm, rh      uint64
	once        bool // a one-time item: never a second piece
}

const (
	bucketShift = 16
	// batchBuckets is the size of the bucket table: a power of two, so
	// the kernel indexes it with a mask and no bounds check, covering
	// 2^29 s (17 years), more than the window (see batchYears). A masked
	// index for a t outside the window finds some bucket whose cell then
	// fails the from ≤ t < from+tspan check.
	batchBuckets = 1 << 13
	// Every cell divides by d·2^k in (2^19, 2^20] (its price times 2^k),
	// so its reciprocal (see recip) shifts by batchRecipShift = 19.
	batchRecipBits  = 20
	batchRecipShift = batchRecipBits - 1
	// maxBatchSpan bounds the seconds the batch tables cover: t < e ≤ elim
	// stay below it, so for days and hours every x = t or e + add stays
	// below 2³¹, where unitDiv is exact (for onceUnit, a power of two, it is
	// exact below 2³²).
	maxBatchSpan = 1<<31 - 2*86400
	// maxBatchCells bounds the cells of the batch tables (64 bytes each,
	// so at most 8 MiB); a catalog with more keys gets fewer months, the
	// rest rated by the per-month tables.
	maxBatchCells = 1 << 17
	// batchYears is the reach of the batch window on either side of the
	// latest price version's start.
	batchYears = 5
	unitPre    = 4  // 16 divides every unit
	unitSh     = 40 // 2^40 ≥ 2^27 · u/16 for every unit u: exact below 2^31
	onceUnit   = 1 << 31
)

// unitMagic returns m with ⌊x/u⌋ = ((x>>4)·m)>>40 for 0 ≤ x < 2³¹ and
// u ∈ {3600, 86400, 2³¹}: with u' = u/16 and m = ⌈2^40/u'⌉, ⌊x/u⌋ =
// ⌊(x>>4)/u'⌋, and x' = x>>4 < 2^27 gives x'·(m·u' − 2^40) < 2^27·u' ≤
// 2^40, so the error x'·m/2^40 − x'/u' stays below 1/u' (Granlund &
// Montgomery); x'·m < 2^27 · 2^33 fits easily. TestUnitMagic checks every
// boundary.
func unitMagic(u uint64) uint64 {
	u >>= unitPre
	return (1<<unitSh + u - 1) / u
}

// unitDiv is ⌊x/u⌋ for m = unitMagic(u) and x < 2³¹.
func unitDiv(x, m uint64) uint64 { return (x >> unitPre) * m >> unitSh }

// rateBlock rates the records of blk (at most batchBlock) that lie inside
// one cell (one month under one price version), or across one month end
// with a version covering each side, setting their Amount, and returns
// their sum and a mask of the others. Their sum cannot wrap: an amount from
// a cell is below MaxInt64/2^19 (every scaled divisor is above 2^19), and a
// record has at most two.
func (bt *batchTables) rateBlock(blk []CompactUsage) (sum int64, rest uint64) {
	if len(blk) < batchBlock {
		return bt.rateRest(blk, 1<<len(blk)-1)
	}
	blk = blk[:batchBlock]
	// The common case, one cell, in a loop that reads the tables through
	// bt on every record and works in offsets from the cell's start, so
	// that few values stay live and the compiler need not spill; the
	// others are left to rateRest.
	for j := range batchBlock {
		u := &blk[j]
		t, ci := bt.cellOf(u)
		cells := bt.cells
		if ci >= uint64(len(cells)) {
			rest |= 1 << j
			continue
		}
		c := &cells[ci]
		// 0 ≤ a < b ≤ tspan: the record lies in the cell (so the bucket
		// was its own), and the quantity bound.
		a, b, q := t-uint64(c.from), uint64(u.End+bt.rel)-uint64(c.from), uint64(u.Quantity)
		if a >= b || b > uint64(c.tspan) || q > c.maxQ {
			rest |= 1 << j
			continue
		}
		amt := c.piece(a, b, q)
		u.Amount = amt
		sum += amt
	}
	s, rest := bt.rateRest(blk, rest)
	return sum + s, rest
}

// cellOf returns u's start relative to base and the index of the cell of
// its key and of the month its start falls in (found in t's bucket). A key
// this Rater did not issue, or a negative one, lands past the last cell;
// the cell itself tells whether t lies in it.
func (bt *batchTables) cellOf(u *CompactUsage) (t, ci uint64) {
	t = uint64(u.Start + bt.rel)
	bk := bt.buckets[(t>>bucketShift)&(batchBuckets-1)]
	mi := bk >> 32
	if t >= uint64(uint32(bk)) {
		mi++
	}
	return t, uint64(uint32(u.Key))*bt.stride + mi
}

// rateRest rates the records of blk marked in rest that start in a cell
// and lie in it (for a monthly item without proration, up to the month's
// end, at the entry price), or cross one month end into the next cell
// covering the rest; it returns their sum and the rest left.
func (bt *batchTables) rateRest(blk []CompactUsage, rest uint64) (sum int64, left uint64) {
	rel, cells := bt.rel, bt.cells
	left = rest
	for ; rest != 0; rest &= rest - 1 {
		j := bits.TrailingZeros64(rest)
		u := &blk[j]
		t, ci := bt.cellOf(u)
		if ci+1 >= uint64(len(cells)) { // every key's cells end with a "none" cell
			continue
		}
		c := &cells[ci]
		a, b, q := t-uint64(c.from), uint64(u.End+rel)-uint64(c.from), uint64(u.Quantity)
		if a >= uint64(c.tspan) || q > c.maxQ {
			continue
		}
		var amt int64
		switch lim := uint64(c.elim - c.from); {
		case a < b && b <= lim:
			amt = c.piece(a, b, q)
		default: // across the month end, if the next cell covers the rest
			c2 := &cells[ci+1]
			e2 := b - lim // the end, from the month end
			if int64(b) <= int64(lim) || c.once || c2.from != c.elim || e2 > uint64(c2.elim-c2.from) || q > c2.maxQ {
				continue
			}
			amt = c.piece(a, lim, q) + c2.piece(0, e2, q)
		}
		u.Amount = amt
		sum += amt
		left &^= 1 << j
	}
	return sum, left
}

// piece is the amount of [a, b) from the start of c: q·price·num ÷ d
// rounded half up (a < b ≤ elim − from < 2³¹ and q ≤ c.maxQ, so nothing
// overflows; from is a local midnight, so a unit counted from it is counted
// from midnight).
func (c *batchCell) piece(a, b, q uint64) int64 {
	num := unitDiv(b+uint64(c.add), c.m) - unitDiv(a, c.m)
	hi, _ := bits.Mul64(q*c.price*num+c.rh, c.rm)
	return int64(hi >> batchRecipShift)
}

// newBatchTables builds the batch tables over a window of the months of
// ft: batchYears before and after the month of the latest price version's
// start, fewer months around it for a large catalog (maxBatchCells), or
// fewer at the ends of ft's calendar. Records outside the window are rated from the per-month
// tables.
func newBatchTables(r *Rater, ft *fastTables) *batchTables {
	if len(r.keys) == 0 {
		return nil
	}
	lastFrom := int64(math.MinInt64)
	for _, k := range r.keys {
		lastFrom = max(lastFrom, k.vs[len(k.vs)-1].fromL-ft.base)
	}
	g, _ := slices.BinarySearchFunc(ft.months, lastFrom, func(m fastMonth, t int64) int { return cmp.Compare(m.end, t+1) })
	// A large catalog gets fewer months (maxBatchCells): centred on the
	// latest version's month, so that usage after it still takes the kernel.
	g0 := max(0, g-min(batchYears*12, (maxBatchCells/len(r.keys)-2)/2))
	ms0 := int64(0) // the window's first second, relative to ft.base
	if g0 > 0 {
		ms0 = ft.months[g0-1].end
	}
	months := ft.months[g0:]
	nm := min(len(months), g-g0+batchYears*12+1, maxBatchCells/len(r.keys)-1)
	for nm > 0 && months[nm-1].end-ms0 > min(maxBatchSpan, batchBuckets<<bucketShift) {
		nm--
	}
	if nm <= 0 {
		return nil
	}
	months = months[:nm]
	calEnd := months[nm-1].end - ms0
	base := ft.base + ms0
	bt := &batchTables{rel: ft.off - base,
		stride: uint64(nm + 1),
		cells:  make([]batchCell, 0, len(r.keys)*(nm+1))}
	for b := int64(0); b<<bucketShift < calEnd; b++ {
		lo, hi := b<<bucketShift, (b+1)<<bucketShift
		mi, _ := slices.BinarySearchFunc(months, lo, func(m fastMonth, t int64) int { return cmp.Compare(m.end-ms0, t+1) })
		bnd := uint64(math.MaxUint32)
		if end := months[mi].end - ms0; end < hi && end < calEnd {
			bnd = uint64(end)
		}
		bt.buckets[b] = uint64(mi)<<32 | bnd
	}
	// A "none" cell: no t passes from ≤ t < from+0, and its from matches
	// no cell's elim (every elim is below 2³¹).
	none := batchCell{from: math.MaxUint32}
	for _, k := range r.keys {
		it := &k.item.it
		ms := int64(0)
		for g := range nm {
			me := months[g].end - ms0
			i := versionAtL(k.vs, ms+base)
			if i < 0 {
				i = versionAtL(k.vs, me-1+base)
			}
			cell := none
			if i >= 0 {
				v := &k.vs[i]
				from, lim := max(v.fromL-base, ms), me
				if v.toL != math.MaxInt64 {
					lim = min(v.toL-base, me)
				}
				unit, den := batchKind(it, (me-ms)/86400)
				// Scale the divisor d into (2^19, 2^20] and the price with it,
				// so every cell's reciprocal shifts by the same batchRecipShift.
				d := uint64(den * QuantityScale)
				k := batchRecipBits - uint(bits.Len64(d-1))
				rc := newRecip(d << k)
				if int(rc.s) == batchRecipShift && uint64(v.price) <= (math.MaxInt64/maxNum)>>k {
					price := uint64(v.price) << k
					cell = batchCell{from: uint32(from), tspan: uint32(lim - from), elim: uint32(lim),
						add: uint32(unit - 1), m: unitMagic(unit), price: price, maxQ: math.MaxInt64,
						rm: rc.m, rh: rc.h, once: it.Basis == OneTime}
					if it.Basis == Monthly && it.Proration == ProrateNone {
						cell.elim = uint32(me) // the whole month at the entry price
					}
					if unit == onceUnit {
						cell.add = onceUnit // num = ⌊(e+2³¹)/2³¹⌋ − ⌊t/2³¹⌋ = 1
					}
					if price > 0 {
						cell.maxQ = (math.MaxInt64 - 1<<(batchRecipBits-1)) / (price * maxNum)
					}
				}
			}
			bt.cells = append(bt.cells, cell)
			ms = me
		}
		bt.cells = append(bt.cells, none)
	}
	return bt
}

// batchKind returns, for an item and a month of days, the unit its
// proration counts (86400 for days, 3600 for hours, onceUnit for a constant
// factor 1) and the factor's denominator, as in Rater.factor.
func batchKind(it *Item, days int64) (unit uint64, den int64) {
	switch it.Basis {
	case Monthly:
		switch it.Proration {
		case ProrateDays:
			return 86400, days
		case ProrateHours:
			return 3600, 24 * days
		default:
			return onceUnit, 1
		}
	case Daily:
		if it.Proration == ProrateHours {
			return 3600, 24
		}
		return 86400, 1
	case Hourly:
		return 3600, 1
	default: // OneTime
		return onceUnit, 1
	}
}

// rateGeneral rates a record rateBlock did not: from the per-month tables
// when it has several pieces, else through Rate's general path.
func (r *Rater) rateGeneral(u *CompactUsage) (int64, error) {
	// A one-time item is charged once, at Start, whatever End says (the
	// month-by-month walk would charge every month up to End), and a
	// negative quantity is an error even over an empty interval: both go to
	// the general path.
	if r.ft != nil && u.Quantity >= 0 && u.Key >= 0 && int(u.Key) < len(r.keys) && r.keys[u.Key].item.it.Basis != OneTime {
		if amt, ok := r.ft.rate(u.Key, u.Quantity, u.Start, u.End); ok {
			return amt, nil
		}
	}
	return r.rateSlow(u)
}

// rateSlow rates u through Rate's general path (no tables).
func (r *Rater) rateSlow(u *CompactUsage) (int64, error) {
	if u.Key < 0 || int(u.Key) >= len(r.keys) {
		return 0, fieldErr(ErrInvalid, "key", fmt.Sprint(u.Key), "not issued by this rater")
	}
	k := &r.keys[u.Key]
	rec := UsageRecord{Item: k.item.it.Code, Vendor: k.vendor, Quantity: u.Quantity,
		Start: time.Unix(u.Start, 0).In(r.loc), End: time.Unix(u.End, 0).In(r.loc)}
	return r.rate(rec, time.Time{}, time.Time{}, nil, false)
}

// keyInfo is one item × vendor pair.
type keyInfo struct {
	item   *rateItem
	vendor string
	vs     []rateVersion
}

// fastTables hold what the single-piece path needs, all in local seconds
// relative to base (the first instant of the first month covered):
//
//   - days maps a day to its month: the month's end (bits 0–39), its
//     length class (days − 28, bits 40–47) and index (bits 48–63), so one
//     load gives what the common case needs;
//   - months gives each month's end and length class;
//   - per key, cells give for each month a price version [from, to) of that
//     key (the one in force at the month's start, else at its end), with one
//     cell before the first month (no price) and one after the last boundary
//     (the state from then on, which never changes);
//   - recips are the multiply-shift reciprocals of every proration divisor.
//
// A piece of a record is rated from a cell only if it lies inside the
// cell's version and inside the cell's month, and the quantity is within the
// cell's overflow bound; which version a cell holds therefore affects speed
// only, never the result.
type fastTables struct {
	off    int64 // UTC offset of the location, seconds
	base   int64 // local seconds of day 0
	days   []uint64
	months []fastMonth
	keys   []fastKey
	cells  []fastCell
	recips [16]recip // [divisor class × 4 + days − 28]
	// RateBatch's kernel tables, built on its first call (nil if they
	// cannot be built).
	batchOnce sync.Once
	batch     *batchTables
}

// batchTables returns the kernel tables of RateBatch, building them once.
func (ft *fastTables) batchTables(r *Rater) *batchTables {
	ft.batchOnce.Do(func() { ft.batch = newBatchTables(r, ft) })
	return ft.batch
}

type fastMonth struct {
	end   int64 // relative to base
	class uint8 // days in month − 28
}

type fastKey struct {
	off, n  int32 // cells[off : off+n]
	m0      int32 // month of cells[off+1]
	a, b, c int64 // num = a·days + b·hours + c
	keep    int64 // MaxInt64: price changes do not split (monthly, none)
	dc      uint8 // divisor class × 4
}

type fastCell struct {
	from, to int64 // relative to base; from > to: no version
	price    int64
	maxQ     int64 // largest quantity with q·price·744 + d/2 ≤ MaxInt64
}

// recip divides n < 2^63 by d exactly: floor(n/d) = hi(n·m) >> s, with
// m = ⌈2^(63+ℓ)/d⌉, ℓ = ⌈log2 d⌉, s = ℓ − 1 (Granlund & Montgomery 1994,
// theorem 4.2 with N = 63); h = d/2 turns it into half-up rounding.
type recip struct {
	d, h, m uint64
	s       uint8
}

func newRecip(d uint64) recip {
	l := uint(bits.Len64(d - 1)) // ⌈log2 d⌉, d ≥ 2
	q, rem := bits.Div64(uint64(1)<<(l-1), 0, d)
	if rem != 0 {
		q++
	}
	return recip{d: d, h: d / 2, m: q, s: uint8(l - 1)}
}

// divRound returns n/d rounded half up for 0 ≤ n ≤ MaxInt64 − d/2, d even.
func (rc *recip) divRound(n uint64) uint64 {
	hi, _ := bits.Mul64(n+rc.h, rc.m)
	return hi >> rc.s
}

const (
	maxHalfDivisor = 24 * 31 * QuantityScale / 2 // largest d/2
	maxNum         = 24 * 31                     // most hours in a month
	maxCellsPerKey = 12 * 100
)

// divisor classes (den × QuantityScale): 0 days×1000, 1 24×days×1000, 2
// 1000, 3 24000.
func (ft *fastTables) initRecips() {
	for days := uint64(28); days <= 31; days++ {
		j := days - 28
		ft.recips[0*4+j] = newRecip(days * QuantityScale)
		ft.recips[1*4+j] = newRecip(24 * days * QuantityScale)
		ft.recips[2*4+j] = newRecip(QuantityScale)
		ft.recips[3*4+j] = newRecip(24 * QuantityScale)
	}
}

// kind returns the factor coefficients and divisor class of an item, as in
// Rater.factor: num = a·days touched + b·hours touched + c.
func kind(it *Item) (a, b, c int64, dc uint8) {
	switch it.Basis {
	case Monthly:
		switch it.Proration {
		case ProrateDays:
			return 1, 0, 0, 0
		case ProrateHours:
			return 0, 1, 0, 1 * 4
		default:
			return 0, 0, 1, 2 * 4
		}
	case Daily:
		if it.Proration == ProrateHours {
			return 0, 1, 0, 3 * 4
		}
		return 1, 0, 0, 2 * 4
	case Hourly:
		return 0, 1, 0, 2 * 4
	default: // OneTime: once, at the version in force at Start
		return 0, 0, 1, 2 * 4
	}
}

// monthIndex returns the index in r.months of the month holding local
// second t.
func (r *Rater) monthIndex(t int64) (int, bool) {
	ms := r.months
	if len(ms) < 2 || t < ms[0] || t >= ms[len(ms)-1] {
		return 0, false
	}
	y, m, _, _ := r.monthAt(t)
	return (y-tableFirstYear)*12 + int(m) - 1, true
}

// versionAtL returns the index of the version in force at local second t,
// or -1.
func versionAtL(vs []rateVersion, t int64) int {
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].fromL <= t {
			if t < vs[i].toL {
				return i
			}
			return -1
		}
	}
	return -1
}

func newFastTables(r *Rater) *fastTables {
	// The calendar spans from the first version's month to ten years after
	// the last boundary of any version, inside the month table.
	gStart, gLast := math.MaxInt, -1
	for _, k := range r.keys {
		if len(k.vs) == 0 {
			continue
		}
		if g, ok := r.monthIndex(k.vs[0].fromL); ok {
			gStart = min(gStart, g)
		}
		for _, v := range k.vs {
			b := v.fromL
			if v.toL != math.MaxInt64 {
				b = v.toL
			}
			g, ok := r.monthIndex(b)
			if !ok {
				g = len(r.months) - 2
			}
			gLast = max(gLast, g)
		}
	}
	if gStart == math.MaxInt || gLast < gStart {
		return nil
	}
	gEnd := min(gLast+1+120, len(r.months)-1) // exclusive
	ft := &fastTables{off: r.off, base: r.months[gStart]}
	ft.initRecips()
	calEnd := r.months[gEnd] - ft.base
	for g := gStart; g < gEnd; g++ {
		days := (r.months[g+1] - r.months[g]) / 86400
		mo := fastMonth{end: r.months[g+1] - ft.base, class: uint8(days - 28)}
		for range days {
			ft.days = append(ft.days, uint64(mo.end)|uint64(mo.class)<<40|uint64(g-gStart)<<48)
		}
		ft.months = append(ft.months, mo)
	}
	none := fastCell{from: math.MaxInt64, to: math.MinInt64}
	cell := func(vs []rateVersion, i int) fastCell {
		if i < 0 {
			return none
		}
		v := vs[i]
		c := fastCell{from: max(v.fromL-ft.base, 0), to: calEnd, price: v.price, maxQ: math.MaxInt64}
		if v.toL != math.MaxInt64 {
			c.to = min(v.toL-ft.base, calEnd)
		}
		if v.price > 0 {
			c.maxQ = (math.MaxInt64 - maxHalfDivisor) / (v.price * maxNum)
		}
		return c
	}
	for _, k := range r.keys {
		a, b, c, dc := kind(&k.item.it)
		fk := fastKey{off: int32(len(ft.cells)), a: a, b: b, c: c, dc: dc, keep: math.MinInt64}
		if it := &k.item.it; it.Basis == Monthly && it.Proration == ProrateNone {
			fk.keep = math.MaxInt64
		}
		g0, _ := r.monthIndex(k.vs[0].fromL)
		lastB := int64(math.MinInt64)
		for _, v := range k.vs {
			lastB = max(lastB, v.fromL)
			if v.toL != math.MaxInt64 {
				lastB = max(lastB, v.toL)
			}
		}
		gL, ok := r.monthIndex(lastB)
		if !ok {
			gL = len(r.months) - 2
		}
		gL = min(gL, gEnd-1)
		ft.cells = append(ft.cells, none)
		if g0 >= gStart && gL >= g0 && gL-g0 < maxCellsPerKey {
			for g := g0; g <= gL; g++ {
				i := versionAtL(k.vs, r.months[g])
				if i < 0 {
					i = versionAtL(k.vs, r.months[g+1]-1)
				}
				ft.cells = append(ft.cells, cell(k.vs, i))
			}
			ft.cells = append(ft.cells, cell(k.vs, versionAtL(k.vs, lastB)))
			fk.m0 = int32(g0 - gStart)
		} else {
			fk.m0 = math.MaxInt32 / 2 // every month maps to the "none" cell
		}
		fk.n = int32(len(ft.cells)) - fk.off
		ft.keys = append(ft.keys, fk)
	}
	return ft
}

// rate rates one record from the tables: start and end are Unix seconds
// (start rounded down, end rounded up). It walks the record month by month
// like walkFast; ok is false when the record needs the general path (a
// piece's instant is not covered by its month's cell, a quantity may
// overflow, or the record leaves the tables). It then has done nothing.
func (ft *fastTables) rate(key RateKey, q Quantity, start, end int64) (int64, bool) {
	t := start + ft.off - ft.base
	e := end + ft.off - ft.base
	day := uint64(t) / 86400
	if day >= uint64(len(ft.days)) || uint64(key) >= uint64(len(ft.keys)) || e < t {
		return 0, false
	}
	if e == t {
		return 0, true // an empty interval costs nothing, priced or not
	}
	k := &ft.keys[key]
	mi := int(ft.days[day] >> 48)
	var total int64
	for {
		mo := &ft.months[mi]
		c := &ft.cells[int(k.off)+min(max(mi-int(k.m0)+1, 0), int(k.n)-1)]
		if t < c.from || t >= c.to || uint64(q) > uint64(c.maxQ) {
			return 0, false
		}
		// A price change splits the piece, except for a monthly item
		// without proration (keep = MaxInt64), charged at the entry price.
		seg := min(e, mo.end, max(c.to, k.keep))
		days := (uint64(seg)+86399)/86400 - uint64(t)/86400
		hours := (uint64(seg)+3599)/3600 - uint64(t)/3600
		num := k.a*int64(days) + k.b*int64(hours) + k.c
		rc := &ft.recips[k.dc+mo.class]
		total += int64(rc.divRound(uint64(int64(q) * c.price * num)))
		if total < 0 { // pieces are ≥ 0: the sum wrapped
			return 0, false
		}
		if seg >= e {
			return total, true
		}
		if seg == mo.end {
			if mi++; mi >= len(ft.months) {
				return 0, false
			}
		}
		t = seg
	}
}
