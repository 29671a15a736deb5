package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Provider is what the platform asks of a cloud vendor (云服务商). A vendor
// implements it — in Go directly, or in any language behind the HTTP/JSON
// contract of adapters/httpprovider — and the platform's dispatcher calls it
// for every work order (工单) the workflow issues.
//
// # Operations
//
// The four mutating operations follow the regulated lifecycle (浙江省电子政务云
// 计算平台管理办法):
//
//   - Provision: provide the trial environment for the approved items within
//     2 working days of approval (第九条). The result names the environment
//     and one Resource per delivered item.
//   - Promote: after the final review, the trial environment becomes the
//     formal one (第十条). Resources are kept, not rebuilt.
//   - Change: apply an approved change within 3 working days (第十一条). The
//     request carries the complete new list of items; the provider resizes
//     resources whose quantity changed, adds items that are new and removes
//     items that are gone (see DiffItems).
//   - Reclaim: reclaim every resource of the application and end the service
//     within 3 working days of the termination approval (第十二条). The
//     department has backed up its data before; the provider deletes it.
//
// For one application the platform sends them in this order: Provision, then
// Promote, then any number of Changes, then Reclaim. It never sends the next
// operation of an application before the previous one has completed. A
// provider that receives an operation out of order answers a permanent error
// with CodeInvalidState (e.g. Change after Reclaim, or for an application it
// never provisioned: CodeNotFound); one that receives it while the previous
// operation is still running answers a retryable CodeBusy.
//
// # Idempotency
//
// Every mutating request carries an idempotency key (Order.Key), unique per
// work order and operation, and the platform may send the same request many
// times (after a timeout, a crash, a restart). The provider must perform it
// at most once: a second call with the same key and the same request returns
// the same Ack (and, once complete, the same Result) and creates nothing new.
// A call that reuses a key with a different request is refused with a
// permanent error, CodeIdempotencyConflict, and changes nothing.
//
// Only final outcomes are remembered: a success or a permanent failure is
// replayed to every later call with the same key, while a retryable failure
// is not an outcome — the platform sends the key again and the provider
// continues (for example after a partial delivery it delivers only what is
// missing). Keys should be kept at least 30 days after completion.
//
// # Asynchronous completion
//
// Provisioning a cloud takes hours. A mutating call returns as soon as the
// provider has durably accepted the request: an Ack with Done false (and, if
// known, Expected, the vendor's estimate of completion). A provider that
// finishes within the call returns Done true with the Result.
//
// A provider that ever returns Done false must implement Poller: the platform
// polls the key until the Ack is done or Poll returns an error (the
// operation's failure, classified like any other error). A provider may in
// addition push each completion to the platform as soon as it happens — over
// HTTP this is a signed callback (adapters/httpprovider), in Go a
// CompletionSink given to the provider when it is constructed — so the
// platform need not wait for its next poll. Push is an optimisation; Poll is
// the source of truth, and a completion may be pushed more than once.
//
// # Errors
//
// Every error a provider returns is either a context error (the caller's ctx
// ended: return ctx.Err() promptly, never wrapped in a ProviderError, never
// retried by the platform) or a *ProviderError whose Class says whether the
// platform may retry:
//
//   - ClassRetryable (errors.Is(err, ErrRetryable)): timeouts, unavailable
//     back-ends, rate limits, capacity shortages, partial deliveries, CodeBusy.
//     The platform retries with the same key, with exponential backoff; the
//     work order's deadline keeps running.
//   - ClassPermanent (errors.Is(err, ErrPermanent)): invalid requests,
//     unknown catalog items, idempotency conflicts, wrong state. Retrying
//     would fail the same way; the platform raises it to the operator.
//
// An error of any other type is a provider bug; Classify treats it as
// retryable (a broken connection is transient), IsRetryable does not.
//
// # Units
//
// Items are requested as a service catalog item code and a quantity in the
// item's unit (instances, vCPUs, GB …), whole numbers, exactly as approved.
// Usage is reported in thousandths of the item's metering unit (UsageScale):
// an item metered in core-hours that ran 2 vCPUs for 90 minutes reports 3000.
// Money never appears in this contract: the platform rates usage by its own
// service catalog.
//
// # Optional capabilities
//
// Reporting is split into small interfaces a provider implements if it can:
// Poller, UsageReporter (metering, 计量), UtilisationReporter (utilisation
// samples, 第十三条), IncidentReporter (availability incidents) and
// MonthlyReporter (the monthly utilisation table, O&M report, optimisation
// advice and security bulletin of 第十五条 and 第十九条). The platform finds
// them with a type assertion. A provider that implements an interface but
// cannot serve it at run time (a remote vendor that lacks the feature)
// returns a permanent error matching ErrUnsupported.
//
// # Implementing a provider
//
// A minimal provider: validate the request (Validate on each request type),
// look the key up in a durable store of operations; if found with the same
// request (RequestFingerprint), return the stored Ack; if found with another
// request, return CodeIdempotencyConflict; otherwise store the key, start the
// work, and return Ack{Done: false}. Implement Poller from the same store.
// Run adapters/providertest.Run against it: it checks idempotency, ordering,
// asynchronous completion, error classes, cancellation and the optional
// capabilities.
type Provider interface {
	// Provision provides the trial environment for the approved items (第九条).
	Provision(ctx context.Context, req ProvisionRequest) (Ack, error)
	// Promote turns the trial environment into the formal one (第十条).
	Promote(ctx context.Context, req PromoteRequest) (Ack, error)
	// Change applies an approved change: req.Items is the complete new list (第十一条).
	Change(ctx context.Context, req ChangeRequest) (Ack, error)
	// Reclaim reclaims every resource of the application (第十二条).
	Reclaim(ctx context.Context, req ReclaimRequest) (Ack, error)
}

