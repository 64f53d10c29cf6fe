package acceptance

import (
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"gopkg.in/yaml.v3"

	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/offline"
)

// Run is one acceptance run: its unique names, and the directory holding
// the copy of the project it runs from and its Pulumi state. Unique names
// keep two runs (or a run and your own lab) in one account apart: the audit
// finds a lab by its stack tag, the controller's resources by cluster name.
type Run struct {
	Stack       string // acceptance-<id>
	ClusterName string // acc-<id>
	// Dir holds everything below. It is removed after a clean teardown and
	// kept when the teardown fails, for RecoveryCommands.
	Dir string
	// ProjectDir is a copy of the repository: the run's stack file goes
	// there, not into your checkout (where every stack file is a golden plan).
	ProjectDir string
	// StateDir is the local file backend.
	StateDir string
	// Passphrase encrypts the stack's secrets (the kubeconfig); it is kept
	// in Dir/passphrase for RecoveryCommands, never printed.
	Passphrase string
}

// NewRun makes the run's directory under parent (os.TempDir() when ""),
// copies the project at root into it and draws the names and passphrase
// from random.
func NewRun(root, parent string, random io.Reader) (*Run, error) {
	b := make([]byte, 3+32)
	if _, err := io.ReadFull(random, b); err != nil {
		return nil, fmt.Errorf("random names: %w", err)
	}
	id := hex.EncodeToString(b[:3])
	dir, err := os.MkdirTemp(parent, "eks-lab-acceptance-"+id+"-")
	if err != nil {
		return nil, err
	}
	r := &Run{
		Stack: "acceptance-" + id, ClusterName: "acc-" + id, Dir: dir,
		ProjectDir: filepath.Join(dir, "project"), StateDir: filepath.Join(dir, "state"),
		Passphrase: hex.EncodeToString(b[3:]),
	}
	if err := os.Mkdir(r.StateDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(r.passphraseFile(), []byte(r.Passphrase), 0o600); err != nil {
		return nil, err
	}
	if err := CopyProject(root, r.ProjectDir); err != nil {
		return nil, fmt.Errorf("copying the project: %w", err)
	}
	return r, nil
}

func (r *Run) passphraseFile() string { return filepath.Join(r.Dir, "passphrase") }

// BackendURL is the local file backend's URL.
func (r *Run) BackendURL() string { return "file://" + filepath.ToSlash(r.StateDir) }

// Env is what the Pulumi CLI needs for this run; it overrides your own
// login and passphrase for the run's commands only.
func (r *Run) Env() map[string]string {
	return map[string]string{
		"PULUMI_BACKEND_URL":       r.BackendURL(),
		"PULUMI_CONFIG_PASSPHRASE": r.Passphrase,
		"PULUMI_SKIP_UPDATE_CHECK": "true",
	}
}

// RecoveryCommands finish a teardown by hand, from any shell.
func (r *Run) RecoveryCommands() string {
	return fmt.Sprintf(`The lab of stack %[1]s may still exist and bill your AWS account. Finish the teardown by hand:
  cd %[2]s
  export PULUMI_BACKEND_URL=%[3]s
  export PULUMI_CONFIG_PASSPHRASE="$(cat %[4]s)"
  pulumi destroy --stack %[1]s --yes
  go run ./cmd/lab audit --stack %[1]s
  pulumi stack rm %[1]s --yes
Once the audit reports nothing left behind: rm -rf %[5]s`,
		r.Stack, shellQuote(r.ProjectDir), shellQuote(r.BackendURL()), shellQuote(r.passphraseFile()), shellQuote(r.Dir))
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// CopyProject copies the project tree at src to dst, leaving out hidden
// entries (.git, .github, .ci): what `pulumi up` builds and runs, and what
// `lab audit` reads.
func CopyProject(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}

// Overrides are the config the run sets over the stack file: its cluster
// name, the caller's address, an expiry RunLifetime ahead, and optionally a
// Route 53 zone with ExternalDNS and the tetris sample.
func (r *Run) Overrides(sshCidr string, now time.Time, domain, hostedZoneID string) (map[string]any, error) {
	ns := config.Namespace + ":"
	set := map[string]any{
		ns + "clusterName": r.ClusterName,
		ns + "sshCidr":     sshCidr,
		ns + "expiry":      now.UTC().Add(RunLifetime).Truncate(time.Minute).Format(time.RFC3339),
	}
	switch {
	case domain == "" && hostedZoneID == "":
	case domain == "" || hostedZoneID == "":
		return nil, fmt.Errorf("set both %s and %s (your Route 53 public zone's domain and ID), or neither", EnvDomain, EnvHostedZoneID)
	default:
		set[ns+"domain"], set[ns+"hostedZoneId"] = domain, hostedZoneID
		set[ns+"externalDns"], set[ns+catalog.Tetris] = true, true
	}
	return set, nil
}

// WriteStackFile writes the run's stack file: the config of stack file base
// in the project copy with set applied, typed as the CLI checks them against
// Pulumi.yaml (a boolean stays a YAML boolean).
func (r *Run) WriteStackFile(base string, set map[string]any) error {
	proj, err := workspace.LoadProject(offline.ProjectFile(r.ProjectDir))
	if err != nil {
		return err
	}
	data, err := os.ReadFile(offline.StackFile(r.ProjectDir, proj, base))
	if err != nil {
		return fmt.Errorf("stack file %s: %w", base, err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("stack file %s: %w", base, err)
	}
	cfg, _ := doc["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	for k, v := range set {
		cfg[k] = v
	}
	out, err := yaml.Marshal(map[string]any{"config": cfg})
	if err != nil {
		return err
	}
	return os.WriteFile(offline.StackFile(r.ProjectDir, proj, r.Stack), out, 0o644)
}
