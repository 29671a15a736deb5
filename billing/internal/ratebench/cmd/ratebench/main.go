// Command ratebench rates N synthetic usage records streaming and prints
// throughput, the ratio to a bare loop summing the same records'
// precomputed amounts (measured in the same run, interleaved chunk by
// chunk), and the process's peak resident set (VmHWM from /proc/self/status),
// to show memory does not grow with N.
//
//	go run ./billing/internal/ratebench/cmd/ratebench -n 1000000
//	go run ./billing/internal/ratebench/cmd/ratebench -n 10000000 -source csv
//
// Sources: batch (generated records resolved to CompactUsage, RateBatch vs a
// loop summing the same structs' Amount), records (generated UsageRecords,
// Rate vs a loop summing the same structs' amount), pieces (as records, with
// every piece handed to a sink) and csv (a generated CSV parsed by
// ReadUsageCSV, then Compact + RateBatch, vs the same parse summing the
// precomputed amounts; timed on process CPU time, alternating in slices of
// 100 000 records). The other sources use the thread CPU clock.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/billing/internal/ratebench"
)

func vmHWM() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}

func main() {
	n := flag.Int("n", 1_000_000, "records to rate")
	source := flag.String("source", "batch", "batch, records, pieces or csv")
	flag.Parse()
	r := billing.NewRater(ratebench.Catalog(), ratebench.Loc)
	var res ratebench.Result
	var err error
	switch *source {
	case "batch", "records", "pieces":
		mode := map[string]ratebench.Mode{"batch": ratebench.Batch, "records": ratebench.Records, "pieces": ratebench.Pieces}[*source]
		res, err = ratebench.Measure(r, mode, *n, 1)
	case "csv":
		ts := ratebench.Templates(r, ratebench.ChunkSize)
		res.Records = *n
		var bare, rated int64
		// Process CPU time (GC included), rate and bare alternating in
		// slices of 100 000 records, so load changes hit both alike.
		const slice = 100_000
		for done := 0; done < *n && err == nil; done += slice {
			k := min(slice, *n-done)
			var b, rt int64
			t0 := ratebench.ProcessCPU()
			if (done/slice)%2 == 0 {
				b, err = ratebench.CSVBare(ts, k)
				t1 := ratebench.ProcessCPU()
				res.Bare += t1 - t0
				if err == nil {
					rt, err = ratebench.CSVRate(r, ts, k)
					res.Rate += ratebench.ProcessCPU() - t1
				}
			} else {
				rt, err = ratebench.CSVRate(r, ts, k)
				t1 := ratebench.ProcessCPU()
				res.Rate += t1 - t0
				if err == nil {
					b, err = ratebench.CSVBare(ts, k)
					res.Bare += ratebench.ProcessCPU() - t1
				}
			}
			bare, rated = bare+b, rated+rt
		}
		if err == nil && rated != bare {
			err = fmt.Errorf("rated %d, bare %d", rated, bare)
		}
		res.Total = rated
	default:
		err = fmt.Errorf("unknown source %q", *source)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratebench:", err)
		os.Exit(1)
	}
	fmt.Printf("source=%s records=%d total=%s元 rate=%v (%.2f ns/rec, %.2f M rec/s) bare=%v (%.2f ns/rec) ratio=%.2f peakRSS=%s\n",
		*source, res.Records, billing.FormatFen(res.Total), res.Rate.Round(time.Millisecond), res.NsPerRecord(),
		float64(res.Records)/res.Rate.Seconds()/1e6, res.Bare.Round(time.Millisecond), res.BareNsPerRecord(), res.Ratio(), vmHWM())
}