// Poller reports the state of an operation by its idempotency key. A provider
// that may acknowledge an operation before it completes must implement it.
type Poller interface {
	// Poll returns the operation's Ack: Done false while it runs, Done true
	// with the Result when it succeeded. When the operation failed, Poll
	// returns its *ProviderError. An unknown key is a permanent error with
	// CodeNotFound.
	Poll(ctx context.Context, key string) (Ack, error)
}

// CompletionSink receives completions a provider pushes to the platform. It
// must be idempotent: the same completion may arrive more than once.
type CompletionSink interface {
	Complete(ctx context.Context, c Completion) error
}

// CompletionSinkFunc adapts a function to CompletionSink.
type CompletionSinkFunc func(ctx context.Context, c Completion) error

// Complete calls f.
func (f CompletionSinkFunc) Complete(ctx context.Context, c Completion) error { return f(ctx, c) }

// UsageReporter reports metered usage (计量) for rating by the platform.
type UsageReporter interface {
	// Usage returns the usage records whose interval starts in [q.Start,
	// q.End), ordered by Start then Key. The same usage is always reported
	// under the same Key with the same content, so overlapping queries are
	// safe: the platform deduplicates by Key.
	Usage(ctx context.Context, q UsageQuery) ([]UsageRecord, error)
}

// UtilisationReporter reports utilisation samples of the resources it runs
// (第十三条: the vendor monitors use).
type UtilisationReporter interface {
	// Utilisation returns samples with At in [q.Start, q.End), ordered by At
	// then Resource.
	Utilisation(ctx context.Context, q UtilisationQuery) ([]UtilisationSample, error)
}

// IncidentReporter reports availability incidents.
type IncidentReporter interface {
	// Incidents returns the incidents overlapping [q.Start, q.End), ordered by
	// Start then ID. An incident still open has a zero End.
	Incidents(ctx context.Context, q Period) ([]Incident, error)
}

// MonthlyReporter produces the monthly reports a vendor owes the departments
// and the authority (第十五条, 第十九条).
type MonthlyReporter interface {
	// MonthlyReport returns the report of a month that has ended.
	MonthlyReport(ctx context.Context, month Month) (MonthlyReport, error)
}

// UsageScale is the number of usage units per unit of an item's metering
// unit: UsageRecord.Quantity is in thousandths (milli-units).
const UsageScale = 1000

// Op names a mutating operation.
type Op string

// The mutating operations.
const (
	OpProvision Op = "provision" // 提供试用环境
	OpPromote   Op = "promote"   // 转为正式环境
	OpChange    Op = "change"    // 实施变更
	OpReclaim   Op = "reclaim"   // 回收资源
)

var opLabels = map[Op][2]string{
	OpProvision: {"提供试用环境", "provide trial environment"},
	OpPromote:   {"转为正式环境", "promote to formal environment"},
	OpChange:    {"实施变更", "apply change"},
	OpReclaim:   {"回收资源", "reclaim resources"},
}

