// Package tier is the one rule of the test tiers that need a real part (the
// pulumi CLI, a kube-apiserver, the AWS API emulator, jq): without it a test
// skips and says how to get it, unless RequiredEnv is 1 (.ci/run sets it),
// when it fails, so that CI cannot pass by skipping.
package tier

import (
	"os"
	"testing"
)

// RequiredEnv, set to 1, makes a missing part a failure.
const RequiredEnv = "LAB_TIERS_REQUIRED"

// Missing skips t with msg, or fails it when RequiredEnv is 1.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(RequiredEnv) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
