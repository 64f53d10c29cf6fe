package cleanup

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runMain(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMainRejectsBadInputWithOneLine(t *testing.T) {
	t.Setenv("LAB_TEST_EMPTY", "")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no kubeconfig":    {nil, "give exactly one of --kubeconfig-env and --kubeconfig"},
		"both":             {[]string{"--kubeconfig-env", "X", "--kubeconfig", "/x"}, "give exactly one"},
		"bad duration":     {[]string{"--kubeconfig-env", "X", "--timeout", "ten"}, "invalid value \"ten\" for flag -timeout"},
		"zero timeout":     {[]string{"--kubeconfig-env", "X", "--timeout", "0s"}, "--timeout must be positive"},
		"unknown flag":     {[]string{"--kubeconfig-env", "X", "--force"}, "flag provided but not defined: -force"},
		"extra argument":   {[]string{"--kubeconfig-env", "X", "now"}, "unexpected argument now"},
		"env unset":        {[]string{"--kubeconfig-env", "LAB_TEST_EMPTY"}, "environment variable LAB_TEST_EMPTY is empty or unset"},
		"missing file":     {[]string{"--kubeconfig", filepath.Join(t.TempDir(), "nope")}, "no such file"},
		"negative dnswait": {[]string{"--kubeconfig-env", "X", "--dns-sync-wait", "-1s"}, "--dns-sync-wait must not be negative"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runMain(tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(errOut, tc.want) || !strings.HasPrefix(errOut, "lab cleanup: ") {
				t.Errorf("stderr %q, want a line starting with \"lab cleanup: \" containing %q", errOut, tc.want)
			}
			if strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "goroutine") {
				t.Errorf("stderr is not one line: %q", errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

func TestMainDeletesWithKubeconfigFromEnv(t *testing.T) {
	f := newFakeAPI(t, testToken,
		&fakeObject{kind: "Service", namespace: "default", name: "echo", svcType: "LoadBalancer",
			finalizers: []string{"service.k8s.aws/resources"}, release: 10 * time.Millisecond},
		&fakeObject{kind: "Service", namespace: "default", name: "kubernetes", svcType: "ClusterIP"})
	t.Setenv("LAB_KUBECONFIG", f.execKubeconfig(t, testToken, "", counterFile(t)))
	code, out, errOut := runMain("--kubeconfig-env", "LAB_KUBECONFIG", "--dns-sync-wait", "0", "--poll-interval", "5ms")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if !strings.Contains(out, "deleting Service default/echo") {
		t.Errorf("stdout does not report the deletion:\n%s", out)
	}
	if f.has("Service", "default", "echo") || !f.has("Service", "default", "kubernetes") {
		t.Error("wrong Services deleted")
	}
}

func TestMainReadsKubeconfigFile(t *testing.T) {
	f := newFakeAPI(t, testToken,
		&fakeObject{kind: "Ingress", namespace: "game", name: "2048"})
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(f.tokenKubeconfig(testToken)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMain("--kubeconfig", path, "--dns-sync-wait", "0s", "--poll-interval", "5ms")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if f.has("Ingress", "game", "2048") {
		t.Error("Ingress not deleted")
	}
}

func TestMainTimeoutExitsNonZeroNamingLeftovers(t *testing.T) {
	f := newFakeAPI(t, testToken,
		&fakeObject{kind: "Service", namespace: "team", name: "my-nlb", svcType: "LoadBalancer",
			finalizers: []string{"service.k8s.aws/resources"}, hostname: "k8s-team-mynlb-1.elb.ap-northeast-2.amazonaws.com", release: -1})
	t.Setenv("LAB_KUBECONFIG", f.tokenKubeconfig(testToken))
	code, _, errOut := runMain("--kubeconfig-env", "LAB_KUBECONFIG", "--timeout", "50ms", "--dns-sync-wait", "0", "--poll-interval", "5ms")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{"lab cleanup: timed out after 50ms", "Service team/my-nlb", "k8s-team-mynlb-1.elb.ap-northeast-2.amazonaws.com"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestMainSkipsWhenAskedTo(t *testing.T) {
	f := newFakeAPI(t, testToken,
		&fakeObject{kind: "Service", namespace: "default", name: "echo", svcType: "LoadBalancer"})
	t.Setenv("LAB_KUBECONFIG", f.tokenKubeconfig(testToken))
	t.Setenv(SkipEnv, "1")
	code, out, _ := runMain("--kubeconfig-env", "LAB_KUBECONFIG")
	if code != 0 || !strings.Contains(out, "skipped") {
		t.Fatalf("exit %d, stdout %q; want 0 and a skip notice", code, out)
	}
	if len(f.deletes()) != 0 {
		t.Error("deleted objects although " + SkipEnv + " is set")
	}
}
