package tests

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/eks-study/lab/internal/configref"
)

// docs/configuration.md carries a table generated from Pulumi.yaml; a key
// added, removed or redescribed in Pulumi.yaml fails here until the page is
// regenerated with: go test ./tests -run ConfigReference -update
func TestConfigReferenceIsGeneratedFromPulumiYaml(t *testing.T) {
	page := filepath.Join(root, "docs", "configuration.md")
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	table, err := configref.Table(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := configref.Replace(string(data), table)
	if err != nil {
		t.Fatal(err)
	}
	if *updateGolden {
		if err := os.WriteFile(page, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(data) != want {
		t.Errorf("%s is out of date with Pulumi.yaml; run: go test ./tests -run ConfigReference -update", page)
	}
}
