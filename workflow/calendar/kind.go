package calendar

// Kind classifies a day.
type Kind uint8

const (
	// KindWorkday is an ordinary Monday–Friday working day.
	KindWorkday Kind = iota
	// KindWeekend is an ordinary Saturday or Sunday rest day.
	KindWeekend
	// KindHoliday is a rest day set by a notice (法定节假日 or a day of a
	// holiday period). Data code "holiday".
	KindHoliday
	// KindAdjustedWorkday is a Saturday or Sunday that a notice makes a working
	// day (调休上班). Data code "workday".
	KindAdjustedWorkday
	// KindClosure is an ad-hoc rest day such as a typhoon closure. Data code
	// "closure".
	KindClosure
)

// IsWorkday reports whether a day of this kind is a working day.
func (k Kind) IsWorkday() bool { return k == KindWorkday || k == KindAdjustedWorkday }

// String returns the Chinese label of the kind.
func (k Kind) String() string {
	switch k {
	case KindWorkday:
		return "工作日"
	case KindWeekend:
		return "周末"
	case KindHoliday:
		return "节假日"
	case KindAdjustedWorkday:
		return "调休上班"
	case KindClosure:
		return "临时停工"
	}
	return "未知"
}

// English returns the English label of the kind.
func (k Kind) English() string {
	switch k {
	case KindWorkday:
		return "working day"
	case KindWeekend:
		return "weekend"
	case KindHoliday:
		return "holiday"
	case KindAdjustedWorkday:
		return "adjusted working day"
	case KindClosure:
		return "closure"
	}
	return "unknown"
}

// kindCode is the data-file code of a notice-set kind.
func kindCode(k Kind) string {
	switch k {
	case KindHoliday:
		return "holiday"
	case KindAdjustedWorkday:
		return "workday"
	case KindClosure:
		return "closure"
	}
	return ""
}

func parseKindCode(s string) (Kind, bool) {
	switch s {
	case "holiday":
		return KindHoliday, true
	case "workday":
		return KindAdjustedWorkday, true
	case "closure":
		return KindClosure, true
	}
	return 0, false
}
