package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

var bureaus = []string{
	"市公安局", "市教育局", "市卫生健康委", "市人力社保局", "市民政局", "市财政局", "市自然资源局", "市生态环境局",
	"市住房城乡建设局", "市交通运输局", "市水利局", "市农业农村局", "市商务局", "市文化广电旅游局", "市应急管理局",
	"市审计局", "市市场监管局", "市统计局", "市医保局", "市城管局", "市司法局", "市科技局", "市经信局", "市发展改革委",
	"市退役军人事务局", "市体育局", "市林业局", "市信访局", "市档案馆", "市机关事务局", "市税务局", "市公积金中心",
	"市大数据中心", "市政务服务中心", "市气象局", "市消防救援支队", "市人防办", "市民族宗教局", "市外办", "市侨办",
	"市残联", "市总工会", "团市委", "市妇联", "市科协", "市红十字会", "市法院", "市检察院", "市纪委监委", "市委组织部",
	"市委宣传部", "市委政法委", "市网信办", "市编办", "市地方金融局", "市港航中心", "市邮政管理局", "市烟草局",
	"市图书馆", "市疾控中心",
}

var districts = []string{"", "上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区", "富阳区",
	"临安区", "桐庐县", "淳安县", "建德市"}

// dedicatedDomains are the bureaus hosted in a dedicated domain (政务云专有域).
var dedicatedDomains = map[string]bool{"市公安局": true, "市法院": true, "市检察院": true, "市纪委监委": true, "市税务局": true}

// populate draws the departments and the year's applications. A department is
// hosted by one vendor in one zone (its quota pool hangs under that vendor's
// capacity); its applications name that vendor.
func (s *Sim) populate() error {
	rng := rand.New(rand.NewPCG(s.sc.Seed, 0xc17151))
	vendCum := cumulative(len(s.sc.Vendors), func(i int) float64 { return s.sc.Vendors[i].Share })
	for i := range s.sc.Departments {
		base := bureaus[i%len(bureaus)]
		name, tier := base, quota.TierCity
		if k := i / len(bureaus); k > 0 {
			name = districts[1+(k-1)%(len(districts)-1)] + base[len("市"):]
			if r := (k - 1) / (len(districts) - 1); r > 0 {
				name += fmt.Sprintf("(%d)", r+1)
			}
			tier = quota.TierDistrict
		} else if dedicatedDomains[base] {
			tier = quota.TierDedicatedDomain
		}
		// Zipf-like sizes: a few large departments file most applications.
		w := 1 / math.Pow(float64(1+rng.IntN(s.sc.Departments)), 0.7)
		zone := workflow.PrivateZone
		if rng.Float64() < s.sc.Department.PublicZoneShare {
			zone = workflow.PublicZone
		}
		s.depts = append(s.depts, Department{ID: fmt.Sprintf("dept-%04d", i+1), Name: name, Weight: w,
			Vendor: pick(rng, vendCum), Zone: zone, Tier: tier})
	}
	deptCum := cumulative(len(s.depts), func(i int) float64 { return s.depts[i].Weight })
	lvlCum := cumulative(5, func(i int) float64 { return s.sc.Department.SecurityLevels[i] })
	arrivals, err := drawArrivals(rng, s.pc, s.sc.Year, s.sc.Applications, s.sc.Department.OnlineShare)
	if err != nil {
		return err
	}
	for i, at := range arrivals {
		a := &appSim{idx: i, arrival: at, rng: rand.New(rand.NewPCG(s.sc.Seed, uint64(i)+1))}
		a.dept = pick(rng, deptCum)
		d := s.depts[a.dept]
		a.vendor, a.zone = d.Vendor, d.Zone
		a.level = 1 + pick(a.rng, lvlCum)
		a.name = fmt.Sprintf("%s业务系统%d", d.Name, i+1)
		a.items = drawItems(a.rng, a.zone, a.level)
		s.apps = append(s.apps, a)
		s.schedule(i, at, actSubmit)
	}
	return nil
}

func cumulative(n int, w func(int) float64) []float64 {
	out := make([]float64, n)
	var sum float64
	for i := range n {
		sum += w(i)
		out[i] = sum
	}
	return out
}

