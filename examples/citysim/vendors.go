package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	govcloud "github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/adapters/simprovider"
	"github.com/opengovcloud/govcloud/dispatch"
	"github.com/opengovcloud/govcloud/workflow"
)

// ErrWorkOrderLost is returned when the work orders do not balance: some work
// order opened by the workflow is neither completed, nor open at the
// dispatcher, nor raised to the operator.
var ErrWorkOrderLost = errors.New("citysim: work orders do not balance")

// dispatchOwner names the simulation's dispatcher in leases and attempts.
const dispatchOwner = "citysim"

// dispatchBatch is the most jobs the dispatcher attempts per round (a round
// repeats while it is full).
const dispatchBatch = 16

// vendorSim runs the vendors: one seeded simprovider per scenario vendor,
// passed to the platform as Options.Providers; the platform's dispatcher
// sends, polls and retries their work orders in rounds the event loop
// schedules (actDispatch), and the simulator records the completions the
// dispatcher made in the workflow.
type vendorSim struct {
	providers map[string]*simprovider.Sim
	batch     int
	// ticks are the instants (Unix ns) with a dispatch round queued.
	ticks map[int64]bool
	// deliver is set when a transition that gives the dispatcher a job was
	// committed since the last delivery of the outbox.
	deliver bool
	// orders are the work orders opened, in order; byID indexes them.
	orders []*workOrderRec
	byID   map[string]*workOrderRec
	// reported lists the work orders the vendors reported done (sink), in
	// order, until the simulator sees them completed in the workflow.
	mu       sync.Mutex
	reported []string
	// raised lists the jobs the dispatcher raised to the operator since the
	// last round (VendorOptions.OnFailure).
	raised []dispatch.Job
}

// workOrderRec is one work order as the simulator saw it.
type workOrderRec struct {
	id        string
	app       int
	vendor    string
	kind      workflow.WorkOrderKind
	opened    time.Time
	completed time.Time // zero while open
}

// vendorSink receives the completions a simprovider notices (settled
// operations); successful ones of work orders are remembered.
type vendorSink struct{ v *vendorSim }

func (k vendorSink) Complete(_ context.Context, c govcloud.Completion) error {
	if c.Error == nil && c.WorkOrder != "" {
		k.v.mu.Lock()
		k.v.reported = append(k.v.reported, c.WorkOrder)
		k.v.mu.Unlock()
	}
	return nil
}

// permille converts a probability to ‰.
func permille(p float64) int { return int(math.Round(p * 1000)) }

// hoursOf converts a working-hour count to a duration (minute precision).
func hoursOf(h float64) time.Duration {
	return time.Duration(h * float64(time.Hour)).Truncate(time.Minute)
}

// uniformOf maps a log-normal latency to simprovider's uniform one: its 10th to
// 90th percentile, capped at MaxHours.
func uniformOf(l Latency) simprovider.Latency {
	const z90 = 1.2815515655446004
	lo := hoursOf(min(l.MedianHours*math.Exp(-z90*l.Spread), l.MaxHours))
	hi := hoursOf(min(l.MedianHours*math.Exp(z90*l.Spread), l.MaxHours))
	return simprovider.Latency{Min: max(lo, time.Minute), Max: max(hi, lo, time.Minute)}
}

