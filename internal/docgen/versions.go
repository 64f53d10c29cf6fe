package docgen

import (
	"fmt"
	"strings"

	"github.com/eks-study/lab/internal/versions"
)

// Names of the parts the version pins generate.
const (
	DeployedVersions = "deployed-versions"
	ToolVersions     = "tool-versions"
)

// VersionsTable is the markdown table of the pins the lab deploys
// (deployed) or those its tests and CI run (!deployed).
func VersionsTable(pins []versions.Pin, deployed bool) string {
	var b strings.Builder
	b.WriteString("| Pin (`go run ./cmd/lab-ci version NAME`) | Version | What |\n| --- | --- | --- |\n")
	for _, p := range pins {
		if p.Deployed == deployed {
			fmt.Fprintf(&b, "| `%s` | **%s** | %s |\n", p.Name, p.Version, p.What)
		}
	}
	return b.String()
}
