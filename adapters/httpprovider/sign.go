package httpprovider

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The headers of the signing scheme.
const (
	HeaderTimestamp      = "X-Govcloud-Timestamp" // Unix seconds
	HeaderNonce          = "X-Govcloud-Nonce"     // unique per request, 16–128 chars [A-Za-z0-9_-]
	HeaderSignature      = "X-Govcloud-Signature" // "v1=" + hex HMAC-SHA256
	HeaderIdempotencyKey = "Idempotency-Key"
)

// DefaultWindow is how far a request's timestamp may be from the receiver's
// clock.
const DefaultWindow = 5 * time.Minute

// Sentinel errors of the signing scheme (each also carried by a
// *SignatureError).
var (
	ErrUnsigned   = errors.New("httpprovider: request not signed")
	ErrBadSig     = errors.New("httpprovider: bad signature")
	ErrStale      = errors.New("httpprovider: request timestamp outside the window")
	ErrReplayed   = errors.New("httpprovider: request replayed")
	ErrNonceStore = errors.New("httpprovider: nonce store failed")
)

// SignatureError explains why a request was refused by Verify.
type SignatureError struct {
	Kind   error // one of the sentinels above
	Header string
	Detail string
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("%v: %s: %s", e.Kind, e.Header, e.Detail)
}

// Unwrap returns the sentinel.
func (e *SignatureError) Unwrap() error { return e.Kind }

// Clock gives the current instant.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// IDGenerator makes nonces.
type IDGenerator interface{ NewID() string }

type randomIDs struct{}

func (randomIDs) NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("httpprovider: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// NonceStore remembers nonces to refuse replays. Implementations must be safe
// for concurrent use; a platform running several instances shares one (e.g.
// a table with a unique key).
type NonceStore interface {
	// Remember records nonce until expires and reports whether it was new.
	Remember(ctx context.Context, nonce string, expires time.Time) (bool, error)
}

// MemoryNonces is an in-memory NonceStore for one process. It forgets nonces
// after they expire.
type MemoryNonces struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	clock Clock
}

// NewMemoryNonces returns an empty store using clock to expire nonces
// (nil: the wall clock).
func NewMemoryNonces(clock Clock) *MemoryNonces {
	if clock == nil {
		clock = systemClock{}
	}
	return &MemoryNonces{seen: map[string]time.Time{}, clock: clock}
}

// Remember implements NonceStore.
func (m *MemoryNonces) Remember(_ context.Context, nonce string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	if len(m.seen) > 1024 {
		for n, exp := range m.seen {
			if now.After(exp) {
				delete(m.seen, n)
			}
		}
	}
	if exp, ok := m.seen[nonce]; ok && !now.After(exp) {
		return false, nil
	}
	m.seen[nonce] = expires
	return true, nil
}

// canonical is the signed string: timestamp "." nonce "." method " " URI "." body.
func canonical(ts, nonce, method, uri string, body []byte) []byte {
	b := make([]byte, 0, len(ts)+len(nonce)+len(method)+len(uri)+len(body)+4)
	b = append(b, ts...)
	b = append(b, '.')
	b = append(b, nonce...)
	b = append(b, '.')
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, uri...)
	b = append(b, '.')
	return append(b, body...)
}

func mac(secret []byte, msg []byte) string {
	h := hmac.New(sha256.New, secret)
	h.Write(msg)
	return "v1=" + hex.EncodeToString(h.Sum(nil))
}

// Sign sets the signing headers of req for body (which must be req's body).
// uri is the request URI as the receiver sees it (path and query).
func Sign(req *http.Request, secret []byte, now time.Time, nonce string, body []byte) {
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, mac(secret, canonical(ts, nonce, req.Method, req.URL.RequestURI(), body)))
}

// Verifier checks signed requests.
type Verifier struct {
	Secret []byte
	Clock  Clock
	Window time.Duration
	Nonces NonceStore
}

func validNonce(n string) bool {
	if len(n) < 16 || len(n) > 128 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Verify checks the signature, the timestamp window and (last, so that only
// authentic requests consume nonces) the nonce of a request with body.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) error {
	ts, nonce, sig := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderNonce), r.Header.Get(HeaderSignature)
	switch {
	case sig == "":
		return &SignatureError{ErrUnsigned, HeaderSignature, "missing"}
	case ts == "":
		return &SignatureError{ErrUnsigned, HeaderTimestamp, "missing"}
	case nonce == "":
		return &SignatureError{ErrUnsigned, HeaderNonce, "missing"}
	case !validNonce(nonce):
		return &SignatureError{ErrBadSig, HeaderNonce, "must be 16–128 characters of [A-Za-z0-9_-]"}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < 0 || len(ts) > 12 {
		return &SignatureError{ErrBadSig, HeaderTimestamp, fmt.Sprintf("%q is not Unix seconds", truncate(ts))}
	}
	if !strings.HasPrefix(sig, "v1=") {
		return &SignatureError{ErrBadSig, HeaderSignature, "unknown scheme (want v1=<hex>)"}
	}
	want := mac(v.Secret, canonical(ts, nonce, r.Method, r.URL.RequestURI(), body))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return &SignatureError{ErrBadSig, HeaderSignature, "does not match the request"}
	}
	window := v.Window
	if window <= 0 {
		window = DefaultWindow
	}
	at := time.Unix(sec, 0)
	now := v.Clock.Now()
	if d := now.Sub(at); d > window || d < -window {
		return &SignatureError{ErrStale, HeaderTimestamp, fmt.Sprintf("%s is %v from now (window ±%v)", at.UTC().Format(time.RFC3339), d.Round(time.Second), window)}
	}
	fresh, err := v.Nonces.Remember(ctx, nonce, at.Add(window))
	if err != nil {
		return &SignatureError{ErrNonceStore, HeaderNonce, err.Error()}
	}
	if !fresh {
		return &SignatureError{ErrReplayed, HeaderNonce, "already used"}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
