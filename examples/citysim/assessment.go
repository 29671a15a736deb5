package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/assessment/xlsx"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// vendorRecords are a vendor's seeded service records for the year: outages with
// approved exclusions, monthly availability, incidents, performance checks and
// deliverables (第十五条, 第十九条, 第二十三条).
type vendorRecords struct {
	outages      []assessment.Outage
	exclusions   []assessment.Exclusion
	availability []assessment.Availability
	incidents    []assessment.Incident
	checks       []assessment.PerformanceCheck
	deliverables assessment.Deliverables
}

// seedVendorRecords draws every vendor's records from the scenario's seed (a pure
// function: billing and assessment draw the same records).
func seedVendorRecords(sc Scenario) map[string]*vendorRecords {
	loc := calendar.Beijing()
	out := map[string]*vendorRecords{}
	for vi, v := range sc.Vendors {
		rng := rand.New(rand.NewPCG(sc.Seed, uint64(0x5e<<32)|uint64(vi)))
		r := &vendorRecords{}
		for _, m := range assessment.MonthsOfYear(sc.Year) {
			start := time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
			n := 0 // outages this month: none in about half the months
			if x := rng.Float64(); x > 0.9 {
				n = 2
			} else if x > 0.5 {
				n = 1
			}
			for k := range n {
				from := start.Add(time.Duration(rng.IntN(27*24*60)) * time.Minute)
				dur := time.Duration(3+rng.IntN(40)) * time.Minute
				id := fmt.Sprintf("out-%s-%s-%d", v.ID, m, k+1)
				r.outages = append(r.outages, assessment.Outage{ID: id, Interval: assessment.Interval{From: from, To: from.Add(dur)}})
				r.incidents = append(r.incidents, assessment.Incident{ID: "inc-" + id, Start: from, Restored: from.Add(dur)})
				if rng.Float64() < 0.3 { // announced maintenance, approved by the authority
					r.exclusions = append(r.exclusions, assessment.Exclusion{ID: "exc-" + id, Interval: assessment.Interval{From: from, To: from.Add(dur)},
						Reason: assessment.Maintenance, Evidence: "维护公告 " + id, ApprovedBy: authority.ID})
				}
			}
			if rng.Float64() < 0.04 {
				at := start.Add(time.Duration(rng.IntN(27*24)) * time.Hour)
				r.incidents = append(r.incidents, assessment.Incident{ID: fmt.Sprintf("sec-%s-%s", v.ID, m), Start: at, Restored: at.Add(3 * time.Hour), Security: true})
			}
			for w := range 4 {
				at := start.AddDate(0, 0, 7*w+2)
				r.checks = append(r.checks, assessment.PerformanceCheck{ID: fmt.Sprintf("perf-%s-%s-%d", v.ID, m, w+1), At: at, Passed: rng.Float64() < 0.95})
			}
			if rng.Float64() < 0.9 {
				r.deliverables.Reports = append(r.deliverables.Reports, m)
			}
			if rng.Float64() < 0.85 {
				r.deliverables.Bulletins = append(r.deliverables.Bulletins, m)
			}
		}
		r.deliverables.Drill = rng.Float64() < 0.8
		for _, m := range assessment.MonthsOfYear(sc.Year) {
			a, err := assessment.MonthlyAvailability(m, loc, r.outages, r.exclusions)
			if err == nil {
				r.availability = append(r.availability, a)
			}
		}
		out[v.ID] = r
	}
	return out
}

// appLife is what the assessment stage observed of one application.
type appLife struct {
	lastAt     time.Time // instant of the previous act
	activeFrom time.Time // first activation
	activeTo   time.Time // reclaim
}

// AssessmentStage scores every department and vendor at year end (第二十二、二十三条),
// saves the runs in the platform's database and writes the scorecards to OutDir.
type AssessmentStage struct {
	OutDir string

	life   map[int]*appLife
	orders map[string][]assessment.WorkOrder // vendor → completed work orders
	// DepartmentRun and VendorRun are the year's scorings (set by Finish).
	DepartmentRun *assessment.Run
	VendorRun     *assessment.Run
}

