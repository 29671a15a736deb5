package httpprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/adapters/providertest"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

var secret = []byte("0123456789abcdef0123456789abcdef-test")

var items = []string{"ecs.vcpu", "oss.gb", "rds.instance"}

func loadDoc(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

func TestOpenAPIValid(t *testing.T) { loadDoc(t) }

// Every route the server (and the callback handler) serves is documented
// with its method, and every documented operation is served.
func TestOpenAPICoversRoutes(t *testing.T) {
	doc := loadDoc(t)
	s, _, _ := newStack(t, nil)
	served := map[string]bool{"POST /v1/completions": true} // the platform's CallbackHandler
	for _, r := range s.Routes() {
		served[r.Method+" "+r.Pattern] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	if d := cmp.Diff(documented, served); d != "" {
		t.Errorf("documented (-) vs served (+) routes\n%s", d)
	}
}

// validating wraps h so that every request and response is checked against
// the OpenAPI document; violations fail the test.
func validating(t *testing.T, h http.Handler) http.Handler {
	doc := loadDoc(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := router.FindRoute(r)
		if err != nil {
			t.Errorf("%s %s: not in the OpenAPI document: %v", r.Method, r.URL, err)
			h.ServeHTTP(w, r)
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: r.Clone(r.Context()), PathParams: params, Route: route, Options: opts}
		in.Request.Body = io.NopCloser(bytes.NewReader(body))
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			t.Errorf("%s %s: request violates the document: %v", r.Method, r.URL, err)
		}
		rec := httptest.NewRecorder()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(rec, r)
		if r.Context().Err() == nil {
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Options: opts}
			out.SetBodyBytes(rec.Body.Bytes())
			if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
				t.Errorf("%s %s → %d: response violates the document: %v\n%s", r.Method, r.URL, rec.Code, err, rec.Body.Bytes())
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// newStack starts a simulated vendor behind the reference server (wrapped
// by wrap, if not nil) and a client for it.
func newStack(t *testing.T, wrap func(http.Handler) http.Handler) (*Server, *Client, *simprovider.Sim) {
	t.Helper()
	clock := simprovider.NewManualClock(time.Date(2025, 3, 3, 9, 0, 0, 0, calendar.Beijing()))
	sim, err := simprovider.New(simprovider.Options{Vendor: "v1", Seed: 3, Clock: clock, Items: items})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerOptions{Provider: sim, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := NewClient(ClientOptions{BaseURL: ts.URL + "/", Secret: secret, HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	stacks.Store(c, clock)
	return srv, c, sim
}

var stacks sync.Map // *Client → *simprovider.ManualClock

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) (govcloud.Provider, providertest.Harness) {
		_, c, sim := newStack(t, func(h http.Handler) http.Handler { return validating(t, h) })
		v, _ := stacks.Load(c)
		clock := v.(*simprovider.ManualClock)
		return c, providertest.Harness{
			Vendor: "v1", Items: items, Advance: clock.Advance, Now: clock.Now, Resources: sim.Resources,
			Inject: func(f providertest.Fault) bool {
				sim.InjectFault(map[providertest.Fault]simprovider.FaultKind{
					providertest.FaultRetryable: simprovider.FaultServerError, providertest.FaultAcceptedTimeout: simprovider.FaultAcceptedTimeout,
					providertest.FaultPartial: simprovider.FaultPartial, providertest.FaultHang: simprovider.FaultHang,
				}[f])
				return true
			},
		}
	})
}

func provisionBody(key string) []byte {
	b, _ := json.Marshal(govcloud.ProvisionRequest{
		Order: govcloud.Order{Key: key, WorkOrder: "wo", Application: "app", Department: "d", Vendor: "v1"},
		Items: []govcloud.Item{{Code: "ecs.vcpu", Quantity: 2}},
	})
	return b
}

// Refused requests get a problem+json answer with the right status and code,
// and change nothing at the provider.
func TestServerRefuses(t *testing.T) {
	srv, _, sim := newStack(t, nil)
	now := time.Now()
	signed := func(method, path string, body []byte, at time.Time, nonce string, key string) *http.Request {
		r := httptest.NewRequest(method, path, bytes.NewReader(body))
		if key != "" {
			r.Header.Set(HeaderIdempotencyKey, key)
		}
		Sign(r, secret, at, nonce, body)
		return r
	}
	good := provisionBody("k1")
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
		field  string
	}{
		{"unsigned", func() *http.Request {
			r := httptest.NewRequest("POST", "/v1/provision", bytes.NewReader(good))
			r.Header.Set(HeaderIdempotencyKey, "k1")
			return r
		}, 401, govcloud.CodeUnauthorized, HeaderSignature},
		{"wrong secret", func() *http.Request {
			r := httptest.NewRequest("POST", "/v1/provision", bytes.NewReader(good))
			r.Header.Set(HeaderIdempotencyKey, "k1")
			Sign(r, []byte("another secret of sufficient length......"), now, "nonce-wrong-secret-1", good)
			return r
		}, 401, govcloud.CodeUnauthorized, HeaderSignature},
		{"tampered body", func() *http.Request {
			r := signed("POST", "/v1/provision", good, now, "nonce-tampered-0001", "k1")
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(good, []byte(`"quantity":2`), []byte(`"quantity":9`), 1)))
			return r
		}, 401, govcloud.CodeUnauthorized, HeaderSignature},
		{"other route", func() *http.Request {
			r := signed("POST", "/v1/change", good, now, "nonce-other-route-01", "k1")
			r.URL.Path, r.RequestURI = "/v1/provision", "/v1/provision"
			return r
		}, 401, govcloud.CodeUnauthorized, HeaderSignature},
		{"stale", func() *http.Request {
			return signed("POST", "/v1/provision", good, now.Add(-10*time.Minute), "nonce-stale-0000001", "k1")
		}, 401, CodeStale, HeaderTimestamp},
		{"future", func() *http.Request {
			return signed("POST", "/v1/provision", good, now.Add(10*time.Minute), "nonce-future-000001", "k1")
		}, 401, CodeStale, HeaderTimestamp},
		{"short nonce", func() *http.Request { return signed("POST", "/v1/provision", good, now, "short", "k1") }, 401, govcloud.CodeUnauthorized, HeaderNonce},
		{"no idempotency key", func() *http.Request { return signed("POST", "/v1/provision", good, now, "nonce-nokey-0000001", "") }, 400, govcloud.CodeInvalidRequest, HeaderIdempotencyKey},
		{"key mismatch", func() *http.Request { return signed("POST", "/v1/provision", good, now, "nonce-mismatch-00001", "k2") }, 400, govcloud.CodeInvalidRequest, HeaderIdempotencyKey},
		{"malformed JSON", func() *http.Request {
			return signed("POST", "/v1/provision", []byte(`{"key":"k1",`), now, "nonce-malformed-0001", "k1")
		}, 400, govcloud.CodeInvalidRequest, "body"},
		{"trailing data", func() *http.Request {
			return signed("POST", "/v1/provision", append(append([]byte{}, good...), []byte(`{}`)...), now, "nonce-trailing-00001", "k1")
		}, 400, govcloud.CodeInvalidRequest, "body"},
		{"invalid request", func() *http.Request {
			b := bytes.Replace(good, []byte(`"quantity":2`), []byte(`"quantity":0`), 1)
			return signed("POST", "/v1/provision", b, now, "nonce-invalid-000001", "k1")
		}, 400, govcloud.CodeInvalidRequest, "Items[0].Quantity"},
		{"unknown item", func() *http.Request {
			b := bytes.Replace(good, []byte(`ecs.vcpu`), []byte(`gpu.a100`), 1)
			return signed("POST", "/v1/provision", b, now, "nonce-unknown-item01", "k1")
		}, 422, govcloud.CodeUnknownItem, "Items[0].Code"},
		{"bad month", func() *http.Request {
			return signed("GET", "/v1/reports/monthly/2025-13", nil, now, "nonce-bad-month-0001", "")
		}, 400, govcloud.CodeInvalidRequest, "month"},
		{"bad period", func() *http.Request {
			return signed("GET", "/v1/usage?start=x&end=y", nil, now, "nonce-bad-period-001", "")
		}, 400, govcloud.CodeInvalidRequest, "start"},
		{"no route", func() *http.Request { return signed("GET", "/v2/nothing", nil, now, "nonce-no-route-00001", "") }, 404, govcloud.CodeNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, tc.req())
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("body %q: %v", rec.Body.String(), err)
			}
			got := [4]any{rec.Code, rec.Header().Get("Content-Type"), p.Code, p.Field}
			want := [4]any{tc.status, ProblemContentType, tc.code, tc.field}
			if d := cmp.Diff(want, got); d != "" || p.Class != "permanent" || p.Status != tc.status {
				t.Errorf("(-want +got)\n%s\nproblem %+v", d, p)
			}
		})
	}
	if n := sim.Created(); n != 0 {
		t.Fatalf("refused requests created %d resources", n)
	}
	// The replay: the first is accepted, the identical second refused.
	r1 := signed("POST", "/v1/provision", good, now, "nonce-replay-000001", "k1")
	r2 := signed("POST", "/v1/provision", good, now, "nonce-replay-000001", "k1")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, r1)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("first request: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, r2)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), CodeReplayed) {
		t.Fatalf("replay: %d %s", rec.Code, rec.Body)
	}
}

