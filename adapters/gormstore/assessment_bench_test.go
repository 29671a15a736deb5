package gormstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/assessment"
)

// benchAssessmentRun scores n departments with the preset department scheme.
func benchAssessmentRun(b *testing.B, id string, n int, supersedes string) *assessment.Run {
	b.Helper()
	s, err := assessment.DepartmentScheme()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(n), 9))
	in := make([]assessment.Input, n)
	for i := range in {
		in[i] = assessment.Input{Subject: assessment.Subject{ID: fmt.Sprintf("dept-%05d", i), Name: fmt.Sprintf("第%d局", i)},
			Values: assessment.Values{assessment.PathAdoption: assessment.Num(rng.Float64() * 100), assessment.PathIdle: assessment.Num(rng.Float64() * 40),
				assessment.PathVulnerabilities: assessment.Num(float64(rng.IntN(30))), assessment.PathDengbaoCurrent: assessment.Num(60 + rng.Float64()*40)}}
	}
	r, err := assessment.NewRun(assessment.RunSpec{ID: id, Kind: assessment.SubjectDepartment, Period: assessment.YearPeriod(2026),
		Scheme: s, Inputs: in, ScoredAt: time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC), Supersedes: supersedes})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkAssessmentStore measures, on a SQLite file, saving a run of a
// city's 10,000 departments (one transaction: 1 run row, 10,000 card rows),
// reading the period's current run back, and reading one department's card.
func BenchmarkAssessmentStore(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, Options{DSN: filepath.Join(b.TempDir(), "bench.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := NewAssessmentStore(db)
	const n = 10_000
	b.Run("SaveRun10k", func(b *testing.B) {
		prev := ""
		i := 0
		runs := make([]*assessment.Run, 0, 8)
		for b.Loop() {
			b.StopTimer()
			if i == len(runs) {
				runs = append(runs, benchAssessmentRun(b, fmt.Sprintf("r%d", i), n, prev))
			}
			r := runs[i]
			b.StartTimer()
			if err := s.SaveRun(ctx, r); err != nil {
				b.Fatal(err)
			}
			prev = r.ID
			i++
		}
	})
	b.Run("CurrentRun10k", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.CurrentRun(ctx, assessment.SubjectDepartment, assessment.YearPeriod(2026)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Scorecard", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.Scorecard(ctx, assessment.SubjectDepartment, assessment.YearPeriod(2026), "dept-04321"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
