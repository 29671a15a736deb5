package workflow

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qmuntal/stateless"
)

// Engine runs the lifecycle of applications: it authorises every act, validates the
// input against the policy, asks the state machine for the destination, computes
// deadlines, and commits the transition (state, audit record, outbox message, work
// orders, participants' writes) in one Store transaction. An Engine is safe for
// concurrent use; it keeps no per-application state in memory.
type Engine struct {
	store  Store
	policy Policy
	cal    Calendar
	clock  Clock
	ids    IDGenerator
	parts  []Participant
	sm     *stateless.StateMachine
	// trig holds, per declared trigger, what the policy says about it, so that a
	// call looks its trigger up once.
	trig map[Trigger]*trigInfo
	pool scratchPool
}

// trigInfo is the policy of one trigger, precomputed by New.
type trigInfo struct {
	roles     roleSet
	opinion   bool           // an opinion is required
	materials []MaterialKind // required materials
	workOrder bool           // fired only through CompleteWorkOrder
}

// New validates opts and returns an Engine. The state machine is configured once here.
func New(opts Options) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{
		store:  opts.Store,
		policy: opts.Policy.Clone(),
		cal:    opts.Calendar,
		clock:  opts.Clock,
		ids:    opts.IDs,
		parts:  slices.Clone(opts.Participants),
		sm:     newMachine(),
		trig:   make(map[Trigger]*trigInfo, len(AllTriggers())),
	}
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.ids == nil {
		e.ids = UUIDs{}
	}
	for _, t := range AllTriggers() {
		_, wo := workOrderTriggers[t]
		ti := &trigInfo{materials: e.policy.Materials[t], opinion: slices.Contains(e.policy.OpinionRequired, t), workOrder: wo}
		for _, r := range e.policy.Roles[t] {
			ti.roles = ti.roles.with(r)
		}
		e.trig[t] = ti
	}
	return e, nil
}

// Policy returns a copy of the engine's policy.
func (e *Engine) Policy() Policy { return e.policy.Clone() }

// SubmitRequest is a department's application (第七条).
type SubmitRequest struct {
	SystemName    string
	Vendor        string
	Zone          Zone
	SecurityLevel int
	Items         []Item
	// Materials must include every kind the policy requires for TriggerSubmit.
	Materials   []Material
	Attachments []Attachment
	// Opinion is an optional note recorded in the audit trail.
	Opinion string
}

// Revision revises a rejected application on resubmission; zero fields keep the
// current value.
type Revision struct {
	SystemName    string `json:"system_name,omitempty"`
	Zone          Zone   `json:"zone,omitempty"`
	SecurityLevel int    `json:"security_level,omitempty"`
	Items         []Item `json:"items,omitempty"`
}

// ChangeSpec is a department's change request (第十一条).
type ChangeSpec struct {
	// Items is the complete list of resources after the change.
	Items  []Item
	Major  bool
	Reason string
}

// Input carries what a trigger needs; fields a trigger does not use are ignored.
type Input struct {
	// ExpectedVersion, when not 0, must equal the application's version (else
	// ErrConflict): the caller's view is not stale.
	ExpectedVersion int64
	// Opinion is the reviewer's opinion (required for the policy's OpinionRequired).
	Opinion     string
	Attachments []Attachment
	// Materials for triggers the policy requires materials for.
	Materials []Material
	// TestReport for TriggerRecordTestReport.
	TestReport *TestReport
	// TrialDays: the trial length for TriggerApprove (0: the policy default) or the
	// days added by TriggerExtendTrial.
	TrialDays int
	// Vendor assigns the vendor on TriggerApprove (empty: keep the requested one).
	Vendor string
	// Change for TriggerRequestChange.
	Change *ChangeSpec
	// Revision for TriggerResubmit (optional).
	Revision *Revision
}

// step is one transition being computed.
type step struct {
	actor   Actor
	trigger Trigger
	in      Input // by value: a pointer would make the caller's Input escape
	now     time.Time
	before  Application
	after   Application
	to      State
	details auditDetails
	hasDet  bool
	timing  Timing
	atts    []Attachment
	prevIt  []Item
	newWO   []WorkOrder
	doneWO  []WorkOrder
	woRef   string
	sc      *scratch
}

