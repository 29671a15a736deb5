package quota

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Claim is one department's demand in an allocation of the yearly plan.
type Claim struct {
	// Department identifies the claimant; allocations are keyed by it and
	// ties are broken by it (ascending), so results do not depend on the
	// order of the claims.
	Department string
	// Demand is what the department asks for; every dimension must be one
	// the capacity lists.
	Demand Vector
	// Weight scales the department's fair share (MaxMin, DRF; 0 means 1).
	Weight int64
	// Priority orders the tiers of PriorityTiers: higher is served first.
	Priority int
}

// Allocation maps each department to its grant. Every claim has an entry
// (possibly the zero vector).
type Allocation map[string]Vector

// Total returns the sum of the grants.
func (a Allocation) Total() Vector {
	depts := make([]string, 0, len(a))
	for d := range a {
		depts = append(depts, d)
	}
	slices.Sort(depts)
	var t Vector
	for _, d := range depts {
		t, _ = t.Add(a[d]) // cannot overflow: grants sum to at most the capacity
	}
	return t
}

// Allocator divides a capacity among claims. Implementations are pure and
// deterministic; results never exceed the capacity (in any dimension) nor
// any claim's demand.
type Allocator interface {
	Allocate(capacity Vector, claims []Claim) (Allocation, error)
	// Name is a stable identifier ("proportional", "maxmin", "priority",
	// "drf").
	Name() string
}

// problem is the validated, dense form of an allocation input: claims sorted
// by department, dims sorted, demand row-major.
type problem struct {
	dims   []Dimension
	cap    []int64
	claims []Claim
	w      []int64
	d      []int64 // n×m
}

func (p *problem) n() int { return len(p.claims) }
func (p *problem) m() int { return len(p.dims) }

func prepare(capacity Vector, claims []Claim) (*problem, error) {
	if err := capacity.Validate(); err != nil {
		return nil, err
	}
	p := &problem{dims: capacity.sortedKeys()}
	idx := make(map[Dimension]int, len(p.dims))
	for r, d := range p.dims {
		idx[d] = r
		p.cap = append(p.cap, capacity[d])
	}
	p.claims = slices.Clone(claims)
	slices.SortStableFunc(p.claims, func(a, b Claim) int { return cmp.Compare(a.Department, b.Department) })
	n, m := len(p.claims), len(p.dims)
	p.w = make([]int64, n)
	p.d = make([]int64, n*m)
	sums := make([]int64, m)
	for i, c := range p.claims {
		if err := validID("Claim.Department", c.Department); err != nil {
			return nil, err
		}
		if i > 0 && p.claims[i-1].Department == c.Department {
			return nil, &InputError{Field: "Claim.Department", Reason: fmt.Sprintf("%q claims twice", c.Department)}
		}
		if c.Weight < 0 {
			return nil, &InputError{Field: "Claim.Weight", Reason: fmt.Sprintf("%q has negative weight %d", c.Department, c.Weight)}
		}
		p.w[i] = max(c.Weight, 1)
		for d, a := range c.Demand {
			r, ok := idx[d]
			if !ok || a < 0 {
				// Slow path: report the first bad dimension in sorted order.
				if err := c.Demand.Validate(); err != nil {
					return nil, err
				}
				if a == 0 {
					continue
				}
				return nil, c.unknownDim(idx)
			}
			p.d[i*m+r] = a
			s, ok := addInt64(sums[r], a)
			if !ok {
				return nil, &DimensionError{Dim: d, Op: "sum of demands", Value: a, Err: ErrOverflow}
			}
			sums[r] = s
		}
	}
	var ws int64
	for _, w := range p.w {
		s, ok := addInt64(ws, w)
		if !ok {
			return nil, &InputError{Field: "Claim.Weight", Reason: "sum of weights overflows int64"}
		}
		ws = s
	}
	return p, nil
}

// unknownDim names the first (sorted) non-zero dimension of c's demand that
// the capacity lacks.
func (c Claim) unknownDim(idx map[Dimension]int) error {
	for _, d := range c.Demand.sortedKeys() {
		if _, ok := idx[d]; !ok && c.Demand[d] != 0 {
			return &DimensionError{Dim: d, Op: "demand of " + c.Department + " (not in capacity)", Err: ErrUnknownDimension}
		}
	}
	return nil
}

