package workflow

import "fmt"

// Lang selects the language of a user-facing label. Chinese is the default.
type Lang int

const (
	// Chinese labels (the default for String()).
	Chinese Lang = iota
	// English labels.
	English
)

// State is the lifecycle state of an [Application]. Values are stable lower-case
// identifiers suitable for storage; String() gives the Chinese label.
type State string

// The lifecycle states (see the package documentation for the table).
const (
	// StateNone is the state of an application that does not exist yet; Submit
	// fires TriggerSubmit from it.
	StateNone State = ""
	// StateSubmitted: waiting for the authority to accept or reject (第八条, 3 wd).
	StateSubmitted State = "submitted"
	// StateRejected: 不予受理; the department may revise and resubmit, or withdraw.
	StateRejected State = "rejected"
	// StateAccepted: 已受理, waiting for the approval opinion (第八条, 2 wd).
	StateAccepted State = "accepted"
	// StateDenied: 审批不通过 (terminal).
	StateDenied State = "denied"
	// StateWithdrawn: withdrawn by the department before approval (terminal).
	StateWithdrawn State = "withdrawn"
	// StateProvisioning: the vendor provides the trial environment (第九条, 2 wd, work order).
	StateProvisioning State = "provisioning"
	// StateTrial: the trial runs (第九条, 15–30 calendar days); test reports are recorded.
	StateTrial State = "trial"
	// StateFinalReview: 终审 by the authority (第十条; no statutory deadline).
	StateFinalReview State = "final_review"
	// StateActive: 已开通, in formal operation.
	StateActive State = "active"
	// StateChangeReview: the authority reviews a change request (第十一条, 5 wd).
	StateChangeReview State = "change_review"
	// StateChangeExecuting: the vendor executes an approved change (第十一条, 3 wd, work order).
	StateChangeExecuting State = "change_executing"
	// StateChangeTesting: after a major change the department re-runs performance and
	// security tests (第十一条).
	StateChangeTesting State = "change_testing"
	// StateTerminationReview: the authority reviews a termination (第十二条, 5 wd).
	StateTerminationReview State = "termination_review"
	// StateReclaiming: the vendor reclaims the resources (第十二条, 3 wd, work order);
	// also entered when a trial fails or expires.
	StateReclaiming State = "reclaiming"
	// StateTerminated: service ended, resources returned (terminal).
	StateTerminated State = "terminated"
)

// AllStates lists every state except StateNone, in lifecycle order.
func AllStates() []State {
	return []State{StateSubmitted, StateRejected, StateAccepted, StateDenied, StateWithdrawn,
		StateProvisioning, StateTrial, StateFinalReview, StateActive, StateChangeReview,
		StateChangeExecuting, StateChangeTesting, StateTerminationReview, StateReclaiming,
		StateTerminated}
}

var stateLabels = map[State][2]string{
	StateNone:              {"未提交", "not submitted"},
	StateSubmitted:         {"已提交待受理", "submitted"},
	StateRejected:          {"不予受理", "rejected"},
	StateAccepted:          {"已受理待审批", "accepted"},
	StateDenied:            {"审批不通过", "denied"},
	StateWithdrawn:         {"已撤回", "withdrawn"},
	StateProvisioning:      {"试用环境准备中", "provisioning trial environment"},
	StateTrial:             {"试用中", "in trial"},
	StateFinalReview:       {"终审中", "final review"},
	StateActive:            {"已开通", "active"},
	StateChangeReview:      {"变更审批中", "change under review"},
	StateChangeExecuting:   {"变更实施中", "change being executed"},
	StateChangeTesting:     {"重大变更测试中", "major change testing"},
	StateTerminationReview: {"终止审核中", "termination under review"},
	StateReclaiming:        {"资源回收中", "reclaiming resources"},
	StateTerminated:        {"已终止", "terminated"},
}

// Valid reports whether s is one of the declared states (StateNone excluded).
func (s State) Valid() bool { _, ok := stateLabels[s]; return ok && s != StateNone }

// Terminal reports whether no trigger leaves s.
func (s State) Terminal() bool {
	return s == StateDenied || s == StateWithdrawn || s == StateTerminated
}

// Label returns the label of s in lang.
func (s State) Label(lang Lang) string { return label(stateLabels, s, lang) }

// String returns the Chinese label.
func (s State) String() string { return s.Label(Chinese) }

// Trigger is an event that moves an application between states.
type Trigger string

