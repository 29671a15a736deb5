package main

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gonum.org/v1/plot/vg"
)

// TestCJKTextWidth: CJK and full-width runes are 1 em, Latin runs are measured
// with Liberation Sans (as text.Plain does), runes Liberation lacks are 1 em.
func TestCJKTextWidth(t *testing.T) {
	h := newCJKText()
	const size = 12
	fnt := chartFont(size)
	face := h.fonts.Lookup(fnt, size)
	latin := func(s string) float64 { return face.Width(s).Points() }
	if hasGlyph(face, '①') {
		t.Fatal("Liberation Sans has ①: pick another missing rune for the test")
	}
	if !hasGlyph(face, '—') || !hasGlyph(face, '·') {
		t.Fatal("Liberation Sans lacks — or ·")
	}
	tests := []struct {
		txt  string
		want float64 // points
	}{
		{"", 0},
		{"各状态使用申请数", 8 * size},
		{"各状态使用申请数（月末）", 12 * size},
		{"、。，：＋￥", 6 * size},
		{"Jan", latin("Jan")},
		{"1月", latin("1") + size},
		{"12月", latin("12") + size},
		{"月份 Month", 2*size + latin(" Month")},
		{"费用（元） Cost (CNY)", 5*size + latin(" Cost (CNY)")},
		{"1. 市公安局", latin("1. ") + 4*size},
		{"市公安局 — 91.2", 4*size + latin(" — 91.2")},
		{"①②", 2 * size},
		{"한국어 かな", 5*size + latin(" ")},
	}
	var got, want []float64
	for _, tt := range tests {
		got = append(got, h.width(tt.txt, fnt).Points())
		want = append(want, tt.want)
		w, asc, desc := h.Box(tt.txt, fnt)
		e := h.Extents(fnt)
		if w != h.width(tt.txt, fnt) || asc != e.Ascent || desc != e.Descent {
			t.Errorf("Box(%q) = %v, %v, %v; want the width and the face's extents", tt.txt, w, asc, desc)
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("widths in points (-want +got):\n%s", diff)
	}
	// A CJK title is about n em: 1 em per character at any size.
	for _, size := range []vg.Length{10, 12, 13} {
		title := "各单位配额使用率"
		if got, want := h.width(title, chartFont(size)), 8*size; got != want {
			t.Errorf("width of %q at %vpt = %v, want %v", title, size, got, want)
		}
	}
}

// textRE matches a <text> element as finishSVG leaves it.
var textRE = regexp.MustCompile(`<text (?:textLength="([^"]+)" lengthAdjust="spacingAndGlyphs" )?x="([^"]+)" y="[^"]+"[^>]*\n\tstyle="font-family:([^;]*);[^"]*font-size:([^;"]+)[^"]*">([^<]*)</text>`)

// svgText is one text of an SVG.
type svgText struct {
	Text, Family, Size string
	X, Length          float64
}

func svgTexts(t *testing.T, svg string) []svgText {
	t.Helper()
	var out []svgText
	for _, m := range textRE.FindAllStringSubmatch(svg, -1) {
		x, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		var l float64
		if m[1] != "" {
			if l, err = strconv.ParseFloat(m[1], 64); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, svgText{Text: m[5], Family: m[3], Size: m[4], X: x, Length: l})
	}
	if n := strings.Count(svg, "<text "); n != len(out) {
		t.Fatalf("%d <text> elements, %d in the expected form", n, len(out))
	}
	return out
}

// TestChartText renders a bar chart and a line chart with Chinese labels: every
// text names the fallback families and carries its measured width; the CJK
// title is centred on its n-em width; tick labels are Chinese.
func TestChartText(t *testing.T) {
	bars, err := barsChart("各单位配额使用率", "使用率 Utilisation (%)", []named{
		{Label: "滨江区住房城乡建设局(2)", Value: 75}, {Label: "市公安局", Value: 50}}, 100)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := linesChart("各状态使用申请数（月末）", "申请数 Applications", []series{
		{Label: "已提交待受理", Values: [12]float64{1, 2, 3}}, {Label: "试用环境准备中", Values: [12]float64{3, 2, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	byText := func(svg []byte) map[string]svgText {
		m := map[string]svgText{}
		for _, tx := range svgTexts(t, string(svg)) {
			if tx.Family != chartFontFamily {
				t.Errorf("%q in font-family %s, want %s", tx.Text, tx.Family, chartFontFamily)
			}
			if tx.Length == 0 {
				t.Errorf("%q has no textLength", tx.Text)
			}
			m[tx.Text] = tx
		}
		return m
	}
	b, l := byText(bars), byText(lines)
	type got struct {
		Length, X float64
		Size      string
	}
	tests := []struct {
		name string
		in   map[string]svgText
		text string
		want got
	}{
		// Centred over the whole bar chart: x = W/2 − 8 em at 13pt.
		{"bar title", b, "各单位配额使用率", got{8 * 13, chartW.Points()/2 - 4*13, "13px"}},
		{"bar tick", b, "市公安局", got{4 * 10, -1, "10px"}},
		{"line legend", l, "试用环境准备中", got{7 * 11, -1, "11px"}},
		{"month tick", l, "12月", got{newCJKText().width("12", chartFont(10)).Points() + 10, -1, "10px"}},
	}
	for _, tt := range tests {
		tx, ok := tt.in[tt.text]
		if !ok {
			t.Errorf("%s: no text %q", tt.name, tt.text)
			continue
		}
		g := got{tx.Length, tx.X, tx.Size}
		if tt.want.X < 0 {
			g.X = -1
		}
		if diff := cmp.Diff(tt.want, g, cmpopts.EquateApprox(0, 0.01)); diff != "" {
			t.Errorf("%s %q (-want +got):\n%s", tt.name, tt.text, diff)
		}
	}
	for _, want := range []string{"使用率 Utilisation (%)", "滨江区住房城乡建设局(2)"} {
		if _, ok := b[want]; !ok {
			t.Errorf("bar chart lacks %q", want)
		}
	}
	for _, want := range []string{"各状态使用申请数（月末）", "月份 Month", "申请数 Applications", "1月", "已提交待受理"} {
		if _, ok := l[want]; !ok {
			t.Errorf("line chart lacks %q", want)
		}
	}
	// The long tick label fits left of the bars: the Y axis is as wide as it.
	tick := b["滨江区住房城乡建设局(2)"]
	if tick.X < 0 {
		t.Errorf("tick label starts at x=%v, outside the chart", tick.X)
	}
}

// TestFinishSVG: the XML prologue is cut, widths go to the texts in order, the
// family is replaced, and output it does not recognise is an error.
func TestFinishSVG(t *testing.T) {
	const text = "<text x=\"1\" y=\"2\" transform=\"scale(1, -1)\"\n\tstyle=\"font-family:Liberation Sans;font-size:10px\">%s</text>\n"
	svg := func(family string, texts ...string) []byte {
		s := "<?xml version=\"1.0\"?>\n<svg width=\"1\">\n"
		for _, x := range texts {
			s += strings.Replace(fmtText(text, x), "Liberation Sans", family, 1)
		}
		return []byte(s + "</svg>\n")
	}
	tests := []struct {
		name   string
		in     []byte
		widths []vg.Length
		want   string
		err    error
	}{
		{"two texts", svg("Liberation Sans", "甲", "b"), []vg.Length{12, 5.5},
			"<svg width=\"1\">\n" +
				"<text textLength=\"12\" lengthAdjust=\"spacingAndGlyphs\" x=\"1\" y=\"2\" transform=\"scale(1, -1)\"\n\tstyle=\"font-family:" + chartFontFamily + ";font-size:10px\">甲</text>\n" +
				"<text textLength=\"5.5\" lengthAdjust=\"spacingAndGlyphs\" x=\"1\" y=\"2\" transform=\"scale(1, -1)\"\n\tstyle=\"font-family:" + chartFontFamily + ";font-size:10px\">b</text>\n" +
				"</svg>\n", nil},
		{"empty text, no textLength", svg("Liberation Sans", ""), []vg.Length{0},
			"<svg width=\"1\">\n<text x=\"1\" y=\"2\" transform=\"scale(1, -1)\"\n\tstyle=\"font-family:" + chartFontFamily + ";font-size:10px\"></text>\n</svg>\n", nil},
		{"no text", svg("Liberation Sans"), nil, "<svg width=\"1\">\n</svg>\n", nil},
		{"fewer widths", svg("Liberation Sans", "a", "b"), []vg.Length{1}, "", errSVGText},
		{"other family", svg("Liberation Serif", "a"), []vg.Length{1}, "", errSVGText},
		{"no svg", []byte("<?xml?>"), nil, "", errNoSVG},
	}
	for _, tt := range tests {
		got, err := finishSVG(tt.in, tt.widths)
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
			continue
		}
		if diff := cmp.Diff(tt.want, string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func fmtText(format, s string) string { return strings.Replace(format, "%s", s, 1) }
