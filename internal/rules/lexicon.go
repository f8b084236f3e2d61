package rules

import (
	_ "embed"
	"fmt"
	"strings"
)

// lexicon.txt holds the vocabulary of the rule language as data: which
// written forms stand for which lemma, and which abbreviations keep their
// full stop. The grammar's productions are written in lemmas only.
//
//go:embed lexicon.txt
var lexiconText string

// lexiconData is the parsed lexicon.
type lexiconData struct {
	lemma   map[string]string // written form (lower case) → lemma
	abbrev  map[string]bool   // abbreviation without its final full stop, lower case: "bzw", "z.b"
	dotted  []string          // abbreviations with inner full stops, longest first
	lemmata map[string]bool   // every lemma
}

var lexicon = mustLexicon(lexiconText)

func mustLexicon(text string) *lexiconData {
	lx, err := parseLexicon(text)
	if err != nil {
		panic(err) // the embedded lexicon is part of the program
	}
	return lx
}

// parseLexicon reads the lexicon format: "#" comments, sections
// "[lemmata]" with lines "lemma: form form …" and "[abkürzungen]" with
// abbreviations separated by white space. A form may belong to one lemma
// only.
func parseLexicon(text string) (*lexiconData, error) {
	lx := &lexiconData{lemma: map[string]string{}, abbrev: map[string]bool{}, lemmata: map[string]bool{}}
	err := eachLine(text, "lexicon", func(section, line string) error {
		switch section {
		case "lemmata":
			lemma, forms, ok := strings.Cut(line, ":")
			lemma = strings.TrimSpace(lemma)
			if !ok || lemma == "" {
				return fmt.Errorf("expected \"lemma: forms\"")
			}
			lx.lemmata[lemma] = true
			for _, f := range strings.Fields(forms) {
				if prev, dup := lx.lemma[f]; dup && prev != lemma {
					return fmt.Errorf("%q is already a form of %q", f, prev)
				}
				lx.lemma[f] = lemma
			}
		case "abkürzungen":
			for _, a := range strings.Fields(line) {
				a = strings.TrimSuffix(strings.ToLower(a), ".")
				lx.abbrev[a] = true
				if strings.Contains(a, ".") {
					lx.dotted = append(lx.dotted, a)
				}
			}
		default:
			return fmt.Errorf("outside a known section")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for f := range lx.lemma {
		if lx.lemmata[f] {
			return nil, fmt.Errorf("lexicon: %q is both a lemma and a form", f)
		}
	}
	// Longest first, so that "i.v.m" wins over a shorter prefix.
	for i := range lx.dotted {
		for j := i + 1; j < len(lx.dotted); j++ {
			if len(lx.dotted[j]) > len(lx.dotted[i]) {
				lx.dotted[i], lx.dotted[j] = lx.dotted[j], lx.dotted[i]
			}
		}
	}
	return lx, nil
}

// lemmaOf returns the lemma of a lower-case written form, or the form.
func (lx *lexiconData) lemmaOf(w string) string {
	if l, ok := lx.lemma[w]; ok {
		return l
	}
	return w
}

// eachLine calls fn for every line of a data file in the format of
// lexicon.txt and sets.txt: "#" comments and blank lines skipped, "[name]"
// starting a section. An error names the file and line.
func eachLine(text, file string, fn func(section, line string) error) error {
	section := ""
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		if err := fn(section, line); err != nil {
			return fmt.Errorf("%s line %d: %w", file, n+1, err)
		}
	}
	return nil
}
