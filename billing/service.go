package billing

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Clock gives the current time; inject a fixed one in tests.
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// IDGenerator gives new unique IDs.
type IDGenerator interface{ NewID() string }

// IDFunc adapts a function to IDGenerator.
type IDFunc func() string

// NewID calls f.
func (f IDFunc) NewID() string { return f() }

type uuidGen struct{}

func (uuidGen) NewID() string { return uuid.NewString() }

// BudgetMode says what a cost quote does when it exceeds the remaining
// budget.
type BudgetMode string

// The budget modes.
const (
	// BudgetNotify returns the quote with Exceeded set and a notice.
	BudgetNotify BudgetMode = "notify"
	// BudgetBlock returns the quote and a *BudgetError.
	BudgetBlock BudgetMode = "block"
)

// SettlementCalendar fixes the annual settlement's due date: the settlement
// of fiscal year Y is due on Month/Day of year Y+YearOffset. The default is
// 30 September of Y+1 (B 第四条: 每年9月底前审核汇总后提交财政, 下一年度支付).
type SettlementCalendar struct {
	Month      time.Month
	Day        int
	YearOffset int
}

// DueDate returns the due date of the settlement of fiscal year fy.
func (c SettlementCalendar) DueDate(fy int) Date {
	return Date{fy + c.YearOffset, c.Month, c.Day}
}

// Policy holds the configurable rules.
type Policy struct {
	// BillTrial bills an application's items from the start of its trial
	// (试用) instead of from activation (开通).
	BillTrial bool
	// Budget is the quote mode; default BudgetNotify.
	Budget BudgetMode
	// Settlement is the settlement calendar; zero means the default.
	Settlement SettlementCalendar
	// DeductionTiers map a service-level shortfall to a credit; see
	// DeductionTier. Empty means DefaultDeductionTiers.
	DeductionTiers []DeductionTier
}

// DefaultSettlementCalendar is 30 September of the year after the fiscal
// year.
var DefaultSettlementCalendar = SettlementCalendar{Month: time.September, Day: 30, YearOffset: 1}

// Options configure a Service.
type Options struct {
	Store Store
	// Clock defaults to the system clock; IDs to random UUIDs.
	Clock Clock
	IDs   IDGenerator
	// Location is where months and days are counted; default China
	// Standard Time (UTC+8, no daylight saving).
	Location *time.Location
	Policy   Policy
}

// Validate checks the options after defaults are applied.
func (o *Options) Validate() error {
	if o.Store == nil {
		return fieldErr(ErrInvalid, "store", "", "required")
	}
	switch o.Policy.Budget {
	case "", BudgetNotify, BudgetBlock:
	default:
		return fieldErr(ErrInvalid, "policy.budget", string(o.Policy.Budget), "want notify or block")
	}
	if c := o.Policy.Settlement; c != (SettlementCalendar{}) {
		if c.Month < 1 || c.Month > 12 || c.Day < 1 || c.Day > daysIn(2001, c.Month) || c.YearOffset < 0 || c.YearOffset > 2 {
			return fieldErr(ErrInvalid, "policy.settlement", fmt.Sprint(c), "want a valid month/day and a year offset 0–2")
		}
	}
	return validateTiers(o.Policy.DeductionTiers)
}

// CST is China Standard Time (UTC+8), the default billing location.
var CST = time.FixedZone("CST", 8*3600)

// Service is the billing core: catalog, usage, rating, statements,
// settlement, budgets, deductions and reconciliation, with authorisation.
type Service struct {
	store  Store
	clock  Clock
	ids    IDGenerator
	loc    *time.Location
	policy Policy
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s := &Service{store: o.Store, clock: o.Clock, ids: o.IDs, loc: o.Location, policy: o.Policy}
	if s.clock == nil {
		s.clock = ClockFunc(time.Now)
	}
	if s.ids == nil {
		s.ids = uuidGen{}
	}
	if s.loc == nil {
		s.loc = CST
	}
	if s.policy.Budget == "" {
		s.policy.Budget = BudgetNotify
	}
	if s.policy.Settlement == (SettlementCalendar{}) {
		s.policy.Settlement = DefaultSettlementCalendar
	}
	if len(s.policy.DeductionTiers) == 0 {
		s.policy.DeductionTiers = DefaultDeductionTiers
	}
	return s, nil
}

