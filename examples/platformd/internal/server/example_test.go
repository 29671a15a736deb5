package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
	"github.com/opengovcloud/govcloud/workflow"
)

// A tokens file holds SHA-256 digests, never the tokens.
func ExampleHashToken() {
	fmt.Println(server.HashToken("secret"))
	tk, _ := server.ReadTokens(strings.NewReader(`{"tokens":[{"sha256":"` + server.HashToken("secret") + `","role":"department","id":"市自然资源局"}]}`))
	a, ok := tk.Lookup("secret")
	fmt.Println(string(a.Role), a.ID, ok)
	_, ok = tk.Lookup("guess")
	fmt.Println(ok)
	// Output:
	// 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
	// department 市自然资源局 true
	// false
}

// The service over a platform on a temporary SQLite file, driven over HTTP:
// a department's submission is visible to the department and refused to
// another one.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "platformd-example")
	defer os.RemoveAll(dir)
	n := 0
	p, err := govcloud.Open(context.Background(), govcloud.Options{
		SQLitePath: filepath.Join(dir, "p.db"),
		Clock:      workflow.ClockFunc(func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }),
		IDs:        workflow.IDFunc(func() string { n++; return fmt.Sprintf("A%03d", n) }),
	})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	tokens, _ := server.NewTokens([]server.TokenEntry{
		{SHA256: server.HashToken("t-nr"), Role: workflow.RoleDepartment, ID: "市自然资源局"},
		{SHA256: server.HashToken("t-edu"), Role: workflow.RoleDepartment, ID: "市教育局"},
	})
	h, err := server.New(server.Config{Platform: p, Tokens: tokens})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()

	call := func(method, path, token, body string) {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := ts.Client().Do(req)
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		fmt.Println(res.StatusCode, res.Header.Get("Content-Type"), len(b) > 0)
	}
	call("POST", "/v1/applications", "t-nr", `{"system_name":"不动产登记系统","vendor":"vendor-a","zone":"private","security_level":2,
		"items":[{"code":"ecs.2c4g","quantity":2}],
		"materials":[{"kind":"construction_plan","attachment":{"name":"plan.pdf","uri":"file:///plan.pdf"}},
		             {"kind":"self_test_report","attachment":{"name":"self.pdf","uri":"file:///self.pdf"}},
		             {"kind":"resource_request","attachment":{"name":"res.xlsx","uri":"file:///res.xlsx"}}]}`)
	call("GET", "/v1/applications/A001", "t-nr", "")
	call("GET", "/v1/applications/A001", "t-edu", "")
	call("GET", "/v1/applications/A001", "forged", "")
	// Output:
	// 201 application/json true
	// 200 application/json true
	// 403 application/problem+json true
	// 401 application/problem+json true
}
