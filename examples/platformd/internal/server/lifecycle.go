package server

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opengovcloud/govcloud/workflow"
)

// SubmitBody is the JSON body of POST /v1/applications (第七条).
type SubmitBody struct {
	SystemName    string                `json:"system_name"`
	Vendor        string                `json:"vendor"`
	Zone          workflow.Zone         `json:"zone"`
	SecurityLevel int                   `json:"security_level"`
	Items         []workflow.Item       `json:"items"`
	Materials     []workflow.Material   `json:"materials"`
	Attachments   []workflow.Attachment `json:"attachments,omitempty"`
	Opinion       string                `json:"opinion,omitempty"`
}

func (b SubmitBody) request() workflow.SubmitRequest {
	return workflow.SubmitRequest{SystemName: b.SystemName, Vendor: b.Vendor, Zone: b.Zone, SecurityLevel: b.SecurityLevel,
		Items: b.Items, Materials: b.Materials, Attachments: b.Attachments, Opinion: b.Opinion}
}

// ChangeBody is a change request (第十一条): the complete item list after the change.
type ChangeBody struct {
	Items  []workflow.Item `json:"items"`
	Major  bool            `json:"major,omitempty"`
	Reason string          `json:"reason,omitempty"`
}

// InputBody is the JSON body of POST /v1/applications/{id}/triggers/{trigger}
// (an empty body is an empty input).
type InputBody struct {
	// ExpectedVersion, when not 0, must equal the application's version (else 409).
	ExpectedVersion int64                 `json:"expected_version,omitempty"`
	Opinion         string                `json:"opinion,omitempty"`
	Attachments     []workflow.Attachment `json:"attachments,omitempty"`
	Materials       []workflow.Material   `json:"materials,omitempty"`
	TestReport      *workflow.TestReport  `json:"test_report,omitempty"`
	TrialDays       int                   `json:"trial_days,omitempty"`
	Vendor          string                `json:"vendor,omitempty"`
	Change          *ChangeBody           `json:"change,omitempty"`
	Revision        *workflow.Revision    `json:"revision,omitempty"`
}

func (b InputBody) input() workflow.Input {
	in := workflow.Input{ExpectedVersion: b.ExpectedVersion, Opinion: b.Opinion, Attachments: b.Attachments,
		Materials: b.Materials, TestReport: b.TestReport, TrialDays: b.TrialDays, Vendor: b.Vendor, Revision: b.Revision}
	if b.Change != nil {
		in.Change = &workflow.ChangeSpec{Items: b.Change.Items, Major: b.Change.Major, Reason: b.Change.Reason}
	}
	return in
}

// DecodeSubmit decodes a SubmitBody (see DecodeJSON).
func DecodeSubmit(r io.Reader) (SubmitBody, error) {
	var b SubmitBody
	err := DecodeJSON(r, &b)
	return b, err
}

// DecodeInput decodes an InputBody; an empty body is the zero input.
func DecodeInput(r io.Reader) (InputBody, error) {
	var b InputBody
	err := DecodeJSON(r, &b)
	var re *RequestError
	if errors.As(err, &re) && re.Reason == emptyBody {
		return InputBody{}, nil
	}
	return b, err
}

// DecodeCompletion decodes a vendor's work-order completion.
func DecodeCompletion(r io.Reader) (workflow.Completion, error) {
	var c workflow.Completion
	err := DecodeJSON(r, &c)
	return c, err
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	b, err := DecodeSubmit(r.Body)
	if err != nil {
		return err
	}
	app, err := s.p.Workflow().Submit(r.Context(), a, b.request())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/applications/"+url.PathEscape(app.ID))
	return writeJSON(w, http.StatusCreated, app)
}

