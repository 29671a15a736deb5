package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow"
)

// WorkOrders reads work orders (workflow.Store satisfies it).
type WorkOrders interface {
	GetWorkOrder(ctx context.Context, id string) (workflow.WorkOrder, error)
}

// Completer reports a vendor's completion to the workflow
// (*workflow.Engine satisfies it). It must be idempotent for an equal
// completion.
type Completer interface {
	CompleteWorkOrder(ctx context.Context, actor workflow.Actor, workOrderID string, c workflow.Completion) (workflow.Application, error)
}

// Clock gives the current instant.
type Clock interface{ Now() time.Time }

// OptionError names a wrong Options field; it matches ErrInvalidOptions.
type OptionError struct{ Field, Reason string }

func (e *OptionError) Error() string {
	return "dispatch: invalid options: " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidOptions.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }

// Options configures a Dispatcher.
type Options struct {
	// Store keeps jobs and attempts (required).
	Store Store
	// Providers maps a vendor ID to its provider (required, at least one).
	Providers map[string]govcloud.Provider
	// WorkOrders and Completer connect to the workflow (required).
	WorkOrders WorkOrders
	Completer  Completer
	// Clock (required): time is injected.
	Clock Clock
	// Owner names this dispatcher instance in leases and attempts (required,
	// unique per running instance, e.g. host/pid).
	Owner string
	// Seed makes the backoff jitter reproducible.
	Seed uint64
	// BaseBackoff is the first retry delay (default 1 minute); it doubles per
	// attempt up to MaxBackoff (default 1 hour), with jitter in [½, 1] of it.
	BaseBackoff, MaxBackoff time.Duration
	// MaxAttempts bounds the retryable failures of one job before it is
	// raised to the operator (default 12).
	MaxAttempts int
	// PollInterval is the pause between polls of an acknowledged operation
	// (default 10 minutes; the vendor's Expected estimate is used when later).
	PollInterval time.Duration
	// Lease is how long a job is reserved for one attempt (default 2 minutes);
	// it must exceed the provider's call timeout.
	Lease time.Duration
	// Batch is the most jobs leased per round (default 16).
	Batch int
	// OnFailure, if set, is called when a job is raised to the operator.
	OnFailure func(Job)
}

// Validate reports the first wrong field.
func (o *Options) Validate() error {
	switch {
	case o.Store == nil:
		return &OptionError{"Store", "is required"}
	case len(o.Providers) == 0:
		return &OptionError{"Providers", "at least one vendor's provider is required"}
	case o.WorkOrders == nil:
		return &OptionError{"WorkOrders", "is required"}
	case o.Completer == nil:
		return &OptionError{"Completer", "is required"}
	case o.Clock == nil:
		return &OptionError{"Clock", "is required"}
	case strings.TrimSpace(o.Owner) == "":
		return &OptionError{"Owner", "is required"}
	case o.BaseBackoff < 0 || o.MaxBackoff < 0 || o.PollInterval < 0 || o.Lease < 0:
		return &OptionError{"BaseBackoff", "durations must not be negative"}
	case o.MaxBackoff > 0 && o.BaseBackoff > o.MaxBackoff:
		return &OptionError{"MaxBackoff", "smaller than BaseBackoff"}
	case o.MaxAttempts < 0 || o.Batch < 0:
		return &OptionError{"MaxAttempts", "must not be negative"}
	}
	for v, p := range o.Providers {
		if p == nil {
			return &OptionError{fmt.Sprintf("Providers[%q]", v), "nil"}
		}
	}
	return nil
}

// Dispatcher turns work orders into provider calls. It is a
// workflow.Subscriber (Handle enqueues jobs from committed transitions) and
// a worker (RunOnce / Run send, poll and retry them).
type Dispatcher struct{ o Options }

