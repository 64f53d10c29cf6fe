package acceptance

import (
	"path/filepath"
	"testing"

	"github.com/eks-study/lab/internal/config"
	"github.com/eks-study/lab/internal/offline"
)

// repoRoot is the repository this package is in.
var repoRoot = filepath.Join("..", "..")

var offlineNow = offline.Now

// devConfig is the validated config of the real stacks/Pulumi.dev.yaml.
func devConfig(t *testing.T) *config.Config {
	t.Helper()
	raw, err := offline.LoadStack(repoRoot, "dev")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Namespace, "dev", config.MapSource(raw), offlineNow)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