// The client maps statuses and transport failures to error classes.
func TestClientErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		retryable bool
		code      string
	}{
		{"503 no body", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, true, govcloud.CodeUnavailable},
		{"500 html", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500); _, _ = w.Write([]byte("<html>oops")) }, true, govcloud.CodeUnavailable},
		{"429", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Retry-After", "7"); w.WriteHeader(429) }, true, govcloud.CodeRateLimited},
		{"408", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(408) }, true, govcloud.CodeTimeout},
		{"400 no body", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(400) }, false, govcloud.CodeInvalidRequest},
		{"403", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) }, false, govcloud.CodeUnauthorized},
		{"409 problem busy (class wins)", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ProblemContentType)
			w.WriteHeader(409)
			_, _ = w.Write([]byte(`{"type":"x","title":"x","status":409,"code":"busy","class":"retryable"}`))
		}, true, govcloud.CodeBusy},
		{"200 garbage", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("not json")) }, true, govcloud.CodeUnavailable},
		{"200 wrong key", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"key":"other","op":"provision","done":false,"accepted":"2025-01-01T00:00:00Z"}`))
		}, true, govcloud.CodeUnavailable},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(time.Second):
			}
		}, true, govcloud.CodeTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(tc.handler)
			defer ts.Close()
			hc := ts.Client()
			hc.Timeout = 200 * time.Millisecond
			c, err := NewClient(ClientOptions{BaseURL: ts.URL, Secret: secret, HTTPClient: hc})
			if err != nil {
				t.Fatal(err)
			}
			var req govcloud.ProvisionRequest
			_ = json.Unmarshal(provisionBody("k"), &req)
			_, err = c.Provision(context.Background(), req)
			var pe *govcloud.ProviderError
			if !errors.As(err, &pe) || pe.Code != tc.code || govcloud.IsRetryable(err) != tc.retryable || govcloud.IsPermanent(err) == tc.retryable {
				t.Errorf("err = %v, want code %q retryable %v", err, tc.code, tc.retryable)
			}
		})
	}
}

func TestDecodeProblem(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   govcloud.ProviderError
	}{
		{"full", 409, nil, `{"type":"t","title":"Conflict","status":409,"detail":"key reused","code":"idempotency_conflict","class":"permanent","field":"Key"}`,
			govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: "idempotency_conflict", Field: "Key", Msg: "key reused"}},
		{"retry after in body", 503, nil, `{"code":"busy","class":"retryable","retry_after":60}`,
			govcloud.ProviderError{Class: govcloud.ClassRetryable, Code: "busy", Msg: "HTTP 503 Service Unavailable", RetryAfter: time.Minute}},
		{"retry after header", 429, http.Header{"Retry-After": {"5"}}, ``,
			govcloud.ProviderError{Class: govcloud.ClassRetryable, Code: govcloud.CodeRateLimited, Msg: "HTTP 429 Too Many Requests", RetryAfter: 5 * time.Second}},
		{"bad class ignored", 404, nil, `{"code":"not_found","class":"sometimes"}`,
			govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: "not_found", Msg: "HTTP 404 Not Found"}},
		{"absurd retry after ignored", 503, http.Header{"Retry-After": {"99999999999"}}, `{"retry_after":-5}`,
			govcloud.ProviderError{Class: govcloud.ClassRetryable, Code: govcloud.CodeUnavailable, Msg: "HTTP 503 Service Unavailable"}},
	}
	for _, tc := range tests {
		h := tc.header
		if h == nil {
			h = http.Header{}
		}
		got := DecodeProblem(tc.status, h, []byte(tc.body))
		if d := cmp.Diff(tc.want, *got); d != "" {
			t.Errorf("%s (-want +got)\n%s", tc.name, d)
		}
	}
}

type recSink struct {
	mu  sync.Mutex
	got []govcloud.Completion
}

func (r *recSink) Complete(_ context.Context, c govcloud.Completion) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, c)
	return nil
}

// End to end: the simulated vendor pushes its completions through a
// Notifier to the platform's CallbackHandler.
func TestCallbacks(t *testing.T) {
	sink := &recSink{}
	cb, err := NewCallbackHandler(CallbackOptions{Sink: sink, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	platform := httptest.NewServer(validating(t, cb))
	defer platform.Close()
	n, err := NewNotifier(NotifierOptions{URL: platform.URL + "/v1/completions", Secret: secret, HTTPClient: platform.Client()})
	if err != nil {
		t.Fatal(err)
	}
	clock := simprovider.NewManualClock(time.Date(2025, 3, 3, 9, 0, 0, 0, calendar.Beijing()))
	sim, err := simprovider.New(simprovider.Options{Vendor: "v1", Clock: clock, Sink: n})
	if err != nil {
		t.Fatal(err)
	}
	var req govcloud.ProvisionRequest
	_ = json.Unmarshal(provisionBody("k1"), &req)
	ack, err := sim.Provision(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(ack.Expected)
	if err := sim.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sink.got) != 1 || sink.got[0].Key != "k1" || sink.got[0].Result == nil || len(sink.got[0].Result.Resources) != 1 {
		t.Fatalf("sink got %+v", sink.got)
	}
	// A replayed callback (same nonce) is refused and not delivered again.
	body, _ := json.Marshal(sink.got[0])
	send := func(nonce string, at time.Time, b []byte) int {
		r, _ := http.NewRequest("POST", platform.URL+"/v1/completions", bytes.NewReader(b))
		r.Header.Set(HeaderIdempotencyKey, "k1")
		r.Header.Set("Content-Type", "application/json")
		Sign(r, secret, at, nonce, b)
		resp, err := platform.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := send("nonce-callback-00001", time.Now(), body); st != 204 {
		t.Fatalf("fresh callback: %d", st)
	}
	if st := send("nonce-callback-00001", time.Now(), body); st != 409 {
		t.Errorf("replayed callback: %d, want 409", st)
	}
	if st := send("nonce-callback-00002", time.Now().Add(-time.Hour), body); st != 401 {
		t.Errorf("stale callback: %d, want 401", st)
	}
	if st := send("nonce-callback-00003", time.Now(), []byte(`{"key":"k1","op":"provision","application":"app"}`)); st != 400 {
		t.Errorf("callback without result or error: %d, want 400", st)
	}
	if len(sink.got) != 2 {
		t.Errorf("sink got %d completions, want 2 (the original and the fresh resend)", len(sink.got))
	}
}

func TestOptionsValidate(t *testing.T) {
	sim := &simprovider.Sim{}
	tests := []struct {
		name  string
		err   error
		field string
	}{
		{"server no provider", (&ServerOptions{Secret: secret}).Validate(), "Provider"},
		{"server short secret", (&ServerOptions{Provider: sim, Secret: []byte("x")}).Validate(), "Secret"},
		{"client no url", (&ClientOptions{Secret: secret}).Validate(), "BaseURL"},
		{"client ftp", (&ClientOptions{BaseURL: "ftp://x", Secret: secret}).Validate(), "BaseURL"},
		{"client query", (&ClientOptions{BaseURL: "http://x/?a=b", Secret: secret}).Validate(), "BaseURL"},
		{"notifier bad url", (&NotifierOptions{URL: "::", Secret: secret}).Validate(), "URL"},
		{"callback no sink", (&CallbackOptions{Secret: secret}).Validate(), "Sink"},
	}
	for _, tc := range tests {
		var oe *OptionError
		if !errors.As(tc.err, &oe) || oe.Field != tc.field || !errors.Is(tc.err, ErrInvalidOptions) {
			t.Errorf("%s: %v, want field %q", tc.name, tc.err, tc.field)
		}
	}
}

// ---- fuzzing every decoder of outside input ----

func FuzzDecodeProblem(f *testing.F) {
	f.Add(503, `{"code":"busy","class":"retryable","retry_after":3}`, "")
	f.Add(400, `{"class":"permanent"}`, "12")
	f.Add(200, `[]`, "x")
	f.Fuzz(func(t *testing.T, status int, body, retryAfter string) {
		pe := DecodeProblem(status, http.Header{"Retry-After": {retryAfter}}, []byte(body))
		if !pe.Class.Valid() || pe.Code == "" || pe.RetryAfter < 0 {
			t.Fatalf("DecodeProblem(%d, %q) = %+v", status, body, pe)
		}
	})
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add("k1", string(provisionBody("k1")))
	f.Add("k1", `{"key":"k1"}`)
	f.Add("", `null`)
	f.Add("k", `{"key":"k","work_order":"w","application":"a","department":"d","vendor":"v","items":[{"code":"x","quantity":-1}]}`)
	f.Fuzz(func(t *testing.T, key, body string) {
		req, perr := decodeRequest[govcloud.ProvisionRequest](key, []byte(body))
		if perr != nil {
			if perr.Class != govcloud.ClassPermanent || perr.Code != govcloud.CodeInvalidRequest {
				t.Fatalf("refusal %+v is not a permanent invalid_request", perr)
			}
			return
		}
		if req.Key != key || req.Validate() != nil {
			t.Fatalf("accepted %+v for key %q", req, key)
		}
	})
}

func FuzzDecodeCompletion(f *testing.F) {
	f.Add("k1", `{"key":"k1","op":"provision","application":"a","result":{"application":"a","environment":"e","completed":"2025-01-01T00:00:00Z"}}`)
	f.Add("k1", `{"key":"k1","op":"change","application":"a","error":{"class":"retryable","code":"partial","message":"m"}}`)
	f.Add("k", `{"key":"k","op":"x"}`)
	f.Fuzz(func(t *testing.T, key, body string) {
		c, perr := DecodeCompletion(key, []byte(body))
		if perr != nil {
			if perr.Class != govcloud.ClassPermanent {
				t.Fatalf("refusal %+v is not permanent", perr)
			}
			return
		}
		if c.Key != key || c.Validate() != nil {
			t.Fatalf("accepted %+v", c)
		}
	})
}

// FuzzServer sends arbitrary signed bodies and query strings to every
// route: the server must answer (never panic), refusals must be
// problem+json, and a refused request must create nothing.
func FuzzServer(f *testing.F) {
	f.Add(0, string(provisionBody("k1")), "k1", "")
	f.Add(4, `{}`, "", "start=2025-01-01T00:00:00Z&end=2025-02-01T00:00:00Z&step=-1")
	f.Add(5, ``, "", "start=2025-01-01T00:00:00Z&end=2024-01-01T00:00:00Z")
	f.Add(8, ``, "", "")
	f.Fuzz(func(t *testing.T, route int, body, key, query string) {
		srv, _, sim := newStackF(t)
		rs := srv.Routes()
		r := rs[(route%len(rs)+len(rs))%len(rs)]
		path := strings.NewReplacer("{key}", "k1", "{month}", "2025-02").Replace(r.Pattern)
		req := httptest.NewRequest(r.Method, "/", bytes.NewReader([]byte(body)))
		req.URL.Path, req.URL.RawQuery = path, query
		req.RequestURI = req.URL.RequestURI()
		if key != "" {
			req.Header.Set(HeaderIdempotencyKey, key)
		}
		Sign(req, secret, time.Now(), "nonce-fuzz-000000001", []byte(body))
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != ProblemContentType {
				t.Fatalf("%s %s → %d with %q", r.Method, path, rec.Code, ct)
			}
			if sim.Created() != 0 {
				t.Fatalf("a refused request created resources")
			}
		}
	})
}

func newStackF(t *testing.T) (*Server, *Client, *simprovider.Sim) {
	clock := simprovider.NewManualClock(time.Date(2025, 3, 3, 9, 0, 0, 0, calendar.Beijing()))
	sim, err := simprovider.New(simprovider.Options{Vendor: "v1", Clock: clock, Items: items,
		Latency: map[govcloud.Op]simprovider.Latency{govcloud.OpProvision: {Min: time.Hour, Max: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerOptions{Provider: sim, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return srv, nil, sim
}

func FuzzVerify(f *testing.F) {
	f.Add("1700000000", "nonce-0000000000001", "v1=00", "GET", "/v1/usage", "")
	f.Add("", "", "", "POST", "/", "{}")
	f.Fuzz(func(t *testing.T, ts, nonce, sig, method, uri, body string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Method = method
		r.URL.Path = uri
		r.Header.Set(HeaderTimestamp, ts)
		r.Header.Set(HeaderNonce, nonce)
		r.Header.Set(HeaderSignature, sig)
		v := Verifier{Secret: secret, Clock: systemClock{}, Nonces: NewMemoryNonces(nil)}
		if err := v.Verify(context.Background(), r, []byte(body)); err == nil {
			t.Fatalf("forged request accepted: ts %q nonce %q sig %q", ts, nonce, sig)
		}
	})
}

func BenchmarkRoundTrip(b *testing.B) {
	clock := simprovider.NewManualClock(time.Date(2025, 3, 3, 9, 0, 0, 0, calendar.Beijing()))
	sim, _ := simprovider.New(simprovider.Options{Vendor: "v1", Clock: clock})
	srv, _ := NewServer(ServerOptions{Provider: sim, Secret: secret})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, _ := NewClient(ClientOptions{BaseURL: ts.URL, Secret: secret, HTTPClient: ts.Client()})
	ctx := context.Background()
	var req govcloud.ProvisionRequest
	_ = json.Unmarshal(provisionBody("k1"), &req)
	if _, err := c.Provision(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Poll(ctx, "k1"); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzClientResponse: whatever a vendor's server answers, the client
// returns either a consistent Ack or a classified error, never panics.
func FuzzClientResponse(f *testing.F) {
	f.Add(202, `{"key":"k","op":"provision","done":false,"accepted":"2025-01-01T00:00:00Z"}`)
	f.Add(200, `{"key":"k","op":"provision","done":true,"accepted":"2025-01-01T00:00:00Z","result":{"application":"app","environment":"e","completed":"2025-01-01T00:00:00Z"}}`)
	f.Add(200, `{"key":"k","op":"provision","done":true}`)
	f.Add(409, `{"code":"busy","class":"retryable"}`)
	f.Add(302, ``)
	type answer struct {
		status int
		body   string
	}
	var cur atomic.Pointer[answer]
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := cur.Load()
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	defer ts.Close()
	hc := ts.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c, err := NewClient(ClientOptions{BaseURL: ts.URL, Secret: secret, HTTPClient: hc})
	if err != nil {
		f.Fatal(err)
	}
	var req govcloud.ProvisionRequest
	_ = json.Unmarshal(provisionBody("k"), &req)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 200 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		cur.Store(&answer{status, body})
		ack, err := c.Provision(context.Background(), req)
		if err != nil {
			if govcloud.Classify(err) == 0 {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if ack.Key != "k" || ack.Op != govcloud.OpProvision || (ack.Done && ack.Result == nil) {
			t.Fatalf("inconsistent ack %+v from %d %q", ack, status, body)
		}
	})
}
