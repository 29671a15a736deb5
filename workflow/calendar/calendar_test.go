package calendar

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func loadFile(t testing.TB, path string) *Dataset {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ds, err := Load(f)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	ds.Source = path
	return ds
}

func fixture(t testing.TB, names ...string) (*Calendar, []*Dataset) {
	t.Helper()
	var dss []*Dataset
	for _, n := range names {
		dss = append(dss, loadFile(t, filepath.Join("testdata", n)))
	}
	c, err := New(dss[0], dss[1:]...)
	if err != nil {
		t.Fatalf("New(%v): %v", names, err)
	}
	return c, dss
}

// oracle is a deliberately naive model of a calendar: a map of the days set
// by notices, national first and overlays after, and a loop for everything.
type oracle struct {
	days        map[Date]DayEntry
	first, last Date
}

func newOracle(dss ...*Dataset) oracle {
	o := oracle{days: map[Date]DayEntry{}}
	years := map[int]bool{}
	for _, pass := range []bool{true, false} {
		for _, ds := range dss {
			if (ds.Region == RegionChina) != pass {
				continue
			}
			for _, n := range ds.Notices {
				if ds.Region == RegionChina && n.Covers == nil {
					years[n.Year] = true
				}
			}
			for _, e := range ds.Days {
				o.days[e.Date] = e
			}
		}
	}
	lo, hi := 9999, 0
	for y := range years {
		lo, hi = min(lo, y), max(hi, y)
	}
	o.first, o.last = Date{lo, 1, 1}, Date{hi, 12, 31}
	return o
}

func (o oracle) work(d Date) bool {
	if e, ok := o.days[d]; ok && !d.Before(o.first) && !d.After(o.last) {
		return e.Kind == KindAdjustedWorkday
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

func (o oracle) add(d Date, n int) Date {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		if o.work(d) {
			n--
		}
	}
	return d
}

func (o oracle) between(from, to Date) int {
	n := 0
	if !to.Before(from) {
		for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
			if o.work(d) {
				n++
			}
		}
		return n
	}
	for d := to; d.Before(from); d = d.AddDays(1) {
		if o.work(d) {
			n--
		}
	}
	return n
}

