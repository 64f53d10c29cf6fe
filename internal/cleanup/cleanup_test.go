package cleanup

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eks-study/lab/internal/testing/kubetest"
)

// A kubeconfig the client cannot use fully is refused before any request,
// naming what is wrong, instead of being half used.
func TestKubeconfigErrors(t *testing.T) {
	const ctx = "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
	const cluster = "clusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\"}}]\n"
	const user = "users: [{name: u, user: {token: t}}]\n"
	for name, tc := range map[string]struct{ kubeconfig, want string }{
		"not yaml": {"{[", "neither YAML nor JSON"},
		"no current context": {`contexts: [{name: a, context: {cluster: c}}, {name: b, context: {cluster: c}}]`,
			"no current-context"},
		"unknown context": {`current-context: x`, `context "x" not found`},
		"no credentials":  {ctx + cluster + "users: [{name: u, user: {}}]", `user "u" has neither a token nor an exec credential plugin`},
		"bad ca data": {ctx + user + `clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", certificate-authority-data: "bm90IGEgY2VydA=="}}]`,
			"no certificate"},
		"missing ca file": {ctx + user + `clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", certificate-authority: nope.crt}}]`,
			"certificate-authority: open nope.crt"},
		"insecure with a ca": {ctx + user + `clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true, certificate-authority-data: "bm90IGEgY2VydA=="}}]`,
			"insecure-skip-tls-verify cannot be used together with a certificate authority"},
		"client certificate": {ctx + cluster + `users: [{name: u, user: {client-certificate-data: eA==, client-key-data: eA==}}]`,
			`user "u": field "client-certificate-data" is not supported by lab cleanup (it supports exec, extensions, token)`},
		"auth provider": {ctx + cluster + `users: [{name: u, user: {auth-provider: {name: gcp}}}]`,
			`field "auth-provider" is not supported`},
		"basic auth": {ctx + cluster + `users: [{name: u, user: {username: a, password: b}}]`,
			`field "username" is not supported`},
		"token file": {ctx + cluster + `users: [{name: u, user: {tokenFile: /var/run/token}}]`,
			`field "tokenFile" is not supported`},
		"impersonation": {ctx + cluster + `users: [{name: u, user: {token: t, as: admin}}]`,
			`field "as" is not supported`},
		"proxy": {ctx + user + `clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", proxy-url: "http://proxy:3128"}}]`,
			`cluster "c": field "proxy-url" is not supported`},
		"exec cluster info": {ctx + cluster + `users: [{name: u, user: {exec: {command: aws, provideClusterInfo: true}}}]`,
			"provideClusterInfo is not supported"},
		"exec unknown field": {ctx + cluster + `users: [{name: u, user: {exec: {command: aws, timeout: 5}}}]`,
			`user "u": exec: field "timeout" is not supported`},
	} {
		t.Run(name, func(t *testing.T) {
			err := Run(context.Background(), Options{Kubeconfig: []byte(tc.kubeconfig)})
			var kc *KubeconfigError
			if !errors.As(err, &kc) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a *KubeconfigError containing %q", err, tc.want)
			}
			if ExitCode(err) != ExitBadInput {
				t.Errorf("exit code %d, want %d (bad input)", ExitCode(err), ExitBadInput)
			}
		})
	}
}