// New validates o and returns a Dispatcher.
func New(o Options) (*Dispatcher, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.BaseBackoff == 0 {
		o.BaseBackoff = time.Minute
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = time.Hour
	}
	if o.BaseBackoff > o.MaxBackoff {
		o.BaseBackoff = o.MaxBackoff
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 12
	}
	if o.PollInterval == 0 {
		o.PollInterval = 10 * time.Minute
	}
	if o.Lease == 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Batch == 0 {
		o.Batch = 16
	}
	return &Dispatcher{o: o}, nil
}

// SubscriberName is the outbox subscriber name of the dispatcher.
const SubscriberName = "govcloud.dispatch"

// Name implements workflow.Subscriber.
func (d *Dispatcher) Name() string { return SubscriberName }

// Handle implements workflow.Subscriber: a transition that opens a work
// order (trial environment, change, reclaim) or activates an application
// (promotion) becomes a job. Other transitions are ignored. Redelivery is
// harmless: Enqueue is idempotent.
func (d *Dispatcher) Handle(ctx context.Context, t workflow.Transition, _ workflow.Delivery) error {
	j, ok, err := d.jobOf(ctx, t)
	if err != nil || !ok {
		return err
	}
	return d.o.Store.Enqueue(ctx, j)
}

func items(its []workflow.Item) []govcloud.Item {
	out := make([]govcloud.Item, 0, len(its))
	for _, it := range its {
		out = append(out, govcloud.Item{Code: it.Code, Quantity: it.Quantity})
	}
	return out
}

// PromoteKey is the key of an application's promotion job (go-live, 第十条):
// "<application ID>/promote". An application is promoted once.
func PromoteKey(application string) string { return application + "/promote" }

// jobOf derives the job of a transition, if any.
func (d *Dispatcher) jobOf(ctx context.Context, t workflow.Transition) (Job, bool, error) {
	j := Job{Application: t.ApplicationID, Seq: t.Seq, Vendor: t.Vendor, Status: StatusPending, NextAt: t.At, CreatedAt: t.At, UpdatedAt: t.At}
	order := govcloud.Order{WorkOrder: t.WorkOrder, Application: t.ApplicationID, Department: t.Department, Vendor: t.Vendor}
	var req any
	switch {
	case t.Trigger == workflow.TriggerActivate && t.From == workflow.StateFinalReview:
		// Go-live (第十条): the trial environment becomes the formal one, once per
		// application. A major change's retest also ends in final review and
		// activation, but the environment is formal already: that is no promotion.
		// The job is keyed by application, so the first activation's job (or its
		// redelivery) is found and nothing new is enqueued.
		j.Key = PromoteKey(t.ApplicationID)
		switch _, err := d.o.Store.Get(ctx, j.Key); {
		case err == nil:
			return Job{}, false, nil
		case !errors.Is(err, ErrNotFound):
			return Job{}, false, fmt.Errorf("dispatch: promotion of %q: %w", t.ApplicationID, err)
		}
		order.Key, order.WorkOrder = j.Key, j.Key
		j.Op, req = govcloud.OpPromote, govcloud.PromoteRequest{Order: order}
	case t.WorkOrder != "":
		wo, err := d.o.WorkOrders.GetWorkOrder(ctx, t.WorkOrder)
		if err != nil {
			return Job{}, false, fmt.Errorf("dispatch: work order %q of transition %q: %w", t.WorkOrder, t.IdempotencyKey, err)
		}
		if wo.Trigger == t.Trigger {
			return Job{}, false, nil // this transition completed the work order
		}
		j.Key, j.WorkOrder, j.Due = "wo/"+wo.ID, wo.ID, wo.Due
		order.Key = j.Key
		switch wo.Kind {
		case workflow.WorkOrderTrialEnvironment:
			j.Op, req = govcloud.OpProvision, govcloud.ProvisionRequest{Order: order, Zone: string(t.Zone),
				SecurityLevel: t.SecurityLevel, Items: items(t.Items)}
		case workflow.WorkOrderChange:
			if t.Change == nil {
				return Job{}, false, fmt.Errorf("%w: change work order %q without a change", ErrInvalidJob, wo.ID)
			}
			j.Op, req = govcloud.OpChange, govcloud.ChangeRequest{Order: order, Items: items(t.Change.Items), Major: t.Change.Major}
		case workflow.WorkOrderReclaim:
			j.Op, req = govcloud.OpReclaim, govcloud.ReclaimRequest{Order: order}
		default:
			return Job{}, false, fmt.Errorf("%w: work order %q of unknown kind %q", ErrInvalidJob, wo.ID, wo.Kind)
		}
	default:
		return Job{}, false, nil
	}
	b, err := json.Marshal(req)
	if err != nil {
		return Job{}, false, err
	}
	j.Request = b
	return j, true, nil
}

