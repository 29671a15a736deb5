package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/workflow"
)

// ---- quota ----

// QuotaCheckBody is the body of POST /v1/quota/check: the items an
// application would ask for.
type QuotaCheckBody struct {
	Items []workflow.Item `json:"items"`
}

// QuotaCheck is the answer: whether the items fit the department's pool
// and, if not, each short dimension.
type QuotaCheck struct {
	Fits       bool                 `json:"fits"`
	Pool       quota.PoolID         `json:"pool,omitempty"`
	Shortfalls []quota.DimShortfall `json:"shortfalls,omitempty"`
	Detail     string               `json:"detail,omitempty"`
}

// DecodeQuotaCheck decodes a QuotaCheckBody.
func DecodeQuotaCheck(r io.Reader) (QuotaCheckBody, error) {
	var b QuotaCheckBody
	err := DecodeJSON(r, &b)
	return b, err
}

func (s *Server) checkQuota(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	b, err := DecodeQuotaCheck(r.Body)
	if err != nil {
		return err
	}
	err = s.p.CheckQuota(r.Context(), a, workflow.SubmitRequest{Items: b.Items})
	var short *quota.ExceededError
	switch {
	case err == nil:
		return writeJSON(w, http.StatusOK, QuotaCheck{Fits: true})
	case errors.As(err, &short) && errors.Is(err, quota.ErrQuotaExceeded):
		return writeJSON(w, http.StatusOK, QuotaCheck{Pool: short.Pool, Shortfalls: short.Shortfalls,
			Detail: short.Format(quota.Chinese) + " / " + short.Format(quota.English)})
	}
	return err
}

// canReadPool: authority, operator and finance read every pool; a
// department its own; a vendor its platform pools.
func canReadPool(a workflow.Actor, p quota.Pool) bool {
	switch a.Role {
	case workflow.RoleAuthority, workflow.RoleOperator, workflow.RoleFinance:
		return true
	case workflow.RoleDepartment:
		return p.Kind == quota.KindDepartment && p.Department == a.ID
	case workflow.RoleVendor:
		return p.Kind == quota.KindPlatform && p.Vendor == a.ID
	}
	return false
}

// PoolView is a pool with its free capacity.
type PoolView struct {
	quota.Pool
	Free quota.Vector `json:"free"`
}

func (s *Server) getPool(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	p, err := s.p.Quota().Pool(r.Context(), quota.PoolID(r.PathValue("id")))
	if errors.Is(err, quota.ErrUnknownPool) && a.Role != workflow.RoleAuthority && a.Role != workflow.RoleOperator && a.Role != workflow.RoleFinance {
		// Departments and vendors learn nothing about pools that are not theirs.
		return &workflow.ForbiddenError{Actor: a, Action: "read pool " + r.PathValue("id"), Reason: "not the actor's pool"}
	}
	if err != nil {
		return err
	}
	if !canReadPool(a, p) {
		return &workflow.ForbiddenError{Actor: a, Action: "read pool " + string(p.ID), Reason: "not the actor's pool (第二十条)"}
	}
	return writeJSON(w, http.StatusOK, PoolView{Pool: p, Free: p.Free()})
}

func (s *Server) departmentPool(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	dept := r.PathValue("department")
	if a.Role == workflow.RoleVendor || (a.Role == workflow.RoleDepartment && a.ID != dept) {
		return &workflow.ForbiddenError{Actor: a, Action: "read the quota of department " + dept, Reason: "a department reads only its own quota (第二十条)"}
	}
	p, err := s.p.DepartmentPoolOf(r.Context(), dept)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, PoolView{Pool: p, Free: p.Free()})
}

// ---- billing ----

// billingActor maps the workflow actor to billing's.
func billingActor(a workflow.Actor) billing.Actor {
	b := billing.Actor{ID: a.ID, Role: billing.Role(a.Role)}
	if b.ID == "" {
		b.ID = string(a.Role)
	}
	switch a.Role {
	case workflow.RoleDepartment:
		b.Department = a.ID
	case workflow.RoleVendor:
		b.Vendor = a.ID
	}
	return b
}

func langOf(r *http.Request) billing.Lang {
	if strings.HasPrefix(r.URL.Query().Get("lang"), "en") {
		return billing.English
	}
	return billing.Chinese
}

func (s *Server) getCatalog(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	c, err := s.billing.Catalog(r.Context())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := billing.WriteCatalogJSON(&buf, c); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf.Bytes())
	return nil
}

