package form

import (
	"fmt"
	"strings"
	"time"
)

// German messages for Problems. They name the field by its label, in German
// typographic quotes, and say what to do.

func q(e *Element) string { return "„" + e.Label() + "“" }

func msgRequired(e *Element) string {
	return fmt.Sprintf("Bitte machen Sie eine Angabe zu %s.", q(e))
}

func msgEmpty(e *Element) string {
	return fmt.Sprintf("%s ist leer. Lassen Sie die Angabe weg oder füllen Sie sie aus.", q(e))
}

func msgType(e *Element, want string) string {
	return fmt.Sprintf("%s muss %s sein.", q(e), want)
}

func msgNotList(e *Element) string {
	return fmt.Sprintf("%s kann mehrfach vorkommen und muss deshalb als Liste übermittelt werden.", q(e))
}

func msgNotGroup(e *Element) string {
	return fmt.Sprintf("%s muss eine Gruppe von Angaben sein.", q(e))
}

func msgMinItems(e *Element, n int) string {
	return fmt.Sprintf("%s muss mindestens %d-mal angegeben werden.", q(e), n)
}

func msgMaxItems(e *Element, n int) string {
	if n == 1 {
		return fmt.Sprintf("%s darf nur einmal angegeben werden.", q(e))
	}
	return fmt.Sprintf("%s darf höchstens %d-mal angegeben werden.", q(e), n)
}

// alternativeNames lists the distinct labels of alternative groups:
// „A“ oder „B“.
func alternativeNames(children []Child, group []int) string {
	labels := DistinctLabels(children, group)
	for i, l := range labels {
		labels[i] = "„" + l + "“"
	}
	if len(labels) < 2 {
		return strings.Join(labels, "")
	}
	return strings.Join(labels[:len(labels)-1], ", ") + " oder " + labels[len(labels)-1]
}

func msgAlternativeMissing(children []Child, group []int) string {
	return fmt.Sprintf("Bitte wählen Sie eine der Möglichkeiten %s und machen Sie die Angaben dazu.", alternativeNames(children, group))
}

// alternativeLabel is the label DistinctLabels gives the group at index i
// of the alternative alt.
func alternativeLabel(children []Child, alt Alternative, i int) string {
	labels := DistinctLabels(children, alt)
	for k, j := range alt {
		if j == i {
			return labels[k]
		}
	}
	return children[i].Element.Label()
}

func msgAlternativeContradicts(children []Child, alt Alternative, given, chosen int, field *Element) string {
	return fmt.Sprintf("Die Angaben zu „%s“ passen nicht zu Ihrer Antwort „%s“ bei %s.",
		alternativeLabel(children, alt, given), alternativeLabel(children, alt, chosen), q(field))
}

func msgAlternativeChosenMissing(children []Child, alt Alternative, chosen int, field *Element) string {
	return fmt.Sprintf("Sie haben bei %s „%s“ gewählt: Bitte machen Sie die Angaben dazu.", q(field), alternativeLabel(children, alt, chosen))
}

func msgAlternativeTwice(children []Child, group []int) string {
	return fmt.Sprintf("Bitte machen Sie Angaben zu nur einer der Möglichkeiten %s.", alternativeNames(children, group))
}

func msgUnknown(key string) string {
	return fmt.Sprintf("Die Angabe „%s“ gehört nicht zu diesem Antrag.", key)
}

func msgCode(e *Element, v string) string {
	return fmt.Sprintf("Der Wert „%s“ ist für %s keine zulässige Auswahl.", v, q(e))
}

func msgMinLength(e *Element, min, n int) string {
	return fmt.Sprintf("%s muss mindestens %d Zeichen lang sein (jetzt %d).", q(e), min, n)
}

func msgMaxLength(e *Element, max, n int) string {
	return fmt.Sprintf("%s darf höchstens %d Zeichen lang sein (jetzt %d).", q(e), max, n)
}

func msgPattern(e *Element) string {
	return fmt.Sprintf("%s hat nicht das erwartete Format. Bitte prüfen Sie Ihre Eingabe.", q(e))
}

func msgCharset(e *Element, r rune) string {
	return fmt.Sprintf("%s enthält das Zeichen „%c“, das hier nicht erlaubt ist. Erlaubt sind lateinische Buchstaben, Ziffern und übliche Satzzeichen.", q(e), r)
}

func msgDate(e *Element) string {
	return fmt.Sprintf("%s ist kein gültiges Datum.", q(e))
}

func msgMinDate(e *Element, d time.Time) string {
	return fmt.Sprintf("%s darf nicht vor dem %s liegen.", q(e), d.Format("02.01.2006"))
}

