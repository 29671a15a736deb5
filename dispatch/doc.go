// Package dispatch delivers work orders (工单) to cloud vendors: it turns
// the workflow's committed transitions into calls to a govcloud.Provider,
// retries what may be retried, raises what may not, and never loses or
// duplicates an order across crashes, restarts and several instances.
//
// # Flow
//
// A Dispatcher is a workflow.Subscriber: run it under a workflow.Relay and
// each transition that opens a work order (trial environment → Provision,
// approved change → Change, approved termination or failed trial → Reclaim)
// or takes an application live from final review (→ Promote) becomes a Job
// in the Store. Enqueueing is idempotent, so the relay's at-least-once
// delivery is harmless, and the job holds the exact request to send — the
// same idempotency key ("wo/<work order ID>", or "<transition key>/promote")
// and body on every retry.
//
// RunOnce (or Run) leases due jobs and makes one attempt on each:
//
//   - send the request (or, once acknowledged, Poll the key);
//   - done → report the completion to the workflow (Completer, i.e.
//     workflow.Engine.CompleteWorkOrder as the vendor; idempotent) and mark
//     the job done;
//   - acknowledged but not done → poll again after PollInterval (or at the
//     vendor's Expected time);
//   - retryable error → retry after Backoff: BaseBackoff × 2^(n−1) capped at
//     MaxBackoff, with a seeded jitter in [½, 1], or the vendor's RetryAfter
//     if longer; after MaxAttempts the job fails;
//   - permanent error → the job fails: it is raised to the operator
//     (Failures, Options.OnFailure) who may Retry or Abandon it;
//   - the workflow refuses the completion for good (the application moved
//     on, the work order is unknown, not the vendor's, or was completed
//     with another completion) → raised at once like a permanent error
//     (CodeInvalidState); a transient failure to record it (database, a
//     concurrent transition) is retried like a retryable error.
//
// A Dispatcher is also a govcloud.CompletionSink: mount
// httpprovider.CallbackHandler with it as the sink, and a completion pushed
// by a vendor makes its job due at once (Store.Nudge) instead of waiting for
// the next poll; the poll stays the source of truth.
//
// Every attempt is recorded (Store.Attempts). The vendor's deadline is the
// work order's and is not touched: it keeps running while the job fails, so
// the workflow reports the application as overdue and the vendor's
// assessment counts it.
//
// # Guarantees
//
// Jobs of one application run in order (a change is never sent before the
// provision completed; a failed job blocks the application's later jobs
// until the operator resolves it). A job is leased by one dispatcher at a
// time; a dispatcher that crashes loses its lease after Options.Lease and
// another one resumes the job with the same key, so the vendor performs it
// once (govcloud.Provider's idempotency). A crash after the vendor finished
// but before the completion was recorded is repaired the same way: the
// vendor replays the result and CompleteWorkOrder is idempotent.
//
// # Stores
//
// MemStore keeps jobs in memory (tests, one process). gormstore.DB.Jobs()
// keeps them in SQLite or PostgreSQL; several dispatcher instances (in
// several processes) on one PostgreSQL database deliver each order once.
// dispatch/dispatchtest is the conformance suite of Store.
package dispatch
