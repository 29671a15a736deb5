package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/opengovcloud/govcloud/workflow"
)

// ErrScenario marks a scenario that does not validate or does not parse.
var ErrScenario = errors.New("citysim: invalid scenario")

// ScenarioError names one problem of a scenario: the JSON path of the field and why.
type ScenarioError struct {
	Field  string
	Reason string
}

func (e *ScenarioError) Error() string { return "scenario: " + e.Field + ": " + e.Reason }

// Is reports whether target is ErrScenario.
func (e *ScenarioError) Is(target error) bool { return target == ErrScenario }

// Latency is a delay drawn from a log-normal distribution in working hours
// (calendar.StandardOfficeHours: 09:00–12:00 and 13:30–17:30 on working days, 7 h a
// day), so "3 working days" is 21 hours. A drawn value is capped at MaxHours.
type Latency struct {
	// MedianHours is the median delay in working hours (> 0).
	MedianHours float64 `json:"median_hours"`
	// Spread is σ of the delay's logarithm (0: always the median; 1: a heavy tail).
	Spread float64 `json:"spread"`
	// MaxHours caps the delay (≥ MedianHours).
	MaxHours float64 `json:"max_hours"`
}

// VendorSpec is one cloud vendor (云服务商) and how quickly it completes work orders.
type VendorSpec struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Share is the vendor's relative share of new applications (> 0).
	Share float64 `json:"share"`
	// TrialEnvironment, Change and Reclaim are the latencies of its three work
	// orders (第九条 2, 第十一条 3 and 第十二条 3 working days).
	//
	// The vendor is a seeded adapters/simprovider reached through the platform's
	// dispatcher: its latency for an operation is uniform in working time over
	// the 10th–90th percentile of this log-normal (capped at MaxHours), counted
	// from when the vendor accepted the request; a partial delivery resent
	// draws it again.
	TrialEnvironment Latency `json:"trial_environment"`
	Change           Latency `json:"change"`
	Reclaim          Latency `json:"reclaim"`
	// Faults are the vendor's injected failures.
	Faults FaultSpec `json:"faults"`
}

// FaultSpec is how often a vendor's API fails a request that creates, changes
// or reclaims resources (probabilities per call; every failure here is
// retryable, so the dispatcher retries with backoff and, after
// dispatch.max_attempts, raises the work order to the operator).
type FaultSpec struct {
	// TimeoutRate: the call times out (half of them after the vendor accepted
	// the request, so the caller cannot tell).
	TimeoutRate float64 `json:"timeout_rate"`
	// ServerErrorRate: the vendor answers with a server error; nothing is done.
	ServerErrorRate float64 `json:"server_error_rate"`
	// PartialRate: the operation delivers only part of the resources and must
	// be sent again for the rest.
	PartialRate float64 `json:"partial_rate"`
}

// DispatchSpec configures the platform's dispatcher, which delivers work orders
// to the vendors and retries their failures.
type DispatchSpec struct {
	// BaseBackoffMinutes and MaxBackoffMinutes bound the retry delay (doubling
	// per failure, with seeded jitter), in simulated minutes.
	BaseBackoffMinutes int `json:"base_backoff_minutes"`
	MaxBackoffMinutes  int `json:"max_backoff_minutes"`
	// MaxAttempts is how many failed attempts of one work order make the
	// dispatcher give up and raise it to the operator.
	MaxAttempts int `json:"max_attempts"`
}

// AuthoritySpec is how the authority (行政主管部门) behaves.
type AuthoritySpec struct {
	Accept            Latency `json:"accept"`             // 受理 or 不予受理 (3 wd)
	Approve           Latency `json:"approve"`            // 审批 (2 wd)
	FinalReview       Latency `json:"final_review"`       // 终审 (no deadline)
	ChangeReview      Latency `json:"change_review"`      // 变更审批 (5 wd)
	TerminationReview Latency `json:"termination_review"` // 终止审核 (5 wd)
	// ExpireAfter is how long after a trial's end the authority records its expiry.
	ExpireAfter Latency `json:"expire_after"`

	RejectRate          float64 `json:"reject_rate"`           // 不予受理 at acceptance
	DenyRate            float64 `json:"deny_rate"`             // 审批不通过
	RejectFinalRate     float64 `json:"reject_final_rate"`     // 终审不通过 (back to testing)
	DenyChangeRate      float64 `json:"deny_change_rate"`      // 变更审批不通过
	DenyTerminationRate float64 `json:"deny_termination_rate"` // 终止审核不通过
	ReassignRate        float64 `json:"reassign_rate"`         // another vendor named at approval
	// ExtendRate is the chance the authority consents to extend a trial that would
	// otherwise end before the tests are done.
	ExtendRate float64 `json:"extend_rate"`
	// TrialDaysMin and TrialDaysMax bound the trial length set at approval
	// (calendar days, within the policy's 15–30).
	TrialDaysMin int `json:"trial_days_min"`
	TrialDaysMax int `json:"trial_days_max"`
}

