// The pulumi CLI tier (LAB_PULUMI_CLI) runs the lab's program under the
// real pulumi CLI, as `pulumi preview` would for a member: the CLI loads
// Pulumi.yaml and the stack
// file, applies the project's defaults and type checks, and hands the program
// its config. Only the AWS provider plugin is missing on these machines, so a
// preview that gets that far has passed every check before the first AWS
// resource. The CLI comes from LAB_PULUMI_CLI (.ci/pulumi-cli.sh builds it).

package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/infra/program"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/testing/tier"
	"github.com/eks-study/lab/internal/versions"
)

// cliVersion is the CLI .ci/pulumi-cli.sh builds (versions.PulumiCLI); the
// messages asserted below are its own.
var cliVersion = strings.TrimPrefix(versions.PulumiCLI, "v")

// now is the clock of the config loads compared below (it sets the default expiry).
var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Every stack file in stackConfigDir previews up to the AWS plugin, and the
// program sees the same configuration under the CLI as under `lab plan`.
func TestStackFilesReachTheAWSPlugin(t *testing.T) {
	cmd := pulumiCLI(t)
	stacks, err := offline.Stacks(root)
	if err != nil || len(stacks) == 0 {
		t.Fatalf("no stack files (%v)", err)
	}
	dir := stackConfigDir(t)
	for _, stack := range stacks {
		f := filepath.Join(root, dir, "Pulumi."+stack+".yaml")
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			p := newPreview(t, cmd, stack, f)
			got := p.reachesAWSPlugin(t)

			stackCfg, err := offline.LoadStack(root, stack, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := stackCfg.LabConfig(now)
			if err != nil {
				t.Fatalf("lab plan's config load: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the program's config differs between the CLI and lab plan:\nCLI:      %+v\nlab plan: %+v", *got, *want)
			}
		})
	}
}

// A stack that sets only the one required key: every other key comes from
// Pulumi.yaml's defaults, which the program must read as "unset".
func TestMinimalStackReachesTheAWSPlugin(t *testing.T) {
	t.Parallel()
	p := newPreview(t, pulumiCLI(t), "minimal", "")
	p.set(t, "eks-lab:sshCidr", "203.0.113.7/32", false)
	got := p.reachesAWSPlugin(t)

	// aws:region comes from Pulumi.yaml's project-level config.
	expect(t, "region", got.Region, "ap-northeast-2")
	expect(t, "endpointPublicAccessCidrs (defaults to sshCidr)", got.EndpointPublicAccessCidrs, []string{"203.0.113.7/32"})
	expect(t, "adminRoleArns", len(got.AdminRoleArns), 0)
	expect(t, "public subnets carved from vpcCidr", prefixes(got.Subnets.Public), []string{"192.168.0.0/22", "192.168.4.0/22", "192.168.8.0/22"})
	expect(t, "expiry defaults to now + 8h", got.Expiry, now.Add(config.DefaultLifetime))
}

// Array keys set item by item with `pulumi config set --path`, the form the
// docs give members for them.
func TestArraysSetWithPathReachTheAWSPlugin(t *testing.T) {
	t.Parallel()
	p := newPreview(t, pulumiCLI(t), "path-arrays", "")
	p.set(t, "eks-lab:sshCidr", "203.0.113.7/32", false)
	arrays := map[string][]string{
		"endpointPublicAccessCidrs": {"1.2.3.4/32", "198.51.100.0/24"},
		"adminRoleArns":             {"arn:aws:iam::123456789012:role/lab-ci"},
		"publicSubnetCidrs":         {"192.168.64.0/22", "192.168.68.0/22", "192.168.72.0/22"},
		"privateSubnetCidrs":        {"192.168.128.0/22", "192.168.132.0/22", "192.168.136.0/22"},
	}
	for key, values := range arrays {
		for i, v := range values {
			p.set(t, fmt.Sprintf("eks-lab:%s[%d]", key, i), v, true)
		}
	}
	got := p.reachesAWSPlugin(t)

	expect(t, "endpointPublicAccessCidrs", got.EndpointPublicAccessCidrs, arrays["endpointPublicAccessCidrs"])
	expect(t, "adminRoleArns", got.AdminRoleArns, arrays["adminRoleArns"])
	expect(t, "publicSubnetCidrs", prefixes(got.Subnets.Public), arrays["publicSubnetCidrs"])
	expect(t, "privateSubnetCidrs", prefixes(got.Subnets.Private), arrays["privateSubnetCidrs"])
}

