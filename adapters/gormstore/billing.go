package gormstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"

	"github.com/opengovcloud/govcloud/billing"
)

// BillingStore is a billing.Store on the database. Update runs one database
// transaction; statements and settlements are written compare-and-set on
// their version (ErrConflict when stale), usage keys are unique.
type BillingStore struct {
	db *DB
	tx *gorm.DB
}

// Billing returns the billing store of db.
func (db *DB) Billing() *BillingStore { return &BillingStore{db: db} }

// WithTx returns the store bound to tx, a transaction opened on the same DB:
// Update then runs inside it under a savepoint.
func (s *BillingStore) WithTx(tx *gorm.DB) *BillingStore { return &BillingStore{db: s.db, tx: tx} }

var _ billing.Store = (*BillingStore)(nil)

var errBillingReadOnly = errors.New("gormstore: billing write in a read-only transaction")

// Update implements billing.Store.
func (s *BillingStore) Update(ctx context.Context, fn func(context.Context, billing.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g := s.db.w
	if s.tx != nil {
		g = s.tx
	}
	return g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(ctx, &billingTx{g: tx, write: true, pg: s.db.driver == Postgres})
	})
}

// View implements billing.Store.
func (s *BillingStore) View(ctx context.Context, fn func(context.Context, billing.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.tx != nil {
		return fn(ctx, &billingTx{g: s.tx.WithContext(ctx), pg: s.db.driver == Postgres})
	}
	var opts []*sql.TxOptions
	if s.db.driver == Postgres {
		opts = append(opts, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	return s.db.reader(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(ctx, &billingTx{g: tx, pg: s.db.driver == Postgres})
	}, opts...)
}

type billingTx struct {
	g     *gorm.DB
	write bool
	pg    bool // PostgreSQL: byte-wise ordering needs COLLATE "C"
}

func billDocs[T any](ctx context.Context, g *gorm.DB, what, q string, args ...any) ([]T, error) {
	out := []T{}
	if err := readDocs(ctx, g, what, "read "+what, q, args, func(_ int64, v T) { out = append(out, v) }); err != nil {
		return nil, err
	}
	return out, nil
}

func billOne[T any](ctx context.Context, g *gorm.DB, what, q string, args ...any) (T, error) {
	vs, err := billDocs[T](ctx, g, what, q, args...)
	if err != nil {
		var z T
		return z, err
	}
	if len(vs) == 0 {
		var z T
		return z, fmt.Errorf("gormstore: %s: %w", what, billing.ErrNotFound)
	}
	return vs[0], nil
}

func encode(what string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("gormstore: encode %s: %w", what, err)
	}
	return string(b), nil
}

// insert runs an INSERT … ON CONFLICT DO NOTHING and reports ErrExists when
// no row was written.
func (t *billingTx) insert(ctx context.Context, what, q string, args ...any) error {
	if !t.write {
		return errBillingReadOnly
	}
	res := execContext(ctx, t.g, q, args...)
	if isUniqueViolation(res.Error) {
		return fmt.Errorf("gormstore: insert %s: %v: %w", what, res.Error, billing.ErrConflict)
	}
	if res.Error != nil {
		return fmt.Errorf("gormstore: insert %s: %w", what, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("gormstore: %s: %w", what, billing.ErrExists)
	}
	return nil
}

// isUniqueViolation reports a unique-constraint violation on either engine.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}

func (t *billingTx) Items(ctx context.Context) ([]billing.Item, error) {
	out, err := billDocs[billing.Item](ctx, t.g, "items", `SELECT doc FROM bill_items`)
	slices.SortFunc(out, func(a, b billing.Item) int { return strings.Compare(a.Code, b.Code) })
	return out, err
}

func (t *billingTx) Prices(ctx context.Context) ([]billing.Price, error) {
	return billDocs[billing.Price](ctx, t.g, "prices", `SELECT doc FROM bill_prices ORDER BY seq`)
}

func (t *billingTx) Usage(ctx context.Context, key string) (billing.UsageRecord, error) {
	return billOne[billing.UsageRecord](ctx, t.g, "usage "+key, `SELECT doc FROM bill_usage WHERE ukey = ?`, key)
}

func (t *billingTx) UsageIn(ctx context.Context, f billing.UsageFilter) ([]billing.UsageRecord, error) {
	q := `SELECT doc FROM bill_usage WHERE 1 = 1`
	var args []any
	for _, c := range []struct{ col, v string }{{"department", f.Department}, {"vendor", f.Vendor}, {"item", f.Item}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	// Coarse bounds in SQL, the exact rule (f.Match) in Go.
	if !f.To.IsZero() {
		q += ` AND start_us <= ?`
		args = append(args, f.To.UnixMicro())
	}
	if !f.From.IsZero() {
		q += ` AND end_us >= ?`
		args = append(args, f.From.UnixMicro()-1)
	}
	rs, err := billDocs[billing.UsageRecord](ctx, t.g, "usage", q, args...)
	if err != nil {
		return nil, err
	}
	rs = slices.DeleteFunc(rs, func(r billing.UsageRecord) bool { return !f.Match(r) })
	slices.SortFunc(rs, func(a, b billing.UsageRecord) int { return strings.Compare(a.Key, b.Key) })
	return rs, nil
}

func (t *billingTx) Parked(ctx context.Context) ([]billing.ParkedUsage, error) {
	out, err := billDocs[billing.ParkedUsage](ctx, t.g, "parked usage", `SELECT doc FROM bill_parked`)
	slices.SortFunc(out, func(a, b billing.ParkedUsage) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Month.String(), b.Month.String()))
	})
	return out, err
}

