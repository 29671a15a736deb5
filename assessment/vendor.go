package assessment

import (
	"context"
	"fmt"
	"time"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// Paths of the leaf indicators in the preset vendor scheme (presets/vendor.json).
const (
	PathOnTime            = "response/on_time"
	PathResponseHours     = "response/working_hours"
	PathSatisfaction      = "satisfaction"
	PathAvailability      = "quality/availability"
	PathPerformance       = "quality/performance"
	PathStabilityIncident = "quality/stability/incidents"
	PathRestoreHours      = "quality/stability/restore_hours"
	PathBulletins         = "quality/security/bulletins"
	PathDrill             = "quality/security/drill"
	PathSecurityIncidents = "quality/security/incidents"
	PathReports           = "reports"
)

// Drill categories of the lookup indicator PathDrill.
const (
	DrillDelivered = "delivered" // 已开展
	DrillMissing   = "missing"   // 未开展
)

// WorkingTimer measures working time between two instants under a working-day
// calendar (OfficeTimer wraps workflow/calendar; WorkingTimeFunc adapts a function).
type WorkingTimer interface {
	WorkingTime(from, to time.Time) (time.Duration, error)
}

// WorkingTimeFunc adapts a function to WorkingTimer.
type WorkingTimeFunc func(from, to time.Time) (time.Duration, error)

// WorkingTime calls f.
func (f WorkingTimeFunc) WorkingTime(from, to time.Time) (time.Duration, error) { return f(from, to) }

// OfficeTimer counts working time with a workflow/calendar Calendar (official
// holidays and adjusted working days) during the given office hours.
type OfficeTimer struct {
	Calendar *calendar.Calendar
	Hours    calendar.OfficeHours
}

// NewOfficeTimer returns an OfficeTimer on calendar.China() with StandardOfficeHours.
func NewOfficeTimer() OfficeTimer {
	return OfficeTimer{Calendar: calendar.China(), Hours: calendar.StandardOfficeHours()}
}

// WorkingTime implements WorkingTimer.
func (o OfficeTimer) WorkingTime(from, to time.Time) (time.Duration, error) {
	return o.Calendar.WorkingTime(from, to, o.Hours)
}

// WorkOrder is a task for the vendor (工单) with its deadline, computed by the
// workflow from the working-day calendar. Done is zero while open.
type WorkOrder struct {
	ID     string    `json:"id"`
	Opened time.Time `json:"opened"`
	Due    time.Time `json:"due"`
	Done   time.Time `json:"done,omitzero"`
}

// OrderResult is the judgement of one work order.
type OrderResult struct {
	ID      string        `json:"id"`
	Working time.Duration `json:"working"` // working time from Opened to Done (or to asOf when overdue)
	Allowed time.Duration `json:"allowed"` // working time from Opened to Due
	OnTime  bool          `json:"on_time"`
	Overdue bool          `json:"overdue"` // still open after Due
}

// ResponseSummary aggregates work orders (服务响应, 第二十三条). Orders still open
// and not yet due are not judged.
type ResponseSummary struct {
	Judged       int           `json:"judged"` // completed + overdue
	OnTime       int           `json:"on_time"`
	Completed    int           `json:"completed"`
	Overdue      int           `json:"overdue"`
	Pending      int           `json:"pending"`
	TotalWorking time.Duration `json:"total_working"` // over completed orders
	Orders       []OrderResult `json:"orders,omitempty"`
}

// OnTimePercent returns OnTime ÷ Judged × 100.
func (r ResponseSummary) OnTimePercent() float64 { return pct(int64(r.OnTime), int64(r.Judged)) }

// MeanWorkingHours returns the mean working time of completed orders in hours.
func (r ResponseSummary) MeanWorkingHours() float64 {
	return r.TotalWorking.Hours() / float64(r.Completed)
}

// Response judges work orders as of asOf: completed by Due is on time.
func Response(orders []WorkOrder, wt WorkingTimer, asOf time.Time) (ResponseSummary, error) {
	var s ResponseSummary
	for _, o := range orders {
		switch {
		case o.ID == "":
			return ResponseSummary{}, &RecordError{Kind: "work order", ID: "(empty)", Field: "id", Msg: "empty", Err: ErrInvalidRecord}
		case o.Due.Before(o.Opened):
			return ResponseSummary{}, &RecordError{Kind: "work order", ID: o.ID, Field: "due", Msg: "before opened", Err: ErrInvalidRecord}
		case !o.Done.IsZero() && o.Done.Before(o.Opened):
			return ResponseSummary{}, &RecordError{Kind: "work order", ID: o.ID, Field: "done", Msg: "before opened", Err: ErrInvalidRecord}
		}
		wtErr := func(err error) error { return fmt.Errorf("assessment: work order %s: working time: %w", o.ID, err) }
		allowed, err := wt.WorkingTime(o.Opened, o.Due)
		if err != nil {
			return ResponseSummary{}, wtErr(err)
		}
		r := OrderResult{ID: o.ID, Allowed: allowed}
		switch {
		case !o.Done.IsZero() && !o.Done.After(asOf):
			if r.Working, err = wt.WorkingTime(o.Opened, o.Done); err != nil {
				return ResponseSummary{}, wtErr(err)
			}
			r.OnTime = !o.Done.After(o.Due)
			s.Completed++
			s.Judged++
			s.TotalWorking += r.Working
			if r.OnTime {
				s.OnTime++
			}
		case asOf.After(o.Due):
			if r.Working, err = wt.WorkingTime(o.Opened, asOf); err != nil {
				return ResponseSummary{}, wtErr(err)
			}
			r.Overdue = true
			s.Overdue++
			s.Judged++
		default:
			s.Pending++
		}
		s.Orders = append(s.Orders, r)
	}
	return s, nil
}

// SatisfactionLevel is a department's rating of a vendor (第二十三条).
type SatisfactionLevel int

// The four levels.
const (
	Dissatisfied       SatisfactionLevel = 1 // 不满意
	BasicallySatisfied SatisfactionLevel = 2 // 基本满意
	Satisfied          SatisfactionLevel = 3 // 满意
	VerySatisfied      SatisfactionLevel = 4 // 非常满意
)

var levelNames = [...][2]string{{"不满意", "dissatisfied"}, {"基本满意", "basically satisfied"}, {"满意", "satisfied"}, {"非常满意", "very satisfied"}}

// String returns the Chinese label.
func (l SatisfactionLevel) String() string {
	if l < 1 || l > 4 {
		return fmt.Sprintf("SatisfactionLevel(%d)", int(l))
	}
	return levelNames[l-1][0]
}

// English returns the English label.
func (l SatisfactionLevel) English() string {
	if l < 1 || l > 4 {
		return l.String()
	}
	return levelNames[l-1][1]
}

// Survey is one department's answer.
type Survey struct {
	ID           string            `json:"id"`
	DepartmentID string            `json:"department_id"`
	Level        SatisfactionLevel `json:"level"`
}

// SatisfactionOptions maps levels to points and sets the minimum sample.
type SatisfactionOptions struct {
	Points    [4]float64 // for 不满意, 基本满意, 满意, 非常满意; default 0, 60, 80, 100
	MinSample int        // fewer answers: the indicator is missing; default 5
}

// DefaultSatisfactionOptions returns the documented defaults.
func DefaultSatisfactionOptions() SatisfactionOptions {
	return SatisfactionOptions{Points: [4]float64{0, 60, 80, 100}, MinSample: 5}
}

// Validate: points in 0..100 and non-decreasing; MinSample ≥ 1.
func (o *SatisfactionOptions) Validate() error {
	for i, p := range o.Points {
		if !inScore(p) {
			return &OptionError{fmt.Sprintf("Points[%d]", i), "outside 0..100"}
		}
		if i > 0 && p < o.Points[i-1] {
			return &OptionError{fmt.Sprintf("Points[%d]", i), "below the lower level's points"}
		}
	}
	if o.MinSample < 1 {
		return &OptionError{"MinSample", "must be at least 1"}
	}
	return nil
}

// SatisfactionResult aggregates surveys.
type SatisfactionResult struct {
	Invited    int     `json:"invited"`
	Responses  int     `json:"responses"`
	Counts     [4]int  `json:"counts"` // by level
	Mean       float64 `json:"mean"`   // mean points
	Sufficient bool    `json:"sufficient"`
}

// ResponseRate returns Responses ÷ Invited × 100 (0 when none were invited).
func (r SatisfactionResult) ResponseRate() float64 {
	if r.Invited == 0 {
		return 0
	}
	return pct(int64(r.Responses), int64(r.Invited))
}

// Satisfaction aggregates the answers of invited departments. One answer per
// department: a second answer from the same department is an error.
func (o *SatisfactionOptions) Satisfaction(surveys []Survey, invited int) (SatisfactionResult, error) {
	r := SatisfactionResult{Invited: invited}
	seen := map[string]bool{}
	var sum float64
	for _, s := range surveys {
		if s.Level < Dissatisfied || s.Level > VerySatisfied {
			return SatisfactionResult{}, &RecordError{Kind: "survey", ID: s.ID, Field: "level", Msg: fmt.Sprintf("%d outside 1..4", s.Level), Err: ErrOutOfRange}
		}
		if seen[s.DepartmentID] {
			return SatisfactionResult{}, &RecordError{Kind: "survey", ID: s.ID, Field: "department_id", Msg: "department " + s.DepartmentID + " answered twice", Err: ErrInvalidRecord}
		}
		seen[s.DepartmentID] = true
		r.Counts[s.Level-1]++
		r.Responses++
		sum += o.Points[s.Level-1]
	}
	if invited < r.Responses {
		return SatisfactionResult{}, &RecordError{Kind: "survey", ID: "(all)", Field: "invited", Msg: fmt.Sprintf("%d invited but %d answered", invited, r.Responses), Err: ErrInvalidRecord}
	}
	if r.Responses > 0 {
		r.Mean = sum / float64(r.Responses)
	}
	r.Sufficient = r.Responses >= o.MinSample
	return r, nil
}

// Incident is a service incident from start to restoration (稳定性 / 安全性).
type Incident struct {
	ID       string    `json:"id"`
	Start    time.Time `json:"start"`
	Restored time.Time `json:"restored"`
	Security bool      `json:"security"` // a security incident (第十九条) rather than a fault
}

// PerformanceCheck is one performance measurement against its agreed target
// (e.g. a monthly benchmark of compute, storage IOPS or network latency).
type PerformanceCheck struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Passed bool      `json:"passed"`
}

