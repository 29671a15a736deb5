// Package provider is the contract between the platform and a cloud vendor
// (云服务商): the Provider interface the dispatcher calls for every work
// order — provide the trial environment (第九条), promote it to the formal
// environment (第十条), apply a change (第十一条), reclaim (第十二条) — with
// idempotency keys, asynchronous completion (Poller, CompletionSink) and
// classified errors (ProviderError: retryable or permanent), plus the
// optional reporting interfaces (UsageReporter, UtilisationReporter,
// IncidentReporter, MonthlyReporter).
//
// The root package govcloud re-exports every name of this package as an
// alias (govcloud.Provider is provider.Provider); the package exists so that
// the dispatcher and the adapters can depend on the contract while the
// root's Platform depends on them. The documentation of Provider explains
// how to implement a provider; adapters/providertest is the conformance
// suite.
package provider
