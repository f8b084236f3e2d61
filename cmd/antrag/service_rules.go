package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/tenant"
)

// `antrag service rules list|set|remove|log`: the Regeln of a service's
// current form version, the operator's corrections of them and the audit
// trail of the changes. A change never alters a form version: it publishes
// a new one with the same XDatenfelder file and the changed corrections.
// Drafts already begun keep the version they began with.

const rulesSubcommands = "list, set, remove, log"

func serviceRules(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if groupHelp("service rules", args, stdout) {
		return nil
	}
	if len(args) == 0 {
		return usageError{"antrag service rules: Unterbefehl fehlt (" + rulesSubcommands + ")"}
	}
	sub := args[0]
	if !slices.Contains(strings.Split(rulesSubcommands, ", "), sub) {
		return usageError{fmt.Sprintf("antrag service rules: unbekannter Unterbefehl %q (%s)", sub, rulesSubcommands)}
	}
	name := "antrag service rules " + sub
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	tenantSlug := fs.String("tenant", "", "Mandant (Kurzname)")
	slug := fs.String("slug", "", "Kurzname des Dienstes")
	codelists := fs.String("codelists", getenv("ANTRAG_CODELISTS"), "Verzeichnis mit zusätzlichen genericode-Codelisten")
	var (
		operator, note *string
		ack            ackFlag
		remove         []string
	)
	if sub == "set" || sub == "remove" {
		operator = addOperatorFlag(fs, getenv)
		fs.Var(&ack, "acknowledge-unsupported", ackUsage)
	}
	if sub == "remove" {
		fs.Func("rule", "Regel, deren Korrektur entfällt: R… oder R…@VERSION (mehrfach oder durch Komma getrennt)", func(s string) error {
			for _, r := range strings.Split(s, ",") {
				if r = strings.TrimSpace(r); r == "" || strings.ContainsAny(r, " \t") {
					return fmt.Errorf("%q ist keine Regel (R… oder R…@VERSION)", s)
				}
				remove = append(remove, r)
			}
			return nil
		})
		note = fs.String("note", "", "Begründung für das Änderungsprotokoll")
	}
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if *tenantSlug == "" || *slug == "" {
		return usageError{name + ": --tenant und --slug angeben"}
	}
	switch {
	case sub == "set" && fs.NArg() != 1:
		return usageError{name + ": genau eine Datei mit Korrekturen (JSON) angeben"}
	case sub == "remove" && len(remove) == 0:
		return usageError{name + ": --rule REGEL angeben"}
	case sub != "set" && fs.NArg() > 0:
		return usageError{fmt.Sprintf("%s: unerwartetes Argument %q", name, fs.Arg(0))}
	}
	var actor string
	if operator != nil {
		var err error
		if actor, err = operatorName(name, *operator); err != nil {
			return err
		}
	}
	var corrections []rules.Correction
	if sub == "set" {
		b, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("Korrekturen: %w", err)
		}
		if corrections, err = catalog.DecodeCorrections(b); err != nil {
			return fmt.Errorf("nichts geändert: %s: %s", fs.Arg(0), germanCause(err))
		}
	}
	cat, err := codelistCatalog(*codelists)
	if err != nil {
		return err
	}
	st, t, closeFn, err := sf.openTenant(ctx, getenv, *tenantSlug)
	if err != nil {
		return err
	}
	defer closeFn()
	svc, err := ownService(ctx, st, t, *slug)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		return rulesList(ctx, st, cat, t, svc, stdout)
	case "log":
		return rulesLog(ctx, st, t, svc, stdout)
	}
	ch := catalog.Change{Set: corrections, Remove: remove, Acknowledge: ack.a, Actor: actor}
	if note != nil {
		ch.Note = *note
	}
	from, to, err := catalog.Apply(ctx, st, cat, t.ID, svc, ch)
	if err != nil {
		return fmt.Errorf("nichts geändert: %s", refusal(err))
	}
	for _, c := range corrections {
		fmt.Fprintf(stdout, "Korrektur für Regel %s gesetzt\n", regelName(c.Rule, c.Version))
	}
	for _, r := range remove {
		fmt.Fprintf(stdout, "Korrektur für Regel %s entfernt\n", r)
	}
	fmt.Fprintf(stdout, "Veröffentlicht: /%s/dienste/%s, Formularversion %d (vorher %d; begonnene Anträge bleiben bei ihrer Version)\n",
		t.Slug, svc.Slug, to.Version, from.Version)
	return nil
}

