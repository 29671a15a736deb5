package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// PlanParams is what the deadline planner plans: the arrivals of a year.
type PlanParams struct {
	Seed         uint64
	Year         int
	Applications int
}

// Validate reports every problem with the parameters at once.
func (s PlanParams) Validate() error {
	var errs []error
	if s.Year < 1900 || s.Year > 9999 {
		errs = append(errs, fmt.Errorf("year: %d is out of range 1900–9999", s.Year))
	}
	if s.Applications < 1 || s.Applications > 1_000_000 {
		errs = append(errs, fmt.Errorf("apps: %d is out of range 1–1000000", s.Applications))
	}
	return errors.Join(errs...)
}

// Step is one statutory step of RULES.md A with its period in working days.
type Step struct {
	Zh, En   string
	Party    string // who must act: 主管部门 (authority) or 供应商 (vendor)
	Workdays int
	Article  string
}

// ZhejiangSteps are the steps of the 浙江省电子政务云计算平台管理办法 that carry a
// deadline in working days.
var ZhejiangSteps = []Step{
	{"受理", "accept", "主管部门", 3, "第八条"},
	{"审批", "approve", "主管部门", 2, "第八条"},
	{"提供试用环境", "trial environment", "供应商", 2, "第九条"},
	{"变更审批", "change approval", "主管部门", 5, "第十一条"},
	{"变更实施", "change execution", "供应商", 3, "第十一条"},
	{"终止审核", "termination review", "主管部门", 5, "第十二条"},
	{"资源回收", "reclaim", "供应商", 3, "第十二条"},
}

// Receipt is one deadline computed for one application and step.
type Receipt struct {
	App         int
	Step        int
	Received    time.Time
	Deadline    time.Time // first instant after the period
	Span        int       // calendar days from the receipt date to the period's last day
	Baseline    int       // the same with a plain Monday–Friday week
	Provisional bool      // the period ran beyond the official data
	Holidays    []string  // names of holidays inside the period
}

// Stretch is how many calendar days holidays and 调休 added (negative: removed).
func (r Receipt) Stretch() int { return r.Span - r.Baseline }

// Plan is the deadline plan of a year.
type Plan struct {
	Params   PlanParams
	Receipts []Receipt // by application, then step
	Chains   []Chain
	Coverage [2]calendar.Date
}

// Chain is the worst case from submission until the trial environment is ready, with
// every party acting on the last day it may (受理 3 + 审批 2 + 试用环境 2 working days).
type Chain struct {
	App         int
	Received    time.Time
	Ready       calendar.Date
	Span        int
	Provisional bool
}

// PlanDeadlines draws the scenario's arrivals and computes every step's deadline.
func PlanDeadlines(cal *calendar.Calendar, sc PlanParams) (*Plan, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(sc.Seed, 0x9e3779b97f4a7c15))
	pc := cal.WithProvisional()
	first, last := cal.Coverage()
	p := &Plan{Params: sc, Coverage: [2]calendar.Date{first, last}}
	arrivals, err := drawArrivals(rng, pc, sc.Year, sc.Applications, 0.15)
	if err != nil {
		return nil, err
	}
	for i, at := range arrivals {
		day := calendar.DateOf(at)
		for si, st := range ZhejiangSteps {
			dl, basis, err := pc.Deadline(at, st.Workdays)
			if err != nil {
				return nil, fmt.Errorf("application %d, step %s: %w", i+1, st.En, err)
			}
			lastDay := calendar.DateOf(dl.Add(-time.Nanosecond))
			r := Receipt{
				App: i + 1, Step: si, Received: at, Deadline: dl,
				Span:        daysBetween(day, lastDay),
				Baseline:    daysBetween(day, addWeekdays(day, st.Workdays)),
				Provisional: basis == calendar.BasisProvisional,
			}
			r.Holidays = holidayNames(pc, day, lastDay)
			p.Receipts = append(p.Receipts, r)
		}
		// Worst-case chain to a ready trial environment.
		d, prov := day, false
		for _, n := range []int{3, 2, 2} {
			next, basis, err := pc.AddWorkdays(d, n)
			if err != nil {
				return nil, fmt.Errorf("application %d, chain: %w", i+1, err)
			}
			prov = prov || basis == calendar.BasisProvisional
			d = next
		}
		p.Chains = append(p.Chains, Chain{App: i + 1, Received: at, Ready: d, Span: daysBetween(day, d), Provisional: prov})
	}
	return p, nil
}

