package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eks-study/lab/internal/offline/mock"
)

// Labs already running were created with the URNs in golden/released/: the
// resources of the last release, one file per stack. Pulumi replaces a
// resource whose URN changes unless the new one names the old in
// pulumi.Aliases, and for some (an EKS access entry, an IAM attachment) the
// replacement fails or cuts access mid-lab. Every released URN must still
// exist, directly or as an alias.
func TestRenamesKeepReleasedResources(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(goldenDir, "released", "*.urns"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no released URN lists: %v", err)
	}
	for _, file := range files {
		stack := strings.TrimSuffix(filepath.Base(file), ".urns")
		t.Run(stack, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := mock.RunStackFile(goldenRoot, stack)
			if err != nil {
				t.Fatal(err)
			}
			known := map[string]bool{}
			for _, r := range p.Resources {
				known[r.URN] = true
				for _, a := range r.Aliases {
					known[a] = true
				}
			}
			for _, urn := range strings.Fields(string(data)) {
				if !known[urn] {
					t.Errorf("released resource %s is gone and no resource names it in pulumi.Aliases: a live lab would replace it", urn)
				}
			}
		})
	}
}
