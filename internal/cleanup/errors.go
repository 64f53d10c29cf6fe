package cleanup

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
)

// credentialError is a failure to get a token from the kubeconfig's
// credentials: retrying will not fix it. advice says what will.
type credentialError struct {
	err    error
	advice string
}

func (e *credentialError) Error() string { return e.err.Error() }
func (e *credentialError) Unwrap() error { return e.err }

// PermanentError is a failure that no retry can fix: the cleanup stops at
// once and says what to do instead of polling until the timeout.
type PermanentError struct {
	err    error
	advice string
}

func (e *PermanentError) Error() string { return e.err.Error() + "\n" + e.advice }
func (e *PermanentError) Unwrap() error { return e.err }

// eksHostSuffixes are the domains of EKS API server endpoints
// (https://<id>.<gr7|yl4|...>.<region>.eks.amazonaws.com, .cn in China).
var eksHostSuffixes = []string{".eks.amazonaws.com", ".eks.amazonaws.com.cn"}

// permanent returns err as a *PermanentError when retrying cannot help, nil
// when it is transient: the API server can blip, restart or be unreachable
// for a while as nodes and controllers are torn down (network errors, 408,
// 409, 429, 5xx), but a certificate it will not present differently,
// credentials it rejects or an API it does not serve stay so.
func permanent(err error) *PermanentError {
	var ce *credentialError
	if errors.As(err, &ce) {
		return &PermanentError{err, ce.advice}
	}
	var loop *listLoopError
	if errors.As(err, &loop) {
		return &PermanentError{err, "The API server, or a proxy in front of it, repeats a list's continue token. " +
			"Check that the kubeconfig's server is the cluster's API server itself (kubectl get --raw '" + loop.path + "?limit=1' shows the first page)."}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound && isEKSHost(dnsErr.Name) {
		return &PermanentError{err, "The cluster's API server name " + dnsErr.Name + " does not exist (NXDOMAIN): the EKS cluster is already deleted, so there is nothing left to clean up in it. " +
			"Run pulumi destroy again with " + SkipEnv + "=1 to skip the cleanup, then go run ./cmd/lab audit --stack STACK to find load balancers and volumes left behind."}
	}
	var (
		unknownCA    x509.UnknownAuthorityError
		hostname     x509.HostnameError
		invalid      x509.CertificateInvalidError
		verification *tls.CertificateVerificationError
		notTLS       tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verification):
		return &PermanentError{err, "The API server's certificate is not trusted with this kubeconfig: its certificate-authority(-data) is not the cluster's CA, or the server address is not one the certificate names. " +
			"Use the cluster's own kubeconfig (pulumi stack output kubeconfig --show-secrets > kubeconfig.json, or aws eks update-kubeconfig --name CLUSTER --region REGION) and run the cleanup again."}
	case errors.As(err, &notTLS), errors.Is(err, http.ErrSchemeMismatch):
		return &PermanentError{err, "The server does not answer TLS: check the server URL of the kubeconfig's cluster (https://, host and port)."}
	}
	var ae *apiError
	if !errors.As(err, &ae) {
		return nil // a transport error: connection refused or reset, timeout, DNS
	}
	switch {
	case ae.code == http.StatusUnauthorized:
		return &PermanentError{err, "The API server rejected the credentials (HTTP 401). For EKS the token comes from `aws eks get-token`: check that `aws sts get-caller-identity` is an identity with an access entry on the cluster, in the cluster's account."}
	case ae.code == http.StatusForbidden:
		return &PermanentError{err, "The user may not list or delete what the cleanup deletes in all namespaces (HTTP 403). Run the cleanup as a cluster admin (on EKS an access entry with AmazonEKSClusterAdminPolicy, which the stack gives its creator)."}
	case ae.code == http.StatusNotFound:
		return &PermanentError{err, "The server does not serve this Kubernetes API (HTTP 404): the kubeconfig's server URL is probably not the cluster's API server (check for a path after the host and port)."}
	// 409: a delete raced another update of the object (optimistic concurrency);
	// 410: a list's continue token expired. The next poll starts again.
	case ae.code == http.StatusRequestTimeout, ae.code == http.StatusConflict, ae.code == http.StatusGone,
		ae.code == http.StatusTooManyRequests, ae.code >= 500:
		return nil
	}
	return &PermanentError{err, "The API server refused the request; retrying will not change its answer."}
}

func isEKSHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, s := range eksHostSuffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// webhookCall matches the API server's message when it cannot call an
// admission webhook: `failed calling webhook "NAME": ...` (ErrCallingWebhook
// in k8s.io/apiserver v0.35.4, pkg/util/webhook/error.go).
var webhookCall = regexp.MustCompile(`failed calling webhook "([^"]+)"`)

// failingWebhook is the name of the admission webhook the API server could
// not call for err, or "".
func failingWebhook(err error) string {
	var ae *apiError
	if !errors.As(err, &ae) {
		return ""
	}
	if m := webhookCall.FindStringSubmatch(ae.message); m != nil {
		return m[1]
	}
	return ""
}
