package billing

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var tz = time.FixedZone("CST", 8*3600)

func tm(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, tz) }

func day(y int, m time.Month, d int) Date { return Date{y, m, d} }

func testCatalog(t testing.TB) *Catalog {
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
	prices := []Price{
		{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 5000, From: day(2026, 1, 1)},
		{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 4500, From: day(2026, 3, 16)},
		{Item: "IAAS-EVS-SSD", Vendor: "v1", UnitPrice: 100, From: day(2026, 1, 1), To: day(2026, 6, 1)},
		{Item: "IAAS-NET-BW", Vendor: "v1", UnitPrice: 3100, From: day(2026, 1, 1)},
		{Item: "IAAS-NET-BW", Vendor: "v1", UnitPrice: 6200, From: day(2026, 1, 20)},
		{Item: "PAAS-RDS-INST", Vendor: "v1", UnitPrice: 1000, From: day(2026, 1, 1)},
		{Item: "PAAS-RDS-HOUR", Vendor: "v1", UnitPrice: 2400, From: day(2026, 1, 1)},
		{Item: "IAAS-GPU-HOUR", Vendor: "v1", UnitPrice: 1234, From: day(2026, 1, 1)},
		{Item: "SVC-MIG-ONCE", Vendor: "v1", UnitPrice: 200000, From: day(2026, 1, 1)},
	}
	c, err := NewCatalog(items, prices)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type pieceSum struct {
	Month    string
	Price    int64
	Num, Den int64
	Amount   int64
}

func TestRateProration(t *testing.T) {
	r := NewRater(testCatalog(t), tz)
	tests := []struct {
		name       string
		item       string
		q          Quantity
		start, end time.Time
		want       []pieceSum
	}{
		{"monthly by days, 22 of 31", "IAAS-ECS-VCPU", Units(4), tm(2026, 1, 10, 0, 0), tm(2026, 2, 1, 0, 0),
			[]pieceSum{{"2026-01", 5000, 22, 31, 14194}}}, // 440000/31 = 14193.548
		{"started day counts", "IAAS-ECS-VCPU", Units(1), tm(2026, 2, 27, 23, 0), tm(2026, 3, 1, 0, 30),
			[]pieceSum{{"2026-02", 5000, 2, 28, 357}, {"2026-03", 5000, 1, 31, 161}}}, // 357.14, 161.29
		{"price change splits", "IAAS-ECS-VCPU", Units(1), tm(2026, 3, 1, 0, 0), tm(2026, 4, 1, 0, 0),
			[]pieceSum{{"2026-03", 5000, 15, 31, 2419}, {"2026-03", 4500, 16, 31, 2323}}},
		{"half up", "IAAS-ECS-VCPU", Quantity(1), tm(2026, 4, 1, 0, 0), tm(2026, 4, 2, 0, 0),
			[]pieceSum{{"2026-04", 4500, 1, 30, 0}}}, // 0.001×4500/30 = 0.15
		{"half up exactly half", "IAAS-ECS-VCPU", Quantity(10), tm(2026, 4, 1, 0, 0), tm(2026, 4, 4, 0, 0),
			[]pieceSum{{"2026-04", 4500, 3, 30, 5}}}, // 0.01×4500×3/30 = 4.5 → 5
		{"monthly by hours", "IAAS-EVS-SSD", Units(100), tm(2026, 1, 1, 0, 0), tm(2026, 1, 1, 10, 30),
			[]pieceSum{{"2026-01", 100, 11, 744, 148}}},
		{"monthly none: whole month at the entry price", "IAAS-NET-BW", Units(10), tm(2026, 1, 15, 0, 0), tm(2026, 2, 3, 0, 0),
			[]pieceSum{{"2026-01", 3100, 1, 1, 31000}, {"2026-02", 6200, 1, 1, 62000}}},
		{"daily none: days touched", "PAAS-RDS-INST", Units(2), tm(2026, 1, 30, 12, 0), tm(2026, 2, 2, 1, 0),
			[]pieceSum{{"2026-01", 1000, 2, 1, 4000}, {"2026-02", 1000, 2, 1, 4000}}},
		{"daily by hours", "PAAS-RDS-HOUR", Units(1), tm(2026, 1, 1, 0, 0), tm(2026, 1, 1, 5, 1),
			[]pieceSum{{"2026-01", 2400, 6, 24, 600}}},
		{"hourly", "IAAS-GPU-HOUR", Quantity(1500), tm(2026, 1, 31, 22, 30), tm(2026, 2, 1, 2, 0),
			[]pieceSum{{"2026-01", 1234, 2, 1, 3702}, {"2026-02", 1234, 2, 1, 3702}}},
		{"one-time", "SVC-MIG-ONCE", Units(1), tm(2026, 1, 20, 0, 0), tm(2026, 1, 20, 0, 0),
			[]pieceSum{{"2026-01", 200000, 1, 1, 200000}}},
		{"zero length", "IAAS-ECS-VCPU", Units(1), tm(2026, 1, 20, 0, 0), tm(2026, 1, 20, 0, 0), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := UsageRecord{Key: "k", Source: SourceVendor, Vendor: "v1", Department: "d", Item: tc.item, Quantity: tc.q, Start: tc.start, End: tc.end}
			var got []pieceSum
			total, err := r.Rate(rec, time.Time{}, time.Time{}, func(p Piece) {
				got = append(got, pieceSum{p.Month.String(), p.UnitPrice, p.Num, p.Den, p.Amount})
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pieces (-want +got):\n%s", diff)
			}
			var sum int64
			for _, p := range got {
				sum += p.Amount
			}
			if total != sum {
				t.Errorf("total %d, pieces sum to %d", total, sum)
			}
		})
	}
}

func TestRateClipAndNoPrice(t *testing.T) {
	r := NewRater(testCatalog(t), tz)
	rec := UsageRecord{Key: "k", Source: SourceVendor, Vendor: "v1", Department: "d", Item: "IAAS-ECS-VCPU",
		Quantity: Units(1), Start: tm(2026, 1, 20, 0, 0), End: tm(2026, 3, 1, 0, 0)}
	feb := Month{2026, 2}
	amt, err := r.Rate(rec, feb.Start(tz), feb.End(tz), nil)
	if err != nil || amt != 5000 {
		t.Errorf("February clip: %d, %v; want 5000", amt, err)
	}
	// The SSD price is closed on 2026-06-01: June usage has no price.
	ssd := rec
	ssd.Item = "IAAS-EVS-SSD"
	ssd.Start, ssd.End = tm(2026, 5, 31, 0, 0), tm(2026, 6, 2, 0, 0)
	called := false
	_, err = r.Rate(ssd, time.Time{}, time.Time{}, func(Piece) { called = true })
	var npe *NoPriceError
	if !errors.As(err, &npe) || !npe.At.Equal(tm(2026, 6, 1, 0, 0)) || called {
		t.Errorf("gap: err %v (emit called %v), want NoPriceError at 2026-06-01", err, called)
	}
	other := rec
	other.Vendor = "v9"
	if _, err := r.Rate(other, time.Time{}, time.Time{}, nil); !errors.Is(err, ErrNoPrice) {
		t.Errorf("vendor without price: %v", err)
	}
	unknown := rec
	unknown.Item = "IAAS-NOPE-X"
	if _, err := r.Rate(unknown, time.Time{}, time.Time{}, nil); !errors.Is(err, ErrUnknownItem) {
		t.Errorf("unknown item: %v", err)
	}
}

// TestRateDoesNotAllocate guards the hot path.
func TestRateDoesNotAllocate(t *testing.T) {
	r := NewRater(testCatalog(t), tz)
	rec := UsageRecord{Key: "k", Source: SourceVendor, Vendor: "v1", Department: "d", Item: "IAAS-ECS-VCPU",
		Quantity: Units(4), Start: tm(2026, 2, 20, 0, 0), End: tm(2026, 4, 3, 0, 0)}
	var sum int64
	emit := func(p Piece) { sum += p.Amount }
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := r.Rate(rec, time.Time{}, time.Time{}, emit); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Rate allocates %.1f times per record", allocs)
	}
}

