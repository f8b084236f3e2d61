package email

import (
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/localtime"
)

// Subject returns the notice's subject: "Neuer Antrag: <service name>
// (<Vorgangsnummer>)". It holds no personal data.
func Subject(p *delivery.Parcel) string {
	return fmt.Sprintf("Neuer Antrag: %s (%s)", oneLine(p.Service.Name), oneLine(p.Submission.Reference))
}

// Body returns the notice's German plain text: tenant, service, arrival
// time (Europe/Berlin), Vorgangsnummer, for an application with a fee the
// fee and its payment (see feeLine), and the link p.InboxURL. It reads
// only those fields, never the application's data or attachments, and
// says so in the text.
func Body(p *delivery.Parcel) string {
	at := p.Submission.SubmittedAt.In(localtime.Berlin)
	var b strings.Builder
	fmt.Fprintf(&b, "Guten Tag,\n\n")
	// The tenant's name is quoted, so that the sentence reads right for
	// any name ("Landkreis Beispielkreis" would need an article).
	fmt.Fprintf(&b, "im Mandanten „%s“ ist am %s um %s Uhr ein neuer Antrag für die Leistung „%s“ eingegangen.\n\n",
		oneLine(p.Tenant.Name), at.Format("02.01.2006"), at.Format("15:04"), oneLine(p.Service.Name))
	fmt.Fprintf(&b, "Vorgangsnummer: %s\n", oneLine(p.Submission.Reference))
	if line := feeLine(p); line != "" {
		fmt.Fprintf(&b, "%s\n", line)
	}
	fmt.Fprintf(&b, "\n")
	fmt.Fprintf(&b, "Nach der Anmeldung öffnen Sie den Antrag im Posteingang:\n%s\n\n", oneLine(p.InboxURL))
	fmt.Fprintf(&b, "Diese E-Mail enthält bewusst keine personenbezogenen Daten und keine Anhänge. "+
		"Die Angaben der antragstellenden Person finden Sie nur im Posteingang.\n\n")
	fmt.Fprintf(&b, "Diese Nachricht wurde automatisch erzeugt; bitte antworten Sie nicht darauf.\n")
	return b.String()
}

// feeLine is the notice's line on the fee: "Gebühr: 60,00 € (Bezahlt,
// Kassenzeichen KZ-2026-000001)" for a fee paid online, "Gebühr: 60,00 €
// (Gebühr wird in Rechnung gestellt)" for a deferred one, "Gebühr: 26,00 €
// (Nicht online bezahlt)" for an optional fee not paid online; "" for an
// application without a fee. A Kassenzeichen is a cash office reference,
// not personal data.
func feeLine(p *delivery.Parcel) string {
	fee := p.Fee()
	if fee == nil {
		return ""
	}
	state := fee.State.Label()
	if fee.Paid != nil && fee.Paid.TransactionReference != "" {
		state += ", Kassenzeichen " + oneLine(fee.Paid.TransactionReference)
	}
	return fmt.Sprintf("Gebühr: %s (%s)", fee.Amount(), state)
}

// oneLine replaces control characters, so that a value cannot add lines
// or headers.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// message builds the notice for p, sent at now.
func (s *Sender) message(p *delivery.Parcel, from *mail.Address, now time.Time) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	m.FromMailAddress(from)
	if err := m.To(p.Delivery.Target.Address); err != nil {
		return nil, fmt.Errorf("Empfängeradresse: %w", err)
	}
	m.Subject(Subject(p))
	m.SetDateWithValue(now.In(localtime.Berlin))
	m.SetMessageIDWithValue(MessageID(p.Delivery.ID, from.Address))
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	m.SetUserAgent("antrag")
	m.SetBodyString(gomail.TypeTextPlain, Body(p))
	return m, nil
}

// MessageID returns the Message-ID of the notice for a delivery, without
// angle brackets: "antrag.<deliveryID>@<domain of from>". It is the same on
// every attempt.
func MessageID(deliveryID, from string) string {
	domain := "antrag.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		domain = from[i+1:]
	}
	return "antrag." + deliveryID + "@" + domain
}
