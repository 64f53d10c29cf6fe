package acceptance

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-study/lab/components/workloads/catalog"

	"gopkg.in/yaml.v3"

	"github.com/eks-study/lab/internal/offline"
)

func newTestRun(t *testing.T) *Run {
	t.Helper()
	random := bytes.NewReader(append([]byte{0x0a, 0x1b, 0x2c}, bytes.Repeat([]byte{7}, 32)...))
	r, err := NewRun(repoRoot, t.TempDir(), random)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewRunCopiesTheProjectUnderUniqueNames(t *testing.T) {
	r := newTestRun(t)
	if r.Stack != "acceptance-0a1b2c" || r.ClusterName != "acc-0a1b2c" {
		t.Errorf("names %s, %s", r.Stack, r.ClusterName)
	}
	for _, f := range []string{"Pulumi.yaml", "go.mod", "go.sum", "infra/main.go", "cmd/lab-cleanup/main.go", "stacks/Pulumi.dev.yaml"} {
		if _, err := os.Stat(filepath.Join(r.ProjectDir, f)); err != nil {
			t.Errorf("the copy lacks %s, which pulumi up or lab audit needs: %v", f, err)
		}
	}
	for _, f := range []string{".git", ".github", ".ci"} {
		if _, err := os.Stat(filepath.Join(r.ProjectDir, f)); err == nil {
			t.Errorf("the copy has %s", f)
		}
	}
	info, err := os.Stat(filepath.Join(r.Dir, "passphrase"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("passphrase file: %v, %v; want mode 0600", info, err)
	}
	if env := r.Env(); env["PULUMI_BACKEND_URL"] != "file://"+filepath.ToSlash(r.StateDir) || env["PULUMI_CONFIG_PASSPHRASE"] != r.Passphrase || len(r.Passphrase) != 64 {
		t.Errorf("Env = %v", env)
	}
}

func TestStackFileIsTheBaseWithTheRunsOverrides(t *testing.T) {
	r := newTestRun(t)
	now := time.Date(2026, 1, 15, 9, 30, 45, 0, time.UTC)
	set, err := r.Overrides("203.0.113.7/32", now, "lab.example.com", "Z0123456789ABCDEFGHIJ")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteStackFile("dev", set); err != nil {
		t.Fatal(err)
	}
	// Read back as `pulumi` and `lab audit` do: through the stack file.
	stackCfg, err := offline.LoadStack(r.ProjectDir, r.Stack, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stackCfg.LabConfig(now)
	if err != nil {
		t.Fatalf("the run's stack file does not validate: %v", err)
	}
	if cfg.ClusterName != "acc-0a1b2c" || cfg.SSHCidr != "203.0.113.7/32" || cfg.Expiry != now.Add(2*time.Hour).Truncate(time.Minute) {
		t.Errorf("cluster %s, sshCidr %s, expiry %s", cfg.ClusterName, cfg.SSHCidr, cfg.Expiry)
	}
	if !cfg.ExternalDNS || !cfg.Samples.On(catalog.Tetris) || !cfg.Samples.On(catalog.EchoNLB) || cfg.Region != "ap-northeast-2" {
		t.Errorf("want dev's samples and region plus ExternalDNS and tetris: %+v", cfg)
	}
	// Pulumi.yaml declares sampleTetris a boolean; the CLI refuses the string "true".
	data, _ := os.ReadFile(filepath.Join(r.ProjectDir, "stacks", "Pulumi."+r.Stack+".yaml"))
	var doc struct{ Config map[string]any }
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if v, ok := doc.Config["eks-lab:sampleTetris"].(bool); !ok || !v {
		t.Errorf("sampleTetris written as %#v; want the YAML boolean true", doc.Config["eks-lab:sampleTetris"])
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "stacks", "Pulumi."+r.Stack+".yaml")); err == nil {
		t.Errorf("the run's stack file was written into the checkout")
	}
}

func TestOverridesWantBothZoneSettingsOrNeither(t *testing.T) {
	r := newTestRun(t)
	if _, err := r.Overrides("203.0.113.7/32", time.Now(), "lab.example.com", ""); err == nil || !strings.Contains(err.Error(), EnvHostedZoneID) {
		t.Errorf("domain without zone: %v", err)
	}
	set, err := r.Overrides("203.0.113.7/32", time.Now(), "", "")
	if err != nil || set["eks-lab:domain"] != nil || set["eks-lab:sampleTetris"] != nil {
		t.Errorf("no zone: %v, %v; want no DNS settings", set, err)
	}
}

func TestRecoveryCommandsNameTheRunsStackBackendAndPassphrase(t *testing.T) {
	r := newTestRun(t)
	got := r.RecoveryCommands()
	for _, want := range []string{
		"cd '" + r.ProjectDir + "'",
		"export PULUMI_BACKEND_URL='file://" + filepath.ToSlash(r.StateDir) + "'",
		`export PULUMI_CONFIG_PASSPHRASE="$(cat '` + filepath.Join(r.Dir, "passphrase") + `')"`,
		"pulumi destroy --stack acceptance-0a1b2c --yes",
		"go run ./cmd/lab audit --stack acceptance-0a1b2c",
		"pulumi stack rm acceptance-0a1b2c --yes",
		"rm -rf '" + r.Dir + "'",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("recovery commands lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, r.Passphrase) {
		t.Error("the recovery commands print the passphrase")
	}
	if q := shellQuote("it's"); q != `'it'\''s'` {
		t.Errorf("shellQuote = %s", q)
	}
}
