package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/workflow"
)

// ErrExperiment marks an experiment that cannot run as asked (bad -compare,
// clashing arm names, options that do not validate).
var ErrExperiment = errors.New("citysim: invalid experiment")

// ExperimentError names what is wrong with an experiment: the option or arm and why.
type ExperimentError struct {
	Field  string
	Reason string
}

func (e *ExperimentError) Error() string { return "experiment: " + e.Field + ": " + e.Reason }

// Is reports whether target is ErrExperiment.
func (e *ExperimentError) Is(target error) bool { return target == ErrExperiment }

// Arm is one side of an experiment: a named scenario. The name is the output
// subdirectory (out/<name>) and the column heading.
type Arm struct {
	Name     string
	Scenario Scenario
}

// ExperimentOptions configure RunExperiment.
type ExperimentOptions struct {
	// OutDir receives one subdirectory per arm (its SQLite database, finance
	// files, scorecards and summary.txt) and compare.csv.
	OutDir string
	// Progress receives one line as each arm starts and ends (nil: none).
	Progress io.Writer
}

// Validate checks the options.
func (o ExperimentOptions) Validate() error {
	if strings.TrimSpace(o.OutDir) == "" {
		return &ExperimentError{Field: "OutDir", Reason: "empty (name a directory)"}
	}
	return nil
}

