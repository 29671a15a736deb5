package simprovider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// ManualClock is a clock that moves only when told. The zero value starts at
// the zero time; use NewManualClock.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock standing at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's instant.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// maxHours bounds one report query (about two years of hours).
const maxHours = 24 * 800

func (s *Sim) checkPeriod(ctx context.Context, p govcloud.Period) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if p.End.Sub(p.Start) > maxHours*time.Hour {
		return &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Field: "End",
			Msg: fmt.Sprintf("查询区间超过 %d 小时 (period too long)", maxHours)}
	}
	return nil
}

// Usage implements govcloud.UsageReporter: one record per resource and
// closed hour, Quantity = quantity × the share of the hour it ran × 1000.
// Keys are "vendor/application/resource/unix-hour".
func (s *Sim) Usage(ctx context.Context, q govcloud.UsageQuery) ([]govcloud.UsageRecord, error) {
	if err := s.checkPeriod(ctx, q.Period); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Clock.Now()
	s.settle(now)
	var out []govcloud.UsageRecord
	for h := q.Start.Truncate(time.Hour); h.Before(q.End); h = h.Add(time.Hour) {
		end := h.Add(time.Hour)
		if h.Before(q.Start) || now.Before(end) {
			continue
		}
		for _, l := range s.lives {
			if q.Application != "" && l.app != q.Application {
				continue
			}
			ms := overlap(l.from, l.to, h, end).Milliseconds()
			if ms <= 0 {
				continue
			}
			out = append(out, govcloud.UsageRecord{
				Key:         fmt.Sprintf("%s/%s/%s/%s/%d", s.o.Vendor, l.app, l.res, l.from.UTC().Format("20060102T150405"), h.Unix()),
				Application: l.app, Resource: l.res, Item: l.item,
				Quantity: l.qty * ms * govcloud.UsageScale / int64(time.Hour/time.Millisecond),
				Start:    h, End: end,
			})
		}
	}
	slices.SortFunc(out, func(a, b govcloud.UsageRecord) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// overlap returns the length of [from, to) ∩ [a, b); a zero to is open.
func overlap(from, to, a, b time.Time) time.Duration {
	if from.After(a) {
		a = from
	}
	if !to.IsZero() && to.Before(b) {
		b = to
	}
	if !a.Before(b) {
		return 0
	}
	return b.Sub(a)
}

// Utilisation implements govcloud.UtilisationReporter. Samples are taken
// every q.Step (default 1 hour, at least 5 minutes), aligned to
// the step, for resources running at the sample instant, up to the clock's
// now. Idle resources (Options.IdlePermille) stay below 40‰ CPU; the others
// follow a daily cycle peaking in the afternoon of working days.
func (s *Sim) Utilisation(ctx context.Context, q govcloud.UtilisationQuery) ([]govcloud.UtilisationSample, error) {
	if err := s.checkPeriod(ctx, q.Period); err != nil {
		return nil, err
	}
	step := q.Step
	switch {
	case step == 0:
		step = time.Hour
	case step < 5*time.Minute:
		step = 5 * time.Minute
	}
	if q.End.Sub(q.Start)/step > 200_000 {
		return nil, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Field: "Step",
			Msg: "采样点过多 (too many samples): use a coarser step"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Clock.Now()
	s.settle(now)
	var out []govcloud.UtilisationSample
	t := q.Start.Truncate(step)
	if t.Before(q.Start) {
		t = t.Add(step)
	}
	for ; t.Before(q.End) && !t.After(now); t = t.Add(step) {
		for _, l := range s.lives {
			if (q.Application != "" && l.app != q.Application) || t.Before(l.from) || (!l.to.IsZero() && !t.Before(l.to)) {
				continue
			}
			out = append(out, s.sample(l, t, step))
		}
	}
	slices.SortFunc(out, func(a, b govcloud.UtilisationSample) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.Resource, b.Resource)
	})
	return out, nil
}

// sample computes the deterministic utilisation of l at t.
func (s *Sim) sample(l *life, t time.Time, step time.Duration) govcloud.UtilisationSample {
	noise := int(s.hash("noise", l.res, t.Unix())%101) - 50 // −50…+50
	var cpu, mem int
	if l.idle {
		cpu = 20 + noise/3
		mem = 150 + noise
	} else {
		bt := t.In(calendar.Beijing())
		work, err := s.cal.IsWorkday(calendar.DateOf(t))
		if err != nil {
			work = bt.Weekday() != time.Saturday && bt.Weekday() != time.Sunday
		}
		hour := bt.Hour()
		base := 120
		if work && hour >= 9 && hour < 18 {
			// A daily cycle: rising to a 15:00 peak.
			dist := hour - 15
			if dist < 0 {
				dist = -dist
			}
			base = 700 - 80*dist
		}
		// Each resource has its own load level (±150‰).
		base += int(s.hash("level", l.res)%301) - 150
		cpu = base + noise
		mem = 450 + int(s.hash("mem", l.res)%200) + noise/2
	}
	cpu, mem = clamp(cpu), clamp(mem)
	return govcloud.UtilisationSample{Resource: l.res, Application: l.app, At: t,
		CPUPermille: cpu, MemoryPermille: mem,
		NetworkBytes: int64(cpu) * 10_000 * int64(step/time.Second) * l.qty / 1000}
}

func clamp(v int) int { return min(max(v, 0), 1000) }

// Incidents implements govcloud.IncidentReporter. Each day has an incident
// with probability Options.IncidentPermille, at a seeded minute, lasting 5 to
// 180 minutes, affecting a seeded subset (at least one) of the applications
// running at its start. Incidents not yet ended at the clock's now are open.
func (s *Sim) Incidents(ctx context.Context, q govcloud.Period) ([]govcloud.Incident, error) {
	if err := s.checkPeriod(ctx, q); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Clock.Now()
	s.settle(now)
	return s.incidents(q, now), nil
}

func (s *Sim) incidents(q govcloud.Period, now time.Time) []govcloud.Incident {
	var out []govcloud.Incident
	// Incidents last at most 3 hours: start one day early.
	for d := calendar.DateOf(q.Start).AddDays(-1); !d.Midnight().After(q.End); d = d.AddDays(1) {
		day := d.String()
		if s.hash("incident", day)%1000 >= uint64(s.o.IncidentPermille) {
			continue
		}
		start := d.Midnight().Add(time.Duration(s.hash("incident-minute", day)%1440) * time.Minute)
		end := start.Add(time.Duration(5+s.hash("incident-length", day)%176) * time.Minute)
		if !start.Before(q.End) || !end.After(q.Start) || !start.Before(now) {
			continue
		}
		apps := map[string]bool{}
		var all []string
		for _, l := range s.lives {
			if !start.Before(l.from) && (l.to.IsZero() || start.Before(l.to)) && !apps[l.app] {
				apps[l.app] = true
				all = append(all, l.app)
			}
		}
		if len(all) == 0 {
			continue
		}
		slices.Sort(all)
		var hit []string
		for _, a := range all {
			if s.hash("incident-app", day, a)%3 == 0 {
				hit = append(hit, a)
			}
		}
		if len(hit) == 0 {
			hit = []string{all[s.hash("incident-pick", day)%uint64(len(all))]}
		}
		causes := []string{"存储节点故障 (storage node failure)", "网络设备故障 (network device failure)",
			"计算节点宕机 (compute host down)", "电力中断 (power interruption)", "配置变更失误 (faulty configuration change)"}
		inc := govcloud.Incident{ID: fmt.Sprintf("inc-%s-%s", s.o.Vendor, strings.ReplaceAll(day, "-", "")),
			Start: start, End: end, Applications: hit, Cause: causes[s.hash("incident-cause", day)%uint64(len(causes))]}
		if now.Before(end) {
			inc.End = time.Time{}
		}
		out = append(out, inc)
	}
	return out
}

// MonthlyReport implements govcloud.MonthlyReporter for a month that has
// ended: hourly utilisation aggregated per resource, advice for idle (avg
// CPU < 50‰), over-provisioned (peak < 300‰) and under-provisioned (peak >
// 900‰) resources, the incidents in the O&M report, a security bulletin and
// the drill in Options.DrillMonth.
func (s *Sim) MonthlyReport(ctx context.Context, m govcloud.Month) (govcloud.MonthlyReport, error) {
	if err := ctx.Err(); err != nil {
		return govcloud.MonthlyReport{}, err
	}
	if !m.Valid() {
		return govcloud.MonthlyReport{}, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest,
			Field: "Month", Msg: fmt.Sprintf("%d-%d 不是月份 (not a month)", m.Year, m.Month)}
	}
	p := m.Period()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Clock.Now()
	if now.Before(p.End) {
		return govcloud.MonthlyReport{}, govcloud.Permanent(govcloud.CodeInvalidState,
			fmt.Sprintf("%s 尚未结束 (month not over yet)", m))
	}
	s.settle(now)
	type key struct{ app, res string }
	rows := map[key]*govcloud.UtilisationRow{}
	counts := map[key]int{}
	sums := map[key][2]int{}
	for _, l := range s.lives {
		for t := p.Start; t.Before(p.End); t = t.Add(time.Hour) {
			if t.Before(l.from) || (!l.to.IsZero() && !t.Before(l.to)) {
				continue
			}
			k := key{l.app, l.res}
			r := rows[k]
			if r == nil {
				r = &govcloud.UtilisationRow{Application: l.app, Resource: l.res, Item: l.item}
				rows[k] = r
			}
			r.Quantity = l.qty
			smp := s.sample(l, t, time.Hour)
			r.PeakCPUPermille = max(r.PeakCPUPermille, smp.CPUPermille)
			r.PeakMemoryPermille = max(r.PeakMemoryPermille, smp.MemoryPermille)
			r.NetworkBytes += smp.NetworkBytes
			sm := sums[k]
			sums[k] = [2]int{sm[0] + smp.CPUPermille, sm[1] + smp.MemoryPermille}
			counts[k]++
		}
	}
	rep := govcloud.MonthlyReport{Vendor: s.o.Vendor, Month: m}
	for k, r := range rows {
		r.AvgCPUPermille = sums[k][0] / counts[k]
		r.AvgMemoryPermille = sums[k][1] / counts[k]
		rep.Utilisation = append(rep.Utilisation, *r)
	}
	slices.SortFunc(rep.Utilisation, func(a, b govcloud.UtilisationRow) int {
		if c := strings.Compare(a.Application, b.Application); c != 0 {
			return c
		}
		return strings.Compare(a.Resource, b.Resource)
	})
	for _, r := range rep.Utilisation {
		a := govcloud.Advice{Application: r.Application, Resource: r.Resource}
		switch {
		case r.AvgCPUPermille < 50:
			a.Kind, a.Text = govcloud.AdviceIdle, fmt.Sprintf("资源 %s 月均CPU利用率 %d‰,处于闲置状态,建议回收 (idle: reclaim)", r.Resource, r.AvgCPUPermille)
		case r.PeakCPUPermille < 300:
			a.Kind, a.Text = govcloud.AdviceOverprovisioned, fmt.Sprintf("资源 %s 峰值CPU利用率 %d‰,配置过度,建议降配 (over-provisioned: downsize)", r.Resource, r.PeakCPUPermille)
		case r.PeakCPUPermille > 900:
			a.Kind, a.Text = govcloud.AdviceUnderprovisioned, fmt.Sprintf("资源 %s 峰值CPU利用率 %d‰,建议扩容 (under-provisioned: scale up)", r.Resource, r.PeakCPUPermille)
		default:
			continue
		}
		rep.Advice = append(rep.Advice, a)
	}
	incs := s.incidents(p, now)
	var down time.Duration
	for _, in := range incs {
		down += in.End.Sub(in.Start)
	}
	done := 0
	for _, op := range s.ops {
		if op.state == stateDone && !op.result.Completed.Before(p.Start) && op.result.Completed.Before(p.End) {
			done++
		}
	}
	rep.Operations = fmt.Sprintf("%s 运维报告:运行资源 %d 个,完成工单操作 %d 项,发生可用性事件 %d 起,累计影响 %d 分钟。\n"+
		"O&M report %s: %d resources running, %d operations completed, %d availability incidents, %d minutes impaired.",
		m, len(rep.Utilisation), done, len(incs), int(down/time.Minute), m, len(rep.Utilisation), done, len(incs), int(down/time.Minute))
	vulns := s.hash("vulns", m.String()) % 6
	rep.SecurityBulletin = fmt.Sprintf("%s 安全公告:修复安全漏洞 %d 个(高危 %d 个),完成数据备份检查,未发现数据泄露。\n"+
		"Security bulletin %s: %d vulnerabilities patched (%d high), backups verified, no data leak found.",
		m, vulns, vulns/3, m, vulns, vulns/3)
	if m.Month == s.o.DrillMonth {
		rep.Drill = true
		rep.DrillNote = "本月开展年度应急演练(数据中心切换),恢复时间符合要求。Yearly emergency drill (data-centre failover) held; recovery time met."
	}
	return rep, nil
}
