package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/internal/pgtest"
)

// billedRun simulates the small scenario with both stages and returns the sim,
// the billing stage and its output directory.
func billedRun(t *testing.T, sc Scenario) (*Sim, *BillingStage, *AssessmentStage, string) {
	t.Helper()
	dir := t.TempDir()
	bs, as := NewBillingStage(dir), NewAssessmentStage(dir)
	s, _ := simulate(t, sc, Options{OutDir: dir, Hooks: []Hook{bs, as}})
	return s, bs, as, dir
}

// lineSums adds the lines of statements by kind, from the lines themselves.
func lineSums(sts []billing.Statement) (usage, adj, ded int64) {
	for _, st := range sts {
		for _, l := range st.Lines {
			switch l.Kind {
			case billing.LineUsage:
				usage += l.Amount
			case billing.LineAdjustment:
				adj += l.Amount
			case billing.LineDeduction:
				ded += l.Amount
			}
		}
	}
	return
}

// TestSettlementEqualsStatements checks the settlement against the stored
// statements: every statement approved and sealed, the settlement's total =
// Σ usage lines + Σ adjustment lines + Σ deduction lines of the approved
// statements, and every line charged to its department's budget code. Billing the
// trial (the policy) bills strictly more usage on the same seed.
func TestSettlementEqualsStatements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var usageByPolicy [2]int64
	for i, trial := range []bool{false, true} {
		sc := small(11)
		sc.Departments, sc.Applications = 5, 24
		sc.Billing.BillTrial = trial
		sc.Billing.AdjustRate = 0.3
		s, bs, as, dir := billedRun(t, sc)
		if !trial {
			checkScorecards(t, s, as)
		}
		svc := s.Platform().Billing()
		sts, err := svc.Statements(ctx, billFinance, billing.StatementFilter{FiscalYear: sc.Year})
		if err != nil {
			t.Fatal(err)
		}
		if len(sts) == 0 {
			t.Fatal("no statements")
		}
		months := map[billing.Month]bool{}
		for _, st := range sts {
			if st.State != billing.StatementApproved {
				t.Errorf("statement %s is %s, want approved", st.ID, st.State)
			}
			if err := st.Verify(); err != nil {
				t.Errorf("statement %s: %v", st.ID, err)
			}
			months[st.Month] = true
			for _, l := range st.Lines {
				if l.BudgetCode != bs.budgets[st.Department].Code {
					t.Errorf("line %s of %s: budget code %q, want %q", l.ID, st.ID, l.BudgetCode, bs.budgets[st.Department].Code)
				}
				if l.Kind != billing.LineUsage && strings.TrimSpace(l.Reason) == "" {
					t.Errorf("%s line %s of %s has no reason", l.Kind, l.ID, st.ID)
				}
				if l.Kind == billing.LineUsage && !slices.ContainsFunc(simCatalog(), func(e catalogEntry) bool { return e.item.Code == l.Item }) {
					t.Errorf("line %s bills item %q outside the catalog", l.ID, l.Item)
				}
			}
		}
		if len(months) < 6 {
			t.Errorf("statements in %d months only", len(months))
		}
		usage, adj, ded := lineSums(sts)
		set, err := svc.SettlementOf(ctx, billFinance, sc.Year)
		if err != nil {
			t.Fatal(err)
		}
		want := billing.Totals{Usage: usage, Adjustments: adj, Deductions: ded, Net: usage + adj + ded}
		if diff := cmp.Diff(want, set.Total); diff != "" {
			t.Errorf("trial %v: settlement total ≠ Σ statement lines (-lines +settlement):\n%s", trial, diff)
		}
		if len(set.Entries) != len(sts) || set.State != billing.SettlementSubmitted || set.Overdue {
			t.Errorf("settlement: %d entries for %d statements, state %s, overdue %v", len(set.Entries), len(sts), set.State, set.Overdue)
		}
		if adj == 0 || ded == 0 {
			t.Errorf("trial %v: adjustments %d, deductions %d: want both", trial, adj, ded)
		}
		if err := svc.VerifyYear(ctx, billAuthority, sc.Year); err != nil {
			t.Error(err)
		}
		if got := bs.result.set.Total; got != set.Total {
			t.Errorf("summary total %+v, stored %+v", got, set.Total)
		}
		for _, f := range []string{"settlement.xlsx", "statement_lines.csv", "settlement_summary.csv", "cost_by_vendor_month.csv", "cost_by_department_month.csv"} {
			if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
				t.Errorf("%s: %v", f, err)
			}
		}
		var out strings.Builder
		if err := bs.result.WriteSection(&out, "八、"); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"八、计费与年度结算", "top 10", "云服务商 vendor", "审核调整", "截止 due " + fmt.Sprint(sc.Year+1) + "-09-30",
			"应付 net " + billing.FormatFen(set.Total.Net)} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("billing section lacks %q:\n%s", want, out.String())
			}
		}
		usageByPolicy[i] = usage
	}
	if usageByPolicy[1] <= usageByPolicy[0] {
		t.Errorf("usage with the trial billed %d, without %d: want more", usageByPolicy[1], usageByPolicy[0])
	}
}

