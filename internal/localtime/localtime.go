// Package localtime is the civil time of German administration: the
// Europe/Berlin zone, in which antrag shows times (receipts, e-mail
// notices, staff pages) and counts dates (the FIT-Connect
// applicationDate, the rules' "aktuelles Datum", date inputs).
package localtime

import (
	"time"
	_ "time/tzdata" // the zone resolves even where the system has no zoneinfo
)

// Berlin is the Europe/Berlin location, from the system's zoneinfo or the
// IANA database embedded in the binary (time/tzdata). Should neither
// load, it is Central European Time without daylight saving (UTC+1).
var Berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("MEZ", 3600)
	}
	return loc
}()
