package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

var cst = time.FixedZone("CST", 8*3600)

// testClock is a settable clock shared by the platform, billing and the server.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// counterIDs gives prefix0001, prefix0002, … safely across goroutines.
func counterIDs(prefix string) workflow.IDFunc {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("%s%04d", prefix, n.Add(1)) }
}

// Tokens of the test actors.
const (
	tokDeptA    = "tok-dept-a"
	tokDeptB    = "tok-dept-b"
	tokAuth     = "tok-authority"
	tokVendorA  = "tok-vendor-a"
	tokVendorB  = "tok-vendor-b"
	tokOperator = "tok-operator"
	tokFinance  = "tok-finance"
)

func testTokens(t testing.TB) *server.Tokens {
	t.Helper()
	e := func(tok string, role workflow.Role, id string) server.TokenEntry {
		return server.TokenEntry{SHA256: server.HashToken(tok), Role: role, ID: id}
	}
	tk, err := server.NewTokens([]server.TokenEntry{
		e(tokDeptA, workflow.RoleDepartment, "dA"), e(tokDeptB, workflow.RoleDepartment, "dB"),
		e(tokAuth, workflow.RoleAuthority, "大数据局"), e(tokVendorA, workflow.RoleVendor, "vA"),
		e(tokVendorB, workflow.RoleVendor, "vB"), e(tokOperator, workflow.RoleOperator, "运维"),
		e(tokFinance, workflow.RoleFinance, "财政局"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// env is one platform behind one httptest.Server.
type env struct {
	t      testing.TB
	p      *govcloud.Platform
	srv    *server.Server
	ts     *httptest.Server
	clock  *testClock
	bill   *billing.Service
	client *http.Client
}

// openPlatform opens a platform on dsn (PostgreSQL) or on a new SQLite file.
func openPlatform(t testing.TB, clock *testClock, dsn string, ids workflow.IDGenerator) *govcloud.Platform {
	t.Helper()
	o := govcloud.Options{Clock: clock, IDs: ids}
	if dsn != "" {
		o.PostgresDSN = dsn
	} else {
		o.SQLitePath = filepath.Join(t.TempDir(), "platformd.db")
	}
	p, err := govcloud.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func newEnvOn(t testing.TB, p *govcloud.Platform, clock *testClock) *env {
	t.Helper()
	bill := p.Billing()
	srv, err := server.New(server.Config{Platform: p, Tokens: testTokens(t), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{t: t, p: p, srv: srv, ts: ts, clock: clock, bill: bill, client: ts.Client()}
}

// newEnv is a platform on a fresh SQLite file, with pools for departments
// dA and dB (vendor vA), on Monday 2 March 2026 09:00 Beijing time.
func newEnv(t testing.TB) *env {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, cst)}
	p := openPlatform(t, clock, "", counterIDs("A"))
	setupPlatform(t, p)
	return newEnvOn(t, p, clock)
}

// setupPlatform imports the catalog (which gives the items' quota
// footprints) and creates the quota pools.
func setupPlatform(t testing.TB, p *govcloud.Platform) {
	t.Helper()
	ctx := context.Background()
	cat, err := billing.NewCatalog(
		[]billing.Item{
			{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: billing.Monthly, Proration: billing.ProrateDays, Footprint: quota.Vector{quota.VCPU: 1000}},
			{Code: "IAAS-EVS-SSD", Name: "云硬盘SSD", Unit: "GiB·月", Basis: billing.Monthly, Proration: billing.ProrateHours, Footprint: quota.Vector{quota.Storage: 1}},
		},
		[]billing.Price{
			{Item: "IAAS-ECS-VCPU", Vendor: "vA", UnitPrice: 5000, From: billing.Date{Year: 2026, Month: 1, Day: 1}},
			{Item: "IAAS-EVS-SSD", Vendor: "vA", UnitPrice: 100, From: billing.Date{Year: 2026, Month: 1, Day: 1}},
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Billing().ImportCatalog(ctx, billing.Actor{ID: "大数据局", Role: billing.RoleAuthority}, cat); err != nil {
		t.Fatal(err)
	}
	if err := p.RefreshFootprints(ctx); err != nil {
		t.Fatal(err)
	}
	capacity := quota.Vector{quota.VCPU: 1_000_000, quota.Memory: 4_000_000, quota.Storage: 500_000}
	if _, err := p.CreatePlatformPool(ctx, govcloud.PlatformPool{ID: "vA-private", Vendor: "vA", Zone: workflow.PrivateZone, Limit: capacity}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.CreateTierPool(ctx, govcloud.TierPool{ID: "city", Platform: "vA-private", Tier: quota.TierCity, Limit: capacity}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"dA", "dB"} {
		if _, err := p.CreateDepartmentPool(ctx, govcloud.DepartmentPool{Department: d, Tier: "city", Year: 2026,
			Limit: quota.Vector{quota.VCPU: 64_000, quota.Memory: 131_072, quota.Storage: 10_000}}); err != nil {
			t.Fatal(err)
		}
	}
}

// response is one HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) problem(t testing.TB) server.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json (status %d, body %s)", ct, r.status, r.body)
	}
	var p server.Problem
	r.decode(t, &p)
	if p.Status != r.status {
		t.Fatalf("problem status %d, HTTP status %d", p.Status, r.status)
	}
	return p
}

// do sends a request; body is marshalled to JSON unless it is a string or []byte.
func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(want int, method, path, token string, body any) response {
	e.t.Helper()
	r := e.do(method, path, token, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

func doc(name string) workflow.Attachment {
	return workflow.Attachment{Name: name, URI: "file:///docs/" + name}
}

func submitBody(vendor string) server.SubmitBody {
	return server.SubmitBody{SystemName: "不动产登记系统", Vendor: vendor, Zone: workflow.PrivateZone, SecurityLevel: 3,
		Items: []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 8}},
		Materials: []workflow.Material{
			{Kind: workflow.MaterialConstructionPlan, Attachment: doc("plan.pdf")},
			{Kind: workflow.MaterialSelfTestReport, Attachment: doc("self-test.pdf")},
			{Kind: workflow.MaterialResourceRequest, Attachment: doc("resources.xlsx")},
		}}
}

// submit creates an application of the department with token tok and returns it.
func (e *env) submit(tok string) workflow.Application {
	e.t.Helper()
	var app workflow.Application
	e.must(http.StatusCreated, "POST", "/v1/applications", tok, submitBody("vA")).decode(e.t, &app)
	return app
}

func (e *env) fire(tok, id string, trig workflow.Trigger, in server.InputBody) workflow.Application {
	e.t.Helper()
	var app workflow.Application
	e.must(http.StatusOK, "POST", "/v1/applications/"+id+"/triggers/"+string(trig), tok, in).decode(e.t, &app)
	return app
}

// setupBilling sets budgets and January usage of dA and dB
// with vA, and generates their statements. It returns the statement IDs by
// department.
func (e *env) setupBilling() map[string]string {
	e.t.Helper()
	ctx := context.Background()
	auth := billing.Actor{ID: "大数据局", Role: billing.RoleAuthority}
	vendor := billing.Actor{ID: "vA", Role: billing.RoleVendor, Vendor: "vA"}
	for i, d := range []string{"dA", "dB"} {
		if err := e.bill.SetBudget(ctx, auth, billing.Budget{Department: d, FiscalYear: 2026, Code: fmt.Sprintf("213010%d", i), Amount: 10_000_000}); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.bill.Ingest(ctx, vendor, []billing.UsageRecord{{Key: "u-" + d, Source: billing.SourceVendor, Vendor: "vA",
			Department: d, Item: "IAAS-EVS-SSD", Quantity: billing.Units(int64(100 * (i + 1))),
			Start: time.Date(2026, 1, 1, 0, 0, 0, 0, cst), End: time.Date(2026, 2, 1, 0, 0, 0, 0, cst)}}); err != nil {
			e.t.Fatal(err)
		}
	}
	gen, err := e.bill.GenerateStatements(ctx, auth, billing.Month{Year: 2026, Month: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, st := range gen.Statements {
		out[st.Department] = st.ID
	}
	if len(out) != 2 {
		e.t.Fatalf("statements %v, want one per department", out)
	}
	return out
}

// setupScores saves a department run for 2026 scoring dA and dB.
func (e *env) setupScores() {
	e.t.Helper()
	scheme, err := assessment.DepartmentScheme()
	if err != nil {
		e.t.Fatal(err)
	}
	in := func(id string, adoption float64) assessment.Input {
		return assessment.Input{Subject: assessment.Subject{ID: id, Name: id}, Values: assessment.Values{
			assessment.PathAdoption: assessment.Num(adoption), assessment.PathIdle: assessment.Num(5),
			assessment.PathVulnerabilities: assessment.Num(2), assessment.PathDengbaoCurrent: assessment.Num(100)}}
	}
	run, err := assessment.NewRun(assessment.RunSpec{ID: "dept-2026-1", Kind: assessment.SubjectDepartment,
		Period: assessment.YearPeriod(2026), Scheme: scheme, Inputs: []assessment.Input{in("dA", 90), in("dB", 70)},
		ScoredAt: e.clock.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	svc := assessment.NewService(e.p.Database().Assessment())
	if err := svc.Save(context.Background(), workflow.Actor{Role: workflow.RoleAuthority, ID: "大数据局"}, run); err != nil {
		e.t.Fatal(err)
	}
}

// importCSV uploads a two-item catalog as multipart CSV with token tok.
func (e *env) importCSV(tok string, want int) response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part := func(name, content string) {
		w, err := mw.CreateFormFile(name, name+".csv")
		if err != nil {
			e.t.Fatal(err)
		}
		io.WriteString(w, content)
	}
	part("items", "code,name,name_en,unit,basis,proration,footprint,std_code\n"+
		"IAAS-EIP-IP,弹性公网IP,EIP,个·月,monthly,days,public_ips=1,\n")
	part("prices", "item,vendor,contract,unit_price,from,to\n"+
		"IAAS-EIP-IP,vA,C-1,2000,2026-01-01,\n")
	mw.Close()
	req, err := http.NewRequest("PUT", e.ts.URL+"/v1/catalog", &buf)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, body: b}
	if r.status != want {
		e.t.Fatalf("PUT /v1/catalog (CSV): status %d, want %d: %s", r.status, want, b)
	}
	return r
}