// `pulumi config set KEY '[...]'` without --path stores a string. The CLI
// accepts the set, then refuses every preview and up of the stack with its
// type check, before the program runs: why the docs say to use --path.
func TestArrayAsJSONStringIsRefusedByTheCLI(t *testing.T) {
	t.Parallel()
	p := newPreview(t, pulumiCLI(t), "json-string", "")
	p.set(t, "eks-lab:sshCidr", "203.0.113.7/32", false)
	p.set(t, "eks-lab:endpointPublicAccessCidrs", `["1.2.3.4/32"]`, false)
	stderr, _ := p.run(t)
	want := "error: validating stack config: Stack 'json-string' with configuration key 'endpointPublicAccessCidrs' must be of type 'array<string>'"
	if stderr != want {
		t.Errorf("preview's error:\n got: %s\nwant: %s", stderr, want)
	}
	if p.loaded() {
		t.Error("the program ran; the CLI's type check should have refused the stack first")
	}
}

// pulumiCLI is the CLI from LAB_PULUMI_CLI, at the version this tier asserts.
func pulumiCLI(t *testing.T) auto.PulumiCommand {
	t.Helper()
	bin := os.Getenv("LAB_PULUMI_CLI")
	if bin == "" {
		tier.Missing(t, `real-CLI tier: LAB_PULUMI_CLI is not set; export LAB_PULUMI_CLI="$(bash .ci/pulumi-cli.sh)" to run it`)
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	// The Automation API runs <Root>/bin/pulumi.
	cliRoot := filepath.Dir(filepath.Dir(bin))
	if filepath.Join(cliRoot, "bin", "pulumi") != bin {
		t.Fatalf("LAB_PULUMI_CLI=%s: want a path ending in bin/pulumi, as .ci/pulumi-cli.sh prints", bin)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: cliRoot})
	if err != nil {
		t.Fatalf("LAB_PULUMI_CLI=%s: %v", bin, err)
	}
	if v := cmd.Version().String(); v != cliVersion {
		t.Fatalf("LAB_PULUMI_CLI=%s is pulumi %s; this tier asserts the messages of %s, which bash .ci/pulumi-cli.sh builds", bin, v, cliVersion)
	}
	return cmd
}

// stackConfigDir is Pulumi.yaml's stackConfigDir, read by Pulumi's own loader.
func stackConfigDir(t *testing.T) string {
	t.Helper()
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return proj.StackConfigDir
}

// preview is one stack of a throwaway copy of the project, on a file backend.
type preview struct {
	stack auto.Stack

	mu  sync.Mutex
	cfg *config.Config // what the program loaded, nil until it ran
}

// newPreview runs the program on a copy of the project (projectCopy).
func newPreview(t *testing.T, cmd auto.PulumiCommand, stack, stackFile string) *preview {
	t.Helper()
	dir, env := projectCopy(t, stack, stackFile)
	p := &preview{}
	// The program as Pulumi.yaml's main runs it, after one extra config load
	// (the same call program.Run makes first, at a fixed clock) that records
	// what the program saw.
	run := func(ctx *pulumi.Context) error {
		cfg, err := program.LoadConfig(ctx, nil, now)
		if err != nil {
			return err
		}
		p.mu.Lock()
		p.cfg = cfg
		p.mu.Unlock()
		return program.Run(ctx)
	}
	var err error
	p.stack, err = auto.UpsertStackInlineSource(t.Context(), stack, config.Namespace, run,
		auto.WorkDir(dir), auto.Pulumi(cmd), auto.EnvVars(env))
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	return p
}

