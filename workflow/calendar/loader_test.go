package calendar

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// problem is the part of a DataError a table compares.
type problem struct {
	Line  int
	Field string
	Msg   string // a substring of the message
}

func TestLoadValidation(t *testing.T) {
	const head = `{
  "schema": 1,
  "region": "CN",
  "notices": [
    {"id": "N1", "title": "t", "published": "2024-11-12", "year": 2025}
  ],
  "days": [
`
	// head ends on line 7; the first day is on line 8.
	tests := []struct {
		name string
		in   string
		want []problem
	}{
		{
			name: "every problem reported with its line",
			in: head + `    {"date": "2025-01-01", "kind": "holiday", "name": "元旦", "notice": "N1"},
    {"date": "2025-01-01", "kind": "holiday", "name": "元旦", "notice": "N1"},
    {"date": "2025-13-01", "kind": "holiday", "name": "x", "notice": "N1"},
    {"date": "2025-01-02", "kind": "holidy", "name": "x", "notice": "N1"},
    {"date": "2025-01-06", "kind": "workday", "name": "x", "notice": "N1"},
    {"date": "2025-01-07", "kind": "holiday", "name": "x", "notice": "N9"},
    {"date": "2025-01-08", "kind": "holiday", "name": "x", "notice": "N1", "colour": "red"},
    {"date": "2025-01-26", "kind": "workday", "name": "春节", "notice": "N1"},
    {"date": "2025-01-26", "kind": "holiday", "name": "春节", "notice": "N1"}
  ]
}
`,
			want: []problem{
				{9, "days[1].date", "given twice (first at line 8)"},
				{10, "days[2].date", "bad date"},
				{11, "days[3].kind", "unknown kind"},
				{12, "days[4].kind", "must be a Saturday or Sunday"},
				{13, "days[5].notice", "unknown notice"},
				{14, "days[6].colour", "unknown field"},
				{16, "days[8].date", "both a rest day"},
			},
		},
		{
			name: "top level",
			in: `{
  "schema": 2,
  "region": "China",
  "notices": [],
  "days": [],
  "extra": true
}`,
			want: []problem{
				{2, "schema", "unsupported schema 2"},
				{3, "region", "bad region"},
				{6, "extra", "unknown field"},
			},
		},
		{
			name: "missing fields",
			in: `{"schema": 1,
"region": "CN",
"notices": [
  {"id": "N1", "title": "t", "year": 2025, "covers": {"from": "2025-02-01"}},
  {"id": "N1", "title": "t", "published": "2024-11-12", "year": 2025}
],
"days": [
  {"date": "2025-01-01", "kind": "holiday"}
]}`,
			want: []problem{
				{4, "notices[0].covers", "needs both"},
				{4, "notices[0].published", "missing required field"},
				{5, "notices[1].id", "listed twice"},
				{8, "days[0].name", "missing required field"},
				{8, "days[0].notice", "missing required field"},
			},
		},
		{
			name: "wrong JSON types",
			in: `{"schema": "1", "region": "CN", "notices": {}, "days": [
  {"date": 20250101, "kind": "holiday", "name": "x", "notice": "N1"},
  "2025-01-01"
]}`,
			want: []problem{
				{1, "schema", "must be an integer"},
				{1, "notices", "must be an array"},
				{2, "days[0].date", "must be a string"},
				{2, "days[0].notice", "unknown notice"},
				{3, "days[1]", "must be an object"},
			},
		},
		{
			name: "day outside its notice",
			in: head + `    {"date": "2024-12-31", "kind": "holiday", "name": "元旦", "notice": "N1"},
    {"date": "2024-12-01", "kind": "holiday", "name": "x", "notice": "N1"},
    {"date": "2026-01-07", "kind": "holiday", "name": "x", "notice": "N1"},
    {"date": "2026-01-08", "kind": "holiday", "name": "x", "notice": "N1"}
  ]
}`,
			want: []problem{
				{9, "days[1].date", "outside notice"},
				{11, "days[3].date", "outside notice"},
			},
		},
		{
			name: "syntax error",
			in:   "{\n  \"schema\": 1,\n  \"region\": \"CN\",\n  \"notices\": [,]\n}",
			want: []problem{{4, "", "JSON syntax"}},
		},
		{
			name: "not an object",
			in:   "\n\n[1, 2]",
			want: []problem{{3, "", "must be an object"}},
		},
		{
			name: "trailing data",
			in:   `{"schema": 1} {}`,
			want: []problem{{1, "", "JSON syntax"}},
		},
		{
			name: "empty",
			in:   "",
			want: []problem{{1, "", "JSON syntax"}},
		},
		{
			name: "duplicate key and amends",
			in: `{"schema": 1, "schema": 1, "region": "CN", "days": [],
"notices": [{"id": "A", "title": "t", "published": "2025-01-01", "year": 2025, "amends": "Z"}]}`,
			want: []problem{
				{1, "schema", "given twice"},
				{2, "notices[0].amends", "unknown notice"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := Load(strings.NewReader(tc.in))
			if ds != nil {
				t.Errorf("Load returned a dataset with an error")
			}
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("err = %v, want ErrInvalidData", err)
			}
			var first *DataError
			if !errors.As(err, &first) {
				t.Fatalf("errors.As(*DataError) failed for %T", err)
			}
			var des DataErrors
			if !errors.As(err, &des) {
				t.Fatalf("errors.As(DataErrors) failed for %T", err)
			}
			var got []problem
			for i, de := range des {
				p := problem{Line: de.Line, Field: de.Field, Msg: de.Msg}
				if i < len(tc.want) && strings.Contains(de.Msg, tc.want[i].Msg) {
					p.Msg = tc.want[i].Msg
				}
				got = append(got, p)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nfull error:\n%v", diff, err)
			}
		})
	}
}

