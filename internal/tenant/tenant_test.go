package tenant_test

import (
	"errors"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

func TestTenantValidate(t *testing.T) {
	ok := tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde, ARS: "160510000000"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid tenant: %v", err)
	}
	for name, change := range map[string]func(*tenant.Tenant){
		"one character":  func(x *tenant.Tenant) { x.Slug = "m" },
		"upper case":     func(x *tenant.Tenant) { x.Slug = "Musterstadt" },
		"umlaut":         func(x *tenant.Tenant) { x.Slug = "mühlhausen" },
		"leading hyphen": func(x *tenant.Tenant) { x.Slug = "-stadt" },
		"slash":          func(x *tenant.Tenant) { x.Slug = "a/b" },
		"too long":       func(x *tenant.Tenant) { x.Slug = "abcdefghijabcdefghijabcdefghijabcdefghijx" },
		"reserved":       func(x *tenant.Tenant) { x.Slug = "intern" },
		"reserved api":   func(x *tenant.Tenant) { x.Slug = "api" },
		"no name":        func(x *tenant.Tenant) { x.Name = "" },
		"kind":           func(x *tenant.Tenant) { x.Kind = "bezirk" },
		"ARS 4 digits":   func(x *tenant.Tenant) { x.ARS = "1605" },
		"ARS letters":    func(x *tenant.Tenant) { x.ARS = "16051000000x" },
		"ARS no Land":    func(x *tenant.Tenant) { x.ARS = "990510000000" },
		"ARS Land 00":    func(x *tenant.Tenant) { x.ARS = "00" },
	} {
		x := ok
		change(&x)
		if err := x.Validate(); !errors.Is(err, apperr.Invalid) {
			t.Errorf("%s: err = %v, want apperr.Invalid", name, err)
		}
	}
	for _, ars := range []string{"", "16", "165", "16051", "160515001", "160510000000"} {
		x := ok
		x.ARS = ars
		if err := x.Validate(); err != nil {
			t.Errorf("ARS %q: %v", ars, err)
		}
	}
}

func TestServiceValidate(t *testing.T) {
	ok := tenant.Service{Slug: "gewerbeanmeldung", Name: "Gewerbeanmeldung", Leistungsschluessel: "99050012104000"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid service: %v", err)
	}
	for name, change := range map[string]func(*tenant.Service){
		"slug":  func(x *tenant.Service) { x.Slug = "Gewerbe Anmeldung" },
		"name":  func(x *tenant.Service) { x.Name = "" },
		"LeiKa": func(x *tenant.Service) { x.Leistungsschluessel = "9905001210400" },
	} {
		x := ok
		change(&x)
		if err := x.Validate(); !errors.Is(err, apperr.Invalid) {
			t.Errorf("%s: err = %v, want apperr.Invalid", name, err)
		}
	}
}

func TestBundesland(t *testing.T) {
	for ars, want := range map[string]string{"160510000000": "TH", "073390000000": "RP", "09": "BY", "1": "", "": "", "99": ""} {
		if got := (&tenant.Tenant{ARS: ars}).Bundesland(); got != want {
			t.Errorf("Bundesland(%q) = %q, want %q", ars, got, want)
		}
	}
}

func TestValidHostLogoAndEfAName(t *testing.T) {
	for h, want := range map[string]bool{
		"antrag.musterstadt.de": true, "a-b.example": true, "xn--mnchen-3ya.de": true,
		"": false, "localhost": false, "Antrag.musterstadt.de": false, "antrag.musterstadt.de:443": false,
		"https://antrag.musterstadt.de": false, "antrag.musterstadt.de.": false, "-a.example": false, "a..example": false,
	} {
		if got := tenant.ValidHost(h); got != want {
			t.Errorf("ValidHost(%q) = %v", h, got)
		}
	}
	for u, want := range map[string]bool{
		"https://www.musterstadt.de/logo.svg": true, "/static/app/logo.svg": true,
		"http://www.musterstadt.de/logo.svg": false, "javascript:alert(1)": false, "/static/a b.svg": false, `https://x.de/"onerror`: false,
	} {
		if got := tenant.ValidLogoURL(u); got != want {
			t.Errorf("ValidLogoURL(%q) = %v", u, got)
		}
	}
	for n, want := range map[string]bool{"gebuehr.betrag": true, "Zustell_Kanal-2": true, "": false, ".x": false, "a b": false, "ä": false} {
		if got := tenant.ValidEfAName(n); got != want {
			t.Errorf("ValidEfAName(%q) = %v", n, got)
		}
	}
	bad := tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde, Host: "https://antrag.musterstadt.de"}
	if err := bad.Validate(); !errors.Is(err, apperr.Invalid) {
		t.Errorf("host with scheme: %v, want Invalid", err)
	}
}
