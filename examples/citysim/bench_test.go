package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCity runs the default city scenario (400 applications) on SQLite per
// op and reports transitions per second: go test -run '^$' -bench City -benchtime 1x.
func BenchmarkCity(b *testing.B) { benchScenario(b, DefaultScenario()) }

// BenchmarkSmall runs the 40-application test scenario per op.
func BenchmarkSmall(b *testing.B) { benchScenario(b, small(1)) }

// BenchmarkScale runs the whole command (main's run: simulation, billing,
// assessment, reports, audit verification), exactly as `go run
// ./examples/citysim -scale ...` does: the time per op is the run's wall
// time. It also reports the process's peak resident set (peak-RSS-MB: the
// high-water mark of the whole test binary, so run one sub-benchmark per
// invocation for a clean figure) and where the time went, in seconds per
// stage (Timings): setup-s, lifecycle-s, dispatch-s, monthclose-s,
// yearend-s, summary-s. Sub-benchmarks:
//
//	city            the city preset (400 applications)
//	province-2500   the province preset (2,000 departments) cut to 2,500 applications
//	province        the full province (50,000 applications; minutes)
//
// go test -run '^$' -bench 'Scale/city$' -benchtime 1x ./examples/citysim
// go test -run '^$' -bench 'Scale/province$' -benchtime 1x -timeout 60m ./examples/citysim
func BenchmarkScale(b *testing.B) {
	for _, bc := range []struct {
		name, scale string
		apps        int // 0: the preset's
	}{
		{"city", "city", 0},
		{"province-2500", "province", 2500},
		{"province", "province", 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			args := []string{"-scale", bc.scale, "-out", filepath.Join(dir, "out")}
			if bc.apps > 0 {
				doc, err := json.Marshal(map[string]int{"applications": bc.apps})
				if err != nil {
					b.Fatal(err)
				}
				path := filepath.Join(dir, "scenario.json")
				if err := os.WriteFile(path, doc, 0o644); err != nil {
					b.Fatal(err)
				}
				args = append(args, "-scenario", path)
			}
			var sums []time.Duration
			n := 0
			for b.Loop() {
				t, err := runTimed(ctx, args, io.Discard, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				for i, st := range t.Stages() {
					if i == len(sums) {
						sums = append(sums, 0)
					}
					sums[i] += st.D
				}
				n++
			}
			for i, st := range (Timings{}).Stages() {
				b.ReportMetric(sums[i].Seconds()/float64(n), st.Metric)
			}
			reportPeakRSS(b)
		})
	}
}

// reportPeakRSS reports the process's peak resident set size in MiB
// (getrusage ru_maxrss, KiB on Linux).
func reportPeakRSS(b *testing.B) {
	if runtime.GOOS != "linux" {
		return
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
}

func benchScenario(b *testing.B, sc Scenario) {
	ctx := context.Background()
	transitions := 0
	for b.Loop() {
		s, err := NewSim(ctx, sc, Options{OutDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Run(ctx); err != nil {
			b.Fatal(err)
		}
		r, err := s.Report(ctx)
		if err != nil {
			b.Fatal(err)
		}
		transitions += r.Transitions
		s.Close()
	}
	b.ReportMetric(float64(transitions)/b.Elapsed().Seconds(), "transitions/s")
	reportPeakRSS(b)
}
