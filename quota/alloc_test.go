package quota_test

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/quota"
)

const (
	cpu = quota.VCPU
	mem = quota.Memory
	sto = quota.Storage
)

func TestAllocatorsTable(t *testing.T) {
	tests := []struct {
		name   string
		alloc  quota.Allocator
		cap    quota.Vector
		claims []quota.Claim
		want   quota.Allocation
	}{
		{
			name:  "proportional exact",
			alloc: quota.Proportional{},
			cap:   quota.Vector{cpu: 10},
			claims: []quota.Claim{
				{Department: "a", Demand: quota.Vector{cpu: 6}},
				{Department: "b", Demand: quota.Vector{cpu: 4}},
				{Department: "c", Demand: quota.Vector{cpu: 10}},
			},
			want: quota.Allocation{"a": {cpu: 3}, "b": {cpu: 2}, "c": {cpu: 5}},
		},
		{
			name:  "proportional largest remainder, tie to lower ID",
			alloc: quota.Proportional{},
			cap:   quota.Vector{cpu: 2},
			claims: []quota.Claim{
				{Department: "c", Demand: quota.Vector{cpu: 1}},
				{Department: "b", Demand: quota.Vector{cpu: 1}},
				{Department: "a", Demand: quota.Vector{cpu: 1}},
			},
			want: quota.Allocation{"a": {cpu: 1}, "b": {cpu: 1}, "c": {}},
		},
		{
			name:  "proportional under capacity gives demand",
			alloc: quota.Proportional{},
			cap:   quota.Vector{cpu: 100, mem: 5},
			claims: []quota.Claim{
				{Department: "a", Demand: quota.Vector{cpu: 30, mem: 4}},
				{Department: "b", Demand: quota.Vector{cpu: 20, mem: 4}},
			},
			// memory: 5·4/8 = 2.5 each; the tie goes to "a".
			want: quota.Allocation{"a": {cpu: 30, mem: 3}, "b": {cpu: 20, mem: 2}},
		},
		{
			name:  "max-min equal weights",
			alloc: quota.MaxMin{},
			cap:   quota.Vector{cpu: 10},
			claims: []quota.Claim{
				{Department: "a", Demand: quota.Vector{cpu: 2}},
				{Department: "b", Demand: quota.Vector{cpu: 8}},
				{Department: "c", Demand: quota.Vector{cpu: 8}},
			},
			want: quota.Allocation{"a": {cpu: 2}, "b": {cpu: 4}, "c": {cpu: 4}},
		},
		{
			name:  "weighted max-min with remainder",
			alloc: quota.MaxMin{},
			cap:   quota.Vector{cpu: 10},
			claims: []quota.Claim{
				{Department: "a", Demand: quota.Vector{cpu: 2}},
				{Department: "b", Demand: quota.Vector{cpu: 8}, Weight: 2},
				{Department: "c", Demand: quota.Vector{cpu: 8}},
			},
			// a saturates at 2; 8 left for weights 2:1 → 5⅓ and 2⅔ → 5 and 3.
			want: quota.Allocation{"a": {cpu: 2}, "b": {cpu: 5}, "c": {cpu: 3}},
		},
		{
			name:  "priority tiers",
			alloc: quota.PriorityTiers{},
			cap:   quota.Vector{cpu: 10, mem: 100},
			claims: []quota.Claim{
				{Department: "hi", Demand: quota.Vector{cpu: 6, mem: 10}, Priority: 2},
				{Department: "mid1", Demand: quota.Vector{cpu: 4, mem: 10}, Priority: 1},
				{Department: "mid2", Demand: quota.Vector{cpu: 1, mem: 10}, Priority: 1},
				{Department: "lo", Demand: quota.Vector{cpu: 5, mem: 50}},
			},
			// hi in full; 4 cpu left for mid: max-min gives mid2 1, mid1 3; lo gets memory only.
			want: quota.Allocation{"hi": {cpu: 6, mem: 10}, "mid1": {cpu: 3, mem: 10}, "mid2": {cpu: 1, mem: 10}, "lo": {mem: 50}},
		},
		{
			// Ghodsi et al. 2011, §4: 9 CPUs, 18 GB; A's tasks <1 CPU, 4 GB>,
			// B's <3 CPU, 1 GB>. DRF gives A three tasks and B two.
			name:  "DRF paper example",
			alloc: quota.DRF{},
			cap:   quota.Vector{cpu: 9, mem: 18},
			claims: []quota.Claim{
				{Department: "A", Demand: quota.Vector{cpu: 100, mem: 400}},
				{Department: "B", Demand: quota.Vector{cpu: 300, mem: 100}},
			},
			want: quota.Allocation{"A": {cpu: 3, mem: 12}, "B": {cpu: 6, mem: 2}},
		},
		{
			name:  "DRF demand cap frees capacity for others",
			alloc: quota.DRF{},
			cap:   quota.Vector{cpu: 100, mem: 100},
			claims: []quota.Claim{
				{Department: "small", Demand: quota.Vector{cpu: 10, mem: 10}},
				{Department: "big", Demand: quota.Vector{cpu: 200, mem: 100}},
			},
			// small is met at dominant share 0.1; big then takes the rest of CPU (90) and 45 memory.
			want: quota.Allocation{"small": {cpu: 10, mem: 10}, "big": {cpu: 90, mem: 45}},
		},
		{
			name:  "DRF zero-capacity resource blocks its claimants only",
			alloc: quota.DRF{},
			cap:   quota.Vector{cpu: 10, quota.PublicIPs: 0},
			claims: []quota.Claim{
				{Department: "ip", Demand: quota.Vector{cpu: 5, quota.PublicIPs: 1}},
				{Department: "plain", Demand: quota.Vector{cpu: 20}},
			},
			want: quota.Allocation{"ip": {}, "plain": {cpu: 10}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.alloc.Allocate(tt.cap, tt.claims)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.alloc.Name(), d)
			}
		})
	}
}

