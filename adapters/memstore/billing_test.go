package memstore_test

import (
	"testing"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/billing/billingtest"
)

func TestBillingStoreConformance(t *testing.T) {
	billingtest.Run(t, func(t *testing.T) billing.Store { return memstore.NewBillingStore() })
}
