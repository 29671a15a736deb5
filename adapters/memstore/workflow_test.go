package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

func TestWorkflowStoreConformance(t *testing.T) {
	workflowtest.Run(t, func(t *testing.T) workflow.Store { return memstore.NewWorkflowStore() })
}

func wfCommit(app workflow.Application, expected int64, msgs ...workflow.Message) workflow.Commit {
	app.Version = expected + 1
	app.AuditSeq = expected + 1
	rec := workflow.AuditRecord{ApplicationID: app.ID, Seq: expected + 1, At: workflowtest.Base, Trigger: workflow.TriggerAccept}
	rec.Hash = workflow.HashAuditRecord(rec)
	app.AuditHead = rec.Hash
	return workflow.Commit{ExpectedVersion: expected, Application: app, Audit: rec, Outbox: msgs}
}

func wfMsg(id, app string, seq int64) workflow.Message {
	return workflow.Message{ID: id, ApplicationID: app, Seq: seq, Topic: workflow.TopicTransition, IdempotencyKey: id,
		Payload: []byte(`{"id":"` + id + `"}`), CreatedAt: workflowtest.Base}
}

// Messages are indexed by (application, Seq), and IDs of the form "<app>/<seq>" are
// resolved through that index: every other form must still be found, acknowledged and
// checked for duplicates exactly like the engine's.
func TestWorkflowStoreMessageIDs(t *testing.T) {
	ctx := context.Background()
	s := memstore.NewWorkflowStore()
	app := func(id string) workflow.Application {
		return workflow.Application{ID: id, Department: "d", Vendor: "v", State: workflow.StateSubmitted,
			Items: []workflow.Item{{Code: "ecs", Quantity: 1}}}
	}
	// Application "x" carries a message whose ID looks like one of application "y";
	// "a/b" has a slash in its ID; "z" uses a non-canonical number and a free-form ID.
	commits := []workflow.Commit{
		wfCommit(app("x"), 0, wfMsg("y/1", "x", 1)),
		wfCommit(app("a/b"), 0, wfMsg("a/b/1", "a/b", 1)),
		wfCommit(app("z"), 0, wfMsg("z/01", "z", 1), wfMsg("free-form", "z", 2)),
	}
	for _, c := range commits {
		if err := s.Commit(ctx, c, nil); err != nil {
			t.Fatalf("Commit %s: %v", c.Application.ID, err)
		}
	}
	conflicts := []struct {
		name string
		c    workflow.Commit
	}{
		{"the engine-form ID another application's message uses", wfCommit(app("y"), 0, wfMsg("y/1", "y", 1))},
		{"a free-form ID already used", wfCommit(app("w"), 0, wfMsg("free-form", "w", 1))},
		{"an engine-form ID already used", wfCommit(app("v"), 0, wfMsg("a/b/1", "v", 7))},
		{"a (application, seq) already used", wfCommit(workflowtest.Must(s.GetApplication(ctx, "z")), 1, wfMsg("z/2", "z", 2))},
		{"the same ID twice in one commit", wfCommit(app("u"), 0, wfMsg("u/1", "u", 1), wfMsg("u/1", "u", 2))},
		{"the same seq twice in one commit", wfCommit(app("u"), 0, wfMsg("u/1", "u", 1), wfMsg("u-other", "u", 1))},
	}
	for _, tc := range conflicts {
		if err := s.Commit(ctx, tc.c, nil); !errors.Is(err, workflow.ErrConflict) {
			t.Errorf("%s: Commit = %v, want ErrConflict", tc.name, err)
		}
	}
	// y may still use (y, 1) under a fresh ID.
	if err := s.Commit(ctx, wfCommit(app("y"), 0, wfMsg("y-first", "y", 1)), nil); err != nil {
		t.Fatalf("Commit y: %v", err)
	}
	ds, err := s.Lease(ctx, workflow.LeaseRequest{Subscriber: "s", LeaseID: "l1", Now: workflowtest.Base,
		Until: workflowtest.Base.Add(time.Minute), Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.Message.ID)
		if err := s.Ack(ctx, workflow.AckRequest{Subscriber: "s", MessageID: d.Message.ID, LeaseID: "l1"}); err != nil {
			t.Errorf("Ack %q: %v", d.Message.ID, err)
		}
	}
	if d := cmp.Diff([]string{"y/1", "a/b/1", "z/01", "y-first"}, got); d != "" {
		t.Errorf("leased heads (-want +got):\n%s", d)
	}
	ds, err = s.Lease(ctx, workflow.LeaseRequest{Subscriber: "s", LeaseID: "l2", Now: workflowtest.Base,
		Until: workflowtest.Base.Add(time.Minute), Max: 10})
	if err != nil || len(ds) != 1 || ds[0].Message.ID != "free-form" {
		t.Fatalf("second lease = %v, %v; want free-form", ds, err)
	}
	if err := s.Ack(ctx, workflow.AckRequest{Subscriber: "s", MessageID: "free-form", LeaseID: "l2"}); err != nil {
		t.Errorf("Ack free-form: %v", err)
	}
	for _, id := range []string{"y/1", "z/01", "a/b/1"} {
		if err := s.Ack(ctx, workflow.AckRequest{Subscriber: "s", MessageID: id, LeaseID: "l1"}); err != nil {
			t.Errorf("Ack %q again = %v, want nil (idempotent)", id, err)
		}
	}
	for _, id := range []string{"z/1", "x/1", "a/b/2", "a/2", "y", "", "/", "z/x", "z/+1"} {
		if err := s.Ack(ctx, workflow.AckRequest{Subscriber: "s", MessageID: id, LeaseID: "l1"}); !errors.Is(err, workflow.ErrNotFound) {
			t.Errorf("Ack %q = %v, want ErrNotFound", id, err)
		}
	}
}