// drawArrivals returns sorted receipt instants: most during office hours on working
// days, some online at any hour (一网通办 accepts submissions around the clock).
func drawArrivals(rng *rand.Rand, pc calendar.ProvisionalCalendar, year, n int, online float64) ([]time.Time, error) {
	start := time.Date(year, time.January, 1, 0, 0, 0, 0, calendar.Beijing())
	days := int(time.Date(year+1, time.January, 1, 0, 0, 0, 0, calendar.Beijing()).Sub(start).Hours() / 24)
	out := make([]time.Time, 0, n)
	for len(out) < n {
		d := start.AddDate(0, 0, rng.IntN(days))
		if rng.Float64() < online { // online, any time
			out = append(out, d.Add(time.Duration(rng.Int64N(int64(24*time.Hour)))))
			continue
		}
		ok, _, err := pc.IsWorkday(calendar.DateOf(d))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // redraw: offices are closed
		}
		office := 8*time.Hour + 30*time.Minute + time.Duration(rng.Int64N(int64(9*time.Hour)))
		out = append(out, d.Add(office.Truncate(time.Minute)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out, nil
}

func daysBetween(a, b calendar.Date) int {
	ta := time.Date(a.Year, a.Month, a.Day, 0, 0, 0, 0, time.UTC)
	tb := time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC)
	return int(tb.Sub(ta).Hours() / 24)
}

// addWeekdays is the n-th Monday–Friday after d: the baseline without holidays.
func addWeekdays(d calendar.Date, n int) calendar.Date {
	for n > 0 {
		d = d.AddDays(1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d
}

func holidayNames(pc calendar.ProvisionalCalendar, from, to calendar.Date) []string {
	var names []string
	seen := map[string]bool{}
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		info, _, err := pc.Day(d)
		if err != nil || info.Kind != calendar.KindHoliday || info.Name == "" || seen[info.Name] {
			continue
		}
		seen[info.Name] = true
		names = append(names, info.Name)
	}
	return names
}

// Write prints the planner's summary.
func (p *Plan) Write(w io.Writer) error {
	var b strings.Builder
	sc := p.Params
	fmt.Fprintf(&b, "%d 年法定期限规划 / statutory deadline plan for %d\n", sc.Year, sc.Year)
	fmt.Fprintf(&b, "种子 seed %d · 使用申请 applications %d · 日历覆盖 calendar coverage %s – %s\n\n",
		sc.Seed, sc.Applications, p.Coverage[0], p.Coverage[1])

	// Month by month: how holidays stretch the 3-working-day 受理 deadline.
	b.WriteString("受理期限(3个工作日)按收件月份 / the 3-working-day acceptance deadline by month of receipt\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "月份 month\t收件 receipts\t平均自然日 mean days\t最长 max\t因节假日延长 stretched\t最多延长 max +days\t涉及节日 holidays\t")
	for m := time.January; m <= time.December; m++ {
		var n, sum, maxSpan, stretched, maxStretch int
		hol := map[string]bool{}
		for _, r := range p.Receipts {
			if r.Step != 0 || calendar.DateOf(r.Received).Month != m || calendar.DateOf(r.Received).Year != sc.Year {
				continue
			}
			n++
			sum += r.Span
			maxSpan = max(maxSpan, r.Span)
			if r.Stretch() > 0 {
				stretched++
				maxStretch = max(maxStretch, r.Stretch())
				for _, h := range r.Holidays {
					hol[h] = true
				}
			}
		}
		mean := "–"
		if n > 0 {
			mean = fmt.Sprintf("%.2f", float64(sum)/float64(n))
		}
		fmt.Fprintf(tw, "%d月\t%d\t%s\t%d\t%s\t%+d\t%s\t\n", int(m), n, mean, maxSpan, percent(stretched, n), maxStretch, joinSorted(hol))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	// Every step: calendar days for its working-day period.
	b.WriteString("\n各环节期限折合自然日 / every step's period in calendar days\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "环节 step\t责任方 party\t条款 article\t工作日 workdays\t平均自然日 mean days\t最长 max\t因节假日延长 stretched\t暂定 provisional\t")
	for si, st := range ZhejiangSteps {
		var n, sum, maxSpan, stretched, prov int
		for _, r := range p.Receipts {
			if r.Step != si {
				continue
			}
			n++
			sum += r.Span
			maxSpan = max(maxSpan, r.Span)
			if r.Stretch() > 0 {
				stretched++
			}
			if r.Provisional {
				prov++
			}
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%d\t%.2f\t%d\t%s\t%d\t\n", st.Zh, st.En, st.Party, st.Article, st.Workdays, float64(sum)/float64(max(n, 1)), maxSpan, percent(stretched, n), prov)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	// The worst case to a ready trial environment.
	var sum, maxSpan, prov int
	for _, c := range p.Chains {
		sum += c.Span
		maxSpan = max(maxSpan, c.Span)
		if c.Provisional {
			prov++
		}
	}
	fmt.Fprintf(&b, "\n最迟开通试用环境(受理3+审批2+试用环境2个工作日)/ latest trial environment (3+2+2 working days): 平均 mean %.2f 天 days, 最长 max %d 天 days\n",
		float64(sum)/float64(max(len(p.Chains), 1)), maxSpan)

	// The receipts hit hardest.
	b.WriteString("\n受节假日影响最大的收件 / receipts stretched most (受理, 3 working days)\n")
	var acc []Receipt
	for _, r := range p.Receipts {
		if r.Step == 0 {
			acc = append(acc, r)
		}
	}
	sort.SliceStable(acc, func(i, j int) bool { return acc[i].Stretch() > acc[j].Stretch() })
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "收件 received (北京时间)\t期限截止 due before\t自然日 days\t延长 +days\t节日 holidays\t")
	for _, r := range acc[:min(5, len(acc))] {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%+d\t%s\t\n", r.Received.In(calendar.Beijing()).Format("2006-01-02 15:04 Mon"),
			r.Deadline.In(calendar.Beijing()).Format("2006-01-02 15:04"), r.Span, r.Stretch(), strings.Join(r.Holidays, "、"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if prov > 0 {
		fmt.Fprintf(&b, "\n注意 note: %d 个期限超出官方日历覆盖范围(%s 之后),按周一至周五暂定计算;发布下一年度节假日通知后请加载。\n"+
			"          %d deadlines run past the official calendar (after %s) and were computed provisionally (Monday–Friday); load next year's notice when it is published.\n",
			prov, p.Coverage[1], prov, p.Coverage[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func percent(k, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(k)/float64(n))
}

func joinSorted(set map[string]bool) string {
	if len(set) == 0 {
		return "–"
	}
	s := make([]string, 0, len(set))
	for k := range set {
		s = append(s, k)
	}
	sort.Strings(s)
	return strings.Join(s, "、")
}
