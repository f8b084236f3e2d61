package main

import (
	"os"
	"testing"
)

// runMainEnv, when "1" in the environment of the test binary, makes it run
// the real program (main) with its arguments instead of the tests: the
// crash test starts `antrag serve` this way as a separate process that it
// can kill with SIGKILL.
const runMainEnv = "ANTRAG_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}
