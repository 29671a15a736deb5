package billingtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
)

// Run runs the suite; newStore returns a fresh, empty store per subtest.
func Run(t *testing.T, newStore func(t *testing.T) billing.Store) {
	t.Run("Catalog", func(t *testing.T) { testCatalog(t, newStore(t)) })
	t.Run("Usage", func(t *testing.T) { testUsage(t, newStore(t)) })
	t.Run("Rollback", func(t *testing.T) { testRollback(t, newStore(t)) })
	t.Run("StatementVersions", func(t *testing.T) { testStatements(t, newStore(t)) })
	t.Run("StatementPages", func(t *testing.T) { testStatementPages(t, newStore(t)) })
	t.Run("SettlementVersions", func(t *testing.T) { testSettlements(t, newStore(t)) })
	t.Run("BudgetsAndParked", func(t *testing.T) { testBudgetsParked(t, newStore(t)) })
	t.Run("Scenario", func(t *testing.T) { testScenario(t, newStore(t)) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, newStore(t)) })
}

var ctx = context.Background()

var cst = time.FixedZone("CST", 8*3600)

func at(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, cst).UTC() }

func update(t *testing.T, s billing.Store, fn func(billing.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, func(_ context.Context, tx billing.Tx) error { return fn(tx) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s billing.Store, fn func(billing.ReadTx) error) {
	t.Helper()
	if err := s.View(ctx, func(_ context.Context, tx billing.ReadTx) error { return fn(tx) }); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func testCatalog(t *testing.T, s billing.Store) {
	vm := billing.Item{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: billing.Monthly,
		Proration: billing.ProrateDays, Footprint: quota.Vector{quota.VCPU: 1000}}
	disk := billing.Item{Code: "IAAS-EVS-SSD", Name: "云硬盘SSD", Unit: "GiB·月", Basis: billing.Monthly, Proration: billing.ProrateHours}
	p1 := billing.Price{Item: vm.Code, Vendor: "v1", UnitPrice: 5000, From: billing.Date{Year: 2026, Month: 1, Day: 1}}
	p2 := billing.Price{Item: vm.Code, Vendor: "v1", UnitPrice: 4500, From: billing.Date{Year: 2026, Month: 7, Day: 1}}
	update(t, s, func(tx billing.Tx) error {
		for _, it := range []billing.Item{vm, disk} {
			if err := tx.InsertItem(ctx, it); err != nil {
				return err
			}
		}
		if err := tx.AppendPrice(ctx, p2); err != nil {
			return err
		}
		return tx.AppendPrice(ctx, p1)
	})
	err := s.Update(ctx, func(_ context.Context, tx billing.Tx) error { return tx.InsertItem(ctx, vm) })
	if !errors.Is(err, billing.ErrExists) {
		t.Errorf("second InsertItem: %v, want ErrExists", err)
	}
	view(t, s, func(tx billing.ReadTx) error {
		items, err := tx.Items(ctx)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]billing.Item{vm, disk}, items); diff != "" {
			t.Errorf("Items (-want +got):\n%s", diff)
		}
		items[0].Footprint[quota.VCPU] = 1 // must not reach the store
		prices, err := tx.Prices(ctx)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]billing.Price{p2, p1}, prices); diff != "" {
			t.Errorf("Prices in append order (-want +got):\n%s", diff)
		}
		return nil
	})
	view(t, s, func(tx billing.ReadTx) error {
		items, _ := tx.Items(ctx)
		if got := items[0].Footprint[quota.VCPU]; got != 1000 {
			t.Errorf("store kept a caller's mutation: vcpu %d", got)
		}
		return nil
	})
}

func rec(key, dept, vendor, item string, q int64, start, end time.Time) billing.UsageRecord {
	return billing.UsageRecord{Key: key, Source: billing.SourceVendor, Vendor: vendor, Department: dept, Item: item,
		Quantity: billing.Units(q), Start: start, End: end}
}

