package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// The test tiers' helpers (internal/testing/...) start processes, write
// files and call testing: nothing the program or the tools ship may depend
// on them.
func TestShippedCodeDoesNotImportTestHelpers(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../infra", "../cmd/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, module+"/internal/testing/") {
			t.Errorf("shipped code depends on %s", pkg)
		}
	}
}
