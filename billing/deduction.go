package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// DeductionTier maps a service-level shortfall to a credit: a shortfall of
// at least MinShortfall basis points (1 bp = 0.01 percentage point) credits
// CreditBP basis points (of 10000) of the statement's usage amount. The
// highest tier reached applies.
type DeductionTier struct {
	MinShortfall int64 `json:"min_shortfall"`
	CreditBP     int64 `json:"credit_bp"`
}

// DefaultDeductionTiers: any shortfall credits 5 %, 0.5 point or more 10 %,
// 1 point or more 25 %.
var DefaultDeductionTiers = []DeductionTier{{1, 500}, {50, 1000}, {100, 2500}}

func validateTiers(ts []DeductionTier) error {
	for i, t := range ts {
		if t.MinShortfall <= 0 || t.CreditBP <= 0 || t.CreditBP > 10000 {
			return fieldErr(ErrInvalid, fmt.Sprintf("policy.deduction_tiers[%d]", i), "", "want min_shortfall > 0 and credit_bp in 1–10000")
		}
		if i > 0 && (t.MinShortfall <= ts[i-1].MinShortfall || t.CreditBP < ts[i-1].CreditBP) {
			return fieldErr(ErrInvalid, fmt.Sprintf("policy.deduction_tiers[%d]", i), "", "tiers must ascend")
		}
	}
	return nil
}

// creditBP returns the credit for a shortfall (0 if none).
func creditBP(ts []DeductionTier, shortfall int64) int64 {
	var c int64
	for _, t := range ts {
		if shortfall >= t.MinShortfall {
			c = t.CreditBP
		}
	}
	return c
}

// DeductionInput is one service-level shortfall handed in from assessment
// for a department × vendor × month. Target and Achieved are in basis points
// of a percentage (9995 = 99.95 %).
type DeductionInput struct {
	Key        string // idempotency key, e.g. "sla:availability:dept:vendor:2026-03"
	Department string
	Vendor     string
	Month      Month
	Indicator  string // e.g. "availability"
	Target     int64
	Achieved   int64
	Reason     string
}

func (d DeductionInput) validate() error {
	switch {
	case d.Key == "" || len(d.Key) > 200:
		return fieldErr(ErrInvalid, "key", d.Key, "want 1–200 bytes")
	case d.Department == "":
		return fieldErr(ErrInvalid, "department", "", "required")
	case d.Vendor == "":
		return fieldErr(ErrInvalid, "vendor", "", "required")
	case !d.Month.Valid():
		return fieldErr(ErrInvalid, "month", d.Month.String(), "not a valid month")
	case d.Indicator == "":
		return fieldErr(ErrInvalid, "indicator", "", "required")
	case d.Target < 0 || d.Target > 10000 || d.Achieved < 0 || d.Achieved > 10000:
		return fieldErr(ErrInvalid, "target", fmt.Sprint(d.Target), "target and achieved in 0–10000 bp")
	case strings.TrimSpace(d.Reason) == "":
		return fieldErr(ErrReasonRequired, "reason", "", "a deduction needs a reason")
	}
	return nil
}

// DeductionReport lists the deduction lines written and the inputs without
// a shortfall.
type DeductionReport struct {
	Lines     []Line
	NoCredit  []string // keys whose shortfall reached no tier
	Unchanged []string // keys already applied
}

// ApplyDeductions credits service-level shortfalls (authority), in one
// transaction. The credit is −round(usage × tier credit) of the statement of
// the department × vendor × month; it is written to that statement if not
// yet approved, else to the next open statement linked to it. A missing
// statement is ErrNotFound; a key reused with other content ErrConflict;
// any error writes nothing.
func (s *Service) ApplyDeductions(ctx context.Context, a Actor, ins []DeductionInput) (DeductionReport, error) {
	if err := a.require("apply deductions", RoleAuthority); err != nil {
		return DeductionReport{}, err
	}
	for i, d := range ins {
		if err := d.validate(); err != nil {
			return DeductionReport{}, rowErr(i+1, err)
		}
	}
	var rep DeductionReport
	err := s.store.Update(ctx, func(ctx context.Context, tx Tx) error {
		rep = DeductionReport{}
		for i, d := range ins {
			st, ok, err := liveStatement(ctx, tx, d.Department, d.Vendor, d.Month)
			if err != nil {
				return err
			}
			if !ok {
				return rowErr(i+1, fieldErr(ErrNotFound, "month", d.Month.String(), "no statement for "+d.Department+" × "+d.Vendor))
			}
			c := creditBP(s.policy.DeductionTiers, d.Target-d.Achieved)
			if c == 0 {
				rep.NoCredit = append(rep.NoCredit, d.Key)
				continue
			}
			amt, ok := mulDivRound(st.Totals().Usage, c, 1, 10000)
			if !ok {
				return rowErr(i+1, fieldErr(ErrOverflow, "amount", "", "credit leaves int64"))
			}
			target := st
			if st.State == StatementApproved {
				if target, err = s.nextOpen(ctx, tx, d.Department, d.Vendor, d.Month); err != nil {
					return err
				}
			}
			l := Line{ID: "ded:" + d.Key, Kind: LineDeduction, Amount: -amt, BudgetCode: target.BudgetCode,
				FiscalYear: target.FiscalYear, Key: d.Key, Actor: a.ID,
				Reason: fmt.Sprintf("%s: %s 目标 %s%% 实际 %s%% 扣减 %s%%", d.Reason, d.Indicator, bp(d.Target), bp(d.Achieved), bp(c))}
			if target.ID != st.ID {
				l.RefStatement = st.ID
			}
			if old, ok := findKeyed(target, d.Key); ok {
				if old.Amount == l.Amount && old.Reason == l.Reason {
					rep.Unchanged = append(rep.Unchanged, d.Key)
					continue
				}
				return rowErr(i+1, fieldErr(ErrConflict, "key", d.Key, "deduction key reused with other content"))
			}
			target.Lines = append(target.Lines, l)
			if err := s.saveStatement(ctx, tx, &target); err != nil {
				return err
			}
			rep.Lines = append(rep.Lines, l)
		}
		return nil
	})
	if err != nil {
		return DeductionReport{}, err
	}
	slices.Sort(rep.NoCredit)
	return rep, nil
}

// bp formats basis points as a percentage ("99.95").
func bp(v int64) string { return FormatFen(v) }
