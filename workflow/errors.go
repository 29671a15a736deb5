package workflow

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error the engine returns matches one of them with errors.Is;
// the typed errors below carry the detail and match with errors.As.
var (
	// ErrNotFound: no such application, work order or message.
	ErrNotFound = errors.New("workflow: not found")
	// ErrConflict: a stale write (optimistic versioning), a duplicate, or a different
	// completion of a completed work order.
	ErrConflict = errors.New("workflow: conflict")
	// ErrLeaseLost: an outbox message was re-leased to another lessee before the ack.
	ErrLeaseLost = errors.New("workflow: lease lost")
	// ErrForbidden: the actor's role or identity does not allow the act (第二十条).
	ErrForbidden = errors.New("workflow: forbidden")
	// ErrInvalidTrigger: the trigger is unknown or not allowed in the current state.
	ErrInvalidTrigger = errors.New("workflow: trigger not allowed")
	// ErrMissingMaterial: a required material or test report is missing.
	ErrMissingMaterial = errors.New("workflow: missing material")
	// ErrInvalidInput: a field of the request is malformed or out of bounds.
	ErrInvalidInput = errors.New("workflow: invalid input")
	// ErrInvalidPolicy: a policy fails validation or cannot be parsed.
	ErrInvalidPolicy = errors.New("workflow: invalid policy")
	// ErrInvalidOptions: Options fails validation.
	ErrInvalidOptions = errors.New("workflow: invalid options")
	// ErrTampered: the audit chain does not verify.
	ErrTampered = errors.New("workflow: audit chain tampered")
)

// FieldError names one bad field. It matches its Kind sentinel (ErrInvalidInput,
// ErrInvalidPolicy, ErrMissingMaterial or ErrInvalidOptions) with errors.Is.
type FieldError struct {
	Kind   error  // the sentinel
	Field  string // e.g. "trial_days", "deadlines.accept", "materials[construction_plan]"
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%v: %s: %s", e.Kind, e.Field, e.Reason)
}

// Is matches the sentinel kind.
func (e *FieldError) Is(target error) bool { return target == e.Kind }

// TriggerError says a trigger is not allowed in a state (or unknown).
type TriggerError struct {
	Trigger Trigger
	State   State
	Reason  string
}

func (e *TriggerError) Error() string {
	msg := fmt.Sprintf("workflow: trigger %q (%s) not allowed in state %q (%s)",
		string(e.Trigger), e.Trigger.Label(English), string(e.State), e.State.Label(English))
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Is matches ErrInvalidTrigger.
func (e *TriggerError) Is(target error) bool { return target == ErrInvalidTrigger }

// ForbiddenError says which actor may not do what.
type ForbiddenError struct {
	Actor  Actor
	Action string // e.g. "fire approve", "read application a1"
	Reason string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("workflow: forbidden: %s %q may not %s: %s",
		e.Actor.Role.Label(English), e.Actor.ID, e.Action, e.Reason)
}

// Is matches ErrForbidden.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// NotFoundError names what was not found.
type NotFoundError struct {
	What string // "application", "work order"
	ID   string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("workflow: %s %q not found", e.What, e.ID)
}

// Is matches ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// TamperError says where and how an audit chain breaks.
type TamperError struct {
	ApplicationID string
	// Seq is the sequence number at which the chain first breaks.
	Seq int64
	// Problem is one of "altered", "deleted", "reordered", "head mismatch", "foreign".
	Problem string
	Detail  string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("workflow: audit chain of %q broken at seq %d: %s (%s)",
		e.ApplicationID, e.Seq, e.Problem, e.Detail)
}

// Is matches ErrTampered.
func (e *TamperError) Is(target error) bool { return target == ErrTampered }

// MultiError collects every problem found at once (Policy.Validate, Options.Validate,
// LoadPolicy). errors.Is/As look into each problem.
type MultiError struct {
	Errs []error
}

func (m *MultiError) Error() string {
	parts := make([]string, len(m.Errs))
	for i, e := range m.Errs {
		parts[i] = e.Error()
	}
	return fmt.Sprintf("%d problem(s): %s", len(m.Errs), strings.Join(parts, "; "))
}

// Unwrap returns the individual problems.
func (m *MultiError) Unwrap() []error { return m.Errs }

// joinErrs returns nil for no errors, else a *MultiError.
func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return &MultiError{Errs: errs}
}

func fieldErr(kind error, field, format string, args ...any) *FieldError {
	return &FieldError{Kind: kind, Field: field, Reason: fmt.Sprintf(format, args...)}
}