// set is `pulumi config set [--path] key value` on the stack.
func (p *preview) set(t *testing.T, key, value string, path bool) {
	t.Helper()
	err := p.stack.Workspace().SetConfigWithOptions(t.Context(), p.stack.Name(), key,
		auto.ConfigValue{Value: value}, &auto.ConfigOptions{Path: path})
	if err != nil {
		t.Fatalf("pulumi config set %s %s: %v", key, value, err)
	}
}

// run previews the stack, which must fail (there is no AWS plugin), and
// returns the CLI's stderr and stdout. --diff pins the display: with it, the
// CLI prints each error as one "error: ..." line on stderr.
func (p *preview) run(t *testing.T) (stderr, stdout string) {
	t.Helper()
	var out, errOut bytes.Buffer
	_, err := p.stack.Preview(t.Context(), optpreview.Diff(),
		optpreview.ProgressStreams(&out), optpreview.ErrorProgressStreams(&errOut))
	if err == nil {
		t.Fatalf("preview of %s succeeded; without an AWS plugin it cannot:\n%s", p.stack.Name(), out.String())
	}
	return strings.TrimSpace(errOut.String()), out.String()
}

// reachesAWSPlugin previews the stack and checks that the one error is the
// missing AWS provider plugin, at the version of the AWS SDK in go.mod: the
// CLI's config validation and the program's config loading have passed.
// It returns the config the program loaded.
func (p *preview) reachesAWSPlugin(t *testing.T) *config.Config {
	t.Helper()
	stderr, stdout := p.run(t)
	want := "error: no resource plugin 'pulumi-resource-aws' found in the workspace at version " + awsSDKVersion(t)
	if stderr != want {
		t.Fatalf("preview of %s did not stop only at the AWS plugin.\nstderr:\n%s\nstdout:\n%s\nwant stderr: %s", p.stack.Name(), stderr, stdout, want)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg == nil {
		t.Fatal("the program never loaded its config")
	}
	return p.cfg
}

func (p *preview) loaded() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg != nil
}

// awsSDKVersion is the pulumi-aws SDK version in go.mod; the program asks the
// engine for the provider plugin of that version.
func awsSDKVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/pulumi/pulumi-aws/sdk/v6" {
			return f[1]
		}
	}
	t.Fatal("go.mod does not require github.com/pulumi/pulumi-aws/sdk/v6")
	return ""
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func prefixes[T fmt.Stringer](ps []T) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func expect(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// projectCopy lays out the project as a member's checkout looks to the CLI,
// in a temp dir: Pulumi.yaml as it is, infra/ (the CLI checks that `main`
// exists even for an inline program) and, when stackFile is set, that file
// copied into stackConfigDir. Copies, not the repo itself: the CLI rewrites
// the stack file it runs (it adds the passphrase's encryptionsalt and
// re-quotes values) and `pulumi config set` writes there too.
func projectCopy(t *testing.T, stack, stackFile string) (dir string, env map[string]string) {
	t.Helper()
	dir = t.TempDir()
	copyFile(t, filepath.Join(root, "Pulumi.yaml"), filepath.Join(dir, "Pulumi.yaml"))
	infra, err := filepath.Abs(filepath.Join(root, "infra"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(infra, filepath.Join(dir, "infra")); err != nil {
		t.Fatal(err)
	}
	stacks := filepath.Join(dir, stackConfigDir(t))
	if err := os.MkdirAll(stacks, 0o755); err != nil {
		t.Fatal(err)
	}
	if stackFile != "" {
		copyFile(t, stackFile, filepath.Join(stacks, "Pulumi."+stack+".yaml"))
	}
	for _, d := range []string{"state", "home"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env = map[string]string{
		"PULUMI_BACKEND_URL":       "file://" + filepath.Join(dir, "state"),
		"PULUMI_HOME":              filepath.Join(dir, "home"),
		"PULUMI_CONFIG_PASSPHRASE": "lab-cli-tier",
		// No plugin download, and none from $PATH or the user's ~/.pulumi: a
		// developer's own pulumi-resource-aws would otherwise reach AWS.
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_IGNORE_AMBIENT_PLUGINS":               "true",
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
	}
	return dir, env
}
