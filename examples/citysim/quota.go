package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"text/tabwriter"

	govcloud "github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

// allDims are the dimensions every simulated pool tracks.
var allDims = []quota.Dimension{quota.VCPU, quota.Memory, quota.Storage, quota.Bandwidth,
	quota.DBInstances, quota.PublicIPs, quota.SecurityServices}

// algorithms lists the allocators side by side, in the order of the comparison.
var algorithms = []quota.Allocator{quota.Proportional{}, quota.PriorityTiers{}, quota.MaxMin{}, quota.DRF{}}

func algorithmNames() []string {
	out := make([]string, len(algorithms))
	for i, a := range algorithms {
		out[i] = a.Name()
	}
	return out
}

func allocatorByName(name string) (quota.Allocator, bool) {
	for _, a := range algorithms {
		if a.Name() == name {
			return a, true
		}
	}
	return nil, false
}

var algorithmLabels = map[string]string{"proportional": "按需求比例", "priority": "优先级分层", "maxmin": "加权最大最小公平", "drf": "主导资源公平 DRF"}

// tierPriority orders tiers for quota.PriorityTiers: dedicated domains first,
// then the city cloud, then district clouds.
var tierPriority = map[quota.TierKind]int{quota.TierDedicatedDomain: 3, quota.TierCity: 2, quota.TierDistrict: 1}

// full returns v with every dimension of allDims present (explicit zeros).
func full(v quota.Vector) quota.Vector {
	out := make(quota.Vector, len(allDims))
	for _, d := range allDims {
		out[d] = v[d]
	}
	return out
}

// QuotaPlan is the year's quota set-up: what each department declared, what
// each platform pool can give and what each department was granted.
type QuotaPlan struct {
	Algorithm string
	Declared  []quota.Vector // by department index
	Actual    []quota.Vector // the demand of the department's applications as filed
	Granted   []quota.Vector
	Capacity  quota.Vector // Σ of the platform pools' capacities
	Pools     int
}

// platformKey is one vendor's capacity in one zone.
type platformKey struct {
	vendor int
	zone   workflow.Zone
}

func platformPoolID(v VendorSpec, z workflow.Zone) quota.PoolID {
	return quota.PoolID("platform:" + v.ID + ":" + string(z))
}

