package workflow

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Calendar is the working-day calendar the engine consumes. *calendar.Calendar from
// workflow/calendar (calendar.China()) satisfies it; tests inject fakes.
type Calendar interface {
	// Deadline returns the first instant after the n-th working day after received
	// (00:00 UTC+8 of the next day), the day of receipt not counted; an act at t is on
	// time iff t.Before(deadline). n >= 1.
	Deadline(received time.Time, n int) (time.Time, error)
}

// Clock gives the current instant.
type Clock interface {
	Now() time.Time
}

// IDGenerator gives new unique IDs (applications, work orders, leases).
type IDGenerator interface {
	NewID() string
}

// SystemClock is the wall clock. It is the default Options.Clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// UUIDs generates random (version 4) UUIDs. It is the default Options.IDs.
type UUIDs struct{}

// NewID returns a new random UUID string.
func (UUIDs) NewID() string { return uuid.NewString() }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// IDFunc adapts a function to IDGenerator.
type IDFunc func() string

// NewID calls f.
func (f IDFunc) NewID() string { return f() }

// Participant takes part in the transaction of every transition: OnTransition runs
// inside Store.Commit, after the store's own writes, with the store's transaction
// handle. An error rolls the whole transition back (state, audit record, outbox, work
// orders and whatever other participants wrote) and is returned by the engine.
// This is how quota commits a reservation in the same transaction as an approval when
// both stores share a database (see Tx). What must happen only once the transition has
// committed (a notice, a call to another system) is registered with [AfterCommit] on
// ctx, never done in OnTransition itself: the transition may still roll back.
type Participant interface {
	OnTransition(ctx context.Context, tx Tx, t Transition) error
}

// ParticipantFunc adapts a function to Participant.
type ParticipantFunc func(ctx context.Context, tx Tx, t Transition) error

// OnTransition calls f.
func (f ParticipantFunc) OnTransition(ctx context.Context, tx Tx, t Transition) error {
	return f(ctx, tx, t)
}

// Options configures an Engine.
type Options struct {
	// Store persists everything (required).
	Store Store
	// Policy parameterises the lifecycle (required; must Validate).
	Policy Policy
	// Calendar computes working-day deadlines (required), e.g. calendar.China().
	Calendar Calendar
	// Clock defaults to SystemClock.
	Clock Clock
	// IDs defaults to UUIDs.
	IDs IDGenerator
	// Participants join every transition's transaction, in order.
	Participants []Participant
}

// Validate reports every problem of o at once (a *MultiError whose entries match
// ErrInvalidOptions or, for the policy, ErrInvalidPolicy).
func (o *Options) Validate() error {
	var errs []error
	if o.Store == nil {
		errs = append(errs, fieldErr(ErrInvalidOptions, "Store", "is required"))
	}
	if o.Calendar == nil {
		errs = append(errs, fieldErr(ErrInvalidOptions, "Calendar", "is required (e.g. calendar.China())"))
	}
	for i, p := range o.Participants {
		if p == nil {
			errs = append(errs, fieldErr(ErrInvalidOptions, "Participants", "entry %d is nil", i))
		}
	}
	if err := o.Policy.Validate(); err != nil {
		if m, ok := err.(*MultiError); ok {
			errs = append(errs, m.Errs...)
		} else {
			errs = append(errs, err)
		}
	}
	return joinErrs(errs)
}
