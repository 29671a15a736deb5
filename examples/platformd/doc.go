// Command platformd runs a govcloud Platform as an HTTP JSON service, the
// way a municipal IT team embeds it: SQLite by default, PostgreSQL from a
// DSN, bearer tokens mapped to actors, tenancy enforced by the core, an
// OpenAPI document, background workers, graceful shutdown, structured logs,
// a health endpoint and Prometheus metrics.
//
// Usage:
//
//	platformd -tokens tokens.json [-addr :8080] [-sqlite platformd.db | -postgres DSN]
//	platformd -hash-token < token.txt     # prints the SHA-256 to put in the tokens file
//
// The PostgreSQL DSN may also come from the environment variable
// GOVCLOUD_POSTGRES_DSN. Several instances may serve one PostgreSQL
// database; their workers coordinate through the stores' leases.
//
// The tokens file stores only SHA-256 digests of the tokens:
//
//	{"tokens": [
//	  {"sha256": "<hex>", "role": "department", "id": "市自然资源局", "name": "自然资源局信息科"},
//	  {"sha256": "<hex>", "role": "authority",  "id": "市大数据局"},
//	  {"sha256": "<hex>", "role": "vendor",     "id": "vendor-a"},
//	  {"sha256": "<hex>", "role": "operator"},
//	  {"sha256": "<hex>", "role": "finance",    "id": "市财政局"}
//	]}
//
// The service itself is package internal/server (server.New returns an
// http.Handler); this command only parses flags, opens the platform, starts
// the workers and handles SIGINT/SIGTERM: it stops accepting connections,
// drains requests in flight for at most -shutdown-timeout, stops the
// workers and closes the platform. See /openapi.json for the routes.
package main
