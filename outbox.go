package govcloud

import (
	"context"
	"time"

	"github.com/opengovcloud/govcloud/dispatch"
	"github.com/opengovcloud/govcloud/workflow"
)

// SubscriberNames returns the names of the outbox subscribers the platform
// itself relies on in its configuration: the vendor dispatcher
// (dispatch.SubscriberName) when providers are configured, QuotaSubscriberName
// in QuotaViaOutbox mode and BillingSubscriberName in BillingViaOutbox mode. It
// may be empty: quota and billing in the transaction need no subscriber.
func (p *Platform) SubscriberNames() []string {
	var names []string
	if p.Dispatcher() != nil {
		names = append(names, dispatch.SubscriberName)
	}
	if p.QuotaMode() == QuotaViaOutbox {
		names = append(names, QuotaSubscriberName)
	}
	if p.BillingMode() == BillingViaOutbox {
		names = append(names, BillingSubscriberName)
	}
	return names
}

// PruneOutbox deletes the outbox messages committed more than keep ago that
// every subscriber has acknowledged: the platform's own (SubscriberNames),
// even before they first lease, and every other subscriber that has ever
// leased (see workflow.OutboxPruner). It returns how many it deleted. Without
// it the outbox keeps every transition ever committed; the audit trail, which
// is the record, is never pruned. A subscriber of your own that has not
// leased yet when a prune runs starts at the oldest message kept: start it
// before the first prune, or name it through Relay().Prune.
func (p *Platform) PruneOutbox(ctx context.Context, keep time.Duration) (int, error) {
	return p.relay.Prune(ctx, workflow.PruneOptions{Keep: keep, Subscribers: p.SubscriberNames()})
}