// DepartmentSpec is how departments (使用单位) behave.
type DepartmentSpec struct {
	// WithdrawRate is the chance a department withdraws while waiting for the
	// authority's acceptance or approval.
	WithdrawRate float64 `json:"withdraw_rate"`
	// ResubmitRate is the chance a rejected application is revised and resubmitted
	// (else withdrawn); MaxRejections stops the authority rejecting more often.
	ResubmitRate  float64 `json:"resubmit_rate"`
	MaxRejections int     `json:"max_rejections"`
	Resubmit      Latency `json:"resubmit"`
	// Test is the time to run one test and record its report.
	Test Latency `json:"test"`
	// FailRates are the chances a test fails: function, performance, security.
	FunctionFailRate    float64 `json:"function_fail_rate"`
	PerformanceFailRate float64 `json:"performance_fail_rate"`
	SecurityFailRate    float64 `json:"security_fail_rate"`
	// RetestRate is the chance a failed test is fixed and retested (else the
	// department declares the trial failed, which ends in reclaim).
	RetestRate float64 `json:"retest_rate"`
	// AbandonRate is the chance a department never tests: the trial expires.
	AbandonRate float64 `json:"abandon_rate"`
	// ChangeRate is the chance an active system requests a change (halved for
	// every later change); MajorChangeRate the share of major ones (重大变更).
	ChangeRate      float64 `json:"change_rate"`
	MajorChangeRate float64 `json:"major_change_rate"`
	// TerminationRate is the chance an active system is terminated within the year.
	TerminationRate float64 `json:"termination_rate"`
	// ActiveDaysMin and ActiveDaysMax bound the calendar days between going live
	// (or a change) and the next change or termination request.
	ActiveDaysMin int `json:"active_days_min"`
	ActiveDaysMax int `json:"active_days_max"`
	// SecurityLevels are relative weights of 等保 levels 1 to 5.
	SecurityLevels [5]float64 `json:"security_levels"`
	// PublicZoneShare is the share of systems in the public zone (公有云).
	PublicZoneShare float64 `json:"public_zone_share"`
	// OnlineShare is the share of submissions made online at any hour (一网通办);
	// the rest arrive during office hours on working days.
	OnlineShare float64 `json:"online_share"`
}

// Scenario is everything one run simulates. The zero value is not valid; start from
// DefaultScenario (or ProvinceScenario) and override fields, or load a JSON file with
// LoadScenario (fields it omits keep the defaults; unknown fields are errors).
type Scenario struct {
	Name string `json:"name"`
	// Seed drives every random draw; the same seed gives the same output.
	Seed uint64 `json:"seed"`
	// Year is the simulated calendar year (Beijing time). Deadlines past the
	// official calendar's coverage are computed provisionally (Monday–Friday).
	Year int `json:"year"`
	// Departments is the number of departments (使用单位); Applications the number of
	// applications (使用申请) submitted over the year.
	Departments  int `json:"departments"`
	Applications int `json:"applications"`
	// Vendors lists the cloud vendors (at least one).
	Vendors    []VendorSpec   `json:"vendors"`
	Authority  AuthoritySpec  `json:"authority"`
	Department DepartmentSpec `json:"department"`
	Quota      QuotaSpec      `json:"quota"`
	// Billing sets the billing stage (issue 5): trial billing and audit.
	Billing BillingSpec `json:"billing"`
	// Dispatch configures the dispatcher that delivers work orders to the vendors.
	Dispatch DispatchSpec `json:"dispatch"`
	// Policy, if present, is a workflow policy document (workflow.LoadPolicy),
	// e.g. {"base": "zhejiang", "deadlines": {"accept": 2}}: the lifecycle's
	// deadlines, trial bounds and tests for policy experiments. Absent: the
	// Zhejiang preset.
	Policy json.RawMessage `json:"policy,omitempty"`
}