// TestMulDivRoundProperty compares the int64 path with exact big.Rat
// arithmetic on random inputs, including ones that overflow 64 bits.
func TestMulDivRoundProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var a, b, c int64
		switch i % 3 {
		case 0:
			a, b, c = rng.Int64N(1e6), rng.Int64N(1e6), rng.Int64N(1000)
		case 1:
			a, b, c = rng.Int64N(math.MaxInt64/1000), rng.Int64N(1e12), rng.Int64N(744)+1
		default:
			a, b, c = rng.Int64N(1e9), rng.Int64N(1e9), rng.Int64N(1e4)
		}
		d := rng.Int64N(744000) + 1
		n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
		n.Mul(n, big.NewInt(c))
		// half up: floor((2n + d) / 2d)
		want := new(big.Int).Add(new(big.Int).Lsh(n, 1), big.NewInt(d))
		want.Quo(want, big.NewInt(2*d))
		got, ok := mulDivRound(a, b, c, d)
		if !want.IsInt64() {
			if ok {
				t.Fatalf("mulDivRound(%d,%d,%d,%d) = %d, want overflow", a, b, c, d, got)
			}
			continue
		}
		if !ok || got != want.Int64() {
			t.Fatalf("mulDivRound(%d,%d,%d,%d) = %d,%v, want %d", a, b, c, d, got, ok, want.Int64())
		}
	}
}