func (e *Engine) now() time.Time { return e.clock.Now().UTC().Truncate(time.Microsecond) }

// Submit creates an application in StateSubmitted. The actor must be a department;
// the application belongs to actor.ID.
func (e *Engine) Submit(ctx context.Context, actor Actor, req SubmitRequest) (Application, error) {
	if err := e.authorizeTrigger(actor, nil, TriggerSubmit); err != nil {
		return Application{}, err
	}
	var errs []error
	errs = append(errs, validateSystem("system_name", req.SystemName, "zone", req.Zone, "security_level", req.SecurityLevel)...)
	if strings.TrimSpace(req.Vendor) == "" {
		errs = append(errs, fieldErr(ErrInvalidInput, "vendor", "must name the vendor"))
	}
	errs = append(errs, validateItems("items", req.Items)...)
	if err := joinErrs(errs); err != nil {
		return Application{}, err
	}
	sc := e.pool.get()
	defer e.pool.put(sc)
	s := &step{
		sc:      sc,
		actor:   actor,
		trigger: TriggerSubmit,
		in:      Input{Opinion: req.Opinion, Attachments: req.Attachments, Materials: req.Materials},
		now:     e.now(),
		before: Application{
			ID:            e.ids.NewID(),
			Department:    actor.ID,
			Vendor:        req.Vendor,
			SystemName:    req.SystemName,
			Zone:          req.Zone,
			SecurityLevel: req.SecurityLevel,
			Items:         slices.Clone(req.Items),
		},
	}
	return e.run(ctx, s)
}

// Fire fires trigger on application id on behalf of actor. Work-order triggers
// (provide_trial, complete_change, complete_reclaim) are fired by CompleteWorkOrder.
// Errors: *NotFoundError, *ForbiddenError, *TriggerError, *FieldError/*MultiError
// (ErrInvalidInput, ErrMissingMaterial), ErrConflict; on any error nothing is written.
func (e *Engine) Fire(ctx context.Context, actor Actor, id string, trigger Trigger, in Input) (Application, error) {
	if err := checkActor(actor); err != nil {
		return Application{}, err
	}
	ti := e.trig[trigger]
	if ti == nil || trigger == TriggerSubmit {
		return Application{}, &TriggerError{Trigger: trigger, State: StateNone, Reason: "unknown trigger, or submit (use Submit)"}
	}
	app, err := e.load(ctx, id)
	if err != nil {
		return Application{}, err
	}
	if err := e.authorize(actor, &app, trigger, ti); err != nil {
		return Application{}, err
	}
	if ti.workOrder {
		return Application{}, &TriggerError{Trigger: trigger, State: app.State, Reason: "completes a vendor work order: use CompleteWorkOrder"}
	}
	if in.ExpectedVersion != 0 && in.ExpectedVersion != app.Version {
		return Application{}, fmt.Errorf("%w: application %q is at version %d, caller expected %d", ErrConflict, id, app.Version, in.ExpectedVersion)
	}
	sc := e.pool.get()
	defer e.pool.put(sc)
	return e.run(ctx, &step{sc: sc, actor: actor, trigger: trigger, in: in, now: e.now(), before: app})
}

