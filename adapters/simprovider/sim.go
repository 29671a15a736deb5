package simprovider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	govcloud "github.com/opengovcloud/govcloud/provider"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// ErrInvalidOptions reports Options that Validate rejects; the error is an
// *OptionError naming the field.
var ErrInvalidOptions = errors.New("simprovider: invalid options")

// OptionError names the wrong Options field. It matches ErrInvalidOptions.
type OptionError struct {
	Field  string
	Reason string
}

func (e *OptionError) Error() string {
	return "simprovider: invalid options: " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidOptions.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }

// Clock gives the current instant. workflow.Clock and *ManualClock satisfy it.
type Clock interface {
	Now() time.Time
}

// Latency is a uniform distribution of working time [Min, Max] (office hours
// on working days of the calendar).
type Latency struct {
	Min, Max time.Duration
}

// Faults are the rates, in ‰ of mutating calls, of the faults the simulator
// injects on its own. Each call draws once, deterministically from the seed,
// the key and the attempt number.
type Faults struct {
	// Timeout: the call fails with a retryable CodeTimeout. Half of the
	// timeouts happen after the request was accepted (the outcome is
	// ambiguous to the caller, as with a real network), half before.
	Timeout int
	// ServerError: the call fails with a retryable CodeUnavailable; nothing
	// is done.
	ServerError int
	// Partial: the operation completes with only part of the items delivered
	// and fails with a retryable CodePartial; sending the key again
	// delivers the rest.
	Partial int
}

// Options configures a simulated vendor.
type Options struct {
	// Vendor is the vendor ID the simulator answers for (required): requests
	// addressed to another vendor are refused.
	Vendor string
	// Seed makes the behaviour reproducible: the same seed and the same
	// calls give the same results.
	Seed uint64
	// Clock is the simulated time (required; never the wall clock in tests).
	Clock Clock
	// Calendar counts working time (nil: calendar.China()).
	Calendar *calendar.Calendar
	// Hours are the office hours of a working day (zero: calendar.StandardOfficeHours()).
	Hours calendar.OfficeHours
	// Latency per operation in working time (missing entries: DefaultLatency).
	Latency map[govcloud.Op]Latency
	// Faults are injected at random (zero: none).
	Faults Faults
	// Items, when not empty, is the catalog the vendor offers: any other item
	// code is refused with a permanent CodeUnknownItem.
	Items []string
	// Sink, if set, receives every completion (success or failure) when
	// Tick or any other call notices it.
	Sink govcloud.CompletionSink
	// IdlePermille is the share of resources that sit idle, in ‰ (default 200).
	IdlePermille int
	// IncidentPermille is the chance per day of an availability incident, in
	// ‰ (default 30, about one a month).
	IncidentPermille int
	// DrillMonth is the month of the yearly emergency drill (default June).
	DrillMonth time.Month
}

// DefaultLatency is the latency of each operation when Options.Latency does
// not set it: well within the regulated deadlines (2 working days for the
// trial environment, 3 for changes and reclaims), with a tail.
func DefaultLatency(op govcloud.Op) Latency {
	switch op {
	case govcloud.OpProvision:
		return Latency{Min: 2 * time.Hour, Max: 12 * time.Hour}
	case govcloud.OpPromote:
		return Latency{Min: 30 * time.Minute, Max: 4 * time.Hour}
	case govcloud.OpChange:
		return Latency{Min: 1 * time.Hour, Max: 16 * time.Hour}
	default:
		return Latency{Min: 1 * time.Hour, Max: 14 * time.Hour}
	}
}

