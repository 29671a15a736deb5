package govcloud

import "github.com/opengovcloud/govcloud/provider"

// The vendor contract lives in package provider (so that the dispatcher and
// the adapters, which the Platform wires, do not import this package); its
// names are re-exported here unchanged, as aliases: govcloud.Provider is
// provider.Provider. See package provider for how to implement a provider.

// The vendor contract (types of package provider, re-exported).
type (
	Provider            = provider.Provider
	Poller              = provider.Poller
	CompletionSink      = provider.CompletionSink
	CompletionSinkFunc  = provider.CompletionSinkFunc
	UsageReporter       = provider.UsageReporter
	UtilisationReporter = provider.UtilisationReporter
	IncidentReporter    = provider.IncidentReporter
	MonthlyReporter     = provider.MonthlyReporter
	Op                  = provider.Op
	Item                = provider.Item
	Order               = provider.Order
	ProvisionRequest    = provider.ProvisionRequest
	PromoteRequest      = provider.PromoteRequest
	ChangeRequest       = provider.ChangeRequest
	ReclaimRequest      = provider.ReclaimRequest
	Ack                 = provider.Ack
	Result              = provider.Result
	Resource            = provider.Resource
	Completion          = provider.Completion
	Period              = provider.Period
	UsageQuery          = provider.UsageQuery
	UsageRecord         = provider.UsageRecord
	UtilisationQuery    = provider.UtilisationQuery
	UtilisationSample   = provider.UtilisationSample
	Incident            = provider.Incident
	Month               = provider.Month
	MonthlyReport       = provider.MonthlyReport
	UtilisationRow      = provider.UtilisationRow
	AdviceKind          = provider.AdviceKind
	Advice              = provider.Advice
	ErrorClass          = provider.ErrorClass
	ProviderError       = provider.ProviderError
	ItemDelta           = provider.ItemDelta
)

// Constants of the vendor contract (see package provider).
const (
	UsageScale              = provider.UsageScale
	OpProvision             = provider.OpProvision
	OpPromote               = provider.OpPromote
	OpChange                = provider.OpChange
	OpReclaim               = provider.OpReclaim
	AdviceIdle              = provider.AdviceIdle
	AdviceOverprovisioned   = provider.AdviceOverprovisioned
	AdviceUnderprovisioned  = provider.AdviceUnderprovisioned
	ClassRetryable          = provider.ClassRetryable
	ClassPermanent          = provider.ClassPermanent
	CodeInvalidRequest      = provider.CodeInvalidRequest
	CodeUnknownItem         = provider.CodeUnknownItem
	CodeIdempotencyConflict = provider.CodeIdempotencyConflict
	CodeNotFound            = provider.CodeNotFound
	CodeInvalidState        = provider.CodeInvalidState
	CodeUnauthorized        = provider.CodeUnauthorized
	CodeUnsupported         = provider.CodeUnsupported
	CodeTimeout             = provider.CodeTimeout
	CodeUnavailable         = provider.CodeUnavailable
	CodeRateLimited         = provider.CodeRateLimited
	CodeBusy                = provider.CodeBusy
	CodeCapacity            = provider.CodeCapacity
	CodePartial             = provider.CodePartial
	CodeInternal            = provider.CodeInternal
)

// Errors of the vendor contract (see package provider).
var (
	ErrRetryable           = provider.ErrRetryable
	ErrPermanent           = provider.ErrPermanent
	ErrInvalidRequest      = provider.ErrInvalidRequest
	ErrIdempotencyConflict = provider.ErrIdempotencyConflict
	ErrUnsupported         = provider.ErrUnsupported
)

// ParseMonth is provider.ParseMonth.
func ParseMonth(s string) (provider.Month, error) { return provider.ParseMonth(s) }

// Retryable is provider.Retryable.
func Retryable(code string, msg string) *provider.ProviderError { return provider.Retryable(code, msg) }

// Permanent is provider.Permanent.
func Permanent(code string, msg string) *provider.ProviderError { return provider.Permanent(code, msg) }

// IsRetryable is provider.IsRetryable.
func IsRetryable(err error) bool { return provider.IsRetryable(err) }

// IsPermanent is provider.IsPermanent.
func IsPermanent(err error) bool { return provider.IsPermanent(err) }

// Classify is provider.Classify.
func Classify(err error) provider.ErrorClass { return provider.Classify(err) }

// DiffItems is provider.DiffItems.
func DiffItems(old []provider.Item, new []provider.Item) []provider.ItemDelta {
	return provider.DiffItems(old, new)
}

// RequestFingerprint is provider.RequestFingerprint.
func RequestFingerprint(req any) string { return provider.RequestFingerprint(req) }
