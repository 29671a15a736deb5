// Package ratebench drives the rater over streams of synthetic usage
// records for the benchmarks in package billing and the throughput and
// peak-memory figures of cmd/ratebench.
//
// Records come from a seeded generator ([Gen]) in chunks of [ChunkSize]
// that are reused, so memory is constant whatever the record count. Each
// record's amount is precomputed by the reference path (Rate with a piece
// sink, which never uses the single-piece tables). The bare loops are the
// issue's baseline made fair: [BareCompact] iterates the very CompactUsage
// structs that [Rater.RateBatch] rates and sums their precomputed Amount
// field; [BareRecords] does the same over the Template structs that Rate
// rates. [Measure] (fresh records) and [Interleave] (one chunk, cycled)
// time the rating and its bare loop alternately in one run on the thread's
// CPU clock ([ClockReps] passes per clock read, so the clock's own cost does
// not count as bare-loop time), so load from other processes falls on both
// alike, and check that both totals agree.
//
// [Rater.RateBatch]: https://pkg.go.dev/github.com/opengovcloud/govcloud/billing#Rater.RateBatch
package ratebench