// Validate reports the first wrong field.
func (o *Options) Validate() error {
	switch {
	case strings.TrimSpace(o.Vendor) == "":
		return &OptionError{"Vendor", "is required"}
	case o.Clock == nil:
		return &OptionError{"Clock", "is required (time is injected)"}
	case len(o.Hours.Periods) > 0 && o.Hours.Validate() != nil:
		return &OptionError{"Hours", o.Hours.Validate().Error()}
	}
	for op, l := range o.Latency {
		if !op.Valid() {
			return &OptionError{"Latency", fmt.Sprintf("%q is not an operation", op)}
		}
		if l.Min < 0 || l.Max < l.Min {
			return &OptionError{fmt.Sprintf("Latency[%s]", op), fmt.Sprintf("min %v, max %v: need 0 ≤ min ≤ max", l.Min, l.Max)}
		}
	}
	for name, v := range map[string]int{"Faults.Timeout": o.Faults.Timeout, "Faults.ServerError": o.Faults.ServerError,
		"Faults.Partial": o.Faults.Partial, "IdlePermille": o.IdlePermille, "IncidentPermille": o.IncidentPermille} {
		if v < 0 || v > 1000 {
			return &OptionError{name, fmt.Sprintf("%d is not within 0–1000‰", v)}
		}
	}
	if o.Faults.Timeout+o.Faults.ServerError > 1000 {
		return &OptionError{"Faults", "timeouts and server errors exceed 1000‰"}
	}
	if o.DrillMonth < 0 || o.DrillMonth > time.December {
		return &OptionError{"DrillMonth", fmt.Sprintf("%d is not a month", o.DrillMonth)}
	}
	for i, c := range o.Items {
		if strings.TrimSpace(c) == "" {
			return &OptionError{fmt.Sprintf("Items[%d]", i), "blank item code"}
		}
	}
	return nil
}

// FaultKind is a fault injected on the next mutating call with InjectFault.
type FaultKind int

// The injectable faults.
const (
	// FaultTimeout: the call fails with a retryable CodeTimeout before the
	// request is accepted.
	FaultTimeout FaultKind = iota + 1
	// FaultAcceptedTimeout: the request is accepted, then the call fails with
	// a retryable CodeTimeout (the caller cannot know it was accepted).
	FaultAcceptedTimeout
	// FaultServerError: a retryable CodeUnavailable; nothing is done.
	FaultServerError
	// FaultPartial: the operation is accepted and completes partially with a
	// retryable CodePartial.
	FaultPartial
	// FaultHang: the call blocks until its context ends and returns ctx.Err().
	FaultHang
)

// Sim is a simulated cloud vendor. It implements govcloud.Provider and every
// optional capability. It is safe for concurrent use.
type Sim struct {
	o   Options
	cal *calendar.Calendar

	mu       sync.Mutex
	ops      map[string]*operation
	apps     map[string]*env
	lives    []*life // every resource lifetime ever, in creation order
	injected []FaultKind
	attempts map[string]int        // mutating calls per key, accepted or not
	pending  map[string]*operation // operations to complete by due
	outbox   []govcloud.Completion // completions not yet pushed to the sink
	created  int                   // resources ever created
	pushMu   sync.Mutex
}

type opState int

const (
	statePending opState = iota
	stateDone
	stateFailed    // permanent failure, final
	stateRetryable // partial delivery: the key must be sent again
)

type operation struct {
	key      string
	op       govcloud.Op
	fp       string
	order    govcloud.Order
	target   []govcloud.Item // items after the operation (provision, change)
	accepted time.Time
	due      time.Time
	attempt  int
	partial  bool // this attempt completes partially
	state    opState
	result   *govcloud.Result
	err      *govcloud.ProviderError
}

type env struct {
	app, department string
	id              string
	formal          bool
	reclaimed       bool
	provisioned     bool   // the provision completed at least partly
	busy            string // key of the running operation
	live            map[string]*life
	nres            int
}

// life is one resource at one quantity over [from, to).
type life struct {
	res, app, item string
	qty            int64
	from, to       time.Time // zero to: still running
	idle           bool
}

