package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's configuration table documents every key Pulumi.yaml declares.
func TestReadmeDocumentsEveryConfigKey(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for key := range readProjectFile(t).Config {
		if !strings.Contains(string(readme), "`"+key+"`") {
			t.Errorf("README.md does not document config key %s", key)
		}
	}
}

// CI runs exactly the test command README gives a newcomer.
func TestCIRunsTheReadmeTestCommand(t *testing.T) {
	readme, _ := os.ReadFile(filepath.Join(root, "README.md"))
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	const cmd = "go test ./..."
	if !strings.Contains(string(readme), "```bash\n"+cmd+"\n```") {
		t.Errorf("README has no bash block with %q", cmd)
	}
	if !strings.Contains(string(ci), "\n"+cmd+"\n") {
		t.Errorf(".ci/run does not run %q on a line of its own", cmd)
	}
}