// NewAssessmentStage returns the stage writing its files to outDir.
func NewAssessmentStage(outDir string) *AssessmentStage {
	return &AssessmentStage{OutDir: outDir, life: map[int]*appLife{}, orders: map[string][]assessment.WorkOrder{}}
}

// AfterAct records activations, reclaims and the vendors' work orders.
func (st *AssessmentStage) AfterAct(_ context.Context, s *Sim, a Act, app workflow.Application) error {
	l := st.life[a.App]
	if l == nil {
		l = &appLife{}
		st.life[a.App] = l
	}
	if a.Party == workflow.PartyVendor && !a.Due.IsZero() {
		st.orders[a.Vendor] = append(st.orders[a.Vendor], assessment.WorkOrder{
			ID: fmt.Sprintf("%s/%d", app.ID, len(st.orders[a.Vendor])), Opened: l.lastAt, Due: a.Due, Done: a.At})
	}
	if a.To == workflow.StateActive && l.activeFrom.IsZero() {
		l.activeFrom = a.At
	}
	if a.To == workflow.StateTerminated && !l.activeFrom.IsZero() && l.activeTo.IsZero() {
		l.activeTo = a.At
	}
	l.lastAt = a.At
	return nil
}

// cityData implements the assessors' interfaces from the simulation.
type cityData struct {
	s       *Sim
	st      *AssessmentStage
	seed    uint64
	systems map[string][]assessment.SystemRecord
	res     map[string][]assessment.Resource
	apps    map[string]int // resource ID → application index
	level   map[string]int // system ID → 等保 level
	cost    map[int][]billing.Line
	vendors map[string]*vendorRecords
	fees    map[string]map[assessment.Month]int64
	open    map[string][]assessment.WorkOrder // vendor → work orders open at year end
	year    int
}

func (c *cityData) Systems(_ context.Context, dept string) ([]assessment.SystemRecord, error) {
	return c.systems[dept], nil
}

func (c *cityData) Resources(_ context.Context, dept string) ([]assessment.Resource, error) {
	return c.res[dept], nil
}

// AppendSamples draws daily samples of the application's seeded pattern while
// it was active: idle (CPU ≈ 2 %), over-provisioned (≈ 20 %) or busy (≈ 60 %).
func (c *cityData) AppendSamples(_ context.Context, dst []assessment.Sample, id string, from, to time.Time) ([]assessment.Sample, error) {
	i := c.apps[id]
	l := c.st.life[i]
	if l == nil || l.activeFrom.IsZero() {
		return dst, nil
	}
	end := c.s.end
	if !l.activeTo.IsZero() {
		end = l.activeTo
	}
	pr := rand.New(rand.NewPCG(c.seed, uint64(0x7a<<32)|uint64(i)))
	pattern := pr.Float64()
	base, mem, net := 60.0, 55.0, int64(200_000_000)
	switch {
	case pattern < 0.12:
		base, mem, net = 2, 10, 500_000
	case pattern < 0.35:
		base, mem, net = 18, 25, 50_000_000
	}
	day := time.Date(l.activeFrom.Year(), l.activeFrom.Month(), l.activeFrom.Day(), 0, 0, 0, 0, calendar.Beijing()).AddDate(0, 0, 1)
	for ; day.Before(end); day = day.AddDate(0, 0, 1) {
		if day.Before(from) || !day.Before(to) {
			continue
		}
		// one stream per (application, day): independent of the window asked for
		r := rand.New(rand.NewPCG(c.seed^uint64(i+1), uint64(day.Unix())))
		dst = append(dst, assessment.Sample{Start: day, Span: 24 * time.Hour,
			CPU: min(100, base*(0.7+0.6*r.Float64())), Mem: min(100, mem*(0.8+0.4*r.Float64())), NetBytes: net/2 + r.Int64N(net)})
	}
	return dst, nil
}

