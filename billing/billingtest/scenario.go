package billingtest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
)

// world is a Service over the store under test with a settable clock and
// sequential IDs.
type world struct {
	t   *testing.T
	svc *billing.Service
	mu  sync.Mutex // guards now and next: the services run concurrently in testConcurrency
	now time.Time
	n   int
}

func (w *world) setNow(t time.Time) { w.mu.Lock(); w.now = t; w.mu.Unlock() }

var (
	authority = billing.Actor{ID: "auth-1", Role: billing.RoleAuthority}
	finance   = billing.Actor{ID: "fin-1", Role: billing.RoleFinance}
	vendor1   = billing.Actor{ID: "v1-ops", Role: billing.RoleVendor, Vendor: "v1"}
	vendor2   = billing.Actor{ID: "v2-ops", Role: billing.RoleVendor, Vendor: "v2"}
	dept1     = billing.Actor{ID: "d1-user", Role: billing.RoleDepartment, Department: "d1"}
	dept2     = billing.Actor{ID: "d2-user", Role: billing.RoleDepartment, Department: "d2"}
)

func newWorld(t *testing.T, s billing.Store, p billing.Policy) *world {
	w := &world{t: t, now: at(2026, 2, 2, 9)}
	svc, err := billing.New(billing.Options{Store: s, Location: cst, Policy: p,
		Clock: billing.ClockFunc(func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }),
		IDs:   billing.IDFunc(func() string { w.mu.Lock(); defer w.mu.Unlock(); w.n++; return fmt.Sprintf("id-%03d", w.n) })})
	if err != nil {
		t.Fatal(err)
	}
	w.svc = svc
	return w
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

func d(y int, m time.Month, day int) billing.Date { return billing.Date{Year: y, Month: m, Day: day} }

// seedCatalog installs the scenario's catalog and budget.
func (w *world) seedCatalog() {
	items := []billing.Item{
		{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: billing.Monthly, Proration: billing.ProrateDays, Footprint: quota.Vector{quota.VCPU: 1000}},
		{Code: "IAAS-EVS-SSD", Name: "云硬盘SSD", Unit: "GiB·月", Basis: billing.Monthly, Proration: billing.ProrateHours, Footprint: quota.Vector{quota.Storage: 1}},
		{Code: "SVC-MIG-ONCE", Name: "系统迁移服务", Unit: "次", Basis: billing.OneTime, Proration: billing.ProrateNone},
		{Code: "IAAS-NET-BW", Name: "互联网带宽", Unit: "Mbps·月", Basis: billing.Monthly, Proration: billing.ProrateNone, Footprint: quota.Vector{quota.Bandwidth: 1}},
	}
	prices := []billing.Price{
		{Item: "IAAS-ECS-VCPU", Vendor: "v1", Contract: "C-2026-01", UnitPrice: 5000, From: d(2026, 1, 1)},
		{Item: "IAAS-ECS-VCPU", Vendor: "v1", Contract: "C-2026-01", UnitPrice: 4500, From: d(2026, 3, 16)},
		{Item: "IAAS-EVS-SSD", Vendor: "v1", Contract: "C-2026-01", UnitPrice: 100, From: d(2026, 1, 1)},
		{Item: "SVC-MIG-ONCE", Vendor: "v1", Contract: "C-2026-01", UnitPrice: 200000, From: d(2026, 1, 1)},
	}
	cat, err := billing.NewCatalog(items, prices)
	w.must(err)
	w.must(w.svc.ImportCatalog(ctx, authority, cat))
	w.must(w.svc.ImportCatalog(ctx, authority, cat)) // idempotent
	w.must(w.svc.SetBudget(ctx, authority, billing.Budget{Department: "d1", FiscalYear: 2026, Code: "2130101-01", Amount: 10_000_000}))
}

func amounts(st billing.Statement) map[string]int64 {
	out := map[string]int64{}
	for _, l := range st.Lines {
		out[l.ID] = l.Amount
	}
	return out
}

