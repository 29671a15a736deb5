package billing_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/billing"
)

// streamFixture is a Service over n statements of fiscal year 2026 written
// straight into its store: 4 departments × 3 vendors × the months, every
// fifth one void and every seventh a draft, the rest approved and sealed.
func streamFixture(t *testing.T, n int) (*billing.Service, []billing.Statement) {
	t.Helper()
	store := memstore.NewBillingStore()
	svc, err := billing.New(billing.Options{Store: store,
		Clock: billing.ClockFunc(func() time.Time { return at(2027, 3, 1, 9) })})
	if err != nil {
		t.Fatal(err)
	}
	var sts []billing.Statement
	for i := range n {
		st := billing.Statement{ID: fmt.Sprintf("st%04d", i), Department: fmt.Sprintf("d%d", i%4+1),
			Vendor: fmt.Sprintf("v%d", i/4%3+1), Month: billing.Month{Year: 2026, Month: time.Month(i/12%12 + 1)},
			FiscalYear: 2026, BudgetCode: "B", State: billing.StatementApproved, Version: 1,
			CreatedAt: at(2026, 2, 1, 0), UpdatedAt: at(2026, 2, 1, 0)}
		for j := range i%3 + 1 {
			st.Lines = append(st.Lines, billing.Line{ID: fmt.Sprint(j + 1), Kind: billing.LineUsage, Item: "IAAS-ECS-VCPU",
				Quantity: 1000, UnitPrice: 6000, Amount: int64(100*i + j), BudgetCode: "B", FiscalYear: 2026})
		}
		switch {
		case i%5 == 0:
			st.State, st.VoidReason = billing.StatementVoid, "重复"
		case i%7 == 0:
			st.State = billing.StatementDraft
		default:
			st.Hash = st.ComputeHash()
		}
		sts = append(sts, st)
	}
	if err := store.Update(ctx, func(ctx context.Context, tx billing.Tx) error {
		for _, st := range sts {
			if err := tx.InsertStatement(ctx, st); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return svc, sts
}

func collect(t *testing.T, seq iter.Seq2[billing.Statement, error]) ([]string, error) {
	t.Helper()
	var ids []string
	for st, err := range seq {
		if err != nil {
			return ids, err
		}
		ids = append(ids, st.ID)
	}
	return ids, nil
}

// TestAllStatements: the streamed listing equals the one-shot listing for
// every page size and actor, stops when the loop breaks, and refuses what
// the actor may not list.
func TestAllStatements(t *testing.T) {
	svc, _ := streamFixture(t, 700)
	for _, tc := range []struct {
		name string
		a    billing.Actor
		f    billing.StatementFilter
	}{
		{"authority, the year", authority, billing.StatementFilter{FiscalYear: 2026}},
		{"finance, approved", finance, billing.StatementFilter{States: []billing.StatementState{billing.StatementApproved}}},
		{"department", dept1, billing.StatementFilter{}},
		{"vendor, one month", vendor1, billing.StatementFilter{Month: billing.Month{Year: 2026, Month: 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full, err := svc.Statements(ctx, tc.a, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, st := range full {
				want = append(want, st.ID)
			}
			if len(want) == 0 {
				t.Fatal("empty listing")
			}
			for _, size := range []int{0, 1, 3, 255, 256, len(want)} {
				f := tc.f
				f.Limit = size
				got, err := collect(t, svc.AllStatements(ctx, tc.a, f))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("pages of %d (-want +got):\n%s", size, diff)
				}
			}
		})
	}
	n := 0
	for _, err := range svc.AllStatements(ctx, authority, billing.StatementFilter{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 5 {
			break
		}
	}
	if n != 5 {
		t.Errorf("broke after %d statements, want 5", n)
	}
	var fe *billing.ForbiddenError
	if _, err := collect(t, svc.AllStatements(ctx, dept1, billing.StatementFilter{Department: "d2"})); !errors.As(err, &fe) {
		t.Errorf("department listing another's statements: %v, want *ForbiddenError", err)
	}
	if _, err := collect(t, svc.AllStatements(ctx, authority, billing.StatementFilter{Limit: -1})); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("negative limit: %v, want ErrInvalid", err)
	}
}

// TestStreamedExports: the streamed CSV and workbook are byte for byte and
// cell for cell those written from the slice, and an error from the stream
// stops the export.
func TestStreamedExports(t *testing.T) {
	svc, _ := streamFixture(t, 600)
	f := billing.StatementFilter{FiscalYear: 2026}
	sts, err := svc.Statements(ctx, finance, f)
	if err != nil {
		t.Fatal(err)
	}
	var want, got bytes.Buffer
	if err := billing.WriteStatementsCSV(&want, sts, cst, billing.Chinese); err != nil {
		t.Fatal(err)
	}
	if err := billing.WriteStatementsCSVFrom(&got, svc.AllStatements(ctx, finance, f), cst, billing.Chinese); err != nil {
		t.Fatal(err)
	}
	if want.String() != got.String() {
		t.Errorf("streamed CSV differs (%d bytes, want %d)", got.Len(), want.Len())
	}
	sheets := func(b *bytes.Buffer) map[string][][]string {
		x, err := excelize.OpenReader(b)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		out := map[string][][]string{}
		for _, name := range x.GetSheetList() {
			rows, err := x.GetRows(name)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = rows
		}
		return out
	}
	want.Reset()
	got.Reset()
	if err := billing.WriteFinanceXLSX(&want, sts, nil, cst, billing.Chinese); err != nil {
		t.Fatal(err)
	}
	if err := billing.WriteFinanceXLSXFrom(&got, svc.AllStatements(ctx, finance, f), nil, cst, billing.Chinese); err != nil {
		t.Fatal(err)
	}
	ws, gs := sheets(&want), sheets(&got)
	if diff := cmp.Diff(ws, gs); diff != "" {
		t.Errorf("streamed workbook (-want +got):\n%s", diff)
	}
	if len(ws["账单明细"]) < 600 || len(ws["按使用单位汇总"]) != 4+2 {
		t.Errorf("workbook: %d detail rows, %d department rows", len(ws["账单明细"]), len(ws["按使用单位汇总"]))
	}
	boom := errors.New("read failed")
	failing := func(yield func(billing.Statement, error) bool) {
		if yield(sts[1], nil) {
			yield(billing.Statement{}, boom)
		}
	}
	if err := billing.WriteStatementsCSVFrom(&bytes.Buffer{}, failing, cst, billing.Chinese); !errors.Is(err, boom) {
		t.Errorf("CSV from a failing stream: %v", err)
	}
	if err := billing.WriteFinanceXLSXFrom(&bytes.Buffer{}, failing, nil, cst, billing.Chinese); !errors.Is(err, boom) {
		t.Errorf("workbook from a failing stream: %v", err)
	}
}

// TestSettlementOverPages: a year of more statements than one page is
// settled, approved and verified over all of them.
func TestSettlementOverPages(t *testing.T) {
	svc, sts := streamFixture(t, 3*billing.StatementPageSize+17)
	var want billing.Totals
	var drafts []string
	approved := 0
	for _, st := range sts {
		switch st.State {
		case billing.StatementApproved:
			want = want.Add(st.Totals())
			approved++
		case billing.StatementDraft:
			drafts = append(drafts, st.ID)
		}
	}
	set, err := svc.BuildSettlement(ctx, authority, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if set.Total != want || len(set.Entries) != approved || !cmp.Equal(set.Unapproved, drafts) {
		t.Errorf("settlement: total %+v (want %+v), %d entries (want %d), %d unapproved (want %d)",
			set.Total, want, len(set.Entries), approved, len(set.Unapproved), len(drafts))
	}
	if _, err := svc.ApproveSettlement(ctx, authority, set.ID); !errors.Is(err, billing.ErrTransition) {
		t.Errorf("approving with drafts left: %v, want ErrTransition", err)
	}
	if err := svc.VerifyYear(ctx, finance, 2026); err != nil {
		t.Errorf("VerifyYear: %v", err)
	}
}

// forgetfulStore is a Store whose listings ignore the cursor.
type forgetfulStore struct{ billing.Store }

type forgetfulTx struct{ billing.ReadTx }

func (tx forgetfulTx) Statements(ctx context.Context, f billing.StatementFilter) ([]billing.Statement, error) {
	f.After = nil
	return tx.ReadTx.Statements(ctx, f)
}

func (s forgetfulStore) View(ctx context.Context, fn func(context.Context, billing.ReadTx) error) error {
	return s.Store.View(ctx, func(ctx context.Context, tx billing.ReadTx) error { return fn(ctx, forgetfulTx{tx}) })
}

// TestPagingStopsOnABrokenStore: a store that ignores StatementFilter.After
// makes paging stop with ErrStoreContract instead of looping for ever.
func TestPagingStopsOnABrokenStore(t *testing.T) {
	inner := memstore.NewBillingStore()
	if err := inner.Update(ctx, func(ctx context.Context, tx billing.Tx) error {
		for i := range 5 {
			if err := tx.InsertStatement(ctx, billing.Statement{ID: fmt.Sprint("s", i), Department: "d1", Vendor: fmt.Sprint("v", i),
				Month: billing.Month{Year: 2026, Month: 1}, FiscalYear: 2026, State: billing.StatementDraft, Version: 1}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	svc, err := billing.New(billing.Options{Store: forgetfulStore{inner}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := collect(t, svc.AllStatements(ctx, finance, billing.StatementFilter{Limit: 2}))
	if !errors.Is(err, billing.ErrStoreContract) || len(ids) != 2 {
		t.Errorf("paging a forgetful store: %v after %v, want ErrStoreContract after one page", err, ids)
	}
	if _, err := collect(t, svc.AllStatements(ctx, finance, billing.StatementFilter{After: &billing.StatementKey{Month: billing.Month{Year: 2026, Month: 13}, ID: "x"}})); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("a cursor in month 13: %v, want ErrInvalid", err)
	}
}