// CompleteWorkOrder records a vendor's completion of a work order and fires the work
// order's trigger on its application. It is idempotent: completing a done order again
// with an equal Completion returns the application unchanged and writes nothing; a
// different Completion returns ErrConflict.
func (e *Engine) CompleteWorkOrder(ctx context.Context, actor Actor, workOrderID string, c Completion) (Application, error) {
	if err := checkActor(actor); err != nil {
		return Application{}, err
	}
	if strings.TrimSpace(c.Key) == "" {
		return Application{}, fieldErr(ErrInvalidInput, "completion.key", "must not be empty")
	}
	if errs := validateAttachments("completion.attachments", c.Attachments); len(errs) > 0 {
		return Application{}, joinErrs(errs)
	}
	wo, err := e.store.GetWorkOrder(ctx, workOrderID)
	if err != nil {
		return Application{}, notFound(err, "work order", workOrderID)
	}
	if actor.Role != RoleVendor || actor.ID != wo.Vendor {
		return Application{}, &ForbiddenError{Actor: actor, Action: "complete work order " + workOrderID, Reason: "only the vendor the work order is assigned to"}
	}
	if wo.Status == WorkOrderDone {
		return e.sameCompletion(ctx, wo, c)
	}
	app, err := e.load(ctx, wo.ApplicationID)
	if err != nil {
		return Application{}, err
	}
	if err := e.authorizeTrigger(actor, &app, wo.Trigger); err != nil {
		return Application{}, err
	}
	if app.OpenWorkOrder != wo.ID {
		// A concurrent completion may have committed between the two reads.
		if wo2, err := e.store.GetWorkOrder(ctx, workOrderID); err == nil && wo2.Status == WorkOrderDone {
			return e.sameCompletion(ctx, wo2, c)
		}
		return Application{}, &TriggerError{Trigger: wo.Trigger, State: app.State, Reason: "work order " + wo.ID + " is not the application's open work order"}
	}
	// wo is this call's own copy from the store; the completion goes to the store,
	// which copies it, so both can live in the call's scratch.
	sc := e.pool.get()
	defer e.pool.put(sc)
	sc.comp = c
	sc.doneWO[0] = wo
	sc.doneWO[0].Status = WorkOrderDone
	sc.doneWO[0].Completion = &sc.comp
	s := &step{sc: sc, actor: actor, trigger: wo.Trigger, in: Input{Attachments: c.Attachments, Opinion: c.Note}, now: e.now(), before: app, woRef: wo.ID}
	s.doneWO = sc.doneWO[:1]
	out, err := e.run(ctx, s)
	if errors.Is(err, ErrConflict) {
		// A concurrent identical completion may have won the race.
		if wo2, err2 := e.store.GetWorkOrder(ctx, workOrderID); err2 == nil && wo2.Status == WorkOrderDone {
			return e.sameCompletion(ctx, wo2, c)
		}
	}
	return out, err
}

func (e *Engine) sameCompletion(ctx context.Context, wo WorkOrder, c Completion) (Application, error) {
	if wo.Completion == nil || !wo.Completion.Equal(c) {
		return Application{}, fmt.Errorf("%w: work order %q was already completed with a different completion (key %q)", ErrConflict, wo.ID, keyOf(wo.Completion))
	}
	return e.load(ctx, wo.ApplicationID)
}

func keyOf(c *Completion) string {
	if c == nil {
		return ""
	}
	return c.Key
}

func (e *Engine) load(ctx context.Context, id string) (Application, error) {
	app, err := e.store.GetApplication(ctx, id)
	if err != nil {
		return Application{}, notFound(err, "application", id)
	}
	return app, nil
}

func notFound(err error, what, id string) error {
	if errors.Is(err, ErrNotFound) {
		return &NotFoundError{What: what, ID: id}
	}
	return err
}

