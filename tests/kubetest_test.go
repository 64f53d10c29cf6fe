package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// internal/kubetest starts processes and writes files for tests: nothing
// the program or the tools ship may depend on it.
func TestShippedCodeDoesNotImportKubetest(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../infra", "../cmd/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/eks-study/lab/internal/kubetest" {
			t.Errorf("shipped code depends on %s", pkg)
		}
	}
}
