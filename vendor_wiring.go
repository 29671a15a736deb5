package govcloud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/adapters/httpprovider"
	"github.com/opengovcloud/govcloud/dispatch"
	"github.com/opengovcloud/govcloud/workflow"
)

// ErrNoVendors is returned by the vendor operations of a Platform opened
// without Options.Providers.
var ErrNoVendors = errors.New("govcloud: no vendor providers configured (Options.Providers)")

// ErrNoCallbackSecret is returned by CallbackHandler when
// VendorOptions.CallbackSecret is not set.
var ErrNoCallbackSecret = errors.New("govcloud: vendor callbacks need VendorOptions.CallbackSecret")

// NoncePurgeInterval is how often (in the platform's clock) DispatchOnce and
// RunWorkers delete the expired nonces of signed callbacks.
const NoncePurgeInterval = time.Hour

// VendorOptions configures the dispatcher that delivers work orders (工单)
// to the vendors of Options.Providers, and the endpoint where vendors push
// completions. The zero value is valid: the dispatcher's defaults (see
// dispatch.Options) and no callback endpoint.
type VendorOptions struct {
	// Owner names this platform instance in the dispatcher's leases and
	// attempt records; unique per running instance (default: "platform-"
	// followed by an ID from Options.IDs).
	Owner string
	// Seed makes the retry jitter reproducible.
	Seed uint64
	// BaseBackoff, MaxBackoff: retry delays (0: 1 minute, 1 hour).
	BaseBackoff, MaxBackoff time.Duration
	// MaxAttempts bounds the retryable failures of one work order before it
	// is raised to the operator (0: 12).
	MaxAttempts int
	// PollInterval is the pause between polls of an acknowledged work order
	// (0: 10 minutes; later if the vendor estimates a later completion).
	PollInterval time.Duration
	// Lease is how long one attempt reserves a work order (0: 2 minutes);
	// it must exceed a provider call's timeout.
	Lease time.Duration
	// Batch is the most work orders attempted per round (0: 16).
	Batch int
	// OnFailure, if set, is called when a work order is raised to the
	// operator (a permanent failure, a refused completion, or retries
	// exhausted). The list stays in VendorFailures.
	OnFailure func(dispatch.Job)
	// CallbackSecret is the HMAC key shared with the vendors that push
	// completions (at least 32 bytes). Unset: CallbackHandler is not
	// available (the dispatcher polls).
	CallbackSecret []byte
	// CallbackWindow is the accepted clock skew of callbacks (0:
	// httpprovider.DefaultWindow).
	CallbackWindow time.Duration
}

// validate reports the first wrong field (named "Vendors.X" or "Providers[v]").
func (o VendorOptions) validate(providers map[string]Provider) error {
	for v, p := range providers {
		switch {
		case strings.TrimSpace(v) == "":
			return &OptionError{Field: "Providers", Reason: "blank vendor ID"}
		case p == nil:
			return &OptionError{Field: fmt.Sprintf("Providers[%q]", v), Reason: "nil provider"}
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"BaseBackoff", o.BaseBackoff}, {"MaxBackoff", o.MaxBackoff}, {"PollInterval", o.PollInterval}, {"Lease", o.Lease}, {"CallbackWindow", o.CallbackWindow}} {
		if d.v < 0 {
			return &OptionError{Field: "Vendors." + d.name, Reason: fmt.Sprintf("negative (%v)", d.v)}
		}
	}
	switch {
	case o.MaxBackoff > 0 && o.BaseBackoff > o.MaxBackoff:
		return &OptionError{Field: "Vendors.MaxBackoff", Reason: fmt.Sprintf("%v is smaller than BaseBackoff %v", o.MaxBackoff, o.BaseBackoff)}
	case o.MaxAttempts < 0:
		return &OptionError{Field: "Vendors.MaxAttempts", Reason: fmt.Sprintf("negative (%d)", o.MaxAttempts)}
	case o.Batch < 0:
		return &OptionError{Field: "Vendors.Batch", Reason: fmt.Sprintf("negative (%d)", o.Batch)}
	case o.CallbackSecret != nil && len(o.CallbackSecret) < 32:
		return &OptionError{Field: "Vendors.CallbackSecret", Reason: fmt.Sprintf("%d bytes: at least 32 are required", len(o.CallbackSecret))}
	}
	return nil
}

// vendorWiring holds the dispatcher of a Platform with providers.
type vendorWiring struct {
	d        *dispatch.Dispatcher // nil without providers
	jobs     *gormstore.JobStore
	nonces   *gormstore.NonceStore
	callback *httpprovider.CallbackHandler // nil without a secret
	clock    workflow.Clock

	mu        sync.Mutex
	lastPurge time.Time
}

func (p *Platform) openVendors(context.Context) error {
	o := p.opts
	w := &vendorWiring{jobs: p.db.Jobs(), nonces: p.db.Nonces(o.Clock.Now), clock: o.Clock}
	p.vendors = w
	if len(o.Providers) == 0 {
		return nil
	}
	vo := o.Vendors
	if vo.Owner == "" {
		vo.Owner = "platform-" + o.IDs.NewID()
	}
	d, err := dispatch.New(dispatch.Options{
		Store: w.jobs, Providers: maps.Clone(o.Providers), WorkOrders: p.db.Workflow(), Completer: p.workflow,
		Clock: o.Clock, Owner: vo.Owner, Seed: vo.Seed, BaseBackoff: vo.BaseBackoff, MaxBackoff: vo.MaxBackoff,
		MaxAttempts: vo.MaxAttempts, PollInterval: vo.PollInterval, Lease: vo.Lease, Batch: vo.Batch, OnFailure: vo.OnFailure,
	})
	if err != nil {
		return err
	}
	w.d = d
	if vo.CallbackSecret != nil {
		h, err := httpprovider.NewCallbackHandler(httpprovider.CallbackOptions{Sink: d, Secret: vo.CallbackSecret,
			Clock: o.Clock, Window: vo.CallbackWindow, Nonces: w.nonces})
		if err != nil {
			return err
		}
		w.callback = h
	}
	return nil
}

