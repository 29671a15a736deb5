package workflow_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// tamperStore returns a doctored history, as an attacker with database access would.
type tamperStore struct {
	workflow.Store
	doctor func([]workflow.AuditRecord) []workflow.AuditRecord
}

func (s *tamperStore) History(ctx context.Context, id string) ([]workflow.AuditRecord, error) {
	h, err := s.Store.History(ctx, id)
	if err != nil || s.doctor == nil {
		return h, err
	}
	return s.doctor(h), nil
}

func TestVerifyDetectsTampering(t *testing.T) {
	ts := &tamperStore{Store: memstore.NewWorkflowStore()}
	v := workflowtest.NewEnv(t, ts)
	a := v.ToActive(2) // 9 records
	ctx := context.Background()
	if err := v.Engine.Verify(ctx, workflowtest.Authority, a.ID); err != nil {
		t.Fatalf("untouched chain: %v", err)
	}
	cases := []struct {
		name    string
		doctor  func([]workflow.AuditRecord) []workflow.AuditRecord
		seq     int64
		problem string
	}{
		{"opinion altered", func(h []workflow.AuditRecord) []workflow.AuditRecord {
			h[3].Opinion = "同意"
			return h
		}, 4, "altered"},
		{"actor altered and rehashed", func(h []workflow.AuditRecord) []workflow.AuditRecord {
			h[2].Actor.ID = "someone-else"
			h[2].Hash = workflow.HashAuditRecord(h[2])
			return h
		}, 3, "altered"}, // record 3 is self-consistent but record 4 no longer chains to it
		{"timing altered", func(h []workflow.AuditRecord) []workflow.AuditRecord {
			h[1].Timing.Late = true
			return h
		}, 2, "altered"},
		{"record deleted", func(h []workflow.AuditRecord) []workflow.AuditRecord {
			return slices.Delete(h, 4, 5)
		}, 5, "deleted"},
		{"tail deleted", func(h []workflow.AuditRecord) []workflow.AuditRecord {
			return h[:len(h)-2]
		}, int64(len(mustHistory(t, ts, a.ID)) - 1), "deleted"},
		{"records swapped", func(h []workflow.AuditRecord) []workflow.AuditRecord {
			h[5], h[6] = h[6], h[5]
			return h
		}, 6, "reordered"},
		{"record duplicated", func(h []workflow.AuditRecord) []workflow.AuditRecord {
			return slices.Insert(h, 3, h[2])
		}, 4, "reordered"},
		{"seq renumbered", func(h []workflow.AuditRecord) []workflow.AuditRecord {
			h[7].Seq = 20
			return h
		}, 8, "altered"},
		{"foreign record", func(h []workflow.AuditRecord) []workflow.AuditRecord {
			h[0].ApplicationID = "other"
			return h
		}, 1, "foreign"},
	}
	for _, tc := range cases {
		ts.doctor = func(h []workflow.AuditRecord) []workflow.AuditRecord { return tc.doctor(slices.Clone(h)) }
		err := v.Engine.Verify(ctx, workflowtest.Authority, a.ID)
		var te *workflow.TamperError
		if !errors.As(err, &te) || !errors.Is(err, workflow.ErrTampered) {
			t.Errorf("%s: Verify = %v, want *TamperError", tc.name, err)
			continue
		}
		if te.Seq != tc.seq || te.Problem != tc.problem || te.ApplicationID != a.ID {
			t.Errorf("%s: %v (seq %d %q), want seq %d %q", tc.name, err, te.Seq, te.Problem, tc.seq, tc.problem)
		}
	}
	ts.doctor = nil
	if err := v.Engine.Verify(ctx, workflowtest.OtherDept, a.ID); !errors.Is(err, workflow.ErrForbidden) {
		t.Errorf("another department verifies: %v, want ErrForbidden", err)
	}
}

func mustHistory(t *testing.T, s workflow.Store, id string) []workflow.AuditRecord {
	t.Helper()
	h, err := s.History(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashAuditRecordCoversEveryField(t *testing.T) {
	base := workflow.AuditRecord{ApplicationID: "a", Seq: 1, Actor: workflow.Actor{Role: workflow.RoleAuthority, ID: "o"},
		From: workflow.StateSubmitted, To: workflow.StateAccepted, Trigger: workflow.TriggerAccept,
		Attachments: []workflow.Attachment{{Name: "n", URI: "u", SHA256: "s"}}}
	h0 := workflow.HashAuditRecord(base)
	muts := map[string]func(*workflow.AuditRecord){
		"application": func(r *workflow.AuditRecord) { r.ApplicationID = "b" },
		"seq":         func(r *workflow.AuditRecord) { r.Seq = 2 },
		"at":          func(r *workflow.AuditRecord) { r.At = workflowtest.Base },
		"role":        func(r *workflow.AuditRecord) { r.Actor.Role = workflow.RoleOperator },
		"actor id":    func(r *workflow.AuditRecord) { r.Actor.ID = "p" },
		"from":        func(r *workflow.AuditRecord) { r.From = workflow.StateNone },
		"to":          func(r *workflow.AuditRecord) { r.To = workflow.StateRejected },
		"trigger":     func(r *workflow.AuditRecord) { r.Trigger = workflow.TriggerReject },
		"opinion":     func(r *workflow.AuditRecord) { r.Opinion = "x" },
		"att name":    func(r *workflow.AuditRecord) { r.Attachments[0].Name = "m" },
		"att uri":     func(r *workflow.AuditRecord) { r.Attachments[0].URI = "v" },
		"att sha":     func(r *workflow.AuditRecord) { r.Attachments[0].SHA256 = "t" },
		"att count":   func(r *workflow.AuditRecord) { r.Attachments = append(r.Attachments, workflow.Attachment{}) },
		"details":     func(r *workflow.AuditRecord) { r.Details = "{}" },
		"party":       func(r *workflow.AuditRecord) { r.Timing.Party = workflow.PartyVendor },
		"due":         func(r *workflow.AuditRecord) { r.Timing.Due = workflowtest.Base },
		"late":        func(r *workflow.AuditRecord) { r.Timing.Late = true },
		"late days":   func(r *workflow.AuditRecord) { r.Timing.LateWorkdays = 1 },
		"prev hash":   func(r *workflow.AuditRecord) { r.PrevHash = "00" },
		// Length prefixes keep field boundaries: moving a byte between fields changes the hash.
		"boundary": func(r *workflow.AuditRecord) { r.Actor.Role, r.Actor.ID = "authorit", "yo" },
	}
	for name, m := range muts {
		r := base
		r.Attachments = slices.Clone(base.Attachments)
		m(&r)
		if workflow.HashAuditRecord(r) == h0 {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
	r := base
	r.Hash = "anything"
	if workflow.HashAuditRecord(r) != h0 {
		t.Errorf("the Hash field itself must not be hashed")
	}
}