// Location returns the billing location.
func (s *Service) Location() *time.Location { return s.loc }

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func loadCatalog(ctx context.Context, tx ReadTx) (*Catalog, error) {
	items, err := tx.Items(ctx)
	if err != nil {
		return nil, err
	}
	prices, err := tx.Prices(ctx)
	if err != nil {
		return nil, err
	}
	c := &Catalog{items: make(map[string]Item, len(items)), prices: prices}
	for _, it := range items {
		c.items[it.Code] = it
	}
	return c, nil
}

// Catalog returns the current catalog. Anyone may read it.
func (s *Service) Catalog(ctx context.Context) (*Catalog, error) {
	var c *Catalog
	err := s.store.View(ctx, func(ctx context.Context, tx ReadTx) (err error) {
		c, err = loadCatalog(ctx, tx)
		return err
	})
	return c, err
}

// ImportCatalog adds every item and price of c to the stored catalog in one
// transaction (authority only). A code already present with a different
// definition is ErrExists; an identical one is skipped. A price overlapping a
// stored version is ErrOverlap. On error nothing is written; a *RowError
// names the failing item's or price's 1-based position in c.Items() or
// c.Prices().
func (s *Service) ImportCatalog(ctx context.Context, a Actor, c *Catalog) error {
	if err := a.require("import the catalog", RoleAuthority); err != nil {
		return err
	}
	return s.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		cur, err := loadCatalog(ctx, tx)
		if err != nil {
			return err
		}
		for i, it := range c.Items() {
			if old, ok := cur.Item(it.Code); ok {
				if old.Equal(it) {
					continue
				}
				return &RowError{Row: i + 1, Field: "code", Err: fieldErr(ErrExists, "code", it.Code, "defined differently in the catalog")}
			}
			if err := cur.AddItem(it); err != nil {
				return rowErr(i+1, err)
			}
			if err := tx.InsertItem(ctx, it); err != nil {
				return rowErr(i+1, err)
			}
		}
		for i, p := range c.Prices() {
			if slices.Contains(cur.prices, p) {
				continue
			}
			if err := cur.AddPrice(p); err != nil {
				return rowErr(i+1, err)
			}
			if err := tx.AppendPrice(ctx, p); err != nil {
				return rowErr(i+1, err)
			}
		}
		return nil
	})
}

// AddItem adds one catalog item (authority only).
func (s *Service) AddItem(ctx context.Context, a Actor, it Item) error {
	c := &Catalog{}
	if err := c.AddItem(it); err != nil {
		return err
	}
	err := s.ImportCatalog(ctx, a, c)
	var re *RowError
	if errors.As(err, &re) {
		return re.Err
	}
	return err
}

// AddPrice appends one price version (authority only): a price without a
// vendor is ErrNoVendor, one overlapping a stored version ErrOverlap, one for
// an unknown item ErrUnknownItem.
func (s *Service) AddPrice(ctx context.Context, a Actor, p Price) error {
	if err := a.require("add a price", RoleAuthority); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		cur, err := loadCatalog(ctx, tx)
		if err != nil {
			return err
		}
		if err := cur.CheckPrice(p); err != nil {
			return err
		}
		return tx.AppendPrice(ctx, p)
	})
}

// SetBudget records a department's budget code and amount for a fiscal year
// (authority or finance).
func (s *Service) SetBudget(ctx context.Context, a Actor, b Budget) error {
	if err := a.require("set a budget", RoleAuthority, RoleFinance); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(ctx context.Context, tx Tx) error { return tx.PutBudget(ctx, b) })
}