func pick(rng *rand.Rand, cum []float64) int {
	x := rng.Float64() * cum[len(cum)-1]
	i := sort.SearchFloat64s(cum, x)
	return min(i, len(cum)-1)
}

// drawItems draws an application's resources in the codes of the simulated
// billing catalog (billing.go, simCatalogItems; the same footprints as
// govcloud.DefaultFootprints).
func drawItems(rng *rand.Rand, zone workflow.Zone, level int) []workflow.Item {
	vm := []string{codeECS2C4G, codeECS4C8G, codeECS8C16G}[rng.IntN(3)]
	items := []workflow.Item{{Code: vm, Quantity: int64(1 + rng.IntN(6))}, {Code: codeEVS, Quantity: int64(100 * (1 + rng.IntN(20)))}}
	if rng.Float64() < 0.4 {
		items = append(items, workflow.Item{Code: codeRDS, Quantity: int64(1 + rng.IntN(2))})
	}
	if zone == workflow.PublicZone {
		items = append(items, workflow.Item{Code: codeBW, Quantity: int64(10 * (1 + rng.IntN(10)))}, workflow.Item{Code: codeEIP, Quantity: 1})
	}
	if level >= 3 {
		items = append(items, workflow.Item{Code: codeSEC, Quantity: 1})
	}
	return items
}

// drawHours draws a log-normal latency in working hours.
func drawHours(rng *rand.Rand, l Latency) float64 {
	h := l.MedianHours * math.Exp(l.Spread*rng.NormFloat64())
	return min(h, l.MaxHours)
}

func actionName(a action) string {
	names := map[action]string{
		actSubmit: "submit", actAccept: "acceptance review", actResubmit: "resubmission", actWithdraw: "withdrawal",
		actApprove: "approval", actProvide: "trial environment", actTest: "test", actExtend: "trial extension",
		actSubmitTests: "test submission", actFailTrial: "trial failure", actExpire: "trial expiry",
		actFinal: "final review", actRequestChange: "change request", actChangeReview: "change review",
		actCompleteChange: "change execution", actRequestTermination: "termination request",
		actTerminationReview: "termination review", actReclaim: "reclaim",
	}
	return names[a]
}

func attachment(app, kind string, n int) workflow.Attachment {
	return workflow.Attachment{Name: kind, URI: fmt.Sprintf("sim://%s/%s/%d", app, kind, n)}
}

func materials(app string, n int, kinds ...workflow.MaterialKind) []workflow.Material {
	out := make([]workflow.Material, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, workflow.Material{Kind: k, Attachment: attachment(app, string(k), n)})
	}
	return out
}

var submitMaterials = []workflow.MaterialKind{workflow.MaterialConstructionPlan, workflow.MaterialSelfTestReport, workflow.MaterialResourceRequest}

func (s *Sim) deptActor(a *appSim) workflow.Actor {
	return workflow.Actor{Role: workflow.RoleDepartment, ID: s.depts[a.dept].ID}
}

// fire fires trig as actor and records the transition.
func (s *Sim) fire(ctx context.Context, a *appSim, actor workflow.Actor, trig workflow.Trigger, in workflow.Input) error {
	s.ids.use("wo")
	in.ExpectedVersion = a.cur.Version
	before := a.cur
	after, err := s.eng.Fire(ctx, actor, a.cur.ID, trig, in)
	if err != nil {
		return err
	}
	return s.record(ctx, a, trig, before, after)
}

