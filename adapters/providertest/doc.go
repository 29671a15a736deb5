// Package providertest is the conformance suite every govcloud.Provider must
// pass: the simulated vendor (adapters/simprovider), the HTTP client against
// the reference server (adapters/httpprovider) and any vendor's own adapter.
//
// Use it from a test of the provider's package:
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, func(t *testing.T) (govcloud.Provider, providertest.Harness) {
//			p := newMyProvider(t) // a fresh, empty vendor
//			return p, providertest.Harness{
//				Vendor: "my-vendor",
//				Items:  []string{"ecs.vcpu", "oss.gb", "rds.instance"},
//				// Optional hooks, each enabling more of the suite:
//				Advance:   p.clock.Advance, // simulated time passes
//				Now:       p.clock.Now,
//				Resources: p.backendResources, // what the cloud really runs
//				Inject:    p.injectFault,     // faults on the next call
//			}
//		})
//	}
//
// The suite checks, each in its own subtest on a fresh provider:
//
//   - Lifecycle: provision → promote → change (resize, remove, add) →
//     reclaim, with the delivered resources matching the items each time and
//     promotion keeping the trial resources.
//   - Idempotency: the same request (items in any order) twice, before and
//     after completion, gives the same Ack and creates nothing new.
//   - IdempotencyConflict: a key reused with another request is a permanent
//     govcloud.ErrIdempotencyConflict and changes nothing.
//   - Ordering: operations on unknown applications, a second provision, and
//     operations after reclaim are permanent errors; a change while the
//     provision still runs is retryable (busy).
//   - InvalidRequests: malformed requests are permanent errors and consume
//     nothing.
//   - Faults (needs Harness.Inject): retryable failures, a timeout after
//     acceptance and a partial delivery are retryable and a retry with the
//     same request completes without duplicates.
//   - Cancellation: a cancelled context returns its error, neither retryable
//     nor permanent; a hung call (Harness.Inject(FaultHang)) returns when its
//     context ends.
//   - The optional capabilities, each skipped when not implemented (or when
//     the provider answers govcloud.ErrUnsupported): Poller, UsageReporter
//     (unique stable keys, overlapping queries consistent), UtilisationReporter,
//     IncidentReporter and MonthlyReporter (needs Harness.Advance).
//
// Asynchronous providers must implement govcloud.Poller; the suite polls and
// calls Harness.Advance (30 minutes per poll) until operations complete.
package providertest
