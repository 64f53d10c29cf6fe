package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
)

// loadProject reads Pulumi.yaml with Pulumi's own loader, as the CLI does.
func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	proj, err := workspace.LoadProject(offline.ProjectFile(root))
	if err != nil {
		t.Fatal(err)
	}
	return proj
}

// minimalStack is the smallest stack a member writes: only the one key
// Pulumi.yaml declares without a default. It returns the config the CLI
// would hand the program.
func minimalStack(t *testing.T) *offline.StackConfig {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(offline.ProjectFile(root))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(offline.ProjectFile(dir), project, 0o644); err != nil {
		t.Fatal(err)
	}
	path := offline.StackFile(dir, loadProject(t), "minimal")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("config:\n  eks-lab:sshCidr: 203.0.113.7/32\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := offline.LoadStack(dir, "minimal", nil)
	if err != nil {
		t.Fatalf("Pulumi's validation refuses a stack that sets only eks-lab:sshCidr: %v", err)
	}
	return cfg
}

func TestProjectFile(t *testing.T) {
	t.Parallel()
	proj := loadProject(t)
	expectEqual(t, "name", proj.Name, config.Namespace)
	expectEqual(t, "runtime", proj.Runtime.Name(), "go")
	expectEqual(t, "main", proj.Main, "infra/")
	expectEqual(t, "stackConfigDir", proj.StackConfigDir, "stacks")
	if _, err := os.Stat(filepath.Join(root, "infra", "main.go")); err != nil {
		t.Errorf("main: infra/ has no main.go: %v", err)
	}
}

// The typed config in Pulumi.yaml and the Go loader must agree: every key the
// program reads is declared with a type and a description, nothing is
// declared that the program ignores, and each default Pulumi applies is the
// program's own.
func TestProjectConfigMatchesTheLoader(t *testing.T) {
	t.Parallel()
	proj := loadProject(t)
	minimal := minimalStack(t)
	read := map[string]bool{}
	only := func(values map[string]string) config.Source {
		return config.Source{Get: func(key string) (string, bool) {
			read[key] = true
			v, ok := values[key]
			return v, ok
		}}
	}
	sshOnly := map[string]string{config.Namespace + ":sshCidr": minimal.Values[config.Namespace+":sshCidr"]}
	baseline, err := config.Load(config.Namespace, "minimal", only(sshOnly), offline.Now)
	if err != nil {
		t.Fatal(err)
	}
	for key, decl := range proj.Config {
		full := key
		if !strings.Contains(key, ":") {
			full = config.Namespace + ":" + key
			if decl.Type == nil || decl.Description == "" {
				t.Errorf("Pulumi.yaml declares %s without a type and a description", key)
			}
		}
		if !read[full] {
			t.Errorf("Pulumi.yaml declares %s but the program never reads it", full)
			continue
		}
		value, applied := minimal.Values[full]
		if !applied {
			continue // required: no default
		}
		withDefault, err := config.Load(config.Namespace, "minimal", only(map[string]string{full: value, config.Namespace + ":sshCidr": sshOnly[config.Namespace+":sshCidr"]}), offline.Now)
		if err != nil {
			t.Errorf("%s: the default Pulumi applies, %q, is refused: %v", full, value, err)
		} else if !reflect.DeepEqual(withDefault, baseline) {
			t.Errorf("%s: the default Pulumi applies, %q, is not the program's default", full, value)
		}
	}
	for key := range read {
		name, ok := strings.CutPrefix(key, config.Namespace+":")
		if _, declared := proj.Config[name]; ok && !declared {
			t.Errorf("the program reads %s but Pulumi.yaml does not declare it", key)
		}
	}
	if region := minimal.Values["aws:region"]; region != config.Defaults.Region {
		t.Errorf("a stack without aws:region gets %q from Pulumi.yaml; the program's default is %q", region, config.Defaults.Region)
	}
}

// A key declared with a type and no default is required in every stack
// (the CLI refuses a stack without it), so the README's bring-up commands
// must set it.
func TestRequiredKeysAreSetInTheReadme(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	required := 0
	for key, decl := range loadProject(t).Config {
		if decl.Default != nil || decl.Value != nil {
			continue
		}
		required++
		if !strings.Contains(string(readme), "pulumi config set "+key+" ") {
			t.Errorf("Pulumi.yaml declares %s without a default, so every stack must set it, but README.md has no `pulumi config set %s ...`; give it a default or add the command", key, key)
		}
	}
	if required == 0 {
		t.Error("no required key; sshCidr has no sensible default")
	}
}

// Every stack file and the minimal stack pass Pulumi's validation and the
// program's.
func TestEveryStackFileIsValid(t *testing.T) {
	t.Parallel()
	stacks, err := offline.Stacks(root)
	if err != nil || len(stacks) < 2 {
		t.Fatalf("want at least two stack files, got %v (%v)", stacks, err)
	}
	for _, s := range stacks {
		stackPlan(t, s) // fails the test on any config or program error
	}
	if _, err := mock.Run(minimalStack(t)); err != nil {
		t.Errorf("the minimal stack: %v", err)
	}
}

// `pulumi config set KEY '["..."]'` stores a string, which the CLI's type
// check refuses for an array key: the docs must show the form that works.
func TestEveryListKeyHasAWorkingSetCommandInTheDocs(t *testing.T) {
	t.Parallel()
	page, err := os.ReadFile(filepath.Join(root, "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	lists := 0
	for key, decl := range loadProject(t).Config {
		if decl.Type == nil || *decl.Type != "array" {
			continue
		}
		lists++
		cmd := fmt.Sprintf("pulumi config set --path '%s:%s[0]' ", config.Namespace, key)
		if !strings.Contains(string(page), cmd) {
			t.Errorf("docs/configuration.md does not show %q for the list key %s", cmd+"VALUE", key)
		}
	}
	if lists == 0 {
		t.Error("no list keys found")
	}
}