// handle performs one event's act and schedules the application's next one.
func (s *Sim) handle(ctx context.Context, ev event) error {
	a := s.apps[ev.app]
	r := a.rng
	auth, dep := s.sc.Authority, s.sc.Department
	now := ev.at
	switch ev.act {
	case actSubmit:
		s.ids.use("app")
		app, err := s.eng.Submit(ctx, s.deptActor(a), workflow.SubmitRequest{
			SystemName: a.name, Vendor: s.sc.Vendors[a.vendor].ID, Zone: a.zone, SecurityLevel: a.level,
			Items: a.items, Materials: materials(fmt.Sprintf("app-%d", a.idx+1), 1, submitMaterials...),
		})
		if err != nil {
			return err
		}
		if err := s.record(ctx, a, workflow.TriggerSubmit, workflow.Application{}, app); err != nil {
			return err
		}
	case actAccept:
		if a.reject < dep.MaxRejections && r.Float64() < auth.RejectRate {
			a.reject++
			err := s.fire(ctx, a, authority, workflow.TriggerReject, workflow.Input{Opinion: rejectOpinions[r.IntN(len(rejectOpinions))]})
			if err != nil {
				return err
			}
		} else if err := s.fire(ctx, a, authority, workflow.TriggerAccept, workflow.Input{}); err != nil {
			return err
		}
	case actResubmit:
		rev := &workflow.Revision{Items: scaleItems(r, a.cur.Items, 0.8, 1.2)}
		if err := s.fire(ctx, a, s.deptActor(a), workflow.TriggerResubmit, workflow.Input{
			Revision: rev, Materials: materials(a.cur.ID, 1+a.reject, submitMaterials...)}); err != nil {
			return err
		}
	case actWithdraw:
		if err := s.fire(ctx, a, s.deptActor(a), workflow.TriggerWithdraw, workflow.Input{Opinion: "系统建设计划调整,撤回申请"}); err != nil {
			return err
		}
	case actApprove:
		if r.Float64() < auth.DenyRate {
			if err := s.fire(ctx, a, authority, workflow.TriggerDeny, workflow.Input{Opinion: denyOpinions[r.IntN(len(denyOpinions))]}); err != nil {
				return err
			}
			break
		}
		in := workflow.Input{TrialDays: auth.TrialDaysMin + r.IntN(auth.TrialDaysMax-auth.TrialDaysMin+1)}
		if len(s.sc.Vendors) > 1 && r.Float64() < auth.ReassignRate {
			in.Vendor = s.sc.Vendors[(a.vendor+1+r.IntN(len(s.sc.Vendors)-1))%len(s.sc.Vendors)].ID
		}
		err := s.fire(ctx, a, authority, workflow.TriggerApprove, in)
		if errors.Is(err, quota.ErrQuotaExceeded) {
			// The department's yearly quota cannot cover it now: wait for
			// resources to be released, then give up.
			a.quotaRefusals++
			if a.quotaRefusals <= s.sc.Quota.MaxRetries {
				t, err := s.after(r, now, s.sc.Quota.Retry)
				if err == nil {
					s.schedule(a.idx, t, actApprove)
				}
				return err
			}
			a.quotaDenied = true
			err = s.fire(ctx, a, authority, workflow.TriggerDeny, workflow.Input{Opinion: "年度配额不足,不予批准"})
		}
		if err != nil {
			return err
		}
		a.vendor = s.vendorOf[a.cur.Vendor]
	case actTest:
		kind := a.pending[0]
		fail := map[workflow.TestKind]float64{workflow.TestFunction: dep.FunctionFailRate,
			workflow.TestPerformance: dep.PerformanceFailRate, workflow.TestSecurity: dep.SecurityFailRate}[kind]
		passed := r.Float64() >= fail
		rep := &workflow.TestReport{Kind: kind, Passed: passed}
		if a.level >= 3 && kind != workflow.TestFunction {
			rep.ThirdParty, rep.Lab = true, "浙江省软件测评中心(CNAS L0000)"
		}
		a.reports++
		rep.Report = attachment(a.cur.ID, "test_"+string(kind), a.reports)
		if err := s.fire(ctx, a, s.deptActor(a), workflow.TriggerRecordTestReport, workflow.Input{TestReport: rep}); err != nil {
			return err
		}
		if passed {
			a.pending = a.pending[1:]
		} else if a.cur.State == workflow.StateTrial && r.Float64() >= dep.RetestRate {
			t, err := s.after(r, now, scaleLatency(dep.Test, 0.2))
			if err != nil {
				return err
			}
			s.schedule(a.idx, t, actFailTrial)
			return nil
		}
		return s.scheduleTest(a, now)
	case actExtend:
		t := a.cur.Trial
		if err := s.fire(ctx, a, authority, workflow.TriggerExtendTrial, workflow.Input{
			TrialDays: min(7+r.IntN(9), 30-t.ExtensionDays), Opinion: "同意延长试用"}); err != nil {
			return err
		}
		return s.scheduleTest(a, now)
	case actSubmitTests:
		if err := s.fire(ctx, a, s.deptActor(a), workflow.TriggerSubmitTests, workflow.Input{}); err != nil {
			return err
		}
	case actFailTrial:
		if err := s.fire(ctx, a, s.deptActor(a), workflow.TriggerFailTrial, workflow.Input{Opinion: "测试未通过,放弃上云,申请回收试用资源"}); err != nil {
			return err
		}
	case actExpire:
		if err := s.fire(ctx, a, authority, workflow.TriggerExpireTrial, workflow.Input{}); err != nil {
			return err
		}
	case actFinal:
		if r.Float64() < auth.RejectFinalRate {
			if err := s.fire(ctx, a, authority, workflow.TriggerRejectFinal, workflow.Input{Opinion: "测试报告不完整,请补充后重新提交"}); err != nil {
				return err
			}
			break
		}
		if err := s.fire(ctx, a, authority, workflow.TriggerActivate, workflow.Input{}); err != nil {
			return err
		}
	case actRequestChange:
		major := r.Float64() < dep.MajorChangeRate
		mats := materials(a.cur.ID, 10+a.changes, workflow.MaterialChangePlan)
		if major {
			mats = append(mats, materials(a.cur.ID, 10+a.changes, submitMaterials...)...)
			a.majorChanges++
		}
		a.changes++
		reason := "业务量增长,扩容"
		if major {
			reason = "系统架构升级(重大变更)"
		}
		if err := s.fire(ctx, a, s.deptActor(a), workflow.TriggerRequestChange, workflow.Input{Materials: mats,
			Change: &workflow.ChangeSpec{Items: scaleItems(r, a.cur.Items, 0.7, 1.6), Major: major, Reason: reason}}); err != nil {
			return err
		}
	case actChangeReview:
		trig, in := workflow.TriggerApproveChange, workflow.Input{}
		if r.Float64() < auth.DenyChangeRate {
			trig, in = workflow.TriggerDenyChange, workflow.Input{Opinion: "变更理由不充分"}
		}
		err := s.fire(ctx, a, authority, trig, in)
		if errors.Is(err, quota.ErrQuotaExceeded) {
			s.heldBack.Changes++
			err = s.fire(ctx, a, authority, workflow.TriggerDenyChange, workflow.Input{Opinion: "年度配额不足,变更不予批准"})
		}
		if err != nil {
			return err
		}
	case actRequestTermination:
		if err := s.fire(ctx, a, s.deptActor(a), workflow.TriggerRequestTermination, workflow.Input{
			Materials: materials(a.cur.ID, 1, workflow.MaterialOffboardingConfirmation, workflow.MaterialDataBackup)}); err != nil {
			return err
		}
	case actTerminationReview:
		trig, in := workflow.TriggerApproveTermination, workflow.Input{}
		if r.Float64() < auth.DenyTerminationRate {
			trig, in = workflow.TriggerDenyTermination, workflow.Input{Opinion: "数据备份材料不全"}
		}
		if err := s.fire(ctx, a, authority, trig, in); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown action %d", ev.act)
	}
	return s.plan(a, now)
}

