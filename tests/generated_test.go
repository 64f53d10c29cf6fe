package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/internal/docgen"
	"github.com/eks-study/lab/internal/labtool"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/plan"
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

// docs/lab-tool.md shows `lab plan`'s and `lab diff`'s real output: the
// repository's stacks planned by the program (which TestGoldenPlans keeps
// equal to tests/golden), a diff against the dev stack with two changes, and
// the errors of broken stack files.
func TestLabToolExamplesAreGeneratedFromTheGoldenPlans(t *testing.T) {
	const page = "docs/lab-tool.md"
	text := func(stack string) string {
		t.Helper()
		// Both states, as lab plan builds them: the time estimate has the
		// pause and the resume.
		doc := bothStatesPlan(t, root, stack, nil)
		var b bytes.Buffer
		if err := plan.Render(&b, doc, "text"); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	dev, podIdentity := text("dev"), text("pod-identity")
	for _, part := range []struct {
		name, text string
		headings   []string
	}{
		{"lab-plan-dev", dev, []string{"", "RESOURCES"}},
		{"lab-plan-dev-capacity", dev, []string{"POD CAPACITY"}},
		{"lab-plan-dev-cost", dev, []string{"COST ESTIMATE"}},
		{"lab-plan-pod-identity-iam", podIdentity, []string{"IAM ROLES AND WHO MAY ASSUME THEM"}},
		{"lab-plan-dev-time", dev, []string{"TIME ESTIMATE"}},
	} {
		sections, err := docgen.PlanSections(part.text, part.headings...)
		if err != nil {
			t.Fatal(err)
		}
		checkGenerated(t, page, part.name, docgen.Fenced("text", sections))
	}

	base, err := plan.Build(stackPlan(t, "dev"), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	provider := plan.Document{Resources: base.OfType("pulumi:providers:kubernetes")}
	if len(provider.Resources) != 1 {
		t.Fatalf("%d kubernetes providers in the dev plan", len(provider.Resources))
	}
	resource, err := json.MarshalIndent(provider.Resources[0], "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGenerated(t, page, "lab-plan-dev-json", docgen.Fenced("json", string(resource)))

	head := planOf(t, "dev", map[string]string{"eks-lab:nodeInstanceType": "m5.large", "eks-lab:sampleKubeOpsView": "false"})
	for format, name := range map[string]string{"markdown": "lab-diff-markdown", "text": "lab-diff-text"} {
		var b bytes.Buffer
		if err := plan.RenderDiff(&b, plan.Compare(base, head), format); err != nil {
			t.Fatal(err)
		}
		checkGenerated(t, page, name, docgen.Fenced(format, b.String()))
	}

	checkGenerated(t, page, "lab-plan-mistakes", docgen.Fenced("text", planMistakes(t)))
}

// planMistakes is what `lab plan` prints for an unknown stack, broken stack
// files and a missing flag, run in a copy of the repository whose path is
// shown as /home/member/eks-lab.
func planMistakes(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	stacks, err := offline.Stacks(root)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"Pulumi.yaml": "Pulumi.yaml"}
	for _, s := range stacks {
		files["stacks/Pulumi."+s+".yaml"] = "stacks/Pulumi." + s + ".yaml"
	}
	for to, from := range files {
		data, err := os.ReadFile(filepath.Join(root, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, to)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	for _, c := range []struct{ stack, file string }{
		{"nope", ""},
		{"yaml1", "config: [eks-lab:sshCidr: 203.0.113.7/32\n"},
		{"nossh", "config:\n  aws:region: ap-northeast-2\n"},
		{"bad", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  eks-lab:nodeMaxSise: 9\n  eks-lab:nodeInstanceType: t3.mediumm\n  eks-lab:natGateways: lots\n"},
		{"", ""},
	} {
		args := []string{"plan", "--root", dir}
		command := "go run ./cmd/lab plan"
		if c.stack != "" {
			args = append(args, "--stack", c.stack)
			command += " --stack " + c.stack
		}
		path := filepath.Join(dir, "stacks", "Pulumi."+c.stack+".yaml")
		if c.file != "" {
			if err := os.WriteFile(path, []byte(c.file), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var stdout, stderr bytes.Buffer
		if code := labtool.Main(args, &stdout, &stderr); code == 0 {
			t.Fatalf("%s: exit 0", command)
		}
		if c.file != "" {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&out, "$ %s\n%s\n", command, strings.ReplaceAll(stderr.String(), dir, "/home/member/eks-lab"))
	}
	return strings.TrimSpace(out.String())
}

// docs/lifecycle.md shows lab plan's figures of both states for every stack
// file: what a pause saves and how long a resume takes against a fresh lab.
func TestLifecycleStateFiguresAreGeneratedFromThePlans(t *testing.T) {
	stacks, err := offline.Stacks(root)
	if err != nil || len(stacks) == 0 {
		t.Fatalf("stacks: %v %v", stacks, err)
	}
	var rows []docgen.StateFigures
	for _, stack := range stacks {
		doc := bothStatesPlan(t, root, stack, nil)
		s := doc.Estimates.States
		rows = append(rows, docgen.StateFigures{
			Stack: stack, RunningHourly: s.RunningHourly, PausedHourly: s.PausedHourly,
			PausedFraction: s.PausedFraction, PausedFractionSpot: s.PausedFractionSpot,
			UpMinutes: doc.Estimates.Duration.UpMinutes, PauseMinutes: s.Pause.Minutes,
			ResumeMinutes: s.Resume.Minutes, ResumePath: s.Resume.Path,
		})
	}
	checkGenerated(t, "docs/lifecycle.md", docgen.PauseResume, docgen.StatesTable(rows))
}
