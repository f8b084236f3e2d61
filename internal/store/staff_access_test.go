package store_test

import (
	"testing"

	"github.com/antrag/antrag/internal/store/storetest"
)

func TestStaffAccess(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			skipUnavailable(t, d)
			storetest.RunStaffAccess(t, storetest.Open(t, d.NewDSN(t)))
		})
	}
}
