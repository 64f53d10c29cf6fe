package cleanup

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
)

// What a retry can fix is transient (nil); what it cannot is permanent,
// with advice that names the cause.
func TestPermanentOrTransient(t *testing.T) {
	api := func(code int) error {
		return &apiError{method: http.MethodGet, path: "/api/v1/services", code: code, message: "no"}
	}
	for _, tc := range []struct {
		what   string
		err    error
		advice string // "" for transient
	}{
		{"401", api(http.StatusUnauthorized), "rejected the credentials (HTTP 401)"},
		{"403", api(http.StatusForbidden), "(HTTP 403)"},
		{"404", api(http.StatusNotFound), "does not serve this Kubernetes API (HTTP 404)"},
		{"400", api(http.StatusBadRequest), "retrying will not change its answer"},
		{"408", api(http.StatusRequestTimeout), ""},
		{"409", api(http.StatusConflict), ""},
		{"410", api(http.StatusGone), ""},
		{"429", api(http.StatusTooManyRequests), ""},
		{"500", api(http.StatusInternalServerError), ""},
		{"499", api(499), "retrying will not change its answer"},
		{"a list that loops", fmt.Errorf("list: %w", &listLoopError{path: "/api/v1/pods", token: "x"}), "kubectl get --raw '/api/v1/pods?limit=1'"},
		{"an EKS endpoint that is gone", &net.DNSError{Name: "ABC.gr7.ap-northeast-2.eks.amazonaws.com.", IsNotFound: true}, "the EKS cluster is already deleted"},
		{"another name not found", &net.DNSError{Name: "api.example.com", IsNotFound: true}, ""},
		{"an EKS endpoint not answering DNS now", &net.DNSError{Name: "abc.gr7.ap-northeast-2.eks.amazonaws.com", IsTimeout: true}, ""},
		{"an unknown CA", fmt.Errorf("get: %w", x509.UnknownAuthorityError{}), "certificate is not trusted with this kubeconfig"},
		{"not TLS", fmt.Errorf("get: %w", tls.RecordHeaderError{}), "does not answer TLS"},
		{"http to an https port", fmt.Errorf("get: %w", http.ErrSchemeMismatch), "does not answer TLS"},
		{"connection refused", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), ""},
	} {
		p := permanent(tc.err)
		switch {
		case tc.advice == "" && p != nil:
			t.Errorf("%s: permanent (%v), want transient", tc.what, p)
		case tc.advice != "" && (p == nil || !strings.Contains(p.Error(), tc.advice) || !errors.Is(p, tc.err)):
			t.Errorf("%s: %v, want a permanent error wrapping it with %q", tc.what, p, tc.advice)
		}
	}
}

// The API server says which admission webhook it could not call.
func TestFailingWebhook(t *testing.T) {
	for err, want := range map[error]string{
		&apiError{code: 500, message: `Internal error occurred: failed calling webhook "vingress.elbv2.k8s.aws": failed to call webhook: connection refused`}: "vingress.elbv2.k8s.aws",
		&apiError{code: 500, message: "etcdserver: request timed out"}:                                                                                        "",
		errors.New(`failed calling webhook "x"`):                                                                                                              "",
	} {
		if got := failingWebhook(err); got != want {
			t.Errorf("failingWebhook(%v) = %q, want %q", err, got, want)
		}
	}
}

// The load balancer's name: a Service's or Ingress's status, or a Gateway's
// first address of type Hostname.
func TestObjectHost(t *testing.T) {
	for s, want := range map[string]string{
		`{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"},{"hostname":"k8s-a.elb.amazonaws.com"}]}}}`:                                                      "k8s-a.elb.amazonaws.com",
		`{"status":{"addresses":[{"type":"IPAddress","value":"192.0.2.1"},{"type":"Hostname","value":""},{"type":"Hostname","value":"k8s-g.elb.amazonaws.com"}]}}`: "k8s-g.elb.amazonaws.com",
		`{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"}]}}}`:                                                                                             "",
		`{}`: "",
	} {
		if got := decode[object](t, s).host(); got != want {
			t.Errorf("host of %s = %q, want %q", s, got, want)
		}
	}
}

// An object Pulumi manages stays unless the run includes them, and the log
// says so once.
func TestSkippedSaysWhyOnce(t *testing.T) {
	var log bytes.Buffer
	r := &run{opts: Options{Log: &log}, announced: map[string]bool{}}
	owned := meta{Namespace: "game", Name: "web", Labels: map[string]string{"app.kubernetes.io/managed-by": "pulumi"}}
	first, again := r.skipped(serviceKind, owned), r.skipped(serviceKind, owned)
	if !first || !again || r.skipped(serviceKind, meta{Namespace: "game", Name: "mine"}) {
		t.Error("a Pulumi-managed object not skipped, or a member's skipped")
	}
	r.skipped(ingressKind, owned)
	want := "lab cleanup: skipping Service game/web: Pulumi manages it (pulumi destroy deletes it; --include-pulumi-owned deletes it now)\n" +
		"lab cleanup: skipping Ingress game/web: Pulumi manages it (pulumi destroy deletes it; --include-pulumi-owned deletes it now)\n"
	if log.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", log.String(), want)
	}
	r.opts.IncludePulumiOwned = true
	if r.skipped(serviceKind, owned) {
		t.Error("skipped with --include-pulumi-owned")
	}
}

// NewAPI takes only a kubeconfig the cleanup can use.
func TestNewAPI(t *testing.T) {
	if _, err := NewAPI([]byte("not: [a kubeconfig")); err == nil {
		t.Error("a malformed kubeconfig: no error")
	}
	if _, err := NewAPI([]byte(`current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]`)); err != nil {
		t.Errorf("a kubeconfig with a token: %v", err)
	}
}