// IngestReport says what an ingestion did.
type IngestReport struct {
	Inserted   int      // new records
	Duplicates int      // records already stored with the same payload
	Rerated    []string // draft statements re-rated because of late usage
	// Adjusted lists the statements that received adjustment lines for late
	// usage of periods whose statements had left draft.
	Adjusted []string
	Parked   []ParkedUsage // late usage without a price
}

// Ingest stores usage records idempotently in one transaction. Vendors may
// ingest only their own SourceVendor records; the authority any. A record is
// validated (unknown item, negative quantity, bad times: a *RowError naming
// the 1-based batch index and field); the same key with the same payload is
// skipped, with a different payload it is ErrConflict. Any error writes
// nothing.
//
// Late usage (a record for a month whose statement already exists): if the
// statement is a draft it is re-rated; otherwise the record is rated for that
// month and billed as adjustment lines, linked to the closed statement, in
// the next open (draft) statement of the same department and vendor, created
// if needed.
func (s *Service) Ingest(ctx context.Context, a Actor, recs []UsageRecord) (IngestReport, error) {
	if err := a.require("ingest usage", RoleVendor, RoleAuthority); err != nil {
		return IngestReport{}, err
	}
	batch := make([]UsageRecord, len(recs))
	seen := map[string]int{}
	for i, r := range recs {
		if err := r.Validate(); err != nil {
			return IngestReport{}, rowErr(i+1, err)
		}
		if a.Role == RoleVendor && (r.Vendor != a.Vendor || r.Source != SourceVendor) {
			return IngestReport{}, &ForbiddenError{Actor: a, Action: "ingest usage of vendor " + r.Vendor}
		}
		batch[i] = r.normalize()
		if j, ok := seen[r.Key]; ok && !batch[j].Same(batch[i]) {
			return IngestReport{}, &RowError{Row: i + 1, Field: "key", Err: fieldErr(ErrConflict, "key", r.Key, fmt.Sprintf("differs from row %d", j+1))}
		}
		seen[r.Key] = i
	}
	var rep IngestReport
	err := s.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		rep = IngestReport{}
		cat, err := loadCatalog(ctx, tx)
		if err != nil {
			return err
		}
		rater := NewRater(cat, s.loc)
		var fresh []UsageRecord
		for i, r := range batch {
			if _, ok := cat.Item(r.Item); !ok {
				return &RowError{Row: i + 1, Field: "item", Err: fieldErr(ErrUnknownItem, "item", r.Item, "not in the catalog")}
			}
			old, err := tx.Usage(ctx, r.Key)
			switch {
			case err == nil && old.Same(r):
				rep.Duplicates++
				continue
			case err == nil:
				return &RowError{Row: i + 1, Field: "key", Err: fieldErr(ErrConflict, "key", r.Key, "stored with a different payload")}
			case !errors.Is(err, ErrNotFound):
				return err
			}
			if err := tx.InsertUsage(ctx, r); err != nil {
				if !errors.Is(err, ErrExists) {
					return err
				}
				// A concurrent transaction stored the key first.
				old, rerr := tx.Usage(ctx, r.Key)
				if rerr != nil || !old.Same(r) {
					return &RowError{Row: i + 1, Field: "key", Err: fieldErr(ErrConflict, "key", r.Key, "stored concurrently with a different payload")}
				}
				rep.Duplicates++
				continue
			}
			rep.Inserted++
			fresh = append(fresh, r)
		}
		return s.handleLate(ctx, tx, a, rater, fresh, &rep)
	})
	if err != nil {
		return IngestReport{}, err
	}
	return rep, nil
}

// monthsOf returns the months rec touches.
func (s *Service) monthsOf(r UsageRecord, it Item) []Month {
	first := MonthOf(r.Start, s.loc)
	if it.Basis == OneTime || !r.End.After(r.Start) {
		if it.Basis == OneTime {
			return []Month{first}
		}
		return nil
	}
	last := MonthOf(r.End.Add(-time.Nanosecond), s.loc)
	var out []Month
	for m := first; !last.Before(m); m = m.Next() {
		out = append(out, m)
	}
	return out
}