// Valid reports whether o is one of the four operations.
func (o Op) Valid() bool { _, ok := opLabels[o]; return ok }

// String returns the Chinese label.
func (o Op) String() string {
	if l, ok := opLabels[o]; ok {
		return l[0]
	}
	return string(o)
}

// English returns the English label.
func (o Op) English() string {
	if l, ok := opLabels[o]; ok {
		return l[1]
	}
	return string(o)
}

// Item is one line of requested resources: a service catalog item code and a
// quantity in the item's unit (instances, vCPUs, GB …).
type Item struct {
	Code     string `json:"code"`
	Quantity int64  `json:"quantity"`
}

// Order identifies a mutating request: its idempotency key and the work
// order, application, department and vendor it belongs to.
type Order struct {
	// Key is the idempotency key: the same key means the same request.
	Key string `json:"key"`
	// WorkOrder is the platform's work order (工单) ID.
	WorkOrder string `json:"work_order"`
	// Application is the application (使用申请) ID; the provider keys the
	// environment by it.
	Application string `json:"application"`
	// Department is the department (使用单位) that uses the environment.
	Department string `json:"department"`
	// Vendor is the vendor the order is addressed to.
	Vendor string `json:"vendor"`
}

// ProvisionRequest asks for the trial environment (第九条).
type ProvisionRequest struct {
	Order
	// SystemName is the name of the system (应用系统) to be hosted.
	SystemName string `json:"system_name,omitempty"`
	// Zone is "private" (专有云) or "public" (公有云).
	Zone string `json:"zone,omitempty"`
	// SecurityLevel is the system's 等保 level, 1–5 (0: not given).
	SecurityLevel int `json:"security_level,omitempty"`
	// Items are the approved items; codes are unique, quantities positive.
	Items []Item `json:"items"`
}

// PromoteRequest asks to turn the trial environment into the formal one (第十条).
type PromoteRequest struct {
	Order
}

// ChangeRequest asks to apply an approved change (第十一条).
type ChangeRequest struct {
	Order
	// Items is the complete new list of items after the change; codes are
	// unique, quantities positive. It may be empty (nothing left running).
	Items []Item `json:"items"`
	// Major marks a 重大变更 (the platform has re-tested it).
	Major bool `json:"major,omitempty"`
}

// ReclaimRequest asks to reclaim every resource of the application (第十二条).
type ReclaimRequest struct {
	Order
}

// Ack is a provider's answer to a mutating call or a Poll.
type Ack struct {
	// Key is the request's idempotency key.
	Key string `json:"key"`
	// Op is the operation.
	Op Op `json:"op"`
	// Done is true when the operation has completed; Result is then set.
	Done bool `json:"done"`
	// Accepted is when the provider accepted the request.
	Accepted time.Time `json:"accepted"`
	// Expected is the provider's estimate of completion (zero: unknown).
	Expected time.Time `json:"expected,omitzero"`
	// Result is the outcome of a completed operation.
	Result *Result `json:"result,omitempty"`
}

// Result is the outcome of a completed mutating operation.
type Result struct {
	// Application is the application ID of the request.
	Application string `json:"application"`
	// Environment is the provider's ID of the application's environment
	// (stable from Provision to Reclaim).
	Environment string `json:"environment"`
	// Formal is true once the environment is the formal one (after Promote).
	Formal bool `json:"formal,omitempty"`
	// Resources are the resources running after the operation, ordered by
	// Item then ID; empty after Reclaim.
	Resources []Resource `json:"resources,omitempty"`
	// Completed is when the operation completed.
	Completed time.Time `json:"completed"`
	// Note is a free-text remark of the vendor (shown to people).
	Note string `json:"note,omitempty"`
}

// Resource is one delivered resource: the provider's ID of it, the catalog
// item it delivers and its quantity in the item's unit.
type Resource struct {
	ID       string `json:"id"`
	Item     string `json:"item"`
	Quantity int64  `json:"quantity"`
}

// Completion is an operation's outcome pushed to a CompletionSink: exactly
// one of Result and Error is set.
type Completion struct {
	Key         string         `json:"key"`
	Op          Op             `json:"op"`
	WorkOrder   string         `json:"work_order"`
	Application string         `json:"application"`
	Result      *Result        `json:"result,omitempty"`
	Error       *ProviderError `json:"error,omitempty"`
}

