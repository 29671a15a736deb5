package quota

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. The typed errors below carry the detail and match these
// with errors.Is.
var (
	// ErrInvalidDimension: a malformed dimension name.
	ErrInvalidDimension = errors.New("quota: invalid dimension")
	// ErrUnknownDimension: a dimension the pool (or the capacity) does not track.
	ErrUnknownDimension = errors.New("quota: unknown dimension")
	// ErrNegative: a negative amount where a non-negative one is required.
	ErrNegative = errors.New("quota: negative amount")
	// ErrOverflow: an amount that leaves the int64 range.
	ErrOverflow = errors.New("quota: amount overflows int64")
	// ErrInvalid: some other field of a request is wrong (*InputError).
	ErrInvalid = errors.New("quota: invalid input")
	// ErrUnknownPool: no pool has the given ID.
	ErrUnknownPool = errors.New("quota: unknown pool")
	// ErrExists: a pool or reservation with that ID already exists.
	ErrExists = errors.New("quota: already exists")
	// ErrQuotaExceeded: a demand exceeds what a pool has free (*ExceededError).
	ErrQuotaExceeded = errors.New("quota: quota exceeded")
	// ErrParentCapacity: a child's limit would exceed what its parent has
	// free (*ExceededError with Parent set).
	ErrParentCapacity = errors.New("quota: child limit exceeds parent's free capacity")
	// ErrBelowUse: a limit lowered below what the pool has allotted and holds.
	ErrBelowUse = errors.New("quota: limit below current use")
	// ErrApprovalRequired: a department's yearly quota raised without an
	// approved request.
	ErrApprovalRequired = errors.New("quota: raising a department quota needs an approved request")
	// ErrNoReservation: the application has no reservation.
	ErrNoReservation = errors.New("quota: no reservation for application")
	// ErrState: the operation does not fit the reservation's state (e.g.
	// commit of a released reservation).
	ErrState = errors.New("quota: operation not allowed in reservation state")
	// ErrHoldExpired: the hold's time-to-live has passed.
	ErrHoldExpired = errors.New("quota: hold expired")
	// ErrOverRelease: a release of more than is held or committed.
	ErrOverRelease = errors.New("quota: release exceeds amount held")
	// ErrOutOfBounds: an elastic scaling step outside the approved bounds;
	// it needs a change request (*BoundsError).
	ErrOutOfBounds = errors.New("quota: scaling beyond approved bounds needs a change request")
	// ErrConflict: an idempotency key reused with a different request, or a
	// concurrent write the store could not serialise.
	ErrConflict = errors.New("quota: conflict")
)

// DimensionError names the dimension whose amount or name is wrong. It
// matches ErrInvalidDimension, ErrUnknownDimension, ErrNegative or
// ErrOverflow.
type DimensionError struct {
	Dim   Dimension
	Op    string // "name", "validate", "add", "sub", "mul", or the field checked
	Value int64
	Err   error // the sentinel
}

func (e *DimensionError) Error() string {
	switch e.Err {
	case ErrInvalidDimension:
		return fmt.Sprintf("%v: %q (维度名称无效 / want a lower-case identifier)", e.Err, string(e.Dim))
	case ErrUnknownDimension:
		return fmt.Sprintf("%v: %s in %s (未定义的维度)", e.Err, e.Dim, e.Op)
	}
	return fmt.Sprintf("%v: %s: %s %d", e.Err, e.Dim, e.Op, e.Value)
}

// Unwrap returns the sentinel.
func (e *DimensionError) Unwrap() error { return e.Err }

func asDimErr(err error, target **DimensionError) bool { return errors.As(err, target) }

// InputError names a wrong request field. It matches ErrInvalid.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return fmt.Sprintf("quota: invalid %s: %s", e.Field, e.Reason) }

// Is matches ErrInvalid.
func (e *InputError) Is(target error) bool { return target == ErrInvalid }

// PoolError reports an unknown or duplicate pool, or one of the wrong kind.
// It matches ErrUnknownPool, ErrExists or ErrInvalid.
type PoolError struct {
	Pool   PoolID
	Reason string
	Err    error // the sentinel
}

func (e *PoolError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("%v: %q", e.Err, string(e.Pool))
	}
	return fmt.Sprintf("%v: %q: %s", e.Err, string(e.Pool), e.Reason)
}

// Unwrap returns the sentinel.
func (e *PoolError) Unwrap() error { return e.Err }

// DimShortfall is one dimension a demand lacks: Need is asked, Free is
// available, Short = Need − Free.
type DimShortfall struct {
	Dim   Dimension
	Need  int64
	Free  int64
	Short int64
}

