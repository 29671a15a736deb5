package quota

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Dimension names one resource a [Vector] counts. A dimension name is a
// lower-case ASCII identifier: it starts with a letter and continues with
// letters, digits or underscores, at most 64 bytes ("vcpu", "public_ips").
type Dimension string

// The four metered dimensions and the common countable resources. Each is an
// int64 in its base unit; see the package documentation.
const (
	// VCPU counts virtual CPU in milli-vCPU (1 vCPU = 1000), so half a core is
	// exact.
	VCPU Dimension = "vcpu"
	// Memory counts memory in MiB.
	Memory Dimension = "memory"
	// Storage counts block and object storage in GiB.
	Storage Dimension = "storage"
	// Bandwidth counts network bandwidth in Mbps.
	Bandwidth Dimension = "bandwidth"
	// DBInstances counts database instances (云数据库).
	DBInstances Dimension = "db_instances"
	// PublicIPs counts public IP addresses.
	PublicIPs Dimension = "public_ips"
	// SecurityServices counts security service subscriptions (云安全).
	SecurityServices Dimension = "security_services"
)

// MilliVCPU is the number of VCPU base units in one vCPU.
const MilliVCPU = 1000

type dimInfo struct{ zh, en, unitZh, unitEn string }

var dimInfos = map[Dimension]dimInfo{
	VCPU:             {"虚拟CPU", "vCPU", "毫核", "milli-vCPU"},
	Memory:           {"内存", "memory", "MiB", "MiB"},
	Storage:          {"存储", "storage", "GiB", "GiB"},
	Bandwidth:        {"带宽", "bandwidth", "Mbps", "Mbps"},
	DBInstances:      {"数据库实例", "database instances", "个", "instances"},
	PublicIPs:        {"公网IP", "public IPs", "个", "addresses"},
	SecurityServices: {"安全服务", "security services", "项", "services"},
}

// Validate reports whether d is a well-formed dimension name; the error
// matches ErrInvalidDimension.
func (d Dimension) Validate() error {
	if len(d) == 0 || len(d) > 64 {
		return &DimensionError{Dim: d, Op: "name", Err: ErrInvalidDimension}
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return &DimensionError{Dim: d, Op: "name", Err: ErrInvalidDimension}
		}
	}
	return nil
}

// String returns the Chinese label followed by the English one for the known
// dimensions ("内存 (memory)"), and the name itself for others.
func (d Dimension) String() string {
	if in, ok := dimInfos[d]; ok {
		return in.zh + " (" + in.en + ")"
	}
	return string(d)
}

// Label returns the label of d in lang (Chinese or English).
func (d Dimension) Label(lang Lang) string {
	in, ok := dimInfos[d]
	if !ok {
		return string(d)
	}
	if lang == English {
		return in.en
	}
	return in.zh
}

// Unit returns the base unit of d in lang ("MiB", "毫核"); countable resources
// without a known unit have "" .
func (d Dimension) Unit(lang Lang) string {
	in, ok := dimInfos[d]
	if !ok {
		return ""
	}
	if lang == English {
		return in.unitEn
	}
	return in.unitZh
}

// Lang selects the language of a user-facing label; Chinese is the default.
type Lang int

const (
	// Chinese labels (the default).
	Chinese Lang = iota
	// English labels.
	English
)

// Vector is a resource footprint: an amount per dimension in the dimension's
// base unit. A missing dimension is zero; every method treats a stored zero
// and a missing key alike, and results never store zeros. Amounts are
// non-negative for a footprint, a limit or a hold; a signed Vector is a delta
// (see [Vector.Sub]). Methods never modify their receiver or arguments.
//
// Write one as a literal: quota.Vector{quota.VCPU: 4000, quota.Memory: 8192}.
type Vector map[Dimension]int64

// Get returns the amount of d (zero when absent).
func (v Vector) Get(d Dimension) int64 { return v[d] }

// IsZero reports whether every amount is zero.
func (v Vector) IsZero() bool {
	for _, a := range v {
		if a != 0 {
			return false
		}
	}
	return true
}

