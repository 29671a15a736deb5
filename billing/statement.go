package billing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// StatementState is where a monthly statement is in its lifecycle.
type StatementState string

// The statement states:
//
//	draft ──vendor confirms──▶ vendor_confirmed ──authority opens audit──▶ under_audit ──approve──▶ approved
//	  │                           │                                          │
//	  └───────────── void (authority, with a reason) ◀───────────────────────┘
const (
	StatementDraft           StatementState = "draft"
	StatementVendorConfirmed StatementState = "vendor_confirmed"
	StatementUnderAudit      StatementState = "under_audit"
	StatementApproved        StatementState = "approved"
	StatementVoid            StatementState = "void"
)

var statementStateLabels = map[StatementState][2]string{
	StatementDraft: {"草稿", "draft"}, StatementVendorConfirmed: {"供应商已确认", "vendor confirmed"},
	StatementUnderAudit: {"审核中", "under audit"}, StatementApproved: {"已审定", "approved"},
	StatementVoid: {"已作废", "void"},
}

// Label returns the label of s in lang.
func (s StatementState) Label(lang Lang) string {
	return label(statementStateLabels, s, string(s), lang)
}

// String returns the Chinese label.
func (s StatementState) String() string { return s.Label(Chinese) }

// LineKind is the kind of a statement line.
type LineKind string

// The line kinds.
const (
	// LineUsage: rated usage (one piece of one usage record).
	LineUsage LineKind = "usage"
	// LineAdjustment: an adjustment by the authority during audit, a
	// correction of an approved statement, or late usage of a closed period.
	LineAdjustment LineKind = "adjustment"
	// LineDeduction: a service-level credit (negative) from assessment.
	LineDeduction LineKind = "deduction"
)

var lineKindLabels = map[LineKind][2]string{
	LineUsage: {"用量", "usage"}, LineAdjustment: {"调整", "adjustment"}, LineDeduction: {"扣减", "deduction"},
}

// Label returns the label of k in lang.
func (k LineKind) Label(lang Lang) string { return label(lineKindLabels, k, string(k), lang) }

// String returns the Chinese label.
func (k LineKind) String() string { return k.Label(Chinese) }

// Line is one line of a statement. Every line carries the department's
// budget code and fiscal year (费随事走).
type Line struct {
	ID       string   `json:"id"`
	Kind     LineKind `json:"kind"`
	Item     string   `json:"item,omitempty"`
	UsageKey string   `json:"usage_key,omitempty"`
	// Start and End bound the rated piece (usage lines).
	Start     time.Time `json:"start,omitzero"`
	End       time.Time `json:"end,omitzero"`
	Quantity  Quantity  `json:"quantity,omitempty"`
	UnitPrice int64     `json:"unit_price,omitempty"`
	Contract  string    `json:"contract,omitempty"`
	// Rule records the proration (e.g. "按月 按自然日折算 12/31").
	Rule       string `json:"rule,omitempty"`
	Num        int64  `json:"num,omitempty"`
	Den        int64  `json:"den,omitempty"`
	Amount     int64  `json:"amount"` // 分; negative for credits
	BudgetCode string `json:"budget_code"`
	FiscalYear int    `json:"fiscal_year"`
	// Reason is required on adjustment and deduction lines.
	Reason string `json:"reason,omitempty"`
	// RefStatement and RefLine link an adjustment to what it corrects (late
	// usage of a closed period, a correction of an approved statement).
	RefStatement string `json:"ref_statement,omitempty"`
	RefLine      string `json:"ref_line,omitempty"`
	// Key makes deductions and corrections idempotent (empty for usage).
	Key   string `json:"key,omitempty"`
	Actor string `json:"actor,omitempty"`
}

// Transition records one state change of a statement or settlement.
type Transition struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Actor  string    `json:"actor"`
	Role   Role      `json:"role"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Statement is the monthly statement of one department with one vendor.
type Statement struct {
	ID         string         `json:"id"`
	Department string         `json:"department"`
	Vendor     string         `json:"vendor"`
	Month      Month          `json:"month"`
	FiscalYear int            `json:"fiscal_year"`
	BudgetCode string         `json:"budget_code"`
	State      StatementState `json:"state"`
	Lines      []Line         `json:"lines"`
	// Hash is set on approval: hex SHA-256 of the canonical encoding.
	Hash       string       `json:"hash,omitempty"`
	VoidReason string       `json:"void_reason,omitempty"`
	History    []Transition `json:"history"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	// Version increases by one with every write (optimistic concurrency).
	Version int64 `json:"version"`
}

