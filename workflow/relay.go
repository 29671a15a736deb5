package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Subscriber follows committed transitions (quota, billing, notifications…).
//
// Delivery is at least once: Handle may see the same transition again (after a crash,
// an error or an expired lease) and must deduplicate on t.IdempotencyKey. Per
// application, transitions arrive in order: the next one is delivered only after
// Handle returned nil for the previous one.
type Subscriber interface {
	// Name identifies the subscriber's position in the outbox; keep it stable.
	Name() string
	// Handle processes one transition. An error leaves the message leased until the
	// lease expires, then it is delivered again.
	Handle(ctx context.Context, t Transition, d Delivery) error
}

// SubscriberFunc makes a Subscriber from a name and a function.
func SubscriberFunc(name string, fn func(ctx context.Context, t Transition, d Delivery) error) Subscriber {
	return funcSubscriber{name: name, fn: fn}
}

type funcSubscriber struct {
	name string
	fn   func(context.Context, Transition, Delivery) error
}

func (f funcSubscriber) Name() string { return f.name }
func (f funcSubscriber) Handle(ctx context.Context, t Transition, d Delivery) error {
	return f.fn(ctx, t, d)
}

// RelayOptions configures a Relay.
type RelayOptions struct {
	// Store holds the outbox (required).
	Store Store
	// Clock defaults to SystemClock; IDs (lease IDs) to UUIDs.
	Clock Clock
	IDs   IDGenerator
	// Lease is how long a delivery is reserved for one relay (default 30s).
	Lease time.Duration
	// Batch is the most messages leased per poll (default 100).
	Batch int
	// Poll is the pause of Run when nothing was delivered (default 1s).
	Poll time.Duration
}

// Validate reports every problem of o.
func (o *RelayOptions) Validate() error {
	var errs []error
	if o.Store == nil {
		errs = append(errs, fieldErr(ErrInvalidOptions, "Store", "is required"))
	}
	if o.Lease < 0 {
		errs = append(errs, fieldErr(ErrInvalidOptions, "Lease", "must not be negative"))
	}
	if o.Batch < 0 {
		errs = append(errs, fieldErr(ErrInvalidOptions, "Batch", "must not be negative"))
	}
	if o.Poll < 0 {
		errs = append(errs, fieldErr(ErrInvalidOptions, "Poll", "must not be negative"))
	}
	return joinErrs(errs)
}

// Relay polls the outbox and delivers transitions to subscribers. Several relays (in
// several processes) may run against one store: leases make sure each message is
// handled by one of them at a time.
type Relay struct {
	o RelayOptions
}

// NewRelay validates o and returns a Relay.
func NewRelay(o RelayOptions) (*Relay, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.IDs == nil {
		o.IDs = UUIDs{}
	}
	if o.Lease == 0 {
		o.Lease = 30 * time.Second
	}
	if o.Batch == 0 {
		o.Batch = 100
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	return &Relay{o: o}, nil
}

// HandlerError reports a subscriber's failure on one message (it will be redelivered).
type HandlerError struct {
	Subscriber string
	MessageID  string
	Err        error
}

func (e *HandlerError) Error() string {
	return fmt.Sprintf("workflow: subscriber %q failed on message %q: %v", e.Subscriber, e.MessageID, e.Err)
}

// Unwrap returns the handler's error.
func (e *HandlerError) Unwrap() error { return e.Err }

// ackGrace bounds the batch acknowledgement DeliverOnce still makes once its
// context is done.
const ackGrace = 5 * time.Second

// DeliverOnce leases one batch for sub, hands each transition to it and acknowledges
// the ones it handled. It returns how many were acknowledged and the handlers'
// errors joined (each a *HandlerError); a lease lost to another relay is not an error.
//
// When the Store is an [OutboxBatchAcker], the handled messages are acknowledged
// together, in one store transaction, once the batch has been handled or before the
// first message handled after half of the lease has passed (so that a slow subscriber
// does not hold its acknowledgements until the lease expires; a single handler slower
// than the rest of the lease still lets the messages handled before it be leased
// again); otherwise each message is acknowledged
// as soon as it is handled. Either way a message is acknowledged only after Handle
// returned nil for it, and per application the batch holds at most one message (the
// next is leased only once this one is acknowledged), so the order of delivery is the
// same.
func (r *Relay) DeliverOnce(ctx context.Context, sub Subscriber) (int, error) {
	now := r.o.Clock.Now().UTC().Truncate(time.Microsecond)
	ds, err := r.o.Store.Lease(ctx, LeaseRequest{
		Subscriber: sub.Name(), LeaseID: r.o.IDs.NewID(), Now: now, Until: now.Add(r.o.Lease), Max: r.o.Batch,
	})
	if err != nil {
		return 0, err
	}
	acker, batched := r.o.Store.(OutboxBatchAcker)
	if !batched {
		acker = ackEach{r.o.Store}
	}
	var (
		errs    []error
		pending []AckRequest
		acked   int
	)
	flushAt := now.Add(r.o.Lease / 2)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		// The pending messages were handled: acknowledge them even when ctx
		// is done (a shutdown), or they all come back; a bounded wait.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackGrace)
		res, err := acker.AckBatch(actx, pending)
		cancel()
		pending = pending[:0]
		if err != nil {
			return err
		}
		var first error
		for _, e := range res {
			switch {
			case e == nil:
				acked++
			case errors.Is(e, ErrLeaseLost):
			case first == nil:
				first = e
			}
		}
		return first
	}
	for _, d := range ds {
		if len(pending) > 0 && !r.o.Clock.Now().Before(flushAt) {
			if err := flush(); err != nil {
				return acked, err
			}
		}
		t, err := DecodeTransition(d.Message)
		if err == nil {
			err = sub.Handle(ctx, t, d)
		}
		if err != nil {
			errs = append(errs, &HandlerError{Subscriber: sub.Name(), MessageID: d.Message.ID, Err: err})
			continue
		}
		pending = append(pending, AckRequest{Subscriber: sub.Name(), MessageID: d.Message.ID, LeaseID: d.LeaseID})
		if !batched { // acknowledged as soon as handled, one at a time
			if err := flush(); err != nil {
				return acked, err
			}
		}
	}
	if err := flush(); err != nil {
		return acked, errors.Join(append(errs, err)...)
	}
	return acked, errors.Join(errs...)
}

// ackEach is the OutboxBatchAcker of a Store without one: Store.Ack per
// request, a request's ErrLeaseLost or ErrNotFound its own error, any other
// error a failure of the store.
type ackEach struct{ s Store }

func (a ackEach) AckBatch(ctx context.Context, rs []AckRequest) ([]error, error) {
	out := make([]error, len(rs))
	for i, r := range rs {
		err := a.s.Ack(ctx, r)
		if err != nil && !errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		out[i] = err
	}
	return out, nil
}

// Run delivers to every subscriber until ctx is done, pausing Poll when a round
// delivered nothing. Handler errors are passed to onError (may be nil) and do not stop
// Run; a store error does. It returns ctx.Err() when ctx ends.
func (r *Relay) Run(ctx context.Context, onError func(error), subs ...Subscriber) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		total := 0
		for _, s := range subs {
			n, err := r.DeliverOnce(ctx, s)
			total += n
			var he *HandlerError
			if err != nil && !errors.As(err, &he) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
			if err != nil && onError != nil {
				onError(err)
			}
		}
		if total > 0 {
			timer.Reset(0)
		} else {
			timer.Reset(r.o.Poll)
		}
	}
}