// Deliverables are the documents a vendor owes: the monthly security bulletin
// and the yearly emergency drill (第十九条), the monthly utilisation table, O&M
// report and optimisation advice (第十五条: 每月不少于1次).
type Deliverables struct {
	Bulletins []Month `json:"bulletins"` // months in which a security bulletin was published
	Reports   []Month `json:"reports"`   // months in which the monthly reports were delivered
	Drill     bool    `json:"drill"`     // the yearly emergency drill was held
}

// VendorInput is everything the vendor scheme needs for one vendor and period.
type VendorInput struct {
	Months       []Month // the period, e.g. MonthsOfYear(2026)
	Location     *time.Location
	AsOf         time.Time // end of the period: open work orders past due by then are overdue
	Orders       []WorkOrder
	Surveys      []Survey
	Invited      int // departments invited to the survey
	Outages      []Outage
	Exclusions   []Exclusion
	Incidents    []Incident
	Performance  []PerformanceCheck
	Deliverables Deliverables
	MonthlyFee   func(Month) int64 // 分; nil: no credits computed
}

// VendorOptions configures the vendor computations.
type VendorOptions struct {
	Satisfaction SatisfactionOptions
	Credits      CreditOptions
}

// DefaultVendorOptions returns the documented defaults.
func DefaultVendorOptions() VendorOptions {
	return VendorOptions{Satisfaction: DefaultSatisfactionOptions(), Credits: DefaultCreditOptions()}
}