func TestRoundDiv(t *testing.T) {
	for _, tc := range []struct{ n, d, want int64 }{
		{5, 10, 1}, {4, 10, 0}, {-5, 10, -1}, {-4, 10, 0}, {15, 10, 2}, {25, 10, 3}, {-25, 10, -3}, {0, 7, 0}, {7, 7, 1},
	} {
		if got := roundDiv(tc.n, tc.d); got != tc.want {
			t.Errorf("roundDiv(%d, %d) = %d, want %d", tc.n, tc.d, got, tc.want)
		}
	}
}

// TestRateSplitsAddUp: rating a record whole equals rating it month by
// month (random records, fixed seed), so statements per month never lose or
// double a piece.
func TestRateSplitsAddUp(t *testing.T) {
	r := NewRater(testCatalog(t), tz)
	rng := rand.New(rand.NewPCG(7, 9))
	items := []string{"IAAS-ECS-VCPU", "IAAS-EVS-SSD", "PAAS-RDS-INST", "PAAS-RDS-HOUR", "IAAS-GPU-HOUR"}
	base := tm(2026, 1, 1, 0, 0)
	for i := 0; i < 2000; i++ {
		start := base.Add(time.Duration(rng.Int64N(120*24*60)) * time.Minute)
		end := start.Add(time.Duration(rng.Int64N(40*24*60)) * time.Minute)
		rec := UsageRecord{Key: "k", Source: SourceVendor, Vendor: "v1", Department: "d", Item: items[rng.IntN(len(items))],
			Quantity: Quantity(rng.Int64N(100000)), Start: start, End: end}
		whole, err := r.Rate(rec, time.Time{}, time.Time{}, nil)
		if errors.Is(err, ErrNoPrice) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var parts int64
		for m := MonthOf(start, tz); !MonthOf(end, tz).Before(m); m = m.Next() {
			a, err := r.Rate(rec, m.Start(tz), m.End(tz), nil)
			if err != nil {
				t.Fatal(err)
			}
			parts += a
		}
		if whole != parts {
			t.Fatalf("%v: whole %d, by month %d", rec, whole, parts)
		}
	}
}

// TestFastPathMatchesCalendarPath: the int64-seconds path and the
// time.Time calendar path give identical pieces on random records.
func TestFastPathMatchesCalendarPath(t *testing.T) {
	fast := NewRater(testCatalog(t), tz)
	slow := NewRater(testCatalog(t), tz)
	slow.fixed = false
	if !fast.fixed {
		t.Fatal("CST not detected as a fixed offset")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	items := []string{"IAAS-ECS-VCPU", "IAAS-EVS-SSD", "IAAS-NET-BW", "PAAS-RDS-INST", "PAAS-RDS-HOUR", "IAAS-GPU-HOUR", "SVC-MIG-ONCE"}
	base := tm(2025, 12, 1, 0, 0)
	for i := 0; i < 5000; i++ {
		start := base.Add(time.Duration(rng.Int64N(220*24*3600)) * time.Second)
		if i%7 == 0 { // around the end of the fast path's month table
			start = tm(2200, 11, 1, 0, 0).Add(time.Duration(rng.Int64N(120*24*3600)) * time.Second)
		}
		if i%3 == 0 {
			start = start.Add(time.Duration(rng.Int64N(1e9)))
		}
		end := start.Add(time.Duration(rng.Int64N(70*24*3600)) * time.Second)
		if i%5 == 0 {
			end = end.Add(time.Duration(rng.Int64N(1e9)))
		}
		rec := UsageRecord{Key: "k", Vendor: "v1", Item: items[rng.IntN(len(items))], Quantity: Quantity(rng.Int64N(1e6)), Start: start, End: end}
		var from, to time.Time
		if i%2 == 0 {
			m := MonthOf(start, tz)
			from, to = m.Start(tz), m.Next().End(tz)
		}
		pf, ef := fast.ratePieces(rec, from, to)
		ps, es := slow.ratePieces(rec, from, to)
		if (ef == nil) != (es == nil) || (ef != nil && ef.Error() != es.Error()) {
			t.Fatalf("%v: errors differ: fast %v, slow %v", rec, ef, es)
		}
		if diff := cmp.Diff(ps, pf); diff != "" {
			t.Fatalf("%v: pieces differ (-slow +fast):\n%s", rec, diff)
		}
	}
}
