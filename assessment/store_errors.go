package assessment

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opengovcloud/govcloud/workflow"
)

// Sentinel errors of scorecard persistence (Run, Store, Service, Compare).
var (
	// ErrInvalidPeriod: text that is not a period, or an invalid Period (*PeriodError).
	ErrInvalidPeriod = errors.New("assessment: invalid period")
	// ErrInvalidRun: a Run or RunSpec is malformed; nothing was saved (*RunError).
	ErrInvalidRun = errors.New("assessment: invalid run")
	// ErrNotFound: no run with that ID, no run for that period, or no scorecard
	// of that subject in it.
	ErrNotFound = errors.New("assessment: not found")
	// ErrConflict: a run with the same ID but a different payload is stored, or
	// the period already has a current run that the new one does not
	// supersede (*ConflictError).
	ErrConflict = errors.New("assessment: conflict")
	// ErrForbidden: the actor may not read or save these scorecards (第二十条;
	// *ForbiddenError).
	ErrForbidden = errors.New("assessment: forbidden")
	// ErrNotReproduced: re-scoring a run's inputs does not give the stored
	// result (*ReproductionError).
	ErrNotReproduced = errors.New("assessment: run not reproduced")
	// ErrIncomparable: two runs of different subject kinds or scheme families
	// cannot be compared.
	ErrIncomparable = errors.New("assessment: runs are not comparable")
)

// RunError names the field of a run that is wrong. It matches ErrInvalidRun.
type RunError struct {
	RunID string
	Field string // e.g. "period", "cards[3].rank"
	Msg   string
}

func (e *RunError) Error() string {
	return fmt.Sprintf("assessment: run %q: %s: %s", e.RunID, e.Field, e.Msg)
}

// Unwrap returns ErrInvalidRun.
func (e *RunError) Unwrap() error { return ErrInvalidRun }

// ConflictError says why a run cannot be saved. It matches ErrConflict.
type ConflictError struct {
	RunID  string
	Reason string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("assessment: run %q: conflict: %s", e.RunID, e.Reason)
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// NotFoundError says what was not found. It matches ErrNotFound.
type NotFoundError struct {
	What string // e.g. `run "r1"`, "department run for 2026", `scorecard of "fin" in 2026`
}

func (e *NotFoundError) Error() string { return "assessment: not found: " + e.What }

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// ForbiddenError says which actor may not do what, and why (in Chinese, then
// English). It matches ErrForbidden.
type ForbiddenError struct {
	Actor  workflow.Actor
	Action string
	Reason string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("assessment: %s %q may not %s: %s", e.Actor.Role.Label(workflow.English), e.Actor.ID, e.Action, e.Reason)
}

// Unwrap returns ErrForbidden.
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

// ReproductionError lists how a re-computed run differs from the stored one.
// It matches ErrNotReproduced.
type ReproductionError struct {
	RunID string
	// InputsChanged: the inputs' digest differs, so the inputs given are not
	// the ones the run was scored from.
	InputsChanged bool
	// Differences lists what differs, one entry per field ("fin: total 81.5 ≠
	// 82"), at most 50.
	Differences []string
}

func (e *ReproductionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "assessment: run %q not reproduced", e.RunID)
	if e.InputsChanged {
		b.WriteString(": the inputs differ from those scored (digest mismatch)")
	}
	for _, d := range e.Differences {
		b.WriteString("; ")
		b.WriteString(d)
	}
	return b.String()
}

// Unwrap returns ErrNotReproduced.
func (e *ReproductionError) Unwrap() error { return ErrNotReproduced }
