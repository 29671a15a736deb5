package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SettlementState is where an annual settlement is.
type SettlementState string

// The settlement states:
//
//	draft ──approve (authority)──▶ approved ──submit (authority)──▶ submitted ──pay (finance, FY+1 or later)──▶ paid
const (
	SettlementDraft     SettlementState = "draft"
	SettlementApproved  SettlementState = "approved"
	SettlementSubmitted SettlementState = "submitted"
	SettlementPaid      SettlementState = "paid"
)

var settlementStateLabels = map[SettlementState][2]string{
	SettlementDraft: {"草稿", "draft"}, SettlementApproved: {"已审定", "approved"},
	SettlementSubmitted: {"已提交财政", "submitted to finance"}, SettlementPaid: {"已支付", "paid"},
}

// Label returns the label of s in lang.
func (s SettlementState) Label(lang Lang) string {
	return label(settlementStateLabels, s, string(s), lang)
}

// String returns the Chinese label.
func (s SettlementState) String() string { return s.Label(Chinese) }

var settlementNext = map[SettlementState]SettlementState{
	SettlementDraft: SettlementApproved, SettlementApproved: SettlementSubmitted, SettlementSubmitted: SettlementPaid,
}

// SettlementEntry is one approved statement inside a settlement.
type SettlementEntry struct {
	StatementID string `json:"statement_id"`
	Department  string `json:"department"`
	Vendor      string `json:"vendor"`
	Month       Month  `json:"month"`
	BudgetCode  string `json:"budget_code"`
	Hash        string `json:"hash"`
	Totals      Totals `json:"totals"`
}

// SummaryRow totals a settlement per department or per vendor.
type SummaryRow struct {
	Key    string `json:"key"` // department or vendor
	Totals Totals `json:"totals"`
}

