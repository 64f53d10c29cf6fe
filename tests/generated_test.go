package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/internal/docgen"
	"github.com/eks-study/lab/internal/versions"
)

// checkGenerated compares the part name of file (under the repository
// root) with content, or with -update writes content there.
func checkGenerated(t *testing.T, file, name, content string) {
	t.Helper()
	path := filepath.Join(root, file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := docgen.Splice(string(data), name, content)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if *updateGolden {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(data) != want {
		t.Errorf("%s: part %q is out of date; run: go test ./tests -run Generated -update", file, name)
	}
}

// Pulumi.yaml declares one boolean key per sample of the catalog, with the
// catalog's default and description. It comes first: the configuration
// reference is generated from Pulumi.yaml.
func TestPulumiYamlSamplesAreGeneratedFromTheCatalog(t *testing.T) {
	yaml, err := docgen.SamplesConfig(catalog.Samples)
	if err != nil {
		t.Fatal(err)
	}
	checkGenerated(t, "Pulumi.yaml", docgen.PulumiYamlSamples, yaml)
}

// docs/configuration.md carries a table generated from Pulumi.yaml; a key
// added, removed or redescribed in Pulumi.yaml fails here until the page is
// regenerated with: go test ./tests -run Generated -update
func TestConfigReferenceIsGeneratedFromPulumiYaml(t *testing.T) {
	table, err := docgen.ConfigTable(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	checkGenerated(t, "docs/configuration.md", docgen.ConfigReference, table)
}

// docs/samples.md's table of the samples is the catalog's.
func TestSamplesTableIsGeneratedFromTheCatalog(t *testing.T) {
	checkGenerated(t, "docs/samples.md", docgen.SamplesTable, docgen.SamplesMarkdown(catalog.Samples))
}

// Every sample's row names a section of docs/samples.md that exists, so the
// table's links lead somewhere.
func TestEverySampleHasItsSectionInTheDocs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "docs", "samples.md"))
	if err != nil {
		t.Fatal(err)
	}
	headings := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			headings[h] = true
		}
	}
	for _, s := range catalog.Samples {
		if !headings[s.Doc] {
			t.Errorf("%s: docs/samples.md has no section %q", s.Key, s.Doc)
		}
	}
}

// docs/samples.md's table of what the lab deploys, and docs/architecture.md's
// of what its tests and CI run, are internal/versions' pins.
func TestPinnedVersionsTablesAreGenerated(t *testing.T) {
	checkGenerated(t, "docs/samples.md", docgen.DeployedVersions, docgen.VersionsTable(versions.Pins(), true))
	checkGenerated(t, "docs/architecture.md", docgen.ToolVersions, docgen.VersionsTable(versions.Pins(), false))
}
