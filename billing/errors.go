package billing

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns matches one of them with
// errors.Is; the typed errors below carry the detail and match with errors.As.
var (
	// ErrInvalid: a field of an item, price, usage record, request or option
	// is malformed or out of range (*FieldError, *RowError).
	ErrInvalid = errors.New("billing: invalid input")
	// ErrNoVendor: a price version without a vendor.
	ErrNoVendor = errors.New("billing: price has no vendor")
	// ErrOverlap: two price versions of one item and vendor overlap in time.
	ErrOverlap = errors.New("billing: overlapping price versions")
	// ErrUnknownItem: a catalog code that the catalog does not hold.
	ErrUnknownItem = errors.New("billing: unknown catalog item")
	// ErrNegative: a negative quantity or amount where none is allowed.
	ErrNegative = errors.New("billing: negative quantity")
	// ErrNoPrice: no price version is in force for an item, vendor and
	// instant. Rating parks such usage; it is never rated at zero.
	ErrNoPrice = errors.New("billing: no price in force")
	// ErrOverflow: an amount leaves the int64 range of 分.
	ErrOverflow = errors.New("billing: amount overflows int64")
	// ErrConflict: the same usage key with a different payload, a stale
	// write (optimistic versioning), or a duplicate with different content.
	ErrConflict = errors.New("billing: conflict")
	// ErrNotFound: no such item, statement, settlement, budget or record.
	ErrNotFound = errors.New("billing: not found")
	// ErrExists: an item, statement or settlement with that identity exists.
	ErrExists = errors.New("billing: already exists")
	// ErrTransition: a statement or settlement transition out of order
	// (*TransitionError).
	ErrTransition = errors.New("billing: transition not allowed")
	// ErrReasonRequired: an adjustment, deduction or void without a reason.
	ErrReasonRequired = errors.New("billing: reason required")
	// ErrForbidden: the actor's role or identity does not allow the act
	// (*ForbiddenError).
	ErrForbidden = errors.New("billing: forbidden")
	// ErrBudgetExceeded: a cost quote exceeds the department's remaining
	// budget and the policy blocks (*BudgetError).
	ErrBudgetExceeded = errors.New("billing: budget exceeded")
	// ErrNoBudget: the department has no budget (code) for the fiscal year.
	ErrNoBudget = errors.New("billing: no budget for department and fiscal year")
	// ErrHashMismatch: an approved statement's or settlement's hash does not
	// verify.
	ErrHashMismatch = errors.New("billing: hash mismatch")
	// ErrTooEarly: payment of a settlement before the fiscal year after the
	// settled one.
	ErrTooEarly = errors.New("billing: too early")
	// ErrStoreContract: a Store answered against its contract (a page of a
	// listing not after its cursor, or out of order); the Service stops
	// rather than loop or miss statements.
	ErrStoreContract = errors.New("billing: store broke its contract")
)

// FieldError names one bad field of a value. It matches Kind (ErrInvalid,
// ErrNoVendor, ErrOverlap, ErrUnknownItem, ErrNegative, ErrReasonRequired …)
// with errors.Is.
type FieldError struct {
	Kind   error  // the sentinel
	Field  string // e.g. "code", "unit_price", "quantity"
	Value  string // the offending value, as text (may be empty)
	Reason string // why, in English
}

func (e *FieldError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("%v: %s %q: %s", e.Kind, e.Field, e.Value, e.Reason)
	}
	return fmt.Sprintf("%v: %s: %s", e.Kind, e.Field, e.Reason)
}

// Is matches the sentinel kind.
func (e *FieldError) Is(target error) bool { return target == e.Kind }

func fieldErr(kind error, field, value, reason string) *FieldError {
	return &FieldError{Kind: kind, Field: field, Value: value, Reason: reason}
}

// RowError names the row (1-based; for CSV the header is row 1, for JSON the
// array index + 1) and the field of an imported file that is wrong. Err is
// the underlying error (usually a *FieldError); errors.Is and errors.As see
// through it.
type RowError struct {
	Row   int
	Field string
	Err   error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("row %d, field %s: %v", e.Row, e.Field, e.Err)
}

// Unwrap returns the underlying error.
func (e *RowError) Unwrap() error { return e.Err }

// TransitionError says a statement or settlement cannot move From → To.
type TransitionError struct {
	Object string // "statement" or "settlement"
	ID     string
	From   string
	To     string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("billing: %s %s: transition %s → %s not allowed", e.Object, e.ID, e.From, e.To)
}

// Is matches ErrTransition.
func (e *TransitionError) Is(target error) bool { return target == ErrTransition }

// ForbiddenError says which actor may not do what.
type ForbiddenError struct {
	Actor  Actor
	Action string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("billing: forbidden: %s %q may not %s", e.Actor.Role.Label(English), e.Actor.ID, e.Action)
}

// Is matches ErrForbidden.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// BudgetError reports a quote that exceeds the remaining budget.
type BudgetError struct {
	Department string
	FiscalYear int
	Remaining  int64 // 分, before the quote
	Quote      int64 // 分
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("billing: budget exceeded: department %s, fiscal year %d: quote %d 分 > remaining %d 分",
		e.Department, e.FiscalYear, e.Quote, e.Remaining)
}

// Is matches ErrBudgetExceeded.
func (e *BudgetError) Is(target error) bool { return target == ErrBudgetExceeded }