// New validates o and returns a simulator.
func New(o Options) (*Sim, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Calendar == nil {
		o.Calendar = calendar.China()
	}
	if len(o.Hours.Periods) == 0 {
		o.Hours = calendar.StandardOfficeHours()
	}
	if o.IdlePermille == 0 {
		o.IdlePermille = 200
	}
	if o.IncidentPermille == 0 {
		o.IncidentPermille = 30
	}
	if o.DrillMonth == 0 {
		o.DrillMonth = time.June
	}
	o.Items = slices.Clone(o.Items)
	lat := map[govcloud.Op]Latency{}
	for _, op := range []govcloud.Op{govcloud.OpProvision, govcloud.OpPromote, govcloud.OpChange, govcloud.OpReclaim} {
		lat[op] = DefaultLatency(op)
		if l, ok := o.Latency[op]; ok {
			lat[op] = l
		}
	}
	o.Latency = lat
	return &Sim{o: o, cal: o.Calendar, ops: map[string]*operation{}, apps: map[string]*env{}, attempts: map[string]int{}, pending: map[string]*operation{}}, nil
}

// InjectFault queues a fault for the next mutating call (FIFO).
func (s *Sim) InjectFault(k FaultKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injected = append(s.injected, k)
}

// Resources returns the resources running for an application, ordered by
// item then ID.
func (s *Sim) Resources(application string) []govcloud.Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.o.Clock.Now())
	e := s.apps[application]
	if e == nil {
		return nil
	}
	return e.resources()
}

// Created returns how many resources the simulator has ever created.
func (s *Sim) Created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// Tick completes every operation due by the clock's now and pushes pending
// completions to the sink. It returns the sink's first error (the
// completion is pushed again on the next call).
func (s *Sim) Tick(ctx context.Context) error {
	s.mu.Lock()
	s.settle(s.o.Clock.Now())
	s.mu.Unlock()
	return s.flush(ctx)
}

// flush pushes queued completions to the sink, in order, outside the lock.
func (s *Sim) flush(ctx context.Context) error {
	if s.o.Sink == nil {
		return nil
	}
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	for {
		s.mu.Lock()
		if len(s.outbox) == 0 {
			s.mu.Unlock()
			return nil
		}
		c := s.outbox[0]
		s.mu.Unlock()
		if err := s.o.Sink.Complete(ctx, c); err != nil {
			return err
		}
		s.mu.Lock()
		s.outbox = s.outbox[1:]
		s.mu.Unlock()
	}
}

// Provision implements govcloud.Provider.
func (s *Sim) Provision(ctx context.Context, req govcloud.ProvisionRequest) (govcloud.Ack, error) {
	return s.mutate(ctx, govcloud.OpProvision, req.Order, req, req.Validate, req.Items)
}

// Promote implements govcloud.Provider.
func (s *Sim) Promote(ctx context.Context, req govcloud.PromoteRequest) (govcloud.Ack, error) {
	return s.mutate(ctx, govcloud.OpPromote, req.Order, req, req.Validate, nil)
}

// Change implements govcloud.Provider.
func (s *Sim) Change(ctx context.Context, req govcloud.ChangeRequest) (govcloud.Ack, error) {
	return s.mutate(ctx, govcloud.OpChange, req.Order, req, req.Validate, req.Items)
}

// Reclaim implements govcloud.Provider.
func (s *Sim) Reclaim(ctx context.Context, req govcloud.ReclaimRequest) (govcloud.Ack, error) {
	return s.mutate(ctx, govcloud.OpReclaim, req.Order, req, req.Validate, nil)
}

// Poll implements govcloud.Poller.
func (s *Sim) Poll(ctx context.Context, key string) (govcloud.Ack, error) {
	if err := ctx.Err(); err != nil {
		return govcloud.Ack{}, err
	}
	s.mu.Lock()
	s.settle(s.o.Clock.Now())
	op := s.ops[key]
	var ack govcloud.Ack
	var err error
	if op == nil {
		err = govcloud.Permanent(govcloud.CodeNotFound, fmt.Sprintf("未知的操作 %q (unknown operation key)", key))
	} else {
		ack, err = op.ack()
	}
	s.mu.Unlock()
	_ = s.flush(ctx) // a sink failure is retried on the next call
	return ack, err
}

