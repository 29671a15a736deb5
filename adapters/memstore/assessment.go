package memstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/opengovcloud/govcloud/assessment"
)

// AssessmentStore is an assessment.Store in memory: the reference
// implementation of scorecard persistence. Runs are deep-copied in and out,
// so a stored run never changes.
type AssessmentStore struct {
	mu     sync.RWMutex
	runs   map[string]*assessment.Run
	chains map[periodKey][]string // run IDs of a (kind, period), first first
}

type periodKey struct {
	kind   assessment.SubjectKind
	period assessment.Period
}

// NewAssessmentStore returns an empty store.
func NewAssessmentStore() *AssessmentStore {
	return &AssessmentStore{runs: map[string]*assessment.Run{}, chains: map[periodKey][]string{}}
}

var _ assessment.Store = (*AssessmentStore)(nil)

// SaveRun implements assessment.Store.
func (s *AssessmentStore) SaveRun(ctx context.Context, r *assessment.Run) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	c := r.Clone()
	c.ScoredAt = c.ScoredAt.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.runs[r.ID]; ok {
		if old.Equal(c) {
			return nil
		}
		return &assessment.ConflictError{RunID: r.ID, Reason: "a different run is stored under this ID; a saved run is immutable"}
	}
	key := periodKey{r.Kind, r.Period}
	chain := s.chains[key]
	if err := checkSupersedes(c, chain, s.runs); err != nil {
		return err
	}
	s.runs[r.ID] = c
	s.chains[key] = append(chain, r.ID)
	return nil
}

// checkSupersedes applies the chain rule of assessment.Store.
func checkSupersedes(r *assessment.Run, chain []string, runs map[string]*assessment.Run) error {
	conflict := func(format string, args ...any) error {
		return &assessment.ConflictError{RunID: r.ID, Reason: fmt.Sprintf(format, args...)}
	}
	if r.Supersedes == "" {
		if len(chain) > 0 {
			return conflict("the %s runs of %s already have current run %q; a new run must supersede it", r.Kind, r.Period, chain[len(chain)-1])
		}
		return nil
	}
	prev, ok := runs[r.Supersedes]
	switch {
	case !ok:
		return conflict("supersedes run %q, which is not stored", r.Supersedes)
	case prev.Kind != r.Kind || prev.Period != r.Period:
		return conflict("supersedes run %q of %s %s, not %s %s", r.Supersedes, prev.Kind, prev.Period, r.Kind, r.Period)
	case chain[len(chain)-1] != r.Supersedes:
		return conflict("run %q is already superseded; the current run of %s is %q", r.Supersedes, r.Period, chain[len(chain)-1])
	}
	return nil
}

// Run implements assessment.Store.
func (s *AssessmentStore) Run(ctx context.Context, id string) (*assessment.Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.runs[id]
	if !ok {
		return nil, &assessment.NotFoundError{What: fmt.Sprintf("run %q", id)}
	}
	return r.Clone(), nil
}

func (s *AssessmentStore) current(kind assessment.SubjectKind, p assessment.Period) (*assessment.Run, error) {
	chain := s.chains[periodKey{kind, p}]
	if len(chain) == 0 {
		return nil, &assessment.NotFoundError{What: fmt.Sprintf("%s run for %s", kind, p)}
	}
	return s.runs[chain[len(chain)-1]], nil
}

// CurrentRun implements assessment.Store.
func (s *AssessmentStore) CurrentRun(ctx context.Context, kind assessment.SubjectKind, p assessment.Period) (*assessment.Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, err := s.current(kind, p)
	if err != nil {
		return nil, err
	}
	return r.Clone(), nil
}

// Scorecard implements assessment.Store.
func (s *AssessmentStore) Scorecard(ctx context.Context, kind assessment.SubjectKind, p assessment.Period, subjectID string) (assessment.RunInfo, *assessment.Scorecard, error) {
	if err := ctx.Err(); err != nil {
		return assessment.RunInfo{}, nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, err := s.current(kind, p)
	if err != nil {
		return assessment.RunInfo{}, nil, err
	}
	c, ok := r.Card(subjectID)
	if !ok {
		return assessment.RunInfo{}, nil, &assessment.NotFoundError{What: fmt.Sprintf("scorecard of %q in %s run %q", subjectID, p, r.ID)}
	}
	one := &assessment.Run{Cards: []*assessment.Scorecard{c}}
	return r.RunInfo, one.Clone().Cards[0], nil
}

// PeriodRuns implements assessment.Store.
func (s *AssessmentStore) PeriodRuns(ctx context.Context, kind assessment.SubjectKind, p assessment.Period) ([]assessment.RunInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	chain := s.chains[periodKey{kind, p}]
	out := make([]assessment.RunInfo, len(chain))
	for i, id := range chain {
		out[i] = s.runs[id].RunInfo
	}
	return out, nil
}
