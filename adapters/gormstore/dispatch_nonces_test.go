package gormstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/gormstore"
	"github.com/opengovcloud/govcloud/adapters/httpprovider"
	"github.com/opengovcloud/govcloud/internal/pgtest"
	govcloud "github.com/opengovcloud/govcloud/provider"
)

var _ httpprovider.NonceStore = (*gormstore.NonceStore)(nil)

// nonceBackends open two separate DBs (two pools, as two platform
// instances have) on one database.
func nonceBackends() []struct {
	name string
	dsn  func(t *testing.T) string
} {
	return []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite-file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nonces.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.DSN(t) }},
	}
}

type nowFunc struct {
	mu sync.Mutex
	t  time.Time
}

func (n *nowFunc) Now() time.Time  { n.mu.Lock(); defer n.mu.Unlock(); return n.t }
func (n *nowFunc) set(t time.Time) { n.mu.Lock(); n.t = t; n.mu.Unlock() }

func TestNonceStore(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	for _, b := range nonceBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			clock := &nowFunc{t: t0}
			a := openDB(t, gormstore.Options{DSN: dsn}).Nonces(clock.Now)
			c := openDB(t, gormstore.Options{DSN: dsn}).Nonces(clock.Now)
			ctx := context.Background()
			var got []bool
			remember := func(s *gormstore.NonceStore, n string, exp time.Time) {
				ok, err := s.Remember(ctx, n, exp)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ok)
			}
			remember(a, "n1", t0.Add(5*time.Minute))  // new
			remember(c, "n1", t0.Add(5*time.Minute))  // replay on the other instance
			remember(a, "n1", t0.Add(10*time.Minute)) // replay on the same one
			remember(c, "n2", t0.Add(time.Minute))    // another nonce
			clock.set(t0.Add(6 * time.Minute))
			remember(c, "n1", t0.Add(11*time.Minute)) // expired: remembered anew
			remember(a, "n1", t0.Add(11*time.Minute)) // and live again
			if d := cmp.Diff([]bool{true, false, false, true, true, false}, got); d != "" {
				t.Errorf("fresh? (-want +got)\n%s", d)
			}
			n, err := a.Purge(ctx, t0.Add(6*time.Minute))
			if err != nil || n != 1 {
				t.Errorf("Purge = %d, %v; want 1 (n2)", n, err)
			}
			if _, err := a.Remember(ctx, "", t0); err == nil {
				t.Error("empty nonce accepted")
			}
		})
	}
}

// Racing instances: of many concurrent Remembers of one nonce on two pools,
// exactly one reports it new.
func TestNonceStoreConcurrent(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	for _, b := range nonceBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			now := func() time.Time { return t0 }
			stores := []*gormstore.NonceStore{openDB(t, gormstore.Options{DSN: dsn}).Nonces(now), openDB(t, gormstore.Options{DSN: dsn}).Nonces(now)}
			for round := 0; round < 5; round++ {
				var fresh atomic.Int32
				var wg sync.WaitGroup
				for i := 0; i < 8; i++ {
					wg.Add(1)
					go func(s *gormstore.NonceStore) {
						defer wg.Done()
						ok, err := s.Remember(context.Background(), fmt.Sprintf("race-%d", round), t0.Add(time.Minute))
						if err != nil {
							t.Error(err)
						}
						if ok {
							fresh.Add(1)
						}
					}(stores[i%2])
				}
				wg.Wait()
				if fresh.Load() != 1 {
					t.Errorf("round %d: %d Remembers reported the nonce new, want 1", round, fresh.Load())
				}
			}
		})
	}
}

// Two platform instances (two CallbackHandlers on separate pools of one
// database): a callback accepted by one is refused as a replay by the
// other, and the sink sees it once.
func TestCallbackReplayAcrossInstances(t *testing.T) {
	secret := []byte("callback secret of at least 32 bytes!!")
	for _, b := range nonceBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			clock := &nowFunc{t: time.Now().UTC().Truncate(time.Second)}
			var sunk atomic.Int32
			sink := govcloud.CompletionSinkFunc(func(context.Context, govcloud.Completion) error { sunk.Add(1); return nil })
			var handlers []http.Handler
			for i := 0; i < 2; i++ {
				h, err := httpprovider.NewCallbackHandler(httpprovider.CallbackOptions{Sink: sink, Secret: secret, Clock: clock,
					Nonces: openDB(t, gormstore.Options{DSN: dsn}).Nonces(clock.Now)})
				if err != nil {
					t.Fatal(err)
				}
				handlers = append(handlers, h)
			}
			comp := govcloud.Completion{Key: "wo/1", Op: govcloud.OpProvision, WorkOrder: "1", Application: "app-1",
				Result: &govcloud.Result{Application: "app-1", Environment: "env-1", Completed: clock.Now()}}
			body, _ := json.Marshal(comp)
			request := func(nonce string) *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/v1/completions", bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set(httpprovider.HeaderIdempotencyKey, comp.Key)
				httpprovider.Sign(r, secret, clock.Now(), nonce, body)
				return r
			}
			serve := func(h http.Handler, r *http.Request) (int, string) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				return rec.Code, rec.Body.String()
			}
			const nonce = "0123456789abcdef0123"
			if code, body := serve(handlers[0], request(nonce)); code != http.StatusNoContent {
				t.Fatalf("first delivery: %d %s", code, body)
			}
			for i, h := range handlers {
				code, body := serve(h, request(nonce))
				if code != http.StatusConflict || !strings.Contains(body, httpprovider.CodeReplayed) {
					t.Errorf("replay to instance %d: %d %s", i, code, body)
				}
			}
			if code, body := serve(handlers[1], request("fedcba9876543210fedc")); code != http.StatusNoContent {
				t.Errorf("fresh nonce on instance 1: %d %s", code, body)
			}
			if n := sunk.Load(); n != 2 {
				t.Errorf("sink called %d times, want 2 (the replays changed nothing)", n)
			}
		})
	}
}
