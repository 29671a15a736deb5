package workflow_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/workflow"
	wt "github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// The engine reuses its working memory (encoding buffers, attachment list, outbox
// and work-order slices, firing context) from call to call. This test advances two
// applications in alternation, with steps carrying attachments and details right
// before steps carrying none, and checks that nothing of one call shows up in another:
// each audit record has exactly its own attachments and details, each outbox payload
// describes exactly its own transition, and applications returned earlier are not
// changed by later calls.
func TestScratchReuseDoesNotLeak(t *testing.T) {
	ctx := context.Background()
	store := memstore.NewWorkflowStore()
	v := wt.NewEnv(t, store)
	att := func(app, step string) []workflow.Attachment {
		return []workflow.Attachment{{Name: app + "-" + step, URI: "doc://" + app + "/" + step}}
	}
	type want struct {
		atts    []workflow.Attachment
		details bool
	}
	wants := map[string][]want{}
	var returned, snapshots []workflow.Application
	keep := func(a workflow.Application, err error) workflow.Application {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		returned = append(returned, a)
		snapshots = append(snapshots, a.Clone())
		return a
	}
	ids := map[string]string{}
	for _, name := range []string{"A", "B"} {
		req := wt.Request(3)
		req.Attachments = att(name, "submit")
		a := keep(v.Engine.Submit(ctx, wt.Dept, req))
		ids[name] = a.ID
		var w []workflow.Attachment
		w = append(w, req.Attachments...)
		for _, m := range req.Materials {
			w = append(w, m.Attachment)
		}
		wants[a.ID] = append(wants[a.ID], want{atts: w})
	}
	steps := []func(name, id string){
		func(name, id string) { // no attachments, no details
			keep(v.Engine.Fire(ctx, wt.Authority, id, workflow.TriggerAccept, workflow.Input{}))
			wants[id] = append(wants[id], want{})
		},
		func(name, id string) { // details, attachments
			keep(v.Engine.Fire(ctx, wt.Authority, id, workflow.TriggerApprove, workflow.Input{Attachments: att(name, "approve")}))
			wants[id] = append(wants[id], want{atts: att(name, "approve"), details: true})
		},
		func(name, id string) { // work order completion with attachments
			a := wt.Must(v.Engine.Get(ctx, wt.Authority, id))
			keep(v.Engine.CompleteWorkOrder(ctx, wt.Vendor, a.OpenWorkOrder, workflow.Completion{Key: "k-" + name, Attachments: att(name, "env")}))
			wants[id] = append(wants[id], want{atts: att(name, "env"), details: true})
		},
		func(name, id string) { // test reports: the report is an attachment
			for _, k := range []workflow.TestKind{workflow.TestFunction, workflow.TestPerformance, workflow.TestSecurity} {
				r := wt.Report(k, k != workflow.TestFunction)
				r.Report.URI += "/" + name
				keep(v.Engine.Fire(ctx, wt.Dept, id, workflow.TriggerRecordTestReport, workflow.Input{TestReport: r}))
				wants[id] = append(wants[id], want{atts: []workflow.Attachment{r.Report}, details: true})
			}
		},
		func(name, id string) { // nothing again
			keep(v.Engine.Fire(ctx, wt.Dept, id, workflow.TriggerSubmitTests, workflow.Input{}))
			wants[id] = append(wants[id], want{})
		},
	}
	for _, step := range steps {
		for _, name := range []string{"A", "B"} {
			v.Clock.Advance(time.Hour)
			step(name, ids[name])
		}
	}

	for i := range returned {
		if d := cmp.Diff(snapshots[i], returned[i]); d != "" {
			t.Errorf("application returned by call %d changed afterwards (-then +now):\n%s", i+1, d)
		}
	}
	records := map[string][]workflow.AuditRecord{}
	for _, name := range []string{"A", "B"} {
		id := ids[name]
		h := wt.Must(store.History(ctx, id))
		records[id] = h
		if len(h) != len(wants[id]) {
			t.Fatalf("%s: %d audit records, want %d", name, len(h), len(wants[id]))
		}
		for i, r := range h {
			if d := cmp.Diff(wants[id][i].atts, r.Attachments, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("%s record %d (%s) attachments (-want +got):\n%s", name, r.Seq, r.Trigger, d)
			}
			if (r.Details != "") != wants[id][i].details {
				t.Errorf("%s record %d (%s) details = %q, want details: %v", name, r.Seq, r.Trigger, r.Details, wants[id][i].details)
			}
		}
		if err := v.Engine.Verify(ctx, wt.Authority, id); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Every payload describes its own transition.
	seen := 0
	for round := 0; ; round++ {
		ds := wt.Must(store.Lease(ctx, workflow.LeaseRequest{Subscriber: "check", LeaseID: "l" + string(rune('a'+round)),
			Now: wt.Base, Until: wt.Base.Add(time.Hour), Max: 10}))
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			tr, err := workflow.DecodeTransition(d.Message)
			if err != nil {
				t.Fatal(err)
			}
			r := records[tr.ApplicationID][tr.Seq-1]
			got := []any{tr.ApplicationID, tr.Seq, tr.Trigger, tr.From, tr.To, tr.Version, tr.IdempotencyKey, tr.Actor}
			exp := []any{r.ApplicationID, r.Seq, r.Trigger, r.From, r.To, r.Seq, d.Message.ID, r.Actor}
			if diff := cmp.Diff(exp, got); diff != "" {
				t.Errorf("payload of %s (-audit +payload):\n%s", d.Message.ID, diff)
			}
			if err := store.Ack(ctx, workflow.AckRequest{Subscriber: "check", MessageID: d.Message.ID, LeaseID: d.LeaseID}); err != nil {
				t.Fatal(err)
			}
			seen++
		}
	}
	if want := len(records[ids["A"]]) + len(records[ids["B"]]); seen != want {
		t.Errorf("decoded %d payloads, want %d", seen, want)
	}
}