// NextDue returns the earliest instant after the clock's now at which a
// pending or waiting job falls due (false: none). A caller driving RunOnce
// itself (a simulation, a scheduler) first calls RunOnce until it attempts
// fewer jobs than its batch, then again at NextDue, and at least once per
// lease period (expired leases are not reported; see Store.NextDue).
func (d *Dispatcher) NextDue(ctx context.Context) (time.Time, bool, error) {
	return d.o.Store.NextDue(ctx, d.o.Clock.Now())
}

// RunOnce leases one batch of due jobs and makes one attempt on each. It
// returns how many jobs it attempted; store errors are returned, provider
// errors are recorded.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	now := d.o.Clock.Now()
	jobs, err := d.o.Store.Lease(ctx, d.o.Owner, now, now.Add(d.o.Lease), d.o.Batch)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, j := range jobs {
		if err := d.attempt(ctx, j); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if !errors.Is(err, ErrLeaseLost) {
				errs = append(errs, err)
			}
		}
	}
	return len(jobs), errors.Join(errs...)
}

// Run calls RunOnce until ctx ends, pausing idle when nothing was due.
// idle is a real-time pause (the clock may be simulated).
func (d *Dispatcher) Run(ctx context.Context, idle time.Duration, onError func(error)) error {
	for {
		n, err := d.RunOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && onError != nil {
			onError(err)
		}
		if n == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(idle):
			}
		}
	}
}

func (d *Dispatcher) attempt(ctx context.Context, j Job) error {
	p := d.o.Providers[j.Vendor]
	a := Attempt{JobKey: j.Key, N: j.Attempts + 1, At: d.o.Clock.Now(), Owner: d.o.Owner, Poll: j.Status == StatusWaiting}
	var ack govcloud.Ack
	var err error
	if p == nil {
		err = govcloud.Permanent(govcloud.CodeInvalidRequest, fmt.Sprintf("没有服务商 %q 的接口 (no provider for vendor)", j.Vendor))
	} else if j.Status == StatusWaiting {
		poller, ok := p.(govcloud.Poller)
		if !ok {
			err = govcloud.Permanent(govcloud.CodeUnsupported, "服务商不支持查询 (provider acknowledged without completing but is no Poller)")
		} else {
			ack, err = poller.Poll(ctx, j.Key)
		}
	} else {
		ack, err = send(ctx, p, j)
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // cancelled: no attempt recorded, the lease expires
	}
	now := d.o.Clock.Now()
	j.UpdatedAt = now
	switch {
	case err == nil && ack.Done:
		if err := d.complete(ctx, j, ack); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A refusal is raised at once; a failure (database, a
			// concurrent transition) is retried later: the provider
			// replays the same result for the same key.
			return d.fail(ctx, j, a, d.completionError(ctx, j, err), now)
		}
		j.Status, j.LastError, j.LastCode = StatusDone, "", ""
		a.Outcome = OutcomeDone
	case err == nil:
		j.Status = StatusWaiting
		next := now.Add(d.o.PollInterval)
		if ack.Expected.After(next) {
			next = ack.Expected
		}
		j.NextAt = next
		a.Outcome = OutcomeAccepted
	default:
		return d.fail(ctx, j, a, err, now)
	}
	return d.o.Store.Record(ctx, d.o.Owner, j, a)
}

