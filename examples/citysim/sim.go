package main

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	govcloud "github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// simClock is the simulated clock: the engine reads the instant of the event being
// handled. It is safe for concurrent use (the database may read it from its own
// goroutines).
type simClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *simClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *simClock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// idGen gives deterministic IDs "<prefix>-<n>" with one counter per prefix; the
// simulator sets the prefix before each call into the engine ("app" before a
// submission, "wo" before a transition that may open a work order).
type idGen struct {
	mu     sync.Mutex
	prefix string
	n      map[string]int
}

func newIDGen() *idGen { return &idGen{prefix: "id", n: map[string]int{}} }

func (g *idGen) NewID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n[g.prefix]++
	return fmt.Sprintf("%s-%06d", g.prefix, g.n[g.prefix])
}

func (g *idGen) use(prefix string) { g.mu.Lock(); g.prefix = prefix; g.mu.Unlock() }

// deadlineCalendar is the engine's calendar: the official calendar, falling back to
// the provisional Monday–Friday view past its coverage; it remembers whether it had to.
type deadlineCalendar struct {
	pc          calendar.ProvisionalCalendar
	mu          sync.Mutex
	provisional bool
}

func (c *deadlineCalendar) Deadline(t time.Time, n int) (time.Time, error) {
	d, basis, err := c.pc.Deadline(t, n)
	if err == nil && basis == calendar.BasisProvisional {
		c.mu.Lock()
		c.provisional = true
		c.mu.Unlock()
	}
	return d, err
}

// action is what an event makes an actor do.
type action uint8

const (
	actSubmit action = iota + 1
	actAccept
	actResubmit
	actWithdraw
	actApprove
	actProvide
	actTest
	actExtend
	actSubmitTests
	actFailTrial
	actExpire
	actFinal
	actRequestChange
	actChangeReview
	actCompleteChange
	actRequestTermination
	actTerminationReview
	actReclaim
	// actDispatch is a round of the platform's vendor pipeline (app −1).
	actDispatch
)