func mustDate(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestIsWorkdayAndDay(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	tests := []struct {
		date string
		want DayInfo
	}{
		{"2025-01-01", DayInfo{Kind: KindHoliday, Name: "元旦", NameEn: "New Year's Day", Notice: "国办发明电〔2024〕12号", Region: "CN"}},
		{"2025-01-02", DayInfo{Kind: KindWorkday, Workday: true}},
		{"2025-01-04", DayInfo{Kind: KindWeekend}},
		{"2025-01-26", DayInfo{Kind: KindAdjustedWorkday, Workday: true, Name: "春节", NameEn: "Spring Festival", Notice: "国办发明电〔2024〕12号", Region: "CN"}},
		{"2025-01-28", DayInfo{Kind: KindHoliday, Name: "春节", NameEn: "Spring Festival", Notice: "国办发明电〔2024〕12号", Region: "CN"}},
		{"2025-02-08", DayInfo{Kind: KindAdjustedWorkday, Workday: true, Name: "春节", NameEn: "Spring Festival", Notice: "国办发明电〔2024〕12号", Region: "CN"}},
		{"2025-10-08", DayInfo{Kind: KindHoliday, Name: "国庆节、中秋节", NameEn: "National Day and Mid-Autumn Festival", Notice: "国办发明电〔2024〕12号", Region: "CN"}},
		{"2025-12-31", DayInfo{Kind: KindWorkday, Workday: true}},
	}
	for _, tc := range tests {
		d := mustDate(t, tc.date)
		tc.want.Date = d
		got, err := c.Day(d)
		if err != nil {
			t.Fatalf("Day(%s): %v", d, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Day(%s) (-want +got):\n%s", d, diff)
		}
		w, err := c.IsWorkday(d)
		if err != nil || w != tc.want.Workday {
			t.Errorf("IsWorkday(%s) = %v, %v; want %v", d, w, err, tc.want.Workday)
		}
	}
}

func TestDayInfoString(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	info, err := c.Day(Date{2025, 1, 28})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.String(), "2025-01-28 节假日 春节（国办发明电〔2024〕12号）"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := info.English(), "2025-01-28 holiday Spring Festival (国办发明电〔2024〕12号)"; got != want {
		t.Errorf("English() = %q, want %q", got, want)
	}
}

func TestAddWorkdaysExamples(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-01-24", 0, "2025-01-24"},
		{"2025-01-24", 1, "2025-01-26"}, // Sunday 调休 working day
		{"2025-01-24", 2, "2025-01-27"},
		{"2025-01-24", 3, "2025-02-05"}, // Spring Festival 28 Jan – 4 Feb skipped
		{"2025-01-28", 1, "2025-02-05"}, // from a holiday
		{"2025-02-05", -1, "2025-01-27"},
		{"2025-02-05", -2, "2025-01-26"},
		{"2025-02-07", 1, "2025-02-08"}, // Saturday 调休
		{"2025-09-30", 1, "2025-10-09"}, // National Day 1–8 Oct
		{"2025-09-26", 1, "2025-09-28"},
		{"2025-10-09", 2, "2025-10-11"},
		{"2025-10-09", -1, "2025-09-30"},
		{"2025-12-30", 1, "2025-12-31"},
	}
	for _, tc := range tests {
		got, err := c.AddWorkdays(mustDate(t, tc.from), tc.n)
		if err != nil {
			t.Errorf("AddWorkdays(%s, %d): %v", tc.from, tc.n, err)
			continue
		}
		if got.String() != tc.want {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
		if n, err := c.WorkdaysBetween(mustDate(t, tc.from), got); err != nil || n != tc.n {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, %v; want %d", tc.from, got, n, err, tc.n)
		}
	}
}

func TestWorkdaysBetweenExamples(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	tests := []struct {
		from, to string
		want     int
	}{
		{"2025-01-01", "2025-12-31", 248}, // 261 weekdays − 18 weekday holidays + 5 调休
		{"2025-01-01", "2025-01-01", 0},
		{"2025-01-27", "2025-02-05", 1},  // (27 Jan, 5 Feb]: 5 Feb only; 28 Jan – 4 Feb are holidays
		{"2025-02-05", "2025-01-27", -1}, // [27 Jan, 5 Feb): 27 Jan only
		{"2025-01-24", "2025-01-27", 2},  // 26 (Sun, 调休), 27
		{"2025-01-27", "2025-01-24", -2}, // 24, 26
		{"2025-10-01", "2025-10-08", 0},  // all holiday
		{"2025-09-30", "2025-10-11", 3},  // 9, 10, 11 (Sat 调休)
		{"2025-10-11", "2025-09-30", -3}, // [30 Sep, 11 Oct): 30 Sep, 9, 10
	}
	for _, tc := range tests {
		got, err := c.WorkdaysBetween(mustDate(t, tc.from), mustDate(t, tc.to))
		if err != nil || got != tc.want {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, %v; want %d", tc.from, tc.to, got, err, tc.want)
		}
	}
}

// TestAgainstOracle compares every answer with the naive model on random
// dates and n across the whole coverage (fixed seed), and checks the inverse
// property WorkdaysBetween(d, AddWorkdays(d, n)) == n.
func TestAgainstOracle(t *testing.T) {
	for _, files := range [][]string{
		{"cn-2025.json"},
		{"cn-2025.json", "cn-2026.json", "overlay-gx-2025.json", "overlay-typhoon-example.json"},
	} {
		c, dss := fixture(t, files...)
		o := newOracle(dss...)
		checkOracle(t, c, o)
	}
	// And the embedded national data, whatever years it holds.
	base, err := Load(bytes.NewReader(chinaData))
	if err != nil {
		t.Fatal(err)
	}
	checkOracle(t, China(), newOracle(base))
}

func checkOracle(t *testing.T, c *Calendar, o oracle) {
	t.Helper()
	first, last := c.Coverage()
	if first != o.first || last != o.last {
		t.Fatalf("Coverage() = %s..%s, want %s..%s", first, last, o.first, o.last)
	}
	for d := first; !d.After(last); d = d.AddDays(1) {
		w, err := c.IsWorkday(d)
		if err != nil || w != o.work(d) {
			t.Fatalf("IsWorkday(%s) = %v, %v; oracle says %v", d, w, err, o.work(d))
		}
	}
	r := rand.New(rand.NewPCG(2025, 12))
	span := int(dayIndex(last) - dayIndex(first))
	for i := 0; i < 3000; i++ {
		d := first.AddDays(r.IntN(span + 1))
		n := r.IntN(601) - 300
		got, err := c.AddWorkdays(d, n)
		want := o.add(d, n)
		if want.Before(first) || want.After(last) {
			if !errors.Is(err, ErrNotCovered) {
				t.Fatalf("AddWorkdays(%s, %d) = %s, %v; want ErrNotCovered (answer %s)", d, n, got, err, want)
			}
			continue
		}
		if err != nil || got != want {
			t.Fatalf("AddWorkdays(%s, %d) = %s, %v; oracle says %s", d, n, got, err, want)
		}
		back, err := c.WorkdaysBetween(d, got)
		if err != nil || back != n {
			t.Fatalf("WorkdaysBetween(%s, AddWorkdays(%s, %d) = %s) = %d, %v", d, d, n, got, back, err)
		}
		e := first.AddDays(r.IntN(span + 1))
		between, err := c.WorkdaysBetween(d, e)
		if err != nil || between != o.between(d, e) {
			t.Fatalf("WorkdaysBetween(%s, %s) = %d, %v; oracle says %d", d, e, between, err, o.between(d, e))
		}
	}
}

func TestDeadline(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name     string
		received string
		n        int
		want     string // RFC 3339 in +08:00
	}{
		// Received Friday 24 Jan; 3 working days: Sun 26 (调休), Mon 27, then Wed 5 Feb after the holiday.
		{"spring festival", "2025-01-24T10:00:00+08:00", 3, "2025-02-06T00:00:00+08:00"},
		// Received on a holiday: the period starts with the next working day.
		{"received on holiday", "2025-01-30T10:00:00+08:00", 1, "2025-02-06T00:00:00+08:00"},
		// Received 30 Sep; 2 working days: 9 and 10 Oct (1–8 Oct are holidays).
		{"national day", "2025-09-30T16:00:00+08:00", 2, "2025-10-11T00:00:00+08:00"},
		// 3 working days from 30 Sep: the third is Saturday 11 Oct, a 调休 working day.
		{"national day 调休", "2025-09-30T16:00:00+08:00", 3, "2025-10-12T00:00:00+08:00"},
		// 17:30 UTC on 31 Jan is 01:30 on Saturday 1 Feb in Beijing: the receipt date is 1 Feb.
		{"utc evening is beijing next day", "2025-01-31T17:30:00Z", 1, "2025-02-06T00:00:00+08:00"},
		// An ordinary week: received Monday, 5 working days end Monday next week.
		{"ordinary", "2025-03-10T09:00:00+08:00", 5, "2025-03-18T00:00:00+08:00"},
	}
	for _, tc := range tests {
		got, err := c.Deadline(at(tc.received), tc.n)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if want := at(tc.want); !got.Equal(want) {
			t.Errorf("%s: Deadline(%s, %d) = %v, want %v", tc.name, tc.received, tc.n, got, want)
		}
		if got.Location().String() != "CST" {
			t.Errorf("%s: deadline zone %v, want CST", tc.name, got.Location())
		}
		// On time iff Before(deadline): one nanosecond before is on time, the deadline itself is late.
		if !got.Add(-1).Before(got) || got.Before(got) {
			t.Errorf("%s: Before semantics broken", tc.name)
		}
	}
	for _, n := range []int{0, -1} {
		_, err := c.Deadline(at("2025-03-10T09:00:00+08:00"), n)
		var ae *ArgumentError
		if !errors.Is(err, ErrInvalidArgument) || !errors.As(err, &ae) || ae.Arg != "n" {
			t.Errorf("Deadline(n=%d) = %v, want ArgumentError on n", n, err)
		}
	}
}

func TestNotCovered(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	first, last := c.Coverage()
	if first != (Date{2025, 1, 1}) || last != (Date{2025, 12, 31}) {
		t.Fatalf("Coverage() = %s, %s", first, last)
	}
	want := func(name string, err error, date Date, answer bool) {
		t.Helper()
		if !errors.Is(err, ErrNotCovered) {
			t.Errorf("%s: err = %v, want ErrNotCovered", name, err)
			return
		}
		var nc *NotCoveredError
		if !errors.As(err, &nc) {
			t.Errorf("%s: %T is not a *NotCoveredError", name, err)
			return
		}
		if diff := cmp.Diff(NotCoveredError{Date: date, First: first, Last: last, Answer: answer}, *nc); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	before, after := Date{2024, 12, 31}, Date{2026, 1, 1}
	_, err := c.IsWorkday(before)
	want("IsWorkday before", err, before, false)
	_, err = c.IsWorkday(after)
	want("IsWorkday after", err, after, false)
	_, err = c.Day(after)
	want("Day after", err, after, false)
	_, err = c.AddWorkdays(before, 1)
	want("AddWorkdays from before", err, before, false)
	_, err = c.AddWorkdays(Date{2025, 12, 31}, 1)
	want("AddWorkdays past the end", err, after, true)
	_, err = c.AddWorkdays(Date{2025, 1, 2}, -1)
	want("AddWorkdays past the start", err, before, true)
	_, err = c.AddWorkdays(Date{2025, 6, 1}, 1<<40)
	want("AddWorkdays huge n", err, after, true)
	_, err = c.WorkdaysBetween(Date{2025, 6, 1}, after)
	want("WorkdaysBetween to", err, after, false)
	_, err = c.WorkdaysBetween(before, Date{2025, 6, 1})
	want("WorkdaysBetween from", err, before, false)
	_, err = c.Deadline(time.Date(2025, 12, 30, 10, 0, 0, 0, beijing), 2)
	want("Deadline past the end", err, after, true)
	_, err = c.Deadline(time.Date(2024, 12, 31, 16, 0, 0, 0, time.UTC), 1) // 2025-01-01 00:00 Beijing
	if err != nil {
		t.Errorf("Deadline at the first covered instant: %v", err)
	}
	_, err = c.Deadline(time.Date(2024, 12, 31, 15, 59, 59, 0, time.UTC), 1) // still 2024 in Beijing
	want("Deadline received before", err, before, false)
	if msg := (&NotCoveredError{Date: after, First: first, Last: last}).Error(); msg == "" {
		t.Error("empty message")
	}
}

func TestInvalidDateArgument(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	const maxInt = int(^uint(0) >> 1)
	for _, d := range []Date{{}, {2025, 2, 29}, {2025, 13, 1}, {2025, 0, 1}, {10000, 1, 1},
		{maxInt, 1, 1}, {-maxInt - 1, 1, 1}, {2025, 1, 1<<32 + 5}, {2025, 1, -1 << 40}, {2025, 1 << 40, 1}} {
		if _, err := c.IsWorkday(d); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("IsWorkday(%v) = %v, want ErrInvalidArgument", d, err)
		}
		if _, err := c.AddWorkdays(d, 1); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("AddWorkdays(%v) = %v, want ErrInvalidArgument", d, err)
		}
		if _, err := c.WorkdaysBetween(Date{2025, 6, 1}, d); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("WorkdaysBetween(.., %v) = %v, want ErrInvalidArgument", d, err)
		}
		if _, err := c.Day(d); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Day(%v) = %v, want ErrInvalidArgument", d, err)
		}
		if _, _, err := c.WithProvisional().AddWorkdays(d, 1); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("provisional AddWorkdays(%v) = %v, want ErrInvalidArgument", d, err)
		}
	}
}