func (d *Dispatcher) fail(ctx context.Context, j Job, a Attempt, err error, now time.Time) error {
	var pe *govcloud.ProviderError
	if errors.As(err, &pe) {
		a.Code = pe.Code
	}
	a.Message = err.Error()
	j.LastError, j.LastCode = err.Error(), a.Code
	j.Attempts++
	switch {
	case govcloud.IsPermanent(err):
		j.Status, a.Outcome = StatusFailed, OutcomePermanent
	case j.Attempts >= d.o.MaxAttempts:
		j.Status, a.Outcome = StatusFailed, OutcomeGaveUp
		j.LastError = fmt.Sprintf("重试 %d 次后放弃 (gave up after %d attempts): %v", j.Attempts, j.Attempts, err)
	default:
		// Retry: the same request with the same key (also after a failed
		// poll: re-sending is idempotent and resumes a partial delivery).
		j.Status, a.Outcome = StatusPending, OutcomeRetryable
		delay := d.Backoff(j.Key, j.Attempts)
		if pe != nil && pe.RetryAfter > delay {
			delay = pe.RetryAfter
		}
		j.NextAt = now.Add(delay)
	}
	if rerr := d.o.Store.Record(ctx, d.o.Owner, j, a); rerr != nil {
		return rerr
	}
	if j.Status == StatusFailed && d.o.OnFailure != nil {
		d.o.OnFailure(j)
	}
	return nil
}

// Backoff is the delay after the n-th failed attempt of a job: BaseBackoff ×
// 2^(n−1), capped at MaxBackoff, times a jitter factor in [½, 1] drawn from
// the seed and the job's key (reproducible, and different jobs spread out).
func (d *Dispatcher) Backoff(key string, n int) time.Duration {
	b := d.o.BaseBackoff
	for i := 1; i < n && b < d.o.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.o.MaxBackoff)
	half := b / 2
	if half <= 0 {
		return b
	}
	return half + time.Duration(jitter(d.o.Seed, key, n)%uint64(half+1))
}

func jitter(seed uint64, key string, n int) uint64 {
	h := uint64(14695981039346656037) ^ seed
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	h ^= uint64(n)
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 31
	h *= 0x94d049bb133111eb
	h ^= h >> 29
	return h
}

func send(ctx context.Context, p govcloud.Provider, j Job) (govcloud.Ack, error) {
	bad := func(err error) error {
		return govcloud.Permanent(govcloud.CodeInvalidRequest, fmt.Sprintf("任务 %q 的请求无法解码 (stored request unreadable): %v", j.Key, err))
	}
	switch j.Op {
	case govcloud.OpProvision:
		var r govcloud.ProvisionRequest
		if err := json.Unmarshal(j.Request, &r); err != nil {
			return govcloud.Ack{}, bad(err)
		}
		return p.Provision(ctx, r)
	case govcloud.OpPromote:
		var r govcloud.PromoteRequest
		if err := json.Unmarshal(j.Request, &r); err != nil {
			return govcloud.Ack{}, bad(err)
		}
		return p.Promote(ctx, r)
	case govcloud.OpChange:
		var r govcloud.ChangeRequest
		if err := json.Unmarshal(j.Request, &r); err != nil {
			return govcloud.Ack{}, bad(err)
		}
		return p.Change(ctx, r)
	case govcloud.OpReclaim:
		var r govcloud.ReclaimRequest
		if err := json.Unmarshal(j.Request, &r); err != nil {
			return govcloud.Ack{}, bad(err)
		}
		return p.Reclaim(ctx, r)
	}
	return govcloud.Ack{}, bad(fmt.Errorf("unknown op %q", j.Op))
}