func TestLoadGood(t *testing.T) {
	in := `{
  "schema": 1,
  "region": "CN-GX",
  "notices": [
    {"id": "G", "title": "广西", "published": "2025-02-26", "year": 2025, "url": "https://example.invalid/g",
     "covers": {"from": "2025-03-31", "to": "2025-04-01"}}
  ],
  "days": [
    {"date": "2025-04-01", "kind": "holiday", "name": "壮族三月三", "name_en": "Sanyuesan", "notice": "G"},
    {"date": "2025-03-31", "kind": "closure", "name": "壮族三月三", "notice": "G"}
  ]
}`
	ds, err := Load(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Dataset{
		Schema: 1,
		Region: "CN-GX",
		Notices: []Notice{{ID: "G", Title: "广西", Published: Date{2025, time.February, 26}, Year: 2025,
			URL: "https://example.invalid/g", Covers: &Span{Date{2025, 3, 31}, Date{2025, 4, 1}}, Line: 5}},
		Days: []DayEntry{ // sorted by date
			{Date: Date{2025, 3, 31}, Kind: KindClosure, Name: "壮族三月三", Notice: "G", Line: 10},
			{Date: Date{2025, 4, 1}, Kind: KindHoliday, Name: "壮族三月三", NameEn: "Sanyuesan", Notice: "G", Line: 9},
		},
	}
	if diff := cmp.Diff(want, ds); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDataErrorMessages(t *testing.T) {
	e := &DataError{Source: "cn.json", Line: 12, Field: "days[3].kind", Msg: "unknown kind"}
	if got, want := e.Error(), "calendar: cn.json:line 12: days[3].kind: unknown kind"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	es := DataErrors{e, {Line: 13, Msg: "x"}}
	if got := es.Error(); !strings.Contains(got, "2 problems") || !strings.Contains(got, "line 13: x") {
		t.Errorf("DataErrors.Error() = %q", got)
	}
}

func TestLoadTooLarge(t *testing.T) {
	big := strings.NewReader(`{"schema": 1, "x": "` + strings.Repeat("a", maxDataSize) + `"}`)
	if _, err := Load(big); !errors.Is(err, ErrInvalidData) {
		t.Errorf("err = %v", err)
	}
}

// FuzzLoad: Load never panics, reports only located problems, and whatever it
// accepts builds a consistent calendar when it is national.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"testdata/cn-2025.json", "testdata/overlay-gx-2025.json", "testdata/overlay-typhoon-example.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema":1,"region":"CN","notices":[{"id":"a","title":"t","published":"2024-01-01","year":2025}],"days":[{"date":"2025-01-04","kind":"workday","name":"n","notice":"a"}]}`))
	f.Add([]byte(`{"schema":1,"region":"CN","notices":[],"days":[{"date":"2025-02-30"}]}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"days":[{"date":1,"date":2}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := Load(strings.NewReader(string(data)))
		if err != nil {
			if ds != nil {
				t.Fatal("dataset with error")
			}
			var des DataErrors
			if !errors.As(err, &des) || len(des) == 0 {
				t.Fatalf("error %T is not a non-empty DataErrors: %v", err, err)
			}
			lines := strings.Count(string(data), "\n") + 1
			for _, de := range des {
				if de.Line < 1 || de.Line > lines {
					t.Fatalf("line %d outside 1..%d: %v", de.Line, lines, de)
				}
			}
			return
		}
		for _, e := range ds.Days {
			if !e.Date.Valid() {
				t.Fatalf("accepted invalid date %v", e.Date)
			}
			if e.Kind == KindAdjustedWorkday && e.Date.Weekday() != time.Saturday && e.Date.Weekday() != time.Sunday {
				t.Fatalf("accepted a weekday 调休 %v", e.Date)
			}
		}
		if ds.Region != RegionChina {
			return
		}
		c, err := New(ds)
		if err != nil {
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("New: %v", err)
			}
			return
		}
		first, last := c.Coverage()
		if last.Year-first.Year > 50 {
			return // keep the check cheap
		}
		for d := first; !d.After(last); d = d.AddDays(1) {
			w, err := c.IsWorkday(d)
			if err != nil {
				t.Fatal(err)
			}
			x, err := c.AddWorkdays(d, 1)
			if err == nil {
				if n, _ := c.WorkdaysBetween(d, x); n != 1 {
					t.Fatalf("WorkdaysBetween(%v, %v) = %d", d, x, n)
				}
			}
			_ = w
		}
	})
}
