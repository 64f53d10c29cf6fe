package cleanup

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseArgsRejectsBadInput(t *testing.T) {
	t.Setenv("LAB_TEST_EMPTY", "")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no kubeconfig":      {nil, "give exactly one of --kubeconfig-env and --kubeconfig"},
		"both":               {[]string{"--kubeconfig-env", "X", "--kubeconfig", "/x"}, "give exactly one"},
		"bad duration":       {[]string{"--kubeconfig-env", "X", "--timeout", "ten"}, "invalid value \"ten\" for flag -timeout"},
		"zero timeout":       {[]string{"--kubeconfig-env", "X", "--timeout", "0s"}, "--timeout must be positive"},
		"unknown flag":       {[]string{"--kubeconfig-env", "X", "--force"}, "flag provided but not defined: -force"},
		"extra argument":     {[]string{"--kubeconfig-env", "X", "now"}, "unexpected argument now"},
		"env unset":          {[]string{"--kubeconfig-env", "LAB_TEST_EMPTY"}, "environment variable LAB_TEST_EMPTY is empty or unset"},
		"missing file":       {[]string{"--kubeconfig", filepath.Join(t.TempDir(), "nope")}, "no such file"},
		"negative dnswait":   {[]string{"--kubeconfig-env", "X", "--dns-sync-wait", "-1s"}, "--dns-sync-wait must not be negative"},
		"zero poll interval": {[]string{"--kubeconfig-env", "X", "--poll-interval", "0s"}, "--poll-interval must be positive"},
		"bad targets":        {[]string{"--kubeconfig-env", "X", "--targets", "pods"}, `--targets "pods": want load-balancers or dns-names`},
	} {
		t.Run(name, func(t *testing.T) {
			var help bytes.Buffer
			_, err := ParseArgs(tc.args, &help)
			var bad *BadInputError
			if !errors.As(err, &bad) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a *BadInputError containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), Usage) {
				t.Errorf("err = %v, want it to show the usage", err)
			}
			if ExitCode(err) != ExitBadInput {
				t.Errorf("exit code %d, want %d", ExitCode(err), ExitBadInput)
			}
			if help.Len() != 0 {
				t.Errorf("help printed on an error: %q", help.String())
			}
		})
	}
}