// complete reports a done job to the workflow (promotions have no work order).
func (d *Dispatcher) complete(ctx context.Context, j Job, ack govcloud.Ack) error {
	if j.WorkOrder == "" {
		return nil
	}
	note := ""
	if ack.Result != nil {
		note = fmt.Sprintf("环境 %s,资源 %d 项", ack.Result.Environment, len(ack.Result.Resources))
		if ack.Result.Note != "" {
			note += ";" + ack.Result.Note
		}
	}
	_, err := d.o.Completer.CompleteWorkOrder(ctx, workflow.Actor{Role: workflow.RoleVendor, ID: j.Vendor}, j.WorkOrder,
		workflow.Completion{Key: j.Key, Note: note})
	return err
}

// completionError classifies an error of Completer.CompleteWorkOrder. The
// workflow refuses a completion for good when the application moved on (the
// work order is no longer its open one), the vendor may not complete it, the
// work order is unknown, or it was already completed with another
// completion: retrying cannot help, so the job is raised to the operator at
// once (CodeInvalidState). Any other failure — the database, or a
// concurrent transition that won the optimistic version check — is
// retryable.
func (d *Dispatcher) completionError(ctx context.Context, j Job, err error) error {
	refused := func() error {
		return govcloud.Permanent(govcloud.CodeInvalidState, fmt.Sprintf("工作流拒绝记录工单 %s 的完成 (the workflow refused the completion of work order %s): %v", j.WorkOrder, j.WorkOrder, err))
	}
	switch {
	case errors.Is(err, workflow.ErrInvalidTrigger), errors.Is(err, workflow.ErrForbidden), errors.Is(err, workflow.ErrNotFound),
		errors.Is(err, workflow.ErrInvalidInput), errors.Is(err, workflow.ErrMissingMaterial), errors.Is(err, workflow.ErrTampered):
		return refused()
	case errors.Is(err, workflow.ErrConflict):
		// Completed with another completion (permanent), or lost a race
		// with a concurrent transition (retryable).
		if wo, gerr := d.o.WorkOrders.GetWorkOrder(ctx, j.WorkOrder); gerr == nil && wo.Status == workflow.WorkOrderDone {
			return refused()
		}
	}
	return govcloud.Retryable(govcloud.CodeInternal, "工作流记录完成失败 (workflow completion failed): "+err.Error())
}

// Failures returns the jobs raised to the operator (permanent failures and
// exhausted retries), ordered by application.
func (d *Dispatcher) Failures(ctx context.Context) ([]Job, error) {
	return d.o.Store.List(ctx, StatusFailed)
}

// Retry puts a failed job back to pending (the operator fixed the cause).
func (d *Dispatcher) Retry(ctx context.Context, key string) error {
	return d.o.Store.Resolve(ctx, key, StatusPending, d.o.Clock.Now())
}

// Abandon gives up a failed job so that the application's later jobs can run.
func (d *Dispatcher) Abandon(ctx context.Context, key string) error {
	return d.o.Store.Resolve(ctx, key, StatusAbandoned, d.o.Clock.Now())
}

// Complete implements govcloud.CompletionSink: a completion pushed by a
// vendor (e.g. through httpprovider.CallbackHandler) makes its job due at
// once, so the dispatcher polls it on its next round. Poll stays the source
// of truth: the pushed content is not trusted beyond its key, and a
// completion pushed twice is harmless.
func (d *Dispatcher) Complete(ctx context.Context, c govcloud.Completion) error {
	if err := c.Validate(); err != nil {
		return err
	}
	err := d.o.Store.Nudge(ctx, c.Key, d.o.Clock.Now())
	if errors.Is(err, ErrNotFound) {
		return govcloud.Permanent(govcloud.CodeNotFound, fmt.Sprintf("没有键为 %q 的任务 (no job with this key)", c.Key))
	}
	return err
}
