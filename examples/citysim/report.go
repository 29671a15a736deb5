package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// ReportFile is the name of the HTML report in the output directory.
const ReportFile = "report.html"

// ReportStage collects the data of the HTML report while the year runs (the
// applications' states at each month end) and, as a Finisher placed after the
// billing and assessment stages, writes OutDir/report.html: a self-contained page
// (inline CSS, charts as inline SVG drawn by gonum.org/v1/plot) with no timestamp,
// so the same seed gives the same bytes.
type ReportStage struct {
	// OutDir receives report.html.
	OutDir string
	// Assessment, when set, supplies the scorecard rankings.
	Assessment *AssessmentStage

	state map[int]workflow.State
	next  int                        // next month-end snapshot (0 = end of January)
	snaps [12]map[workflow.State]int // applications per state at each month end
}

// NewReportStage returns the stage writing outDir/report.html; as may be nil.
func NewReportStage(outDir string, as *AssessmentStage) *ReportStage {
	return &ReportStage{OutDir: outDir, Assessment: as, state: map[int]workflow.State{}}
}

func (r *ReportStage) snapshot() {
	m := map[workflow.State]int{}
	for _, st := range r.state {
		m[st]++
	}
	r.snaps[r.next] = m
	r.next++
}

// AfterAct follows every application's state; a month's snapshot is taken before
// the first act of a later month.
func (r *ReportStage) AfterAct(_ context.Context, _ *Sim, a Act, _ workflow.Application) error {
	m := int(a.At.In(calendar.Beijing()).Month()) // 1..12
	for r.next < m-1 && r.next < len(r.snaps) {
		r.snapshot()
	}
	r.state[a.App] = a.To
	return nil
}

