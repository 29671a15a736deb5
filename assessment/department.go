package assessment

import (
	"context"
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// Paths of the leaf indicators in the preset department scheme (presets/department.json).
const (
	PathAdoption        = "adoption"
	PathIdle            = "efficiency/idle"
	PathOverprovisioned = "efficiency/overprovisioned"
	PathIdleCost        = "efficiency/idle_cost"
	PathVulnerabilities = "security/vulnerabilities"
	PathDeptIncidents   = "security/incidents"
	PathOverdueFixes    = "security/overdue_fixes"
	PathDengbaoCurrent  = "security/dengbao"
)

// SystemRecord is one entry of a department's register of application systems (应用系统).
type SystemRecord struct {
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	OnPlatform bool   `json:"on_platform"` // runs on the government cloud
}

// AdoptionResult counts a department's systems (上云率, 第二十二条).
type AdoptionResult struct {
	Systems    int `json:"systems"`
	OnPlatform int `json:"on_platform"`
}

// Percent returns the share of systems on the platform, 0–100 (0 with no systems).
func (a AdoptionResult) Percent() float64 {
	if a.Systems == 0 {
		return 0
	}
	return 100 * float64(a.OnPlatform) / float64(a.Systems)
}

// Adoption counts the register; a duplicate or empty system ID is an error.
func Adoption(systems []SystemRecord) (AdoptionResult, error) {
	var r AdoptionResult
	seen := make(map[string]bool, len(systems))
	for i, s := range systems {
		if s.ID == "" {
			return AdoptionResult{}, &RecordError{Kind: "system", ID: fmt.Sprintf("#%d", i), Field: "id", Msg: "empty", Err: ErrInvalidRecord}
		}
		if seen[s.ID] {
			return AdoptionResult{}, &RecordError{Kind: "system", ID: s.ID, Field: "id", Msg: "listed twice", Err: ErrInvalidRecord}
		}
		seen[s.ID] = true
		r.Systems++
		if s.OnPlatform {
			r.OnPlatform++
		}
	}
	return r, nil
}

// Severity of a vulnerability.
type Severity int

// Severities, most severe first.
const (
	Critical Severity = iota // 严重
	High                     // 高危
	Medium                   // 中危
	Low                      // 低危
)

var severityNames = [...][2]string{{"严重", "critical"}, {"高危", "high"}, {"中危", "medium"}, {"低危", "low"}}

// String returns the Chinese label.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s][0]
}

// English returns the English label.
func (s Severity) English() string {
	if s < 0 || int(s) >= len(severityNames) {
		return s.String()
	}
	return severityNames[s][1]
}

// SystemSecurity is the security status of one system on the platform (第二十二条:
// 政务云平台上的应用系统安全状况).
type SystemSecurity struct {
	SystemID      string         `json:"system_id"`
	OpenVulns     [4]int         `json:"open_vulns"`     // by Severity: critical, high, medium, low
	Incidents     int            `json:"incidents"`      // security incidents in the period
	OverdueFixes  int            `json:"overdue_fixes"`  // fixes not done by their deadline
	Level         int            `json:"level"`          // 等保级别 1–5
	AssessedUntil *calendar.Date `json:"assessed_until"` // 等保测评 valid until (inclusive); nil: never assessed
}

// SecuritySummary aggregates a department's systems.
type SecuritySummary struct {
	Systems        int    `json:"systems"`
	OpenVulns      [4]int `json:"open_vulns"`
	VulnPoints     int    `json:"vuln_points"` // Σ count × SeverityPoints
	Incidents      int    `json:"incidents"`
	OverdueFixes   int    `json:"overdue_fixes"`
	DengbaoCurrent int    `json:"dengbao_current"` // systems whose 等保 assessment is valid on the as-of date
}

// DepartmentOptions configures the department scheme's computations.
type DepartmentOptions struct {
	Efficiency EfficiencyOptions
	// SeverityPoints weighs open vulnerabilities by Severity (default 10, 5, 2, 1).
	SeverityPoints [4]int
}

// DefaultDepartmentOptions returns the documented defaults.
func DefaultDepartmentOptions() DepartmentOptions {
	return DepartmentOptions{Efficiency: DefaultEfficiencyOptions(), SeverityPoints: [4]int{10, 5, 2, 1}}
}

