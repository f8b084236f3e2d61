package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/payment"
)

// oneLineText is s with every run of white space as one space, so that
// texts wrapped in a PDF or indented in HTML still match.
func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }

// feeSection returns the text of the sent copy's "Gebühr" section: from
// its heading to the next h2 ("" if there is none).
func feeSection(t *testing.T, body string) string {
	t.Helper()
	page := parseHTML(t, body)
	h := page.byID("gebuehr")
	if h == nil {
		return ""
	}
	// Every text node is a word group of its own, so that a term and
	// its description read "Zahlung Bezahlt".
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for n := h; n != nil; n = n.NextSibling {
		if n != h && n.Type == html.ElementNode && n.Data == "h2" {
			break
		}
		walk(n)
	}
	return oneLineText(b.String())
}

// TestPaymentInReceiptAndSentCopy: a paid fee of 60,00 € (two years of
// the demo's Bewohnerparkausweis at 30 €) with the sandbox's first
// Kassenzeichen appears in the citizen's receipt PDF, in the
// caseworker's, and in the HTML copy of what was sent.
func TestPaymentInReceiptAndSentCopy(t *testing.T) {
	h := newHarness(t)
	j := startPaying(t, h)
	// Before payment the receipt says the fee is still open.
	if pdf := h.get(j.base + "/antrag.pdf"); pdf.status != http.StatusOK {
		t.Fatalf("receipt of a held application: %d", pdf.status)
	} else if text := oneLineText(pdfText(t, []byte(pdf.body))); !strings.Contains(text, "Zahlung ausstehend") || strings.Contains(text, "Kassenzeichen") {
		t.Errorf("receipt of a held application:\n%s", text)
	}
	h.payOnPage(j.payPage, "bezahlen")
	j.paid(t)
	// The sandbox gives its first transaction the Kassenzeichen
	// KZ-<year>-000001 and reports the time of payment by its own clock.
	paid := payment.PaidAttempt(j.attempts(t))
	if !regexp.MustCompile(`^KZ-\d{4}-000001$`).MatchString(paid.TransactionReference) || paid.PaidAt.IsZero() {
		t.Fatalf("paid attempt: Kassenzeichen %q, paid at %v", paid.TransactionReference, paid.PaidAt)
	}
	paidAt := paid.PaidAt.In(localtime.Berlin).Format("02.01.2006, 15:04") + " Uhr"
	wants := []string{"Gebühr", "Bewohnerparkausweis, je Jahr Gültigkeit 2 × 30,00 € = 60,00 €", "Summe 60,00 €", "Zahlung Bezahlt",
		"Kassenzeichen " + paid.TransactionReference, "Zahlart Kreditkarte", "Bezahlt am " + paidAt}
	s := j.sub(t)
	for name, pdf := range map[string]response{
		"citizen":    h.get(j.base + "/antrag.pdf"),
		"caseworker": h.do(h.staffClient("musterstadt"), "GET", "/intern/antraege/"+s.ID+"/antrag.pdf", nil),
	} {
		if pdf.status != http.StatusOK {
			t.Fatalf("%s receipt: %d", name, pdf.status)
		}
		text := oneLineText(pdfText(t, []byte(pdf.body)))
		for _, w := range wants {
			if !strings.Contains(text, w) {
				t.Errorf("%s receipt lacks %q", name, w)
			}
		}
		if strings.Contains(text, "in Rechnung gestellt") {
			t.Errorf("%s receipt of a paid fee speaks of an invoice", name)
		}
		if t.Failed() {
			t.Logf("%s receipt:\n%s", name, text)
		}
	}
	sent := h.get(j.base + "/angaben")
	if sent.status != http.StatusOK {
		t.Fatalf("angaben: %d", sent.status)
	}
	fee := feeSection(t, sent.body)
	for _, w := range []string{"Gebühr", "Bewohnerparkausweis, je Jahr Gültigkeit 2 30,00 € 60,00 €", "Summe 60,00 €", "Zahlung Bezahlt",
		"Kassenzeichen " + paid.TransactionReference, "Zahlart Kreditkarte", "Bezahlt am " + paidAt} {
		if !strings.Contains(fee, w) {
			t.Errorf("sent copy's fee section lacks %q:\n%s", w, fee)
		}
	}
}

// TestPaymentDeferredInReceiptAndSentCopy: a deferred fee (the demo's
// Jagdschein) is shown with the note that it is invoiced, and without
// payment details; an application without a fee has no fee section.
func TestPaymentDeferredInReceiptAndSentCopy(t *testing.T) {
	h := newHarness(t)
	sv := h.service("beispielkreis", "jagdschein")
	base := h.start(sv)
	h.fill(sv, base, sv.form.Example(sv.ctx))
	h.submit(base)
	j := &payJourney{h: h, sv: sv, base: base}
	s := j.sub(t)
	if s.Bill == nil {
		t.Fatal("the demo's Jagdschein has no fee")
	}
	total := s.Bill.Total.String()
	text := oneLineText(pdfText(t, []byte(h.get(base+"/antrag.pdf").body)))
	fee := feeSection(t, h.get(base+"/angaben").body)
	for name, got := range map[string]string{"receipt": text, "sent copy": fee} {
		for _, w := range []string{"Ersterteilung Jagdschein", "Summe " + total, "Zahlung Gebühr wird in Rechnung gestellt", "Die Gebühr wird Ihnen in Rechnung gestellt."} {
			if !strings.Contains(got, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, got)
			}
		}
		if strings.Contains(got, "Kassenzeichen") {
			t.Errorf("%s of a deferred fee has a Kassenzeichen", name)
		}
	}

	// No fee: no section.
	sv = h.service("musterstadt", "blaue-karte-eu")
	base = h.start(sv)
	h.fill(sv, base, sv.form.Example(sv.ctx))
	h.submit(base)
	if fee := feeSection(t, h.get(base+"/angaben").body); fee != "" {
		t.Errorf("sent copy without a fee has a fee section: %s", fee)
	}
	if text := pdfText(t, []byte(h.get(base+"/antrag.pdf").body)); strings.Contains(text, "Summe") || strings.Contains(text, "Zahlung") {
		t.Errorf("receipt without a fee has a fee section:\n%s", text)
	}
}