func (p *problem) result(x []int64) Allocation {
	m := p.m()
	out := make(Allocation, p.n())
	for i, c := range p.claims {
		v := Vector{}
		for r, d := range p.dims {
			if a := x[i*m+r]; a != 0 {
				v[d] = a
			}
		}
		out[c.Department] = v
	}
	return out
}

// column returns the demands of dimension r.
func (p *problem) column(r int) []int64 {
	m := p.m()
	col := make([]int64, p.n())
	for i := range col {
		col[i] = p.d[i*m+r]
	}
	return col
}

// mulDivMod returns a·b / c and a·b mod c for a·b < c·2⁶⁴ (non-negative).
func mulDivMod(a, b, c int64) (q, rem uint64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	return bits.Div64(hi, lo, uint64(c))
}

// cmpProducts compares a·b with c·d (all non-negative) exactly.
func cmpProducts(a, b, c, d int64) int {
	h1, l1 := bits.Mul64(uint64(a), uint64(b))
	h2, l2 := bits.Mul64(uint64(c), uint64(d))
	return cmp.Or(cmp.Compare(h1, h2), cmp.Compare(l1, l2))
}

// largestRemainder adds one unit to the `extra` items with the largest
// remainders (rem, all over one common denominator), ties broken by the
// lower index (= department ID). Only items with a positive remainder are
// eligible; the caller guarantees there are at least `extra` of them.
func largestRemainder(x []int64, items []int, rem []uint64, extra int64) {
	if extra <= 0 {
		return
	}
	order := slices.Clone(items)
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(cmp.Compare(rem[b], rem[a]), cmp.Compare(a, b)) })
	for _, i := range order[:extra] {
		x[i]++
	}
}

// proportional divides c among demands d in proportion to them.
func proportional(c int64, d []int64) []int64 {
	x := make([]int64, len(d))
	var total int64
	for _, a := range d {
		total += a // checked by prepare
	}
	if total <= c {
		copy(x, d)
		return x
	}
	rem := make([]uint64, len(d))
	items := make([]int, 0, len(d))
	var given int64
	for i, a := range d {
		if a == 0 {
			continue
		}
		q, r := mulDivMod(c, a, total)
		x[i], rem[i] = int64(q), r
		given += int64(q)
		items = append(items, i)
	}
	largestRemainder(x, items, rem, c-given)
	return x
}

// waterFill is weighted max-min fairness for one resource: it finds the
// level λ with Σ min(dᵢ, wᵢλ) = min(c, Σd), saturating the claims with the
// smallest dᵢ/wᵢ first, and rounds the unsaturated shares wᵢ·R/W by largest
// remainder.
func waterFill(c int64, d, w []int64) []int64 {
	n := len(d)
	x := make([]int64, n)
	order := make([]int, 0, n)
	var W int64
	for i := range n {
		if d[i] > 0 {
			order = append(order, i)
			W += w[i]
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		// d[a]/w[a] vs d[b]/w[b]
		return cmp.Or(cmpProducts(d[a], w[b], d[b], w[a]), cmp.Compare(a, b))
	})
	R := c
	k := 0
	for ; k < len(order); k++ {
		i := order[k]
		if cmpProducts(d[i], W, R, w[i]) > 0 { // dᵢ/wᵢ > R/W: the rest stay unsaturated
			break
		}
		x[i] = d[i]
		R -= d[i]
		W -= w[i]
	}
	if k == len(order) {
		return x
	}
	rest := order[k:]
	rem := make([]uint64, n)
	var given int64
	for _, i := range rest {
		q, r := mulDivMod(w[i], R, W)
		x[i], rem[i] = int64(q), r
		given += int64(q)
	}
	items := slices.Clone(rest)
	slices.Sort(items)
	largestRemainder(x, items, rem, R-given)
	return x
}

// Proportional gives every claim the same fraction of its demand in each
// dimension independently: xᵢ = c·dᵢ/Σd when the demands exceed the
// capacity c, rounded by largest remainder; otherwise every demand in full.
type Proportional struct{}

// Name returns "proportional".
func (Proportional) Name() string { return "proportional" }

// Allocate implements Allocator.
func (Proportional) Allocate(capacity Vector, claims []Claim) (Allocation, error) {
	p, err := prepare(capacity, claims)
	if err != nil {
		return nil, err
	}
	return p.result(p.perDimension(func(c int64, d, _ []int64) []int64 { return proportional(c, d) })), nil
}