// outFiles are the CSV and XLSX files the stages write next to the summary.
var outFiles = []string{"settlement.xlsx", "statement_lines.csv", "settlement_summary.csv", "cost_by_vendor_month.csv",
	"cost_by_department_month.csv", "scorecards.csv", "scorecards.xlsx"}

// readOutFiles reads the stages' files of a run.
func readOutFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range outFiles {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", f)
		}
		m[f] = b
	}
	return m
}

// sameOutFiles fails unless two runs of the same seed wrote byte-identical
// files (TestSameSeedSameOutput runs it).
func sameOutFiles(t *testing.T, a, b map[string][]byte) {
	t.Helper()
	for _, f := range outFiles {
		if !bytes.Equal(a[f], b[f]) {
			t.Errorf("%s differs between two runs of the same seed", f)
		}
	}
}

// TestCanonicalXLSX writes the same workbook 4 times: always the same bytes,
// and the same entries as excelize wrote, [Content_Types].xml first.
func TestCanonicalXLSX(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("CST", 8*3600)
	sts := []billing.Statement{{ID: "st-1", Department: "dept-0001", Vendor: "v-a", Month: billing.Month{Year: 2025, Month: time.March},
		FiscalYear: 2025, BudgetCode: "YS", State: billing.StatementApproved,
		Lines: []billing.Line{{ID: "l1", Kind: billing.LineUsage, Item: codeEVS, Amount: 12345, BudgetCode: "YS", FiscalYear: 2025,
			Start: time.Date(2025, 3, 1, 0, 0, 0, 0, loc), End: time.Date(2025, 4, 1, 0, 0, 0, 0, loc)}}}}
	var first []byte
	for i := range 4 {
		var raw, canon bytes.Buffer
		if err := billing.WriteFinanceXLSX(&raw, sts, nil, loc, billing.Chinese); err != nil {
			t.Fatal(err)
		}
		if err := canonicalXLSX(&canon, func(w io.Writer) error { return billing.WriteFinanceXLSX(w, sts, nil, loc, billing.Chinese) }); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = canon.Bytes()
			names := func(b []byte) []string {
				zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, f := range zr.File {
					out = append(out, f.Name)
				}
				return out
			}
			got, want := names(first), names(raw.Bytes())
			if got[0] != "[Content_Types].xml" {
				t.Errorf("first entry %q", got[0])
			}
			slices.Sort(want)
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entries (-excelize +canonical):\n%s", diff)
			}
			continue
		}
		if !bytes.Equal(first, canon.Bytes()) {
			t.Fatalf("write %d differs from the first", i+1)
		}
	}
}

func TestBillingSpecProblems(t *testing.T) {
	t.Parallel()
	bad := DefaultBillingSpec()
	bad.AdjustRate, bad.BudgetMin, bad.BudgetMax, bad.AvailabilityTarget = 1.5, 0, -1, 100
	var fields []string
	for _, err := range bad.problems() {
		var se *ScenarioError
		if !errors.As(err, &se) || !errors.Is(err, ErrScenario) {
			t.Fatalf("%v is not a *ScenarioError", err)
		}
		fields = append(fields, se.Field)
	}
	want := []string{"billing.adjust_rate", "billing.budget_min", "billing.budget_max", "billing.availability_target_bp"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if p := DefaultBillingSpec().problems(); len(p) != 0 {
		t.Errorf("default spec: %v", p)
	}
}

// TestAvailabilityBP checks the basis-point availability against a direct computation.
func TestAvailabilityBP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		total, excluded, down, want int64
	}{
		{43200, 0, 0, 10000},
		{43200, 0, 22, 9994}, // 99.949 %: below 99.95 %
		{43200, 0, 21, 9995},
		{43200, 43200, 0, 10000}, // wholly excluded: not measured
		{44640, 60, 446, 9899},
	}
	for _, tc := range tests {
		if got := availabilityBP(tc.total, tc.excluded, tc.down); got != tc.want {
			t.Errorf("availabilityBP(%d, %d, %d) = %d, want %d", tc.total, tc.excluded, tc.down, got, tc.want)
		}
	}
}

// TestPostgresBilling runs both stages on PostgreSQL: the settlement equals the
// stored statements' lines and the assessment runs are stored.
func TestPostgresBilling(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	sc := small(21)
	sc.Departments, sc.Applications = 4, 16
	bs, as := NewBillingStage(t.TempDir()), NewAssessmentStage("")
	s, _ := simulate(t, sc, Options{PostgresDSN: dsn, Hooks: []Hook{bs, as}})
	svc := s.Platform().Billing()
	sts, err := svc.Statements(ctx, billFinance, billing.StatementFilter{FiscalYear: sc.Year})
	if err != nil {
		t.Fatal(err)
	}
	usage, adj, ded := lineSums(sts)
	set, err := svc.SettlementOf(ctx, billFinance, sc.Year)
	if err != nil {
		t.Fatal(err)
	}
	if want := (billing.Totals{Usage: usage, Adjustments: adj, Deductions: ded, Net: usage + adj + ded}); set.Total != want || usage == 0 {
		t.Errorf("settlement %+v, statement lines %+v", set.Total, want)
	}
	checkScorecards(t, s, as)
}
