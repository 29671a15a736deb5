package ratebench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"time"

	"github.com/opengovcloud/govcloud/billing"
)

// Loc is the billing location.
var Loc = time.FixedZone("CST", 8*3600)

// ChunkSize is the number of records generated, rated and summed at a time.
const ChunkSize = 4096

// Template is a usage record and its amount rated once up front.
type Template struct {
	Rec    billing.UsageRecord
	Amount int64
}

// Catalog returns the benchmark catalog: five items of every basis, two
// vendors, a mid-year price change.
func Catalog() *billing.Catalog {
	d := func(m time.Month, day int) billing.Date { return billing.Date{Year: 2026, Month: m, Day: day} }
	items := []billing.Item{
		{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: billing.Monthly, Proration: billing.ProrateDays},
		{Code: "IAAS-ECS-MEM", Name: "云主机内存", Unit: "GiB·月", Basis: billing.Monthly, Proration: billing.ProrateHours},
		{Code: "IAAS-NET-BW", Name: "带宽", Unit: "Mbps·月", Basis: billing.Monthly, Proration: billing.ProrateNone},
		{Code: "PAAS-RDS-INST", Name: "云数据库", Unit: "实例·日", Basis: billing.Daily, Proration: billing.ProrateHours},
		{Code: "IAAS-GPU-HOUR", Name: "GPU", Unit: "卡·时", Basis: billing.Hourly, Proration: billing.ProrateNone},
	}
	var prices []billing.Price
	for i, it := range items {
		for j, v := range []string{"v1", "v2"} {
			base := int64(1000*(i+1) + 7*j)
			prices = append(prices,
				billing.Price{Item: it.Code, Vendor: v, UnitPrice: base, From: d(1, 1)},
				billing.Price{Item: it.Code, Vendor: v, UnitPrice: base * 9 / 10, From: d(7, 1)})
		}
	}
	c, err := billing.NewCatalog(items, prices)
	if err != nil {
		panic(err)
	}
	return c
}

// Gen generates usage records spread over 2026 from a fixed seed: random
// item, vendor, department, quantity (0.001–64 units), start and a duration
// of 1–72 hours, so about 7 % of the records cross a month end or the July
// price change.
type Gen struct {
	rng *rand.Rand
	i   int
}

// NewGen returns a generator with a fixed seed.
func NewGen(seed uint64) *Gen { return &Gen{rng: rand.New(rand.NewPCG(seed, 2026))} }

var (
	genItems   = []string{"IAAS-ECS-VCPU", "IAAS-ECS-MEM", "IAAS-NET-BW", "PAAS-RDS-INST", "IAAS-GPU-HOUR"}
	genVendors = []string{"v1", "v2"}
	genDepts   = []string{"d01", "d02", "d03", "d04", "d05", "d06", "d07", "d08"}
	genBase    = time.Date(2026, 1, 1, 0, 0, 0, 0, Loc)
)

// Record returns the next record.
func (g *Gen) Record() billing.UsageRecord {
	rng := g.rng
	start := genBase.Add(time.Duration(rng.Int64N(360*24))*time.Hour + time.Duration(rng.Int64N(3600))*time.Second)
	end := start.Add(time.Duration(rng.Int64N(72*3600)+1) * time.Second)
	g.i++
	return billing.UsageRecord{Key: "k", Source: billing.SourceVendor, Vendor: genVendors[rng.IntN(2)],
		Department: genDepts[rng.IntN(len(genDepts))], Item: genItems[rng.IntN(len(genItems))],
		Quantity: billing.Quantity(rng.Int64N(64000) + 1), Start: start, End: end}
}

// Chunk is a batch of generated records in both forms, each with its amount
// precomputed by the reference path: Rate with a piece sink, which walks
// month by month and never uses the single-piece tables.
type Chunk struct {
	T []Template             // full records + amount
	U []billing.CompactUsage // the same records resolved; Amount precomputed
}

// Fill replaces c's records with n fresh ones (reusing c's memory).
func (c *Chunk) Fill(r *billing.Rater, g *Gen, n int) {
	c.T, c.U = c.T[:0], c.U[:0]
	var sum int64
	sink := func(p billing.Piece) { sum += p.Amount }
	for range n {
		rec := g.Record()
		sum = 0
		if _, err := r.Rate(rec, time.Time{}, time.Time{}, sink); err != nil {
			panic(err)
		}
		u, err := r.Compact(rec)
		if err != nil {
			panic(err)
		}
		u.Amount = sum
		c.T = append(c.T, Template{Rec: rec, Amount: sum})
		c.U = append(c.U, u)
	}
}

