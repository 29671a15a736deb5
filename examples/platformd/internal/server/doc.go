// Package server is platformd's HTTP JSON service around a
// govcloud.Platform: New(Config) returns an http.Handler (a *Server) that
// tests drive through httptest and cmd platformd mounts in an http.Server.
//
// # Authentication and tenancy
//
// Every /v1 route except the vendors' signed callback (/v1/completions)
// needs "Authorization: Bearer <token>". Tokens maps a token to a
// workflow.Actor (role, and the department's or vendor's ID); it keeps only
// SHA-256 digests (see TokenFile for the JSON format, HashToken to compute
// one) and compares in constant time. The service passes the actor to the
// core, which enforces tenancy (a department sees only its own
// applications, statements and scorecard; a vendor only its work orders and
// statements; operator and finance read and do not act). Quota pools have
// no actor in the ledger: the service allows a department its own pool, a
// vendor its platform pools, and authority, operator and finance every pool.
//
// # Errors
//
// Errors are RFC 9457 problem documents (application/problem+json, Problem)
// with the request ID and, when one field is at fault, its name:
//
//	400  malformed JSON, unknown field, wrong type, bad query parameter
//	401  no or unknown bearer token
//	403  the core's ErrForbidden (workflow, billing, assessment)
//	404  ErrNotFound, unknown route, trigger or statement action
//	405  method not served on the path (with Allow)
//	409  ErrConflict: stale expected_version, a trigger the state does not
//	     allow, quota exceeded, a billing transition out of order
//	413  body over Config.MaxBodyBytes (1 MiB by default)
//	415  catalog upload neither JSON nor multipart CSV
//	422  content the core rejects (missing materials, invalid items…)
//
// JSON bodies are decoded with DisallowUnknownFields, one value, no
// trailing data (DecodeJSON and the Decode* functions, fuzzed).
//
// # Listings
//
// GET /v1/applications and GET /v1/statements return one page: at most
// ?limit= items (1–1000, default 100) and, when the page is full, "next",
// to pass as ?after= for the following page (an application ID; for
// statements an opaque cursor, fuzzed). A client that wants everything
// follows next until it is absent; statements are listed in month,
// department, vendor and ID order.
//
// # Operations
//
// GET /healthz pings the database; GET /metrics writes Prometheus text by
// hand (requests per route and status, a latency histogram per route, the
// overdue gauge per party, worker error counters); GET /openapi.json serves
// the embedded OpenAPI 3 document, which a test keeps equal to Routes. Each
// request is logged with log/slog: request ID (X-Request-ID, echoed or
// generated), method, route, status, latency, actor.
//
// RunWorkers runs the background work: the overdue scan (each minute,
// updating the gauge and logging counts per party), the quota hold expiry
// (each minute: a hold placed at approval whose time-to-live passed, the
// trial never provided, is released so that its pool serves others again;
// counted in platformd_quota_holds_expired_total), the outbox retention
// (each hour: messages older than 90 days, -outbox-retention, that every
// subscriber has acknowledged are deleted; counted in
// platformd_outbox_pruned_total; the audit trail is never pruned) and the
// outbox pipeline
// (the platform's vendor dispatcher when providers are configured, and the
// quota and billing subscribers in their outbox modes). Several instances
// may run them on one PostgreSQL database: the scan only reads, the expiry
// releases each hold in its own transaction and skips one already released,
// pruning takes an exclusive advisory lock for each short batch,
// and the relay and dispatcher lease their work in the stores.
package server
