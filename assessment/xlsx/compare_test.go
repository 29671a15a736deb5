package xlsx

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/opengovcloud/govcloud/assessment"
)

func comparison(t *testing.T) *assessment.Comparison {
	t.Helper()
	s, err := assessment.VendorScheme()
	if err != nil {
		t.Fatal(err)
	}
	run := func(id string, p assessment.Period, avail map[string]float64) *assessment.Run {
		var in []assessment.Input
		for _, v := range []string{"v1", "v2", "v3"} {
			if a, ok := avail[v]; ok {
				in = append(in, assessment.Input{Subject: assessment.Subject{ID: v, Name: "云" + v}, Values: assessment.Values{
					assessment.PathAvailability: assessment.Num(a), assessment.PathDrill: assessment.Cat(assessment.DrillDelivered)}})
			}
		}
		r, err := assessment.NewRun(assessment.RunSpec{ID: id, Kind: assessment.SubjectVendor, Period: p, Scheme: s, Inputs: in,
			ScoredAt: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	from := run("q1", assessment.QuarterPeriod(2026, 1), map[string]float64{"v1": 99.95, "v2": 99.5})
	to := run("q2", assessment.QuarterPeriod(2026, 2), map[string]float64{"v1": 99.6, "v3": 99.99})
	c, err := assessment.Compare(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWriteComparison(t *testing.T) {
	cs, _ := cards(t)
	c := comparison(t)
	for _, lang := range []string{"zh", "en"} {
		var buf bytes.Buffer
		if err := Write(&buf, cs, nil, Options{Lang: lang, Comparison: c}); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		lb := byLang[lang]
		if d := cmp.Diff([]string{lb.summary, lb.detail, comparisonSheet[lang]}, f.GetSheetList()); d != "" {
			t.Errorf("%s sheets:\n%s", lang, d)
		}
		got, err := f.GetRows(comparisonSheet[lang])
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := append([][]string{assessment.ComparisonHeader(lang)}, assessment.ComparisonRows(c, lang)...)
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", lang, len(got), len(want))
		}
		// Text cells are equal; numeric cells are equal as numbers (the CSV
		// form has 4 decimals, the sheet holds the number).
		for i := range want {
			for j := range want[i] {
				g := ""
				if j < len(got[i]) {
					g = got[i][j]
				}
				w := want[i][j]
				wf, err1 := strconv.ParseFloat(w, 64)
				gf, err2 := strconv.ParseFloat(g, 64)
				if err1 == nil && err2 == nil && wf-gf < 5e-5 && gf-wf < 5e-5 {
					continue
				}
				if g != w {
					t.Errorf("%s row %d col %d (%s): %q, want %q", lang, i+1, j+1, want[0][j], g, w)
				}
			}
		}
	}
}
