package workflowtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/opengovcloud/govcloud/workflow"
)

// Base is the instant the suite starts at: Monday 2 March 2026, 09:00 UTC+8.
var Base = time.Date(2026, 3, 2, 9, 0, 0, 0, China).UTC()

// CmpOpts compare stored values: instants by Equal, nil and empty slices alike.
var CmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// Run runs the conformance suite against stores made by newStore (a fresh, empty
// store per call). Every workflow.Store implementation must pass it.
func Run(t *testing.T, newStore func(t *testing.T) workflow.Store) {
	t.Run("CRUD", func(t *testing.T) { testCRUD(t, newStore(t)) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("Versioning", func(t *testing.T) { testVersioning(t, newStore(t)) })
	t.Run("Atomicity", func(t *testing.T) { testAtomicity(t, newStore(t)) })
	t.Run("Overdue", func(t *testing.T) { testOverdue(t, newStore(t)) })
	t.Run("WorkOrders", func(t *testing.T) { testWorkOrders(t, newStore(t)) })
	t.Run("OutboxOrderLeaseAck", func(t *testing.T) { testOutbox(t, newStore(t)) })
	t.Run("OutboxConcurrentLessees", func(t *testing.T) { testConcurrentLessees(t, newStore(t)) })
	t.Run("OutboxPrune", func(t *testing.T) { testPrune(t, newStore(t)) })
	t.Run("OutboxBatchAck", func(t *testing.T) { testBatchAck(t, newStore(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, newStore(t)) })
	t.Run("InputsNotRetained", func(t *testing.T) { testInputsNotRetained(t, newStore(t)) })
	t.Run("Engine", func(t *testing.T) { runEngine(t, newStore) })
}

// ---- store-level helpers ----

func at(d time.Duration) time.Time { return Base.Add(d) }

func newApp(id, dept, vendor string) workflow.Application {
	return workflow.Application{
		ID: id, Department: dept, Vendor: vendor, SystemName: "system " + id,
		Zone: workflow.PrivateZone, SecurityLevel: 2,
		Items:      []workflow.Item{{Code: "ecs.2c4g", Quantity: 2}},
		State:      workflow.StateSubmitted,
		StateSince: Base, CreatedAt: Base, UpdatedAt: Base,
		Party: workflow.PartyAuthority,
	}
}

// commitFor builds the commit that moves app from version expected to expected+1
// with one audit record and one outbox message (Seq = expected+1).
func commitFor(app workflow.Application, expected int64, when time.Time) workflow.Commit {
	seq := expected + 1
	app.Version = seq
	app.UpdatedAt = when
	rec := workflow.AuditRecord{
		ApplicationID: app.ID, Seq: seq, At: when,
		Actor: workflow.Actor{Role: workflow.RoleAuthority, ID: "office-1"},
		From:  workflow.StateSubmitted, To: app.State, Trigger: workflow.TriggerAccept,
		PrevHash: app.AuditHead,
	}
	rec.Hash = workflow.HashAuditRecord(rec)
	app.AuditSeq, app.AuditHead = seq, rec.Hash
	key := fmt.Sprintf("%s/%d", app.ID, seq)
	return workflow.Commit{
		ExpectedVersion: expected,
		Application:     app,
		Audit:           rec,
		Outbox: []workflow.Message{{ID: key, ApplicationID: app.ID, Seq: seq, Topic: workflow.TopicTransition,
			IdempotencyKey: key, Payload: []byte(`{"seq":` + fmt.Sprint(seq) + `}`), CreatedAt: when}},
	}
}

func mustCommit(t *testing.T, s workflow.Store, c workflow.Commit) workflow.Application {
	t.Helper()
	if err := s.Commit(context.Background(), c, nil); err != nil {
		t.Fatalf("Commit %s v%d: %v", c.Application.ID, c.ExpectedVersion, err)
	}
	return c.Application
}

func mustGet(t *testing.T, s workflow.Store, id string) workflow.Application {
	t.Helper()
	a, err := s.GetApplication(context.Background(), id)
	if err != nil {
		t.Fatalf("GetApplication(%q): %v", id, err)
	}
	return a
}

func ids(apps []workflow.Application) []string {
	out := make([]string, len(apps))
	for i, a := range apps {
		out[i] = a.ID
	}
	return out
}

// ---- store-level tests ----

func testCRUD(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	if _, err := s.GetApplication(ctx, "missing"); !errors.Is(err, workflow.ErrNotFound) {
		t.Fatalf("GetApplication(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.History(ctx, "missing"); !errors.Is(err, workflow.ErrNotFound) {
		t.Fatalf("History(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetWorkOrder(ctx, "missing"); !errors.Is(err, workflow.ErrNotFound) {
		t.Fatalf("GetWorkOrder(missing) = %v, want ErrNotFound", err)
	}
	specs := []struct{ id, dept, vendor string }{
		{"a3", "d1", "v1"}, {"a1", "d1", "v2"}, {"a2", "d2", "v1"}, {"a4", "d2", "v2"},
	}
	for _, sp := range specs {
		mustCommit(t, s, commitFor(newApp(sp.id, sp.dept, sp.vendor), 0, Base))
	}
	// Move a4 on to accepted.
	a4 := mustGet(t, s, "a4")
	a4.State = workflow.StateAccepted
	mustCommit(t, s, commitFor(a4, 1, at(time.Hour)))

	tests := []struct {
		name string
		f    workflow.ApplicationFilter
		want []string
	}{
		{"all", workflow.ApplicationFilter{}, []string{"a1", "a2", "a3", "a4"}},
		{"department", workflow.ApplicationFilter{Department: "d1"}, []string{"a1", "a3"}},
		{"vendor", workflow.ApplicationFilter{Vendor: "v1"}, []string{"a2", "a3"}},
		{"both", workflow.ApplicationFilter{Department: "d2", Vendor: "v2"}, []string{"a4"}},
		{"states", workflow.ApplicationFilter{States: []workflow.State{workflow.StateAccepted}}, []string{"a4"}},
		{"states two", workflow.ApplicationFilter{States: []workflow.State{workflow.StateAccepted, workflow.StateSubmitted}}, []string{"a1", "a2", "a3", "a4"}},
		{"after", workflow.ApplicationFilter{AfterID: "a2"}, []string{"a3", "a4"}},
		{"limit", workflow.ApplicationFilter{Limit: 2}, []string{"a1", "a2"}},
		{"after+limit", workflow.ApplicationFilter{AfterID: "a1", Limit: 2}, []string{"a2", "a3"}},
		{"none", workflow.ApplicationFilter{Department: "d9"}, nil},
	}
	for _, tc := range tests {
		got, err := s.ListApplications(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d := cmp.Diff(tc.want, ids(got), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("ListApplications %s (-want +got):\n%s", tc.name, d)
		}
	}
	got := mustGet(t, s, "a4")
	if got.Version != 2 || got.State != workflow.StateAccepted || got.AuditSeq != 2 {
		t.Errorf("a4 = version %d state %s seq %d, want 2 accepted 2", got.Version, got.State, got.AuditSeq)
	}
	h, err := s.History(ctx, "a4")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Seq != 1 || h[1].Seq != 2 {
		t.Fatalf("History(a4) seqs = %v, want [1 2]", seqs(h))
	}
	if err := workflow.VerifyChain(got, h); err != nil {
		t.Errorf("VerifyChain after round trip: %v", err)
	}
	// Returned values are copies.
	got.Items[0].Quantity = 99
	if again := mustGet(t, s, "a4"); again.Items[0].Quantity != 2 {
		t.Errorf("mutating a returned application changed the store")
	}
}

func seqs(h []workflow.AuditRecord) []int64 {
	out := make([]int64, len(h))
	for i, r := range h {
		out[i] = r.Seq
	}
	return out
}

func fullApp() workflow.Application {
	a := newApp("full", "dept-x", "vendor-y")
	a.SystemName = "统一审批系统"
	a.Zone = workflow.PublicZone
	a.SecurityLevel = 3
	a.Items = []workflow.Item{{Code: "ecs.8c16g", Quantity: 4}, {Code: "rds.mysql", Quantity: 1}, {Code: "oss.tb", Quantity: 10}}
	a.State = workflow.StateChangeTesting
	a.StateSince = at(48*time.Hour + 123456*time.Microsecond)
	a.Due = time.Date(2026, 3, 10, 0, 0, 0, 0, China).UTC()
	a.Party = workflow.PartyDepartment
	a.ActivatedAt = at(24 * time.Hour)
	a.Submissions = 2
	a.Materials = []workflow.Material{
		{Kind: workflow.MaterialConstructionPlan, Attachment: workflow.Attachment{Name: "建设方案.pdf", URI: "doc://plan", SHA256: "ab"}},
		{Kind: workflow.MaterialSelfTestReport, Attachment: workflow.Attachment{Name: "self.pdf", URI: "doc://self"}},
	}
	a.TestReports = []workflow.TestReport{
		{Kind: workflow.TestSecurity, Passed: true, ThirdParty: true, Lab: "CNAS L1234", Report: workflow.Attachment{Name: "sec", URI: "doc://sec"}, RecordedAt: at(3 * time.Hour)},
		{Kind: workflow.TestPerformance, Passed: false, Report: workflow.Attachment{URI: "doc://perf"}, RecordedAt: at(4 * time.Hour)},
	}
	a.Trial = &workflow.Trial{Start: at(time.Hour), Days: 20, Extensions: 1, ExtensionDays: 5, End: at(26 * 24 * time.Hour)}
	a.Change = &workflow.ChangeRequest{Items: []workflow.Item{{Code: "ecs.8c16g", Quantity: 8}}, Major: true, Reason: "扩容", RequestedAt: at(30 * time.Hour)}
	a.OpenWorkOrder = "wo-1"
	return a
}

func testRoundTrip(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	c := commitFor(fullApp(), 0, Base)
	c.Audit.Opinion = "同意"
	c.Audit.Attachments = []workflow.Attachment{{Name: "意见.pdf", URI: "doc://op", SHA256: "ff"}}
	c.Audit.Details = `{"trial_days":20}`
	c.Audit.Timing = workflow.Timing{Party: workflow.PartyAuthority, Due: at(72 * time.Hour), Late: true, LateWorkdays: 2}
	c.Audit.Hash = workflow.HashAuditRecord(c.Audit)
	c.Application.AuditHead = c.Audit.Hash
	wo := workflow.WorkOrder{ID: "wo-1", ApplicationID: "full", Department: "dept-x", Vendor: "vendor-y",
		Kind: workflow.WorkOrderChange, Trigger: workflow.TriggerCompleteChange, Status: workflow.WorkOrderOpen,
		CreatedAt: Base, Due: at(96 * time.Hour)}
	c.NewWorkOrders = []workflow.WorkOrder{wo}
	mustCommit(t, s, c)
	if d := cmp.Diff(c.Application, mustGet(t, s, "full"), CmpOpts); d != "" {
		t.Errorf("application round trip (-want +got):\n%s", d)
	}
	h, err := s.History(ctx, "full")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]workflow.AuditRecord{c.Audit}, h, CmpOpts); d != "" {
		t.Errorf("audit round trip (-want +got):\n%s", d)
	}
	if workflow.HashAuditRecord(h[0]) != h[0].Hash {
		t.Errorf("the stored audit record no longer hashes to its Hash")
	}
	gotWO, err := s.GetWorkOrder(ctx, "wo-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wo, gotWO, CmpOpts); d != "" {
		t.Errorf("work order round trip (-want +got):\n%s", d)
	}
	ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: "rt", LeaseID: "l1", Now: Base, Until: at(time.Minute), Max: 10})
	if err != nil || len(ds) != 1 {
		t.Fatalf("Lease = %d deliveries, %v; want 1", len(ds), err)
	}
	m := ds[0].Message
	want := c.Outbox[0]
	want.Position = m.Position
	if d := cmp.Diff(want, m, CmpOpts); d != "" {
		t.Errorf("message round trip (-want +got):\n%s", d)
	}
	if m.Position <= 0 {
		t.Errorf("message Position = %d, want > 0 (assigned by the store)", m.Position)
	}
	// Zero times stay zero.
	z := newApp("zero", "d", "v")
	z.StateSince, z.CreatedAt, z.UpdatedAt = time.Time{}, time.Time{}, time.Time{}
	cz := commitFor(z, 0, Base)
	cz.Application.UpdatedAt = time.Time{}
	mustCommit(t, s, cz)
	gz := mustGet(t, s, "zero")
	if !gz.Due.IsZero() || !gz.ActivatedAt.IsZero() || !gz.CreatedAt.IsZero() || gz.Trial != nil || gz.Change != nil {
		t.Errorf("zero values did not round-trip: due %v activated %v created %v trial %v change %v",
			gz.Due, gz.ActivatedAt, gz.CreatedAt, gz.Trial, gz.Change)
	}
}

// snapshot is everything the store holds about some applications.
type snapshot struct {
	Apps    map[string]workflow.Application
	History map[string][]workflow.AuditRecord
	WOs     []workflow.WorkOrder
}

func takeSnapshot(t *testing.T, s workflow.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	apps, err := s.ListApplications(ctx, workflow.ApplicationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sn := snapshot{Apps: map[string]workflow.Application{}, History: map[string][]workflow.AuditRecord{}}
	for _, a := range apps {
		sn.Apps[a.ID] = a
		h, err := s.History(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		sn.History[a.ID] = h
	}
	sn.WOs, err = s.ListWorkOrders(ctx, workflow.WorkOrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return sn
}

func assertUnchanged(t *testing.T, s workflow.Store, before snapshot, what string) {
	t.Helper()
	if d := cmp.Diff(before, takeSnapshot(t, s), CmpOpts); d != "" {
		t.Errorf("%s changed the store (-before +after):\n%s", what, d)
	}
}

func testVersioning(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	a := mustCommit(t, s, commitFor(newApp("v1", "d", "v"), 0, Base))
	wo := workflow.WorkOrder{ID: "wo-v", ApplicationID: "v1", Department: "d", Vendor: "v", Kind: workflow.WorkOrderTrialEnvironment,
		Trigger: workflow.TriggerProvideTrial, Status: workflow.WorkOrderOpen, CreatedAt: Base, Due: at(48 * time.Hour)}
	c2 := commitFor(a, 1, at(time.Hour))
	c2.NewWorkOrders = []workflow.WorkOrder{wo}
	a = mustCommit(t, s, c2)
	before := takeSnapshot(t, s)

	done := wo
	done.Status = workflow.WorkOrderDone
	done.Completion = &workflow.Completion{Key: "k"}
	done.CompletedAt = at(2 * time.Hour)

	cases := []struct {
		name string
		c    workflow.Commit
		want error
	}{
		{"stale version", commitFor(a, 1, at(2*time.Hour)), workflow.ErrConflict},
		{"future version", commitFor(a, 5, at(2*time.Hour)), workflow.ErrConflict},
		{"create existing", commitFor(newApp("v1", "d", "v"), 0, at(2*time.Hour)), workflow.ErrConflict},
		{"update missing", commitFor(newApp("nope", "d", "v"), 3, at(2*time.Hour)), workflow.ErrNotFound},
		{"duplicate audit seq", func() workflow.Commit {
			c := commitFor(a, 2, at(2*time.Hour))
			c.Audit.Seq = 2
			c.Outbox[0].ID, c.Outbox[0].Seq = "fresh", 3
			return c
		}(), workflow.ErrConflict},
		{"duplicate message id", func() workflow.Commit {
			c := commitFor(a, 2, at(2*time.Hour))
			c.Outbox[0].ID = "v1/1"
			return c
		}(), workflow.ErrConflict},
		{"duplicate message seq", func() workflow.Commit {
			c := commitFor(a, 2, at(2*time.Hour))
			c.Outbox[0].ID, c.Outbox[0].Seq = "fresh", 1
			return c
		}(), workflow.ErrConflict},
		{"duplicate work order", func() workflow.Commit {
			c := commitFor(a, 2, at(2*time.Hour))
			c.NewWorkOrders = []workflow.WorkOrder{wo}
			return c
		}(), workflow.ErrConflict},
		{"complete missing work order", func() workflow.Commit {
			c := commitFor(a, 2, at(2*time.Hour))
			d := done
			d.ID = "wo-missing"
			c.DoneWorkOrders = []workflow.WorkOrder{d}
			return c
		}(), workflow.ErrNotFound},
	}
	for _, tc := range cases {
		err := s.Commit(ctx, tc.c, nil)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Commit = %v, want %v", tc.name, err, tc.want)
		}
		assertUnchanged(t, s, before, tc.name)
	}
	// Completing the open work order works once; the second time it is not open.
	c3 := commitFor(a, 2, at(3*time.Hour))
	c3.DoneWorkOrders = []workflow.WorkOrder{done}
	a = mustCommit(t, s, c3)
	got, err := s.GetWorkOrder(ctx, "wo-v")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(done, got, CmpOpts); d != "" {
		t.Errorf("done work order (-want +got):\n%s", d)
	}
	c4 := commitFor(a, 3, at(4*time.Hour))
	c4.DoneWorkOrders = []workflow.WorkOrder{done}
	if err := s.Commit(ctx, c4, nil); !errors.Is(err, workflow.ErrConflict) {
		t.Errorf("completing a done work order: %v, want ErrConflict", err)
	}
	if v := mustGet(t, s, "v1").Version; v != 3 {
		t.Errorf("version after failed commit = %d, want 3", v)
	}
}

// scribble overwrites every slice element and pointee reachable from c, as a caller
// reusing its buffers after Commit returns would (the engine does: it keeps its
// encoding buffers in a pool).
func scribble(c *workflow.Commit) {
	a := &c.Application
	for i := range a.Items {
		a.Items[i] = workflow.Item{Code: "scribbled", Quantity: -1}
	}
	for i := range a.Materials {
		a.Materials[i] = workflow.Material{Kind: "scribbled", Attachment: workflow.Attachment{URI: "scribbled"}}
	}
	for i := range a.TestReports {
		a.TestReports[i] = workflow.TestReport{Kind: "scribbled", Lab: "scribbled"}
	}
	if a.Trial != nil {
		*a.Trial = workflow.Trial{Days: -1}
	}
	if a.Change != nil {
		for i := range a.Change.Items {
			a.Change.Items[i] = workflow.Item{Code: "scribbled"}
		}
		*a.Change = workflow.ChangeRequest{Reason: "scribbled"}
	}
	for i := range c.Audit.Attachments {
		c.Audit.Attachments[i] = workflow.Attachment{URI: "scribbled"}
	}
	for i := range c.Outbox {
		for j := range c.Outbox[i].Payload {
			c.Outbox[i].Payload[j] = 'X'
		}
		c.Outbox[i] = workflow.Message{ID: "scribbled"}
	}
	for _, ws := range [][]workflow.WorkOrder{c.NewWorkOrders, c.DoneWorkOrders} {
		for i := range ws {
			if cp := ws[i].Completion; cp != nil {
				for j := range cp.Attachments {
					cp.Attachments[j] = workflow.Attachment{URI: "scribbled"}
				}
				*cp = workflow.Completion{Key: "scribbled"}
			}
			ws[i] = workflow.WorkOrder{ID: "scribbled"}
		}
	}
}

// deepCommit returns a deep copy of c.
func deepCommit(c workflow.Commit) workflow.Commit {
	d := c
	d.Application = c.Application.Clone()
	d.Audit = c.Audit.Clone()
	d.Outbox = nil
	for _, m := range c.Outbox {
		d.Outbox = append(d.Outbox, m.Clone())
	}
	d.NewWorkOrders, d.DoneWorkOrders = nil, nil
	for _, w := range c.NewWorkOrders {
		d.NewWorkOrders = append(d.NewWorkOrders, w.Clone())
	}
	for _, w := range c.DoneWorkOrders {
		d.DoneWorkOrders = append(d.DoneWorkOrders, w.Clone())
	}
	return d
}

// testInputsNotRetained checks the rule "values passed in are not retained": after
// Commit returns, the caller may overwrite everything it passed (including buffers it
// reuses for its next commit) without changing what the store holds. Two commits are
// checked: one creating every kind of row, and one repeating the same slice contents
// (a store that shares unchanged values between versions must still copy them once).
func testInputsNotRetained(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	c1 := commitFor(fullApp(), 0, Base)
	c1.Audit.Attachments = []workflow.Attachment{{Name: "意见.pdf", URI: "doc://op", SHA256: "ff"}}
	c1.Audit.Hash = workflow.HashAuditRecord(c1.Audit)
	c1.Application.AuditHead = c1.Audit.Hash
	c1.NewWorkOrders = []workflow.WorkOrder{{ID: "wo-r", ApplicationID: "full", Department: "dept-x", Vendor: "vendor-y",
		Kind: workflow.WorkOrderChange, Trigger: workflow.TriggerCompleteChange, Status: workflow.WorkOrderOpen, CreatedAt: Base, Due: at(time.Hour)}}
	want1 := deepCommit(c1)
	mustCommit(t, s, c1)
	scribble(&c1)

	// Version 2 repeats version 1's contents in fresh slices, and completes the order.
	c2 := commitFor(want1.Application.Clone(), 1, at(time.Hour))
	c2.Audit.Attachments = []workflow.Attachment{{Name: "回执", URI: "doc://receipt"}}
	c2.Audit.Hash = workflow.HashAuditRecord(c2.Audit)
	c2.Application.AuditHead = c2.Audit.Hash
	done := want1.NewWorkOrders[0].Clone()
	done.Status, done.CompletedAt = workflow.WorkOrderDone, at(time.Hour)
	done.Completion = &workflow.Completion{Key: "k", Note: "done", Attachments: []workflow.Attachment{{Name: "单", URI: "doc://wo"}}}
	c2.DoneWorkOrders = []workflow.WorkOrder{done}
	want2 := deepCommit(c2)
	mustCommit(t, s, c2)
	scribble(&c2)

	if d := cmp.Diff(want2.Application, mustGet(t, s, "full"), CmpOpts); d != "" {
		t.Errorf("stored application changed with the caller's values (-want +got):\n%s", d)
	}
	h, err := s.History(ctx, "full")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]workflow.AuditRecord{want1.Audit, want2.Audit}, h, CmpOpts); d != "" {
		t.Errorf("stored history changed with the caller's values (-want +got):\n%s", d)
	}
	w, err := s.GetWorkOrder(ctx, "wo-r")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want2.DoneWorkOrders[0], w, CmpOpts); d != "" {
		t.Errorf("stored work order changed with the caller's values (-want +got):\n%s", d)
	}
	ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: "nr", LeaseID: "l1", Now: Base, Until: at(time.Minute), Max: 10})
	if err != nil || len(ds) != 1 {
		t.Fatalf("Lease = %d deliveries, %v; want 1", len(ds), err)
	}
	m := ds[0].Message
	wantMsg := want1.Outbox[0]
	wantMsg.Position = m.Position
	if d := cmp.Diff(wantMsg, m, CmpOpts); d != "" {
		t.Errorf("stored message changed with the caller's values (-want +got):\n%s", d)
	}
}