// ExceededError is the early-feedback error: every dimension in which a
// demand exceeds the free capacity of Pool, with the shortfall. With Parent
// set it reports a child limit above the parent's free capacity and matches
// ErrParentCapacity; otherwise it matches ErrQuotaExceeded.
type ExceededError struct {
	Pool       PoolID
	Parent     PoolID // set for a child limit check: the parent that lacks capacity
	Shortfalls []DimShortfall
}

func (e *ExceededError) Error() string { return e.Format(Chinese) }

// Format renders the error with dimension labels in lang.
func (e *ExceededError) Format(lang Lang) string {
	var b strings.Builder
	if e.Parent != "" {
		if lang == English {
			fmt.Fprintf(&b, "%v: pool %q: parent %q lacks ", ErrParentCapacity, string(e.Pool), string(e.Parent))
		} else {
			fmt.Fprintf(&b, "%v: 资源池 %q 的上级 %q 可用容量不足: ", ErrParentCapacity, string(e.Pool), string(e.Parent))
		}
	} else {
		if lang == English {
			fmt.Fprintf(&b, "%v: pool %q lacks ", ErrQuotaExceeded, string(e.Pool))
		} else {
			fmt.Fprintf(&b, "%v: 资源池 %q 配额不足: ", ErrQuotaExceeded, string(e.Pool))
		}
	}
	for i, s := range e.Shortfalls {
		if i > 0 {
			b.WriteString("; ")
		}
		if lang == English {
			fmt.Fprintf(&b, "%s short by %d (need %d, free %d)", s.Dim.Label(English), s.Short, s.Need, s.Free)
		} else {
			fmt.Fprintf(&b, "%s 缺 %d(需要 %d,可用 %d)", s.Dim.Label(Chinese), s.Short, s.Need, s.Free)
		}
		if u := s.Dim.Unit(lang); u != "" {
			b.WriteString(" " + u)
		}
	}
	return b.String()
}

// Is matches ErrQuotaExceeded, or ErrParentCapacity when Parent is set.
func (e *ExceededError) Is(target error) bool {
	if e.Parent != "" {
		return target == ErrParentCapacity
	}
	return target == ErrQuotaExceeded
}

// UseError reports a limit lowered below what the pool already uses (its
// children's limits plus its holds and commitments). It matches ErrBelowUse.
type UseError struct {
	Pool  PoolID
	Dim   Dimension
	Limit int64
	Used  int64
}

func (e *UseError) Error() string {
	return fmt.Sprintf("%v: pool %q: %s: limit %d < used %d", ErrBelowUse, string(e.Pool), e.Dim, e.Limit, e.Used)
}

// Unwrap returns ErrBelowUse.
func (e *UseError) Unwrap() error { return ErrBelowUse }

// ReleaseError reports a release of more than is held (or committed) in a
// dimension. It matches ErrOverRelease.
type ReleaseError struct {
	Application string
	Dim         Dimension
	Release     int64
	Held        int64
}

func (e *ReleaseError) Error() string {
	return fmt.Sprintf("%v: application %q: %s: release %d > held %d", ErrOverRelease, e.Application, e.Dim, e.Release, e.Held)
}

// Unwrap returns ErrOverRelease.
func (e *ReleaseError) Unwrap() error { return ErrOverRelease }

// BoundsError reports an elastic scaling step outside the approved bounds in
// Dim: Level is asked, [Min, Max] approved. It matches ErrOutOfBounds.
type BoundsError struct {
	Application string
	Dim         Dimension
	Level       int64
	Min, Max    int64
}

func (e *BoundsError) Error() string {
	return fmt.Sprintf("%v: application %q: %s: %d outside [%d, %d] (超出弹性伸缩范围,须提交变更申请)",
		ErrOutOfBounds, e.Application, e.Dim, e.Level, e.Min, e.Max)
}

// Unwrap returns ErrOutOfBounds.
func (e *BoundsError) Unwrap() error { return ErrOutOfBounds }

// StateError reports an operation that does not fit a reservation's state.
// It matches ErrState, ErrHoldExpired or ErrNoReservation.
type StateError struct {
	Application string
	State       ReservationState
	Op          string
	Err         error // the sentinel
}

func (e *StateError) Error() string {
	return fmt.Sprintf("%v: application %q: %s in state %s", e.Err, e.Application, e.Op, e.State.Label(English))
}

// Unwrap returns the sentinel.
func (e *StateError) Unwrap() error { return e.Err }

// KeyConflictError reports an idempotency key reused for a different
// movement. It matches ErrConflict.
type KeyConflictError struct {
	Key    string
	Reason string
}

func (e *KeyConflictError) Error() string {
	return fmt.Sprintf("%v: idempotency key %q: %s", ErrConflict, e.Key, e.Reason)
}

// Unwrap returns ErrConflict.
func (e *KeyConflictError) Unwrap() error { return ErrConflict }
