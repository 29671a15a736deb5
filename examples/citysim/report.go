package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"html"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/billing"
	"github.com/opengovcloud/govcloud/quota"
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
	ID, Name string // ID is drawn in the chart; Name (Chinese) is in the HTML legend
	Value    float64
}

// series is one line of a monthly chart (12 values).
type series struct {
	ID, Name string
	Values   [12]float64
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
		se.ID, se.Name = st.Label(workflow.English), st.Label(workflow.Chinese)
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
			ID:    en + " (" + st.Party.Label(workflow.English) + ")",
			Name:  zh + "（" + st.Party.Label(workflow.Chinese) + "）",
			Value: 100 * float64(st.OnTime()) / float64(st.WithDeadline),
		})
	}
	// Quota utilisation per department (composite over its dimensions).
	pools, err := s.p.Quota().Pools(ctx)
	if err != nil {
		return nil, err
	}
	byDept := map[string]quota.Pool{}
	for _, p := range pools {
		if p.Kind == quota.KindDepartment {
			byDept[p.Department] = p
		}
	}
	for _, dep := range s.depts {
		p, ok := byDept[dep.ID]
		if !ok || p.Limit.IsZero() {
			continue
		}
		used := p.Used()
		var sum float64
		var n int
		for _, dim := range allDims {
			if l := p.Limit[dim]; l > 0 {
				sum += float64(used[dim]) / float64(l)
				n++
			}
		}
		d.util = append(d.util, named{ID: dep.ID, Name: dep.Name, Value: 100 * sum / float64(max(n, 1))})
	}
	slices.SortStableFunc(d.util, func(a, b named) int { return cmp.Compare(b.Value, a.Value) })
	d.util = d.util[:min(20, len(d.util))]
	// Monthly cost per vendor and department (net of the statements, in yuan).
	sts, err := s.p.Billing().Statements(ctx, billFinance, billing.StatementFilter{FiscalYear: s.sc.Year})
	if err != nil {
		return nil, err
	}
	vend := map[string]*[12]int64{}
	dept := map[string]*[12]int64{}
	add := func(m map[string]*[12]int64, k string, month time.Month, fen int64) {
		if m[k] == nil {
			m[k] = &[12]int64{}
		}
		m[k][month-1] += fen
	}
	for _, st := range sts {
		if st.Month.Year != s.sc.Year {
			continue
		}
		net := st.Totals().Net
		add(vend, st.Vendor, st.Month.Month, net)
		add(dept, st.Department, st.Month.Month, net)
	}
	toSeries := func(id, name string, fen *[12]int64) series {
		se := series{ID: id, Name: name}
		for i, v := range fen {
			se.Values[i] = float64(v) / 100 // display only: money stays in fen until here
		}
		return se
	}
	for _, v := range s.sc.Vendors {
		if fen := vend[v.ID]; fen != nil {
			d.costVendor = append(d.costVendor, toSeries(v.ID, v.Name, fen))
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
		d.costDept = append(d.costDept, toSeries(dep.ID, dep.Name, dept[dep.ID]))
	}
	// Scorecard rankings.
	if as := r.Assessment; as != nil {
		cards := func(run *assessment.Run, n int) []named {
			if run == nil {
				return nil
			}
			var out []named
			for _, c := range sortedCards(run.Cards) {
				out = append(out, named{ID: fmt.Sprintf("%d. %s", c.Rank, c.SubjectID), Name: c.SubjectName + " · " + c.Grade.Name, Value: c.Total})
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
	legend  [][2]string // drawn ID → Chinese name
}

// Chart sizes (points).
const (
	chartW = 18 * vg.Centimeter
	chartH = 10 * vg.Centimeter
)

// legendW is the width of the legend column right of a line chart.
const legendW = 6 * vg.Centimeter

// figure is a plot with an optional legend drawn in a column on its right (so
// the legend never covers the lines).
type figure struct {
	p      *plot.Plot
	legend *plot.Legend
	w, h   vg.Length
}

// draw draws the figure on a canvas of size f.w × f.h.
func (f figure) draw(c vg.Canvas) {
	dc := draw.NewCanvas(c, f.w, f.h)
	if f.legend == nil {
		f.p.Draw(dc)
		return
	}
	f.p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	f.legend.Draw(draw.Crop(dc, f.w-legendW, 0, 0, -vg.Points(20)))
}

// renderSVG draws f as an SVG element (without the XML prologue, ready to inline).
func renderSVG(f figure) ([]byte, error) {
	c := vgsvg.NewWith(vgsvg.UseWH(f.w, f.h))
	f.draw(c)
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	out := b.Bytes()
	i := bytes.Index(out, []byte("<svg"))
	if i < 0 {
		return nil, errors.New("vgsvg wrote no <svg> element")
	}
	return out[i:], nil
}

func linesChart(title, ylabel string, ss []series) ([]byte, error) {
	f, err := linesPlot(title, ylabel, ss)
	if err != nil {
		return nil, err
	}
	return renderSVG(f)
}

// linesPlot builds a monthly line chart with its legend on the right.
func linesPlot(title, ylabel string, ss []series) (figure, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "Month"
	p.Y.Label.Text = ylabel
	p.X.Min, p.X.Max = 1, 12
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	p.X.Tick.Marker = plot.ConstantTicks(monthTicks())
	p.Y.Tick.Marker = plot.TickerFunc(wholeTicks)
	for i, se := range ss {
		pts := make(plotter.XYs, 12)
		for m, v := range se.Values {
			pts[m] = plotter.XY{X: float64(m + 1), Y: v}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return figure{}, err
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i / len(plotutil.DefaultColors))
		l.Width = vg.Points(1.5)
		p.Add(l)
		legend.Add(se.ID, l)
	}
	h := chartH
	if len(ss) > 8 {
		h += vg.Length(len(ss)-8) * vg.Points(12)
	}
	return figure{p: p, legend: &legend, w: chartW + legendW, h: h}, nil
}

// wholeTicks are the default ticks labelled without decimals.
func wholeTicks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', 0, 64)
		}
	}
	return ts
}