var rejectOpinions = []string{"建设方案缺少资源测算依据", "自测报告不完整", "云资源需求与建设方案不一致"}
var denyOpinions = []string{"与已有系统功能重复,建议整合", "资源需求明显超出业务规模"}

// plan schedules the next act of an application that has just entered its state.
func (s *Sim) plan(a *appSim, now time.Time) error {
	r := a.rng
	auth, dep := s.sc.Authority, s.sc.Department
	at := func(l Latency, act action) error {
		t, err := s.after(r, now, l)
		if err == nil {
			s.schedule(a.idx, t, act)
		}
		return err
	}
	switch a.cur.State {
	case workflow.StateSubmitted:
		if r.Float64() < dep.WithdrawRate {
			return at(scaleLatency(auth.Accept, 0.5), actWithdraw)
		}
		return at(auth.Accept, actAccept)
	case workflow.StateRejected:
		if r.Float64() < dep.ResubmitRate {
			return at(dep.Resubmit, actResubmit)
		}
		return at(dep.Resubmit, actWithdraw)
	case workflow.StateAccepted:
		if r.Float64() < dep.WithdrawRate/2 {
			return at(scaleLatency(auth.Approve, 0.5), actWithdraw)
		}
		return at(auth.Approve, actApprove)
	case workflow.StateProvisioning, workflow.StateChangeExecuting, workflow.StateReclaiming:
		// The vendor's work order: the platform's dispatcher sends it to the
		// vendor (vendors.go) and records its completion.
		return nil
	case workflow.StateTrial, workflow.StateChangeTesting:
		// Entered just now (acts inside the state schedule their own successor).
		a.pending = s.requiredTests(a)
		if a.cur.State == workflow.StateTrial && r.Float64() < dep.AbandonRate {
			a.abandoned = true
			return s.scheduleExpiry(a)
		}
		return s.scheduleTest(a, now)
	case workflow.StateFinalReview:
		a.pending = nil
		return at(auth.FinalReview, actFinal)
	case workflow.StateActive:
		a.pending = nil
		days := dep.ActiveDaysMin + r.IntN(dep.ActiveDaysMax-dep.ActiveDaysMin+1)
		t, err := s.afterHours(now.Add(time.Duration(days)*24*time.Hour), r.Float64()*7)
		if err != nil {
			return err
		}
		switch x := r.Float64(); {
		case x < dep.ChangeRate/math.Pow(2, float64(a.changes)):
			s.schedule(a.idx, t, actRequestChange)
		case x < dep.ChangeRate/math.Pow(2, float64(a.changes))+dep.TerminationRate:
			s.schedule(a.idx, t, actRequestTermination)
		}
		return nil
	case workflow.StateChangeReview:
		return at(auth.ChangeReview, actChangeReview)
	case workflow.StateTerminationReview:
		return at(auth.TerminationReview, actTerminationReview)
	}
	return nil // terminal
}

