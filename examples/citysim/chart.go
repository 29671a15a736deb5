package main

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart text: Chinese labels without a bundled CJK font.
//
// gonum/plot measures text with the fonts of its cache (Liberation), which have
// no CJK glyphs: measured with them, a Chinese title would be centred wrongly and
// Chinese tick labels would overlap the axis. No CJK font is available as a Go
// module (checked on the module proxy), and embedding a multi-MB font in every
// report is not wanted, so the charts name system fonts instead:
//
//   - cjkText, the text handler of every chart text, measures CJK and full-width
//     runes at 1 em, the advance of the ideographs and full-width punctuation in
//     every CJK font of chartFontFamily, and other runes with Liberation Sans,
//     metric-compatible with Arial and Helvetica;
//   - finishSVG names chartFontFamily on every <text> (Latin first, so Latin runs
//     are drawn in the font they were measured with, then the CJK fonts of offline
//     Chinese desktops) and gives each its measured width as textLength, so that a
//     viewer lacking these fonts still fits the text in the place laid out for it.

// chartFontFamily is the CSS font-family of the page and of every SVG text.
const chartFontFamily = `'Liberation Sans',Arial,Helvetica,'Noto Sans CJK SC','Source Han Sans SC',` +
	`'Microsoft YaHei','PingFang SC','WenQuanYi Micro Hei',SimHei,sans-serif`

// chartTypeface and chartVariant name the face in gonum's font cache that Latin
// text is measured with; vgsvg writes its family name, chartFamilyName.
const (
	chartTypeface   = font.Typeface("Liberation")
	chartVariant    = font.Variant("Sans")
	chartFamilyName = "Liberation Sans"
)

// chartFont returns the chart face at size.
func chartFont(size vg.Length) font.Font {
	return font.Font{Typeface: chartTypeface, Variant: chartVariant, Size: size}
}

// cjkText is a gonum text.Handler for plain text mixing Latin and CJK: runs of
// runes that the Liberation face has (and that are not East Asian wide) are
// measured with it, kerning included; East Asian wide and full-width runes, and
// any rune the face lacks (which a viewer draws from a CJK fallback font), are 1 em.
// It is a value holding gonum's font cache; it keeps no state of its own.
type cjkText struct {
	fonts *font.Cache
}

var _ text.Handler = cjkText{}

// newCJKText returns the handler over the font cache of gonum's default handler
// (the Liberation collection).
func newCJKText() cjkText {
	return cjkText{fonts: plot.DefaultTextHandler.Cache()}
}

// Cache returns the font cache.
func (h cjkText) Cache() *font.Cache { return h.fonts }

// Extents returns the extents of the Liberation face: its ascent (0.905 em) and
// descent (0.212 em) cover the ideographs of the CJK fonts (0.88 and 0.12 em).
func (h cjkText) Extents(fnt font.Font) font.Extents {
	face := h.fonts.Lookup(fnt, fnt.Size)
	return face.Extents()
}

// Lines splits txt into lines.
func (h cjkText) Lines(txt string) []string {
	return strings.Split(strings.TrimRight(txt, "\n"), "\n")
}

// Box returns the width of the one-line txt and the face's ascent and descent.
func (h cjkText) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	e := h.Extents(fnt)
	return h.width(txt, fnt), e.Ascent, e.Descent
}

// width is the advance of the one-line txt in fnt.
func (h cjkText) width(txt string, fnt font.Font) vg.Length {
	face := h.fonts.Lookup(fnt, fnt.Size)
	var (
		w     vg.Length
		start = -1 // start of the current run measured by the face
	)
	for i, r := range txt {
		if !isWide(r) && hasGlyph(face, r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			w += face.Width(txt[start:i])
			start = -1
		}
		w += fnt.Size
	}
	if start >= 0 {
		w += face.Width(txt[start:])
	}
	return w
}

// Draw draws txt with sty at pt, as text.Plain does but aligned on the widths
// measured by h.
func (h cjkText) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	txt = strings.TrimRight(txt, "\n")
	if txt == "" {
		return
	}
	face := h.fonts.Lookup(sty.Font, sty.Font.Size)
	c.SetColor(sty.Color)
	if sty.Rotation != 0 {
		c.Push()
		c.Rotate(sty.Rotation)
	}
	sin64, cos64 := math.Sincos(sty.Rotation)
	sin, cos := vg.Length(sin64), vg.Length(cos64)
	pt.X, pt.Y = pt.Y*sin+pt.X*cos, pt.Y*cos-pt.X*sin
	lines := h.Lines(txt)
	pt.Y += sty.Height(txt)*vg.Length(sty.YAlign) - face.Extents().Ascent
	for i, line := range lines {
		xoff := vg.Length(sty.XAlign) * h.width(line, sty.Font)
		n := vg.Length(len(lines) - i)
		c.FillString(face, pt.Add(vg.Point{X: xoff, Y: n * sty.Font.Size}), line)
	}
	if sty.Rotation != 0 {
		c.Pop()
	}
}

