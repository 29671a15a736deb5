// Package workflowtest is the conformance suite every workflow.Store implementation
// must pass, plus the fakes the workflow tests share.
//
// Use it from the implementation's tests:
//
//	func TestConformance(t *testing.T) {
//		workflowtest.Run(t, func(t *testing.T) workflow.Store { return mystore.New(…) })
//	}
//
// newStore must return a fresh, empty store on every call (the suite runs its parts in
// separate stores, sequentially). The suite checks, against the contract documented on
// workflow.Store:
//
//   - CRUD and filters of applications and work orders; ErrNotFound for unknown IDs;
//     returned values are copies; every field (including nested values, zero and
//     microsecond-precision times) round-trips;
//   - optimistic versioning: stale, future and duplicate writes return ErrConflict,
//     updates of missing rows ErrNotFound, and none of them writes anything;
//   - atomicity: an error from the transaction callback (a failing participant) or a
//     cancelled context rolls back the application, audit record, outbox message and
//     work orders together;
//   - the overdue query: due instants at the boundary, ordering by due then ID,
//     filters by party, department and vendor;
//   - the outbox: per-application ordering (only the head is leased), lease expiry
//     and redelivery with increasing Attempt, idempotent Ack, ErrLeaseLost for a
//     superseded lease, independent subscribers, exactly one lessee under concurrent
//     Lease calls;
//   - concurrent conflicting writers: exactly one wins each race;
//   - the workflow.Engine end to end on the store: the happy path from submission to
//     activation, changes and termination; every branch (reject and resubmit, withdraw,
//     deny, trial expiry and failure, final review rejection, denied change and
//     termination); on-time and late timing; overdue listings per actor; access
//     control; every bad input (typed error, nothing written); idempotent work order
//     completion under concurrency; participant rollback; concurrent fires; delivery
//     through a Relay with a failing subscriber.
//
// The engine tests use [WeekdayCalendar] (Monday to Friday, UTC+8), a settable [Clock]
// and sequential [IDs], so results do not depend on the real holiday data.
package workflowtest
