package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Material kinds used by the Zhejiang preset.
const (
	// MaterialConstructionPlan is the 应用系统建设方案 (第七条).
	MaterialConstructionPlan MaterialKind = "construction_plan"
	// MaterialSelfTestReport is the 应用系统性能和安全自测报告 (第七条).
	MaterialSelfTestReport MaterialKind = "self_test_report"
	// MaterialResourceRequest is the 云资源需求 document (第七条); the items themselves
	// travel in the request.
	MaterialResourceRequest MaterialKind = "resource_request"
	// MaterialOffboardingConfirmation confirms the system has been taken offline (第十二条).
	MaterialOffboardingConfirmation MaterialKind = "offboarding_confirmation"
	// MaterialDataBackup confirms data migration and backup (第十二条).
	MaterialDataBackup MaterialKind = "data_backup"
	// MaterialChangePlan describes a requested change (第十一条).
	MaterialChangePlan MaterialKind = "change_plan"
)

// Deadlines gives the deadline of each waiting step in working days (工作日) counted
// from entering the step, the day of entry not counted; 0 means no deadline. The
// responsible party of each step is fixed by the lifecycle (see the package doc).
type Deadlines struct {
	Accept            int `json:"accept"`             // submitted → accept/reject, authority (第八条: 3)
	Approve           int `json:"approve"`            // accepted → approve/deny, authority (第八条: 2)
	ProvideTrial      int `json:"provide_trial"`      // provisioning, vendor (第九条: 2)
	FinalReview       int `json:"final_review"`       // final review, authority (no statutory deadline)
	ChangeReview      int `json:"change_review"`      // change review, authority (第十一条: 5)
	ChangeExecution   int `json:"change_execution"`   // change execution, vendor (第十一条: 3)
	ChangeTesting     int `json:"change_testing"`     // retesting after a major change, department (none)
	TerminationReview int `json:"termination_review"` // termination review, authority (第十二条: 5)
	Reclaim           int `json:"reclaim"`            // reclaim, vendor (第十二条: 3)
	Resubmit          int `json:"resubmit"`           // rejected → resubmit, department (none)
}

// TrialPolicy bounds the trial (第九条). Days are calendar days.
type TrialPolicy struct {
	MinDays     int `json:"min_days"`     // 15
	MaxDays     int `json:"max_days"`     // 30
	DefaultDays int `json:"default_days"` // used when the approval names no length
	// MaxExtensions caps how many times the authority may extend one trial and
	// MaxExtensionDays the total days added (0 and 0: no extension allowed).
	MaxExtensions    int `json:"max_extensions"`
	MaxExtensionDays int `json:"max_extension_days"`
}

// TestPolicy says which passing test reports a step needs (第九条, 第十一条).
type TestPolicy struct {
	// Trial lists the kinds needed to leave the trial for final review.
	Trial []TestKind `json:"trial"`
	// MajorChange lists the kinds needed after a major change.
	MajorChange []TestKind `json:"major_change"`
	// ThirdPartyLevels lists the 等保 levels that need third-party reports.
	ThirdPartyLevels []int `json:"third_party_levels"`
	// ThirdPartyKinds lists the kinds that must be third-party reports at those levels.
	ThirdPartyKinds []TestKind `json:"third_party_kinds"`
}

// Policy is the data that parameterises the lifecycle: deadlines, trial bounds,
// test and material requirements, and which roles may fire each trigger.
// Build one from [ZhejiangPreset] in code or load one with [LoadPolicy]; check it
// with Validate (the engine refuses an invalid policy).
type Policy struct {
	Name      string      `json:"name"`
	Deadlines Deadlines   `json:"deadlines"`
	Trial     TrialPolicy `json:"trial"`
	Tests     TestPolicy  `json:"tests"`
	// Materials lists the material kinds a trigger requires in its Input.
	Materials map[Trigger][]MaterialKind `json:"materials"`
	// MajorChangeMaterials are required in addition for a major change request
	// (第十一条: the 第七条 materials again).
	MajorChangeMaterials []MaterialKind `json:"major_change_materials"`
	// Roles lists, for every trigger, the roles allowed to fire it.
	Roles map[Trigger][]Role `json:"roles"`
	// OpinionRequired lists the triggers that need a non-empty opinion.
	OpinionRequired []Trigger `json:"opinion_required"`
}

