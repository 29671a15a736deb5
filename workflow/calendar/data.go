package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// SchemaVersion is the only data schema this package reads.
const SchemaVersion = 1

// RegionChina is the region code of the national calendar.
const RegionChina = "CN"

// maxDataSize bounds what Load reads (the national file is a few hundred KiB).
const maxDataSize = 16 << 20

// yearEdgeSlack is how far outside its year a whole-year notice may list days:
// a holiday period can straddle New Year (元旦 2023 ran 2022-12-31 – 2023-01-02).
const yearEdgeSlack = 7

// Dataset is one holiday data file, as read by Load: either national data
// (Region "CN": one or more yearly notices) or a regional overlay (e.g.
// "CN-GX"). A Dataset is plain data; New copies what it needs, so changing a
// Dataset afterwards does not change a Calendar built from it.
type Dataset struct {
	// Source names the file in error messages (e.g. its path). Load leaves it
	// empty; set it before calling New if you like.
	Source  string
	Schema  int
	Region  string
	Notices []Notice
	Days    []DayEntry
}

// Notice is an official notice that sets holidays, e.g. 国务院办公厅关于2025年部分节假日安排的通知.
type Notice struct {
	ID        string // document number, e.g. 国办发明电〔2024〕12号
	Title     string
	Published Date
	Year      int    // the year the notice arranges
	URL       string // where it was published (optional)
	// Covers, when set, is the span the notice governs instead of the whole of
	// Year: amendments such as 国发明电〔2015〕1号 or the 2020 Spring Festival
	// extension, and most regional notices.
	Covers *Span
	// Amends, when set, is the ID of the notice this one amends (optional;
	// must name a notice in the same file).
	Amends string
	Line   int // line of the notice in its file
}

// Span is an inclusive range of dates.
type Span struct {
	From, To Date
}

// Contains reports whether d is in the span.
func (s Span) Contains(d Date) bool { return !d.Before(s.From) && !d.After(s.To) }

// span returns the period the notice governs.
func (n *Notice) span() Span {
	if n.Covers != nil {
		return *n.Covers
	}
	return Span{From: Date{n.Year, time.January, 1}, To: Date{n.Year, time.December, 31}}
}

// DayEntry is one day set by a notice.
type DayEntry struct {
	Date   Date
	Kind   Kind // KindHoliday, KindAdjustedWorkday or KindClosure
	Name   string
	NameEn string
	Notice string // Notice.ID
	Line   int    // line of the entry in its file
}

// Load reads one holiday data file (schema 1, JSON; see the package
// documentation) and validates it. It reports every problem it finds, each
// with its line, as DataErrors (errors.Is(err, ErrInvalidData)); on error the
// Dataset is nil.
func Load(r io.Reader) (*Dataset, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDataSize+1))
	if err != nil {
		return nil, fmt.Errorf("calendar: reading holiday data: %w", err)
	}
	if len(data) > maxDataSize {
		return nil, DataErrors{{Field: "", Msg: fmt.Sprintf("file larger than %d bytes", maxDataSize)}}
	}
	p := &parser{data: data}
	ds := p.parse()
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return nil, p.errs
	}
	return ds, nil
}

type parser struct {
	data     []byte
	newlines []int // offsets of '\n' in data, computed on first use
	errs     DataErrors
}

func (p *parser) errorf(off int, field, format string, args ...any) {
	p.errs = append(p.errs, &DataError{Line: p.line(off), Field: field, Msg: fmt.Sprintf(format, args...)})
}

// line converts a byte offset to a 1-based line number.
func (p *parser) line(off int) int {
	if off > len(p.data) {
		off = len(p.data)
	}
	if off < 0 {
		off = 0
	}
	if p.newlines == nil {
		p.newlines = []int{}
		for i, c := range p.data {
			if c == '\n' {
				p.newlines = append(p.newlines, i)
			}
		}
	}
	return sort.SearchInts(p.newlines, off) + 1
}

// member is one key of a JSON object with its raw value and the value's offset.
type member struct {
	key string
	off int
	raw json.RawMessage
}

