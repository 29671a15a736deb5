package billing

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
)

// VendorBillLine is one line of a vendor's own bill for a month: billed
// units (e.g. 12.903 核·月 for 4 cores over 100 hours…), unit price and
// amount.
type VendorBillLine struct {
	Department string
	Item       string
	Month      Month
	Quantity   Quantity // billed units of the item's unit
	UnitPrice  int64    // 分 per unit
	Amount     int64    // 分
}

// Tolerance bounds the differences reconciliation accepts.
type Tolerance struct {
	Amount   int64    // 分
	Quantity Quantity // billed units
}

// DiscrepancyKind names a reconciliation finding.
type DiscrepancyKind string

// The discrepancy kinds.
const (
	MissingInBill    DiscrepancyKind = "missing_in_bill"     // metered, not billed
	MissingInUsage   DiscrepancyKind = "missing_in_usage"    // billed, not metered
	QuantityMismatch DiscrepancyKind = "quantity_mismatch"   // billed units ≠ metered units
	PriceMismatch    DiscrepancyKind = "price_mismatch"      // bill price ≠ catalog price
	AmountMismatch   DiscrepancyKind = "amount_mismatch"     // bill amount ≠ rated amount
	Unpriced         DiscrepancyKind = "unpriced"            // metered, no catalog price
	DuplicateBill    DiscrepancyKind = "duplicate_bill_line" // two bill lines for one key
)

var discrepancyLabels = map[DiscrepancyKind][2]string{
	MissingInBill: {"账单缺项", "missing in bill"}, MissingInUsage: {"无计量用量", "missing in usage"},
	QuantityMismatch: {"数量不符", "quantity mismatch"}, PriceMismatch: {"单价不符", "price mismatch"},
	AmountMismatch: {"金额不符", "amount mismatch"}, Unpriced: {"目录无价", "no catalog price"},
	DuplicateBill: {"账单重复", "duplicate bill line"},
}

// Label returns the label of k in lang.
func (k DiscrepancyKind) Label(lang Lang) string { return label(discrepancyLabels, k, string(k), lang) }

// String returns the Chinese label.
func (k DiscrepancyKind) String() string { return k.Label(Chinese) }

// ReconRow compares one department × item of a month three ways.
type ReconRow struct {
	Department string
	Item       string
	// The vendor's bill.
	BillQuantity  Quantity
	BillUnitPrice int64
	BillAmount    int64
	Billed        bool
	// Metered usage: billable units Σ quantity × proration, rounded half up
	// to 0.001.
	MeteredQuantity Quantity
	Metered         bool
	// The catalog: prices in force in the month and the rated amount.
	CatalogPrices []int64
	RatedAmount   int64
}

// Discrepancy is one finding.
type Discrepancy struct {
	Kind       DiscrepancyKind
	Department string
	Item       string
	Bill       int64 // the bill's value (units ×1000 for quantities, 分 otherwise)
	Expected   int64 // the metered or catalog value
	Detail     string
}

// ReconReport is the result of a three-way reconciliation.
type ReconReport struct {
	Vendor        string
	Month         Month
	Rows          []ReconRow
	Discrepancies []Discrepancy
}

