package quota_test

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/quota"
)

func TestVectorArithmetic(t *testing.T) {
	a := quota.Vector{cpu: 4_000, mem: 8_192}
	b := quota.Vector{cpu: 1_000, sto: 100, quota.PublicIPs: 0}
	tests := []struct {
		name string
		got  func() (quota.Vector, error)
		want quota.Vector
	}{
		{"add", func() (quota.Vector, error) { return a.Add(b) }, quota.Vector{cpu: 5_000, mem: 8_192, sto: 100}},
		{"sub to delta", func() (quota.Vector, error) { return a.Sub(b) }, quota.Vector{cpu: 3_000, mem: 8_192, sto: -100}},
		{"sub cancels", func() (quota.Vector, error) { return a.Sub(a) }, nil},
		{"scale", func() (quota.Vector, error) { return a.Scale(3) }, quota.Vector{cpu: 12_000, mem: 24_576}},
		{"scale by zero", func() (quota.Vector, error) { return a.Scale(0) }, quota.Vector{}},
		{"sub non-negative", func() (quota.Vector, error) { return a.SubNonNeg(quota.Vector{cpu: 4_000}) }, quota.Vector{mem: 8_192}},
	}
	for _, tt := range tests {
		got, err := tt.got()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
	if a.Get(cpu) != 4_000 || a.Get(sto) != 0 {
		t.Error("Get")
	}
	if !(quota.Vector{cpu: 1}).LessEq(a) || a.LessEq(b) || !(quota.Vector{}).LessEq(nil) {
		t.Error("LessEq")
	}
	if d := cmp.Diff([]quota.Dimension{mem, cpu}, a.Dimensions()); d != "" {
		t.Error(d)
	}
	if a.String() != "内存 8192 MiB, 虚拟CPU 4000 毫核" || a.Format(quota.English) != "memory 8192 MiB, vCPU 4000 milli-vCPU" {
		t.Errorf("String = %q / %q", a.String(), a.Format(quota.English))
	}
	// Operations never modify their operands.
	if d := cmp.Diff(quota.Vector{cpu: 4_000, mem: 8_192}, a); d != "" {
		t.Error(d)
	}
}

func TestVectorErrorsNameTheDimension(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
		dim  quota.Dimension
	}{
		{"add overflow", second(quota.Vector{mem: math.MaxInt64}.Add(quota.Vector{cpu: 1, mem: 1})), quota.ErrOverflow, mem},
		{"sub overflow", second(quota.Vector{sto: math.MinInt64 + 1}.Sub(quota.Vector{sto: 2})), quota.ErrOverflow, sto},
		{"negate MinInt64", second(quota.Vector{sto: math.MinInt64}.Scale(-1)), quota.ErrOverflow, sto},
		{"mul overflow", second(quota.Vector{cpu: math.MaxInt64 / 2}.Scale(3)), quota.ErrOverflow, cpu},
		{"negative", quota.Vector{cpu: 1, mem: -5}.Validate(), quota.ErrNegative, mem},
		{"sub below zero", second(quota.Vector{cpu: 1}.SubNonNeg(quota.Vector{cpu: 2})), quota.ErrNegative, cpu},
		{"bad name", quota.Vector{"9lives": 1}.Validate(), quota.ErrInvalidDimension, "9lives"},
		{"upper case", quota.Vector{"vCPU": 1}.Validate(), quota.ErrInvalidDimension, "vCPU"},
	}
	for _, tt := range tests {
		var de *quota.DimensionError
		if !errors.Is(tt.err, tt.want) || !errors.As(tt.err, &de) || de.Dim != tt.dim {
			t.Errorf("%s: err = %v, want %v naming %s", tt.name, tt.err, tt.want, tt.dim)
		}
	}
	if err := (quota.Vector{quota.Dimension("public_ips"): 3, "x_1": 0}).Validate(); err != nil {
		t.Error(err)
	}
}

func second(_ quota.Vector, err error) error { return err }

func TestShortfall(t *testing.T) {
	got := quota.Shortfall(quota.Vector{cpu: 10, mem: 5, sto: 1}, quota.Vector{cpu: 4, mem: 5})
	want := []quota.DimShortfall{{Dim: sto, Need: 1, Free: 0, Short: 1}, {Dim: cpu, Need: 10, Free: 4, Short: 6}}
	// Sorted by dimension name: "storage" < "vcpu".
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestParseVector(t *testing.T) {
	tests := []struct {
		in   string
		want quota.Vector
		err  error
	}{
		{"", quota.Vector{}, nil},
		{"0", quota.Vector{}, nil},
		{"vcpu=4000,memory=8192", quota.Vector{cpu: 4000, mem: 8192}, nil},
		{" vcpu = 1 , public_ips=2 ", quota.Vector{cpu: 1, quota.PublicIPs: 2}, nil},
		{"vcpu", nil, quota.ErrInvalid},
		{"vcpu=1,vcpu=2", nil, quota.ErrInvalid},
		{"vcpu=x", nil, quota.ErrInvalid},
		{"vcpu=-1", nil, quota.ErrNegative},
		{"vcpu=9223372036854775808", nil, quota.ErrOverflow},
		{"VCPU=1", nil, quota.ErrInvalidDimension},
		{"=1", nil, quota.ErrInvalidDimension},
	}
	for _, tt := range tests {
		got, err := quota.ParseVector(tt.in)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("%q: err = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, d)
		}
	}
}

func FuzzParseVector(f *testing.F) {
	for _, s := range []string{"", "0", "vcpu=4000,memory=8192", "a=1,b=2", "x=-1", "vcpu=99999999999999999999", "a=1,,b=2", " a = 0 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := quota.ParseVector(s)
		if err != nil {
			if v != nil {
				t.Fatalf("%q: vector %v with error %v", s, v, err)
			}
			return
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("%q parsed to an invalid vector: %v", s, err)
		}
		back, err := quota.ParseVector(v.Canonical())
		if err != nil {
			t.Fatalf("%q: canonical %q does not parse: %v", s, v.Canonical(), err)
		}
		if !back.Equal(v) {
			t.Fatalf("%q: round trip %v != %v", s, back, v)
		}
	})
}