// Validate checks that exactly one of Result and Error is set and that the
// identifying fields are present.
func (c Completion) Validate() error {
	switch {
	case strings.TrimSpace(c.Key) == "":
		return invalid("Key", "is required")
	case !c.Op.Valid():
		return invalid("Op", fmt.Sprintf("%q is not an operation", c.Op))
	case strings.TrimSpace(c.Application) == "":
		return invalid("Application", "is required")
	case (c.Result == nil) == (c.Error == nil):
		return invalid("Result", "exactly one of Result and Error must be set")
	case c.Error != nil && !c.Error.Class.Valid():
		return invalid("Error.Class", fmt.Sprintf("%d is not an error class", c.Error.Class))
	}
	return nil
}

// Period is a half-open interval of time [Start, End).
type Period struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Validate checks that Start and End are set and Start is before End.
func (p Period) Validate() error {
	switch {
	case p.Start.IsZero():
		return invalid("Start", "is required")
	case p.End.IsZero():
		return invalid("End", "is required")
	case !p.Start.Before(p.End):
		return invalid("End", fmt.Sprintf("%s is not after Start %s", p.End.Format(time.RFC3339), p.Start.Format(time.RFC3339)))
	}
	return nil
}

// UsageQuery selects usage records.
type UsageQuery struct {
	Period
	// Application restricts the records to one application ("" = all).
	Application string `json:"application,omitempty"`
}

// UsageRecord is one metered quantity of one item of one application over
// [Start, End).
type UsageRecord struct {
	// Key identifies the record: the same usage is always reported under the
	// same key.
	Key         string `json:"key"`
	Application string `json:"application"`
	// Resource is the provider's resource ID, if the usage is of one resource.
	Resource string `json:"resource,omitempty"`
	// Item is the catalog item code.
	Item string `json:"item"`
	// Quantity is in thousandths of the item's metering unit (UsageScale).
	Quantity int64     `json:"quantity"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

// UtilisationQuery selects utilisation samples.
type UtilisationQuery struct {
	Period
	// Application restricts the samples to one application ("" = all).
	Application string `json:"application,omitempty"`
	// Step is the sampling interval the caller wants (0: the provider's own;
	// a provider may return a coarser one).
	Step time.Duration `json:"step,omitempty"`
}

// UtilisationSample is one measurement of one resource.
type UtilisationSample struct {
	Resource    string    `json:"resource"`
	Application string    `json:"application"`
	At          time.Time `json:"at"`
	// CPUPermille and MemoryPermille are utilisation in ‰ (0–1000).
	CPUPermille    int `json:"cpu_permille"`
	MemoryPermille int `json:"memory_permille"`
	// NetworkBytes is the traffic in and out since the previous sample.
	NetworkBytes int64 `json:"network_bytes"`
}

// Incident is an availability incident: service was impaired from Start to
// End (zero End: still open) for the listed applications.
type Incident struct {
	ID           string    `json:"id"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end,omitzero"`
	Applications []string  `json:"applications"`
	// Cause is the vendor's description of the cause (shown to people).
	Cause string `json:"cause"`
}

// Month is a calendar month, formatted "2006-01".
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth parses "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Month{}, invalid("Month", fmt.Sprintf("%q is not YYYY-MM", s))
	}
	m := Month{Year: t.Year(), Month: t.Month()}
	if !m.Valid() {
		return Month{}, invalid("Month", fmt.Sprintf("%q is not a month of years 1–9999", s))
	}
	return m, nil
}

// Valid reports whether m is a month between year 1 and 9999.
func (m Month) Valid() bool {
	return m.Year >= 1 && m.Year <= 9999 && m.Month >= time.January && m.Month <= time.December
}

// String returns "YYYY-MM".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Period returns the month in Beijing time: [first day 00:00, next month's first day 00:00).
func (m Month) Period() Period {
	start := time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, monthZone)
	return Period{Start: start, End: start.AddDate(0, 1, 0)}
}

