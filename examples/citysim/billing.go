package main

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	govcloud "github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// The catalog codes citysim's applications use (billing.ValidateCode form); their
// footprints equal govcloud.DefaultFootprints' ecs.2c4g … sec.service.
const (
	codeECS2C4G  = "IAAS-ECS-2C4G"
	codeECS4C8G  = "IAAS-ECS-4C8G"
	codeECS8C16G = "IAAS-ECS-8C16G"
	codeEVS      = "IAAS-EVS-GB"
	codeRDS      = "PAAS-RDS-MYSQL"
	codeBW       = "IAAS-NET-BW"
	codeEIP      = "IAAS-NET-EIP"
	codeSEC      = "SECS-SVC-PKG"
)

// catalogEntry is one catalog item and its list price (分 per unit·month) at the
// first vendor; other vendors' contract prices are a few percent lower.
type catalogEntry struct {
	item  billing.Item
	price int64
}

// simCatalog lists the items: 1 vCPU·月 ≈ 8,000 分, 1 GB memory·月 ≈ 1,500 分.
func simCatalog() []catalogEntry {
	ecs := func(code, size string, cpu, mem int64) catalogEntry {
		return catalogEntry{billing.Item{Code: code, Name: "云主机 " + size, NameEn: "cloud host " + size, Unit: "台·月",
			Footprint: quota.Vector{quota.VCPU: cpu * 1000, quota.Memory: mem * 1024}, Basis: billing.Monthly, Proration: billing.ProrateDays},
			cpu*8000 + mem*1500}
	}
	item := func(code, name, en, unit string, fp quota.Vector, price int64) catalogEntry {
		return catalogEntry{billing.Item{Code: code, Name: name, NameEn: en, Unit: unit, Footprint: fp,
			Basis: billing.Monthly, Proration: billing.ProrateDays}, price}
	}
	return []catalogEntry{
		ecs(codeECS2C4G, "2核4G", 2, 4),
		ecs(codeECS4C8G, "4核8G", 4, 8),
		ecs(codeECS8C16G, "8核16G", 8, 16),
		item(codeEVS, "云硬盘", "block storage", "GB·月", quota.Vector{quota.Storage: 1}, 60),
		item(codeRDS, "云数据库 MySQL", "MySQL database", "实例·月", quota.Vector{quota.DBInstances: 1}, 120000),
		item(codeBW, "互联网带宽", "internet bandwidth", "Mbps·月", quota.Vector{quota.Bandwidth: 1}, 5000),
		item(codeEIP, "弹性公网IP", "elastic IP", "个·月", quota.Vector{quota.PublicIPs: 1}, 2000),
		item(codeSEC, "云安全服务包", "security service package", "套·月", quota.Vector{quota.SecurityServices: 1}, 300000),
	}
}

// simFootprints is the footprint table of the catalog (quota's declared demand).
func simFootprints() govcloud.FootprintTable {
	t := govcloud.FootprintTable{}
	for _, e := range simCatalog() {
		t[e.item.Code] = e.item.Footprint
	}
	return t
}

// vendorPrice is vendor i's contract price: 100 %, 96 %, 92 %, 88 % of the list price.
func vendorPrice(list int64, i int) int64 { return list * int64(100-4*(i%4)) / 100 }

// BillingSpec configures the billing stage.
type BillingSpec struct {
	// BillTrial bills the trial (试用) as well as the formal service (policy).
	BillTrial bool `json:"bill_trial"`
	// AdjustRate is the share of monthly statements the authority adjusts in audit.
	AdjustRate float64 `json:"adjust_rate"`
	// BudgetMin and BudgetMax bound a department's budget as a multiple of half
	// the year's cost of its applications at list prices.
	BudgetMin float64 `json:"budget_min"`
	BudgetMax float64 `json:"budget_max"`
	// AvailabilityTarget is the monthly availability in basis points (9995 = 99.95 %)
	// below which the vendor's statements get a service-level deduction.
	AvailabilityTarget int64 `json:"availability_target_bp"`
}

// DefaultBillingSpec: trial not billed, 5 % of statements adjusted, budgets 0.8–1.5×.
func DefaultBillingSpec() BillingSpec {
	return BillingSpec{AdjustRate: 0.05, BudgetMin: 0.8, BudgetMax: 1.5, AvailabilityTarget: 9995}
}

