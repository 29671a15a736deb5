package govcloud

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

var (
	aDeptA   = workflow.Actor{Role: workflow.RoleDepartment, ID: "dept-a"}
	aDeptB   = workflow.Actor{Role: workflow.RoleDepartment, ID: "dept-b"}
	aAuth    = workflow.Actor{Role: workflow.RoleAuthority, ID: "office"}
	aVendorA = workflow.Actor{Role: workflow.RoleVendor, ID: "vendor-a"}
	aVendorB = workflow.Actor{Role: workflow.RoleVendor, ID: "vendor-b"}
	aMarch   = assessment.Month{Year: 2027, Month: time.March}
	aPeriod  = assessment.MonthPeriod(aMarch)
)

// Prices in 分 per unit-month, the same for both vendors.
const (
	aPriceVCPU = 10_000
	aPriceDisk = 50
)

// aenv is a platform with two departments, each on its own vendor.
type aenv struct {
	t     testing.TB
	p     *Platform
	clock *workflowtest.Clock
}

func newAEnv(t testing.TB, opts Options) *aenv {
	t.Helper()
	clock := workflowtest.NewClock(time.Date(2027, 3, 1, 10, 0, 0, 0, cst)) // a Monday
	opts.Clock, opts.IDs, opts.Calendar = clock, &workflowtest.IDs{Prefix: "id"}, workflowtest.WeekdayCalendar{}
	opts.Assessment.WorkingTime = assessment.WorkingTimeFunc(func(from, to time.Time) (time.Duration, error) { return to.Sub(from), nil })
	p, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	ctx := t.Context()
	from := billing.Date{Year: 2027, Month: time.January, Day: 1}
	var prices []billing.Price
	for _, v := range []string{"vendor-a", "vendor-b"} {
		prices = append(prices,
			billing.Price{Item: "IAAS-ECS-VCPU", Vendor: v, UnitPrice: aPriceVCPU, From: from},
			billing.Price{Item: "IAAS-EVS-GB", Vendor: v, UnitPrice: aPriceDisk, From: from})
	}
	cat, err := billing.NewCatalog([]billing.Item{
		{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Footprint: quota.Vector{quota.VCPU: 1000}, Basis: billing.Monthly, Proration: billing.ProrateDays},
		{Code: "IAAS-EVS-GB", Name: "云硬盘", Unit: "GiB·月", Footprint: quota.Vector{quota.Storage: 1}, Basis: billing.Monthly, Proration: billing.ProrateDays},
	}, prices)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Billing().ImportCatalog(ctx, bAuth, cat); err != nil {
		t.Fatal(err)
	}
	capacity := quota.Vector{quota.VCPU: 1_000_000, quota.Storage: 100_000}
	for _, x := range []struct{ vendor, dept string }{{"vendor-a", "dept-a"}, {"vendor-b", "dept-b"}} {
		if _, err := p.CreatePlatformPool(ctx, PlatformPool{ID: quota.PoolID("pool-" + x.vendor), Vendor: x.vendor, Zone: workflow.PrivateZone, Limit: capacity}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.CreateTierPool(ctx, TierPool{ID: quota.PoolID("city-" + x.vendor), Platform: quota.PoolID("pool-" + x.vendor), Tier: quota.TierCity, Limit: capacity}); err != nil {
			t.Fatal(err)
		}
		if err := p.Billing().SetBudget(ctx, bAuth, billing.Budget{Department: x.dept, FiscalYear: 2027, Code: "2130101", Amount: 100_000_000}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.CreateDepartmentPool(ctx, DepartmentPool{Department: x.dept, Tier: quota.PoolID("city-" + x.vendor), Year: 2027, Limit: capacity}); err != nil {
			t.Fatal(err)
		}
	}
	return &aenv{t: t, p: p, clock: clock}
}

func (e *aenv) must(_ workflow.Application, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// approve submits, accepts and approves an application: the vendor's
// trial-environment work order opens, due in 2 working days.
func (e *aenv) approve(dept workflow.Actor, vendor, system string) workflow.Application {
	e.t.Helper()
	req := workflowtest.Request(2)
	req.SystemName, req.Vendor = system, vendor
	req.Items = []workflow.Item{{Code: "IAAS-ECS-VCPU", Quantity: 4}, {Code: "IAAS-EVS-GB", Quantity: 100}}
	ctx := e.t.Context()
	app, err := e.p.Workflow().Submit(ctx, dept, req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.must(e.p.Workflow().Fire(ctx, aAuth, app.ID, workflow.TriggerAccept, workflow.Input{}))
	e.must(e.p.Workflow().Fire(ctx, aAuth, app.ID, workflow.TriggerApprove, workflow.Input{TrialDays: 15}))
	app, err = e.p.Workflow().Get(ctx, aAuth, app.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return app
}

func (e *aenv) complete(vendor workflow.Actor, app workflow.Application) {
	e.t.Helper()
	e.must(e.p.Workflow().CompleteWorkOrder(e.t.Context(), vendor, app.OpenWorkOrder, workflow.Completion{Key: "done-" + app.OpenWorkOrder}))
}

func (e *aenv) activate(dept workflow.Actor, id string) {
	e.t.Helper()
	ctx := e.t.Context()
	for _, k := range []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity} {
		e.must(e.p.Workflow().Fire(ctx, dept, id, workflow.TriggerRecordTestReport, workflow.Input{TestReport: workflowtest.Report(k, false)}))
	}
	e.must(e.p.Workflow().Fire(ctx, dept, id, workflow.TriggerSubmitTests, workflow.Input{}))
	e.must(e.p.Workflow().Fire(ctx, aAuth, id, workflow.TriggerActivate, workflow.Input{Opinion: "同意开通"}))
}

// scenario runs March 2027: five approvals, three work orders done on
// time, one late, one never (overdue at the end of March), four
// activations on 10 March, registered systems, vendor records, and the
// month metered into statements. It returns the application IDs by system.
func (e *aenv) scenario() map[string]string {
	e.t.Helper()
	ctx := e.t.Context()
	ids := map[string]string{}
	a1 := e.approve(aDeptA, "vendor-a", "不动产登记")
	a2 := e.approve(aDeptA, "vendor-a", "公积金")
	b1 := e.approve(aDeptB, "vendor-b", "社保")
	b2 := e.approve(aDeptB, "vendor-b", "旧档案")
	b3 := e.approve(aDeptB, "vendor-b", "医保")
	for _, a := range []workflow.Application{a1, a2, b1, b2, b3} {
		ids[a.SystemName] = a.ID
	}
	e.clock.Set(time.Date(2027, 3, 2, 15, 0, 0, 0, cst)) // due 3 March 10:00
	e.complete(aVendorA, a1)
	e.complete(aVendorB, b1)
	e.complete(aVendorB, b3)
	e.clock.Set(time.Date(2027, 3, 10, 10, 0, 0, 0, cst))
	e.complete(aVendorA, a2) // a week late; b2's order stays open
	for _, a := range []workflow.Application{a1, a2} {
		e.activate(aDeptA, a.ID)
	}
	for _, a := range []workflow.Application{b1, b3} {
		e.activate(aDeptB, a.ID)
	}

	// The departments' registers: systems not on the platform.
	for _, r := range []struct {
		dept string
		sys  assessment.SystemRecord
	}{
		{"dept-a", assessment.SystemRecord{ID: "legacy-oa", Name: "办公自动化"}},
		{"dept-b", assessment.SystemRecord{ID: "legacy-hr", Name: "人事系统"}},
		{"dept-b", assessment.SystemRecord{ID: "legacy-fin", Name: "财务系统"}},
		{"dept-b", assessment.SystemRecord{ID: "ss-old", Name: "社保"}}, // since moved to the platform
	} {
		if err := e.p.RegisterSystem(ctx, workflow.Actor{Role: workflow.RoleDepartment, ID: r.dept}, r.dept, r.sys); err != nil {
			e.t.Fatal(err)
		}
	}
	// vendor-a was down an hour; vendor-b's hour was announced maintenance.
	down := func(d int) assessment.Interval {
		return assessment.Interval{From: time.Date(2027, 3, d, 10, 0, 0, 0, cst), To: time.Date(2027, 3, d, 11, 0, 0, 0, cst)}
	}
	if err := e.p.RecordOutage(ctx, aVendorA, "vendor-a", assessment.Outage{ID: "out-a-1", Interval: down(20)}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.p.RecordOutage(ctx, aAuth, "vendor-b", assessment.Outage{ID: "out-b-1", Interval: down(21)}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.p.RecordExclusion(ctx, aAuth, "vendor-b", assessment.Exclusion{ID: "ex-b-1", Interval: down(21),
		Reason: assessment.Maintenance, Evidence: "公告 2027-03-14", ApprovedBy: "office"}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.p.RecordDeliverable(ctx, aVendorA, "vendor-a", Deliverable{ID: "rep-a-03", Kind: DeliverableReport, At: time.Date(2027, 3, 31, 9, 0, 0, 0, cst)}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.p.RecordSatisfaction(ctx, aDeptA, "vendor-a", time.Date(2027, 3, 25, 9, 0, 0, 0, cst), assessment.Satisfied); err != nil {
		e.t.Fatal(err)
	}

	e.clock.Set(time.Date(2027, 4, 1, 9, 0, 0, 0, cst))
	m := billing.Month(aMarch)
	if _, err := e.p.MeterMonth(ctx, bAuth, m); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.p.Billing().GenerateStatements(ctx, bAuth, m); err != nil {
		e.t.Fatal(err)
	}
	return ids
}

// onTime computes a vendor's on-time share of March from the workflow's
// work orders, independently of the assessment package.
func onTime(t *testing.T, p *Platform, vendor string) (on, judged int) {
	t.Helper()
	wos, err := p.Workflow().WorkOrders(t.Context(), aAuth, workflow.WorkOrderFilter{Vendor: vendor})
	if err != nil {
		t.Fatal(err)
	}
	from, to := aMarch.Start(cst), aMarch.End(cst)
	for _, w := range wos {
		if w.CreatedAt.Before(from) || !w.CreatedAt.Before(to) {
			continue
		}
		done := w.Status == workflow.WorkOrderDone && w.CompletedAt.Before(to)
		switch {
		case done:
			judged++
			if !w.CompletedAt.After(w.Due) {
				on++
			}
		case w.Due.Before(to):
			judged++ // overdue
		}
	}
	return on, judged
}

// prorated is one usage line's amount: price × quantity × days ÷ month days, half-up.
func prorated(price, qty, days, monthDays int64) int64 {
	return (2*price*qty*days + monthDays) / (2 * monthDays)
}

func raw(t *testing.T, c *assessment.Scorecard, path string) float64 {
	t.Helper()
	l, ok := c.Line(path)
	if !ok || l.Raw == nil || l.Missing {
		t.Fatalf("%s: line %s missing", c.SubjectID, path)
	}
	return l.Raw.Number
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestAssessmentWiring(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			e := newAEnv(t, be.opts(t))
			ids := e.scenario()
			ctx := t.Context()
			p := e.p

			// Vendors: the on-time share equals the one computed from the work orders.
			vrun, err := p.AssessVendors(ctx, aAuth, aPeriod)
			if err != nil {
				t.Fatal(err)
			}
			if got := vrun.Subjects; got != 2 {
				t.Fatalf("vendor run subjects = %d, want 2", got)
			}
			wantCounts := map[string][2]int{"vendor-a": {1, 2}, "vendor-b": {2, 3}}
			for _, v := range []string{"vendor-a", "vendor-b"} {
				on, judged := onTime(t, p, v)
				if [2]int{on, judged} != wantCounts[v] {
					t.Errorf("%s: independent count %d/%d, scenario says %v", v, on, judged, wantCounts[v])
				}
				card, ok := vrun.Card(v)
				if !ok {
					t.Fatalf("no card for %s", v)
				}
				if got, want := raw(t, card, assessment.PathOnTime), 100*float64(on)/float64(judged); !near(got, want) {
					t.Errorf("%s on time = %v, want %v", v, got, want)
				}
			}
			ca, _ := vrun.Card("vendor-a")
			if got, want := raw(t, ca, assessment.PathAvailability), 100*float64(44640-60)/44640; !near(got, want) {
				t.Errorf("vendor-a availability = %v, want %v", got, want)
			}
			cb, _ := vrun.Card("vendor-b")
			if got := raw(t, cb, assessment.PathAvailability); got != 100 {
				t.Errorf("vendor-b availability = %v, want 100 (the outage was excluded)", got)
			}

			// Departments: adoption from the register.
			drun, err := p.AssessDepartments(ctx, aAuth, aPeriod)
			if err != nil {
				t.Fatal(err)
			}
			for d, want := range map[string]float64{"dept-a": 200.0 / 3, "dept-b": 50} {
				c, ok := drun.Card(d)
				if !ok {
					t.Fatalf("no card for %s", d)
				}
				if got := raw(t, c, assessment.PathAdoption); !near(got, want) {
					t.Errorf("%s adoption = %v, want %v", d, got, want)
				}
			}
			src := p.AssessmentSource()
			sys, err := src.Systems(ctx, "dept-b")
			if err != nil {
				t.Fatal(err)
			}
			wantSys := []assessment.SystemRecord{
				{ID: "legacy-fin", Name: "财务系统"}, {ID: "legacy-hr", Name: "人事系统"},
				{ID: "医保", Name: "医保", OnPlatform: true}, {ID: "社保", Name: "社保", OnPlatform: true},
			}
			if d := gocmp.Diff(wantSys, sys); d != "" {
				t.Errorf("dept-b register (-want +got):\n%s", d)
			}

			// Tenancy: a department reads only its own card.
			if _, c, err := p.Assessment().Scorecard(ctx, aDeptA, assessment.SubjectDepartment, aPeriod, "dept-a"); err != nil || c.SubjectID != "dept-a" {
				t.Errorf("dept-a own card: %v, %v", c, err)
			}
			if _, _, err := p.Assessment().Scorecard(ctx, aDeptA, assessment.SubjectDepartment, aPeriod, "dept-b"); !errors.Is(err, assessment.ErrForbidden) {
				t.Errorf("dept-a reading dept-b: %v, want ErrForbidden", err)
			}
			rk, err := p.Assessment().Ranking(ctx, aDeptB, assessment.SubjectDepartment, aPeriod)
			if err != nil || len(rk.Cards) != 1 || rk.Cards[0].SubjectID != "dept-b" {
				t.Errorf("dept-b ranking: %+v, %v", rk, err)
			}
			if _, _, err := p.Assessment().Scorecard(ctx, aVendorB, assessment.SubjectVendor, aPeriod, "vendor-a"); !errors.Is(err, assessment.ErrForbidden) {
				t.Errorf("vendor-b reading vendor-a: %v, want ErrForbidden", err)
			}
			if _, err := p.AssessVendors(ctx, aDeptA, aPeriod); !errors.Is(err, assessment.ErrForbidden) {
				t.Errorf("department assessing vendors: %v, want ErrForbidden", err)
			}

			// A second assessment is a correction of the first.
			again, err := p.AssessVendors(ctx, aAuth, aPeriod)
			if err != nil {
				t.Fatal(err)
			}
			if again.Supersedes != vrun.ID || again.InputDigest != vrun.InputDigest {
				t.Errorf("re-assessment: supersedes %q (want %q), digest equal %v", again.Supersedes, vrun.ID, again.InputDigest == vrun.InputDigest)
			}

			// Costs and fees from billing, checked against the catalog prices:
			// 10–31 March is 22 of 31 days.
			perApp := prorated(aPriceVCPU, 4, 22, 31) + prorated(aPriceDisk, 100, 22, 31)
			fee, err := src.MonthlyFee(ctx, "vendor-a", aMarch)
			if err != nil || fee != 2*perApp {
				t.Errorf("vendor-a fee = %d, %v; want %d", fee, err, 2*perApp)
			}
			a1 := ids["不动产登记"]
			from, mid, to := aMarch.Start(cst), time.Date(2027, 3, 20, 7, 30, 0, 0, cst), aMarch.End(cst)
			whole, err := src.Cost(ctx, a1, from, to)
			if err != nil || whole != perApp {
				t.Errorf("cost of %s in March = %d, %v; want %d", a1, whole, err, perApp)
			}
			c1, _ := src.Cost(ctx, a1, from, mid)
			c2, _ := src.Cost(ctx, a1, mid, to)
			if d := c1 + c2 - whole; d < -1 || d > 1 || c1 <= 0 || c2 <= c1 {
				t.Errorf("cost split %d + %d vs %d", c1, c2, whole)
			}
			if c, _ := src.Cost(ctx, a1, from, time.Date(2027, 3, 9, 0, 0, 0, 0, cst)); c != 0 {
				t.Errorf("cost before activation = %d", c)
			}

			// Service credits: vendor-a's month falls under a tier; the credit
			// becomes one deduction line on dept-a's statement, once.
			lines, err := p.ServiceCredits(ctx, aMarch)
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != 1 || lines[0].VendorID != "vendor-a" || lines[0].MonthlyFee != 2*perApp {
				t.Fatalf("credits = %+v", lines)
			}
			if _, err := p.ApplyServiceCredits(ctx, aDeptA, aMarch); !errors.Is(err, assessment.ErrForbidden) {
				t.Errorf("department applying credits: %v", err)
			}
			rep, err := p.ApplyServiceCredits(ctx, aAuth, aMarch)
			if err != nil {
				t.Fatal(err)
			}
			key := ServiceCreditKey("dept-a", "vendor-a", aMarch)
			// 99.8656 % is below 99.9 %: 10 % of the fee, the assessment's credit.
			want := -(2*perApp*1000 + 5000) / 10000
			if lines[0].Amount != -want {
				t.Errorf("assessment credit = %d, want %d", lines[0].Amount, -want)
			}
			if len(rep.Lines) != 1 || rep.Lines[0].Key != key || rep.Lines[0].Amount != want {
				t.Fatalf("deduction lines = %+v, want one of %d keyed %s", rep.Lines, want, key)
			}
			rep2, err := p.ApplyServiceCredits(ctx, aAuth, aMarch)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep2.Lines) != 0 || !slices.Equal(rep2.Unchanged, []string{key}) {
				t.Errorf("second application: %+v", rep2)
			}
			sts, err := p.Billing().Statements(ctx, bAuth, billing.StatementFilter{Month: billing.Month(aMarch)})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range sts {
				wantDed := int64(0)
				if st.Department == "dept-a" && st.Vendor == "vendor-a" {
					wantDed = want
				}
				if got := st.Totals().Deductions; got != wantDed {
					t.Errorf("%s × %s deductions = %d, want %d", st.Department, st.Vendor, got, wantDed)
				}
			}
		})
	}
}

func TestAssessmentRecords(t *testing.T) {
	e := newAEnv(t, Options{SQLitePath: t.TempDir() + "/gc.db"})
	p, ctx := e.p, t.Context()
	at := time.Date(2027, 3, 5, 10, 0, 0, 0, cst)
	span := assessment.Interval{From: at, To: at.Add(time.Hour)}
	cases := []struct {
		name  string
		write func() error
		want  error
		field string
	}{
		{"vendor for another vendor", func() error {
			return p.RecordOutage(ctx, aVendorB, "vendor-a", assessment.Outage{ID: "o1", Interval: span})
		}, assessment.ErrForbidden, "actor"},
		{"outage ends before it starts", func() error {
			return p.RecordOutage(ctx, aAuth, "vendor-a", assessment.Outage{ID: "o1", Interval: assessment.Interval{From: at, To: at.Add(-time.Minute)}})
		}, ErrInvalidRecord, "to"},
		{"outage without ID", func() error {
			return p.RecordOutage(ctx, aAuth, "vendor-a", assessment.Outage{Interval: span})
		}, ErrInvalidRecord, "id"},
		{"exclusion by the vendor", func() error {
			return p.RecordExclusion(ctx, aVendorA, "vendor-a", assessment.Exclusion{ID: "x1", Interval: span, Reason: assessment.Maintenance, Evidence: "e", ApprovedBy: "o"})
		}, assessment.ErrForbidden, "actor"},
		{"exclusion without evidence", func() error {
			return p.RecordExclusion(ctx, aAuth, "vendor-a", assessment.Exclusion{ID: "x1", Interval: span, Reason: assessment.Maintenance, ApprovedBy: "o"})
		}, ErrInvalidRecord, "exclusion"},
		{"incident without start", func() error {
			return p.RecordIncident(ctx, aVendorA, "vendor-a", assessment.Incident{ID: "i1", Restored: at})
		}, ErrInvalidRecord, "from"},
		{"performance check without instant", func() error {
			return p.RecordPerformanceCheck(ctx, aVendorA, "vendor-a", assessment.PerformanceCheck{ID: "c1"})
		}, ErrInvalidRecord, "at"},
		{"unknown deliverable", func() error {
			return p.RecordDeliverable(ctx, aVendorA, "vendor-a", Deliverable{ID: "d1", Kind: "memo", At: at})
		}, ErrInvalidRecord, "kind"},
		{"survey by a vendor", func() error {
			return p.RecordSatisfaction(ctx, aVendorA, "vendor-a", at, assessment.Satisfied)
		}, assessment.ErrForbidden, "actor"},
		{"survey level out of range", func() error {
			return p.RecordSatisfaction(ctx, aDeptA, "vendor-a", at, 5)
		}, ErrInvalidRecord, "level"},
		{"system of another department", func() error {
			return p.RegisterSystem(ctx, aDeptA, "dept-b", assessment.SystemRecord{ID: "s", Name: "n"})
		}, assessment.ErrForbidden, "actor"},
		{"system claimed on the platform", func() error {
			return p.RegisterSystem(ctx, aDeptA, "dept-a", assessment.SystemRecord{ID: "s", Name: "n", OnPlatform: true})
		}, ErrInvalidRecord, "on_platform"},
	}
	for _, c := range cases {
		err := c.write()
		var re *RecordError
		if !errors.Is(err, c.want) || !errors.As(err, &re) || re.Field != c.field {
			t.Errorf("%s: %v, want %v on field %s", c.name, err, c.want, c.field)
		}
	}
	// Nothing was written.
	var n int64
	if err := p.Database().Gorm().Raw(`SELECT COUNT(*) FROM assessment_records`).Scan(&n).Error; err != nil || n != 0 {
		t.Fatalf("records after refusals: %d, %v", n, err)
	}
	// Idempotent by ID; other content under the same ID is a conflict.
	o := assessment.Outage{ID: "o1", Interval: span}
	for range 2 {
		if err := p.RecordOutage(ctx, aVendorA, "vendor-a", o); err != nil {
			t.Fatal(err)
		}
	}
	o.To = o.To.Add(time.Minute)
	if err := p.RecordOutage(ctx, aVendorA, "vendor-a", o); !errors.Is(err, ErrRecordConflict) {
		t.Errorf("reused ID: %v", err)
	}
	// The window selects overlapping spans and instants in [from, to).
	src := p.AssessmentSource()
	for _, w := range []struct {
		from, to time.Time
		want     int
	}{
		{at.Add(-time.Hour), at, 0}, {at.Add(-time.Hour), at.Add(time.Minute), 1},
		{at.Add(59 * time.Minute), at.Add(2 * time.Hour), 1}, {at.Add(time.Hour), at.Add(2 * time.Hour), 0},
	} {
		outs, _, err := src.Outages(ctx, "vendor-a", w.from, w.to)
		if err != nil || len(outs) != w.want {
			t.Errorf("outages in [%v, %v) = %d, %v; want %d", w.from, w.to, len(outs), err, w.want)
		}
	}
	if err := p.RecordPerformanceCheck(ctx, aAuth, "vendor-a", assessment.PerformanceCheck{ID: "c1", At: at, Passed: true}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		from, to time.Time
		want     int
	}{{at, at.Add(time.Second), 1}, {at.Add(-time.Second), at, 0}} {
		cs, err := src.PerformanceChecks(ctx, "vendor-a", w.from, w.to)
		if err != nil || len(cs) != w.want {
			t.Errorf("checks in [%v, %v) = %d, %v; want %d", w.from, w.to, len(cs), err, w.want)
		}
	}
	// Satisfaction: the latest answer of a department counts.
	for _, l := range []assessment.SatisfactionLevel{assessment.Dissatisfied, assessment.VerySatisfied} {
		if err := p.RecordSatisfaction(ctx, aDeptA, "vendor-a", at, l); err != nil && l == assessment.Dissatisfied {
			t.Fatal(err)
		} else if l == assessment.VerySatisfied && !errors.Is(err, ErrRecordConflict) {
			t.Errorf("second answer in the same month: %v, want ErrRecordConflict", err)
		}
	}
	if err := p.RecordSatisfaction(ctx, aDeptA, "vendor-a", at.AddDate(0, 1, 0), assessment.VerySatisfied); err != nil {
		t.Fatal(err)
	}
	sv, invited, err := src.Surveys(ctx, "vendor-a", at.AddDate(0, -1, 0), at.AddDate(0, 2, 0))
	if err != nil || invited != 1 || len(sv) != 1 || sv[0].Level != assessment.VerySatisfied {
		t.Errorf("surveys = %+v, invited %d, %v", sv, invited, err)
	}
}

func TestAssessmentOptionsValidate(t *testing.T) {
	bad := assessment.DefaultVendorOptions()
	bad.Satisfaction.MinSample = 0
	err := Options{SQLitePath: "x.db", Assessment: AssessmentOptions{Vendor: &bad}}.Validate()
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Field != "Assessment.Vendor" || !errors.Is(err, assessment.ErrInvalidOptions) {
		t.Errorf("bad vendor options: %v", err)
	}
	if err := (AssessmentOptions{}).Validate(); err != nil {
		t.Errorf("zero options: %v", err)
	}
}

func TestDeliverableKindLabel(t *testing.T) {
	got := fmt.Sprint(DeliverableReport, " ", DeliverableBulletin.Label("en"), " ", DeliverableKind("x"))
	if got != "月度报告 security bulletin x" {
		t.Errorf("labels: %q", got)
	}
	if !strings.Contains(ServiceCreditKey("d", "v", aMarch), "d:v:2027-03") {
		t.Error(ServiceCreditKey("d", "v", aMarch))
	}
}

func TestCreditDeductionTiers(t *testing.T) {
	got := CreditDeductionTiers(assessment.DefaultCreditOptions())
	want := []billing.DeductionTier{{MinShortfall: 1, CreditBP: 500}, {MinShortfall: 6, CreditBP: 1000}, {MinShortfall: 46, CreditBP: 2500}, {MinShortfall: 96, CreditBP: 5000}}
	if d := gocmp.Diff(want, got); d != "" {
		t.Errorf("tiers (-want +got):\n%s", d)
	}
	if CreditDeductionTiers(assessment.CreditOptions{}) != nil {
		t.Error("no tiers should translate to nil")
	}
	// Property (fixed seed): for any month, billing's tier for the shortfall
	// of the rounded-down availability credits the assessment's rate.
	opts := assessment.DefaultCreditOptions()
	target := creditTarget(opts)
	rng := rand.New(rand.NewPCG(7, 7))
	for range 20_000 {
		den := int64(40_000 + rng.IntN(5_000))
		num := den - int64(rng.IntN(800))
		av := assessment.Availability{Month: aMarch, Total: den, Down: den - num}
		line, err := opts.Credit("v", av, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		var billed int64 // billing's rule: the highest tier reached
		for _, tr := range got {
			if target-num*10000/den >= tr.MinShortfall {
				billed = tr.CreditBP
			}
		}
		var assessed int64
		if line != nil {
			assessed = int64(line.Rate) / 100
		}
		if billed != assessed {
			t.Fatalf("%d/%d minutes: billing credits %d bp, assessment %d bp", num, den, billed, assessed)
		}
	}
}

// BenchmarkAssessVendors measures one vendor assessment of the scenario's
// month (two vendors, five work orders, statements) on SQLite, saved as a
// new run each time.
func BenchmarkAssessVendors(b *testing.B) {
	e := newAEnv(b, Options{SQLitePath: b.TempDir() + "/gc.db"})
	e.scenario()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.p.AssessVendors(b.Context(), aAuth, aPeriod); err != nil {
			b.Fatal(err)
		}
	}
}