// ZhejiangPreset returns the policy of 浙江省电子政务云计算平台管理办法 (RULES.md A).
// Where the text is silent (extension limits, the default trial length) the values are
// the project's decisions, documented in the package doc.
func ZhejiangPreset() Policy {
	submitMaterials := []MaterialKind{MaterialConstructionPlan, MaterialSelfTestReport, MaterialResourceRequest}
	return Policy{
		Name: "zhejiang",
		Deadlines: Deadlines{
			Accept:            3,
			Approve:           2,
			ProvideTrial:      2,
			ChangeReview:      5,
			ChangeExecution:   3,
			TerminationReview: 5,
			Reclaim:           3,
		},
		Trial: TrialPolicy{MinDays: 15, MaxDays: 30, DefaultDays: 30, MaxExtensions: 2, MaxExtensionDays: 30},
		Tests: TestPolicy{
			Trial:            []TestKind{TestFunction, TestPerformance, TestSecurity},
			MajorChange:      []TestKind{TestPerformance, TestSecurity},
			ThirdPartyLevels: []int{3, 4, 5},
			ThirdPartyKinds:  []TestKind{TestPerformance, TestSecurity},
		},
		Materials: map[Trigger][]MaterialKind{
			TriggerSubmit:             submitMaterials,
			TriggerResubmit:           slices.Clone(submitMaterials),
			TriggerRequestChange:      {MaterialChangePlan},
			TriggerRequestTermination: {MaterialOffboardingConfirmation, MaterialDataBackup},
		},
		MajorChangeMaterials: slices.Clone(submitMaterials),
		Roles: map[Trigger][]Role{
			TriggerSubmit:             {RoleDepartment},
			TriggerAccept:             {RoleAuthority},
			TriggerReject:             {RoleAuthority},
			TriggerResubmit:           {RoleDepartment},
			TriggerWithdraw:           {RoleDepartment},
			TriggerApprove:            {RoleAuthority},
			TriggerDeny:               {RoleAuthority},
			TriggerProvideTrial:       {RoleVendor},
			TriggerRecordTestReport:   {RoleDepartment},
			TriggerExtendTrial:        {RoleAuthority},
			TriggerSubmitTests:        {RoleDepartment},
			TriggerFailTrial:          {RoleDepartment, RoleAuthority},
			TriggerExpireTrial:        {RoleAuthority},
			TriggerActivate:           {RoleAuthority},
			TriggerRejectFinal:        {RoleAuthority},
			TriggerRequestChange:      {RoleDepartment},
			TriggerApproveChange:      {RoleAuthority},
			TriggerDenyChange:         {RoleAuthority},
			TriggerCompleteChange:     {RoleVendor},
			TriggerRequestTermination: {RoleDepartment},
			TriggerApproveTermination: {RoleAuthority},
			TriggerDenyTermination:    {RoleAuthority},
			TriggerCompleteReclaim:    {RoleVendor},
		},
		OpinionRequired: []Trigger{TriggerReject, TriggerDeny, TriggerRejectFinal, TriggerDenyChange,
			TriggerDenyTermination, TriggerFailTrial},
	}
}

// Clone returns a deep copy of p.
func (p Policy) Clone() Policy {
	q := p
	q.Tests.Trial = slices.Clone(p.Tests.Trial)
	q.Tests.MajorChange = slices.Clone(p.Tests.MajorChange)
	q.Tests.ThirdPartyLevels = slices.Clone(p.Tests.ThirdPartyLevels)
	q.Tests.ThirdPartyKinds = slices.Clone(p.Tests.ThirdPartyKinds)
	q.MajorChangeMaterials = slices.Clone(p.MajorChangeMaterials)
	q.OpinionRequired = slices.Clone(p.OpinionRequired)
	if p.Materials != nil {
		q.Materials = make(map[Trigger][]MaterialKind, len(p.Materials))
		for k, v := range p.Materials {
			q.Materials[k] = slices.Clone(v)
		}
	}
	if p.Roles != nil {
		q.Roles = make(map[Trigger][]Role, len(p.Roles))
		for k, v := range p.Roles {
			q.Roles[k] = slices.Clone(v)
		}
	}
	return q
}

// workOrderTriggers are fired only through Engine.CompleteWorkOrder.
var workOrderTriggers = map[Trigger]WorkOrderKind{
	TriggerProvideTrial:    WorkOrderTrialEnvironment,
	TriggerCompleteChange:  WorkOrderChange,
	TriggerCompleteReclaim: WorkOrderReclaim,
}

