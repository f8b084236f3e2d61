package main

import (
	"regexp"
	"strings"
	"testing"
)

// overviewCommands are the commands of the overview (`antrag --help`),
// each with the flags its line names: "fim example" → [land codelists].
func overviewCommands(t *testing.T) map[string][]string {
	t.Helper()
	cmds := map[string][]string{}
	flagRE := regexp.MustCompile(`--([a-z][a-z-]*)`)
	for line := range strings.Lines(usage) {
		rest, ok := strings.CutPrefix(line, "  antrag ")
		if !ok {
			continue
		}
		rest, _, _ = strings.Cut(rest, "  ") // the description, if on the same line
		var words []string
		for _, w := range strings.Fields(rest) {
			if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "[") || strings.ToUpper(w) == w {
				break
			}
			words = append(words, strings.Split(w, "|")[0]) // migrate up|status: up
		}
		if len(words) == 0 {
			words = []string{"serve"} // antrag [serve] …
		}
		var flags []string
		for _, m := range flagRE.FindAllStringSubmatch(rest, -1) {
			flags = append(flags, m[1])
		}
		cmds[strings.Join(words, " ")] = flags
	}
	if len(cmds) < 15 {
		t.Fatalf("only %d commands in the overview: %v", len(cmds), cmds)
	}
	return cmds
}

// TestSubcommandHelpListsItsFlagsOnStdout: `antrag CMD --help` lists every
// flag of CMD on stdout and exits 0, for every command of the overview, so
// that `antrag fim example --help | grep land` finds --land.
func TestSubcommandHelpListsItsFlagsOnStdout(t *testing.T) {
	cmds := overviewCommands(t)
	if flags := cmds["fim example"]; !strings.Contains(strings.Join(flags, " "), "land") {
		t.Errorf("the overview's line for fim example names %v, not --land", flags)
	}
	for cmd, flags := range cmds {
		for _, help := range []string{"--help", "-h"} {
			stdout, stderr, err := runCmd(t, nil, append(strings.Fields(cmd), help)...)
			if err != nil && err != (exitError{0}) {
				t.Errorf("antrag %s %s: %v", cmd, help, err)
			}
			if stderr != "" {
				t.Errorf("antrag %s %s wrote to stderr: %q", cmd, help, stderr)
			}
			for _, f := range flags {
				if !strings.Contains(stdout, "  -"+f+" ") && !strings.Contains(stdout, "  -"+f+"\n") {
					t.Errorf("antrag %s %s: -%s not listed on stdout:\n%s", cmd, help, f, stdout)
				}
			}
		}
	}
	stdout, _, _ := runCmd(t, nil, "fim", "example", "--help")
	if !strings.Contains(stdout, "-land") || !strings.Contains(stdout, "-codelists") {
		t.Errorf("antrag fim example --help:\n%s", stdout)
	}
	// A mistake still lists the flags, on stderr, as a usage error.
	stdout, stderr, err := runCmd(t, nil, "fim", "example", "--laand", "TH")
	if _, ok := err.(usageError); !ok || stdout != "" || !strings.Contains(stderr, "-land") {
		t.Errorf("antrag fim example --laand: %v, stdout %q, stderr %q", err, stdout, stderr)
	}
}

// TestCommandGroupHelpListsItsSubcommands: `antrag fim --help` (and the
// other groups) lists the group's subcommands with their flags instead of
// failing on an unknown subcommand "--help".
func TestCommandGroupHelpListsItsSubcommands(t *testing.T) {
	groups := map[string][]string{}
	for cmd := range overviewCommands(t) {
		if g, sub, ok := strings.Cut(cmd, " "); ok {
			groups[g] = append(groups[g], sub)
		}
	}
	for g, subs := range groups {
		stdout, stderr, err := runCmd(t, nil, g, "--help")
		if err != nil || stderr != "" {
			t.Errorf("antrag %s --help: %v %q", g, err, stderr)
		}
		for _, sub := range subs {
			if !strings.Contains(stdout, "antrag "+g+" "+sub) {
				t.Errorf("antrag %s --help does not list %s:\n%s", g, sub, stdout)
			}
		}
	}
}
