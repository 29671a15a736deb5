package httpprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	govcloud "github.com/opengovcloud/govcloud/provider"
)

// ClientOptions configures a Client.
type ClientOptions struct {
	// BaseURL is the vendor's server, e.g. "https://cloud.vendor.example/govcloud" (required).
	BaseURL string
	// Secret is the shared HMAC key (required, at least 32 bytes).
	Secret []byte
	// HTTPClient sends the requests (nil: a client with a 30 s timeout).
	HTTPClient *http.Client
	// Clock stamps requests (nil: the wall clock).
	Clock Clock
	// Nonces generates request nonces (nil: 128 random bits, hex).
	Nonces IDGenerator
}

// Validate reports the first wrong field.
func (o *ClientOptions) Validate() error {
	u, err := url.Parse(o.BaseURL)
	switch {
	case o.BaseURL == "":
		return &OptionError{"BaseURL", "is required"}
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return &OptionError{"BaseURL", fmt.Sprintf("%q is not an http(s) URL", o.BaseURL)}
	case u.RawQuery != "" || u.Fragment != "":
		return &OptionError{"BaseURL", "must not have a query or fragment"}
	case len(o.Secret) < 32:
		return &OptionError{"Secret", fmt.Sprintf("%d bytes: at least 32 are required", len(o.Secret))}
	}
	return nil
}

// Client is the platform's side of the HTTP contract: a govcloud.Provider
// (and every optional capability) that calls a vendor's server. A
// capability the server lacks answers a permanent govcloud.ErrUnsupported.
type Client struct {
	o    ClientOptions
	base string
}

// Interface checks.
var (
	_ govcloud.Provider            = (*Client)(nil)
	_ govcloud.Poller              = (*Client)(nil)
	_ govcloud.UsageReporter       = (*Client)(nil)
	_ govcloud.UtilisationReporter = (*Client)(nil)
	_ govcloud.IncidentReporter    = (*Client)(nil)
	_ govcloud.MonthlyReporter     = (*Client)(nil)
)

// NewClient validates o and returns a client.
func NewClient(o ClientOptions) (*Client, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.Nonces == nil {
		o.Nonces = randomIDs{}
	}
	return &Client{o: o, base: strings.TrimSuffix(o.BaseURL, "/")}, nil
}

// do sends one signed request and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in any, key string, out any) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Msg: "encoding: " + err.Error()}
		}
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return 0, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Msg: err.Error()}
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, "+ProblemContentType)
	if key != "" {
		req.Header.Set(HeaderIdempotencyKey, key)
	}
	Sign(req, c.o.Secret, c.o.Clock.Now(), c.o.Nonces.NewID(), body)
	resp, err := c.o.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, transportError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, transportError(err)
	}
	if len(data) > MaxBody {
		return resp.StatusCode, govcloud.Retryable(govcloud.CodeUnavailable, fmt.Sprintf("response larger than %d bytes", MaxBody))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, DecodeProblem(resp.StatusCode, resp.Header, data)
	}
	if out != nil {
		if err := decodeJSON(data, out); err != nil {
			// A 2xx that is not what the contract promises: the vendor's
			// server is broken; retrying may reach a healthy instance.
			return resp.StatusCode, govcloud.Retryable(govcloud.CodeUnavailable, "malformed response: "+truncate(err.Error()))
		}
	}
	return resp.StatusCode, nil
}

// transportError classifies a failure to get an answer: retryable.
func transportError(err error) error {
	code := govcloud.CodeUnavailable
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		code = govcloud.CodeTimeout
	}
	return fmt.Errorf("%w (%v)", govcloud.Retryable(code, "服务商无响应 (no answer from the vendor)"), err)
}

// ack posts a mutating request and checks that the Ack belongs to it.
func (c *Client) ack(ctx context.Context, path string, op govcloud.Op, key string, req any) (govcloud.Ack, error) {
	var a govcloud.Ack
	if _, err := c.do(ctx, http.MethodPost, path, nil, req, key, &a); err != nil {
		return govcloud.Ack{}, err
	}
	if err := checkAck(a, op, key); err != nil {
		return govcloud.Ack{}, err
	}
	return a, nil
}

func checkAck(a govcloud.Ack, op govcloud.Op, key string) error {
	switch {
	case a.Key != key || a.Op != op:
		return govcloud.Retryable(govcloud.CodeUnavailable, fmt.Sprintf("answer for key %q op %q, asked %q op %q", truncate(a.Key), truncate(string(a.Op)), key, op))
	case a.Done && a.Result == nil:
		return govcloud.Retryable(govcloud.CodeUnavailable, "answer done without result")
	}
	return nil
}

