package govcloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// DefaultSQLitePath is the database file Open uses when neither
// Options.SQLitePath nor Options.PostgresDSN is set.
const DefaultSQLitePath = "govcloud.db"

// ErrInvalidOptions reports Options that Validate rejects; the error is an
// *OptionError naming the field.
var ErrInvalidOptions = errors.New("govcloud: invalid options")

// OptionError names the Options field that is wrong and why. It matches
// ErrInvalidOptions.
type OptionError struct {
	Field  string
	Reason string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("govcloud: invalid options: %s: %s", e.Field, e.Reason)
}

// Is reports whether target is ErrInvalidOptions.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }

// Options configures Open. The zero value is valid: a platform on the SQLite
// file "govcloud.db" with the Zhejiang policy, the official PRC calendar, the
// system clock and random UUIDs, and the quota ledger in the same database,
// moved in the same transaction as each transition (QuotaInTransaction).
type Options struct {
	// SQLitePath is the SQLite database file (default DefaultSQLitePath), or
	// ":memory:" for a database that lives only as long as the Platform.
	SQLitePath string
	// PostgresDSN, when set, puts the platform on PostgreSQL instead
	// ("postgres://user@host:5432/db?sslmode=disable" or key=value form).
	// Several platforms may share one PostgreSQL database (see
	// adapters/gormstore). Set at most one of SQLitePath and PostgresDSN.
	PostgresDSN string
	// MaxOpenConns bounds the database connection pool (0: the store's
	// default; see gormstore.Options).
	MaxOpenConns int
	// SQLiteSynchronous is SQLite's synchronous mode: "" or "NORMAL" (the
	// default), "FULL", or "OFF" for a throw-away database (simulations,
	// tests): OFF may lose recent transactions or corrupt the file on power
	// loss. See gormstore.Options.SQLiteSynchronous. Not allowed with
	// PostgresDSN.
	SQLiteSynchronous string
	// SQLiteExclusive holds the SQLite file on one connection for reads and
	// writes, exclusively: much faster for a single-process batch job that
	// calls the platform from one goroutine at a time (a simulation, an
	// import), but no other process may open the file meanwhile and no
	// background workers should run. See gormstore.Options.SQLiteExclusive.
	// Not allowed with PostgresDSN or ":memory:".
	SQLiteExclusive bool

	// Policy parameterises the application lifecycle (nil:
	// workflow.ZhejiangPreset()).
	Policy *workflow.Policy
	// Calendar counts working days (nil: calendar.China()).
	Calendar workflow.Calendar
	// Clock gives the current instant (nil: workflow.SystemClock).
	Clock workflow.Clock
	// IDs generates identifiers (nil: workflow.UUIDs).
	IDs workflow.IDGenerator
	// Participants join every workflow transition's transaction, after the
	// platform's own. They receive the store's transaction (a *gorm.DB).
	Participants []workflow.Participant

	// Logger receives the database's migration and slow-query logs (nil: silent).
	Logger *slog.Logger

	// QuotaStore holds the quota ledger (配额台账). nil (the default) keeps
	// it in the platform's own database, next to the workflow, which allows
	// QuotaInTransaction. Set it (e.g. memstore.NewQuotaStore() or another
	// database's gormstore QuotaStore) to keep quota elsewhere; quota then
	// follows the workflow through the outbox (QuotaViaOutbox).
	QuotaStore quota.Store
	// QuotaMode chooses how quota movements follow transitions (zero:
	// QuotaAuto). See QuotaMode.
	QuotaMode QuotaMode
	// QuotaHoldTTL is the time-to-live of the hold placed at approval (0:
	// quota.DefaultHoldTTL, 45 days). The hold is extended when the trial
	// starts, is extended or ends (see QuotaHoldMargin).
	QuotaHoldTTL time.Duration
	// QuotaHoldMargin is how long a hold outlives the trial's end (0:
	// DefaultHoldMargin): time for the final review.
	QuotaHoldMargin time.Duration
	// Footprints maps catalog item codes to the resources one unit takes
	// (nil: the billing catalog's item footprints, or DefaultFootprints()
	// while the catalog holds no item).
	Footprints ItemFootprints
	// DepartmentPool names the quota pool of a department (nil:
	// DepartmentPoolID, "dept:<department>").
	DepartmentPool func(department string) quota.PoolID
	// CheckQuotaAtSubmit refuses a submission (and a resubmission) whose
	// items do not fit what the department's pool has free, with
	// quota.ErrQuotaExceeded, instead of waiting for the approval. Off by
	// default: a department may apply first and have its quota raised before
	// approval.
	CheckQuotaAtSubmit bool

	// Billing configures billing (计费结算): where it is kept, how metering
	// follows the lifecycle, whether the trial is billed, and the budget
	// check of cost quotes. The zero value is valid; see BillingOptions.
	Billing BillingOptions

	// Providers maps a vendor ID (workflow.SubmitRequest.Vendor) to the
	// Provider that reaches it (云服务商接口). When set, the platform runs a
	// dispatcher that delivers work orders to the vendors (see
	// Platform.Dispatcher); nil: work orders are completed by other means.
	Providers map[string]Provider
	// Vendors configures the dispatcher and the vendors' completion
	// callbacks. The zero value is valid; see VendorOptions.
	Vendors VendorOptions

	// Assessment configures the assessment of departments and vendors
	// (考核评价): schemes, options and the sources the platform does not
	// hold. The zero value is valid; see AssessmentOptions.
	Assessment AssessmentOptions
}