func (s *Service) handleLate(ctx context.Context, tx Tx, a Actor, rater *Rater, fresh []UsageRecord, rep *IngestReport) error {
	rerated := map[string]bool{}
	for _, r := range fresh {
		it, _ := rater.Item(r.Item)
		for _, m := range s.monthsOf(r, it) {
			st, ok, err := liveStatement(ctx, tx, r.Department, r.Vendor, m)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if st.State == StatementDraft {
				if rerated[st.ID] {
					continue
				}
				rerated[st.ID] = true
				parked, err := s.rerateDraft(ctx, tx, rater, &st)
				if err != nil {
					return err
				}
				rep.Parked = append(rep.Parked, parked...)
				rep.Rerated = append(rep.Rerated, st.ID)
				continue
			}
			pieces, err := rater.ratePieces(r, m.Start(s.loc), m.End(s.loc))
			if errors.Is(err, ErrNoPrice) {
				p := s.parked(r, m, err)
				if err := tx.PutParked(ctx, p); err != nil {
					return err
				}
				rep.Parked = append(rep.Parked, p)
				continue
			}
			if err != nil {
				return err
			}
			target, err := s.nextOpen(ctx, tx, r.Department, r.Vendor, m)
			if err != nil {
				return err
			}
			for i, p := range pieces {
				l := s.usageLine(target, r, p, i)
				l.Kind = LineAdjustment
				l.ID = "late:" + l.ID
				l.RefStatement = st.ID
				l.Reason = fmt.Sprintf("逾期用量补计 %s (late usage for %s)", m, m)
				l.Actor = a.ID
				target.Lines = append(target.Lines, l)
			}
			if err := s.saveStatement(ctx, tx, &target); err != nil {
				return err
			}
			if !slices.Contains(rep.Adjusted, target.ID) {
				rep.Adjusted = append(rep.Adjusted, target.ID)
			}
		}
	}
	return nil
}

func (s *Service) parked(r UsageRecord, m Month, err error) ParkedUsage {
	return ParkedUsage{Key: r.Key, Month: m, Department: r.Department, Vendor: r.Vendor, Item: r.Item,
		Reason: err.Error(), At: s.now()}
}

// liveStatement returns the non-void statement of dept × vendor × m.
func liveStatement(ctx context.Context, tx ReadTx, dept, vendor string, m Month) (Statement, bool, error) {
	sts, err := tx.Statements(ctx, StatementFilter{Department: dept, Vendor: vendor, Month: m})
	if err != nil {
		return Statement{}, false, err
	}
	for _, st := range sts {
		if st.State != StatementVoid {
			return st, true, nil
		}
	}
	return Statement{}, false, nil
}

// nextOpen returns the earliest draft statement of dept × vendor after m,
// creating one for the first month after m that has no issued statement.
func (s *Service) nextOpen(ctx context.Context, tx Tx, dept, vendor string, m Month) (Statement, error) {
	for c := m.Next(); ; c = c.Next() {
		st, ok, err := liveStatement(ctx, tx, dept, vendor, c)
		if err != nil {
			return Statement{}, err
		}
		if !ok {
			return s.newStatement(ctx, tx, dept, vendor, c)
		}
		if st.State == StatementDraft {
			return st, nil
		}
	}
}

func (s *Service) newStatement(ctx context.Context, tx Tx, dept, vendor string, m Month) (Statement, error) {
	b, err := tx.Budget(ctx, dept, m.Year)
	if errors.Is(err, ErrNotFound) {
		return Statement{}, fmt.Errorf("%w: department %s, fiscal year %d", ErrNoBudget, dept, m.Year)
	}
	if err != nil {
		return Statement{}, err
	}
	now := s.now()
	return Statement{ID: s.ids.NewID(), Department: dept, Vendor: vendor, Month: m, FiscalYear: m.Year,
		BudgetCode: b.Code, State: StatementDraft, CreatedAt: now, UpdatedAt: now}, nil
}

