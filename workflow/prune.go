package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// OutboxPruner is the optional Store capability behind [Relay.Prune]: deleting
// outbox messages that every subscriber has acknowledged. adapters/memstore and
// adapters/gormstore implement it; a Store without it makes Relay.Prune fail with
// errors.ErrUnsupported.
//
// PruneOutbox deletes, in one transaction, up to r.Max messages (r.Max <= 0: 1,000)
// whose CreatedAt is before r.Before and that every subscriber has acknowledged,
// oldest Position first, together with their delivery state (leases, attempts,
// acknowledgements). "Every subscriber" is each name in r.Subscribers, which the
// store registers first as its first Lease would, and every subscriber the store
// already knows (one that has leased). A message some of them has not
// acknowledged is never deleted, so for every known subscriber delivery goes on
// exactly as before: per application in Seq order, at least once. A subscriber that
// first leases after a prune starts at the oldest message still kept. Acknowledging a
// deleted message returns ErrNotFound, and a deleted message's ID and (ApplicationID,
// Seq) no longer count as duplicates for Commit (the engine never reuses a Seq: its
// audit records, which are never pruned, would conflict). Audit records, applications and work orders
// are never touched: the outbox is a transport, the audit trail is the record.
//
// PruneResult.More is true when r.Max messages were deleted and more may be
// deletable now. A request that fails PruneRequest.Validate returns its error
// (ErrInvalidInput) and deletes nothing.
type OutboxPruner interface {
	PruneOutbox(ctx context.Context, r PruneRequest) (PruneResult, error)
}

// DefaultPruneBatch is the most messages one PruneOutbox call deletes when
// PruneRequest.Max is not set.
const DefaultPruneBatch = 1000

// PruneRequest asks OutboxPruner.PruneOutbox to delete acknowledged messages.
type PruneRequest struct {
	// Before is the retention horizon: only messages created before it may go
	// (required).
	Before time.Time
	// Subscribers are registered, if the store does not know them yet, and must
	// have acknowledged a message before it goes, like every subscriber the store
	// knows. Name here every subscriber that may not have leased yet.
	Subscribers []string
	// Max bounds the messages deleted by one call (<= 0: DefaultPruneBatch).
	Max int
}

// Validate reports every problem of r: a zero Before or an empty subscriber name.
func (r *PruneRequest) Validate() error {
	var errs []error
	if r.Before.IsZero() {
		errs = append(errs, fieldErr(ErrInvalidInput, "before", "the retention horizon is required"))
	}
	for i, s := range r.Subscribers {
		if s == "" {
			errs = append(errs, fieldErr(ErrInvalidInput, fmt.Sprintf("subscribers[%d]", i), "must not be empty"))
		}
	}
	return joinErrs(errs)
}

// Limit returns Max, or DefaultPruneBatch when Max is not set.
func (r *PruneRequest) Limit() int {
	if r.Max <= 0 {
		return DefaultPruneBatch
	}
	return r.Max
}

// PruneResult is what one PruneOutbox call did.
type PruneResult struct {
	// Pruned is the number of messages deleted.
	Pruned int
	// More is true when the call stopped at its Max: call again.
	More bool
}

// PruneOptions says which messages [Relay.Prune] deletes.
type PruneOptions struct {
	// Keep is how long every message stays after its commit, acknowledged or
	// not (required, > 0): Prune deletes messages created before Now − Keep.
	Keep time.Duration
	// Subscribers are the subscribers the caller relies on (see
	// PruneRequest.Subscribers): those that have not leased yet still hold
	// every message they have not acknowledged.
	Subscribers []string
	// Batch is the most messages deleted per transaction (0: DefaultPruneBatch).
	Batch int
}

// Validate reports every problem of o.
func (o *PruneOptions) Validate() error {
	var errs []error
	if o.Keep <= 0 {
		errs = append(errs, fieldErr(ErrInvalidOptions, "Keep", "must be positive"))
	}
	if o.Batch < 0 {
		errs = append(errs, fieldErr(ErrInvalidOptions, "Batch", "must not be negative"))
	}
	for i, s := range o.Subscribers {
		if s == "" {
			errs = append(errs, fieldErr(ErrInvalidOptions, fmt.Sprintf("Subscribers[%d]", i), "must not be empty"))
		}
	}
	return joinErrs(errs)
}

// Prune deletes the outbox messages created more than o.Keep ago that every
// subscriber has acknowledged (see OutboxPruner), a batch per transaction until none
// is left or ctx ends, and returns how many it deleted. Run it periodically (daily,
// say): without it the outbox keeps every message ever committed. Several relays may
// prune at once. It fails with errors.ErrUnsupported if the store cannot prune.
func (r *Relay) Prune(ctx context.Context, o PruneOptions) (int, error) {
	if err := o.Validate(); err != nil {
		return 0, err
	}
	p, ok := r.o.Store.(OutboxPruner)
	if !ok {
		return 0, fmt.Errorf("workflow: store %T cannot prune its outbox: %w", r.o.Store, errors.ErrUnsupported)
	}
	req := PruneRequest{Before: r.o.Clock.Now().UTC().Add(-o.Keep), Subscribers: o.Subscribers, Max: o.Batch}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		res, err := p.PruneOutbox(ctx, req)
		total += res.Pruned
		if err != nil || !res.More {
			return total, err
		}
	}
}
