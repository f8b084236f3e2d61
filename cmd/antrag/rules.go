package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/rules"
)

// rulesOutput is the JSON of `antrag fim rules --json`, one per file.
type rulesOutput struct {
	File    string        `json:"file"`
	Schema  string        `json:"schema"`
	Version string        `json:"version"`
	Summary rules.Summary `json:"summary"`
	Rules   []ruleOutput  `json:"rules"`
}

type ruleOutput struct {
	ID      string       `json:"id"`
	Version string       `json:"version"`
	Name    string       `json:"name,omitempty"`
	Status  rules.Status `json:"status"`
	Origin  rules.Origin `json:"origin"`
	Reason  string       `json:"reason,omitempty"`
	Edges   []rules.Edge `json:"edges"`
}

func fimRules(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFimFlags("rules", getenv, stdout, stderr)
	asJSON := f.fs.Bool("json", false, "Ergebnis als JSON ausgeben")
	summary := f.fs.Bool("summary", false, "nur die Anzahl der Regeln je Status ausgeben")
	if err := f.parse(args); err != nil {
		return err
	}
	if f.fs.NArg() == 0 {
		return usageError{"antrag fim rules: keine Datei angegeben"}
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	src, err := f.sources()
	if err != nil {
		return err
	}
	var outs []rulesOutput
	var total rules.Summary
	failed := 0
	for _, file := range f.fs.Args() {
		s, _, err := fim.ImportFile(file, opts)
		if err != nil {
			fmt.Fprintln(stderr, err)
			failed++
			continue
		}
		prog := src.compile(s, file, stderr)
		out := rulesOutput{File: file, Schema: s.ID, Version: s.Version, Summary: prog.Summary(), Rules: []ruleOutput{}}
		for _, r := range prog.Distinct() {
			edges := r.Edges()
			if edges == nil {
				edges = []rules.Edge{}
			}
			out.Rules = append(out.Rules, ruleOutput{ID: r.ID, Version: r.Version, Name: r.Name, Status: r.Status, Origin: r.Origin, Reason: r.Reason, Edges: edges})
		}
		total.Compiled += out.Summary.Compiled
		total.Informational += out.Summary.Informational
		total.Unsupported += out.Summary.Unsupported
		outs = append(outs, out)
	}
	src.reportUnused(stderr)
	switch {
	case *asJSON && *summary:
		type sum struct {
			File    string `json:"file"`
			Schema  string `json:"schema"`
			Version string `json:"version"`
			rules.Summary
		}
		list := []sum{}
		for _, o := range outs {
			list = append(list, sum{o.File, o.Schema, o.Version, o.Summary})
		}
		if err := writeJSON(stdout, map[string]any{"files": list, "total": total}); err != nil {
			return err
		}
	case *asJSON:
		if outs == nil {
			outs = []rulesOutput{}
		}
		if err := writeJSON(stdout, outs); err != nil {
			return err
		}
	case *summary:
		for _, o := range outs {
			fmt.Fprintf(stdout, "%s  %s %s  %s\n", o.File, o.Schema, o.Version, formatSummary(o.Summary))
		}
		fmt.Fprintf(stdout, "gesamt  %s\n", formatSummary(total))
	default:
		for i, o := range outs {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			fmt.Fprintf(stdout, "%s  %s %s  %s\n", o.File, o.Schema, o.Version, formatSummary(o.Summary))
			for _, r := range o.Rules {
				fmt.Fprintf(stdout, "  %s %s  %s  %s  %s\n", r.ID, r.Version, r.Status, r.Origin, r.Name)
				if r.Reason != "" {
					fmt.Fprintf(stdout, "    Grund: %s\n", r.Reason)
				}
				var es []string
				for _, e := range r.Edges {
					es = append(es, fmt.Sprintf("%s→%s %s", e.Source, e.Target, e.Effect))
				}
				if len(es) > 0 {
					fmt.Fprintf(stdout, "    %s\n", strings.Join(es, ", "))
				}
			}
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "%d von %d Dateien nicht importierbar\n", failed, f.fs.NArg())
		return exitError{1}
	}
	return nil
}

func formatSummary(s rules.Summary) string {
	pct := 100.0
	if s.Total() > 0 {
		pct = 100 * float64(s.Compiled) / float64(s.Total())
	}
	return fmt.Sprintf("%d Regeln: %d compiled (%.1f %%), %d informational, %d unsupported", s.Total(), s.Compiled, pct, s.Informational, s.Unsupported)
}