func TestParseArgsReadsTheKubeconfig(t *testing.T) {
	t.Setenv(SkipEnv, "")
	t.Setenv("LAB_KUBECONFIG", "apiVersion: v1")
	o, err := ParseArgs([]string{"--kubeconfig-env", "LAB_KUBECONFIG", "--targets", "dns-names", "--include-pulumi-owned",
		"--timeout", "20m", "--dns-sync-wait", "0", "--poll-interval", "1s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(o.Kubeconfig) != "apiVersion: v1" || o.KubeconfigDir != "" || o.Targets != DNSNames || !o.IncludePulumiOwned ||
		o.Timeout != 20*time.Minute || o.DNSSyncWait != 0 || o.PollInterval != time.Second || o.Skip {
		t.Errorf("options = %+v", o)
	}

	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte("kind: Config"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err = ParseArgs([]string{"--kubeconfig", path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Relative paths in the file are the file's directory's, as kubectl has them.
	if string(o.Kubeconfig) != "kind: Config" || o.KubeconfigDir != filepath.Dir(path) {
		t.Errorf("options = %+v", o)
	}
	// By hand, the defaults: load balancers, Pulumi's objects left alone.
	if o.Targets != LoadBalancers || o.IncludePulumiOwned || o.Timeout != DefaultTimeout || o.DNSSyncWait != DefaultDNSSyncWait {
		t.Errorf("defaults = %+v", o)
	}
}

func TestParseArgsHelp(t *testing.T) {
	var help bytes.Buffer
	_, err := ParseArgs([]string{"--help"}, &help)
	if !errors.Is(err, flag.ErrHelp) || ExitCode(err) != ExitOK {
		t.Fatalf("err = %v, want flag.ErrHelp and exit 0", err)
	}
	for _, want := range []string{Usage, "-include-pulumi-owned", "-targets"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, help.String())
		}
	}
}

// With SkipEnv set the command neither needs nor reads the kubeconfig.
func TestSkipEnvMakesRunANoOp(t *testing.T) {
	t.Setenv(SkipEnv, "1")
	o, err := ParseArgs([]string{"--kubeconfig-env", "LAB_TEST_UNSET_KUBECONFIG"}, nil)
	if err != nil || !o.Skip {
		t.Fatalf("ParseArgs = %+v, %v; want Skip", o, err)
	}
	var log strings.Builder
	o.Log = &log
	if err := Run(t.Context(), o); err != nil || !strings.Contains(log.String(), "skipped because "+SkipEnv+" is set") {
		t.Errorf("Run = %v, log %q; want a skip notice", err, log.String())
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{flag.ErrHelp, ExitOK},
		{&BadInputError{"x"}, ExitBadInput},
		{&KubeconfigError{errors.New("x")}, ExitBadInput},
		{&PermanentError{errors.New("x"), "y"}, ExitFailed},
		{&TimeoutError{}, ExitFailed},
		{errors.New("x"), ExitFailed},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%T) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// The tests shorten every wait through Options; the defaults a user gets
// (TestParseArgsReadsTheKubeconfig: the flags' too) are the ones
// docs/lifecycle.md gives.
func TestDefaultWaitsAreTheDocumentedOnes(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "lifecycle.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(doc)), " ")
	for _, tc := range []struct {
		name      string
		got, want time.Duration
		docs      []string
	}{
		{"DefaultTimeout", DefaultTimeout, 10 * time.Minute, []string{"If objects are still there after 10 minutes", "[--timeout 10m]"}},
		{"DefaultDNSSyncWait", DefaultDNSSyncWait, 90 * time.Second, []string{"waits one sync interval (90 s)", "[--dns-sync-wait 90s]"}},
		{"DefaultStuckAfter", DefaultStuckAfter, time.Minute, []string{"3 polls in a row spanning at least a minute"}},
		{"DefaultExecTimeout", DefaultExecTimeout, time.Minute, []string{"does not answer within a minute"}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s is %s, the docs say %s", tc.name, tc.got, tc.want)
		}
		for _, d := range tc.docs {
			if !strings.Contains(text, d) {
				t.Errorf("docs/lifecycle.md no longer says %q (%s, %s)", d, tc.name, tc.want)
			}
		}
	}
}

// Main is the command: a bad flag is exit 2 with one line on stderr, -h
// the usage on stdout and exit 0, a skipped cleanup says so and exits 0,
// a kubeconfig it cannot use is exit 2 too.
func TestMainExitCodes(t *testing.T) {
	t.Setenv("LAB_TEST_KUBECONFIG", "not: [a kubeconfig")
	for name, tc := range map[string]struct {
		args           []string
		skip           string
		code           int
		stdout, stderr string
	}{
		"bad flag":         {[]string{"--force"}, "", ExitBadInput, "", "lab cleanup: flag provided but not defined: -force"},
		"help":             {[]string{"-h"}, "", ExitOK, Usage, ""},
		"skipped":          {[]string{"--kubeconfig-env", "LAB_TEST_KUBECONFIG"}, "1", ExitOK, "lab cleanup: skipped because " + SkipEnv + " is set", ""},
		"a bad kubeconfig": {[]string{"--kubeconfig-env", "LAB_TEST_KUBECONFIG"}, "", ExitBadInput, "", "lab cleanup: "},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(SkipEnv, tc.skip)
			var stdout, stderr bytes.Buffer
			code := Main(tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.HasPrefix(stderr.String(), tc.stderr) || (tc.stderr == "") != (stderr.Len() == 0) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}
