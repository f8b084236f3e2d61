// Package chart draws charts as inline SVG on the server, so that a page
// shows them without JavaScript: the geometry (scales, bars, ticks) is
// computed here and the markup written by html/template, which escapes
// every text and attribute.
//
// A chart is an image to assistive technology (role="img", named by its
// <title> and described by its <desc>, WCAG 2.1 1.1.1); the page must
// carry the same data in text as well, e.g. a table. Colours are classes
// (app-chart__s0 … app-chart__s7, in app.css), so that they follow the
// colour scheme and the Content-Security-Policy allows them.
package chart

import (
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Palette is the number of series colours (classes app-chart__s0 …
// app-chart__s7); further series repeat them.
const Palette = 8

// Series is one stack level: a name and a value per category.
type Series struct {
	Name   string
	Values []int // per StackedBars.Labels; negative values count as 0
}

// StackedBars is a vertical bar chart with one bar per category, each
// stacked from the series' values.
type StackedBars struct {
	ID     string   // prefix of the ids of its <title> and <desc>, unique in the page
	Title  string   // the chart's accessible name
	Desc   string   // its description (what it shows, the main figures)
	Labels []string // the categories, left to right
	// LabelEvery shows every n-th category label (from the first); 0
	// chooses n so that about ten labels show.
	LabelEvery int
	Series     []Series
}

// Geometry of the drawing, in SVG user units (the SVG scales to its box).
const (
	width, height          = 720.0, 320.0
	marginLeft, marginTop  = 48.0, 12.0
	marginRight, marginBot = 8.0, 44.0
	barShare               = 0.7 // of a category's band
)

// Ticks returns the ticks of a value axis from 0 to at least top: about
// five, a whole step of 1, 2 or 5 times a power of ten apart. The last
// tick is the axis' top.
func Ticks(top int) []int {
	if top <= 0 {
		return []int{0, 1}
	}
	rough := float64(top) / 5
	mag := math.Pow(10, math.Floor(math.Log10(rough)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if rough <= m*mag {
			step = m * mag
			break
		}
	}
	s := max(int(step), 1)
	var ticks []int
	for v := 0; ; v += s {
		ticks = append(ticks, v)
		if v >= top {
			return ticks
		}
	}
}

// Rect is one drawn bar segment.
type Rect struct {
	X, Y, W, H string // formatted coordinates
	Class      string // the series' colour class
}

// Tick is a labelled position on an axis.
type Tick struct {
	X, Y  string
	Label string
}

// drawing is what the template draws.
type drawing struct {
	ID, Title, Desc string
	Width, Height   string
	Left, Right     string // x of the plot's left and right edge
	Bottom          string // y of the value 0
	YTicks          []Tick // X is the label's x, Y the line's y
	XTicks          []Tick
	Rects           []Rect
	Legend          []legendEntry
}

type legendEntry struct {
	Name, Class string
}

func num(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// SeriesClass is the colour class of the i-th series.
func SeriesClass(i int) string { return fmt.Sprintf("app-chart__s%d", i%Palette) }

//go:embed chart.html
var chartHTML string

var tmpl = template.Must(template.New("chart").Parse(chartHTML))

// HTML renders the chart: the SVG and, below it, its legend.
func (c StackedBars) HTML() (template.HTML, error) {
	n := len(c.Labels)
	for _, s := range c.Series {
		if len(s.Values) != n {
			return "", fmt.Errorf("chart %s: series %q has %d values for %d categories", c.ID, s.Name, len(s.Values), n)
		}
	}
	d := c.draw()
	var b strings.Builder
	if err := tmpl.Execute(&b, d); err != nil {
		return "", fmt.Errorf("chart %s: %w", c.ID, err)
	}
	return template.HTML(b.String()), nil
}

// draw computes the geometry.
func (c StackedBars) draw() drawing {
	n := len(c.Labels)
	top := 0
	for i := range n {
		sum := 0
		for _, s := range c.Series {
			sum += max(s.Values[i], 0)
		}
		top = max(top, sum)
	}
	ticks := Ticks(top)
	axisMax := float64(ticks[len(ticks)-1])
	plotW, plotH := width-marginLeft-marginRight, height-marginTop-marginBot
	bottom := marginTop + plotH
	y := func(v float64) float64 { return bottom - v/axisMax*plotH }
	d := drawing{ID: c.ID, Title: c.Title, Desc: c.Desc, Width: num(width), Height: num(height),
		Left: num(marginLeft), Right: num(width - marginRight), Bottom: num(bottom)}
	for _, t := range ticks {
		d.YTicks = append(d.YTicks, Tick{X: num(marginLeft - 6), Y: num(y(float64(t))), Label: fmt.Sprint(t)})
	}
	if n == 0 {
		return d
	}
	band := plotW / float64(n)
	barW := band * barShare
	every := c.LabelEvery
	if every <= 0 {
		every = max(1, (n+9)/10)
	}
	for i, label := range c.Labels {
		x := marginLeft + band*float64(i) + (band-barW)/2
		if i%every == 0 {
			d.XTicks = append(d.XTicks, Tick{X: num(x + barW/2), Y: num(bottom + 18), Label: label})
		}
		acc := 0
		for si, s := range c.Series {
			v := max(s.Values[i], 0)
			if v == 0 {
				continue
			}
			y0, y1 := y(float64(acc)), y(float64(acc+v))
			d.Rects = append(d.Rects, Rect{X: num(x), Y: num(y1), W: num(barW), H: num(y0 - y1), Class: SeriesClass(si)})
			acc += v
		}
	}
	for i, s := range c.Series {
		d.Legend = append(d.Legend, legendEntry{Name: s.Name, Class: SeriesClass(i)})
	}
	return d
}