func TestAllocateBadInput(t *testing.T) {
	cases := []struct {
		name   string
		cap    quota.Vector
		claims []quota.Claim
		want   error
	}{
		{"negative capacity", quota.Vector{cpu: -1}, nil, quota.ErrNegative},
		{"negative demand", quota.Vector{cpu: 1}, []quota.Claim{{Department: "a", Demand: quota.Vector{cpu: -1}}}, quota.ErrNegative},
		{"unknown dimension", quota.Vector{cpu: 1}, []quota.Claim{{Department: "a", Demand: quota.Vector{mem: 1}}}, quota.ErrUnknownDimension},
		{"bad dimension name", quota.Vector{"CPU": 1}, nil, quota.ErrInvalidDimension},
		{"duplicate department", quota.Vector{cpu: 1}, []quota.Claim{{Department: "a"}, {Department: "a"}}, quota.ErrInvalid},
		{"empty department", quota.Vector{cpu: 1}, []quota.Claim{{}}, quota.ErrInvalid},
		{"negative weight", quota.Vector{cpu: 1}, []quota.Claim{{Department: "a", Weight: -2}}, quota.ErrInvalid},
		{"demand sum overflows", quota.Vector{cpu: 1}, []quota.Claim{
			{Department: "a", Demand: quota.Vector{cpu: math.MaxInt64}},
			{Department: "b", Demand: quota.Vector{cpu: 1}}}, quota.ErrOverflow},
	}
	for _, c := range cases {
		for _, a := range allocators() {
			_, err := a.Allocate(c.cap, c.claims)
			if !errors.Is(err, c.want) {
				t.Errorf("%s/%s: err = %v, want %v", c.name, a.Name(), err, c.want)
			}
		}
	}
	_, err := quota.DRF{}.Allocate(quota.Vector{cpu: 1}, []quota.Claim{{Department: "a", Demand: quota.Vector{mem: 1}}})
	var de *quota.DimensionError
	if !errors.As(err, &de) || de.Dim != mem {
		t.Errorf("error %v does not name dimension memory", err)
	}
}

func allocators() []quota.Allocator {
	return []quota.Allocator{quota.Proportional{}, quota.MaxMin{}, quota.PriorityTiers{},
		quota.PriorityTiers{Within: quota.Proportional{}}, quota.PriorityTiers{Within: quota.DRF{}}, quota.DRF{}}
}

var dimsPool = []quota.Dimension{cpu, mem, sto, quota.Bandwidth, quota.PublicIPs, quota.DBInstances}

type instance struct {
	cap    quota.Vector
	claims []quota.Claim
}

