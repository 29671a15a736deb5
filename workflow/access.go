package workflow

import (
	"context"
	"sort"
	"time"
)

// checkActor rejects actors without a valid role, and departments and vendors without
// an identity.
func checkActor(a Actor) error {
	if roleBit(a.Role) == 0 {
		return &ForbiddenError{Actor: a, Action: "act", Reason: "unknown role " + string(a.Role)}
	}
	if (a.Role == RoleDepartment || a.Role == RoleVendor) && a.ID == "" {
		return &ForbiddenError{Actor: a, Action: "act", Reason: "a department or vendor actor needs an ID"}
	}
	return nil
}

// canRead enforces 第二十条: a department sees only its own applications, a vendor only
// those assigned to it; the authority, the operator and finance see all.
func canRead(a Actor, app *Application) error {
	switch a.Role {
	case RoleDepartment:
		if app.Department != a.ID {
			return &ForbiddenError{Actor: a, Action: "access application " + app.ID, Reason: "it belongs to another department (第二十条)"}
		}
	case RoleVendor:
		if app.Vendor != a.ID {
			return &ForbiddenError{Actor: a, Action: "access application " + app.ID, Reason: "it is not assigned to this vendor (第二十条)"}
		}
	}
	return nil
}

// authorizeTrigger checks that actor's role may fire trigger (policy) and that the
// actor may access app (nil for a new application).
func (e *Engine) authorizeTrigger(a Actor, app *Application, t Trigger) error {
	return e.authorize(a, app, t, e.trig[t])
}

// authorize is authorizeTrigger with the trigger's policy already looked up (nil for
// an unknown trigger, which no role may fire).
func (e *Engine) authorize(a Actor, app *Application, t Trigger, ti *trigInfo) error {
	if err := checkActor(a); err != nil {
		return err
	}
	if ti == nil || !ti.roles.has(a.Role) {
		return &ForbiddenError{Actor: a, Action: "fire " + string(t), Reason: "the policy does not let this role " + t.Label(English)}
	}
	if app != nil {
		return canRead(a, app)
	}
	return nil
}

// scope narrows a filter to what the actor may see; a filter naming someone else's
// department or vendor is forbidden.
func scope(a Actor, dept, vendor *string) error {
	switch a.Role {
	case RoleDepartment:
		if *dept != "" && *dept != a.ID {
			return &ForbiddenError{Actor: a, Action: "list department " + *dept, Reason: "a department lists only its own applications (第二十条)"}
		}
		*dept = a.ID
	case RoleVendor:
		if *vendor != "" && *vendor != a.ID {
			return &ForbiddenError{Actor: a, Action: "list vendor " + *vendor, Reason: "a vendor lists only its own applications (第二十条)"}
		}
		*vendor = a.ID
	}
	return nil
}

// Get returns an application the actor may see.
func (e *Engine) Get(ctx context.Context, actor Actor, id string) (Application, error) {
	if err := checkActor(actor); err != nil {
		return Application{}, err
	}
	app, err := e.load(ctx, id)
	if err != nil {
		return Application{}, err
	}
	if err := canRead(actor, &app); err != nil {
		return Application{}, err
	}
	return app, nil
}

// List returns the applications matching f that the actor may see (a department's or
// vendor's filter is narrowed to itself).
func (e *Engine) List(ctx context.Context, actor Actor, f ApplicationFilter) ([]Application, error) {
	if err := checkActor(actor); err != nil {
		return nil, err
	}
	if err := scope(actor, &f.Department, &f.Vendor); err != nil {
		return nil, err
	}
	return e.store.ListApplications(ctx, f)
}

// OverdueItem is one application whose responsible party is late at the query instant.
type OverdueItem struct {
	ApplicationID string
	Department    string
	Vendor        string
	State         State
	Party         Party
	Due           time.Time
	// LateWorkdays counts working days after the due working day up to now's day.
	LateWorkdays int
	// WorkOrder is the vendor's open work order, if any.
	WorkOrder string
}

