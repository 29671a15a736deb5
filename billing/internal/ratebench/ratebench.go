package ratebench

import (
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/opengovcloud/govcloud/billing"
)

// Loc is the billing location.
var Loc = time.FixedZone("CST", 8*3600)

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

// Templates returns k records spread over 2026 (fixed seed) with their
// amounts rated by r.
func Templates(r *billing.Rater, k int) []Template {
	rng := rand.New(rand.NewPCG(42, 2026))
	items := []string{"IAAS-ECS-VCPU", "IAAS-ECS-MEM", "IAAS-NET-BW", "PAAS-RDS-INST", "IAAS-GPU-HOUR"}
	vendors := []string{"v1", "v2"}
	depts := []string{"d01", "d02", "d03", "d04", "d05", "d06", "d07", "d08"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, Loc)
	out := make([]Template, k)
	for i := range out {
		start := base.Add(time.Duration(rng.Int64N(360*24)) * time.Hour).Add(time.Duration(rng.Int64N(60)) * time.Minute)
		end := start.Add(time.Duration(rng.Int64N(72)+1) * time.Hour)
		rec := billing.UsageRecord{Key: "k", Source: billing.SourceVendor, Vendor: vendors[rng.IntN(2)],
			Department: depts[rng.IntN(len(depts))], Item: items[rng.IntN(len(items))],
			Quantity: billing.Quantity(rng.Int64N(64000) + 1), Start: start, End: end}
		amt, err := r.Rate(rec, time.Time{}, time.Time{}, nil)
		if err != nil {
			panic(err)
		}
		out[i] = Template{Rec: rec, Amount: amt}
	}
	return out
}

// BareLoop sums the precomputed amounts of n records.
func BareLoop(ts []Template, n int) int64 {
	var sum int64
	k := len(ts)
	for i := 0; i < n; i++ {
		sum += ts[i%k].Amount
	}
	return sum
}

// RateStream rates n records one at a time, handing every piece to a sink
// that totals them, and returns the grand total.
func RateStream(r *billing.Rater, ts []Template, n int) (int64, error) {
	var sum int64
	sink := func(p billing.Piece) { sum += p.Amount }
	k := len(ts)
	for i := 0; i < n; i++ {
		if _, err := r.Rate(ts[i%k].Rec, time.Time{}, time.Time{}, sink); err != nil {
			return 0, err
		}
	}
	return sum, nil
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
// amounts (looked up by the generator index carried in the key).
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

// CSVRate reads n records from a CSV stream and rates each.
func CSVRate(r *billing.Rater, ts []Template, n int) (int64, error) {
	var sum int64
	sink := func(p billing.Piece) { sum += p.Amount }
	err := billing.ReadUsageCSV(NewCSVSource(ts, n), func(rec billing.UsageRecord) error {
		_, err := r.Rate(rec, time.Time{}, time.Time{}, sink)
		return err
	})
	return sum, err
}
