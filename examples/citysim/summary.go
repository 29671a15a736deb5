package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// StepKey is a step: the state being left and the party whose clock ran.
type StepKey struct {
	From  workflow.State
	Party workflow.Party
}

// StepStat counts the acts that left one waiting state.
type StepStat struct {
	StepKey
	Acts, WithDeadline, Late         int
	SumLateWorkdays, MaxLateWorkdays int
}

// OnTime is the number of acts with a deadline that met it.
func (s StepStat) OnTime() int { return s.WithDeadline - s.Late }

// VendorStat counts one vendor's work orders of one kind.
type VendorStat struct {
	Vendor string
	Kind   workflow.WorkOrderKind
	StepStat
}

// Report is what the summary prints: the year-end view of the run.
type Report struct {
	Scenario    Scenario
	Database    string
	Provisional bool
	Policy      workflow.Policy
	Departments []Department
	States      map[workflow.State]int
	Transitions int
	// Triggers counts the acts per trigger; MajorChanges the major change requests.
	Triggers     map[workflow.Trigger]int
	MajorChanges int
	Steps        []StepStat
	Vendors      []VendorStat
	Overdue      []workflow.OverdueItem
	YearEnd      time.Time
	Verified     int
	Total        int
	AuditRecords int
	// AuditFailures names every application whose chain does not verify.
	AuditFailures []string
	Plan          *Plan
	// Dispatch is the vendor section: work orders through the dispatcher and
	// their balance (also in Extra).
	Dispatch *VendorReport
	// Extra sections written after the lifecycle (quota, later stages).
	Extra []Section
}

// Section is one titled block of the summary written by a later stage.
type Section interface {
	// WriteSection writes the section; heading is its number ("六、").
	WriteSection(w io.Writer, heading string) error
}

var numerals = []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"}

var stepOfState = map[workflow.State]workflow.WorkOrderKind{
	workflow.StateProvisioning:    workflow.WorkOrderTrialEnvironment,
	workflow.StateChangeExecuting: workflow.WorkOrderChange,
	workflow.StateReclaiming:      workflow.WorkOrderReclaim,
}

// StepStats aggregates acts per step (the state left and its party), in lifecycle
// order. Acts without a party (submissions, acts inside a state) are skipped.
func StepStats(acts []Act) []StepStat {
	idx := map[StepKey]*StepStat{}
	var keys []StepKey
	for _, a := range acts {
		if a.Party == workflow.PartyNone {
			continue
		}
		k := StepKey{a.From, a.Party}
		st := idx[k]
		if st == nil {
			st = &StepStat{StepKey: k}
			idx[k] = st
			keys = append(keys, k)
		}
		st.add(a)
	}
	sortSteps(keys)
	out := make([]StepStat, 0, len(keys))
	for _, k := range keys {
		out = append(out, *idx[k])
	}
	return out
}

func (st *StepStat) add(a Act) {
	st.Acts++
	if !a.Due.IsZero() {
		st.WithDeadline++
		if a.Late {
			st.Late++
			st.SumLateWorkdays += a.LateWorkdays
			st.MaxLateWorkdays = max(st.MaxLateWorkdays, a.LateWorkdays)
		}
	}
}

func sortSteps(keys []StepKey) {
	order := map[workflow.State]int{}
	for i, s := range workflow.AllStates() {
		order[s] = i
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].From != keys[j].From {
			return order[keys[i].From] < order[keys[j].From]
		}
		return keys[i].Party < keys[j].Party
	})
}