func (p *problem) perDimension(f func(c int64, d, w []int64) []int64) []int64 {
	n, m := p.n(), p.m()
	x := make([]int64, n*m)
	for r := range m {
		col := f(p.cap[r], p.column(r), p.w)
		for i := range n {
			x[i*m+r] = col[i]
		}
	}
	return x
}

// MaxMin is weighted max-min fairness (water-filling), each dimension
// independently: no claim can get more without taking from a claim whose
// weighted share xⱼ/wⱼ is already smaller or equal.
type MaxMin struct{}

// Name returns "maxmin".
func (MaxMin) Name() string { return "maxmin" }

// Allocate implements Allocator.
func (MaxMin) Allocate(capacity Vector, claims []Claim) (Allocation, error) {
	p, err := prepare(capacity, claims)
	if err != nil {
		return nil, err
	}
	return p.result(p.perDimension(waterFill)), nil
}

// PriorityTiers serves claims tier by tier, highest Priority first: a tier
// whose demand fits the remaining capacity is served in full; the first
// tier that does not fit divides what remains with Within (default MaxMin);
// capacity that tier leaves unused in some dimension passes to lower tiers.
type PriorityTiers struct {
	Within Allocator
}

// Name returns "priority".
func (PriorityTiers) Name() string { return "priority" }

// Allocate implements Allocator.
func (pt PriorityTiers) Allocate(capacity Vector, claims []Claim) (Allocation, error) {
	if _, err := prepare(capacity, claims); err != nil {
		return nil, err
	}
	within := pt.Within
	if within == nil {
		within = MaxMin{}
	}
	sorted := slices.Clone(claims)
	slices.SortStableFunc(sorted, func(a, b Claim) int {
		return cmp.Or(cmp.Compare(b.Priority, a.Priority), cmp.Compare(a.Department, b.Department))
	})
	remaining := copyVec(capacity)
	out := make(Allocation, len(claims))
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].Priority == sorted[i].Priority {
			j++
		}
		a, err := within.Allocate(remaining, sorted[i:j])
		if err != nil {
			return nil, err
		}
		for _, c := range sorted[i:j] {
			g := a[c.Department]
			out[c.Department] = g
			for d, v := range g {
				remaining[d] -= v
			}
		}
		i = j
	}
	return out, nil
}

// DRF is weighted Dominant Resource Fairness with demand caps (Ghodsi et
// al., NSDI 2011; the demand-capped continuous form of Parkes, Procaccia &
// Shah, 2015): progressive filling raises every active claim's weighted
// dominant share at the same rate, each claim receiving resources in the
// proportions of its demand, until its demand is met or a resource it needs
// runs out. See the package documentation for the guarantees and the
// rounding.
type DRF struct{}

// Name returns "drf".
func (DRF) Name() string { return "drf" }

// Allocate implements Allocator.
func (DRF) Allocate(capacity Vector, claims []Claim) (Allocation, error) {
	p, err := prepare(capacity, claims)
	if err != nil {
		return nil, err
	}
	t := drfFractions(p)
	return p.result(p.roundFractions(t)), nil
}

