package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/tenant"
)

// runUser handles `antrag user add|list|passwd|disable|enable|remove|totp|role`:
// the caseworker accounts. Passwords are read from the first line of
// standard input, so that they never appear in the process list or shell
// history, and must meet account.CheckPasswordPolicy. A new password and
// disabling end the account's sessions at their next request.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if groupHelp("user", args, stdout) {
		return nil
	}
	if len(args) == 0 {
		return usageError{"antrag user: Unterbefehl fehlt (add, list, passwd, disable, enable, remove, totp, role)"}
	}
	sub := args[0]
	switch sub {
	case "totp", "role":
		return runUserAccess(ctx, args, getenv, stdout, stderr) // user_access.go
	case "add", "list", "passwd", "disable", "enable", "remove":
	default:
		return usageError{fmt.Sprintf("antrag user: unbekannter Unterbefehl %q (add, list, passwd, disable, enable, remove, totp, role)", sub)}
	}
	fs := flag.NewFlagSet("antrag user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	tenantSlug := fs.String("tenant", "", "Mandant (Kurzname, z. B. musterstadt)")
	var username, name *string
	if sub != "list" {
		username = fs.String("username", "", "Benutzername (3 bis 64 Zeichen)")
	}
	if sub == "add" {
		name = fs.String("name", "", "angezeigter Name")
	}
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("antrag user %s: unerwartetes Argument %q", sub, fs.Arg(0))}
	}
	var u string
	if username != nil {
		u = strings.TrimSpace(*username)
		if *tenantSlug == "" || len(u) < 3 || len(u) > 64 {
			return usageError{fmt.Sprintf("antrag user %s: --tenant und --username (3 bis 64 Zeichen) angeben", sub)}
		}
	} else if *tenantSlug == "" {
		return usageError{"antrag user list: --tenant angeben"}
	}
	if _, err := checkDB(sf.dbOrDefault()); err != nil {
		return err
	}
	var hash string
	if sub == "add" || sub == "passwd" {
		var err error
		if hash, err = readPassword(stdin, stderr, u); err != nil {
			return err
		}
	}
	st, t, closeFn, err := sf.openTenant(ctx, getenv, *tenantSlug)
	if err != nil {
		return err
	}
	defer closeFn()
	switch sub {
	case "add":
		display := *name
		if display == "" {
			display = u
		}
		err := st.CreateUser(ctx, &account.User{TenantID: t.ID, Username: u, Name: display, PasswordHash: hash})
		if errors.Is(err, apperr.Conflict) {
			return fmt.Errorf("Benutzername %q ist vergeben (Benutzernamen gelten für alle Mandanten der Installation)", u)
		}
		if err != nil {
			return fmt.Errorf("Benutzer %q: %w", u, err)
		}
		fmt.Fprintf(stdout, "\nBenutzer %s im Mandanten „%s“ angelegt.\n", u, t.Name)
	case "list":
		us, err := st.ListUsers(ctx, t.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "BENUTZERNAME\tNAME\tANGELEGT\tSTATUS")
		for _, x := range us {
			status := "aktiv"
			if x.Disabled {
				status = "gesperrt"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.Username, x.Name, x.CreatedAt.In(localtime.Berlin).Format("02.01.2006"), status)
		}
		return tw.Flush()
	case "passwd", "disable", "enable", "remove":
		x, err := userOf(ctx, st, t, u)
		if err != nil {
			return err
		}
		switch sub {
		case "passwd":
			if err := st.SetPasswordHash(ctx, t.ID, x.ID, hash); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "\nPasswort von %s geändert; angemeldete Sitzungen enden mit der nächsten Anfrage.\n", u)
			return nil
		case "disable", "enable":
			if err := st.SetDisabled(ctx, t.ID, x.ID, sub == "disable"); err != nil {
				return err
			}
			if sub == "disable" {
				fmt.Fprintf(stdout, "Benutzer %s gesperrt; angemeldete Sitzungen enden mit der nächsten Anfrage.\n", u)
			} else {
				fmt.Fprintf(stdout, "Benutzer %s entsperrt.\n", u)
			}
			return nil
		}
		if err := st.DeleteUser(ctx, t.ID, x.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Benutzer %s entfernt; angemeldete Sitzungen enden mit der nächsten Anfrage.\n", u)
	}
	return nil
}

// userOf finds the user of tenant t with the username.
func userOf(ctx context.Context, st *store.DB, t *tenant.Tenant, username string) (*account.User, error) {
	x, err := st.UserByUsername(ctx, username)
	if err == nil && x.TenantID != t.ID {
		err = apperr.NotFound
	}
	if errors.Is(err, apperr.NotFound) {
		return nil, fmt.Errorf("Benutzer %q gibt es im Mandanten „%s“ nicht", username, t.Name)
	}
	return x, err
}

// readPassword reads a password from the first line of r and hashes it;
// the password must meet the policy and not contain the username.
func readPassword(r io.Reader, prompt io.Writer, username string) (string, error) {
	fmt.Fprint(prompt, "Passwort (eine Zeile): ")
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("Passwort lesen: %w", err)
	}
	return account.HashPassword(strings.TrimRight(line, "\r\n"), username)
}

func envOr(getenv func(string) string, k, def string) string {
	if v := getenv(k); v != "" {
		return v
	}
	return def
}
