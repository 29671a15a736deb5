package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
	"github.com/opengovcloud/govcloud/workflow"
)

// TestBadRequests: malformed JSON, unknown fields, wrong types, oversized
// bodies, bad parameters and missing or invalid tokens are refused with a
// problem document naming the field, and write nothing.
func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	a := e.submit(tokDeptA)
	huge := `{"system_name":"` + strings.Repeat("x", server.DefaultMaxBodyBytes) + `"}`
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		field                     string
	}{
		{"malformed JSON", "POST", "/v1/applications", tokDeptA, `{"system_name": "x",`, 400, "body"},
		{"not JSON", "POST", "/v1/applications", tokDeptA, `<xml/>`, 400, "body"},
		{"empty body", "POST", "/v1/applications", tokDeptA, ``, 400, "body"},
		{"trailing data", "POST", "/v1/applications", tokDeptA, `{} {}`, 400, "body"},
		{"unknown field", "POST", "/v1/applications", tokDeptA, `{"system_name":"x","colour":"red"}`, 400, "colour"},
		{"unknown nested field", "POST", "/v1/applications", tokDeptA, `{"items":[{"code":"a","quantity":1,"unit":"x"}]}`, 400, "unit"},
		{"wrong type", "POST", "/v1/applications", tokDeptA, `{"security_level":"three"}`, 400, "security_level"},
		{"wrong nested type", "POST", "/v1/applications", tokDeptA, `{"items":[{"code":"a","quantity":"1"}]}`, 400, "items.quantity"},
		{"oversized body", "POST", "/v1/applications", tokDeptA, huge, 413, "body"},
		{"oversized trigger body", "POST", "/v1/applications/" + a.ID + "/triggers/withdraw", tokDeptA, huge, 413, "body"},
		{"unknown field in input", "POST", "/v1/applications/" + a.ID + "/triggers/withdraw", tokDeptA, `{"opinon":"typo"}`, 400, "opinon"},
		{"unknown field in completion", "POST", "/v1/work-orders/x/completion", tokVendorA, `{"key":"k","done":true}`, 400, "done"},
		{"unknown field in adjustment", "POST", "/v1/statements/x/adjustments", tokAuth, `{"amount":1}`, 400, "amount"},
		{"unknown field in quota check", "POST", "/v1/quota/check", tokDeptA, `{"items":[],"pool":"x"}`, 400, "pool"},
		{"missing materials", "POST", "/v1/applications", tokDeptA, server.SubmitBody{SystemName: "x", Vendor: "vA", Zone: "private", SecurityLevel: 2,
			Items: []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 1}}}, 422, "materials[construction_plan]"},
		{"unknown trigger", "POST", "/v1/applications/" + a.ID + "/triggers/explode", tokAuth, `{}`, 404, "trigger"},
		{"trigger not allowed", "POST", "/v1/applications/" + a.ID + "/triggers/activate", tokAuth, `{}`, 409, ""},
		{"stale version", "POST", "/v1/applications/" + a.ID + "/triggers/accept", tokAuth, `{"expected_version":7}`, 409, ""},
		{"unknown application", "GET", "/v1/applications/nope", tokAuth, nil, 404, ""},
		{"bad state filter", "GET", "/v1/applications?state=flying", tokAuth, nil, 400, "state"},
		{"bad limit", "GET", "/v1/applications?limit=0", tokAuth, nil, 400, "limit"},
		{"bad work order status", "GET", "/v1/work-orders?status=maybe", tokAuth, nil, 400, "status"},
		{"bad month", "GET", "/v1/statements?month=2026-13", tokAuth, nil, 400, "month"},
		{"bad year", "GET", "/v1/settlements/26", tokAuth, nil, 400, "year"},
		{"bad kind", "GET", "/v1/scorecards/city/2026", tokAuth, nil, 400, "kind"},
		{"bad period", "GET", "/v1/scorecards/department/2026-Q5", tokAuth, nil, 400, "period"},
		{"bad statement action", "POST", "/v1/statements/x/transitions/burn", tokAuth, nil, 404, "action"},
		{"no token", "GET", "/v1/applications", "", nil, 401, ""},
		{"invalid token", "GET", "/v1/applications", "tok-forged", nil, 401, ""},
		{"no token on a write", "POST", "/v1/applications", "", submitBody("vA"), 401, ""},
		{"unknown route", "GET", "/v1/nothing", tokAuth, nil, 404, ""},
	}
	before := e.snapshot([]string{a.ID}, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.token, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			p := r.problem(t)
			if p.Field != c.field {
				t.Errorf("field %q, want %q (%s)", p.Field, c.field, p.Detail)
			}
			if c.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// A method the path does not serve: 405 problem+json with Allow.
	r405 := e.do("DELETE", "/v1/applications", tokAuth, nil)
	if r405.status != http.StatusMethodNotAllowed || r405.problem(t).Status != 405 || !strings.Contains(r405.header.Get("Allow"), "POST") {
		t.Errorf("DELETE /v1/applications: %d Allow=%q %s", r405.status, r405.header.Get("Allow"), r405.body)
	}
	// A catalog in an unsupported media type.
	req, _ := http.NewRequest("PUT", e.ts.URL+"/v1/catalog", strings.NewReader("code\n"))
	req.Header.Set("Authorization", "Bearer "+tokAuth)
	req.Header.Set("Content-Type", "text/plain")
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnsupportedMediaType || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("catalog as text/plain: %d %s, want 415 problem+json", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// A token in another scheme is not a bearer token.
	req, _ = http.NewRequest("GET", e.ts.URL+"/v1/applications", nil)
	req.Header.Set("Authorization", "Basic "+tokAuth)
	res, err = e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("Basic scheme: %d, want 401", res.StatusCode)
	}
	if diff := cmp.Diff(before, e.snapshot([]string{a.ID}, nil)); diff != "" {
		t.Errorf("refused requests changed data:\n%s", diff)
	}
}