// newVendorSim builds the scenario's vendors on the simulated clock and
// returns them with the platform options that wire them to the dispatcher.
func newVendorSim(sc Scenario, clock simprovider.Clock, batch int) (*vendorSim, map[string]govcloud.Provider, govcloud.VendorOptions, error) {
	v := &vendorSim{providers: map[string]*simprovider.Sim{}, batch: batch, ticks: map[int64]bool{}, byID: map[string]*workOrderRec{}}
	providers := map[string]govcloud.Provider{}
	for i, spec := range sc.Vendors {
		p, err := simprovider.New(simprovider.Options{
			Vendor: spec.ID,
			Seed:   sc.Seed*1_000_003 + uint64(i) + 1,
			Clock:  clock,
			Latency: map[govcloud.Op]simprovider.Latency{
				govcloud.OpProvision: uniformOf(spec.TrialEnvironment),
				govcloud.OpChange:    uniformOf(spec.Change),
				govcloud.OpReclaim:   uniformOf(spec.Reclaim),
			},
			Faults: simprovider.Faults{Timeout: permille(spec.Faults.TimeoutRate), ServerError: permille(spec.Faults.ServerErrorRate),
				Partial: permille(spec.Faults.PartialRate)},
			Sink: vendorSink{v},
		})
		if err != nil {
			return nil, nil, govcloud.VendorOptions{}, fmt.Errorf("vendor %s: %w", spec.ID, err)
		}
		v.providers[spec.ID] = p
		providers[spec.ID] = p
	}
	d := sc.Dispatch
	vo := govcloud.VendorOptions{Owner: dispatchOwner, Seed: sc.Seed, BaseBackoff: time.Duration(d.BaseBackoffMinutes) * time.Minute,
		MaxBackoff: time.Duration(d.MaxBackoffMinutes) * time.Minute, MaxAttempts: d.MaxAttempts, Batch: batch,
		OnFailure: func(j dispatch.Job) { v.mu.Lock(); v.raised = append(v.raised, j); v.mu.Unlock() }}
	return v, providers, vo, nil
}

// noteAct follows a committed transition: a newly opened work order is
// remembered, and a transition that gives the dispatcher a job (a work order,
// or the promotion at go-live) queues a dispatch round at once.
func (s *Sim) noteAct(a *appSim, before, after workflow.Application, trig workflow.Trigger) {
	v := s.vend
	if wo := after.OpenWorkOrder; wo != "" && wo != before.OpenWorkOrder {
		r := &workOrderRec{id: wo, app: a.idx, vendor: after.Vendor, kind: stepOfState[after.State], opened: s.clock.Now()}
		v.orders = append(v.orders, r)
		v.byID[wo] = r
		v.deliver = true
		s.scheduleDispatch(s.clock.Now())
	} else if trig == workflow.TriggerActivate && before.State == workflow.StateFinalReview {
		v.deliver = true
		s.scheduleDispatch(s.clock.Now())
	}
}

// scheduleDispatch queues a dispatch round at t unless one is queued then.
func (s *Sim) scheduleDispatch(t time.Time) {
	if now := s.clock.Now(); t.Before(now) {
		t = now
	}
	k := t.UnixNano()
	if s.vend.ticks[k] {
		return
	}
	s.vend.ticks[k] = true
	s.schedule(-1, t, actDispatch)
}