// QuotaSpec sets up the yearly quotas (RULES.md A 第十条, C). Each vendor's capacity
// in each zone is a platform pool; under it tier pools (city cloud, district cloud,
// dedicated domain) hold the department pools. Each department declares its yearly
// demand (the resources of the applications it will file, padded by a factor drawn
// in [pad_min, pad_max]); the capacity of a platform pool is capacity_ratio times
// the declared demand of its departments, divided among them by algorithm; the
// grants are the departments' yearly quotas.
type QuotaSpec struct {
	// Algorithm is proportional, priority, maxmin or drf.
	Algorithm     string  `json:"algorithm"`
	CapacityRatio float64 `json:"capacity_ratio"`
	PadMin        float64 `json:"pad_min"`
	PadMax        float64 `json:"pad_max"`
	// Retry is how long the authority waits before trying an approval again that
	// the department's quota could not cover; after MaxRetries it denies.
	Retry      Latency `json:"retry"`
	MaxRetries int     `json:"max_retries"`
}

// Scales names the preset scenarios of -scale.
var Scales = []string{"city", "province"}

// DefaultScenario is a city: about 60 departments, 3 vendors, 400 applications in 2025.
func DefaultScenario() Scenario {
	return Scenario{
		Name:         "city",
		Seed:         1,
		Year:         2025,
		Departments:  60,
		Applications: 400,
		Vendors: []VendorSpec{
			{ID: "v-telecom", Name: "电信天翼云", Share: 0.45,
				TrialEnvironment: Latency{MedianHours: 7, Spread: 0.7, MaxHours: 70},
				Change:           Latency{MedianHours: 10, Spread: 0.6, MaxHours: 70},
				Reclaim:          Latency{MedianHours: 9, Spread: 0.6, MaxHours: 70},
				Faults:           FaultSpec{TimeoutRate: 0.02, ServerErrorRate: 0.01, PartialRate: 0.02}},
			{ID: "v-mobile", Name: "移动云", Share: 0.35,
				TrialEnvironment: Latency{MedianHours: 9, Spread: 0.8, MaxHours: 90},
				Change:           Latency{MedianHours: 12, Spread: 0.7, MaxHours: 90},
				Reclaim:          Latency{MedianHours: 12, Spread: 0.8, MaxHours: 90},
				Faults:           FaultSpec{TimeoutRate: 0.03, ServerErrorRate: 0.02, PartialRate: 0.03}},
			{ID: "v-unicom", Name: "联通云", Share: 0.20,
				TrialEnvironment: Latency{MedianHours: 12, Spread: 0.9, MaxHours: 120},
				Change:           Latency{MedianHours: 16, Spread: 0.8, MaxHours: 120},
				Reclaim:          Latency{MedianHours: 15, Spread: 0.9, MaxHours: 120},
				Faults:           FaultSpec{TimeoutRate: 0.05, ServerErrorRate: 0.04, PartialRate: 0.04}},
		},
		Authority: AuthoritySpec{
			Accept:              Latency{MedianHours: 9, Spread: 0.7, MaxHours: 80},
			Approve:             Latency{MedianHours: 6, Spread: 0.7, MaxHours: 60},
			FinalReview:         Latency{MedianHours: 14, Spread: 0.6, MaxHours: 100},
			ChangeReview:        Latency{MedianHours: 16, Spread: 0.6, MaxHours: 120},
			TerminationReview:   Latency{MedianHours: 14, Spread: 0.6, MaxHours: 120},
			ExpireAfter:         Latency{MedianHours: 14, Spread: 0.8, MaxHours: 140},
			RejectRate:          0.12,
			DenyRate:            0.05,
			RejectFinalRate:     0.06,
			DenyChangeRate:      0.08,
			DenyTerminationRate: 0.04,
			ReassignRate:        0.03,
			ExtendRate:          0.6,
			TrialDaysMin:        15,
			TrialDaysMax:        30,
		},
		Department: DepartmentSpec{
			WithdrawRate:        0.02,
			ResubmitRate:        0.85,
			MaxRejections:       2,
			Resubmit:            Latency{MedianHours: 28, Spread: 0.6, MaxHours: 200},
			Test:                Latency{MedianHours: 16, Spread: 0.6, MaxHours: 100},
			FunctionFailRate:    0.06,
			PerformanceFailRate: 0.08,
			SecurityFailRate:    0.10,
			RetestRate:          0.7,
			AbandonRate:         0.02,
			ChangeRate:          0.45,
			MajorChangeRate:     0.3,
			TerminationRate:     0.15,
			ActiveDaysMin:       20,
			ActiveDaysMax:       200,
			SecurityLevels:      [5]float64{0.05, 0.55, 0.35, 0.05, 0},
			PublicZoneShare:     0.3,
			OnlineShare:         0.15,
		},
		Quota: QuotaSpec{
			Algorithm:     "drf",
			CapacityRatio: 0.85,
			PadMin:        1.0,
			PadMax:        1.4,
			Retry:         Latency{MedianHours: 21, Spread: 0.5, MaxHours: 70},
			MaxRetries:    3,
		},
		Billing:  DefaultBillingSpec(),
		Dispatch: DispatchSpec{BaseBackoffMinutes: 1, MaxBackoffMinutes: 60, MaxAttempts: 12},
	}
}