// drfFractions returns, per claim, the fraction tᵢ ∈ [0,1] of its demand it
// receives in the continuous DRF solution. Event-driven progressive filling:
// the common level s (weighted dominant share) advances from event to event
// (a claim's demand met, or a resource saturated). O(n log n + n·m + m²·n).
//
// Floating-point products are wrapped in float64() conversions so that no
// platform fuses them (Go spec, "Arithmetic operators"): results are
// identical on every architecture.
func drfFractions(p *problem) []float64 {
	n, m := p.n(), p.m()
	t := make([]float64, n)
	a := make([]float64, n)    // dtᵢ/ds while active
	done := make([]float64, n) // level at which tᵢ reaches 1
	active := make([]bool, n)
	capf := make([]float64, m)
	for r := range m {
		capf[r] = float64(p.cap[r])
	}
	var order []int
	for i := range n {
		var dom float64
		zero := true
		blocked := false
		for r := range m {
			dr := p.d[i*m+r]
			if dr == 0 {
				continue
			}
			zero = false
			if p.cap[r] == 0 {
				blocked = true
				break
			}
			dom = max(dom, float64(dr)/capf[r])
		}
		if zero || blocked {
			if zero {
				t[i] = 1
			}
			continue
		}
		a[i] = float64(p.w[i]) / dom
		done[i] = dom / float64(p.w[i])
		active[i] = true
		order = append(order, i)
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Or(cmp.Compare(done[x], done[y]), cmp.Compare(x, y)) })

	fixed := make([]float64, m) // resources used by frozen claims
	rate := make([]float64, m)  // Σ aᵢ·dᵢᵣ over active claims
	saturated := make([]bool, m)
	recompute := func() {
		clear(fixed)
		clear(rate)
		for i := range n {
			for r := range m {
				dr := float64(p.d[i*m+r])
				if dr == 0 {
					continue
				}
				if active[i] {
					rate[r] += float64(a[i] * dr)
				} else {
					fixed[r] += float64(t[i] * dr)
				}
			}
		}
	}
	recompute()
	s := 0.0
	next := 0
	left := len(order)
	for left > 0 {
		for next < len(order) && !active[order[next]] {
			next++
		}
		sc := math.Inf(1)
		if next < len(order) {
			sc = done[order[next]]
		}
		ss, rs := math.Inf(1), -1
		for r := range m {
			if saturated[r] || rate[r] <= 0 {
				continue
			}
			lvl := max((capf[r]-fixed[r])/rate[r], s)
			if lvl < ss {
				ss, rs = lvl, r
			}
		}
		if sc <= ss {
			s = sc
			for next < len(order) && (!active[order[next]] || done[order[next]] == sc) {
				i := order[next]
				next++
				if !active[i] {
					continue
				}
				active[i], t[i] = false, 1
				left--
				for r := range m {
					if dr := float64(p.d[i*m+r]); dr != 0 {
						rate[r] -= float64(a[i] * dr)
						fixed[r] += dr
					}
				}
			}
			continue
		}
		s = ss
		saturated[rs] = true
		for i := range n {
			if active[i] && p.d[i*m+rs] > 0 {
				active[i] = false
				t[i] = min(1, float64(s*a[i]))
				left--
			}
		}
		recompute()
	}
	return t
}

// roundFractions turns the continuous allocation tᵢ·dᵢ into integers per
// dimension by largest remainder: every claim gets ⌊tᵢdᵢᵣ⌋ or that plus one
// (never above dᵢᵣ); the number of extra units is the rounded continuous total,
// never above the capacity; the largest fractional parts win, ties to the
// lower department ID.
func (p *problem) roundFractions(t []float64) []int64 {
	n, m := p.n(), p.m()
	x := make([]int64, n*m)
	frac := make([]float64, n)
	for r := range m {
		var sumFloor, sumCeil int64
		var sumReal float64
		var items []int
		for i := range n {
			dr := p.d[i*m+r]
			if dr == 0 {
				continue
			}
			v := float64(t[i] * float64(dr))
			v = min(max(v, 0), float64(dr))
			fl := min(int64(math.Floor(v)), dr)
			x[i*m+r] = fl
			frac[i] = v - float64(fl)
			sumFloor += fl
			sumReal += v
			if fl < dr && frac[i] > 0 {
				sumCeil++
				items = append(items, i)
			}
		}
		sumCeil += sumFloor
		target := min(int64(math.Round(sumReal)), p.cap[r], sumCeil)
		if target >= sumFloor {
			slices.SortFunc(items, func(a, b int) int { return cmp.Or(cmp.Compare(frac[b], frac[a]), cmp.Compare(a, b)) })
			for _, i := range items[:target-sumFloor] {
				x[i*m+r]++
			}
			continue
		}
		// Only when floating-point error pushed the floors above the
		// capacity: take units back from the smallest fractional parts.
		var owners []int
		for i := range n {
			if x[i*m+r] > 0 {
				owners = append(owners, i)
			}
		}
		slices.SortFunc(owners, func(a, b int) int { return cmp.Or(cmp.Compare(frac[a], frac[b]), cmp.Compare(b, a)) })
		for excess := sumFloor - target; excess > 0; {
			for _, i := range owners {
				if excess > 0 && x[i*m+r] > 0 {
					x[i*m+r]--
					excess--
				}
			}
		}
	}
	return x
}