// object splits the JSON object raw (starting at offset base) into members.
// It reports non-objects and duplicate keys.
func (p *parser) object(raw json.RawMessage, base int, field string) ([]member, bool) {
	if len(raw) == 0 || raw[0] != '{' {
		p.errorf(base, field, "must be an object, got %s", kindOfJSON(raw))
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		p.errorf(base, field, "%v", err)
		return nil, false
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			p.errorf(base+int(dec.InputOffset()), field, "%v", err)
			return nil, false
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			p.errorf(base+int(dec.InputOffset()), field, "%v", err)
			return nil, false
		}
		off := base + int(dec.InputOffset()) - len(v)
		if seen[key] {
			p.errorf(off, join(field, key), "field given twice")
			continue
		}
		seen[key] = true
		out = append(out, member{key: key, off: off, raw: v})
	}
	return out, true
}

// array splits the JSON array raw (at offset base) into elements.
func (p *parser) array(raw json.RawMessage, base int, field string) ([]member, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		p.errorf(base, field, "must be an array, got %s", kindOfJSON(raw))
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		p.errorf(base, field, "%v", err)
		return nil, false
	}
	var out []member
	for dec.More() {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			p.errorf(base+int(dec.InputOffset()), field, "%v", err)
			return nil, false
		}
		out = append(out, member{off: base + int(dec.InputOffset()) - len(v), raw: v})
	}
	return out, true
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func kindOfJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func (p *parser) str(m member, field string) (string, bool) {
	var s string
	if len(m.raw) == 0 || m.raw[0] != '"' || json.Unmarshal(m.raw, &s) != nil {
		p.errorf(m.off, field, "must be a string, got %s", kindOfJSON(m.raw))
		return "", false
	}
	return s, true
}

func (p *parser) date(m member, field string) (Date, bool) {
	s, ok := p.str(m, field)
	if !ok {
		return Date{}, false
	}
	d, ok := parseDate(s)
	if !ok {
		p.errorf(m.off, field, "bad date %q: want YYYY-MM-DD, a real day", s)
		return Date{}, false
	}
	return d, true
}

func (p *parser) integer(m member, field string) (int, bool) {
	var n int
	if len(m.raw) == 0 || (m.raw[0] != '-' && (m.raw[0] < '0' || m.raw[0] > '9')) || json.Unmarshal(m.raw, &n) != nil {
		p.errorf(m.off, field, "must be an integer, got %s", string(truncate(m.raw)))
		return 0, false
	}
	return n, true
}

func truncate(b []byte) []byte {
	if len(b) > 40 {
		return append(append([]byte{}, b[:40]...), "…"...)
	}
	return b
}

func (p *parser) unknown(m member, field string) {
	p.errorf(m.off, join(field, m.key), "unknown field %q", m.key)
}