// ProvinceScenario is a province: about 2,000 departments and 50,000 applications.
func ProvinceScenario() Scenario {
	s := DefaultScenario()
	s.Name = "province"
	s.Departments = 2000
	s.Applications = 50000
	return s
}

// ScenarioFor returns the preset of a -scale name.
func ScenarioFor(scale string) (Scenario, error) {
	switch scale {
	case "city":
		return DefaultScenario(), nil
	case "province":
		return ProvinceScenario(), nil
	}
	return Scenario{}, &ScenarioError{Field: "scale", Reason: fmt.Sprintf("unknown scale %q (want %s)", scale, strings.Join(Scales, " or "))}
}

// LoadScenario reads a JSON scenario over base: fields the document omits keep base's
// values. Unknown fields and trailing data are errors naming line and column; the
// result is validated and every problem is reported.
func LoadScenario(r io.Reader, base Scenario) (Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return Scenario{}, err
	}
	if len(data) > 1<<20 {
		return Scenario{}, &ScenarioError{Field: "(file)", Reason: "larger than 1 MiB"}
	}
	s := base
	s.Vendors = append([]VendorSpec(nil), base.Vendors...)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Scenario{}, jsonError(data, dec.InputOffset(), err)
	}
	if dec.More() {
		line, col := lineCol(data, dec.InputOffset())
		return Scenario{}, &ScenarioError{Field: "(file)", Reason: fmt.Sprintf("line %d, column %d: data after the scenario object", line, col)}
	}
	if err := s.Validate(); err != nil {
		return Scenario{}, err
	}
	return s, nil
}

func jsonError(data []byte, off int64, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset)
		return &ScenarioError{Field: "(syntax)", Reason: fmt.Sprintf("line %d, column %d: %v", line, col, se)}
	case errors.As(err, &te):
		line, col := lineCol(data, te.Offset)
		return &ScenarioError{Field: te.Field, Reason: fmt.Sprintf("line %d, column %d: cannot use JSON %s as %v", line, col, te.Value, te.Type)}
	case errors.Is(err, io.EOF):
		return &ScenarioError{Field: "(file)", Reason: "empty: want a JSON object"}
	}
	line, col := lineCol(data, off)
	// encoding/json names an unknown field as `json: unknown field "x"`.
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &ScenarioError{Field: strings.Trim(f, `"`), Reason: fmt.Sprintf("line %d, column %d: unknown field", line, col)}
	}
	return &ScenarioError{Field: "(file)", Reason: fmt.Sprintf("line %d, column %d: %v", line, col, err)}
}