// The triggers.
const (
	TriggerSubmit             Trigger = "submit"              // department: 提交申请 (第七条)
	TriggerAccept             Trigger = "accept"              // authority: 受理 (第八条)
	TriggerReject             Trigger = "reject"              // authority: 不予受理, opinion required (第八条)
	TriggerResubmit           Trigger = "resubmit"            // department: 重新提交 (第八条); the clock restarts
	TriggerWithdraw           Trigger = "withdraw"            // department: 撤回 before approval
	TriggerApprove            Trigger = "approve"             // authority: 审批通过 (第八条)
	TriggerDeny               Trigger = "deny"                // authority: 审批不通过, opinion required
	TriggerProvideTrial       Trigger = "provide_trial"       // vendor work order done: 提供试用环境 (第九条)
	TriggerRecordTestReport   Trigger = "record_test_report"  // department: 登记测试报告 (第九条)
	TriggerExtendTrial        Trigger = "extend_trial"        // authority: 同意延长试用 (第九条)
	TriggerSubmitTests        Trigger = "submit_tests"        // department: 提交测试结果申请终审
	TriggerFailTrial          Trigger = "fail_trial"          // department or authority: 试用未通过
	TriggerExpireTrial        Trigger = "expire_trial"        // authority: 试用期满未通过 (only once the trial is over)
	TriggerActivate           Trigger = "activate"            // authority: 终审通过, 开通 (第十条)
	TriggerRejectFinal        Trigger = "reject_final"        // authority: 终审不通过, back to testing
	TriggerRequestChange      Trigger = "request_change"      // department: 变更申请 (第十一条)
	TriggerApproveChange      Trigger = "approve_change"      // authority: 变更审批通过
	TriggerDenyChange         Trigger = "deny_change"         // authority: 变更审批不通过
	TriggerCompleteChange     Trigger = "complete_change"     // vendor work order done: 完成变更
	TriggerRequestTermination Trigger = "request_termination" // department: 终止申请 (第十二条)
	TriggerApproveTermination Trigger = "approve_termination" // authority: 终止审核通过
	TriggerDenyTermination    Trigger = "deny_termination"    // authority: 终止审核不通过
	TriggerCompleteReclaim    Trigger = "complete_reclaim"    // vendor work order done: 回收资源
)

// AllTriggers lists every trigger in lifecycle order.
func AllTriggers() []Trigger {
	return []Trigger{TriggerSubmit, TriggerAccept, TriggerReject, TriggerResubmit, TriggerWithdraw,
		TriggerApprove, TriggerDeny, TriggerProvideTrial, TriggerRecordTestReport, TriggerExtendTrial,
		TriggerSubmitTests, TriggerFailTrial, TriggerExpireTrial, TriggerActivate, TriggerRejectFinal,
		TriggerRequestChange, TriggerApproveChange, TriggerDenyChange, TriggerCompleteChange,
		TriggerRequestTermination, TriggerApproveTermination, TriggerDenyTermination,
		TriggerCompleteReclaim}
}

var triggerLabels = map[Trigger][2]string{
	TriggerSubmit:             {"提交申请", "submit"},
	TriggerAccept:             {"受理", "accept"},
	TriggerReject:             {"不予受理", "reject"},
	TriggerResubmit:           {"重新提交", "resubmit"},
	TriggerWithdraw:           {"撤回", "withdraw"},
	TriggerApprove:            {"审批通过", "approve"},
	TriggerDeny:               {"审批不通过", "deny"},
	TriggerProvideTrial:       {"提供试用环境", "provide trial environment"},
	TriggerRecordTestReport:   {"登记测试报告", "record test report"},
	TriggerExtendTrial:        {"延长试用", "extend trial"},
	TriggerSubmitTests:        {"提交测试结果", "submit test results"},
	TriggerFailTrial:          {"试用未通过", "fail trial"},
	TriggerExpireTrial:        {"试用期满", "expire trial"},
	TriggerActivate:           {"终审通过并开通", "activate"},
	TriggerRejectFinal:        {"终审不通过", "reject at final review"},
	TriggerRequestChange:      {"申请变更", "request change"},
	TriggerApproveChange:      {"变更审批通过", "approve change"},
	TriggerDenyChange:         {"变更审批不通过", "deny change"},
	TriggerCompleteChange:     {"完成变更", "complete change"},
	TriggerRequestTermination: {"申请终止", "request termination"},
	TriggerApproveTermination: {"终止审核通过", "approve termination"},
	TriggerDenyTermination:    {"终止审核不通过", "deny termination"},
	TriggerCompleteReclaim:    {"完成资源回收", "complete reclaim"},
}

// Valid reports whether t is one of the declared triggers.
func (t Trigger) Valid() bool { _, ok := triggerLabels[t]; return ok }

// Label returns the label of t in lang.
func (t Trigger) Label(lang Lang) string { return label(triggerLabels, t, lang) }

// String returns the Chinese label.
func (t Trigger) String() string { return t.Label(Chinese) }

// Role is what an actor is on the platform.
type Role string

