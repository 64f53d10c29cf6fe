package labci

import (
	"strings"
	"testing"
)

// The program is what `go list -deps ./infra` finds, so a package the
// program starts to import counts without anyone editing a list.
func TestLoadProgramFollowsTheImports(t *testing.T) {
	p, err := LoadProgram("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{
		"infra/main.go", "infra/program/program.go", "components/network/network.go",
		"components/cleanup/cleanup.go",
		"internal/cleanup/cleanup.go", // imported through the cleanup component: a hand-kept list missed it
		"infra/config/validate.go",
		"components/lbcontroller/iam_policy_v2.17.1.json", // embedded
		"go.mod", "go.sum", "Pulumi.yaml",
	} {
		if !p.Contains(f) {
			t.Errorf("%s is not counted as part of the program", f)
		}
	}
	for _, f := range []string{
		"cmd/lab/main.go", "internal/plan/render.go", "internal/audit/audit.go", "tests/golden_test.go",
		"components/network/network_test.go", "docs/cicd.md", ".github/workflows/deploy.yml",
	} {
		if p.Contains(f) {
			t.Errorf("%s is counted as part of the program", f)
		}
	}
}

func TestAffected(t *testing.T) {
	p, err := parseGoList("github.com/eks-study/lab github.com/eks-study/lab/infra\n" +
		"github.com/eks-study/lab github.com/eks-study/lab/components/lbcontroller\n\tpolicies/v2.json\n")
	if err != nil {
		t.Fatal(err)
	}
	existing := []string{"alice", "dev", "private-nat"}
	for _, c := range []struct {
		changed []string
		want    string
	}{
		{[]string{"stacks/Pulumi.alice.yaml", "README.md"}, "alice"},
		{[]string{"stacks/Pulumi.gone.yaml"}, ""}, // deleted at the head
		{[]string{"docs/cicd.md", "components/lbcontroller/lbcontroller_test.go"}, ""},
		{[]string{"components/lbcontroller/policies/v2.json"}, "alice,dev,private-nat"},
		{[]string{"stacks/Pulumi.dev.yaml", "go.sum"}, "alice,dev,private-nat"},
		{[]string{"stacks/Pulumi.dev.yaml", "stacks/Pulumi.x;rm.yaml"}, "dev"},
	} {
		if got := strings.Join(p.Affected(c.changed, existing), ","); got != c.want {
			t.Errorf("Affected(%v) = %q, want %q", c.changed, got, c.want)
		}
	}
}