// saveStatement inserts (Version 0) or updates st, bumping its version.
func (s *Service) saveStatement(ctx context.Context, tx Tx, st *Statement) error {
	st.UpdatedAt = s.now()
	st.Version++
	if st.Version == 1 {
		return tx.InsertStatement(ctx, *st)
	}
	return tx.UpdateStatement(ctx, *st)
}

func (s *Service) usageLine(st Statement, r UsageRecord, p Piece, i int) Line {
	return Line{ID: fmt.Sprintf("u:%s#%d", r.Key, i), Kind: LineUsage, Item: r.Item, UsageKey: r.Key,
		Start: p.Start.UTC(), End: p.End.UTC(), Quantity: p.Quantity, UnitPrice: p.UnitPrice, Contract: p.Contract,
		Rule: p.Rule(Chinese), Num: p.Num, Den: p.Den, Amount: p.Amount, BudgetCode: st.BudgetCode, FiscalYear: st.FiscalYear}
}

// rerateDraft replaces the usage lines of a draft with a fresh rating of
// every usage record of its period; other lines stay. Unpriced usage is
// parked (and un-parked once priced).
func (s *Service) rerateDraft(ctx context.Context, tx Tx, rater *Rater, st *Statement) ([]ParkedUsage, error) {
	from, to := st.Month.Start(s.loc), st.Month.End(s.loc)
	recs, err := tx.UsageIn(ctx, UsageFilter{Department: st.Department, Vendor: st.Vendor, From: from, To: to})
	if err != nil {
		return nil, err
	}
	lines := slices.DeleteFunc(slices.Clone(st.Lines), func(l Line) bool { return l.Kind == LineUsage })
	var parked []ParkedUsage
	for _, r := range recs {
		pieces, err := rater.ratePieces(r, from, to)
		if errors.Is(err, ErrNoPrice) {
			p := s.parked(r, st.Month, err)
			if err := tx.PutParked(ctx, p); err != nil {
				return nil, err
			}
			parked = append(parked, p)
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := tx.DeleteParked(ctx, r.Key, st.Month); err != nil {
			return nil, err
		}
		for i, p := range pieces {
			lines = append(lines, s.usageLine(*st, r, p, i))
		}
	}
	st.Lines = lines
	return parked, s.saveStatement(ctx, tx, st)
}

// GenerateReport says what GenerateStatements did.
type GenerateReport struct {
	Statements []Statement   // drafts created or re-rated
	Skipped    []string      // statements already past draft (late usage is billed at ingestion)
	Parked     []ParkedUsage // usage without a price
}

// GenerateStatements drafts (or re-rates) the statement of every department
// × vendor with usage in month m (authority only), in one transaction. Each
// line carries the department's budget code for m's fiscal year; a
// department without a budget is ErrNoBudget and nothing is written.
func (s *Service) GenerateStatements(ctx context.Context, a Actor, m Month) (GenerateReport, error) {
	if err := a.require("generate statements", RoleAuthority); err != nil {
		return GenerateReport{}, err
	}
	if !m.Valid() {
		return GenerateReport{}, fieldErr(ErrInvalid, "month", m.String(), "not a valid month")
	}
	var rep GenerateReport
	err := s.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		rep = GenerateReport{}
		cat, err := loadCatalog(ctx, tx)
		if err != nil {
			return err
		}
		rater := NewRater(cat, s.loc)
		recs, err := tx.UsageIn(ctx, UsageFilter{From: m.Start(s.loc), To: m.End(s.loc)})
		if err != nil {
			return err
		}
		type dv struct{ d, v string }
		var groups []dv
		seen := map[dv]bool{}
		for _, r := range recs {
			k := dv{r.Department, r.Vendor}
			if !seen[k] {
				seen[k] = true
				groups = append(groups, k)
			}
		}
		slices.SortFunc(groups, func(a, b dv) int { return strings.Compare(a.d+"\x00"+a.v, b.d+"\x00"+b.v) })
		for _, g := range groups {
			st, ok, err := liveStatement(ctx, tx, g.d, g.v, m)
			if err != nil {
				return err
			}
			if ok && st.State != StatementDraft {
				rep.Skipped = append(rep.Skipped, st.ID)
				continue
			}
			if !ok {
				if st, err = s.newStatement(ctx, tx, g.d, g.v, m); err != nil {
					return err
				}
			}
			parked, err := s.rerateDraft(ctx, tx, rater, &st)
			if err != nil {
				return err
			}
			rep.Parked = append(rep.Parked, parked...)
			rep.Statements = append(rep.Statements, st)
		}
		return nil
	})
	if err != nil {
		return GenerateReport{}, err
	}
	return rep, nil
}