func msgMaxDate(e *Element, d time.Time) string {
	return fmt.Sprintf("%s darf nicht nach dem %s liegen.", q(e), d.Format("02.01.2006"))
}

func msgTime(e *Element) string {
	return fmt.Sprintf("%s ist keine gültige Uhrzeit (Stunden und Minuten, z. B. 14:30).", q(e))
}

func msgDateTime(e *Element) string {
	return fmt.Sprintf("%s ist kein gültiger Zeitpunkt (Datum und Uhrzeit).", q(e))
}

func msgDigits(e *Element) string {
	return fmt.Sprintf("%s hat zu viele Stellen: höchstens %d Ziffern vor und nach dem Komma zusammen.", q(e), MaxDigits)
}

func msgDecimals(e *Element) string {
	return fmt.Sprintf("%s ist ein Geldbetrag und darf höchstens zwei Nachkommastellen haben.", q(e))
}

func msgMinimum(e *Element, min string) string {
	return fmt.Sprintf("%s muss mindestens %s sein.", q(e), germanNumber(min))
}

func msgMaximum(e *Element, max string) string {
	return fmt.Sprintf("%s darf höchstens %s sein.", q(e), germanNumber(max))
}

func msgFileRef(e *Element) string {
	return fmt.Sprintf("Die Datei zu %s ist nicht richtig übermittelt worden. Bitte laden Sie sie erneut hoch.", q(e))
}

func msgMediaType(e *Element, name string, allowed []string) string {
	return fmt.Sprintf("Die Datei „%s“ hat für %s einen nicht zulässigen Dateityp. Zulässig: %s.", name, q(e), strings.Join(allowed, ", "))
}

func msgMaxSize(e *Element, max int64) string {
	return fmt.Sprintf("Die Datei zu %s ist zu groß. Erlaubt sind höchstens %s.", q(e), HumanSize(max))
}

// germanNumber writes a decimal string with a decimal comma.
func germanNumber(s string) string { return strings.Replace(s, ".", ",", 1) }

// HumanSize formats a byte count for citizens: "20 MB", "1,2 MB",
// "512 kB", "900 Byte". It uses decimal units (1 kB = 1000 bytes), as the
// file size limits in FIM schemas do, and rounds to one decimal place,
// written with a German decimal comma; ",0" is left out. Sizes of 1000 MB
// and more stay in MB ("2000 MB"). Negative counts are shown as "0 Byte".
func HumanSize(n int64) string {
	if n < 0 {
		n = 0
	}
	if n < 1_000 {
		return fmt.Sprintf("%d Byte", n)
	}
	// Tenths of a kB, rounded half up; a size that rounds to 1000 kB is
	// shown as 1 MB.
	tenths := (n + 50) / 100
	if tenths < 10_000 {
		return tenthsString(tenths) + " kB"
	}
	return tenthsString((n+50_000)/100_000) + " MB"
}

// tenthsString writes t/10 with a decimal comma, without ",0".
func tenthsString(t int64) string {
	if t%10 == 0 {
		return fmt.Sprintf("%d", t/10)
	}
	return fmt.Sprintf("%d,%d", t/10, t%10)
}

func msgEncoding(e *Element) string {
	return fmt.Sprintf("%s enthält Zeichen, die nicht als Text lesbar sind (keine gültige UTF-8-Kodierung). Bitte geben Sie den Text erneut ein.", q(e))
}

func msgControl(e *Element, r rune) string {
	what := fmt.Sprintf("das Steuerzeichen U+%04X", r)
	switch r {
	case '\t':
		what = "einen Tabulator"
	case '\n':
		what = "einen Zeilenumbruch"
	}
	return fmt.Sprintf("%s enthält %s, das hier nicht erlaubt ist. Bitte entfernen Sie es.", q(e), what)
}

func msgPostcode(e *Element) string {
	return fmt.Sprintf("%s ist keine deutsche Postleitzahl. Eine Postleitzahl hat fünf Ziffern, zum Beispiel 99084.", q(e))
}

func msgEmail(e *Element) string {
	return fmt.Sprintf("%s ist keine gültige E-Mail-Adresse. Geben Sie nur die Adresse an, zum Beispiel name@example.de.", q(e))
}

func msgYear(e *Element, year int, yr YearRange) string {
	return fmt.Sprintf("%s: Das Jahr %04d liegt außerhalb des zulässigen Bereichs (%d bis %d).", q(e), year, yr.Min, yr.Max)
}

func msgDateParts(day, month, year *Element) string {
	return fmt.Sprintf("%s, %s und %s ergeben kein gültiges Kalenderdatum: Diesen Tag gibt es in dem Monat nicht.", q(day), q(month), q(year))
}