// Totals sums a statement's lines by kind. Net = Usage + Adjustments +
// Deductions (deductions are negative).
type Totals struct {
	Usage       int64 `json:"usage"`
	Adjustments int64 `json:"adjustments"`
	Deductions  int64 `json:"deductions"`
	Net         int64 `json:"net"`
}

// Add returns t + o.
func (t Totals) Add(o Totals) Totals {
	return Totals{t.Usage + o.Usage, t.Adjustments + o.Adjustments, t.Deductions + o.Deductions, t.Net + o.Net}
}

// Totals sums the lines of s.
func (s Statement) Totals() Totals {
	var t Totals
	for _, l := range s.Lines {
		switch l.Kind {
		case LineUsage:
			t.Usage += l.Amount
		case LineAdjustment:
			t.Adjustments += l.Amount
		case LineDeduction:
			t.Deductions += l.Amount
		}
		t.Net += l.Amount
	}
	return t
}

// Clone returns a deep copy of s.
func (s Statement) Clone() Statement {
	s.Lines = slices.Clone(s.Lines)
	s.History = slices.Clone(s.History)
	return s
}

// canon writes a length-prefixed canonical encoding: each field as
// "<len>:<bytes>;", so no two different field sequences encode alike.
type canon struct{ w io.Writer }

func (c canon) s(v string) { fmt.Fprintf(c.w, "%d:%s;", len(v), v) }
func (c canon) i(v int64)  { c.s(strconv.FormatInt(v, 10)) }
func (c canon) t(v time.Time) {
	if v.IsZero() {
		c.s("")
		return
	}
	c.s(v.UTC().Format(time.RFC3339Nano))
}

// CanonicalEncoding returns the bytes the statement hash is computed over:
// version tag "govcloud/billing/statement/v1", ID, department, vendor, month,
// fiscal year, budget code, and every line sorted by ID with all its fields,
// then the totals. State, history, timestamps and Version are not covered.
func (s Statement) CanonicalEncoding() []byte {
	var b strings.Builder
	c := canon{&b}
	c.s("govcloud/billing/statement/v1")
	c.s(s.ID)
	c.s(s.Department)
	c.s(s.Vendor)
	c.s(s.Month.String())
	c.i(int64(s.FiscalYear))
	c.s(s.BudgetCode)
	lines := slices.Clone(s.Lines)
	slices.SortFunc(lines, func(a, b Line) int { return strings.Compare(a.ID, b.ID) })
	c.i(int64(len(lines)))
	for _, l := range lines {
		c.s(l.ID)
		c.s(string(l.Kind))
		c.s(l.Item)
		c.s(l.UsageKey)
		c.t(l.Start)
		c.t(l.End)
		c.i(int64(l.Quantity))
		c.i(l.UnitPrice)
		c.s(l.Contract)
		c.s(l.Rule)
		c.i(l.Num)
		c.i(l.Den)
		c.i(l.Amount)
		c.s(l.BudgetCode)
		c.i(int64(l.FiscalYear))
		c.s(l.Reason)
		c.s(l.RefStatement)
		c.s(l.RefLine)
		c.s(l.Key)
		c.s(l.Actor)
	}
	t := s.Totals()
	c.i(t.Usage)
	c.i(t.Adjustments)
	c.i(t.Deductions)
	c.i(t.Net)
	return []byte(b.String())
}

// ComputeHash returns the hex SHA-256 of s.CanonicalEncoding().
func (s Statement) ComputeHash() string {
	h := sha256.Sum256(s.CanonicalEncoding())
	return hex.EncodeToString(h[:])
}

// Verify checks an approved statement's hash; the error matches
// ErrHashMismatch. A statement that is not approved has no hash to check and
// fails with ErrTransition.
func (s Statement) Verify() error {
	if s.State != StatementApproved || s.Hash == "" {
		return &TransitionError{Object: "statement", ID: s.ID, From: string(s.State), To: "verify"}
	}
	if got := s.ComputeHash(); got != s.Hash {
		return fmt.Errorf("%w: statement %s: recorded %s, computed %s", ErrHashMismatch, s.ID, s.Hash, got)
	}
	return nil
}

// statementNext lists the allowed transitions.
var statementNext = map[StatementState][]StatementState{
	StatementDraft:           {StatementVendorConfirmed, StatementVoid},
	StatementVendorConfirmed: {StatementUnderAudit, StatementVoid},
	StatementUnderAudit:      {StatementApproved, StatementVoid},
}

func (s Statement) canMove(to StatementState) error {
	if slices.Contains(statementNext[s.State], to) {
		return nil
	}
	return &TransitionError{Object: "statement", ID: s.ID, From: string(s.State), To: string(to)}
}
