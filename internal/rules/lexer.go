package rules

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a token of a rule text.
type tokKind int

const (
	tokWord   tokKind = iota // a word; text as written, lower its lemma
	tokRef                   // an element reference: F…, G…, or a dotted path G….F…
	tokString                // a quoted string, quotes removed
	tokNumber                // digits
	tokOp                    // = == === <> != < > <= >= -
	tokPunct                 // , . ; : ( ) /
)

type token struct {
	kind tokKind
	text string
	// lower is, for a word, its lemma in the lexicon (lexicon.txt), or its
	// lower case if the lexicon does not know it; for other tokens the text.
	lower string
}

func (t token) is(words ...string) bool {
	if t.kind != tokWord {
		return false
	}
	for _, w := range words {
		if t.lower == w {
			return true
		}
	}
	return false
}

func (t token) punct(p string) bool { return t.kind == tokPunct && t.text == p }

var refRE = regexp.MustCompile(`^[FG][0-9]{5,}(?:\.[FG][0-9]{5,})*`)

// refREFold is refRE regardless of case.
var refREFold = regexp.MustCompile(`(?i)^[FG][0-9]{5,}(?:\.[FG][0-9]{5,})*`)

// quoteReplacer turns every kind of quotation mark into ".
var quoteReplacer = strings.NewReplacer(
	"„", `"`, "“", `"`, "”", `"`, "‚", `"`, "‘", `"`, "’", `"`, "'", `"`, "«", `"`, "»", `"`, "`", `"`,
)

// lex splits a rule text into tokens. A quoted string that runs into an
// element reference or over 200 characters is taken to have lost its
// closing quote: it then holds only its first word.
func lex(s string) []token {
	s = quoteReplacer.Replace(s)
	var out []token
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '"':
			end := strings.IndexByte(s[i+1:], '"')
			content := ""
			if end >= 0 {
				content = s[i+1 : i+1+end]
			}
			if end < 0 || len(content) > 200 || containsRef(content) {
				// Unbalanced quote: take the next word only.
				rest := s[i+1:]
				w := strings.FieldsFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == '"' })
				if len(w) == 0 {
					i = len(s)
					continue
				}
				j := strings.Index(rest, w[0])
				out = append(out, token{kind: tokString, text: w[0], lower: strings.ToLower(w[0])})
				i += 1 + j + len(w[0])
				continue
			}
			c := strings.Join(strings.Fields(content), " ")
			out = append(out, token{kind: tokString, text: c, lower: strings.ToLower(c)})
			i += end + 2
		case (r == 'F' || r == 'G' || r == 'f' || r == 'g') && refREFold.MatchString(s[i:]) && (i == 0 || !isWordRune(lastRune(s[:i]))):
			// "f10001" in a rule written in lower case is F10001.
			m := refREFold.FindString(s[i:])
			up := strings.ToUpper(m)
			out = append(out, token{kind: tokRef, text: up, lower: up})
			i += len(m)
		case r >= '0' && r <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			// "5." in "D.h. es muss z.B. 30.02.2019" stays digits and punctuation.
			out = append(out, token{kind: tokNumber, text: s[i:j], lower: s[i:j]})
			i = j
		case strings.HasPrefix(s[i:], "->") || r == '→' || r == '⇒':
			// "F1 = 'Ja' -> F2 Pflicht": the arrow of terse rules is "dann".
			n := size
			if r == '-' {
				n = 2
			}
			out = append(out, token{kind: tokWord, text: s[i : i+n], lower: "dann"})
			i += n
		case strings.HasPrefix(s[i:], "=>") || strings.HasPrefix(s[i:], "=<"):
			// "F => 5" is "F >= 5" ("=<" likewise); "F1 = wahr => F2
			// Pflicht" the arrow of a terse rule.
			rest := strings.TrimLeft(s[i+2:], " \t")
			switch {
			case s[i+1] == '>' && refREFold.MatchString(rest):
				out = append(out, token{kind: tokWord, text: "=>", lower: "dann"})
			case s[i+1] == '>':
				out = append(out, token{kind: tokOp, text: ">=", lower: ">="})
			default:
				out = append(out, token{kind: tokOp, text: "<=", lower: "<="})
			}
			i += 2
		case r == '≠' || r == '≤' || r == '≥':
			op := map[rune]string{'≠': "<>", '≤': "<=", '≥': ">="}[r]
			out = append(out, token{kind: tokOp, text: op, lower: op})
			i += size
		case strings.ContainsRune("=<>!-", r):
			op := ""
			for _, cand := range []string{"===", "==", "<>", "!=", "<=", ">=", "=", "<", ">", "-"} {
				if strings.HasPrefix(s[i:], cand) {
					op = cand
					break
				}
			}
			if op == "" { // a lone "!"
				i += size
				continue
			}
			out = append(out, token{kind: tokOp, text: op, lower: op})
			i += len(op)
		case isWordRune(r):
			if a := dottedAbbrev(s[i:]); a > 0 {
				// "i.G.", "z.B.": one word, its full stops are no sentence end.
				w := s[i : i+a]
				out = append(out, token{kind: tokWord, text: w, lower: lexicon.lemmaOf(strings.TrimSuffix(strings.ToLower(w), "."))})
				i += a
				continue
			}
			j := i
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				if r2 == '-' && j > i && unicode.IsLetter(lastRune(s[:j])) && j+1 < len(s) {
					// "Nordrhein-Westfalen", "Nicht-EU-Staat": one word.
					if r3, _ := utf8.DecodeRuneInString(s[j+1:]); unicode.IsLetter(r3) {
						j += sz
						continue
					}
				}
				if !isWordRune(r2) {
					break
				}
				j += sz
			}
			w := s[i:j]
			low := strings.ToLower(w)
			if j < len(s) && s[j] == '.' && lexicon.abbrev[low] {
				j++ // "bzw.", "Nr.": the full stop belongs to the word
				w = s[i:j]
			}
			out = append(out, token{kind: tokWord, text: w, lower: lexicon.lemmaOf(low)})
			i = j
		default:
			out = append(out, token{kind: tokPunct, text: string(r), lower: string(r)})
			i += size
		}
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func containsRef(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] == 'F' || s[i] == 'G') && refRE.MatchString(s[i:]) && (i == 0 || !isWordRune(lastRune(s[:i]))) {
			return true
		}
	}
	return false
}

// words returns the lower-case words of a text, for comparing labels: only
// letters and digits count.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !isWordRune(r) })
}

// dottedAbbrev returns the length of an abbreviation with inner full stops
// ("i.G.", "z. B." is not one) at the start of s, including its final full
// stop when present, or 0.
func dottedAbbrev(s string) int {
	low := strings.ToLower(s[:min(len(s), 16)])
	for _, a := range lexicon.dotted {
		if !strings.HasPrefix(low, a) {
			continue
		}
		n := len(a)
		if n < len(low) && low[n] == '.' {
			n++
		} else if n < len(s) {
			if r, _ := utf8.DecodeRuneInString(s[n:]); isWordRune(r) {
				continue // "i.Gx": not the abbreviation
			}
		}
		return n
	}
	return 0
}
