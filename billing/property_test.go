package billing_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/billing"
)

// TestLifecycleProperty drives random actions by random actors (fixed seed)
// and checks after each one: approved statements never change and verify;
// histories follow the lifecycle graph; at most one live statement per
// department × vendor × month; every line carries its statement's budget
// code; failures are only the documented kinds.
func TestLifecycleProperty(t *testing.T) {
	f := newFixture(t, billing.Policy{})
	for _, d := range []string{"d2"} {
		for _, y := range []int{2026, 2027} {
			if err := f.svc.SetBudget(ctx, authority, billing.Budget{Department: d, FiscalYear: y, Code: "B-" + d, Amount: 1e7}); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.now = at(2026, 6, 1, 0)
	rng := rand.New(rand.NewPCG(2026, 9))
	actors := []billing.Actor{authority, finance, vendor1, dept1, {ID: "v2", Role: billing.RoleVendor, Vendor: "v2"}}
	items := []string{"IAAS-ECS-VCPU", "IAAS-EVS-SSD", "IAAS-NET-BW"}
	allowed := []error{billing.ErrForbidden, billing.ErrTransition, billing.ErrReasonRequired, billing.ErrConflict, billing.ErrNotFound}
	next := map[billing.StatementState][]billing.StatementState{
		billing.StatementDraft:           {billing.StatementVendorConfirmed, billing.StatementVoid},
		billing.StatementVendorConfirmed: {billing.StatementUnderAudit, billing.StatementVoid},
		billing.StatementUnderAudit:      {billing.StatementApproved, billing.StatementVoid},
	}
	sealed := map[string]billing.Statement{}
	for step := 0; step < 400; step++ {
		sts, err := f.svc.Statements(ctx, authority, billing.StatementFilter{})
		if err != nil {
			t.Fatal(err)
		}
		pick := func() string {
			if len(sts) == 0 {
				return "none"
			}
			return sts[rng.IntN(len(sts))].ID
		}
		a := actors[rng.IntN(len(actors))]
		if rng.IntN(10) < 7 { // mostly the right actor, so the walk gets somewhere
			a = authority
		}
		month := billing.Month{Year: 2026, Month: time.Month(rng.IntN(4) + 1)}
		var what string
		switch rng.IntN(9) {
		case 0, 1:
			start := month.Start(cst).Add(time.Duration(rng.IntN(28*24)) * time.Hour)
			rec := billing.UsageRecord{Key: fmt.Sprintf("r%d", step), Source: billing.SourceVendor, Vendor: "v1",
				Department: []string{"d1", "d2"}[rng.IntN(2)], Item: items[rng.IntN(len(items))],
				Quantity: billing.Quantity(rng.Int64N(10000)), Start: start, End: start.Add(time.Duration(rng.IntN(40*24)+1) * time.Hour)}
			what = "ingest"
			_, err = f.svc.Ingest(ctx, vendor1, []billing.UsageRecord{rec})
		case 2:
			what = "generate"
			_, err = f.svc.GenerateStatements(ctx, a, month)
		case 3:
			what = "confirm"
			if a == authority {
				a = vendor1
			}
			_, err = f.svc.ConfirmByVendor(ctx, a, pick())
		case 4:
			what = "audit"
			_, err = f.svc.OpenAudit(ctx, a, pick())
		case 5:
			what = "approve"
			_, err = f.svc.Approve(ctx, a, pick())
		case 6:
			what = "adjust"
			_, err = f.svc.Adjust(ctx, a, pick(), billing.Adjustment{Amount: rng.Int64N(2000) - 1000 + 1, Reason: []string{"", "核减"}[rng.IntN(2)]})
		case 7:
			what = "correct"
			_, err = f.svc.Correct(ctx, a, pick(), billing.Adjustment{Amount: rng.Int64N(500) + 1, Reason: "更正"})
		case 8:
			if rng.IntN(4) == 0 {
				what = "void"
				_, err = f.svc.Void(ctx, a, pick(), []string{"", "重复"}[rng.IntN(2)])
			}
		}
		if err != nil && !slices.ContainsFunc(allowed, func(e error) bool { return errors.Is(err, e) }) {
			t.Fatalf("step %d %s by %s: unexpected error %v", step, what, a.Role, err)
		}
		sts, err = f.svc.Statements(ctx, authority, billing.StatementFilter{})
		if err != nil {
			t.Fatal(err)
		}
		live := map[string]bool{}
		for _, st := range sts {
			if st.State != billing.StatementVoid {
				k := st.Department + "|" + st.Vendor + "|" + st.Month.String()
				if live[k] {
					t.Fatalf("step %d: two live statements for %s", step, k)
				}
				live[k] = true
			}
			prev := billing.StatementDraft
			for _, h := range st.History {
				if string(prev) != h.From || !slices.Contains(next[prev], billing.StatementState(h.To)) {
					t.Fatalf("step %d: statement %s history %+v leaves the lifecycle graph", step, st.ID, st.History)
				}
				prev = billing.StatementState(h.To)
			}
			for _, l := range st.Lines {
				if l.BudgetCode != st.BudgetCode || l.FiscalYear != st.FiscalYear {
					t.Fatalf("step %d: line %s of %s carries %s/%d", step, l.ID, st.ID, l.BudgetCode, l.FiscalYear)
				}
				if l.Kind != billing.LineUsage && l.Reason == "" {
					t.Fatalf("step %d: %s line %s without a reason", step, l.Kind, l.ID)
				}
			}
			if st.State == billing.StatementApproved {
				if err := st.Verify(); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				if old, ok := sealed[st.ID]; ok && (old.Version != st.Version || old.Hash != st.Hash) {
					t.Fatalf("step %d: approved statement %s changed", step, st.ID)
				}
				sealed[st.ID] = st
			}
		}
	}
	t.Logf("%d statements approved during the walk", len(sealed))
	if len(sealed) == 0 {
		t.Error("the random walk approved no statement: the property was not exercised")
	}
}
