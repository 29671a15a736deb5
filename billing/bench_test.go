package billing_test

import (
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/billing/internal/ratebench"
)

// BenchmarkRateStream rates one record per iteration through the streaming
// path (pieces handed to a sink, totals per department).
func BenchmarkRateStream(b *testing.B) {
	r := billing.NewRater(ratebench.Catalog(), ratebench.Loc)
	ts := ratebench.Templates(r, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := ratebench.RateStream(r, ts, b.N); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBareLoop sums the same records' precomputed amounts.
func BenchmarkBareLoop(b *testing.B) {
	r := billing.NewRater(ratebench.Catalog(), ratebench.Loc)
	ts := ratebench.Templates(r, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	_ = ratebench.BareLoop(ts, b.N)
}

// BenchmarkRateTotal rates one record per iteration without a sink.
func BenchmarkRateTotal(b *testing.B) {
	r := billing.NewRater(ratebench.Catalog(), ratebench.Loc)
	ts := ratebench.Templates(r, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	var sum int64
	for i := 0; i < b.N; i++ {
		a, err := r.Rate(ts[i%len(ts)].Rec, time.Time{}, time.Time{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		sum += a
	}
	_ = sum
}

// BenchmarkCSVBare parses one usage record per iteration from a CSV stream
// and sums its precomputed amount.
func BenchmarkCSVBare(b *testing.B) {
	r := billing.NewRater(ratebench.Catalog(), ratebench.Loc)
	ts := ratebench.Templates(r, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := ratebench.CSVBare(ts, b.N); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCSVRate parses one usage record per iteration from a CSV stream
// and rates it.
func BenchmarkCSVRate(b *testing.B) {
	r := billing.NewRater(ratebench.Catalog(), ratebench.Loc)
	ts := ratebench.Templates(r, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := ratebench.CSVRate(r, ts, b.N); err != nil {
		b.Fatal(err)
	}
}