// Dimensions returns the dimensions with a non-zero amount, sorted.
func (v Vector) Dimensions() []Dimension {
	ds := make([]Dimension, 0, len(v))
	for d, a := range v {
		if a != 0 {
			ds = append(ds, d)
		}
	}
	slices.Sort(ds)
	return ds
}

// Clone returns a copy of v without zero entries (nil when v is zero).
func (v Vector) Clone() Vector {
	var out Vector
	for d, a := range v {
		if a != 0 {
			if out == nil {
				out = make(Vector, len(v))
			}
			out[d] = a
		}
	}
	return out
}

// Equal reports whether v and w have the same amount in every dimension
// (missing and zero are equal). go-cmp uses it.
func (v Vector) Equal(w Vector) bool {
	for d, a := range v {
		if w[d] != a {
			return false
		}
	}
	for d, a := range w {
		if v[d] != a {
			return false
		}
	}
	return true
}

// Validate checks that every dimension name is well formed and every amount
// is non-negative. The error is a *DimensionError naming the first bad
// dimension in sorted order; it matches ErrInvalidDimension or ErrNegative.
func (v Vector) Validate() error {
	for _, d := range v.sortedKeys() {
		if err := d.Validate(); err != nil {
			return err
		}
		if v[d] < 0 {
			return &DimensionError{Dim: d, Op: "validate", Value: v[d], Err: ErrNegative}
		}
	}
	return nil
}

// ValidateDelta checks the dimension names of a signed vector (negative
// amounts allowed).
func (v Vector) ValidateDelta() error {
	for _, d := range v.sortedKeys() {
		if err := d.Validate(); err != nil {
			return err
		}
	}
	return nil
}