var errParticipant = errors.New("participant refuses")

func testAtomicity(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	fail := func(context.Context, workflow.Tx) error { return fmt.Errorf("wrapped: %w", errParticipant) }
	var sawTx bool
	ok := func(_ context.Context, tx workflow.Tx) error { sawTx = tx != nil; return nil }

	// A failing participant on create writes nothing.
	c := commitFor(newApp("at1", "d", "v"), 0, Base)
	c.NewWorkOrders = []workflow.WorkOrder{{ID: "wo-at", ApplicationID: "at1", Department: "d", Vendor: "v",
		Kind: workflow.WorkOrderReclaim, Trigger: workflow.TriggerCompleteReclaim, Status: workflow.WorkOrderOpen, CreatedAt: Base, Due: at(time.Hour)}}
	if err := s.Commit(ctx, c, fail); !errors.Is(err, errParticipant) {
		t.Fatalf("Commit with failing participant = %v, want errParticipant", err)
	}
	if _, err := s.GetApplication(ctx, "at1"); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("application exists after rollback: %v", err)
	}
	if _, err := s.GetWorkOrder(ctx, "wo-at"); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("work order exists after rollback: %v", err)
	}
	if ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: "atom", LeaseID: "l0", Now: Base, Until: at(time.Minute), Max: 10}); err != nil || len(ds) != 0 {
		t.Errorf("outbox after rollback: %d deliveries, %v; want none", len(ds), err)
	}
	// The same commit then succeeds (nothing half-written blocks it).
	if err := s.Commit(ctx, c, ok); err != nil {
		t.Fatalf("Commit after rollback: %v", err)
	}
	if !sawTx {
		t.Errorf("inTx got a nil Tx")
	}
	// A failing participant on update leaves the previous state.
	before := takeSnapshot(t, s)
	a := mustGet(t, s, "at1")
	a.State = workflow.StateAccepted
	c2 := commitFor(a, 1, at(time.Hour))
	c2.DoneWorkOrders = []workflow.WorkOrder{{ID: "wo-at", ApplicationID: "at1", Department: "d", Vendor: "v",
		Kind: workflow.WorkOrderReclaim, Trigger: workflow.TriggerCompleteReclaim, Status: workflow.WorkOrderDone,
		CreatedAt: Base, Due: at(time.Hour), Completion: &workflow.Completion{Key: "x"}, CompletedAt: at(time.Hour)}}
	if err := s.Commit(ctx, c2, fail); !errors.Is(err, errParticipant) {
		t.Fatalf("update with failing participant = %v", err)
	}
	assertUnchanged(t, s, before, "a rolled-back update")
	ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: "atom2", LeaseID: "l1", Now: Base, Until: at(time.Minute), Max: 10})
	if err != nil || len(ds) != 1 || ds[0].Message.Seq != 1 {
		t.Fatalf("outbox after rolled-back update: %v, %v", ds, err)
	}
	if err := s.Ack(ctx, workflow.AckRequest{Subscriber: "atom2", MessageID: ds[0].Message.ID, LeaseID: "l1"}); err != nil {
		t.Fatal(err)
	}
	if ds, _ := s.Lease(ctx, workflow.LeaseRequest{Subscriber: "atom2", LeaseID: "l2", Now: Base, Until: at(time.Minute), Max: 10}); len(ds) != 0 {
		t.Errorf("a rolled-back outbox message was delivered: %v", ds[0].Message.ID)
	}
	// A cancelled context writes nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Commit(cctx, c2, nil); err == nil {
		t.Errorf("Commit with a cancelled context succeeded")
	}
	assertUnchanged(t, s, before, "a cancelled commit")
}

