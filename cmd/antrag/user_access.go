package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/tenant"
)

// runUserAccess handles `antrag user totp|role`: a caseworker's second
// factor and their role and limits.
//
//	antrag user totp --tenant T --username U [--entfernen]
//	antrag user role --tenant T --username U [--role admin|sachbearbeitung] [--dienst SLUG]… [--behoerde NAME]…
func runUserAccess(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub := args[0]
	fs := flag.NewFlagSet("antrag user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	tenantSlug := fs.String("tenant", "", "Mandant (Kurzname, z. B. musterstadt)")
	username := fs.String("username", "", "Benutzername")
	var remove, unlimited *bool
	var role *string
	var services, authorities []string
	if sub == "totp" {
		remove = fs.Bool("entfernen", false, "zweiten Faktor entfernen (z. B. bei verlorenem Telefon; danach neu einrichten)")
	} else {
		role = fs.String("role", "", "Rolle: admin oder sachbearbeitung (ohne: die Rolle nur anzeigen)")
		fs.Func("dienst", "Sachbearbeitung nur für diesen Online-Dienst (Kurzname; mehrfach möglich)", func(s string) error {
			services = append(services, s)
			return nil
		})
		fs.Func("behoerde", "Sachbearbeitung nur für diese Behörde (Name oder ID; mehrfach möglich)", func(s string) error {
			authorities = append(authorities, s)
			return nil
		})
		unlimited = fs.Bool("alle", false, "Beschränkungen aufheben")
	}
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("antrag user %s: unerwartetes Argument %q", sub, fs.Arg(0))}
	}
	u := strings.TrimSpace(*username)
	if *tenantSlug == "" || u == "" {
		return usageError{fmt.Sprintf("antrag user %s: --tenant und --username angeben", sub)}
	}
	if role != nil && *role == "" && (len(services) > 0 || len(authorities) > 0 || *unlimited) {
		return usageError{"antrag user role: --dienst, --behoerde und --alle nur mit --role"}
	}
	if _, err := checkDB(sf.dbOrDefault()); err != nil {
		return err
	}
	st, t, closeFn, err := sf.openTenant(ctx, getenv, *tenantSlug)
	if err != nil {
		return err
	}
	defer closeFn()
	x, err := userOf(ctx, st, t, u)
	if err != nil {
		return err
	}
	if sub == "totp" {
		return userTOTP(ctx, st, t, x, *remove, stdout)
	}
	if *role == "" {
		acc, err := st.Access(ctx, t.ID, x.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s\n", x.Username, describeAccess(ctx, st, t, acc))
		return nil
	}
	r, err := account.ParseRole(*role)
	if err != nil {
		return usageError{err.Error()}
	}
	acc := &account.Access{Role: r}
	for _, slug := range services {
		svc, err := st.ServiceBySlug(ctx, t.ID, slug)
		if errors.Is(err, apperr.NotFound) {
			return fmt.Errorf("Online-Dienst %q gibt es im Mandanten „%s“ nicht", slug, t.Name)
		}
		if err != nil {
			return err
		}
		acc.Services = append(acc.Services, svc.ID)
	}
	if len(authorities) > 0 {
		list, err := st.ListAuthorities(ctx, t.ID)
		if err != nil {
			return err
		}
	next:
		for _, want := range authorities {
			for _, a := range list {
				if a.ID == want || strings.EqualFold(a.Name, want) {
					acc.Authorities = append(acc.Authorities, a.ID)
					continue next
				}
			}
			return fmt.Errorf("Behörde %q gibt es im Mandanten „%s“ nicht", want, t.Name)
		}
	}
	if r == account.RoleAdmin && (len(acc.Services) > 0 || len(acc.Authorities) > 0) {
		return usageError{"antrag user role: die Administration sieht alles; --dienst und --behoerde nur für sachbearbeitung"}
	}
	if !*unlimited && len(acc.Services) == 0 && len(acc.Authorities) == 0 && r == account.RoleCaseworker {
		// Keep the limits unless they are replaced or lifted.
		old, err := st.Access(ctx, t.ID, x.ID)
		if err != nil {
			return err
		}
		acc.Services, acc.Authorities = old.Services, old.Authorities
	}
	if err := st.SetAccess(ctx, t.ID, x.ID, acc); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", x.Username, describeAccess(ctx, st, t, acc))
	return nil
}

// userTOTP enrols (or removes) a user's TOTP second factor and prints the
// otpauth URI for the authenticator app.
func userTOTP(ctx context.Context, st *store.DB, t *tenant.Tenant, u *account.User, remove bool, stdout io.Writer) error {
	if remove {
		err := st.DeleteTOTP(ctx, t.ID, u.ID)
		if errors.Is(err, apperr.NotFound) {
			return fmt.Errorf("%s hat keinen zweiten Faktor", u.Username)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Zweiter Faktor von %s entfernt.\n", u.Username)
		return nil
	}
	key, err := account.NewTOTP("antrag "+t.Name, u.Username)
	if err != nil {
		return err
	}
	if err := st.SetTOTPSecret(ctx, t.ID, u.ID, key.Secret()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Zweiter Faktor für %s eingerichtet. Bitte geben Sie die folgende Adresse (als QR-Code oder Text)\n"+
		"vertraulich an die Person weiter; ihre Authenticator-App erzeugt damit die Codes. Ein früherer Faktor gilt nicht mehr.\n\n%s\n\n"+
		"Schlüssel zum Abtippen: %s\n", u.Username, key.URL(), key.Secret())
	return nil
}

// describeAccess says a role and its limits in German.
func describeAccess(ctx context.Context, st *store.DB, t *tenant.Tenant, acc *account.Access) string {
	s := acc.Role.Label()
	if !acc.Limited() {
		if acc.Role == account.RoleCaseworker {
			s += ", alle Anträge des Mandanten"
		}
		return s
	}
	var names []string
	for _, id := range acc.Authorities {
		if a, err := st.Authority(ctx, t.ID, id); err == nil {
			names = append(names, "Behörde „"+a.Name+"“")
		} else {
			names = append(names, "Behörde "+id)
		}
	}
	for _, id := range acc.Services {
		if svc, err := st.Service(ctx, t.ID, id); err == nil {
			names = append(names, "Dienst „"+svc.Name+"“")
		} else {
			names = append(names, "Dienst "+id)
		}
	}
	return s + ", nur " + strings.Join(names, ", ")
}
