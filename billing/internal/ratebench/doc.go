// Package ratebench drives the rater over a stream of synthetic usage
// records for benchmarks and the peak-memory measurement in
// cmd/ratebench. Records come from a fixed set of templates cycled by index,
// so the working set is constant whatever the record count; the bare loop
// sums the same templates' precomputed amounts.
package ratebench