func testOverdue(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	due := func(days int) time.Time { return time.Date(2026, 3, 3+days, 0, 0, 0, 0, China).UTC() }
	specs := []struct {
		id, dept, vendor string
		party            workflow.Party
		due              time.Time
	}{
		{"o1", "d1", "v1", workflow.PartyAuthority, due(0)},
		{"o2", "d2", "v1", workflow.PartyVendor, due(1)},
		{"o3", "d1", "v2", workflow.PartyDepartment, due(2)},
		{"o4", "d2", "v2", workflow.PartyAuthority, due(5)},
		{"o5", "d1", "v1", workflow.PartyNone, time.Time{}},
		{"o0", "d1", "v1", workflow.PartyVendor, due(1)}, // same due as o2: ID breaks the tie
	}
	for _, sp := range specs {
		a := newApp(sp.id, sp.dept, sp.vendor)
		a.Party, a.Due = sp.party, sp.due
		mustCommit(t, s, commitFor(a, 0, Base))
	}
	tests := []struct {
		name string
		q    workflow.OverdueQuery
		want []string
	}{
		{"before everything", workflow.OverdueQuery{Now: due(0).Add(-time.Microsecond)}, nil},
		{"exactly at due is late", workflow.OverdueQuery{Now: due(0)}, []string{"o1"}},
		{"ordered by due then id", workflow.OverdueQuery{Now: due(2)}, []string{"o1", "o0", "o2", "o3"}},
		{"all", workflow.OverdueQuery{Now: due(30)}, []string{"o1", "o0", "o2", "o3", "o4"}},
		{"party", workflow.OverdueQuery{Now: due(30), Party: workflow.PartyAuthority}, []string{"o1", "o4"}},
		{"department", workflow.OverdueQuery{Now: due(30), Department: "d1"}, []string{"o1", "o0", "o3"}},
		{"vendor", workflow.OverdueQuery{Now: due(30), Vendor: "v2"}, []string{"o3", "o4"}},
		{"limit", workflow.OverdueQuery{Now: due(30), Limit: 2}, []string{"o1", "o0"}},
	}
	for _, tc := range tests {
		got, err := s.Overdue(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d := cmp.Diff(tc.want, ids(got), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("Overdue %s (-want +got):\n%s", tc.name, d)
		}
	}
	// Moving on clears the deadline.
	a := mustGet(t, s, "o1")
	a.Due, a.Party = time.Time{}, workflow.PartyNone
	mustCommit(t, s, commitFor(a, 1, at(time.Hour)))
	got, err := s.Overdue(ctx, workflow.OverdueQuery{Now: due(0)})
	if err != nil || len(got) != 0 {
		t.Errorf("Overdue after clearing o1: %v, %v", ids(got), err)
	}
}

func testWorkOrders(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	mk := func(id, app, dept, vendor string, created time.Duration) workflow.WorkOrder {
		return workflow.WorkOrder{ID: id, ApplicationID: app, Department: dept, Vendor: vendor, Kind: workflow.WorkOrderReclaim,
			Trigger: workflow.TriggerCompleteReclaim, Status: workflow.WorkOrderOpen, CreatedAt: at(created), Due: at(created + 72*time.Hour)}
	}
	c1 := commitFor(newApp("w1", "d1", "v1"), 0, Base)
	c1.NewWorkOrders = []workflow.WorkOrder{mk("wb", "w1", "d1", "v1", time.Hour), mk("wa", "w1", "d1", "v1", time.Hour)}
	mustCommit(t, s, c1)
	c2 := commitFor(newApp("w2", "d2", "v2"), 0, Base)
	c2.NewWorkOrders = []workflow.WorkOrder{mk("w0", "w2", "d2", "v2", 2*time.Hour)}
	a2 := mustCommit(t, s, c2)
	done := mk("w0", "w2", "d2", "v2", 2*time.Hour)
	done.Status, done.Completion, done.CompletedAt = workflow.WorkOrderDone, &workflow.Completion{Key: "k", Note: "ok",
		Attachments: []workflow.Attachment{{Name: "r", URI: "doc://r"}}}, at(3*time.Hour)
	done.Timing = workflow.Timing{Party: workflow.PartyVendor, Due: at(74 * time.Hour)}
	c3 := commitFor(a2, 1, at(3*time.Hour))
	c3.DoneWorkOrders = []workflow.WorkOrder{done}
	mustCommit(t, s, c3)
	woIDs := func(ws []workflow.WorkOrder) []string {
		out := make([]string, len(ws))
		for i, w := range ws {
			out[i] = w.ID
		}
		return out
	}
	tests := []struct {
		name string
		f    workflow.WorkOrderFilter
		want []string
	}{
		{"all ordered by created then id", workflow.WorkOrderFilter{}, []string{"wa", "wb", "w0"}},
		{"application", workflow.WorkOrderFilter{ApplicationID: "w2"}, []string{"w0"}},
		{"vendor", workflow.WorkOrderFilter{Vendor: "v1"}, []string{"wa", "wb"}},
		{"department", workflow.WorkOrderFilter{Department: "d2"}, []string{"w0"}},
		{"open", workflow.WorkOrderFilter{Status: workflow.WorkOrderOpen}, []string{"wa", "wb"}},
		{"done", workflow.WorkOrderFilter{Status: workflow.WorkOrderDone}, []string{"w0"}},
		{"limit", workflow.WorkOrderFilter{Limit: 1}, []string{"wa"}},
	}
	for _, tc := range tests {
		got, err := s.ListWorkOrders(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, woIDs(got), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("ListWorkOrders %s (-want +got):\n%s", tc.name, d)
		}
	}
	got, err := s.GetWorkOrder(ctx, "w0")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(done, got, CmpOpts); d != "" {
		t.Errorf("done work order (-want +got):\n%s", d)
	}
}

func msgIDs(ds []workflow.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Message.ID
	}
	return out
}

