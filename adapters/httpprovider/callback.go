package httpprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	govcloud "github.com/opengovcloud/govcloud/provider"
)

// NotifierOptions configures a Notifier.
type NotifierOptions struct {
	// URL is the platform's callback endpoint, e.g.
	// "https://platform.example/govcloud/v1/completions" (required).
	URL string
	// Secret is the shared HMAC key (required, at least 32 bytes).
	Secret []byte
	// HTTPClient sends the callbacks (nil: a client with a 30 s timeout).
	HTTPClient *http.Client
	// Clock stamps callbacks (nil: the wall clock).
	Clock Clock
	// Nonces generates nonces (nil: 128 random bits, hex).
	Nonces IDGenerator
}

// Validate reports the first wrong field.
func (o *NotifierOptions) Validate() error {
	u, err := url.Parse(o.URL)
	switch {
	case o.URL == "":
		return &OptionError{"URL", "is required"}
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return &OptionError{"URL", fmt.Sprintf("%q is not an http(s) URL", o.URL)}
	case len(o.Secret) < 32:
		return &OptionError{"Secret", fmt.Sprintf("%d bytes: at least 32 are required", len(o.Secret))}
	}
	return nil
}

// Notifier is the vendor's side of completion callbacks: a
// govcloud.CompletionSink that POSTs each completion, signed, to the
// platform. Give it to the vendor's provider (e.g. simprovider.Options.Sink).
type Notifier struct{ o NotifierOptions }

// NewNotifier validates o and returns a Notifier.
func NewNotifier(o NotifierOptions) (*Notifier, error) {
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
	return &Notifier{o: o}, nil
}

// Complete implements govcloud.CompletionSink: one signed POST with the
// completion's key as Idempotency-Key. Errors are classified like the
// client's; the vendor retries retryable ones (a fresh nonce each time).
func (n *Notifier) Complete(ctx context.Context, c govcloud.Completion) error {
	if err := c.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(c)
	if err != nil {
		return govcloud.Permanent(govcloud.CodeInvalidRequest, "encoding: "+err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.o.URL, bytes.NewReader(body))
	if err != nil {
		return govcloud.Permanent(govcloud.CodeInvalidRequest, err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, c.Key)
	Sign(req, n.o.Secret, n.o.Clock.Now(), n.o.Nonces.NewID(), body)
	resp, err := n.o.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return transportError(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return DecodeProblem(resp.StatusCode, resp.Header, data)
	}
	return nil
}

// CallbackOptions configures the platform's callback handler.
type CallbackOptions struct {
	// Sink receives verified completions (required). It must be idempotent:
	// a vendor may send a completion again (with a fresh nonce).
	Sink govcloud.CompletionSink
	// Secret is the shared HMAC key (required, at least 32 bytes).
	Secret []byte
	// Clock checks timestamps (nil: the wall clock).
	Clock Clock
	// Window is the accepted clock skew (0: DefaultWindow).
	Window time.Duration
	// Nonces refuses replays (nil: in memory, for one process; several
	// platform instances must share one store).
	Nonces NonceStore
}

// Validate reports the first wrong field.
func (o *CallbackOptions) Validate() error {
	switch {
	case o.Sink == nil:
		return &OptionError{"Sink", "is required"}
	case len(o.Secret) < 32:
		return &OptionError{"Secret", fmt.Sprintf("%d bytes: at least 32 are required", len(o.Secret))}
	case o.Window < 0:
		return &OptionError{"Window", "negative"}
	}
	return nil
}

// CallbackHandler is the platform's endpoint for completion callbacks
// (POST, mounted at the URL given to the vendor's Notifier). It refuses
// malformed, unsigned, stale and replayed callbacks with a problem+json
// body before the sink sees them; it answers 204 when the sink accepted
// the completion.
type CallbackHandler struct {
	o CallbackOptions
	v Verifier
}

// NewCallbackHandler validates o and returns the handler.
func NewCallbackHandler(o CallbackOptions) (*CallbackHandler, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.Nonces == nil {
		o.Nonces = NewMemoryNonces(o.Clock)
	}
	return &CallbackHandler{o: o, v: Verifier{Secret: o.Secret, Clock: o.Clock, Window: o.Window, Nonces: o.Nonces}}, nil
}

// ServeHTTP implements http.Handler.
func (h *CallbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeProblem(w, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest,
			Field: "method", Msg: "只接受 POST (only POST)"})
		return
	}
	body, perr := readBody(w, r)
	if perr != nil {
		writeProblem(w, perr)
		return
	}
	if err := h.v.Verify(r.Context(), r, body); err != nil {
		writeProblem(w, sigProblem(err))
		return
	}
	c, perr := DecodeCompletion(r.Header.Get(HeaderIdempotencyKey), body)
	if perr != nil {
		writeProblem(w, perr)
		return
	}
	if err := h.o.Sink.Complete(r.Context(), c); err != nil {
		writeProblem(w, providerProblem(r.Context(), err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// DecodeCompletion decodes and validates a callback body whose
// Idempotency-Key header is key.
func DecodeCompletion(key string, body []byte) (govcloud.Completion, *govcloud.ProviderError) {
	var c govcloud.Completion
	if key == "" {
		return c, invalidField(HeaderIdempotencyKey, "缺少幂等键 (header required)")
	}
	if err := decodeJSON(body, &c); err != nil {
		return govcloud.Completion{}, invalidField("body", "不是有效的JSON (malformed JSON): "+truncate(err.Error()))
	}
	if c.Key != key {
		return govcloud.Completion{}, invalidField(HeaderIdempotencyKey, fmt.Sprintf("header %q differs from the body's key %q", truncate(key), truncate(c.Key)))
	}
	if err := c.Validate(); err != nil {
		pe, _ := err.(*govcloud.ProviderError)
		if pe == nil {
			pe = invalidField("body", err.Error())
		}
		return govcloud.Completion{}, pe
	}
	return c, nil
}