// Parked lists the usage that could not be rated (authority and finance).
func (s *Service) Parked(ctx context.Context, a Actor) ([]ParkedUsage, error) {
	if err := a.require("read parked usage", RoleAuthority, RoleFinance); err != nil {
		return nil, err
	}
	var out []ParkedUsage
	err := s.store.View(ctx, func(ctx context.Context, tx ReadTx) (err error) {
		out, err = tx.Parked(ctx)
		return err
	})
	return out, err
}

// Statement returns a statement the actor may see: a department only its
// own, a vendor only its own; authority and finance all.
func (s *Service) Statement(ctx context.Context, a Actor, id string) (Statement, error) {
	var st Statement
	err := s.store.View(ctx, func(ctx context.Context, tx ReadTx) (err error) {
		st, err = tx.Statement(ctx, id)
		return err
	})
	if err != nil {
		return Statement{}, err
	}
	if !a.canSee(st.Department, st.Vendor) {
		return Statement{}, &ForbiddenError{Actor: a, Action: "read statement " + id}
	}
	return st, nil
}

// Statements lists the statements matching f that the actor may see; a
// department's or vendor's filter is narrowed to its own. With f.Limit and
// f.After it returns one page of a keyset-paged listing; AllStatements
// walks a whole listing page by page.
func (s *Service) Statements(ctx context.Context, a Actor, f StatementFilter) ([]Statement, error) {
	f, err := s.statementScope(a, f)
	if err != nil {
		return nil, err
	}
	var out []Statement
	err = s.store.View(ctx, func(ctx context.Context, tx ReadTx) (err error) {
		if out, err = tx.Statements(ctx, f); err != nil {
			return err
		}
		return checkPage(out, f.After)
	})
	return out, err
}

