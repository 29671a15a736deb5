package assessment_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/workflow"
)

func serviceRun(t *testing.T, id string, kind assessment.SubjectKind, p assessment.Period, ids ...string) *assessment.Run {
	t.Helper()
	s, err := assessment.ParseScheme([]byte(`{"id": "s", "version": "1", "name": "n", "indicators": [
		{"id": "a", "name": "甲", "weight_bp": 10000, "direction": "higher", "normaliser": {"kind": "minmax", "min": 0, "max": 100}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var in []assessment.Input
	for i, id := range ids {
		in = append(in, assessment.Input{Subject: assessment.Subject{ID: id}, Values: assessment.Values{"a": assessment.Num(float64(90 - 10*i + int(p.Year%2)*5))}})
	}
	r, err := assessment.NewRun(assessment.RunSpec{ID: id, Kind: kind, Period: p, Scheme: s, Inputs: in,
		ScoredAt: time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestServiceTenancy(t *testing.T) {
	ctx := context.Background()
	y25, y26 := assessment.YearPeriod(2025), assessment.YearPeriod(2026)
	svc := assessment.NewService(memstore.NewAssessmentStore())
	authority := workflow.Actor{Role: workflow.RoleAuthority, ID: "大数据局"}
	for _, r := range []*assessment.Run{
		serviceRun(t, "d25", assessment.SubjectDepartment, y25, "fin", "edu", "health"),
		serviceRun(t, "d26", assessment.SubjectDepartment, y26, "fin", "edu", "health"),
		serviceRun(t, "v26", assessment.SubjectVendor, y26, "v1", "v2"),
	} {
		if err := svc.Save(ctx, authority, r); err != nil {
			t.Fatal(err)
		}
	}
	actors := map[string]workflow.Actor{
		"authority":  authority,
		"operator":   {Role: workflow.RoleOperator},
		"fin":        {Role: workflow.RoleDepartment, ID: "fin"},
		"v1":         {Role: workflow.RoleVendor, ID: "v1"},
		"finance":    {Role: workflow.RoleFinance, ID: "财政局"},
		"no id":      {Role: workflow.RoleDepartment},
		"no role":    {ID: "x"},
		"bad role":   {Role: "admin", ID: "x"},
		"other dept": {Role: workflow.RoleDepartment, ID: "edu"},
	}
	const F = "forbidden"
	// Each operation returns the subject IDs the actor sees, or F.
	ops := map[string]func(workflow.Actor) ([]string, error){
		"ranking departments": func(a workflow.Actor) ([]string, error) {
			r, err := svc.Ranking(ctx, a, assessment.SubjectDepartment, y26)
			return ids(r, err)
		},
		"ranking vendors": func(a workflow.Actor) ([]string, error) {
			r, err := svc.Ranking(ctx, a, assessment.SubjectVendor, y26)
			return ids(r, err)
		},
		"run d25": func(a workflow.Actor) ([]string, error) { r, err := svc.Run(ctx, a, "d25"); return ids(r, err) },
		"run v26": func(a workflow.Actor) ([]string, error) { r, err := svc.Run(ctx, a, "v26"); return ids(r, err) },
		"card of fin": func(a workflow.Actor) ([]string, error) {
			_, c, err := svc.Scorecard(ctx, a, assessment.SubjectDepartment, y26, "fin")
			if err != nil {
				return nil, err
			}
			return []string{c.SubjectID}, nil
		},
		"compare departments": func(a workflow.Actor) ([]string, error) {
			c, found, err := svc.ComparePrevious(ctx, a, assessment.SubjectDepartment, y26)
			if err != nil || !found {
				return nil, err
			}
			var out []string
			for _, s := range c.Subjects {
				out = append(out, s.SubjectID)
			}
			return out, nil
		},
		"history": func(a workflow.Actor) ([]string, error) {
			h, err := svc.History(ctx, a, assessment.SubjectDepartment, y26)
			var out []string
			for _, r := range h {
				out = append(out, r.ID)
			}
			return out, err
		},
	}
	all := []string{"fin", "edu", "health"}
	want := map[string]map[string]any{
		"authority":  {"ranking departments": all, "ranking vendors": []string{"v1", "v2"}, "run d25": all, "run v26": []string{"v1", "v2"}, "card of fin": []string{"fin"}, "compare departments": all, "history": []string{"d26"}},
		"operator":   {"ranking departments": all, "ranking vendors": []string{"v1", "v2"}, "run d25": all, "run v26": []string{"v1", "v2"}, "card of fin": []string{"fin"}, "compare departments": all, "history": []string{"d26"}},
		"fin":        {"ranking departments": []string{"fin"}, "ranking vendors": F, "run d25": []string{"fin"}, "run v26": F, "card of fin": []string{"fin"}, "compare departments": []string{"fin"}, "history": []string{"d26"}},
		"other dept": {"ranking departments": []string{"edu"}, "ranking vendors": F, "run d25": []string{"edu"}, "run v26": F, "card of fin": F, "compare departments": []string{"edu"}, "history": []string{"d26"}},
		"v1":         {"ranking departments": F, "ranking vendors": []string{"v1"}, "run d25": F, "run v26": []string{"v1"}, "card of fin": F, "compare departments": F, "history": F},
		"finance":    {"ranking departments": F, "ranking vendors": F, "run d25": F, "run v26": F, "card of fin": F, "compare departments": F, "history": F},
		"no id":      {"ranking departments": F, "ranking vendors": F, "run d25": F, "run v26": F, "card of fin": F, "compare departments": F, "history": F},
		"no role":    {"ranking departments": F, "ranking vendors": F, "run d25": F, "run v26": F, "card of fin": F, "compare departments": F, "history": F},
		"bad role":   {"ranking departments": F, "ranking vendors": F, "run d25": F, "run v26": F, "card of fin": F, "compare departments": F, "history": F},
	}
	for who, a := range actors {
		got := map[string]any{}
		for name, op := range ops {
			seen, err := op(a)
			var fe *assessment.ForbiddenError
			switch {
			case errors.Is(err, assessment.ErrForbidden) && errors.As(err, &fe) && fe.Actor == a:
				got[name] = F
			case err != nil:
				t.Fatalf("%s: %s: %v", who, name, err)
			default:
				got[name] = seen
			}
		}
		if d := cmp.Diff(want[who], got); d != "" {
			t.Errorf("%s (-want +got):\n%s", who, d)
		}
	}
	// Only the authority and the operator save.
	for _, who := range []string{"fin", "v1", "finance", "no role"} {
		r := serviceRun(t, "x-"+strings.ReplaceAll(who, " ", "-"), assessment.SubjectDepartment, assessment.YearPeriod(2030), "fin")
		if err := svc.Save(ctx, actors[who], r); !errors.Is(err, assessment.ErrForbidden) {
			t.Errorf("%s saved a run: %v", who, err)
		}
	}
	if err := svc.Save(ctx, actors["operator"], serviceRun(t, "op", assessment.SubjectDepartment, assessment.YearPeriod(2030), "fin")); err != nil {
		t.Errorf("operator save: %v", err)
	}
	// A department reading its own rank learns the size of the ranking, not others' scores.
	r, err := svc.Ranking(ctx, actors["other dept"], assessment.SubjectDepartment, y26)
	if err != nil || r.Subjects != 3 || len(r.Cards) != 1 || r.Cards[0].Rank != 2 {
		t.Errorf("edu's view of the ranking: %+v, %v", r, err)
	}
	// A missing period is ErrNotFound; ComparePrevious reports it as not found.
	if _, err := svc.Ranking(ctx, authority, assessment.SubjectVendor, y25); !errors.Is(err, assessment.ErrNotFound) {
		t.Errorf("ranking of a period without runs: %v", err)
	}
	if c, found, err := svc.ComparePrevious(ctx, authority, assessment.SubjectVendor, y26); c != nil || found || err != nil {
		t.Errorf("ComparePrevious without a previous run = %v, %v, %v", c, found, err)
	}
}

func ids(r *assessment.Run, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, c := range r.Cards {
		out = append(out, c.SubjectID)
	}
	return out, nil
}
