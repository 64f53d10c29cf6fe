package offline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/esc"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// Secret is what a secret config value, and a secret output, is offline:
// there is no key to decrypt it with, and a plan must never carry it.
const Secret = "[secret]"

// StackConfig is a stack's configuration as the Pulumi CLI hands it to the
// program, read by Pulumi's own loader.
type StackConfig struct {
	Stack string
	// Values maps "namespace:key" to the value the program gets: strings as
	// they are, numbers and booleans printed, lists and objects as JSON, and
	// Secret for a secure value. Pulumi.yaml's defaults are applied.
	Values map[string]string
	// Secrets are the keys whose values are secure, sorted.
	Secrets []string
	// Warnings are what Pulumi's loader warned about, one per line.
	Warnings []string
	// At, when set, is the time the program runs at (see Clock).
	At time.Time
}

// Keys lists the keys the stack sets (its own and Pulumi.yaml's), sorted.
func (s *StackConfig) Keys() []string { return slices.Sorted(maps.Keys(s.Values)) }

// ProjectFile is the project file under root.
func ProjectFile(root string) string { return filepath.Join(root, "Pulumi.yaml") }

// StackFile is the path of a stack's config file, as the CLI finds it:
// Pulumi.<stack>.yaml in the project's stackConfigDir.
func StackFile(root string, proj *workspace.Project, stack string) string {
	return filepath.Join(root, proj.StackConfigDir, "Pulumi."+stack+".yaml")
}