func monthTicks() []plot.Tick {
	t := make([]plot.Tick, 12)
	for i := range t {
		t[i] = plot.Tick{Value: float64(i + 1), Label: time.Month(i + 1).String()[:3]}
	}
	return t
}

// barsChart draws horizontal bars, the first value at the top.
func barsChart(title, xlabel string, vs []named, xmax float64) ([]byte, error) {
	f, err := barsPlot(title, xlabel, vs, xmax)
	if err != nil {
		return nil, err
	}
	return renderSVG(f)
}

// barsPlot builds a horizontal bar chart.
func barsPlot(title, xlabel string, vs []named, xmax float64) (figure, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Add(plotter.NewGrid())
	n := len(vs)
	if n == 0 {
		p.X.Min, p.X.Max = 0, max(xmax, 1)
		return figure{p: p, w: chartW, h: chartH}, nil
	}
	vals := make(plotter.Values, n)
	labels := make([]string, n)
	for i, v := range vs {
		vals[n-1-i] = v.Value
		labels[n-1-i] = v.ID
	}
	b, err := plotter.NewBarChart(vals, vg.Points(9))
	if err != nil {
		return figure{}, err
	}
	b.Horizontal = true
	b.Color = color.RGBA{R: 0x2b, G: 0x6c, B: 0xb0, A: 0xff}
	b.LineStyle.Width = 0
	p.Add(b)
	p.NominalY(labels...)
	p.X.Min = 0
	if xmax > 0 {
		p.X.Max = xmax
	}
	return figure{p: p, w: chartW, h: max(chartH, vg.Length(n)*vg.Points(14)+vg.Points(70))}, nil
}

