package gormstore

import (
	"math"
	"reflect"
	"time"
)

var (
	minNanoTime = time.Unix(0, math.MinInt64+1)
	maxNanoTime = time.Unix(0, math.MaxInt64)
	timeType    = reflect.TypeFor[time.Time]()
)

// nanos converts t to the int64 stored in ordering columns: nanoseconds since
// the Unix epoch, clamped to the representable range (years 1678–2262), with
// the zero time (the earliest time.Time) as math.MinInt64 so that it sorts
// first, as it does in Go.
func nanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return math.MinInt64
	case t.Before(minNanoTime):
		return math.MinInt64 + 1
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// nullNanos is nanos for nullable columns: the zero time becomes nil (NULL).
func nullNanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := nanos(t)
	return &n
}

// fromNanos converts a stored nullable instant back; nil is the zero time.
func fromNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}

// utcAll rewrites, in place, every time.Time reachable from ptr (through
// structs, pointers, slices and arrays) to UTC, keeping zero times zero. The
// store contract returns instants in UTC; records decoded from JSON carry the
// offset they were written with.
func utcAll(ptr any) { utcValue(reflect.ValueOf(ptr)) }

func utcValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			utcValue(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == timeType {
			if v.CanSet() {
				// Through its address: no boxing of the time in an interface.
				p := v.Addr().Interface().(*time.Time)
				if p.IsZero() {
					*p = time.Time{}
				} else {
					*p = p.UTC()
				}
			}
			return
		}
		for i := range v.NumField() {
			// CanInterface is false exactly for a field reached through an
			// unexported one, and cheaper than building the StructField.
			if f := v.Field(i); f.CanInterface() {
				utcValue(f)
			}
		}
	case reflect.Slice, reflect.Array:
		if !mayHoldTime(v.Type().Elem().Kind()) {
			return // []byte, []string, []int64, …
		}
		for i := range v.Len() {
			utcValue(v.Index(i))
		}
	case reflect.Map:
		// Map values are not addressable; records hold no times in maps.
	}
}

// mayHoldTime reports whether a value of kind k may hold a time.Time that
// utcValue can reach.
func mayHoldTime(k reflect.Kind) bool {
	switch k {
	case reflect.Struct, reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Array:
		return true
	}
	return false
}
