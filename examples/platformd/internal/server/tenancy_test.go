package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
	"github.com/opengovcloud/govcloud/workflow"
)

// snapshot reads, as the authority, everything a forbidden request could
// have changed.
func (e *env) snapshot(appIDs []string, stmtIDs map[string]string) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	get := func(path string) {
		out[path] = string(e.must(http.StatusOK, "GET", path, tokAuth, nil).body)
	}
	for _, id := range appIDs {
		get("/v1/applications/" + id)
		get("/v1/applications/" + id + "/history")
	}
	get("/v1/work-orders")
	get("/v1/applications")
	for _, id := range stmtIDs {
		get("/v1/statements/" + id)
	}
	get("/v1/catalog")
	get("/v1/departments/dA/pool")
	get("/v1/departments/dB/pool")
	get("/v1/scorecards/department/2026/history")
	return out
}

// TestTenancy: every cross-tenant read and write, and every write of a
// read-only role, is 403 problem+json and writes nothing.
func TestTenancy(t *testing.T) {
	e := newEnv(t)
	stmts := e.setupBilling()
	e.setupScores()

	// dA's application waiting for the vendor (vA's open work order), and
	// one of dB submitted.
	a := e.submit(tokDeptA)
	e.fire(tokAuth, a.ID, workflow.TriggerAccept, server.InputBody{})
	a = e.fire(tokAuth, a.ID, workflow.TriggerApprove, server.InputBody{TrialDays: 15})
	wo := a.OpenWorkOrder
	b := e.submit(tokDeptB)

	before := e.snapshot([]string{a.ID, b.ID}, stmts)
	sA, sB := stmts["dA"], stmts["dB"]
	input := server.InputBody{Opinion: "x"}
	cases := []struct {
		name, method, path, token string
		body                      any
	}{
		// Department B on department A's application.
		{"dept reads other's application", "GET", "/v1/applications/" + a.ID, tokDeptB, nil},
		{"dept reads other's history", "GET", "/v1/applications/" + a.ID + "/history", tokDeptB, nil},
		{"dept verifies other's chain", "GET", "/v1/applications/" + a.ID + "/verify", tokDeptB, nil},
		{"dept asks other's permitted", "GET", "/v1/applications/" + a.ID + "/permitted", tokDeptB, nil},
		{"dept lists other department", "GET", "/v1/applications?department=dA", tokDeptB, nil},
		{"dept fires on other's application", "POST", "/v1/applications/" + a.ID + "/triggers/request_termination", tokDeptB, input},
		{"dept withdraws other's application", "POST", "/v1/applications/" + b.ID + "/triggers/withdraw", tokDeptA, input},
		{"dept lists other's work orders", "GET", "/v1/work-orders?department=dA", tokDeptB, nil},
		{"dept completes a work order", "POST", "/v1/work-orders/" + wo + "/completion", tokDeptA, workflow.Completion{Key: "k"}},
		{"dept reads other's pool", "GET", "/v1/departments/dA/pool", tokDeptB, nil},
		{"dept reads other's pool by id", "GET", "/v1/quota/pools/dept:dA", tokDeptB, nil},
		{"dept reads the tier pool", "GET", "/v1/quota/pools/city", tokDeptB, nil},
		{"dept reads other's statement", "GET", "/v1/statements/" + sA, tokDeptB, nil},
		{"dept lists other's statements", "GET", "/v1/statements?department=dA", tokDeptB, nil},
		{"dept confirms other's statement", "POST", "/v1/statements/" + sA + "/transitions/confirm", tokDeptB, nil},
		{"dept approves own statement", "POST", "/v1/statements/" + sB + "/transitions/approve", tokDeptB, nil},
		{"dept adjusts own statement", "POST", "/v1/statements/" + sB + "/adjustments", tokDeptB, server.AdjustmentBody{AmountFen: -1, Reason: "x"}},
		{"dept reads other's scorecard", "GET", "/v1/scorecards/department/2026/cards/dA", tokDeptB, nil},
		{"dept reads vendor ranking", "GET", "/v1/scorecards/vendor/2026/cards/vA", tokDeptB, nil},
		{"dept imports the catalog", "PUT", "/v1/catalog", tokDeptA, map[string]any{"items": []any{}}},
		{"dept reads the settlement", "GET", "/v1/settlements/2026", tokDeptA, nil},
		{"dept exports the settlement CSV", "GET", "/v1/settlements/2026/export.csv", tokDeptA, nil},
		{"dept exports the settlement XLSX", "GET", "/v1/settlements/2026/export.xlsx", tokDeptA, nil},
		{"dept builds the settlement", "POST", "/v1/settlements/2026", tokDeptA, nil},
		{"dept checks quota as other", "GET", "/v1/quota/pools/vA-private", tokDeptA, nil},
		// Vendor B on vendor A's work.
		{"vendor completes other's work order", "POST", "/v1/work-orders/" + wo + "/completion", tokVendorB, workflow.Completion{Key: "k"}},
		{"vendor lists other's work orders", "GET", "/v1/work-orders?vendor=vA", tokVendorB, nil},
		{"vendor reads other's application", "GET", "/v1/applications/" + a.ID, tokVendorB, nil},
		{"vendor fires a trigger", "POST", "/v1/applications/" + a.ID + "/triggers/accept", tokVendorA, input},
		{"vendor confirms other's statement", "POST", "/v1/statements/" + sA + "/transitions/confirm", tokVendorB, nil},
		{"vendor reads other's statement", "GET", "/v1/statements/" + sA, tokVendorB, nil},
		{"vendor reads other's platform pool", "GET", "/v1/quota/pools/vA-private", tokVendorB, nil},
		{"vendor reads a department pool", "GET", "/v1/departments/dA/pool", tokVendorA, nil},
		{"vendor submits", "POST", "/v1/applications", tokVendorA, submitBody("vA")},
		{"vendor checks quota", "POST", "/v1/quota/check", tokVendorA, server.QuotaCheckBody{Items: []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 1}}}},
		{"vendor reads department card", "GET", "/v1/scorecards/department/2026/cards/dA", tokVendorA, nil},
		// Operator: reads everything, writes nothing.
		{"operator submits", "POST", "/v1/applications", tokOperator, submitBody("vA")},
		{"operator accepts", "POST", "/v1/applications/" + b.ID + "/triggers/accept", tokOperator, input},
		{"operator completes a work order", "POST", "/v1/work-orders/" + wo + "/completion", tokOperator, workflow.Completion{Key: "k"}},
		{"operator approves a statement", "POST", "/v1/statements/" + sA + "/transitions/approve", tokOperator, nil},
		{"operator imports the catalog", "PUT", "/v1/catalog", tokOperator, map[string]any{"items": []any{}}},
		// Finance: reads statements and settlement, acts on no application.
		{"finance accepts", "POST", "/v1/applications/" + b.ID + "/triggers/accept", tokFinance, input},
		{"finance withdraws", "POST", "/v1/applications/" + b.ID + "/triggers/withdraw", tokFinance, input},
		{"finance submits", "POST", "/v1/applications", tokFinance, submitBody("vA")},
		{"finance adjusts a statement", "POST", "/v1/statements/" + sA + "/adjustments", tokFinance, server.AdjustmentBody{AmountFen: -1, Reason: "x"}},
		{"finance approves a statement", "POST", "/v1/statements/" + sA + "/transitions/open_audit", tokFinance, nil},
		{"finance reads scorecards", "GET", "/v1/scorecards/department/2026", tokFinance, nil},
		{"finance imports the catalog", "PUT", "/v1/catalog", tokFinance, map[string]any{"items": []any{}}},
		{"finance checks quota", "POST", "/v1/quota/check", tokFinance, server.QuotaCheckBody{Items: []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 1}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.token, c.body)
			if r.status != http.StatusForbidden {
				t.Fatalf("%s %s: status %d, want 403: %s", c.method, c.path, r.status, r.body)
			}
			if p := r.problem(t); p.Detail == "" || p.RequestID == "" {
				t.Errorf("problem without detail or request ID: %+v", p)
			}
		})
	}
	after := e.snapshot([]string{a.ID, b.ID}, stmts)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("forbidden requests changed data (-before +after):\n%s", diff)
	}

	// Lists are scoped, not refused, without a filter: B sees only its own.
	var list struct{ Applications []workflow.Application }
	e.must(200, "GET", "/v1/applications", tokDeptB, nil).decode(t, &list)
	if len(list.Applications) != 1 || list.Applications[0].ID != b.ID {
		t.Errorf("dB's list: %+v", list.Applications)
	}
	var wos struct {
		WorkOrders []workflow.WorkOrder `json:"work_orders"`
	}
	e.must(200, "GET", "/v1/work-orders", tokVendorB, nil).decode(t, &wos)
	if len(wos.WorkOrders) != 0 {
		t.Errorf("vB sees vA's work orders: %+v", wos.WorkOrders)
	}
	var sts struct{ Statements []json.RawMessage }
	e.must(200, "GET", "/v1/statements", tokDeptB, nil).decode(t, &sts)
	if len(sts.Statements) != 1 {
		t.Errorf("dB sees %d statements, want 1", len(sts.Statements))
	}
	var ov struct{ Overdue []server.OverdueEntry }
	e.clock.Advance(40 * 24 * time.Hour)
	e.must(200, "GET", "/v1/overdue", tokDeptB, nil).decode(t, &ov)
	for _, it := range ov.Overdue {
		if it.Department != "dB" {
			t.Errorf("dB sees overdue item of %s", it.Department)
		}
	}
	e.must(200, "GET", "/v1/overdue", tokAuth, nil).decode(t, &ov)
	if len(ov.Overdue) != 2 {
		t.Errorf("authority sees %d overdue, want 2: %+v", len(ov.Overdue), ov.Overdue)
	}
}