// Templates returns k records (fixed seed) with their amounts.
func Templates(r *billing.Rater, k int) []Template {
	var c Chunk
	c.Fill(r, NewGen(42), k)
	return c.T
}

// Compacts returns k resolved records (fixed seed) with their amounts.
func Compacts(r *billing.Rater, k int) []billing.CompactUsage {
	var c Chunk
	c.Fill(r, NewGen(42), k)
	return c.U
}

// BareCompact is the baseline of the batch path: it iterates the same
// CompactUsage structs as RateBatch and sums their precomputed Amount.
func BareCompact(us []billing.CompactUsage) int64 {
	var sum int64
	for i := range us {
		sum += us[i].Amount
	}
	return sum
}

// RateBatch rates us with Rater.RateBatch (which rewrites every Amount).
func RateBatch(r *billing.Rater, us []billing.CompactUsage) (int64, error) {
	total, issues := r.RateBatch(us)
	if len(issues) > 0 {
		return 0, fmt.Errorf("record %d: %w", issues[0].Index, issues[0].Err)
	}
	return total, nil
}

// BareRecords is the baseline of the record path: it iterates the same
// Template structs and sums their precomputed Amount.
func BareRecords(ts []Template) int64 {
	var sum int64
	for i := range ts {
		sum += ts[i].Amount
	}
	return sum
}

// RateRecords rates every record with Rater.Rate (total only).
func RateRecords(r *billing.Rater, ts []Template) (int64, error) {
	var sum int64
	for i := range ts {
		a, err := r.Rate(ts[i].Rec, time.Time{}, time.Time{}, nil)
		if err != nil {
			return 0, err
		}
		sum += a
	}
	return sum, nil
}

// RatePieces rates every record with Rater.Rate, handing every piece (with
// its times, price version and proration) to a sink: the statement path.
func RatePieces(r *billing.Rater, ts []Template) (int64, error) {
	var sum int64
	sink := func(p billing.Piece) { sum += p.Amount }
	for i := range ts {
		if _, err := r.Rate(ts[i].Rec, time.Time{}, time.Time{}, sink); err != nil {
			return 0, err
		}
	}
	return sum, nil
}

// Mode selects what Measure compares with its bare loop.
type Mode int

// The modes.
const (
	// Batch: RateBatch vs BareCompact over the same CompactUsage slice.
	Batch Mode = iota
	// Records: Rate (total) vs BareRecords over the same Template slice.
	Records
	// Pieces: Rate with a piece sink vs BareRecords.
	Pieces
)

// Result is one measurement.
type Result struct {
	Records     int
	Rate, Bare  time.Duration
	Total       int64 // 分, equal on both sides
	Fill        time.Duration
	RatedChunks int
}

// NsPerRecord returns rating time per record.
func (res Result) NsPerRecord() float64 { return float64(res.Rate) / float64(res.Records) }

// BareNsPerRecord returns bare-loop time per record.
func (res Result) BareNsPerRecord() float64 { return float64(res.Bare) / float64(res.Records) }

// Ratio returns rating time ÷ bare-loop time.
func (res Result) Ratio() float64 { return float64(res.Rate) / float64(res.Bare) }

// ClockReps is how many times Measure and Interleave run each side over a
// chunk between two reads of the thread's CPU clock. The clock is a system
// call (hundreds of nanoseconds on a virtual machine, against about 1 µs for
// the bare loop over a whole chunk); read around a single pass, its cost
// would count as bare-loop time and flatter the ratio. Rating a chunk again
// gives the same amounts, so repeating it changes nothing but the timing.
const ClockReps = 16

// timed runs fn ClockReps times and returns the thread CPU time of one run.
func timed(fn func()) time.Duration {
	t := threadCPU()
	for range ClockReps {
		fn()
	}
	return (threadCPU() - t) / ClockReps
}