func TestProvisional(t *testing.T) {
	c, dss := fixture(t, "cn-2025.json")
	p := c.WithProvisional()
	if p.Calendar() != c {
		t.Fatal("Calendar() is not the strict calendar")
	}
	// Inside the coverage: same answers, official basis.
	d, b, err := p.AddWorkdays(Date{2025, 1, 24}, 3)
	if err != nil || d != (Date{2025, 2, 5}) || b != BasisOfficial {
		t.Errorf("inside: %s, %v, %v", d, b, err)
	}
	// Across the end: 2025-12-31 is a Wednesday; 2026 assumed Monday–Friday (so 1 Jan 2026 counts, though the real notice makes it a holiday).
	d, b, err = p.AddWorkdays(Date{2025, 12, 31}, 3)
	if err != nil || d != (Date{2026, 1, 5}) || b != BasisProvisional {
		t.Errorf("after end: %s, %v, %v; want 2026-01-05 provisional", d, b, err)
	}
	// Across the start, backwards: 2024-12-31 is a Tuesday.
	d, b, err = p.AddWorkdays(Date{2025, 1, 2}, -2)
	if err != nil || d != (Date{2024, 12, 30}) || b != BasisProvisional {
		t.Errorf("before start: %s, %v, %v", d, b, err)
	}
	w, b, err := p.IsWorkday(Date{2026, 1, 1})
	if err != nil || !w || b != BasisProvisional {
		t.Errorf("IsWorkday(2026-01-01) = %v, %v, %v", w, b, err)
	}
	info, b, err := p.Day(Date{2026, 1, 3})
	if err != nil || info.Kind != KindWeekend || b != BasisProvisional {
		t.Errorf("Day(2026-01-03) = %+v, %v, %v", info, b, err)
	}
	n, b, err := p.WorkdaysBetween(Date{2025, 12, 30}, Date{2026, 1, 9})
	if err != nil || n != 8 || b != BasisProvisional {
		t.Errorf("WorkdaysBetween = %d, %v, %v; want 8 provisional", n, b, err)
	}
	dl, b, err := p.Deadline(time.Date(2025, 12, 31, 10, 0, 0, 0, beijing), 1)
	if err != nil || !dl.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, beijing)) || b != BasisProvisional {
		t.Errorf("Deadline = %v, %v, %v", dl, b, err)
	}
	dl, b, err = p.Deadline(time.Date(2025, 12, 29, 10, 0, 0, 0, beijing), 2)
	if err != nil || !dl.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, beijing)) || b != BasisOfficial {
		t.Errorf("Deadline ending on the last covered day = %v, %v, %v; want official", dl, b, err)
	}
	// The strict calendar still refuses.
	if _, err := c.IsWorkday(Date{2026, 1, 1}); !errors.Is(err, ErrNotCovered) {
		t.Errorf("strict IsWorkday(2026-01-01) = %v", err)
	}
	// Property: provisional answers agree with an oracle that treats uncovered days as Monday–Friday,
	// and the inverse property holds across the coverage edges.
	o := newOracle(dss...)
	r := rand.New(rand.NewPCG(7, 7))
	start := Date{2023, 6, 1}
	for i := 0; i < 2000; i++ {
		d := start.AddDays(r.IntN(1200))
		n := r.IntN(801) - 400
		got, b, err := p.AddWorkdays(d, n)
		if err != nil || got != o.add(d, n) {
			t.Fatalf("provisional AddWorkdays(%s, %d) = %s, %v; oracle %s", d, n, got, err, o.add(d, n))
		}
		inside := func(x Date) bool { return !x.Before(o.first) && !x.After(o.last) }
		if wantB := basis(!inside(d) || !inside(got)); b != wantB {
			t.Fatalf("provisional AddWorkdays(%s, %d) basis %v, want %v", d, n, b, wantB)
		}
		back, _, err := p.WorkdaysBetween(d, got)
		if err != nil || back != n {
			t.Fatalf("provisional WorkdaysBetween(%s, %s) = %d, %v; want %d", d, got, back, err, n)
		}
	}
	// Out of the representable range.
	if _, _, err := p.AddWorkdays(Date{9999, 12, 30}, 5); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("AddWorkdays past 9999: %v", err)
	}
	if _, _, err := p.AddWorkdays(Date{2025, 1, 1}, 1<<40); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("AddWorkdays huge n: %v", err)
	}
	if BasisProvisional.String() != "临时推定" || BasisOfficial.English() != "official" {
		t.Error("Basis labels")
	}
}

