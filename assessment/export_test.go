package assessment

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sampleCards(t *testing.T) []*Scorecard {
	t.Helper()
	s, err := VendorScheme()
	if err != nil {
		t.Fatal(err)
	}
	var cards []*Scorecard
	for i, avail := range []float64{99.97, 99.2} {
		c, err := s.Score(Subject{ID: []string{"v1", "v2"}[i], Name: []string{"甲云", "乙云"}[i]}, Values{
			PathAvailability: Num(avail), PathOnTime: Num(96), PathDrill: Cat(DrillDelivered), PathReports: Num(100),
			PathBulletins: Num(100), PathSecurityIncidents: Num(0), PathStabilityIncident: Num(1),
			PathSatisfaction: MissingValue("样本不足", "sample too small"),
		})
		if err != nil {
			t.Fatal(err)
		}
		cards = append(cards, c)
	}
	Rank(cards)
	return cards
}

func TestWriteJSONRoundTrip(t *testing.T) {
	cards := sampleCards(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, cards); err != nil {
		t.Fatal(err)
	}
	var back []*Scorecard
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(cards, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if !strings.Contains(buf.String(), `"text": "可用性 99.97%,达到 ≥99.95% 档`) {
		t.Errorf("JSON lacks the Chinese explanation:\n%.600s", buf.String())
	}
}

func TestWriteCSV(t *testing.T) {
	cards := sampleCards(t)
	for _, lang := range []string{"zh", "en"} {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, cards, CSVOptions{Lang: lang, BOM: lang == "zh"}); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		if lang == "zh" {
			if !bytes.HasPrefix(data, []byte("\uFEFF")) {
				t.Fatal("no BOM")
			}
			data = data[3:]
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(CSVHeader(lang), rows[0]); d != "" {
			t.Errorf("%s header:\n%s", lang, d)
		}
		if got, want := len(rows)-1, len(cards[0].Lines)+len(cards[1].Lines); got != want {
			t.Errorf("%s: %d rows, want %d", lang, got, want)
		}
		// find the availability row of v2
		var row []string
		for _, r := range rows[1:] {
			if r[1] == "v2" && r[7] == PathAvailability {
				row = r
			}
		}
		wantName, wantText, wantGrade := "可用性", "可用性 99.2%,达到 ≥99% 档,得 60 分", cards[1].Grade.Name
		if lang == "en" {
			wantName, wantText, wantGrade = "Availability", "Availability 99.2%, step ≥99%: score 60", cards[1].Grade.NameEn
		}
		if row == nil || row[0] != "2" || row[8] != wantName || row[10] != "99.2" || row[12] != "60.0000" || row[13] != "40%" ||
			!strings.HasPrefix(row[16], wantText) || row[6] != wantGrade {
			t.Errorf("%s: availability row %q", lang, row)
		}
	}
}

func TestWriteDeductionsCSV(t *testing.T) {
	o := DefaultCreditOptions()
	l, err := o.Credit("v1", Availability{Month: Month{2026, 4}, Total: 43200, Down: 44}, 1_234_567)
	if err != nil || l == nil {
		t.Fatal(l, err)
	}
	var buf bytes.Buffer
	if err := WriteDeductionsCSV(&buf, []DeductionLine{*l}, CSVOptions{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"供应商", "月份", "可用性", "可用分钟", "考核分钟", "档位", "低于", "扣减比例", "月费(分)", "扣减金额(分)", "说明"},
		{"v1", "2026-04", "99.8981%", "43156", "43200", "2", "99.9%", "10%", "1234567", "123457",
			"2026-04 可用性 99.8981%,低于 99.9%,按月费 12345.67 元扣减 10%,计 1234.57 元"},
	}
	if d := cmp.Diff(want, rows); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