// Finish takes the remaining snapshots, gathers the year-end data and writes the
// report. It adds no summary section.
func (r *ReportStage) Finish(ctx context.Context, s *Sim) ([]Section, error) {
	for r.next < len(r.snaps) {
		r.snapshot()
	}
	if r.OutDir == "" {
		return nil, nil
	}
	d, err := r.gather(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("citysim: report: %w", err)
	}
	var buf bytes.Buffer
	if err := d.write(&buf); err != nil {
		return nil, fmt.Errorf("citysim: report: %w", err)
	}
	if err := os.MkdirAll(r.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("citysim: report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(r.OutDir, ReportFile), buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("citysim: report: %w", err)
	}
	return nil, nil
}

// named is one labelled value (a bar).
type named struct {
	Label string // drawn in the chart, Chinese first
	Note  string // beside Label in the HTML table: English or the identifier
	Value float64
}

// series is one line of a monthly chart (12 values).
type series struct {
	Label, Note string // as in named
	Values      [12]float64
}

// reportData is everything the page shows.
type reportData struct {
	sc         Scenario
	states     []series // applications per state at month ends
	onTime     []named  // on-time rate per step × party (%)
	util       []named  // top 20 departments by quota utilisation (%)
	costVendor []series // yuan per month (net of statements)
	costDept   []series // top 10 departments by yearly cost
	deptCards  []named  // department scorecards (top 20 by rank)
	vendCards  []named  // vendor scorecards
}

func (r *ReportStage) gather(ctx context.Context, s *Sim) (*reportData, error) {
	d := &reportData{sc: s.sc}
	rep := &Report{Scenario: s.sc, Policy: s.policy, Departments: s.depts}
	// Applications per state, in lifecycle order.
	for _, st := range workflow.AllStates() {
		var se series
		var seen bool
		for i, m := range r.snaps {
			se.Values[i] = float64(m[st])
			seen = seen || m[st] > 0
		}
		if !seen {
			continue
		}
		se.Label, se.Note = st.Label(workflow.Chinese), st.Label(workflow.English)
		d.states = append(d.states, se)
	}
	// On-time rate per step and party.
	for _, st := range StepStats(s.acts) {
		if st.WithDeadline == 0 {
			continue
		}
		zh, _ := rep.stepLabel(st.From)
		en := zh
		if i := strings.IndexByte(zh, ' '); i >= 0 {
			zh, en = zh[:i], zh[i+1:]
		}
		d.onTime = append(d.onTime, named{
			Label: zh + "（" + st.Party.Label(workflow.Chinese) + "）",
			Note:  en + " (" + st.Party.Label(workflow.English) + ")",
			Value: 100 * float64(st.OnTime()) / float64(st.WithDeadline),
		})
	}
	// Quota utilisation per department (composite over its dimensions).
	use, err := s.departmentUse(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range use {
		dep := s.depts[u.Dept]
		d.util = append(d.util, named{Label: dep.Name, Note: dep.ID, Value: 100 * u.Composite})
	}
	slices.SortStableFunc(d.util, func(a, b named) int { return cmp.Compare(b.Value, a.Value) })
	d.util = d.util[:min(20, len(d.util))]
	// Monthly cost per vendor and department (net of the statements, in yuan).
	vend := map[string]*[12]int64{}
	dept := map[string]*[12]int64{}
	add := func(m map[string]*[12]int64, k string, month time.Month, fen int64) {
		if m[k] == nil {
			m[k] = &[12]int64{}
		}
		m[k][month-1] += fen
	}
	for st, err := range s.p.Billing().AllStatements(ctx, billFinance, billing.StatementFilter{FiscalYear: s.sc.Year}) {
		if err != nil {
			return nil, err
		}
		if st.Month.Year != s.sc.Year {
			continue
		}
		net := st.Totals().Net
		add(vend, st.Vendor, st.Month.Month, net)
		add(dept, st.Department, st.Month.Month, net)
	}
	toSeries := func(label, note string, fen *[12]int64) series {
		se := series{Label: label, Note: note}
		for i, v := range fen {
			se.Values[i] = float64(v) / 100 // display only: money stays in fen until here
		}
		return se
	}
	for _, v := range s.sc.Vendors {
		if fen := vend[v.ID]; fen != nil {
			d.costVendor = append(d.costVendor, toSeries(v.Name, v.ID, fen))
		}
	}
	type total struct {
		i   int
		fen int64
	}
	var totals []total
	for i, dep := range s.depts {
		if fen := dept[dep.ID]; fen != nil {
			var t int64
			for _, v := range fen {
				t += v
			}
			totals = append(totals, total{i, t})
		}
	}
	slices.SortStableFunc(totals, func(a, b total) int { return cmp.Compare(b.fen, a.fen) })
	for _, t := range totals[:min(10, len(totals))] {
		dep := s.depts[t.i]
		d.costDept = append(d.costDept, toSeries(dep.Name, dep.ID, dept[dep.ID]))
	}
	// Scorecard rankings.
	if as := r.Assessment; as != nil {
		cards := func(run *assessment.Run, n int) []named {
			if run == nil {
				return nil
			}
			var out []named
			for _, c := range sortedCards(run.Cards) {
				out = append(out, named{Label: fmt.Sprintf("%d. %s", c.Rank, c.SubjectName), Note: c.SubjectID + " · " + c.Grade.Name, Value: c.Total})
			}
			return out[:min(n, len(out))]
		}
		d.deptCards = cards(as.DepartmentRun, 20)
		d.vendCards = cards(as.VendorRun, len(s.sc.Vendors))
	}
	return d, nil
}

// chart is one figure of the page: Chinese heading, the SVG, a legend table.
type chart struct {
	zh, en  string
	caption string
	svg     []byte
	legend  [][2]string // drawn label → English or identifier (and value)
}

func legendOf[T any](xs []T, f func(T) [2]string) [][2]string {
	out := make([][2]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

func (d *reportData) charts() ([]chart, error) {
	sl := func(s series) [2]string { return [2]string{s.Label, s.Note} }
	nl := func(n named) [2]string { return [2]string{n.Label, fmt.Sprintf("%s — %.1f", n.Note, n.Value)} }
	var out []chart
	addc := func(zh, en, caption string, svg []byte, err error, legend [][2]string) error {
		if err != nil {
			return fmt.Errorf("chart %q: %w", en, err)
		}
		out = append(out, chart{zh: zh, en: en, caption: caption, svg: svg, legend: legend})
		return nil
	}
	svg, err := linesChart("各状态使用申请数（月末） Applications per state at month end", "申请数 Applications", d.states)
	if err := addc("各状态使用申请数（月末）", "Applications per state over the year", "每月末处于各状态的使用申请数。Applications in each state at the end of each month.", svg, err, legendOf(d.states, sl)); err != nil {
		return nil, err
	}
	svg, err = barsChart("各环节按期办结率（按责任方） On-time rate per step and party", "按期办结率 On time (%)", d.onTime, 100)
	if err := addc("各环节按期办结率（按责任方）", "On-time rate per step and party", "有期限的办理行为中按期完成的比例。Share of acts with a deadline that met it.", svg, err, legendOf(d.onTime, nl)); err != nil {
		return nil, err
	}
	svg, err = barsChart("各单位配额使用率（前 20） Quota utilisation (top 20)", "使用率 Utilisation (%)", d.util, 0)
	if err := addc("各单位年度配额使用率（前 20）", "Quota utilisation per department (top 20)", "年末（占用＋已提交）÷ 配额，各维度平均。Year-end (held + committed) ÷ limit, mean over dimensions.", svg, err, legendOf(d.util, nl)); err != nil {
		return nil, err
	}
	svg, err = linesChart("各云服务商月度费用 Monthly cost per vendor", "费用（元） Cost (CNY)", d.costVendor)
	if err := addc("各云服务商月度费用（元）", "Monthly cost per vendor (CNY)", "结算单净额（用量＋调整＋扣减）。Net of the monthly statements.", svg, err, legendOf(d.costVendor, sl)); err != nil {
		return nil, err
	}
	svg, err = linesChart("各单位月度费用（年度前 10） Monthly cost per department (top 10)", "费用（元） Cost (CNY)", d.costDept)
	if err := addc("各单位月度费用（元，年度前 10）", "Monthly cost per department (top 10 of the year)", "按年度总费用排名前 10 的使用单位。The ten departments with the highest yearly cost.", svg, err, legendOf(d.costDept, sl)); err != nil {
		return nil, err
	}
	svg, err = barsChart("使用单位年度考核排名（前 20） Department scorecards (top 20)", "总分 Score", d.deptCards, 100)
	if err := addc("使用单位年度考核排名（前 20）", "Department scorecard ranking (top 20)", "第二十二条考核总分。Total score under article 22.", svg, err, legendOf(d.deptCards, nl)); err != nil {
		return nil, err
	}
	svg, err = barsChart("云服务商年度考核排名 Vendor scorecards", "总分 Score", d.vendCards, 100)
	if err := addc("云服务商年度考核排名", "Vendor scorecard ranking", "第二十三条考核总分。Total score under article 23.", svg, err, legendOf(d.vendCards, nl)); err != nil {
		return nil, err
	}
	return out, nil
}

const reportCSS = `body{font-family:` + chartFontFamily + `;margin:2em auto;max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}h2 small{color:#666;font-weight:normal}
figure{margin:0}svg{max-width:100%;height:auto}figcaption{color:#444;font-size:.9em}
table{border-collapse:collapse;font-size:.85em;margin-top:.5em}td{padding:.1em .6em;border-bottom:1px solid #eee}
footer{margin-top:3em;font-size:.8em;color:#666;border-top:1px solid #ccc;padding-top:.5em}`

// write renders the page.
func (d *reportData) write(w io.Writer) error {
	charts, err := d.charts()
	if err != nil {
		return err
	}
	e := html.EscapeString
	var b strings.Builder
	sc := d.sc
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>%d 年政务云模拟报告 · citysim report %d</title>\n<style>\n%s\n</style>\n</head>\n<body>\n",
		sc.Year, sc.Year, reportCSS)
	fmt.Fprintf(&b, "<h1>%d 年政务云模拟报告<br><small>govcloud citysim · a year of a city's government cloud, %d</small></h1>\n", sc.Year, sc.Year)
	fmt.Fprintf(&b, "<p>场景 scenario %s · 种子 seed %d · 使用单位 departments %d · 云服务商 vendors %d · 使用申请 applications %d</p>\n",
		e(sc.Name), sc.Seed, sc.Departments, len(sc.Vendors), sc.Applications)
	for i, c := range charts {
		fmt.Fprintf(&b, "<section>\n<h2>%s%s <small>%s</small></h2>\n<figure>\n", numerals[i%len(numerals)]+"、", e(c.zh), e(c.en))
		b.Write(c.svg)
		fmt.Fprintf(&b, "<figcaption>%s</figcaption>\n</figure>\n", e(c.caption))
		if len(c.legend) > 0 {
			b.WriteString("<table>\n")
			for _, l := range c.legend {
				fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td></tr>\n", e(l[0]), e(l[1]))
			}
			b.WriteString("</table>\n")
		} else {
			b.WriteString("<p>无数据 no data</p>\n")
		}
		b.WriteString("</section>\n")
	}
	b.WriteString("<footer>图表由 gonum.org/v1/plot v0.17.0 以 SVG（vgsvg）绘制，内嵌于本页，无外部脚本、字体或样式，可离线查看。" +
		"本页不随附字体（没有可作为 Go 模块使用的中文字体，完整的中文字体又有数 MB）：图中文字使用本机字体，西文依次为 Liberation Sans、Arial、Helvetica，" +
		"中文依次为思源黑体（Noto Sans CJK SC / Source Han Sans SC）、微软雅黑、苹方、文泉驿微米黑、黑体。" +
		"版面按西文 Liberation Sans 字宽、中文及全角标点一字一个字号宽计算，" +
		"每段文字都标明了计算所得的宽度（textLength），字体不同时由浏览器缩放到该宽度，不会重叠或被截断。" +
		"同一种子生成的本页逐字节相同（不含时间戳）。<br>" +
		"Charts are drawn by gonum.org/v1/plot v0.17.0 as inline SVG (vgsvg): no external scripts, fonts or styles, viewable offline. " +
		"The page bundles no font (no CJK font is available as a Go module, and a whole one is several MB): chart text uses the viewer's system fonts, Liberation Sans, Arial or Helvetica for Latin " +
		"and Noto Sans CJK SC / Source Han Sans SC, Microsoft YaHei, PingFang SC, WenQuanYi Micro Hei or SimHei for Chinese. " +
		"The layout measures Latin text with Liberation Sans and each CJK character or full-width punctuation mark as one em; " +
		"every text carries its measured width (textLength), to which a browser fits it in any other font, so nothing overlaps or is clipped. " +
		"The same seed gives this page byte for byte (it carries no timestamp).</footer>\n</body>\n</html>\n")
	_, err = io.WriteString(w, b.String())
	return err
}