// Report gathers the year-end view: states, step statistics, what is overdue at
// 00:00 on 1 January, and every application's audit chain verified.
func (s *Sim) Report(ctx context.Context) (*Report, error) {
	r := &Report{Scenario: s.sc, Database: s.dbLabel, Policy: s.eng.Policy(), Departments: s.depts,
		States: map[workflow.State]int{}, Transitions: len(s.acts), YearEnd: s.end, Total: len(s.apps)}
	s.clock.set(s.end)
	for _, a := range s.apps {
		r.States[a.cur.State]++
	}
	r.Steps = StepStats(s.acts)
	r.Triggers = map[workflow.Trigger]int{}
	for _, a := range s.acts {
		r.Triggers[a.Trigger]++
	}
	for _, a := range s.apps {
		r.MajorChanges += a.majorChanges
	}
	vidx := map[[2]string]*VendorStat{}
	var vkeys [][2]string
	for _, a := range s.acts {
		kind, ok := stepOfState[a.From]
		if !ok || a.Party != workflow.PartyVendor {
			continue
		}
		k := [2]string{a.Vendor, string(kind)}
		v := vidx[k]
		if v == nil {
			v = &VendorStat{Vendor: a.Vendor, Kind: kind, StepStat: StepStat{StepKey: StepKey{a.From, a.Party}}}
			vidx[k] = v
			vkeys = append(vkeys, k)
		}
		v.add(a)
	}
	kindOrder := map[string]int{string(workflow.WorkOrderTrialEnvironment): 0, string(workflow.WorkOrderChange): 1, string(workflow.WorkOrderReclaim): 2}
	sort.Slice(vkeys, func(i, j int) bool {
		if vkeys[i][0] != vkeys[j][0] {
			return s.vendorOf[vkeys[i][0]] < s.vendorOf[vkeys[j][0]]
		}
		return kindOrder[vkeys[i][1]] < kindOrder[vkeys[j][1]]
	})
	for _, k := range vkeys {
		r.Vendors = append(r.Vendors, *vidx[k])
	}
	var err error
	if r.Overdue, err = s.eng.Overdue(ctx, authority, s.end); err != nil {
		return nil, err
	}
	sort.SliceStable(r.Overdue, func(i, j int) bool {
		a, b := r.Overdue[i], r.Overdue[j]
		if a.Party != b.Party {
			return a.Party < b.Party
		}
		if !a.Due.Equal(b.Due) {
			return a.Due.Before(b.Due)
		}
		return a.ApplicationID < b.ApplicationID
	})
	for i, a := range s.apps {
		if s.progress != nil && (i%500 == 0 || i == len(s.apps)-1) {
			fmt.Fprintf(s.progress, "\rcitysim: 核验审计链 verifying audit chains %d/%d   ", i+1, len(s.apps))
		}
		app, err := s.eng.Get(ctx, authority, a.cur.ID)
		if err != nil {
			return nil, err
		}
		recs, err := s.eng.History(ctx, authority, a.cur.ID)
		if err != nil {
			return nil, err
		}
		r.AuditRecords += len(recs)
		if err := workflow.VerifyChain(app, recs); err != nil {
			r.AuditFailures = append(r.AuditFailures, fmt.Sprintf("%s: %v", a.cur.ID, err))
			continue
		}
		r.Verified++
	}
	if s.progress != nil {
		fmt.Fprintln(s.progress)
	}
	s.dcal.mu.Lock()
	r.Provisional = s.dcal.provisional
	s.dcal.mu.Unlock()
	qr, err := s.quotaReport(ctx)
	if err != nil {
		return nil, err
	}
	r.Extra = append(r.Extra, qr)
	if r.Dispatch, err = s.vendorReport(ctx); err != nil {
		return nil, fmt.Errorf("citysim: vendors: %w", err)
	}
	r.Extra = append(r.Extra, r.Dispatch)
	r.Extra = append(r.Extra, s.extra...)
	r.Plan, err = PlanDeadlines(calendar.China(), PlanParams{Seed: s.sc.Seed, Year: s.sc.Year, Applications: s.sc.Applications})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Report) deptName(id string) string {
	for _, d := range r.Departments { // departments are few per overdue line
		if d.ID == id {
			return d.Name
		}
	}
	return id
}

func (r *Report) vendorName(id string) string {
	for _, v := range r.Scenario.Vendors {
		if v.ID == id {
			return v.Name
		}
	}
	return id
}

// stepLabel names the step that leaves state st, with its statutory period.
func (r *Report) stepLabel(st workflow.State) (string, string) {
	d := r.Policy.Deadlines
	wd := func(n int, art string) string {
		if n == 0 {
			return "无期限 none"
		}
		return fmt.Sprintf("%d 工作日 wd %s", n, art)
	}
	switch st {
	case workflow.StateSubmitted:
		return "受理 accept/reject", wd(d.Accept, "第八条")
	case workflow.StateRejected:
		return "补正重报 resubmit/withdraw", wd(d.Resubmit, "")
	case workflow.StateAccepted:
		return "审批 approve/deny", wd(d.Approve, "第八条")
	case workflow.StateProvisioning:
		return "提供试用环境 trial environment", wd(d.ProvideTrial, "第九条")
	case workflow.StateTrial:
		return "试用测试 trial tests", fmt.Sprintf("%d–%d 自然日 days 第九条", r.Policy.Trial.MinDays, r.Policy.Trial.MaxDays)
	case workflow.StateFinalReview:
		return "终审 final review", wd(d.FinalReview, "第十条")
	case workflow.StateChangeReview:
		return "变更审批 change review", wd(d.ChangeReview, "第十一条")
	case workflow.StateChangeExecuting:
		return "变更实施 change execution", wd(d.ChangeExecution, "第十一条")
	case workflow.StateChangeTesting:
		return "重大变更测试 change testing", wd(d.ChangeTesting, "第十一条")
	case workflow.StateTerminationReview:
		return "终止审核 termination review", wd(d.TerminationReview, "第十二条")
	case workflow.StateReclaiming:
		return "资源回收 reclaim", wd(d.Reclaim, "第十二条")
	}
	return st.Label(workflow.English), ""
}

