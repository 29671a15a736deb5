package assessment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// randomWeights splits 10000 bp into n positive parts.
func randomWeights(r *rand.Rand, n int) []Weight {
	cuts := []int{0, 10000}
	for len(cuts) < n+1 {
		c := 1 + r.IntN(9999)
		dup := false
		for _, x := range cuts {
			dup = dup || x == c
		}
		if !dup {
			cuts = append(cuts, c)
		}
	}
	sort.Ints(cuts)
	out := make([]Weight, n)
	for i := range out {
		out[i] = Weight(cuts[i+1] - cuts[i])
	}
	return out
}

func randomNormaliser(r *rand.Rand) (*Normaliser, Direction) {
	dir := HigherBetter
	if r.IntN(2) == 0 {
		dir = LowerBetter
	}
	switch r.IntN(4) {
	case 0:
		lo := r.Float64() * 50
		return &Normaliser{Kind: MinMax, Min: lo, Max: lo + 1 + r.Float64()*50}, dir
	case 1:
		a, b := r.Float64()*50, 51+r.Float64()*49
		if dir == LowerBetter {
			a, b = b, a
		}
		return &Normaliser{Kind: Target, Target: b, Threshold: a, ThresholdScore: f64(float64(r.IntN(100)))}, dir
	case 2:
		n := 1 + r.IntN(4)
		steps := make([]Step, n)
		score := 100.0
		for i := range steps {
			b := float64(100 - 20*i - r.IntN(10))
			if dir == LowerBetter {
				b = float64(20*i + r.IntN(10))
			}
			steps[i] = Step{Bound: b, Score: score}
			score -= float64(r.IntN(25))
		}
		return &Normaliser{Kind: Ladder, Steps: steps, Otherwise: math.Max(0, score-10)}, dir
	default:
		return &Normaliser{Kind: Lookup, Table: map[string]float64{"a": 0, "b": 40, "c": 75, "d": 100}}, ""
	}
}

func randomTree(r *rand.Rand, depth int) []*Indicator {
	n := 1 + r.IntN(4)
	ws := randomWeights(r, n)
	out := make([]*Indicator, n)
	for i := range out {
		ind := &Indicator{ID: fmt.Sprintf("i%d", i), Name: fmt.Sprintf("指标%d", i), Weight: ws[i]}
		if r.IntN(5) == 0 {
			ind.Policy = Zero
		}
		if depth < 3 && r.IntN(3) == 0 {
			ind.Children = randomTree(r, depth+1)
		} else {
			ind.Norm, ind.Dir = randomNormaliser(r)
			ind.Range = nil
		}
		out[i] = ind
	}
	return out
}

func randomValue(r *rand.Rand, ind *Indicator) Value {
	if ind.Norm.Kind == Lookup {
		return Cat(string(rune('a' + r.IntN(4))))
	}
	return Num(r.Float64() * 100)
}

// improve returns a value at least as good as v.
func improve(r *rand.Rand, ind *Indicator, v Value) Value {
	if ind.Norm.Kind == Lookup {
		c := v.Category[0] + byte(r.IntN(int('d'-v.Category[0])+1))
		return Cat(string(c))
	}
	d := r.Float64() * 30
	if ind.Dir == LowerBetter {
		d = -d
	}
	return Num(v.Number + d)
}

func randomScheme(r *rand.Rand) (*Scheme, map[string]*Indicator) {
	s := &Scheme{ID: "p", Name: "随机", Indicators: randomTree(r, 0)}
	leaves := map[string]*Indicator{}
	var walk func([]*Indicator, string)
	walk = func(list []*Indicator, prefix string) {
		for _, ind := range list {
			if ind.Leaf() {
				leaves[prefix+ind.ID] = ind
			} else {
				walk(ind.Children, prefix+ind.ID+"/")
			}
		}
	}
	walk(s.Indicators, "")
	return s, leaves
}

