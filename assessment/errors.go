package assessment

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package matches one of them with
// errors.Is; the typed errors below carry the detail (indicator path, field, record).
var (
	// ErrInvalidScheme: a scheme failed to load or validate (see *SchemeError).
	ErrInvalidScheme = errors.New("assessment: invalid scheme")
	// ErrWeightSum: sibling weights do not add up to 100 % (10000 basis points).
	ErrWeightSum = errors.New("assessment: sibling weights do not sum to 10000 basis points")
	// ErrUnknownField: a scheme document has a field this package does not know.
	ErrUnknownField = errors.New("assessment: unknown field")
	// ErrUnknownIndicator: a value names an indicator path the scheme does not have.
	ErrUnknownIndicator = errors.New("assessment: unknown indicator")
	// ErrOutOfRange: a raw value or a sample lies outside its valid range.
	ErrOutOfRange = errors.New("assessment: value out of range")
	// ErrMissingValue: an indicator whose policy is "fail" has no value.
	ErrMissingValue = errors.New("assessment: missing value")
	// ErrUnknownCategory: a lookup indicator got a category its table lacks.
	ErrUnknownCategory = errors.New("assessment: unknown category")
	// ErrWrongKind: a number was given to a lookup indicator, or a category to a numeric one.
	ErrWrongKind = errors.New("assessment: wrong value kind")
	// ErrNoData: every indicator of a scheme is missing, so no score exists.
	ErrNoData = errors.New("assessment: no data to score")
	// ErrNoSchemeInForce: a SchemeSet has no version of the scheme in force on the date.
	ErrNoSchemeInForce = errors.New("assessment: no scheme in force")
	// ErrInvalidGrades: grade bands are not strictly descending down to 0.
	ErrInvalidGrades = errors.New("assessment: invalid grade bands")
	// ErrInvalidOptions: an Options struct failed Validate.
	ErrInvalidOptions = errors.New("assessment: invalid options")
	// ErrInvalidExclusion: an availability exclusion lacks evidence or an approver, or is malformed.
	ErrInvalidExclusion = errors.New("assessment: invalid availability exclusion")
	// ErrInvalidRecord: an input record (sample, work order, survey, interval) is malformed.
	ErrInvalidRecord = errors.New("assessment: invalid record")
)

// Problem is one defect found in a scheme: where (an indicator path such as
// "quality/availability", or a JSON location such as "grades[1].min") and what.
type Problem struct {
	Path string // indicator path or document location
	Msg  string // what is wrong, in English
	Err  error  // the sentinel it matches (ErrWeightSum, ErrUnknownField, ...)
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// SchemeError lists every problem found in one scheme. It matches ErrInvalidScheme
// and each problem's own sentinel.
type SchemeError struct {
	Scheme   string // scheme ID (may be empty when the document could not be read)
	Problems []Problem
}

func (e *SchemeError) Error() string {
	var b strings.Builder
	b.WriteString("assessment: invalid scheme")
	if e.Scheme != "" {
		fmt.Fprintf(&b, " %q", e.Scheme)
	}
	fmt.Fprintf(&b, " (%d problems)", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap lets errors.Is match ErrInvalidScheme and every problem's sentinel.
func (e *SchemeError) Unwrap() []error {
	errs := []error{ErrInvalidScheme}
	seen := map[error]bool{}
	for _, p := range e.Problems {
		if p.Err != nil && !seen[p.Err] {
			seen[p.Err] = true
			errs = append(errs, p.Err)
		}
	}
	return errs
}

// ValueError reports a bad or missing value for one indicator while scoring.
type ValueError struct {
	Subject string // subject ID being scored
	Path    string // indicator path
	Msg     string
	Err     error // ErrUnknownIndicator, ErrOutOfRange, ErrMissingValue, ErrUnknownCategory, ErrWrongKind, ErrNoData
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("assessment: subject %q, indicator %q: %s", e.Subject, e.Path, e.Msg)
}

func (e *ValueError) Unwrap() error { return e.Err }

// ValueErrors collects several ValueErrors (all unknown indicators of one call, say).
type ValueErrors []*ValueError

func (es ValueErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap exposes the individual errors to errors.Is / errors.As.
func (es ValueErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// OptionError names the Options field that failed validation.
type OptionError struct {
	Field string
	Msg   string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("assessment: invalid option %s: %s", e.Field, e.Msg)
}

func (e *OptionError) Unwrap() error { return ErrInvalidOptions }

// RecordError names the input record (and field) that is malformed, e.g. a
// utilisation sample with CPU 130 % or an interval that ends before it starts.
type RecordError struct {
	Kind  string // "sample", "work order", "survey", "outage", "incident", ...
	ID    string // record ID, or resource ID and index for samples
	Field string
	Msg   string
	Err   error // ErrOutOfRange or ErrInvalidRecord
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("assessment: %s %s: field %s: %s", e.Kind, e.ID, e.Field, e.Msg)
}

func (e *RecordError) Unwrap() error { return e.Err }

// ExclusionError reports an availability exclusion that cannot be accepted: it has
// no evidence, no approver, an unknown reason or a bad interval.
type ExclusionError struct {
	ID    string // exclusion ID
	Field string // "evidence", "approver", "reason", "interval"
	Msg   string
}

func (e *ExclusionError) Error() string {
	return fmt.Sprintf("assessment: exclusion %q: %s: %s", e.ID, e.Field, e.Msg)
}

func (e *ExclusionError) Unwrap() error { return ErrInvalidExclusion }