// Validate names the first bad field.
func (o *VendorOptions) Validate() error {
	if err := o.Satisfaction.Validate(); err != nil {
		return err
	}
	return o.Credits.Validate()
}

// VendorFacts are the computed inputs of the vendor scheme.
type VendorFacts struct {
	Response          ResponseSummary    `json:"response"`
	Satisfaction      SatisfactionResult `json:"satisfaction"`
	Availability      []Availability     `json:"availability"` // per month
	Deductions        []DeductionLine    `json:"deductions"`
	PerformanceChecks int                `json:"performance_checks"`
	PerformancePassed int                `json:"performance_passed"`
	Incidents         int                `json:"incidents"` // faults (non-security)
	RestoreTotal      time.Duration      `json:"restore_total"`
	SecurityIncidents int                `json:"security_incidents"`
	Months            int                `json:"months"`
	BulletinMonths    int                `json:"bulletin_months"`
	ReportMonths      int                `json:"report_months"`
	Drill             bool               `json:"drill"`
}

// PeriodAvailability is Σ numerators ÷ Σ denominators over the measured months,
// exactly as integers (num, den).
func (f VendorFacts) PeriodAvailability() (num, den int64) {
	for _, a := range f.Availability {
		num += a.Num()
		den += a.Den()
	}
	return num, den
}