func (op *operation) ack() (govcloud.Ack, error) {
	a := govcloud.Ack{Key: op.key, Op: op.op, Accepted: op.accepted, Expected: op.due}
	switch op.state {
	case stateDone:
		a.Done = true
		r := cloneResult(*op.result)
		a.Result = &r
	case stateFailed, stateRetryable:
		e := *op.err
		return govcloud.Ack{}, &e
	}
	return a, nil
}

func cloneResult(r govcloud.Result) govcloud.Result {
	r.Resources = slices.Clone(r.Resources)
	return r
}

func (s *Sim) mutate(ctx context.Context, kind govcloud.Op, order govcloud.Order, req any, validate func() error, items []govcloud.Item) (govcloud.Ack, error) {
	if err := ctx.Err(); err != nil {
		return govcloud.Ack{}, err
	}
	if err := validate(); err != nil {
		return govcloud.Ack{}, err
	}
	if order.Vendor != s.o.Vendor {
		return govcloud.Ack{}, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest,
			Field: "Vendor", Msg: fmt.Sprintf("本服务商为 %q,工单发给了 %q (order addressed to another vendor)", s.o.Vendor, order.Vendor)}
	}
	s.mu.Lock()
	var fault FaultKind
	if len(s.injected) > 0 {
		fault = s.injected[0]
		s.injected = s.injected[1:]
	}
	s.mu.Unlock()
	if fault == FaultHang {
		<-ctx.Done()
		return govcloud.Ack{}, ctx.Err()
	}
	s.mu.Lock()
	ack, err := s.mutateLocked(kind, order, req, items, fault)
	s.mu.Unlock()
	_ = s.flush(ctx) // a sink failure is retried on the next call
	return ack, err
}

func (s *Sim) mutateLocked(kind govcloud.Op, order govcloud.Order, req any, items []govcloud.Item, fault FaultKind) (govcloud.Ack, error) {
	now := s.o.Clock.Now()
	s.settle(now)
	fp := govcloud.RequestFingerprint(req)
	op := s.ops[order.Key]
	if op != nil && op.fp != fp {
		return govcloud.Ack{}, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeIdempotencyConflict,
			Field: "Key", Msg: fmt.Sprintf("幂等键 %q 已用于另一请求 (key reused with another request)", order.Key)}
	}
	s.attempts[order.Key]++
	attempt := s.attempts[order.Key]
	// Faults before acceptance.
	draw := s.hash("fault", order.Key, attempt) % 1000
	ambiguous := s.hash("ambiguous", order.Key, attempt)%2 == 0
	f := s.o.Faults
	switch {
	case fault == FaultTimeout || (fault == 0 && draw < uint64(f.Timeout) && !ambiguous):
		return govcloud.Ack{}, govcloud.Retryable(govcloud.CodeTimeout, "服务商响应超时 (vendor timed out)")
	case fault == FaultServerError || (fault == 0 && draw >= uint64(f.Timeout) && draw < uint64(f.Timeout+f.ServerError)):
		return govcloud.Ack{}, govcloud.Retryable(govcloud.CodeUnavailable, "服务商内部错误 (vendor back-end unavailable)")
	}
	lateTimeout := fault == FaultAcceptedTimeout || (fault == 0 && draw < uint64(f.Timeout) && ambiguous)
	partial := fault == FaultPartial || (fault == 0 && s.hash("partial", order.Key, attempt)%1000 < uint64(f.Partial))

	if op != nil {
		switch op.state {
		case stateDone, stateFailed, statePending:
			// Replay: the same request again. A pending operation is not restarted.
			ack, err := op.ack()
			if lateTimeout && err == nil {
				return govcloud.Ack{}, govcloud.Retryable(govcloud.CodeTimeout, "服务商响应超时 (vendor timed out)")
			}
			return ack, err
		case stateRetryable:
			// Continue after a partial delivery.
			if err := s.start(op, now, attempt, partial); err != nil {
				return govcloud.Ack{}, err
			}
			if lateTimeout {
				return govcloud.Ack{}, govcloud.Retryable(govcloud.CodeTimeout, "服务商响应超时 (vendor timed out)")
			}
			return op.ack()
		}
	}
	if err := s.checkItems(items); err != nil {
		return govcloud.Ack{}, err
	}
	e := s.apps[order.Application]
	if err := s.checkOrder(kind, order, e); err != nil {
		return govcloud.Ack{}, err
	}
	if e == nil {
		e = &env{app: order.Application, department: order.Department,
			id: fmt.Sprintf("env-%012x", s.hash("env", order.Application)>>16), live: map[string]*life{}}
		s.apps[order.Application] = e
	}
	op = &operation{key: order.Key, op: kind, fp: fp, order: order, target: slices.Clone(items), accepted: now}
	if err := s.start(op, now, attempt, partial); err != nil {
		return govcloud.Ack{}, err
	}
	s.ops[order.Key] = op
	e.busy = op.key
	if lateTimeout {
		return govcloud.Ack{}, govcloud.Retryable(govcloud.CodeTimeout, "服务商响应超时 (vendor timed out)")
	}
	return op.ack()
}