// run computes and commits one transition.
func (e *Engine) run(ctx context.Context, s *step) (Application, error) {
	sc := s.sc
	from := s.before.State
	to, err := e.destination(ctx, &sc.fc, &s.before, s.trigger, s.now.UnixMicro())
	if err != nil {
		return Application{}, err
	}
	s.to = to
	// s.before is this call's private copy (fresh from the store or built by Submit)
	// and only its scalar fields are read from here on, so s.after may share its
	// slices and pointers instead of paying for a deep copy.
	s.after = s.before
	s.atts = sc.atts[:0]
	if s.newWO == nil {
		s.newWO = sc.newWO[:0]
	}
	if err := e.checkCommon(s); err != nil {
		return Application{}, err
	}
	if err := e.effects(s); err != nil {
		return Application{}, err
	}
	a := &s.after
	if to != from {
		tm, err := e.timing(&s.before, s.now)
		if err != nil {
			return Application{}, err
		}
		s.timing = tm
		for i := range s.doneWO {
			s.doneWO[i].CompletedAt = s.now
			s.doneWO[i].Timing = tm
		}
		a.State = to
		a.StateSince = s.now
		if err := e.enter(s); err != nil {
			return Application{}, err
		}
	}
	a.Version = s.before.Version + 1
	a.UpdatedAt = s.now
	if s.trigger == TriggerSubmit {
		a.CreatedAt = s.now
	}

	rec := AuditRecord{
		ApplicationID: a.ID,
		Seq:           s.before.AuditSeq + 1,
		At:            s.now,
		Actor:         s.actor,
		From:          from,
		To:            to,
		Trigger:       s.trigger,
		Opinion:       s.in.Opinion,
		Attachments:   s.atts,
		Timing:        s.timing,
		PrevHash:      s.before.AuditHead,
	}
	sc.atts = s.atts[:0] // keep a grown buffer for the next call
	// The audit details and the record's hash are built in the scratch buffer and
	// become one string, cut in two: one allocation instead of two. (The
	// idempotency key stays a string of its own: a store keeps it with every
	// outbox message, and it should not keep the details and hash alive with it.)
	strs := sc.strs[:0]
	if s.hasDet {
		strs = s.details.appendJSON(strs)
	}
	nDet := len(strs)
	sum, enc := sumAudit(sc.enc[:0], &rec, strs)
	sc.enc = enc[:0]
	strs = hex.AppendEncode(strs, sum[:])
	detHash := string(strs)
	sc.strs = strs[:0]
	if nDet > 0 {
		rec.Details = detHash[:nDet]
	}
	rec.Hash = detHash[nDet:]
	a.AuditSeq = rec.Seq
	a.AuditHead = rec.Hash

	tr := Transition{
		IdempotencyKey: idempotencyKey(a.ID, rec.Seq),
		ApplicationID:  a.ID,
		Seq:            rec.Seq,
		At:             s.now,
		Actor:          s.actor,
		Trigger:        s.trigger,
		From:           from,
		To:             to,
		Department:     a.Department,
		Vendor:         a.Vendor,
		Zone:           a.Zone,
		SecurityLevel:  a.SecurityLevel,
		Items:          a.Items,
		PreviousItems:  s.prevIt,
		Change:         a.Change,
		Trial:          a.Trial,
		WorkOrder:      s.woRef,
		Version:        a.Version,
	}
	if tr.WorkOrder == "" && len(s.newWO) > 0 {
		tr.WorkOrder = s.newWO[0].ID
	}
	if tr.Change == nil && s.before.Change != nil {
		tr.Change = s.before.Change
	}
	sc.payload = encodeTransition(sc.payload[:0], &tr)
	sc.outbox[0] = Message{
		ID:             tr.IdempotencyKey,
		ApplicationID:  a.ID,
		Seq:            rec.Seq,
		Topic:          TopicTransition,
		IdempotencyKey: tr.IdempotencyKey,
		Payload:        sc.payload,
		CreatedAt:      s.now,
	}
	c := Commit{
		ExpectedVersion: s.before.Version,
		Application:     *a,
		Audit:           rec,
		Outbox:          sc.outbox[:],
		NewWorkOrders:   s.newWO,
		DoneWorkOrders:  s.doneWO,
	}
	var inTx func(context.Context, Tx) error
	var part *participation
	if len(e.parts) > 0 {
		// Only this copy of tr escapes, to the participants.
		part = &participation{parts: e.parts, tr: tr}
		inTx = part.inTx
	}
	err = e.store.Commit(ctx, c, inTx)
	if part != nil {
		part.finish(err) // AfterCommit's functions, only if committed
	}
	if err != nil {
		return Application{}, err
	}
	// s.after is this call's own copy (the store copied what it keeps, and nothing
	// of the scratch is reachable from it): no clone needed.
	return *a, nil
}

