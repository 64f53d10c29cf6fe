package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-study/lab/internal/labci"
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
