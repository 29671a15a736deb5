// Package assessmenttest is the conformance suite for assessment.Store. Every
// implementation runs it from its own tests:
//
//	func TestAssessmentStore(t *testing.T) {
//		assessmenttest.Run(t, func(t *testing.T) assessment.Store { return NewAssessmentStore() })
//	}
//
// newStore must return a fresh, empty store for each call (each subtest calls
// it once). The suite checks the contract documented on assessment.Store:
// round trips of whole runs (every card and indicator line, float values
// bit for bit), idempotent saves by run ID, conflicts, validation that writes
// nothing, immutability of stored runs, the supersession chain of a period
// (also under concurrent saves), reads by run, period and subject, not-found
// errors, cancelled contexts, and comparisons of stored periods.
package assessmenttest