func legendOf[T any](xs []T, f func(T) [2]string) [][2]string {
	out := make([][2]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

func (d *reportData) charts() ([]chart, error) {
	sl := func(s series) [2]string { return [2]string{s.ID, s.Name} }
	nl := func(n named) [2]string { return [2]string{n.ID, fmt.Sprintf("%s — %.1f", n.Name, n.Value)} }
	var out []chart
	addc := func(zh, en, caption string, svg []byte, err error, legend [][2]string) error {
		if err != nil {
			return fmt.Errorf("chart %q: %w", en, err)
		}
		out = append(out, chart{zh: zh, en: en, caption: caption, svg: svg, legend: legend})
		return nil
	}
	svg, err := linesChart("Applications per state (month end)", "Applications", d.states)
	if err := addc("各状态使用申请数（月末）", "Applications per state over the year", "每月末处于各状态的使用申请数。Applications in each state at the end of each month.", svg, err, legendOf(d.states, sl)); err != nil {
		return nil, err
	}
	svg, err = barsChart("On-time rate per step and party", "On time (%)", d.onTime, 100)
	if err := addc("各环节按期办结率（按责任方）", "On-time rate per step and party", "有期限的办理行为中按期完成的比例。Share of acts with a deadline that met it.", svg, err, legendOf(d.onTime, nl)); err != nil {
		return nil, err
	}
	svg, err = barsChart("Quota utilisation per department (top 20)", "Utilisation (%)", d.util, 0)
	if err := addc("各单位年度配额使用率（前 20）", "Quota utilisation per department (top 20)", "年末（占用＋已提交）÷ 配额，各维度平均。Year-end (held + committed) ÷ limit, mean over dimensions.", svg, err, legendOf(d.util, nl)); err != nil {
		return nil, err
	}
	svg, err = linesChart("Monthly cost per vendor", "Cost (CNY)", d.costVendor)
	if err := addc("各云服务商月度费用（元）", "Monthly cost per vendor (CNY)", "结算单净额（用量＋调整＋扣减）。Net of the monthly statements.", svg, err, legendOf(d.costVendor, sl)); err != nil {
		return nil, err
	}
	svg, err = linesChart("Monthly cost per department (top 10)", "Cost (CNY)", d.costDept)
	if err := addc("各单位月度费用（元，年度前 10）", "Monthly cost per department (top 10 of the year)", "按年度总费用排名前 10 的使用单位。The ten departments with the highest yearly cost.", svg, err, legendOf(d.costDept, sl)); err != nil {
		return nil, err
	}
	svg, err = barsChart("Department scorecards (top 20)", "Score", d.deptCards, 100)
	if err := addc("使用单位年度考核排名（前 20）", "Department scorecard ranking (top 20)", "第二十二条考核总分。Total score under article 22.", svg, err, legendOf(d.deptCards, nl)); err != nil {
		return nil, err
	}
	svg, err = barsChart("Vendor scorecards", "Score", d.vendCards, 100)
	if err := addc("云服务商年度考核排名", "Vendor scorecard ranking", "第二十三条考核总分。Total score under article 23.", svg, err, legendOf(d.vendCards, nl)); err != nil {
		return nil, err
	}
	return out, nil
}

const reportCSS = `body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}
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
		"gonum/plot 自带的字体（Liberation）不含中文字形，本项目目前也未随附中文字体，" +
		"故图内文字用英文，中文标题、说明与名称对照表以 HTML 置于各图周围。同一种子生成的本页逐字节相同（不含时间戳）。<br>" +
		"Charts are drawn by gonum.org/v1/plot v0.17.0 as inline SVG (vgsvg): no external scripts, fonts or styles, viewable offline. " +
		"gonum/plot's bundled fonts (Liberation) have no CJK glyphs and the project bundles no CJK font yet, " +
		"so text inside the charts is English and the Chinese headings, captions and name tables are HTML around each chart. " +
		"The same seed gives this page byte for byte (it carries no timestamp).</footer>\n</body>\n</html>\n")
	_, err = io.WriteString(w, b.String())
	return err
}
