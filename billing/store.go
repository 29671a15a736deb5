package billing

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"
)

// Store keeps the catalog, usage, statements, settlements and budgets.
// Update runs fn in one transaction: if fn returns an error nothing it wrote
// is kept. Implementations: adapters/memstore.BillingStore (reference);
// billingtest.Run is the conformance suite.
type Store interface {
	// Update runs fn in a read-write transaction.
	Update(ctx context.Context, fn func(context.Context, Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(context.Context, ReadTx) error) error
}

// ReadTx reads inside a transaction. Values returned are copies.
type ReadTx interface {
	// Items returns every catalog item, sorted by code.
	Items(ctx context.Context) ([]Item, error)
	// Prices returns every price version in append order.
	Prices(ctx context.Context) ([]Price, error)
	// Usage returns the record with key, or ErrNotFound.
	Usage(ctx context.Context, key string) (UsageRecord, error)
	// UsageIn returns the records matching f, sorted by key.
	UsageIn(ctx context.Context, f UsageFilter) ([]UsageRecord, error)
	// Parked returns every parked usage entry, sorted by key and month.
	Parked(ctx context.Context) ([]ParkedUsage, error)
	// Statement returns the statement with id, or ErrNotFound.
	Statement(ctx context.Context, id string) (Statement, error)
	// Statements returns the statements matching f (f.After included),
	// sorted by month, department, vendor and ID (StatementKey.Compare),
	// at most f.Limit of them when f.Limit > 0; a filter that fails
	// f.Validate is ErrInvalid. A store should apply the cursor and the
	// limit where it reads (an index), so that a page costs what it
	// returns.
	Statements(ctx context.Context, f StatementFilter) ([]Statement, error)
	// Settlement returns the settlement with id, or ErrNotFound.
	Settlement(ctx context.Context, id string) (Settlement, error)
	// Settlements returns the settlements of fiscal year fy (0: all), sorted
	// by fiscal year and ID.
	Settlements(ctx context.Context, fy int) ([]Settlement, error)
	// Budget returns the budget of dept for fy, or ErrNotFound.
	Budget(ctx context.Context, dept string, fy int) (Budget, error)
}

// Tx writes inside a transaction.
type Tx interface {
	ReadTx
	// InsertItem adds an item; an existing code is ErrExists.
	InsertItem(ctx context.Context, it Item) error
	// AppendPrice appends a price version (never edited).
	AppendPrice(ctx context.Context, p Price) error
	// InsertUsage adds a usage record; an existing key is ErrExists.
	InsertUsage(ctx context.Context, r UsageRecord) error
	// PutParked inserts or replaces the parked entry for (Key, Month).
	PutParked(ctx context.Context, p ParkedUsage) error
	// DeleteParked removes the entry for (key, month) if present.
	DeleteParked(ctx context.Context, key string, m Month) error
	// InsertStatement adds a statement; an existing ID is ErrExists.
	InsertStatement(ctx context.Context, s Statement) error
	// UpdateStatement replaces a statement; the stored Version must be
	// s.Version−1, else ErrConflict (ErrNotFound if absent).
	UpdateStatement(ctx context.Context, s Statement) error
	// InsertSettlement adds a settlement; an existing ID is ErrExists.
	InsertSettlement(ctx context.Context, s Settlement) error
	// UpdateSettlement replaces a settlement under the same version rule as
	// UpdateStatement.
	UpdateSettlement(ctx context.Context, s Settlement) error
	// PutBudget inserts or replaces the budget of (Department, FiscalYear).
	PutBudget(ctx context.Context, b Budget) error
}

// UsageFilter selects usage records. Empty strings match any value. A record
// matches the period when it overlaps [From, To): Start < To and (End > From,
// or Start ≥ From for a record with End == Start). Zero bounds are open.
type UsageFilter struct {
	Department string
	Vendor     string
	Item       string
	From, To   time.Time
}

// Match reports whether r matches f.
func (f UsageFilter) Match(r UsageRecord) bool {
	if (f.Department != "" && r.Department != f.Department) || (f.Vendor != "" && r.Vendor != f.Vendor) ||
		(f.Item != "" && r.Item != f.Item) {
		return false
	}
	if !f.To.IsZero() && !r.Start.Before(f.To) {
		return false
	}
	if !f.From.IsZero() && !r.End.After(f.From) && !(r.End.Equal(r.Start) && !r.Start.Before(f.From)) {
		return false
	}
	return true
}

// StatementFilter selects statements; zero fields match any value.
type StatementFilter struct {
	Department string
	Vendor     string
	Month      Month
	FiscalYear int
	States     []StatementState
	// After, when set, keeps only the statements after it in the listing
	// order: the cursor of keyset paging, the Key of the last statement of
	// the previous page.
	After *StatementKey
	// Limit, when positive, is the most statements one listing returns
	// (the first in the listing order); zero lists them all.
	Limit int
}

// Validate reports a negative Limit or a cursor whose month is not a
// calendar month (ErrInvalid): stores order months as "YYYY-MM" text, which
// agrees with the listing order only for valid months.
func (f StatementFilter) Validate() error {
	if f.Limit < 0 {
		return fieldErr(ErrInvalid, "limit", fmt.Sprint(f.Limit), "must be ≥ 0")
	}
	if f.After != nil && !f.After.Month.Valid() {
		return fieldErr(ErrInvalid, "after.month", fmt.Sprintf("%d-%d", f.After.Month.Year, int(f.After.Month.Month)), "not a calendar month")
	}
	return nil
}

// StatementKey is a statement's place in the listing order: by month,
// department, vendor and ID, strings compared byte by byte.
type StatementKey struct {
	Month      Month  `json:"month"`
	Department string `json:"department"`
	Vendor     string `json:"vendor"`
	ID         string `json:"id"`
}

// Key returns s's place in the listing order.
func (s Statement) Key() StatementKey {
	return StatementKey{Month: s.Month, Department: s.Department, Vendor: s.Vendor, ID: s.ID}
}

// Compare returns −1, 0 or +1 as k sorts before, with or after o.
func (k StatementKey) Compare(o StatementKey) int {
	return cmp.Or(cmp.Compare(k.Month.Year, o.Month.Year), cmp.Compare(k.Month.Month, o.Month.Month),
		strings.Compare(k.Department, o.Department), strings.Compare(k.Vendor, o.Vendor), strings.Compare(k.ID, o.ID))
}

// Match reports whether s matches f (Limit aside).
func (f StatementFilter) Match(s Statement) bool {
	if (f.Department != "" && s.Department != f.Department) || (f.Vendor != "" && s.Vendor != f.Vendor) ||
		(!f.Month.IsZero() && s.Month != f.Month) || (f.FiscalYear != 0 && s.FiscalYear != f.FiscalYear) {
		return false
	}
	if f.After != nil && s.Key().Compare(*f.After) <= 0 {
		return false
	}
	if len(f.States) > 0 {
		for _, st := range f.States {
			if st == s.State {
				return true
			}
		}
		return false
	}
	return true
}

// ParkedUsage is usage that could not be rated for a month because no price
// was in force: it is reported and re-tried whenever the month's draft is
// rated again, never rated at zero.
type ParkedUsage struct {
	Key        string    `json:"key"`
	Month      Month     `json:"month"`
	Department string    `json:"department"`
	Vendor     string    `json:"vendor"`
	Item       string    `json:"item"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
}

// Budget is a department's budget for a fiscal year: its budget code (预算
// 科目/项目编码) carried on every line, and the amount approved for cloud
// services in 分.
type Budget struct {
	Department string `json:"department"`
	FiscalYear int    `json:"fiscal_year"`
	Code       string `json:"code"`
	Amount     int64  `json:"amount"`
}

// Validate checks b's fields.
func (b Budget) Validate() error {
	switch {
	case b.Department == "" || len(b.Department) > 64:
		return fieldErr(ErrInvalid, "department", b.Department, "want 1–64 bytes")
	case b.FiscalYear < 1900 || b.FiscalYear > 9999:
		return fieldErr(ErrInvalid, "fiscal_year", "", "want 1900–9999")
	case b.Code == "" || len(b.Code) > 64:
		return fieldErr(ErrInvalid, "code", b.Code, "want 1–64 bytes")
	case b.Amount < 0:
		return fieldErr(ErrNegative, "amount", "", "must be ≥ 0")
	}
	return nil
}
