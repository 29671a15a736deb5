package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/opengovcloud/govcloud/workflow"
)

// WorkflowStore is a workflow.Store in memory: the reference implementation. One
// mutex serialises every call, so Commit is trivially atomic and Lease trivially has
// exactly one lessee; values are deep-copied in and out. Outbox messages of one
// application are expected in increasing Seq across commits (the engine's audit Seq);
// a subscriber's position is the number of an application's messages it acknowledged.
type WorkflowStore struct {
	mu      sync.Mutex
	apps    map[string]workflow.Application
	audit   map[string][]workflow.AuditRecord
	wos     map[string]workflow.WorkOrder
	msgs    map[string]*storedMsg   // by message ID
	appMsgs map[string][]*storedMsg // per application, in Seq order
	subs    map[string]*subscriber
	nextPos int64
}

type storedMsg struct {
	m   workflow.Message
	idx int // index in appMsgs[m.ApplicationID]
}

type lease struct {
	id      string
	until   int64 // unix micro
	attempt int
}

type subscriber struct {
	acked  map[string]int // application ID → number of its messages acknowledged
	leases map[string]lease
}

// WorkflowTx is the transaction handle WorkflowStore passes to Commit's callback (and
// so to every workflow.Participant). A participant that keeps its own in-memory state
// stages its writes and registers them with OnCommit: they run only if the whole
// transition commits, under the store's lock, after the workflow's own writes.
// Participants must not call back into the WorkflowStore.
type WorkflowTx struct {
	onCommit []func()
}

// OnCommit registers fn to run when the transaction commits; it never runs on rollback.
func (tx *WorkflowTx) OnCommit(fn func()) { tx.onCommit = append(tx.onCommit, fn) }

// NewWorkflowStore returns an empty store.
func NewWorkflowStore() *WorkflowStore {
	return &WorkflowStore{
		apps:    map[string]workflow.Application{},
		audit:   map[string][]workflow.AuditRecord{},
		wos:     map[string]workflow.WorkOrder{},
		msgs:    map[string]*storedMsg{},
		appMsgs: map[string][]*storedMsg{},
		subs:    map[string]*subscriber{},
	}
}

var _ workflow.Store = (*WorkflowStore)(nil)

func conflict(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{workflow.ErrConflict}, args...)...)
}

func notFound(what, id string) error {
	return fmt.Errorf("%w: %s %q", workflow.ErrNotFound, what, id)
}

