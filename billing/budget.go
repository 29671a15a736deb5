package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// QuoteRequest asks what an application's items will cost a department in
// the fiscal year of From: rated from From to To (zero: the end of that
// fiscal year) at the vendor's contract prices.
type QuoteRequest struct {
	Department string
	Vendor     string
	Items      []AppItem
	From       time.Time
	To         time.Time
}

// Quote is a cost quote checked against the department's budget.
type Quote struct {
	Department string
	FiscalYear int
	Amount     int64 // 分, the quoted cost
	Budget     int64 // the budget amount
	Committed  int64 // net of the year's statements that are not void
	Remaining  int64 // Budget − Committed, before the quote
	Exceeded   bool
	Notice     string // set when Exceeded (Chinese, then English)
	Pieces     []Piece
}

// Quote prices req and checks the department's budget (the department
// itself or the authority). When the quote exceeds the remaining budget the
// policy decides: BudgetNotify returns the quote with Exceeded and Notice
// set; BudgetBlock returns it together with a *BudgetError. A missing budget
// is ErrNoBudget; an item without a price ErrNoPrice.
func (s *Service) Quote(ctx context.Context, a Actor, req QuoteRequest) (Quote, error) {
	if err := a.require("ask for a quote", RoleDepartment, RoleAuthority); err != nil {
		return Quote{}, err
	}
	if a.Role == RoleDepartment && a.Department != req.Department {
		return Quote{}, &ForbiddenError{Actor: a, Action: "ask for a quote for department " + req.Department}
	}
	if req.Department == "" || req.Vendor == "" || req.From.IsZero() || len(req.Items) == 0 {
		return Quote{}, fieldErr(ErrInvalid, "quote", "", "department, vendor, from and items are required")
	}
	fy := req.From.In(s.loc).Year()
	to := req.To
	if yEnd := time.Date(fy+1, 1, 1, 0, 0, 0, 0, s.loc); to.IsZero() || to.After(yEnd) {
		to = yEnd
	}
	q := Quote{Department: req.Department, FiscalYear: fy}
	err := s.store.View(ctx, func(ctx context.Context, tx ReadTx) error {
		cat, err := loadCatalog(ctx, tx)
		if err != nil {
			return err
		}
		rater := NewRater(cat, s.loc)
		for i, it := range req.Items {
			r := UsageRecord{Key: "quote", Source: SourceLifecycle, Vendor: req.Vendor, Department: req.Department,
				Item: it.Item, Quantity: it.Quantity, Start: maxTime(req.From, it.From), End: to}
			if !it.To.IsZero() && it.To.Before(r.End) {
				r.End = it.To
			}
			if r.End.Before(r.Start) {
				continue
			}
			pieces, err := rater.ratePieces(r, time.Time{}, time.Time{})
			if err != nil {
				return rowErr(i+1, err)
			}
			for _, p := range pieces {
				q.Amount += p.Amount
			}
			q.Pieces = append(q.Pieces, pieces...)
		}
		b, err := tx.Budget(ctx, req.Department, fy)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: department %s, fiscal year %d", ErrNoBudget, req.Department, fy)
		}
		if err != nil {
			return err
		}
		q.Budget = b.Amount
		return eachStatement(ctx, tx, StatementFilter{Department: req.Department, FiscalYear: fy}, func(st Statement) error {
			if st.State != StatementVoid {
				q.Committed += st.Totals().Net
			}
			return nil
		})
	})
	if err != nil {
		return Quote{}, err
	}
	q.Remaining = q.Budget - q.Committed
	if q.Amount > q.Remaining {
		q.Exceeded = true
		q.Notice = fmt.Sprintf("报价 %s 元超出 %d 年度剩余预算 %s 元 (quote %s yuan exceeds the remaining %d budget of %s yuan)",
			FormatFen(q.Amount), fy, FormatFen(q.Remaining), FormatFen(q.Amount), fy, FormatFen(q.Remaining))
		if s.policy.Budget == BudgetBlock {
			return q, &BudgetError{Department: req.Department, FiscalYear: fy, Remaining: q.Remaining, Quote: q.Amount}
		}
	}
	return q, nil
}

// ForecastRow is one department's forecast cost for a year.
type ForecastRow struct {
	Department string
	RunRate    int64    // active items over the whole year, 分
	Pipeline   int64    // approved, not yet active applications, 分
	Total      int64    // RunRate + Pipeline
	Unpriced   []string // "application/item" pairs without a price (not counted)
}

// Forecast estimates each department's cost in calendar year y, for budget
// planning (费随事走). Method: every active application's items (not
// reclaimed before y) are rated over all of y — the run-rate — at the
// contract prices in force on each day, including announced future versions;
// every pipeline application (approved, not yet active) is rated from its
// expected activation (BillingInstants().Activated, or 1 January of y when
// zero or earlier) to the end of y. Item windows (AppItem.From/To) and known
// reclaim instants cut the year short. Items without a price are listed, not
// priced at zero. Authority and finance see every department; a department
// may forecast only its own applications.
func (s *Service) Forecast(ctx context.Context, a Actor, y int, active, pipeline []MeteredApplication) ([]ForecastRow, error) {
	if err := a.require("forecast", RoleDepartment, RoleAuthority, RoleFinance); err != nil {
		return nil, err
	}
	if y < 1900 || y > 9998 {
		return nil, fieldErr(ErrInvalid, "year", fmt.Sprint(y), "want 1900–9998")
	}
	for _, app := range slices.Concat(active, pipeline) {
		if a.Role == RoleDepartment && app.BillingDepartment() != a.Department {
			return nil, &ForbiddenError{Actor: a, Action: "forecast department " + app.BillingDepartment()}
		}
	}
	cat, err := s.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	rater := NewRater(cat, s.loc)
	from, to := time.Date(y, 1, 1, 0, 0, 0, 0, s.loc), time.Date(y+1, 1, 1, 0, 0, 0, 0, s.loc)
	rows := map[string]*ForecastRow{}
	add := func(app MeteredApplication, pipe bool) error {
		in := app.BillingInstants()
		start := from
		if pipe && in.Activated.After(from) {
			start = in.Activated
		}
		snap := AppSnapshot{ID: app.BillingID(), Department: app.BillingDepartment(), Vendor: app.BillingVendor(),
			Items: app.BillingItems(), Instants: Instants{Activated: start, Reclaimed: in.Reclaimed}}
		r := rows[snap.Department]
		if r == nil {
			r = &ForecastRow{Department: snap.Department}
			rows[snap.Department] = r
		}
		for _, rec := range s.lifecycleRecords(snap, from, to, fmt.Sprint(y)) {
			amt, err := rater.Rate(rec, from, to, nil)
			if errors.Is(err, ErrNoPrice) || errors.Is(err, ErrUnknownItem) {
				r.Unpriced = append(r.Unpriced, snap.ID+"/"+rec.Item)
				continue
			}
			if err != nil {
				return err
			}
			if pipe {
				r.Pipeline += amt
			} else {
				r.RunRate += amt
			}
		}
		return nil
	}
	for _, app := range active {
		if err := add(app, false); err != nil {
			return nil, err
		}
	}
	for _, app := range pipeline {
		if err := add(app, true); err != nil {
			return nil, err
		}
	}
	var out []ForecastRow
	for _, r := range rows {
		r.Total = r.RunRate + r.Pipeline
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b ForecastRow) int { return strings.Compare(a.Department, b.Department) })
	return out, nil
}