func (b BillingSpec) problems() []error {
	var errs []error
	bad := func(f, format string, args ...any) {
		errs = append(errs, &ScenarioError{Field: "billing." + f, Reason: fmt.Sprintf(format, args...)})
	}
	if !(b.AdjustRate >= 0 && b.AdjustRate <= 1) {
		bad("adjust_rate", "%v is not a probability in [0, 1]", b.AdjustRate)
	}
	if !(b.BudgetMin > 0 && b.BudgetMin <= 100) {
		bad("budget_min", "%v is outside (0, 100]", b.BudgetMin)
	}
	if !(b.BudgetMax >= b.BudgetMin && b.BudgetMax <= 100) {
		bad("budget_max", "%v must lie between budget_min (%v) and 100", b.BudgetMax, b.BudgetMin)
	}
	if b.AvailabilityTarget < 9000 || b.AvailabilityTarget > 10000 {
		bad("availability_target_bp", "%d is outside 9000–10000", b.AvailabilityTarget)
	}
	return errs
}

var (
	billAuthority = billing.Actor{ID: "市大数据局", Role: billing.RoleAuthority}
	billFinance   = billing.Actor{ID: "市财政局", Role: billing.RoleFinance}
)

// adjustReasons are the audit's reasons; the sign is the adjustment's direction.
var adjustReasons = []struct {
	reason string
	sign   int64
}{
	{"实际开通晚于计量起点,按开通日核减 / billed before the actual go-live", -1},
	{"资源已释放未及时停止计费,核减 / billed after the resources were released", -1},
	{"合同优惠价未执行,按合同价核减 / contract discount not applied", -1},
	{"漏计扩容部分,补计 / an executed expansion was not billed", 1},
}

// BillingStage meters the platform every month, drafts, audits and approves the
// statements, settles the year and writes the finance files to OutDir.
type BillingStage struct {
	OutDir string

	loc      *time.Location
	next     billing.Month // first month not yet closed
	year     int
	budgets  map[string]billing.Budget
	avail    map[string]map[billing.Month]int64 // vendor → month → achieved bp
	adjusted map[string]int                     // reason → lines
	deducted int
	result   *billingSection
}

// NewBillingStage returns the stage writing its files to outDir.
func NewBillingStage(outDir string) *BillingStage { return &BillingStage{OutDir: outDir} }

// Prepare loads the catalog, the vendors' prices and the departments' budgets.
func (b *BillingStage) Prepare(ctx context.Context, s *Sim) error {
	b.loc, b.year = calendar.Beijing(), s.sc.Year
	b.next = billing.Month{Year: s.sc.Year, Month: time.January}
	b.adjusted = map[string]int{}
	var items []billing.Item
	var prices []billing.Price
	list := map[string]int64{}
	for _, e := range simCatalog() {
		items = append(items, e.item)
		list[e.item.Code] = e.price
		for i, v := range s.sc.Vendors {
			prices = append(prices, billing.Price{Item: e.item.Code, Vendor: v.ID, Contract: fmt.Sprintf("HT-%d-%s", s.sc.Year, v.ID),
				UnitPrice: vendorPrice(e.price, i), From: billing.Date{Year: s.sc.Year, Month: time.January, Day: 1}})
		}
	}
	cat, err := billing.NewCatalog(items, prices)
	if err != nil {
		return fmt.Errorf("citysim: billing catalog: %w", err)
	}
	s.ids.use("bill")
	svc := s.p.Billing()
	if err := svc.ImportCatalog(ctx, billAuthority, cat); err != nil {
		return fmt.Errorf("citysim: billing catalog: %w", err)
	}
	if err := s.p.RefreshFootprints(ctx); err != nil {
		return err
	}
	// Budgets: half the year's cost of the department's applications at list price
	// (applications arrive over the year) × a factor.
	yearly := make([]int64, len(s.depts))
	for _, a := range s.apps {
		for _, it := range a.items {
			yearly[a.dept] += list[it.Code] * it.Quantity * 12
		}
	}
	rng := rand.New(rand.NewPCG(s.sc.Seed, 0xb1d6e7))
	b.budgets = map[string]billing.Budget{}
	for i, d := range s.depts {
		f := b0(s.sc.Billing.BudgetMin + rng.Float64()*(s.sc.Billing.BudgetMax-s.sc.Billing.BudgetMin))
		bud := billing.Budget{Department: d.ID, FiscalYear: s.sc.Year, Code: fmt.Sprintf("YS%d-%s-XXH", s.sc.Year, strings.TrimPrefix(d.ID, "dept-")),
			Amount: max(int64(float64(yearly[i]/2)*f)/100*100, 100_000_00)}
		if err := svc.SetBudget(ctx, billFinance, bud); err != nil {
			return fmt.Errorf("citysim: budget of %s: %w", d.ID, err)
		}
		b.budgets[d.ID] = bud
	}
	recs := seedVendorRecords(s.sc)
	b.avail = map[string]map[billing.Month]int64{}
	for _, v := range s.sc.Vendors {
		b.avail[v.ID] = map[billing.Month]int64{}
		for _, m := range recs[v.ID].availability {
			b.avail[v.ID][billing.Month{Year: m.Month.Year, Month: m.Month.Month}] = availabilityBP(m.Total, m.Excluded, m.Down)
		}
	}
	return nil
}