// start (re)starts op at now: it draws the latency and schedules completion.
func (s *Sim) start(op *operation, now time.Time, attempt int, partial bool) error {
	l := s.o.Latency[op.op]
	d := l.Min
	if span := l.Max - l.Min; span > 0 {
		d += time.Duration(s.hash("latency", op.key, attempt) % uint64(span/time.Minute+1) * uint64(time.Minute))
	}
	due, err := s.cal.AddWorkingTime(now, d, s.o.Hours)
	if err != nil {
		return govcloud.Retryable(govcloud.CodeInternal, "服务商排期失败 (scheduling failed): "+err.Error())
	}
	op.attempt, op.due, op.partial, op.state, op.err = attempt, due, partial, statePending, nil
	s.pending[op.key] = op
	return nil
}

func (s *Sim) checkItems(items []govcloud.Item) error {
	if len(s.o.Items) == 0 {
		return nil
	}
	for i, it := range items {
		if !slices.Contains(s.o.Items, it.Code) {
			return &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeUnknownItem,
				Field: fmt.Sprintf("Items[%d].Code", i), Msg: fmt.Sprintf("服务目录中没有 %q (unknown catalog item)", it.Code)}
		}
	}
	return nil
}

func (s *Sim) checkOrder(kind govcloud.Op, order govcloud.Order, e *env) error {
	state := func(msg string) error { return govcloud.Permanent(govcloud.CodeInvalidState, msg) }
	if e == nil {
		if kind == govcloud.OpProvision {
			return nil
		}
		return govcloud.Permanent(govcloud.CodeNotFound, fmt.Sprintf("应用 %q 没有环境 (no environment for application)", order.Application))
	}
	if e.busy != "" {
		return &govcloud.ProviderError{Class: govcloud.ClassRetryable, Code: govcloud.CodeBusy,
			Msg: fmt.Sprintf("上一操作 %q 尚未完成 (previous operation still running)", e.busy), RetryAfter: time.Hour}
	}
	if e.department != order.Department {
		return &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Field: "Department",
			Msg: fmt.Sprintf("应用属于 %q,不属于 %q (application belongs to another department)", e.department, order.Department)}
	}
	switch {
	case e.reclaimed:
		return state("环境已回收 (environment reclaimed)")
	case kind == govcloud.OpProvision:
		return state("试用环境已提供 (already provisioned)")
	case kind == govcloud.OpPromote && e.formal:
		return state("已是正式环境 (already formal)")
	}
	return nil
}

