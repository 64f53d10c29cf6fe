package tests

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/eks-study/lab/internal/config"
	"github.com/eks-study/lab/internal/offline"
)

type projectFile struct {
	Name           string         `yaml:"name"`
	Runtime        string         `yaml:"runtime"`
	Main           string         `yaml:"main"`
	StackConfigDir string         `yaml:"stackConfigDir"`
	Config         map[string]any `yaml:"config"`
}

func readProjectFile(t *testing.T) projectFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pf projectFile
	if err := yaml.Unmarshal(data, &pf); err != nil {
		t.Fatal(err)
	}
	return pf
}

func TestProjectFile(t *testing.T) {
	pf := readProjectFile(t)
	expectEqual(t, "name", pf.Name, config.Namespace)
	expectEqual(t, "runtime", pf.Runtime, "go")
	expectEqual(t, "main", pf.Main, "infra/")
	expectEqual(t, "stackConfigDir", pf.StackConfigDir, "stacks")
	if _, err := os.Stat(filepath.Join(root, "infra", "main.go")); err != nil {
		t.Errorf("main: infra/ has no main.go: %v", err)
	}
}

// The typed config in Pulumi.yaml and the Go loader must agree: every key the
// program reads is declared with a type and a description, nothing is
// declared that the program ignores, and the declared defaults are the Go ones.
func TestProjectConfigMatchesTheLoader(t *testing.T) {
	pf := readProjectFile(t)
	read := map[string]bool{}
	recording := func(key string) (string, bool) {
		read[key] = true
		if key == config.Namespace+":sshCidr" {
			return "203.0.113.7/32", true
		}
		return "", false
	}
	baseline, err := config.Load(config.Namespace, "dev", recording, offline.Now)
	if err != nil {
		t.Fatal(err)
	}

	declared := map[string]map[string]any{}
	for key, v := range pf.Config {
		if strings.Contains(key, ":") {
			continue // values for other namespaces, e.g. aws:region
		}
		decl, ok := v.(map[string]any)
		if !ok {
			t.Errorf("Pulumi.yaml config %s is a value, want a declaration with type and description", key)
			continue
		}
		declared[config.Namespace+":"+key] = decl
	}
	for key := range read {
		if strings.HasPrefix(key, config.Namespace+":") && declared[key] == nil {
			t.Errorf("the program reads %s but Pulumi.yaml does not declare it", key)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(declared)) {
		decl := declared[key]
		if !read[key] {
			t.Errorf("Pulumi.yaml declares %s but the program never reads it", key)
		}
		if decl["type"] == nil || decl["description"] == nil {
			t.Errorf("%s needs a type and a description", key)
		}
		def, ok := decl["default"]
		if !ok {
			continue
		}
		raw := fmt.Sprint(def)
		withDefault, err := config.Load(config.Namespace, "dev", func(k string) (string, bool) {
			if k == key {
				return raw, true
			}
			return recording(k)
		}, offline.Now)
		if err != nil {
			t.Errorf("%s: Pulumi.yaml default %q is invalid: %v", key, raw, err)
			continue
		}
		if !reflect.DeepEqual(withDefault, baseline) {
			t.Errorf("%s: Pulumi.yaml default %q differs from the program's default", key, raw)
		}
	}
	if region, _ := pf.Config["aws:region"].(string); region != config.Defaults.Region {
		t.Errorf("Pulumi.yaml aws:region = %q, program default %q", region, config.Defaults.Region)
	}
}

func TestEveryStackFileIsValid(t *testing.T) {
	stacks, err := offline.Stacks(root)
	if err != nil || len(stacks) < 2 {
		t.Fatalf("want at least two stack files, got %v (%v)", stacks, err)
	}
	for _, s := range stacks {
		stackPlan(t, s) // fails the test on any config or program error
	}
}
