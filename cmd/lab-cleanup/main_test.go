package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eks-study/lab/internal/cleanup"
)

// The main owns the exit codes: it is what pulumi destroy runs, and Pulumi
// only sees the code and the output. Both mains share cleanup.ParseArgs and
// cleanup.ExitCode; this runs the built binary.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "lab-cleanup")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	malformed := write("malformed", "{[")
	unsupported := write("unsupported", `current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {client-certificate-data: eA==}}]`)
	unreachable := write("unreachable", `current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]`)

	for name, tc := range map[string]struct {
		args        []string
		skip        bool
		code        int
		out, errOut string
	}{
		"help":                {args: []string{"--help"}, code: cleanup.ExitOK, out: cleanup.Usage},
		"bad flag":            {args: []string{"--force"}, code: cleanup.ExitBadInput, errOut: "lab cleanup: flag provided but not defined: -force"},
		"malformed":           {args: []string{"--kubeconfig", malformed}, code: cleanup.ExitBadInput, errOut: "lab cleanup: kubeconfig: neither YAML nor JSON"},
		"unsupported":         {args: []string{"--kubeconfig", unsupported}, code: cleanup.ExitBadInput, errOut: `field "client-certificate-data" is not supported`},
		"timeout":             {args: []string{"--kubeconfig", unreachable, "--timeout", "200ms", "--poll-interval", "50ms"}, code: cleanup.ExitFailed, errOut: "lab cleanup: timed out after 200ms"},
		"skipped":             {args: []string{"--kubeconfig", unreachable}, skip: true, code: cleanup.ExitOK, out: "skipped because " + cleanup.SkipEnv},
		"skipped, no kubeenv": {args: []string{"--kubeconfig-env", "LAB_TEST_UNSET"}, skip: true, code: cleanup.ExitOK},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append(os.Environ(), cleanup.SkipEnv+"=")
			if tc.skip {
				cmd.Env = append(cmd.Env, cleanup.SkipEnv+"=1")
			}
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.errOut) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					code, out.String(), errOut.String(), tc.code, tc.out, tc.errOut)
			}
		})
	}
}