func (t *billingTx) Statement(ctx context.Context, id string) (billing.Statement, error) {
	return billOne[billing.Statement](ctx, t.g, "statement "+id, `SELECT doc FROM bill_statements WHERE id = ?`, id)
}

func (t *billingTx) Statements(ctx context.Context, f billing.StatementFilter) ([]billing.Statement, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q := `SELECT doc FROM bill_statements WHERE 1 = 1`
	var args []any
	for _, c := range []struct{ col, v string }{{"department", f.Department}, {"vendor", f.Vendor}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if !f.Month.IsZero() {
		q += ` AND month = ?`
		args = append(args, f.Month.String())
	}
	if f.FiscalYear != 0 {
		q += ` AND fiscal_year = ?`
		args = append(args, f.FiscalYear)
	}
	if len(f.States) > 0 {
		q += ` AND state IN (?` + strings.Repeat(`, ?`, len(f.States)-1) + `)`
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	// A page is cut in SQL, in the listing order (byte-wise: the "C"
	// collation on PostgreSQL, as in the index bill_statements_order).
	c := ""
	if t.pg {
		c = ` COLLATE "C"`
	}
	// A column the filter fixes is left out of the order and the cursor
	// (the order is the same), so that the department's or vendor's index
	// in listing order (bill_statements_dept_order, _vendor_order) can seek
	// to the cursor.
	var after billing.StatementKey
	if f.After != nil {
		after = *f.After
	}
	cols, vals := []string{`month` + c}, []any{after.Month.String()}
	for _, k := range []struct{ col, fixed, after string }{
		{"department", f.Department, after.Department},
		{"vendor", f.Vendor, after.Vendor},
		{"id", "", after.ID},
	} {
		if k.fixed != "" && (f.After == nil || k.after == k.fixed) {
			continue // constant in the listing (and the cursor agrees)
		}
		cols = append(cols, k.col+c)
		vals = append(vals, k.after)
	}
	if f.After != nil {
		q += ` AND (` + strings.Join(cols, `, `) + `) > (?` + strings.Repeat(`, ?`, len(cols)-1) + `)`
		args = append(args, vals...)
	}
	if f.Limit > 0 {
		q += ` ORDER BY ` + strings.Join(cols, `, `) + ` LIMIT ?`
		args = append(args, f.Limit)
	}
	sts, err := billDocs[billing.Statement](ctx, t.g, "statements", q, args...)
	if err != nil {
		return nil, err
	}
	sts = slices.DeleteFunc(sts, func(s billing.Statement) bool { return !f.Match(s) })
	slices.SortFunc(sts, func(a, b billing.Statement) int { return a.Key().Compare(b.Key()) })
	return sts, nil
}

func (t *billingTx) Settlement(ctx context.Context, id string) (billing.Settlement, error) {
	return billOne[billing.Settlement](ctx, t.g, "settlement "+id, `SELECT doc FROM bill_settlements WHERE id = ?`, id)
}

func (t *billingTx) Settlements(ctx context.Context, fy int) ([]billing.Settlement, error) {
	q, args := `SELECT doc FROM bill_settlements`, []any{}
	if fy != 0 {
		q += ` WHERE fiscal_year = ?`
		args = append(args, fy)
	}
	out, err := billDocs[billing.Settlement](ctx, t.g, "settlements", q, args...)
	slices.SortFunc(out, func(a, b billing.Settlement) int {
		return cmp.Or(cmp.Compare(a.FiscalYear, b.FiscalYear), strings.Compare(a.ID, b.ID))
	})
	return out, err
}

func (t *billingTx) Budget(ctx context.Context, dept string, fy int) (billing.Budget, error) {
	return billOne[billing.Budget](ctx, t.g, fmt.Sprintf("budget of %s for %d", dept, fy),
		`SELECT doc FROM bill_budgets WHERE department = ? AND fiscal_year = ?`, dept, fy)
}

func (t *billingTx) InsertItem(ctx context.Context, it billing.Item) error {
	doc, err := encode("item", it)
	if err != nil {
		return err
	}
	return t.insert(ctx, "item "+it.Code, `INSERT INTO bill_items (code, doc) VALUES (?, ?) ON CONFLICT (code) DO NOTHING`, it.Code, doc)
}

func (t *billingTx) AppendPrice(ctx context.Context, p billing.Price) error {
	doc, err := encode("price", p)
	if err != nil {
		return err
	}
	return t.insert(ctx, "price", `INSERT INTO bill_prices (doc) VALUES (?)`, doc)
}

func (t *billingTx) InsertUsage(ctx context.Context, r billing.UsageRecord) error {
	doc, err := encode("usage", r)
	if err != nil {
		return err
	}
	return t.insert(ctx, "usage "+r.Key, `INSERT INTO bill_usage (ukey, department, vendor, item, start_us, end_us, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ukey) DO NOTHING`,
		r.Key, r.Department, r.Vendor, r.Item, r.Start.UnixMicro(), r.End.UnixMicro(), doc)
}

func (t *billingTx) PutParked(ctx context.Context, p billing.ParkedUsage) error {
	if !t.write {
		return errBillingReadOnly
	}
	doc, err := encode("parked usage", p)
	if err != nil {
		return err
	}
	if err := execContext(ctx, t.g, `INSERT INTO bill_parked (ukey, month, doc) VALUES (?, ?, ?)
		ON CONFLICT (ukey, month) DO UPDATE SET doc = excluded.doc`, p.Key, p.Month.String(), doc).Error; err != nil {
		return fmt.Errorf("gormstore: park usage %s: %w", p.Key, err)
	}
	return nil
}

func (t *billingTx) DeleteParked(ctx context.Context, key string, m billing.Month) error {
	if !t.write {
		return errBillingReadOnly
	}
	if err := execContext(ctx, t.g, `DELETE FROM bill_parked WHERE ukey = ? AND month = ?`, key, m.String()).Error; err != nil {
		return fmt.Errorf("gormstore: unpark usage %s: %w", key, err)
	}
	return nil
}

func (t *billingTx) InsertStatement(ctx context.Context, s billing.Statement) error {
	doc, err := encode("statement", s)
	if err != nil {
		return err
	}
	return t.insert(ctx, "statement "+s.ID, `INSERT INTO bill_statements (id, department, vendor, month, fiscal_year, state, version, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		s.ID, s.Department, s.Vendor, s.Month.String(), s.FiscalYear, string(s.State), s.Version, doc)
}

// cas runs a compare-and-set UPDATE; no row means a missing row
// (ErrNotFound) or a stale version (ErrConflict).
func (t *billingTx) cas(ctx context.Context, what, table, id string, version int64, q string, args ...any) error {
	if !t.write {
		return errBillingReadOnly
	}
	res := execContext(ctx, t.g, q, args...)
	if res.Error != nil {
		return fmt.Errorf("gormstore: update %s: %w", what, res.Error)
	}
	if res.RowsAffected > 0 {
		return nil
	}
	var n int64
	if err := t.g.WithContext(ctx).Raw(`SELECT COUNT(*) FROM `+table+` WHERE id = ?`, id).Scan(&n).Error; err != nil {
		return fmt.Errorf("gormstore: update %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("gormstore: %s: %w", what, billing.ErrNotFound)
	}
	return fmt.Errorf("gormstore: %s is not at version %d: %w", what, version-1, billing.ErrConflict)
}

func (t *billingTx) UpdateStatement(ctx context.Context, s billing.Statement) error {
	doc, err := encode("statement", s)
	if err != nil {
		return err
	}
	return t.cas(ctx, "statement "+s.ID, "bill_statements", s.ID, s.Version,
		`UPDATE bill_statements SET state = ?, version = ?, doc = ? WHERE id = ? AND version = ?`,
		string(s.State), s.Version, doc, s.ID, s.Version-1)
}

func (t *billingTx) InsertSettlement(ctx context.Context, s billing.Settlement) error {
	doc, err := encode("settlement", s)
	if err != nil {
		return err
	}
	return t.insert(ctx, "settlement "+s.ID, `INSERT INTO bill_settlements (id, fiscal_year, version, doc)
		VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, s.ID, s.FiscalYear, s.Version, doc)
}

func (t *billingTx) UpdateSettlement(ctx context.Context, s billing.Settlement) error {
	doc, err := encode("settlement", s)
	if err != nil {
		return err
	}
	return t.cas(ctx, "settlement "+s.ID, "bill_settlements", s.ID, s.Version,
		`UPDATE bill_settlements SET version = ?, doc = ? WHERE id = ? AND version = ?`, s.Version, doc, s.ID, s.Version-1)
}

func (t *billingTx) PutBudget(ctx context.Context, b billing.Budget) error {
	if !t.write {
		return errBillingReadOnly
	}
	doc, err := encode("budget", b)
	if err != nil {
		return err
	}
	if err := execContext(ctx, t.g, `INSERT INTO bill_budgets (department, fiscal_year, doc) VALUES (?, ?, ?)
		ON CONFLICT (department, fiscal_year) DO UPDATE SET doc = excluded.doc`, b.Department, b.FiscalYear, doc).Error; err != nil {
		return fmt.Errorf("gormstore: put budget %s/%d: %w", b.Department, b.FiscalYear, err)
	}
	return nil
}
