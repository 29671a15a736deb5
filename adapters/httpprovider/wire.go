package httpprovider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	govcloud "github.com/opengovcloud/govcloud/provider"
)

// MaxBody is the largest request or response body accepted (8 MiB).
const MaxBody = 8 << 20

// ProblemContentType is the media type of error bodies (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an error body (RFC 9457 problem details) extended with the
// provider contract's classification.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Code is a govcloud.Code* constant or a vendor's own code.
	Code string `json:"code"`
	// Class is "retryable" or "permanent".
	Class string `json:"class"`
	Field string `json:"field,omitempty"`
	// RetryAfter is a hint in seconds (0: none).
	RetryAfter int64 `json:"retry_after,omitempty"`
}

// Codes used only on the wire (all permanent: the request must be re-signed).
const (
	CodeStale    = "stale_request"
	CodeReplayed = "replayed_request"
)

// statusOf maps an error code to an HTTP status.
func statusOf(pe *govcloud.ProviderError) int {
	switch pe.Code {
	case govcloud.CodeInvalidRequest:
		return http.StatusBadRequest
	case govcloud.CodeUnknownItem:
		return http.StatusUnprocessableEntity
	case govcloud.CodeIdempotencyConflict, govcloud.CodeInvalidState, CodeReplayed:
		return http.StatusConflict
	case govcloud.CodeNotFound:
		return http.StatusNotFound
	case govcloud.CodeUnauthorized, CodeStale:
		return http.StatusUnauthorized
	case govcloud.CodeUnsupported:
		return http.StatusNotImplemented
	case govcloud.CodeTimeout:
		return http.StatusGatewayTimeout
	case govcloud.CodeRateLimited:
		return http.StatusTooManyRequests
	case govcloud.CodeInternal:
		return http.StatusInternalServerError
	}
	if pe.Class == govcloud.ClassRetryable {
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// classOfStatus is the class of a status without a problem body: 5xx, 429
// and 408 retryable, other 4xx permanent.
func classOfStatus(status int) govcloud.ErrorClass {
	if status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout {
		return govcloud.ClassRetryable
	}
	return govcloud.ClassPermanent
}

func codeOfStatus(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return govcloud.CodeRateLimited
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return govcloud.CodeTimeout
	case status == http.StatusNotFound:
		return govcloud.CodeNotFound
	case status == http.StatusNotImplemented:
		return govcloud.CodeUnsupported
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return govcloud.CodeUnauthorized
	case status >= 500:
		return govcloud.CodeUnavailable
	}
	return govcloud.CodeInvalidRequest
}

// problemOf converts a provider error to a Problem.
func problemOf(pe *govcloud.ProviderError) Problem {
	st := statusOf(pe)
	class := pe.Class
	if !class.Valid() {
		class = govcloud.ClassRetryable
	}
	return Problem{
		Type: "urn:govcloud:problem:" + pe.Code, Title: http.StatusText(st), Status: st,
		Detail: pe.Msg, Code: pe.Code, Class: class.English(), Field: pe.Field,
		RetryAfter: int64(math.Ceil(pe.RetryAfter.Seconds())),
	}
}

func writeProblem(w http.ResponseWriter, pe *govcloud.ProviderError) {
	p := problemOf(pe)
	w.Header().Set("Content-Type", ProblemContentType)
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(p.RetryAfter, 10))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// DecodeProblem turns an error response into a classified
// *govcloud.ProviderError: the body's class and code when it is a valid
// problem, else the status's (5xx, 429 and 408 retryable, other 4xx
// permanent). It never fails: a malformed body only loses the detail.
func DecodeProblem(status int, header http.Header, body []byte) *govcloud.ProviderError {
	pe := &govcloud.ProviderError{Class: classOfStatus(status), Code: codeOfStatus(status),
		Msg: fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))}
	var p Problem
	if err := json.Unmarshal(body, &p); err == nil {
		var c govcloud.ErrorClass
		if c.UnmarshalText([]byte(p.Class)) == nil {
			pe.Class = c
		}
		if p.Code != "" {
			pe.Code = truncate(p.Code)
		}
		if p.Detail != "" {
			pe.Msg = p.Detail
		}
		pe.Field = p.Field
		if p.RetryAfter > 0 && p.RetryAfter < 86400*30 {
			pe.RetryAfter = time.Duration(p.RetryAfter) * time.Second
		}
	}
	if pe.RetryAfter == 0 {
		if s, err := strconv.ParseInt(header.Get("Retry-After"), 10, 64); err == nil && s > 0 && s < 86400*30 {
			pe.RetryAfter = time.Duration(s) * time.Second
		}
	}
	return pe
}

// decodeJSON decodes exactly one JSON value from body into v.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// Capabilities lists what a server's provider can do beyond the four
// mutating operations.
type Capabilities struct {
	Poll        bool `json:"poll"`
	Usage       bool `json:"usage"`
	Utilisation bool `json:"utilisation"`
	Incidents   bool `json:"incidents"`
	Monthly     bool `json:"monthly"`
}

type usageBody struct {
	Records []govcloud.UsageRecord `json:"records"`
}

type utilisationBody struct {
	Samples []govcloud.UtilisationSample `json:"samples"`
}

type incidentsBody struct {
	Incidents []govcloud.Incident `json:"incidents"`
}

// parsePeriod reads start and end (RFC 3339) from a query.
func parsePeriod(q url.Values) (govcloud.Period, *govcloud.ProviderError) {
	var p govcloud.Period
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"start", &p.Start}, {"end", &p.End}} {
		s := q.Get(f.name)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return p, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest,
				Field: f.name, Msg: fmt.Sprintf("%q is not an RFC 3339 time", truncate(s))}
		}
		*f.dst = t
	}
	if err := p.Validate(); err != nil {
		var pe *govcloud.ProviderError
		errors.As(err, &pe)
		return p, pe
	}
	return p, nil
}

func periodQuery(p govcloud.Period) url.Values {
	return url.Values{"start": {p.Start.Format(time.RFC3339Nano)}, "end": {p.End.Format(time.RFC3339Nano)}}
}
