package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eks-study/lab/internal/cleanup"
)

// `lab cleanup` has lab-cleanup's flags and exit codes.
func TestCleanupExitCodes(t *testing.T) {
	t.Setenv(cleanup.SkipEnv, "")
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte("users: [{name: u, user: {auth-provider: {name: oidc}}}]\ncurrent-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\"}}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runLab(t, "cleanup", "--kubeconfig", path)
	if code != cleanup.ExitBadInput || out != "" {
		t.Errorf("exit %d, stdout %q; want %d and nothing", code, out, cleanup.ExitBadInput)
	}
	oneClearLine(t, errOut, `field "auth-provider" is not supported`)

	code, _, errOut = runLab(t, "cleanup", "--kubeconfig", path, "--targets", "everything")
	if code != cleanup.ExitBadInput || !strings.Contains(errOut, "--targets") {
		t.Errorf("exit %d, stderr %q; want %d naming --targets", code, errOut, cleanup.ExitBadInput)
	}
}
