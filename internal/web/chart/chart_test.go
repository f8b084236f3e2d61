package chart_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/web/chart"
)

func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		top  int
		want []int
	}{
		{0, []int{0, 1}},
		{1, []int{0, 1}},
		{3, []int{0, 1, 2, 3}},
		{5, []int{0, 1, 2, 3, 4, 5}},
		{7, []int{0, 2, 4, 6, 8}},
		{10, []int{0, 2, 4, 6, 8, 10}},
		{23, []int{0, 5, 10, 15, 20, 25}},
		{99, []int{0, 20, 40, 60, 80, 100}},
		{101, []int{0, 50, 100, 150}},
		{1234, []int{0, 500, 1000, 1500}},
	} {
		if got := chart.Ticks(tc.top); !slices.Equal(got, tc.want) {
			t.Errorf("Ticks(%d) = %v, want %v", tc.top, got, tc.want)
		}
	}
}

func parse(t *testing.T, c chart.StackedBars) *goquery.Document {
	t.Helper()
	h, err := c.HTML()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(h)))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attrFloat(t *testing.T, s *goquery.Selection, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s.AttrOr(name, ""), 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// TestStackedBars: the SVG is an image named by its title and described
// by its desc, texts are escaped, the segments stack in series order with
// heights proportional to their values, and the legend names each series.
func TestStackedBars(t *testing.T) {
	c := chart.StackedBars{ID: "antraege", Title: `Anträge <script>alert(1)</script>`, Desc: "3 Tage & 2 Dienste",
		Labels: []string{"01.12.", "02.12.", "03.12."},
		Series: []chart.Series{{Name: `Dienst "A"`, Values: []int{2, 0, 1}}, {Name: "Dienst <B>", Values: []int{2, 0, 0}}}}
	doc := parse(t, c)
	svg := doc.Find("svg.app-chart__svg")
	if svg.Length() != 1 || svg.AttrOr("role", "") != "img" || svg.AttrOr("aria-labelledby", "") != "antraege-titel antraege-beschreibung" {
		t.Fatalf("svg %v role %q labelledby %q", svg.Length(), svg.AttrOr("role", ""), svg.AttrOr("aria-labelledby", ""))
	}
	if got := doc.Find("svg title#antraege-titel").Text(); got != c.Title {
		t.Errorf("title %q", got)
	}
	if got := doc.Find("svg desc#antraege-beschreibung").Text(); got != c.Desc {
		t.Errorf("desc %q", got)
	}
	if doc.Find("script").Length() != 0 {
		t.Error("the title's markup was not escaped")
	}
	rects := doc.Find("svg.app-chart__svg rect.app-chart__bar")
	if rects.Length() != 3 {
		t.Fatalf("%d bar segments, want 3 (zero values draw none)", rects.Length())
	}
	// Day 1: 2 of A below 2 of B, on an axis up to 4 (ticks 0 … 4).
	a, b := rects.Eq(0), rects.Eq(1)
	if !a.HasClass("app-chart__s0") || !b.HasClass("app-chart__s1") {
		t.Errorf("segment classes %q, %q", a.AttrOr("class", ""), b.AttrOr("class", ""))
	}
	ha, hb, hc := attrFloat(t, a, "height"), attrFloat(t, b, "height"), attrFloat(t, rects.Eq(2), "height")
	if ha <= 0 || ha != hb || ha != 2*hc {
		t.Errorf("heights %v, %v, %v: want 2:2:1", ha, hb, hc)
	}
	if ya, yb := attrFloat(t, a, "y"), attrFloat(t, b, "y"); yb+hb != ya {
		t.Errorf("B (y %v, h %v) does not sit on A (y %v)", yb, hb, ya)
	}
	if xs := attrFloat(t, rects.Eq(2), "x"); xs <= attrFloat(t, a, "x") {
		t.Errorf("day 3's bar is not right of day 1's")
	}
	if got := doc.Find("svg text").Map(func(_ int, s *goquery.Selection) string { return s.Text() }); !slices.Contains(got, "4") || !slices.Contains(got, "02.12.") {
		t.Errorf("axis labels %q", got)
	}
	legend := doc.Find("ul.app-chart__legend li").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if !slices.Equal(legend, []string{`Dienst "A"`, "Dienst <B>"}) {
		t.Errorf("legend %q", legend)
	}
	if doc.Find(`ul.app-chart__legend svg[aria-hidden="true"] rect.app-chart__s1`).Length() != 1 {
		t.Error("the legend's swatches are not hidden decorations of the series' classes")
	}

	c.Series[1].Values = []int{1}
	if _, err := c.HTML(); err == nil {
		t.Error("a series with too few values was drawn")
	}
}

// TestStackedBarsLabels: with many categories only every n-th is
// labelled.
func TestStackedBarsLabels(t *testing.T) {
	labels := make([]string, 30)
	values := make([]int, 30)
	for i := range labels {
		labels[i] = strconv.Itoa(i + 1)
	}
	doc := parse(t, chart.StackedBars{ID: "x", Title: "x", Labels: labels, Series: []chart.Series{{Name: "s", Values: values}}})
	got := doc.Find(`svg text[text-anchor="middle"]`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if !slices.Equal(got, []string{"1", "4", "7", "10", "13", "16", "19", "22", "25", "28"}) {
		t.Errorf("x labels %q", got)
	}
	if doc.Find("rect.app-chart__bar").Length() != 0 {
		t.Error("zero values drew bars")
	}
}
