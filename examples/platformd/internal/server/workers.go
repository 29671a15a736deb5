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
// PostgreSQL database: the overdue scan only reads, the relay leases outbox
// messages (one instance delivers a message at a time) and the dispatcher
// leases its jobs (SKIP LOCKED / conditional updates in the stores).
func (s *Server) RunWorkers(ctx context.Context, o WorkerOptions) {
	if o.OverdueEvery <= 0 {
		o.OverdueEvery = time.Minute
	}
	if o.RelayRestart <= 0 {
		o.RelayRestart = 5 * time.Second
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(o.OverdueEvery)
		defer t.Stop()
		for {
			_, _ = s.ScanOverdue(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
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