func testOutbox(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	a := mustCommit(t, s, commitFor(newApp("A", "d", "v"), 0, Base))
	mustCommit(t, s, commitFor(newApp("B", "d", "v"), 0, Base))
	a = mustCommit(t, s, commitFor(a, 1, at(time.Second)))
	mustCommit(t, s, commitFor(a, 2, at(2*time.Second)))
	lease := func(sub, id string, now time.Time, max int) []workflow.Delivery {
		t.Helper()
		ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: sub, LeaseID: id, Now: now, Until: now.Add(time.Minute), Max: max})
		if err != nil {
			t.Fatalf("Lease(%s, %s): %v", sub, id, err)
		}
		return ds
	}
	ack := func(sub, msg, lease string) error {
		return s.Ack(ctx, workflow.AckRequest{Subscriber: sub, MessageID: msg, LeaseID: lease})
	}
	t0 := at(time.Hour)
	// Only heads, ordered by position: A/1 before B/1.
	ds := lease("s1", "L1", t0, 10)
	if d := cmp.Diff([]string{"A/1", "B/1"}, msgIDs(ds)); d != "" {
		t.Fatalf("first lease (-want +got):\n%s", d)
	}
	for _, d := range ds {
		if d.Attempt != 1 || d.LeaseID != "L1" || d.Subscriber != "s1" || !d.LeasedUntil.Equal(t0.Add(time.Minute)) {
			t.Errorf("delivery %s = attempt %d lease %q sub %q until %v", d.Message.ID, d.Attempt, d.LeaseID, d.Subscriber, d.LeasedUntil)
		}
	}
	if ds := lease("s1", "L2", t0.Add(time.Second), 10); len(ds) != 0 {
		t.Fatalf("leased messages are leased again before expiry: %v", msgIDs(ds))
	}
	// Max; Max <= 0 means 1.
	if ds := lease("s2", "M1", t0, 1); len(ds) != 1 || ds[0].Message.ID != "A/1" {
		t.Fatalf("Max 1 for s2 = %v, want [A/1]", msgIDs(ds))
	}
	if ds := lease("s2", "M2", t0, 0); len(ds) != 1 || ds[0].Message.ID != "B/1" {
		t.Fatalf("Max 0 for s2 = %v, want [B/1]", msgIDs(ds))
	}
	// A lease belongs to its subscriber: s2 cannot acknowledge under s1's lease.
	if err := ack("s2", "A/1", "L1"); !errors.Is(err, workflow.ErrLeaseLost) {
		t.Fatalf("s2 acks under s1's lease = %v, want ErrLeaseLost", err)
	}
	// Ack, then the next message of A becomes the head.
	if err := ack("s1", "A/1", "L1"); err != nil {
		t.Fatalf("ack A/1: %v", err)
	}
	if err := ack("s1", "A/1", "L1"); err != nil {
		t.Fatalf("second ack of A/1 is not a no-op: %v", err)
	}
	if err := ack("s1", "A/1", "other"); err != nil {
		t.Fatalf("ack of an acknowledged message with another lease: %v, want nil", err)
	}
	if err := ack("s1", "A/3", "L1"); !errors.Is(err, workflow.ErrLeaseLost) {
		t.Fatalf("ack of a never-leased message = %v, want ErrLeaseLost", err)
	}
	if err := ack("s1", "nope", "L1"); !errors.Is(err, workflow.ErrNotFound) {
		t.Fatalf("ack of an unknown message = %v, want ErrNotFound", err)
	}
	ds = lease("s1", "L3", t0.Add(2*time.Second), 10)
	if d := cmp.Diff([]string{"A/2"}, msgIDs(ds)); d != "" {
		t.Fatalf("lease after ack (-want +got):\n%s", d)
	}
	// B/1's lease L1 expires at t0+1m: redelivered with attempt 2; the old lease is lost.
	t1 := t0.Add(time.Minute)
	ds = lease("s1", "L4", t1, 10)
	if d := cmp.Diff([]string{"B/1"}, msgIDs(ds)); d != "" {
		t.Fatalf("redelivery (-want +got):\n%s", d)
	}
	if ds[0].Attempt != 2 {
		t.Errorf("redelivered attempt = %d, want 2", ds[0].Attempt)
	}
	if err := ack("s1", "B/1", "L1"); !errors.Is(err, workflow.ErrLeaseLost) {
		t.Fatalf("ack under a superseded lease = %v, want ErrLeaseLost", err)
	}
	// An expired lease nobody took over can still be acknowledged.
	if err := ack("s1", "A/2", "L3"); err != nil {
		t.Fatalf("ack under an expired but untaken lease: %v", err)
	}
	if err := ack("s1", "B/1", "L4"); err != nil {
		t.Fatal(err)
	}
	ds = lease("s1", "L5", t1.Add(time.Second), 10)
	if d := cmp.Diff([]string{"A/3"}, msgIDs(ds)); d != "" {
		t.Fatalf("last lease (-want +got):\n%s", d)
	}
	if err := ack("s1", "A/3", "L5"); err != nil {
		t.Fatal(err)
	}
	if ds := lease("s1", "L6", t1.Add(time.Hour), 10); len(ds) != 0 {
		t.Fatalf("everything acknowledged, yet leased %v", msgIDs(ds))
	}
	// Subscribers are independent: s3 starts at the beginning.
	if ds := lease("s3", "N1", t1.Add(time.Hour), 10); len(ds) != 2 {
		t.Fatalf("a new subscriber sees %v, want A/1 and B/1", msgIDs(ds))
	}
	// New messages after everything was acknowledged are delivered.
	a = mustGet(t, s, "A")
	mustCommit(t, s, commitFor(a, 3, at(3*time.Hour)))
	if ds := lease("s1", "L7", t1.Add(2*time.Hour), 10); len(ds) != 1 || ds[0].Message.ID != "A/4" {
		t.Fatalf("after a new commit s1 leases %v, want [A/4]", msgIDs(ds))
	}
}

