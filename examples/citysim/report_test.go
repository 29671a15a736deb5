package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// TestReportHTML runs a small scenario twice: report.html is byte-identical,
// self-contained, has one <svg> per chart and the Chinese headings.
func TestReportHTML(t *testing.T) {
	t.Parallel()
	sc := writeScenario(t, `{"name": "test", "departments": 8, "applications": 40}`)
	read := func() []byte {
		dir := t.TempDir()
		runOut(t, "-scenario", sc, "-seed", "5", "-out", dir)
		b, err := os.ReadFile(filepath.Join(dir, ReportFile))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := read(), read()
	if !bytes.Equal(a, b) {
		t.Fatalf("same seed, different report.html (%d vs %d bytes):\n%s", len(a), len(b), cmp.Diff(string(a), string(b)))
	}
	page := string(a)
	headings := []string{"各状态使用申请数", "各环节按期办结率", "各单位年度配额使用率", "各云服务商月度费用", "各单位月度费用",
		"使用单位年度考核排名", "云服务商年度考核排名"}
	for _, h := range headings {
		if !strings.Contains(page, "<h2>") || !regexp.MustCompile(`<h2>[^<]*`+h).MatchString(page) {
			t.Errorf("no <h2> heading %q", h)
		}
	}
	if n, want := strings.Count(page, "<svg "), len(headings); n != want {
		t.Errorf("%d <svg> elements, want one per chart (%d)", n, want)
	}
	if n := strings.Count(page, "<section>"); n != len(headings) {
		t.Errorf("%d sections, want %d", n, len(headings))
	}
	if n := strings.Count(page, "</svg>"); n != len(headings) {
		t.Errorf("%d </svg>, want %d", n, len(headings))
	}
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//|<script|<link|@import|url\(|@font-face`)
	if m := external.FindString(page); m != "" {
		t.Errorf("report.html references something outside: %q", m)
	}
	for _, bad := range []string{"NaN", "Inf"} {
		if strings.Contains(page, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	// The charts' text is Chinese first, in the fallback families, each with its measured width.
	texts := svgTexts(t, page)
	drawn := map[string]bool{}
	for _, tx := range texts {
		drawn[tx.Text] = true
		if tx.Family != chartFontFamily || (tx.Length == 0) != (tx.Text == "") {
			t.Errorf("text %q: family %s, textLength %v", tx.Text, tx.Family, tx.Length)
		}
	}
	for _, want := range []string{"各状态使用申请数（月末） Applications per state at month end", "月份 Month", "申请数 Applications",
		"1月", "12月", "已提交待受理", "各环节按期办结率（按责任方） On-time rate per step and party", "按期办结率 On time (%)",
		"受理（行政主管部门）", "使用率 Utilisation (%)", "费用（元） Cost (CNY)", "总分 Score", "电信天翼云"} {
		if !drawn[want] {
			t.Errorf("no chart text %q", want)
		}
	}
	rank := regexp.MustCompile(`^1\. \p{Han}+`) // the first of a scorecard ranking, by its Chinese name
	var ranks int
	for _, tx := range texts {
		if rank.MatchString(tx.Text) {
			ranks++
		}
	}
	if ranks != 2 { // departments, vendors
		t.Errorf("%d scorecard charts rank a Chinese name first, want 2", ranks)
	}
	for _, bad := range []string{"Liberation Serif", ">Jan<", ">Month<"} {
		if strings.Contains(page, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	if !strings.Contains(page, "body{font-family:"+chartFontFamily+";") {
		t.Error("the page CSS does not name the charts' font families")
	}
	// Every chart drew data: the small run has states, steps, quota, costs and scores.
	if n := strings.Count(page, "无数据 no data"); n != 0 {
		t.Errorf("%d charts without data", n)
	}
}

// TestReportSnapshots checks the month-end state counts against a brute-force
// replay of random acts (fixed seed).
func TestReportSnapshots(t *testing.T) {
	loc := calendar.Beijing()
	states := workflow.AllStates()
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 20 {
		var acts []Act
		at := time.Date(2025, time.January, 1, 0, 0, 0, 0, loc)
		for range rng.IntN(300) {
			at = at.Add(time.Duration(rng.IntN(int(48 * time.Hour))))
			if at.Year() > 2025 {
				break
			}
			acts = append(acts, Act{App: rng.IntN(15), To: states[rng.IntN(len(states))], At: at})
		}
		r := NewReportStage("", nil)
		for _, a := range acts {
			if err := r.AfterAct(context.Background(), nil, a, workflow.Application{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := r.Finish(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		for m := range 12 {
			end := time.Date(2025, time.Month(m+2), 1, 0, 0, 0, 0, loc)
			last := map[int]workflow.State{}
			for _, a := range acts {
				if a.At.Before(end) {
					last[a.App] = a.To
				}
			}
			want := map[workflow.State]int{}
			for _, st := range last {
				want[st]++
			}
			if diff := cmp.Diff(want, r.snaps[m]); diff != "" {
				t.Fatalf("round %d, end of month %d (-brute force +stage):\n%s", round, m+1, diff)
			}
		}
	}
}

// TestChartsDeterministic draws the same charts twice and compares the SVG bytes.
func TestChartsDeterministic(t *testing.T) {
	d := &reportData{sc: small(1),
		states: []series{{Label: "已提交待受理", Note: "submitted", Values: [12]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}},
		onTime: []named{{Label: "受理（行政主管部门）", Note: "accept (authority)", Value: 93.5},
			{Label: "审批（行政主管部门）", Note: "approve (authority)", Value: 71}},
		util:      []named{{Label: "市公安局", Note: "D01", Value: 88.8}},
		deptCards: []named{{Label: "1. 市公安局", Note: "D01 · 优秀", Value: 91.25}},
	}
	var a, b bytes.Buffer
	if err := d.write(&a); err != nil {
		t.Fatal(err)
	}
	if err := d.write(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same data drew different bytes")
	}
	page := a.String()
	if n := strings.Count(page, "<svg "); n != 7 {
		t.Errorf("%d <svg>, want 7 (charts without data are drawn empty)", n)
	}
	if n := strings.Count(page, "无数据 no data"); n != 3 { // vendor cost, department cost, vendor scores
		t.Errorf("%d charts marked without data, want 3", n)
	}
	if strings.Contains(page, "<?xml") {
		t.Error("the XML prologue of the SVG is inlined")
	}
	if !strings.Contains(page, "<tr><td>1. 市公安局</td><td>D01 · 优秀 — 91.2</td></tr>") {
		t.Error("the legend table does not name the department with its score")
	}
}

// TestProgressBar: off when stderr is not a terminal; drawn to the simulated day.
func TestProgressBar(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a file is a terminal")
	}
	var buf bytes.Buffer
	p := NewProgressBar(&buf, 2024) // leap year: 366 days
	s := &Sim{start: time.Date(2024, time.January, 1, 0, 0, 0, 0, calendar.Beijing())}
	if err := p.AfterAct(context.Background(), s, Act{At: s.start.AddDate(0, 6, 0)}, workflow.Application{}); err != nil {
		t.Fatal(err)
	}
	if p.day != 182 {
		t.Errorf("day %d after 1 July, want 182", p.day)
	}
	if _, err := p.Finish(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "366/366") {
		t.Errorf("finished bar %q lacks 366/366", buf.String())
	}
}