// requiredTests lists the tests of the current round: all three in a trial,
// performance and security after a major change.
func (s *Sim) requiredTests(a *appSim) []workflow.TestKind {
	if a.cur.State == workflow.StateChangeTesting {
		return []workflow.TestKind{workflow.TestPerformance, workflow.TestSecurity}
	}
	return []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity}
}

// scheduleTest schedules the next test (or the submission of the results). In a
// trial, work that would end after the trial asks the authority for an extension
// or lets the trial expire.
func (s *Sim) scheduleTest(a *appSim, now time.Time) error {
	r := a.rng
	dep := s.sc.Department
	act, l := actTest, dep.Test
	if len(a.pending) == 0 {
		act, l = actSubmitTests, scaleLatency(dep.Test, 0.3)
	}
	t, err := s.after(r, now, l)
	if err != nil {
		return err
	}
	if tr := a.cur.Trial; a.cur.State == workflow.StateTrial && tr != nil && !t.Before(tr.End) {
		pol := s.policy.Trial
		if tr.Extensions < pol.MaxExtensions && tr.ExtensionDays < pol.MaxExtensionDays && r.Float64() < s.sc.Authority.ExtendRate {
			// The authority consents before the end, halfway through what is left
			// (at once when the trial has already ended).
			s.schedule(a.idx, now.Add(max(tr.End.Sub(now)/2, 0)), actExtend)
			return nil
		}
		return s.scheduleExpiry(a)
	}
	s.schedule(a.idx, t, act)
	return nil
}

func (s *Sim) scheduleExpiry(a *appSim) error {
	t, err := s.after(a.rng, a.cur.Trial.End, s.sc.Authority.ExpireAfter)
	if err != nil {
		return err
	}
	s.schedule(a.idx, t, actExpire)
	return nil
}

func scaleLatency(l Latency, f float64) Latency {
	return Latency{MedianHours: l.MedianHours * f, Spread: l.Spread, MaxHours: l.MaxHours * f}
}

// scaleItems returns items with every quantity scaled by a factor drawn in [lo, hi)
// (at least 1).
func scaleItems(r *rand.Rand, items []workflow.Item, lo, hi float64) []workflow.Item {
	out := make([]workflow.Item, len(items))
	for i, it := range items {
		q := int64(math.Round(float64(it.Quantity) * (lo + r.Float64()*(hi-lo))))
		out[i] = workflow.Item{Code: it.Code, Quantity: max(q, 1)}
	}
	return out
}

// beijingDay formats an instant as a Beijing date.
func beijingDay(t time.Time) string { return calendar.DateOf(t).String() }