// checkCommon validates what every trigger shares: opinion, attachments, materials.
func (e *Engine) checkCommon(s *step) error {
	var errs []error
	ti := e.trig[s.trigger]
	if ti.opinion && strings.TrimSpace(s.in.Opinion) == "" {
		errs = append(errs, fieldErr(ErrInvalidInput, "opinion", "%s requires an opinion", s.trigger.Label(English)))
	}
	errs = append(errs, validateAttachments("attachments", s.in.Attachments)...)
	required := ti.materials
	if s.trigger == TriggerRequestChange && s.in.Change != nil && s.in.Change.Major {
		required = append(slices.Clone(required), e.policy.MajorChangeMaterials...)
	}
	for i, m := range s.in.Materials {
		if strings.TrimSpace(string(m.Kind)) == "" {
			errs = append(errs, fieldErr(ErrInvalidInput, indexed("materials", i, ".kind"), "must not be empty"))
		}
		if strings.TrimSpace(m.Attachment.URI) == "" {
			errs = append(errs, fieldErr(ErrInvalidInput, indexed("materials", i, ".attachment.uri"), "must not be empty"))
		}
	}
	for _, k := range required {
		if !slices.ContainsFunc(s.in.Materials, func(m Material) bool { return m.Kind == k && strings.TrimSpace(m.Attachment.URI) != "" }) {
			errs = append(errs, fieldErr(ErrMissingMaterial, "materials["+string(k)+"]", "%s requires material %q", s.trigger.Label(English), string(k)))
		}
	}
	if err := joinErrs(errs); err != nil {
		return err
	}
	s.atts = append(s.atts, s.in.Attachments...)
	// Room for every material at once (a submission brings several): one allocation
	// instead of one per doubling.
	s.after.Materials = slices.Grow(s.after.Materials, len(s.in.Materials))
	for _, m := range s.in.Materials {
		s.atts = append(s.atts, m.Attachment)
		if i := slices.IndexFunc(s.after.Materials, func(x Material) bool { return x.Kind == m.Kind }); i >= 0 {
			s.after.Materials[i] = m
		} else {
			s.after.Materials = append(s.after.Materials, m)
		}
	}
	return nil
}

// auditDetails is the trigger-specific input recorded in AuditRecord.Details.
type auditDetails struct {
	TrialDays     int            `json:"trial_days,omitempty"`
	Vendor        string         `json:"vendor,omitempty"`
	ExtensionDays int            `json:"extension_days,omitempty"`
	TestReport    *TestReport    `json:"test_report,omitempty"`
	Change        *ChangeRequest `json:"change,omitempty"`
	Revision      *Revision      `json:"revision,omitempty"`
	WorkOrder     string         `json:"work_order,omitempty"`
	CompletionKey string         `json:"completion_key,omitempty"`
}

