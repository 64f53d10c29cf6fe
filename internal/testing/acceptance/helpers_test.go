package acceptance

import (
	"path/filepath"
	"testing"

	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/offline"
)

// repoRoot is the repository this package is in.
var repoRoot = filepath.Join("..", "..", "..")

var offlineNow = offline.Now

// devConfig is the validated config of the real stacks/Pulumi.dev.yaml.
func devConfig(t *testing.T) *config.Config {
	t.Helper()
	stackCfg, err := offline.LoadStack(repoRoot, "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stackCfg.LabConfig(offlineNow)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