// MarshalText implements encoding.TextMarshaler.
func (m Month) MarshalText() ([]byte, error) {
	if !m.Valid() {
		return nil, invalid("Month", fmt.Sprintf("%d-%d is not a month", m.Year, m.Month))
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

var monthZone = time.FixedZone("CST", 8*3600)

// MonthlyReport is the vendor's monthly report to departments and the
// authority: the resource-utilisation table, the O&M report and
// optimisation advice (第十五条), the security bulletin (第十九条) and whether
// the yearly emergency drill took place this month (第十九条).
type MonthlyReport struct {
	Vendor string `json:"vendor"`
	Month  Month  `json:"month"`
	// Utilisation is the resource-utilisation table, one row per resource,
	// ordered by Application then Resource.
	Utilisation []UtilisationRow `json:"utilisation"`
	// Operations is the O&M report (运维报告): incidents, availability, work done.
	Operations string `json:"operations"`
	// Advice is the optimisation advice (优化建议).
	Advice []Advice `json:"advice,omitempty"`
	// SecurityBulletin is the monthly security bulletin (安全公告).
	SecurityBulletin string `json:"security_bulletin"`
	// Drill is true when the emergency drill (应急演练) took place this month.
	Drill     bool   `json:"drill,omitempty"`
	DrillNote string `json:"drill_note,omitempty"`
}

// UtilisationRow is one line of the monthly utilisation table.
type UtilisationRow struct {
	Application string `json:"application"`
	Resource    string `json:"resource"`
	Item        string `json:"item"`
	Quantity    int64  `json:"quantity"`
	// Averages and peaks over the month in ‰.
	AvgCPUPermille     int   `json:"avg_cpu_permille"`
	PeakCPUPermille    int   `json:"peak_cpu_permille"`
	AvgMemoryPermille  int   `json:"avg_memory_permille"`
	PeakMemoryPermille int   `json:"peak_memory_permille"`
	NetworkBytes       int64 `json:"network_bytes"`
}

// AdviceKind classifies optimisation advice.
type AdviceKind string

// Kinds of advice (DESIGN glossary: Idle, Overprovisioned).
const (
	AdviceIdle             AdviceKind = "idle"             // 闲置: reclaim
	AdviceOverprovisioned  AdviceKind = "overprovisioned"  // 配置过度: downsize
	AdviceUnderprovisioned AdviceKind = "underprovisioned" // 配置不足: scale up
)

// Advice is one piece of optimisation advice about one resource.
type Advice struct {
	Application string     `json:"application"`
	Resource    string     `json:"resource"`
	Kind        AdviceKind `json:"kind"`
	// Text is the advice for people (Chinese first).
	Text string `json:"text"`
}

// ---- errors ----

// ErrorClass says whether an operation that failed may be retried.
type ErrorClass int

// The error classes. The zero value is invalid so that a forgotten class is
// caught by Validate.
const (
	ClassRetryable ErrorClass = 1 // 可重试
	ClassPermanent ErrorClass = 2 // 不可重试
)

// Valid reports whether c is ClassRetryable or ClassPermanent.
func (c ErrorClass) Valid() bool { return c == ClassRetryable || c == ClassPermanent }

// String returns the Chinese label.
func (c ErrorClass) String() string {
	switch c {
	case ClassRetryable:
		return "可重试"
	case ClassPermanent:
		return "不可重试"
	}
	return fmt.Sprintf("ErrorClass(%d)", int(c))
}

// English returns the English label.
func (c ErrorClass) English() string {
	switch c {
	case ClassRetryable:
		return "retryable"
	case ClassPermanent:
		return "permanent"
	}
	return fmt.Sprintf("ErrorClass(%d)", int(c))
}

// MarshalText encodes the class as "retryable" or "permanent".
func (c ErrorClass) MarshalText() ([]byte, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("govcloud: invalid error class %d", int(c))
	}
	return []byte(c.English()), nil
}

// UnmarshalText decodes "retryable" or "permanent".
func (c *ErrorClass) UnmarshalText(b []byte) error {
	switch string(b) {
	case "retryable":
		*c = ClassRetryable
	case "permanent":
		*c = ClassPermanent
	default:
		return fmt.Errorf("govcloud: invalid error class %q", b)
	}
	return nil
}

// Sentinel errors of the provider contract. A *ProviderError matches
// ErrRetryable or ErrPermanent by its class, and the others by its code.
var (
	ErrRetryable = errors.New("govcloud: retryable provider error")
	ErrPermanent = errors.New("govcloud: permanent provider error")
	// ErrInvalidRequest matches CodeInvalidRequest (a request that Validate rejects).
	ErrInvalidRequest = errors.New("govcloud: invalid provider request")
	// ErrIdempotencyConflict matches CodeIdempotencyConflict.
	ErrIdempotencyConflict = errors.New("govcloud: idempotency key reused with another request")
	// ErrUnsupported matches CodeUnsupported.
	ErrUnsupported = errors.New("govcloud: capability not supported by the provider")
)

// Error codes of ProviderError. Providers may use codes of their own; these
// are the ones the platform understands.
const (
	// Permanent codes.
	CodeInvalidRequest      = "invalid_request"      // the request is malformed (Field names what)
	CodeUnknownItem         = "unknown_item"         // a catalog item the vendor does not offer
	CodeIdempotencyConflict = "idempotency_conflict" // key reused with another request
	CodeNotFound            = "not_found"            // unknown application or operation key
	CodeInvalidState        = "invalid_state"        // operation out of order
	CodeUnauthorized        = "unauthorized"         // bad credentials or signature
	CodeUnsupported         = "unsupported"          // capability not available
	// Retryable codes.
	CodeTimeout     = "timeout"      // the vendor did not answer in time
	CodeUnavailable = "unavailable"  // the vendor's back-end is down (5xx)
	CodeRateLimited = "rate_limited" // too many requests (429)
	CodeBusy        = "busy"         // the previous operation is still running
	CodeCapacity    = "capacity"     // not enough capacity right now
	CodePartial     = "partial"      // part was delivered; send the key again
	CodeInternal    = "internal"     // an unexpected failure
)

// ProviderError is a classified provider failure.
type ProviderError struct {
	Class ErrorClass `json:"class"`
	// Code is machine-readable (one of the Code constants or the vendor's own).
	Code string `json:"code"`
	// Field names the request field at fault, if any.
	Field string `json:"field,omitempty"`
	// Msg is the message for people.
	Msg string `json:"message"`
	// RetryAfter is the vendor's hint for the next attempt (0: none).
	RetryAfter time.Duration `json:"-"`
}

// Error formats the error.
func (e *ProviderError) Error() string {
	var b strings.Builder
	b.WriteString("govcloud: provider: ")
	b.WriteString(e.Class.English())
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Is matches ErrRetryable / ErrPermanent by class and the other sentinels by code.
func (e *ProviderError) Is(target error) bool {
	switch target {
	case ErrRetryable:
		return e.Class == ClassRetryable
	case ErrPermanent:
		return e.Class == ClassPermanent
	case ErrInvalidRequest:
		return e.Code == CodeInvalidRequest
	case ErrIdempotencyConflict:
		return e.Code == CodeIdempotencyConflict
	case ErrUnsupported:
		return e.Code == CodeUnsupported
	}
	return false
}

// Retryable returns a retryable *ProviderError.
func Retryable(code, msg string) *ProviderError {
	return &ProviderError{Class: ClassRetryable, Code: code, Msg: msg}
}

// Permanent returns a permanent *ProviderError.
func Permanent(code, msg string) *ProviderError {
	return &ProviderError{Class: ClassPermanent, Code: code, Msg: msg}
}

func invalid(field, reason string) *ProviderError {
	return &ProviderError{Class: ClassPermanent, Code: CodeInvalidRequest, Field: field, Msg: reason}
}

// IsRetryable reports whether err may be retried: it matches ErrRetryable
// and is not a context error. nil is not retryable.
func IsRetryable(err error) bool {
	return err != nil && !isContextErr(err) && errors.Is(err, ErrRetryable)
}

// IsPermanent reports whether err matches ErrPermanent and is not a context error.
func IsPermanent(err error) bool {
	return err != nil && !isContextErr(err) && errors.Is(err, ErrPermanent)
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Classify returns err's class: 0 for nil and context errors (neither
// retryable nor permanent), the class of a *ProviderError in its chain, and
// ClassRetryable for any other error (an unexpected failure — a broken
// connection, a panic recovered — is assumed transient).
func Classify(err error) ErrorClass {
	if err == nil || isContextErr(err) {
		return 0
	}
	var pe *ProviderError
	if errors.As(err, &pe) && pe.Class.Valid() {
		return pe.Class
	}
	return ClassRetryable
}

// ---- validation ----

// Validate checks the fields every mutating request carries.
func (o Order) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"Key", o.Key}, {"WorkOrder", o.WorkOrder}, {"Application", o.Application},
		{"Department", o.Department}, {"Vendor", o.Vendor},
	} {
		if strings.TrimSpace(f.v) == "" {
			return invalid(f.name, "is required")
		}
		if len(f.v) > 200 {
			return invalid(f.name, fmt.Sprintf("is %d bytes long (at most 200)", len(f.v)))
		}
	}
	return nil
}