// TestOpenAPIMatchesRoutes: every served route is documented and every
// documented route is served (answers something other than the fallback).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	served := e.must(200, "GET", "/openapi.json", "", nil)
	if !bytes.Equal(served.body, server.OpenAPI()) {
		t.Fatal("/openapi.json differs from the embedded document")
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(served.body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q, want 3.x", doc.OpenAPI)
	}
	var documented, routes []string
	for path, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+path)
		}
	}
	for _, r := range e.srv.Routes() {
		routes = append(routes, r.Method+" "+r.Path)
	}
	slices.Sort(documented)
	slices.Sort(routes)
	if diff := cmp.Diff(documented, routes); diff != "" {
		t.Errorf("documented (-) vs served (+) routes:\n%s", diff)
	}
	for _, d := range documented {
		method, path, _ := strings.Cut(d, " ")
		path = strings.NewReplacer("{id}", "x", "{trigger}", "accept", "{department}", "dA", "{year}", "2026",
			"{kind}", "department", "{period}", "2026", "{subject}", "dA", "{action}", "confirm").Replace(path)
		r := e.do(method, path, tokAuth, nil)
		if r.status == http.StatusMethodNotAllowed || bytes.Contains(r.body, []byte(`"no route `)) {
			t.Errorf("%s: documented but not served (%d %s)", d, r.status, r.body)
		}
	}
}

// TestOperations: health, metrics (counters per route and status, the
// latency histogram, the overdue gauge after a scan), request IDs, and
// workers that stop with their context.
func TestOperations(t *testing.T) {
	e := newEnv(t)
	h := e.must(200, "GET", "/healthz", "", nil)
	if !bytes.Contains(h.body, []byte(`"ok"`)) {
		t.Errorf("healthz: %s", h.body)
	}
	a := e.submit(tokDeptA)
	e.do("GET", "/v1/applications/"+a.ID, tokDeptB, nil) // 403
	req, _ := http.NewRequest("GET", e.ts.URL+"/v1/applications/"+a.ID, nil)
	req.Header.Set("Authorization", "Bearer "+tokAuth)
	req.Header.Set("X-Request-ID", "req-42")
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("X-Request-ID"); got != "req-42" {
		t.Errorf("X-Request-ID %q, want the caller's req-42", got)
	}

	// Nothing is late yet; 4 working days later the authority is.
	by, err := e.srv.ScanOverdue(context.Background())
	if err != nil || len(by) != 0 {
		t.Fatalf("scan: %v %v", by, err)
	}
	e.clock.Advance(10 * 24 * time.Hour)
	if by, err = e.srv.ScanOverdue(context.Background()); err != nil || by[workflow.PartyAuthority] != 1 {
		t.Fatalf("scan after 10 days: %v %v", by, err)
	}
	m := string(e.must(200, "GET", "/metrics", "", nil).body)
	for _, want := range []string{
		`platformd_http_requests_total{route="POST /v1/applications",status="201"} 1`,
		`platformd_http_requests_total{route="GET /v1/applications/{id}",status="403"} 1`,
		`platformd_http_requests_total{route="GET /v1/applications/{id}",status="200"} 1`,
		`platformd_http_request_duration_seconds_count{route="GET /v1/applications/{id}"} 2`,
		`platformd_http_request_duration_seconds_bucket{route="GET /healthz",le="+Inf"} 1`,
		`platformd_overdue_applications{party="authority"} 1`,
		`platformd_overdue_applications{party="vendor"} 0`,
		`platformd_overdue_scans_total 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
	if got := e.srv.Metrics().Requests("GET /v1/applications/{id}", 403); got != 1 {
		t.Errorf("403 count %d, want 1", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.srv.RunWorkers(ctx, server.WorkerOptions{OverdueEvery: 10 * time.Millisecond, Relay: true})
		close(done)
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("workers did not stop")
	}
}
