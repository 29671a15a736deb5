package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/opengovcloud/govcloud/workflow"
)

// WorkflowStore is a workflow.Store in memory: the reference implementation. One
// mutex serialises every call, so Commit is trivially atomic and Lease trivially has
// exactly one lessee; values are deep-copied in and out. Outbox messages of one
// application are expected in increasing Seq across commits (the engine's audit Seq);
// a subscriber's position is the number of an application's messages it acknowledged.
//
// The store copies only what a commit writes: an application row keeps the slices
// and pointers of its previous version that the commit left equal (they are never
// handed out, every read copies), and the append-only history is kept per
// application in chunked rows (see workflow_arena.go), audit records packed into
// pointer-free bytes (see workflow_audit.go). Messages are indexed by
// (application, Seq); a message ID of the engine's form "<application ID>/<Seq>" is
// resolved through that index, any other ID through a map (see findMsg).
type WorkflowStore struct {
	mu      sync.Mutex
	apps    map[string]*appEntry
	wos     map[string]*workflow.WorkOrder
	otherID map[string]*storedMsg // messages whose ID is not "<application ID>/<Seq>"
	subs    map[string]*subscriber
	nextPos int64

	entries     wfRows[appEntry]
	records     wfRows[auditRow]
	stored      wfRows[storedMsg]
	workOrders  wfRows[workflow.WorkOrder]
	completions wfRows[workflow.Completion]
	atts        wfSlices[workflow.Attachment]
	bytes       wfSlices[byte]
	pack        []byte // buffer for packing an audit record
}

// appEntry is everything stored under one application ID. An entry may hold audit
// records or messages naming an application whose row does not exist (the store
// does not interpret the domain): exists tells whether app is a stored row.
type appEntry struct {
	exists bool
	app    workflow.Application
	audit  []*auditRow  // Seq order (packed, see workflow_audit.go)
	msgs   []*storedMsg // Seq order, after the pruned ones
	pruned int          // messages deleted by PruneOutbox from the front of msgs
}

type storedMsg struct {
	m   workflow.Message
	idx int // index among the application's messages, pruned ones included
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
// Participants must not call back into the WorkflowStore. Work outside the store (a
// notice, a call to another system) belongs in workflow.AfterCommit instead, which
// the engine runs after Commit has returned and the lock is released.
type WorkflowTx struct {
	onCommit []func()
}

// OnCommit registers fn to run when the transaction commits; it never runs on rollback.
func (tx *WorkflowTx) OnCommit(fn func()) { tx.onCommit = append(tx.onCommit, fn) }

// NewWorkflowStore returns an empty store.
func NewWorkflowStore() *WorkflowStore {
	return &WorkflowStore{
		apps:    map[string]*appEntry{},
		wos:     map[string]*workflow.WorkOrder{},
		otherID: map[string]*storedMsg{},
		subs:    map[string]*subscriber{},
		atts:    wfSlices[workflow.Attachment]{chunk: 256},
		bytes:   wfSlices[byte]{chunk: 32 << 10},
	}
}

var _ workflow.Store = (*WorkflowStore)(nil)

func conflict(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{workflow.ErrConflict}, args...)...)
}

func notFound(what, id string) error {
	return fmt.Errorf("%w: %s %q", workflow.ErrNotFound, what, id)
}

// entry returns the entry of application id, creating an empty one if asked.
func (s *WorkflowStore) entry(id string, create bool) *appEntry {
	e := s.apps[id]
	if e == nil && create {
		e = s.entries.new()
		s.apps[id] = e
	}
	return e
}

// keyedID reports whether id is "<app>/<seq>" with seq in canonical decimal form.
func keyedID(id, app string, seq int64) bool {
	n := len(app)
	if len(id) <= n+1 || id[n] != '/' || id[:n] != app {
		return false
	}
	var buf [20]byte
	return id[n+1:] == string(strconv.AppendInt(buf[:0], seq, 10))
}