// settle completes every pending operation due by now, in due order.
func (s *Sim) settle(now time.Time) {
	var due []*operation
	for _, op := range s.pending {
		if !now.Before(op.due) {
			due = append(due, op)
		}
	}
	slices.SortFunc(due, func(a, b *operation) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	for _, op := range due {
		s.complete(op)
	}
}

func (s *Sim) complete(op *operation) {
	delete(s.pending, op.key)
	e := s.apps[op.order.Application]
	at := op.due
	c := govcloud.Completion{Key: op.key, Op: op.op, WorkOrder: op.order.WorkOrder, Application: op.order.Application}
	switch op.op {
	case govcloud.OpProvision, govcloud.OpChange:
		deltas := govcloud.DiffItems(e.items(), op.target)
		if op.partial && len(deltas) > 1 {
			s.apply(e, deltas[:len(deltas)/2], at)
			e.provisioned = true
			op.state = stateRetryable
			op.err = &govcloud.ProviderError{Class: govcloud.ClassRetryable, Code: govcloud.CodePartial,
				Msg: fmt.Sprintf("仅交付了 %d/%d 项,请重发 (partial delivery: send the key again)", len(deltas)/2, len(deltas))}
			e.busy = op.key
			c.Error = op.err
			s.outbox = append(s.outbox, c)
			return
		}
		s.apply(e, deltas, at)
		e.provisioned = true
	case govcloud.OpPromote:
		e.formal = true
	case govcloud.OpReclaim:
		for _, l := range e.live {
			l.to = at
		}
		e.live = map[string]*life{}
		e.reclaimed = true
	}
	e.busy = ""
	op.state = stateDone
	op.result = &govcloud.Result{Application: e.app, Environment: e.id, Formal: e.formal, Resources: e.resources(),
		Completed: at, Note: op.op.String() + "已完成"}
	r := cloneResult(*op.result)
	c.Result = &r
	s.outbox = append(s.outbox, c)
}

func (s *Sim) apply(e *env, deltas []govcloud.ItemDelta, at time.Time) {
	for _, d := range deltas {
		old := e.live[d.Code]
		if old != nil {
			old.to = at
			delete(e.live, d.Code)
		}
		if d.To == 0 {
			continue
		}
		l := &life{app: e.app, item: d.Code, qty: d.To, from: at}
		if old != nil {
			l.res, l.idle = old.res, old.idle
		} else {
			e.nres++
			s.created++
			h := s.hash("resource", e.app, d.Code, e.nres)
			l.res = fmt.Sprintf("res-%012x", h>>16)
			l.idle = h%1000 < uint64(s.o.IdlePermille)
		}
		e.live[d.Code] = l
		s.lives = append(s.lives, l)
	}
}

func (e *env) items() []govcloud.Item {
	var its []govcloud.Item
	for _, l := range e.live {
		its = append(its, govcloud.Item{Code: l.item, Quantity: l.qty})
	}
	return its
}

func (e *env) resources() []govcloud.Resource {
	var rs []govcloud.Resource
	for _, l := range e.live {
		rs = append(rs, govcloud.Resource{ID: l.res, Item: l.item, Quantity: l.qty})
	}
	slices.SortFunc(rs, func(a, b govcloud.Resource) int {
		if c := strings.Compare(a.Item, b.Item); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return rs
}

// hash derives a deterministic 64-bit value from the seed and parts (FNV-1a
// then a splitmix64 finaliser).
func (s *Sim) hash(parts ...any) uint64 {
	h := uint64(14695981039346656037) ^ s.o.Seed
	mix := func(b byte) {
		h ^= uint64(b)
		h *= 1099511628211
	}
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			for i := 0; i < len(v); i++ {
				mix(v[i])
			}
		case int:
			for i := 0; i < 8; i++ {
				mix(byte(uint64(v) >> (8 * i)))
			}
		case int64:
			for i := 0; i < 8; i++ {
				mix(byte(uint64(v) >> (8 * i)))
			}
		default:
			for _, c := range []byte(fmt.Sprint(p)) {
				mix(c)
			}
		}
		mix(0xff)
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
