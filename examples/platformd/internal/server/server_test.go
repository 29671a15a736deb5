package server_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
	"github.com/opengovcloud/govcloud/workflow"
)

// TestHappyPath runs an application from submission to active, the quota
// check, the pools, the catalog, a statement to approval, the settlement
// exports and the scorecards, all over HTTP on SQLite.
func TestHappyPath(t *testing.T) {
	e := newEnv(t)
	stmts := e.setupBilling()
	e.setupScores()

	// Early quota feedback: 8 vCPU fit, 1000 do not.
	var qc server.QuotaCheck
	e.must(200, "POST", "/v1/quota/check", tokDeptA, server.QuotaCheckBody{Items: []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 8}}}).decode(t, &qc)
	if !qc.Fits {
		t.Fatalf("2 servers do not fit: %+v", qc)
	}
	e.must(200, "POST", "/v1/quota/check", tokDeptA, server.QuotaCheckBody{Items: []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 1000}}}).decode(t, &qc)
	if qc.Fits || len(qc.Shortfalls) == 0 || qc.Pool != "dept:dA" {
		t.Fatalf("100 servers: %+v", qc)
	}

	app := e.submit(tokDeptA)
	if app.State != workflow.StateSubmitted || app.Department != "dA" {
		t.Fatalf("submitted: %+v", app)
	}
	id := app.ID
	var perm struct{ Triggers []workflow.Trigger }
	e.must(200, "GET", "/v1/applications/"+id+"/permitted", tokAuth, nil).decode(t, &perm)
	if !strings.Contains(strings.Join(triggersStrings(perm.Triggers), ","), "accept") {
		t.Fatalf("authority may not accept: %v", perm.Triggers)
	}
	e.fire(tokAuth, id, workflow.TriggerAccept, server.InputBody{})
	app = e.fire(tokAuth, id, workflow.TriggerApprove, server.InputBody{TrialDays: 15, Opinion: "同意", ExpectedVersion: 2})
	if app.State != workflow.StateProvisioning || app.OpenWorkOrder == "" {
		t.Fatalf("approved: %+v", app)
	}
	// The vendor sees its work order and completes it.
	var wos struct {
		WorkOrders []workflow.WorkOrder `json:"work_orders"`
	}
	e.must(200, "GET", "/v1/work-orders?status=open", tokVendorA, nil).decode(t, &wos)
	if len(wos.WorkOrders) != 1 || wos.WorkOrders[0].ID != app.OpenWorkOrder {
		t.Fatalf("vendor work orders: %+v", wos)
	}
	e.must(200, "POST", "/v1/work-orders/"+app.OpenWorkOrder+"/completion", tokVendorA, workflow.Completion{Key: "env-1", Note: "ready"}).decode(t, &app)
	if app.State != workflow.StateTrial {
		t.Fatalf("after the work order: %s", app.State)
	}
	// Replaying the same completion is idempotent.
	e.must(200, "POST", "/v1/work-orders/"+wos.WorkOrders[0].ID+"/completion", tokVendorA, workflow.Completion{Key: "env-1", Note: "ready"})
	for _, k := range []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity} {
		rep := &workflow.TestReport{Kind: k, Passed: true, Report: doc(string(k) + ".pdf")}
		if k != workflow.TestFunction {
			rep.ThirdParty, rep.Lab = true, "CNAS lab"
		}
		e.fire(tokDeptA, id, workflow.TriggerRecordTestReport, server.InputBody{TestReport: rep})
	}
	e.fire(tokDeptA, id, workflow.TriggerSubmitTests, server.InputBody{})
	app = e.fire(tokAuth, id, workflow.TriggerActivate, server.InputBody{Opinion: "同意开通"})
	if app.State != workflow.StateActive {
		t.Fatalf("activated: %s", app.State)
	}
	var got workflow.Application
	e.must(200, "GET", "/v1/applications/"+id, tokDeptA, nil).decode(t, &got)
	if diff := cmp.Diff(app, got); diff != "" {
		t.Errorf("GET differs from the activation's answer (-fire +get):\n%s", diff)
	}
	var hist struct{ Records []workflow.AuditRecord }
	e.must(200, "GET", "/v1/applications/"+id+"/history", tokDeptA, nil).decode(t, &hist)
	var trig []string
	for _, r := range hist.Records {
		trig = append(trig, string(r.Trigger))
	}
	want := []string{"submit", "accept", "approve", "provide_trial", "record_test_report", "record_test_report", "record_test_report", "submit_tests", "activate"}
	if diff := cmp.Diff(want, trig); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	var v server.Verification
	e.must(200, "GET", "/v1/applications/"+id+"/verify", tokAuth, nil).decode(t, &v)
	if !v.Verified {
		t.Errorf("verify: %+v", v)
	}
	var list struct{ Applications []workflow.Application }
	e.must(200, "GET", "/v1/applications?state=active", tokDeptA, nil).decode(t, &list)
	if len(list.Applications) != 1 || list.Applications[0].ID != id {
		t.Errorf("list active: %+v", list)
	}
	e.must(200, "GET", "/v1/overdue", tokOperator, nil)

	// Quota: committed in the department's pool.
	var pool server.PoolView
	e.must(200, "GET", "/v1/departments/dA/pool", tokDeptA, nil).decode(t, &pool)
	if pool.Committed["vcpu"] != 8000 {
		t.Errorf("committed vcpu %d, want 8000 (pool %+v)", pool.Committed["vcpu"], pool)
	}
	e.must(200, "GET", "/v1/quota/pools/dept:dA", tokDeptA, nil)
	e.must(200, "GET", "/v1/quota/pools/vA-private", tokVendorA, nil)
	e.must(200, "GET", "/v1/quota/pools/city", tokFinance, nil)

	// Catalog: everyone reads it; the authority imports CSV.
	cat := e.must(200, "GET", "/v1/catalog", tokDeptA, nil)
	if !bytes.Contains(cat.body, []byte("IAAS-ECS-VCPU")) {
		t.Errorf("catalog: %s", cat.body)
	}
	e.importCSV(tokAuth, http.StatusOK)
	cat = e.must(200, "GET", "/v1/catalog", tokDeptA, nil)
	if !bytes.Contains(cat.body, []byte("IAAS-EIP-IP")) {
		t.Errorf("catalog after the CSV import: %s", cat.body)
	}

	// Statements: each department sees its own only.
	var sts struct{ Statements []billing.Statement }
	e.must(200, "GET", "/v1/statements", tokDeptA, nil).decode(t, &sts)
	if len(sts.Statements) != 1 || sts.Statements[0].ID != stmts["dA"] {
		t.Fatalf("dA statements: %+v", sts.Statements)
	}
	e.must(200, "GET", "/v1/statements", tokFinance, nil).decode(t, &sts)
	if len(sts.Statements) != 2 {
		t.Fatalf("finance sees %d statements, want 2", len(sts.Statements))
	}
	// Pages of one, following next, list the same statements in order.
	var paged []string
	for path, pages := "/v1/statements?limit=1", 0; ; pages++ {
		var page struct {
			Statements []billing.Statement
			Next       string
		}
		e.must(200, "GET", path, tokFinance, nil).decode(t, &page)
		for _, st := range page.Statements {
			paged = append(paged, st.ID)
		}
		if page.Next == "" {
			break
		}
		if pages > 3 {
			t.Fatalf("no end to the pages: %v", paged)
		}
		path = "/v1/statements?limit=1&after=" + url.QueryEscape(page.Next)
	}
	if want := []string{sts.Statements[0].ID, sts.Statements[1].ID}; !slices.Equal(paged, want) {
		t.Errorf("paged statements %v, want %v", paged, want)
	}
	if r := e.do("GET", "/v1/statements?after=not-a-cursor", tokFinance, nil); r.status != 400 || !bytes.Contains(r.body, []byte("after")) {
		t.Errorf("bad cursor: %d %s", r.status, r.body)
	}
	for _, d := range []string{"dA", "dB"} {
		sid := stmts[d]
		e.must(200, "POST", "/v1/statements/"+sid+"/transitions/confirm", tokVendorA, nil)
		e.must(200, "POST", "/v1/statements/"+sid+"/transitions/open_audit", tokAuth, nil)
		e.must(200, "POST", "/v1/statements/"+sid+"/adjustments", tokAuth, server.AdjustmentBody{AmountFen: -19, Reason: "尾差核减", Key: "adj-" + d})
		var st billing.Statement
		e.must(200, "POST", "/v1/statements/"+sid+"/transitions/approve", tokAuth, nil).decode(t, &st)
		if st.State != billing.StatementApproved || st.Verify() != nil {
			t.Fatalf("approved statement: %s, verify %v", st.State, st.Verify())
		}
	}
	var set billing.Settlement
	e.must(200, "POST", "/v1/settlements/2026", tokAuth, nil).decode(t, &set)
	if len(set.Entries) == 0 || len(set.Unapproved) != 0 {
		t.Fatalf("settlement: %+v", set)
	}
	csv := e.must(200, "GET", "/v1/settlements/2026/export.csv?lang=en", tokFinance, nil)
	if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !bytes.Contains(csv.body, []byte("dA")) {
		t.Errorf("CSV export: %q %s", ct, csv.body)
	}
	xlsx := e.must(200, "GET", "/v1/settlements/2026/export.xlsx", tokFinance, nil)
	if !bytes.HasPrefix(xlsx.body, []byte("PK")) {
		t.Errorf("XLSX export does not start with a zip header: %q", xlsx.body[:min(8, len(xlsx.body))])
	}

	// Scorecards: a department sees its rank and its own card only.
	var rank struct {
		Subjects int
		Cards    []struct {
			SubjectID string `json:"subject_id"`
			Rank      int
		}
	}
	e.must(200, "GET", "/v1/scorecards/department/2026", tokDeptB, nil).decode(t, &rank)
	if rank.Subjects != 2 || len(rank.Cards) != 1 || rank.Cards[0].SubjectID != "dB" || rank.Cards[0].Rank != 2 {
		t.Errorf("dB ranking: %+v", rank)
	}
	e.must(200, "GET", "/v1/scorecards/department/2026", tokAuth, nil).decode(t, &rank)
	if len(rank.Cards) != 2 {
		t.Errorf("authority ranking: %+v", rank)
	}
	e.must(200, "GET", "/v1/scorecards/department/2026/cards/dA", tokDeptA, nil)
	e.must(200, "GET", "/v1/scorecards/department/2026/history", tokAuth, nil)
	e.must(200, "GET", "/v1/scorecard-runs/dept-2026-1", tokOperator, nil)
}

func triggersStrings(ts []workflow.Trigger) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}