// Stacks lists the stacks that have a file in the project's stackConfigDir, sorted.
func Stacks(root string) ([]string, error) {
	proj, err := workspace.LoadProject(ProjectFile(root))
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(StackFile(root, proj, "*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	slices.Sort(out)
	return out, nil
}

// UnknownStackError says that a stack has no file in the project.
type UnknownStackError struct {
	Stack string
	Path  string   // where its file would be
	Known []string // the stacks that have a file
}

func (e *UnknownStackError) Error() string {
	return fmt.Sprintf("unknown stack %q: no %s (known stacks: %s)", e.Stack, e.Path, strings.Join(e.Known, ", "))
}

// LoadStack loads root's Pulumi.yaml and the stack's file the way the CLI
// does before it starts a program (workspace.LoadProject, LoadProjectStack,
// then ValidateStackConfigAndApplyProjectConfig, as pulumi/pulumi
// pkg/cmd/pulumi/operations/preview.go calls them), and returns what the
// program would get. set holds values applied on top of the file before
// Pulumi validates them, as `pulumi config set` would store them: a JSON
// list or object as a YAML list or object, anything else as a string. A
// stack the CLI rejects is rejected here, with Pulumi's message and the fix.
func LoadStack(root, stack string, set map[string]string) (*StackConfig, error) {
	if _, err := tokens.ParseStackName(stack); err != nil {
		return nil, fmt.Errorf("stack name %q: %v", stack, err)
	}
	proj, err := workspace.LoadProject(ProjectFile(root))
	if err != nil {
		return nil, fmt.Errorf("%v; fix Pulumi.yaml, the project file every stack shares", err)
	}
	path := StackFile(root, proj, stack)
	// The CLI takes a missing stack file for an empty one; lab plan knows
	// the stack only from its file.
	if _, err := os.ReadFile(path); errors.Is(err, fs.ErrNotExist) {
		known, _ := Stacks(root)
		return nil, &UnknownStackError{Stack: stack, Path: path, Known: known}
	} else if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	var warnings bytes.Buffer
	sink := diag.DefaultSink(io.Discard, &warnings, diag.FormatOptions{Color: colors.Never})
	ps, err := workspace.LoadProjectStack(sink, proj, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v; fix the file's YAML (a config key and its value per line under config:)", path, err)
	}
	return validated(proj, stack, path, ps, set, &warnings)
}

// FromConfig is a stack's config from values alone, with no stack file: the
// config an update recorded in the stack's history (`lab status`), checked
// and completed with Pulumi.yaml's defaults as LoadStack does. values take
// the form of LoadStack's set.
func FromConfig(root, stack string, values map[string]string) (*StackConfig, error) {
	proj, err := workspace.LoadProject(ProjectFile(root))
	if err != nil {
		return nil, fmt.Errorf("%v; fix Pulumi.yaml, the project file every stack shares", err)
	}
	var warnings bytes.Buffer
	return validated(proj, stack, "the recorded config of stack "+stack, &workspace.ProjectStack{Config: config.Map{}}, values, &warnings)
}

// validated applies set over ps's config, then validates it against the
// project and decrypts it as the CLI does; path names where it came from.
func validated(proj *workspace.Project, stack, path string, ps *workspace.ProjectStack, set map[string]string, warnings *bytes.Buffer) (*StackConfig, error) {
	for key, v := range set {
		k, err := config.ParseKey(key)
		if err != nil {
			return nil, err
		}
		ps.Config[k] = config.NewValue(v)
		if json.Valid([]byte(v)) && (strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{")) {
			ps.Config[k] = config.NewObjectValue(v)
		}
	}
	// Offline there is no secrets provider: a secure value is blinded to
	// Secret, as `pulumi config` shows it without --show-secrets.
	blind := config.NewBlindingDecrypter()
	if err := workspace.ValidateStackConfigAndApplyProjectConfig(context.Background(), stack, proj, esc.Value{},
		ps.Config, config.NopEncrypter, blind); err != nil {
		return nil, fmt.Errorf("%s: %v; %s", path, err, fix(err, proj, ps.Config, stack))
	}
	values, err := ps.Config.Decrypt(blind)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := &StackConfig{Stack: stack, Values: map[string]string{}}
	for k, v := range values {
		out.Values[k.String()] = v
	}
	for _, k := range ps.Config.SecureKeys() {
		out.Secrets = append(out.Secrets, k.String())
	}
	slices.Sort(out.Secrets)
	for _, line := range strings.Split(strings.TrimSpace(warnings.String()), "\n") {
		if line != "" {
			out.Warnings = append(out.Warnings, line)
		}
	}
	return out, nil
}

var (
	missingKeys = regexp.MustCompile(`is missing configuration values? (.+)$`)
	quotedKey   = regexp.MustCompile(`'([^']+)'`)
	wrongType   = regexp.MustCompile(`with configuration key '([^']+)' must be of type '([^']+)'`)
)

// fix says how to repair a stack Pulumi's validation rejected.
func fix(err error, proj *workspace.Project, cfg config.Map, stack string) string {
	ns := proj.Name.String()
	full := func(key string) string {
		if strings.Contains(key, ":") {
			return key
		}
		return ns + ":" + key
	}
	msg := err.Error()
	if m := missingKeys.FindStringSubmatch(msg); m != nil {
		var sets []string
		for _, k := range quotedKey.FindAllStringSubmatch(m[1], -1) {
			sets = append(sets, fmt.Sprintf("pulumi config set --stack %s %s VALUE", stack, full(k[1])))
		}
		return "Pulumi.yaml declares these keys without a default, so every stack must set them: " + strings.Join(sets, "; ")
	}
	m := wrongType.FindStringSubmatch(msg)
	if m == nil {
		return "see docs/configuration.md for every key, its type and its default"
	}
	key := full(m[1])
	if k, err := config.ParseKey(key); err == nil {
		if v, ok := cfg[k]; ok && v.Secure() {
			return fmt.Sprintf("%s is a secret; the lab takes none (its values end up in plain resource inputs and tags), so set it in plain text: pulumi config set --stack %s %s VALUE", key, stack, key)
		}
	}
	switch typ := m[2]; {
	case strings.HasPrefix(typ, "array"):
		return fmt.Sprintf("write it as a YAML list in the stack file, or set one item at a time: pulumi config set --stack %s --path '%s[0]' VALUE "+
			"(pulumi config set %s '[\"...\"]' stores a string, which this type check refuses)", stack, key, key)
	case typ == "integer":
		return fmt.Sprintf("set a whole number: pulumi config set --stack %s %s 3", stack, key)
	case typ == "boolean":
		return fmt.Sprintf("set true or false: pulumi config set --stack %s %s true", stack, key)
	default:
		return fmt.Sprintf("set a %s: pulumi config set --stack %s %s VALUE", typ, stack, key)
	}
}