// Overdue lists what is late at now, ordered by party then due instant, restricted to
// what the actor may see. It reads only the indexed (due, party) columns through
// Store.Overdue and memoises the working-day count per due instant.
func (e *Engine) Overdue(ctx context.Context, actor Actor, now time.Time) ([]OverdueItem, error) {
	if err := checkActor(actor); err != nil {
		return nil, err
	}
	q := OverdueQuery{Now: now}
	if err := scope(actor, &q.Department, &q.Vendor); err != nil {
		return nil, err
	}
	apps, err := e.store.Overdue(ctx, q)
	if err != nil {
		return nil, err
	}
	memo := map[int64]int{}
	out := make([]OverdueItem, 0, len(apps))
	for _, a := range apps {
		k := a.Due.UnixMicro()
		n, ok := memo[k]
		if !ok {
			if n, err = e.lateWorkdays(a.Due, now); err != nil {
				return nil, err
			}
			memo[k] = n
		}
		out = append(out, OverdueItem{ApplicationID: a.ID, Department: a.Department, Vendor: a.Vendor,
			State: a.State, Party: a.Party, Due: a.Due, LateWorkdays: n, WorkOrder: a.OpenWorkOrder})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Party < out[j].Party })
	return out, nil
}

// GroupByParty splits an overdue list by responsible party, keeping the order.
func GroupByParty(items []OverdueItem) map[Party][]OverdueItem {
	out := map[Party][]OverdueItem{}
	for _, it := range items {
		out[it.Party] = append(out[it.Party], it)
	}
	return out
}

// History returns the audit trail of an application the actor may see.
func (e *Engine) History(ctx context.Context, actor Actor, id string) ([]AuditRecord, error) {
	if _, err := e.Get(ctx, actor, id); err != nil {
		return nil, err
	}
	return e.store.History(ctx, id)
}

// Verify checks the hash chain of an application's audit trail: nil when intact,
// else a *TamperError (ErrTampered) naming the sequence number and the problem.
func (e *Engine) Verify(ctx context.Context, actor Actor, id string) error {
	app, err := e.Get(ctx, actor, id)
	if err != nil {
		return err
	}
	recs, err := e.store.History(ctx, id)
	if err != nil {
		return err
	}
	return VerifyChain(app, recs)
}

// WorkOrders lists the work orders matching f that the actor may see.
func (e *Engine) WorkOrders(ctx context.Context, actor Actor, f WorkOrderFilter) ([]WorkOrder, error) {
	if err := checkActor(actor); err != nil {
		return nil, err
	}
	if err := scope(actor, &f.Department, &f.Vendor); err != nil {
		return nil, err
	}
	return e.store.ListWorkOrders(ctx, f)
}

// Permitted returns the triggers the actor may fire now on application id, in
// lifecycle order (work-order triggers excluded: they go through CompleteWorkOrder).
func (e *Engine) Permitted(ctx context.Context, actor Actor, id string) ([]Trigger, error) {
	app, err := e.Get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	now := e.now().UnixMicro()
	var out []Trigger
	for _, ed := range lifecycle {
		ti := e.trig[ed.trigger]
		if ed.from != app.State || !ti.roles.has(actor.Role) || ti.workOrder {
			continue
		}
		if ed.trigger == TriggerExpireTrial && (app.Trial == nil || now < app.Trial.End.UnixMicro()) {
			continue
		}
		out = append(out, ed.trigger)
	}
	return out, nil
}

// roleSet is a set of declared roles, one bit each.
type roleSet uint8

// roleBit returns the bit of a declared role, 0 for any other value.
func roleBit(r Role) roleSet {
	switch r {
	case RoleDepartment:
		return 1
	case RoleAuthority:
		return 2
	case RoleVendor:
		return 4
	case RoleOperator:
		return 8
	case RoleFinance:
		return 16
	}
	return 0
}

func (s roleSet) with(r Role) roleSet { return s | roleBit(r) }
func (s roleSet) has(r Role) bool     { b := roleBit(r); return b != 0 && s&b != 0 }
