package demo

import "github.com/antrag/antrag/internal/tenant"

// The demo tenants' operator pages. Every name, address and link is
// fictitious (the reserved top-level domain .example): Musterstadt keeps
// all three pages as text in antrag; Beispielkreis links to the Impressum
// on its own website, and its Kreisverwaltung has a Datenschutzerklärung
// of its own.

// pdfProblem is a known barrier of antrag itself: the receipt is a PDF
// without tags.
var pdfProblem = tenant.Problem{
	Content:     "Die Antragsquittung (PDF) ist noch kein barrierefreies PDF, denn die Datei enthält keine Struktur-Tags (PDF/UA).",
	Reason:      "Die barrierefreie Erzeugung der Quittung ist in Arbeit.",
	Alternative: "Alle Angaben der Quittung sehen Sie vor dem Absenden auf der Seite „Angaben prüfen“; auf Wunsch sendet Ihnen die Behörde die Quittung in anderer Form.",
}

// demoEnforcement is a fictitious Schlichtungsstelle; a real installation
// names the Schlichtungsstelle nach § 16 BGG or the Land's.
func demoEnforcement() tenant.Enforcement {
	return tenant.Enforcement{
		Name:    "Schlichtungsstelle Barrierefreiheit (fiktiv, nur für die Demo)",
		Address: []string{"Beispielweg 2", "99084 Musterstadt"},
		URL:     "https://schlichtung.example",
		Email:   "schlichtung@schlichtung.example",
	}
}

var pages = map[string]tenant.Pages{
	"musterstadt": {
		Impressum: &tenant.Page{Paragraphs: []string{
			"Stadt Musterstadt (eine fiktive Kommune für die Demo von antrag), Marktplatz 1, 99084 Musterstadt.",
			"Die Stadt Musterstadt ist eine Körperschaft des öffentlichen Rechts. Sie wird vertreten durch den Oberbürgermeister.",
			"Kontakt: info@musterstadt.example",
		}},
		Datenschutz: &tenant.Page{
			Paragraphs: []string{"Diese Datenschutzerklärung gilt für die Online-Dienste der Stadt Musterstadt (Demo)."},
			Sections: []tenant.Section{
				{Heading: "Verantwortliche Stelle", Paragraphs: []string{
					"Verantwortlich ist die Stadt Musterstadt, Marktplatz 1, 99084 Musterstadt, E-Mail: datenschutz@musterstadt.example.",
				}},
				{Heading: "Zweck und Rechtsgrundlage", Paragraphs: []string{
					"Wir verarbeiten Ihre Angaben, um Ihren Antrag zu bearbeiten (Art. 6 Abs. 1 lit. c und e DSGVO in Verbindung mit dem jeweiligen Fachrecht).",
				}},
				{Heading: "Ihre Rechte", Paragraphs: []string{
					"Sie haben das Recht auf Auskunft, Berichtigung, Löschung und Einschränkung der Verarbeitung sowie auf Beschwerde bei der Datenschutzaufsichtsbehörde (Art. 15 bis 18 und 77 DSGVO).",
				}},
			},
		},
		Barrierefreiheit: &tenant.Page{Statement: &tenant.Statement{
			Conformance: tenant.PartiallyConformant,
			Problems:    []tenant.Problem{pdfProblem},
			Prepared:    tenant.Preparation{Date: "2026-12-01", Method: tenant.SelfAssessment},
			Feedback:    tenant.Feedback{Email: "barrierefreiheit@musterstadt.example", ResponseWeeks: 6},
			Enforcement: demoEnforcement(),
		}},
	},
	"beispielkreis": {
		Impressum: &tenant.Page{URL: "https://www.beispielkreis.example/impressum"},
		Datenschutz: &tenant.Page{Paragraphs: []string{
			"Verantwortlich für die Online-Dienste des Landkreises Beispielkreis (Demo) ist die Kreisverwaltung, Kreisstraße 5, 55218 Beispielstadt.",
			"Ihre Angaben werden nur für die Bearbeitung Ihres Antrags verwendet und nach Ablauf der Aufbewahrungsfristen gelöscht.",
		}},
		Barrierefreiheit: &tenant.Page{Statement: &tenant.Statement{
			Conformance: tenant.PartiallyConformant,
			Problems:    []tenant.Problem{pdfProblem},
			Prepared:    tenant.Preparation{Date: "2026-11-20", Reviewed: "2026-12-01", Method: tenant.ThirdPartyTesting, Evaluator: "Prüfstelle Beispiel (fiktiv)"},
			Feedback: tenant.Feedback{Email: "barrierefreiheit@beispielkreis.example", FormURL: "https://www.beispielkreis.example/kontakt",
				ResponseWeeks: 4},
			Enforcement: demoEnforcement(),
		}},
	},
}

// authorityPages are the pages the demo authorities set themselves, by
// tenant slug.
var authorityPages = map[string]tenant.Pages{
	"beispielkreis": {
		Datenschutz: &tenant.Page{
			Paragraphs: []string{"Diese Datenschutzerklärung gilt für die Anträge, die die Kreisverwaltung Beispielkreis (Demo) bearbeitet."},
			Sections: []tenant.Section{
				{Heading: "Verantwortliche Stelle", Paragraphs: []string{
					"Kreisverwaltung Beispielkreis, Kreisstraße 5, 55218 Beispielstadt, E-Mail: datenschutz@beispielkreis.example.",
				}},
				{Heading: "Datenschutzbeauftragte", Paragraphs: []string{
					"Sie erreichen die Datenschutzbeauftragte der Kreisverwaltung unter dsb@beispielkreis.example.",
				}},
			},
		},
	},
}
