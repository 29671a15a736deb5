package billing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opengovcloud/govcloud/quota"
)

// Basis is how an item is billed: per month, per day, per hour, or once.
type Basis string

// The billing bases.
const (
	Monthly Basis = "monthly"
	Daily   Basis = "daily"
	Hourly  Basis = "hourly"
	OneTime Basis = "one_time"
)

var basisLabels = map[Basis][2]string{
	Monthly: {"按月", "monthly"}, Daily: {"按日", "daily"},
	Hourly: {"按小时", "hourly"}, OneTime: {"一次性", "one-time"},
}

// Label returns the label of b in lang.
func (b Basis) Label(lang Lang) string { return label(basisLabels, b, string(b), lang) }

// String returns the Chinese label.
func (b Basis) String() string { return b.Label(Chinese) }

// Proration says how a partial period is charged.
type Proration string

// The proration rules. See the package documentation for worked examples.
const (
	// ProrateDays charges a monthly item by natural days: days touched ÷
	// days in the month. A started day counts as a whole day.
	ProrateDays Proration = "days"
	// ProrateHours charges by hours: hours touched ÷ hours in the month
	// (monthly) or ÷ 24 (daily). A started hour counts as a whole hour.
	ProrateHours Proration = "hours"
	// ProrateNone charges every period touched in full: a whole month, day
	// or hour (hourly items always use it; one-time items are charged once).
	ProrateNone Proration = "none"
)

var prorationLabels = map[Proration][2]string{
	ProrateDays: {"按自然日折算", "by natural days"}, ProrateHours: {"按小时折算", "by hours"},
	ProrateNone: {"不折算", "no proration"},
}

// Label returns the label of p in lang.
func (p Proration) Label(lang Lang) string { return label(prorationLabels, p, string(p), lang) }

// String returns the Chinese label.
func (p Proration) String() string { return p.Label(Chinese) }

func label[K comparable](m map[K][2]string, k K, raw string, lang Lang) string {
	l, ok := m[k]
	if !ok {
		return raw
	}
	if lang == English {
		return l[1]
	}
	return l[0]
}

// validProration lists the rules allowed per basis.
var validProration = map[Basis][]Proration{
	Monthly: {ProrateDays, ProrateHours, ProrateNone},
	Daily:   {ProrateHours, ProrateNone},
	Hourly:  {ProrateNone},
	OneTime: {ProrateNone},
}

// Item is one entry of the service catalog (服务目录条目).
type Item struct {
	// Code identifies the item: upper-case segments joined by '-', the first
	// naming the layer (IAAS, PAAS, SAAS, SEC, NET, SVC), e.g. IAAS-ECS-VCPU.
	// See the package documentation for the scheme.
	Code string `json:"code"`
	// Name is the Chinese name (云主机vCPU); NameEn an optional English one.
	Name   string `json:"name"`
	NameEn string `json:"name_en,omitempty"`
	// Unit is the billing unit as written in the catalog: 核·月, GiB·月,
	// Mbps·月, 实例·月, 个·次 …
	Unit string `json:"unit"`
	// Footprint is the resource footprint of one unit (a quota vector), used
	// by quota checks; it may be zero for pure services.
	Footprint quota.Vector `json:"footprint,omitempty"`
	// Basis and Proration say how usage is charged.
	Basis     Basis     `json:"basis"`
	Proration Proration `json:"proration"`
	// StdCode optionally records the item's code in a national or local
	// classification; it is carried, not checked.
	StdCode string `json:"std_code,omitempty"`
}

// ValidateCode checks a catalog code: 2–5 segments of [A-Z0-9] joined by
// '-', the first starting with a letter, at most 64 bytes.
func ValidateCode(code string) error {
	if code == "" || len(code) > 64 {
		return fieldErr(ErrInvalid, "code", code, "want 1–64 bytes")
	}
	segs := strings.Split(code, "-")
	if len(segs) < 2 || len(segs) > 5 {
		return fieldErr(ErrInvalid, "code", code, "want 2–5 segments joined by '-', e.g. IAAS-ECS-VCPU")
	}
	for i, s := range segs {
		if s == "" {
			return fieldErr(ErrInvalid, "code", code, "empty segment")
		}
		for j := 0; j < len(s); j++ {
			c := s[j]
			if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') || (i == 0 && j == 0 && !(c >= 'A' && c <= 'Z')) {
				return fieldErr(ErrInvalid, "code", code, "segments hold A–Z and 0–9 and the code starts with a letter")
			}
		}
	}
	return nil
}