// randomInstance draws a small instance; demands are often above capacity.
func randomInstance(rng *rand.Rand, weighted bool) instance {
	m := 1 + rng.IntN(4)
	n := 1 + rng.IntN(10)
	dims := dimsPool[:m]
	capv := quota.Vector{}
	for _, d := range dims {
		capv[d] = int64(rng.IntN(1000))
		if rng.IntN(10) == 0 {
			capv[d] = 0
		}
	}
	claims := make([]quota.Claim, n)
	for i := range claims {
		dem := quota.Vector{}
		for _, d := range dims {
			if rng.IntN(4) > 0 {
				dem[d] = int64(rng.IntN(600))
			}
		}
		claims[i] = quota.Claim{Department: fmt.Sprintf("d%02d", i), Demand: dem, Priority: rng.IntN(3)}
		if weighted {
			claims[i].Weight = int64(1 + rng.IntN(5))
		}
	}
	return instance{capv, claims}
}

func checkFeasible(t *testing.T, name string, in instance, got quota.Allocation) {
	t.Helper()
	if len(got) != len(in.claims) {
		t.Fatalf("%s: %d grants for %d claims", name, len(got), len(in.claims))
	}
	for _, c := range in.claims {
		g, ok := got[c.Department]
		if !ok {
			t.Fatalf("%s: no grant for %s", name, c.Department)
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("%s: %s: %v", name, c.Department, err)
		}
		if !g.LessEq(c.Demand) {
			t.Fatalf("%s: %s granted %v above demand %v", name, c.Department, g, c.Demand)
		}
	}
	if tot := got.Total(); !tot.LessEq(in.cap) {
		t.Fatalf("%s: total %v above capacity %v", name, tot, in.cap)
	}
}

func TestAllocatorsPropertiesCommon(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for k := range 400 {
		in := randomInstance(rng, k%2 == 0)
		for _, a := range allocators() {
			got, err := a.Allocate(in.cap, in.claims)
			if err != nil {
				t.Fatalf("instance %d %s: %v", k, a.Name(), err)
			}
			checkFeasible(t, fmt.Sprintf("instance %d %s", k, a.Name()), in, got)
			// Determinism: the order of the claims does not matter.
			shuffled := slices.Clone(in.claims)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			again, err := a.Allocate(in.cap, shuffled)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(got, again); d != "" {
				t.Fatalf("instance %d %s depends on claim order:\n%s", k, a.Name(), d)
			}
		}
	}
}

func sumDemand(in instance, d quota.Dimension) int64 {
	var s int64
	for _, c := range in.claims {
		s += c.Demand[d]
	}
	return s
}

func TestProportionalProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for k := range 500 {
		in := randomInstance(rng, false)
		got, err := quota.Proportional{}.Allocate(in.cap, in.claims)
		if err != nil {
			t.Fatal(err)
		}
		for d, c := range in.cap {
			D := sumDemand(in, d)
			if tot := got.Total()[d]; tot != min(c, D) {
				t.Fatalf("instance %d %s: total %d, want min(cap %d, demand %d)", k, d, tot, c, D)
			}
			if D <= c {
				continue
			}
			for _, cl := range in.claims {
				exact := new(big.Rat).SetFrac(big.NewInt(c*cl.Demand[d]), big.NewInt(D))
				diff := new(big.Rat).Sub(new(big.Rat).SetInt64(got[cl.Department][d]), exact)
				if diff.Abs(diff).Cmp(big.NewRat(1, 1)) >= 0 {
					t.Fatalf("instance %d %s %s: %d is not within 1 of %s", k, d, cl.Department, got[cl.Department][d], exact.FloatString(3))
				}
			}
		}
	}
}

func TestMaxMinProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for k := range 500 {
		in := randomInstance(rng, true)
		got, err := quota.MaxMin{}.Allocate(in.cap, in.claims)
		if err != nil {
			t.Fatal(err)
		}
		for d, c := range in.cap {
			D := sumDemand(in, d)
			if tot := got.Total()[d]; tot != min(c, D) {
				t.Fatalf("instance %d %s: total %d, want min(cap %d, demand %d) (work-conserving)", k, d, tot, c, D)
			}
			// Max-min: an unsatisfied claim i is not behind any claim j by
			// more than rounding: (xⱼ−1)/wⱼ < (xᵢ+1)/wᵢ.
			for _, i := range in.claims {
				xi := got[i.Department][d]
				if xi == i.Demand[d] {
					continue
				}
				for _, j := range in.claims {
					xj := got[j.Department][d]
					if (xj-1)*i.Weight >= (xi+1)*j.Weight {
						t.Fatalf("instance %d %s: %s has %d/%d, unsatisfied %s has %d/%d", k, d, j.Department, xj, j.Weight, i.Department, xi, i.Weight)
					}
				}
			}
		}
	}
}

func TestPriorityProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for k := range 300 {
		in := randomInstance(rng, true)
		got, err := quota.PriorityTiers{}.Allocate(in.cap, in.claims)
		if err != nil {
			t.Fatal(err)
		}
		for d := range in.cap {
			// A claim left short in d means no lower tier got any d.
			for _, hi := range in.claims {
				if got[hi.Department][d] == hi.Demand[d] {
					continue
				}
				for _, lo := range in.claims {
					if lo.Priority < hi.Priority && got[lo.Department][d] > 0 {
						t.Fatalf("instance %d %s: lower-priority %s got %d while %s is short", k, d, lo.Department, got[lo.Department][d], hi.Department)
					}
				}
			}
		}
	}
}

// utility is claim c's Leontief utility of y: the fraction of its demand y
// lets it run, capped at 1, with every component shifted by delta.
func utility(c quota.Claim, y quota.Vector, scale float64, delta float64) float64 {
	u := 1.0
	for d, need := range c.Demand {
		if need == 0 {
			continue
		}
		have := max((float64(y[d])+delta)*scale, 0)
		u = min(u, have/float64(need))
	}
	return u
}

const eps = 1e-9

func TestDRFProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for k := range 600 {
		in := randomInstance(rng, k%3 == 0)
		got, err := quota.DRF{}.Allocate(in.cap, in.claims)
		if err != nil {
			t.Fatal(err)
		}
		total := got.Total()
		var W int64
		for _, c := range in.claims {
			W += max(c.Weight, 1)
		}
		for _, i := range in.claims {
			xi := got[i.Department]
			wi := float64(max(i.Weight, 1))
			// Proportional to demand within rounding: one t fits all dimensions.
			lo, hi := 0.0, 1.0
			for d, need := range i.Demand {
				if need > 0 {
					lo = max(lo, float64(xi[d]-1)/float64(need))
					hi = min(hi, float64(xi[d]+1)/float64(need))
				}
			}
			if lo > hi+eps {
				t.Fatalf("instance %d: %s's grant %v is not a multiple of its demand %v", k, i.Department, xi, i.Demand)
			}
			// Pareto efficiency: a claim not fully served needs a resource
			// that is used up exactly.
			if !xi.Equal(i.Demand) {
				blocked := false
				for d, need := range i.Demand {
					if need > 0 && total[d] == in.cap[d] {
						blocked = true
					}
				}
				if !blocked {
					t.Fatalf("instance %d: %s is short (%v of %v) but none of its resources is exhausted (%v of %v)", k, i.Department, xi, i.Demand, total, in.cap)
				}
			}
			// Sharing incentive: at least the weighted 1/n share of everything.
			dom := 0.0
			for d, need := range i.Demand {
				if need > 0 {
					dom = max(dom, float64(need)/float64(in.cap[d]))
				}
			}
			if si := min(1, wi/float64(W)/dom); utility(i, xi, 1, 1) < si-eps {
				t.Fatalf("instance %d: %s utility %v below its share %v", k, i.Department, utility(i, xi, 1, 1), si)
			}
			// Envy-freeness (weighted): i does not prefer j's grant scaled by wᵢ/wⱼ.
			ui := utility(i, xi, 1, 1)
			for _, j := range in.claims {
				if j.Department == i.Department {
					continue
				}
				wj := float64(max(j.Weight, 1))
				if uj := utility(i, got[j.Department], wi/wj, -1); uj > ui+eps {
					t.Fatalf("instance %d: %s envies %s: %v > %v", k, i.Department, j.Department, uj, ui)
				}
			}
		}
	}
}

func TestDRFStrategyProof(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for k := range 600 {
		in := randomInstance(rng, k%2 == 0)
		truth, err := quota.DRF{}.Allocate(in.cap, in.claims)
		if err != nil {
			t.Fatal(err)
		}
		liar := rng.IntN(len(in.claims))
		lie := slices.Clone(in.claims)
		inflated := quota.Vector{}
		for d, a := range in.claims[liar].Demand {
			switch rng.IntN(3) {
			case 0:
				inflated[d] = a
			case 1:
				inflated[d] = a + int64(rng.IntN(500))
			default:
				inflated[d] = a * int64(1+rng.IntN(4))
			}
		}
		for d := range in.cap {
			if _, ok := inflated[d]; !ok && rng.IntN(3) == 0 {
				inflated[d] = int64(rng.IntN(300)) // claims a resource it does not need
			}
		}
		lie[liar].Demand = inflated
		got, err := quota.DRF{}.Allocate(in.cap, lie)
		if err != nil {
			t.Fatal(err)
		}
		c := in.claims[liar]
		honest := utility(c, truth[c.Department], 1, 1)
		lying := utility(c, got[c.Department], 1, -1)
		if lying > honest+eps {
			t.Fatalf("instance %d: %s gains by reporting %v instead of %v: %v > %v", k, c.Department, inflated, c.Demand, lying, honest)
		}
	}
}