func (p *parser) parse() *Dataset {
	// A syntax error stops everything: report it with its line.
	var probe any
	if err := json.Unmarshal(p.data, &probe); err != nil {
		var se *json.SyntaxError
		off := 0
		if errors.As(err, &se) {
			off = int(se.Offset)
		}
		p.errorf(off, "", "JSON syntax: %v", err)
		return nil
	}
	top := bytes.TrimLeft(p.data, " \t\r\n")
	base := len(p.data) - len(top)
	members, ok := p.object(bytes.TrimRight(top, " \t\r\n"), base, "")
	if !ok {
		return nil
	}
	ds := &Dataset{}
	var notices, days []member
	var haveSchema, haveRegion, haveNotices, haveDays bool
	for _, m := range members {
		switch m.key {
		case "schema":
			haveSchema = true
			if n, ok := p.integer(m, "schema"); ok {
				if n != SchemaVersion {
					p.errorf(m.off, "schema", "unsupported schema %d; this package reads schema %d", n, SchemaVersion)
				}
				ds.Schema = n
			}
		case "region":
			haveRegion = true
			if s, ok := p.str(m, "region"); ok {
				if !validRegion(s) {
					p.errorf(m.off, "region", "bad region %q: want \"CN\" or \"CN-<code>\" such as \"CN-GX\"", s)
				}
				ds.Region = s
			}
		case "notices":
			haveNotices = true
			notices, _ = p.array(m.raw, m.off, "notices")
		case "days":
			haveDays = true
			days, _ = p.array(m.raw, m.off, "days")
		default:
			p.unknown(m, "")
		}
	}
	for _, missing := range []struct {
		have bool
		name string
	}{{haveSchema, "schema"}, {haveRegion, "region"}, {haveNotices, "notices"}, {haveDays, "days"}} {
		if !missing.have {
			p.errorf(base, missing.name, "missing required field")
		}
	}

	byID := map[string]*Notice{}
	for i, el := range notices {
		n, _ := p.notice(el, fmt.Sprintf("notices[%d]", i))
		if n.ID == "" {
			continue // reported; a bad notice is still registered below so days naming it don't add noise
		}
		if prev, dup := byID[n.ID]; dup {
			p.errorf(el.off, fmt.Sprintf("notices[%d].id", i), "notice %q listed twice (first at line %d)", n.ID, prev.Line)
			continue
		}
		ds.Notices = append(ds.Notices, n)
		byID[n.ID] = &ds.Notices[len(ds.Notices)-1]
	}
	// Re-point the map after the appends above may have moved the slice.
	for i := range ds.Notices {
		byID[ds.Notices[i].ID] = &ds.Notices[i]
	}
	for i, n := range ds.Notices {
		if n.Amends != "" && (byID[n.Amends] == nil || n.Amends == n.ID) {
			p.errs = append(p.errs, &DataError{Line: n.Line, Field: fmt.Sprintf("notices[%d].amends", i), Msg: fmt.Sprintf("amends unknown notice %q", n.Amends)})
		}
	}

	byDate := map[Date]*DayEntry{}
	for i, el := range days {
		field := fmt.Sprintf("days[%d]", i)
		e, ok := p.day(el, field)
		if e.Notice != "" {
			if n, known := byID[e.Notice]; !known {
				p.errorf(el.off, field+".notice", "unknown notice %q: not in \"notices\"", e.Notice)
				ok = false
			} else if sp := n.span(); e.Date.Valid() && !allowedIn(n, e.Date) {
				p.errorf(el.off, field+".date", "%s is outside notice %q, which covers %s..%s", e.Date, n.ID, sp.From, sp.To)
				ok = false
			}
		}
		if !e.Date.Valid() {
			continue
		}
		if prev, dup := byDate[e.Date]; dup {
			if (prev.Kind == KindAdjustedWorkday) != (e.Kind == KindAdjustedWorkday) {
				p.errorf(el.off, field+".date", "%s is both a rest day (%s) and a workday (line %d vs %d)", e.Date, kindCode(e.Kind)+"/"+kindCode(prev.Kind), prev.Line, e.Line)
			} else {
				p.errorf(el.off, field+".date", "date %s given twice (first at line %d)", e.Date, prev.Line)
			}
			continue
		}
		byDate[e.Date] = &DayEntry{Kind: e.Kind, Line: e.Line}
		if ok {
			ds.Days = append(ds.Days, e)
		}
	}
	if len(p.errs) > 0 {
		return nil
	}
	sort.Slice(ds.Days, func(i, j int) bool { return ds.Days[i].Date.Before(ds.Days[j].Date) })
	return ds
}

// allowedIn reports whether a notice may list date d: inside its span, or for
// a whole-year notice within yearEdgeSlack days of the year.
func allowedIn(n *Notice, d Date) bool {
	sp := n.span()
	if n.Covers == nil {
		sp.From = sp.From.AddDays(-yearEdgeSlack)
		sp.To = sp.To.AddDays(yearEdgeSlack)
	}
	return sp.Contains(d)
}