func party(p workflow.Party) string {
	return p.Label(workflow.Chinese) + " " + p.Label(workflow.English)
}

// Write prints the summary. It prints no wall-clock time: the same seed gives the
// same bytes.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	sc := r.Scenario
	fmt.Fprintf(&b, "govcloud citysim · %d 年政务云模拟 / a year of a city's government cloud, %d\n", sc.Year, sc.Year)
	fmt.Fprintf(&b, "场景 scenario %s · 种子 seed %d · 使用单位 departments %d · 云服务商 vendors %d · 使用申请 applications %d\n",
		sc.Name, sc.Seed, sc.Departments, len(sc.Vendors), sc.Applications)
	fmt.Fprintf(&b, "平台 platform: %s · 政策 policy %s · 日历 calendar: 国务院办公厅节假日安排 official PRC holidays\n", r.Database, r.Policy.Name)
	if r.Provisional {
		b.WriteString("注意 note: 部分期限超出官方日历覆盖范围,按周一至周五暂定计算 / some deadlines ran past the official calendar and are provisional (Monday–Friday)\n")
	} else {
		fmt.Fprintf(&b, "全部期限均由官方日历计算 / every deadline (including those running into %d) is on the official calendar, none provisional\n", sc.Year+1)
	}

	// 1. States at year end.
	fmt.Fprintf(&b, "\n一、年末状态 / applications by state at %s 00:00 (北京时间)\n", beijingDay(r.YearEnd))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, st := range workflow.AllStates() {
		if n := r.States[st]; n > 0 {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t\n", st.Label(workflow.Chinese), st.Label(workflow.English), n, percent(n, r.Total))
		}
	}
	fmt.Fprintf(tw, "  合计\ttotal\t%d\t%d 次流转 transitions\t\n", r.Total, r.Transitions)
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("全年事件 / acts over the year:")
	for i, t := range workflow.AllTriggers() {
		if i%6 == 0 {
			b.WriteString("\n ")
		}
		fmt.Fprintf(&b, " %s %d ·", t.Label(workflow.Chinese), r.Triggers[t])
	}
	fmt.Fprintf(&b, "\n  其中重大变更 of which major changes %d\n", r.MajorChanges)

	// 2. On-time rate per step and party.
	b.WriteString("\n二、各环节按时率 / on-time rate per step and responsible party (from the acts that left each state)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "环节 step\t期限 period\t责任方 party\t次数 acts\t按时 on time\t逾期 late\t按时率 rate\t平均逾期工作日 mean late wd\t最多 max\t")
	byParty := map[workflow.Party]*StepStat{}
	for _, st := range r.Steps {
		name, period := r.stepLabel(st.From)
		rate, mean := "–", "–"
		if st.WithDeadline > 0 {
			rate = percent(st.OnTime(), st.WithDeadline)
		}
		if st.Late > 0 {
			mean = fmt.Sprintf("%.2f", float64(st.SumLateWorkdays)/float64(st.Late))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%d\t\n", name, period, party(st.Party), st.Acts, st.OnTime(), st.Late, rate, mean, st.MaxLateWorkdays)
		if st.WithDeadline > 0 {
			p := byParty[st.Party]
			if p == nil {
				p = &StepStat{StepKey: StepKey{Party: st.Party}}
				byParty[st.Party] = p
			}
			p.Acts += st.Acts
			p.WithDeadline += st.WithDeadline
			p.Late += st.Late
			p.SumLateWorkdays += st.SumLateWorkdays
			p.MaxLateWorkdays = max(p.MaxLateWorkdays, st.MaxLateWorkdays)
		}
	}
	for _, pt := range []workflow.Party{workflow.PartyAuthority, workflow.PartyVendor, workflow.PartyDepartment} {
		if p := byParty[pt]; p != nil {
			fmt.Fprintf(tw, "合计 all steps\t有期限 with deadline\t%s\t%d\t%d\t%d\t%s\t%s\t%d\t\n", party(pt), p.WithDeadline, p.OnTime(), p.Late,
				percent(p.OnTime(), p.WithDeadline), meanLate(p), p.MaxLateWorkdays)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	// 3. Vendors' work orders.
	b.WriteString("\n三、云服务商工单 / vendor work orders completed\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "云服务商 vendor\t工单 work order\t完成 done\t按时 on time\t逾期 late\t按时率 rate\t平均逾期工作日 mean late wd\t最多 max\t")
	for _, v := range r.Vendors {
		fmt.Fprintf(tw, "%s %s\t%s\t%d\t%d\t%d\t%s\t%s\t%d\t\n", r.vendorName(v.Vendor), v.Vendor, v.Kind.Label(workflow.Chinese), v.Acts, v.OnTime(), v.Late,
			percent(v.OnTime(), v.WithDeadline), meanLate(&v.StepStat), v.MaxLateWorkdays)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	// 4. Overdue at year end.
	fmt.Fprintf(&b, "\n四、年末逾期 / overdue at %s 00:00, by responsible party: %d\n", beijingDay(r.YearEnd), len(r.Overdue))
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, pt := range []workflow.Party{workflow.PartyAuthority, workflow.PartyVendor, workflow.PartyDepartment} {
		var items []workflow.OverdueItem
		for _, it := range r.Overdue {
			if it.Party == pt {
				items = append(items, it)
			}
		}
		states := map[workflow.State]int{}
		who := map[string]int{}
		maxLate := 0
		for _, it := range items {
			states[it.State]++
			maxLate = max(maxLate, it.LateWorkdays)
			switch pt {
			case workflow.PartyVendor:
				who[r.vendorName(it.Vendor)]++
			case workflow.PartyDepartment:
				who[r.deptName(it.Department)]++
			}
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t最多逾期 max %d 工作日 wd\t%s\t\n", party(pt), len(items), countList(states, func(s workflow.State) string { return s.Label(workflow.Chinese) }),
			maxLate, countList(who, func(s string) string { return s }))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Overdue) > 0 {
		b.WriteString("  逾期最久 / longest overdue:\n")
		items := slices.Clone(r.Overdue)
		sort.SliceStable(items, func(i, j int) bool { return items[i].LateWorkdays > items[j].LateWorkdays })
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, it := range items[:min(5, len(items))] {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t应于 due before %s\t逾期 %d 工作日 wd\t\n", it.ApplicationID, r.deptName(it.Department), it.State.Label(workflow.Chinese),
				party(it.Party), it.Due.In(calendar.Beijing()).Format("2006-01-02 15:04"), it.LateWorkdays)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	// 5. Audit chains.
	fmt.Fprintf(&b, "\n五、审计链核验 / audit chains verified: %d/%d 个申请 applications, %d 条审计记录 audit records", r.Verified, r.Total, r.AuditRecords)
	if len(r.AuditFailures) == 0 {
		b.WriteString(" · 全部完整 all intact\n")
	} else {
		fmt.Fprintf(&b, " · %d 个失败 FAILED:\n", len(r.AuditFailures))
		for _, f := range r.AuditFailures {
			b.WriteString("  " + f + "\n")
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	n := 5
	for _, s := range r.Extra {
		if err := s.WriteSection(w, numerals[n]+"、"); err != nil {
			return err
		}
		n++
	}
	if _, err := io.WriteString(w, "\n"+numerals[n]+"、"); err != nil {
		return err
	}
	return r.Plan.Write(w)
}

func meanLate(s *StepStat) string {
	if s.Late == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(s.SumLateWorkdays)/float64(s.Late))
}

// countList formats counts as "a 3、b 1", largest first, ties by label.
func countList[K comparable](m map[K]int, label func(K) string) string {
	if len(m) == 0 {
		return "–"
	}
	type kv struct {
		k string
		n int
	}
	var l []kv
	for k, n := range m {
		l = append(l, kv{label(k), n})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].n != l[j].n {
			return l[i].n > l[j].n
		}
		return l[i].k < l[j].k
	})
	parts := make([]string, 0, min(len(l), 6))
	for _, e := range l[:min(len(l), 6)] {
		parts = append(parts, fmt.Sprintf("%s %d", e.k, e.n))
	}
	if len(l) > 6 {
		parts = append(parts, fmt.Sprintf("… (%d)", len(l)))
	}
	return strings.Join(parts, "、")
}
