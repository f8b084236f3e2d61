package devidp

import "github.com/antrag/antrag/internal/identity"

// Person is a test person of the development IdP.
type Person struct {
	// ID selects the person on the login page and seeds the pseudonym.
	ID string
	// Attributes by identity.Attr* key, as BundID sends them (the
	// postcode may carry a space, as some registers write it).
	Attributes map[string]string
}

// Label is how the login page lists the person.
func (p Person) Label() string {
	a := p.Attributes
	if org := a[identity.AttrOrganisation]; org != "" {
		return org + " (" + a[identity.AttrGivenName] + " " + a[identity.AttrSurname] + ")"
	}
	return a[identity.AttrGivenName] + " " + a[identity.AttrSurname] + ", " + a[identity.AttrPostalCode] + " " + a[identity.AttrLocality]
}

// Persons are the development IdP's test persons. Their data is made up.
var Persons = []Person{
	{ID: "erika", Attributes: map[string]string{
		identity.AttrGivenName: "Erika", identity.AttrSurname: "Mustermann", identity.AttrBirthName: "Gabler",
		identity.AttrBirthdate: "1964-08-12", identity.AttrPlaceOfBirth: "Berlin", identity.AttrNationality: "D",
		identity.AttrStreet: "Heidestraße 17", identity.AttrPostalCode: "99 084", identity.AttrLocality: "Erfurt",
		identity.AttrCountry: "D", identity.AttrEmail: "erika.mustermann@example.org", identity.AttrTitle: "Dr.",
	}},
	{ID: "max", Attributes: map[string]string{
		identity.AttrGivenName: "Max Ludwig", identity.AttrSurname: "Schäfer", identity.AttrBirthdate: "1990-02-28",
		identity.AttrPlaceOfBirth: "Jena", identity.AttrNationality: "D", identity.AttrStreet: "Am Anger 3a",
		identity.AttrPostalCode: "07743", identity.AttrLocality: "Jena", identity.AttrCountry: "D",
		identity.AttrEmail: "max.schaefer@example.org", identity.AttrPhone: "+49 3641 000000",
	}},
	{ID: "ayse", Attributes: map[string]string{
		identity.AttrGivenName: "Ayşe", identity.AttrSurname: "Yılmaz-Öztürk", identity.AttrBirthdate: "1978-11-03",
		identity.AttrPlaceOfBirth: "İzmir", identity.AttrNationality: "TR", identity.AttrStreet: "Lange Straße 120",
		identity.AttrPostalCode: "99 086", identity.AttrLocality: "Erfurt", identity.AttrCountry: "D",
	}},
	{ID: "firma", Attributes: map[string]string{
		identity.AttrOrganisation: "Muster Bau GmbH", identity.AttrGivenName: "Jonas", identity.AttrSurname: "Keller",
		identity.AttrStreet: "Gewerbepark 5", identity.AttrPostalCode: "99 091", identity.AttrLocality: "Erfurt",
		identity.AttrCountry: "D", identity.AttrEmail: "info@muster-bau.example",
	}},
}

// PersonByID returns a test person.
func PersonByID(id string) (Person, bool) {
	for _, p := range Persons {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}