// importCatalog takes a JSON catalog (application/json) or the two CSV
// files as multipart/form-data parts "items" and "prices".
func (s *Server) importCatalog(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	ba := billingActor(a)
	if ba.Role != billing.RoleAuthority {
		// Refuse before reading the upload.
		return &billing.ForbiddenError{Actor: ba, Action: "import the catalog"}
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var cat *billing.Catalog
	var err error
	switch mt {
	case "application/json":
		cat, err = billing.ImportCatalogJSON(r.Body)
	case "multipart/form-data":
		if err = r.ParseMultipartForm(s.maxBody); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return badRequest("body", "multipart form: %v", err)
		}
		items, ierr := formFile(r, "items")
		if ierr != nil {
			return ierr
		}
		defer items.Close()
		prices, perr := formFile(r, "prices")
		if perr != nil {
			return perr
		}
		defer prices.Close()
		cat, err = billing.ImportCatalogCSV(items, prices)
	default:
		return &RequestError{Status: http.StatusUnsupportedMediaType, Field: "Content-Type",
			Reason: "want application/json or multipart/form-data (parts items and prices, CSV)"}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		status, field := classify(err)
		if status == http.StatusInternalServerError {
			status = http.StatusUnprocessableEntity
		}
		return &RequestError{Status: status, Field: field, Reason: err.Error()}
	}
	if err := s.billing.ImportCatalog(r.Context(), ba, cat); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]int{"items": len(cat.Items()), "prices": len(cat.Prices())})
}

func formFile(r *http.Request, name string) (io.ReadCloser, error) {
	f, _, err := r.FormFile(name)
	if err != nil {
		return nil, badRequest(name, "multipart part %q (a CSV file) is required", name)
	}
	return f, nil
}

func (s *Server) listStatements(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	q := r.URL.Query()
	f := billing.StatementFilter{Department: q.Get("department"), Vendor: q.Get("vendor")}
	if v := q.Get("month"); v != "" {
		m, err := billing.ParseMonth(v)
		if err != nil {
			return badRequest("month", "want YYYY-MM, got %q", v)
		}
		f.Month = m
	}
	if v := q.Get("fiscal_year"); v != "" {
		y, err := parseYear(v, "fiscal_year")
		if err != nil {
			return err
		}
		f.FiscalYear = y
	}
	for _, v := range q["state"] {
		for st := range strings.SplitSeq(v, ",") {
			f.States = append(f.States, billing.StatementState(st))
		}
	}
	var err error
	if f.Limit, err = queryLimit(q, 100); err != nil {
		return err
	}
	if v := q.Get("after"); v != "" {
		if f.After, err = parseStatementCursor(v); err != nil {
			return err
		}
	}
	sts, err := s.billing.Statements(r.Context(), billingActor(a), f)
	if err != nil {
		return err
	}
	if sts == nil {
		sts = []billing.Statement{}
	}
	out := struct {
		Statements []billing.Statement `json:"statements"`
		Next       string              `json:"next,omitempty"`
	}{Statements: sts}
	if len(sts) == f.Limit {
		out.Next = statementCursor(sts[len(sts)-1].Key())
	}
	return writeJSON(w, http.StatusOK, out)
}

// statementCursor is the opaque ?after= of the page after k: its JSON,
// base64url-encoded.
func statementCursor(k billing.StatementKey) string {
	b, _ := json.Marshal(k) // a struct of strings and ints: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseStatementCursor(v string) (*billing.StatementKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	var k billing.StatementKey
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err = dec.Decode(&k); err == nil {
			if _, tail := dec.Token(); tail != io.EOF {
				err = errors.New("trailing data")
			}
		}
	}
	if err != nil || k.ID == "" {
		return nil, badRequest("after", "not a cursor from a previous page's next: %q", v)
	}
	return &k, nil
}

func parseYear(v, field string) (int, error) {
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 9999 {
		return 0, badRequest(field, "want a year (2000–9999), got %q", v)
	}
	return y, nil
}