func TestNextYearNotice(t *testing.T) {
	c2025, _ := fixture(t, "cn-2025.json")
	next := loadFile(t, "testdata/cn-2026.json")
	c, err := c2025.With(next)
	if err != nil {
		t.Fatal(err)
	}
	if _, last := c.Coverage(); last != (Date{2026, 12, 31}) {
		t.Errorf("coverage ends %s, want 2026-12-31", last)
	}
	if _, last := c2025.Coverage(); last != (Date{2025, 12, 31}) {
		t.Errorf("With changed the original calendar: %s", last)
	}
	// 2025-12-31 + 1 working day: 1–3 Jan 2026 are holidays, 4 Jan (Sunday) is a 调休 working day.
	if d, err := c.AddWorkdays(Date{2025, 12, 31}, 1); err != nil || d != (Date{2026, 1, 4}) {
		t.Errorf("AddWorkdays across New Year = %s, %v; want 2026-01-04", d, err)
	}
	// Loading the same notice again is a no-op.
	again, err := c.With(loadFile(t, "testdata/cn-2026.json"))
	if err != nil {
		t.Fatalf("reloading the same notice: %v", err)
	}
	if n, _ := again.WorkdaysBetween(Date{2025, 1, 1}, Date{2026, 12, 31}); n != 248+mustCount(t, c, 2026) {
		t.Errorf("reloaded calendar counts %d", n)
	}
	// A different notice for an arranged year is refused.
	changed := loadFile(t, "testdata/cn-2026.json")
	changed.Days = changed.Days[1:]
	if _, err := c.With(changed); !errors.Is(err, ErrInvalidData) {
		t.Errorf("conflicting reload: %v", err)
	}
	other := loadFile(t, "testdata/cn-2026.json")
	other.Notices[0].ID = "另一个通知"
	for i := range other.Days {
		other.Days[i].Notice = "另一个通知"
	}
	if _, err := c.With(other); !errors.Is(err, ErrInvalidData) {
		t.Errorf("second whole-year notice for 2026: %v", err)
	}
}