func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// Validate reports every problem of the scenario at once (errors.Join of
// *ScenarioError, each matching ErrScenario).
func (s Scenario) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ScenarioError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	rate := func(field string, v float64) {
		if math.IsNaN(v) || v < 0 || v > 1 {
			bad(field, "%v is not a probability in [0, 1]", v)
		}
	}
	lat := func(field string, l Latency) {
		if math.IsNaN(l.MedianHours) || l.MedianHours <= 0 || l.MedianHours > 24*365 {
			bad(field+".median_hours", "%v is outside (0, 8760]", l.MedianHours)
		}
		if math.IsNaN(l.Spread) || l.Spread < 0 || l.Spread > 3 {
			bad(field+".spread", "%v is outside [0, 3]", l.Spread)
		}
		if math.IsNaN(l.MaxHours) || l.MaxHours < l.MedianHours || l.MaxHours > 24*365 {
			bad(field+".max_hours", "%v must lie between median_hours (%v) and 8760", l.MaxHours, l.MedianHours)
		}
	}
	if s.Year < 2015 || s.Year > 2100 {
		bad("year", "%d is outside 2015–2100 (the official calendar starts in 2015)", s.Year)
	}
	if s.Departments < 1 || s.Departments > 100_000 {
		bad("departments", "%d is outside 1–100000", s.Departments)
	}
	if s.Applications < 1 || s.Applications > 1_000_000 {
		bad("applications", "%d is outside 1–1000000", s.Applications)
	}
	if len(s.Vendors) == 0 {
		bad("vendors", "at least one vendor is needed")
	}
	seen := map[string]int{}
	for i, v := range s.Vendors {
		f := fmt.Sprintf("vendors[%d]", i)
		switch {
		case strings.TrimSpace(v.ID) == "":
			bad(f+".id", "empty")
		case strings.ContainsAny(v.ID, " /\t\n"):
			bad(f+".id", "%q contains a space or slash", v.ID)
		}
		if j, dup := seen[v.ID]; dup && v.ID != "" {
			bad(f+".id", "%q repeats vendors[%d]", v.ID, j)
		}
		seen[v.ID] = i
		if strings.TrimSpace(v.Name) == "" {
			bad(f+".name", "empty")
		}
		if math.IsNaN(v.Share) || v.Share <= 0 || math.IsInf(v.Share, 0) {
			bad(f+".share", "%v must be positive", v.Share)
		}
		lat(f+".trial_environment", v.TrialEnvironment)
		lat(f+".change", v.Change)
		lat(f+".reclaim", v.Reclaim)
		rate(f+".faults.timeout_rate", v.Faults.TimeoutRate)
		rate(f+".faults.server_error_rate", v.Faults.ServerErrorRate)
		rate(f+".faults.partial_rate", v.Faults.PartialRate)
		if t := v.Faults.TimeoutRate + v.Faults.ServerErrorRate; t > 1 {
			bad(f+".faults", "timeout_rate + server_error_rate = %v exceeds 1", t)
		}
	}
	a := s.Authority
	lat("authority.accept", a.Accept)
	lat("authority.approve", a.Approve)
	lat("authority.final_review", a.FinalReview)
	lat("authority.change_review", a.ChangeReview)
	lat("authority.termination_review", a.TerminationReview)
	lat("authority.expire_after", a.ExpireAfter)
	rate("authority.reject_rate", a.RejectRate)
	rate("authority.deny_rate", a.DenyRate)
	rate("authority.reject_final_rate", a.RejectFinalRate)
	rate("authority.deny_change_rate", a.DenyChangeRate)
	rate("authority.deny_termination_rate", a.DenyTerminationRate)
	rate("authority.reassign_rate", a.ReassignRate)
	rate("authority.extend_rate", a.ExtendRate)
	if a.TrialDaysMin < 15 || a.TrialDaysMin > 30 {
		bad("authority.trial_days_min", "%d is outside the 15–30 days of 第九条", a.TrialDaysMin)
	}
	if a.TrialDaysMax < a.TrialDaysMin || a.TrialDaysMax > 30 {
		bad("authority.trial_days_max", "%d must lie between trial_days_min (%d) and 30", a.TrialDaysMax, a.TrialDaysMin)
	}
	d := s.Department
	rate("department.withdraw_rate", d.WithdrawRate)
	rate("department.resubmit_rate", d.ResubmitRate)
	if d.MaxRejections < 0 || d.MaxRejections > 10 {
		bad("department.max_rejections", "%d is outside 0–10", d.MaxRejections)
	}
	lat("department.resubmit", d.Resubmit)
	lat("department.test", d.Test)
	rate("department.function_fail_rate", d.FunctionFailRate)
	rate("department.performance_fail_rate", d.PerformanceFailRate)
	rate("department.security_fail_rate", d.SecurityFailRate)
	rate("department.retest_rate", d.RetestRate)
	rate("department.abandon_rate", d.AbandonRate)
	rate("department.change_rate", d.ChangeRate)
	rate("department.major_change_rate", d.MajorChangeRate)
	rate("department.termination_rate", d.TerminationRate)
	if d.ActiveDaysMin < 1 || d.ActiveDaysMin > 366 {
		bad("department.active_days_min", "%d is outside 1–366", d.ActiveDaysMin)
	}
	if d.ActiveDaysMax < d.ActiveDaysMin || d.ActiveDaysMax > 366 {
		bad("department.active_days_max", "%d must lie between active_days_min (%d) and 366", d.ActiveDaysMax, d.ActiveDaysMin)
	}
	var sum float64
	for i, w := range d.SecurityLevels {
		if math.IsNaN(w) || w < 0 || math.IsInf(w, 0) {
			bad(fmt.Sprintf("department.security_levels[%d]", i), "weight %v must be ≥ 0", w)
		}
		sum += w
	}
	if !(sum > 0) {
		bad("department.security_levels", "all weights are zero")
	}
	rate("department.public_zone_share", d.PublicZoneShare)
	rate("department.online_share", d.OnlineShare)
	q := s.Quota
	if _, ok := allocatorByName(q.Algorithm); !ok {
		bad("quota.algorithm", "unknown algorithm %q (want %s)", q.Algorithm, strings.Join(algorithmNames(), ", "))
	}
	if math.IsNaN(q.CapacityRatio) || q.CapacityRatio <= 0 || q.CapacityRatio > 10 {
		bad("quota.capacity_ratio", "%v is outside (0, 10]", q.CapacityRatio)
	}
	if math.IsNaN(q.PadMin) || q.PadMin < 0.1 || q.PadMin > 10 {
		bad("quota.pad_min", "%v is outside [0.1, 10]", q.PadMin)
	}
	if math.IsNaN(q.PadMax) || q.PadMax < q.PadMin || q.PadMax > 10 {
		bad("quota.pad_max", "%v must lie between pad_min (%v) and 10", q.PadMax, q.PadMin)
	}
	lat("quota.retry", q.Retry)
	if q.MaxRetries < 0 || q.MaxRetries > 20 {
		bad("quota.max_retries", "%d is outside 0–20", q.MaxRetries)
	}
	ds := s.Dispatch
	if ds.BaseBackoffMinutes < 1 || ds.BaseBackoffMinutes > 24*60 {
		bad("dispatch.base_backoff_minutes", "%d is outside 1–1440", ds.BaseBackoffMinutes)
	}
	if ds.MaxBackoffMinutes < ds.BaseBackoffMinutes || ds.MaxBackoffMinutes > 7*24*60 {
		bad("dispatch.max_backoff_minutes", "%d must lie between base_backoff_minutes (%d) and 10080", ds.MaxBackoffMinutes, ds.BaseBackoffMinutes)
	}
	if ds.MaxAttempts < 1 || ds.MaxAttempts > 100 {
		bad("dispatch.max_attempts", "%d is outside 1–100", ds.MaxAttempts)
	}
	errs = append(errs, s.Billing.problems()...)
	if _, err := s.workflowPolicy(); err != nil {
		bad("policy", "%v", err)
	}
	return errors.Join(errs...)
}

// workflowPolicy loads the scenario's policy document (nil: none, the
// platform's Zhejiang preset).
func (s Scenario) workflowPolicy() (*workflow.Policy, error) {
	if doc := bytes.TrimSpace(s.Policy); len(doc) == 0 || string(doc) == "null" {
		return nil, nil
	}
	p, err := workflow.LoadPolicy(bytes.NewReader(s.Policy))
	if err != nil {
		return nil, err
	}
	return &p, nil
}