// findMsg returns the stored message with the given ID, or nil.
func (s *WorkflowStore) findMsg(id string) *storedMsg {
	if len(s.otherID) > 0 {
		if m := s.otherID[id]; m != nil {
			return m
		}
	}
	// Any other stored message has the ID "<app>/<seq>" and is found through its
	// application: the application ID is everything before the last slash.
	i := strings.LastIndexByte(id, '/')
	if i < 0 {
		return nil
	}
	seq, err := strconv.ParseInt(id[i+1:], 10, 64)
	if err != nil {
		return nil
	}
	e := s.apps[id[:i]]
	if e == nil {
		return nil
	}
	j, ok := bySeq(e.msgs, seq, msgSeq)
	if !ok || e.msgs[j].m.ID != id {
		return nil
	}
	return e.msgs[j]
}

// bySeq finds seq in a list ordered by Seq: its index, or where it would go.
func bySeq[T any](list []*T, seq int64, seqOf func(*T) int64) (int, bool) {
	if n := len(list); n == 0 || seqOf(list[n-1]) < seq {
		return n, false // the usual case: appended at the end
	}
	return slices.BinarySearchFunc(list, seq, func(x *T, seq int64) int { return cmp.Compare(seqOf(x), seq) })
}

func recSeq(r *auditRow) int64  { return r.seq }
func msgSeq(m *storedMsg) int64 { return m.m.Seq }

// insertAt inserts v at i, growing list by doubling from 16 (a lifecycle from
// submission to termination takes 12 to 20 transitions).
func insertAt[T any](list []*T, i int, v *T) []*T {
	if cap(list) == 0 {
		list = make([]*T, 0, 16)
	}
	return slices.Insert(list, i, v)
}

