package area

import "context"

// Store keeps the reference data. The areas and the postcode table are
// global, shared by every tenant, so its methods take no tenant.
type Store interface {
	// ReplaceAreas stores areas in one transaction, replacing the stored
	// areas of every level that occurs in areas and keeping the other
	// levels (so a Kreis list does not delete the Gemeinden). An invalid
	// area or a key given twice is apperr.Invalid and stores nothing.
	ReplaceAreas(ctx context.Context, areas []Area) error
	// ReplacePostcodes replaces the whole postcode table, in one
	// transaction. An entry without a Gemeinde's ARS, a 5-digit postcode
	// or a name is apperr.Invalid and changes nothing.
	ReplacePostcodes(ctx context.Context, entries []PostcodeEntry) error
	// Area returns the area with the key; unknown is apperr.NotFound.
	Area(ctx context.Context, ars string) (Area, error)
	// Areas returns the areas whose key starts with prefix (digits, ""
	// for all) of level ("" for all), sorted by key.
	Areas(ctx context.Context, prefix string, level Level) ([]Area, error)
	// Municipalities returns the Gemeinden of a postcode (and street) by
	// Lookup, named as the areas name them where known; a malformed
	// postcode is apperr.Invalid, an unknown one apperr.NotFound.
	Municipalities(ctx context.Context, postcode, street string) ([]Area, error)
}