// queryLimit reads ?limit= (default def, at most 1000).
func queryLimit(q url.Values, def int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, badRequest("limit", "want an integer from 1 to 1000, got %q", v)
	}
	return n, nil
}

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	q := r.URL.Query()
	f := workflow.ApplicationFilter{Department: q.Get("department"), Vendor: q.Get("vendor"), AfterID: q.Get("after")}
	for _, v := range q["state"] {
		for st := range strings.SplitSeq(v, ",") {
			if !slices.Contains(workflow.AllStates(), workflow.State(st)) {
				return badRequest("state", "unknown state %q", st)
			}
			f.States = append(f.States, workflow.State(st))
		}
	}
	var err error
	if f.Limit, err = queryLimit(q, 100); err != nil {
		return err
	}
	apps, err := s.p.Workflow().List(r.Context(), a, f)
	if err != nil {
		return err
	}
	if apps == nil {
		apps = []workflow.Application{}
	}
	out := struct {
		Applications []workflow.Application `json:"applications"`
		Next         string                 `json:"next,omitempty"`
	}{Applications: apps}
	if len(apps) == f.Limit {
		out.Next = apps[len(apps)-1].ID
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getApplication(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	app, err := s.p.Workflow().Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	recs, err := s.p.Workflow().History(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []workflow.AuditRecord{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"records": recs})
}

// Verification is the answer of GET /v1/applications/{id}/verify.
type Verification struct {
	Verified bool   `json:"verified"`
	Seq      int64  `json:"broken_at_seq,omitempty"`
	Problem  string `json:"problem,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	err := s.p.Workflow().Verify(r.Context(), a, r.PathValue("id"))
	var te *workflow.TamperError
	switch {
	case err == nil:
		return writeJSON(w, http.StatusOK, Verification{Verified: true})
	case errors.As(err, &te):
		s.log.WarnContext(r.Context(), "audit chain broken", "request_id", requestID(r.Context()), "application", te.ApplicationID,
			"seq", te.Seq, "problem", te.Problem)
		return writeJSON(w, http.StatusOK, Verification{Seq: te.Seq, Problem: te.Problem, Detail: te.Error()})
	}
	return err
}

func (s *Server) permitted(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	ts, err := s.p.Workflow().Permitted(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []workflow.Trigger{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"triggers": ts})
}

func (s *Server) fire(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	t := workflow.Trigger(r.PathValue("trigger"))
	if !t.Valid() {
		return &RequestError{Status: http.StatusNotFound, Field: "trigger", Reason: "unknown trigger " + strconv.Quote(string(t))}
	}
	b, err := DecodeInput(r.Body)
	if err != nil {
		return err
	}
	app, err := s.p.Workflow().Fire(r.Context(), a, r.PathValue("id"), t, b.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app)
}

// OverdueEntry is one late application (GET /v1/overdue).
type OverdueEntry struct {
	ApplicationID string         `json:"application_id"`
	Department    string         `json:"department"`
	Vendor        string         `json:"vendor"`
	State         workflow.State `json:"state"`
	Party         workflow.Party `json:"party"`
	Due           time.Time      `json:"due"`
	LateWorkdays  int            `json:"late_workdays"`
	WorkOrder     string         `json:"work_order,omitempty"`
}

func overdueEntries(items []workflow.OverdueItem) []OverdueEntry {
	out := make([]OverdueEntry, 0, len(items))
	for _, it := range items {
		out = append(out, OverdueEntry{ApplicationID: it.ApplicationID, Department: it.Department, Vendor: it.Vendor,
			State: it.State, Party: it.Party, Due: it.Due, LateWorkdays: it.LateWorkdays, WorkOrder: it.WorkOrder})
	}
	return out
}

func (s *Server) overdue(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	items, err := s.p.Workflow().Overdue(r.Context(), a, s.clock.Now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"overdue": overdueEntries(items)})
}

func (s *Server) listWorkOrders(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	q := r.URL.Query()
	f := workflow.WorkOrderFilter{ApplicationID: q.Get("application"), Vendor: q.Get("vendor"), Department: q.Get("department"),
		Status: workflow.WorkOrderStatus(q.Get("status"))}
	switch f.Status {
	case "", workflow.WorkOrderOpen, workflow.WorkOrderDone:
	default:
		return badRequest("status", "unknown work order status %q", f.Status)
	}
	var err error
	if f.Limit, err = queryLimit(q, 100); err != nil {
		return err
	}
	wos, err := s.p.Workflow().WorkOrders(r.Context(), a, f)
	if err != nil {
		return err
	}
	if wos == nil {
		wos = []workflow.WorkOrder{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"work_orders": wos})
}

func (s *Server) completeWorkOrder(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	c, err := DecodeCompletion(r.Body)
	if err != nil {
		return err
	}
	app, err := s.p.Workflow().CompleteWorkOrder(r.Context(), a, r.PathValue("id"), c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app)
}
