package xlsx

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/assessment"
	"github.com/xuri/excelize/v2"
)

func cards(t *testing.T) ([]*assessment.Scorecard, []assessment.DeductionLine) {
	t.Helper()
	s, err := assessment.VendorScheme()
	if err != nil {
		t.Fatal(err)
	}
	var out []*assessment.Scorecard
	for _, v := range []struct {
		id    string
		avail float64
	}{{"v2", 99.2}, {"v1", 99.97}} {
		c, err := s.Score(assessment.Subject{ID: v.id, Name: "云" + v.id}, assessment.Values{
			assessment.PathAvailability: assessment.Num(v.avail), assessment.PathDrill: assessment.Cat(assessment.DrillDelivered),
			assessment.PathReports: assessment.Num(100)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	assessment.Rank(out)
	credits := assessment.DefaultCreditOptions()
	l, err := credits.Credit("v2", assessment.Availability{Month: assessment.Month{Year: 2026, Month: 4}, Total: 43200, Down: 44}, 1_000_000)
	if err != nil || l == nil {
		t.Fatal(l, err)
	}
	return out, []assessment.DeductionLine{*l}
}

func TestWrite(t *testing.T) {
	cs, ds := cards(t)
	for _, lang := range []string{"zh", "en"} {
		var buf bytes.Buffer
		if err := Write(&buf, cs, ds, Options{Lang: lang}); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		lb := byLang[lang]
		if d := cmp.Diff([]string{lb.summary, lb.detail, lb.credits}, f.GetSheetList()); d != "" {
			t.Errorf("%s sheets:\n%s", lang, d)
		}
		sum, err := f.GetRows(lb.summary)
		if err != nil {
			t.Fatal(err)
		}
		grade := cs[0].Grade.Name
		if lang == "en" {
			grade = cs[0].Grade.NameEn
		}
		if d := cmp.Diff(lb.sumHead, sum[0]); d != "" || len(sum) != 3 || sum[1][0] != "1" || sum[1][1] != "v1" || sum[1][6] != grade {
			t.Errorf("%s summary %q\n%s", lang, sum, d)
		}
		det, err := f.GetRows(lb.detail)
		if err != nil {
			t.Fatal(err)
		}
		if len(det) != 1+len(cs[0].Lines)+len(cs[1].Lines) || det[0][0] != lb.detHead[0] {
			t.Errorf("%s detail: %d rows", lang, len(det))
		}
		if det[1][10] == "" || (lang == "zh") != (det[1][10] == cs[0].Lines[0].Text) {
			t.Errorf("%s explanation %q", lang, det[1][10])
		}
		cr, err := f.GetRows(lb.credits)
		if err != nil {
			t.Fatal(err)
		}
		if len(cr) != 2 || cr[1][8] != "100000" {
			t.Errorf("%s credits %q", lang, cr)
		}
		f.Close()
	}
}

func TestWriteNoDeductions(t *testing.T) {
	cs, _ := cards(t)
	var buf bytes.Buffer
	if err := Write(&buf, cs, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if d := cmp.Diff([]string{"汇总", "明细"}, f.GetSheetList()); d != "" {
		t.Error(d)
	}
}