// b0 keeps a factor finite and positive.
func b0(f float64) float64 { return max(f, 0.01) }

// availabilityBP is (T − excluded − down) ÷ (T − excluded) in basis points, floored.
func availabilityBP(total, excluded, down int64) int64 {
	den := total - excluded
	if den <= 0 {
		return 10000
	}
	return (den - down) * 10000 / den
}

// AfterAct closes every month that ended before the act.
func (b *BillingStage) AfterAct(ctx context.Context, s *Sim, a Act, _ workflow.Application) error {
	m := billing.MonthOf(a.At, b.loc)
	for b.next.Before(m) {
		if err := b.closeMonth(ctx, s, b.next); err != nil {
			return err
		}
		b.next = b.next.Next()
	}
	return nil
}

// closeMonth meters month m, drafts its statements, has the vendors confirm them,
// audits them (service-level deductions, a seeded few adjustments) and approves them.
func (b *BillingStage) closeMonth(ctx context.Context, s *Sim, m billing.Month) error {
	defer func(start time.Time) { s.timings.MonthClose += time.Since(start) }(time.Now())
	s.ids.use("bill")
	if _, err := s.p.MeterMonth(ctx, billAuthority, m); err != nil {
		return fmt.Errorf("citysim: metering %s: %w", m, err)
	}
	svc := s.p.Billing()
	gen, err := svc.GenerateStatements(ctx, billAuthority, m)
	if err != nil {
		return fmt.Errorf("citysim: statements of %s: %w", m, err)
	}
	if len(gen.Parked) > 0 {
		return fmt.Errorf("citysim: %d usage records of %s have no price (first %s)", len(gen.Parked), m, gen.Parked[0].Key)
	}
	sts := gen.Statements
	slices.SortFunc(sts, func(x, y billing.Statement) int {
		return cmp.Or(cmp.Compare(x.Department, y.Department), cmp.Compare(x.Vendor, y.Vendor))
	})
	var deds []billing.DeductionInput
	for i := range sts {
		st := sts[i]
		va := billing.Actor{ID: st.Vendor, Role: billing.RoleVendor, Vendor: st.Vendor}
		if _, err := svc.ConfirmByVendor(ctx, va, st.ID); err != nil {
			return fmt.Errorf("citysim: confirming %s: %w", st.ID, err)
		}
		if sts[i], err = svc.OpenAudit(ctx, billAuthority, st.ID); err != nil {
			return fmt.Errorf("citysim: auditing %s: %w", st.ID, err)
		}
		if got := b.avail[st.Vendor][m]; got < s.sc.Billing.AvailabilityTarget {
			deds = append(deds, billing.DeductionInput{Key: fmt.Sprintf("sla:availability:%s:%s:%s", st.Department, st.Vendor, m),
				Department: st.Department, Vendor: st.Vendor, Month: m, Indicator: "availability",
				Target: s.sc.Billing.AvailabilityTarget, Achieved: got, Reason: "云服务可用性未达约定(第二十三条)"})
		}
	}
	if len(deds) > 0 {
		rep, err := svc.ApplyDeductions(ctx, billAuthority, deds)
		if err != nil {
			return fmt.Errorf("citysim: deductions of %s: %w", m, err)
		}
		b.deducted += len(rep.Lines)
	}
	rng := rand.New(rand.NewPCG(s.sc.Seed, uint64(0xad<<32)|uint64(m.Year*12+int(m.Month))))
	for _, st := range sts {
		if rng.Float64() >= s.sc.Billing.AdjustRate {
			continue
		}
		var usage []billing.Line
		for _, l := range st.Lines {
			if l.Kind == billing.LineUsage && l.Amount >= 100 {
				usage = append(usage, l)
			}
		}
		if len(usage) == 0 {
			continue
		}
		l := usage[rng.IntN(len(usage))]
		r := adjustReasons[rng.IntN(len(adjustReasons))]
		amt := r.sign * l.Amount * int64(10+rng.IntN(21)) / 100
		if amt == 0 {
			continue
		}
		if _, err := svc.Adjust(ctx, billAuthority, st.ID, billing.Adjustment{Amount: amt, Reason: r.reason, RefLine: l.ID, Key: "audit:" + st.ID}); err != nil {
			return fmt.Errorf("citysim: adjusting %s: %w", st.ID, err)
		}
		b.adjusted[r.reason]++
	}
	for _, st := range sts {
		if _, err := svc.Approve(ctx, billAuthority, st.ID); err != nil {
			return fmt.Errorf("citysim: approving %s: %w", st.ID, err)
		}
	}
	return nil
}

