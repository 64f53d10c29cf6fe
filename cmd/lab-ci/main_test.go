package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-study/lab/internal/labci"
	"github.com/eks-study/lab/internal/versions"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// fakePulumi answers `pulumi stack ls --json` and `pulumi stack output
// --json --stack NAME` from canned JSON in the CLI's shapes; everything else
// (git) runs for real.
type fakePulumi struct {
	ls      string
	outputs map[string]string // stack name -> JSON, missing: the command fails
	calls   []string
}

func (f *fakePulumi) env() labci.Env {
	real := labci.System()
	return labci.Env{Now: func() time.Time { return now }, Run: func(stdin io.Reader, name string, args ...string) ([]byte, error) {
		if name != "pulumi" {
			return real.Run(stdin, name, args...)
		}
		f.calls = append(f.calls, strings.Join(args, " "))
		switch {
		case len(args) >= 3 && args[0] == "stack" && args[1] == "ls":
			return []byte(f.ls), nil
		case len(args) == 5 && args[1] == "output":
			if out, ok := f.outputs[args[4]]; ok {
				return []byte(out), nil
			}
			return nil, errors.New("error: failed to decrypt")
		}
		return nil, fmt.Errorf("unexpected pulumi %v", args)
	}}
}

func runCmd(t *testing.T, env labci.Env, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, env, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// The sweep reads the backend, not the stack files: a stack whose file is
// gone (or never was in this repository) is destroyed all the same.
func TestSweepCommandListsTheBackend(t *testing.T) {
	t.Chdir(t.TempDir()) // no stack files at all
	f := &fakePulumi{
		ls: `[{"name":"dev","current":false,"lastUpdate":"2026-11-27T01:00:00.000Z","resourceCount":118},
		      {"name":"acme/alice","current":false,"resourceCount":97},
		      {"name":"acme/bob","current":false,"resourceCount":0},
		      {"name":"acme/carol","current":false,"resourceCount":12}]`,
		outputs: map[string]string{
			"dev":        `{"expiry":"2026-11-27T09:00:00Z","region":"ap-northeast-2"}`,
			"acme/alice": `{"expiry":"2026-11-27T18:00:00Z"}`,
			"acme/bob":   `{}`,
		},
	}
	code, stdout, stderr := runCmd(t, f.env(), "sweep", "--org", "acme")
	if strings.TrimSpace(stdout) != `["dev"]` {
		t.Errorf("stdout = %q, want the expired stack", stdout)
	}
	if code != 1 || !strings.Contains(stderr, "stack acme/carol: cannot read its outputs") {
		t.Errorf("exit %d, stderr %q: want a failure naming carol", code, stderr)
	}
	if f.calls[0] != "stack ls --json --organization acme" {
		t.Errorf("listed with %q", f.calls[0])
	}
}

func git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func writeStack(t *testing.T, stack, content string) {
	t.Helper()
	if err := os.MkdirAll("stacks", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("stacks", "Pulumi."+stack+".yaml"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A push after the sweep destroyed a lab does not bring it back; a push
// that sets a new expiry in its file does.
func TestDeployCheckCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	git(t, "init", "-q")
	writeStack(t, "dev", "config:\n  aws:region: ap-northeast-2\n")
	git(t, "add", ".")
	git(t, "commit", "-qm", "dev")
	base := git(t, "rev-parse", "HEAD")
	os.WriteFile("README.md", []byte("unrelated\n"), 0o644)
	git(t, "add", ".")
	git(t, "commit", "-qm", "unrelated")

	destroyed := &fakePulumi{ls: `[{"name":"dev","resourceCount":0}]`, outputs: map[string]string{"dev": `{}`}}
	code, stdout, stderr := runCmd(t, destroyed.env(), "deploy-check", "--stack", "dev", "--base", base)
	if code != 0 || stdout != "deploy=false\n" || !strings.Contains(stderr, "nothing deployed") {
		t.Errorf("unrelated merge after the sweep: exit %d, %q, %q", code, stdout, stderr)
	}

	writeStack(t, "dev", "config:\n  aws:region: ap-northeast-2\n  eks-lab:expiry: \"2026-11-28T00:00:00Z\"\n")
	git(t, "commit", "-qam", "one more day")
	code, stdout, stderr = runCmd(t, destroyed.env(), "deploy-check", "--stack", "dev", "--base", base)
	if code != 0 || stdout != "deploy=true\n" {
		t.Errorf("push with a new expiry: exit %d, %q, %q", code, stdout, stderr)
	}

	absent := &fakePulumi{ls: `[]`}
	code, stdout, _ = runCmd(t, absent.env(), "deploy-check", "--stack", "dev", "--base", git(t, "rev-parse", "HEAD"))
	if code != 0 || stdout != "deploy=false\n" {
		t.Errorf("a stack never brought up, push that does not touch it: exit %d, %q", code, stdout)
	}
	code, stdout, _ = runCmd(t, absent.env(), "deploy-check", "--stack", "dev", "--base", "0000000000000000000000000000000000000000")
	if code != 0 || stdout != "deploy=false\n" {
		t.Errorf("unknown base counts as a change: exit %d, %q", code, stdout)
	}

	broken := &fakePulumi{ls: `[{"name":"dev","resourceCount":40}]`, outputs: map[string]string{"dev": `{"expiry":""}`}}
	code, _, stderr = runCmd(t, broken.env(), "deploy-check", "--stack", "dev", "--base", base)
	if code != 1 || !strings.Contains(stderr, "stack dev: expiry output") {
		t.Errorf("malformed expiry: exit %d, %q", code, stderr)
	}
}

func TestAffectedCommandWithoutABaseOrForOneStack(t *testing.T) {
	t.Chdir(t.TempDir())
	git(t, "init", "-q")
	writeStack(t, "dev", "config: {}\n")
	writeStack(t, "alice", "config: {}\n")
	writeStack(t, "x y", "config: {}\n")
	f := &fakePulumi{}
	if code, stdout, stderr := runCmd(t, f.env(), "affected", "--head", "HEAD"); code != 0 || stdout != "[\"alice\",\"dev\"]\n" {
		t.Errorf("no base: exit %d, %q, %q", code, stdout, stderr)
	}
	if code, stdout, _ := runCmd(t, f.env(), "affected", "--head", "HEAD", "--only", "dev"); code != 0 || stdout != "[\"dev\"]\n" {
		t.Errorf("--only dev: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runCmd(t, f.env(), "affected", "--head", "HEAD", "--only", "bob"); code != 1 || !strings.Contains(stderr, "stacks/Pulumi.bob.yaml") {
		t.Errorf("--only with no file: exit %d, %q", code, stderr)
	}
}

func TestEndpointCommands(t *testing.T) {
	dir := t.TempDir()
	original := filepath.Join(dir, "original.json")
	os.WriteFile(original, []byte(`{"endpointPublicAccess":true,"endpointPrivateAccess":true,"publicAccessCidrs":["203.0.113.7/32"]}`), 0o644)
	cluster := `{"cluster":{"resourcesVpcConfig":{"endpointPublicAccess":true,"endpointPrivateAccess":true,"publicAccessCidrs":["203.0.113.7/32","198.51.100.20/32"]}}}`
	env := (&fakePulumi{}).env()
	var out, errOut bytes.Buffer
	if code := run([]string{"endpoint-open", "--ip", "198.51.100.20"}, env, strings.NewReader(cluster), &out, &errOut); code != 0 || out.Len() != 0 {
		t.Errorf("open when already admitted: exit %d, %q %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"endpoint-restore", "--original", original}, env, strings.NewReader(cluster), &out, &errOut); code != 0 ||
		strings.TrimSpace(out.String()) != `{"endpointPublicAccess":true,"endpointPrivateAccess":true,"publicAccessCidrs":["203.0.113.7/32"]}` {
		t.Errorf("restore: exit %d, %q %q", code, out.String(), errOut.String())
	}
}

// Every pin of internal/versions has a name `lab-ci version` prints it by,
// so that a script or workflow can read it: every constant, every
// archive's version and every kubectl release of versions.go is a pin.
func TestVersionCommandKnowsEveryPin(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "../../internal/versions/versions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, p := range versions.Pins() {
		named[p.Version] = true
	}
	var literals []string
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl, *ast.ImportSpec:
			return false // Pins and the helpers: no pins of their own
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok && k.Name != "Version" {
				return false // URLs, checksums and binaries of an Archive
			}
		case *ast.BasicLit:
			if n.Kind == token.STRING {
				literals = append(literals, strings.Trim(n.Value, `"`))
			}
		}
		return true
	})
	var kubectl int
	for _, lit := range literals {
		if strings.HasPrefix(lit, "1.") && len(lit) == 4 {
			kubectl++ // a key of Kubectl, a minor
			continue
		}
		if !named[lit] {
			t.Errorf("pin %q of internal/versions has no name in versions.Pins", lit)
		}
	}
	if kubectl != len(versions.Kubectl) || len(literals) < 15 {
		t.Errorf("read %d values and %d kubectl minors from versions.go: the parse missed some", len(literals), kubectl)
	}
	for _, p := range versions.Pins() {
		code, stdout, _ := runCmd(t, (&fakePulumi{}).env(), "version", p.Name)
		if code != 0 || stdout != p.Version+"\n" {
			t.Errorf("version %s: exit %d, %q, want %s", p.Name, code, stdout, p.Version)
		}
	}
	code, stdout, _ := runCmd(t, (&fakePulumi{}).env(), "version", "pulumi-cli")
	if code != 0 || stdout != versions.PulumiCLI+"\n" {
		t.Errorf("version pulumi-cli: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runCmd(t, (&fakePulumi{}).env(), "version", "pulumi"); code != 2 || !strings.Contains(stderr, "pulumi-cli") {
		t.Errorf("unknown pin: exit %d, %q", code, stderr)
	}
}

// A manual destroy: the backend decides, not a stack file; a live stack
// needs --before-expiry and comes out live=true (a reviewer approves).
func TestDestroyCheckCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	f := &fakePulumi{
		ls: `[{"name":"acme/dev","resourceCount":90},{"name":"acme/alice","resourceCount":90},{"name":"acme/carol","resourceCount":90}]`,
		outputs: map[string]string{
			"acme/dev":   `{"expiry":"2026-11-27T09:00:00Z"}`,
			"acme/alice": `{"expiry":"2026-11-27T18:00:00Z"}`,
		},
	}
	for _, c := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--stack", "dev"}, 0, "stacks=[\"dev\"]\nlive=false\n", "expired at 2026-11-27T09:00:00Z"},
		{[]string{"--stack", "alice"}, 1, "", "live until 2026-11-27T18:00:00Z"},
		{[]string{"--stack", "alice", "--before-expiry"}, 0, "stacks=[\"alice\"]\nlive=true\n", "once a reviewer approves"},
		{[]string{"--stack", "carol"}, 1, "", "cannot read its outputs"},
		{[]string{"--stack", "carol", "--before-expiry"}, 0, "stacks=[\"carol\"]\nlive=true\n", "once a reviewer approves"},
		{[]string{"--stack", "bob"}, 1, "", "stack bob is not in the backend"},
		{[]string{"--stack", "x;rm"}, 2, "", "use letters, digits"},
	} {
		code, stdout, stderr := runCmd(t, f.env(), append([]string{"destroy-check", "--org", "acme"}, c.args...)...)
		if code != c.code || stdout != c.stdout || !strings.Contains(stderr, c.stderr) {
			t.Errorf("destroy-check %v: exit %d, %q, %q; want %d, %q, %q", c.args, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}
	twice := &fakePulumi{ls: `[{"name":"a/dev"},{"name":"b/dev"}]`}
	if code, _, stderr := runCmd(t, twice.env(), "destroy-check", "--stack", "dev"); code != 1 || !strings.Contains(stderr, "lists it twice (a/dev, b/dev)") {
		t.Errorf("a stack in two organizations: exit %d, %q", code, stderr)
	}
}

// stack-outputs reads the stack file for a stack from before the region
// output, and refuses an output that would add a line of its own.
func TestStackOutputsCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	writeStack(t, "dev", "config:\n  aws:region: eu-central-1\n")
	env := (&fakePulumi{}).env()
	var out, errOut bytes.Buffer
	if code := run([]string{"stack-outputs", "--stack", "dev", "--default-region", "ap-northeast-2"}, env, strings.NewReader(`{"clusterName":"c1"}`), &out, &errOut); code != 0 ||
		out.String() != "region=eu-central-1\ncluster=c1\nzone=absent\nowner=\n" {
		t.Errorf("exit %d, %q, %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"stack-outputs", "--stack", "dev"}, env, strings.NewReader(`{"clusterName":"c1\nX=1"}`), &out, &errOut); code != 1 || out.Len() != 0 ||
		!strings.Contains(errOut.String(), `stack dev: output clusterName = "c1\nX=1"`) {
		t.Errorf("exit %d, %q, %q", code, out.String(), errOut.String())
	}
}

// The sweep reports a lab still deployed long after its expiry, after
// listing it for the destroy.
func TestSweepCommandReportsAnOverdueLab(t *testing.T) {
	t.Chdir(t.TempDir())
	f := &fakePulumi{ls: `[{"name":"dev","resourceCount":118}]`, outputs: map[string]string{"dev": `{"expiry":"2026-11-27T01:00:00Z"}`}}
	code, stdout, stderr := runCmd(t, f.env(), "sweep")
	if code != 1 || strings.TrimSpace(stdout) != `["dev"]` || !strings.Contains(stderr, "9h0m0s ago, and is still deployed") {
		t.Errorf("exit %d, %q, %q", code, stdout, stderr)
	}
}

// A sweep that could read every stack and found none overdue succeeds:
// its list is the whole answer.
func TestSweepCommandWithoutProblems(t *testing.T) {
	t.Chdir(t.TempDir())
	f := &fakePulumi{ls: `[{"name":"dev","resourceCount":118},{"name":"alice","resourceCount":90}]`,
		outputs: map[string]string{"dev": `{"expiry":"2026-11-27T09:00:00Z"}`, "alice": `{"expiry":"2026-11-27T18:00:00Z"}`}}
	code, stdout, stderr := runCmd(t, f.env(), "sweep")
	if code != 0 || strings.TrimSpace(stdout) != `["dev"]` || stderr != "" {
		t.Errorf("exit %d, %q, %q; want 0 and the expired stack", code, stdout, stderr)
	}
}

// destroy-due, when a destroy job starts: still due unless a deploy set a
// later expiry or the stack holds nothing; a stack the backend does not
// list is an error, not a destroy.
func TestDestroyDueCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	f := &fakePulumi{
		ls:      `[{"name":"dev","resourceCount":90},{"name":"alice","resourceCount":90},{"name":"carol","resourceCount":90},{"name":"gone","resourceCount":0}]`,
		outputs: map[string]string{"dev": `{"expiry":"2026-11-27T09:00:00Z"}`, "alice": `{"expiry":"2026-11-27T18:00:00Z"}`, "gone": `{}`},
	}
	for _, c := range []struct {
		stack, stdout, stderr string
		code                  int
	}{
		{"dev", "due=true\n", "expired at 2026-11-27T09:00:00Z", 0},
		{"alice", "due=false\n", "now expires at 2026-11-27T18:00:00Z", 0},
		{"carol", "due=true\n", "destroying it as the sweep decided", 0},
		{"gone", "due=false\n", "holds nothing any more", 0},
		{"bob", "", "stack bob is not in the backend", 1},
	} {
		code, stdout, stderr := runCmd(t, f.env(), "destroy-due", "--stack", c.stack)
		if code != c.code || stdout != c.stdout || !strings.Contains(stderr, c.stderr) {
			t.Errorf("destroy-due --stack %s: exit %d, %q, %q; want %d, %q, %q", c.stack, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}
}

// affected between two commits of a module whose program is ./infra: a
// stack file change picks its stack, a change to a file of the program
// picks every stack, anything else none; an unknown base picks every stack.
func TestAffectedCommandBetweenCommits(t *testing.T) {
	t.Chdir(t.TempDir())
	git(t, "init", "-q")
	files := map[string]string{
		"go.mod":                "module example.com/lab\n\ngo 1.24\n",
		"infra/main.go":         "package main\n\nimport _ \"example.com/lab/components/net\"\n\nfunc main() {}\n",
		"components/net/net.go": "package net\n",
		"docs/x.md":             "x\n",
	}
	write := func() {
		for name, content := range files {
			os.MkdirAll(filepath.Dir(name), 0o755)
			if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write()
	writeStack(t, "dev", "config: {}\n")
	writeStack(t, "alice", "config: {}\n")
	git(t, "add", ".")
	git(t, "commit", "-qm", "base")
	base := git(t, "rev-parse", "HEAD")
	env := (&fakePulumi{}).env()
	for _, c := range []struct {
		change func()
		want   string
	}{
		{func() { writeStack(t, "alice", "config: {a: 1}\n") }, `["alice"]`},
		{func() { files["docs/x.md"] = "y\n"; write() }, `[]`},
		{func() { files["components/net/net.go"] = "package net\n\nconst X = 1\n"; write() }, `["alice","dev"]`},
	} {
		git(t, "reset", "-q", "--hard", base)
		c.change()
		git(t, "commit", "-qam", "change")
		if code, stdout, stderr := runCmd(t, env, "affected", "--base", base, "--head", "HEAD"); code != 0 || strings.TrimSpace(stdout) != c.want {
			t.Errorf("exit %d, %q (%s); want %s", code, stdout, stderr, c.want)
		}
	}
	if code, stdout, _ := runCmd(t, env, "affected", "--base", "0000000000000000000000000000000000000000", "--head", "HEAD"); code != 0 || strings.TrimSpace(stdout) != `["alice","dev"]` {
		t.Errorf("unknown base: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runCmd(t, env, "affected", "--base", base); code != 1 || !strings.Contains(stderr, "--head is required") {
		t.Errorf("no head: exit %d, %q", code, stderr)
	}
}