// The roles (DESIGN.md glossary).
const (
	RoleDepartment Role = "department" // 使用单位
	RoleAuthority  Role = "authority"  // 行政主管部门
	RoleVendor     Role = "vendor"     // 云服务商
	RoleOperator   Role = "operator"   // 运行管理单位: reads everything, changes nothing
	RoleFinance    Role = "finance"    // 财政部门: reads everything, changes nothing
)

var roleLabels = map[Role][2]string{
	RoleDepartment: {"使用单位", "department"},
	RoleAuthority:  {"行政主管部门", "authority"},
	RoleVendor:     {"云服务商", "vendor"},
	RoleOperator:   {"运行管理单位", "operator"},
	RoleFinance:    {"财政部门", "finance"},
}

// Valid reports whether r is a declared role.
func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }

// Label returns the label of r in lang.
func (r Role) Label(lang Lang) string { return label(roleLabels, r, lang) }

// String returns the Chinese label.
func (r Role) String() string { return r.Label(Chinese) }

// Party is who is responsible for the next step of an application (whose clock runs).
type Party string

// The responsible parties. PartyNone means nobody has a deadline.
const (
	PartyNone       Party = ""
	PartyDepartment Party = "department"
	PartyAuthority  Party = "authority"
	PartyVendor     Party = "vendor"
)

var partyLabels = map[Party][2]string{
	PartyNone:       {"无", "none"},
	PartyDepartment: {"使用单位", "department"},
	PartyAuthority:  {"行政主管部门", "authority"},
	PartyVendor:     {"云服务商", "vendor"},
}

// Label returns the label of p in lang.
func (p Party) Label(lang Lang) string { return label(partyLabels, p, lang) }

// String returns the Chinese label.
func (p Party) String() string { return p.Label(Chinese) }

// Zone is the platform zone an application is hosted in (第二十四条).
type Zone string

// The zones.
const (
	PrivateZone Zone = "private" // 专有云: approvals, data exchange, information sharing
	PublicZone  Zone = "public"  // 公有云: portals, service intake, consultation
)

var zoneLabels = map[Zone][2]string{
	PrivateZone: {"专有云", "private zone"},
	PublicZone:  {"公有云", "public zone"},
}

// Valid reports whether z is a declared zone.
func (z Zone) Valid() bool { _, ok := zoneLabels[z]; return ok }

// Label returns the label of z in lang.
func (z Zone) Label(lang Lang) string { return label(zoneLabels, z, lang) }

// String returns the Chinese label.
func (z Zone) String() string { return z.Label(Chinese) }

// TestKind is the kind of a test report recorded during a trial (第九条).
type TestKind string

// The test kinds.
const (
	TestFunction    TestKind = "function"    // 功能测试
	TestPerformance TestKind = "performance" // 性能测试
	TestSecurity    TestKind = "security"    // 安全测试
)

var testKindLabels = map[TestKind][2]string{
	TestFunction:    {"功能测试", "function test"},
	TestPerformance: {"性能测试", "performance test"},
	TestSecurity:    {"安全测试", "security test"},
}

// Valid reports whether k is a declared test kind.
func (k TestKind) Valid() bool { _, ok := testKindLabels[k]; return ok }

// Label returns the label of k in lang.
func (k TestKind) Label(lang Lang) string { return label(testKindLabels, k, lang) }

// String returns the Chinese label.
func (k TestKind) String() string { return k.Label(Chinese) }

// WorkOrderKind is the kind of task a work order asks a vendor to do.
type WorkOrderKind string

// The work order kinds.
const (
	WorkOrderTrialEnvironment WorkOrderKind = "trial_environment" // 提供试用环境 (第九条)
	WorkOrderChange           WorkOrderKind = "change"            // 实施变更 (第十一条)
	WorkOrderReclaim          WorkOrderKind = "reclaim"           // 回收资源 (第十二条)
)

var woKindLabels = map[WorkOrderKind][2]string{
	WorkOrderTrialEnvironment: {"提供试用环境", "provide trial environment"},
	WorkOrderChange:           {"实施变更", "execute change"},
	WorkOrderReclaim:          {"回收资源", "reclaim resources"},
}

// Label returns the label of k in lang.
func (k WorkOrderKind) Label(lang Lang) string { return label(woKindLabels, k, lang) }

// String returns the Chinese label.
func (k WorkOrderKind) String() string { return k.Label(Chinese) }

// WorkOrderStatus is whether a work order is open or done.
type WorkOrderStatus string

// The work order statuses.
const (
	WorkOrderOpen WorkOrderStatus = "open"
	WorkOrderDone WorkOrderStatus = "done"
)

func label[K ~string](m map[K][2]string, k K, lang Lang) string {
	l, ok := m[k]
	if !ok {
		return fmt.Sprintf("%q", string(k))
	}
	if lang == English {
		return l[1]
	}
	return l[0]
}