// Commit implements workflow.Store.
func (s *WorkflowStore) Commit(ctx context.Context, c workflow.Commit, inTx func(context.Context, workflow.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.Application.ID
	ent := s.apps[id]
	exists := ent != nil && ent.exists
	switch {
	case c.ExpectedVersion == 0 && exists:
		return conflict("application %q already exists", id)
	case c.ExpectedVersion != 0 && !exists:
		return notFound("application", id)
	case c.ExpectedVersion != 0 && ent.app.Version != c.ExpectedVersion:
		return conflict("application %q is at version %d, expected %d", id, ent.app.Version, c.ExpectedVersion)
	}
	auditEnt := ent
	if c.Audit.ApplicationID != id {
		auditEnt = s.apps[c.Audit.ApplicationID]
	}
	var recAt int
	if auditEnt != nil {
		var dup bool
		if recAt, dup = bySeq(auditEnt.audit, c.Audit.Seq, recSeq); dup {
			return conflict("audit record %d of %q already exists", c.Audit.Seq, c.Audit.ApplicationID)
		}
	}
	for i, m := range c.Outbox {
		me := ent
		if m.ApplicationID != id {
			me = s.apps[m.ApplicationID]
		}
		seqDup := slices.ContainsFunc(c.Outbox[:i], func(x workflow.Message) bool { return x.ApplicationID == m.ApplicationID && x.Seq == m.Seq })
		if me != nil && !seqDup {
			_, seqDup = bySeq(me.msgs, m.Seq, msgSeq)
		}
		// A stored message with the ID "<app>/<seq>" of m's own (app, seq) is a
		// duplicate (app, seq) as well, so for such an ID only the map of other IDs
		// remains to be checked.
		idDup := slices.ContainsFunc(c.Outbox[:i], func(x workflow.Message) bool { return x.ID == m.ID })
		switch {
		case idDup:
		case !seqDup && keyedID(m.ID, m.ApplicationID, m.Seq):
			idDup = len(s.otherID) > 0 && s.otherID[m.ID] != nil
		default:
			idDup = s.findMsg(m.ID) != nil
		}
		switch {
		case idDup:
			return conflict("outbox message %q already exists", m.ID)
		case seqDup:
			return conflict("outbox message %d of %q already exists", m.Seq, m.ApplicationID)
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
	if ent == nil {
		ent = s.entry(id, true)
	}
	s.keepApp(ent, &c.Application)
	ent.exists = true
	if auditEnt == nil || c.Audit.ApplicationID != id {
		auditEnt = s.entry(c.Audit.ApplicationID, true)
		recAt, _ = bySeq(auditEnt.audit, c.Audit.Seq, recSeq)
	}
	rec := s.records.new()
	s.pack = packAudit(s.pack[:0], &c.Audit)
	*rec = auditRow{seq: c.Audit.Seq, blob: s.bytes.clone(s.pack)}
	auditEnt.audit = insertAt(auditEnt.audit, recAt, rec)
	for _, m := range c.Outbox {
		me := ent
		if m.ApplicationID != id {
			me = s.entry(m.ApplicationID, true)
		}
		s.nextPos++
		sm := s.stored.new()
		sm.m = m
		sm.m.Payload = s.bytes.clone(m.Payload)
		sm.m.Position = s.nextPos
		// Keep per-application Seq order even if a caller commits out of order.
		at, _ := bySeq(me.msgs, m.Seq, msgSeq)
		me.msgs = insertAt(me.msgs, at, sm)
		for i := at; i < len(me.msgs); i++ {
			me.msgs[i].idx = me.pruned + i
		}
		if !keyedID(m.ID, m.ApplicationID, m.Seq) {
			s.otherID[m.ID] = sm
		}
	}
	for _, w := range c.NewWorkOrders {
		p := s.workOrders.new()
		*p = s.cloneWO(w)
		s.wos[w.ID] = p
	}
	for _, w := range c.DoneWorkOrders {
		if p := s.wos[w.ID]; p != nil {
			*p = s.cloneWO(w) // a done order is never replaced again: its completion can live in a chunk
		}
	}
	if tx != nil {
		for _, fn := range tx.onCommit {
			fn()
		}
	}
	return nil
}

// cloneWO copies w into store-owned memory.
func (s *WorkflowStore) cloneWO(w workflow.WorkOrder) workflow.WorkOrder {
	if w.Completion != nil {
		c := s.completions.new()
		*c = *w.Completion
		c.Attachments = s.atts.clone(w.Completion.Attachments)
		w.Completion = c
	}
	return w
}

// keepApp stores a copy of a as ent's row. Slices and pointers equal to those of the
// row being replaced are kept (the store never mutates or hands out its own copies);
// only what changed is copied.
func (s *WorkflowStore) keepApp(ent *appEntry, a *workflow.Application) {
	var (
		items   []workflow.Item
		mats    []workflow.Material
		reports []workflow.TestReport
		trial   *workflow.Trial
		change  *workflow.ChangeRequest
	)
	if ent.exists {
		o := &ent.app
		items, mats, reports, trial, change = o.Items, o.Materials, o.TestReports, o.Trial, o.Change
	}
	ent.app = *a
	n := &ent.app
	n.Items = keepSlice(items, a.Items)
	n.Materials = keepSlice(mats, a.Materials)
	n.TestReports = keepSlice(reports, a.TestReports)
	switch {
	case a.Trial == nil:
	case trial != nil && *trial == *a.Trial:
		n.Trial = trial
	default:
		t := *a.Trial
		n.Trial = &t
	}
	switch {
	case a.Change == nil:
	case change != nil && sameChange(change, a.Change):
		n.Change = change
	default:
		ch := *a.Change
		ch.Items = slices.Clone(a.Change.Items)
		n.Change = &ch
	}
}

// keepSlice returns old when it holds the same elements as new, else a copy of new.
// Elements compare with ==, so instants must be identical (same location too) to be
// kept; equal instants in another location are copied, which is always correct.
func keepSlice[T comparable](old, new []T) []T {
	if len(new) == 0 {
		return nil
	}
	if slices.Equal(old, new) {
		return old
	}
	return slices.Clone(new)
}

func sameChange(a, b *workflow.ChangeRequest) bool {
	return a.Major == b.Major && a.Reason == b.Reason && a.RequestedAt == b.RequestedAt && slices.Equal(a.Items, b.Items)
}

// GetApplication implements workflow.Store.
func (s *WorkflowStore) GetApplication(ctx context.Context, id string) (workflow.Application, error) {
	if err := ctx.Err(); err != nil {
		return workflow.Application{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.apps[id]
	if e == nil || !e.exists {
		return workflow.Application{}, notFound("application", id)
	}
	return e.app.Clone(), nil
}

// ListApplications implements workflow.Store.
func (s *WorkflowStore) ListApplications(ctx context.Context, f workflow.ApplicationFilter) ([]workflow.Application, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*workflow.Application
	for _, e := range s.apps {
		a := &e.app
		if !e.exists ||
			(f.Department != "" && a.Department != f.Department) ||
			(f.Vendor != "" && a.Vendor != f.Vendor) ||
			(len(f.States) > 0 && !slices.Contains(f.States, a.State)) ||
			(f.AfterID != "" && a.ID <= f.AfterID) {
			continue
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *workflow.Application) int { return cmp.Compare(x.ID, y.ID) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return cloneApps(out), nil
}

func cloneApps(apps []*workflow.Application) []workflow.Application {
	if len(apps) == 0 {
		return nil
	}
	out := make([]workflow.Application, len(apps))
	for i, a := range apps {
		out[i] = a.Clone()
	}
	return out
}

// Overdue implements workflow.Store.
func (s *WorkflowStore) Overdue(ctx context.Context, q workflow.OverdueQuery) ([]workflow.Application, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*workflow.Application
	for _, e := range s.apps {
		a := &e.app
		if !e.exists || a.Due.IsZero() || q.Now.Before(a.Due) ||
			(q.Party != "" && a.Party != q.Party) ||
			(q.Department != "" && a.Department != q.Department) ||
			(q.Vendor != "" && a.Vendor != q.Vendor) {
			continue
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *workflow.Application) int {
		if c := x.Due.Compare(y.Due); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return cloneApps(out), nil
}

// History implements workflow.Store.
func (s *WorkflowStore) History(ctx context.Context, applicationID string) ([]workflow.AuditRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.apps[applicationID]
	if e == nil || !e.exists {
		return nil, notFound("application", applicationID)
	}
	out := make([]workflow.AuditRecord, len(e.audit)) // already in Seq order
	for i, r := range e.audit {
		out[i] = unpackAudit(applicationID, r)
	}
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
	limit := r.Max
	if limit <= 0 {
		limit = 1
	}
	now := r.Now.UnixMicro()
	s.mu.Lock()
	defer s.mu.Unlock()
	sb := s.sub(r.Subscriber)
	var heads []*storedMsg
	for app, e := range s.apps {
		k := max(sb.acked[app], e.pruned) - e.pruned
		if k >= len(e.msgs) {
			continue
		}
		h := e.msgs[k]
		if l, ok := sb.leases[h.m.ID]; ok && now < l.until {
			continue
		}
		heads = append(heads, h)
	}
	slices.SortFunc(heads, func(x, y *storedMsg) int { return cmp.Compare(x.m.Position, y.m.Position) })
	if len(heads) > limit {
		heads = heads[:limit]
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
	return s.ackLocked(r)
}

var _ workflow.OutboxBatchAcker = (*WorkflowStore)(nil)

// AckBatch implements workflow.OutboxBatchAcker: every request under one hold
// of the store's lock.
func (s *WorkflowStore) AckBatch(ctx context.Context, rs []workflow.AckRequest) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]error, len(rs))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range rs {
		out[i] = s.ackLocked(r)
	}
	return out, nil
}

// ackLocked is Ack under s.mu.
func (s *WorkflowStore) ackLocked(r workflow.AckRequest) error {
	m := s.findMsg(r.MessageID)
	if m == nil {
		return notFound("outbox message", r.MessageID)
	}
	sb := s.subs[r.Subscriber]
	if sb == nil { // never leased anything: nothing to acknowledge, and no registration
		return fmt.Errorf("%w: message %q was never leased to %q", workflow.ErrLeaseLost, r.MessageID, r.Subscriber)
	}
	k := max(sb.acked[m.m.ApplicationID], s.apps[m.m.ApplicationID].pruned)
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
