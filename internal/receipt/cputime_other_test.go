//go:build !unix

package receipt

import "time"

// processCPU is unknown here.
func processCPU() time.Duration { return 0 }