func sortedKeys(m map[string]*Indicator) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestPropertyImprovingNeverLowers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 2000; iter++ {
		s, leaves := randomScheme(r)
		if err := s.Validate(); err != nil {
			t.Fatalf("generator made an invalid scheme: %v", err)
		}
		paths := sortedKeys(leaves)
		vals := Values{}
		for _, p := range paths {
			if r.IntN(4) != 0 { // ~25 % missing
				vals[p] = randomValue(r, leaves[p])
			}
		}
		before, err := s.Score(Subject{ID: "x"}, vals)
		if err != nil {
			continue // all missing
		}
		p := paths[r.IntN(len(paths))]
		v, ok := vals[p]
		if !ok {
			continue
		}
		vals[p] = improve(r, leaves[p], v)
		after, err := s.Score(Subject{ID: "x"}, vals)
		if err != nil {
			t.Fatal(err)
		}
		if after.Total < before.Total {
			t.Fatalf("iteration %d: improving %s from %+v to %+v lowered the total %g → %g", iter, p, v, vals[p], before.Total, after.Total)
		}
	}
}

func TestPropertyRenormalisedWithinBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 2000; iter++ {
		s, leaves := randomScheme(r)
		vals := Values{}
		for _, p := range sortedKeys(leaves) {
			if r.IntN(2) == 0 {
				vals[p] = randomValue(r, leaves[p])
			}
		}
		card, err := s.Score(Subject{ID: "x"}, vals)
		if err != nil {
			continue
		}
		if card.Total < 0 || card.Total > 100 || math.IsNaN(card.Total) {
			t.Fatalf("iteration %d: total %g", iter, card.Total)
		}
		var sum, effLeaves float64
		for _, l := range card.Lines {
			if l.Score < 0 || l.Score > 100 {
				t.Fatalf("line %s score %g", l.Path, l.Score)
			}
			if l.Leaf {
				sum += l.Contribution
			}
			// Terminal weight holders: leaves, and inner nodes with no data counted as 0.
			if l.Leaf || l.Missing && l.Policy == Zero {
				effLeaves += l.EffectiveWeight
			}
		}
		if math.Abs(sum-card.Total) > 1e-3 {
			t.Fatalf("iteration %d: leaf contributions %g ≠ total %g", iter, sum, card.Total)
		}
		// The weight holders carry the whole weight after re-normalisation.
		if math.Abs(effLeaves-1) > 1e-9 {
			t.Fatalf("iteration %d: effective weights of leaves sum to %g", iter, effLeaves)
		}
	}
}

func TestPropertyEqualInputsEqualRanks(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 200; iter++ {
		s, leaves := randomScheme(r)
		paths := sortedKeys(leaves)
		// 12 subjects drawn from 4 distinct value sets.
		sets := make([]Values, 4)
		for i := range sets {
			sets[i] = Values{}
			for _, p := range paths {
				sets[i][p] = randomValue(r, leaves[p])
			}
		}
		var cards []*Scorecard
		which := map[string]int{}
		for i := 0; i < 12; i++ {
			id := fmt.Sprintf("s%02d", r.IntN(1000))
			if _, dup := which[id]; dup {
				continue
			}
			k := r.IntN(4)
			which[id] = k
			// copy the map in a different insertion order
			v := Values{}
			for j := len(paths) - 1; j >= 0; j-- {
				v[paths[j]] = sets[k][paths[j]]
			}
			c, err := s.Score(Subject{ID: id}, v)
			if err != nil {
				t.Fatal(err)
			}
			cards = append(cards, c)
		}
		shuffled := append([]*Scorecard(nil), cards...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		Rank(cards)
		order1 := ids(cards)
		ranks := map[string]int{}
		for _, c := range cards {
			ranks[c.SubjectID] = c.Rank
		}
		Rank(shuffled)
		if o2 := ids(shuffled); fmt.Sprint(order1) != fmt.Sprint(o2) {
			t.Fatalf("ranking depends on input order: %v vs %v", order1, o2)
		}
		for _, a := range cards {
			for _, b := range cards {
				if which[a.SubjectID] == which[b.SubjectID] && (a.Total != b.Total || ranks[a.SubjectID] != ranks[b.SubjectID]) {
					t.Fatalf("equal inputs, different results: %s %g #%d, %s %g #%d", a.SubjectID, a.Total, a.Rank, b.SubjectID, b.Total, b.Rank)
				}
				if a.Total > b.Total && a.Rank >= b.Rank {
					t.Fatalf("higher total ranked no better: %+v %+v", a, b)
				}
			}
		}
	}
}

func ids(cards []*Scorecard) []string {
	out := make([]string, len(cards))
	for i, c := range cards {
		out[i] = c.SubjectID
	}
	return out
}