func testConcurrentLessees(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	const apps, workers = 24, 6
	for i := range apps {
		mustCommit(t, s, commitFor(newApp(fmt.Sprintf("c%02d", i), "d", "v"), 0, Base))
	}
	var mu sync.Mutex
	got := map[string][]string{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 20 {
				lid := fmt.Sprintf("w%d-r%d", w, round)
				ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: "conc", LeaseID: lid, Now: Base, Until: at(time.Hour), Max: 3})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, d := range ds {
					got[d.Message.ID] = append(got[d.Message.ID], lid)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Lease: %v", err)
	}
	if len(got) != apps {
		t.Errorf("%d distinct messages leased, want %d", len(got), apps)
	}
	for id, ls := range got {
		if len(ls) != 1 {
			t.Errorf("message %s leased %d times (%v), want exactly once", id, len(ls), ls)
		}
	}
}

func testConcurrentWriters(t *testing.T, s workflow.Store) {
	ctx := context.Background()
	const writers, races = 6, 5
	a := mustCommit(t, s, commitFor(newApp("race", "d", "v"), 0, Base))
	for race := range races {
		var wg sync.WaitGroup
		results := make([]error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := a.Clone()
				b.SystemName = fmt.Sprintf("writer %d", w)
				c := commitFor(b, a.Version, at(time.Duration(race+1)*time.Minute))
				results[w] = s.Commit(ctx, c, nil)
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range results {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, workflow.ErrConflict):
			default:
				t.Fatalf("race %d: unexpected error %v", race, err)
			}
		}
		if wins != 1 {
			t.Fatalf("race %d: %d writers won, want exactly 1", race, wins)
		}
		a = mustGet(t, s, "race")
		if a.Version != int64(race+2) {
			t.Fatalf("race %d: version %d, want %d", race, a.Version, race+2)
		}
	}
	h, err := s.History(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int64{1, 2, 3, 4, 5, 6}, seqs(h)); d != "" {
		t.Errorf("history after races (-want +got):\n%s", d)
	}
	if err := workflow.VerifyChain(a, h); err != nil {
		t.Errorf("chain after races: %v", err)
	}
}