func testUsage(t *testing.T, s billing.Store) {
	jan, feb := at(2026, 1, 1, 0), at(2026, 2, 1, 0)
	rs := []billing.UsageRecord{
		rec("k3", "d1", "v1", "IAAS-ECS-VCPU", 2, at(2026, 1, 10, 0), at(2026, 3, 1, 0)),
		rec("k1", "d1", "v1", "IAAS-ECS-VCPU", 4, jan, feb),
		rec("k2", "d2", "v1", "IAAS-ECS-VCPU", 1, at(2026, 2, 3, 0), at(2026, 2, 4, 0)),
		rec("k4", "d1", "v2", "SVC-MIG-ONCE", 1, at(2026, 1, 31, 23), at(2026, 1, 31, 23)), // one-time
		rec("k5", "d1", "v1", "IAAS-ECS-VCPU", 1, at(2025, 12, 1, 0), jan),                 // ends at jan: outside
	}
	update(t, s, func(tx billing.Tx) error {
		for _, r := range rs[:3] {
			if err := tx.InsertUsage(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx billing.Tx) error {
		for _, r := range rs[3:] {
			if err := tx.InsertUsage(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(ctx, func(_ context.Context, tx billing.Tx) error { return tx.InsertUsage(ctx, rs[0]) })
	if !errors.Is(err, billing.ErrExists) {
		t.Errorf("duplicate InsertUsage: %v, want ErrExists", err)
	}
	keys := func(rs []billing.UsageRecord) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Key)
		}
		return out
	}
	tests := []struct {
		name string
		f    billing.UsageFilter
		want []string
	}{
		{"all", billing.UsageFilter{}, []string{"k1", "k2", "k3", "k4", "k5"}},
		{"january", billing.UsageFilter{From: jan, To: feb}, []string{"k1", "k3", "k4"}},
		{"january d1 v1", billing.UsageFilter{Department: "d1", Vendor: "v1", From: jan, To: feb}, []string{"k1", "k3"}},
		{"february", billing.UsageFilter{From: feb, To: at(2026, 3, 1, 0)}, []string{"k2", "k3"}},
		{"vendor v2", billing.UsageFilter{Vendor: "v2"}, []string{"k4"}},
		{"item", billing.UsageFilter{Item: "SVC-MIG-ONCE"}, []string{"k4"}},
	}
	for _, tc := range tests {
		view(t, s, func(tx billing.ReadTx) error {
			got, err := tx.UsageIn(ctx, tc.f)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(tc.want, keys(got)); diff != "" {
				t.Errorf("%s: UsageIn keys (-want +got):\n%s", tc.name, diff)
			}
			return nil
		})
	}
	view(t, s, func(tx billing.ReadTx) error {
		got, err := tx.Usage(ctx, "k3")
		if err != nil {
			return err
		}
		if !got.Same(rs[0]) {
			t.Errorf("Usage(k3) = %v, want %v", got, rs[0])
		}
		if _, err := tx.Usage(ctx, "nope"); !errors.Is(err, billing.ErrNotFound) {
			t.Errorf("Usage(nope): %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testRollback(t *testing.T, s billing.Store) {
	boom := errors.New("boom")
	err := s.Update(ctx, func(_ context.Context, tx billing.Tx) error {
		_ = tx.InsertItem(ctx, billing.Item{Code: "IAAS-X-Y", Name: "x", Unit: "个", Basis: billing.OneTime, Proration: billing.ProrateNone})
		_ = tx.InsertUsage(ctx, rec("k", "d", "v", "IAAS-X-Y", 1, at(2026, 1, 1, 0), at(2026, 1, 1, 0)))
		_ = tx.InsertStatement(ctx, billing.Statement{ID: "s1", Version: 1})
		_ = tx.PutBudget(ctx, billing.Budget{Department: "d", FiscalYear: 2026, Code: "c"})
		_ = tx.AppendPrice(ctx, billing.Price{Item: "IAAS-X-Y", Vendor: "v", From: billing.Date{Year: 2026, Month: 1, Day: 1}})
		_ = tx.PutParked(ctx, billing.ParkedUsage{Key: "k"})
		_ = tx.InsertSettlement(ctx, billing.Settlement{ID: "x", Version: 1})
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v, want boom", err)
	}
	view(t, s, func(tx billing.ReadTx) error {
		items, _ := tx.Items(ctx)
		prices, _ := tx.Prices(ctx)
		usage, _ := tx.UsageIn(ctx, billing.UsageFilter{})
		sts, _ := tx.Statements(ctx, billing.StatementFilter{})
		sets, _ := tx.Settlements(ctx, 0)
		parked, _ := tx.Parked(ctx)
		_, berr := tx.Budget(ctx, "d", 2026)
		if len(items)+len(prices)+len(usage)+len(sts)+len(sets)+len(parked) != 0 || !errors.Is(berr, billing.ErrNotFound) {
			t.Errorf("failed transaction left data: %d items, %d prices, %d usage, %d statements, %d settlements, %d parked, budget err %v",
				len(items), len(prices), len(usage), len(sts), len(sets), len(parked), berr)
		}
		return nil
	})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Update(cctx, func(context.Context, billing.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context: %v", err)
	}
}

func testStatements(t *testing.T, s billing.Store) {
	mk := func(id, d, v string, m time.Month, st billing.StatementState) billing.Statement {
		return billing.Statement{ID: id, Department: d, Vendor: v, Month: billing.Month{Year: 2026, Month: m},
			FiscalYear: 2026, State: st, Version: 1, BudgetCode: "B",
			Lines:     []billing.Line{{ID: "l1", Kind: billing.LineUsage, Amount: 100, BudgetCode: "B", FiscalYear: 2026}},
			CreatedAt: at(2026, 2, 1, 0), UpdatedAt: at(2026, 2, 1, 0)}
	}
	a := mk("a", "d1", "v1", 2, billing.StatementDraft)
	b := mk("b", "d2", "v1", 1, billing.StatementApproved)
	c := mk("c", "d1", "v2", 1, billing.StatementVoid)
	update(t, s, func(tx billing.Tx) error {
		for _, st := range []billing.Statement{a, b, c} {
			if err := tx.InsertStatement(ctx, st); err != nil {
				return err
			}
		}
		return nil
	})
	if err := s.Update(ctx, func(_ context.Context, tx billing.Tx) error { return tx.InsertStatement(ctx, a) }); !errors.Is(err, billing.ErrExists) {
		t.Errorf("duplicate InsertStatement: %v", err)
	}
	a2 := a.Clone()
	a2.Version = 2
	a2.Lines = append(a2.Lines, billing.Line{ID: "l2", Kind: billing.LineAdjustment, Amount: -5, Reason: "r"})
	update(t, s, func(tx billing.Tx) error { return tx.UpdateStatement(ctx, a2) })
	stale := a.Clone()
	stale.Version = 2
	if err := s.Update(ctx, func(_ context.Context, tx billing.Tx) error { return tx.UpdateStatement(ctx, stale) }); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("stale UpdateStatement: %v, want ErrConflict", err)
	}
	missing := mk("zz", "d", "v", 1, billing.StatementDraft)
	missing.Version = 2
	if err := s.Update(ctx, func(_ context.Context, tx billing.Tx) error { return tx.UpdateStatement(ctx, missing) }); !errors.Is(err, billing.ErrNotFound) {
		t.Errorf("UpdateStatement of a missing statement: %v, want ErrNotFound", err)
	}
	view(t, s, func(tx billing.ReadTx) error {
		got, err := tx.Statement(ctx, "a")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(a2, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Statement(a) (-want +got):\n%s", diff)
		}
		got.Lines[0].Amount = 999
		again, _ := tx.Statement(ctx, "a")
		if again.Lines[0].Amount != 100 {
			t.Errorf("store shares line slices with callers")
		}
		ids := func(f billing.StatementFilter) []string {
			sts, err := tx.Statements(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, st := range sts {
				out = append(out, st.ID)
			}
			return out
		}
		for _, tc := range []struct {
			f    billing.StatementFilter
			want []string
		}{
			{billing.StatementFilter{}, []string{"c", "b", "a"}},
			{billing.StatementFilter{Department: "d1"}, []string{"c", "a"}},
			{billing.StatementFilter{Vendor: "v1"}, []string{"b", "a"}},
			{billing.StatementFilter{Month: billing.Month{Year: 2026, Month: 1}}, []string{"c", "b"}},
			{billing.StatementFilter{FiscalYear: 2025}, nil},
			{billing.StatementFilter{States: []billing.StatementState{billing.StatementApproved, billing.StatementDraft}}, []string{"b", "a"}},
		} {
			if diff := cmp.Diff(tc.want, ids(tc.f)); diff != "" {
				t.Errorf("Statements(%+v) (-want +got):\n%s", tc.f, diff)
			}
		}
		if _, err := tx.Statement(ctx, "nope"); !errors.Is(err, billing.ErrNotFound) {
			t.Errorf("Statement(nope): %v", err)
		}
		return nil
	})
}

func testSettlements(t *testing.T, s billing.Store) {
	set := billing.Settlement{ID: "s26", FiscalYear: 2026, State: billing.SettlementDraft, Version: 1,
		DueDate: billing.Date{Year: 2027, Month: 9, Day: 30}, Total: billing.Totals{Usage: 10, Net: 10},
		Entries:   []billing.SettlementEntry{{StatementID: "a", Department: "d", Vendor: "v", Totals: billing.Totals{Usage: 10, Net: 10}}},
		CreatedAt: at(2027, 1, 5, 0), UpdatedAt: at(2027, 1, 5, 0)}
	other := billing.Settlement{ID: "s25", FiscalYear: 2025, State: billing.SettlementPaid, Version: 1}
	update(t, s, func(tx billing.Tx) error {
		if err := tx.InsertSettlement(ctx, set); err != nil {
			return err
		}
		return tx.InsertSettlement(ctx, other)
	})
	if err := s.Update(ctx, func(_ context.Context, tx billing.Tx) error { return tx.InsertSettlement(ctx, set) }); !errors.Is(err, billing.ErrExists) {
		t.Errorf("duplicate InsertSettlement: %v", err)
	}
	next := set.Clone()
	next.Version, next.State, next.Hash = 2, billing.SettlementApproved, "h"
	update(t, s, func(tx billing.Tx) error { return tx.UpdateSettlement(ctx, next) })
	if err := s.Update(ctx, func(_ context.Context, tx billing.Tx) error { return tx.UpdateSettlement(ctx, next) }); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("stale UpdateSettlement: %v, want ErrConflict", err)
	}
	view(t, s, func(tx billing.ReadTx) error {
		got, err := tx.Settlement(ctx, "s26")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(next, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Settlement (-want +got):\n%s", diff)
		}
		all, _ := tx.Settlements(ctx, 0)
		y26, _ := tx.Settlements(ctx, 2026)
		if len(all) != 2 || all[0].ID != "s25" || len(y26) != 1 || y26[0].ID != "s26" {
			t.Errorf("Settlements: all %d (first %v), 2026 %d", len(all), all, len(y26))
		}
		return nil
	})
}

func testBudgetsParked(t *testing.T, s billing.Store) {
	b := billing.Budget{Department: "d1", FiscalYear: 2026, Code: "2130101", Amount: 1_000_000}
	update(t, s, func(tx billing.Tx) error { return tx.PutBudget(ctx, b) })
	b.Amount = 2_000_000
	update(t, s, func(tx billing.Tx) error { return tx.PutBudget(ctx, b) })
	p1 := billing.ParkedUsage{Key: "k1", Month: billing.Month{Year: 2026, Month: 1}, Department: "d1", Vendor: "v", Item: "I-X", Reason: "no price", At: at(2026, 2, 1, 0)}
	p2 := p1
	p2.Month = billing.Month{Year: 2026, Month: 2}
	update(t, s, func(tx billing.Tx) error {
		if err := tx.PutParked(ctx, p2); err != nil {
			return err
		}
		return tx.PutParked(ctx, p1)
	})
	view(t, s, func(tx billing.ReadTx) error {
		got, err := tx.Budget(ctx, "d1", 2026)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(b, got); diff != "" {
			t.Errorf("Budget (-want +got):\n%s", diff)
		}
		parked, _ := tx.Parked(ctx)
		if diff := cmp.Diff([]billing.ParkedUsage{p1, p2}, parked); diff != "" {
			t.Errorf("Parked (-want +got):\n%s", diff)
		}
		return nil
	})
	update(t, s, func(tx billing.Tx) error {
		if err := tx.DeleteParked(ctx, "k1", p1.Month); err != nil {
			return err
		}
		return tx.DeleteParked(ctx, "absent", p1.Month)
	})
	view(t, s, func(tx billing.ReadTx) error {
		parked, _ := tx.Parked(ctx)
		if diff := cmp.Diff([]billing.ParkedUsage{p2}, parked); diff != "" {
			t.Errorf("Parked after delete (-want +got):\n%s", diff)
		}
		return nil
	})
}

func testConcurrency(t *testing.T, s billing.Store) {
	w := newWorld(t, s, billing.Policy{})
	w.seedCatalog()
	r := rec("same", "d1", "v1", "IAAS-ECS-VCPU", 1, at(2026, 1, 1, 0), at(2026, 1, 2, 0))
	type result struct {
		rep billing.IngestReport
		err error
	}
	results := make(chan result, 6)
	for i := 0; i < 6; i++ {
		go func() {
			rep, err := w.svc.Ingest(ctx, vendor1, []billing.UsageRecord{r})
			results <- result{rep, err}
		}()
	}
	inserted, dups := 0, 0
	for i := 0; i < 6; i++ {
		res := <-results
		switch {
		case res.err == nil:
			inserted += res.rep.Inserted
			dups += res.rep.Duplicates
		case errors.Is(res.err, billing.ErrConflict):
			// A store may refuse a racing transaction; it wrote nothing.
		default:
			t.Errorf("concurrent ingest: %v", res.err)
		}
	}
	if inserted != 1 {
		t.Errorf("concurrent ingest of one record: inserted %d times (%d duplicates)", inserted, dups)
	}
	// Concurrent drafts of one month: exactly one live statement survives.
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			_, err := w.svc.GenerateStatements(ctx, authority, billing.Month{Year: 2026, Month: 1})
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil && !errors.Is(err, billing.ErrConflict) {
			t.Errorf("concurrent generate: %v", err)
		}
	}
	view(t, s, func(tx billing.ReadTx) error {
		sts, err := tx.Statements(ctx, billing.StatementFilter{Month: billing.Month{Year: 2026, Month: 1}})
		if err != nil {
			return err
		}
		if len(sts) != 1 {
			t.Errorf("%d statements for one department × vendor × month, want 1", len(sts))
		}
		return nil
	})
}

// testStatementPages: keyset pages (After, Limit) of every size, under
// several filters, list exactly the full listing in its order, byte-wise
// (upper case before lower case, ASCII before Chinese, months numerically).
func testStatementPages(t *testing.T, s billing.Store) {
	depts := []string{"d1", "D2", "d10", "教育局", "d2"}
	vendors := []string{"v1", "V1", "云厂商"}
	states := []billing.StatementState{billing.StatementDraft, billing.StatementApproved, billing.StatementVoid}
	var all []billing.Statement
	n := 0
	for _, m := range []billing.Month{{Year: 2025, Month: 12}, {Year: 2026, Month: 2}, {Year: 2026, Month: 10}, {Year: 2026, Month: 1}} {
		for _, d := range depts {
			for _, v := range vendors {
				n++
				all = append(all, billing.Statement{ID: fmt.Sprintf("s%03d", 97*n%1000), Department: d, Vendor: v, Month: m,
					FiscalYear: m.Year, State: states[n%3], Version: 1, BudgetCode: "B",
					CreatedAt: at(2026, 2, 1, 0), UpdatedAt: at(2026, 2, 1, 0)})
			}
		}
	}
	// Void statements share their month, department and vendor with the
	// statement reissued after them: the ID breaks the tie.
	for i, id := range []string{"t9", "t1", "t5", "t3", "t7"} {
		all = append(all, billing.Statement{ID: id, Department: "d1", Vendor: "v1", Month: billing.Month{Year: 2026, Month: 2},
			FiscalYear: 2026, State: billing.StatementVoid, VoidReason: fmt.Sprint("重开 ", i), Version: 1, BudgetCode: "B",
			CreatedAt: at(2026, 2, 1, 0), UpdatedAt: at(2026, 2, 1, 0)})
	}
	update(t, s, func(tx billing.Tx) error {
		for _, st := range all {
			if err := tx.InsertStatement(ctx, st); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx billing.ReadTx) error {
		for _, f := range []billing.StatementFilter{
			{Limit: -1},
			{After: &billing.StatementKey{Month: billing.Month{Year: 2026, Month: 100}, ID: "x"}, Limit: 2},
			{After: &billing.StatementKey{ID: "x"}},
		} {
			if _, err := tx.Statements(ctx, f); !errors.Is(err, billing.ErrInvalid) {
				t.Errorf("Statements(%+v): %v, want ErrInvalid", f, err)
			}
		}
		return nil
	})
	// A cursor need not come from the same filter: it still selects by the
	// whole key, as Match does.
	view(t, s, func(tx billing.ReadTx) error {
		feb := billing.Month{Year: 2026, Month: 2}
		for _, f := range []billing.StatementFilter{
			{Department: "d1", After: &billing.StatementKey{Month: feb, Department: "D2", Vendor: "zz", ID: "zz"}, Limit: 3},
			{Department: "d1", After: &billing.StatementKey{Month: feb, Department: "d2", Vendor: "", ID: ""}, Limit: 3},
			{Vendor: "V1", After: &billing.StatementKey{Month: feb, Department: "d1", Vendor: "v1", ID: "t5"}, Limit: 3},
			{Vendor: "v1", Department: "d1", After: &billing.StatementKey{Month: feb, Department: "d1", Vendor: "v1", ID: "t5"}, Limit: 3},
		} {
			var want []string
			for _, st := range all {
				if f.Match(st) {
					want = append(want, st.ID)
				}
			}
			slices.SortFunc(want, func(a, b string) int { return byID(all, a).Key().Compare(byID(all, b).Key()) })
			want = want[:min(len(want), f.Limit)]
			got, err := tx.Statements(ctx, f)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(want, statementIDs(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%+v after %+v (-want +got):\n%s", f, *f.After, diff)
			}
		}
		return nil
	})
	for _, f := range []billing.StatementFilter{
		{Department: "d1", Vendor: "v1", Month: billing.Month{Year: 2026, Month: 2}},
		{},
		{FiscalYear: 2026},
		{FiscalYear: 2026, States: []billing.StatementState{billing.StatementApproved, billing.StatementDraft}},
		{Department: "教育局"},
		{Vendor: "V1", Month: billing.Month{Year: 2026, Month: 10}},
	} {
		var want []string
		for _, st := range all {
			if f.Match(st) {
				want = append(want, st.ID)
			}
		}
		slices.SortFunc(want, func(a, b string) int {
			return byID(all, a).Key().Compare(byID(all, b).Key())
		})
		view(t, s, func(tx billing.ReadTx) error {
			full, err := tx.Statements(ctx, f)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(want, statementIDs(full), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%+v: listing (-want +got):\n%s", f, diff)
			}
			for _, size := range []int{1, 2, 7, len(want), len(want) + 1} {
				var got []string
				pf := f
				pf.Limit = size
				for pages := 0; ; pages++ {
					if pages > len(want)+1 {
						t.Fatalf("%+v, pages of %d: no end", f, size)
					}
					page, err := tx.Statements(ctx, pf)
					if err != nil {
						return err
					}
					if len(page) > size {
						t.Fatalf("%+v: page of %d statements, limit %d", f, len(page), size)
					}
					got = append(got, statementIDs(page)...)
					if len(page) < size {
						break
					}
					k := page[len(page)-1].Key()
					pf.After = &k
				}
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%+v, pages of %d (-want +got):\n%s", f, size, diff)
				}
			}
			return nil
		})
	}
}

func statementIDs(sts []billing.Statement) []string {
	out := make([]string, len(sts))
	for i, st := range sts {
		out[i] = st.ID
	}
	return out
}

func byID(sts []billing.Statement, id string) billing.Statement {
	for _, st := range sts {
		if st.ID == id {
			return st
		}
	}
	panic("no statement " + id)
}