// Validate reports every problem of p at once as a *MultiError of *FieldError (each
// matching ErrInvalidPolicy and naming its field by JSON path), or nil.
func (p Policy) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(ErrInvalidPolicy, field, format, args...))
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("name", "must not be empty")
	}
	for _, d := range []struct {
		f string
		v int
	}{
		{"accept", p.Deadlines.Accept}, {"approve", p.Deadlines.Approve},
		{"provide_trial", p.Deadlines.ProvideTrial}, {"final_review", p.Deadlines.FinalReview},
		{"change_review", p.Deadlines.ChangeReview}, {"change_execution", p.Deadlines.ChangeExecution},
		{"change_testing", p.Deadlines.ChangeTesting}, {"termination_review", p.Deadlines.TerminationReview},
		{"reclaim", p.Deadlines.Reclaim}, {"resubmit", p.Deadlines.Resubmit},
	} {
		if d.v < 0 || d.v > 366 {
			bad("deadlines."+d.f, "%d working days is outside 0..366", d.v)
		}
	}
	// Vendor work orders always need a deadline: a work order without one cannot be
	// late, which would defeat the vendor assessment (第二十三条).
	for _, d := range []struct {
		f string
		v int
	}{{"provide_trial", p.Deadlines.ProvideTrial}, {"change_execution", p.Deadlines.ChangeExecution}, {"reclaim", p.Deadlines.Reclaim}} {
		if d.v == 0 {
			bad("deadlines."+d.f, "a vendor work order needs a deadline of at least 1 working day")
		}
	}
	t := p.Trial
	if t.MinDays < 1 {
		bad("trial.min_days", "must be at least 1, got %d", t.MinDays)
	}
	if t.MaxDays < t.MinDays {
		bad("trial.max_days", "%d is below trial.min_days %d", t.MaxDays, t.MinDays)
	}
	if t.MaxDays > 366 {
		bad("trial.max_days", "%d calendar days is more than a year", t.MaxDays)
	}
	if t.DefaultDays < t.MinDays || t.DefaultDays > t.MaxDays {
		bad("trial.default_days", "%d is outside trial.min_days..trial.max_days (%d..%d)", t.DefaultDays, t.MinDays, t.MaxDays)
	}
	if t.MaxExtensions < 0 {
		bad("trial.max_extensions", "must not be negative, got %d", t.MaxExtensions)
	}
	if t.MaxExtensionDays < 0 || t.MaxExtensionDays > 366 {
		bad("trial.max_extension_days", "%d is outside 0..366", t.MaxExtensionDays)
	}
	if (t.MaxExtensions == 0) != (t.MaxExtensionDays == 0) {
		bad("trial.max_extension_days", "max_extensions (%d) and max_extension_days (%d) must both be zero or both positive", t.MaxExtensions, t.MaxExtensionDays)
	}
	checkKinds := func(field string, ks []TestKind, nonEmpty bool) {
		if nonEmpty && len(ks) == 0 {
			bad(field, "must list at least one test kind")
		}
		seen := map[TestKind]bool{}
		for i, k := range ks {
			if !k.Valid() {
				bad(fmt.Sprintf("%s[%d]", field, i), "unknown test kind %q (want function, performance or security)", string(k))
			} else if seen[k] {
				bad(fmt.Sprintf("%s[%d]", field, i), "duplicate test kind %q", string(k))
			}
			seen[k] = true
		}
	}
	checkKinds("tests.trial", p.Tests.Trial, true)
	checkKinds("tests.major_change", p.Tests.MajorChange, true)
	checkKinds("tests.third_party_kinds", p.Tests.ThirdPartyKinds, len(p.Tests.ThirdPartyLevels) > 0)
	seenLevel := map[int]bool{}
	for i, l := range p.Tests.ThirdPartyLevels {
		if l < 1 || l > 5 {
			bad(fmt.Sprintf("tests.third_party_levels[%d]", i), "security level %d is outside 1..5", l)
		} else if seenLevel[l] {
			bad(fmt.Sprintf("tests.third_party_levels[%d]", i), "duplicate level %d", l)
		}
		seenLevel[l] = true
	}
	checkMaterials := func(field string, ms []MaterialKind) {
		seen := map[MaterialKind]bool{}
		for i, m := range ms {
			if strings.TrimSpace(string(m)) == "" {
				bad(fmt.Sprintf("%s[%d]", field, i), "empty material kind")
			} else if seen[m] {
				bad(fmt.Sprintf("%s[%d]", field, i), "duplicate material kind %q", string(m))
			}
			seen[m] = true
		}
	}
	for _, tr := range sortedKeys(p.Materials) {
		if !tr.Valid() {
			bad("materials."+string(tr), "unknown trigger %q", string(tr))
			continue
		}
		checkMaterials("materials."+string(tr), p.Materials[tr])
	}
	checkMaterials("major_change_materials", p.MajorChangeMaterials)
	for _, tr := range sortedKeys(p.Roles) {
		if !tr.Valid() {
			bad("roles."+string(tr), "unknown trigger %q", string(tr))
		}
	}
	for _, tr := range AllTriggers() {
		field := "roles." + string(tr)
		rs, ok := p.Roles[tr]
		if !ok || len(rs) == 0 {
			bad(field, "no role may fire %s; list at least one", tr.Label(English))
			continue
		}
		seen := map[Role]bool{}
		for i, r := range rs {
			f := fmt.Sprintf("%s[%d]", field, i)
			switch {
			case !r.Valid():
				bad(f, "unknown role %q", string(r))
			case seen[r]:
				bad(f, "duplicate role %q", string(r))
			case r == RoleOperator || r == RoleFinance:
				bad(f, "role %q reads but never changes an application (第二十条)", string(r))
			case workOrderTriggers[tr] != "" && r != RoleVendor:
				bad(f, "%s completes a vendor work order: only the vendor role may fire it", tr.Label(English))
			case tr == TriggerSubmit && r != RoleDepartment:
				bad(f, "only the department submits its own application (第七条)")
			}
			seen[r] = true
		}
	}
	for i, tr := range p.OpinionRequired {
		if !tr.Valid() {
			bad(fmt.Sprintf("opinion_required[%d]", i), "unknown trigger %q", string(tr))
		}
	}
	return joinErrs(errs)
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// policyFile is the JSON document LoadPolicy reads: a Policy plus an optional base.
type policyFile struct {
	// Base names a preset the document overrides ("zhejiang"); "" starts empty.
	Base string `json:"base"`
	Policy
}