// setupQuota draws the departments' declared yearly demand, creates the pool tree
// (platform capacity per vendor and zone → tier → department) and grants each
// department its quota with the scenario's allocator.
func (s *Sim) setupQuota(ctx context.Context) error {
	q := s.sc.Quota
	alloc, _ := allocatorByName(q.Algorithm)
	rng := rand.New(rand.NewPCG(s.sc.Seed, 0x9107a))
	n := len(s.depts)
	plan := &QuotaPlan{Algorithm: alloc.Name(), Declared: make([]quota.Vector, n), Actual: make([]quota.Vector, n), Granted: make([]quota.Vector, n)}
	for i := range plan.Actual {
		plan.Actual[i] = full(nil)
	}
	for _, a := range s.apps {
		v, err := govcloud.Demand(simFootprints(), a.items)
		if err != nil {
			return err
		}
		if plan.Actual[a.dept], err = plan.Actual[a.dept].Add(v); err != nil {
			return err
		}
	}
	for i := range s.depts {
		pad := q.PadMin + rng.Float64()*(q.PadMax-q.PadMin)
		d := full(nil)
		for _, dim := range allDims {
			d[dim] = int64(math.Ceil(float64(plan.Actual[i][dim]) * pad))
		}
		plan.Declared[i] = d
	}
	// Group departments by platform pool and tier, in index order.
	var keys []platformKey
	members := map[platformKey][]int{}
	for i, d := range s.depts {
		k := platformKey{d.Vendor, d.Zone}
		if _, ok := members[k]; !ok {
			keys = append(keys, k)
		}
		members[k] = append(members[k], i)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].vendor != keys[j].vendor {
			return keys[i].vendor < keys[j].vendor
		}
		return keys[i].zone < keys[j].zone
	})
	plan.Capacity = full(nil)
	for _, k := range keys {
		v := s.sc.Vendors[k.vendor]
		var claims []quota.Claim
		sum := full(nil)
		for _, i := range members[k] {
			var err error
			if sum, err = sum.Add(plan.Declared[i]); err != nil {
				return err
			}
			claims = append(claims, quota.Claim{Department: s.depts[i].ID, Demand: plan.Declared[i], Weight: 1, Priority: tierPriority[s.depts[i].Tier]})
		}
		capacity := full(nil)
		for _, dim := range allDims {
			capacity[dim] = int64(math.Ceil(float64(sum[dim]) * q.CapacityRatio))
		}
		grants, err := alloc.Allocate(capacity, claims)
		if err != nil {
			return fmt.Errorf("allocating %s: %w", platformPoolID(v, k.zone), err)
		}
		pid := platformPoolID(v, k.zone)
		if _, err := s.p.CreatePlatformPool(ctx, govcloud.PlatformPool{ID: pid, Name: v.Name + " " + k.zone.Label(workflow.Chinese),
			Vendor: v.ID, Zone: k.zone, Limit: capacity}); err != nil {
			return err
		}
		plan.Pools++
		if plan.Capacity, err = plan.Capacity.Add(capacity); err != nil {
			return err
		}
		for _, tier := range []quota.TierKind{quota.TierCity, quota.TierDistrict, quota.TierDedicatedDomain} {
			var in []int
			limit := full(nil)
			for _, i := range members[k] {
				if s.depts[i].Tier == tier {
					in = append(in, i)
					plan.Granted[i] = full(grants[s.depts[i].ID])
					if limit, err = limit.Add(plan.Granted[i]); err != nil {
						return err
					}
				}
			}
			if len(in) == 0 {
				continue
			}
			tid := quota.PoolID(string(pid) + ":" + string(tier))
			if _, err := s.p.CreateTierPool(ctx, govcloud.TierPool{ID: tid, Platform: pid, Name: tier.Label(quota.Chinese), Tier: tier, Limit: limit}); err != nil {
				return err
			}
			plan.Pools++
			for _, i := range in {
				if _, err := s.p.CreateDepartmentPool(ctx, govcloud.DepartmentPool{Department: s.depts[i].ID, Tier: tid,
					Name: s.depts[i].Name, Year: s.sc.Year, Limit: plan.Granted[i]}); err != nil {
					return err
				}
				plan.Pools++
			}
		}
	}
	s.quota = plan
	return nil
}

// AlgorithmRow is one allocator's division of the year's declared demand.
type AlgorithmRow struct {
	Name string
	// Satisfaction of a department is min over the dimensions it asks for of
	// grant/demand: the share of its systems it can run (resources are needed
	// together).
	Jain, Min, Mean float64
	Full            int                         // departments granted all they asked
	Used            map[quota.Dimension]float64 // share of the capacity granted
}

