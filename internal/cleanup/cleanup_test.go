package cleanup

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testToken = "k8s-aws-v1.exec-token"

func counterFile(t *testing.T) string {
	return filepath.Join(t.TempDir(), "exec-count")
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

func TestRunDeletesLoadBalancersAndWaitsForFinalizers(t *testing.T) {
	f := newFakeAPI(t, testToken,
		&fakeObject{kind: "Service", namespace: "default", name: "echo", svcType: "LoadBalancer",
			finalizers: []string{"service.k8s.aws/resources"}, hostname: "k8s-default-echo-1.elb.ap-northeast-2.amazonaws.com", release: 40 * time.Millisecond},
		&fakeObject{kind: "Service", namespace: "lab", name: "no-finalizer", svcType: "LoadBalancer"},
		&fakeObject{kind: "Service", namespace: "default", name: "kubernetes", svcType: "ClusterIP"},
		&fakeObject{kind: "Service", namespace: "kube-system", name: "kube-dns", svcType: "ClusterIP"},
		&fakeObject{kind: "Service", namespace: "lab", name: "iperf3", svcType: "NodePort"},
		&fakeObject{kind: "Ingress", namespace: "game", name: "2048",
			finalizers: []string{"ingress.k8s.aws/resources"}, release: 60 * time.Millisecond},
		&fakeObject{kind: "Ingress", namespace: "game", name: "plain"},
	)
	var log bytes.Buffer
	start := time.Now()
	err := Run(context.Background(), Options{
		Kubeconfig:   []byte(f.execKubeconfig(t, testToken, "", counterFile(t))),
		Timeout:      5 * time.Second,
		PollInterval: 5 * time.Millisecond,
		Log:          &log,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Only the fake controller removes finalized objects, after its delay:
	// their absence proves Run waited for it.
	if f.has("Service", "default", "echo") || f.has("Ingress", "game", "2048") {
		t.Fatal("Run returned before the controller removed the finalizers")
	}
	if time.Since(start) < 60*time.Millisecond {
		t.Fatalf("Run returned after %s, before the slowest finalizer (60ms)", time.Since(start))
	}
	for _, o := range [][2]string{{"default", "kubernetes"}, {"kube-system", "kube-dns"}, {"lab", "iperf3"}} {
		if !f.has("Service", o[0], o[1]) {
			t.Errorf("Service %s/%s was deleted; only LoadBalancer Services may be", o[0], o[1])
		}
	}
	deleted := map[string]string{}
	for _, c := range f.deletes() {
		deleted[key(c.kind, c.namespace, c.name)] = c.propagation
	}
	want := []string{"Service/default/echo", "Service/lab/no-finalizer", "Ingress/game/2048", "Ingress/game/plain"}
	if len(deleted) != len(want) {
		t.Errorf("deleted %v, want exactly %v", deleted, want)
	}
	for _, k := range want {
		if p, ok := deleted[k]; !ok {
			t.Errorf("%s was not deleted", k)
		} else if p != "Foreground" {
			t.Errorf("%s deleted with propagationPolicy %q, want Foreground", k, p)
		}
		if !strings.Contains(log.String(), "deleting "+strings.Replace(k, "/", " ", 1)) {
			t.Errorf("log does not mention %s:\n%s", k, log.String())
		}
	}
}

func TestRunTimeoutNamesEveryLeftover(t *testing.T) {
	f := newFakeAPI(t, testToken,
		&fakeObject{kind: "Service", namespace: "default", name: "stuck", svcType: "LoadBalancer",
			finalizers: []string{"service.k8s.aws/resources"}, hostname: "k8s-default-stuck-0123456789.elb.ap-northeast-2.amazonaws.com", release: -1},
		&fakeObject{kind: "Ingress", namespace: "game", name: "2048",
			finalizers: []string{"ingress.k8s.aws/resources"}, hostname: "k8s-game-2048-abc-1.ap-northeast-2.elb.amazonaws.com", release: -1},
		&fakeObject{kind: "Service", namespace: "default", name: "gone", svcType: "LoadBalancer",
			finalizers: []string{"service.k8s.aws/resources"}, release: time.Millisecond},
	)
	start := time.Now()
	err := Run(context.Background(), Options{
		Kubeconfig:   []byte(f.tokenKubeconfig(testToken)),
		Timeout:      150 * time.Millisecond,
		PollInterval: 5 * time.Millisecond,
	})
	if err == nil {
		t.Fatal("Run succeeded although two objects never go away")
	}
	if el := time.Since(start); el < 150*time.Millisecond || el > 2*time.Second {
		t.Errorf("Run gave up after %s, want about the 150ms timeout", el)
	}
	msg := err.Error()
	for _, want := range []string{
		"timed out after 150ms",
		"Service default/stuck",
		"k8s-default-stuck-0123456789.elb.ap-northeast-2.amazonaws.com",
		"Ingress game/2048",
		"k8s-game-2048-abc-1.ap-northeast-2.elb.amazonaws.com",
		"service.k8s.aws/resources",
		"kubectl -n kube-system logs deployment/aws-load-balancer-controller",
		"kubectl get svc -A",
		"aws elbv2 delete-load-balancer",
		"DNSName=='k8s-default-stuck-0123456789.elb.ap-northeast-2.amazonaws.com'",
		"elbv2.k8s.aws/cluster",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("timeout error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "default/gone") {
		t.Errorf("timeout error names an object that is gone:\n%s", msg)
	}
}

func TestRunWaitsOneExternalDNSSyncAfterwards(t *testing.T) {
	f := newFakeAPI(t, testToken)
	for _, tc := range []struct {
		wait    time.Duration
		mention bool
	}{{80 * time.Millisecond, true}, {0, false}} {
		var log bytes.Buffer
		start := time.Now()
		err := Run(context.Background(), Options{
			Kubeconfig:   []byte(f.tokenKubeconfig(testToken)),
			DNSSyncWait:  tc.wait,
			PollInterval: 5 * time.Millisecond,
			Log:          &log,
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if el := time.Since(start); el < tc.wait {
			t.Errorf("wait %s: Run returned after %s", tc.wait, el)
		}
		if got := strings.Contains(log.String(), "ExternalDNS"); got != tc.mention {
			t.Errorf("wait %s: log mentions ExternalDNS = %v, want %v:\n%s", tc.wait, got, tc.mention, log.String())
		}
	}
}

func TestExecCredentialIsTheBearerToken(t *testing.T) {
	f := newFakeAPI(t, testToken,
		&fakeObject{kind: "Service", namespace: "default", name: "echo", svcType: "LoadBalancer",
			finalizers: []string{"service.k8s.aws/resources"}, release: 20 * time.Millisecond})
	counter := counterFile(t)
	err := Run(context.Background(), Options{
		Kubeconfig:   []byte(f.execKubeconfig(t, testToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), counter)),
		PollInterval: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := f.authedRequests(); n < 3 {
		t.Fatalf("only %d requests carried the exec token", n)
	}
	if n := execRuns(t, counter); n != 1 {
		t.Errorf("exec plugin ran %d times for a token valid an hour, want 1 (cached)", n)
	}
}

func TestExpiredExecCredentialIsRefreshed(t *testing.T) {
	f := newFakeAPI(t, testToken,
		&fakeObject{kind: "Service", namespace: "default", name: "echo", svcType: "LoadBalancer"})
	counter := counterFile(t)
	err := Run(context.Background(), Options{
		Kubeconfig:   []byte(f.execKubeconfig(t, testToken, "2000-01-01T00:00:00Z", counter)),
		PollInterval: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := execRuns(t, counter); n < 2 {
		t.Errorf("exec plugin ran %d times although its token had expired, want one run per request", n)
	}
}

func TestWrongTokenFailsFast(t *testing.T) {
	f := newFakeAPI(t, testToken)
	start := time.Now()
	err := Run(context.Background(), Options{
		Kubeconfig:   []byte(f.tokenKubeconfig("not-the-token")),
		Timeout:      10 * time.Second,
		PollInterval: 5 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v, want an HTTP 401", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("a 401 was retried until the timeout")
	}
}

func TestKubeconfigErrors(t *testing.T) {
	for name, tc := range map[string]struct{ kubeconfig, want string }{
		"not yaml": {"{[", "neither YAML nor JSON"},
		"no current context": {`contexts: [{name: a, context: {cluster: c}}, {name: b, context: {cluster: c}}]`,
			"no current-context"},
		"unknown context": {`current-context: x`, `context "x" not found`},
		"no credentials": {`
current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://example.invalid"}}]
users: [{name: u, user: {}}]`, `user "u" has neither a token nor an exec credential plugin`},
		"bad ca": {`
current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://example.invalid", certificate-authority-data: "bm90IGEgY2VydA=="}}]
users: [{name: u, user: {token: t}}]`, "no certificate"},
	} {
		t.Run(name, func(t *testing.T) {
			err := Run(context.Background(), Options{Kubeconfig: []byte(tc.kubeconfig)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestUnreachableAPIIsRetriedUntilTheTimeout(t *testing.T) {
	f := newFakeAPI(t, testToken)
	kc := f.tokenKubeconfig(testToken)
	f.srv.Close()
	start := time.Now()
	err := Run(context.Background(), Options{Kubeconfig: []byte(kc), Timeout: 60 * time.Millisecond, PollInterval: 5 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "timed out after 60ms") || !strings.Contains(err.Error(), SkipEnv+"=1") {
		t.Fatalf("err = %v, want a timeout naming %s", err, SkipEnv)
	}
	if time.Since(start) < 60*time.Millisecond {
		t.Errorf("gave up after %s, before the timeout", time.Since(start))
	}
}
