// Command calbench times govcloud's working-day calendar against
// github.com/rickar/cal/v2 loaded with the same notices, in one run, and
// prints the ratio table.
//
//	cd bench && go run ./cmd/calbench [-benchtime 1s]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"testing"
	"text/tabwriter"

	"github.com/opengovcloud/govcloud/bench/calbench"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

func main() {
	testing.Init()
	benchtime := flag.String("benchtime", "1s", "time (or Nx iterations) per measurement, as go test -benchtime")
	flag.Parse()
	if err := flag.Set("test.benchtime", *benchtime); err != nil {
		fmt.Fprintln(os.Stderr, "calbench:", err)
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "calbench:", err)
		os.Exit(1)
	}
}

func run() error {
	c := calendar.China()
	plain, cached := calbench.NewPeer(c, false), calbench.NewPeer(c, true)
	for _, p := range []*calbench.Peer{plain, cached} {
		if err := calbench.Verify(c, p); err != nil {
			return fmt.Errorf("the two calendars disagree: %w", err)
		}
	}
	first, last := c.Coverage()
	fmt.Printf("govcloud workflow/calendar vs github.com/rickar/cal/v2, same data: national notices %s..%s\n", first, last)
	fmt.Printf("cal set up with %d holidays (one cal.Holiday per rest day) and %d 调休 days (WorkdayFunc); answers verified equal on every day\n", plain.Holidays, plain.Workdays)
	fmt.Printf("%s %s/%s, GOMAXPROCS=%d\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(w, "operation\tanswer\tgovcloud ns/op\tallocs\tcal ns/op\tallocs\tratio\tcal cached ns/op\tallocs\tratio\t")
	for _, cs := range calbench.Cases(c) {
		answer, err := cs.Check(plain)
		if err != nil {
			return fmt.Errorf("%s: %w", cs.Name, err)
		}
		if _, err := cs.Check(cached); err != nil {
			return fmt.Errorf("%s (cached): %w", cs.Name, err)
		}
		ours := measure(func() { cs.Ours() })
		theirs := measure(func() { cs.Theirs(plain) })
		theirsCached := measure(func() { cs.Theirs(cached) })
		fmt.Fprintf(w, "%s\t%s\t%.1f\t%d\t%.0f\t%d\t%.0f×\t%.0f\t%d\t%.0f×\t\n",
			cs.Name, answer,
			ours.ns, ours.allocs,
			theirs.ns, theirs.allocs, theirs.ns/ours.ns,
			theirsCached.ns, theirsCached.allocs, theirsCached.ns/ours.ns)
	}
	return w.Flush()
}

type result struct {
	ns     float64
	allocs int64
}

func measure(f func()) result {
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f()
		}
	})
	return result{ns: float64(r.T.Nanoseconds()) / float64(r.N), allocs: r.AllocsPerOp()}
}
