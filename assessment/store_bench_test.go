package assessment

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchInputs returns n departments' values for the preset department scheme.
func benchInputs(n int, seed uint64) []Input {
	rng := rand.New(rand.NewPCG(seed, 3))
	in := make([]Input, n)
	for i := range in {
		in[i] = Input{Subject: Subject{ID: fmt.Sprintf("dept-%05d", i), Name: fmt.Sprintf("第%d局", i)}, Values: Values{
			PathAdoption: Num(rng.Float64() * 100), PathIdle: Num(rng.Float64() * 40), PathOverprovisioned: Num(rng.Float64() * 60),
			PathIdleCost: Num(rng.Float64() * 25), PathVulnerabilities: Num(float64(rng.IntN(30))), PathDeptIncidents: Num(float64(rng.IntN(5))),
			PathOverdueFixes: Num(float64(rng.IntN(7))), PathDengbaoCurrent: Num(60 + rng.Float64()*40)}}
	}
	return in
}

func benchRun(b *testing.B, id string, year int, in []Input) *Run {
	s, err := DepartmentScheme()
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRun(RunSpec{ID: id, Kind: SubjectDepartment, Period: YearPeriod(year), Scheme: s, Inputs: in,
		ScoredAt: time.Date(year+1, 1, 10, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkNewRun scores, ranks and digests a city's 10,000 departments.
func BenchmarkNewRun(b *testing.B) {
	in := benchInputs(10_000, 1)
	b.ReportAllocs()
	for b.Loop() {
		benchRun(b, "r", 2026, in)
	}
}

// BenchmarkCompare compares two years of 10,000 departments (11 lines each).
func BenchmarkCompare(b *testing.B) {
	from, to := benchRun(b, "a", 2025, benchInputs(10_000, 1)), benchRun(b, "b", 2026, benchInputs(10_000, 2))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(from, to); err != nil {
			b.Fatal(err)
		}
	}
}
