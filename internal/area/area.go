// Package area is antrag's reference data for routing by place: the areas
// of the Amtlicher Regionalschlüssel (ARS) and a table from postcode (and
// street) to Gemeinde, and the rules that read them. It imports no store.
//
// # The Amtlicher Regionalschlüssel
//
// The ARS is Destatis' key of a German administrative area
// (Statistisches Bundesamt, Gemeindeverzeichnis GV-ISys / GV100AD,
// "Amtlicher Regionalschlüssel"; XÖV code lists
// urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs and …:kreis).
// Its digits, 12 in all:
//
//	Land (2) · Regierungsbezirk (1) · Kreis (2) · Gemeindeverband (4) · Gemeinde (3)
//	07         3                      39          5001                  001
//
// A key names the level its length ends at: 2 digits a Land, 3 a
// Regierungsbezirk, 5 a Kreis, 9 a Gemeindeverband, 12 a Gemeinde.
// Keys are taken as they are written, never padded or cut: Destatis lists
// a kreisfreie Stadt twice, as the Kreis 16051 (Kreis list) and as the
// Gemeinde 160510000000 (Regionalschlüssel list), and the Stadtstaaten as
// Gemeinden 020000000000 and 110000000000. So a 12-digit key is always a
// Gemeinde, also when it ends in zeros; the Kreis of 160510000000 is the
// separate area 16051.
//
// The parent of an area is derived from its key (see Parent): the Land of
// a Regierungsbezirk, the Regierungsbezirk of a Kreis (the Land where the
// Regierungsbezirk digit is 0), the Kreis of a Gemeindeverband, and the
// Gemeindeverband of a Gemeinde, or its Kreis where the Gemeinde belongs
// to none: Gemeindeverband digits 0000 (kreisfreie Städte, Stadtstaaten)
// or 0 and the Gemeinde's own three digits (verbandsfreie Gemeinden, e.g.
// 010510011011 Brunsbüttel). A parent is a key, not a reference: the
// Destatis lists hold one level each, so the parent need not be known.
//
// # The Amtlicher Gemeindeschlüssel
//
// The AGS (8 digits: Land 2, Regierungsbezirk 1, Kreis 2, Gemeinde 3) lacks
// the Gemeindeverband, so it is not an ARS. It becomes one in two sound
// ways only: where its Gemeinde digits are 000 (kreisfreie Städte and
// Stadtstaaten, whose Gemeindeverband digits are 0000: 16051000 →
// 160510000000), and by looking it up among known Gemeinden (ResolveAGS),
// as the AGS of a Gemeinde is its ARS without the Gemeindeverband.
package area

import (
	"fmt"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
)

// Level is the level of an area in the ARS hierarchy.
type Level string

// The levels, from the top.
const (
	Land             Level = "land"
	Regierungsbezirk Level = "regierungsbezirk"
	Kreis            Level = "kreis"
	Gemeindeverband  Level = "gemeindeverband"
	Gemeinde         Level = "gemeinde"
)

// Levels are all levels, from the top.
var Levels = []Level{Land, Regierungsbezirk, Kreis, Gemeindeverband, Gemeinde}

// Label is the German name of the level, for operators.
func (l Level) Label() string {
	switch l {
	case Land:
		return "Land"
	case Regierungsbezirk:
		return "Regierungsbezirk"
	case Kreis:
		return "Kreis"
	case Gemeindeverband:
		return "Gemeindeverband"
	case Gemeinde:
		return "Gemeinde"
	}
	return string(l)
}

// ParseLevel returns the level named s ("land" … "gemeinde"); anything
// else is apperr.Invalid.
func ParseLevel(s string) (Level, error) {
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("Ebene %q: land, regierungsbezirk, kreis, gemeindeverband oder gemeinde: %w", s, apperr.Invalid)
}

// Area is an administrative area named by its ARS.
type Area struct {
	// ARS is the key: 2, 3, 5, 9 or 12 digits.
	ARS string
	// Name is Destatis' name, e.g. "Erfurt, Stadt".
	Name string
	// Level follows from the length of ARS (LevelOf).
	Level Level
	// Parent is the ARS of the enclosing area (Parent), "" for a Land.
	Parent string
}