// dispatchRound runs the platform's vendor pipeline at the current instant
// (outbox → dispatcher → vendors), records the work orders the dispatcher
// completed in the workflow and plans those applications' next acts, then
// queues the next round at the earliest instant a job is due.
func (s *Sim) dispatchRound(ctx context.Context) error {
	now := s.clock.Now()
	delete(s.vend.ticks, now.UnixNano())
	s.ids.use("lease") // relay lease IDs must not shift the work order numbers
	v := s.vend
	for {
		// A round after new jobs is the platform's full DispatchOnce (outbox
		// → dispatcher → vendors); a round that only polls and retries
		// (nothing new in the outbox can be a job: the dispatcher's own
		// completions open no work order) skips the outbox delivery, which
		// costs a write transaction per call on SQLite.
		var n int
		var err error
		if v.deliver {
			v.deliver = false
			var r govcloud.DispatchRound
			r, err = s.p.DispatchOnce(ctx)
			n = r.Attempted
		} else {
			n, err = s.p.Dispatcher().RunOnce(ctx)
		}
		if err != nil {
			return fmt.Errorf("dispatch: %w", err)
		}
		if n < v.batch {
			break
		}
	}
	v.mu.Lock()
	reported, raised := v.reported, v.raised
	v.reported, v.raised = nil, nil
	v.mu.Unlock()
	for _, j := range raised {
		// The operator: a go-live notice the vendor refuses because the
		// environment is already formal (the re-activation after a major
		// change's tests) owes nothing, so it is abandoned and the
		// application's later jobs may proceed. Raised work orders stay
		// raised: they are the vendor's, overdue, and counted.
		if j.WorkOrder == "" && j.Op == govcloud.OpPromote && j.LastCode == govcloud.CodeInvalidState {
			if err := s.p.Dispatcher().Abandon(ctx, j.Key); err != nil {
				return fmt.Errorf("abandon %s: %w", j.Key, err)
			}
			s.scheduleDispatch(now)
		}
	}
	var keep []string
	for _, wo := range reported {
		rec := v.byID[wo]
		if rec == nil || !rec.completed.IsZero() {
			continue
		}
		a := s.apps[rec.app]
		got, err := s.eng.Get(ctx, authority, a.cur.ID)
		if err != nil {
			return err
		}
		if got.OpenWorkOrder == wo {
			keep = append(keep, wo) // the dispatcher has not recorded it yet
			continue
		}
		if got.Version != a.cur.Version+1 {
			return fmt.Errorf("work order %s of %s: version %d after completion, want %d", wo, a.cur.ID, got.Version, a.cur.Version+1)
		}
		trig, ok := completionTrigger[a.cur.State]
		if !ok {
			return fmt.Errorf("work order %s of %s completed in state %s", wo, a.cur.ID, a.cur.State)
		}
		rec.completed = now
		if err := s.record(ctx, a, trig, a.cur, got); err != nil {
			return err
		}
		if err := s.plan(a, now); err != nil {
			return err
		}
	}
	if len(keep) > 0 {
		v.mu.Lock()
		v.reported = append(keep, v.reported...)
		v.mu.Unlock()
	}
	// The next round: when the earliest waiting or retrying job falls due
	// (one index probe, not a listing of the jobs).
	next, ok, err := s.p.Dispatcher().NextDue(ctx)
	if err != nil {
		return err
	}
	if ok {
		s.scheduleDispatch(next)
	}
	return nil
}

// completionTrigger is the transition a completed work order makes, by the
// state it leaves.
var completionTrigger = map[workflow.State]workflow.Trigger{
	workflow.StateProvisioning:    workflow.TriggerProvideTrial,
	workflow.StateChangeExecuting: workflow.TriggerCompleteChange,
	workflow.StateReclaiming:      workflow.TriggerCompleteReclaim,
}

// VendorRow is one vendor's line of the vendor section.
type VendorRow struct {
	Vendor, Name string
	// WorkOrders opened for the vendor over the year (the simulator's count).
	WorkOrders int
	// Completed, Open, Raised: the dispatcher's jobs of those work orders by
	// status at year end (done; pending or waiting; failed).
	Completed, Open, Raised int
	// Sends and Polls are the calls the dispatcher made; Retries the
	// retryable failures (each retried), by code.
	Sends, Polls, Retries           int
	Timeouts, ServerErrors, Partial int
	// Permanent counts work orders raised at once, GaveUp those raised after
	// max_attempts (promotions are counted apart).
	Permanent, GaveUp int
	// Steps counts the vendor's acts of 提供试用环境, 变更实施 and 资源回收 with
	// their deadlines.
	Steps StepStat
	// Hours are the completion times of its work orders in working hours
	// (opened → completed), sorted.
	Hours []float64
	// Promotions: go-live notices (no work order) sent, done, and abandoned
	// by the operator (refused as already formal).
	Promotions, PromotionsDone, PromotionsAbandoned int
}