// AllStatements yields the statements matching f that the actor may see,
// in the listing order, reading them a page at a time (f.Limit statements,
// StatementPageSize when zero), each page in its own read transaction, so
// that memory does not grow with the listing: the way to export a year.
// A statement written between two pages is seen as of its page. Every
// range over the sequence lists afresh. An error (a forbidden filter, a
// failed read) is yielded once, with a zero Statement, and ends it.
func (s *Service) AllStatements(ctx context.Context, a Actor, f StatementFilter) iter.Seq2[Statement, error] {
	return func(yield func(Statement, error) bool) {
		f, err := s.statementScope(a, f)
		if err != nil {
			yield(Statement{}, err)
			return
		}
		read := func(f StatementFilter) (page []Statement, err error) {
			err = s.store.View(ctx, func(ctx context.Context, tx ReadTx) (err error) {
				page, err = tx.Statements(ctx, f)
				return err
			})
			return page, err
		}
		err = pageStatements(f, read, func(st Statement) error {
			if !yield(st, nil) {
				return errStopped
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopped) {
			yield(Statement{}, err)
		}
	}
}

// errStopped ends a listing whose consumer stopped ranging over it.
var errStopped = errors.New("billing: listing stopped")

// statementScope narrows f to what a may list: a department its own, a
// vendor its own.
func (s *Service) statementScope(a Actor, f StatementFilter) (StatementFilter, error) {
	if !a.valid() {
		return f, &ForbiddenError{Actor: a, Action: "list statements"}
	}
	switch a.Role {
	case RoleDepartment:
		if f.Department != "" && f.Department != a.Department {
			return f, &ForbiddenError{Actor: a, Action: "list statements of department " + f.Department}
		}
		f.Department = a.Department
	case RoleVendor:
		if f.Vendor != "" && f.Vendor != a.Vendor {
			return f, &ForbiddenError{Actor: a, Action: "list statements of vendor " + f.Vendor}
		}
		f.Vendor = a.Vendor
	}
	return f, f.Validate()
}

// transition moves statement id to state to after check, in one
// transaction.
func (s *Service) transition(ctx context.Context, a Actor, id string, to StatementState, reason string,
	check func(*Statement) error) (Statement, error) {
	var out Statement
	err := s.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		st, err := tx.Statement(ctx, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(&st); err != nil {
				return err
			}
		}
		if err := st.canMove(to); err != nil {
			return err
		}
		st.History = append(st.History, Transition{From: string(st.State), To: string(to), Actor: a.ID, Role: a.Role, At: s.now(), Reason: reason})
		st.State = to
		if to == StatementApproved {
			st.Hash = st.ComputeHash()
		}
		if to == StatementVoid {
			st.VoidReason = reason
		}
		if err := s.saveStatement(ctx, tx, &st); err != nil {
			return err
		}
		out = st
		return nil
	})
	return out, err
}

// ConfirmByVendor records the vendor's confirmation of a draft (the
// statement's own vendor only).
func (s *Service) ConfirmByVendor(ctx context.Context, a Actor, id string) (Statement, error) {
	if err := a.require("confirm a statement", RoleVendor); err != nil {
		return Statement{}, err
	}
	return s.transition(ctx, a, id, StatementVendorConfirmed, "", func(st *Statement) error {
		if st.Vendor != a.Vendor {
			return &ForbiddenError{Actor: a, Action: "confirm statement " + id + " of vendor " + st.Vendor}
		}
		return nil
	})
}

// OpenAudit puts a vendor-confirmed statement under audit (authority).
func (s *Service) OpenAudit(ctx context.Context, a Actor, id string) (Statement, error) {
	if err := a.require("open an audit", RoleAuthority); err != nil {
		return Statement{}, err
	}
	return s.transition(ctx, a, id, StatementUnderAudit, "", nil)
}

// Approve approves a statement under audit and seals it with its hash
// (authority).
func (s *Service) Approve(ctx context.Context, a Actor, id string) (Statement, error) {
	if err := a.require("approve a statement", RoleAuthority); err != nil {
		return Statement{}, err
	}
	return s.transition(ctx, a, id, StatementApproved, "", nil)
}