// LoadPolicy reads a policy from JSON. The document is a Policy in its JSON form; if it
// has "base": "zhejiang" the fields present override ZhejiangPreset() (map entries are
// merged per trigger), otherwise every field must be given. Unknown fields are rejected.
// Errors match ErrInvalidPolicy and name the field (JSON path) or the line and column
// of a syntax error; the loaded policy is validated before it is returned.
func LoadPolicy(r io.Reader) (Policy, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return Policy{}, fieldErr(ErrInvalidPolicy, "(input)", "read: %v", err)
	}
	if len(data) > 1<<20 {
		return Policy{}, fieldErr(ErrInvalidPolicy, "(input)", "policy file larger than 1 MiB")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Policy{}, fieldErr(ErrInvalidPolicy, "(input)", "empty policy document")
	}
	var head struct {
		Base json.RawMessage `json:"base"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Policy{}, jsonErr(data, err)
	}
	var pf policyFile
	if len(head.Base) > 0 {
		var base string
		if err := json.Unmarshal(head.Base, &base); err != nil {
			return Policy{}, fieldErr(ErrInvalidPolicy, "base", "must be a string")
		}
		switch base {
		case "":
		case "zhejiang":
			pf.Policy = ZhejiangPreset()
		default:
			return Policy{}, fieldErr(ErrInvalidPolicy, "base", "unknown preset %q (want \"zhejiang\")", base)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pf); err != nil {
		return Policy{}, jsonErr(data, err)
	}
	if dec.More() {
		return Policy{}, fieldErr(ErrInvalidPolicy, "(input)", "trailing data after the policy object")
	}
	if err := pf.Policy.Validate(); err != nil {
		return Policy{}, err
	}
	return pf.Policy, nil
}

func jsonErr(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset)
		return fieldErr(ErrInvalidPolicy, fmt.Sprintf("line %d column %d", line, col), "syntax error: %v", se)
	case errors.As(err, &te):
		f := strings.TrimPrefix(te.Field, "Policy.")
		if f == "" {
			f = "(document)"
		}
		return fieldErr(ErrInvalidPolicy, f, "cannot use JSON %s as %v", te.Value, te.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fieldErr(ErrInvalidPolicy, "(input)", "empty or truncated policy document")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fieldErr(ErrInvalidPolicy, strings.Trim(f, `"`), "unknown field")
	}
	return fieldErr(ErrInvalidPolicy, "(input)", "%s", strings.TrimPrefix(msg, "json: "))
}

// lineCol converts a json.SyntaxError offset (bytes read, including the offending
// byte) into the 1-based line and column of that byte.
func lineCol(data []byte, off int64) (int, int) {
	if off > 0 {
		off--
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// requiredTests returns the test kinds needed and those that must be third-party for
// a test round (major change or trial) at the given security level.
func (p *Policy) requiredTests(major bool, level int) (need, thirdParty []TestKind) {
	need = p.Tests.Trial
	if major {
		need = p.Tests.MajorChange
	}
	if slices.Contains(p.Tests.ThirdPartyLevels, level) {
		thirdParty = p.Tests.ThirdPartyKinds
	}
	return need, thirdParty
}