// Validate checks the request.
func (r ProvisionRequest) Validate() error {
	if err := r.Order.Validate(); err != nil {
		return err
	}
	switch r.Zone {
	case "", "private", "public":
	default:
		return invalid("Zone", fmt.Sprintf("%q is neither \"private\" nor \"public\"", r.Zone))
	}
	if r.SecurityLevel < 0 || r.SecurityLevel > 5 {
		return invalid("SecurityLevel", fmt.Sprintf("%d is not within 1–5", r.SecurityLevel))
	}
	if len(r.Items) == 0 {
		return invalid("Items", "is empty: nothing to provide")
	}
	return validateItems(r.Items)
}

// Validate checks the request.
func (r PromoteRequest) Validate() error { return r.Order.Validate() }

// Validate checks the request.
func (r ChangeRequest) Validate() error {
	if err := r.Order.Validate(); err != nil {
		return err
	}
	return validateItems(r.Items)
}

// Validate checks the request.
func (r ReclaimRequest) Validate() error { return r.Order.Validate() }

func validateItems(items []Item) error {
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		f := fmt.Sprintf("Items[%d]", i)
		switch {
		case strings.TrimSpace(it.Code) == "":
			return invalid(f+".Code", "is required")
		case seen[it.Code]:
			return invalid(f+".Code", fmt.Sprintf("%q appears twice", it.Code))
		case it.Quantity <= 0:
			return invalid(f+".Quantity", fmt.Sprintf("%d is not positive", it.Quantity))
		}
		seen[it.Code] = true
	}
	return nil
}

