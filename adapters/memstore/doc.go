// Package memstore keeps every govcloud Store in memory: the reference
// implementations that the conformance suites (workflowtest, quotatest,
// billingtest, assessmenttest) are written against, and the quickest store for
// tests, examples and simulations.
//
// Each store is a separate type (QuotaStore, WorkflowStore, …) guarded by its own
// mutex; it copies values in and out so callers never share memory with it, and it
// honours the same contract as the durable stores in adapters/gormstore:
// optimistic versioning, idempotent operations by key, and all-or-nothing updates.
// Nothing survives the process: use adapters/gormstore (SQLite embedded by default,
// PostgreSQL for several instances) in production.
//
// memstore 在内存中实现 govcloud 的全部存储接口,是一致性测试套件的参考实现,适用于测试、
// 示例和仿真;生产环境请使用 adapters/gormstore。
package memstore