// hasGlyph reports whether face has a glyph for r (a missing one maps to 0, .notdef).
func hasGlyph(face font.Face, r rune) bool {
	g, err := face.Face.GlyphIndex(nil, r)
	return err == nil && g != 0
}

// isWide reports whether r is East Asian wide or full-width (Unicode UAX #11):
// ideographs, kana, hangul, CJK symbols and punctuation, full-width forms.
func isWide(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x115F, // Hangul Jamo
		0x2E80 <= r && r <= 0x303E,   // CJK radicals … CJK symbols and punctuation (、。「」)
		0x3041 <= r && r <= 0x33FF,   // kana, bopomofo, enclosed CJK, CJK compatibility
		0x3400 <= r && r <= 0x4DBF,   // CJK extension A
		0x4E00 <= r && r <= 0x9FFF,   // CJK unified ideographs
		0xA000 <= r && r <= 0xA4CF,   // Yi
		0xAC00 <= r && r <= 0xD7A3,   // Hangul syllables
		0xF900 <= r && r <= 0xFAFF,   // CJK compatibility ideographs
		0xFE10 <= r && r <= 0xFE19,   // vertical forms
		0xFE30 <= r && r <= 0xFE6F,   // CJK compatibility and small forms
		0xFF00 <= r && r <= 0xFF60,   // full-width forms (，（）：＋)
		0xFFE0 <= r && r <= 0xFFE6,   // full-width signs (￥)
		0x20000 <= r && r <= 0x3FFFD: // CJK extensions B…
		return true
	}
	return false
}

// Chart sizes (points).
const (
	chartW = 18 * vg.Centimeter
	chartH = 10 * vg.Centimeter
)

// figure is a plot with an optional legend drawn in a column on its right (so
// the legend never covers the lines), and the text handler of both.
type figure struct {
	p       *plot.Plot
	legend  *plot.Legend
	legendW vg.Length // width of the legend column
	w, h    vg.Length
	text    cjkText
}

// chartMargin is the blank border of a figure, so that no glyph touches the
// edge of the SVG (CJK fallback fonts may draw a little beyond the measured box).
const chartMargin = 4 * vg.Millimeter

// draw draws the figure on a canvas of size f.w × f.h.
func (f figure) draw(c vg.Canvas) {
	dc := draw.Crop(draw.NewCanvas(c, f.w, f.h), chartMargin, -chartMargin, chartMargin, -chartMargin)
	if f.legend == nil {
		f.p.Draw(dc)
		return
	}
	f.p.Draw(draw.Crop(dc, 0, -f.legendW, 0, 0))
	f.legend.Draw(draw.Crop(dc, dc.Size().X-f.legendW, 0, 0, -legendTop))
}

// legendTop is the space above the legend column, level with the plot's title.
const legendTop vg.Length = 20 // points

// measuredCanvas passes everything to the SVG canvas and records the measured
// width of every string drawn, in order, for finishSVG.
type measuredCanvas struct {
	vg.Canvas
	text   cjkText
	widths []vg.Length
}

// FillString records the width of s and draws it.
func (c *measuredCanvas) FillString(f font.Face, pt vg.Point, s string) {
	c.widths = append(c.widths, c.text.width(s, f.Font))
	c.Canvas.FillString(f, pt, s)
}

// renderSVG draws f as an SVG element (without the XML prologue, ready to inline).
func renderSVG(f figure) ([]byte, error) {
	svg := vgsvg.NewWith(vgsvg.UseWH(f.w, f.h))
	mc := &measuredCanvas{Canvas: svg, text: f.text}
	f.draw(mc)
	var b bytes.Buffer
	if _, err := svg.WriteTo(&b); err != nil {
		return nil, err
	}
	return finishSVG(b.Bytes(), mc.widths)
}

// Errors of finishSVG: vgsvg output it does not recognise.
var (
	errNoSVG   = errors.New("vgsvg wrote no <svg> element")
	errSVGText = errors.New("unexpected vgsvg text output")
)

