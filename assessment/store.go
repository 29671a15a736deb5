package assessment

import "context"

// Store keeps scorecard runs. Implementations: adapters/memstore
// (AssessmentStore) and adapters/gormstore (AssessmentStore on SQLite or
// PostgreSQL); assessment/assessmenttest is the conformance suite every
// implementation must pass. A Store does not check who asks: Service does.
//
// Semantics every implementation keeps:
//
//   - SaveRun validates r (Run.Validate: a *RunError, ErrInvalidRun) and writes
//     nothing when it is invalid. Saving is idempotent by run ID: a run whose
//     ID is stored with an Equal payload is a no-op (nil); with a different
//     payload it is a *ConflictError (ErrConflict) and the stored run stays.
//   - A saved run is immutable, and the store keeps a copy: changing r after
//     SaveRun, or a run returned by a read, changes nothing stored.
//   - The runs of one (kind, period) form a chain through Supersedes; its last
//     run is the period's current run. The first run of a period has an empty
//     Supersedes; a later one must name the current run. Anything else (a
//     second first run, superseding a run that is already superseded, that is
//     not stored, or that is of another kind or period) is a *ConflictError,
//     and of two racing saves that supersede the same run exactly one wins.
//   - Reads return ErrNotFound (*NotFoundError) for an unknown run, a period
//     without runs, or a subject without a card in the current run.
//   - Every method honours ctx (a cancelled ctx returns ctx.Err()), and is
//     safe for concurrent use.
type Store interface {
	// SaveRun stores r (see above).
	SaveRun(ctx context.Context, r *Run) error
	// Run returns the run with that ID.
	Run(ctx context.Context, id string) (*Run, error)
	// CurrentRun returns the current run of kind for period p: the period's
	// ranking.
	CurrentRun(ctx context.Context, kind SubjectKind, p Period) (*Run, error)
	// Scorecard returns subjectID's card from the current run of kind for p,
	// with the run's description.
	Scorecard(ctx context.Context, kind SubjectKind, p Period, subjectID string) (RunInfo, *Scorecard, error)
	// PeriodRuns returns the chain of runs of kind for p, first run first,
	// current run last (empty, not an error, for a period without runs).
	PeriodRuns(ctx context.Context, kind SubjectKind, p Period) ([]RunInfo, error)
}