// Validate checks every field; the error is a *FieldError naming the field.
func (it Item) Validate() error {
	if err := ValidateCode(it.Code); err != nil {
		return err
	}
	if strings.TrimSpace(it.Name) == "" || utf8.RuneCountInString(it.Name) > 100 || !utf8.ValidString(it.Name) {
		return fieldErr(ErrInvalid, "name", it.Name, "want 1–100 characters")
	}
	if utf8.RuneCountInString(it.NameEn) > 200 || !utf8.ValidString(it.NameEn) {
		return fieldErr(ErrInvalid, "name_en", it.NameEn, "at most 200 characters")
	}
	if strings.TrimSpace(it.Unit) == "" || utf8.RuneCountInString(it.Unit) > 20 || !utf8.ValidString(it.Unit) {
		return fieldErr(ErrInvalid, "unit", it.Unit, "want 1–20 characters")
	}
	if err := it.Footprint.Validate(); err != nil {
		return &FieldError{Kind: ErrInvalid, Field: "footprint", Reason: err.Error()}
	}
	allowed, ok := validProration[it.Basis]
	if !ok {
		return fieldErr(ErrInvalid, "basis", string(it.Basis), "want monthly, daily, hourly or one_time")
	}
	if !slices.Contains(allowed, it.Proration) {
		return fieldErr(ErrInvalid, "proration", string(it.Proration),
			fmt.Sprintf("basis %s allows %v", it.Basis, allowed))
	}
	if len(it.StdCode) > 64 || !utf8.ValidString(it.StdCode) {
		return fieldErr(ErrInvalid, "std_code", it.StdCode, "at most 64 bytes")
	}
	return nil
}

// Equal reports whether it and o are the same item (footprints compared by
// value).
func (it Item) Equal(o Item) bool {
	return it.Code == o.Code && it.Name == o.Name && it.NameEn == o.NameEn && it.Unit == o.Unit &&
		it.Basis == o.Basis && it.Proration == o.Proration && it.StdCode == o.StdCode &&
		it.Footprint.Equal(o.Footprint)
}

// Date is a calendar day; price versions take effect at 00:00 of a Date in
// the billing location.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// ParseDate parses "2026-01-31".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fieldErr(ErrInvalid, "date", s, "want YYYY-MM-DD")
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// String formats d as "2026-01-31"; the zero Date is "".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// In returns 00:00 of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Compare orders dates.
func (d Date) Compare(o Date) int {
	return cmp.Or(cmp.Compare(d.Year, o.Year), cmp.Compare(d.Month, o.Month), cmp.Compare(d.Day, o.Day))
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d Date) valid() bool {
	return d.Year >= 1900 && d.Year <= 9999 && d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && d.Day <= daysIn(d.Year, d.Month)
}

// Price is one version of the price of an item under one vendor contract.
// Versions are append-only. An open version (To zero) runs until the next
// version of the same item and vendor starts: that is a price change. A
// closed version [From, To) must not contain another version's start, and no
// two versions start on the same day: either is ErrOverlap.
type Price struct {
	Item     string `json:"item"`
	Vendor   string `json:"vendor"`
	Contract string `json:"contract,omitempty"` // contract number
	// UnitPrice is in 分 per unit per basis period (per 核·月 for a monthly
	// item, per unit-day, per unit-hour, per unit once).
	UnitPrice int64 `json:"unit_price"`
	From      Date  `json:"from"`
	To        Date  `json:"to,omitzero"` // exclusive; zero = open
}

// Validate checks the fields of p alone (not overlap, see Catalog.AddPrice).
func (p Price) Validate() error {
	if err := ValidateCode(p.Item); err != nil {
		err.(*FieldError).Field = "item"
		return err
	}
	if strings.TrimSpace(p.Vendor) == "" {
		return fieldErr(ErrNoVendor, "vendor", p.Vendor, "a price needs a vendor")
	}
	if len(p.Vendor) > 64 || !utf8.ValidString(p.Vendor) {
		return fieldErr(ErrInvalid, "vendor", p.Vendor, "at most 64 bytes")
	}
	if len(p.Contract) > 64 || !utf8.ValidString(p.Contract) {
		return fieldErr(ErrInvalid, "contract", p.Contract, "at most 64 bytes")
	}
	if p.UnitPrice < 0 {
		return fieldErr(ErrNegative, "unit_price", fmt.Sprint(p.UnitPrice), "must be ≥ 0 分")
	}
	if p.UnitPrice > maxUnitPrice {
		return fieldErr(ErrInvalid, "unit_price", fmt.Sprint(p.UnitPrice), "above 10^12 分")
	}
	if !p.From.valid() {
		return fieldErr(ErrInvalid, "from", p.From.String(), "want a valid date 1900–9999")
	}
	if !p.To.IsZero() && (!p.To.valid() || p.To.Compare(p.From) <= 0) {
		return fieldErr(ErrInvalid, "to", p.To.String(), "want a valid date after from")
	}
	return nil
}