func (s *Server) getStatement(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	st, err := s.billing.Statement(r.Context(), billingActor(a), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// VoidBody is the body of the "void" statement transition.
type VoidBody struct {
	Reason string `json:"reason"`
}

func (s *Server) transitionStatement(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	ctx, ba, id := r.Context(), billingActor(a), r.PathValue("id")
	var st billing.Statement
	var err error
	switch action := r.PathValue("action"); action {
	case "confirm":
		st, err = s.billing.ConfirmByVendor(ctx, ba, id)
	case "open_audit":
		st, err = s.billing.OpenAudit(ctx, ba, id)
	case "approve":
		st, err = s.billing.Approve(ctx, ba, id)
	case "void":
		var b VoidBody
		if err := DecodeJSON(r.Body, &b); err != nil {
			return err
		}
		st, err = s.billing.Void(ctx, ba, id, b.Reason)
	default:
		return &RequestError{Status: http.StatusNotFound, Field: "action",
			Reason: "unknown statement transition " + strconv.Quote(action) + " (confirm, open_audit, approve, void)"}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// AdjustmentBody is the body of POST /v1/statements/{id}/adjustments. On
// an approved statement it becomes a correction in the next open statement.
type AdjustmentBody struct {
	// AmountFen in 分, positive or negative, not zero.
	AmountFen int64  `json:"amount_fen"`
	Reason    string `json:"reason"`
	RefLine   string `json:"ref_line,omitempty"`
	Key       string `json:"key,omitempty"`
}

// DecodeAdjustment decodes an AdjustmentBody.
func DecodeAdjustment(r io.Reader) (AdjustmentBody, error) {
	var b AdjustmentBody
	err := DecodeJSON(r, &b)
	return b, err
}

func (s *Server) adjustStatement(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	b, err := DecodeAdjustment(r.Body)
	if err != nil {
		return err
	}
	adj := billing.Adjustment{Amount: b.AmountFen, Reason: b.Reason, RefLine: b.RefLine, Key: b.Key}
	ctx, ba, id := r.Context(), billingActor(a), r.PathValue("id")
	cur, err := s.billing.Statement(ctx, ba, id)
	if err != nil {
		return err
	}
	var st billing.Statement
	if cur.State == billing.StatementApproved {
		st, err = s.billing.Correct(ctx, ba, id, adj)
	} else {
		st, err = s.billing.Adjust(ctx, ba, id, adj)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *Server) settlementYear(r *http.Request, a workflow.Actor) (billing.Settlement, error) {
	y, err := parseYear(r.PathValue("year"), "year")
	if err != nil {
		return billing.Settlement{}, err
	}
	return s.billing.SettlementOf(r.Context(), billingActor(a), y)
}

func (s *Server) getSettlement(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	set, err := s.settlementYear(r, a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, set)
}

// buildSettlement builds (or rebuilds, while not approved) the settlement
// of the fiscal year from its approved statements (authority).
func (s *Server) buildSettlement(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	y, err := parseYear(r.PathValue("year"), "year")
	if err != nil {
		return err
	}
	set, err := s.billing.BuildSettlement(r.Context(), billingActor(a), y)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, set)
}

func (s *Server) exportSettlementCSV(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	set, err := s.settlementYear(r, a)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := billing.WriteSettlementCSV(&buf, set, langOf(r)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="settlement-`+strconv.Itoa(set.FiscalYear)+`.csv"`)
	_, _ = w.Write(buf.Bytes())
	return nil
}

func (s *Server) exportSettlementXLSX(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	y, err := parseYear(r.PathValue("year"), "year")
	if err != nil {
		return err
	}
	ba := billingActor(a)
	set, err := s.billing.SettlementOf(r.Context(), ba, y)
	if err != nil {
		return err
	}
	// The year's statements are streamed a page at a time into the
	// workbook; it is buffered so that an error can still be answered as a
	// problem instead of a truncated file.
	sts := s.billing.AllStatements(r.Context(), ba, billing.StatementFilter{FiscalYear: y})
	var buf bytes.Buffer
	if err := billing.WriteFinanceXLSXFrom(&buf, sts, &set, s.billing.Location(), langOf(r)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="settlement-`+strconv.Itoa(y)+`.xlsx"`)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// ---- scorecards ----

func kindPeriod(r *http.Request) (assessment.SubjectKind, assessment.Period, error) {
	k := assessment.SubjectKind(r.PathValue("kind"))
	if !k.Valid() {
		return "", assessment.Period{}, badRequest("kind", "want department or vendor, got %q", k)
	}
	p, err := assessment.ParsePeriod(r.PathValue("period"))
	if err != nil {
		return "", assessment.Period{}, badRequest("period", "want 2026, 2026-H1, 2026-Q3 or 2026-03, got %q", r.PathValue("period"))
	}
	return k, p, nil
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	run, err := s.assess.Run(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

func (s *Server) ranking(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	k, p, err := kindPeriod(r)
	if err != nil {
		return err
	}
	run, err := s.assess.Ranking(r.Context(), a, k, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

func (s *Server) runHistory(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	k, p, err := kindPeriod(r)
	if err != nil {
		return err
	}
	runs, err := s.assess.History(r.Context(), a, k, p)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []assessment.RunInfo{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"runs": runs})
}

func (s *Server) scorecard(w http.ResponseWriter, r *http.Request, a workflow.Actor) error {
	k, p, err := kindPeriod(r)
	if err != nil {
		return err
	}
	info, card, err := s.assess.Scorecard(r.Context(), a, k, p, r.PathValue("subject"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"run": info, "card": card})
}