// Validate names the first bad field.
func (o *DepartmentOptions) Validate() error {
	if err := o.Efficiency.Validate(); err != nil {
		return err
	}
	for i, p := range o.SeverityPoints {
		if p < 0 {
			return &OptionError{fmt.Sprintf("SeverityPoints[%d]", i), "must not be negative"}
		}
	}
	return nil
}

// Security aggregates per-system status as of date asOf.
func (o *DepartmentOptions) Security(systems []SystemSecurity, asOf calendar.Date) (SecuritySummary, error) {
	var s SecuritySummary
	for _, sys := range systems {
		for i, n := range sys.OpenVulns {
			if n < 0 {
				return SecuritySummary{}, &RecordError{Kind: "system security", ID: sys.SystemID, Field: fmt.Sprintf("open_vulns[%d]", i), Msg: "negative", Err: ErrOutOfRange}
			}
		}
		switch {
		case sys.Incidents < 0:
			return SecuritySummary{}, &RecordError{Kind: "system security", ID: sys.SystemID, Field: "incidents", Msg: "negative", Err: ErrOutOfRange}
		case sys.OverdueFixes < 0:
			return SecuritySummary{}, &RecordError{Kind: "system security", ID: sys.SystemID, Field: "overdue_fixes", Msg: "negative", Err: ErrOutOfRange}
		case sys.Level < 1 || sys.Level > 5:
			return SecuritySummary{}, &RecordError{Kind: "system security", ID: sys.SystemID, Field: "level", Msg: fmt.Sprintf("等保级别 %d outside 1..5", sys.Level), Err: ErrOutOfRange}
		}
		s.Systems++
		for i, n := range sys.OpenVulns {
			s.OpenVulns[i] += n
			s.VulnPoints += n * o.SeverityPoints[i]
		}
		s.Incidents += sys.Incidents
		s.OverdueFixes += sys.OverdueFixes
		if sys.AssessedUntil != nil && !sys.AssessedUntil.Before(asOf) {
			s.DengbaoCurrent++
		}
	}
	return s, nil
}

// EfficiencyReport aggregates a department's findings over all checkpoints.
// Counts are resource-checkpoints.
type EfficiencyReport struct {
	Findings         []Finding `json:"findings"`
	Assessed         int       `json:"assessed"` // with sufficient data
	Idle             int       `json:"idle"`
	Overprovisioned  int       `json:"overprovisioned"`
	InsufficientData int       `json:"insufficient_data"`
	IdleCost         int64     `json:"idle_cost_fen"`     // Σ cost of idle windows, 分
	AssessedCost     int64     `json:"assessed_cost_fen"` // Σ cost of the idle windows of every assessed finding, 分
}

// DepartmentFacts are the computed inputs of the department scheme.
type DepartmentFacts struct {
	Adoption   AdoptionResult   `json:"adoption"`
	Efficiency EfficiencyReport `json:"efficiency"`
	Security   SecuritySummary  `json:"security"`
}

func pct(a, b int64) float64 { return 100 * float64(a) / float64(b) }