// CompareAllocators divides the total capacity among all departments' declared
// demands with each algorithm.
func CompareAllocators(plan *QuotaPlan, depts []Department) ([]AlgorithmRow, error) {
	var claims []quota.Claim
	for i, d := range depts {
		if plan.Declared[i].IsZero() {
			continue
		}
		claims = append(claims, quota.Claim{Department: d.ID, Demand: plan.Declared[i], Weight: 1, Priority: tierPriority[d.Tier]})
	}
	var rows []AlgorithmRow
	for _, alg := range algorithms {
		a, err := alg.Allocate(plan.Capacity, claims)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", alg.Name(), err)
		}
		row := AlgorithmRow{Name: alg.Name(), Min: 1, Used: map[quota.Dimension]float64{}}
		var sum, sq float64
		for _, c := range claims {
			sat := 1.0
			for _, dim := range allDims {
				if c.Demand[dim] > 0 {
					sat = min(sat, float64(a[c.Department][dim])/float64(c.Demand[dim]))
				}
			}
			sum += sat
			sq += sat * sat
			row.Min = min(row.Min, sat)
			if sat >= 1 {
				row.Full++
			}
		}
		if n := float64(len(claims)); n > 0 && sq > 0 {
			row.Jain = sum * sum / (n * sq)
			row.Mean = sum / n
		}
		total := a.Total()
		for _, dim := range allDims {
			if plan.Capacity[dim] > 0 {
				row.Used[dim] = float64(total[dim]) / float64(plan.Capacity[dim])
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// DeptUse is one department pool at year end.
type DeptUse struct {
	Dept      int
	Limit     quota.Vector
	Used      quota.Vector // held + committed
	Composite float64      // mean of used/limit over the dimensions with a limit
}

// QuotaReport is the quota section of the summary.
type QuotaReport struct {
	Plan        *QuotaPlan
	Depts       []Department
	Vendors     []VendorSpec
	Use         []DeptUse // departments with a quota, by composite utilisation (descending)
	Rows        []AlgorithmRow
	HeldBack    HeldBack
	Reservation map[quota.ReservationState]int
}

// HeldBack counts applications the departments' quotas could not cover.
type HeldBack struct {
	Applications  int // refused at approval at least once
	ApprovedLater int // approved after waiting
	Denied        int // denied for lack of quota
	Waiting       int // still waiting at year end
	Refusals      int // approval attempts refused
	Changes       int // change approvals refused (change denied)
}

func (s *Sim) quotaReport(ctx context.Context) (*QuotaReport, error) {
	qr := &QuotaReport{Plan: s.quota, Depts: s.depts, Vendors: s.sc.Vendors, HeldBack: s.heldBack, Reservation: map[quota.ReservationState]int{}}
	for _, a := range s.apps {
		if a.quotaRefusals == 0 {
			continue
		}
		qr.HeldBack.Applications++
		qr.HeldBack.Refusals += a.quotaRefusals
		switch {
		case a.quotaDenied:
			qr.HeldBack.Denied++
		case a.cur.State == workflow.StateAccepted:
			qr.HeldBack.Waiting++
		default:
			qr.HeldBack.ApprovedLater++
		}
	}
	var err error
	if qr.Use, err = s.departmentUse(ctx); err != nil {
		return nil, err
	}
	sort.SliceStable(qr.Use, func(i, j int) bool { return qr.Use[i].Composite > qr.Use[j].Composite })
	for _, a := range s.apps {
		r, err := s.p.Quota().Reservation(ctx, a.cur.ID)
		if err != nil {
			continue // never approved: no reservation
		}
		qr.Reservation[r.State]++
	}
	if qr.Rows, err = CompareAllocators(s.quota, s.depts); err != nil {
		return nil, err
	}
	return qr, nil
}

// departmentUse returns the use of every department pool with a limit, in
// department order: limit, used (held + committed) and the composite, the
// mean of used/limit over the dimensions with a limit.
func (s *Sim) departmentUse(ctx context.Context) ([]DeptUse, error) {
	pools, err := s.p.Quota().Pools(ctx)
	if err != nil {
		return nil, err
	}
	byDept := map[string]quota.Pool{}
	for _, p := range pools {
		if p.Kind == quota.KindDepartment {
			byDept[p.Department] = p
		}
	}
	var out []DeptUse
	for i, d := range s.depts {
		p, ok := byDept[d.ID]
		if !ok || p.Limit.IsZero() {
			continue
		}
		u := DeptUse{Dept: i, Limit: p.Limit, Used: p.Used()}
		var sum float64
		var n int
		for _, dim := range allDims {
			if l := p.Limit[dim]; l > 0 {
				sum += float64(u.Used[dim]) / float64(l)
				n++
			}
		}
		u.Composite = sum / float64(max(n, 1))
		out = append(out, u)
	}
	return out, nil
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

func ratio(used, limit int64) string {
	if limit == 0 {
		return "–"
	}
	return pct(float64(used) / float64(limit))
}

// WriteSection prints the quota section.
func (qr *QuotaReport) WriteSection(w io.Writer, heading string) error {
	var b strings.Builder
	p := qr.Plan
	fmt.Fprintf(&b, "\n%s配额 quota · 年度配额按 %s %s 分配 / yearly quotas granted by %s · %d 个资源池 pools (平台 platform → 层级 tier → 使用单位 department)\n",
		heading, algorithmLabels[p.Algorithm], p.Algorithm, p.Algorithm, p.Pools)
	fmt.Fprintf(&b, "平台容量 platform capacity: %s\n", p.Capacity.Format(quota.Chinese))
	hb := qr.HeldBack
	fmt.Fprintf(&b, "配额不足暂缓审批 held back for lack of quota: %d 个申请 applications (%d 次 refusals) → 等待后批准 approved later %d · 因配额不足不予批准 denied %d · 年末仍在等待 still waiting %d · 变更因配额不足未批 changes denied %d\n",
		hb.Applications, hb.Refusals, hb.ApprovedLater, hb.Denied, hb.Waiting, hb.Changes)
	fmt.Fprintf(&b, "年末预留 reservations at year end: 预留 held %d · 占用 committed %d · 已释放 released %d\n",
		qr.Reservation[quota.StateHeld], qr.Reservation[quota.StateCommitted], qr.Reservation[quota.StateReleased])

	writeUse := func(title string, rows []DeptUse) error {
		b.WriteString(title)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "使用单位 department\t层级 tier\t云服务商 vendor\tvCPU 已用/配额 used/quota\t内存 memory\t存储 storage\t综合 overall\t")
		for _, u := range rows {
			d := qr.Depts[u.Dept]
			fmt.Fprintf(tw, "%s %s\t%s\t%s\t%d/%d %s\t%s\t%s\t%s\t\n", d.ID, d.Name, d.Tier.Label(quota.Chinese), qr.Vendors[d.Vendor].Name,
				u.Used[quota.VCPU]/quota.MilliVCPU, u.Limit[quota.VCPU]/quota.MilliVCPU, ratio(u.Used[quota.VCPU], u.Limit[quota.VCPU]),
				ratio(u.Used[quota.Memory], u.Limit[quota.Memory]), ratio(u.Used[quota.Storage], u.Limit[quota.Storage]), pct(u.Composite))
		}
		return tw.Flush()
	}
	n := min(10, len(qr.Use))
	if err := writeUse(fmt.Sprintf("年末配额利用率最高 / highest quota utilisation at year end (top %d of %d departments with a quota)\n", n, len(qr.Use)), qr.Use[:n]); err != nil {
		return err
	}
	bottom := qr.Use[len(qr.Use)-n:]
	if err := writeUse(fmt.Sprintf("年末配额利用率最低 / lowest quota utilisation at year end (bottom %d)\n", n), bottom); err != nil {
		return err
	}

	fmt.Fprintf(&b, "同一年度需求按各算法分配 / the year's declared demand of %d departments allocated by each algorithm (satisfaction = min over dimensions of grant/demand)\n", countNonZero(p.Declared))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "算法 algorithm\tJain 公平指数 fairness\t最低满足率 min\t平均满足率 mean\t全部满足 fully served\tvCPU 分配率 used\t内存 memory\t存储 storage\t带宽 bandwidth\t")
	for _, r := range qr.Rows {
		mark := ""
		if r.Name == p.Algorithm {
			mark = " *"
		}
		fmt.Fprintf(tw, "%s %s%s\t%.4f\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", algorithmLabels[r.Name], r.Name, mark, r.Jain, pct(r.Min), pct(r.Mean), r.Full,
			pct(r.Used[quota.VCPU]), pct(r.Used[quota.Memory]), pct(r.Used[quota.Storage]), pct(r.Used[quota.Bandwidth]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("  * 本次模拟所用算法(各云服务商、各区域分别分配)/ the algorithm this run used (per vendor and zone)\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func countNonZero(vs []quota.Vector) int {
	n := 0
	for _, v := range vs {
		if !v.IsZero() {
			n++
		}
	}
	return n
}
