package assessment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// ---- synthetic city: deterministic, generated on the fly (nothing stored) ----

func mix(x uint64) uint64 { // splitmix64
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func unit(x uint64) float64 { return float64(x>>11) / (1 << 53) }

type synthCity struct {
	depts, perDept int
	year           int
	loc            *time.Location
	sizes          []string
}

func (c *synthCity) deptIndex(id string) int { return idNum(id) }

// idNum parses "d123" / "r123" → 123.
func idNum(id string) int {
	n, _ := strconv.Atoi(id[1:])
	return n
}

func (c *synthCity) Systems(_ context.Context, d string) ([]SystemRecord, error) {
	i := c.deptIndex(d)
	n := 5 + int(mix(uint64(i))%16)
	out := make([]SystemRecord, n)
	for k := range out {
		out[k] = SystemRecord{ID: fmt.Sprintf("%s-s%d", d, k), OnPlatform: mix(uint64(i*100+k))%10 < 8}
	}
	return out, nil
}

func (c *synthCity) Resources(_ context.Context, d string) ([]Resource, error) {
	i := c.deptIndex(d)
	out := make([]Resource, c.perDept)
	for k := range out {
		idx := i*c.perDept + k
		out[k] = Resource{ID: fmt.Sprintf("r%d", idx), Kind: "vm", Size: c.sizes[mix(uint64(idx))%uint64(len(c.sizes))]}
	}
	return out, nil
}

// AppendSamples: one sample a day. A resource's profile (from its ID) is busy,
// over-provisioned, idle, or switched off for part of the year.
func (c *synthCity) AppendSamples(_ context.Context, dst []Sample, id string, from, to time.Time) ([]Sample, error) {
	idx := uint64(idNum(id))
	h := mix(idx + 0x1234)
	profile := h % 10
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, c.loc)
	if start.Before(from) {
		start = start.AddDate(0, 0, 1)
	}
	day := uint64(start.YearDay())
	for t := start; t.Before(to); t = t.Add(24 * time.Hour) { // fixed zone: days are 24 h
		day++
		r := mix(idx<<16 ^ day)
		if profile == 9 && (day/60)%2 == 1 { // off for alternate two-month spells: gaps
			continue
		}
		var cpu, mem float64
		var net int64
		switch {
		case profile < 5: // busy
			cpu, mem, net = 30+60*unit(r), 40+50*unit(r>>7), 50_000_000+int64(r%1e9)
		case profile < 8: // over-provisioned
			cpu, mem, net = 5+30*unit(r), 10+25*unit(r>>7), 20_000_000+int64(r%1e8)
		default: // idle
			cpu, mem, net = 4*unit(r), 5+10*unit(r>>7), int64(r%4_000_000)
		}
		dst = append(dst, Sample{Start: t, Span: 24 * time.Hour, CPU: cpu, Mem: mem, NetBytes: net})
	}
	return dst, nil
}

func (c *synthCity) Cost(_ context.Context, id string, from, to time.Time) (int64, error) {
	idx := uint64(idNum(id))
	perHour := int64(20 + mix(idx)%500) // 0.20–5.20 元 an hour
	return perHour * int64(to.Sub(from)/time.Hour), nil
}

func (c *synthCity) SystemSecurity(_ context.Context, d string) ([]SystemSecurity, error) {
	i := c.deptIndex(d)
	n := 3 + int(mix(uint64(i)+7)%6)
	out := make([]SystemSecurity, n)
	for k := range out {
		r := mix(uint64(i*1000 + k))
		until := calendar.Date{Year: c.year + int(r%3) - 1, Month: time.June, Day: 30}
		out[k] = SystemSecurity{SystemID: fmt.Sprintf("%s-s%d", d, k), Level: 2 + int(r%2),
			OpenVulns: [4]int{int(r>>8) % 2, int(r>>10) % 3, int(r>>12) % 5, int(r>>14) % 8},
			Incidents: int(r>>20) % 2, OverdueFixes: int(r>>24) % 3, AssessedUntil: &until}
	}
	return out, nil
}

// synthVendor builds a year of records for vendor v.
func synthVendor(v int, year int, loc *time.Location) (VendorInput, Deliverables) {
	r := rand.New(rand.NewPCG(uint64(v), 99))
	var in VendorInput
	start := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	for k := 0; k < 2000; k++ { // work orders
		opened := start.Add(time.Duration(r.IntN(360*24)) * time.Hour).Add(time.Duration(r.IntN(60)) * time.Minute)
		due := opened.AddDate(0, 0, 3)
		done := opened.Add(time.Duration(1+r.IntN(5*24)) * time.Hour)
		in.Orders = append(in.Orders, WorkOrder{ID: fmt.Sprintf("v%d-w%d", v, k), Opened: opened, Due: due, Done: done})
	}
	for k := 0; k < 120; k++ {
		in.Surveys = append(in.Surveys, Survey{ID: fmt.Sprint(k), DepartmentID: fmt.Sprintf("d%d", k), Level: SatisfactionLevel(1 + r.IntN(4))})
	}
	in.Invited = 150
	for k := 0; k < 40; k++ {
		from := start.Add(time.Duration(r.IntN(364*24*60)) * time.Minute)
		in.Outages = append(in.Outages, Outage{ID: fmt.Sprint(k), Interval: Interval{from, from.Add(time.Duration(1+r.IntN(90)) * time.Minute)}})
		in.Incidents = append(in.Incidents, Incident{ID: fmt.Sprint(k), Start: from, Restored: from.Add(time.Duration(1+r.IntN(300)) * time.Minute), Security: k%10 == 0})
	}
	for k := 0; k < 12; k++ {
		from := time.Date(year, time.Month(k+1), 10, 1, 0, 0, 0, loc)
		in.Exclusions = append(in.Exclusions, Exclusion{ID: fmt.Sprint(k), Interval: Interval{from, from.Add(2 * time.Hour)},
			Reason: Maintenance, Evidence: "公告", ApprovedBy: "运行管理单位"})
	}
	for k := 0; k < 52; k++ {
		in.Performance = append(in.Performance, PerformanceCheck{ID: fmt.Sprint(k), Passed: r.IntN(10) > 0})
	}
	var d Deliverables
	for _, m := range MonthsOfYear(year) {
		if r.IntN(12) > 0 {
			d.Bulletins = append(d.Bulletins, m)
		}
		if r.IntN(12) > 0 {
			d.Reports = append(d.Reports, m)
		}
	}
	d.Drill = v%4 != 0
	return in, d
}