// Values maps the facts onto the preset department scheme's leaves; a fact with no
// data (no systems, no assessable resources, no cost) becomes a missing value with
// the reason.
func (f DepartmentFacts) Values() Values {
	v := Values{}
	if a := f.Adoption; a.Systems > 0 {
		v[PathAdoption] = Num(a.Percent()).WithNote(fmt.Sprintf("%d/%d 个系统上云", a.OnPlatform, a.Systems),
			fmt.Sprintf("%d of %d systems on the platform", a.OnPlatform, a.Systems))
	} else {
		v[PathAdoption] = MissingValue("系统登记为空", "no systems registered")
	}
	e := f.Efficiency
	if e.Assessed > 0 {
		v[PathIdle] = Num(pct(int64(e.Idle), int64(e.Assessed))).WithNote(fmt.Sprintf("%d/%d 资源·检查点闲置,%d 个数据不足", e.Idle, e.Assessed, e.InsufficientData),
			fmt.Sprintf("%d of %d resource-checkpoints idle, %d with insufficient data", e.Idle, e.Assessed, e.InsufficientData))
		v[PathOverprovisioned] = Num(pct(int64(e.Overprovisioned), int64(e.Assessed))).WithNote(fmt.Sprintf("%d/%d 资源·检查点配置过度", e.Overprovisioned, e.Assessed),
			fmt.Sprintf("%d of %d resource-checkpoints over-provisioned", e.Overprovisioned, e.Assessed))
	} else {
		v[PathIdle] = MissingValue("利用率数据不足", "insufficient utilisation data")
		v[PathOverprovisioned] = MissingValue("利用率数据不足", "insufficient utilisation data")
	}
	if e.AssessedCost > 0 {
		v[PathIdleCost] = Num(pct(e.IdleCost, e.AssessedCost)).WithNote(fmt.Sprintf("闲置 %s 元 / %s 元", fen(e.IdleCost), fen(e.AssessedCost)),
			fmt.Sprintf("idle %s of %s yuan", fen(e.IdleCost), fen(e.AssessedCost)))
	} else {
		v[PathIdleCost] = MissingValue("无费用数据", "no cost data")
	}
	s := f.Security
	if s.Systems > 0 {
		v[PathVulnerabilities] = Num(float64(s.VulnPoints)/float64(s.Systems)).WithNote(
			fmt.Sprintf("严重 %d、高危 %d、中危 %d、低危 %d,%d 个系统", s.OpenVulns[0], s.OpenVulns[1], s.OpenVulns[2], s.OpenVulns[3], s.Systems),
			fmt.Sprintf("critical %d, high %d, medium %d, low %d over %d systems", s.OpenVulns[0], s.OpenVulns[1], s.OpenVulns[2], s.OpenVulns[3], s.Systems))
		v[PathDeptIncidents] = Num(float64(s.Incidents))
		v[PathOverdueFixes] = Num(float64(s.OverdueFixes))
		v[PathDengbaoCurrent] = Num(pct(int64(s.DengbaoCurrent), int64(s.Systems))).WithNote(fmt.Sprintf("%d/%d 个系统等保测评在有效期内", s.DengbaoCurrent, s.Systems),
			fmt.Sprintf("%d of %d systems with a current 等保 assessment", s.DengbaoCurrent, s.Systems))
	}
	return v
}

// ---- consumer-side interfaces and the department assessor ----

// SystemRegister lists a department's application systems.
type SystemRegister interface {
	Systems(ctx context.Context, departmentID string) ([]SystemRecord, error)
}

// ResourceLister lists a department's cloud resources.
type ResourceLister interface {
	Resources(ctx context.Context, departmentID string) ([]Resource, error)
}

// UtilisationSource appends a resource's samples starting in [from, to) to dst, in
// time order. Appending lets the caller reuse one buffer for every resource.
type UtilisationSource interface {
	AppendSamples(ctx context.Context, dst []Sample, resourceID string, from, to time.Time) ([]Sample, error)
}

// CostSource returns what a resource cost over [from, to), in 分 (billing implements it).
type CostSource interface {
	Cost(ctx context.Context, resourceID string, from, to time.Time) (int64, error)
}

// SecuritySource returns the security status of a department's systems on the platform.
type SecuritySource interface {
	SystemSecurity(ctx context.Context, departmentID string) ([]SystemSecurity, error)
}

// DepartmentAssessor gathers a department's facts through the interfaces and scores them.
type DepartmentAssessor struct {
	Scheme      *Scheme
	Options     DepartmentOptions
	Register    SystemRegister
	Resources   ResourceLister
	Utilisation UtilisationSource
	Cost        CostSource // optional: without it the idle-cost indicator is missing
	Security    SecuritySource

	// buffers reused across Assess calls; an assessor is not safe for concurrent use.
	samples []Sample
	scratch []float64
}

// Validate checks the assessor's wiring and options.
func (a *DepartmentAssessor) Validate() error {
	switch {
	case a.Scheme == nil:
		return &OptionError{"Scheme", "nil"}
	case a.Register == nil:
		return &OptionError{"Register", "nil"}
	case a.Resources == nil:
		return &OptionError{"Resources", "nil"}
	case a.Utilisation == nil:
		return &OptionError{"Utilisation", "nil"}
	case a.Security == nil:
		return &OptionError{"Security", "nil"}
	}
	if err := a.Options.Validate(); err != nil {
		return err
	}
	return a.Scheme.Validate()
}