// Void voids a statement that is not yet approved (authority), with a
// reason. Its usage is billed again when the month is generated anew.
func (s *Service) Void(ctx context.Context, a Actor, id, reason string) (Statement, error) {
	if err := a.require("void a statement", RoleAuthority); err != nil {
		return Statement{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return Statement{}, fieldErr(ErrReasonRequired, "reason", "", "a void needs a reason")
	}
	return s.transition(ctx, a, id, StatementVoid, reason, nil)
}

// Adjustment is an amount the authority adds to a statement, with a reason.
type Adjustment struct {
	// Amount in 分, positive or negative, not zero.
	Amount int64
	Reason string
	// RefLine optionally names the line adjusted (it must exist).
	RefLine string
	// Key, if set, makes the adjustment idempotent: the same key again with
	// the same content changes nothing, with other content is ErrConflict.
	Key string
}

func (adj Adjustment) validate() error {
	if strings.TrimSpace(adj.Reason) == "" {
		return fieldErr(ErrReasonRequired, "reason", "", "an adjustment needs a reason")
	}
	if adj.Amount == 0 {
		return fieldErr(ErrInvalid, "amount", "0", "an adjustment must not be zero")
	}
	return nil
}

// findKeyed returns the line with key k, if any.
func findKeyed(st Statement, k string) (Line, bool) {
	if k == "" {
		return Line{}, false
	}
	for _, l := range st.Lines {
		if l.Key == k {
			return l, true
		}
	}
	return Line{}, false
}

// Adjust adds an adjustment line to a statement under audit (authority).
func (s *Service) Adjust(ctx context.Context, a Actor, id string, adj Adjustment) (Statement, error) {
	if err := a.require("adjust a statement", RoleAuthority); err != nil {
		return Statement{}, err
	}
	if err := adj.validate(); err != nil {
		return Statement{}, err
	}
	var out Statement
	err := s.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		st, err := tx.Statement(ctx, id)
		if err != nil {
			return err
		}
		if st.State != StatementUnderAudit {
			return &TransitionError{Object: "statement", ID: id, From: string(st.State), To: "adjust"}
		}
		if adj.RefLine != "" && !slices.ContainsFunc(st.Lines, func(l Line) bool { return l.ID == adj.RefLine }) {
			return fieldErr(ErrNotFound, "ref_line", adj.RefLine, "no such line in the statement")
		}
		if l, ok := findKeyed(st, adj.Key); ok {
			if l.Amount == adj.Amount && l.Reason == adj.Reason && l.RefLine == adj.RefLine {
				out = st
				return nil
			}
			return fieldErr(ErrConflict, "key", adj.Key, "adjustment key reused with other content")
		}
		st.Lines = append(st.Lines, Line{ID: "adj:" + s.ids.NewID(), Kind: LineAdjustment, Amount: adj.Amount,
			BudgetCode: st.BudgetCode, FiscalYear: st.FiscalYear, Reason: adj.Reason, RefStatement: "",
			RefLine: adj.RefLine, Key: adj.Key, Actor: a.ID})
		if err := s.saveStatement(ctx, tx, &st); err != nil {
			return err
		}
		out = st
		return nil
	})
	return out, err
}

// Correct corrects an approved statement (authority): never an edit, but an
// adjustment line linked to it (RefStatement, RefLine) in the next open
// statement of the same department and vendor, which it returns.
func (s *Service) Correct(ctx context.Context, a Actor, id string, adj Adjustment) (Statement, error) {
	if err := a.require("correct a statement", RoleAuthority); err != nil {
		return Statement{}, err
	}
	if err := adj.validate(); err != nil {
		return Statement{}, err
	}
	var out Statement
	err := s.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		orig, err := tx.Statement(ctx, id)
		if err != nil {
			return err
		}
		if orig.State != StatementApproved {
			return &TransitionError{Object: "statement", ID: id, From: string(orig.State), To: "correct"}
		}
		if adj.RefLine != "" && !slices.ContainsFunc(orig.Lines, func(l Line) bool { return l.ID == adj.RefLine }) {
			return fieldErr(ErrNotFound, "ref_line", adj.RefLine, "no such line in the statement")
		}
		target, err := s.nextOpen(ctx, tx, orig.Department, orig.Vendor, orig.Month)
		if err != nil {
			return err
		}
		if l, ok := findKeyed(target, adj.Key); ok {
			if l.Amount == adj.Amount && l.Reason == adj.Reason && l.RefStatement == id && l.RefLine == adj.RefLine {
				out = target
				return nil
			}
			return fieldErr(ErrConflict, "key", adj.Key, "correction key reused with other content")
		}
		target.Lines = append(target.Lines, Line{ID: "cor:" + s.ids.NewID(), Kind: LineAdjustment, Amount: adj.Amount,
			BudgetCode: target.BudgetCode, FiscalYear: target.FiscalYear, Reason: adj.Reason, RefStatement: id,
			RefLine: adj.RefLine, Key: adj.Key, Actor: a.ID})
		if err := s.saveStatement(ctx, tx, &target); err != nil {
			return err
		}
		out = target
		return nil
	})
	return out, err
}
