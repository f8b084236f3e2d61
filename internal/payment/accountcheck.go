package payment

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// ValidateAccount checks the shape of an authority's provider access: a
// known Kind; BaseURL an absolute http(s) URL ending with "/"; TokenURL,
// if set, an absolute http(s) URL; OriginatorID and EndpointID of 1 to 36
// printable characters (XBezahldienste 1.0.0 ids); booking data per
// fee item id (CheckItemID) as CheckBookingData allows. It does not
// require the credentials of the kind, so that an account can be set up
// step by step; a client refuses an account without them. The error
// wraps apperr.Invalid and names the field in German.
func ValidateAccount(a *Account) error {
	known := false
	for _, k := range Kinds {
		known = known || a.Kind == k
	}
	if !known {
		return invalid("Art des Bezahldienstes %q ist unbekannt", string(a.Kind))
	}
	if err := checkURL("Basis-URL", a.BaseURL); err != nil {
		return err
	}
	if !strings.HasSuffix(a.BaseURL, "/") {
		return invalid("Basis-URL muss mit „/“ enden")
	}
	if a.TokenURL != "" {
		if err := checkURL("Token-URL", a.TokenURL); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, v string }{{"originatorId", a.OriginatorID}, {"endpointId", a.EndpointID}} {
		if strings.TrimSpace(f.v) == "" {
			return invalid("%s fehlt", f.name)
		}
		if err := checkText(f.name, f.v, MaxIDLen); err != nil {
			return err
		}
	}
	if err := checkText("Benutzername", a.Username, 200); err != nil {
		return err
	}
	if err := checkText("Client-ID", a.ClientID, 200); err != nil {
		return err
	}
	ids := make([]string, 0, len(a.BookingData))
	for id := range a.BookingData {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := CheckItemID(id); err != nil {
			return fmt.Errorf("Buchungsdaten: %w", err)
		}
		if err := CheckBookingData(a.BookingData[id]); err != nil {
			return fmt.Errorf("Position %q: %w", id, err)
		}
	}
	return nil
}

func checkURL(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return invalid("%s %q ist keine http(s)-Adresse", field, s)
	}
	return nil
}