// Validate reports the first wrong field as an *OptionError (for a bad
// policy, one that wraps the policy's own error).
func (o Options) Validate() error {
	if o.SQLitePath != "" && o.PostgresDSN != "" {
		return &OptionError{Field: "PostgresDSN", Reason: "set together with SQLitePath: choose one database"}
	}
	if o.SQLitePath != "" && strings.TrimSpace(o.SQLitePath) == "" {
		return &OptionError{Field: "SQLitePath", Reason: "blank"}
	}
	if o.PostgresDSN != "" && strings.TrimSpace(o.PostgresDSN) == "" {
		return &OptionError{Field: "PostgresDSN", Reason: "blank"}
	}
	if o.MaxOpenConns < 0 {
		return &OptionError{Field: "MaxOpenConns", Reason: fmt.Sprintf("negative (%d)", o.MaxOpenConns)}
	}
	if err := o.storeOptions().Validate(); err != nil {
		var oe *gormstore.OptionError
		if errors.As(err, &oe) {
			field := "SQLitePath"
			if o.PostgresDSN != "" {
				field = "PostgresDSN"
			}
			if oe.Field != "DSN" {
				field = oe.Field
			}
			return &OptionError{Field: field, Reason: oe.Reason}
		}
		return err
	}
	if o.Policy != nil {
		if err := o.Policy.Validate(); err != nil {
			return fmt.Errorf("%w: %w", &OptionError{Field: "Policy", Reason: "does not validate"}, err)
		}
	}
	for i, p := range o.Participants {
		if p == nil {
			return &OptionError{Field: fmt.Sprintf("Participants[%d]", i), Reason: "nil"}
		}
	}
	switch o.QuotaMode {
	case QuotaAuto, QuotaViaOutbox:
	case QuotaInTransaction:
		if o.QuotaStore != nil {
			return &OptionError{Field: "QuotaMode", Reason: "in-transaction quota needs the ledger in the platform's database (QuotaStore must be nil)"}
		}
	default:
		return &OptionError{Field: "QuotaMode", Reason: fmt.Sprintf("unknown mode %d", int(o.QuotaMode))}
	}
	if o.QuotaHoldTTL < 0 {
		return &OptionError{Field: "QuotaHoldTTL", Reason: fmt.Sprintf("negative (%v)", o.QuotaHoldTTL)}
	}
	if o.QuotaHoldMargin < 0 {
		return &OptionError{Field: "QuotaHoldMargin", Reason: fmt.Sprintf("negative (%v)", o.QuotaHoldMargin)}
	}
	if err := o.Billing.Validate(); err != nil {
		return err
	}
	if err := o.Vendors.validate(o.Providers); err != nil {
		return err
	}
	if err := o.Assessment.Validate(); err != nil {
		return err
	}
	return nil
}

// storeOptions maps o to the database options.
func (o Options) storeOptions() gormstore.Options {
	so := gormstore.Options{MaxOpenConns: o.MaxOpenConns, Logger: o.Logger, SQLiteSynchronous: o.SQLiteSynchronous,
		SQLiteExclusive: o.SQLiteExclusive}
	switch {
	case o.PostgresDSN != "":
		so.Driver, so.DSN = gormstore.Postgres, o.PostgresDSN
	case o.SQLitePath != "":
		so.Driver, so.DSN = gormstore.SQLite, o.SQLitePath
	default:
		so.Driver, so.DSN = gormstore.SQLite, DefaultSQLitePath
	}
	return so
}