// Reconcile compares a vendor's bill for month m against metered usage and
// the catalog price, three ways, and lists every discrepancy beyond tol:
// lines billed but not metered, metered but not billed, billed units against
// metered units, the bill's unit price against the catalog price in force,
// and the bill's amount against the amount rated from metered usage. Usage
// of other vendors or months is ignored. It is a pure function.
func Reconcile(r *Rater, vendor string, m Month, usage []UsageRecord, bill []VendorBillLine, tol Tolerance) ReconReport {
	type key struct{ d, i string }
	rows := map[key]*ReconRow{}
	get := func(k key) *ReconRow {
		if rows[k] == nil {
			rows[k] = &ReconRow{Department: k.d, Item: k.i}
		}
		return rows[k]
	}
	rep := ReconReport{Vendor: vendor, Month: m}
	from, to := m.Start(r.loc), m.End(r.loc)
	// Metered units as an exact sum Σ q·num/den per row, rounded once.
	units := map[key]*big.Rat{}
	unpriced := map[key]bool{}
	for _, u := range usage {
		if u.Vendor != vendor || !(UsageFilter{From: from, To: to}).Match(u) {
			continue
		}
		k := key{u.Department, u.Item}
		row := get(k)
		row.Metered = true
		_, err := r.Rate(u, from, to, func(p Piece) {
			row.RatedAmount += p.Amount
			if !slices.Contains(row.CatalogPrices, p.UnitPrice) {
				row.CatalogPrices = append(row.CatalogPrices, p.UnitPrice)
			}
			a := units[k]
			if a == nil {
				a = new(big.Rat)
				units[k] = a
			}
			term := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(int64(p.Quantity)), big.NewInt(p.Num)), big.NewInt(p.Den))
			a.Add(a, term)
		})
		if err != nil {
			unpriced[k] = true
		}
	}
	for k, a := range units {
		q, ok := roundRat(a)
		if !ok {
			q = math.MaxInt64
		}
		rows[k].MeteredQuantity = Quantity(q)
	}
	seen := map[key]bool{}
	for _, b := range bill {
		if b.Month != m {
			continue
		}
		k := key{b.Department, b.Item}
		if seen[k] {
			rep.Discrepancies = append(rep.Discrepancies, Discrepancy{Kind: DuplicateBill, Department: k.d, Item: k.i,
				Bill: b.Amount, Detail: "second bill line for the same department and item"})
			continue
		}
		seen[k] = true
		row := get(k)
		row.Billed, row.BillQuantity, row.BillUnitPrice, row.BillAmount = true, b.Quantity, b.UnitPrice, b.Amount
	}
	for _, row := range rows {
		slices.Sort(row.CatalogPrices)
		rep.Rows = append(rep.Rows, *row)
	}
	slices.SortFunc(rep.Rows, func(a, b ReconRow) int {
		return cmp.Or(strings.Compare(a.Department, b.Department), strings.Compare(a.Item, b.Item))
	})
	abs := func(v int64) int64 {
		if v < 0 {
			return -v
		}
		return v
	}
	for _, row := range rep.Rows {
		k := key{row.Department, row.Item}
		d := func(kind DiscrepancyKind, bill, exp int64, detail string) {
			rep.Discrepancies = append(rep.Discrepancies, Discrepancy{Kind: kind, Department: row.Department,
				Item: row.Item, Bill: bill, Expected: exp, Detail: detail})
		}
		switch {
		case unpriced[k]:
			d(Unpriced, row.BillAmount, 0, "metered usage has no catalog price for the vendor")
			continue
		case !row.Billed:
			d(MissingInBill, 0, row.RatedAmount, "metered usage not on the vendor's bill")
			continue
		case !row.Metered:
			d(MissingInUsage, row.BillAmount, 0, "billed without metered usage")
			continue
		}
		if abs(int64(row.BillQuantity-row.MeteredQuantity)) > int64(tol.Quantity) {
			d(QuantityMismatch, int64(row.BillQuantity), int64(row.MeteredQuantity),
				fmt.Sprintf("billed %s units, metered %s", row.BillQuantity, row.MeteredQuantity))
		}
		if !slices.Contains(row.CatalogPrices, row.BillUnitPrice) {
			exp := int64(0)
			if len(row.CatalogPrices) > 0 {
				exp = row.CatalogPrices[0]
			}
			d(PriceMismatch, row.BillUnitPrice, exp, fmt.Sprintf("bill price %d 分, catalog %v", row.BillUnitPrice, row.CatalogPrices))
		}
		if abs(row.BillAmount-row.RatedAmount) > tol.Amount {
			d(AmountMismatch, row.BillAmount, row.RatedAmount,
				fmt.Sprintf("billed %s 元, rated %s 元", FormatFen(row.BillAmount), FormatFen(row.RatedAmount)))
		}
	}
	return rep
}

// Reconcile runs the three-way reconciliation of vendor's bill for month m
// against the stored usage and catalog (the authority, or that vendor).
func (s *Service) Reconcile(ctx context.Context, a Actor, vendor string, m Month, bill []VendorBillLine, tol Tolerance) (ReconReport, error) {
	if err := a.require("reconcile", RoleAuthority, RoleVendor); err != nil {
		return ReconReport{}, err
	}
	if a.Role == RoleVendor && a.Vendor != vendor {
		return ReconReport{}, &ForbiddenError{Actor: a, Action: "reconcile vendor " + vendor}
	}
	if !m.Valid() || vendor == "" {
		return ReconReport{}, fieldErr(ErrInvalid, "month", m.String(), "want a valid month and a vendor")
	}
	if tol.Amount < 0 || tol.Quantity < 0 {
		return ReconReport{}, fieldErr(ErrNegative, "tolerance", "", "must be ≥ 0")
	}
	var rep ReconReport
	err := s.store.View(ctx, func(ctx context.Context, tx ReadTx) error {
		cat, err := loadCatalog(ctx, tx)
		if err != nil {
			return err
		}
		usage, err := tx.UsageIn(ctx, UsageFilter{Vendor: vendor, From: m.Start(s.loc), To: m.End(s.loc)})
		if err != nil {
			return err
		}
		rep = Reconcile(NewRater(cat, s.loc), vendor, m, usage, bill, tol)
		return nil
	})
	if err != nil {
		return ReconReport{}, err
	}
	return rep, nil
}
