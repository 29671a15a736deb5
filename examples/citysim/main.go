package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "citysim:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	scenario   Scenario
	out        string
	db         string
	cpuProfile string
	progress   bool
	compare    *compareSpec // -compare: an experiment of two scenarios
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("citysim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same output")
	year := fs.Int("year", 2025, "the year to simulate (default 2025: fully covered by the official calendar)")
	out := fs.String("out", "out", "output directory (SQLite database citysim.db)")
	db := fs.String("db", "", "PostgreSQL DSN instead of SQLite (the database or schema must be empty)")
	scenarioPath := fs.String("scenario", "", "JSON scenario file over the -scale preset (unknown fields rejected)")
	scale := fs.String("scale", "city", "preset scenario: city (60 departments, 400 applications) or province (2,000, 50,000)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	compare := fs.String("compare", "", "experiment: run two scenarios (a.json,b.json; \"default\" = the -scale preset) under one seed into <out>/<name> and print their differences")
	progress := fs.Bool("progress", true, "draw a progress bar on stderr when it is a terminal (-progress=false: plain progress lines)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	sc, err := ScenarioFor(*scale)
	if err != nil {
		return config{}, err
	}
	if *compare != "" {
		cs, err := compareFlags(fs, *compare, sc, *scenarioPath, *db, *out, *seed, *year)
		if err != nil {
			return config{}, err
		}
		return config{out: *out, cpuProfile: *cpuProfile, compare: cs}, nil
	}
	if *scenarioPath != "" {
		f, err := os.Open(*scenarioPath)
		if err != nil {
			return config{}, err
		}
		sc, err = LoadScenario(f, sc)
		f.Close()
		if err != nil {
			return config{}, fmt.Errorf("%s: %w", *scenarioPath, err)
		}
	}
	// Explicit flags override the scenario.
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "seed":
			sc.Seed = *seed
		case "year":
			sc.Year = *year
		}
	})
	if err := sc.Validate(); err != nil {
		return config{}, err
	}
	if *out == "" && *db == "" {
		return config{}, errors.New("-out: empty (name a directory)")
	}
	return config{scenario: sc, out: *out, db: *db, cpuProfile: *cpuProfile, progress: *progress}, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_, err := runTimed(ctx, args, stdout, stderr)
	return err
}

// runTimed is run, returning where the wall time went (zero for -compare).
func runTimed(ctx context.Context, args []string, stdout, stderr io.Writer) (Timings, error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return Timings{}, err
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return Timings{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return Timings{}, err
		}
		defer pprof.StopCPUProfile()
	}
	if cfg.compare != nil {
		return Timings{}, runCompare(ctx, cfg.compare, cfg.out, stdout, stderr)
	}
	started := time.Now()
	assess := NewAssessmentStage(cfg.out)
	hooks := []Hook{NewBillingStage(cfg.out), assess, NewReportStage(cfg.out, assess)}
	progress := stderr
	if cfg.progress && isTerminal(stderr) {
		hooks = append([]Hook{NewProgressBar(stderr, cfg.scenario.Year)}, hooks...)
		progress = nil // the bar replaces the progress lines
	}
	sim, err := NewSim(ctx, cfg.scenario, Options{OutDir: cfg.out, PostgresDSN: cfg.db, Progress: progress, Hooks: hooks})
	if err != nil {
		return Timings{}, err
	}
	defer sim.Close()
	if err := sim.Run(ctx); err != nil {
		return Timings{}, err
	}
	reported := time.Now()
	rep, err := sim.Report(ctx)
	if err != nil {
		return Timings{}, err
	}
	t := sim.Timings()
	t.Summary = time.Since(reported)
	if err := rep.Write(stdout); err != nil {
		return Timings{}, err
	}
	fmt.Fprintf(stderr, "citysim: %d 次流转 transitions in %s (wall time): %s\n", rep.Transitions, time.Since(started).Round(time.Millisecond), t)
	if len(rep.AuditFailures) > 0 {
		return t, fmt.Errorf("%d of %d audit chains do not verify", len(rep.AuditFailures), rep.Total)
	}
	if err := rep.Dispatch.Balance(); err != nil {
		return t, err
	}
	if rep.AuditRecords != rep.Transitions {
		return t, fmt.Errorf("the audit trail holds %d records but the simulation made %d transitions", rep.AuditRecords, rep.Transitions)
	}
	return t, nil
}