// DepartmentReport is one department's facts, the values derived and the scorecard.
type DepartmentReport struct {
	Facts  DepartmentFacts `json:"facts"`
	Values Values          `json:"values"`
	Card   *Scorecard      `json:"card"`
}

// Assess scores one department. Resources are classified at each checkpoint
// (ascending; e.g. MonthEnds of the year); security status is judged as of the
// day before the last checkpoint (checkpoints are exclusive ends).
func (a *DepartmentAssessor) Assess(ctx context.Context, dept Subject, checkpoints []time.Time) (*DepartmentReport, error) {
	if len(checkpoints) == 0 {
		return nil, &OptionError{"checkpoints", "need at least one"}
	}
	for i := 1; i < len(checkpoints); i++ {
		if !checkpoints[i].After(checkpoints[i-1]) {
			return nil, &OptionError{"checkpoints", "must be strictly ascending"}
		}
	}
	var f DepartmentFacts
	systems, err := a.Register.Systems(ctx, dept.ID)
	if err != nil {
		return nil, fmt.Errorf("assessment: department %s: systems: %w", dept.ID, err)
	}
	if f.Adoption, err = Adoption(systems); err != nil {
		return nil, err
	}
	res, err := a.Resources.Resources(ctx, dept.ID)
	if err != nil {
		return nil, fmt.Errorf("assessment: department %s: resources: %w", dept.ID, err)
	}
	eo := &a.Options.Efficiency
	window := max(eo.IdleWindow, eo.OverWindow)
	from, to := checkpoints[0].Add(-window), checkpoints[len(checkpoints)-1]
	for _, r := range res {
		a.samples, err = a.Utilisation.AppendSamples(ctx, a.samples[:0], r.ID, from, to)
		if err != nil {
			return nil, fmt.Errorf("assessment: resource %s: samples: %w", r.ID, err)
		}
		if err := CheckSamples(r.ID, a.samples); err != nil {
			return nil, err
		}
		for _, at := range checkpoints {
			var fd Finding
			fd, a.scratch = eo.Classify(r, a.samples, at, a.scratch)
			e := &f.Efficiency
			switch fd.Kind {
			case InsufficientData:
				e.InsufficientData++
			default:
				e.Assessed++
				if fd.Kind == Idle {
					e.Idle++
				} else if fd.Kind == Overprovisioned {
					e.Overprovisioned++
				}
				if a.Cost != nil {
					c, err := a.Cost.Cost(ctx, r.ID, at.Add(-eo.IdleWindow), at)
					if err != nil {
						return nil, fmt.Errorf("assessment: resource %s: cost: %w", r.ID, err)
					}
					if c < 0 {
						return nil, &RecordError{Kind: "cost", ID: r.ID, Field: "amount", Msg: "negative", Err: ErrOutOfRange}
					}
					e.AssessedCost += c
					if fd.Kind == Idle {
						fd.Cost = c
						e.IdleCost += c
					}
				}
			}
			if fd.Kind != Normal {
				e.Findings = append(e.Findings, fd)
			}
		}
	}
	sec, err := a.Security.SystemSecurity(ctx, dept.ID)
	if err != nil {
		return nil, fmt.Errorf("assessment: department %s: security: %w", dept.ID, err)
	}
	if f.Security, err = a.Options.Security(sec, civilDate(to.Add(-time.Nanosecond))); err != nil {
		return nil, err
	}
	vals := f.Values()
	card, err := a.Scheme.Score(dept, vals)
	if err != nil {
		return nil, err
	}
	return &DepartmentReport{Facts: f, Values: vals, Card: card}, nil
}

// MonthEnds returns the first instant of each month after January..December of
// year in loc: the checkpoints of a yearly assessment.
func MonthEnds(year int, loc *time.Location) []time.Time {
	out := make([]time.Time, 12)
	for i := range out {
		out[i] = Month{year, time.Month(i + 1)}.End(loc)
	}
	return out
}

// civilDate returns the date of t on the wall clock of t's own location (not
// calendar.DateOf, which reckons in Beijing time): a checkpoint given as
// midnight in any zone names the day before it in that zone.
func civilDate(t time.Time) calendar.Date {
	y, m, d := t.Date()
	return calendar.Date{Year: y, Month: m, Day: d}
}
