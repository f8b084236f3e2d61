package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/demo"
)

// TestBrowserSecondFactorAndStaffPage: an admin with a second factor logs
// in through the password and the code pages (a wrong code first, its
// error summary focused) and opens the staff page; every page passes axe.
func TestBrowserSecondFactorAndStaffPage(t *testing.T) {
	bin := chromiumBinary(t)
	h := newHarness(t)
	h.addStaff("musterstadt", "chefin", &account.Access{Role: account.RoleAdmin})
	secret := h.enrolTOTP("musterstadt", "chefin")
	b := newBrowser(t, bin, h.srv.URL)

	b.navigate("/intern/anmelden", 200)
	b.run(
		chromedp.SendKeys(chromedp.ID("benutzername"), "chefin"),
		chromedp.SendKeys(chromedp.ID("passwort"), demo.Password),
	)
	b.click(`main form button[type="submit"]`, 200)
	b.page("Sicherheitscode", "Sicherheitscode eingeben")
	if ac := evalT[string](b, `document.getElementById("code").autocomplete`); ac != "one-time-code" {
		t.Errorf("code field autocomplete %q", ac)
	}
	b.run(chromedp.SendKeys(chromedp.ID("code"), "000000"))
	b.click(`main form button[type="submit"]`, 401)
	b.page("Sicherheitscode mit Fehler", "Sicherheitscode eingeben")
	if id := evalT[string](b, `document.activeElement.id`); id != "fehler" {
		t.Errorf("Sicherheitscode mit Fehler: focus is on %q, want #fehler", id)
	}
	code, err := totp.GenerateCode(secret, h.now)
	if err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.SetValue(chromedp.ID("code"), code))
	b.click(`main form button[type="submit"]`, 200)
	b.page("Posteingang", "Posteingang")
	b.click(`main a[href="/intern/benutzer"]`, 200)
	b.page("Mitarbeitende", "Mitarbeitende")
}