// ComputeVendorFacts derives the facts of one vendor's period. wt measures working time.
func (o *VendorOptions) ComputeVendorFacts(vendorID string, in VendorInput, wt WorkingTimer) (VendorFacts, error) {
	var f VendorFacts
	if len(in.Months) == 0 {
		return f, &OptionError{"Months", "empty period"}
	}
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	var err error
	if f.Response, err = Response(in.Orders, wt, in.AsOf); err != nil {
		return f, err
	}
	if f.Satisfaction, err = o.Satisfaction.Satisfaction(in.Surveys, in.Invited); err != nil {
		return f, err
	}
	for _, m := range in.Months {
		a, err := MonthlyAvailability(m, loc, in.Outages, in.Exclusions)
		if err != nil {
			return f, err
		}
		f.Availability = append(f.Availability, a)
	}
	if in.MonthlyFee != nil {
		if f.Deductions, err = o.Credits.Credits(vendorID, f.Availability, in.MonthlyFee); err != nil {
			return f, err
		}
	}
	for _, p := range in.Performance {
		f.PerformanceChecks++
		if p.Passed {
			f.PerformancePassed++
		}
	}
	for _, inc := range in.Incidents {
		if inc.Restored.Before(inc.Start) {
			return f, &RecordError{Kind: "incident", ID: inc.ID, Field: "restored", Msg: "before start", Err: ErrInvalidRecord}
		}
		if inc.Security {
			f.SecurityIncidents++
			continue
		}
		f.Incidents++
		f.RestoreTotal += inc.Restored.Sub(inc.Start)
	}
	inPeriod := map[Month]bool{}
	for _, m := range in.Months {
		inPeriod[m] = true
	}
	f.Months = len(inPeriod)
	f.BulletinMonths = countMonths(in.Deliverables.Bulletins, inPeriod)
	f.ReportMonths = countMonths(in.Deliverables.Reports, inPeriod)
	f.Drill = in.Deliverables.Drill
	return f, nil
}

func countMonths(ms []Month, in map[Month]bool) int {
	seen := map[Month]bool{}
	for _, m := range ms {
		if in[m] {
			seen[m] = true
		}
	}
	return len(seen)
}

