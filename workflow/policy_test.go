package workflow_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/workflow"
)

func fieldsOf(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if m, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range m.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *workflow.FieldError
		if errors.As(e, &fe) {
			out = append(out, fe.Field)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

func TestZhejiangPresetCarriesRulesA(t *testing.T) {
	p := workflow.ZhejiangPreset()
	if err := p.Validate(); err != nil {
		t.Fatalf("preset invalid: %v", err)
	}
	got := map[string]int{
		"accept (第八条)": p.Deadlines.Accept, "approve (第八条)": p.Deadlines.Approve,
		"provide trial (第九条)": p.Deadlines.ProvideTrial, "change review (第十一条)": p.Deadlines.ChangeReview,
		"change execution (第十一条)": p.Deadlines.ChangeExecution, "termination review (第十二条)": p.Deadlines.TerminationReview,
		"reclaim (第十二条)": p.Deadlines.Reclaim, "trial min (第九条)": p.Trial.MinDays, "trial max (第九条)": p.Trial.MaxDays,
	}
	want := map[string]int{
		"accept (第八条)": 3, "approve (第八条)": 2, "provide trial (第九条)": 2, "change review (第十一条)": 5,
		"change execution (第十一条)": 3, "termination review (第十二条)": 5, "reclaim (第十二条)": 3,
		"trial min (第九条)": 15, "trial max (第九条)": 30,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("preset numbers (-RULES.md A +preset):\n%s", d)
	}
	if d := cmp.Diff([]int{3, 4, 5}, p.Tests.ThirdPartyLevels); d != "" {
		t.Errorf("third-party levels (第九条: 3级以上):\n%s", d)
	}
	if p.Deadlines.FinalReview != 0 {
		t.Errorf("final review has no statutory deadline, preset has %d", p.Deadlines.FinalReview)
	}
}

func TestPolicyValidateReportsEveryProblem(t *testing.T) {
	p := workflow.ZhejiangPreset()
	p.Name = " "
	p.Deadlines.Accept = -1
	p.Deadlines.Reclaim = 0
	p.Trial.MinDays = 20
	p.Trial.MaxDays = 10
	p.Trial.DefaultDays = 40
	p.Trial.MaxExtensions = 1
	p.Trial.MaxExtensionDays = 0
	p.Tests.Trial = []workflow.TestKind{workflow.TestFunction, "smell", workflow.TestFunction}
	p.Tests.ThirdPartyLevels = []int{3, 7}
	p.Materials["bogus"] = []workflow.MaterialKind{"x"}
	p.Materials[workflow.TriggerSubmit] = []workflow.MaterialKind{"plan", "plan", ""}
	p.Roles[workflow.TriggerAccept] = []workflow.Role{workflow.RoleOperator}
	p.Roles[workflow.TriggerCompleteReclaim] = []workflow.Role{workflow.RoleAuthority}
	p.Roles[workflow.TriggerSubmit] = []workflow.Role{workflow.RoleVendor}
	delete(p.Roles, workflow.TriggerDeny)
	p.Roles[workflow.TriggerApprove] = []workflow.Role{"king", workflow.RoleAuthority, workflow.RoleAuthority}
	p.OpinionRequired = append(p.OpinionRequired, "nonsense")
	err := p.Validate()
	if !errors.Is(err, workflow.ErrInvalidPolicy) {
		t.Fatalf("Validate = %v, want ErrInvalidPolicy", err)
	}
	var me *workflow.MultiError
	if !errors.As(err, &me) {
		t.Fatalf("Validate did not return a *MultiError: %T", err)
	}
	want := []string{
		"name", "deadlines.accept", "deadlines.reclaim", "trial.max_days", "trial.default_days",
		"trial.max_extension_days", "tests.trial[1]", "tests.trial[2]", "tests.third_party_levels[1]",
		"materials.bogus", "materials.submit[1]", "materials.submit[2]",
		"roles.submit[0]", "roles.accept[0]", "roles.approve[0]", "roles.approve[2]", "roles.deny", "roles.complete_reclaim[0]",
		"opinion_required[6]",
	}
	got := fieldsOf(err)
	slices.Sort(got)
	slices.Sort(want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("fields named (-want +got):\n%s\nerror: %v", d, err)
	}
}

func TestLoadPolicy(t *testing.T) {
	full, err := json.Marshal(workflow.ZhejiangPreset())
	if err != nil {
		t.Fatal(err)
	}
	p, err := workflow.LoadPolicy(bytes.NewReader(full))
	if err != nil {
		t.Fatalf("LoadPolicy(preset JSON): %v", err)
	}
	if d := cmp.Diff(workflow.ZhejiangPreset(), p); d != "" {
		t.Errorf("preset JSON round trip (-want +got):\n%s", d)
	}
	over := `{"base": "zhejiang", "name": "city-x", "deadlines": {"accept": 3, "approve": 2, "provide_trial": 1,
	  "change_review": 5, "change_execution": 3, "termination_review": 5, "reclaim": 2, "final_review": 4},
	  "trial": {"min_days": 10, "max_days": 20, "default_days": 15, "max_extensions": 1, "max_extension_days": 10},
	  "roles": {"fail_trial": ["authority"]}}`
	p, err = workflow.LoadPolicy(strings.NewReader(over))
	if err != nil {
		t.Fatalf("LoadPolicy(overlay): %v", err)
	}
	want := workflow.ZhejiangPreset()
	want.Name = "city-x"
	want.Deadlines.ProvideTrial, want.Deadlines.Reclaim, want.Deadlines.FinalReview = 1, 2, 4
	want.Trial = workflow.TrialPolicy{MinDays: 10, MaxDays: 20, DefaultDays: 15, MaxExtensions: 1, MaxExtensionDays: 10}
	want.Roles[workflow.TriggerFailTrial] = []workflow.Role{workflow.RoleAuthority}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("overlay (-want +got):\n%s", d)
	}

	bad := []struct {
		name, doc string
		field     string
	}{
		{"unknown top-level field", `{"base":"zhejiang","deadline":{}}`, "deadline"},
		{"unknown nested field", `{"base":"zhejiang","trial":{"min_days":15,"maxdays":30}}`, "maxdays"},
		{"wrong type", `{"base":"zhejiang","trial":{"min_days":"fifteen"}}`, "trial.min_days"},
		{"syntax error", "{\"base\":\"zhejiang\",\n\"name\": \"x\",,}", "line 2 column 13"},
		{"unknown base", `{"base":"beijing"}`, "base"},
		{"base not a string", `{"base":3}`, "base"},
		{"empty document", ``, "(input)"},
		{"trailing data", `{"base":"zhejiang"} {}`, "line 1 column 21"},
		{"not an object", `[1,2]`, "(document)"},
		{"invalid values", `{"base":"zhejiang","trial":{"min_days":15,"max_days":31,"default_days":40,"max_extensions":0,"max_extension_days":0}}`, "trial.default_days"},
		{"empty without base", `{}`, "name"},
	}
	for _, tc := range bad {
		_, err := workflow.LoadPolicy(strings.NewReader(tc.doc))
		if !errors.Is(err, workflow.ErrInvalidPolicy) {
			t.Errorf("%s: %v, want ErrInvalidPolicy", tc.name, err)
			continue
		}
		if !slices.Contains(fieldsOf(err), tc.field) {
			t.Errorf("%s: error %q does not name %q (names %v)", tc.name, err, tc.field, fieldsOf(err))
		}
	}
}

func FuzzLoadPolicy(f *testing.F) {
	full, _ := json.Marshal(workflow.ZhejiangPreset())
	f.Add(full)
	f.Add([]byte(`{"base":"zhejiang"}`))
	f.Add([]byte(`{"base":"zhejiang","trial":{"min_days":15,"max_days":30,"default_days":20,"max_extensions":1,"max_extension_days":5}}`))
	f.Add([]byte(`{"base":"zhejiang","roles":{"accept":["operator"]}}`))
	f.Add([]byte(`{"base":"zhejiang","materials":{"submit":[]},"tests":{"third_party_levels":[]}}`))
	f.Add([]byte(`{"base":""}`))
	f.Add([]byte(`{"name":"x","deadlines":{"accept":-1}}`))
	f.Add([]byte("{\n\"base\": \"zhejiang\",\n}"))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := workflow.LoadPolicy(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, workflow.ErrInvalidPolicy) {
				t.Fatalf("error does not match ErrInvalidPolicy: %v", err)
			}
			if len(fieldsOf(err)) == 0 {
				t.Fatalf("error names no field: %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("LoadPolicy returned a policy that does not validate: %v", err)
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := workflow.LoadPolicy(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-loading a loaded policy: %v", err)
		}
		if d := cmp.Diff(p, q); d != "" {
			t.Fatalf("policy JSON round trip (-first +second):\n%s", d)
		}
	})
}