func mustCount(t *testing.T, c *Calendar, year int) int {
	t.Helper()
	n, err := c.WorkdaysBetween(Date{year - 1, 12, 31}, Date{year, 12, 31})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNewErrors(t *testing.T) {
	d2025 := loadFile(t, "testdata/cn-2025.json")
	gx := loadFile(t, "testdata/overlay-gx-2025.json")
	gap := loadFile(t, "testdata/cn-2026.json")
	gap.Notices[0].Year = 2027
	for i := range gap.Days {
		gap.Days[i].Date.Year = 2027 // weekdays shift, so drop the 调休 days
	}
	var kept []DayEntry
	for _, e := range gap.Days {
		if e.Kind != KindAdjustedWorkday {
			kept = append(kept, e)
		}
	}
	gap.Days = kept
	amendOutside := &Dataset{Schema: 1, Region: "CN", Notices: []Notice{{ID: "A", Title: "amend", Year: 2026, Covers: &Span{Date{2026, 1, 1}, Date{2026, 1, 2}}}}}
	badWorkday := &Dataset{Schema: 1, Region: "CN", Notices: []Notice{{ID: "B", Title: "b", Year: 2025}},
		Days: []DayEntry{{Date: Date{2025, 3, 3}, Kind: KindAdjustedWorkday, Name: "x", Notice: "B"}, {Date: Date{2025, 3, 4}, Kind: KindHoliday, Notice: "nope"}}}
	tests := []struct {
		name  string
		base  *Dataset
		more  []*Dataset
		field []string // fields of the DataErrors, in order
	}{
		{"nil base", nil, nil, []string{""}},
		{"overlay as base", gx, nil, []string{"region"}},
		{"gap year", d2025, []*Dataset{gap}, []string{"notices.year"}},
		{"amendment outside coverage", d2025, []*Dataset{amendOutside}, []string{"notices.covers"}},
		{"hand-built dataset checked", d2025, []*Dataset{badWorkday}, []string{"notices[1].id", "days[0].kind", "days[1].notice"}},
		{"no national year", &Dataset{Schema: 1, Region: "CN"}, nil, []string{"notices"}},
		{"bad schema", &Dataset{Schema: 2, Region: "CN"}, nil, []string{"schema"}},
	}
	badWorkday.Notices = append(badWorkday.Notices, Notice{ID: "B", Title: "dup", Year: 2025}) // notices[1]: duplicate id
	for _, tc := range tests {
		_, err := New(tc.base, tc.more...)
		if !errors.Is(err, ErrInvalidData) {
			t.Errorf("%s: err = %v, want ErrInvalidData", tc.name, err)
			continue
		}
		var des DataErrors
		if !errors.As(err, &des) {
			t.Errorf("%s: %T is not DataErrors", tc.name, err)
			continue
		}
		var fields []string
		for _, de := range des {
			fields = append(fields, de.Field)
		}
		if diff := cmp.Diff(tc.field, fields); diff != "" {
			t.Errorf("%s: fields (-want +got):\n%s\n%v", tc.name, diff, err)
		}
	}
}

func TestOverlays(t *testing.T) {
	national, _ := fixture(t, "cn-2025.json")
	gx, err := national.With(loadFile(t, "testdata/overlay-gx-2025.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Guangxi: 31 March and 1 April 2025 are rest days; nationally they are working days.
	for _, d := range []Date{{2025, 3, 31}, {2025, 4, 1}} {
		if w, _ := national.IsWorkday(d); !w {
			t.Errorf("national %s should be a working day", d)
		}
		info, err := gx.Day(d)
		if err != nil || info.Workday || info.Kind != KindHoliday || info.Region != "CN-GX" || info.Name != "壮族三月三" {
			t.Errorf("Guangxi Day(%s) = %+v, %v", d, info, err)
		}
	}
	// Friday 28 March + 1 working day: nationally Monday 31 March, in Guangxi Wednesday 2 April.
	if d, _ := national.AddWorkdays(Date{2025, 3, 28}, 1); d != (Date{2025, 3, 31}) {
		t.Errorf("national: %s", d)
	}
	if d, _ := gx.AddWorkdays(Date{2025, 3, 28}, 1); d != (Date{2025, 4, 2}) {
		t.Errorf("Guangxi: %s", d)
	}
	// Coverage is not extended by an overlay.
	if f, l := gx.Coverage(); f != (Date{2025, 1, 1}) || l != (Date{2025, 12, 31}) {
		t.Errorf("overlay changed coverage: %s..%s", f, l)
	}
	// A typhoon closure on top of both.
	both, err := gx.With(loadFile(t, "testdata/overlay-typhoon-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := both.Day(Date{2025, 7, 30})
	if info.Kind != KindClosure || info.Workday || info.Region != "CN-ZJ-Wenzhou" {
		t.Errorf("closure: %+v", info)
	}
	if n, _ := both.WorkdaysBetween(Date{2025, 7, 29}, Date{2025, 7, 31}); n != 1 {
		t.Errorf("WorkdaysBetween across the closure = %d, want 1", n)
	}
	// An overlay day outside the national coverage extends nothing, and takes effect once the year is covered.
	out := loadFile(t, "testdata/overlay-gx-2025.json")
	out.Notices[0].Year, out.Notices[0].Covers = 2026, &Span{Date{2026, 4, 20}, Date{2026, 4, 20}}
	out.Days = []DayEntry{{Date: Date{2026, 4, 20}, Kind: KindHoliday, Name: "壮族三月三", Notice: out.Notices[0].ID}}
	c, err := national.With(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, l := c.Coverage(); l != (Date{2025, 12, 31}) {
		t.Errorf("overlay extended coverage to %s", l)
	}
	c, err = c.With(loadFile(t, "testdata/cn-2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := c.Day(Date{2026, 4, 20}); info.Kind != KindHoliday || info.Region != "CN-GX" {
		t.Errorf("overlay day after the national year was loaded: %+v", info)
	}
}

func TestNotices(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json", "cn-2026.json", "overlay-gx-2025.json")
	var ids []string
	for _, n := range c.Notices() {
		ids = append(ids, n.ID)
	}
	want := []string{"国办发明电〔2024〕12号", "广西2025年三月三放假通知", "国办发明电〔2025〕7号"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("Notices() (-want +got):\n%s", diff)
	}
	n, ok := c.Notice("国办发明电〔2024〕12号")
	if !ok || n.Published != (Date{2024, 11, 12}) || n.Year != 2025 {
		t.Errorf("Notice() = %+v, %v", n, ok)
	}
}

func TestChinaEmbedded(t *testing.T) {
	c := China()
	if c != China() {
		t.Error("China() built twice")
	}
	first, last := c.Coverage()
	if first.Month != time.January || first.Day != 1 || last.Month != time.December || last.Day != 31 {
		t.Errorf("coverage %s..%s is not whole years", first, last)
	}
	if first.After(Date{2025, 1, 1}) || last.Before(Date{2025, 12, 31}) {
		t.Errorf("coverage %s..%s does not include 2025", first, last)
	}
}

func TestCoverageWarning(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, beijing) }
	if err := c.CoverageWarning(at(2025, 6, 1), RecommendedWarningHorizon); err != nil {
		t.Errorf("June: %v", err)
	}
	if err := c.CoverageWarning(at(2025, 11, 1), 60); err != nil {
		t.Errorf("1 Nov with 60 days: 60 days left, want nil, got %v", err)
	}
	err := c.CoverageWarning(at(2025, 11, 26), 60)
	var w *CoverageWarningError
	if !errors.Is(err, ErrCoverageEnding) || !errors.As(err, &w) {
		t.Fatalf("26 Nov: %v", err)
	}
	if diff := cmp.Diff(CoverageWarningError{Today: Date{2025, 11, 26}, Last: Date{2025, 12, 31}, DaysLeft: 35, Horizon: 60, NextYear: 2026}, *w); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if msg := err.Error(); !contains(msg, "35") || !contains(msg, "2026") || !contains(msg, "2025-12-31") {
		t.Errorf("message %q", msg)
	}
	// 2025-12-31T16:30Z is already 2026-01-01 in Beijing: coverage has ended.
	err = c.CoverageWarning(time.Date(2025, 12, 31, 16, 30, 0, 0, time.UTC), 0)
	if !errors.As(err, &w) || w.DaysLeft != -1 || !contains(err.Error(), "ended") {
		t.Errorf("after the end: %v", err)
	}
	if err := c.CoverageWarning(at(2025, 12, 31), 0); err != nil {
		t.Errorf("last day, horizon 0: %v", err)
	}
	if err := c.CoverageWarning(at(2025, 1, 1), -1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("negative horizon: %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestZeroAllocs(t *testing.T) {
	c, _ := fixture(t, "cn-2025.json")
	d := Date{2025, 3, 14}
	e := Date{2025, 11, 3}
	recv := time.Date(2025, 9, 30, 10, 0, 0, 0, time.UTC)
	h := StandardOfficeHours()
	p := c.WithProvisional()
	var sink int
	allocs := testing.AllocsPerRun(200, func() {
		w, _ := c.IsWorkday(d)
		x, _ := c.AddWorkdays(d, 150)
		y, _ := c.AddWorkdays(e, -150)
		n, _ := c.WorkdaysBetween(d, e)
		m, _ := c.WorkdaysBetween(e, d)
		info, _ := c.Day(Date{2025, 10, 1})
		dl, _ := c.Deadline(recv, 20)
		wt, _ := c.WorkingTime(recv, recv.Add(100*time.Hour), h)
		at, _ := c.AddWorkingTime(recv, 30*time.Hour, h)
		z, _, _ := p.AddWorkdays(Date{2025, 12, 20}, 30)
		if w {
			sink++
		}
		sink += x.Day + y.Day + n + m + len(info.Name) + dl.Day() + int(wt) + at.Day() + z.Day
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v, want 0", allocs)
	}
	_ = sink
}

func TestConcurrentUse(t *testing.T) {
	c := China()
	first, last := c.Coverage()
	span := int(dayIndex(last) - dayIndex(first))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 1))
			for i := 0; i < 2000; i++ {
				d := first.AddDays(r.IntN(span + 1))
				n := r.IntN(41) - 20
				x, err := c.AddWorkdays(d, n)
				if errors.Is(err, ErrNotCovered) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if back, err := c.WorkdaysBetween(d, x); err != nil || back != n {
					errs <- errors.New("inverse property broken under concurrency")
					return
				}
				if i == 0 {
					if _, err := c.With(); err != nil { // rebuilding from a shared calendar is safe too
						errs <- err
						return
					}
				}
			}
		}(uint64(g))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDatasets(t *testing.T) {
	c, dss := fixture(t, "cn-2025.json", "overlay-gx-2025.json")
	got := c.Datasets()
	if diff := cmp.Diff(dss, got); diff != "" {
		t.Errorf("Datasets() (-want +got):\n%s", diff)
	}
	got[0].Days[0].Kind = KindAdjustedWorkday
	got[1].Notices[0].Covers.From = Date{2000, 1, 1}
	if again := c.Datasets(); cmp.Diff(dss, again) != "" {
		t.Error("changing the result of Datasets changed the calendar's copy")
	}
	if info, _ := c.Day(Date{2025, 1, 1}); info.Kind != KindHoliday {
		t.Errorf("calendar changed: %+v", info)
	}
}