// VendorReport is the vendor section: the work orders each vendor received
// through the dispatcher, the calls it took, and the balance check.
type VendorReport struct {
	Rows []VendorRow
	// Created counts the work orders the simulator saw opened; Completed,
	// Open and Raised the dispatcher's jobs of them by status; InVendorState
	// the applications waiting for a vendor at year end (Open + Raised).
	Created, Completed, Open, Raised int
	// Observed is the completions the simulator recorded (= Completed).
	Observed      int
	InVendorState int
	Faults        []FaultSpec
}

// Balance reports whether no work order was lost: created = completed +
// open + raised, the completions the dispatcher made are those the
// simulator recorded, and the applications still waiting for a vendor are
// the open and raised work orders. The error matches ErrWorkOrderLost.
func (r *VendorReport) Balance() error {
	var errs []string
	if r.Created != r.Completed+r.Open+r.Raised {
		errs = append(errs, fmt.Sprintf("%d created ≠ %d completed + %d open + %d raised", r.Created, r.Completed, r.Open, r.Raised))
	}
	if r.Observed != r.Completed {
		errs = append(errs, fmt.Sprintf("the simulator recorded %d completions, the dispatcher %d", r.Observed, r.Completed))
	}
	if r.InVendorState != r.Open+r.Raised {
		errs = append(errs, fmt.Sprintf("%d applications wait for a vendor, but %d work orders are open or raised", r.InVendorState, r.Open+r.Raised))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrWorkOrderLost, strings.Join(errs, "; "))
}

// vendorReport gathers the vendor section at year end from the simulator's
// observations, the dispatcher's jobs and attempts, and the workflow.
func (s *Sim) vendorReport(ctx context.Context) (*VendorReport, error) {
	r := &VendorReport{}
	rows := map[string]*VendorRow{}
	for _, v := range s.sc.Vendors {
		r.Rows = append(r.Rows, VendorRow{Vendor: v.ID, Name: v.Name})
		r.Faults = append(r.Faults, v.Faults)
	}
	for i := range r.Rows {
		rows[r.Rows[i].Vendor] = &r.Rows[i]
	}
	row := func(id string) *VendorRow {
		if w := rows[id]; w != nil {
			return w
		}
		r.Rows = append(r.Rows, VendorRow{Vendor: id, Name: id})
		for i := range r.Rows { // re-index: append may move the rows
			rows[r.Rows[i].Vendor] = &r.Rows[i]
		}
		return rows[id]
	}
	for _, o := range s.vend.orders {
		w := row(o.vendor)
		w.WorkOrders++
		r.Created++
		if !o.completed.IsZero() {
			r.Observed++
			d, _, err := s.pc.WorkingTime(o.opened, o.completed, s.hours)
			if err != nil {
				return nil, err
			}
			w.Hours = append(w.Hours, d.Hours())
		}
	}
	for _, a := range s.acts {
		if _, ok := stepOfState[a.From]; ok && a.Party == workflow.PartyVendor {
			row(a.Vendor).Steps.add(a)
		}
	}
	jobs, err := s.p.Database().Jobs().List(ctx)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		w := row(j.Vendor)
		if j.WorkOrder == "" {
			w.Promotions++
			switch j.Status {
			case dispatch.StatusDone:
				w.PromotionsDone++
			case dispatch.StatusAbandoned:
				w.PromotionsAbandoned++
			}
		} else {
			switch j.Status {
			case dispatch.StatusDone:
				w.Completed++
				r.Completed++
			case dispatch.StatusPending, dispatch.StatusWaiting:
				w.Open++
				r.Open++
			default: // failed, or abandoned by an operator
				w.Raised++
				r.Raised++
			}
		}
		atts, err := s.p.VendorAttempts(ctx, j.Key)
		if err != nil {
			return nil, err
		}
		for _, at := range atts {
			if at.Poll {
				w.Polls++
			} else {
				w.Sends++
			}
			switch at.Outcome {
			case dispatch.OutcomeRetryable:
				w.Retries++
			case dispatch.OutcomePermanent:
				if j.WorkOrder != "" {
					w.Permanent++
				}
			case dispatch.OutcomeGaveUp:
				if j.WorkOrder != "" {
					w.GaveUp++
				}
			}
			if at.Outcome == dispatch.OutcomeRetryable || at.Outcome == dispatch.OutcomeGaveUp {
				switch at.Code {
				case govcloud.CodeTimeout:
					w.Timeouts++
				case govcloud.CodeUnavailable:
					w.ServerErrors++
				case govcloud.CodePartial:
					w.Partial++
				}
			}
		}
	}
	for _, a := range s.apps {
		if _, ok := stepOfState[a.cur.State]; ok && a.cur.OpenWorkOrder != "" {
			r.InVendorState++
		}
	}
	for i := range r.Rows {
		slices.Sort(r.Rows[i].Hours)
	}
	return r, nil
}

