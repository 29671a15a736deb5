package assessment

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PPM is a percentage held exactly as an integer number of millionths of the
// whole: 100 % = 1,000,000, 99.95 % = 999,500, 5 % = 50,000. Thresholds and
// deduction rates use it so that comparisons and money never touch floats.
type PPM int64

// Hundred is 100 %.
const Hundred PPM = 1_000_000

// ParsePPM reads a percentage such as "99.95", "99.95%" or "5" with at most four
// decimals, exactly.
func ParsePPM(s string) (PPM, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "%")
	bad := fmt.Errorf("assessment: percentage %q: want digits with at most 4 decimals, e.g. 99.95", s)
	if t == "" || strings.HasPrefix(t, "+") || strings.HasPrefix(t, "-") {
		return 0, bad
	}
	ip, fp, _ := strings.Cut(t, ".")
	if ip == "" || len(fp) > 4 || len(ip) > 6 {
		return 0, bad
	}
	i, err := strconv.ParseInt(ip, 10, 64)
	if err != nil {
		return 0, bad
	}
	var f int64
	if fp != "" {
		if f, err = strconv.ParseInt(fp+strings.Repeat("0", 4-len(fp)), 10, 64); err != nil || strings.ContainsAny(fp, "+-") {
			return 0, bad
		}
	}
	return PPM(i*10_000 + f), nil
}

// String formats as a percentage with up to four decimals: "99.95%".
func (p PPM) String() string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	s := sign + strconv.FormatInt(int64(p/10_000), 10)
	if f := int64(p % 10_000); f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%04d", f), "0")
	}
	return s + "%"
}

