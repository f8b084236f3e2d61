package sandbox

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/payment"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the sandbox's HTML pages, parsed once.
var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// statusLabels are the statuses as a tester reads them.
var statusLabels = map[payment.Status]string{
	payment.Initial:  "Offen (INITIAL)",
	payment.Payed:    "Bezahlt (PAYED)",
	payment.Failed:   "Gescheitert (FAILED)",
	payment.Canceled: "Abgebrochen (CANCELED)",
}

// decisions are the pay page's buttons: the status each one sets (""
// leaves the transaction INITIAL).
var decisions = map[string]payment.Status{
	"bezahlen":  payment.Payed,
	"scheitern": payment.Failed,
	"abbrechen": payment.Canceled,
	"spaeter":   "",
}

type choice struct {
	Value, Label string
	Current      bool
}

type payView struct {
	Purpose, Description, Reference, StatusLabel string
	Items                                        []item
	Gross                                        payment.Cents
	Open                                         bool
	RedirectURL, PayAction, ControlAction        string
	Choices                                      []choice
}

func (s *Sandbox) payPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("transactionId")
	s.mu.Lock()
	tx, ok := s.txs[id]
	var v payView
	if ok {
		v = payView{
			Purpose: tx.purpose, Description: tx.description, Reference: tx.info.TransactionReference,
			StatusLabel: statusLabels[tx.info.Status], Items: tx.items, Gross: tx.gross,
			Open: tx.info.Status == payment.Initial, RedirectURL: tx.redirectURL,
			PayAction: s.prefix + "bezahlen/" + id, ControlAction: s.prefix + "steuerung/" + id,
		}
		for _, st := range []payment.Status{payment.Initial, payment.Payed, payment.Failed, payment.Canceled} {
			v.Choices = append(v.Choices, choice{string(st), statusLabels[st], st == tx.info.Status})
		}
	}
	s.mu.Unlock()
	if !ok {
		s.message(w, http.StatusNotFound, "Zahlung nicht gefunden", "Diese Zahlung gibt es in der Sandbox nicht (mehr).")
		return
	}
	s.render(w, http.StatusOK, "pay", v)
}

// payDecide ends the payment as the tester chose and sends the browser
// back to the transaction's redirectUrl. A finished transaction stays as
// it is.
func (s *Sandbox) payDecide(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("transactionId")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	status, known := decisions[postValue(r, "aktion")]
	s.mu.Lock()
	tx, ok := s.txs[id]
	if ok && known && status != "" && tx.info.Status == payment.Initial {
		s.setLocked(tx, status)
	}
	var back string
	if ok {
		back = tx.redirectURL
	}
	s.mu.Unlock()
	switch {
	case !ok:
		s.message(w, http.StatusNotFound, "Zahlung nicht gefunden", "Diese Zahlung gibt es in der Sandbox nicht (mehr).")
	case !known:
		s.message(w, http.StatusBadRequest, "Auswahl fehlt", "Bitte wählen Sie, wie die Zahlung ausgehen soll.")
	default:
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}

// controlSet sets a transaction's status from the pay page's form.
func (s *Sandbox) controlSet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("transactionId")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := s.Set(id, payment.Status(postValue(r, "status"))); err != nil {
		if _, found := s.lookup(id); !found {
			s.message(w, http.StatusNotFound, "Zahlung nicht gefunden", "Diese Zahlung gibt es in der Sandbox nicht (mehr).")
			return
		}
		s.message(w, http.StatusBadRequest, "Status ungültig", "Bitte wählen Sie einen der angebotenen Status.")
		return
	}
	http.Redirect(w, r, s.prefix+"bezahlen/"+id, http.StatusSeeOther)
}

func (s *Sandbox) lookup(id string) (*transaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, ok := s.txs[id]
	return tx, ok
}

type txView struct {
	URL, Reference, Purpose, StatusLabel string
	Gross                                payment.Cents
}

type controlView struct {
	Creates, Statuses int
	Down              bool
	FailNext, Action  string
	Codes             []choice
	Transactions      []txView
}

// failCodes are the error codes the control page offers.
var failCodes = []string{
	payment.CodePaymentExists, payment.CodeCalculation, payment.CodeBookingData, payment.CodeValidation,
	payment.CodeForbidden, payment.CodeNoValidEndpoint, payment.CodeUnspecified,
}

func (s *Sandbox) controlPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	v := controlView{Creates: s.creates, Statuses: s.statuses, Down: s.down, FailNext: s.failNext, Action: s.prefix + "steuerung"}
	v.Codes = append(v.Codes, choice{"", "keiner", s.failNext == ""})
	for _, c := range failCodes {
		v.Codes = append(v.Codes, choice{c, c, s.failNext == c})
	}
	for _, tx := range s.txs {
		v.Transactions = append(v.Transactions, txView{
			URL: s.prefix + "bezahlen/" + tx.info.TransactionID, Reference: tx.info.TransactionReference,
			Purpose: tx.purpose, StatusLabel: statusLabels[tx.info.Status], Gross: tx.gross,
		})
	}
	s.mu.Unlock()
	slices.SortFunc(v.Transactions, func(a, b txView) int { return strings.Compare(a.Reference, b.Reference) })
	s.render(w, http.StatusOK, "control", v)
}

// controlUpdate sets the outage (field ausfall: "an" or "aus") and the
// next create's error code (field naechster_fehler: a code or "" for
// none); a missing field changes nothing.
func (s *Sandbox) controlUpdate(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.message(w, http.StatusBadRequest, "Eingabe nicht lesbar", "Das Formular konnte nicht gelesen werden.")
		return
	}
	switch r.PostForm.Get("ausfall") {
	case "an":
		s.SetDown(true)
	case "aus":
		s.SetDown(false)
	}
	if vs, ok := r.PostForm["naechster_fehler"]; ok {
		code := vs[0]
		if code != "" && !slices.Contains(failCodes, code) {
			s.message(w, http.StatusBadRequest, "Fehlercode unbekannt", "Bitte wählen Sie einen der angebotenen Fehlercodes.")
			return
		}
		s.FailNext(code)
	}
	http.Redirect(w, r, s.prefix+"steuerung", http.StatusSeeOther)
}

func postValue(r *http.Request, key string) string {
	if err := r.ParseForm(); err != nil {
		return ""
	}
	return r.PostForm.Get(key)
}

func (s *Sandbox) message(w http.ResponseWriter, status int, title, text string) {
	s.render(w, status, "message", struct{ Title, Text string }{title, text})
}

func (s *Sandbox) render(w http.ResponseWriter, status int, name string, data any) {
	var b strings.Builder
	if err := s.pages.ExecuteTemplate(&b, name, data); err != nil {
		slog.Error("sandbox page", "page", name, "err", err)
		http.Error(w, "Seite konnte nicht erzeugt werden", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}