// meanP95 formats the mean and the 95th percentile (nearest rank) of sorted values.
func meanP95(xs []float64) (string, string) {
	if len(xs) == 0 {
		return "–", "–"
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	k := int(math.Ceil(0.95*float64(len(xs)))) - 1
	return fmt.Sprintf("%.1f", sum/float64(len(xs))), fmt.Sprintf("%.1f", xs[max(k, 0)])
}

// WriteSection implements Section.
func (r *VendorReport) WriteSection(w io.Writer, heading string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s云服务商接口与调度 / vendors through the dispatcher (simprovider, faults injected)\n", heading)
	b.WriteString("注入故障率 injected fault rates (超时 timeout / 服务端错误 server error / 部分交付 partial):")
	for i, row := range r.Rows {
		if i < len(r.Faults) {
			f := r.Faults[i]
			fmt.Fprintf(&b, " %s %.1f%%/%.1f%%/%.1f%%", row.Name, 100*f.TimeoutRate, 100*f.ServerErrorRate, 100*f.PartialRate)
			if i < len(r.Faults)-1 {
				b.WriteString(" ·")
			}
		}
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "云服务商 vendor\t工单 work orders\t发送 sends\t查询 polls\t重试 retries\t超时 timeout\t服务端错误 5xx\t部分交付 partial\t上报运维 raised\t按时率 on time\t平均工时 mean wh\tP95 工时 p95 wh\t")
	for _, row := range r.Rows {
		rate := "–"
		if row.Steps.WithDeadline > 0 {
			rate = percent(row.Steps.OnTime(), row.Steps.WithDeadline)
		}
		mean, p95 := meanP95(row.Hours)
		fmt.Fprintf(tw, "%s %s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", row.Name, row.Vendor, row.WorkOrders, row.Sends, row.Polls, row.Retries,
			row.Timeouts, row.ServerErrors, row.Partial, row.Permanent+row.GaveUp, rate, mean, p95)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var prom, promDone, promAbandoned int
	for _, row := range r.Rows {
		prom += row.Promotions
		promDone += row.PromotionsDone
		promAbandoned += row.PromotionsAbandoned
	}
	fmt.Fprintf(&b, "  按时率 = 提供试用环境、变更实施、资源回收按期完成的比例 / on time: trial environment, change execution, reclaim within their deadlines; 工时 = 工作小时 working hours from work order to completion\n")
	fmt.Fprintf(&b, "  正式环境转换通知 go-live promotions (no work order): %d 已完成 done / %d · 已是正式环境、运维放弃 refused as already formal, abandoned by the operator: %d\n",
		promDone, prom, promAbandoned)
	fmt.Fprintf(&b, "工单无丢失 / no work order lost: %d created = %d completed + %d open + %d raised", r.Created, r.Completed, r.Open, r.Raised)
	if err := r.Balance(); err != nil {
		fmt.Fprintf(&b, " · 不平衡 UNBALANCED: %v\n", err)
	} else {
		fmt.Fprintf(&b, " · 平衡 balanced (模拟器记录完成 %d = 调度器完成 %d; 年末等待服务商的申请 %d = 未完成 + 上报)\n", r.Observed, r.Completed, r.InVendorState)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
