package calendar

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package matches one of them
// with errors.Is, and carries its detail in a typed error (errors.As).
var (
	// ErrNotCovered: a date, or an answer that would need a date, lies outside
	// the calendar's coverage. Detail: *NotCoveredError.
	ErrNotCovered = errors.New("calendar: date not covered by the holiday data")

	// ErrInvalidData: a holiday data file, or a combination of files, is
	// malformed or inconsistent. Detail: *DataError (one per problem, in a
	// DataErrors list).
	ErrInvalidData = errors.New("calendar: invalid holiday data")

	// ErrInvalidArgument: an argument is out of its domain (n < 1 for a
	// deadline, an invalid Date, a malformed OfficeHours, ...). Detail:
	// *ArgumentError.
	ErrInvalidArgument = errors.New("calendar: invalid argument")

	// ErrCoverageEnding: returned by CoverageWarning when the coverage ends
	// within the horizon (or has ended). Detail: *CoverageWarningError.
	ErrCoverageEnding = errors.New("calendar: holiday data coverage ends soon")
)

// NotCoveredError reports a date outside the calendar's coverage and names the
// coverage, so that an operator knows which notice to load.
type NotCoveredError struct {
	Date  Date // the date that is not covered (for an answer beyond coverage: the first day past it)
	First Date // first covered date
	Last  Date // last covered date
	// Answer is true when the inputs were covered but the answer would lie
	// beyond the coverage.
	Answer bool
}

func (e *NotCoveredError) Error() string {
	what, en := "日期", "date"
	if e.Answer {
		what, en = "结果需要的日期", "the answer needs date"
	}
	return fmt.Sprintf("calendar: %s %s 不在节假日数据覆盖范围（%s 至 %s）内 / %s %s is outside the holiday data coverage %s..%s",
		what, e.Date, e.First, e.Last, en, e.Date, e.First, e.Last)
}

// Is makes errors.Is(err, ErrNotCovered) true.
func (e *NotCoveredError) Is(target error) bool { return target == ErrNotCovered }

// ArgumentError reports an argument outside its domain.
type ArgumentError struct {
	Arg string // the argument or field, e.g. "n", "OfficeHours.Periods[1]"
	Msg string
}

func (e *ArgumentError) Error() string { return "calendar: invalid " + e.Arg + ": " + e.Msg }

// Is makes errors.Is(err, ErrInvalidArgument) true.
func (e *ArgumentError) Is(target error) bool { return target == ErrInvalidArgument }

// DataError is one problem in holiday data, located by line.
type DataError struct {
	Source string // Dataset.Source of the file, if the caller set one
	Line   int    // 1-based line in the file; 0 if unknown
	Field  string // JSON path of the offending field, e.g. "days[3].kind"
	Msg    string
}

func (e *DataError) Error() string {
	var b strings.Builder
	b.WriteString("calendar: ")
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	} else if e.Source != "" {
		b.WriteString(" ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidData) true.
func (e *DataError) Is(target error) bool { return target == ErrInvalidData }

// DataErrors lists every problem found in holiday data, in file order.
// errors.As(err, &de) with de *DataError yields the first.
type DataErrors []*DataError

func (es DataErrors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "calendar: %d problems in holiday data:", len(es))
	for _, e := range es {
		b.WriteString("\n\t")
		b.WriteString(strings.TrimPrefix(e.Error(), "calendar: "))
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidData) true.
func (es DataErrors) Is(target error) bool { return target == ErrInvalidData }

// Unwrap returns the individual problems.
func (es DataErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// CoverageWarningError says that the calendar's coverage ends within the
// horizon an operator asked about, and which notice to load.
type CoverageWarningError struct {
	Today    Date // the date of "now" in Beijing
	Last     Date // last covered date
	DaysLeft int  // calendar days from Today to Last; negative once coverage has ended
	Horizon  int  // the horizon asked for, in days
	NextYear int  // the year whose national notice should be loaded
}

func (e *CoverageWarningError) Error() string {
	if e.DaysLeft < 0 {
		return fmt.Sprintf("calendar: 节假日数据已于 %s 结束（%d 天前）；请加载国务院办公厅关于%d年部分节假日安排的通知 / holiday data coverage ended %s, %d days ago; load the %d notice",
			e.Last, -e.DaysLeft, e.NextYear, e.Last, -e.DaysLeft, e.NextYear)
	}
	return fmt.Sprintf("calendar: 节假日数据覆盖至 %s，距今 %d 天；请加载国务院办公厅关于%d年部分节假日安排的通知 / holiday data coverage ends %s, %d days from now; load the %d notice",
		e.Last, e.DaysLeft, e.NextYear, e.Last, e.DaysLeft, e.NextYear)
}

// Is makes errors.Is(err, ErrCoverageEnding) true.
func (e *CoverageWarningError) Is(target error) bool { return target == ErrCoverageEnding }
