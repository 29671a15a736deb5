package billing

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fastCatalog has every basis and proration, two vendors, a price change on
// the 1st of a month and one mid-month, a closed version with a gap after
// it, and the largest allowed unit price (10^12 分), so the overflow edges
// are reachable.
func fastCatalog(t testing.TB) *Catalog {
	t.Helper()
	items := []Item{
		{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: Monthly, Proration: ProrateDays},
		{Code: "IAAS-EVS-SSD", Name: "云硬盘", Unit: "GiB·月", Basis: Monthly, Proration: ProrateHours},
		{Code: "IAAS-NET-BW", Name: "带宽", Unit: "Mbps·月", Basis: Monthly, Proration: ProrateNone},
		{Code: "PAAS-RDS-INST", Name: "云数据库实例", Unit: "实例·日", Basis: Daily, Proration: ProrateNone},
		{Code: "PAAS-RDS-HOUR", Name: "云数据库按时", Unit: "实例·日", Basis: Daily, Proration: ProrateHours},
		{Code: "IAAS-GPU-HOUR", Name: "GPU", Unit: "卡·时", Basis: Hourly, Proration: ProrateNone},
		{Code: "SVC-MIG-ONCE", Name: "迁移服务", Unit: "次", Basis: OneTime, Proration: ProrateNone},
	}
	var prices []Price
	for i, it := range items {
		base := int64(1000*(i+1) + 37)
		prices = append(prices,
			Price{Item: it.Code, Vendor: "v1", UnitPrice: base, From: day(2026, 1, 1)},
			Price{Item: it.Code, Vendor: "v1", UnitPrice: base * 9 / 10, From: day(2026, 7, 1)},
			Price{Item: it.Code, Vendor: "v1", UnitPrice: base * 11 / 10, From: day(2026, 10, 17)},
			Price{Item: it.Code, Vendor: "v2", UnitPrice: maxUnitPrice - int64(i), From: day(2025, 12, 15), To: day(2026, 5, 1)},
			Price{Item: it.Code, Vendor: "v2", UnitPrice: 3, From: day(2026, 6, 10), To: day(2199, 11, 20)},
		)
	}
	c, err := NewCatalog(items, prices)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exactAmount rates rec with Rate's pieces and recomputes every piece with
// big.Rat: Σ round_half_up(Quantity/1000 × UnitPrice × Num/Den).
func exactAmount(t *testing.T, r *Rater, rec UsageRecord) (int64, error) {
	t.Helper()
	var pieces []Piece
	if _, err := r.Rate(rec, time.Time{}, time.Time{}, func(p Piece) { pieces = append(pieces, p) }); err != nil {
		return 0, err
	}
	sum := new(big.Int)
	for _, p := range pieces {
		x := new(big.Rat).SetFrac(big.NewInt(int64(p.Quantity)), big.NewInt(QuantityScale))
		x.Mul(x, new(big.Rat).SetInt64(p.UnitPrice))
		x.Mul(x, new(big.Rat).SetFrac(big.NewInt(p.Num), big.NewInt(p.Den)))
		// half up for x ≥ 0: floor(x + 1/2)
		x.Add(x, big.NewRat(1, 2))
		sum.Add(sum, new(big.Int).Quo(x.Num(), x.Denom()))
	}
	if !sum.IsInt64() {
		return 0, ErrOverflow
	}
	return sum.Int64(), nil
}

func randomRecord(rng *rand.Rand, items []string) UsageRecord {
	base := tm(2025, 11, 1, 0, 0)
	start := base.Add(time.Duration(rng.Int64N(500*24*3600)) * time.Second)
	switch rng.IntN(20) {
	case 0: // around the end of the month table and the v2 gap
		start = tm(2199, 10, 1, 0, 0).Add(time.Duration(rng.Int64N(2*365*24*3600)) * time.Second)
	case 1: // far after the last boundary: the "after" cells
		start = tm(2040+rng.IntN(100), time.Month(1+rng.IntN(12)), 1, 0, 0).Add(time.Duration(rng.Int64N(40*24*3600)) * time.Second)
	case 2: // before any price
		start = tm(1900+rng.IntN(120), 1, 1, 0, 0).Add(time.Duration(rng.Int64N(400*24*3600)) * time.Second)
	case 3: // month and version boundaries exactly
		ms := []time.Time{tm(2026, 1, 1, 0, 0), tm(2026, 7, 1, 0, 0), tm(2026, 10, 17, 0, 0), tm(2026, 5, 1, 0, 0), tm(2026, 6, 10, 0, 0), tm(2026, 2, 28, 23, 0)}
		start = ms[rng.IntN(len(ms))]
	}
	if rng.IntN(3) == 0 {
		start = start.Add(time.Duration(rng.Int64N(1e9)))
	}
	var d time.Duration
	switch rng.IntN(6) {
	case 0:
		d = 0
	case 1:
		d = time.Duration(rng.Int64N(2e9)) // under two seconds
	case 2:
		d = time.Duration(rng.Int64N(70*24*3600)) * time.Second
	default:
		d = time.Duration(rng.Int64N(72*3600)) * time.Second
	}
	end := start.Add(d)
	if rng.IntN(4) == 0 {
		end = end.Add(time.Duration(rng.Int64N(1e9)))
	}
	var q Quantity
	maxQ := int64((math.MaxInt64 - maxHalfDivisor) / (maxUnitPrice * maxNum))
	switch rng.IntN(8) {
	case 0: // at the fast path's overflow bound for the 10^12 prices
		q = Quantity(maxQ - 2 + rng.Int64N(5))
	case 1: // overflowing int64 in the product, some in the result
		q = Quantity(rng.Int64N(math.MaxInt64))
	case 2:
		q = Quantity(rng.Int64N(1 << 40))
	case 3:
		q = 0
	default:
		q = Quantity(rng.Int64N(200000))
	}
	return UsageRecord{Key: "k", Source: SourceVendor, Vendor: []string{"v1", "v2"}[rng.IntN(2)], Department: "d",
		Item: items[rng.IntN(len(items))], Quantity: q, Start: start, End: end}
}

// TestRateBatchMatchesExact: RateBatch, Rate's total and Rate's pieces
// recomputed in big.Rat agree on random records (fixed seed), including
// overflow edges, month and price splits, gaps and the ends of the tables;
// and the single-piece tables take most ordinary records.
func TestRateBatchMatchesExact(t *testing.T) {
	r := NewRater(fastCatalog(t), tz)
	if r.ft == nil {
		t.Fatal("no fast tables for a fixed-offset location")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	items := []string{"IAAS-ECS-VCPU", "IAAS-EVS-SSD", "IAAS-NET-BW", "PAAS-RDS-INST", "PAAS-RDS-HOUR", "IAAS-GPU-HOUR", "SVC-MIG-ONCE"}
	const n = 30000
	recs := make([]UsageRecord, n)
	us := make([]CompactUsage, n)
	for i := range recs {
		recs[i] = randomRecord(rng, items)
		u, err := r.Compact(recs[i])
		if err != nil {
			t.Fatal(err)
		}
		us[i] = u
	}
	// Batches of 1000, so one overflowing batch total does not hide the rest.
	var gotIssues, wantIssues []testIssue
	fast, ordinary := 0, 0
	for lo := 0; lo < n; lo += 1000 {
		chunk := us[lo : lo+1000]
		total, iss := r.RateBatch(chunk)
		for _, is := range iss {
			gotIssues = append(gotIssues, testIssue{lo + is.Index, errors.Is(is.Err, ErrNoPrice), errors.Is(is.Err, ErrOverflow)})
		}
		var want int64
		wantOver := false
		for j := range chunk {
			i := lo + j
			exact, err := exactAmount(t, r, recs[i])
			total1, err1 := r.Rate(recs[i], time.Time{}, time.Time{}, nil)
			if (err == nil) != (err1 == nil) || (err == nil && exact != total1) {
				t.Fatalf("%v: Rate total %d, %v; exact %d, %v", recs[i], total1, err1, exact, err)
			}
			if err != nil {
				wantIssues = append(wantIssues, testIssue{i, errors.Is(err, ErrNoPrice), errors.Is(err, ErrOverflow)})
				if chunk[j].Amount != 0 {
					t.Fatalf("%v: issue but Amount %d", recs[i], chunk[j].Amount)
				}
				continue
			}
			if s, ok := addChecked(want, exact); ok && !wantOver {
				want = s
			} else {
				wantIssues = append(wantIssues, testIssue{i, false, true})
				wantOver = true // later records of the chunk may still fit: recomputed below
				continue
			}
			if chunk[j].Amount != exact {
				t.Fatalf("%v (%+v): RateBatch %d, exact %d", recs[i], chunk[j], chunk[j].Amount, exact)
			}
			// Ordinary: v1 in 2026 without a mid-month price change (in
			// one month or across month ends and the July change).
			if m, me := MonthOf(recs[i].Start, tz), MonthOf(recs[i].End.Add(-time.Nanosecond), tz); recs[i].Vendor == "v1" &&
				recs[i].Quantity < 200000 && m.Year == 2026 && me.Year == 2026 && m.Month <= 9 && me.Month <= 9 && recs[i].Start.Before(recs[i].End) {
				ordinary++
				if _, ok := r.ft.rate(chunk[j].Key, chunk[j].Quantity, chunk[j].Start, chunk[j].End); ok {
					fast++
				}
			}
		}
		if !wantOver && total != want {
			t.Fatalf("batch %d: total %d, want %d", lo/1000, total, want)
		}
		if wantOver {
			// Overflow of the running total depends on order; compare the
			// rated records' sum instead.
			var s int64
			for _, u := range chunk {
				s += u.Amount
			}
			if s != total {
				t.Fatalf("batch %d: total %d, amounts sum to %d", lo/1000, total, s)
			}
			gotIssues = dropOverflows(gotIssues, lo, lo+1000)
			wantIssues = dropOverflows(wantIssues, lo, lo+1000)
		}
	}
	if diff := cmp.Diff(wantIssues, gotIssues); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
	if fast != ordinary || ordinary < 1000 {
		t.Errorf("fast path took %d of %d ordinary 2026 records", fast, ordinary)
	}
	t.Logf("fast path: %d of %d ordinary records; %d issues", fast, ordinary, len(gotIssues))
}

type testIssue struct {
	Index   int
	NoPrice bool
	Over    bool
}

// dropOverflows drops overflow issues in [lo, hi): which record overflows a
// batch total depends on the order of the additions.
func dropOverflows(s []testIssue, lo, hi int) []testIssue {
	out := s[:0]
	for _, x := range s {
		if x.Index >= lo && x.Index < hi && x.Over {
			continue
		}
		out = append(out, x)
	}
	return out
}

// TestRecipDivRound: the multiply-shift division with half-up rounding
// equals big.Int arithmetic for every divisor on random and edge numerators.
func TestRecipDivRound(t *testing.T) {
	var ft fastTables
	ft.initRecips()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rc := range ft.recips {
		d := rc.d
		lim := uint64(math.MaxInt64) - rc.h
		ns := []uint64{0, 1, rc.h - 1, rc.h, rc.h + 1, d - 1, d, d + 1, lim, lim - 1, lim - d, lim / d * d, lim/d*d - 1, lim/d*d - rc.h}
		for range 20000 {
			ns = append(ns, rng.Uint64N(lim+1), rng.Uint64N(1<<40), rng.Uint64N(d)*d+rc.h-uint64(rng.IntN(2)))
		}
		for _, n := range ns {
			if n > lim {
				continue
			}
			want := new(big.Int).SetUint64(n)
			want.Lsh(want, 1).Add(want, new(big.Int).SetUint64(d)).Quo(want, new(big.Int).SetUint64(2*d))
			if got := rc.divRound(n); got != want.Uint64() {
				t.Fatalf("divRound(%d / %d) = %d, want %d", n, d, got, want.Uint64())
			}
		}
	}
}

// TestRateBatchSlowLocation: without a fixed offset there are no tables and
// RateBatch gives Rate's results through the calendar path.
func TestRateBatchSlowLocation(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	r := NewRater(fastCatalog(t), loc)
	if r.ft != nil {
		t.Fatal("fast tables for a location with daylight saving time")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	items := []string{"IAAS-ECS-VCPU", "IAAS-EVS-SSD", "PAAS-RDS-HOUR", "SVC-MIG-ONCE"}
	for range 2000 {
		rec := randomRecord(rng, items)
		u, err := r.Compact(rec)
		if err != nil {
			t.Fatal(err)
		}
		want, werr := r.Rate(rec, time.Time{}, time.Time{}, nil)
		us := []CompactUsage{u}
		got, iss := r.RateBatch(us)
		if (werr == nil) != (len(iss) == 0) || (werr == nil && got != want) {
			t.Fatalf("%v: RateBatch %d %v, Rate %d %v", rec, got, iss, want, werr)
		}
	}
}

func TestCompactAndKeyErrors(t *testing.T) {
	r := NewRater(fastCatalog(t), tz)
	rec := UsageRecord{Key: "k", Vendor: "v1", Item: "IAAS-ECS-VCPU", Quantity: Units(1), Start: tm(2026, 3, 1, 0, 0), End: tm(2026, 3, 2, 0, 0)}
	bad := func(f func(*UsageRecord)) UsageRecord { c := rec; f(&c); return c }
	for _, tc := range []struct {
		name string
		rec  UsageRecord
		want error
	}{
		{"unknown item", bad(func(u *UsageRecord) { u.Item = "IAAS-NOPE-X" }), ErrUnknownItem},
		{"negative", bad(func(u *UsageRecord) { u.Quantity = -1 }), ErrNegative},
		{"vendor without price", bad(func(u *UsageRecord) { u.Vendor = "v9" }), ErrNoPrice},
	} {
		if _, err := r.Compact(tc.rec); !errors.Is(err, tc.want) {
			t.Errorf("%s: Compact: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := r.Key("IAAS-ECS-VCPU", "v9"); !errors.Is(err, ErrNoPrice) {
		t.Errorf("Key without price: %v", err)
	}
	us := []CompactUsage{{Key: 9999, Quantity: 1, Start: 1, End: 2}, {Key: 0, Quantity: -5, Start: 1, End: 2}}
	if _, iss := r.RateBatch(us); len(iss) != 2 || !errors.Is(iss[0].Err, ErrInvalid) || !errors.Is(iss[1].Err, ErrNegative) {
		t.Errorf("bad compact records: %v", iss)
	}
	// One-time and empty intervals.
	once, _ := r.Compact(bad(func(u *UsageRecord) { u.Item = "SVC-MIG-ONCE"; u.End = u.Start }))
	empty, _ := r.Compact(bad(func(u *UsageRecord) { u.End = u.Start }))
	if once.End != once.Start+1 || empty.End != empty.Start {
		t.Errorf("one-time %+v, empty %+v", once, empty)
	}
}

// TestRateBatchDoesNotAllocate guards the batch hot path.
func TestRateBatchDoesNotAllocate(t *testing.T) {
	r := NewRater(fastCatalog(t), tz)
	rng := rand.New(rand.NewPCG(1, 1))
	var us []CompactUsage
	for len(us) < 512 {
		rec := randomRecord(rng, []string{"IAAS-ECS-VCPU", "IAAS-GPU-HOUR", "PAAS-RDS-HOUR"})
		rec.Vendor, rec.Quantity = "v1", Quantity(rng.Int64N(100000))
		if rec.Start.Year() != 2026 {
			continue
		}
		u, err := r.Compact(rec)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	allocs := testing.AllocsPerRun(50, func() {
		if _, iss := r.RateBatch(us); len(iss) != 0 {
			t.Fatal(iss)
		}
	})
	if allocs != 0 {
		t.Errorf("RateBatch allocates %.1f times per batch", allocs)
	}
}

// TestRateBatchConcurrent: one fresh Rater rates batches from several
// goroutines (run with -race); every goroutine gets the same amounts.
func TestRateBatchConcurrent(t *testing.T) {
	r := NewRater(fastCatalog(t), tz)
	rng := rand.New(rand.NewPCG(8, 8))
	var base []CompactUsage
	for len(base) < 2000 {
		rec := randomRecord(rng, []string{"IAAS-ECS-VCPU", "IAAS-NET-BW", "PAAS-RDS-HOUR"})
		if u, err := r.Compact(rec); err == nil {
			base = append(base, u)
		}
	}
	// The reference comes from another Rater, so the goroutines also race
	// to build r's batch tables on their first call.
	want := append([]CompactUsage(nil), base...)
	NewRater(fastCatalog(t), tz).RateBatch(want)
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			us := append([]CompactUsage(nil), base...)
			r.RateBatch(us)
			errs <- cmp.Diff(want, us)
		}()
	}
	for range 4 {
		if d := <-errs; d != "" {
			t.Errorf("concurrent batch differs:\n%s", d)
		}
	}
}

// TestUnitMagic: unitDiv is ⌊x/u⌋ for every unit on both sides of every
// multiple of u below 2³¹ and on random x.
func TestUnitMagic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, u := range []uint64{3600, 86400, onceUnit} {
		m := unitMagic(u)
		check := func(x uint64) {
			if x >= 1<<31 {
				return
			}
			if got := unitDiv(x, m); got != x/u {
				t.Fatalf("unitDiv(%d) for u=%d: %d, want %d", x, u, got, x/u)
			}
		}
		for k := uint64(0); k*u < 1<<31; k++ {
			for _, d := range []uint64{0, 1, u / 2, u - 1} {
				check(k*u + d)
				check(k*u - 1)
			}
		}
		for range 100000 {
			check(rng.Uint64N(1 << 31))
		}
	}
	// A constant factor counts one whatever the piece (e + 2³¹ < 2³²).
	m := unitMagic(onceUnit)
	for _, e := range []uint64{1, 86400, 1<<31 - 1} {
		if n := unitDiv(e+onceUnit, m) - unitDiv(e-1, m); n != 1 {
			t.Errorf("constant factor at %d: %d", e, n)
		}
	}
}

// rateRef rates u through Rate's general path (no tables at all), as the
// reference for the batch kernel; a one-time item is charged at Start.
func rateRef(r *Rater, u CompactUsage) (int64, error) {
	return r.rateSlow(&u)
}

// randomCompact returns a record for RateBatch: mostly resolved by Compact
// from randomRecord, sometimes altered the way a caller could build one by
// hand (End before Start, a one-time item with a long interval, times far
// outside the tables, a key not issued, a negative quantity).
func randomCompact(t *testing.T, r *Rater, rng *rand.Rand, items []string) (CompactUsage, bool) {
	rec := randomRecord(rng, items)
	u, err := r.Compact(rec)
	if err != nil {
		return u, false
	}
	switch rng.IntN(12) {
	case 0:
		u.End = u.Start - rng.Int64N(100000)
	case 1:
		u.End = u.Start + rng.Int64N(90*86400)
	case 2:
		u.Start += []int64{math.MaxInt64 / 2, math.MinInt64 / 2, 1 << 33, -(1 << 33)}[rng.IntN(4)]
	case 3:
		u.Key = RateKey([]int32{-1, int32(len(r.keys)), math.MaxInt32}[rng.IntN(3)])
	case 4:
		u.Quantity = -u.Quantity - 1
	}
	u.Amount = rng.Int64N(1000) // RateBatch overwrites it
	return u, true
}

// errKind names the sentinel err matches ("" for nil).
func errKind(err error) string {
	for _, s := range []error{ErrNoPrice, ErrOverflow, ErrNegative, ErrInvalid, ErrUnknownItem} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

// TestRateBatchKernelMatchesReference: every record rated by the batch
// kernel, the per-month tables or the general path gets exactly what Rate's
// general path gives it (issues alike), for random records including hand
// built ones; and the kernel itself takes almost every ordinary record.
func TestRateBatchKernelMatchesReference(t *testing.T) {
	r := NewRater(fastCatalog(t), tz)
	if r.ft == nil || r.ft.batchTables(r) == nil {
		t.Fatal("no batch tables for a fixed-offset location")
	}
	items := []string{"IAAS-ECS-VCPU", "IAAS-EVS-SSD", "IAAS-NET-BW", "PAAS-RDS-INST", "PAAS-RDS-HOUR", "IAAS-GPU-HOUR", "SVC-MIG-ONCE"}
	rng := rand.New(rand.NewPCG(31, 32))
	kernel, ordinary := 0, 0
	for range 400 {
		var us []CompactUsage
		for len(us) < batchBlock {
			if u, ok := randomCompact(t, r, rng, items); ok {
				us = append(us, u)
			}
		}
		in := append([]CompactUsage(nil), us...)
		_, rest := r.ft.batch.rateBlock(append([]CompactUsage(nil), us...))
		total, issues := r.RateBatch(us)
		bad := map[int]error{}
		for _, is := range issues {
			bad[is.Index] = is.Err
		}
		var want int64
		for j, u := range in {
			amt, err := rateRef(r, u)
			if err == nil && want+amt < 0 {
				err = ErrOverflow // the batch total wraps: RateBatch reports it
			}
			gotErr := bad[j]
			if errKind(gotErr) != errKind(err) {
				t.Fatalf("%+v: RateBatch issue %v, reference %v", u, gotErr, err)
			}
			if err != nil {
				if us[j].Amount != 0 {
					t.Fatalf("%+v: issue %v but Amount %d", u, err, us[j].Amount)
				}
				continue
			}
			if us[j].Amount != amt {
				t.Fatalf("%+v: RateBatch %d, reference %d", u, us[j].Amount, amt)
			}
			want += amt
			if k := &r.keys[u.Key]; k.vendor == "v1" && u.Quantity < 200000 && u.End > u.Start &&
				u.Start >= tm(2026, 1, 1, 0, 0).Unix() && u.End <= tm(2026, 10, 1, 0, 0).Unix() &&
				(k.item.it.Basis != OneTime || u.End == u.Start+1) && u.End-u.Start < 20*86400 {
				ordinary++
				if rest&(1<<j) == 0 {
					kernel++
				}
			}
		}
		if total != want {
			t.Fatalf("total %d, want %d", total, want)
		}
	}
	// Ordinary: v1 in 2026 before the mid-October change, at most one
	// month end crossed (the July change is on a month end).
	if ordinary < 1000 || kernel != ordinary {
		t.Errorf("batch kernel took %d of %d ordinary records", kernel, ordinary)
	}
	t.Logf("batch kernel: %d of %d ordinary records", kernel, ordinary)
}

// FuzzRateBatch: RateBatch agrees with Rate's general path on any record.
func FuzzRateBatch(f *testing.F) {
	r := NewRater(fastCatalog(f), tz)
	base := tm(2026, 1, 1, 0, 0).Unix()
	f.Add(int32(0), int64(1000), int64(0), int64(86400))
	f.Add(int32(2), int64(5), int64(31*86400-3600), int64(7200))
	f.Add(int32(6), int64(1<<40), int64(180*86400), int64(1))
	f.Add(int32(9), int64(-1), int64(-5), int64(-5))
	f.Fuzz(func(t *testing.T, key int32, q, start, dur int64) {
		u := CompactUsage{Key: RateKey(key), Quantity: Quantity(q), Start: base + start, End: base + start + dur}
		want, werr := rateRef(r, u)
		us := []CompactUsage{u}
		got, iss := r.RateBatch(us)
		if (werr == nil) != (len(iss) == 0) || (werr == nil && (got != want || us[0].Amount != want)) {
			t.Fatalf("%+v: RateBatch %d %v, reference %d %v", u, got, iss, want, werr)
		}
		// A whole block, so the kernel's main loop runs too: the record
		// shifted by 3,607 s at a time, with neighbouring keys and
		// quantities.
		blk := make([]CompactUsage, batchBlock)
		for j := range blk {
			sh := int64(j) * 3607
			blk[j] = CompactUsage{Key: RateKey(key + int32(j%3)), Quantity: Quantity(q + int64(j)), Start: u.Start + sh, End: u.End + sh}
		}
		in := append([]CompactUsage(nil), blk...)
		_, iss = r.RateBatch(blk)
		bad := map[int]error{}
		for _, is := range iss {
			bad[is.Index] = is.Err
		}
		for j, v := range in {
			want, werr := rateRef(r, v)
			switch {
			case werr != nil && bad[j] == nil:
				t.Fatalf("%+v in a block: rated %d, reference %v", v, blk[j].Amount, werr)
			case werr == nil && bad[j] != nil && !errors.Is(bad[j], ErrOverflow):
				t.Fatalf("%+v in a block: issue %v, reference %d", v, bad[j], want)
			}
			if werr != nil || bad[j] != nil { // an issue, or one that overflows the total
				continue
			}
			if blk[j].Amount != want {
				t.Fatalf("%+v in a block: RateBatch %d, reference %d", v, blk[j].Amount, want)
			}
		}
	})
}

// TestRateBatchWindow: with price versions from 2005 and 2026-04, the
// batch tables cover five years on either side of 2026-04; records before
// the window, inside it and after it all get the reference amounts, and the
// kernel takes those inside the window.
func TestRateBatchWindow(t *testing.T) {
	items := []Item{
		{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: Monthly, Proration: ProrateDays},
		{Code: "IAAS-GPU-HOUR", Name: "GPU", Unit: "卡·时", Basis: Hourly, Proration: ProrateNone},
	}
	var prices []Price
	for _, it := range items {
		prices = append(prices,
			Price{Item: it.Code, Vendor: "v1", UnitPrice: 1234, From: day(2005, 3, 1)},
			Price{Item: it.Code, Vendor: "v1", UnitPrice: 1111, From: day(2026, 4, 1)})
	}
	c, err := NewCatalog(items, prices)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRater(c, tz)
	bt := r.ft.batchTables(r)
	if bt == nil {
		t.Fatal("no batch tables")
	}
	if first := time.Unix(-bt.rel, 0).In(tz); first != tm(2021, 4, 1, 0, 0) {
		t.Errorf("window starts %v, want 2021-04-01", first)
	}
	rng := rand.New(rand.NewPCG(41, 42))
	kernel, inWindow := 0, 0
	for range 200 {
		var us []CompactUsage
		for len(us) < batchBlock {
			start := tm(2006+rng.IntN(40), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60))
			rec := UsageRecord{Key: "k", Source: SourceVendor, Vendor: "v1", Department: "d", Item: items[rng.IntN(2)].Code,
				Quantity: Quantity(rng.Int64N(100000)), Start: start, End: start.Add(time.Duration(1+rng.Int64N(72*3600)) * time.Second)}
			u, err := r.Compact(rec)
			if err != nil {
				t.Fatal(err)
			}
			us = append(us, u)
		}
		in := append([]CompactUsage(nil), us...)
		_, rest := bt.rateBlock(append([]CompactUsage(nil), us...))
		if _, iss := r.RateBatch(us); len(iss) != 0 {
			t.Fatal(iss)
		}
		for j, u := range in {
			want, err := rateRef(r, u)
			if err != nil || us[j].Amount != want {
				t.Fatalf("%+v: RateBatch %d, reference %d %v", u, us[j].Amount, want, err)
			}
			if y := time.Unix(u.Start, 0).In(tz).Year(); y >= 2022 && y <= 2030 {
				inWindow++
				if rest&(1<<j) == 0 {
					kernel++
				}
			}
		}
	}
	// Records crossing a month end go to the second loop, still the kernel.
	if inWindow < 1000 || kernel != inWindow {
		t.Errorf("kernel took %d of %d records inside the window", kernel, inWindow)
	}
}

// TestBatchCellsInvariants: what the kernel's arithmetic relies on holds
// for every cell of the batch tables: a cell starts at a local midnight (so
// units counted from its start are counted from midnight), its span lies
// inside its month (elim − from ≥ tspan, below 2³¹), and the quantity bound
// keeps q·price·744 + d/2 inside int64.
func TestBatchCellsInvariants(t *testing.T) {
	r := NewRater(fastCatalog(t), tz)
	bt := r.ft.batchTables(r)
	if bt == nil {
		t.Fatal("no batch tables")
	}
	if got, want := uint64(len(bt.cells)), bt.stride*uint64(len(r.keys)); got != want {
		t.Fatalf("%d cells, want %d (stride %d × %d keys)", got, want, bt.stride, len(r.keys))
	}
	live := 0
	for i, c := range bt.cells {
		if c.tspan == 0 {
			continue
		}
		live++
		if c.from%86400 != 0 {
			t.Errorf("cell %d starts %d s after base, not at a midnight", i, c.from)
		}
		if c.elim < c.from || c.elim-c.from < c.tspan || c.elim >= 1<<31 {
			t.Errorf("cell %d: from %d, tspan %d, elim %d", i, c.from, c.tspan, c.elim)
		}
		if hi, lo := bits.Mul64(c.maxQ, c.price*maxNum); hi != 0 || lo > math.MaxInt64-c.rh {
			t.Errorf("cell %d: maxQ %d × price %d × %d + %d leaves int64", i, c.maxQ, c.price, maxNum, c.rh)
		}
	}
	if live < len(r.keys)*12 {
		t.Errorf("%d live cells for %d keys", live, len(r.keys))
	}
}

// TestRateBatchWindowLargeCatalog: a catalog too large for ten years of
// cells gets a shorter window centred on its latest price version, so that
// usage in the two years after that version still takes the kernel (and is
// rated like the reference).
func TestRateBatchWindowLargeCatalog(t *testing.T) {
	var items []Item
	var prices []Price
	for i := range 1100 {
		code := fmt.Sprintf("IAAS-X-%04d", i)
		items = append(items, Item{Code: code, Name: "资源", Unit: "个·月", Basis: Monthly, Proration: ProrateDays})
		for _, v := range []string{"v1", "v2"} {
			prices = append(prices, Price{Item: code, Vendor: v, UnitPrice: int64(1000 + i), From: day(2020, 1, 1)},
				Price{Item: code, Vendor: v, UnitPrice: int64(900 + i), From: day(2026, 4, 1)})
		}
	}
	c, err := NewCatalog(items, prices)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRater(c, tz)
	if r.ft == nil || r.ft.batchTables(r) == nil {
		t.Fatal("no batch tables")
	}
	var us []CompactUsage
	for m := range 24 { // 2026-05 … 2028-04
		start := tm(2026, time.Month(5+m), 3, 8, 0)
		u, err := r.Compact(UsageRecord{Key: "k", Source: SourceVendor, Vendor: "v2", Department: "d", Item: items[m*41%1100].Code,
			Quantity: 2500, Start: start, End: start.Add(50 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	for len(us) < batchBlock {
		us = append(us, us[len(us)%24])
	}
	in := append([]CompactUsage(nil), us...)
	if _, rest := r.ft.batch.rateBlock(us); rest != 0 {
		t.Errorf("kernel left %064b to the general path", rest)
	}
	for j, u := range in {
		want, err := rateRef(r, u)
		if err != nil || us[j].Amount != want {
			t.Fatalf("%+v: kernel %d, reference %d %v", u, us[j].Amount, want, err)
		}
	}
}
