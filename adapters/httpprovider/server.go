package httpprovider

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	govcloud "github.com/opengovcloud/govcloud/provider"
)

//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the OpenAPI 3 document of the contract (a copy).
func OpenAPI() []byte { return append([]byte(nil), openapiJSON...) }

// ErrInvalidOptions reports options that Validate rejects (an *OptionError).
var ErrInvalidOptions = errors.New("httpprovider: invalid options")

// OptionError names the wrong field. It matches ErrInvalidOptions.
type OptionError struct{ Field, Reason string }

func (e *OptionError) Error() string {
	return "httpprovider: invalid options: " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidOptions.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }

// ServerOptions configures the reference server.
type ServerOptions struct {
	// Provider is the vendor's implementation the server exposes (required).
	Provider govcloud.Provider
	// Secret is the shared HMAC key (required, at least 32 bytes).
	Secret []byte
	// Clock checks timestamps (nil: the wall clock).
	Clock Clock
	// Window is the accepted clock skew (0: DefaultWindow).
	Window time.Duration
	// Nonces refuses replays (nil: an in-memory store, for one process).
	Nonces NonceStore
}

// Validate reports the first wrong field.
func (o *ServerOptions) Validate() error {
	switch {
	case o.Provider == nil:
		return &OptionError{"Provider", "is required"}
	case len(o.Secret) < 32:
		return &OptionError{"Secret", fmt.Sprintf("%d bytes: at least 32 are required", len(o.Secret))}
	case o.Window < 0:
		return &OptionError{"Window", "negative"}
	}
	return nil
}

// Route is one operation the server serves.
type Route struct {
	Method, Pattern string
	Signed          bool
}

// Server is the reference HTTP server a vendor wraps around its cloud: it
// verifies every request's signature, decodes it, calls the Provider and
// encodes the answer. Malformed, unsigned, stale and replayed requests are
// refused with a problem+json body before the Provider sees them.
type Server struct {
	o      ServerOptions
	v      Verifier
	mux    *http.ServeMux
	routes []Route
}

// NewServer validates o and returns the server.
func NewServer(o ServerOptions) (*Server, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.Nonces == nil {
		o.Nonces = NewMemoryNonces(o.Clock)
	}
	s := &Server{o: o, v: Verifier{Secret: o.Secret, Clock: o.Clock, Window: o.Window, Nonces: o.Nonces}, mux: http.NewServeMux()}
	s.handle("GET", "/openapi.json", false, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapiJSON)
	})
	s.handle("GET", "/v1/capabilities", true, s.capabilities)
	s.handle("POST", "/v1/provision", true, mutating(s, govcloud.Provider.Provision))
	s.handle("POST", "/v1/promote", true, mutating(s, govcloud.Provider.Promote))
	s.handle("POST", "/v1/change", true, mutating(s, govcloud.Provider.Change))
	s.handle("POST", "/v1/reclaim", true, mutating(s, govcloud.Provider.Reclaim))
	s.handle("GET", "/v1/operations/{key}", true, s.poll)
	s.handle("GET", "/v1/usage", true, s.usage)
	s.handle("GET", "/v1/utilisation", true, s.utilisation)
	s.handle("GET", "/v1/incidents", true, s.incidents)
	s.handle("GET", "/v1/reports/monthly/{month}", true, s.monthly)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, govcloud.Permanent(govcloud.CodeNotFound, fmt.Sprintf("没有该接口 (no such route): %s %s", r.Method, r.URL.Path)))
	})
	return s, nil
}

// Routes lists what the server serves.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type handlerFunc func(w http.ResponseWriter, r *http.Request, body []byte)

func (s *Server) handle(method, pattern string, signed bool, h handlerFunc) {
	s.routes = append(s.routes, Route{method, pattern, signed})
	s.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		body, perr := readBody(w, r)
		if perr != nil {
			writeProblem(w, perr)
			return
		}
		if signed {
			if err := s.v.Verify(r.Context(), r, body); err != nil {
				writeProblem(w, sigProblem(err))
				return
			}
		}
		h(w, r, body)
	})
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *govcloud.ProviderError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest,
				Field: "body", Msg: fmt.Sprintf("请求体超过 %d 字节 (body too large)", MaxBody)}
		}
		return nil, govcloud.Retryable(govcloud.CodeUnavailable, "读取请求失败 (reading the body failed): "+err.Error())
	}
	return body, nil
}