// Commit implements workflow.Store.
func (s *WorkflowStore) Commit(ctx context.Context, c workflow.Commit, inTx func(context.Context, workflow.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.Application.ID
	cur, exists := s.apps[id]
	switch {
	case c.ExpectedVersion == 0 && exists:
		return conflict("application %q already exists", id)
	case c.ExpectedVersion != 0 && !exists:
		return notFound("application", id)
	case c.ExpectedVersion != 0 && cur.Version != c.ExpectedVersion:
		return conflict("application %q is at version %d, expected %d", id, cur.Version, c.ExpectedVersion)
	}
	recs := s.audit[c.Audit.ApplicationID]
	if slices.ContainsFunc(recs, func(r workflow.AuditRecord) bool { return r.Seq == c.Audit.Seq }) {
		return conflict("audit record %d of %q already exists", c.Audit.Seq, c.Audit.ApplicationID)
	}
	for i, m := range c.Outbox {
		if _, dup := s.msgs[m.ID]; dup || slices.ContainsFunc(c.Outbox[:i], func(x workflow.Message) bool { return x.ID == m.ID }) {
			return conflict("outbox message %q already exists", m.ID)
		}
		for _, sm := range s.appMsgs[m.ApplicationID] {
			if sm.m.Seq == m.Seq {
				return conflict("outbox message %d of %q already exists", m.Seq, m.ApplicationID)
			}
		}
	}
	newWO := func(id string, upto int) bool {
		return slices.ContainsFunc(c.NewWorkOrders[:upto], func(x workflow.WorkOrder) bool { return x.ID == id })
	}
	for i, w := range c.NewWorkOrders {
		if _, dup := s.wos[w.ID]; dup || newWO(w.ID, i) {
			return conflict("work order %q already exists", w.ID)
		}
	}
	for _, w := range c.DoneWorkOrders {
		old, ok := s.wos[w.ID]
		if !ok && !newWO(w.ID, len(c.NewWorkOrders)) {
			return notFound("work order", w.ID)
		}
		if ok && old.Status != workflow.WorkOrderOpen {
			return conflict("work order %q is %s, not open", w.ID, old.Status)
		}
	}
	var tx *WorkflowTx
	if inTx != nil {
		tx = &WorkflowTx{}
		if err := inTx(ctx, tx); err != nil {
			return err
		}
	}
	// Nothing below can fail: the transition commits.
	s.apps[id] = c.Application.Clone()
	s.audit[c.Audit.ApplicationID] = append(recs, c.Audit.Clone())
	for _, m := range c.Outbox {
		s.nextPos++
		mm := m.Clone()
		mm.Position = s.nextPos
		list := s.appMsgs[mm.ApplicationID]
		sm := &storedMsg{m: mm}
		// Keep per-application Seq order even if a caller commits out of order.
		at, _ := slices.BinarySearchFunc(list, mm.Seq, func(x *storedMsg, seq int64) int { return cmp.Compare(x.m.Seq, seq) })
		list = slices.Insert(list, at, sm)
		for i := at; i < len(list); i++ {
			list[i].idx = i
		}
		s.appMsgs[mm.ApplicationID] = list
		s.msgs[mm.ID] = sm
	}
	for _, w := range c.NewWorkOrders {
		s.wos[w.ID] = w.Clone()
	}
	for _, w := range c.DoneWorkOrders {
		s.wos[w.ID] = w.Clone()
	}
	if tx != nil {
		for _, fn := range tx.onCommit {
			fn()
		}
	}
	return nil
}

// GetApplication implements workflow.Store.
func (s *WorkflowStore) GetApplication(ctx context.Context, id string) (workflow.Application, error) {
	if err := ctx.Err(); err != nil {
		return workflow.Application{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.apps[id]
	if !ok {
		return workflow.Application{}, notFound("application", id)
	}
	return a.Clone(), nil
}

// ListApplications implements workflow.Store.
func (s *WorkflowStore) ListApplications(ctx context.Context, f workflow.ApplicationFilter) ([]workflow.Application, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []workflow.Application
	for _, a := range s.apps {
		if (f.Department != "" && a.Department != f.Department) ||
			(f.Vendor != "" && a.Vendor != f.Vendor) ||
			(len(f.States) > 0 && !slices.Contains(f.States, a.State)) ||
			(f.AfterID != "" && a.ID <= f.AfterID) {
			continue
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y workflow.Application) int { return cmp.Compare(x.ID, y.ID) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i := range out {
		out[i] = out[i].Clone()
	}
	return out, nil
}

// Overdue implements workflow.Store.
func (s *WorkflowStore) Overdue(ctx context.Context, q workflow.OverdueQuery) ([]workflow.Application, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []workflow.Application
	for _, a := range s.apps {
		if a.Due.IsZero() || q.Now.Before(a.Due) ||
			(q.Party != "" && a.Party != q.Party) ||
			(q.Department != "" && a.Department != q.Department) ||
			(q.Vendor != "" && a.Vendor != q.Vendor) {
			continue
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y workflow.Application) int {
		if c := x.Due.Compare(y.Due); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	for i := range out {
		out[i] = out[i].Clone()
	}
	return out, nil
}

// History implements workflow.Store.
func (s *WorkflowStore) History(ctx context.Context, applicationID string) ([]workflow.AuditRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.apps[applicationID]; !ok {
		return nil, notFound("application", applicationID)
	}
	recs := s.audit[applicationID]
	out := make([]workflow.AuditRecord, len(recs))
	for i, r := range recs {
		out[i] = r.Clone()
	}
	slices.SortFunc(out, func(x, y workflow.AuditRecord) int { return cmp.Compare(x.Seq, y.Seq) })
	return out, nil
}

// GetWorkOrder implements workflow.Store.
func (s *WorkflowStore) GetWorkOrder(ctx context.Context, id string) (workflow.WorkOrder, error) {
	if err := ctx.Err(); err != nil {
		return workflow.WorkOrder{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.wos[id]
	if !ok {
		return workflow.WorkOrder{}, notFound("work order", id)
	}
	return w.Clone(), nil
}

// ListWorkOrders implements workflow.Store.
func (s *WorkflowStore) ListWorkOrders(ctx context.Context, f workflow.WorkOrderFilter) ([]workflow.WorkOrder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []workflow.WorkOrder
	for _, w := range s.wos {
		if (f.ApplicationID != "" && w.ApplicationID != f.ApplicationID) ||
			(f.Vendor != "" && w.Vendor != f.Vendor) ||
			(f.Department != "" && w.Department != f.Department) ||
			(f.Status != "" && w.Status != f.Status) {
			continue
		}
		out = append(out, w.Clone())
	}
	slices.SortFunc(out, func(x, y workflow.WorkOrder) int {
		if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (s *WorkflowStore) sub(name string) *subscriber {
	sb, ok := s.subs[name]
	if !ok {
		sb = &subscriber{acked: map[string]int{}, leases: map[string]lease{}}
		s.subs[name] = sb
	}
	return sb
}

// Lease implements workflow.Store.
func (s *WorkflowStore) Lease(ctx context.Context, r workflow.LeaseRequest) ([]workflow.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.Subscriber == "" || r.LeaseID == "" {
		return nil, fmt.Errorf("%w: lease needs a subscriber and a lease ID", workflow.ErrInvalidInput)
	}
	max := r.Max
	if max <= 0 {
		max = 1
	}
	now := r.Now.UnixMicro()
	s.mu.Lock()
	defer s.mu.Unlock()
	sb := s.sub(r.Subscriber)
	var heads []*storedMsg
	for app, list := range s.appMsgs {
		k := sb.acked[app]
		if k >= len(list) {
			continue
		}
		h := list[k]
		if l, ok := sb.leases[h.m.ID]; ok && now < l.until {
			continue
		}
		heads = append(heads, h)
	}
	slices.SortFunc(heads, func(x, y *storedMsg) int { return cmp.Compare(x.m.Position, y.m.Position) })
	if len(heads) > max {
		heads = heads[:max]
	}
	out := make([]workflow.Delivery, len(heads))
	for i, h := range heads {
		l := lease{id: r.LeaseID, until: r.Until.UnixMicro(), attempt: sb.leases[h.m.ID].attempt + 1}
		sb.leases[h.m.ID] = l
		out[i] = workflow.Delivery{Message: h.m.Clone(), Subscriber: r.Subscriber, LeaseID: r.LeaseID,
			LeasedUntil: r.Until, Attempt: l.attempt}
	}
	return out, nil
}

// Ack implements workflow.Store.
func (s *WorkflowStore) Ack(ctx context.Context, r workflow.AckRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[r.MessageID]
	if !ok {
		return notFound("outbox message", r.MessageID)
	}
	sb := s.sub(r.Subscriber)
	k := sb.acked[m.m.ApplicationID]
	if m.idx < k {
		return nil // already acknowledged
	}
	l, leased := sb.leases[m.m.ID]
	if m.idx > k || !leased || l.id != r.LeaseID {
		return fmt.Errorf("%w: message %q is not leased to %q under lease %q", workflow.ErrLeaseLost, r.MessageID, r.Subscriber, r.LeaseID)
	}
	delete(sb.leases, m.m.ID)
	sb.acked[m.m.ApplicationID] = k + 1
	return nil
}
