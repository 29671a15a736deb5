package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/workflow"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is 0 (1 MiB).
const DefaultMaxBodyBytes = 1 << 20

// ErrInvalidConfig reports a Config that Validate rejects (a *ConfigError).
var ErrInvalidConfig = errors.New("platformd: invalid config")

// ConfigError names the wrong Config field.
type ConfigError struct{ Field, Reason string }

func (e *ConfigError) Error() string {
	return fmt.Sprintf("platformd: invalid config: %s: %s", e.Field, e.Reason)
}

// Is matches ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Config configures the service.
type Config struct {
	// Platform is the embedded platform (required). The Server never closes it.
	Platform *govcloud.Platform
	// Tokens maps bearer tokens to actors (required).
	Tokens *Tokens
	// Clock gives "now" for overdue queries and latency (nil: the system clock).
	Clock workflow.Clock
	// Logger receives the access log and the workers' logs (nil: discard).
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Billing is the billing service (nil: Platform.Billing()).
	Billing *billing.Service
	// Assessment is the scorecard service (nil: one on the platform's database).
	Assessment *assessment.Service
}

// Validate reports the first wrong field as a *ConfigError.
func (c Config) Validate() error {
	switch {
	case c.Platform == nil:
		return &ConfigError{"Platform", "required"}
	case c.Tokens == nil:
		return &ConfigError{"Tokens", "required"}
	case c.MaxBodyBytes < 0:
		return &ConfigError{"MaxBodyBytes", fmt.Sprintf("negative (%d)", c.MaxBodyBytes)}
	}
	return nil
}

// Server is the platformd HTTP handler: the platform's API behind bearer
// tokens, with metrics, health and the OpenAPI document. Create it with New;
// it is safe for concurrent use.
type Server struct {
	p        *govcloud.Platform
	tokens   *Tokens
	clock    workflow.Clock
	log      *slog.Logger
	maxBody  int64
	billing  *billing.Service
	assess   *assessment.Service
	mux      *http.ServeMux
	metrics  *Metrics
	routes   []Route
	authless map[string]bool
}

// Route is one served operation: method and path in OpenAPI form (the same
// form http.ServeMux patterns use).
type Route struct {
	Method, Path string
}

// New validates c and builds the handler.
func New(c Config) (*Server, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := &Server{p: c.Platform, tokens: c.Tokens, clock: c.Clock, log: c.Logger, maxBody: c.MaxBodyBytes,
		billing: c.Billing, assess: c.Assessment, mux: http.NewServeMux(), metrics: NewMetrics(), authless: map[string]bool{}}
	if s.clock == nil {
		s.clock = workflow.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.billing == nil {
		s.billing = c.Platform.Billing()
	}
	if s.assess == nil {
		s.assess = assessment.NewService(c.Platform.Database().Assessment())
	}
	s.register()
	s.mux.HandleFunc("/", s.fallback)
	return s, nil
}

// fallback answers what no route matches: 405 with Allow when the path is
// served with other methods, else 404; both as problem documents.
func (s *Server) fallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pattern := s.mux.Handler(r2); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, Problem{Status: http.StatusMethodNotAllowed, Detail: r.Method + " is not served on " + r.URL.Path,
			RequestID: requestID(r.Context())})
		return
	}
	writeProblem(w, Problem{Status: http.StatusNotFound, Detail: "no route " + r.Method + " " + r.URL.Path, RequestID: requestID(r.Context())})
}

// Routes lists the served operations (for the OpenAPI check and docs).
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Metrics returns the server's metrics (also served at /metrics).
func (s *Server) Metrics() *Metrics { return s.metrics }

// apiFunc handles an authenticated request; a returned error becomes a
// problem document.
type apiFunc func(w http.ResponseWriter, r *http.Request, a workflow.Actor) error

// handle registers an authenticated operation.
func (s *Server) handle(method, path string, fn apiFunc) {
	s.routes = append(s.routes, Route{method, path})
	s.mux.HandleFunc(method+" "+path, func(w http.ResponseWriter, r *http.Request) {
		a, ok := s.authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="govcloud"`)
			writeProblem(w, Problem{Status: http.StatusUnauthorized, Detail: "a valid bearer token is required (Authorization: Bearer <token>)",
				RequestID: requestID(r.Context())})
			return
		}
		if info := infoOf(r.Context()); info != nil {
			info.actor = a
		}
		if err := fn(w, r, a); err != nil {
			s.fail(w, r, err)
		}
	})
}

// handlePublic registers an operation without authentication.
func (s *Server) handlePublic(method, path string, fn http.HandlerFunc) {
	s.routes = append(s.routes, Route{method, path})
	s.authless[method+" "+path] = true
	s.mux.HandleFunc(method+" "+path, fn)
}

func (s *Server) authenticate(r *http.Request) (workflow.Actor, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return workflow.Actor{}, false
	}
	return s.tokens.Lookup(strings.TrimSpace(token))
}

// fail writes err as a problem document; server errors are logged, not shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, field := classify(err)
	detail := err.Error()
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "error", err.Error())
		detail = "internal error; see the server log (request " + requestID(r.Context()) + ")"
	}
	if status == http.StatusRequestEntityTooLarge {
		detail = fmt.Sprintf("request body larger than %d bytes", s.maxBody)
	}
	writeProblem(w, Problem{Status: status, Detail: detail, Field: field, RequestID: requestID(r.Context())})
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// ServeHTTP runs the middleware (request ID, body limit, recovery, access
// log, metrics) and the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now() // latency is wall time, not the injected clock
	id := r.Header.Get("X-Request-ID")
	if !validRequestID(id) {
		id = uuid.NewString()
	}
	info := &reqInfo{id: id}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	w.Header().Set("X-Request-ID", id)
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic", "request_id", id, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw.status == 0 {
				writeProblem(sw, Problem{Status: http.StatusInternalServerError, Detail: "internal error (request " + id + ")", RequestID: id})
			}
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		s.metrics.observe(route, status, elapsed)
		attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path, "route", route,
			"status", status, "latency_ms", float64(elapsed.Microseconds()) / 1000, "bytes", sw.bytes}
		if info.actor.Role != "" {
			attrs = append(attrs, "actor_role", string(info.actor.Role), "actor_id", info.actor.ID)
		}
		s.log.InfoContext(r.Context(), "request", attrs...)
	}()
	s.mux.ServeHTTP(sw, r)
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

type infoKey struct{}

// reqInfo is what the middleware learns about a request on the way in
// (its ID) and from the handler (the authenticated actor), for the log.
type reqInfo struct {
	id    string
	actor workflow.Actor
}

func infoOf(ctx context.Context) *reqInfo {
	i, _ := ctx.Value(infoKey{}).(*reqInfo)
	return i
}

func requestID(ctx context.Context) string {
	if i := infoOf(ctx); i != nil {
		return i.id
	}
	return ""
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
