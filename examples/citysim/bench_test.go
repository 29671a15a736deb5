package main

import (
	"context"
	"testing"
)

// BenchmarkCity runs the default city scenario (400 applications) on SQLite per
// op and reports transitions per second: go test -run '^$' -bench City -benchtime 1x.
func BenchmarkCity(b *testing.B) { benchScenario(b, DefaultScenario()) }

// BenchmarkSmall runs the 40-application test scenario per op.
func BenchmarkSmall(b *testing.B) { benchScenario(b, small(1)) }

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
}
