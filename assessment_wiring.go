package govcloud

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/workflow"
)

// ErrInvalidRecord reports an assessment record (outage, incident, survey,
// system …) that the platform refuses; the error is a *RecordError naming
// the field. Nothing is written.
var ErrInvalidRecord = errors.New("govcloud: invalid assessment record")

// ErrRecordConflict reports a record whose ID was already used for other
// content. A second write of the same content is not an error.
var ErrRecordConflict = errors.New("govcloud: assessment record ID reused with other content")

// RecordError names what is wrong with a record. It matches ErrInvalidRecord,
// ErrRecordConflict or assessment.ErrForbidden (Err).
type RecordError struct {
	Kind   string // "outage", "exclusion", "incident", "performance", "deliverable", "survey", "system"
	ID     string
	Field  string
	Reason string
	Err    error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("govcloud: %s record %q: %s: %s", e.Kind, e.ID, e.Field, e.Reason)
}

// Unwrap returns the sentinel the error matches.
func (e *RecordError) Unwrap() error { return e.Err }

// AssessmentOptions configures the assessment of departments (第二十二条)
// and vendors (第二十三条) on the platform. The zero value is valid.
type AssessmentOptions struct {
	// DepartmentScheme and VendorScheme score the facts (nil: the embedded
	// presets assessment.DepartmentScheme / VendorScheme).
	DepartmentScheme *assessment.Scheme
	VendorScheme     *assessment.Scheme
	// Department and Vendor parameterise the computations (nil:
	// assessment.DefaultDepartmentOptions / DefaultVendorOptions). The
	// vendor options' credit tiers decide which months earn a service
	// credit (ApplyServiceCredits).
	Department *assessment.DepartmentOptions
	Vendor     *assessment.VendorOptions
	// Utilisation supplies resource utilisation samples (the platform does
	// not collect them; nil: no samples, every resource has insufficient data).
	Utilisation assessment.UtilisationSource
	// Security supplies the security status of departments' systems (nil:
	// none recorded; the security indicators are then missing and the
	// scheme's missing-data policy applies).
	Security assessment.SecuritySource
	// WorkingTime measures vendors' working time (nil:
	// assessment.NewOfficeTimer(), the official PRC calendar).
	WorkingTime assessment.WorkingTimer
	// Location draws month boundaries (nil: billing's location, Beijing time).
	Location *time.Location
}

// Validate checks the schemes and options that are set; the error is an
// *OptionError naming the field (wrapping the package's own error).
func (o AssessmentOptions) Validate() error {
	wrap := func(field string, err error) error {
		return fmt.Errorf("%w: %w", &OptionError{Field: "Assessment." + field, Reason: "does not validate"}, err)
	}
	if o.DepartmentScheme != nil {
		if err := o.DepartmentScheme.Validate(); err != nil {
			return wrap("DepartmentScheme", err)
		}
	}
	if o.VendorScheme != nil {
		if err := o.VendorScheme.Validate(); err != nil {
			return wrap("VendorScheme", err)
		}
	}
	if o.Department != nil {
		if err := o.Department.Validate(); err != nil {
			return wrap("Department", err)
		}
	}
	if o.Vendor != nil {
		if err := o.Vendor.Validate(); err != nil {
			return wrap("Vendor", err)
		}
	}
	return nil
}

// assessmentReader is the platform's own identity when it reads the other
// areas on behalf of the assessment.
var (
	assessmentReader  = workflow.Actor{Role: workflow.RoleOperator, ID: "govcloud.assessment"}
	assessmentBilling = billing.Actor{ID: "govcloud.assessment", Role: billing.RoleAuthority}
)

// liveStates are the states of an application that runs on the platform.
var liveStates = []workflow.State{workflow.StateActive, workflow.StateChangeReview,
	workflow.StateChangeExecuting, workflow.StateChangeTesting, workflow.StateTerminationReview}

// Assessment returns the assessment service (考核评价) on the platform's
// database: saved runs, rankings, scorecards, history and comparisons,
// with tenancy by workflow.Actor (a department or vendor reads only its own
// card; authority and operator read all).
func (p *Platform) Assessment() *assessment.Service {
	return assessment.NewService(p.db.Assessment())
}

// AssessmentSource returns the platform-backed sources of the assessment's
// inputs. The platform must outlive it.
func (p *Platform) AssessmentSource() *AssessmentSource { return &AssessmentSource{p: p} }

// AssessmentSource implements the assessment's input interfaces from what
// the platform holds:
//
//   - SystemRegister: a department's live applications (one system per
//     system name, on the platform) plus the systems registered with
//     RegisterSystem (off the platform; one whose name is also a live
//     application's system counts once, on the platform);
//   - ResourceLister: the department's live applications (one resource each);
//   - CostSource: the usage lines of the application's billing statements
//     (void statements excluded), prorated by time to the window, half-up;
//   - FeeSource: the usage total of the vendor's statements of the month;
//   - VendorSource: the workflow's work orders of the vendor created in the
//     window (completed after the window = still open) and the records kept
//     by RecordOutage, RecordExclusion, RecordIncident,
//     RecordPerformanceCheck, RecordDeliverable and RecordSatisfaction.
//
// Reads are made under the platform's own identity.
type AssessmentSource struct{ p *Platform }