// Values maps the facts onto the preset vendor scheme's leaves.
func (f VendorFacts) Values() Values {
	v := Values{}
	r := f.Response
	if r.Judged > 0 {
		v[PathOnTime] = Num(r.OnTimePercent()).WithNote(fmt.Sprintf("%d/%d 个工单按期完成,%d 个超期未完成", r.OnTime, r.Judged, r.Overdue),
			fmt.Sprintf("%d of %d work orders on time, %d overdue and open", r.OnTime, r.Judged, r.Overdue))
	} else {
		v[PathOnTime] = MissingValue("无到期工单", "no work order due")
	}
	if r.Completed > 0 {
		v[PathResponseHours] = Num(r.MeanWorkingHours()).WithNote(fmt.Sprintf("%d 个已完成工单的平均工作时间", r.Completed),
			fmt.Sprintf("mean working time of %d completed orders", r.Completed))
	} else {
		v[PathResponseHours] = MissingValue("无已完成工单", "no completed work order")
	}
	s := f.Satisfaction
	rate := fmtScore(s.ResponseRate())
	if s.Sufficient {
		v[PathSatisfaction] = Num(s.Mean).WithNote(fmt.Sprintf("%d 份答卷,回收率 %s%%;非常满意 %d、满意 %d、基本满意 %d、不满意 %d", s.Responses, rate, s.Counts[3], s.Counts[2], s.Counts[1], s.Counts[0]),
			fmt.Sprintf("%d answers, response rate %s%%", s.Responses, rate))
	} else {
		v[PathSatisfaction] = MissingValue(fmt.Sprintf("样本不足:%d 份答卷,回收率 %s%%", s.Responses, rate),
			fmt.Sprintf("sample too small: %d answers, response rate %s%%", s.Responses, rate))
	}
	if num, den := f.PeriodAvailability(); den > 0 {
		v[PathAvailability] = Num(100*float64(num)/float64(den)).WithNote(fmt.Sprintf("%d 个月,%d 个月触发服务扣减", len(f.Availability), len(f.Deductions)),
			fmt.Sprintf("%d months, %d with service credits", len(f.Availability), len(f.Deductions)))
	} else {
		v[PathAvailability] = MissingValue("整个期间均为排除时段", "the whole period was excluded")
	}
	if f.PerformanceChecks > 0 {
		v[PathPerformance] = Num(pct(int64(f.PerformancePassed), int64(f.PerformanceChecks))).WithNote(fmt.Sprintf("%d/%d 次性能检测达标", f.PerformancePassed, f.PerformanceChecks),
			fmt.Sprintf("%d of %d performance checks passed", f.PerformancePassed, f.PerformanceChecks))
	} else {
		v[PathPerformance] = MissingValue("无性能检测", "no performance check")
	}
	v[PathStabilityIncident] = Num(float64(f.Incidents))
	if f.Incidents > 0 {
		v[PathRestoreHours] = Num(f.RestoreTotal.Hours()/float64(f.Incidents)).WithNote(fmt.Sprintf("%d 次故障的平均恢复时间", f.Incidents),
			fmt.Sprintf("mean time to restore over %d incidents", f.Incidents))
	} else {
		v[PathRestoreHours] = MissingValue("无故障", "no incident")
	}
	if f.Months > 0 {
		v[PathBulletins] = Num(pct(int64(f.BulletinMonths), int64(f.Months))).WithNote(fmt.Sprintf("%d/%d 个月发布安全公告", f.BulletinMonths, f.Months),
			fmt.Sprintf("bulletins in %d of %d months", f.BulletinMonths, f.Months))
		v[PathReports] = Num(pct(int64(f.ReportMonths), int64(f.Months))).WithNote(fmt.Sprintf("%d/%d 个月提交运行维护报告", f.ReportMonths, f.Months),
			fmt.Sprintf("reports in %d of %d months", f.ReportMonths, f.Months))
	}
	if f.Drill {
		v[PathDrill] = Cat(DrillDelivered).WithNote("年度应急演练已开展", "yearly drill held")
	} else {
		v[PathDrill] = Cat(DrillMissing).WithNote("年度应急演练未开展", "yearly drill not held")
	}
	v[PathSecurityIncidents] = Num(float64(f.SecurityIncidents))
	return v
}

// ---- consumer-side interfaces and the vendor assessor ----