// effects applies the trigger-specific validation and changes to s.after.
func (e *Engine) effects(s *step) error {
	a := &s.after
	in := &s.in
	p := &e.policy
	switch s.trigger {
	case TriggerSubmit:
		a.Submissions = 1
	case TriggerResubmit:
		if r := in.Revision; r != nil {
			var errs []error
			if r.SystemName != "" || r.Zone != "" || r.SecurityLevel != 0 {
				name, zone, level := a.SystemName, a.Zone, a.SecurityLevel
				if r.SystemName != "" {
					name = r.SystemName
				}
				if r.Zone != "" {
					zone = r.Zone
				}
				if r.SecurityLevel != 0 {
					level = r.SecurityLevel
				}
				errs = append(errs, validateSystem("revision.system_name", name, "revision.zone", zone, "revision.security_level", level)...)
				a.SystemName, a.Zone, a.SecurityLevel = name, zone, level
			}
			if r.Items != nil {
				errs = append(errs, validateItems("revision.items", r.Items)...)
				s.prevIt = a.Items
				a.Items = slices.Clone(r.Items)
			}
			if err := joinErrs(errs); err != nil {
				return err
			}
			s.details.Revision = r
			s.hasDet = true
		}
		a.Submissions++
	case TriggerApprove:
		days := in.TrialDays
		if days == 0 {
			days = p.Trial.DefaultDays
		}
		if days < p.Trial.MinDays || days > p.Trial.MaxDays {
			return fieldErr(ErrInvalidInput, "trial_days", "%d calendar days is outside the policy's %d..%d (第九条)", days, p.Trial.MinDays, p.Trial.MaxDays)
		}
		if in.Vendor != "" {
			a.Vendor = in.Vendor
		}
		a.Trial = &Trial{Days: days}
		s.details.TrialDays = days
		s.hasDet = true
		s.details.Vendor = a.Vendor
		s.hasDet = true
		return e.workOrder(s, WorkOrderTrialEnvironment, TriggerProvideTrial, p.Deadlines.ProvideTrial)
	case TriggerProvideTrial:
		t := a.Trial
		if t == nil {
			t = &Trial{Days: p.Trial.DefaultDays}
			a.Trial = t
		}
		t.Start = s.now
		t.End = endOfCalendarDays(s.now, t.Days)
		a.TestReports = nil
		a.OpenWorkOrder = ""
	case TriggerRecordTestReport:
		r := in.TestReport
		if r == nil {
			return fieldErr(ErrInvalidInput, "test_report", "is required")
		}
		var errs []error
		if !r.Kind.Valid() {
			errs = append(errs, fieldErr(ErrInvalidInput, "test_report.kind", "unknown test kind %q", string(r.Kind)))
		}
		if strings.TrimSpace(r.Report.URI) == "" {
			errs = append(errs, fieldErr(ErrInvalidInput, "test_report.report.uri", "must reference the report"))
		}
		if r.ThirdParty && strings.TrimSpace(r.Lab) == "" {
			errs = append(errs, fieldErr(ErrInvalidInput, "test_report.lab", "a third-party report must name the accredited lab"))
		}
		if err := joinErrs(errs); err != nil {
			return err
		}
		rep := &s.sc.report // the details only need it until the commit
		*rep = *r
		rep.RecordedAt = s.now
		a.TestReports = append(a.TestReports, *rep)
		s.atts = append(s.atts, rep.Report)
		s.details.TestReport = rep
		s.hasDet = true
	case TriggerExtendTrial:
		t := a.Trial
		if in.TrialDays <= 0 {
			return fieldErr(ErrInvalidInput, "trial_days", "an extension must add at least one day, got %d", in.TrialDays)
		}
		if t.Extensions+1 > p.Trial.MaxExtensions {
			return fieldErr(ErrInvalidInput, "trial_days", "the trial was already extended %d time(s); the policy allows %d", t.Extensions, p.Trial.MaxExtensions)
		}
		if t.ExtensionDays+in.TrialDays > p.Trial.MaxExtensionDays {
			return fieldErr(ErrInvalidInput, "trial_days", "%d more days would extend the trial by %d days in total; the policy allows %d", in.TrialDays, t.ExtensionDays+in.TrialDays, p.Trial.MaxExtensionDays)
		}
		t.Extensions++
		t.ExtensionDays += in.TrialDays
		t.End = endOfCalendarDays(t.Start, t.Days+t.ExtensionDays)
		a.Due = t.End
		s.details.ExtensionDays = in.TrialDays
		s.hasDet = true
	case TriggerSubmitTests:
		major := s.before.State == StateChangeTesting
		need, third := p.requiredTests(major, a.SecurityLevel)
		var errs []error
		for _, k := range need {
			if !slices.ContainsFunc(a.TestReports, func(r TestReport) bool { return r.Kind == k && r.Passed }) {
				errs = append(errs, fieldErr(ErrMissingMaterial, "test_reports["+string(k)+"]", "no passing %s report", k.Label(English)))
			}
		}
		for _, k := range third {
			if !slices.ContainsFunc(a.TestReports, func(r TestReport) bool { return r.Kind == k && r.Passed && r.ThirdParty }) {
				errs = append(errs, fieldErr(ErrMissingMaterial, "test_reports["+string(k)+"].third_party",
					"security level %d needs a passing third-party (CNAS) %s report (第九条)", a.SecurityLevel, k.Label(English)))
			}
		}
		if err := joinErrs(errs); err != nil {
			return err
		}
	case TriggerFailTrial, TriggerExpireTrial, TriggerApproveTermination:
		return e.workOrder(s, WorkOrderReclaim, TriggerCompleteReclaim, p.Deadlines.Reclaim)
	case TriggerActivate:
		if a.ActivatedAt.IsZero() {
			a.ActivatedAt = s.now
		}
		a.Change = nil
	case TriggerRejectFinal:
		a.TestReports = nil
	case TriggerRequestChange:
		c := in.Change
		if c == nil {
			return fieldErr(ErrInvalidInput, "change", "is required")
		}
		if errs := validateItems("change.items", c.Items); len(errs) > 0 {
			return joinErrs(errs)
		}
		a.Change = &ChangeRequest{Items: slices.Clone(c.Items), Major: c.Major, Reason: c.Reason, RequestedAt: s.now}
		ch := a.Change
		s.details.Change = ch
		s.hasDet = true
	case TriggerApproveChange:
		return e.workOrder(s, WorkOrderChange, TriggerCompleteChange, p.Deadlines.ChangeExecution)
	case TriggerDenyChange:
		a.Change = nil
	case TriggerCompleteChange:
		s.prevIt = a.Items
		a.Items = slices.Clone(a.Change.Items)
		a.OpenWorkOrder = ""
		if a.Change.Major {
			a.TestReports = nil
		} else {
			a.Change = nil
		}
	case TriggerCompleteReclaim:
		a.OpenWorkOrder = ""
	}
	if s.woRef != "" {
		s.details.WorkOrder = s.woRef
		s.hasDet = true
		s.details.CompletionKey = s.doneWO[0].Completion.Key
		s.hasDet = true
		// The completion's attachments are already in s.atts: CompleteWorkOrder
		// passes them as the input's attachments (checkCommon validates and records
		// them), so they are not appended a second time.
	}
	return nil
}