// ownService finds the tenant's own service with the slug: a shared
// service of another tenant is that tenant's to change.
func ownService(ctx context.Context, st *store.DB, t *tenant.Tenant, slug string) (*tenant.Service, error) {
	svc, err := st.ServiceBySlug(ctx, t.ID, slug)
	if errors.Is(err, apperr.NotFound) {
		return nil, fmt.Errorf("Dienst %q gibt es bei Mandant %s nicht (antrag service list)", slug, t.Slug)
	}
	if err != nil {
		return nil, fmt.Errorf("Dienst %q: %w", slug, err)
	}
	if svc.TenantID != t.ID {
		return nil, fmt.Errorf("Dienst %q gehört einem anderen Mandanten (geteilter Dienst): nur dieser kann ihn ändern", slug)
	}
	return svc, nil
}

// rulesList prints every Regel of the service's current form version.
func rulesList(ctx context.Context, st *store.DB, cat *fim.Catalog, t *tenant.Tenant, svc *tenant.Service, stdout io.Writer) error {
	fv, c, err := catalog.Current(ctx, st, cat, t.ID, svc)
	if err != nil {
		return err
	}
	nCorr, nTrans := 0, 0
	if c.Sources != nil {
		nCorr, nTrans = len(c.Sources.Corrections), len(c.Sources.Translations)
	}
	fmt.Fprintf(stdout, "Formularversion %d (%s %s): %s; %d Korrektur(en), Übersetzungen für %d Element(e)\n\n",
		fv.Version, fv.FIMID, fv.FIMVersion, formatSummary(c.Program.Summary()), nCorr, nTrans)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGEL\tVERSION\tSTATUS\tHERKUNFT\tNAME\tGRUND")
	for _, r := range c.Program.Distinct() {
		status := string(r.Status)
		if r.Status == rules.Unsupported && slices.Contains(fv.Acknowledged, catalog.Key(r.ID, r.Version)) {
			status += " (bestätigt)"
		}
		origin := string(r.Origin)
		if origin == "" {
			origin = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Version, status, origin, oneLine(r.Name), oneLine(r.Reason))
	}
	return tw.Flush()
}

// rulesLog prints the service's audit trail.
func rulesLog(ctx context.Context, st *store.DB, t *tenant.Tenant, svc *tenant.Service, stdout io.Writer) error {
	evs, err := st.ServiceEvents(ctx, t.ID, svc.ID)
	if err != nil {
		return err
	}
	versions := map[string]string{"": "-"}
	version := func(id string) (string, error) {
		if v, ok := versions[id]; ok {
			return v, nil
		}
		fv, err := st.FormVersion(ctx, t.ID, id)
		if err != nil {
			return "", err
		}
		versions[id] = fmt.Sprint(fv.Version)
		return versions[id], nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ZEIT\tPERSON\tAKTION\tREGEL\tVON\tNACH\tNOTIZ")
	for _, e := range evs {
		from, err := version(e.FromVersionID)
		if err != nil {
			return err
		}
		to, err := version(e.ToVersionID)
		if err != nil {
			return err
		}
		regel := e.Regel
		if regel == "" {
			regel = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.In(localtime.Berlin).Format("02.01.2006 15:04"),
			e.Actor, e.Action, regel, from, to, oneLine(e.Note))
	}
	return tw.Flush()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func regelName(id, version string) string {
	if version == "" {
		return id
	}
	return catalog.Key(id, version)
}

// addOperatorFlag adds --operator, the name the audit trail records for a
// change; it defaults to the login name ($USER, $LOGNAME, else the
// account the command runs as).
func addOperatorFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	def := getenv("USER")
	if def == "" {
		def = getenv("LOGNAME")
	}
	return fs.String("operator", def, "Name der handelnden Person für das Änderungsprotokoll (Standard: $USER)")
}

func operatorName(cmd, s string) (string, error) {
	s = oneLine(s)
	if s == "" {
		if u, err := user.Current(); err == nil {
			s = u.Username
		}
	}
	if s == "" || len(s) > 100 {
		return "", usageError{cmd + ": --operator NAME (bis 100 Zeichen) angeben, wer die Änderung vornimmt"}
	}
	return s, nil
}

// ackUsage documents --acknowledge-unsupported.
const ackUsage = "nicht unterstützte Regeln als wirkungslos bestätigen: ohne Wert alle, " +
	"mit =R…,R…@VERSION nur diese (eine Regel, die nach der Übersetzung nicht unterstützt bleibt, hat keine Wirkung im Formular)"

// ackFlag is --acknowledge-unsupported: a boolean flag that also takes a
// list of Regeln (--acknowledge-unsupported=R1,R2@1.0). It may be repeated.
type ackFlag struct{ a catalog.Acknowledgement }

func (f *ackFlag) String() string {
	if f == nil || f.a.All {
		return ""
	}
	return strings.Join(f.a.Rules, ",")
}

func (f *ackFlag) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "alle":
		f.a.All = true
		return nil
	case "false":
		f.a = catalog.Acknowledgement{}
		return nil
	}
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		if r == "" || strings.ContainsAny(r, " \t") {
			return fmt.Errorf("%q ist keine Liste von Regeln (R…,R…@VERSION)", s)
		}
		f.a.Rules = append(f.a.Rules, r)
	}
	return nil
}

