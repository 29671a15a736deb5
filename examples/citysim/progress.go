package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/opengovcloud/govcloud/workflow"
)

// ProgressBar is a Hook and Finisher drawing a terminal progress bar
// (github.com/schollz/progressbar/v3) of the simulated days of the year. Place it
// first among the hooks: its Finish completes the bar before the year-end stages
// print anything.
type ProgressBar struct {
	bar   *progressbar.ProgressBar
	start time.Time
	day   int
}

// isTerminal reports whether w is a terminal (the bar is drawn only there: not
// into files, pipes or the buffers of tests).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// NewProgressBar returns a bar of the days of year written to w.
func NewProgressBar(w io.Writer, year int) *ProgressBar {
	start := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC)
	days := int(start.AddDate(1, 0, 0).Sub(start) / (24 * time.Hour))
	bar := progressbar.NewOptions(days,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("citysim %d 模拟 simulating", year)),
		progressbar.OptionSetItsString("天 days"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	return &ProgressBar{bar: bar, day: -1}
}

// AfterAct advances the bar to the simulated day of the act.
func (p *ProgressBar) AfterAct(_ context.Context, s *Sim, a Act, _ workflow.Application) error {
	if p.start.IsZero() {
		p.start = s.start
	}
	day := int(a.At.Sub(p.start) / (24 * time.Hour))
	if day > p.day {
		p.day = day
		return p.bar.Set(day)
	}
	return nil
}

// Finish completes the bar.
func (p *ProgressBar) Finish(context.Context, *Sim) ([]Section, error) {
	return nil, p.bar.Finish()
}
