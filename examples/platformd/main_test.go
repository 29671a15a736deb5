package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "-tokens is required"},
		{[]string{"-tokens", "t.json", "-max-body", "0"}, "-max-body must be positive"},
		{[]string{"-tokens", "t.json", "extra"}, "unexpected arguments"},
		{[]string{"-nope"}, "flag provided but not defined"},
	} {
		_, err := parseFlags(c.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseFlags(%q) = %v, want %q", c.args, err, c.want)
		}
	}
}

func TestHashToken(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-hash-token"}, strings.NewReader("secret\n"), &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != server.HashToken("secret") {
		t.Errorf("got %s", got)
	}
}

func TestLoadVendors(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VA": strings.Repeat("k", 32), "CB": strings.Repeat("c", 32)}
	getenv := func(k string) string { return env[k] }
	write := func(doc string) string {
		p := filepath.Join(dir, fmt.Sprintf("v%d.json", len(doc)))
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ps, secret, err := loadVendors(write(`{"callback_secret_env":"CB","vendors":[{"id":"vA","url":"https://va.example/gc","secret_env":"VA"}]}`), getenv)
	if err != nil || len(ps) != 1 || ps["vA"] == nil || string(secret) != env["CB"] {
		t.Fatalf("loadVendors = %v %q %v", ps, secret, err)
	}
	for _, c := range []struct{ doc, want string }{
		{`{"vendors":[{"id":"","url":"https://x","secret_env":"VA"}]}`, "vendors[0].id: required"},
		{`{"vendors":[{"id":"vA","url":"https://x","secret_env":"NOPE"}]}`, "NOPE is empty"},
		{`{"vendors":[{"id":"vA","url":"https://x"}]}`, "secret_env: required"},
		{`{"vendors":[{"id":"vA","url":"https://x","secret_env":"VA"},{"id":"vA","url":"https://y","secret_env":"VA"}]}`, "listed twice"},
		{`{"vendors":[],"secret":"x"}`, "unknown field"},
		{`{"callback_secret_env":"NOPE","vendors":[]}`, "callback_secret_env"},
	} {
		if _, _, err := loadVendors(write(c.doc), getenv); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.doc, err, c.want)
		}
	}
}

// TestGracefulShutdown starts the command on a temporary SQLite file, serves
// a request, sends SIGTERM to the process and expects a clean exit: the
// server drained, the workers stopped, the platform closed.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.json")
	doc := `{"tokens":[{"sha256":"` + server.HashToken("op-token") + `","role":"operator","id":"ops"}]}`
	if err := os.WriteFile(tokens, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-tokens", tokens, "-sqlite", filepath.Join(dir, "p.db"), "-addr", "127.0.0.1:0", "-shutdown-timeout", "5s"},
			strings.NewReader(""), &bytes.Buffer{}, logs)
	}()
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for line := range strings.SplitSeq(logs.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "platformd listening" {
				addr = rec.Addr
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, logs.String())
		default:
		}
	}
	if addr == "" {
		t.Fatalf("the server did not start:\n%s", logs.String())
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/applications", nil)
	req.Header.Set("Authorization", "Bearer op-token")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /v1/applications: %d", res.StatusCode)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no shutdown after SIGTERM")
	}
	out := logs.String()
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"workers stopped; closing the platform"`, `"actor_role":"operator"`, `"status":200`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("the server still accepts connections after shutdown")
	}
}