// workOrder creates the vendor work order of the state being entered.
func (e *Engine) workOrder(s *step, kind WorkOrderKind, trig Trigger, days int) error {
	a := &s.after
	if strings.TrimSpace(a.Vendor) == "" {
		return fieldErr(ErrInvalidInput, "vendor", "no vendor is assigned to receive the %s work order", kind.Label(English))
	}
	due, err := e.cal.Deadline(s.now, days)
	if err != nil {
		return fmt.Errorf("workflow: deadline of %s work order: %w", kind.Label(English), err)
	}
	wo := WorkOrder{
		ID:            e.ids.NewID(),
		ApplicationID: a.ID,
		Department:    a.Department,
		Vendor:        a.Vendor,
		Kind:          kind,
		Trigger:       trig,
		Status:        WorkOrderOpen,
		CreatedAt:     s.now,
		Due:           due.UTC(),
	}
	s.newWO = append(s.newWO, wo)
	a.OpenWorkOrder = wo.ID
	s.details.WorkOrder = wo.ID
	s.hasDet = true
	return nil
}

// stateParty gives the responsible party and the policy deadline of a waiting state.
func (p *Policy) stateParty(st State) (Party, int) {
	d := &p.Deadlines
	switch st {
	case StateSubmitted:
		return PartyAuthority, d.Accept
	case StateRejected:
		return PartyDepartment, d.Resubmit
	case StateAccepted:
		return PartyAuthority, d.Approve
	case StateProvisioning:
		return PartyVendor, d.ProvideTrial
	case StateTrial:
		return PartyDepartment, 0
	case StateFinalReview:
		return PartyAuthority, d.FinalReview
	case StateChangeReview:
		return PartyAuthority, d.ChangeReview
	case StateChangeExecuting:
		return PartyVendor, d.ChangeExecution
	case StateChangeTesting:
		return PartyDepartment, d.ChangeTesting
	case StateTerminationReview:
		return PartyAuthority, d.TerminationReview
	case StateReclaiming:
		return PartyVendor, d.Reclaim
	}
	return PartyNone, 0
}

// enter sets the responsible party and due instant of the state being entered.
func (e *Engine) enter(s *step) error {
	a := &s.after
	party, days := e.policy.stateParty(a.State)
	a.Party = party
	a.Due = time.Time{}
	switch {
	case a.State == StateTrial:
		a.Due = a.Trial.End
	case len(s.newWO) > 0:
		a.Due = s.newWO[len(s.newWO)-1].Due
	case days > 0:
		due, err := e.cal.Deadline(s.now, days)
		if err != nil {
			return fmt.Errorf("workflow: deadline of %s: %w", a.State.Label(English), err)
		}
		a.Due = due.UTC()
	}
	return nil
}

var chinaZone = time.FixedZone("UTC+8", 8*3600)

