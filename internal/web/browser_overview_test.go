package web_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/demo"
)

// TestBrowserOverview: an admin opens the overview from the navigation;
// it passes axe in light and dark, with the daily table closed and open,
// and its chart is drawn.
func TestBrowserOverview(t *testing.T) {
	bin := chromiumBinary(t)
	h := newHarness(t)
	ctx := context.Background()
	mt, err := h.db.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	trade := h.service("musterstadt", "gewerbeanmeldung")
	if err := h.db.SetTargets(ctx, mt.ID, trade.svc.ID, []*delivery.Target{{Kind: delivery.Inbox},
		{Kind: delivery.Webhook, URL: "https://fachverfahren.example.org/hook", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}); err != nil {
		t.Fatal(err)
	}
	h.now = time.Now() // the store stamps submissions with the wall clock
	h.sendExample("musterstadt", "bewohnerparkausweis")
	h.sendExample("musterstadt", "gewerbeanmeldung")
	sub, _ := h.sendExample("musterstadt", "gewerbeanmeldung")
	ds, err := h.db.Deliveries(ctx, mt.ID, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Target.Kind == delivery.Webhook {
			d.State, d.Attempts, d.LastError, d.DoneAt, d.NextAttempt = delivery.Failed, 3, "HTTP 503", time.Now(), time.Time{}
			if err := h.db.UpdateDelivery(ctx, d, delivery.Pending, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.now = time.Now()
	b := newBrowser(t, bin, h.srv.URL)

	b.navigate("/intern/anmelden", 200)
	b.run(
		chromedp.SendKeys(chromedp.ID("benutzername"), demo.Admins["musterstadt"]),
		chromedp.SendKeys(chromedp.ID("passwort"), demo.Password),
	)
	b.click(`main form button[type="submit"]`, 200)
	b.page("Posteingang", "Posteingang")
	b.click(`header a#nav-uebersicht`, 200)
	b.page("Übersicht", "Übersicht")
	if w := evalT[float64](b, `document.querySelector("main svg[role=img]").getBoundingClientRect().width`); w < 300 {
		t.Errorf("chart drawn %v px wide", w)
	}
	if n := evalT[int](b, `document.querySelectorAll("main svg[role=img] rect.app-chart__bar").length`); n != 2 {
		t.Errorf("%d bar segments, want 2", n)
	}
	checkChartContrast(b, "hell")
	b.dark(true)
	checkChartContrast(b, "dunkel")
	b.dark(false)
	b.settle("#antraege-tabelle summary")
	b.run(chromedp.Click(chromedp.CSS("#antraege-tabelle summary")))
	if !evalT[bool](b, `document.getElementById("antraege-tabelle").open`) {
		t.Fatal("the daily table did not open")
	}
	b.page("Übersicht mit Tabelle", "Übersicht")
}

// chartColours are the colours of a chart's texts and bars and of the
// page's background, as sRGB, in the current colour scheme.
const chartColours = `(() => {
	const rgb = c => { const cv = document.createElement("canvas"); cv.width = cv.height = 1;
		const x = cv.getContext("2d"); x.fillStyle = "#000"; x.fillStyle = c; x.fillRect(0, 0, 1, 1);
		return Array.from(x.getImageData(0, 0, 1, 1).data).slice(0, 3); };
	const fills = sel => Array.from(document.querySelectorAll(sel), e => rgb(getComputedStyle(e).fill));
	return {background: rgb(getComputedStyle(document.body).backgroundColor),
		texts: fills(".app-chart__svg text"), bars: fills(".app-chart__svg rect.app-chart__bar, .app-chart__swatch rect")};
})()`

// luminance is the relative luminance of an sRGB colour (WCAG 2.1).
func luminance(c [3]float64) float64 {
	var l [3]float64
	for i, v := range c {
		v /= 255
		if v <= 0.03928 {
			l[i] = v / 12.92
		} else {
			l[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// contrast is the contrast ratio of two colours (WCAG 2.1).
func contrast(a, b [3]float64) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// checkChartContrast checks what axe leaves out: the chart's texts have a
// contrast of at least 4.5:1 to the background (WCAG 1.4.3), its bars
// and legend swatches at least 3:1 (1.4.11).
func checkChartContrast(b *browser, scheme string) {
	b.t.Helper()
	type colours struct {
		Background [3]float64   `json:"background"`
		Texts      [][3]float64 `json:"texts"`
		Bars       [][3]float64 `json:"bars"`
	}
	c := evalT[colours](b, chartColours)
	if len(c.Texts) == 0 || len(c.Bars) == 0 {
		b.t.Fatalf("%s: chart with %d texts and %d bars", scheme, len(c.Texts), len(c.Bars))
	}
	for _, x := range c.Texts {
		if r := contrast(x, c.Background); r < 4.5 {
			b.t.Errorf("%s: chart text %v on %v: contrast %.2f", scheme, x, c.Background, r)
		}
	}
	for _, x := range c.Bars {
		if r := contrast(x, c.Background); r < 3 {
			b.t.Errorf("%s: bar %v on %v: contrast %.2f", scheme, x, c.Background, r)
		}
	}
}
