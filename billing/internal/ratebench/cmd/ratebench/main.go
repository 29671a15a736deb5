// Command ratebench rates N synthetic usage records streaming and prints
// throughput and the process's peak resident set (VmHWM from
// /proc/self/status), to show memory does not grow with N.
//
//	go run ./billing/internal/ratebench/cmd/ratebench -n 1000000
//	go run ./billing/internal/ratebench/cmd/ratebench -n 10000000
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
	source := flag.String("source", "memory", "memory (records cycled from 4096 templates) or csv (a generated CSV stream parsed by ReadUsageCSV)")
	flag.Parse()
	r := billing.NewRater(ratebench.Catalog(), ratebench.Loc)
	ts := ratebench.Templates(r, 4096)
	var bare, rated int64
	var err error
	t0 := time.Now()
	if *source == "csv" {
		bare, err = ratebench.CSVBare(ts, *n)
	} else {
		bare = ratebench.BareLoop(ts, *n)
	}
	tBare := time.Since(t0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	t0 = time.Now()
	if *source == "csv" {
		rated, err = ratebench.CSVRate(r, ts, *n)
	} else {
		rated, err = ratebench.RateStream(r, ts, *n)
	}
	tRate := time.Since(t0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if rated != bare {
		fmt.Fprintf(os.Stderr, "mismatch: rated %d, bare %d\n", rated, bare)
		os.Exit(1)
	}
	fmt.Printf("source=%s records=%d total=%s元 rate=%v (%.0f rec/s) bare=%v ratio=%.1f peakRSS=%s\n",
		*source, *n, billing.FormatFen(rated), tRate.Round(time.Millisecond), float64(*n)/tRate.Seconds(),
		tBare.Round(time.Millisecond), float64(tRate)/float64(tBare), vmHWM())
}
