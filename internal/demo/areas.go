package demo

import (
	"context"
	"fmt"

	"github.com/antrag/antrag/internal/area"
)

// SeedAreas loads the demo's hand-made areas and postcode table
// (area.Demo), so that the routed demo service finds the responsible
// authority by postcode. It replaces a postcode table already there.
func SeedAreas(ctx context.Context, st area.Store) error {
	areas, postcodes := area.Demo()
	if err := st.ReplaceAreas(ctx, areas); err != nil {
		return fmt.Errorf("demo: Gebiete: %w", err)
	}
	if err := st.ReplacePostcodes(ctx, postcodes); err != nil {
		return fmt.Errorf("demo: Postleitzahlen: %w", err)
	}
	return nil
}