const maxUnitPrice = 1_000_000_000_000

// overlaps reports whether p and q (same item and vendor) overlap under the
// rule on Price.
func (p Price) overlaps(q Price) bool {
	if p.From == q.From {
		return true
	}
	inside := func(a, b Price) bool { // b starts strictly inside closed a
		return !a.To.IsZero() && a.From.Compare(b.From) < 0 && b.From.Compare(a.To) < 0
	}
	return inside(p, q) || inside(q, p)
}

// Catalog is the service catalog: items and their price versions. The zero
// value is empty and ready to use. A Catalog is not safe for concurrent
// mutation.
type Catalog struct {
	items  map[string]Item
	prices []Price
}

// NewCatalog builds a catalog from items and prices, validating all (the
// first error wins; a *RowError names the item or price index + 1 as row).
func NewCatalog(items []Item, prices []Price) (*Catalog, error) {
	c := &Catalog{}
	for i, it := range items {
		if err := c.AddItem(it); err != nil {
			return nil, &RowError{Row: i + 1, Field: errField(err), Err: err}
		}
	}
	for i, p := range prices {
		if err := c.AddPrice(p); err != nil {
			return nil, &RowError{Row: i + 1, Field: errField(err), Err: err}
		}
	}
	return c, nil
}

func errField(err error) string {
	if fe, ok := err.(*FieldError); ok {
		return fe.Field
	}
	return ""
}

// AddItem adds a new item; a second item with the same code is ErrExists.
func (c *Catalog) AddItem(it Item) error {
	if err := it.Validate(); err != nil {
		return err
	}
	if _, ok := c.items[it.Code]; ok {
		return fieldErr(ErrExists, "code", it.Code, "item already in the catalog")
	}
	if c.items == nil {
		c.items = map[string]Item{}
	}
	it.Footprint = it.Footprint.Clone()
	c.items[it.Code] = it
	return nil
}

// CheckPrice validates p against the catalog: the item exists and p does not
// overlap a version of the same item and vendor.
func (c *Catalog) CheckPrice(p Price) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if _, ok := c.items[p.Item]; !ok {
		return fieldErr(ErrUnknownItem, "item", p.Item, "not in the catalog")
	}
	for _, q := range c.prices {
		if q.Item == p.Item && q.Vendor == p.Vendor && p.overlaps(q) {
			return fieldErr(ErrOverlap, "from", p.From.String(),
				fmt.Sprintf("overlaps the version from %s to %s", q.From, orOpen(q.To)))
		}
	}
	return nil
}

func orOpen(d Date) string {
	if d.IsZero() {
		return "open"
	}
	return d.String()
}

// AddPrice appends a price version after CheckPrice.
func (c *Catalog) AddPrice(p Price) error {
	if err := c.CheckPrice(p); err != nil {
		return err
	}
	c.prices = append(c.prices, p)
	return nil
}

// Item returns the item with code.
func (c *Catalog) Item(code string) (Item, bool) {
	it, ok := c.items[code]
	if ok {
		it.Footprint = it.Footprint.Clone()
	}
	return it, ok
}

// Items returns every item sorted by code.
func (c *Catalog) Items() []Item {
	out := make([]Item, 0, len(c.items))
	for _, it := range c.items {
		it.Footprint = it.Footprint.Clone()
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b Item) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// Prices returns every price version sorted by item, vendor and start.
func (c *Catalog) Prices() []Price {
	out := slices.Clone(c.prices)
	slices.SortFunc(out, comparePrice)
	return out
}

func comparePrice(a, b Price) int {
	return cmp.Or(strings.Compare(a.Item, b.Item), strings.Compare(a.Vendor, b.Vendor), a.From.Compare(b.From))
}

// PriceAt returns the version in force for item and vendor at t (in loc).
func (c *Catalog) PriceAt(item, vendor string, t time.Time, loc *time.Location) (Price, bool) {
	d := DateOf(t, loc)
	var best Price
	found := false
	for _, p := range c.prices {
		if p.Item != item || p.Vendor != vendor || p.From.Compare(d) > 0 {
			continue
		}
		if !found || p.From.Compare(best.From) > 0 {
			best, found = p, true
		}
	}
	if !found || (!best.To.IsZero() && best.To.Compare(d) <= 0) {
		return Price{}, false
	}
	return best, true
}
