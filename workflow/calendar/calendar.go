package calendar

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"sync"
	"time"
)

//go:embed data/cn.json
var chinaData []byte

// chinaCalendar builds the national calendar once. It is a lazily built
// immutable value, not mutable state.
var chinaCalendar = sync.OnceValue(func() *Calendar {
	ds, err := Load(bytes.NewReader(chinaData))
	if err != nil {
		panic("calendar: embedded data/cn.json is invalid: " + err.Error())
	}
	ds.Source = "data/cn.json"
	c, err := New(ds)
	if err != nil {
		panic("calendar: embedded data/cn.json is invalid: " + err.Error())
	}
	return c
})

// China returns the official national calendar of the People's Republic of
// China built from the embedded notices (data/cn.json). It is built once and
// is safe for concurrent use. To add a notice published after this build, or a
// regional overlay, use With.
func China() *Calendar { return chinaCalendar() }

// Calendar is a working-day calendar over a contiguous run of whole years
// (its coverage). It is immutable and safe for concurrent use. IsWorkday,
// AddWorkdays, WorkdaysBetween, Day and Deadline run in constant time without
// allocating.
type Calendar struct {
	first, end int64   // day indices: first covered day, one past the last
	total      int64   // working days in coverage
	prefix     []int32 // prefix[i] = working days in [first, first+i); len = days+1
	work       []int32 // offsets from first of the working days, ascending
	kinds      []Kind  // per covered day
	tagOf      []int32 // per covered day: index into tags, or -1
	tags       []dayTag
	notices    map[string]Notice
	sources    []*Dataset // deep copies, in order, for With

	// Fast path from a Date to its offset and back, without civil-calendar
	// arithmetic: monthStart[(y-firstYear)*12 + m-1] is the offset of the
	// first of that month (one extra entry closes the last month), and
	// packed[i] is the date at offset i as year<<9 | month<<5 | day.
	firstYear  int
	monthStart []int32
	packed     []uint32
}

type dayTag struct {
	name, nameEn, notice, region string
}

