package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/workflow"
)

// WorkerOptions configures RunWorkers.
type WorkerOptions struct {
	// OverdueEvery is the period of the overdue scan (0: one minute).
	OverdueEvery time.Duration
	// ExpireHoldsEvery is the period of the quota hold expiry (0: one
	// minute): holds whose time-to-live has passed (an approval whose trial
	// the vendor never provided) are released, so that their pool's
	// capacity serves other applications again.
	ExpireHoldsEvery time.Duration
	// OutboxRetention is how long outbox messages are kept after their
	// commit (0: DefaultOutboxRetention; negative: forever). Messages older
	// than that which every subscriber has acknowledged are deleted once an
	// hour (PruneOutboxEvery); the audit trail is never pruned.
	OutboxRetention time.Duration
	// PruneOutboxEvery is the period of the outbox pruning (0: one hour).
	PruneOutboxEvery time.Duration
	// Relay runs the outbox pipeline: with vendor providers configured, the
	// platform's dispatcher (Platform.RunWorkers: work orders sent to the
	// vendors, polled, retried); and, in the outbox modes of quota and
	// billing, their subscribers. Without providers and with quota and
	// billing in the transaction (the default), there is nothing to relay.
	Relay bool
	// Idle is the dispatcher's pause when nothing is due (0: one second).
	Idle time.Duration
	// RelayRestart is the pause before the pipeline is restarted after an
	// error stopped it (0: five seconds).
	RelayRestart time.Duration
}

// DefaultOutboxRetention is how long platformd keeps outbox messages by
// default: 90 days, ample for a subscriber that was down to catch up.
const DefaultOutboxRetention = 90 * 24 * time.Hour

// subscribers lists the outbox subscribers the platform needs run.
func (s *Server) subscribers() []workflow.Subscriber {
	var subs []workflow.Subscriber
	if s.p.QuotaMode() == govcloud.QuotaViaOutbox {
		subs = append(subs, s.p.QuotaSubscriber())
	}
	if s.p.BillingMode() == govcloud.BillingViaOutbox {
		subs = append(subs, s.p.BillingSubscriber())
	}
	return subs
}

// RunWorkers runs the background workers until ctx ends, then waits for
// them and returns. They are safe to run in several instances on one
// PostgreSQL database: the overdue scan only reads, the hold expiry
// releases each hold in its own transaction and skips one already released,
// the relay leases outbox messages (one instance delivers a message at a
// time) and the dispatcher leases its jobs (SKIP LOCKED / conditional
// updates in the stores).
func (s *Server) RunWorkers(ctx context.Context, o WorkerOptions) {
	if o.OverdueEvery <= 0 {
		o.OverdueEvery = time.Minute
	}
	if o.ExpireHoldsEvery <= 0 {
		o.ExpireHoldsEvery = time.Minute
	}
	if o.OutboxRetention == 0 {
		o.OutboxRetention = DefaultOutboxRetention
	}
	if o.PruneOutboxEvery <= 0 {
		o.PruneOutboxEvery = time.Hour
	}
	if o.RelayRestart <= 0 {
		o.RelayRestart = 5 * time.Second
	}
	var wg sync.WaitGroup
	every := func(d time.Duration, fn func()) {
		wg.Go(func() {
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				fn()
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
	every(o.OverdueEvery, func() { _, _ = s.ScanOverdue(ctx) })
	every(o.ExpireHoldsEvery, func() { _, _ = s.ExpireHolds(ctx) })
	if o.OutboxRetention > 0 {
		every(o.PruneOutboxEvery, func() { _, _ = s.PruneOutbox(ctx, o.OutboxRetention) })
	}
	subs := s.subscribers()
	dispatching := s.p.Dispatcher() != nil
	if o.Relay && (dispatching || len(subs) > 0) {
		wg.Go(func() {
			onError := func(err error) {
				s.metrics.relayFailed()
				s.log.Warn("outbox pipeline error", "worker", "relay", "error", err.Error())
			}
			s.log.Info("outbox pipeline started", "worker", "relay", "dispatcher", dispatching, "subscribers", len(subs))
			for {
				var err error
				if dispatching {
					err = s.p.RunWorkers(ctx, o.Idle, onError, subs...)
				} else {
					err = s.p.Relay().Run(ctx, onError, subs...)
				}
				if ctx.Err() != nil {
					return
				}
				onError(err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(o.RelayRestart):
				}
			}
		})
	}
	wg.Wait()
}

// PruneOutbox deletes the outbox messages older than keep that every
// subscriber has acknowledged (Platform.PruneOutbox), counts them in the
// metrics and logs the run. It returns how many it deleted.
func (s *Server) PruneOutbox(ctx context.Context, keep time.Duration) (int, error) {
	n, err := s.p.PruneOutbox(ctx, keep)
	failed := err != nil && ctx.Err() == nil
	s.metrics.pruneRun(n, failed)
	if failed {
		s.log.Error("outbox pruning failed", "worker", "outbox", "pruned", n, "error", err.Error())
	} else if n > 0 {
		s.log.Info("outbox pruned", "worker", "outbox", "pruned", n, "retention", keep.String())
	}
	return n, err
}

// ScanOverdue runs one overdue scan (as the operator, who reads
// everything): it updates the overdue gauge and logs the counts per party.
func (s *Server) ScanOverdue(ctx context.Context) (map[workflow.Party]int, error) {
	items, err := s.p.Workflow().Overdue(ctx, workflow.Actor{Role: workflow.RoleOperator, ID: "platformd"}, s.clock.Now())
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.metrics.scanFailed()
			s.log.Error("overdue scan failed", "worker", "overdue", "error", err.Error())
		}
		return nil, err
	}
	by := map[workflow.Party]int{}
	for _, it := range items {
		by[it.Party]++
	}
	s.metrics.SetOverdue(by)
	s.log.Info("overdue scan", "worker", "overdue", "total", len(items),
		"department", by[workflow.PartyDepartment], "authority", by[workflow.PartyAuthority], "vendor", by[workflow.PartyVendor])
	return by, nil
}

// maxExpireRounds bounds the batches one ExpireHolds run releases (the
// ledger's ExpireBatch each); the rest wait for the next run.
const maxExpireRounds = 100

// ExpireHolds releases the quota holds whose time-to-live has passed,
// batch after batch until a batch releases none (at most maxExpireRounds
// batches), counts them in the metrics (released holds are counted even
// when a batch also fails) and logs the run. It returns how many it
// released, with the last error.
func (s *Server) ExpireHolds(ctx context.Context) (int, error) {
	n := 0
	var last error
	for range maxExpireRounds {
		ms, err := s.p.Quota().ExpireHolds(ctx)
		n += len(ms)
		for _, m := range ms {
			s.log.Debug("quota hold expired", "worker", "holds", "application", m.Application, "pool", m.Pool)
		}
		if err != nil {
			last = err
			if ctx.Err() == nil {
				s.log.Error("quota hold expiry failed", "worker", "holds", "error", err.Error())
			}
		}
		if len(ms) == 0 || ctx.Err() != nil {
			break
		}
	}
	s.metrics.expiryRun(n, last != nil && ctx.Err() == nil)
	if n > 0 {
		s.log.Info("quota holds expired", "worker", "holds", "released", n)
	}
	return n, last
}
