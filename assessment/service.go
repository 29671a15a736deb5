package assessment

import (
	"context"
	"errors"
	"fmt"

	"github.com/opengovcloud/govcloud/workflow"
)

// Service reads and saves scorecard runs for an actor, enforcing who may see
// what (第二十条: nobody reads a department's data without its authorisation):
//
//	role                  saves runs   reads
//	authority, operator   yes          every run, card and comparison
//	department            no           department runs, only its own card
//	vendor                no           vendor runs, only its own card
//	finance, others       no           nothing
//
// A department or vendor reading a run or a ranking gets the run's
// description (including Subjects, the size of the ranking) with its own card
// only, so it learns its rank but no other subject's scores. Asking for
// another subject's card is ErrForbidden before the store is read, so the
// answer does not reveal whether that card exists. Service is safe for
// concurrent use if its Store is.
type Service struct {
	store Store
}

// NewService returns a Service over store.
func NewService(store Store) *Service { return &Service{store: store} }

func checkActor(a workflow.Actor) error {
	if !a.Role.Valid() {
		return &ForbiddenError{Actor: a, Action: "read scorecards", Reason: "未知角色 / unknown role " + string(a.Role)}
	}
	if (a.Role == workflow.RoleDepartment || a.Role == workflow.RoleVendor) && a.ID == "" {
		return &ForbiddenError{Actor: a, Action: "read scorecards", Reason: "使用单位或云服务商须有编号 / a department or vendor actor needs an ID"}
	}
	return nil
}

// readsAll reports whether a reads every scorecard.
func readsAll(a workflow.Actor) bool {
	return a.Role == workflow.RoleAuthority || a.Role == workflow.RoleOperator
}

// ownKind returns the subject kind a department or vendor actor may read.
func ownKind(a workflow.Actor) (SubjectKind, bool) {
	switch a.Role {
	case workflow.RoleDepartment:
		return SubjectDepartment, true
	case workflow.RoleVendor:
		return SubjectVendor, true
	}
	return "", false
}

// canReadKind checks that a may read runs of kind (filtered to its own card
// unless readsAll).
func canReadKind(a workflow.Actor, kind SubjectKind, action string) error {
	if err := checkActor(a); err != nil {
		return err
	}
	if readsAll(a) {
		return nil
	}
	k, ok := ownKind(a)
	if !ok {
		return &ForbiddenError{Actor: a, Action: action, Reason: "只有主管部门和运行管理单位可查看考核结果 / only the authority and the operator read assessment results"}
	}
	if k != kind {
		return &ForbiddenError{Actor: a, Action: action, Reason: fmt.Sprintf("%s只能查看本单位的考核结果 / a %s reads only its own scorecards", k.Label("zh"), k.Label("en"))}
	}
	return nil
}

// filter returns r as a may see it: whole for the authority and the operator,
// otherwise with the actor's own card only.
func filter(a workflow.Actor, r *Run) *Run {
	if readsAll(a) {
		return r
	}
	out := &Run{RunInfo: r.RunInfo, Cards: []*Scorecard{}}
	if c, ok := r.Card(a.ID); ok {
		out.Cards = append(out.Cards, c)
	}
	return out
}

// Save stores a run. Only the authority and the operator save runs.
func (s *Service) Save(ctx context.Context, actor workflow.Actor, r *Run) error {
	if err := checkActor(actor); err != nil {
		return err
	}
	if !readsAll(actor) {
		return &ForbiddenError{Actor: actor, Action: "save scorecards", Reason: "只有主管部门和运行管理单位可保存考核结果 / only the authority and the operator save assessment results"}
	}
	return s.store.SaveRun(ctx, r)
}

// Run returns the run with that ID, filtered for actor.
func (s *Service) Run(ctx context.Context, actor workflow.Actor, id string) (*Run, error) {
	if err := checkActor(actor); err != nil {
		return nil, err
	}
	if !readsAll(actor) {
		if _, ok := ownKind(actor); !ok {
			return nil, canReadKind(actor, "", "read run "+id)
		}
	}
	r, err := s.store.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := canReadKind(actor, r.Kind, "read run "+id); err != nil {
		return nil, err
	}
	return filter(actor, r), nil
}

// Ranking returns the current run of kind for period p (the period's
// ranking, in rank order), filtered for actor.
func (s *Service) Ranking(ctx context.Context, actor workflow.Actor, kind SubjectKind, p Period) (*Run, error) {
	if err := canReadKind(actor, kind, "read the ranking of "+p.String()); err != nil {
		return nil, err
	}
	r, err := s.store.CurrentRun(ctx, kind, p)
	if err != nil {
		return nil, err
	}
	return filter(actor, r), nil
}

// Scorecard returns subjectID's card in the current run of kind for p. A
// department or vendor may ask only for its own.
func (s *Service) Scorecard(ctx context.Context, actor workflow.Actor, kind SubjectKind, p Period, subjectID string) (RunInfo, *Scorecard, error) {
	action := "read the scorecard of " + subjectID
	if err := canReadKind(actor, kind, action); err != nil {
		return RunInfo{}, nil, err
	}
	if !readsAll(actor) && subjectID != actor.ID {
		return RunInfo{}, nil, &ForbiddenError{Actor: actor, Action: action, Reason: "只能查看本单位的考核结果 / it reads only its own scorecard"}
	}
	return s.store.Scorecard(ctx, kind, p, subjectID)
}

// History returns the runs of kind for p, first first (the current run last).
func (s *Service) History(ctx context.Context, actor workflow.Actor, kind SubjectKind, p Period) ([]RunInfo, error) {
	if err := canReadKind(actor, kind, "read the runs of "+p.String()); err != nil {
		return nil, err
	}
	return s.store.PeriodRuns(ctx, kind, p)
}

// Compare compares the current runs of kind for two periods (usually
// to.Previous() and to), filtered for actor: a department or vendor sees only
// its own line.
func (s *Service) Compare(ctx context.Context, actor workflow.Actor, kind SubjectKind, from, to Period) (*Comparison, error) {
	if err := canReadKind(actor, kind, fmt.Sprintf("compare %s with %s", to, from)); err != nil {
		return nil, err
	}
	a, err := s.store.CurrentRun(ctx, kind, from)
	if err != nil {
		return nil, err
	}
	b, err := s.store.CurrentRun(ctx, kind, to)
	if err != nil {
		return nil, err
	}
	c, err := Compare(filter(actor, a), filter(actor, b))
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ComparePrevious compares the current run of kind for p with that of
// p.Previous(). found is false (and the comparison nil) when either period has
// no run.
func (s *Service) ComparePrevious(ctx context.Context, actor workflow.Actor, kind SubjectKind, p Period) (c *Comparison, found bool, err error) {
	c, err = s.Compare(ctx, actor, kind, p.Previous(), p)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	return c, err == nil, err
}