// The store keeps the unchanged slices of an application's previous version instead
// of copying them again; neither the values a caller passes in nor the values it gets
// back may share memory with the store.
func TestWorkflowStoreCopyOnWrite(t *testing.T) {
	ctx := context.Background()
	s := memstore.NewWorkflowStore()
	a := workflow.Application{ID: "c", Department: "d", Vendor: "v", State: workflow.StateTrial,
		Items:       []workflow.Item{{Code: "ecs", Quantity: 2}},
		Materials:   []workflow.Material{{Kind: workflow.MaterialConstructionPlan, Attachment: workflow.Attachment{URI: "doc://p"}}},
		TestReports: []workflow.TestReport{{Kind: workflow.TestFunction, Passed: true, Report: workflow.Attachment{URI: "doc://f"}, RecordedAt: workflowtest.Base}},
		Trial:       &workflow.Trial{Start: workflowtest.Base, Days: 20, End: workflowtest.Base.Add(21 * 24 * time.Hour)},
		Change:      &workflow.ChangeRequest{Items: []workflow.Item{{Code: "ecs", Quantity: 4}}, Reason: "r", RequestedAt: workflowtest.Base},
	}
	for v := int64(0); v < 4; v++ {
		next := a.Clone()
		if v > 0 {
			next = workflowtest.Must(s.GetApplication(ctx, "c"))
		}
		if v == 2 { // one slice changes, the others are equal
			next.TestReports = append(next.TestReports, workflow.TestReport{Kind: workflow.TestSecurity, Report: workflow.Attachment{URI: "doc://s"}})
		}
		want := next.Clone()
		want.Version, want.AuditSeq = v+1, v+1
		c := wfCommit(next, v)
		if err := s.Commit(ctx, c, nil); err != nil {
			t.Fatalf("commit %d: %v", v+1, err)
		}
		want.AuditHead = c.Audit.Hash
		// Overwrite what was passed in and what was read back.
		c.Application.Items[0].Quantity = -1
		c.Application.Materials[0].Kind = "x"
		c.Application.TestReports[0].Lab = "x"
		c.Application.Trial.Days = -1
		c.Application.Change.Items[0].Quantity = -1
		got := workflowtest.Must(s.GetApplication(ctx, "c"))
		if d := cmp.Diff(want, got, workflowtest.CmpOpts); d != "" {
			t.Fatalf("after commit %d (-want +got):\n%s", v+1, d)
		}
		got.Items[0].Quantity, got.Trial.Days, got.Change.Reason = -2, -2, "y"
		got.TestReports[len(got.TestReports)-1].Passed = !got.TestReports[len(got.TestReports)-1].Passed
		for _, list := range [][]workflow.Application{
			workflowtest.Must(s.ListApplications(ctx, workflow.ApplicationFilter{})),
			workflowtest.Must(s.Overdue(ctx, workflow.OverdueQuery{Now: workflowtest.Base.Add(24 * time.Hour)})),
		} {
			for _, g := range list {
				if d := cmp.Diff(want, g, workflowtest.CmpOpts); d != "" {
					t.Fatalf("listed after commit %d (-want +got):\n%s", v+1, d)
				}
			}
		}
	}
}