func validRegion(s string) bool {
	if s == RegionChina {
		return true
	}
	if !strings.HasPrefix(s, RegionChina+"-") {
		return false
	}
	for _, part := range strings.Split(s[len(RegionChina)+1:], "-") {
		if part == "" {
			return false
		}
		for _, c := range part {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

func (p *parser) notice(el member, field string) (Notice, bool) {
	ms, ok := p.object(el.raw, el.off, field)
	if !ok {
		return Notice{}, false
	}
	n := Notice{Line: p.line(el.off)}
	good := true
	var haveID, haveTitle, havePub, haveYear bool
	for _, m := range ms {
		f := join(field, m.key)
		var ok bool
		switch m.key {
		case "id":
			haveID = true
			n.ID, ok = p.str(m, f)
			if ok && strings.TrimSpace(n.ID) == "" {
				p.errorf(m.off, f, "empty notice id")
				ok = false
			}
		case "title":
			haveTitle = true
			n.Title, ok = p.str(m, f)
		case "published":
			havePub = true
			n.Published, ok = p.date(m, f)
		case "year":
			haveYear = true
			n.Year, ok = p.integer(m, f)
			if ok && (n.Year < minYear || n.Year > maxYear) {
				p.errorf(m.off, f, "year %d out of range %d..%d", n.Year, minYear, maxYear)
				ok = false
			}
		case "url":
			n.URL, ok = p.str(m, f)
		case "amends":
			n.Amends, ok = p.str(m, f)
		case "covers":
			var sp Span
			sp, ok = p.span(m, f)
			if ok {
				n.Covers = &sp
			}
		default:
			p.unknown(m, field)
		}
		if !ok {
			good = false
		}
	}
	for _, req := range []struct {
		have bool
		name string
	}{{haveID, "id"}, {haveTitle, "title"}, {havePub, "published"}, {haveYear, "year"}} {
		if !req.have {
			p.errorf(el.off, join(field, req.name), "missing required field")
			good = false
		}
	}
	return n, good
}

func (p *parser) span(el member, field string) (Span, bool) {
	ms, ok := p.object(el.raw, el.off, field)
	if !ok {
		return Span{}, false
	}
	var sp Span
	var haveFrom, haveTo bool
	good := true
	for _, m := range ms {
		f := join(field, m.key)
		switch m.key {
		case "from":
			haveFrom = true
			var ok bool
			if sp.From, ok = p.date(m, f); !ok {
				good = false
			}
		case "to":
			haveTo = true
			var ok bool
			if sp.To, ok = p.date(m, f); !ok {
				good = false
			}
		default:
			p.unknown(m, field)
			good = false
		}
	}
	if !haveFrom || !haveTo {
		p.errorf(el.off, field, "covers needs both \"from\" and \"to\"")
		return Span{}, false
	}
	if good && sp.To.Before(sp.From) {
		p.errorf(el.off, field, "covers.to %s is before covers.from %s", sp.To, sp.From)
		good = false
	}
	return sp, good
}

func (p *parser) day(el member, field string) (DayEntry, bool) {
	ms, ok := p.object(el.raw, el.off, field)
	if !ok {
		return DayEntry{}, false
	}
	e := DayEntry{Line: p.line(el.off)}
	good := true
	var haveDate, haveKind, haveName, haveNotice bool
	var kindOff int
	for _, m := range ms {
		f := join(field, m.key)
		var ok bool
		switch m.key {
		case "date":
			haveDate = true
			e.Date, ok = p.date(m, f)
		case "kind":
			haveKind = true
			kindOff = m.off
			var s string
			if s, ok = p.str(m, f); ok {
				if e.Kind, ok = parseKindCode(s); !ok {
					p.errorf(m.off, f, "unknown kind %q: want \"holiday\", \"workday\" or \"closure\"", s)
				}
			}
		case "name":
			haveName = true
			e.Name, ok = p.str(m, f)
		case "name_en":
			e.NameEn, ok = p.str(m, f)
		case "notice":
			haveNotice = true
			e.Notice, ok = p.str(m, f)
		default:
			p.unknown(m, field)
			ok = false
		}
		if !ok {
			good = false
		}
	}
	for _, req := range []struct {
		have bool
		name string
	}{{haveDate, "date"}, {haveKind, "kind"}, {haveName, "name"}, {haveNotice, "notice"}} {
		if !req.have {
			p.errorf(el.off, join(field, req.name), "missing required field")
			good = false
		}
	}
	if haveDate && haveKind && e.Date.Valid() && e.Kind == KindAdjustedWorkday {
		if wd := e.Date.Weekday(); wd != time.Saturday && wd != time.Sunday {
			p.errorf(kindOff, field+".kind", "a \"workday\" (调休) must be a Saturday or Sunday; %s is a %s", e.Date, wd)
			good = false
		}
	}
	return e, good
}