// MarshalText writes the String form.
func (p PPM) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads the ParsePPM form.
func (p *PPM) UnmarshalText(b []byte) error {
	v, err := ParsePPM(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Interval is the half-open time span [From, To).
type Interval struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Outage is a period the service was down.
type Outage struct {
	ID string `json:"id"`
	Interval
}

// ExclusionReason says why a period does not count against availability.
type ExclusionReason string

// Exclusion reasons.
const (
	Maintenance     ExclusionReason = "maintenance"   // 已公告的计划维护
	ForceMajeure    ExclusionReason = "force_majeure" // 不可抗力
	DepartmentFault ExclusionReason = "department"    // 使用单位原因
)

// Label returns the Chinese label.
func (r ExclusionReason) Label() string {
	switch r {
	case Maintenance:
		return "已公告的计划维护"
	case ForceMajeure:
		return "不可抗力"
	case DepartmentFault:
		return "使用单位原因"
	}
	return string(r)
}

// English returns the English label.
func (r ExclusionReason) English() string {
	switch r {
	case Maintenance:
		return "announced maintenance"
	case ForceMajeure:
		return "force majeure"
	case DepartmentFault:
		return "caused by the department"
	}
	return string(r)
}

// Exclusion is an approved period excluded from availability: T_excluded.
// Evidence (announcement, report reference) and ApprovedBy are mandatory.
type Exclusion struct {
	ID         string          `json:"id"`
	Interval                   // excluded span
	Reason     ExclusionReason `json:"reason"`
	Evidence   string          `json:"evidence"`
	ApprovedBy string          `json:"approved_by"`
}

// Validate returns an *ExclusionError naming the missing or bad field.
func (e *Exclusion) Validate() error {
	id := e.ID
	switch {
	case strings.TrimSpace(e.ID) == "":
		return &ExclusionError{ID: id, Field: "id", Msg: "empty"}
	case e.Reason != Maintenance && e.Reason != ForceMajeure && e.Reason != DepartmentFault:
		return &ExclusionError{ID: id, Field: "reason", Msg: fmt.Sprintf("%q: want maintenance, force_majeure or department", e.Reason)}
	case strings.TrimSpace(e.Evidence) == "":
		return &ExclusionError{ID: id, Field: "evidence", Msg: "no evidence (announcement, report) attached"}
	case strings.TrimSpace(e.ApprovedBy) == "":
		return &ExclusionError{ID: id, Field: "approver", Msg: "not approved"}
	case !e.To.After(e.From):
		return &ExclusionError{ID: id, Field: "interval", Msg: "ends before it starts"}
	}
	return nil
}

// Availability of one month in whole minutes:
// A = (T − T_excluded − T_down) / (T − T_excluded), kept as integers.
// A minute counts as down if any part of it was down (outages rounded outward to
// whole minutes) and as excluded only if all of it was excluded (exclusions
// rounded inward); downtime inside an excluded period is not counted twice.
type Availability struct {
	Month    Month `json:"month"`
	Total    int64 `json:"total_minutes"`    // T
	Excluded int64 `json:"excluded_minutes"` // T_excluded
	Down     int64 `json:"down_minutes"`     // T_down (outside exclusions)
}

// Num returns T − T_excluded − T_down.
func (a Availability) Num() int64 { return a.Total - a.Excluded - a.Down }

// Den returns T − T_excluded.
func (a Availability) Den() int64 { return a.Total - a.Excluded }

// Measured is false when the whole month was excluded.
func (a Availability) Measured() bool { return a.Den() > 0 }

// Percent returns A × 100 as a float for display and scoring (100 when unmeasured).
func (a Availability) Percent() float64 {
	if !a.Measured() {
		return 100
	}
	return 100 * float64(a.Num()) / float64(a.Den())
}

// Below reports, exactly, whether A < p.
func (a Availability) Below(p PPM) bool {
	if !a.Measured() {
		return false
	}
	return a.Num()*int64(Hundred) < int64(p)*a.Den()
}

// String formats A with 4 decimals, e.g. "99.9520%".
func (a Availability) String() string {
	if !a.Measured() {
		return "—"
	}
	return strconv.FormatFloat(a.Percent(), 'f', 4, 64) + "%"
}

type span struct{ a, b int64 } // minutes [a, b)

// MonthlyAvailability computes the month's availability in loc. Outages and
// exclusions may extend beyond the month (they are clipped) and may overlap
// (they are merged). Every exclusion is validated first; an outage that ends
// before it starts is a *RecordError.
func MonthlyAvailability(m Month, loc *time.Location, outages []Outage, exclusions []Exclusion) (Availability, error) {
	start, end := m.Start(loc), m.End(loc)
	total := int64(end.Sub(start) / time.Minute)
	a := Availability{Month: m, Total: total}
	downs := make([]span, 0, len(outages))
	for _, o := range outages {
		if !o.To.After(o.From) {
			return Availability{}, &RecordError{Kind: "outage", ID: o.ID, Field: "to", Msg: "ends before it starts", Err: ErrInvalidRecord}
		}
		s := clipMinutes(start, total, o.From, o.To, false)
		if s.b > s.a {
			downs = append(downs, s)
		}
	}
	excl := make([]span, 0, len(exclusions))
	for i := range exclusions {
		if err := exclusions[i].Validate(); err != nil {
			return Availability{}, err
		}
		s := clipMinutes(start, total, exclusions[i].From, exclusions[i].To, true)
		if s.b > s.a {
			excl = append(excl, s)
		}
	}
	downs, excl = merge(downs), merge(excl)
	a.Excluded = length(excl)
	a.Down = length(downs) - overlap(downs, excl)
	return a, nil
}

// clipMinutes converts [from, to) to minutes since start, clipped to [0, total);
// inward rounds to whole minutes inside the span, otherwise outward.
func clipMinutes(start time.Time, total int64, from, to time.Time, inward bool) span {
	a, b := from.Sub(start), to.Sub(start)
	var s span
	if inward {
		s = span{ceilDiv(a, time.Minute), floorDiv(b, time.Minute)}
	} else {
		s = span{floorDiv(a, time.Minute), ceilDiv(b, time.Minute)}
	}
	s.a = max(s.a, 0)
	s.b = min(s.b, total)
	return s
}

func floorDiv(d, unit time.Duration) int64 {
	q := int64(d / unit)
	if d%unit < 0 {
		q--
	}
	return q
}

func ceilDiv(d, unit time.Duration) int64 {
	q := int64(d / unit)
	if d%unit > 0 {
		q++
	}
	return q
}

func merge(s []span) []span {
	if len(s) < 2 {
		return s
	}
	sort.Slice(s, func(i, j int) bool { return s[i].a < s[j].a })
	out := s[:1]
	for _, x := range s[1:] {
		last := &out[len(out)-1]
		if x.a <= last.b {
			last.b = max(last.b, x.b)
		} else {
			out = append(out, x)
		}
	}
	return out
}

func length(s []span) int64 {
	var n int64
	for _, x := range s {
		n += x.b - x.a
	}
	return n
}

// overlap returns the length of the intersection of two merged span lists.
func overlap(x, y []span) int64 {
	var n int64
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		lo, hi := max(x[i].a, y[j].a), min(x[i].b, y[j].b)
		if hi > lo {
			n += hi - lo
		}
		if x[i].b < y[j].b {
			i++
		} else {
			j++
		}
	}
	return n
}

// ---- service-level credits ----

// CreditTier: a month whose availability is below Below loses Deduct of its fee.
type CreditTier struct {
	Below  PPM `json:"below"`
	Deduct PPM `json:"deduct"`
}

// CreditOptions lists the tiers from the mildest (highest Below) to the most
// severe; the most severe tier the month falls under applies (tiers do not add up).
type CreditOptions struct {
	Tiers []CreditTier `json:"tiers"`
}

// DefaultCreditOptions is a proposal (the regulation sets no credits):
// below 99.95 % → 5 %, below 99.9 % → 10 %, below 99.5 % → 25 %, below 99 % → 50 %.
func DefaultCreditOptions() CreditOptions {
	return CreditOptions{Tiers: []CreditTier{
		{Below: 999_500, Deduct: 50_000},
		{Below: 999_000, Deduct: 100_000},
		{Below: 995_000, Deduct: 250_000},
		{Below: 990_000, Deduct: 500_000},
	}}
}

// Validate: Below strictly falling in (0, 100 %], Deduct strictly rising in (0, 100 %].
func (o *CreditOptions) Validate() error {
	for i, t := range o.Tiers {
		f := fmt.Sprintf("Tiers[%d]", i)
		switch {
		case t.Below <= 0 || t.Below > Hundred:
			return &OptionError{f + ".Below", t.Below.String() + " outside (0, 100%]"}
		case t.Deduct <= 0 || t.Deduct > Hundred:
			return &OptionError{f + ".Deduct", t.Deduct.String() + " outside (0, 100%]"}
		case i > 0 && t.Below >= o.Tiers[i-1].Below:
			return &OptionError{f + ".Below", "must be below the previous tier's"}
		case i > 0 && t.Deduct <= o.Tiers[i-1].Deduct:
			return &OptionError{f + ".Deduct", "must exceed the previous tier's"}
		}
	}
	return nil
}

// DeductionLine is one service-level credit for billing to apply to a vendor's
// monthly fee. Amount is in 分 and positive (the sum to deduct).
type DeductionLine struct {
	VendorID     string `json:"vendor_id"`
	Month        Month  `json:"month"`
	Availability string `json:"availability"` // "99.8512%"
	Num          int64  `json:"num_minutes"`  // T − T_excluded − T_down
	Den          int64  `json:"den_minutes"`  // T − T_excluded
	Tier         int    `json:"tier"`         // index into CreditOptions.Tiers
	Below        PPM    `json:"below"`
	Rate         PPM    `json:"rate"`
	MonthlyFee   int64  `json:"monthly_fee_fen"`
	Amount       int64  `json:"amount_fen"`
	Reason       string `json:"reason"`
	ReasonEn     string `json:"reason_en"`
}

// Credit returns the deduction line for a month, or nil when no tier applies.
// Amount = MonthlyFee × Rate, rounded half-up to the 分, in integer arithmetic.
func (o *CreditOptions) Credit(vendorID string, a Availability, monthlyFee int64) (*DeductionLine, error) {
	if monthlyFee < 0 {
		return nil, &RecordError{Kind: "monthly fee", ID: vendorID + " " + a.Month.String(), Field: "fee", Msg: "negative", Err: ErrOutOfRange}
	}
	tier := -1
	for i, t := range o.Tiers {
		if a.Below(t.Below) {
			tier = i
		}
	}
	if tier < 0 {
		return nil, nil
	}
	t := o.Tiers[tier]
	amount, err := mulRateHalfUp(monthlyFee, t.Deduct)
	if err != nil {
		return nil, &RecordError{Kind: "monthly fee", ID: vendorID + " " + a.Month.String(), Field: "fee", Msg: err.Error(), Err: ErrOutOfRange}
	}
	return &DeductionLine{
		VendorID: vendorID, Month: a.Month, Availability: a.String(), Num: a.Num(), Den: a.Den(),
		Tier: tier, Below: t.Below, Rate: t.Deduct, MonthlyFee: monthlyFee, Amount: amount,
		Reason:   fmt.Sprintf("%s 可用性 %s,低于 %s,按月费 %s 元扣减 %s,计 %s 元", a.Month, a, t.Below, fen(monthlyFee), t.Deduct, fen(amount)),
		ReasonEn: fmt.Sprintf("%s availability %s below %s: %s of the monthly fee %s yuan, %s yuan", a.Month, a, t.Below, t.Deduct, fen(monthlyFee), fen(amount)),
	}, nil
}

// mulRateHalfUp returns round_half_up(fee × rate / 1e6) for fee ≥ 0 without overflow.
func mulRateHalfUp(fee int64, rate PPM) (int64, error) {
	const h = int64(Hundred)
	q, r := fee/h, fee%h // fee = q·h + r
	// fee·rate/h = q·rate + r·rate/h ; r·rate < 1e12, no overflow
	whole := q * int64(rate)
	if q != 0 && whole/q != int64(rate) {
		return 0, fmt.Errorf("fee %d too large", fee)
	}
	return whole + (r*int64(rate)+h/2)/h, nil
}

// Credits computes the deduction lines of several months; months without a line are skipped.
func (o *CreditOptions) Credits(vendorID string, months []Availability, monthlyFee func(Month) int64) ([]DeductionLine, error) {
	var out []DeductionLine
	for _, a := range months {
		l, err := o.Credit(vendorID, a, monthlyFee(a.Month))
		if err != nil {
			return nil, err
		}
		if l != nil {
			out = append(out, *l)
		}
	}
	return out, nil
}