// endOfCalendarDays returns 00:00 UTC+8 after the n-th calendar day following start's
// day (the start day not counted).
func endOfCalendarDays(start time.Time, n int) time.Time {
	y, m, d := start.In(chinaZone).Date()
	return time.Date(y, m, d+n+1, 0, 0, 0, 0, chinaZone).UTC()
}

// nextMidnight returns the first 00:00 UTC+8 strictly after t.
func nextMidnight(t time.Time) time.Time { return endOfCalendarDays(t, 0) }

// timing records whether the party responsible for app's current state is on time at now.
func (e *Engine) timing(app *Application, now time.Time) (Timing, error) {
	t := Timing{Party: app.Party, Due: app.Due}
	if app.Due.IsZero() || now.Before(app.Due) {
		return t, nil
	}
	t.Late = true
	n, err := e.lateWorkdays(app.Due, now)
	if err != nil {
		return Timing{}, err
	}
	t.LateWorkdays = n
	return t, nil
}

// maxLateCount bounds the working-day count of a lateness (about ten years).
const maxLateCount = 2500

// lateWorkdays counts the working days after the day before due (the last allowed
// day) up to and including now's day.
func (e *Engine) lateWorkdays(due, now time.Time) (int, error) {
	limit := nextMidnight(now)
	base := due.Add(-time.Microsecond)
	// Exponential then binary search for the largest k with Deadline(base, k) <= limit.
	lo, hi := 0, 1
	for {
		d, err := e.cal.Deadline(base, hi)
		if err != nil {
			return 0, fmt.Errorf("workflow: counting late working days: %w", err)
		}
		if d.After(limit) {
			break
		}
		lo = hi
		if hi >= maxLateCount {
			return maxLateCount, nil
		}
		hi *= 2
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		d, err := e.cal.Deadline(base, mid)
		if err != nil {
			return 0, fmt.Errorf("workflow: counting late working days: %w", err)
		}
		if d.After(limit) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo, nil
}

func validateSystem(nameF, name, zoneF string, zone Zone, levelF string, level int) []error {
	var errs []error
	if strings.TrimSpace(name) == "" {
		errs = append(errs, fieldErr(ErrInvalidInput, nameF, "must name the system"))
	}
	if !zone.Valid() {
		errs = append(errs, fieldErr(ErrInvalidInput, zoneF, "unknown zone %q (want %q or %q)", string(zone), string(PrivateZone), string(PublicZone)))
	}
	if level < 1 || level > 5 {
		errs = append(errs, fieldErr(ErrInvalidInput, levelF, "security level %d is outside 1..5", level))
	}
	return errs
}

func validateItems(field string, items []Item) []error {
	if len(items) == 0 {
		return []error{fieldErr(ErrInvalidInput, field, "must list at least one catalog item")}
	}
	var errs []error
	var seen map[string]bool // only for long lists; short ones are scanned
	if len(items) > 16 {
		seen = make(map[string]bool, len(items))
	}
	for i, it := range items {
		var dup bool
		if seen != nil {
			dup = seen[it.Code]
			seen[it.Code] = true
		} else {
			dup = slices.ContainsFunc(items[:i], func(x Item) bool { return x.Code == it.Code })
		}
		if strings.TrimSpace(it.Code) == "" {
			errs = append(errs, fieldErr(ErrInvalidInput, indexed(field, i, ".code"), "must not be empty"))
		} else if dup {
			errs = append(errs, fieldErr(ErrInvalidInput, indexed(field, i, ".code"), "duplicate item %q", it.Code))
		}
		if it.Quantity <= 0 {
			errs = append(errs, fieldErr(ErrInvalidInput, indexed(field, i, ".quantity"), "must be positive, got %d", it.Quantity))
		}
	}
	return errs
}

func validateAttachments(field string, atts []Attachment) []error {
	var errs []error
	for i, a := range atts {
		if strings.TrimSpace(a.URI) == "" {
			errs = append(errs, fieldErr(ErrInvalidInput, indexed(field, i, ".uri"), "must not be empty"))
		}
	}
	return errs
}

// indexed returns the field name field[i]suffix (built only when reporting an error).
func indexed(field string, i int, suffix string) string {
	return field + "[" + strconv.Itoa(i) + "]" + suffix
}