// Finish closes December, settles the year in the next year (approved on 31 March,
// submitted to finance on 15 April, before the 30 September due date) and writes
// settlement.xlsx and the CSVs.
func (b *BillingStage) Finish(ctx context.Context, s *Sim) ([]Section, error) {
	s.clock.set(s.end)
	last := billing.Month{Year: b.year, Month: time.December}
	for !last.Before(b.next) {
		if err := b.closeMonth(ctx, s, b.next); err != nil {
			return nil, err
		}
		b.next = b.next.Next()
	}
	svc := s.p.Billing()
	s.ids.use("bill")
	s.clock.set(time.Date(b.year+1, time.March, 31, 10, 0, 0, 0, b.loc))
	set, err := svc.BuildSettlement(ctx, billAuthority, b.year)
	if err != nil {
		return nil, fmt.Errorf("citysim: settlement: %w", err)
	}
	if set, err = svc.ApproveSettlement(ctx, billAuthority, set.ID); err != nil {
		return nil, fmt.Errorf("citysim: settlement: %w", err)
	}
	s.clock.set(time.Date(b.year+1, time.April, 15, 10, 0, 0, 0, b.loc))
	if set, err = svc.SubmitSettlement(ctx, billAuthority, set.ID); err != nil {
		return nil, fmt.Errorf("citysim: settlement: %w", err)
	}
	// The year's statements are streamed, a page at a time, in the listing
	// order (month, department, vendor): once into the workbook, counted on
	// the way, and once into the lines CSV, so they are never all held at
	// once (the workbook itself is buffered, compressed, to write its zip
	// entries in a fixed order).
	sts := svc.AllStatements(ctx, billFinance, billing.StatementFilter{FiscalYear: b.year})
	sec := &billingSection{year: b.year, trial: s.sc.Billing.BillTrial, set: set,
		items: len(simCatalog()), vendors: len(s.sc.Vendors), adjusted: b.adjusted}
	names := map[string]string{}
	for _, d := range s.depts {
		names[d.ID] = d.Name
	}
	for _, v := range s.sc.Vendors {
		names[v.ID] = v.Name
	}
	sec.names = names
	sec.budgets = b.budgets
	byVendor, byDept := costTable{}, costTable{}
	count := func(st billing.Statement) {
		sec.statements++
		byVendor.add(st.Month, st.Vendor, st.Totals())
		byDept.add(st.Month, st.Department, st.Totals())
		if st.State != billing.StatementApproved {
			sec.unapproved++
		}
		for _, l := range st.Lines {
			switch l.Kind {
			case billing.LineAdjustment:
				sec.adjLines++
				sec.adjTotal += l.Amount
			case billing.LineDeduction:
				sec.dedLines++
				sec.dedTotal += l.Amount
			}
		}
	}
	if b.OutDir == "" {
		for st, err := range sts {
			if err != nil {
				return nil, err
			}
			count(st)
		}
	} else {
		files, err := writeBillingFiles(b.OutDir, sts, count, set, b.loc, names, byVendor, byDept)
		if err != nil {
			return nil, err
		}
		sec.files = files
	}
	b.result = sec
	return []Section{sec}, nil
}