// finishSVG cuts the XML prologue, gives the i-th <text> element the textLength
// widths[i] and replaces the one family that vgsvg writes by chartFontFamily. It
// is deterministic and fails rather than leave a text it did not rewrite.
func finishSVG(out []byte, widths []vg.Length) ([]byte, error) {
	i := bytes.Index(out, []byte("<svg"))
	if i < 0 {
		return nil, errNoSVG
	}
	out = out[i:]
	parts := bytes.Split(out, []byte("<text "))
	if len(parts)-1 != len(widths) {
		return nil, fmt.Errorf("%w: %d <text> elements for %d strings drawn", errSVGText, len(parts)-1, len(widths))
	}
	var b bytes.Buffer
	b.Grow(len(out) + len(widths)*(len(chartFontFamily)+48))
	b.Write(parts[0])
	for k, p := range parts[1:] {
		b.WriteString("<text ")
		if w := widths[k]; w > 0 {
			b.WriteString(`textLength="`)
			b.WriteString(strconv.FormatFloat(w.Points(), 'g', 5, 64))
			b.WriteString(`" lengthAdjust="spacingAndGlyphs" `)
		}
		from, to := []byte("font-family:"+chartFamilyName+";"), []byte("font-family:"+chartFontFamily+";")
		if bytes.Count(p, from) != 1 || bytes.Count(p, []byte("font-family:")) != 1 {
			return nil, fmt.Errorf("%w: text %d is not in %s alone", errSVGText, k, chartFamilyName)
		}
		b.Write(bytes.Replace(p, from, to, 1))
	}
	return b.Bytes(), nil
}

// newPlot returns a plot whose every text (title, axis labels, ticks, legend)
// is drawn in the chart face by h.
func newPlot(h cjkText, title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.TextHandler = h
	for _, s := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		useText(s, h)
	}
	p.Title.TextStyle.Font.Size = 13
	p.Title.Padding = vg.Points(6)
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	return p
}

// useText sets the chart face (keeping the size) and handler h on s.
func useText(s *text.Style, h cjkText) {
	s.Font = chartFont(s.Font.Size)
	s.Handler = h
}

// linesChart draws a monthly line chart as SVG.
func linesChart(title, ylabel string, ss []series) ([]byte, error) {
	f, err := linesPlot(title, ylabel, ss)
	if err != nil {
		return nil, err
	}
	return renderSVG(f)
}

// linesPlot builds a monthly line chart with its legend on the right, the
// legend column as wide as its longest entry.
func linesPlot(title, ylabel string, ss []series) (figure, error) {
	h := newCJKText()
	p := newPlot(h, title, "月份 Month", ylabel)
	p.X.Min, p.X.Max = 1, 12
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	useText(&legend.TextStyle, h)
	legend.TextStyle.Font.Size = 11
	// gonum spaces entries by the Latin x-height box; CJK glyphs fill the em, so
	// they need a gap to stay apart.
	legend.Padding = 0.4 * legend.TextStyle.Font.Size
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
		legend.Add(se.Label, l)
	}
	box := legend.Rectangle(draw.Canvas{}).Size()
	lw := max(box.X+vg.Points(12), 3*vg.Centimeter)
	ht := max(chartH, box.Y+legendTop+2*chartMargin)
	return figure{p: p, legend: &legend, legendW: lw, w: chartW + lw, h: ht, text: h}, nil
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

// monthTicks label the months 1月 … 12月.
func monthTicks() []plot.Tick {
	t := make([]plot.Tick, 12)
	for i := range t {
		t[i] = plot.Tick{Value: float64(i + 1), Label: strconv.Itoa(i+1) + "月"}
	}
	return t
}

// barsChart draws horizontal bars as SVG, the first value at the top.
func barsChart(title, xlabel string, vs []named, xmax float64) ([]byte, error) {
	f, err := barsPlot(title, xlabel, vs, xmax)
	if err != nil {
		return nil, err
	}
	return renderSVG(f)
}

// barsPlot builds a horizontal bar chart labelled with the values' Labels.
func barsPlot(title, xlabel string, vs []named, xmax float64) (figure, error) {
	h := newCJKText()
	p := newPlot(h, title, xlabel, "")
	p.Add(plotter.NewGrid())
	n := len(vs)
	if n == 0 {
		p.X.Min, p.X.Max = 0, max(xmax, 1)
		return figure{p: p, w: chartW, h: chartH, text: h}, nil
	}
	vals := make(plotter.Values, n)
	labels := make([]string, n)
	for i, v := range vs {
		vals[n-1-i] = v.Value
		labels[n-1-i] = v.Label
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
	return figure{p: p, w: chartW, h: max(chartH, vg.Length(n)*vg.Points(14)+vg.Points(70)+2*chartMargin), text: h}, nil
}