// withDefaults returns o with every nil dependency replaced by its default.
func (o Options) withDefaults() Options {
	if o.Policy == nil {
		p := workflow.ZhejiangPreset()
		o.Policy = &p
	}
	if o.Calendar == nil {
		o.Calendar = calendar.China()
	}
	if o.Clock == nil {
		o.Clock = workflow.SystemClock{}
	}
	if o.IDs == nil {
		o.IDs = workflow.UUIDs{}
	}
	// Footprints stays nil here: openBilling installs the billing catalog's.
	if o.DepartmentPool == nil {
		o.DepartmentPool = DepartmentPoolID
	}
	if o.QuotaHoldMargin == 0 {
		o.QuotaHoldMargin = DefaultHoldMargin
	}
	if o.Billing.DeductionTiers == nil { // billing credits what the assessment finds
		o.Billing.DeductionTiers = CreditDeductionTiers(o.Assessment.vendorOptions().Credits)
	}
	return o
}

// Platform is one government cloud (政务云): its database and the engines
// that run on it. It is safe for concurrent use; several Platforms (in one
// or several processes) may share one PostgreSQL database.
//
// Quota (配额) follows every application: the approval reserves its
// resources in the department's pool (a hold with a time-to-live), the
// activation commits them, an approved change adjusts them, and denial,
// trial failure, expiry and the reclaim after termination release them,
// each movement recorded in the ledger (Quota) with the application and the
// transition that caused it. By default the ledger lives in the platform's
// database and each movement is written in the same transaction as its
// transition, so an approval the department's quota cannot cover fails
// with quota.ErrQuotaExceeded and nothing is written. See QuotaMode for the
// alternative (a ledger elsewhere, kept up to date from the outbox). Set up
// the pools with CreatePlatformPool, CreateTierPool and
// CreateDepartmentPool; run Quota().ExpireHolds periodically (e.g. daily)
// to return holds whose time-to-live has passed.
type Platform struct {
	opts     Options
	db       *gormstore.DB
	workflow *workflow.Engine
	relay    *workflow.Relay
	quota    *quotaWiring
	billing  *billingWiring
	vendors  *vendorWiring
	closers  []func() error
}

// Open validates opts, opens (and migrates) the database and wires the
// engines. Close the Platform when done.
func Open(ctx context.Context, opts Options) (*Platform, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	p := &Platform{opts: opts.withDefaults()}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"database", p.openDatabase},
		{"billing", p.openBilling}, // before quota: it provides the item footprints
		{"quota", p.openQuota},
		{"workflow", p.openWorkflow},
		{"vendors", p.openVendors}, // after workflow: completions go to the engine
		// Later areas (billing, vendors, assessment) add a step here;
		// an area that must act inside transitions adds its participant in
		// participants below.
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			p.Close()
			return nil, fmt.Errorf("govcloud: open %s: %w", s.name, err)
		}
	}
	return p, nil
}

func (p *Platform) openDatabase(ctx context.Context) error {
	db, err := gormstore.Open(ctx, p.opts.storeOptions())
	if err != nil {
		return err
	}
	p.db = db
	p.closers = append(p.closers, db.Close)
	return nil
}

// participants lists the transaction participants of the workflow engine:
// the platform's own areas first, then Options.Participants.
func (p *Platform) participants() []workflow.Participant {
	ps := []workflow.Participant{p.billing.participant(), p.quota.participant()}
	return append(ps, p.opts.Participants...)
}

func (p *Platform) openWorkflow(context.Context) error {
	store := p.db.Workflow()
	eng, err := workflow.New(workflow.Options{
		Store:        store,
		Policy:       *p.opts.Policy,
		Calendar:     p.opts.Calendar,
		Clock:        p.opts.Clock,
		IDs:          p.opts.IDs,
		Participants: p.participants(),
	})
	if err != nil {
		return err
	}
	relay, err := workflow.NewRelay(workflow.RelayOptions{Store: store, Clock: p.opts.Clock, IDs: p.opts.IDs})
	if err != nil {
		return err
	}
	p.workflow, p.relay = eng, relay
	return nil
}

// Workflow returns the engine that runs applications (使用申请).
func (p *Platform) Workflow() *workflow.Engine { return p.workflow }

// Relay returns the outbox relay that delivers committed transitions to
// subscribers (Relay().Run(ctx, onError, subscribers...)).
func (p *Platform) Relay() *workflow.Relay { return p.relay }

// Database returns the platform's database, for stores of areas the
// Platform does not wire yet and for operations (applied migrations).
func (p *Platform) Database() *gormstore.DB { return p.db }

// Close releases the database. The Platform is unusable afterwards.
func (p *Platform) Close() error {
	var errs []error
	for i := len(p.closers) - 1; i >= 0; i-- {
		errs = append(errs, p.closers[i]())
	}
	p.closers = nil
	return errors.Join(errs...)
}