// event is one scheduled act. Events are ordered by (at, seq): seq is the order of
// scheduling, so ties are deterministic.
type event struct {
	at  time.Time
	seq uint64
	app int
	act action
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// Department is one using department (使用单位).
type Department struct {
	ID     string
	Name   string
	Weight float64 // relative number of applications
	Vendor int     // index of the hosting vendor in Scenario.Vendors
	Zone   workflow.Zone
	Tier   quota.TierKind
}

// Act is one transition the simulator made, as the simulator saw it: the
// application's responsible party and due instant before the act. The summary's
// on-time figures come from these; the tests check them against the audit trail.
type Act struct {
	App        int
	Trigger    workflow.Trigger
	From, To   workflow.State
	Party      workflow.Party
	Due        time.Time
	At         time.Time
	Department string
	Vendor     string
	// Late is !At.Before(Due) for a deadline; LateWorkdays counts the working days
	// after the last allowed day up to the day of the act.
	Late         bool
	LateWorkdays int
}

// appSim is the simulator's view of one application.
type appSim struct {
	idx       int
	rng       *rand.Rand
	dept      int
	vendor    int
	arrival   time.Time
	cur       workflow.Application
	items     []workflow.Item
	name      string
	level     int
	zone      workflow.Zone
	reject    int
	changes   int
	pending   []workflow.TestKind // tests still to pass in the current round
	abandoned bool
	reports   int
	// quotaRefusals counts approvals the department's quota could not cover;
	// quotaDenied is set when the authority gave up and denied.
	quotaRefusals int
	quotaDenied   bool
	majorChanges  int
}

// Hook lets a later stage follow the simulation (billing, vendors, assessment): it
// sees every committed transition in simulated time order.
type Hook interface {
	AfterAct(ctx context.Context, s *Sim, a Act, app workflow.Application) error
}

// Preparer is a Hook that sets the platform up before the year starts (billing
// loads its catalog and budgets).
type Preparer interface {
	Prepare(ctx context.Context, s *Sim) error
}

// Finisher is a Hook that completes its work after the year (settlement,
// assessment) and returns the summary sections it adds, in order.
type Finisher interface {
	Finish(ctx context.Context, s *Sim) ([]Section, error)
}

// Sim is one simulation run.
type Sim struct {
	sc       Scenario
	p        *govcloud.Platform
	eng      *workflow.Engine
	pc       calendar.ProvisionalCalendar
	dcal     *deadlineCalendar
	hours    calendar.OfficeHours
	clock    *simClock
	ids      *idGen
	q        eventQueue
	seq      uint64
	apps     []*appSim
	depts    []Department
	vendorOf map[string]int
	start    time.Time // 00:00 1 January, Beijing
	end      time.Time // 00:00 1 January of the next year
	acts     []Act
	hooks    []Hook
	progress io.Writer
	dbLabel  string
	events   int
	quota    *QuotaPlan
	heldBack HeldBack
	policy   workflow.Policy
	vend     *vendorSim // the vendors (simprovider) behind the dispatcher
	extra    []Section  // sections of the Finishers, appended to the Report
	timings  Timings
}

// Options configure a run besides the scenario.
type Options struct {
	// OutDir receives the SQLite database citysim.db (removed and recreated).
	OutDir string
	// PostgresDSN runs on PostgreSQL instead; the database (schema) must hold no
	// applications yet.
	PostgresDSN string
	// Progress receives a progress line (nil: none).
	Progress io.Writer
	// Hooks follow the run.
	Hooks []Hook
}

// Timings is where a run's wall time went, by stage. It is measured with the
// process's real clock (never the simulated one) and is not part of the
// deterministic output; BenchmarkScale reports it.
type Timings struct {
	// Setup: opening the platform, drawing departments and arrivals, quota,
	// the catalog and budgets (NewSim).
	Setup time.Duration
	// Lifecycle: the applications' acts — workflow transitions with their
	// quota participant.
	Lifecycle time.Duration
	// Dispatch: vendor rounds — outbox relay, dispatcher, completions.
	Dispatch time.Duration
	// MonthClose: billing's metering, statements, audits and approvals of
	// each month (also when an act or a round triggers it).
	MonthClose time.Duration
	// YearEnd: the Finishers — settlement and files, assessment, report —
	// without December's month close.
	YearEnd time.Duration
	// Summary: verifying every audit chain and gathering the summary
	// (Report), as the command does after Run.
	Summary time.Duration
}

// String is the stages in Chinese and English, in seconds.
func (t Timings) String() string {
	parts := make([]string, 0, 6)
	for _, st := range t.Stages() {
		parts = append(parts, fmt.Sprintf("%s %s %.1fs", st.Chinese, st.English, st.D.Seconds()))
	}
	return strings.Join(parts, " · ")
}

// Stage is one stage of Timings, named in Chinese and English, with the
// benchmark metric that reports it in seconds.
type Stage struct {
	Chinese, English, Metric string
	D                        time.Duration
}

// Stages lists t's stages in run order.
func (t Timings) Stages() []Stage {
	return []Stage{{"准备", "setup", "setup-s", t.Setup}, {"流转", "lifecycle", "lifecycle-s", t.Lifecycle},
		{"派发", "dispatch", "dispatch-s", t.Dispatch}, {"月结", "month close", "monthclose-s", t.MonthClose},
		{"年终", "year end", "yearend-s", t.YearEnd}, {"汇总", "summary", "summary-s", t.Summary}}
}

var (
	authority = workflow.Actor{Role: workflow.RoleAuthority, ID: "市大数据局"}
)

// NewSim opens the platform and draws the year's departments and arrivals.
func NewSim(ctx context.Context, sc Scenario, o Options) (*Sim, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	started := time.Now()
	cal := calendar.China()
	s := &Sim{
		sc:       sc,
		pc:       cal.WithProvisional(),
		hours:    calendar.StandardOfficeHours(),
		clock:    &simClock{},
		ids:      newIDGen(),
		vendorOf: map[string]int{},
		start:    time.Date(sc.Year, time.January, 1, 0, 0, 0, 0, calendar.Beijing()),
		end:      time.Date(sc.Year+1, time.January, 1, 0, 0, 0, 0, calendar.Beijing()),
		hooks:    o.Hooks,
		progress: o.Progress,
	}
	s.dcal = &deadlineCalendar{pc: s.pc}
	s.clock.set(s.start)
	for i, v := range sc.Vendors {
		s.vendorOf[v.ID] = i
	}
	popts := govcloud.Options{Calendar: s.dcal, Clock: s.clock, IDs: s.ids}
	vend, providers, vopts, err := newVendorSim(sc, s.clock, dispatchBatch)
	if err != nil {
		return nil, err
	}
	s.vend, popts.Providers, popts.Vendors = vend, providers, vopts
	popts.Billing.BillTrial = sc.Billing.BillTrial
	if popts.Policy, err = sc.workflowPolicy(); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(o.Hooks, func(h Hook) bool { _, ok := h.(*BillingStage); return ok }) {
		// No billing catalog will be loaded: quota reserves by the catalog's footprints.
		popts.Footprints = simFootprints()
	}
	if o.PostgresDSN != "" {
		popts.PostgresDSN = o.PostgresDSN
		s.dbLabel = "PostgreSQL (-db)"
	} else {
		dir := o.OutDir
		if dir == "" {
			dir = "out"
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "citysim.db")
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
		popts.SQLitePath = path
		// The database is recreated by every run, and the run's output does
		// not depend on it surviving a crash: skip fsync (results unchanged),
		// and hold the file on one connection, so that reads hit a page cache
		// the writer keeps valid (≈1.5× faster than a reader pool).
		popts.SQLiteSynchronous = "OFF"
		popts.SQLiteExclusive = true
		s.dbLabel = "SQLite citysim.db (-out)" // not the path: the same seed prints the same bytes
	}
	p, err := govcloud.Open(ctx, popts)
	if err != nil {
		return nil, err
	}
	s.p, s.eng = p, p.Workflow()
	s.policy = s.eng.Policy()
	if o.PostgresDSN != "" {
		existing, err := s.eng.List(ctx, authority, workflow.ApplicationFilter{Limit: 1})
		if err != nil {
			p.Close()
			return nil, err
		}
		if len(existing) > 0 {
			p.Close()
			return nil, fmt.Errorf("citysim: the PostgreSQL database already holds applications (e.g. %s): give -db a fresh database or schema (search_path) so the run is reproducible", existing[0].ID)
		}
	}
	if err := s.populate(); err != nil {
		p.Close()
		return nil, err
	}
	if err := s.setupQuota(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("citysim: quota: %w", err)
	}
	for _, h := range s.hooks {
		if pr, ok := h.(Preparer); ok {
			if err := pr.Prepare(ctx, s); err != nil {
				p.Close()
				return nil, err
			}
		}
	}
	s.timings.Setup = time.Since(started)
	return s, nil
}

// Timings returns where the run's wall time went so far.
func (s *Sim) Timings() Timings { return s.timings }

// timed runs f and adds its wall time to *stage, without the month closes
// that happened inside it (they count as MonthClose).
func (s *Sim) timed(stage *time.Duration, f func() error) error {
	start, closing := time.Now(), s.timings.MonthClose
	err := f()
	*stage += time.Since(start) - (s.timings.MonthClose - closing)
	return err
}

// Close closes the platform.
func (s *Sim) Close() error { return s.p.Close() }

// Platform returns the simulated platform (for later stages and tests).
func (s *Sim) Platform() *govcloud.Platform { return s.p }

// schedule queues an act of application i at t (not before the current instant).
func (s *Sim) schedule(i int, at time.Time, act action) {
	if now := s.clock.Now(); at.Before(now) {
		at = now
	}
	s.seq++
	heap.Push(&s.q, event{at: at, seq: s.seq, app: i, act: act})
}

// Run simulates the year: every event before 00:00 on 1 January of the next year.
func (s *Sim) Run(ctx context.Context) error {
	lastMonth := time.Month(0)
	for s.q.Len() > 0 {
		ev := heap.Pop(&s.q).(event)
		if !ev.at.Before(s.end) {
			heap.Push(&s.q, ev) // stays pending at year end
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.clock.set(ev.at)
		s.events++
		if m := ev.at.In(calendar.Beijing()).Month(); s.progress != nil && (m != lastMonth || s.events%2000 == 0) {
			lastMonth = m
			fmt.Fprintf(s.progress, "\rcitysim: 模拟 simulating %s · %d 次流转 transitions · %d 个待办 pending   ",
				beijingDay(ev.at), len(s.acts), s.q.Len())
		}
		if ev.act == actDispatch {
			if err := s.timed(&s.timings.Dispatch, func() error { return s.dispatchRound(ctx) }); err != nil {
				return fmt.Errorf("citysim: vendor dispatch at %s: %w", ev.at.In(calendar.Beijing()).Format("2006-01-02 15:04"), err)
			}
			continue
		}
		if err := s.timed(&s.timings.Lifecycle, func() error { return s.handle(ctx, ev) }); err != nil {
			a := s.apps[ev.app]
			return fmt.Errorf("citysim: %s of application %d (%s) at %s: %w", actionName(ev.act), ev.app+1, a.cur.ID,
				ev.at.In(calendar.Beijing()).Format("2006-01-02 15:04"), err)
		}
	}
	s.clock.set(s.end)
	if s.progress != nil {
		fmt.Fprintf(s.progress, "\rcitysim: 模拟 simulated %d · %d 次流转 transitions · %d 个事件 events                 \n",
			s.sc.Year, len(s.acts), s.events)
	}
	for _, h := range s.hooks {
		if f, ok := h.(Finisher); ok {
			var secs []Section
			err := s.timed(&s.timings.YearEnd, func() error {
				var err error
				secs, err = f.Finish(ctx, s)
				return err
			})
			if err != nil {
				return err
			}
			s.extra = append(s.extra, secs...)
		}
	}
	s.clock.set(s.end)
	return nil
}

// record notes the transition from before to after and runs the hooks.
func (s *Sim) record(ctx context.Context, a *appSim, trig workflow.Trigger, before, after workflow.Application) error {
	act := Act{App: a.idx, Trigger: trig, From: before.State, To: after.State, At: s.clock.Now(),
		Department: before.Department, Vendor: before.Vendor}
	if trig == workflow.TriggerSubmit {
		act.Department, act.Vendor = after.Department, after.Vendor
	}
	if before.State != after.State && before.State != workflow.StateNone {
		act.Party, act.Due = before.Party, before.Due
		if !before.Due.IsZero() && !act.At.Before(before.Due) {
			act.Late = true
			n, err := s.lateWorkdays(before.Due, act.At)
			if err != nil {
				return err
			}
			act.LateWorkdays = n
		}
	}
	a.cur = after
	s.acts = append(s.acts, act)
	s.noteAct(a, before, after, trig)
	for _, h := range s.hooks {
		if err := h.AfterAct(ctx, s, act, after); err != nil {
			return err
		}
	}
	return nil
}

// lateWorkdays counts working days in (last allowed day, day of at], Beijing dates.
func (s *Sim) lateWorkdays(due, at time.Time) (int, error) {
	last := calendar.DateOf(due.Add(-time.Microsecond))
	n, _, err := s.pc.WorkdaysBetween(last, calendar.DateOf(at))
	return max(n, 0), err
}

// after returns the instant a latency drawn by rng after now falls on, in office
// time on working days.
func (s *Sim) after(rng *rand.Rand, now time.Time, l Latency) (time.Time, error) {
	return s.afterHours(now, drawHours(rng, l))
}

func (s *Sim) afterHours(now time.Time, h float64) (time.Time, error) {
	d := time.Duration(h * float64(time.Hour)).Truncate(time.Minute)
	t, _, err := s.pc.AddWorkingTime(now, max(d, time.Minute), s.hours)
	return t, err
}