// Dispatcher returns the dispatcher that delivers work orders to the
// vendors of Options.Providers (nil when none is configured). It is the
// outbox subscriber dispatch.SubscriberName; use it for Retry and Abandon
// of failed work orders.
func (p *Platform) Dispatcher() *dispatch.Dispatcher { return p.vendors.d }

// DispatchRound reports what one DispatchOnce did.
type DispatchRound struct {
	// Delivered is the number of committed transitions handed to the
	// dispatcher (each work order becomes a job once).
	Delivered int
	// Attempted is the number of vendor calls (sends and polls) made.
	Attempted int
}

// DispatchOnce runs one deterministic round of the vendor pipeline, with
// no goroutine, for simulations, tests and scheduled jobs: it delivers
// every pending transition of the outbox to the dispatcher (work orders
// become jobs), then makes one attempt on each due job (send, poll or
// retry); a completed job is recorded in the workflow
// (Engine.CompleteWorkOrder as the vendor), which moves the application on.
// Advance the clock between rounds for backoff, polls and vendor latency.
// Provider failures are recorded and raised (VendorFailures), not returned;
// the error reports database and handler failures.
func (p *Platform) DispatchOnce(ctx context.Context) (DispatchRound, error) {
	w := p.vendors
	if w.d == nil {
		return DispatchRound{}, ErrNoVendors
	}
	var r DispatchRound
	for {
		n, err := p.relay.DeliverOnce(ctx, w.d)
		r.Delivered += n
		if err != nil {
			return r, err
		}
		if n == 0 {
			break
		}
	}
	n, err := w.d.RunOnce(ctx)
	r.Attempted = n
	if err != nil {
		return r, err
	}
	_, err = w.purgeIfDue(ctx)
	return r, err
}

// RunWorkers runs the vendor pipeline until ctx ends: the relay delivers
// the outbox to the dispatcher (and to extra subscribers, e.g.
// QuotaSubscriber in QuotaViaOutbox mode), the dispatcher sends, polls and
// retries work orders, pausing idle (real time) when nothing is due, and
// expired callback nonces are purged. Errors that do not stop the workers
// go to onError (may be nil). It returns ctx.Err() when ctx ends, or the
// first error that stopped a worker (after stopping the others).
func (p *Platform) RunWorkers(ctx context.Context, idle time.Duration, onError func(error), extra ...workflow.Subscriber) error {
	w := p.vendors
	if w.d == nil {
		return ErrNoVendors
	}
	if idle <= 0 {
		idle = time.Second
	}
	report := func(err error) {
		if onError != nil && err != nil {
			onError(err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 3)
	go func() {
		errs <- p.relay.Run(ctx, report, append([]workflow.Subscriber{w.d}, extra...)...)
	}()
	go func() { errs <- w.d.Run(ctx, idle, report) }()
	go func() {
		for {
			if _, err := w.purgeIfDue(ctx); err != nil && ctx.Err() == nil {
				report(err)
			}
			select {
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			case <-time.After(idle):
			}
		}
	}()
	first := <-errs
	cancel()
	<-errs
	<-errs
	if ctx.Err() != nil && (first == nil || errors.Is(first, context.Canceled)) {
		return context.Cause(ctx)
	}
	return first
}

// VendorFailures lists the work orders raised to the operator — permanent
// vendor failures, completions the workflow refused, retries exhausted —
// ordered by application. Each carries the last error and the work order's
// due instant, which keeps running: resolve it with Dispatcher().Retry
// (the cause is fixed) or Abandon.
func (p *Platform) VendorFailures(ctx context.Context) ([]dispatch.Job, error) {
	if p.vendors.d == nil {
		return nil, ErrNoVendors
	}
	return p.vendors.d.Failures(ctx)
}

// VendorAttempts returns every recorded call of the dispatcher for the job
// with key (a work order's job key is "wo/<work order ID>").
func (p *Platform) VendorAttempts(ctx context.Context, key string) ([]dispatch.Attempt, error) {
	return p.vendors.jobs.Attempts(ctx, key)
}

// CallbackHandler returns the endpoint where vendors push completions
// (POST, signed as adapters/httpprovider describes; mount it at the URL
// given to the vendor's httpprovider.Notifier). A verified completion makes
// its work order's job due at once; the dispatcher then polls the vendor,
// which stays the source of truth. Nonces are kept in the platform's
// database, so several platform instances behind one URL refuse a replay
// made to any of them.
func (p *Platform) CallbackHandler() (http.Handler, error) {
	switch {
	case p.vendors.d == nil:
		return nil, ErrNoVendors
	case p.vendors.callback == nil:
		return nil, ErrNoCallbackSecret
	}
	return p.vendors.callback, nil
}

// PurgeNonces deletes the callback nonces that have expired and returns how
// many (DispatchOnce and RunWorkers do it every NoncePurgeInterval).
func (p *Platform) PurgeNonces(ctx context.Context) (int64, error) {
	return p.vendors.nonces.Purge(ctx, p.vendors.clock.Now())
}

func (w *vendorWiring) purgeIfDue(ctx context.Context) (int64, error) {
	now := w.clock.Now()
	w.mu.Lock()
	due := w.lastPurge.IsZero() || now.Sub(w.lastPurge) >= NoncePurgeInterval
	if due {
		w.lastPurge = now
	}
	w.mu.Unlock()
	if !due {
		return 0, nil
	}
	return w.nonces.Purge(ctx, now)
}