func testScenario(t *testing.T, s billing.Store) {
	w := newWorld(t, s, billing.Policy{})
	w.seedCatalog()

	// Bad catalog input writes nothing.
	wantErr(t, "price without vendor", w.svc.AddPrice(ctx, authority, billing.Price{Item: "IAAS-ECS-VCPU", UnitPrice: 1, From: d(2027, 1, 1)}), billing.ErrNoVendor)
	wantErr(t, "overlapping price", w.svc.AddPrice(ctx, authority, billing.Price{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 1, From: d(2026, 3, 16)}), billing.ErrOverlap)
	wantErr(t, "price by a vendor", w.svc.AddPrice(ctx, vendor1, billing.Price{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 1, From: d(2027, 1, 1)}), billing.ErrForbidden)

	jan := []billing.UsageRecord{
		rec("r1", "d1", "v1", "IAAS-ECS-VCPU", 4, at(2026, 1, 10, 0), at(2026, 2, 1, 0)),
		rec("r2", "d1", "v1", "IAAS-EVS-SSD", 100, at(2026, 1, 1, 0), at(2026, 1, 1, 10).Add(30*time.Minute)),
		rec("r3", "d1", "v1", "SVC-MIG-ONCE", 1, at(2026, 1, 20, 0), at(2026, 1, 20, 0)),
		rec("r4", "d1", "v1", "IAAS-NET-BW", 10, at(2026, 1, 1, 0), at(2026, 2, 1, 0)),
	}
	rep, err := w.svc.Ingest(ctx, vendor1, jan)
	w.must(err)
	if rep.Inserted != 4 || rep.Duplicates != 0 {
		t.Errorf("first ingest: %+v", rep)
	}
	rep, err = w.svc.Ingest(ctx, vendor1, jan[:1])
	w.must(err)
	if rep.Inserted != 0 || rep.Duplicates != 1 {
		t.Errorf("same record twice: %+v, want one duplicate", rep)
	}
	changed := jan[0]
	changed.Quantity = billing.Units(5)
	fresh := rec("r9", "d1", "v1", "IAAS-ECS-VCPU", 1, at(2026, 1, 1, 0), at(2026, 1, 2, 0))
	_, err = w.svc.Ingest(ctx, vendor1, []billing.UsageRecord{fresh, changed})
	wantErr(t, "same key, other payload", err, billing.ErrConflict)
	var re *billing.RowError
	if !errors.As(err, &re) || re.Row != 2 || re.Field != "key" {
		t.Errorf("conflict error %v: want a *RowError for row 2, field key", err)
	}
	bad := []struct {
		name string
		r    billing.UsageRecord
		want error
	}{
		{"unknown item", rec("x1", "d1", "v1", "IAAS-NOPE-X", 1, at(2026, 1, 1, 0), at(2026, 1, 2, 0)), billing.ErrUnknownItem},
		{"negative quantity", rec("x2", "d1", "v1", "IAAS-ECS-VCPU", -1, at(2026, 1, 1, 0), at(2026, 1, 2, 0)), billing.ErrNegative},
		{"end before start", rec("x3", "d1", "v1", "IAAS-ECS-VCPU", 1, at(2026, 1, 2, 0), at(2026, 1, 1, 0)), billing.ErrInvalid},
	}
	for _, b := range bad {
		_, err := w.svc.Ingest(ctx, vendor1, []billing.UsageRecord{fresh, b.r})
		wantErr(t, b.name, err, b.want)
	}
	_, err = w.svc.Ingest(ctx, vendor2, []billing.UsageRecord{fresh})
	wantErr(t, "vendor ingesting another's usage", err, billing.ErrForbidden)
	view(t, s, func(tx billing.ReadTx) error {
		if _, err := tx.Usage(ctx, "r9"); !errors.Is(err, billing.ErrNotFound) {
			t.Errorf("a rejected batch wrote r9: %v", err)
		}
		return nil
	})

	// January statement.
	_, err = w.svc.GenerateStatements(ctx, dept1, billing.Month{Year: 2026, Month: 1})
	wantErr(t, "department generating", err, billing.ErrForbidden)
	gen, err := w.svc.GenerateStatements(ctx, authority, billing.Month{Year: 2026, Month: 1})
	w.must(err)
	if len(gen.Statements) != 1 || len(gen.Parked) != 1 || gen.Parked[0].Key != "r4" {
		t.Fatalf("generate January: %d statements, parked %+v", len(gen.Statements), gen.Parked)
	}
	janSt := gen.Statements[0]
	wantJan := map[string]int64{"u:r1#0": 14194, "u:r2#0": 148, "u:r3#0": 200000}
	if diff := cmp.Diff(wantJan, amounts(janSt)); diff != "" {
		t.Errorf("January lines (-want +got):\n%s", diff)
	}
	for _, l := range janSt.Lines {
		if l.BudgetCode != "2130101-01" || l.FiscalYear != 2026 {
			t.Errorf("line %s carries budget %q/%d", l.ID, l.BudgetCode, l.FiscalYear)
		}
		if l.ID == "u:r1#0" && (l.Num != 22 || l.Den != 31) {
			t.Errorf("r1 proration %d/%d, want 22/31", l.Num, l.Den)
		}
		if l.ID == "u:r2#0" && (l.Num != 11 || l.Den != 744) {
			t.Errorf("r2 proration %d/%d, want 11/744", l.Num, l.Den)
		}
	}
	parked, err := w.svc.Parked(ctx, authority)
	w.must(err)
	if len(parked) != 1 || parked[0].Key != "r4" || parked[0].Reason == "" {
		t.Errorf("parked: %+v", parked)
	}

	// Visibility.
	if _, err := w.svc.Statement(ctx, dept2, janSt.ID); !errors.Is(err, billing.ErrForbidden) {
		t.Errorf("other department reads statement: %v", err)
	}
	if _, err := w.svc.Statement(ctx, vendor2, janSt.ID); !errors.Is(err, billing.ErrForbidden) {
		t.Errorf("other vendor reads statement: %v", err)
	}
	if _, err := w.svc.Statement(ctx, dept1, janSt.ID); err != nil {
		t.Errorf("own department reads statement: %v", err)
	}
	if sts, err := w.svc.Statements(ctx, dept2, billing.StatementFilter{}); err != nil || len(sts) != 0 {
		t.Errorf("department 2 lists %d statements (%v), want 0", len(sts), err)
	}

	// Lifecycle, out of order and with the wrong actor.
	_, err = w.svc.ConfirmByVendor(ctx, vendor2, janSt.ID)
	wantErr(t, "other vendor confirms", err, billing.ErrForbidden)
	_, err = w.svc.Approve(ctx, authority, janSt.ID)
	wantErr(t, "approve a draft", err, billing.ErrTransition)
	_, err = w.svc.ConfirmByVendor(ctx, vendor1, janSt.ID)
	w.must(err)
	_, err = w.svc.Adjust(ctx, authority, janSt.ID, billing.Adjustment{Amount: -142, Reason: "核减"})
	wantErr(t, "adjust before audit", err, billing.ErrTransition)
	_, err = w.svc.OpenAudit(ctx, authority, janSt.ID)
	w.must(err)
	_, err = w.svc.Adjust(ctx, authority, janSt.ID, billing.Adjustment{Amount: -142})
	wantErr(t, "adjust without reason", err, billing.ErrReasonRequired)
	_, err = w.svc.Adjust(ctx, authority, janSt.ID, billing.Adjustment{Amount: -142, Reason: "核减: 测试期不计费", RefLine: "u:r2#0", Key: "audit-1"})
	w.must(err)
	_, err = w.svc.Adjust(ctx, authority, janSt.ID, billing.Adjustment{Amount: -142, Reason: "核减: 测试期不计费", RefLine: "u:r2#0", Key: "audit-1"})
	w.must(err) // idempotent
	_, err = w.svc.Void(ctx, authority, janSt.ID, " ")
	wantErr(t, "void without reason", err, billing.ErrReasonRequired)
	janSt, err = w.svc.Approve(ctx, authority, janSt.ID)
	w.must(err)
	if got := janSt.Totals(); got != (billing.Totals{Usage: 214342, Adjustments: -142, Net: 214200}) {
		t.Errorf("January totals %+v", got)
	}
	w.must(janSt.Verify())
	tampered := janSt.Clone()
	tampered.Lines[0].Amount++
	wantErr(t, "tampered statement", tampered.Verify(), billing.ErrHashMismatch)
	_, err = w.svc.Void(ctx, authority, janSt.ID, "重复")
	wantErr(t, "void an approved statement", err, billing.ErrTransition)

	// Late usage for January goes to the February draft as an adjustment.
	late := rec("r5", "d1", "v1", "IAAS-ECS-VCPU", 2, at(2026, 1, 25, 0), at(2026, 1, 26, 12))
	rep, err = w.svc.Ingest(ctx, vendor1, []billing.UsageRecord{late})
	w.must(err)
	if len(rep.Adjusted) != 1 {
		t.Fatalf("late usage report %+v", rep)
	}
	feb, err := w.svc.Statement(ctx, authority, rep.Adjusted[0])
	w.must(err)
	if feb.Month != (billing.Month{Year: 2026, Month: 2}) || len(feb.Lines) != 1 || feb.Lines[0].Amount != 645 ||
		feb.Lines[0].RefStatement != janSt.ID || feb.Lines[0].Kind != billing.LineAdjustment {
		t.Errorf("late adjustment: %+v", feb)
	}
	// A correction of the approved January statement, linked to it.
	_, err = w.svc.Correct(ctx, authority, janSt.ID, billing.Adjustment{Amount: -100, Reason: "重复计费更正", Key: "cor-1"})
	w.must(err)
	janAgain, _ := w.svc.Statement(ctx, authority, janSt.ID)
	if janAgain.Verify() != nil || janAgain.Version != janSt.Version {
		t.Errorf("correction edited the approved statement")
	}

	// March: a price change splits the interval.
	w.setNow(at(2026, 4, 2, 9))
	_, err = w.svc.Ingest(ctx, vendor1, []billing.UsageRecord{rec("r6", "d1", "v1", "IAAS-ECS-VCPU", 1, at(2026, 3, 1, 0), at(2026, 4, 1, 0))})
	w.must(err)
	for _, m := range []time.Month{2, 3} {
		_, err := w.svc.GenerateStatements(ctx, authority, billing.Month{Year: 2026, Month: m})
		w.must(err)
	}
	mar, err := w.svc.Statements(ctx, authority, billing.StatementFilter{Month: billing.Month{Year: 2026, Month: 3}})
	w.must(err)
	if len(mar) != 1 {
		t.Fatalf("March statements: %d", len(mar))
	}
	if diff := cmp.Diff(map[string]int64{"u:r6#0": 2419, "u:r6#1": 2323}, amounts(mar[0])); diff != "" {
		t.Errorf("March lines (-want +got):\n%s", diff)
	}
	// Service-level deduction from assessment: shortfall 55 bp → 10 %.
	drep, err := w.svc.ApplyDeductions(ctx, authority, []billing.DeductionInput{{Key: "sla-mar", Department: "d1", Vendor: "v1",
		Month: billing.Month{Year: 2026, Month: 3}, Indicator: "availability", Target: 9995, Achieved: 9940, Reason: "可用性未达标"}})
	w.must(err)
	if len(drep.Lines) != 1 || drep.Lines[0].Amount != -474 {
		t.Errorf("deduction: %+v", drep)
	}
	_, err = w.svc.ApplyDeductions(ctx, authority, []billing.DeductionInput{{Key: "sla-x", Department: "d1", Vendor: "v1",
		Month: billing.Month{Year: 2026, Month: 3}, Indicator: "availability", Target: 9995, Achieved: 9940}})
	wantErr(t, "deduction without reason", err, billing.ErrReasonRequired)

	// Audit and approve February and March, then settle.
	sts, err := w.svc.Statements(ctx, authority, billing.StatementFilter{States: []billing.StatementState{billing.StatementDraft}})
	w.must(err)
	for _, st := range sts {
		_, err := w.svc.ConfirmByVendor(ctx, vendor1, st.ID)
		w.must(err)
		_, err = w.svc.OpenAudit(ctx, authority, st.ID)
		w.must(err)
		_, err = w.svc.Approve(ctx, authority, st.ID)
		w.must(err)
	}
	w.setNow(at(2027, 3, 1, 9))
	set, err := w.svc.BuildSettlement(ctx, authority, 2026)
	w.must(err)
	want := billing.Totals{Usage: 219084, Adjustments: 403, Deductions: -474, Net: 219013}
	if set.Total != want || len(set.Entries) != 3 || len(set.Unapproved) != 0 {
		t.Errorf("settlement total %+v (want %+v), %d entries, unapproved %v", set.Total, want, len(set.Entries), set.Unapproved)
	}
	if set.DueDate != d(2027, 9, 30) {
		t.Errorf("due date %v", set.DueDate)
	}
	_, err = w.svc.SubmitSettlement(ctx, authority, set.ID)
	wantErr(t, "submit a draft settlement", err, billing.ErrTransition)
	_, err = w.svc.Settlement(ctx, dept1, set.ID)
	wantErr(t, "department reads settlement", err, billing.ErrForbidden)
	set, err = w.svc.ApproveSettlement(ctx, authority, set.ID)
	w.must(err)
	w.must(set.Verify())
	w.setNow(at(2027, 9, 1, 9))
	set, err = w.svc.SubmitSettlement(ctx, authority, set.ID)
	w.must(err)
	if set.Overdue {
		t.Errorf("submission on 2027-09-01 marked overdue")
	}
	_, err = w.svc.PaySettlement(ctx, authority, set.ID)
	wantErr(t, "authority records payment", err, billing.ErrForbidden)
	set, err = w.svc.PaySettlement(ctx, finance, set.ID)
	w.must(err)
	if set.State != billing.SettlementPaid || set.Verify() != nil {
		t.Errorf("paid settlement %v, verify %v", set.State, set.Verify())
	}
	got, err := w.svc.SettlementOf(ctx, finance, 2026)
	w.must(err)
	if got.Hash != set.Hash {
		t.Errorf("SettlementOf: hash %s, want %s", got.Hash, set.Hash)
	}
	w.must(w.svc.VerifyYear(ctx, finance, 2026))

	// Tampering with a stored approved statement is detected.
	update(t, s, func(tx billing.Tx) error {
		st, err := tx.Statement(ctx, janSt.ID)
		if err != nil {
			return err
		}
		st.Lines[0].Amount--
		st.Version++
		return tx.UpdateStatement(ctx, st)
	})
	err = w.svc.VerifyYear(ctx, authority, 2026)
	wantErr(t, "verify after tampering", err, billing.ErrHashMismatch)
	if err == nil || !strings.Contains(err.Error(), janSt.ID) {
		t.Errorf("verify error %v does not name statement %s", err, janSt.ID)
	}
	wantErr(t, "department verifies", w.svc.VerifyYear(ctx, dept1, 2026), billing.ErrForbidden)
}