type synthVendorSource struct {
	ins  map[string]VendorInput
	dels map[string]Deliverables
}

func (s *synthVendorSource) WorkOrders(_ context.Context, v string, _, _ time.Time) ([]WorkOrder, error) {
	return s.ins[v].Orders, nil
}
func (s *synthVendorSource) Surveys(_ context.Context, v string, _, _ time.Time) ([]Survey, int, error) {
	return s.ins[v].Surveys, s.ins[v].Invited, nil
}
func (s *synthVendorSource) Outages(_ context.Context, v string, _, _ time.Time) ([]Outage, []Exclusion, error) {
	return s.ins[v].Outages, s.ins[v].Exclusions, nil
}
func (s *synthVendorSource) Incidents(_ context.Context, v string, _, _ time.Time) ([]Incident, error) {
	return s.ins[v].Incidents, nil
}
func (s *synthVendorSource) PerformanceChecks(_ context.Context, v string, _, _ time.Time) ([]PerformanceCheck, error) {
	return s.ins[v].Performance, nil
}
func (s *synthVendorSource) Deliverables(_ context.Context, v string, _, _ time.Time) (Deliverables, error) {
	return s.dels[v], nil
}

// BenchmarkAssessYear scores 10,000 departments (100,000 resources with a year of
// daily utilisation samples, classified at 12 month ends) and 20 vendors, and
// ranks both. Run: go test -run '^$' -bench AssessYear -benchtime 1x ./assessment/
func BenchmarkAssessYear(b *testing.B) {
	const year = 2026
	loc := time.FixedZone("CST", 8*3600)
	city := &synthCity{depts: 10_000, perDept: 10, year: year, loc: loc, sizes: []string{"1c2g", "2c4g", "4c8g", "8c16g", "16c32g"}}
	ds, err := DepartmentScheme()
	if err != nil {
		b.Fatal(err)
	}
	vs, err := VendorScheme()
	if err != nil {
		b.Fatal(err)
	}
	vsrc := &synthVendorSource{ins: map[string]VendorInput{}, dels: map[string]Deliverables{}}
	for v := 0; v < 20; v++ {
		id := fmt.Sprintf("v%d", v)
		vsrc.ins[id], vsrc.dels[id] = synthVendor(v, year, loc)
	}
	checkpoints := MonthEnds(year, loc)
	months := MonthsOfYear(year)
	ctx := context.Background()
	var peak uint64
	var ms runtime.MemStats
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	var samples, idle, deductions int
	for b.Loop() {
		da := &DepartmentAssessor{Scheme: ds, Options: DefaultDepartmentOptions(), Register: city, Resources: city,
			Utilisation: city, Cost: city, Security: city}
		if err := da.Validate(); err != nil {
			b.Fatal(err)
		}
		cards := make([]*Scorecard, 0, city.depts)
		idle = 0
		for d := 0; d < city.depts; d++ {
			rep, err := da.Assess(ctx, Subject{ID: fmt.Sprintf("d%d", d)}, checkpoints)
			if err != nil {
				b.Fatal(err)
			}
			idle += rep.Facts.Efficiency.Idle
			cards = append(cards, rep.Card)
			if d%1000 == 0 {
				sample()
			}
		}
		Rank(cards)
		va := &VendorAssessor{Scheme: vs, Options: DefaultVendorOptions(), Source: vsrc, Fees: flatFee(5_000_000_00),
			Calendar: NewOfficeTimer(), Location: loc}
		vcards := make([]*Scorecard, 0, 20)
		deductions = 0
		for v := 0; v < 20; v++ {
			rep, err := va.Assess(ctx, Subject{ID: fmt.Sprintf("v%d", v)}, months)
			if err != nil {
				b.Fatal(err)
			}
			deductions += len(rep.Facts.Deductions)
			vcards = append(vcards, rep.Card)
		}
		Rank(vcards)
		sample()
		samples = len(da.samples)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(idle), "idle-findings")
	b.ReportMetric(float64(deductions), "deduction-lines")
	b.ReportMetric(float64(samples), "samples/resource")
}

func BenchmarkScoreDepartment(b *testing.B) {
	s, err := DepartmentScheme()
	if err != nil {
		b.Fatal(err)
	}
	vals := Values{PathAdoption: Num(80), PathIdle: Num(10), PathOverprovisioned: Num(20), PathIdleCost: Num(5),
		PathVulnerabilities: Num(3), PathDeptIncidents: Num(1), PathOverdueFixes: Num(0), PathDengbaoCurrent: Num(90)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Score(Subject{ID: "d"}, vals); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPercentile365(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	src := make([]float64, 365)
	for i := range src {
		src[i] = r.Float64() * 100
	}
	buf := make([]float64, 365)
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, src)
		Percentile(buf, 95)
	}
}