// writeBillingFiles writes settlement.xlsx, statement_lines.csv,
// settlement_summary.csv, cost_by_vendor_month.csv and cost_by_department_month.csv.
//
// The workbook is written first, and count sees each statement on the way,
// so that byVendor and byDept are complete when their files are written.
func writeBillingFiles(dir string, sts iter.Seq2[billing.Statement, error], count func(billing.Statement),
	set billing.Settlement, loc *time.Location, names map[string]string, byVendor, byDept costTable) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	write := func(name string, fn func(w io.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return fmt.Errorf("citysim: writing %s: %w", name, err)
		}
		return f.Close()
	}
	files := []string{"settlement.xlsx", "statement_lines.csv", "settlement_summary.csv", "cost_by_vendor_month.csv", "cost_by_department_month.csv"}
	steps := []func(io.Writer) error{
		func(w io.Writer) error {
			counted := func(yield func(billing.Statement, error) bool) {
				for st, err := range sts {
					if err == nil {
						count(st)
					}
					if !yield(st, err) {
						return
					}
				}
			}
			return canonicalXLSX(w, func(w io.Writer) error {
				return billing.WriteFinanceXLSXFrom(w, counted, &set, loc, billing.Chinese)
			})
		},
		func(w io.Writer) error { return billing.WriteStatementsCSVFrom(w, sts, loc, billing.Chinese) },
		func(w io.Writer) error { return billing.WriteSettlementCSV(w, set, billing.Chinese) },
		func(w io.Writer) error { return byVendor.write(w, "vendor", names) },
		func(w io.Writer) error { return byDept.write(w, "department", names) },
	}
	for i, f := range files {
		if err := write(f, steps[i]); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// writeTidyCost writes one row per month × key (long format for pandas/R):
// month,<key>,name,usage_yuan,adjustments_yuan,deductions_yuan,net_yuan.
// costTable sums statement totals by month and one key (a vendor or a
// department).
type costTable map[costKey]billing.Totals

type costKey struct {
	m   billing.Month
	key string
}

func (c costTable) add(m billing.Month, key string, t billing.Totals) {
	k := costKey{m, key}
	c[k] = c[k].Add(t)
}

// write writes the table as tidy CSV, by month and key.
func (c costTable) write(w io.Writer, key string, names map[string]string) error {
	keys := make([]costKey, 0, len(c))
	for kk := range c {
		keys = append(keys, kk)
	}
	slices.SortFunc(keys, func(a, b costKey) int {
		return cmp.Or(cmp.Compare(a.m.String(), b.m.String()), cmp.Compare(a.key, b.key))
	})
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"month", key, "name", "usage_yuan", "adjustments_yuan", "deductions_yuan", "net_yuan"}); err != nil {
		return err
	}
	for _, kk := range keys {
		t := c[kk]
		if err := cw.Write([]string{kk.m.String(), kk.key, names[kk.key], billing.FormatFen(t.Usage), billing.FormatFen(t.Adjustments),
			billing.FormatFen(t.Deductions), billing.FormatFen(t.Net)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// billingSection is the summary's billing block.
type billingSection struct {
	year                   int
	trial                  bool
	set                    billing.Settlement
	statements, unapproved int
	items, vendors         int
	adjusted               map[string]int
	adjLines, dedLines     int
	adjTotal, dedTotal     int64
	names                  map[string]string
	budgets                map[string]billing.Budget
	files                  []string
}

func yuan(fen int64) string { return billing.FormatFen(fen) }

// WriteSection writes spend by department (top 10) and vendor, the audit's
// adjustments by reason, deductions and the settlement.
func (b *billingSection) WriteSection(w io.Writer, heading string) error {
	var sb strings.Builder
	trial := "试用期不计费 trial not billed"
	if b.trial {
		trial = "试用期计费 trial billed"
	}
	fmt.Fprintf(&sb, "\n%s计费与年度结算 / billing and the annual settlement, %d · %s\n", heading, b.year, trial)
	fmt.Fprintf(&sb, "目录 catalog %d 项 items × %d 家云服务商 vendors · 月度账单 monthly statements %d(云服务商确认 → 审核 → 通过 vendor confirmed → audited → approved; 未通过 not approved %d)\n",
		b.items, b.vendors, b.statements, b.unapproved)
	rows := slices.Clone(b.set.ByDepartment)
	slices.SortFunc(rows, func(x, y billing.SummaryRow) int {
		return cmp.Or(cmp.Compare(y.Totals.Net, x.Totals.Net), cmp.Compare(x.Key, y.Key))
	})
	tw := newTable(&sb)
	tw.row("使用单位 department (前10 top 10)", "用量 usage 元", "调整 adjustments", "扣减 deductions", "应付 net 元", "预算 budget 元", "执行率 used")
	for _, r := range rows[:min(10, len(rows))] {
		bud := b.budgets[r.Key]
		used := "–"
		if bud.Amount > 0 {
			used = fmt.Sprintf("%.1f%%", 100*float64(r.Totals.Net)/float64(bud.Amount))
		}
		tw.row(r.Key+" "+b.names[r.Key], yuan(r.Totals.Usage), yuan(r.Totals.Adjustments), yuan(r.Totals.Deductions), yuan(r.Totals.Net), yuan(bud.Amount), used)
	}
	tw.flush()
	vs := slices.Clone(b.set.ByVendor)
	slices.SortFunc(vs, func(x, y billing.SummaryRow) int { return cmp.Compare(x.Key, y.Key) })
	tw = newTable(&sb)
	tw.row("云服务商 vendor", "用量 usage 元", "调整 adjustments", "扣减 deductions", "应付 net 元", "占比 share")
	for _, r := range vs {
		share := "–"
		if b.set.Total.Net != 0 {
			share = fmt.Sprintf("%.1f%%", 100*float64(r.Totals.Net)/float64(b.set.Total.Net))
		}
		tw.row(b.names[r.Key]+" "+r.Key, yuan(r.Totals.Usage), yuan(r.Totals.Adjustments), yuan(r.Totals.Deductions), yuan(r.Totals.Net), share)
	}
	tw.flush()
	fmt.Fprintf(&sb, "审核调整 / audit adjustments: %d 行 lines, 合计 total %s 元\n", b.adjLines, yuan(b.adjTotal))
	reasons := make([]string, 0, len(b.adjusted))
	for r := range b.adjusted {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		fmt.Fprintf(&sb, "  %3d × %s\n", b.adjusted[r], r)
	}
	fmt.Fprintf(&sb, "服务等级扣减 / service-level deductions (availability): %d 行 lines, 合计 total %s 元\n", b.dedLines, yuan(b.dedTotal))
	t := b.set.Total
	fmt.Fprintf(&sb, "年度结算 / settlement %d: 用量 usage %s + 调整 adjustments %s + 扣减 deductions %s = 应付 net %s 元 · %d 张账单 statements\n",
		b.year, yuan(t.Usage), yuan(t.Adjustments), yuan(t.Deductions), yuan(t.Net), len(b.set.Entries))
	overdue := "按期 on time"
	if b.set.Overdue {
		overdue = "逾期 overdue"
	}
	fmt.Fprintf(&sb, "  状态 state %s · 截止 due %s · 提交财政 submitted %s (%s) · 下一年度支付 paid from the following year\n",
		b.set.State, b.set.DueDate, b.set.SubmittedAt.In(calendar.Beijing()).Format("2006-01-02"), overdue)
	if len(b.files) > 0 {
		fmt.Fprintf(&sb, "  文件 files (-out): %s\n", strings.Join(b.files, ", "))
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// table writes tab-separated cells aligned to the right.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer) *table {
	return &table{tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)}
}

func (t *table) row(cells ...string) { fmt.Fprintln(t.tw, "  "+strings.Join(cells, "\t")+"\t") }

func (t *table) flush() { _ = t.tw.Flush() }

// canonicalXLSX runs write into memory and copies the workbook's zip entries to w
// in a fixed order ([Content_Types].xml first, then by name). excelize writes
// the same entries with the same bytes and no timestamps, but in map order, so
// the same workbook could otherwise differ byte for byte between runs.
func canonicalXLSX(w io.Writer, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return err
	}
	files := slices.Clone(zr.File)
	first := func(f *zip.File) int {
		if f.Name == "[Content_Types].xml" {
			return 0
		}
		return 1
	}
	slices.SortFunc(files, func(a, b *zip.File) int { return cmp.Or(first(a)-first(b), cmp.Compare(a.Name, b.Name)) })
	zw := zip.NewWriter(w)
	for _, f := range files {
		if err := zw.Copy(f); err != nil {
			return err
		}
	}
	return zw.Close()
}