// validate runs the request's Validate before sending, so that bad input
// never leaves the platform.
func validate(req interface{ Validate() error }) error { return req.Validate() }

// Provision implements govcloud.Provider.
func (c *Client) Provision(ctx context.Context, r govcloud.ProvisionRequest) (govcloud.Ack, error) {
	if err := validate(r); err != nil {
		return govcloud.Ack{}, err
	}
	return c.ack(ctx, "/v1/provision", govcloud.OpProvision, r.Key, r)
}

// Promote implements govcloud.Provider.
func (c *Client) Promote(ctx context.Context, r govcloud.PromoteRequest) (govcloud.Ack, error) {
	if err := validate(r); err != nil {
		return govcloud.Ack{}, err
	}
	return c.ack(ctx, "/v1/promote", govcloud.OpPromote, r.Key, r)
}

// Change implements govcloud.Provider.
func (c *Client) Change(ctx context.Context, r govcloud.ChangeRequest) (govcloud.Ack, error) {
	if err := validate(r); err != nil {
		return govcloud.Ack{}, err
	}
	return c.ack(ctx, "/v1/change", govcloud.OpChange, r.Key, r)
}

// Reclaim implements govcloud.Provider.
func (c *Client) Reclaim(ctx context.Context, r govcloud.ReclaimRequest) (govcloud.Ack, error) {
	if err := validate(r); err != nil {
		return govcloud.Ack{}, err
	}
	return c.ack(ctx, "/v1/reclaim", govcloud.OpReclaim, r.Key, r)
}

// Poll implements govcloud.Poller.
func (c *Client) Poll(ctx context.Context, key string) (govcloud.Ack, error) {
	if strings.TrimSpace(key) == "" {
		return govcloud.Ack{}, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Field: "key", Msg: "is required"}
	}
	var a govcloud.Ack
	if _, err := c.do(ctx, http.MethodGet, "/v1/operations/"+url.PathEscape(key), nil, nil, "", &a); err != nil {
		return govcloud.Ack{}, err
	}
	if !a.Op.Valid() {
		return govcloud.Ack{}, govcloud.Retryable(govcloud.CodeUnavailable, fmt.Sprintf("answer with unknown op %q", truncate(string(a.Op))))
	}
	if err := checkAck(a, a.Op, key); err != nil {
		return govcloud.Ack{}, err
	}
	return a, nil
}

// Capabilities asks the server what its provider can do.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	var caps Capabilities
	_, err := c.do(ctx, http.MethodGet, "/v1/capabilities", nil, nil, "", &caps)
	return caps, err
}

// Usage implements govcloud.UsageReporter.
func (c *Client) Usage(ctx context.Context, q govcloud.UsageQuery) ([]govcloud.UsageRecord, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	v := periodQuery(q.Period)
	if q.Application != "" {
		v.Set("application", q.Application)
	}
	var b usageBody
	if _, err := c.do(ctx, http.MethodGet, "/v1/usage", v, nil, "", &b); err != nil {
		return nil, err
	}
	return b.Records, nil
}

// Utilisation implements govcloud.UtilisationReporter. Step is sent in
// whole seconds.
func (c *Client) Utilisation(ctx context.Context, q govcloud.UtilisationQuery) ([]govcloud.UtilisationSample, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	v := periodQuery(q.Period)
	if q.Application != "" {
		v.Set("application", q.Application)
	}
	if s := int64(q.Step / time.Second); s > 0 {
		v.Set("step", strconv.FormatInt(s, 10))
	}
	var b utilisationBody
	if _, err := c.do(ctx, http.MethodGet, "/v1/utilisation", v, nil, "", &b); err != nil {
		return nil, err
	}
	return b.Samples, nil
}

// Incidents implements govcloud.IncidentReporter.
func (c *Client) Incidents(ctx context.Context, q govcloud.Period) ([]govcloud.Incident, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var b incidentsBody
	if _, err := c.do(ctx, http.MethodGet, "/v1/incidents", periodQuery(q), nil, "", &b); err != nil {
		return nil, err
	}
	return b.Incidents, nil
}

// MonthlyReport implements govcloud.MonthlyReporter.
func (c *Client) MonthlyReport(ctx context.Context, m govcloud.Month) (govcloud.MonthlyReport, error) {
	if !m.Valid() {
		return govcloud.MonthlyReport{}, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Field: "Month", Msg: "not a month"}
	}
	var rep govcloud.MonthlyReport
	_, err := c.do(ctx, http.MethodGet, "/v1/reports/monthly/"+m.String(), nil, nil, "", &rep)
	return rep, err
}
