package offline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

var stackNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// StackFile is the path of a stack's config file under root.
func StackFile(root, stack string) string {
	return filepath.Join(root, "stacks", "Pulumi."+stack+".yaml")
}

// Stacks lists the stacks that have a file in root/stacks, sorted.
func Stacks(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "stacks", "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	sort.Strings(out)
	return out, nil
}

// LoadStack reads a stack file into the raw config Pulumi would give the
// program: strings as they are, other scalars printed, lists and maps as JSON.
func LoadStack(root, stack string) (map[string]string, error) {
	if !stackNamePattern.MatchString(stack) {
		return nil, fmt.Errorf("stack name %q: use only letters, digits and the characters - _ . (dash, underscore, dot)", stack)
	}
	path := StackFile(root, stack)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		known, _ := Stacks(root)
		return nil, fmt.Errorf("unknown stack %q: no %s (known stacks: %s)", stack, path, strings.Join(known, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %v", path, err)
	}
	raw := map[string]string{}
	for key, v := range doc.Config {
		if !strings.Contains(key, ":") {
			return nil, fmt.Errorf("%s: config key %q needs a namespace, e.g. eks-lab:%s", path, key, key)
		}
		switch v := v.(type) {
		case string:
			raw[key] = v
		case map[string]any:
			if _, ok := v["secure"]; ok {
				raw[key] = "[secret]"
				continue
			}
			b, _ := json.Marshal(v)
			raw[key] = string(b)
		case []any:
			b, _ := json.Marshal(v)
			raw[key] = string(b)
		case nil:
		default:
			raw[key] = fmt.Sprint(v)
		}
	}
	return raw, nil
}

// RunStackFile runs the program with the config of root/stacks/Pulumi.<stack>.yaml.
func RunStackFile(root, stack string) (*Plan, error) {
	raw, err := LoadStack(root, stack)
	if err != nil {
		return nil, err
	}
	return Run(stack, raw)
}