// ItemDelta is the difference for one item code between two item lists.
type ItemDelta struct {
	Code string `json:"code"`
	// From and To are the old and new quantities (0: absent).
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

// DiffItems returns the items whose quantity differs between old and new,
// ordered by code: From 0 is an addition, To 0 a removal, otherwise a resize.
// Quantities of a code listed twice are summed.
func DiffItems(old, new []Item) []ItemDelta {
	m := map[string]*ItemDelta{}
	get := func(c string) *ItemDelta {
		d := m[c]
		if d == nil {
			d = &ItemDelta{Code: c}
			m[c] = d
		}
		return d
	}
	for _, it := range old {
		get(it.Code).From += it.Quantity
	}
	for _, it := range new {
		get(it.Code).To += it.Quantity
	}
	var out []ItemDelta
	for _, d := range m {
		if d.From != d.To {
			out = append(out, *d)
		}
	}
	slices.SortFunc(out, func(a, b ItemDelta) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// RequestFingerprint returns a canonical string of a mutating request's
// content (operation, order and payload; item order does not matter) that a
// provider stores with the key to tell a retry (same fingerprint) from a
// conflicting reuse of the key (another fingerprint). req must be one of the
// four request types (value or pointer); anything else returns "".
func RequestFingerprint(req any) string {
	var b strings.Builder
	order := func(op Op, o Order) {
		fmt.Fprintf(&b, "%s|%q|%q|%q|%q|%q", op, o.Key, o.WorkOrder, o.Application, o.Department, o.Vendor)
	}
	items := func(its []Item) {
		s := slices.Clone(its)
		slices.SortFunc(s, func(a, b Item) int { return strings.Compare(a.Code, b.Code) })
		for _, it := range s {
			fmt.Fprintf(&b, "|%q=%d", it.Code, it.Quantity)
		}
	}
	switch r := req.(type) {
	case *ProvisionRequest:
		return RequestFingerprint(*r)
	case *PromoteRequest:
		return RequestFingerprint(*r)
	case *ChangeRequest:
		return RequestFingerprint(*r)
	case *ReclaimRequest:
		return RequestFingerprint(*r)
	case ProvisionRequest:
		order(OpProvision, r.Order)
		fmt.Fprintf(&b, "|%q|%q|%d", r.SystemName, r.Zone, r.SecurityLevel)
		items(r.Items)
	case PromoteRequest:
		order(OpPromote, r.Order)
	case ChangeRequest:
		order(OpChange, r.Order)
		fmt.Fprintf(&b, "|%t", r.Major)
		items(r.Items)
	case ReclaimRequest:
		order(OpReclaim, r.Order)
	default:
		return ""
	}
	return b.String()
}
