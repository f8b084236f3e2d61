package journey

import (
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// Subject is whom a Datenfeldgruppe of a FIM schema is about, as far as the
// names of the FIM Baukasten tell: the applicant (the person filling in the
// form), someone else (a representative, a business, a child …), or no
// one in particular (an address, a means of contact, a name: reusable
// groups whose subject is their parent's).
type Subject int

// Subjects.
const (
	SubjectUnknown   Subject = iota // the group does not say; its ancestors decide
	SubjectApplicant                // "Antragstellende Person", "Angaben zur Person" …
	SubjectOther                    // "Gesetzlicher Vertreter", "Betrieb", "Kind" …
)

// applicantWords mark a group about the applicant. They are matched in
// the lower-cased Name and bezeichnungEingabe of the group.
var applicantWords = []string{"antragstell", "anzeigend", "anzeigeerstatt", "meldepflichtige person", "angaben zu ihrer person"}

// topApplicantNames mark the applicant only for a top-level group: below
// another group, "Person" or "Persönliche Angaben" is anybody's.
var topApplicantNames = []string{"person", "angaben zur person", "persönliche angaben", "personalien"}

// otherWords mark a group about someone other than the applicant: other
// people, organisations and places of business, and former or deviating
// data (a former address is not the one a browser fills in).
var otherWords = []string{
	"vertret", "vertreter", "bevollmächtig", "vollmacht", "betreu", "vormund",
	"halter", "inhaber", "eigentümer", "besitzer", "verstorben",
	"betrieb", "unternehmen", "firma", "gesellschaft", "niederlassung", "zweigstelle", "arbeitgeber",
	"juristische person", "organisation", "verein", "behörde", "einrichtung", "tätigkeitsort",
	"kind", "ehegatt", "lebenspartner", "vater", "mutter", "eltern", "angehörig", "familienmitglied",
	"ansprechp", "kontaktperson", "auftraggeb", "mitarbeit", "angestellte", "beschäftigte", "leitung", "vorstand",
	"aufsichtsführend", "verantwortliche", "empfänger", "zeuge", "beteiligte", "dritte",
	"ehemalig", "früher", "abweichend", "vorherig", "bisherig",
	// A post-office box is the applicant's, but not the address a browser
	// fills in: its postcode is not the home postcode.
	"postfach",
}

// standardNames are names of standards that Baukasten group names carry
// ("Anschrift Ausland (strukturiert, XUnternehmen)"), removed before a
// group's subject is read from its name.
var standardNames = strings.NewReplacer("xunternehmen", "", "xpersonenstand", "", "xmeld", "")

// SubjectOf classifies one Datenfeldgruppe by its Name and
// bezeichnungEingabe; top tells whether it is a top-level group of the
// schema. A group that names the applicant and someone else ("Kind des
// Antragstellers", "Antragsteller oder Gesetzlicher Vertreter") is
// SubjectOther: a wrong token is worse than none.
func SubjectOf(e *form.Element, top bool) Subject {
	text := strings.ToLower(e.Name + "\n" + e.Label())
	// Names of standards in Baukasten names ("Anschrift Ausland
	// (strukturiert, XUnternehmen)") say nothing about the subject.
	text = standardNames.Replace(text)
	for _, w := range otherWords {
		if strings.Contains(text, w) {
			return SubjectOther
		}
	}
	for _, w := range applicantWords {
		if strings.Contains(text, w) {
			return SubjectApplicant
		}
	}
	if top {
		for _, n := range topApplicantNames {
			if strings.ToLower(strings.TrimSpace(e.Name)) == n || strings.ToLower(strings.TrimSpace(e.Label())) == n {
				return SubjectApplicant
			}
		}
	}
	return SubjectUnknown
}

// Within returns the subject of a group with subject inner inside a group
// with subject s: the nearest group that says whom it is about decides.
func (s Subject) Within(inner Subject) Subject {
	if inner != SubjectUnknown {
		return inner
	}
	return s
}

// Autocomplete returns the HTML autofill field name (HTML Living Standard,
// 4.10.18.7 "Autofill", the tokens of WCAG 2.1 SC 1.3.5 Identify Input
// Purpose) of field e, or "" for none. Only fields about the applicant get
// a token (subject SubjectApplicant): a browser fills in the user's own
// data, never a representative's or a business's. For a date of birth it
// returns "bday"; a date widget uses "bday-day", "bday-month" and
// "bday-year" on its parts.
func Autocomplete(subject Subject, e *form.Element) string {
	if subject != SubjectApplicant || e.Kind != form.KindField {
		return ""
	}
	return fieldPurpose(strings.ToLower(strings.TrimSpace(e.Name)))
}

// fieldPurpose maps the (lower-cased) name of a Baukasten Datenfeld to its
// autofill field name.
func fieldPurpose(n string) string {
	has := strings.HasPrefix
	switch {
	case has(n, "vorname"), has(n, "rufname"):
		return "given-name"
	case has(n, "familienname"), has(n, "nachname"):
		return "family-name"
	case has(n, "geburtsdatum"):
		return "bday"
	case has(n, "straße"), has(n, "strasse"):
		return "address-line1"
	case has(n, "postleitzahl"), n == "plz":
		return "postal-code"
	case n == "ort", n == "wohnort", has(n, "ort "), has(n, "ort ("), n == "stadt":
		return "address-level2"
	case strings.Contains(n, "code"), strings.Contains(n, "schlüssel"):
		return "" // a code of a list (DESTATIS, ISO …), not the name a browser knows
	case has(n, "staat") && !has(n, "staatsangeh"), n == "land", n == "wohnsitzstaat":
		return "country-name"
	case has(n, "e-mail"), has(n, "email"):
		return "email"
	case has(n, "telefon") && !strings.Contains(n, "fax"), has(n, "mobil"), has(n, "handy"):
		return "tel"
	}
	return ""
}
