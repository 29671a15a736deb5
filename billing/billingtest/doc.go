// Package billingtest is the conformance suite every billing.Store must pass.
//
//	func TestBillingStore(t *testing.T) {
//		billingtest.Run(t, func(t *testing.T) billing.Store { return memstore.NewBillingStore() })
//	}
//
// Run checks the store contract directly (copies in and out, ErrExists,
// ErrNotFound, optimistic versions and ErrConflict, rollback of a failed
// transaction, filters and orders), drives a billing.Service over
// the store through a whole year: catalog, idempotent ingestion, late usage,
// statements, audit, corrections, deductions and the settlement with hashes,
// and finally races ingestion and statement drafting from goroutines.
package billingtest