// execKubeconfig is a JSON kubeconfig shaped like pulumi-eks's, whose exec
// plugin is a shell printing the ExecCredential held in an env var of the
// plugin config, so the test sees that command, args and env are all used.
// Every run of the plugin appends an x to counter.
func execKubeconfig(t *testing.T, srv *kubetest.Server, token, expiry, counter string) []byte {
	t.Helper()
	status := map[string]any{"token": token}
	if expiry != "" {
		status["expirationTimestamp"] = expiry
	}
	cred, err := json.Marshal(map[string]any{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", "status": status})
	if err != nil {
		t.Fatal(err)
	}
	kc, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "aws",
		"clusters": []any{map[string]any{"name": "kubernetes", "cluster": map[string]any{
			"server": srv.URL, "certificate-authority-data": b64enc(srv.CA),
		}}},
		"contexts": []any{map[string]any{"name": "aws", "context": map[string]any{"cluster": "kubernetes", "user": "aws"}}},
		"users": []any{map[string]any{"name": "aws", "user": map[string]any{"exec": map[string]any{
			"apiVersion":  "client.authentication.k8s.io/v1beta1",
			"command":     "/bin/sh",
			"args":        []string{"-c", `echo x >> "$COUNTER"; printf '%s' "$FAKE_CREDENTIAL"`},
			"installHint": "install a shell",
			"env": []any{
				map[string]any{"name": "FAKE_CREDENTIAL", "value": string(cred)},
				map[string]any{"name": "COUNTER", "value": counter},
			},
		}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// execRuns is how many times the exec credential plugin ran.
func execRuns(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("exec plugin never ran: %v", err)
	}
	return strings.Count(string(b), "x")
}

// A missing credential plugin is permanent, and its installHint is shown.
func TestMissingExecPluginShowsItsInstallHint(t *testing.T) {
	kc := `current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {exec: {command: lab-no-such-plugin, installHint: "install the AWS CLI: https://aws.amazon.com/cli/"}}}]`
	err := Run(context.Background(), Options{Kubeconfig: []byte(kc), Timeout: time.Hour})
	var pe *PermanentError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "install the AWS CLI") {
		t.Errorf("err = %v, want a *PermanentError with the install hint", err)
	}
}

func TestExecCredentialIsTheBearerTokenAndIsCached(t *testing.T) {
	f := newFixture(t)
	svc := lbService("echo", "service.k8s.aws/resources")
	f.create(svc)
	f.startController(svc)
	counter := filepath.Join(t.TempDir(), "count")
	o := f.opts("", nil)
	o.Kubeconfig = execKubeconfig(t, f.srv, kubetest.AdminToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), counter)
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if f.exists(svc) {
		t.Error("the Service was not deleted")
	}
	if n := execRuns(t, counter); n != 1 {
		t.Errorf("exec plugin ran %d times for a token valid an hour, want 1 (cached)", n)
	}
}

func TestExpiredExecCredentialIsRefreshed(t *testing.T) {
	f := newFixture(t)
	svc := lbService("echo")
	f.create(svc)
	counter := filepath.Join(t.TempDir(), "count")
	o := f.opts("", nil)
	o.Kubeconfig = execKubeconfig(t, f.srv, kubetest.AdminToken, "2000-01-01T00:00:00Z", counter)
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := execRuns(t, counter); n < 2 {
		t.Errorf("exec plugin ran %d times although its token had expired, want one run per request", n)
	}
}

func TestRunWaitsOneExternalDNSSyncAfterwards(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		wait    time.Duration
		mention bool
	}{{300 * time.Millisecond, true}, {0, false}} {
		var log strings.Builder
		o := f.opts(kubetest.AdminToken, &log)
		o.DNSSyncWait = tc.wait
		start := time.Now()
		if err := Run(context.Background(), o); err != nil {
			t.Fatalf("Run: %v", err)
		}
		// A lower bound only: Run must not return before the wait is over.
		if el := time.Since(start); el < tc.wait {
			t.Errorf("wait %s: Run returned after %s", tc.wait, el)
		}
		if got := strings.Contains(log.String(), "ExternalDNS"); got != tc.mention {
			t.Errorf("wait %s: log mentions ExternalDNS = %v, want %v:\n%s", tc.wait, got, tc.mention, log.String())
		}
	}
}

// hungPluginKubeconfig is a kubeconfig whose credential plugin prints what
// `aws` prints before it waits for an SSO login, then waits (its child,
// sleep, holding the output open).
func hungPluginKubeconfig(profile string) []byte {
	return []byte(`current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {exec: {command: /bin/sh, args: ["-c", "echo 'Attempting to automatically open the SSO authorization page in your default browser.' >&2; sleep 60", "eks", "get-token"],
  env: [{name: AWS_PROFILE, value: ` + profile + `}]}}}]`)
}

// A credential plugin that waits for a login gets its own timeout: the
// cleanup fails at once, naming the command, what it printed and the fix,
// instead of reporting after its own timeout that nothing is left.
func TestHungCredentialPluginIsNamed(t *testing.T) {
	t.Parallel() // no API server: it can wait beside the other tests
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Long enough for the shell to print its line on a busy machine. The
	// plugin's sleep holds its output open after the kill: without a wait
	// delay Run would not return before the sleep ends, after the context.
	err := Run(ctx, Options{Kubeconfig: hungPluginKubeconfig("lab-sso"), Timeout: time.Hour, execTimeout: 3 * time.Second, execWait: 100 * time.Millisecond})
	var pe *PermanentError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PermanentError at once", err)
	}
	for _, want := range []string{
		`kubeconfig exec credential "/bin/sh -c`,
		"no answer within 3s",
		// What it printed, quoted (the command line holds the same words).
		`(it printed: "Attempting to automatically open the SSO authorization page in your default browser.")`,
		"aws sso login --profile lab-sso",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// When the cleanup's own timeout comes first, it says that nothing could be
// listed and why, not that no object is left.
func TestTimeoutBeforeAnyListIsNotReportedAsNothingLeft(t *testing.T) {
	t.Parallel()
	err := Run(context.Background(), Options{Kubeconfig: hungPluginKubeconfig("lab-sso"), Timeout: 300 * time.Millisecond, execWait: 100 * time.Millisecond})
	if err == nil || strings.Contains(err.Error(), "0 object(s)") || !strings.Contains(err.Error(), "before the cluster's objects could be listed") ||
		!strings.Contains(err.Error(), `kubeconfig exec credential "/bin/sh`) {
		t.Errorf("err = %v, want the timeout to say nothing could be listed because of the plugin", err)
	}
}

// nxdomainResolver resolves every name to NXDOMAIN, as DNS answers for the
// endpoint of an EKS cluster that was deleted: a DNS server on loopback
// that answers every query with RCODE 3.
func nxdomainResolver(t *testing.T) *net.Resolver {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, addr, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			// The query with its header turned into an answer: QR and RA set,
			// RD kept, RCODE 3 (NXDOMAIN), the question kept, no records.
			resp := append([]byte(nil), buf[:n]...)
			resp[2] = 0x80 | resp[2]&0x01
			resp[3] = 0x80 | 0x03
			copy(resp[6:12], []byte{0, 0, 0, 0, 0, 0})
			_, _ = conn.WriteTo(resp, addr)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", conn.LocalAddr().String())
	}}
}

// An EKS endpoint that does not exist any more means the cluster is gone:
// the cleanup fails at once with the way to go on. Another name that does
// not resolve may be a local DNS problem that passes: it is retried.
func TestDeletedEKSClusterFailsAtOnce(t *testing.T) {
	t.Parallel()
	resolver := nxdomainResolver(t)
	kubeconfig := func(server string) []byte {
		return []byte(`current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "` + server + `"}}]
users: [{name: u, user: {token: t}}]`)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := Run(ctx, Options{Kubeconfig: kubeconfig("https://0123456789ABCDEF0123456789ABCDEF.gr7.ap-northeast-2.eks.amazonaws.com"), Timeout: time.Hour, resolver: resolver})
	var pe *PermanentError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PermanentError at once", err)
	}
	for _, want := range []string{"0123456789abcdef0123456789abcdef.gr7.ap-northeast-2.eks.amazonaws.com", "NXDOMAIN", "already deleted", SkipEnv + "=1", "lab audit"} {
		if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(want)) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	err = Run(ctx, Options{Kubeconfig: kubeconfig("https://api.lab.example.internal:6443"), Timeout: 300 * time.Millisecond, PollInterval: 50 * time.Millisecond, resolver: resolver})
	if errors.As(err, &pe) || err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("err = %v, want a timeout: only an EKS endpoint's NXDOMAIN is final", err)
	}
}
