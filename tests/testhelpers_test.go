package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// The test tiers' helpers start processes, write files and call testing:
// nothing the program or the tools ship may depend on them.
func TestShippedCodeDoesNotImportTestHelpers(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../infra", "../cmd/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	helpers := map[string]bool{
		"github.com/eks-study/lab/internal/testing/kubetest":   true,
		"github.com/eks-study/lab/internal/testing/motoserver": true,
		"github.com/eks-study/lab/internal/testing/tier":       true,
	}
	for _, pkg := range strings.Fields(string(out)) {
		if helpers[pkg] {
			t.Errorf("shipped code depends on %s", pkg)
		}
	}
}