func (f *ackFlag) IsBoolFlag() bool { return true }

// codelistCatalog is the default code list catalogue with the code lists
// of dir, if given.
func codelistCatalog(dir string) (*fim.Catalog, error) {
	cat, err := fim.DefaultCatalog()
	if err != nil || dir == "" {
		return cat, err
	}
	cat = cat.Clone()
	return cat, cat.AddDir(dir)
}

// preparePublication imports the file of `antrag service publish`,
// compiles it with the translated rules and corrections given, and checks
// the acknowledgement. Of translated rules from a library (the installation's
// ANTRAG_TRANSLATED_RULES) or a directory, only those of the schema's
// elements are taken; a file given names only elements of the schema. The
// error is the German reason nothing is published.
func preparePublication(xdf []byte, file string, cat *fim.Catalog, translated string, library bool, corrections string, ack catalog.Acknowledgement) (*catalog.Candidate, []string, error) {
	cand, err := catalog.Import(xdf, file, cat)
	if err != nil {
		return nil, nil, err
	}
	var src *rules.Sources
	if translated != "" || corrections != "" {
		src = &rules.Sources{}
	}
	if translated != "" {
		t, err := rules.LoadTranslations(translated)
		if err != nil {
			return nil, nil, fmt.Errorf("--translated-rules: %w", err)
		}
		src.Translations = t
		if fi, err := os.Stat(translated); library || err == nil && fi.IsDir() {
			// A library for many schemas: only this schema's elements
			// (in any version, so that a wrong version is still
			// reported) count.
			src.Translations = src.ForSchema(cand.Schema).Translations
		}
	}
	if corrections != "" {
		list, err := rules.LoadCorrections(corrections)
		if err != nil {
			return nil, nil, fmt.Errorf("--corrections: %w", err)
		}
		src.Corrections = list
	}
	if err := cand.Compile(src); err != nil {
		return nil, nil, errors.New(germanCause(err))
	}
	acknowledged, err := cand.Acknowledge(ack, nil)
	if err != nil {
		return nil, nil, errors.New(refusal(err))
	}
	return cand, acknowledged, nil
}

// droppedSourcesHint tells the operator when the version a publication
// replaced had corrections that the new one lacks: a publication takes only
// the rule sources given to it.
func droppedSourcesHint(ctx context.Context, st *store.DB, tenantID, previousID string, c *catalog.Candidate, stdout io.Writer) {
	if previousID == "" {
		return
	}
	prev, err := st.FormVersion(ctx, tenantID, previousID)
	if err != nil {
		return // only a hint
	}
	old, err := catalog.DecodeSources(prev.RuleSources)
	if err != nil || old == nil || len(old.Corrections) == 0 {
		return
	}
	kept := map[string]bool{}
	if c.Sources != nil {
		for _, k := range c.Sources.Corrections {
			kept[catalog.Key(k.Rule, k.Version)] = true
		}
	}
	var dropped []string
	for _, k := range old.Corrections {
		if !kept[catalog.Key(k.Rule, k.Version)] {
			dropped = append(dropped, regelName(k.Rule, k.Version))
		}
	}
	if len(dropped) > 0 {
		fmt.Fprintf(stdout, "Hinweis: Formularversion %d hatte Korrekturen, die diese Version nicht hat: %s (mit --corrections oder antrag service rules set wieder setzen)\n",
			prev.Version, strings.Join(dropped, ", "))
	}
}

// refusal says why a publication or change was refused, with what the
// operator can do about unacknowledged unsupported Regeln.
func refusal(err error) string {
	var ue *catalog.UnacknowledgedError
	if errors.As(err, &ue) {
		return ue.Error() + "\nDiese Regeln hätten im Formular keine Wirkung. Mit --corrections bzw. antrag service rules set korrigieren, " +
			"oder mit --acknowledge-unsupported (alle) bzw. --acknowledge-unsupported=REGEL,… bestätigen."
	}
	return germanCause(err)
}

// germanCause is err's message without the English error kind that
// apperr wraps in ("invalid: …").
func germanCause(err error) string {
	msg := err.Error()
	for _, kind := range []error{apperr.Invalid, apperr.NotFound, apperr.Conflict} {
		msg = strings.ReplaceAll(msg, kind.Error()+": ", "")
	}
	return msg
}