// Measure streams n freshly generated records through mode in chunks of
// ChunkSize (constant memory): each chunk is generated, then the bare loop
// and the rating run over it, interleaved (the order alternates chunk by
// chunk, so load from other processes hits both alike); their totals must
// agree. Both sides are timed on the thread's CPU clock (CPUClock), with the
// goroutine locked to its thread.
func Measure(r *billing.Rater, mode Mode, n int, seed uint64) (Result, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	g := NewGen(seed)
	var c Chunk
	res := Result{Records: n}
	for done := 0; done < n; done += ChunkSize {
		k := min(ChunkSize, n-done)
		t0 := time.Now()
		c.Fill(r, g, k)
		res.Fill += time.Since(t0)
		var bare, rated int64
		var err error
		bareFn := func() {
			res.Bare += timed(func() {
				if mode == Batch {
					bare = BareCompact(c.U)
				} else {
					bare = BareRecords(c.T)
				}
			})
		}
		rateFn := func() {
			res.Rate += timed(func() {
				switch mode {
				case Batch:
					rated, err = RateBatch(r, c.U)
				case Records:
					rated, err = RateRecords(r, c.T)
				default:
					rated, err = RatePieces(r, c.T)
				}
			})
		}
		if (done/ChunkSize)%2 == 0 {
			bareFn()
			rateFn()
		} else {
			rateFn()
			bareFn()
		}
		if err != nil {
			return res, err
		}
		if rated != bare {
			return res, fmt.Errorf("chunk at %d: rated %d, bare %d", done, rated, bare)
		}
		res.Total += rated
		res.RatedChunks++
	}
	return res, nil
}

// Interleave rates the records of us n times over in whole passes (records
// cycled, so they stay in cache) with RateBatch and, alternating pass by
// pass, sums the same structs' precomputed Amount; both timed on the
// thread's CPU clock (CPUClock). It measures the rating kernel itself
// against the bare loop.
func Interleave(r *billing.Rater, us []billing.CompactUsage, n int) (Result, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	res := Result{Records: n}
	for done, pass := 0, 0; done < n; done, pass = done+len(us), pass+1 {
		c := us[:min(len(us), n-done)]
		var bare, rated int64
		var err error
		bareFn := func() { res.Bare += timed(func() { bare = BareCompact(c) }) }
		rateFn := func() { res.Rate += timed(func() { rated, err = RateBatch(r, c) }) }
		if pass%2 == 0 {
			bareFn()
			rateFn()
		} else {
			rateFn()
			bareFn()
		}
		if err != nil {
			return res, err
		}
		if rated != bare {
			return res, fmt.Errorf("pass %d: rated %d, bare %d", pass, rated, bare)
		}
		res.Total += rated
	}
	return res, nil
}

// CSVSource is an io.Reader producing a usage CSV of n records (header
// first) generated from the templates on the fly, with unique keys, so a
// stream of any length uses constant memory.
type CSVSource struct {
	ts      []Template
	n, i    int
	buf     []byte
	started bool
}

// NewCSVSource returns a source of n records.
func NewCSVSource(ts []Template, n int) *CSVSource { return &CSVSource{ts: ts, n: n} }

func (s *CSVSource) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && (s.i < s.n || !s.started) {
		if !s.started {
			s.buf = append(s.buf, "key,source,vendor,department,application,item,quantity,start,end\n"...)
			s.started = true
			continue
		}
		r := s.ts[s.i%len(s.ts)].Rec
		s.buf = append(s.buf, 'r')
		s.buf = strconv.AppendInt(s.buf, int64(s.i), 10)
		s.buf = append(s.buf, ",vendor,"...)
		s.buf = append(s.buf, r.Vendor...)
		s.buf = append(s.buf, ',')
		s.buf = append(s.buf, r.Department...)
		s.buf = append(s.buf, ",,"...)
		s.buf = append(s.buf, r.Item...)
		s.buf = append(s.buf, ',')
		s.buf = append(s.buf, r.Quantity.String()...)
		s.buf = append(s.buf, ',')
		s.buf = r.Start.AppendFormat(s.buf, time.RFC3339)
		s.buf = append(s.buf, ',')
		s.buf = r.End.AppendFormat(s.buf, time.RFC3339)
		s.buf = append(s.buf, '\n')
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	return n, nil
}

// CSVBare reads n records from a CSV stream and sums their precomputed
// amounts (looked up by the generator index).
func CSVBare(ts []Template, n int) (int64, error) {
	var sum int64
	i := 0
	err := billing.ReadUsageCSV(NewCSVSource(ts, n), func(billing.UsageRecord) error {
		sum += ts[i%len(ts)].Amount
		i++
		return nil
	})
	return sum, err
}

// CSVRate reads n records from a CSV stream, resolves each with Compact
// into a buffer of ChunkSize and rates full buffers with RateBatch.
func CSVRate(r *billing.Rater, ts []Template, n int) (int64, error) {
	var sum int64
	buf := make([]billing.CompactUsage, 0, ChunkSize)
	flush := func() error {
		t, err := RateBatch(r, buf)
		sum += t
		buf = buf[:0]
		return err
	}
	err := billing.ReadUsageCSV(NewCSVSource(ts, n), func(rec billing.UsageRecord) error {
		u, err := r.Compact(rec)
		if err != nil {
			return err
		}
		if buf = append(buf, u); len(buf) == ChunkSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return sum, flush()
}