var (
	_ assessment.SystemRegister = (*AssessmentSource)(nil)
	_ assessment.ResourceLister = (*AssessmentSource)(nil)
	_ assessment.CostSource     = (*AssessmentSource)(nil)
	_ assessment.FeeSource      = (*AssessmentSource)(nil)
	_ assessment.VendorSource   = (*AssessmentSource)(nil)
)

// liveApps returns the live applications of a department ("" for all).
func (p *Platform) liveApps(ctx context.Context, dept string) ([]workflow.Application, error) {
	return p.workflow.List(ctx, assessmentReader, workflow.ApplicationFilter{Department: dept, States: liveStates})
}

// Systems lists a department's register (SystemRegister).
func (s *AssessmentSource) Systems(ctx context.Context, dept string) ([]assessment.SystemRecord, error) {
	apps, err := s.p.liveApps(ctx, dept)
	if err != nil {
		return nil, err
	}
	var out []assessment.SystemRecord
	on := map[string]bool{}
	for _, a := range apps {
		if !on[a.SystemName] {
			on[a.SystemName] = true
			out = append(out, assessment.SystemRecord{ID: a.SystemName, Name: a.SystemName, OnPlatform: true})
		}
	}
	rows, err := s.p.records(ctx, kindSystem, "", dept, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		var sys assessment.SystemRecord
		if err := json.Unmarshal([]byte(r.Doc), &sys); err != nil {
			return nil, fmt.Errorf("govcloud: system %s: %w", r.ID, err)
		}
		if on[sys.Name] || on[sys.ID] {
			continue // migrated to the platform since it was registered
		}
		out = append(out, sys)
	}
	slices.SortFunc(out, func(a, b assessment.SystemRecord) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Resources lists a department's live applications as resources (ResourceLister).
func (s *AssessmentSource) Resources(ctx context.Context, dept string) ([]assessment.Resource, error) {
	apps, err := s.p.liveApps(ctx, dept)
	if err != nil {
		return nil, err
	}
	out := make([]assessment.Resource, 0, len(apps))
	for _, a := range apps {
		out = append(out, assessment.Resource{ID: a.ID, Name: a.SystemName, Kind: "application"})
	}
	return out, nil
}

// Cost returns what application resourceID cost over [from, to), in 分
// (CostSource): its statements' usage lines prorated by the overlap of each
// line's span with the window, summed exactly and rounded half-up once.
func (s *AssessmentSource) Cost(ctx context.Context, resourceID string, from, to time.Time) (int64, error) {
	app, err := s.p.workflow.Get(ctx, assessmentReader, resourceID)
	if err != nil {
		return 0, err
	}
	sts, err := s.p.Billing().Statements(ctx, assessmentBilling, billing.StatementFilter{Department: app.Department, Vendor: app.Vendor})
	if err != nil {
		return 0, err
	}
	prefix := "lc:" + resourceID + ":"
	// Σ amount × overlap / span, as an exact rational.
	sum := new(big.Rat)
	for _, st := range sts {
		if st.State == billing.StatementVoid {
			continue
		}
		for _, l := range st.Lines {
			if l.Kind != billing.LineUsage || !strings.HasPrefix(l.UsageKey, prefix) || !l.End.After(l.Start) {
				continue
			}
			a, b := maxTime(l.Start, from), minTime(l.End, to)
			if !b.After(a) {
				continue
			}
			part := new(big.Rat).SetFrac(big.NewInt(int64(b.Sub(a))), big.NewInt(int64(l.End.Sub(l.Start))))
			sum.Add(sum, part.Mul(part, new(big.Rat).SetInt64(l.Amount)))
		}
	}
	// half-up rounding of a non-negative rational: ⌊x + ½⌋
	num := new(big.Int).Mul(sum.Num(), big.NewInt(2))
	num.Add(num, sum.Denom())
	q := num.Div(num, new(big.Int).Mul(sum.Denom(), big.NewInt(2)))
	if !q.IsInt64() {
		return 0, fmt.Errorf("govcloud: cost of %s leaves int64", resourceID)
	}
	return q.Int64(), nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// MonthlyFee returns the usage total of the vendor's statements of month m,
// over every department, in 分 (FeeSource).
func (s *AssessmentSource) MonthlyFee(ctx context.Context, vendor string, m assessment.Month) (int64, error) {
	sts, err := s.p.Billing().Statements(ctx, assessmentBilling, billing.StatementFilter{Vendor: vendor, Month: billing.Month(m)})
	if err != nil {
		return 0, err
	}
	var fee int64
	for _, st := range sts {
		if st.State != billing.StatementVoid {
			fee += st.Totals().Usage
		}
	}
	return fee, nil
}

// WorkOrders returns the vendor's work orders created in [from, to)
// (VendorSource). An order completed at or after to is returned open.
func (s *AssessmentSource) WorkOrders(ctx context.Context, vendor string, from, to time.Time) ([]assessment.WorkOrder, error) {
	wos, err := s.p.workflow.WorkOrders(ctx, assessmentReader, workflow.WorkOrderFilter{Vendor: vendor})
	if err != nil {
		return nil, err
	}
	var out []assessment.WorkOrder
	for _, w := range wos {
		if w.CreatedAt.Before(from) || !w.CreatedAt.Before(to) {
			continue
		}
		o := assessment.WorkOrder{ID: w.ID, Opened: w.CreatedAt, Due: w.Due}
		if w.Status == workflow.WorkOrderDone && w.CompletedAt.Before(to) {
			o.Done = w.CompletedAt
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b assessment.WorkOrder) int {
		return cmp.Or(a.Opened.Compare(b.Opened), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Surveys returns the latest satisfaction answer of each department for
// the vendor in [from, to); invited is the number of departments with an
// application of the vendor activated before to (VendorSource).
func (s *AssessmentSource) Surveys(ctx context.Context, vendor string, from, to time.Time) ([]assessment.Survey, int, error) {
	rows, err := s.p.records(ctx, kindSurvey, vendor, "", from, to)
	if err != nil {
		return nil, 0, err
	}
	latest := map[string]recordRow{}
	for _, r := range rows {
		if l, ok := latest[r.Department]; !ok || r.StartAt >= l.StartAt {
			latest[r.Department] = r
		}
	}
	var out []assessment.Survey
	for _, r := range latest {
		var sv assessment.Survey
		if err := json.Unmarshal([]byte(r.Doc), &sv); err != nil {
			return nil, 0, fmt.Errorf("govcloud: survey %s: %w", r.ID, err)
		}
		out = append(out, sv)
	}
	slices.SortFunc(out, func(a, b assessment.Survey) int { return cmp.Compare(a.DepartmentID, b.DepartmentID) })
	apps, err := s.p.workflow.List(ctx, assessmentReader, workflow.ApplicationFilter{Vendor: vendor})
	if err != nil {
		return nil, 0, err
	}
	invited := map[string]bool{}
	for _, a := range apps {
		if !a.ActivatedAt.IsZero() && a.ActivatedAt.Before(to) {
			invited[a.Department] = true
		}
	}
	for _, sv := range out { // an answering department counts as invited
		invited[sv.DepartmentID] = true
	}
	return out, len(invited), nil
}

// Outages returns the vendor's outages and approved exclusions that
// overlap [from, to) (VendorSource).
func (s *AssessmentSource) Outages(ctx context.Context, vendor string, from, to time.Time) ([]assessment.Outage, []assessment.Exclusion, error) {
	outs, err := decodeRecords[assessment.Outage](s.p, ctx, kindOutage, vendor, from, to)
	if err != nil {
		return nil, nil, err
	}
	excl, err := decodeRecords[assessment.Exclusion](s.p, ctx, kindExclusion, vendor, from, to)
	return outs, excl, err
}

// Incidents returns the vendor's incidents that overlap [from, to) (VendorSource).
func (s *AssessmentSource) Incidents(ctx context.Context, vendor string, from, to time.Time) ([]assessment.Incident, error) {
	return decodeRecords[assessment.Incident](s.p, ctx, kindIncident, vendor, from, to)
}

// PerformanceChecks returns the vendor's checks made in [from, to) (VendorSource).
func (s *AssessmentSource) PerformanceChecks(ctx context.Context, vendor string, from, to time.Time) ([]assessment.PerformanceCheck, error) {
	return decodeRecords[assessment.PerformanceCheck](s.p, ctx, kindPerformance, vendor, from, to)
}

// Deliverables returns the months of the vendor's bulletins and monthly
// reports delivered in [from, to) and whether a drill was held (VendorSource).
func (s *AssessmentSource) Deliverables(ctx context.Context, vendor string, from, to time.Time) (assessment.Deliverables, error) {
	ds, err := decodeRecords[Deliverable](s.p, ctx, kindDeliverable, vendor, from, to)
	if err != nil {
		return assessment.Deliverables{}, err
	}
	loc := s.p.assessmentLocation()
	var out assessment.Deliverables
	for _, d := range ds {
		m := billing.MonthOf(d.At, loc)
		switch d.Kind {
		case DeliverableBulletin:
			out.Bulletins = append(out.Bulletins, assessment.Month(m))
		case DeliverableReport:
			out.Reports = append(out.Reports, assessment.Month(m))
		case DeliverableDrill:
			out.Drill = true
		}
	}
	return out, nil
}

// ---- recording ----

// Record kinds (the kind column of assessment_records).
const (
	kindOutage      = "outage"
	kindExclusion   = "exclusion"
	kindIncident    = "incident"
	kindPerformance = "performance"
	kindDeliverable = "deliverable"
	kindSurvey      = "survey"
	kindSystem      = "system"
)

// DeliverableKind is a document a vendor owes (第十五条, 第十九条).
type DeliverableKind string

// Deliverable kinds.
const (
	DeliverableReport   DeliverableKind = "report"   // 月度资源使用、运维报告与优化建议 (第十五条)
	DeliverableBulletin DeliverableKind = "bulletin" // 月度安全通报 (第十九条)
	DeliverableDrill    DeliverableKind = "drill"    // 年度应急演练 (第十九条)
)

// Label returns the Chinese name, or the English one for lang "en".
func (k DeliverableKind) Label(lang string) string {
	names, ok := deliverableNames[k]
	if !ok {
		return string(k)
	}
	if lang == "en" {
		return names[1]
	}
	return names[0]
}

// String returns the Chinese name.
func (k DeliverableKind) String() string { return k.Label("zh") }

var deliverableNames = map[DeliverableKind][2]string{
	DeliverableReport:   {"月度报告", "monthly report"},
	DeliverableBulletin: {"安全通报", "security bulletin"},
	DeliverableDrill:    {"应急演练", "emergency drill"},
}

// Deliverable is one document a vendor delivered, at an instant.
type Deliverable struct {
	ID   string          `json:"id"`
	Kind DeliverableKind `json:"kind"`
	At   time.Time       `json:"at"`
	Ref  string          `json:"ref,omitempty"` // where the document is kept
}

type recordRow struct {
	Kind, ID, Vendor, Department string
	StartAt, EndAt               int64
	Doc                          string
}

func (p *Platform) assessmentLocation() *time.Location {
	if p.opts.Assessment.Location != nil {
		return p.opts.Assessment.Location
	}
	return p.Billing().Location()
}

// mayReport: the authority, or the vendor itself.
func mayReport(actor workflow.Actor, vendor, kind, id string) error {
	if actor.ID != "" && (actor.Role == workflow.RoleAuthority || (actor.Role == workflow.RoleVendor && actor.ID == vendor)) {
		return nil
	}
	return &RecordError{Kind: kind, ID: id, Field: "actor", Reason: fmt.Sprintf("%s %q may not report for vendor %q", actor.Role, actor.ID, vendor), Err: assessment.ErrForbidden}
}

func badRecord(kind, id, field, reason string) error {
	return &RecordError{Kind: kind, ID: id, Field: field, Reason: reason, Err: ErrInvalidRecord}
}

func checkSpan(kind, id string, from, to time.Time) error {
	switch {
	case from.IsZero():
		return badRecord(kind, id, "from", "zero")
	case to.Before(from):
		return badRecord(kind, id, "to", "before from")
	}
	return nil
}

// record writes one row, idempotently: the same content again is a no-op,
// other content under the same kind and ID is ErrRecordConflict.
func (p *Platform) record(ctx context.Context, kind, id, vendor, dept string, from, to time.Time, doc any) error {
	if id == "" || len(id) > 200 {
		return badRecord(kind, id, "id", "want 1–200 bytes")
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return badRecord(kind, id, "doc", err.Error())
	}
	row := recordRow{Kind: kind, ID: id, Vendor: vendor, Department: dept,
		StartAt: from.UTC().UnixNano(), EndAt: to.UTC().UnixNano(), Doc: string(b)}
	g := p.db.Gorm().WithContext(ctx)
	res := g.Exec(`INSERT INTO assessment_records (kind, id, vendor, department, start_at, end_at, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING`,
		row.Kind, row.ID, row.Vendor, row.Department, row.StartAt, row.EndAt, row.Doc)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 1 {
		return nil
	}
	var old []recordRow
	if err := g.Raw(`SELECT kind, id, vendor, department, start_at, end_at, doc FROM assessment_records WHERE kind = ? AND id = ?`,
		kind, id).Scan(&old).Error; err != nil {
		return err
	}
	if len(old) == 1 && old[0] == row {
		return nil
	}
	return &RecordError{Kind: kind, ID: id, Field: "id", Reason: "already recorded with other content", Err: ErrRecordConflict}
}

// records reads rows of kind for vendor and/or department ("" = any) whose
// span overlaps [from, to) (zero from and to: all). An instant record
// (start = end) overlaps when from ≤ start < to.
func (p *Platform) records(ctx context.Context, kind, vendor, dept string, from, to time.Time) ([]recordRow, error) {
	q := `SELECT kind, id, vendor, department, start_at, end_at, doc FROM assessment_records WHERE kind = ?`
	args := []any{kind}
	if vendor != "" {
		q += ` AND vendor = ?`
		args = append(args, vendor)
	}
	if dept != "" {
		q += ` AND department = ?`
		args = append(args, dept)
	}
	if !from.IsZero() || !to.IsZero() {
		f, t := from.UTC().UnixNano(), to.UTC().UnixNano()
		q += ` AND start_at < ? AND (end_at > ? OR (end_at = start_at AND start_at >= ?))`
		args = append(args, t, f, f)
	}
	q += ` ORDER BY start_at, id`
	var rows []recordRow
	if err := p.db.Gorm().WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	return rows, nil
}

func decodeRecords[T any](p *Platform, ctx context.Context, kind, vendor string, from, to time.Time) ([]T, error) {
	rows, err := p.records(ctx, kind, vendor, "", from, to)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		var v T
		if err := json.Unmarshal([]byte(r.Doc), &v); err != nil {
			return nil, fmt.Errorf("govcloud: %s record %s: %w", kind, r.ID, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// RecordOutage records a period the vendor's service was down (the
// authority, or the vendor itself).
func (p *Platform) RecordOutage(ctx context.Context, actor workflow.Actor, vendor string, o assessment.Outage) error {
	if err := mayReport(actor, vendor, kindOutage, o.ID); err != nil {
		return err
	}
	if err := checkSpan(kindOutage, o.ID, o.From, o.To); err != nil {
		return err
	}
	return p.record(ctx, kindOutage, o.ID, vendor, "", o.From, o.To, o)
}

// RecordExclusion records an approved exclusion from availability
// (planned maintenance, force majeure, the department's fault); only the
// authority approves exclusions.
func (p *Platform) RecordExclusion(ctx context.Context, actor workflow.Actor, vendor string, e assessment.Exclusion) error {
	if actor.Role != workflow.RoleAuthority || actor.ID == "" {
		return &RecordError{Kind: kindExclusion, ID: e.ID, Field: "actor", Reason: "only the authority approves exclusions", Err: assessment.ErrForbidden}
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("%w: %w", badRecord(kindExclusion, e.ID, "exclusion", "does not validate"), err)
	}
	return p.record(ctx, kindExclusion, e.ID, vendor, "", e.From, e.To, e)
}

// RecordIncident records a service or security incident of the vendor.
func (p *Platform) RecordIncident(ctx context.Context, actor workflow.Actor, vendor string, in assessment.Incident) error {
	if err := mayReport(actor, vendor, kindIncident, in.ID); err != nil {
		return err
	}
	if err := checkSpan(kindIncident, in.ID, in.Start, in.Restored); err != nil {
		return err
	}
	return p.record(ctx, kindIncident, in.ID, vendor, "", in.Start, in.Restored, in)
}

// RecordPerformanceCheck records one performance measurement of the vendor.
func (p *Platform) RecordPerformanceCheck(ctx context.Context, actor workflow.Actor, vendor string, c assessment.PerformanceCheck) error {
	if err := mayReport(actor, vendor, kindPerformance, c.ID); err != nil {
		return err
	}
	if c.At.IsZero() {
		return badRecord(kindPerformance, c.ID, "at", "zero")
	}
	return p.record(ctx, kindPerformance, c.ID, vendor, "", c.At, c.At, c)
}

// RecordDeliverable records a document the vendor delivered: a monthly
// report (第十五条), a security bulletin or an emergency drill (第十九条).
func (p *Platform) RecordDeliverable(ctx context.Context, actor workflow.Actor, vendor string, d Deliverable) error {
	if err := mayReport(actor, vendor, kindDeliverable, d.ID); err != nil {
		return err
	}
	switch {
	case d.Kind != DeliverableReport && d.Kind != DeliverableBulletin && d.Kind != DeliverableDrill:
		return badRecord(kindDeliverable, d.ID, "kind", fmt.Sprintf("unknown kind %q", d.Kind))
	case d.At.IsZero():
		return badRecord(kindDeliverable, d.ID, "at", "zero")
	}
	return p.record(ctx, kindDeliverable, d.ID, vendor, "", d.At, d.At, d)
}

// RecordSatisfaction records a department's satisfaction with a vendor
// (the department itself answers). One answer per department and vendor
// per month; the latest answer of the assessed period counts.
func (p *Platform) RecordSatisfaction(ctx context.Context, actor workflow.Actor, vendor string, at time.Time, level assessment.SatisfactionLevel) error {
	m := billing.MonthOf(at, p.assessmentLocation())
	id := vendor + "/" + actor.ID + "/" + m.String()
	if actor.Role != workflow.RoleDepartment || actor.ID == "" {
		return &RecordError{Kind: kindSurvey, ID: id, Field: "actor", Reason: "only a department answers the survey", Err: assessment.ErrForbidden}
	}
	switch {
	case vendor == "":
		return badRecord(kindSurvey, id, "vendor", "empty")
	case at.IsZero():
		return badRecord(kindSurvey, id, "at", "zero")
	case level < assessment.Dissatisfied || level > assessment.VerySatisfied:
		return badRecord(kindSurvey, id, "level", fmt.Sprintf("%d outside 1..4", level))
	}
	sv := assessment.Survey{ID: id, DepartmentID: actor.ID, Level: level}
	return p.record(ctx, kindSurvey, id, vendor, actor.ID, at, at, sv)
}

// RegisterSystem adds a system that does not run on the platform to a
// department's register (上云率: the systems on the platform are its live
// applications). The department itself or the authority registers.
func (p *Platform) RegisterSystem(ctx context.Context, actor workflow.Actor, dept string, sys assessment.SystemRecord) error {
	if !(actor.ID != "" && (actor.Role == workflow.RoleAuthority || (actor.Role == workflow.RoleDepartment && actor.ID == dept))) {
		return &RecordError{Kind: kindSystem, ID: sys.ID, Field: "actor", Reason: fmt.Sprintf("%s %q may not register systems of %q", actor.Role, actor.ID, dept), Err: assessment.ErrForbidden}
	}
	switch {
	case dept == "":
		return badRecord(kindSystem, sys.ID, "department", "empty")
	case sys.ID == "":
		return badRecord(kindSystem, sys.ID, "id", "empty")
	case strings.TrimSpace(sys.Name) == "":
		return badRecord(kindSystem, sys.ID, "name", "empty")
	case sys.OnPlatform:
		return badRecord(kindSystem, sys.ID, "on_platform", "systems on the platform come from its applications")
	}
	return p.record(ctx, kindSystem, dept+"/"+sys.ID, "", dept, time.Time{}, time.Time{}, sys)
}

// ---- assessing ----

// months lists the months of an assessment period.
func periodMonths(per assessment.Period) []assessment.Month {
	var out []assessment.Month
	last := per.Last()
	for d := per.First(); !d.After(last); {
		out = append(out, assessment.Month{Year: d.Year, Month: d.Month})
		d = d.AddDays(32 - d.Day)
		d.Day = 1
	}
	return out
}

func (p *Platform) assessmentSchemes() (dept, vendor *assessment.Scheme, err error) {
	dept, vendor = p.opts.Assessment.DepartmentScheme, p.opts.Assessment.VendorScheme
	if dept == nil {
		if dept, err = assessment.DepartmentScheme(); err != nil {
			return nil, nil, err
		}
	}
	if vendor == nil {
		if vendor, err = assessment.VendorScheme(); err != nil {
			return nil, nil, err
		}
	}
	return dept, vendor, nil
}

func (p *Platform) vendorOptions() assessment.VendorOptions { return p.opts.Assessment.vendorOptions() }

func (o AssessmentOptions) vendorOptions() assessment.VendorOptions {
	if o.Vendor != nil {
		return *o.Vendor
	}
	return assessment.DefaultVendorOptions()
}

func (p *Platform) workingTimer() assessment.WorkingTimer {
	if p.opts.Assessment.WorkingTime != nil {
		return p.opts.Assessment.WorkingTime
	}
	return assessment.NewOfficeTimer()
}

// noSamples is the UtilisationSource of a platform that collects none.
type noSamples struct{}

func (noSamples) AppendSamples(_ context.Context, dst []assessment.Sample, _ string, _, _ time.Time) ([]assessment.Sample, error) {
	return dst, nil
}

// noSecurity is the SecuritySource of a platform that records none.
type noSecurity struct{}

func (noSecurity) SystemSecurity(context.Context, string) ([]assessment.SystemSecurity, error) {
	return nil, nil
}

// departments lists every department with an application or a registered system.
func (p *Platform) assessedDepartments(ctx context.Context) ([]string, error) {
	apps, err := p.workflow.List(ctx, assessmentReader, workflow.ApplicationFilter{})
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, a := range apps {
		set[a.Department] = true
	}
	rows, err := p.records(ctx, kindSystem, "", "", time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		set[r.Department] = true
	}
	return sortedKeys(set), nil
}

// assessedVendors lists every vendor with an application, a provider or a record.
func (p *Platform) assessedVendors(ctx context.Context) ([]string, error) {
	apps, err := p.workflow.List(ctx, assessmentReader, workflow.ApplicationFilter{})
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, a := range apps {
		set[a.Vendor] = true
	}
	for v := range p.opts.Providers {
		set[v] = true
	}
	var vs []string
	if err := p.db.Gorm().WithContext(ctx).Raw(`SELECT DISTINCT vendor FROM assessment_records WHERE vendor <> ''`).Scan(&vs).Error; err != nil {
		return nil, err
	}
	for _, v := range vs {
		set[v] = true
	}
	return sortedKeys(set), nil
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func checkAssessor(actor workflow.Actor, what string) error {
	if actor.Role != workflow.RoleAuthority || actor.ID == "" {
		return &assessment.ForbiddenError{Actor: actor, Action: what}
	}
	return nil
}

// saveRun scores the inputs into a run for the period, superseding the
// period's current run if there is one, and saves it.
func (p *Platform) saveRun(ctx context.Context, actor workflow.Actor, kind assessment.SubjectKind, per assessment.Period, scheme *assessment.Scheme, inputs []assessment.Input) (*assessment.Run, error) {
	spec := assessment.RunSpec{ID: p.opts.IDs.NewID(), Kind: kind, Period: per, Scheme: scheme, Inputs: inputs, ScoredAt: p.opts.Clock.Now()}
	cur, err := p.db.Assessment().CurrentRun(ctx, kind, per)
	switch {
	case err == nil:
		spec.Supersedes = cur.ID
	case !errors.Is(err, assessment.ErrNotFound):
		return nil, err
	}
	run, err := assessment.NewRun(spec)
	if err != nil {
		return nil, err
	}
	if err := p.Assessment().Save(ctx, actor, run); err != nil {
		return nil, err
	}
	return run, nil
}

// AssessDepartments scores every department (第二十二条: 上云率, idle and
// over-provisioned resources, security) for the period from the platform's
// sources and saves the ranking as the period's current run (a later call
// supersedes it: a correction). Only the authority assesses. The
// department's resources are classified at each month end of the period.
func (p *Platform) AssessDepartments(ctx context.Context, actor workflow.Actor, per assessment.Period) (*assessment.Run, error) {
	if err := checkAssessor(actor, "assess departments"); err != nil {
		return nil, err
	}
	if !per.Valid() {
		return nil, &assessment.PeriodError{Text: per.String()}
	}
	scheme, _, err := p.assessmentSchemes()
	if err != nil {
		return nil, err
	}
	src := p.AssessmentSource()
	a := &assessment.DepartmentAssessor{Scheme: scheme, Options: assessment.DefaultDepartmentOptions(),
		Register: src, Resources: src, Utilisation: p.opts.Assessment.Utilisation, Cost: src, Security: p.opts.Assessment.Security}
	if p.opts.Assessment.Department != nil {
		a.Options = *p.opts.Assessment.Department
	}
	if a.Utilisation == nil {
		a.Utilisation = noSamples{}
	}
	if a.Security == nil {
		a.Security = noSecurity{}
	}
	loc := p.assessmentLocation()
	var checkpoints []time.Time
	for _, m := range periodMonths(per) {
		checkpoints = append(checkpoints, m.End(loc))
	}
	depts, err := p.assessedDepartments(ctx)
	if err != nil {
		return nil, err
	}
	inputs := make([]assessment.Input, 0, len(depts))
	for _, d := range depts {
		subj := assessment.Subject{ID: d, Name: d}
		rep, err := a.Assess(ctx, subj, checkpoints)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, assessment.Input{Subject: subj, Values: rep.Values})
	}
	return p.saveRun(ctx, actor, assessment.SubjectDepartment, per, scheme, inputs)
}

// AssessVendors scores every vendor (第二十三条: response to work orders,
// satisfaction, quality, deliverables) for the period and saves the
// ranking as the period's current run (a later call supersedes it). Only
// the authority assesses.
func (p *Platform) AssessVendors(ctx context.Context, actor workflow.Actor, per assessment.Period) (*assessment.Run, error) {
	if err := checkAssessor(actor, "assess vendors"); err != nil {
		return nil, err
	}
	if !per.Valid() {
		return nil, &assessment.PeriodError{Text: per.String()}
	}
	_, scheme, err := p.assessmentSchemes()
	if err != nil {
		return nil, err
	}
	src := p.AssessmentSource()
	a := &assessment.VendorAssessor{Scheme: scheme, Options: p.vendorOptions(), Source: src, Fees: src,
		Calendar: p.workingTimer(), Location: p.assessmentLocation()}
	vendors, err := p.assessedVendors(ctx)
	if err != nil {
		return nil, err
	}
	months := periodMonths(per)
	inputs := make([]assessment.Input, 0, len(vendors))
	for _, v := range vendors {
		subj := assessment.Subject{ID: v, Name: v}
		rep, err := a.Assess(ctx, subj, months)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, assessment.Input{Subject: subj, Values: rep.Values})
	}
	return p.saveRun(ctx, actor, assessment.SubjectVendor, per, scheme, inputs)
}

// ServiceCredits lists the vendors' service-level credits (服务水平扣减)
// of month m: for each vendor whose measured availability of the month
// falls under a credit tier of the vendor options, the deduction line on
// its monthly fee (the usage of its statements).
func (p *Platform) ServiceCredits(ctx context.Context, m assessment.Month) ([]assessment.DeductionLine, error) {
	vendors, err := p.assessedVendors(ctx)
	if err != nil {
		return nil, err
	}
	src, opts, loc := p.AssessmentSource(), p.vendorOptions(), p.assessmentLocation()
	var out []assessment.DeductionLine
	for _, v := range vendors {
		outs, excl, err := src.Outages(ctx, v, m.Start(loc), m.End(loc))
		if err != nil {
			return nil, err
		}
		av, err := assessment.MonthlyAvailability(m, loc, outs, excl)
		if err != nil {
			return nil, err
		}
		if !av.Measured() {
			continue
		}
		fee, err := src.MonthlyFee(ctx, v, m)
		if err != nil {
			return nil, err
		}
		l, err := opts.Credits.Credit(v, av, fee)
		if err != nil {
			return nil, err
		}
		if l != nil {
			out = append(out, *l)
		}
	}
	return out, nil
}

// ServiceCreditKey is the billing idempotency key of the availability
// credit of a department × vendor × month.
func ServiceCreditKey(dept, vendor string, m assessment.Month) string {
	return "sla:availability:" + dept + ":" + vendor + ":" + m.String()
}

// ceilBP converts millionths to basis points of a percentage, rounding up.
func ceilBP(p assessment.PPM) int64 { return (int64(p) + 99) / 100 }

// creditTarget is the availability target handed to billing: the mildest
// credit tier's threshold in basis points (0 without tiers).
func creditTarget(o assessment.CreditOptions) int64 {
	if len(o.Tiers) == 0 {
		return 0
	}
	return ceilBP(o.Tiers[0].Below)
}

// CreditDeductionTiers translates the assessment's credit tiers ("below
// 99.9 % → 10 % of the fee") into billing's deduction tiers (a shortfall
// from the target, the mildest tier's threshold, of at least n basis points
// → a credit rate), so that billing credits exactly the months and rates the
// assessment finds: with the achieved availability rounded down to a basis
// point, "below B" is "a shortfall of at least target − B + 1 bp". The
// translation is exact when thresholds and rates are whole basis points
// (the defaults are). The Platform installs these tiers in billing unless
// Options.Billing.DeductionTiers is set. nil for no tiers.
func CreditDeductionTiers(o assessment.CreditOptions) []billing.DeductionTier {
	if len(o.Tiers) == 0 {
		return nil
	}
	target := creditTarget(o)
	out := make([]billing.DeductionTier, 0, len(o.Tiers))
	for _, t := range o.Tiers {
		out = append(out, billing.DeductionTier{MinShortfall: target - ceilBP(t.Below) + 1, CreditBP: (int64(t.Deduct) + 50) / 100})
	}
	return out
}

// ApplyServiceCredits hands the month's service-level credits (see
// ServiceCredits) to billing as deduction lines
// (billing.Service.ApplyDeductions), one on each statement of the vendor's
// month (each department × vendor), keyed by ServiceCreditKey, so applying
// again writes nothing new (the keys are reported Unchanged). Billing
// credits each statement's usage at its deduction tier for the shortfall
// from the mildest tier's threshold; with the tiers the Platform installs
// by default (CreditDeductionTiers) that is the assessment's rate, so the
// lines add up to the assessment's credit on the monthly fee (to the 分 per
// statement). Only the authority applies credits.
func (p *Platform) ApplyServiceCredits(ctx context.Context, actor workflow.Actor, m assessment.Month) (billing.DeductionReport, error) {
	if err := checkAssessor(actor, "apply service credits"); err != nil {
		return billing.DeductionReport{}, err
	}
	lines, err := p.ServiceCredits(ctx, m)
	if err != nil {
		return billing.DeductionReport{}, err
	}
	target := creditTarget(p.vendorOptions().Credits)
	var ins []billing.DeductionInput
	for _, l := range lines {
		sts, err := p.Billing().Statements(ctx, assessmentBilling, billing.StatementFilter{Vendor: l.VendorID, Month: billing.Month(m)})
		if err != nil {
			return billing.DeductionReport{}, err
		}
		depts := map[string]bool{}
		for _, st := range sts {
			if st.State != billing.StatementVoid {
				depts[st.Department] = true
			}
		}
		for _, d := range sortedKeys(depts) {
			ins = append(ins, billing.DeductionInput{
				Key: ServiceCreditKey(d, l.VendorID, m), Department: d, Vendor: l.VendorID, Month: billing.Month(m),
				Indicator: "availability", Target: target, Achieved: l.Num * 10000 / l.Den,
				Reason: fmt.Sprintf("服务水平扣减 %s 可用性 %s,低于 %s", m, l.Availability, l.Below),
			})
		}
	}
	if len(ins) == 0 {
		return billing.DeductionReport{}, nil
	}
	return p.Billing().ApplyDeductions(ctx, billing.Actor{ID: actor.ID, Role: billing.RoleAuthority}, ins)
}
