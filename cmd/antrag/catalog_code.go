package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/antrag/antrag/internal/catalog/declared"
)

// `antrag catalog apply|export`: the catalogue as code (package declared).
// apply makes the installation match a catalogue document and prints the
// plan; export writes the installation's catalogue as such a document,
// with the form files next to it.

func runCatalog(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if groupHelp("catalog", args, stdout) {
		return nil
	}
	if len(args) == 0 {
		return usageError{"antrag catalog: Unterbefehl fehlt (apply, export, schema)"}
	}
	switch args[0] {
	case "apply":
		return catalogApply(ctx, args[1:], getenv, stdout, stderr)
	case "export":
		return catalogExport(ctx, args[1:], getenv, stdout, stderr)
	case "schema":
		fs := flag.NewFlagSet("antrag catalog schema", flag.ContinueOnError)
		fs.SetOutput(stderr)
		if err := parseFlags(fs, args[1:], stdout); err != nil {
			return err
		}
		_, err := stdout.Write(declared.SchemaJSON)
		return err
	}
	return usageError{fmt.Sprintf("antrag catalog: unbekannter Unterbefehl %q (apply, export, schema)", args[0])}
}

// catalogApply reads, checks and plans a catalogue document and, unless
// --dry-run, applies the plan. A document with any problem changes
// nothing.
func catalogApply(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag catalog apply", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	dryRun := fs.Bool("dry-run", false, "nur den Plan zeigen, nichts ändern")
	codelists := fs.String("codelists", getenv("ANTRAG_CODELISTS"), "Verzeichnis mit zusätzlichen genericode-Codelisten")
	operator := addOperatorFlag(fs, getenv)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"antrag catalog apply: genau eine Katalogdatei (YAML oder JSON) angeben"}
	}
	actor, err := operatorName("antrag catalog apply", *operator)
	if err != nil {
		return err
	}
	file := fs.Arg(0)
	b, err := readLimited(file, declared.MaxSize)
	if err != nil {
		return fmt.Errorf("nichts geändert: %w", err)
	}
	doc, err := declared.Decode(b)
	if err != nil {
		return fmt.Errorf("nichts geändert: %s: %s", file, germanCause(err))
	}
	cat, err := codelistCatalog(*codelists)
	if err != nil {
		return err
	}
	st, closeFn, err := sf.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeFn()
	dir := filepath.Dir(file)
	// Files the catalogue names stay below its directory, symbolic links
	// included (os.Root).
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	files := declared.Files{FS: root.FS(), Getenv: getenv, SecretFile: func(name string) ([]byte, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		return readLimited(name, 64<<10)
	}}
	plan, err := declared.Compute(ctx, st, cat, doc, files)
	if err != nil {
		return fmt.Errorf("nichts geändert: %s: %s", file, germanCause(err))
	}
	plan.Write(stdout)
	if *dryRun || plan.Empty() {
		if *dryRun {
			fmt.Fprintln(stdout, "Probelauf (--dry-run): nichts geändert.")
		}
		return nil
	}
	if err := declared.Apply(ctx, st, plan, actor); err != nil {
		return fmt.Errorf("Katalog nur teilweise angewendet (erneut anwenden setzt fort): %s", germanCause(err))
	}
	fmt.Fprintf(stdout, "Katalog angewendet: %d Änderung(en), im Änderungsprotokoll als %s.\n", len(plan.Steps), actor)
	return nil
}

// readLimited reads a file of at most max bytes.
func readLimited(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s ist größer als %d KB", name, max>>10)
	}
	return b, nil
}

// catalogExport writes the installation's catalogue: the document
// (katalog.yaml in --dir, or -o FILE) and the form files below it.
func catalogExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag catalog export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	dir := fs.String("dir", "", "Verzeichnis, in das katalog.yaml und die Formulardateien (forms/…) geschrieben werden")
	out := fs.String("o", "", "Katalogdatei; die Formulardateien kommen in ihr Verzeichnis")
	secretsFile := fs.String("secrets-file", "", "die Geheimnisse als NAME=WERT-Zeilen in diese Datei schreiben (Modus 0600), z. B. für die Übernahme in die Produktion")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if (*dir == "") == (*out == "") || fs.NArg() > 0 {
		return usageError{"antrag catalog export: entweder --dir VERZEICHNIS oder -o DATEI angeben"}
	}
	file := *out
	if *dir != "" {
		file = filepath.Join(*dir, "katalog.yaml")
	}
	// A secrets file is never overwritten: refuse before anything is
	// written, so that no catalogue names variables whose values went
	// nowhere.
	if *secretsFile != "" {
		if _, err := os.Lstat(*secretsFile); err == nil {
			return fmt.Errorf("--secrets-file %s gibt es schon; nicht überschrieben", *secretsFile)
		}
	}
	st, closeFn, err := sf.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeFn()
	x, err := declared.Export(ctx, st)
	if err != nil {
		return err
	}
	b, err := x.Document.YAML()
	if err != nil {
		return err
	}
	base := filepath.Dir(file)
	for _, f := range x.Files {
		p := filepath.Join(base, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Katalog geschrieben: %s (%d Mandanten, %d Dateien)\n", file, len(x.Document.Tenants), len(x.Files))
	if len(x.Secrets) == 0 {
		return nil
	}
	if *secretsFile != "" {
		var lines strings.Builder
		for _, s := range x.Secrets {
			fmt.Fprintf(&lines, "%s=%s\n", s.Name, s.Value)
		}
		f, err := os.OpenFile(*secretsFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("--secrets-file %s gibt es schon; nicht überschrieben", *secretsFile)
		}
		if err != nil {
			return err
		}
		if _, err := f.WriteString(lines.String()); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "Geheimnisse stehen nicht in der Datei. Vor antrag catalog apply diese Umgebungsvariablen setzen:")
	for _, s := range x.Secrets {
		fmt.Fprintf(stdout, "  %s  (%s)\n", s.Name, s.Where)
	}
	if *secretsFile != "" {
		fmt.Fprintf(stdout, "Ihre Werte stehen in %s (Modus 0600; nach der Übernahme löschen).\n", *secretsFile)
	}
	return nil
}