// Cost is the billed usage of the resource's application overlapping [from, to),
// prorated by time within each statement line (from billing's approved statements).
func (c *cityData) Cost(_ context.Context, id string, from, to time.Time) (int64, error) {
	var sum int64
	for _, l := range c.cost[c.apps[id]] {
		lo, hi := maxTime(l.Start, from), minTime(l.End, to)
		if !hi.After(lo) || !l.End.After(l.Start) {
			continue
		}
		sum += l.Amount * int64(hi.Sub(lo)/time.Minute) / max(int64(l.End.Sub(l.Start)/time.Minute), 1)
	}
	return sum, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// SystemSecurity draws each system's vulnerabilities, incidents and 等保 status.
func (c *cityData) SystemSecurity(_ context.Context, dept string) ([]assessment.SystemSecurity, error) {
	var out []assessment.SystemSecurity
	for _, sys := range c.systems[dept] {
		if !sys.OnPlatform {
			continue
		}
		r := rand.New(rand.NewPCG(c.seed, uint64(0x5ec<<32)|uint64(len(sys.ID))*7919+uint64(hashID(sys.ID))))
		ss := assessment.SystemSecurity{SystemID: sys.ID, Level: max(c.level[sys.ID], 1)}
		ss.OpenVulns = [4]int{boolInt(r.Float64() < 0.03), r.IntN(2), r.IntN(4), r.IntN(6)}
		ss.Incidents = boolInt(r.Float64() < 0.05)
		ss.OverdueFixes = boolInt(r.Float64() < 0.1)
		if r.Float64() < 0.88 {
			d := calendar.Date{Year: c.year + 1, Month: time.Month(1 + r.IntN(12)), Day: 1}
			ss.AssessedUntil = &d
		}
		out = append(out, ss)
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func hashID(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// WorkOrders are the vendor's completed work orders and those still open at year
// end (an open order past its deadline counts as late).
func (c *cityData) WorkOrders(_ context.Context, vendor string, _, _ time.Time) ([]assessment.WorkOrder, error) {
	return append(slices.Clone(c.st.orders[vendor]), c.open[vendor]...), nil
}

// Surveys: every department the vendor hosts answers on the four levels.
func (c *cityData) Surveys(_ context.Context, vendor string, _, _ time.Time) ([]assessment.Survey, int, error) {
	vi := c.s.vendorOf[vendor]
	r := rand.New(rand.NewPCG(c.seed, uint64(0x50<<32)|uint64(vi)))
	cum := []float64{0.05 + 0.03*float64(vi), 0.25 + 0.05*float64(vi), 0.7, 1}
	var out []assessment.Survey
	invited := 0
	for _, d := range c.s.depts {
		if d.Vendor != vi {
			continue
		}
		invited++
		if r.Float64() < 0.1 { // no answer
			continue
		}
		out = append(out, assessment.Survey{ID: "sv-" + d.ID, DepartmentID: d.ID, Level: assessment.SatisfactionLevel(1 + pick(r, cum))})
	}
	return out, invited, nil
}

func (c *cityData) Outages(_ context.Context, vendor string, _, _ time.Time) ([]assessment.Outage, []assessment.Exclusion, error) {
	return c.vendors[vendor].outages, c.vendors[vendor].exclusions, nil
}

func (c *cityData) Incidents(_ context.Context, vendor string, _, _ time.Time) ([]assessment.Incident, error) {
	return c.vendors[vendor].incidents, nil
}

func (c *cityData) PerformanceChecks(_ context.Context, vendor string, _, _ time.Time) ([]assessment.PerformanceCheck, error) {
	return c.vendors[vendor].checks, nil
}

func (c *cityData) Deliverables(_ context.Context, vendor string, _, _ time.Time) (assessment.Deliverables, error) {
	return c.vendors[vendor].deliverables, nil
}

// MonthlyFee is the vendor's billed usage of the month (billing statements).
func (c *cityData) MonthlyFee(_ context.Context, vendor string, m assessment.Month) (int64, error) {
	return c.fees[vendor][m], nil
}

// onPlatform reports whether an application runs on the platform at year end.
func onPlatform(st workflow.State) bool {
	switch st {
	case workflow.StateActive, workflow.StateChangeReview, workflow.StateChangeExecuting, workflow.StateChangeTesting:
		return true
	}
	return false
}

// gather builds the register, resources and costs from the simulation and billing.
func (st *AssessmentStage) gather(ctx context.Context, s *Sim) (*cityData, error) {
	c := &cityData{s: s, st: st, seed: s.sc.Seed, year: s.sc.Year, systems: map[string][]assessment.SystemRecord{},
		res: map[string][]assessment.Resource{}, apps: map[string]int{}, level: map[string]int{}, cost: map[int][]billing.Line{},
		vendors: seedVendorRecords(s.sc), fees: map[string]map[assessment.Month]int64{}, open: map[string][]assessment.WorkOrder{}}
	for _, a := range s.apps {
		d := s.depts[a.dept].ID
		if l := st.life[a.idx]; l != nil && a.cur.Party == workflow.PartyVendor && !a.cur.Due.IsZero() {
			c.open[a.cur.Vendor] = append(c.open[a.cur.Vendor], assessment.WorkOrder{ID: a.cur.ID + "/open", Opened: l.lastAt, Due: a.cur.Due})
		}
		switch a.cur.State {
		case workflow.StateWithdrawn, workflow.StateDenied, workflow.StateTerminated, workflow.StateNone:
			continue
		}
		on := onPlatform(a.cur.State)
		c.systems[d] = append(c.systems[d], assessment.SystemRecord{ID: a.cur.ID, Name: a.name, OnPlatform: on})
		c.level[a.cur.ID] = a.level
		if on {
			id := "res-" + a.cur.ID
			size := ""
			for _, it := range a.items {
				if strings.HasPrefix(it.Code, "IAAS-ECS-") {
					size = strings.ToLower(strings.TrimPrefix(it.Code, "IAAS-ECS-"))
				}
			}
			c.res[d] = append(c.res[d], assessment.Resource{ID: id, Name: a.name, Kind: "vm", Size: size})
			c.apps[id] = a.idx
		}
	}
	// Systems not (yet) on the government cloud: a seeded few per department.
	r := rand.New(rand.NewPCG(s.sc.Seed, 0x1e9ac7))
	for _, d := range s.depts {
		n := r.IntN(4)
		if len(c.systems[d.ID]) == 0 {
			n = max(n, 1) // every department registers at least one system
		}
		for k := range n {
			c.systems[d.ID] = append(c.systems[d.ID], assessment.SystemRecord{ID: fmt.Sprintf("legacy-%s-%d", d.ID, k+1), Name: "自建系统", OnPlatform: false})
		}
	}
	byApp := map[string]int{}
	for _, a := range s.apps {
		byApp[a.cur.ID] = a.idx
	}
	// Streamed a page at a time, in the listing order (month, department,
	// vendor).
	for stm, err := range s.p.Billing().AllStatements(ctx, billFinance, billing.StatementFilter{FiscalYear: s.sc.Year}) {
		if err != nil {
			return nil, err
		}
		m := assessment.Month{Year: stm.Month.Year, Month: stm.Month.Month}
		if c.fees[stm.Vendor] == nil {
			c.fees[stm.Vendor] = map[assessment.Month]int64{}
		}
		c.fees[stm.Vendor][m] += stm.Totals().Usage
		for _, l := range stm.Lines {
			// usage keys are lc:<app>:<idx>:<item>:<month>
			if parts := strings.Split(l.UsageKey, ":"); l.Kind == billing.LineUsage && len(parts) >= 2 {
				if i, ok := byApp[parts[1]]; ok {
					c.cost[i] = append(c.cost[i], l)
				}
			}
		}
	}
	return c, nil
}

// Finish scores the departments and vendors, saves both runs and writes the files.
func (st *AssessmentStage) Finish(ctx context.Context, s *Sim) ([]Section, error) {
	c, err := st.gather(ctx, s)
	if err != nil {
		return nil, err
	}
	loc := calendar.Beijing()
	dscheme, err := assessment.DepartmentScheme()
	if err != nil {
		return nil, err
	}
	vscheme, err := assessment.VendorScheme()
	if err != nil {
		return nil, err
	}
	da := &assessment.DepartmentAssessor{Scheme: dscheme, Options: assessment.DefaultDepartmentOptions(), Register: c, Resources: c,
		Utilisation: c, Cost: c, Security: c}
	checkpoints := assessment.MonthEnds(s.sc.Year, loc)
	var dins []assessment.Input
	for _, d := range s.depts {
		rep, err := da.Assess(ctx, assessment.Subject{ID: d.ID, Name: d.Name}, checkpoints)
		if err != nil {
			return nil, fmt.Errorf("citysim: assessing %s: %w", d.ID, err)
		}
		dins = append(dins, assessment.Input{Subject: assessment.Subject{ID: d.ID, Name: d.Name}, Values: rep.Values})
	}
	va := &assessment.VendorAssessor{Scheme: vscheme, Options: assessment.DefaultVendorOptions(), Source: c, Fees: c,
		Calendar: assessment.NewOfficeTimer(), Location: loc}
	var vins []assessment.Input
	var deductions []assessment.DeductionLine
	for _, v := range s.sc.Vendors {
		rep, err := va.Assess(ctx, assessment.Subject{ID: v.ID, Name: v.Name}, assessment.MonthsOfYear(s.sc.Year))
		if err != nil {
			return nil, fmt.Errorf("citysim: assessing %s: %w", v.ID, err)
		}
		vins = append(vins, assessment.Input{Subject: assessment.Subject{ID: v.ID, Name: v.Name}, Values: rep.Values})
		deductions = append(deductions, rep.Facts.Deductions...)
	}
	scored := time.Date(s.sc.Year+1, time.January, 20, 10, 0, 0, 0, loc)
	period := assessment.YearPeriod(s.sc.Year)
	if st.DepartmentRun, err = assessment.NewRun(assessment.RunSpec{ID: fmt.Sprintf("citysim-%d-departments", s.sc.Year), Kind: assessment.SubjectDepartment,
		Period: period, Scheme: dscheme, Inputs: dins, ScoredAt: scored}); err != nil {
		return nil, err
	}
	if st.VendorRun, err = assessment.NewRun(assessment.RunSpec{ID: fmt.Sprintf("citysim-%d-vendors", s.sc.Year), Kind: assessment.SubjectVendor,
		Period: period, Scheme: vscheme, Inputs: vins, ScoredAt: scored}); err != nil {
		return nil, err
	}
	store := s.p.Database().Assessment()
	for _, r := range []*assessment.Run{st.DepartmentRun, st.VendorRun} {
		if err := store.SaveRun(ctx, r); err != nil {
			return nil, fmt.Errorf("citysim: saving run %s: %w", r.ID, err)
		}
	}
	sec := &assessmentSection{year: s.sc.Year, deps: sortedCards(st.DepartmentRun.Cards), vends: sortedCards(st.VendorRun.Cards), deductions: deductions}
	if st.OutDir != "" {
		all := append(slices.Clone(sec.deps), sec.vends...)
		write := func(name string, fn func(io.Writer) error) error {
			f, err := os.Create(filepath.Join(st.OutDir, name))
			if err != nil {
				return err
			}
			if err := fn(f); err != nil {
				f.Close()
				return fmt.Errorf("citysim: writing %s: %w", name, err)
			}
			return f.Close()
		}
		if err := write("scorecards.csv", func(w io.Writer) error { return assessment.WriteCSV(w, all, assessment.CSVOptions{}) }); err != nil {
			return nil, err
		}
		if err := write("scorecards.xlsx", func(w io.Writer) error {
			return canonicalXLSX(w, func(w io.Writer) error { return xlsx.Write(w, all, deductions, xlsx.Options{}) })
		}); err != nil {
			return nil, err
		}
		sec.files = []string{"scorecards.csv", "scorecards.xlsx"}
	}
	return []Section{sec}, nil
}

func sortedCards(cards []*assessment.Scorecard) []*assessment.Scorecard {
	out := slices.Clone(cards)
	slices.SortFunc(out, func(a, b *assessment.Scorecard) int {
		return cmp.Or(cmp.Compare(a.Rank, b.Rank), cmp.Compare(a.SubjectID, b.SubjectID))
	})
	return out
}

// weakest returns the n leaves that lost the most points (Σ (100 − score) × weight).
func weakest(c *assessment.Scorecard, n int) []assessment.Line {
	var leaves []assessment.Line
	for _, l := range c.Lines {
		if l.Leaf && !l.Missing {
			leaves = append(leaves, l)
		}
	}
	lost := func(l assessment.Line) float64 { return (100 - l.Score) * l.EffectiveWeight }
	slices.SortStableFunc(leaves, func(a, b assessment.Line) int {
		return cmp.Or(cmp.Compare(lost(b), lost(a)), cmp.Compare(a.Path, b.Path))
	})
	return leaves[:min(n, len(leaves))]
}

// assessmentSection is the summary's assessment block.
type assessmentSection struct {
	year        int
	deps, vends []*assessment.Scorecard
	deductions  []assessment.DeductionLine
	files       []string
}

// WriteSection writes the rankings and the reasons behind the lowest scores.
func (a *assessmentSection) WriteSection(w io.Writer, heading string) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%s年度考核 / year-end assessment %d (第二十二、二十三条) · 使用单位 departments %d · 云服务商 vendors %d\n",
		heading, a.year, len(a.deps), len(a.vends))
	row := func(t *table, c *assessment.Scorecard) {
		t.row(fmt.Sprint(c.Rank), c.SubjectID+" "+c.SubjectName, fmt.Sprintf("%.2f", c.Total), c.Grade.Name+" "+c.Grade.NameEn)
	}
	reasons := func(c *assessment.Scorecard) {
		for _, l := range weakest(c, 2) {
			fmt.Fprintf(&sb, "      %s %s: %s\n", c.SubjectID, l.Name, l.Text)
		}
	}
	fmt.Fprintf(&sb, "使用单位前5 / top 5 departments\n")
	t := newTable(&sb)
	t.row("名次 rank", "使用单位 department", "得分 score", "等级 grade")
	for _, c := range a.deps[:min(5, len(a.deps))] {
		row(t, c)
	}
	t.flush()
	fmt.Fprintf(&sb, "使用单位后5 / bottom 5 departments, 失分最多的指标 / weakest indicators\n")
	t = newTable(&sb)
	t.row("名次 rank", "使用单位 department", "得分 score", "等级 grade")
	bottom := a.deps[max(0, len(a.deps)-5):]
	for _, c := range bottom {
		row(t, c)
	}
	t.flush()
	for _, c := range bottom {
		reasons(c)
	}
	fmt.Fprintf(&sb, "云服务商 / vendors\n")
	t = newTable(&sb)
	t.row("名次 rank", "云服务商 vendor", "得分 score", "等级 grade")
	for _, c := range a.vends {
		row(t, c)
	}
	t.flush()
	if n := len(a.vends); n > 0 {
		reasons(a.vends[n-1])
	}
	var amt int64
	for _, d := range a.deductions {
		amt += d.Amount
	}
	fmt.Fprintf(&sb, "可用性服务等级扣减(考核口径)/ availability credits (assessment tiers): %d 个月 months, %s 元\n", len(a.deductions), yuan(amt))
	fmt.Fprintf(&sb, "考核结果已存入平台数据库 / runs saved in the platform database (assessment store)")
	if len(a.files) > 0 {
		fmt.Fprintf(&sb, " · 文件 files (-out): %s", strings.Join(a.files, ", "))
	}
	sb.WriteString("\n")
	_, err := io.WriteString(w, sb.String())
	return err
}