// Settlement is the annual settlement of a fiscal year (calendar year): the
// aggregate of its approved statements.
type Settlement struct {
	ID           string            `json:"id"`
	FiscalYear   int               `json:"fiscal_year"`
	State        SettlementState   `json:"state"`
	DueDate      Date              `json:"due_date"`
	Entries      []SettlementEntry `json:"entries"`
	ByDepartment []SummaryRow      `json:"by_department"`
	ByVendor     []SummaryRow      `json:"by_vendor"`
	Total        Totals            `json:"total"`
	// Unapproved lists the statements of the year neither approved nor void
	// when the settlement was built; approval requires none.
	Unapproved  []string     `json:"unapproved,omitempty"`
	Hash        string       `json:"hash,omitempty"`
	SubmittedAt time.Time    `json:"submitted_at,omitzero"`
	Overdue     bool         `json:"overdue,omitempty"` // submitted after the due date
	PaidAt      time.Time    `json:"paid_at,omitzero"`
	History     []Transition `json:"history"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Version     int64        `json:"version"`
}

// Clone returns a deep copy.
func (s Settlement) Clone() Settlement {
	s.Entries = slices.Clone(s.Entries)
	s.ByDepartment = slices.Clone(s.ByDepartment)
	s.ByVendor = slices.Clone(s.ByVendor)
	s.Unapproved = slices.Clone(s.Unapproved)
	s.History = slices.Clone(s.History)
	return s
}

// CanonicalEncoding returns the bytes the settlement hash covers: tag
// "govcloud/billing/settlement/v1", ID, fiscal year, due date, each entry
// sorted by statement ID (with the statement's own hash and totals), the
// summaries and the total.
func (s Settlement) CanonicalEncoding() []byte {
	var b strings.Builder
	c := canon{&b}
	c.s("govcloud/billing/settlement/v1")
	c.s(s.ID)
	c.i(int64(s.FiscalYear))
	c.s(s.DueDate.String())
	es := slices.Clone(s.Entries)
	slices.SortFunc(es, func(a, b SettlementEntry) int { return strings.Compare(a.StatementID, b.StatementID) })
	tot := func(t Totals) { c.i(t.Usage); c.i(t.Adjustments); c.i(t.Deductions); c.i(t.Net) }
	c.i(int64(len(es)))
	for _, e := range es {
		c.s(e.StatementID)
		c.s(e.Department)
		c.s(e.Vendor)
		c.s(e.Month.String())
		c.s(e.BudgetCode)
		c.s(e.Hash)
		tot(e.Totals)
	}
	for _, rows := range [][]SummaryRow{s.ByDepartment, s.ByVendor} {
		c.i(int64(len(rows)))
		for _, r := range rows {
			c.s(r.Key)
			tot(r.Totals)
		}
	}
	tot(s.Total)
	return []byte(b.String())
}

// ComputeHash returns the hex SHA-256 of s.CanonicalEncoding().
func (s Settlement) ComputeHash() string {
	h := sha256.Sum256(s.CanonicalEncoding())
	return hex.EncodeToString(h[:])
}

// Verify checks the hash of an approved (or later) settlement; the error
// matches ErrHashMismatch.
func (s Settlement) Verify() error {
	if s.State == SettlementDraft || s.Hash == "" {
		return &TransitionError{Object: "settlement", ID: s.ID, From: string(s.State), To: "verify"}
	}
	if got := s.ComputeHash(); got != s.Hash {
		return fmt.Errorf("%w: settlement %s: recorded %s, computed %s", ErrHashMismatch, s.ID, s.Hash, got)
	}
	return nil
}

// aggregator fills a settlement's entries, summaries and total from
// approved statements added one at a time (a listing read page by page).
type aggregator struct {
	s         *Settlement
	byD, byV  map[string]Totals
	noEntries bool // summaries only: no entry per statement
}

func newAggregator(s *Settlement) *aggregator {
	s.Entries, s.ByDepartment, s.ByVendor, s.Total, s.Unapproved = nil, nil, nil, Totals{}, nil
	return &aggregator{s: s, byD: map[string]Totals{}, byV: map[string]Totals{}}
}

func (ag *aggregator) add(st Statement) {
	s := ag.s
	switch st.State {
	case StatementApproved:
	case StatementVoid:
		return
	default:
		s.Unapproved = append(s.Unapproved, st.ID)
		return
	}
	t := st.Totals()
	if !ag.noEntries {
		s.Entries = append(s.Entries, SettlementEntry{StatementID: st.ID, Department: st.Department, Vendor: st.Vendor,
			Month: st.Month, BudgetCode: st.BudgetCode, Hash: st.Hash, Totals: t})
	}
	ag.byD[st.Department] = ag.byD[st.Department].Add(t)
	ag.byV[st.Vendor] = ag.byV[st.Vendor].Add(t)
	s.Total = s.Total.Add(t)
}

func (ag *aggregator) done() {
	rows := func(m map[string]Totals) []SummaryRow {
		var out []SummaryRow
		for k, t := range m {
			out = append(out, SummaryRow{Key: k, Totals: t})
		}
		slices.SortFunc(out, func(a, b SummaryRow) int { return strings.Compare(a.Key, b.Key) })
		return out
	}
	ag.s.ByDepartment, ag.s.ByVendor = rows(ag.byD), rows(ag.byV)
	slices.Sort(ag.s.Unapproved)
}

// StatementPageSize is the number of statements the Service reads at a time
// where it walks a listing (settlements, verification, budget checks,
// AllStatements), so that it never holds a year's statements at once (a
// settlement still keeps one small entry per approved statement).
const StatementPageSize = 256

// checkPage reports a page that is not in the listing order or does not
// start after the cursor: a store that ignored the cursor would otherwise
// make paging loop for ever.
func checkPage(page []Statement, after *StatementKey) error {
	for i := range page {
		prev := after
		if i > 0 {
			k := page[i-1].Key()
			prev = &k
		}
		if prev != nil && page[i].Key().Compare(*prev) <= 0 {
			return fmt.Errorf("%w: statement %s listed after %+v (ReadTx.Statements must honour StatementFilter.After and sort)",
				ErrStoreContract, page[i].ID, *prev)
		}
	}
	return nil
}

// eachStatement calls fn with every statement matching f in the listing
// order, reading tx a page at a time; fn's error stops it.
func eachStatement(ctx context.Context, tx ReadTx, f StatementFilter, fn func(Statement) error) error {
	return pageStatements(f, func(f StatementFilter) ([]Statement, error) { return tx.Statements(ctx, f) }, fn)
}

// pageStatements calls fn with every statement matching f in the listing
// order, reading a page at a time with read (f.Limit statements when
// positive, else StatementPageSize) and checking each page against its
// cursor; an error from read or fn stops it.
func pageStatements(f StatementFilter, read func(StatementFilter) ([]Statement, error), fn func(Statement) error) error {
	if f.Limit <= 0 {
		f.Limit = StatementPageSize
	}
	for {
		page, err := read(f)
		if err != nil {
			return err
		}
		if err := checkPage(page, f.After); err != nil {
			return err
		}
		for _, st := range page {
			if err := fn(st); err != nil {
				return err
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		k := page[len(page)-1].Key()
		f.After = &k
	}
}

// BuildSettlement builds (or rebuilds, while draft) the settlement of fiscal
// year fy from its approved statements (authority). Statements neither
// approved nor void are listed in Unapproved. It reads the year a page at a
// time in its transaction; where the store's isolation gives each read its
// own snapshot (PostgreSQL's READ COMMITTED), every statement is still read
// exactly once, as of its page (a statement's key never changes), and
// ApproveSettlement recomputes and checks the year before sealing it.
func (s *Service) BuildSettlement(ctx context.Context, a Actor, fy int) (Settlement, error) {
	if err := a.require("build a settlement", RoleAuthority); err != nil {
		return Settlement{}, err
	}
	if fy < 1900 || fy > 9998 {
		return Settlement{}, fieldErr(ErrInvalid, "fiscal_year", fmt.Sprint(fy), "want 1900–9998")
	}
	var out Settlement
	err := s.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		olds, err := tx.Settlements(ctx, fy)
		if err != nil {
			return err
		}
		var set Settlement
		if len(olds) > 0 {
			set = olds[0]
			if set.State != SettlementDraft {
				return &TransitionError{Object: "settlement", ID: set.ID, From: string(set.State), To: "rebuild"}
			}
		} else {
			set = Settlement{ID: s.ids.NewID(), FiscalYear: fy, State: SettlementDraft, CreatedAt: s.now()}
		}
		set.DueDate = s.policy.Settlement.DueDate(fy)
		ag := newAggregator(&set)
		if err := eachStatement(ctx, tx, StatementFilter{FiscalYear: fy}, func(st Statement) error {
			ag.add(st)
			return nil
		}); err != nil {
			return err
		}
		ag.done()
		set.UpdatedAt = s.now()
		set.Version++
		if set.Version == 1 {
			err = tx.InsertSettlement(ctx, set)
		} else {
			err = tx.UpdateSettlement(ctx, set)
		}
		out = set
		return err
	})
	return out, err
}

func (s *Service) moveSettlement(ctx context.Context, a Actor, id string, to SettlementState, check func(ReadTx, *Settlement) error) (Settlement, error) {
	var out Settlement
	err := s.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		set, err := tx.Settlement(ctx, id)
		if err != nil {
			return err
		}
		if settlementNext[set.State] != to {
			return &TransitionError{Object: "settlement", ID: id, From: string(set.State), To: string(to)}
		}
		if err := check(tx, &set); err != nil {
			return err
		}
		now := s.now()
		set.History = append(set.History, Transition{From: string(set.State), To: string(to), Actor: a.ID, Role: a.Role, At: now})
		set.State = to
		set.UpdatedAt = now
		set.Version++
		if err := tx.UpdateSettlement(ctx, set); err != nil {
			return err
		}
		out = set
		return nil
	})
	return out, err
}

// ApproveSettlement approves a draft settlement and seals it with its hash
// (authority). Every statement of the year must be approved or void, and
// every included statement must still verify; the aggregate is recomputed.
func (s *Service) ApproveSettlement(ctx context.Context, a Actor, id string) (Settlement, error) {
	if err := a.require("approve a settlement", RoleAuthority); err != nil {
		return Settlement{}, err
	}
	return s.moveSettlement(ctx, a, id, SettlementApproved, func(tx ReadTx, set *Settlement) error {
		ag := newAggregator(set)
		var bad error // the first approved statement that does not verify
		if err := eachStatement(ctx, tx, StatementFilter{FiscalYear: set.FiscalYear}, func(st Statement) error {
			ag.add(st)
			if st.State == StatementApproved && bad == nil {
				bad = st.Verify()
			}
			return nil
		}); err != nil {
			return err
		}
		ag.done()
		if len(set.Unapproved) > 0 {
			return fmt.Errorf("%w: settlement %s: statements not yet approved: %s", ErrTransition, id, strings.Join(set.Unapproved, ", "))
		}
		if bad != nil {
			return bad
		}
		set.Hash = set.ComputeHash()
		return nil
	})
}

// SubmitSettlement submits an approved settlement to finance (authority).
// A submission after the due date is recorded as Overdue.
func (s *Service) SubmitSettlement(ctx context.Context, a Actor, id string) (Settlement, error) {
	if err := a.require("submit a settlement", RoleAuthority); err != nil {
		return Settlement{}, err
	}
	return s.moveSettlement(ctx, a, id, SettlementSubmitted, func(_ ReadTx, set *Settlement) error {
		if err := set.Verify(); err != nil {
			return err
		}
		now := s.now()
		set.SubmittedAt = now
		set.Overdue = DateOf(now, s.loc).Compare(set.DueDate) > 0
		return nil
	})
}

// PaySettlement records payment of a submitted settlement (finance). The
// using departments pay in a later fiscal year than the settled one; paying
// earlier is ErrTooEarly.
func (s *Service) PaySettlement(ctx context.Context, a Actor, id string) (Settlement, error) {
	if err := a.require("record payment", RoleFinance); err != nil {
		return Settlement{}, err
	}
	return s.moveSettlement(ctx, a, id, SettlementPaid, func(_ ReadTx, set *Settlement) error {
		now := s.now()
		if y := now.In(s.loc).Year(); y <= set.FiscalYear {
			return fmt.Errorf("%w: settlement of fiscal year %d is paid from %d on, now is %d", ErrTooEarly, set.FiscalYear, set.FiscalYear+1, y)
		}
		set.PaidAt = now
		return nil
	})
}

// Settlement returns a settlement (authority and finance).
func (s *Service) Settlement(ctx context.Context, a Actor, id string) (Settlement, error) {
	if err := a.require("read a settlement", RoleAuthority, RoleFinance); err != nil {
		return Settlement{}, err
	}
	var out Settlement
	err := s.store.View(ctx, func(ctx context.Context, tx ReadTx) (err error) {
		out, err = tx.Settlement(ctx, id)
		return err
	})
	return out, err
}

// SettlementOf returns the settlement of fiscal year fy (authority and
// finance), or ErrNotFound.
func (s *Service) SettlementOf(ctx context.Context, a Actor, fy int) (Settlement, error) {
	if err := a.require("read a settlement", RoleAuthority, RoleFinance); err != nil {
		return Settlement{}, err
	}
	var out Settlement
	err := s.store.View(ctx, func(ctx context.Context, tx ReadTx) error {
		sets, err := tx.Settlements(ctx, fy)
		if err != nil {
			return err
		}
		if len(sets) == 0 {
			return fmt.Errorf("%w: settlement of fiscal year %d", ErrNotFound, fy)
		}
		out = sets[0]
		return nil
	})
	return out, err
}

// VerifyYear re-verifies the hash of every approved statement of fiscal
// year fy and of the year's settlement once approved (authority and
// finance). It returns nil when all verify, else every failure joined; each
// matches ErrHashMismatch.
func (s *Service) VerifyYear(ctx context.Context, a Actor, fy int) error {
	if err := a.require("verify hashes", RoleAuthority, RoleFinance); err != nil {
		return err
	}
	var errs []error
	err := s.store.View(ctx, func(ctx context.Context, tx ReadTx) error {
		err := eachStatement(ctx, tx, StatementFilter{FiscalYear: fy, States: []StatementState{StatementApproved}}, func(st Statement) error {
			if err := st.Verify(); err != nil {
				errs = append(errs, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		sets, err := tx.Settlements(ctx, fy)
		if err != nil {
			return err
		}
		for _, set := range sets {
			if set.State != SettlementDraft {
				if err := set.Verify(); err != nil {
					errs = append(errs, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(errs...)
}