// New returns the area with key ars and name, its level and parent
// derived from the key. A malformed key is apperr.Invalid (LevelOf).
func New(ars, name string) (Area, error) {
	l, err := LevelOf(ars)
	if err != nil {
		return Area{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return Area{}, fmt.Errorf("Gebiet %s ohne Namen: %w", ars, apperr.Invalid)
	}
	return Area{ARS: ars, Name: name, Level: l, Parent: parentOf(ars)}, nil
}

// Validate reports whether a is well-formed: a valid key, a name, and the
// level and parent its key implies. Errors are apperr.Invalid.
func (a Area) Validate() error {
	want, err := New(a.ARS, a.Name)
	if err != nil {
		return err
	}
	if a.Level != want.Level || a.Parent != want.Parent {
		return fmt.Errorf("Gebiet %s: Ebene %q und übergeordnetes Gebiet %q passen nicht zum Schlüssel (%s, %q): %w",
			a.ARS, a.Level, a.Parent, want.Level, want.Parent, apperr.Invalid)
	}
	return nil
}

// LevelOf returns the level of the ARS key: digits only, of length 2, 3, 5,
// 9 or 12, whose first two are a Land (01 to 16); a Regierungsbezirk key's
// third digit is not 0 (0 means "no Regierungsbezirk"). Anything else is
// apperr.Invalid.
func LevelOf(ars string) (Level, error) {
	if !digits(ars) {
		return "", fmt.Errorf("Regionalschlüssel %q: nur Ziffern: %w", ars, apperr.Invalid)
	}
	var l Level
	switch len(ars) {
	case 2:
		l = Land
	case 3:
		l = Regierungsbezirk
	case 5:
		l = Kreis
	case 9:
		l = Gemeindeverband
	case 12:
		l = Gemeinde
	default:
		return "", fmt.Errorf("Regionalschlüssel %q: 2, 3, 5, 9 oder 12 Ziffern: %w", ars, apperr.Invalid)
	}
	if ars[:2] < "01" || ars[:2] > "16" {
		return "", fmt.Errorf("Regionalschlüssel %q: die ersten zwei Ziffern sind kein Land (01 bis 16): %w", ars, apperr.Invalid)
	}
	if l == Regierungsbezirk && ars[2] == '0' {
		return "", fmt.Errorf("Regionalschlüssel %q: Regierungsbezirk 0 gibt es nicht: %w", ars, apperr.Invalid)
	}
	return l, nil
}

// Parent returns the ARS of the area enclosing the area ars (see the
// package documentation), or "" for a Land or a malformed key.
func Parent(ars string) string {
	if _, err := LevelOf(ars); err != nil {
		return ""
	}
	return parentOf(ars)
}

func parentOf(ars string) string {
	switch len(ars) {
	case 3:
		return ars[:2]
	case 5:
		if ars[2] == '0' {
			return ars[:2]
		}
		return ars[:3]
	case 9:
		return ars[:5]
	case 12:
		if gv := ars[5:9]; gv == "0000" || gv == "0"+ars[9:] {
			return ars[:5]
		}
		return ars[:9]
	}
	return ""
}

// FromAGS returns the ARS of the 8-digit AGS ags where that is certain
// without a list of Gemeinden: for Gemeinde digits 000 (a kreisfreie Stadt
// or Stadtstaat, Gemeindeverband 0000). Otherwise ok is false: use
// ResolveAGS.
func FromAGS(ags string) (ars string, ok bool) {
	if len(ags) != 8 || !digits(ags) || ags[5:] != "000" {
		return "", false
	}
	ars = ags[:5] + "0000000"
	if _, err := LevelOf(ars); err != nil {
		return "", false
	}
	return ars, true
}

// AGSOf returns the AGS of a Gemeinde's 12-digit ARS (the ARS without the
// Gemeindeverband digits), or "" for a key of another length.
func AGSOf(ars string) string {
	if len(ars) != 12 || !digits(ars) {
		return ""
	}
	return ars[:5] + ars[9:]
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