// sigProblem classifies a verification failure.
func sigProblem(err error) *govcloud.ProviderError {
	var se *SignatureError
	if !errors.As(err, &se) {
		return govcloud.Retryable(govcloud.CodeInternal, err.Error())
	}
	pe := &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeUnauthorized, Field: se.Header, Msg: err.Error()}
	switch se.Kind {
	case ErrStale:
		pe.Code = CodeStale
	case ErrReplayed:
		pe.Code = CodeReplayed
	case ErrNonceStore:
		pe.Class, pe.Code = govcloud.ClassRetryable, govcloud.CodeUnavailable
	}
	return pe
}

func invalidField(field, msg string) *govcloud.ProviderError {
	return &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Field: field, Msg: msg}
}

// providerProblem converts what a Provider returned into a problem.
func providerProblem(ctx context.Context, err error) *govcloud.ProviderError {
	var pe *govcloud.ProviderError
	switch {
	case errors.As(err, &pe) && pe.Class.Valid():
		return pe
	case ctx.Err() != nil:
		return govcloud.Retryable(govcloud.CodeTimeout, "请求已取消 (request cancelled): "+err.Error())
	}
	return govcloud.Retryable(govcloud.CodeInternal, "服务商内部错误 (provider error): "+err.Error())
}

// request is any of the four mutating requests.
type request interface {
	govcloud.ProvisionRequest | govcloud.PromoteRequest | govcloud.ChangeRequest | govcloud.ReclaimRequest
}

func orderOf(v any) govcloud.Order {
	switch r := v.(type) {
	case *govcloud.ProvisionRequest:
		return r.Order
	case *govcloud.PromoteRequest:
		return r.Order
	case *govcloud.ChangeRequest:
		return r.Order
	case *govcloud.ReclaimRequest:
		return r.Order
	}
	return govcloud.Order{}
}

// decodeRequest decodes and validates a mutating request body whose
// Idempotency-Key header is key.
func decodeRequest[R request](key string, body []byte) (R, *govcloud.ProviderError) {
	var req R
	if key == "" {
		return req, invalidField(HeaderIdempotencyKey, "缺少幂等键 (header required on every mutating request)")
	}
	if err := decodeJSON(body, &req); err != nil {
		return req, invalidField("body", "不是有效的JSON请求 (malformed JSON): "+truncate(err.Error()))
	}
	if k := orderOf(&req).Key; k != key {
		return req, invalidField(HeaderIdempotencyKey, fmt.Sprintf("header %q differs from the body's key %q", truncate(key), truncate(k)))
	}
	if err := any(req).(interface{ Validate() error }).Validate(); err != nil {
		var pe *govcloud.ProviderError
		if errors.As(err, &pe) {
			return req, pe
		}
		return req, invalidField("body", err.Error())
	}
	return req, nil
}

func mutating[R request](s *Server, call func(govcloud.Provider, context.Context, R) (govcloud.Ack, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		req, perr := decodeRequest[R](r.Header.Get(HeaderIdempotencyKey), body)
		if perr != nil {
			writeProblem(w, perr)
			return
		}
		ack, err := call(s.o.Provider, r.Context(), req)
		if err != nil {
			writeProblem(w, providerProblem(r.Context(), err))
			return
		}
		status := http.StatusAccepted
		if ack.Done {
			status = http.StatusOK
		}
		writeJSON(w, status, ack)
	}
}

func (s *Server) capabilities(w http.ResponseWriter, _ *http.Request, _ []byte) {
	p := s.o.Provider
	_, poll := p.(govcloud.Poller)
	_, usage := p.(govcloud.UsageReporter)
	_, util := p.(govcloud.UtilisationReporter)
	_, inc := p.(govcloud.IncidentReporter)
	_, mon := p.(govcloud.MonthlyReporter)
	writeJSON(w, http.StatusOK, Capabilities{Poll: poll, Usage: usage, Utilisation: util, Incidents: inc, Monthly: mon})
}

