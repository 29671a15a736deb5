package gormstore_test

import (
	"testing"

	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/billing/billingtest"
)

// TestBillingConformance runs the billing.Store conformance suite on every
// backend: SQLite file (WAL), SQLite in memory and PostgreSQL.
func TestBillingConformance(t *testing.T) {
	for _, o := range openers() {
		t.Run(o.name, func(t *testing.T) {
			billingtest.Run(t, func(t *testing.T) billing.Store { return openDB(t, o.opts(t)).Billing() })
		})
	}
}