func TestDRFSingleResourceIsMaxMin(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for k := range 300 {
		in := randomInstance(rng, true)
		d := in.cap.Dimensions()
		if len(d) == 0 {
			continue
		}
		one := quota.Vector{d[0]: in.cap[d[0]]}
		claims := slices.Clone(in.claims)
		for i := range claims {
			claims[i].Demand = quota.Vector{d[0]: claims[i].Demand[d[0]]}
		}
		a, err := quota.DRF{}.Allocate(one, claims)
		if err != nil {
			t.Fatal(err)
		}
		b, err := quota.MaxMin{}.Allocate(one, claims)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range claims {
			if x, y := a[c.Department][d[0]], b[c.Department][d[0]]; x-y > 1 || y-x > 1 {
				t.Fatalf("instance %d %s: DRF %d vs max-min %d", k, c.Department, x, y)
			}
		}
	}
}

func bigInstance(n, m int, seed uint64) instance {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	capv := quota.Vector{}
	for _, d := range dimsPool[:m] {
		capv[d] = 1_000_000 + int64(rng.IntN(1_000_000))
	}
	claims := make([]quota.Claim, n)
	for i := range claims {
		dem := quota.Vector{}
		for _, d := range dimsPool[:m] {
			if rng.IntN(5) > 0 {
				dem[d] = int64(rng.IntN(1000))
			}
		}
		claims[i] = quota.Claim{Department: fmt.Sprintf("dept-%05d", i), Demand: dem, Weight: int64(1 + rng.IntN(3))}
	}
	return instance{capv, claims}
}

func TestDRFLarge(t *testing.T) {
	in := bigInstance(10000, 6, 42)
	got, err := quota.DRF{}.Allocate(in.cap, in.claims)
	if err != nil {
		t.Fatal(err)
	}
	checkFeasible(t, "10000x6", in, got)
}

func benchAlloc(b *testing.B, a quota.Allocator) {
	in := bigInstance(10000, 6, 42)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Allocate(in.cap, in.claims); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDRF10000x6 is the target: under 100 ms per allocation.
func BenchmarkDRF10000x6(b *testing.B)          { benchAlloc(b, quota.DRF{}) }
func BenchmarkMaxMin10000x6(b *testing.B)       { benchAlloc(b, quota.MaxMin{}) }
func BenchmarkProportional10000x6(b *testing.B) { benchAlloc(b, quota.Proportional{}) }

// TestDRFLargeMagnitudes checks feasibility and exact Pareto efficiency when
// amounts are around 10¹² (where float64 keeps ~4 fractional bits).
func TestDRFLargeMagnitudes(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 78))
	for k := range 200 {
		in := instance{cap: quota.Vector{cpu: 1e12 + int64(rng.IntN(1e9)), mem: 5e11 + int64(rng.IntN(1e9))}}
		for i := range 2 + rng.IntN(30) {
			in.claims = append(in.claims, quota.Claim{Department: fmt.Sprint("d", i),
				Demand: quota.Vector{cpu: int64(rng.IntN(1e11)), mem: int64(rng.IntN(1e11))}, Weight: int64(1 + rng.IntN(3))})
		}
		got, err := quota.DRF{}.Allocate(in.cap, in.claims)
		if err != nil {
			t.Fatal(err)
		}
		checkFeasible(t, fmt.Sprintf("instance %d", k), in, got)
		tot := got.Total()
		for _, c := range in.claims {
			if got[c.Department].Equal(c.Demand) {
				continue
			}
			blocked := false
			for d, need := range c.Demand {
				blocked = blocked || (need > 0 && tot[d] == in.cap[d])
			}
			if !blocked {
				t.Fatalf("instance %d: %s short with capacity left: %v of %v", k, c.Department, tot, in.cap)
			}
		}
	}
}