func unsupported(what string) *govcloud.ProviderError {
	return govcloud.Permanent(govcloud.CodeUnsupported, "服务商不支持 "+what+" (not supported by this provider)")
}

func (s *Server) poll(w http.ResponseWriter, r *http.Request, _ []byte) {
	p, ok := s.o.Provider.(govcloud.Poller)
	if !ok {
		writeProblem(w, unsupported("poll"))
		return
	}
	ack, err := p.Poll(r.Context(), r.PathValue("key"))
	if err != nil {
		writeProblem(w, providerProblem(r.Context(), err))
		return
	}
	writeJSON(w, http.StatusOK, ack)
}

func (s *Server) usage(w http.ResponseWriter, r *http.Request, _ []byte) {
	u, ok := s.o.Provider.(govcloud.UsageReporter)
	if !ok {
		writeProblem(w, unsupported("usage"))
		return
	}
	p, perr := parsePeriod(r.URL.Query())
	if perr != nil {
		writeProblem(w, perr)
		return
	}
	recs, err := u.Usage(r.Context(), govcloud.UsageQuery{Period: p, Application: r.URL.Query().Get("application")})
	if err != nil {
		writeProblem(w, providerProblem(r.Context(), err))
		return
	}
	writeJSON(w, http.StatusOK, usageBody{Records: nonNil(recs)})
}

func (s *Server) utilisation(w http.ResponseWriter, r *http.Request, _ []byte) {
	u, ok := s.o.Provider.(govcloud.UtilisationReporter)
	if !ok {
		writeProblem(w, unsupported("utilisation"))
		return
	}
	q := r.URL.Query()
	p, perr := parsePeriod(q)
	if perr != nil {
		writeProblem(w, perr)
		return
	}
	var step time.Duration
	if v := q.Get("step"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > 31*86400 {
			writeProblem(w, invalidField("step", fmt.Sprintf("%q is not a number of seconds in 1–%d", truncate(v), 31*86400)))
			return
		}
		step = time.Duration(n) * time.Second
	}
	smp, err := u.Utilisation(r.Context(), govcloud.UtilisationQuery{Period: p, Application: q.Get("application"), Step: step})
	if err != nil {
		writeProblem(w, providerProblem(r.Context(), err))
		return
	}
	writeJSON(w, http.StatusOK, utilisationBody{Samples: nonNil(smp)})
}

func (s *Server) incidents(w http.ResponseWriter, r *http.Request, _ []byte) {
	ir, ok := s.o.Provider.(govcloud.IncidentReporter)
	if !ok {
		writeProblem(w, unsupported("incidents"))
		return
	}
	p, perr := parsePeriod(r.URL.Query())
	if perr != nil {
		writeProblem(w, perr)
		return
	}
	incs, err := ir.Incidents(r.Context(), p)
	if err != nil {
		writeProblem(w, providerProblem(r.Context(), err))
		return
	}
	for i := range incs {
		if incs[i].Applications == nil {
			incs[i].Applications = []string{}
		}
	}
	writeJSON(w, http.StatusOK, incidentsBody{Incidents: nonNil(incs)})
}

func (s *Server) monthly(w http.ResponseWriter, r *http.Request, _ []byte) {
	mr, ok := s.o.Provider.(govcloud.MonthlyReporter)
	if !ok {
		writeProblem(w, unsupported("monthly reports"))
		return
	}
	m, err := govcloud.ParseMonth(r.PathValue("month"))
	if err != nil {
		writeProblem(w, invalidField("month", err.Error()))
		return
	}
	rep, err := mr.MonthlyReport(r.Context(), m)
	if err != nil {
		writeProblem(w, providerProblem(r.Context(), err))
		return
	}
	rep.Utilisation = nonNil(rep.Utilisation)
	writeJSON(w, http.StatusOK, rep)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