// New builds a calendar from national data and, optionally, more datasets,
// applied in order:
//
//   - base must be national data (Region "CN").
//   - A further "CN" dataset is more national data: a whole-year notice
//     (no "covers") extends the coverage by its year, e.g. next year's notice
//     published each November; a notice with "covers" amends days already
//     covered. Years must stay contiguous, and a year may be arranged by only
//     one whole-year notice. Loading a notice that is already present with
//     exactly the same days is a no-op, so an operator's file keeps working
//     after the embedded data catches up.
//   - Any other region (e.g. "CN-GX") is an overlay: its days replace the
//     national status of those dates. Overlays never extend the coverage;
//     their days outside it are kept but have no effect until the national
//     data covers them.
//
// A later dataset's day replaces an earlier one's for the same date. Errors
// are DataErrors (errors.Is(err, ErrInvalidData)).
func New(base *Dataset, more ...*Dataset) (*Calendar, error) {
	if base == nil {
		return nil, DataErrors{{Msg: "base dataset is nil"}}
	}
	if base.Region != RegionChina {
		return nil, DataErrors{{Source: base.Source, Field: "region", Msg: fmt.Sprintf("base dataset must be national (%q), got %q", RegionChina, base.Region)}}
	}
	all := append([]*Dataset{base}, more...)
	var errs DataErrors
	for i, ds := range all {
		if ds == nil {
			errs = append(errs, &DataError{Msg: fmt.Sprintf("dataset %d is nil", i)})
			continue
		}
		errs = append(errs, check(ds)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return build(all)
}

// With returns a new calendar with more datasets applied on top of c's (see
// New): next year's national notice, an amendment, or a regional overlay.
// c itself is unchanged.
func (c *Calendar) With(more ...*Dataset) (*Calendar, error) {
	return New(c.sources[0], append(append([]*Dataset{}, c.sources[1:]...), more...)...)
}

// check validates a Dataset built by hand (Load has already checked files).
func check(ds *Dataset) DataErrors {
	var errs DataErrors
	bad := func(line int, field, format string, args ...any) {
		errs = append(errs, &DataError{Source: ds.Source, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if ds.Schema != SchemaVersion {
		bad(0, "schema", "unsupported schema %d; this package reads schema %d", ds.Schema, SchemaVersion)
	}
	if !validRegion(ds.Region) {
		bad(0, "region", "bad region %q", ds.Region)
	}
	notices := map[string]*Notice{}
	for i := range ds.Notices {
		n := &ds.Notices[i]
		f := fmt.Sprintf("notices[%d]", i)
		switch {
		case n.ID == "":
			bad(n.Line, f+".id", "empty notice id")
		case notices[n.ID] != nil:
			bad(n.Line, f+".id", "notice %q listed twice", n.ID)
		}
		notices[n.ID] = n
		if n.Year < minYear || n.Year > maxYear {
			bad(n.Line, f+".year", "year %d out of range", n.Year)
		}
		if n.Covers != nil && (!n.Covers.From.Valid() || !n.Covers.To.Valid() || n.Covers.To.Before(n.Covers.From)) {
			bad(n.Line, f+".covers", "bad span %s..%s", n.Covers.From, n.Covers.To)
		}
	}
	seen := map[Date]bool{}
	for i, e := range ds.Days {
		f := fmt.Sprintf("days[%d]", i)
		if !e.Date.Valid() {
			bad(e.Line, f+".date", "invalid date %s", e.Date)
			continue
		}
		if seen[e.Date] {
			bad(e.Line, f+".date", "date %s given twice", e.Date)
		}
		seen[e.Date] = true
		switch e.Kind {
		case KindHoliday, KindClosure:
		case KindAdjustedWorkday:
			if wd := e.Date.Weekday(); wd != time.Saturday && wd != time.Sunday {
				bad(e.Line, f+".kind", "a \"workday\" (调休) must be a Saturday or Sunday; %s is a %s", e.Date, wd)
			}
		default:
			bad(e.Line, f+".kind", "kind %d cannot be set by a notice", e.Kind)
		}
		if n := notices[e.Notice]; n == nil {
			bad(e.Line, f+".notice", "unknown notice %q", e.Notice)
		} else if !allowedIn(n, e.Date) {
			bad(e.Line, f+".date", "%s is outside notice %q", e.Date, n.ID)
		}
	}
	return errs
}

func cloneDataset(ds *Dataset) *Dataset {
	out := *ds
	out.Notices = append([]Notice(nil), ds.Notices...)
	for i := range out.Notices {
		if sp := out.Notices[i].Covers; sp != nil {
			cp := *sp
			out.Notices[i].Covers = &cp
		}
	}
	out.Days = append([]DayEntry(nil), ds.Days...)
	return &out
}

type placed struct {
	entry  DayEntry
	region string
}

func build(all []*Dataset) (*Calendar, error) {
	var errs DataErrors
	bad := func(ds *Dataset, line int, field, format string, args ...any) {
		errs = append(errs, &DataError{Source: ds.Source, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	c := &Calendar{notices: map[string]Notice{}}
	for _, ds := range all {
		c.sources = append(c.sources, cloneDataset(ds))
	}

	// Notices: dedupe identical re-loads, claim national years.
	type origin struct {
		ds   *Dataset
		days []DayEntry
	}
	byNotice := map[string]origin{}
	skip := map[*Dataset]map[string]bool{}
	yearBy := map[int]string{}
	for _, ds := range c.sources {
		own := map[string][]DayEntry{}
		for _, e := range ds.Days {
			own[e.Notice] = append(own[e.Notice], e)
		}
		for _, n := range ds.Notices {
			if prev, ok := byNotice[n.ID]; ok {
				if !sameDays(prev.days, own[n.ID]) {
					bad(ds, n.Line, "notices.id", "notice %q is also in %s with different days", n.ID, sourceName(prev.ds))
					continue
				}
				if skip[ds] == nil {
					skip[ds] = map[string]bool{}
				}
				skip[ds][n.ID] = true
				continue
			}
			byNotice[n.ID] = origin{ds: ds, days: own[n.ID]}
			c.notices[n.ID] = n
			if ds.Region == RegionChina && n.Covers == nil {
				if other, ok := yearBy[n.Year]; ok {
					bad(ds, n.Line, "notices.year", "year %d is already arranged by notice %q; load an amendment with \"covers\" instead", n.Year, other)
					continue
				}
				yearBy[n.Year] = n.ID
			}
		}
	}
	if len(yearBy) == 0 {
		bad(all[0], 0, "notices", "no national whole-year notice: nothing is covered")
		return nil, errs
	}
	years := make([]int, 0, len(yearBy))
	for y := range yearBy {
		years = append(years, y)
	}
	sort.Ints(years)
	for i := 1; i < len(years); i++ {
		if years[i] != years[i-1]+1 {
			bad(all[0], 0, "notices.year", "national years are not contiguous: %d is missing between %d and %d", years[i-1]+1, years[i-1], years[i])
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	first := Date{years[0], time.January, 1}
	last := Date{years[len(years)-1], time.December, 31}
	c.first = dayIndex(first)
	c.end = dayIndex(last) + 1
	cov := Span{first, last}
	for _, ds := range c.sources {
		if ds.Region != RegionChina {
			continue
		}
		for _, n := range ds.Notices {
			if n.Covers != nil && (!cov.Contains(n.Covers.From) || !cov.Contains(n.Covers.To)) {
				bad(ds, n.Line, "notices.covers", "amendment %q covers %s..%s, outside the national coverage %s..%s; load that year's notice first",
					n.ID, n.Covers.From, n.Covers.To, first, last)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}

	// Days: national first, then overlays, each in order; later replaces earlier.
	over := map[int64]placed{}
	apply := func(ds *Dataset) {
		for _, e := range ds.Days {
			if skip[ds][e.Notice] {
				continue
			}
			z := dayIndex(e.Date)
			if z < c.first || z >= c.end {
				continue // extends nothing
			}
			over[z] = placed{entry: e, region: ds.Region}
		}
	}
	for _, ds := range c.sources {
		if ds.Region == RegionChina {
			apply(ds)
		}
	}
	for _, ds := range c.sources {
		if ds.Region != RegionChina {
			apply(ds)
		}
	}

	n := c.end - c.first
	c.prefix = make([]int32, n+1)
	c.kinds = make([]Kind, n)
	c.tagOf = make([]int32, n)
	tagIndex := map[dayTag]int32{}
	for i := int64(0); i < n; i++ {
		z := c.first + i
		k := KindWorkday
		if wd := weekdayOf(z); wd == time.Saturday || wd == time.Sunday {
			k = KindWeekend
		}
		c.tagOf[i] = -1
		if p, ok := over[z]; ok {
			k = p.entry.Kind
			t := dayTag{name: p.entry.Name, nameEn: p.entry.NameEn, notice: p.entry.Notice, region: p.region}
			idx, seen := tagIndex[t]
			if !seen {
				idx = int32(len(c.tags))
				c.tags = append(c.tags, t)
				tagIndex[t] = idx
			}
			c.tagOf[i] = idx
		}
		c.kinds[i] = k
		c.prefix[i+1] = c.prefix[i]
		if k.IsWorkday() {
			c.prefix[i+1]++
			c.work = append(c.work, int32(i))
		}
	}
	c.total = int64(c.prefix[n])
	c.firstYear = first.Year
	for y := first.Year; y <= last.Year; y++ {
		for m := time.January; m <= time.December; m++ {
			c.monthStart = append(c.monthStart, int32(dayIndex(Date{y, m, 1})-c.first))
		}
	}
	c.monthStart = append(c.monthStart, int32(n))
	c.packed = make([]uint32, n)
	for i := range c.packed {
		d := dateOfIndex(c.first + int64(i))
		c.packed[i] = uint32(d.Year)<<9 | uint32(d.Month)<<5 | uint32(d.Day)
	}
	return c, nil
}

func sourceName(ds *Dataset) string {
	if ds.Source != "" {
		return ds.Source
	}
	return "an earlier dataset"
}

func sameDays(a, b []DayEntry) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(e DayEntry) string { return e.Date.String() + "/" + kindCode(e.Kind) }
	as := make([]string, len(a))
	bs := make([]string, len(b))
	for i := range a {
		as[i], bs[i] = key(a[i]), key(b[i])
	}
	sort.Strings(as)
	sort.Strings(bs)
	for i := range as {
		if as[i] != bs[i] {
			return false
		}
	}
	return true
}

// Datasets returns copies of the datasets c was built from, in the order they
// were applied (the national base first). Changing them does not change c.
func (c *Calendar) Datasets() []*Dataset {
	out := make([]*Dataset, len(c.sources))
	for i, ds := range c.sources {
		out[i] = cloneDataset(ds)
	}
	return out
}

// Coverage returns the first and last dates the calendar's data covers.
func (c *Calendar) Coverage() (first, last Date) {
	return dateOfIndex(c.first), dateOfIndex(c.end - 1)
}

// Notices returns the notices the calendar was built from, ordered by year
// and then by ID, for reports ("根据国办发明电〔2024〕12号").
func (c *Calendar) Notices() []Notice {
	out := make([]Notice, 0, len(c.notices))
	for _, n := range c.notices {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Year != out[j].Year {
			return out[i].Year < out[j].Year
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Notice returns the notice with the given ID.
func (c *Calendar) Notice(id string) (Notice, bool) {
	n, ok := c.notices[id]
	return n, ok
}

// ---- constant-time core on day indices ----

// offset is the fast path: the offset of d from the first covered day, if d is
// a valid covered date.
func (c *Calendar) offset(d Date) (int, bool) {
	if d.Year < c.firstYear || d.Year >= c.firstYear+len(c.monthStart)/12 || d.Month < time.January || d.Month > time.December {
		return 0, false
	}
	k := (d.Year-c.firstYear)*12 + int(d.Month) - 1
	s := int(c.monthStart[k])
	if d.Day < 1 || d.Day > int(c.monthStart[k+1])-s {
		return 0, false
	}
	return s + d.Day - 1, true
}

// dateAt returns the covered date at offset i.
func (c *Calendar) dateAt(i int32) Date {
	p := c.packed[i]
	return Date{Year: int(p >> 9), Month: time.Month(p >> 5 & 15), Day: int(p & 31)}
}

func (c *Calendar) covered(z int64) bool { return z >= c.first && z < c.end }

// cum returns the number of working days before day z, counted from the
// first covered day (negative before it). Outside the coverage it assumes
// Monday–Friday (the provisional extension).
func (c *Calendar) cum(z int64) int64 {
	switch {
	case z < c.first:
		return weekdaysBefore(z) - weekdaysBefore(c.first)
	case z > c.end:
		return c.total + weekdaysBefore(z) - weekdaysBefore(c.end)
	}
	return int64(c.prefix[z-c.first])
}

// nth returns the working day whose cum is k (the inverse of cum on working days).
func (c *Calendar) nth(k int64) int64 {
	switch {
	case k < 0:
		return nthWeekday(weekdaysBefore(c.first) + k)
	case k >= c.total:
		return nthWeekday(weekdaysBefore(c.end) + k - c.total)
	}
	return c.first + int64(c.work[k])
}

func (c *Calendar) isWork(z int64) bool {
	if c.covered(z) {
		i := z - c.first
		return c.prefix[i+1] != c.prefix[i]
	}
	wd := weekdayOf(z)
	return wd != time.Saturday && wd != time.Sunday
}

// Bounds of accepted day indices: 0001-01-01 .. 9999-12-31.
var (
	minIndex = dayIndex(Date{minYear, time.January, 1})
	maxIndex = dayIndex(Date{maxYear, time.December, 31})
)

// maxSteps bounds n in AddWorkdays: more working days than 10,000 years hold.
const maxSteps = 4_000_000

func (c *Calendar) notCovered(d Date, answer bool) error {
	f, l := c.Coverage()
	return &NotCoveredError{Date: d, First: f, Last: l, Answer: answer}
}

func badDate(arg string, d Date) error {
	return &ArgumentError{Arg: arg, Msg: "not a valid date: " + d.String()}
}

// index validates d and returns its day index; without prov it must be covered.
func (c *Calendar) index(arg string, d Date, prov bool) (int64, error) {
	if !d.Valid() {
		return 0, badDate(arg, d)
	}
	z := dayIndex(d)
	if !prov && !c.covered(z) {
		return 0, c.notCovered(d, false)
	}
	return z, nil
}

// addIdx returns the n-th working day after (n > 0) or before (n < 0) day z.
func (c *Calendar) addIdx(z int64, n int, prov bool) (int64, error) {
	if n == 0 {
		return z, nil
	}
	if n > maxSteps || n < -maxSteps {
		if !prov {
			return 0, c.notCoveredBeyond(n > 0)
		}
		return 0, &ArgumentError{Arg: "n", Msg: fmt.Sprintf("%d working days is out of range (|n| ≤ %d)", n, maxSteps)}
	}
	var k int64
	if n > 0 {
		k = c.cum(z+1) + int64(n) - 1
	} else {
		k = c.cum(z) + int64(n)
	}
	if !prov && (k < 0 || k >= c.total) {
		return 0, c.notCoveredBeyond(n > 0)
	}
	x := c.nth(k)
	if x < minIndex || x > maxIndex {
		return 0, &ArgumentError{Arg: "n", Msg: fmt.Sprintf("%d working days from %s is outside years %d..%d", n, dateOfIndex(z), minYear, maxYear)}
	}
	return x, nil
}

func (c *Calendar) notCoveredBeyond(forward bool) error {
	if forward {
		return c.notCovered(dateOfIndex(c.end), true)
	}
	return c.notCovered(dateOfIndex(c.first-1), true)
}

// between implements WorkdaysBetween on indices.
func (c *Calendar) between(zf, zt int64) int64 {
	if zt >= zf {
		return c.cum(zt+1) - c.cum(zf+1)
	}
	return -(c.cum(zf) - c.cum(zt))
}

func (c *Calendar) dayInfo(z int64) DayInfo {
	info := DayInfo{Date: dateOfIndex(z)}
	if !c.covered(z) {
		info.Kind = KindWorkday
		if wd := weekdayOf(z); wd == time.Saturday || wd == time.Sunday {
			info.Kind = KindWeekend
		}
		info.Workday = info.Kind.IsWorkday()
		return info
	}
	i := z - c.first
	info.Kind = c.kinds[i]
	info.Workday = info.Kind.IsWorkday()
	if t := c.tagOf[i]; t >= 0 {
		tag := &c.tags[t]
		info.Name, info.NameEn, info.Notice, info.Region = tag.name, tag.nameEn, tag.notice, tag.region
	}
	return info
}