func validateArms(a, b Arm) error {
	var errs []error
	for i, arm := range []Arm{a, b} {
		f := fmt.Sprintf("arm[%d].name", i)
		switch {
		case arm.Name == "" || arm.Name == "." || arm.Name == "..":
			errs = append(errs, &ExperimentError{Field: f, Reason: fmt.Sprintf("%q is not a directory name", arm.Name)})
		case strings.ContainsAny(arm.Name, `/\`):
			errs = append(errs, &ExperimentError{Field: f, Reason: fmt.Sprintf("%q contains a slash", arm.Name)})
		}
		if err := arm.Scenario.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("arm %q: %w", arm.Name, err))
		}
	}
	if a.Name == b.Name && a.Name != "" {
		errs = append(errs, &ExperimentError{Field: "arm[1].name", Reason: fmt.Sprintf("%q repeats arm[0]", b.Name)})
	}
	if a.Scenario.Seed != b.Scenario.Seed {
		errs = append(errs, &ExperimentError{Field: "arm[1].seed", Reason: fmt.Sprintf("%d differs from arm[0]'s %d (an experiment compares under one seed)", b.Scenario.Seed, a.Scenario.Seed)})
	}
	return errors.Join(errs...)
}

// RunExperiment runs both arms (concurrently, each into its own subdirectory of
// o.OutDir with its own database) and compares their metrics. It writes each
// arm's full summary to <out>/<arm>/summary.txt and the comparison to
// <out>/compare.csv. The arms must share the seed: the same seed gives the
// same comparison.
func RunExperiment(ctx context.Context, a, b Arm, o ExperimentOptions) (*Comparison, error) {
	if err := errors.Join(o.Validate(), validateArms(a, b)); err != nil {
		return nil, err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ms   [2]RunMetrics
		errs [2]error
	)
	note := func(format string, args ...any) {
		if o.Progress != nil {
			mu.Lock()
			fmt.Fprintf(o.Progress, format, args...)
			mu.Unlock()
		}
	}
	for i, arm := range []Arm{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			note("citysim: 对比 compare: %s 开始 started\n", arm.Name)
			rep, err := runArm(ctx, arm, filepath.Join(o.OutDir, arm.Name))
			if err != nil {
				errs[i] = fmt.Errorf("arm %q: %w", arm.Name, err)
				return
			}
			ms[i] = Metrics(*rep)
			note("citysim: 对比 compare: %s 完成 done (%d 次流转 transitions)\n", arm.Name, rep.Transitions)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	c := Compare(a.Name, ms[0], b.Name, ms[1])
	f, err := os.Create(filepath.Join(o.OutDir, "compare.csv"))
	if err != nil {
		return nil, err
	}
	if err := c.WriteCSV(f); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return c, nil
}

// runArm is one ordinary run (the stages of the command) into dir, with the
// same checks as the command: audit chains, work-order balance, records.
func runArm(ctx context.Context, arm Arm, dir string) (*Report, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	sim, err := NewSim(ctx, arm.Scenario, Options{OutDir: dir,
		Hooks: []Hook{NewBillingStage(dir), NewAssessmentStage(dir)}})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	if err := sim.Run(ctx); err != nil {
		return nil, err
	}
	rep, err := sim.Report(ctx)
	if err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, "summary.txt"))
	if err != nil {
		return nil, err
	}
	if err := rep.Write(f); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if len(rep.AuditFailures) > 0 {
		return nil, fmt.Errorf("%d of %d audit chains do not verify", len(rep.AuditFailures), rep.Total)
	}
	if err := rep.Dispatch.Balance(); err != nil {
		return nil, err
	}
	if rep.AuditRecords != rep.Transitions {
		return nil, fmt.Errorf("the audit trail holds %d records but the simulation made %d transitions", rep.AuditRecords, rep.Transitions)
	}
	return rep, nil
}

// Unit says how a metric is measured and printed.
type Unit string

// The units of the metrics.
const (
	UnitCount Unit = "count" // a number of things
	UnitFen   Unit = "fen"   // money in 分 (printed in 元)
	UnitRate  Unit = "rate"  // a share in [0, 1] (printed in %; the difference in percentage points)
	UnitScore Unit = "score" // a scorecard total, 0–100
	UnitFlag  Unit = "flag"  // 0 or 1
)

// Value is one metric of one run: an exact integer (counts, 分, flags) or a
// float (rates, scores). Missing is a rate with nothing to rate.
type Value struct {
	Int     int64
	Float   float64
	IsFloat bool
	Missing bool
}

// F is the value as a float64.
func (v Value) F() float64 {
	if v.IsFloat {
		return v.Float
	}
	return float64(v.Int)
}

// Metric is one named measurement of a run.
type Metric struct {
	// Key is the machine name (compare.csv's metric column), e.g.
	// "on_time.accepted.authority" or "billing.vendor.v-mobile.net".
	Key string
	// Label is the bilingual name for people.
	Label string
	Unit  Unit
	Value Value
}

// RunMetrics are the key figures of one run, taken from its Report (not its text).
type RunMetrics struct {
	Name         string
	Seed         uint64
	Year         int
	Policy       string
	Applications int
	Transitions  int
	// Steps are the on-time figures per step (state left) and party; Parties
	// the totals per party over the steps with a deadline (From is empty).
	Steps   []StepStat
	Parties []StepStat
	// Overdue counts what is overdue at year end, by party.
	Overdue        int
	OverdueByParty map[workflow.Party]int
	HeldBack       HeldBack
	// Approved and Activated count 审批通过 and 终审通过并开通 acts.
	Approved, Activated int
	// Billing (zero when the run had no billing stage).
	BillTrial                                bool
	Usage, Adjustments, Deductions, NetTotal int64 // 分, the settlement's totals
	Statements                               int
	VendorNet                                []VendorAmount
	// Mean scorecard totals (0 when the run had no assessment stage).
	DepartmentScore, VendorScore float64
	DepartmentCards, VendorCards int
}

// VendorAmount is a vendor's net amount in 分.
type VendorAmount struct {
	Vendor, Name string
	Net          int64
}

// Metrics extracts the key figures from a run's Report.
func Metrics(r Report) RunMetrics {
	m := RunMetrics{Name: r.Scenario.Name, Seed: r.Scenario.Seed, Year: r.Scenario.Year, Policy: r.Policy.Name,
		Applications: r.Total, Transitions: r.Transitions, OverdueByParty: map[workflow.Party]int{},
		Approved: r.Triggers[workflow.TriggerApprove], Activated: r.Triggers[workflow.TriggerActivate],
		BillTrial: r.Scenario.Billing.BillTrial}
	parties := map[workflow.Party]*StepStat{}
	for _, s := range r.Steps {
		m.Steps = append(m.Steps, s)
		if s.WithDeadline == 0 {
			continue
		}
		p := parties[s.Party]
		if p == nil {
			p = &StepStat{StepKey: StepKey{Party: s.Party}}
			parties[s.Party] = p
		}
		p.Acts += s.Acts
		p.WithDeadline += s.WithDeadline
		p.Late += s.Late
		p.SumLateWorkdays += s.SumLateWorkdays
		p.MaxLateWorkdays = max(p.MaxLateWorkdays, s.MaxLateWorkdays)
	}
	for _, p := range metricParties {
		if s := parties[p]; s != nil {
			m.Parties = append(m.Parties, *s)
		}
	}
	for _, o := range r.Overdue {
		m.Overdue++
		m.OverdueByParty[o.Party]++
	}
	for _, sec := range r.Extra {
		switch sec := sec.(type) {
		case *QuotaReport:
			m.HeldBack = sec.HeldBack
		case *billingSection:
			t := sec.set.Total
			m.Usage, m.Adjustments, m.Deductions, m.NetTotal = t.Usage, t.Adjustments, t.Deductions, t.Net
			m.Statements = sec.statements
			net := map[string]int64{}
			for _, row := range sec.set.ByVendor {
				net[row.Key] += row.Totals.Net
			}
			for _, v := range r.Scenario.Vendors {
				m.VendorNet = append(m.VendorNet, VendorAmount{Vendor: v.ID, Name: v.Name, Net: net[v.ID]})
			}
		case *assessmentSection:
			m.DepartmentScore, m.DepartmentCards = meanScore(sec.deps)
			m.VendorScore, m.VendorCards = meanScore(sec.vends)
		}
	}
	return m
}

var metricParties = []workflow.Party{workflow.PartyAuthority, workflow.PartyVendor, workflow.PartyDepartment}

func meanScore(cards []*assessment.Scorecard) (float64, int) {
	if len(cards) == 0 {
		return 0, 0
	}
	var sum float64
	for _, c := range cards {
		sum += c.Total
	}
	// Rounded to 4 decimals like the scorecards, so summation order cannot show.
	return math.Round(sum/float64(len(cards))*1e4) / 1e4, len(cards)
}

// List flattens the metrics in a fixed order (the rows of the comparison).
func (m RunMetrics) List() []Metric {
	var out []Metric
	count := func(key, label string, n int64) {
		out = append(out, Metric{Key: key, Label: label, Unit: UnitCount, Value: Value{Int: n}})
	}
	fen := func(key, label string, n int64) {
		out = append(out, Metric{Key: key, Label: label, Unit: UnitFen, Value: Value{Int: n}})
	}
	rate := func(key, label string, s StepStat) {
		v := Value{IsFloat: true, Missing: s.WithDeadline == 0}
		if !v.Missing {
			v.Float = float64(s.OnTime()) / float64(s.WithDeadline)
		}
		out = append(out, Metric{Key: key, Label: label, Unit: UnitRate, Value: v})
	}
	count("applications", "使用申请 applications", int64(m.Applications))
	count("transitions", "流转 transitions", int64(m.Transitions))
	lr := &Report{}
	for _, s := range m.Steps {
		if s.WithDeadline == 0 {
			continue
		}
		step, _ := lr.stepLabel(s.From)
		rate("on_time."+string(s.From)+"."+string(s.Party), "按时率 on time · "+step+" · "+party(s.Party), s)
	}
	for _, s := range m.Parties {
		rate("on_time.all."+string(s.Party), "按时率 on time · 合计 all steps · "+party(s.Party), s)
	}
	count("overdue.total", "年末逾期 overdue at year end", int64(m.Overdue))
	for _, p := range metricParties {
		count("overdue."+string(p), "年末逾期 overdue · "+party(p), int64(m.OverdueByParty[p]))
	}
	h := m.HeldBack
	count("quota.held_back", "配额不足暂缓 held back by quota", int64(h.Applications))
	count("quota.refusals", "配额拒绝次数 quota refusals", int64(h.Refusals))
	count("quota.approved_later", "等待后批准 approved later", int64(h.ApprovedLater))
	count("quota.denied", "因配额不予批准 denied for quota", int64(h.Denied))
	count("quota.waiting", "年末仍在等待 still waiting", int64(h.Waiting))
	count("quota.changes_denied", "变更因配额未批 changes denied for quota", int64(h.Changes))
	count("approved", "审批通过 approvals", int64(m.Approved))
	count("activated", "终审通过并开通 activations", int64(m.Activated))
	flag := int64(0)
	if m.BillTrial {
		flag = 1
	}
	out = append(out, Metric{Key: "billing.bill_trial", Label: "试用期计费 trial billed", Unit: UnitFlag, Value: Value{Int: flag}})
	fen("billing.usage", "用量 usage (spend)", m.Usage)
	fen("billing.adjustments", "审核调整 adjustments", m.Adjustments)
	fen("billing.deductions", "服务等级扣减 deductions", m.Deductions)
	fen("billing.settlement_net", "年度结算应付 settlement net", m.NetTotal)
	count("billing.statements", "月度账单 statements", int64(m.Statements))
	for _, v := range m.VendorNet {
		fen("billing.vendor."+v.Vendor+".net", "应付 net · "+v.Name+" "+v.Vendor, v.Net)
	}
	out = append(out,
		Metric{Key: "assessment.departments.mean", Label: "使用单位平均得分 mean department score", Unit: UnitScore,
			Value: Value{Float: m.DepartmentScore, IsFloat: true, Missing: m.DepartmentCards == 0}},
		Metric{Key: "assessment.vendors.mean", Label: "云服务商平均得分 mean vendor score", Unit: UnitScore,
			Value: Value{Float: m.VendorScore, IsFloat: true, Missing: m.VendorCards == 0}})
	return out
}

// ComparisonRow is one metric of both arms.
type ComparisonRow struct {
	Key, Label string
	Unit       Unit
	A, B       Value
}

// Diff is B − A (Missing if either is).
func (r ComparisonRow) Diff() Value {
	if r.A.Missing || r.B.Missing {
		return Value{Missing: true, IsFloat: r.A.IsFloat || r.B.IsFloat}
	}
	if r.A.IsFloat || r.B.IsFloat {
		return Value{Float: r.B.F() - r.A.F(), IsFloat: true}
	}
	return Value{Int: r.B.Int - r.A.Int}
}

// Rel is (B − A) / |A|; ok is false when A is zero or either side missing.
func (r ComparisonRow) Rel() (float64, bool) {
	d := r.Diff()
	if d.Missing || r.A.F() == 0 {
		return 0, false
	}
	return d.F() / math.Abs(r.A.F()), true
}

// Comparison is the side-by-side view of two runs under one seed.
type Comparison struct {
	NameA, NameB string
	A, B         RunMetrics
	Rows         []ComparisonRow
}

// Compare lines the metrics of two runs up by key: A's order, then any key only
// B has (a step only one run reached: the other side counts zero or is missing).
func Compare(nameA string, a RunMetrics, nameB string, b RunMetrics) *Comparison {
	c := &Comparison{NameA: nameA, NameB: nameB, A: a, B: b}
	la, lb := a.List(), b.List()
	idx := map[string]int{}
	absent := func(m Metric) Value {
		if m.Unit == UnitRate || m.Unit == UnitScore {
			return Value{IsFloat: true, Missing: true}
		}
		return Value{}
	}
	for _, m := range la {
		idx[m.Key] = len(c.Rows)
		c.Rows = append(c.Rows, ComparisonRow{Key: m.Key, Label: m.Label, Unit: m.Unit, A: m.Value, B: absent(m)})
	}
	for _, m := range lb {
		if i, ok := idx[m.Key]; ok {
			c.Rows[i].B = m.Value
			continue
		}
		c.Rows = append(c.Rows, ComparisonRow{Key: m.Key, Label: m.Label, Unit: m.Unit, A: absent(m), B: m.Value})
	}
	return c
}

// Changed returns the rows whose values differ.
func (c *Comparison) Changed() []ComparisonRow {
	var out []ComparisonRow
	for _, r := range c.Rows {
		if r.A != r.B {
			out = append(out, r)
		}
	}
	return out
}

func formatValue(u Unit, v Value, diff bool) string {
	if v.Missing {
		return "–"
	}
	sign := ""
	if diff && v.F() > 0 {
		sign = "+"
	}
	switch u {
	case UnitFen:
		return sign + yuan(v.Int)
	case UnitRate:
		if diff {
			return fmt.Sprintf("%s%.1f pp", sign, 100*v.Float)
		}
		return fmt.Sprintf("%.1f%%", 100*v.Float)
	case UnitScore:
		return fmt.Sprintf("%s%.2f", sign, v.Float)
	}
	return fmt.Sprintf("%s%d", sign, v.Int)
}

// Write prints the side-by-side table: metric, both arms, difference (B − A)
// and relative difference. It prints no paths or times: the same seed gives
// the same bytes.
func (c *Comparison) Write(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "govcloud citysim · 策略对比 / policy experiment: %s (A) vs %s (B)\n", c.NameA, c.NameB)
	fmt.Fprintf(&sb, "种子 seed %d · 年度 year %d · 政策 policy %s / %s · 使用申请 applications %d / %d\n",
		c.A.Seed, c.A.Year, c.A.Policy, c.B.Policy, c.A.Applications, c.B.Applications)
	fmt.Fprintf(&sb, "金额单位 money in 元; 差值 diff = B − A; 按时率差值为百分点 rate differences in percentage points\n")
	t := newTable(&sb)
	t.row("指标 metric", "A "+c.NameA, "B "+c.NameB, "差值 diff", "相对 rel")
	for _, r := range c.Rows {
		rel := "–"
		if x, ok := r.Rel(); ok {
			rel = fmt.Sprintf("%+.1f%%", 100*x)
		}
		t.row(r.Label, formatValue(r.Unit, r.A, false), formatValue(r.Unit, r.B, false), formatValue(r.Unit, r.Diff(), true), rel)
	}
	t.flush()
	fmt.Fprintf(&sb, "不同的指标 metrics that differ: %d / %d · 详细报告 full summaries: <out>/%s/summary.txt, <out>/%s/summary.txt · compare.csv\n",
		len(c.Changed()), len(c.Rows), c.NameA, c.NameB)
	if c.A.BillTrial != c.B.BillTrial {
		fmt.Fprintf(&sb, "试用期计费金额 ≈ 两次运行用量之差 / the trial billing amount is the usage difference between the runs\n")
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func csvValue(v Value) string {
	switch {
	case v.Missing:
		return ""
	case v.IsFloat:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	}
	return strconv.FormatInt(v.Int, 10)
}

// WriteCSV writes the comparison for pandas or R: metric, label, unit, a, b,
// diff, rel_diff (money in 分, rates as fractions; empty = missing).
func (c *Comparison) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"metric", "label", "unit", "a", "b", "diff", "rel_diff"})
	for _, r := range c.Rows {
		rel := ""
		if x, ok := r.Rel(); ok {
			rel = strconv.FormatFloat(x, 'g', -1, 64)
		}
		_ = cw.Write([]string{r.Key, r.Label, string(r.Unit), csvValue(r.A), csvValue(r.B), csvValue(r.Diff()), rel})
	}
	cw.Flush()
	return cw.Error()
}

// compareSpec is the parsed -compare flag: two arms over the -scale preset.
type compareSpec struct {
	a, b Arm
}

// parseCompare reads -compare "a.json,b.json": each a scenario file over the
// preset, or the word "default" for the preset itself. Both arms get one seed
// and year: the flags' if given, else arm A's.
func parseCompare(spec string, preset Scenario, seed *uint64, year *int) (*compareSpec, error) {
	parts := strings.Split(spec, ",")
	if len(parts) != 2 || strings.TrimSpace(parts[0]) == "" || strings.TrimSpace(parts[1]) == "" {
		return nil, &ExperimentError{Field: "-compare", Reason: fmt.Sprintf("%q: want two scenarios, a.json,b.json (or default)", spec)}
	}
	var arms [2]Arm
	for i, p := range parts {
		p = strings.TrimSpace(p)
		sc := preset
		sc.Vendors = append([]VendorSpec(nil), preset.Vendors...)
		name := "default"
		if p != "default" {
			f, err := os.Open(p)
			if err != nil {
				return nil, fmt.Errorf("-compare: %w", err)
			}
			sc, err = LoadScenario(f, preset)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			name = strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		}
		arms[i] = Arm{Name: name, Scenario: sc}
	}
	if arms[0].Name == arms[1].Name {
		arms[0].Name, arms[1].Name = "a-"+arms[0].Name, "b-"+arms[1].Name
	}
	for i := range arms {
		if seed != nil {
			arms[i].Scenario.Seed = *seed
		} else {
			arms[i].Scenario.Seed = arms[0].Scenario.Seed
		}
		if year != nil {
			arms[i].Scenario.Year = *year
		} else {
			arms[i].Scenario.Year = arms[0].Scenario.Year
		}
	}
	if err := validateArms(arms[0], arms[1]); err != nil {
		return nil, err
	}
	return &compareSpec{a: arms[0], b: arms[1]}, nil
}

// runCompare is the command's -compare mode: the table on stdout, progress on stderr.
func runCompare(ctx context.Context, cs *compareSpec, out string, stdout, stderr io.Writer) error {
	c, err := RunExperiment(ctx, cs.a, cs.b, ExperimentOptions{OutDir: out, Progress: stderr})
	if err != nil {
		return err
	}
	return c.Write(stdout)
}

// compareFlags checks the flags that go with -compare and parses it; -seed and
// -year apply to both arms only when given explicitly.
func compareFlags(fs *flag.FlagSet, spec string, preset Scenario, scenarioPath, db, out string, seed uint64, year int) (*compareSpec, error) {
	switch {
	case scenarioPath != "":
		return nil, &ExperimentError{Field: "-scenario", Reason: "not with -compare: name both scenarios in -compare a.json,b.json"}
	case db != "":
		return nil, &ExperimentError{Field: "-db", Reason: "not with -compare: each arm gets its own SQLite database under -out"}
	case strings.TrimSpace(out) == "":
		return nil, &ExperimentError{Field: "-out", Reason: "empty (name a directory)"}
	}
	var sp *uint64
	var yp *int
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "seed":
			sp = &seed
		case "year":
			yp = &year
		}
	})
	return parseCompare(spec, preset, sp, yp)
}