func (v Vector) sortedKeys() []Dimension {
	ds := make([]Dimension, 0, len(v))
	for d := range v {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds
}

// Add returns v + w, or a *DimensionError matching ErrOverflow naming the
// first dimension (sorted) whose sum leaves the int64 range.
func (v Vector) Add(w Vector) (Vector, error) {
	out := v.Clone()
	for _, d := range w.sortedKeys() {
		b := w[d]
		if b == 0 {
			continue
		}
		s, ok := addInt64(out[d], b)
		if !ok {
			return nil, &DimensionError{Dim: d, Op: "add", Value: b, Err: ErrOverflow}
		}
		if out == nil {
			out = make(Vector)
		}
		if s == 0 {
			delete(out, d)
		} else {
			out[d] = s
		}
	}
	return out, nil
}

// Sub returns v − w (possibly negative: a delta), or a *DimensionError
// matching ErrOverflow.
func (v Vector) Sub(w Vector) (Vector, error) {
	neg, err := w.Scale(-1)
	if err != nil {
		return nil, err
	}
	r, err := v.Add(neg)
	if err != nil {
		var de *DimensionError
		if asDimErr(err, &de) {
			de.Op = "sub"
		}
		return nil, err
	}
	return r, nil
}

// SubNonNeg returns v − w when no dimension goes below zero; otherwise a
// *DimensionError matching ErrNegative naming the first short dimension.
func (v Vector) SubNonNeg(w Vector) (Vector, error) {
	r, err := v.Sub(w)
	if err != nil {
		return nil, err
	}
	for _, d := range r.sortedKeys() {
		if r[d] < 0 {
			return nil, &DimensionError{Dim: d, Op: "sub", Value: r[d], Err: ErrNegative}
		}
	}
	return r, nil
}

// Scale returns k·v, or a *DimensionError matching ErrOverflow.
func (v Vector) Scale(k int64) (Vector, error) {
	var out Vector
	for _, d := range v.sortedKeys() {
		a := v[d]
		if a == 0 || k == 0 {
			continue
		}
		p, ok := mulInt64(a, k)
		if !ok {
			return nil, &DimensionError{Dim: d, Op: "mul", Value: a, Err: ErrOverflow}
		}
		if out == nil {
			out = make(Vector, len(v))
		}
		out[d] = p
	}
	return out, nil
}

// Positive returns the positive part of v (negative and zero amounts dropped).
func (v Vector) Positive() Vector {
	var out Vector
	for d, a := range v {
		if a > 0 {
			if out == nil {
				out = make(Vector)
			}
			out[d] = a
		}
	}
	return out
}

// LessEq reports whether v ≤ w in every dimension.
func (v Vector) LessEq(w Vector) bool {
	for d, a := range v {
		if a > w[d] {
			return false
		}
	}
	for d, b := range w {
		if _, ok := v[d]; !ok && b < 0 {
			return false
		}
	}
	return true
}

// Shortfall returns, for every dimension where need exceeds have, the amount
// missing (need − have), sorted by dimension. It is empty when need ≤ have.
func Shortfall(need, have Vector) []DimShortfall {
	var out []DimShortfall
	for _, d := range need.sortedKeys() {
		if n, h := need[d], have[d]; n > h {
			out = append(out, DimShortfall{Dim: d, Need: n, Free: h, Short: n - h})
		}
	}
	for _, d := range have.sortedKeys() {
		if _, ok := need[d]; !ok && have[d] < 0 {
			out = append(out, DimShortfall{Dim: d, Need: 0, Free: have[d], Short: -have[d]})
		}
	}
	slices.SortFunc(out, func(a, b DimShortfall) int { return strings.Compare(string(a.Dim), string(b.Dim)) })
	return out
}

// String formats v as "内存 (memory) 8192 MiB, 虚拟CPU (vCPU) 4000 毫核",
// dimensions sorted by name; the zero vector is "0".
func (v Vector) String() string { return v.Format(Chinese) }

// Format formats v with labels and units in lang.
func (v Vector) Format(lang Lang) string {
	ds := v.Dimensions()
	if len(ds) == 0 {
		return "0"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = formatAmount(d, v[d], lang)
	}
	return strings.Join(parts, ", ")
}

func formatAmount(d Dimension, a int64, lang Lang) string {
	s := fmt.Sprintf("%s %d", d.Label(lang), a)
	if u := d.Unit(lang); u != "" {
		s += " " + u
	}
	return s
}

func addInt64(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

func mulInt64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	p := a * b
	if p/b != a {
		return 0, false
	}
	return p, true
}

// ParseVector reads the canonical text form of a vector, as written by
// [Vector.Canonical]: comma-separated dimension=amount pairs in base units,
// e.g. "memory=8192,vcpu=4000" (spaces around items are ignored; "" and "0"
// are the zero vector). Amounts are non-negative decimal integers. Errors
// name the item: an *InputError for syntax or a repeated dimension, a
// *DimensionError for a malformed name (ErrInvalidDimension), a negative
// amount (ErrNegative) or one beyond int64 (ErrOverflow).
func ParseVector(s string) (Vector, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return Vector{}, nil
	}
	v := Vector{}
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		name, num, ok := strings.Cut(item, "=")
		if !ok {
			return nil, &InputError{Field: fmt.Sprintf("item %d", i+1), Reason: fmt.Sprintf("%q is not dimension=amount", item)}
		}
		d := Dimension(strings.TrimSpace(name))
		if err := d.Validate(); err != nil {
			return nil, err
		}
		if _, dup := v[d]; dup {
			return nil, &InputError{Field: fmt.Sprintf("item %d", i+1), Reason: fmt.Sprintf("dimension %s repeated", string(d))}
		}
		num = strings.TrimSpace(num)
		a, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return nil, &DimensionError{Dim: d, Op: "parse " + num, Err: ErrOverflow}
			}
			return nil, &InputError{Field: fmt.Sprintf("item %d", i+1), Reason: fmt.Sprintf("amount %q is not an integer", num)}
		}
		if a < 0 {
			return nil, &DimensionError{Dim: d, Op: "parse", Value: a, Err: ErrNegative}
		}
		v[d] = a
	}
	return v, nil
}

// Canonical returns the canonical text form of v: its non-zero dimensions,
// sorted, as "dimension=amount" joined by commas ("" for the zero vector).
// ParseVector reads it back.
func (v Vector) Canonical() string { return canonical(v) }
