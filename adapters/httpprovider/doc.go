// Package httpprovider carries the govcloud.Provider contract over HTTP/JSON,
// so that a cloud vendor (云服务商) can implement it in any language.
//
// # Pieces
//
//   - openapi.json (OpenAPI 3.0, embedded; OpenAPI returns it and the server
//     serves it at GET /openapi.json) is the normative description of every
//     route, body and error. A vendor that does not use Go implements it.
//   - Client (platform side) implements govcloud.Provider, Poller,
//     UsageReporter, UtilisationReporter, IncidentReporter and
//     MonthlyReporter by calling a vendor's server.
//   - Server (vendor side) is the reference server: an http.Handler a Go
//     vendor wraps around its own govcloud.Provider.
//   - Notifier (vendor side) is a govcloud.CompletionSink that pushes
//     completions to the platform; CallbackHandler (platform side) receives
//     them and hands them to the platform's sink.
//
// # Routes
//
//	POST /v1/provision | /v1/promote | /v1/change | /v1/reclaim
//	     body: the govcloud request as JSON; header Idempotency-Key = body "key"
//	     200 + Ack (done) | 202 + Ack (accepted, completes later)
//	GET  /v1/operations/{key}          Ack, or the operation's error as a problem
//	GET  /v1/usage?start=&end=[&application=]                 {"records":[…]}
//	GET  /v1/utilisation?start=&end=[&application=][&step=s]  {"samples":[…]}
//	GET  /v1/incidents?start=&end=                            {"incidents":[…]}
//	GET  /v1/reports/monthly/{YYYY-MM}                        MonthlyReport
//	GET  /v1/capabilities                                     which of the above exist
//	POST /v1/completions  (served by the platform)            Completion → 204
//
// Times are RFC 3339; quantities are integers (usage in thousandths of the
// item's unit, govcloud.UsageScale). Money never appears.
//
// # Signing and replay protection
//
// Every request in both directions except GET /openapi.json is signed with a
// shared secret (at least 32 bytes):
//
//	X-Govcloud-Timestamp: Unix seconds
//	X-Govcloud-Nonce:     16–128 characters [A-Za-z0-9_-], fresh per request
//	X-Govcloud-Signature: "v1=" + hex(HMAC-SHA256(secret,
//	                        timestamp + "." + nonce + "." + METHOD + " " + request-URI + "." + body))
//
// The receiver checks the signature (constant time), refuses timestamps more
// than Window (default 5 minutes) from its clock, and only then records the
// nonce in a NonceStore until the window has passed: a replayed request is
// refused even inside the window. The nonce, method and URI are signed so
// that none can be swapped; a retry is a new request with a new nonce and
// the same Idempotency-Key. Unsigned, tampered, stale and replayed requests
// get a problem+json answer (401 unauthorized / 401 stale_request / 409
// replayed_request) and reach no provider. Several platform or vendor
// instances must share one NonceStore: MemoryNonces serves one process;
// adapters/gormstore's DB.Nonces keeps nonces in a database table (unique
// nonce, expiry, Purge) shared by every instance on it, and is what
// govcloud.Platform's CallbackHandler uses.
//
// # Errors
//
// Errors are RFC 9457 problem+json bodies with the contract's "code",
// "class" ("retryable" or "permanent"), "field" and "retry_after" (seconds).
// The client trusts the body's class; without one it maps the status: 5xx,
// 429 and 408 retryable, other 4xx permanent. Transport failures and
// timeouts are retryable; a cancelled context returns ctx.Err(). Malformed
// or oversized (MaxBody) bodies are refused with 400 before the provider is
// called, so bad input changes nothing.
package httpprovider
