package server_test

import (
	"net/http"
	"testing"
)

// BenchmarkGetApplication: one authenticated GET of an application over
// loopback HTTP (token lookup, tenancy check, SQLite read, JSON, log, metrics).
func BenchmarkGetApplication(b *testing.B) {
	e := newEnv(b)
	app := e.submit(tokDeptA)
	b.ResetTimer()
	for b.Loop() {
		e.must(http.StatusOK, "GET", "/v1/applications/"+app.ID, tokDeptA, nil)
	}
}

// BenchmarkSubmit: one submission over HTTP (decode, validate, one
// transaction with the audit record and outbox message on SQLite).
func BenchmarkSubmit(b *testing.B) {
	e := newEnv(b)
	body := submitBody("vA")
	b.ResetTimer()
	for b.Loop() {
		e.must(http.StatusCreated, "POST", "/v1/applications", tokDeptA, body)
	}
}
