package docgen

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"gopkg.in/yaml.v3"
)

// ConfigReference is the name of docs/configuration.md's generated table.
const ConfigReference = "config-reference"

// ConfigTable renders the project's config declarations as a markdown table, in
// the order Pulumi.yaml declares them. A key with neither default nor value
// is required (the CLI refuses a stack without it).
func ConfigTable(projectFile string) (string, error) {
	proj, err := workspace.LoadProject(projectFile)
	if err != nil {
		return "", err
	}
	order, err := declarationOrder(projectFile)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| key | type | default | description |\n|---|---|---|---|\n")
	for _, key := range order {
		decl := proj.Config[key]
		full := key
		if !strings.Contains(key, ":") {
			full = proj.Name.String() + ":" + key
		}
		description := decl.Description
		if description == "" && decl.Type == nil {
			description = "Set in Pulumi.yaml for every stack; a stack file may override it."
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", full, typeName(decl), defaultText(decl), escape(description))
	}
	return b.String(), nil
}

func typeName(decl workspace.ProjectConfigType) string {
	switch {
	case decl.Type == nil:
		return fmt.Sprintf("%T", decl.Value)
	case *decl.Type == "array" && decl.Items != nil:
		return "list of " + decl.Items.Type
	}
	return *decl.Type
}

func defaultText(decl workspace.ProjectConfigType) string {
	v := decl.Default
	if v == nil {
		v = decl.Value
	}
	switch v := v.(type) {
	case nil:
		if decl.Type == nil {
			return "none"
		}
		return "**required**"
	case string:
		if v == "" {
			return "none"
		}
		return "`" + v + "`"
	case []any:
		if len(v) == 0 {
			return "none"
		}
	}
	b, _ := json.Marshal(v)
	return "`" + string(b) + "`"
}

// escape keeps a description literal in a markdown table: a "|" would end
// the cell and "<domain>" would be taken for an HTML tag.
var escape = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace

// declarationOrder lists the config keys in file order (the loader's map has none).
func declarationOrder(projectFile string) ([]string, error) {
	data, err := os.ReadFile(projectFile)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Config yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var keys []string
	for i := 0; i+1 < len(doc.Config.Content); i += 2 {
		keys = append(keys, doc.Config.Content[i].Value)
	}
	return keys, nil
}
