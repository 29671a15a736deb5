package calendar

// This file gives Date its text form, so that a Date can be a JSON string, a
// map key, a CSV cell or a database column without a wrapper type.

// IsZero reports whether d is the zero Date, which is not a valid date. Text
// forms use it for an absent date: it marshals as "" (and so works with the
// `json:",omitzero"` option).
func (d Date) IsZero() bool { return d == Date{} }

// AppendText appends the text form of d to b (encoding.TextAppender): see
// MarshalText.
func (d Date) AppendText(b []byte) ([]byte, error) {
	if d.IsZero() {
		return b, nil
	}
	if !d.Valid() {
		return b, &ArgumentError{Arg: "date", Msg: "cannot marshal " + d.String() + ": not a valid date"}
	}
	return append(b, d.String()...), nil
}

// MarshalText implements encoding.TextMarshaler. A valid Date is written as
// "2006-01-02"; the zero Date (an absent date) as the empty string. Any other
// invalid Date, such as 2025-02-30, is an *ArgumentError (ErrInvalidArgument):
// a text form that could not be read back is never written.
func (d Date) MarshalText() ([]byte, error) { return d.AppendText(nil) }

// UnmarshalText implements encoding.TextUnmarshaler: the inverse of
// MarshalText. It reads "2006-01-02" with ParseDate, and the empty string as
// the zero Date. Anything else, including a day that does not exist, is an
// *ArgumentError (ErrInvalidArgument) and leaves d unchanged.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