// VendorSource supplies one vendor's records for a period [from, to).
type VendorSource interface {
	WorkOrders(ctx context.Context, vendorID string, from, to time.Time) ([]WorkOrder, error)
	Surveys(ctx context.Context, vendorID string, from, to time.Time) (surveys []Survey, invited int, err error)
	Outages(ctx context.Context, vendorID string, from, to time.Time) ([]Outage, []Exclusion, error)
	Incidents(ctx context.Context, vendorID string, from, to time.Time) ([]Incident, error)
	PerformanceChecks(ctx context.Context, vendorID string, from, to time.Time) ([]PerformanceCheck, error)
	Deliverables(ctx context.Context, vendorID string, from, to time.Time) (Deliverables, error)
}

// FeeSource returns a vendor's fee for a month in 分 (billing implements it).
type FeeSource interface {
	MonthlyFee(ctx context.Context, vendorID string, m Month) (int64, error)
}

// VendorAssessor gathers a vendor's records and scores them.
type VendorAssessor struct {
	Scheme   *Scheme
	Options  VendorOptions
	Source   VendorSource
	Fees     FeeSource // optional: without it no deduction lines are made
	Calendar WorkingTimer
	Location *time.Location // month boundaries; nil: UTC
}

// Validate checks the wiring and options.
func (a *VendorAssessor) Validate() error {
	switch {
	case a.Scheme == nil:
		return &OptionError{"Scheme", "nil"}
	case a.Source == nil:
		return &OptionError{"Source", "nil"}
	case a.Calendar == nil:
		return &OptionError{"Calendar", "nil"}
	}
	if err := a.Options.Validate(); err != nil {
		return err
	}
	return a.Scheme.Validate()
}

// VendorReport is one vendor's facts, values, scorecard and deduction lines.
type VendorReport struct {
	Facts  VendorFacts `json:"facts"`
	Values Values      `json:"values"`
	Card   *Scorecard  `json:"card"`
}

// Assess scores one vendor over months (ascending, contiguous or not).
func (a *VendorAssessor) Assess(ctx context.Context, vendor Subject, months []Month) (*VendorReport, error) {
	if len(months) == 0 {
		return nil, &OptionError{"months", "empty period"}
	}
	loc := a.Location
	if loc == nil {
		loc = time.UTC
	}
	from, to := months[0].Start(loc), months[len(months)-1].End(loc)
	in := VendorInput{Months: months, Location: loc, AsOf: to}
	var err error
	wrap := func(what string, err error) error {
		return fmt.Errorf("assessment: vendor %s: %s: %w", vendor.ID, what, err)
	}
	if in.Orders, err = a.Source.WorkOrders(ctx, vendor.ID, from, to); err != nil {
		return nil, wrap("work orders", err)
	}
	if in.Surveys, in.Invited, err = a.Source.Surveys(ctx, vendor.ID, from, to); err != nil {
		return nil, wrap("surveys", err)
	}
	if in.Outages, in.Exclusions, err = a.Source.Outages(ctx, vendor.ID, from, to); err != nil {
		return nil, wrap("outages", err)
	}
	if in.Incidents, err = a.Source.Incidents(ctx, vendor.ID, from, to); err != nil {
		return nil, wrap("incidents", err)
	}
	if in.Performance, err = a.Source.PerformanceChecks(ctx, vendor.ID, from, to); err != nil {
		return nil, wrap("performance", err)
	}
	if in.Deliverables, err = a.Source.Deliverables(ctx, vendor.ID, from, to); err != nil {
		return nil, wrap("deliverables", err)
	}
	if a.Fees != nil {
		fees := map[Month]int64{}
		for _, m := range months {
			if fees[m], err = a.Fees.MonthlyFee(ctx, vendor.ID, m); err != nil {
				return nil, wrap("fee "+m.String(), err)
			}
		}
		in.MonthlyFee = func(m Month) int64 { return fees[m] }
	}
	f, err := a.Options.ComputeVendorFacts(vendor.ID, in, a.Calendar)
	if err != nil {
		return nil, err
	}
	vals := f.Values()
	card, err := a.Scheme.Score(vendor, vals)
	if err != nil {
		return nil, err
	}
	return &VendorReport{Facts: f, Values: vals, Card: card}, nil
}
