package cleanup

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// client is a minimal Kubernetes REST client: the cleanup needs two lists and
// two deletes, which does not justify client-go's weight in the build.
type client struct {
	cfg      *restConfig
	pageSize int // objects per list call
}

// kind is one API resource the cleanup deletes.
type kind struct {
	name     string // Kubernetes kind, for messages
	kubectl  string // its name on a kubectl command line
	listPath string // all namespaces
	basePath string // prefix of the namespaced path
	plural   string
}

var (
	serviceKind = kind{name: "Service", kubectl: "service", listPath: "/api/v1/services", basePath: "/api/v1", plural: "services"}
	ingressKind = kind{name: "Ingress", kubectl: "ingress", listPath: "/apis/networking.k8s.io/v1/ingresses", basePath: "/apis/networking.k8s.io/v1", plural: "ingresses"}
)

// namespacePath is the path of the kind's objects in one namespace.
func (k kind) namespacePath(namespace string) string {
	return k.basePath + "/namespaces/" + url.PathEscape(namespace) + "/" + k.plural
}

// objectPath is the path of one object of the kind.
func (k kind) objectPath(namespace, name string) string {
	return k.namespacePath(namespace) + "/" + url.PathEscape(name)
}

// object holds the fields of a Service or Ingress the cleanup reads.
type object struct {
	Metadata struct {
		Name              string            `json:"name"`
		Namespace         string            `json:"namespace"`
		Labels            map[string]string `json:"labels"`
		Annotations       map[string]string `json:"annotations"`
		Finalizers        []string          `json:"finalizers"`
		DeletionTimestamp *string           `json:"deletionTimestamp"`
		ManagedFields     []struct {
			Manager string `json:"manager"`
		} `json:"managedFields"`
	} `json:"metadata"`
	Spec struct {
		Type  string `json:"type"` // Services
		Rules []struct {
			Host string `json:"host"`
		} `json:"rules"` // Ingresses
		TLS []struct {
			Hosts []string `json:"hosts"`
		} `json:"tls"` // Ingresses
	} `json:"spec"`
	Status struct {
		LoadBalancer struct {
			Ingress []struct {
				Hostname string `json:"hostname"`
				IP       string `json:"ip"`
			} `json:"ingress"`
		} `json:"loadBalancer"`
	} `json:"status"`
}

type objectList struct {
	Metadata struct {
		Continue string `json:"continue"`
	} `json:"metadata"`
	Items []object `json:"items"`
}

// apiError is a non-2xx answer of the API server.
type apiError struct {
	method, path string
	code         int
	message      string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.method, e.path, e.code, e.message)
}

// credentialError is a failure to get a token: retrying will not fix it.
type credentialError struct{ err error }

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

// permanent returns err as a *PermanentError when retrying cannot help, nil
// when it is transient: the API server can blip, restart or be unreachable
// for a while as nodes and controllers are torn down (network errors, 408,
// 429, 5xx), but a certificate it will not present differently, credentials
// it rejects or an API it does not serve stay so.
func permanent(err error) *PermanentError {
	var ce *credentialError
	if errors.As(err, &ce) {
		return &PermanentError{err, "The kubeconfig's credential plugin failed; for EKS check that the AWS CLI is installed and that `aws sts get-caller-identity` shows an identity with access to the cluster."}
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
		return &PermanentError{err, "The user may not list or delete Services and Ingresses in all namespaces (HTTP 403). Run the cleanup as a cluster admin (on EKS an access entry with AmazonEKSClusterAdminPolicy, which the stack gives its creator)."}
	case ae.code == http.StatusNotFound:
		return &PermanentError{err, "The server does not serve this Kubernetes API (HTTP 404): the kubeconfig's server URL is probably not the cluster's API server (check for a path after the host and port)."}
	// 410: a list's continue token expired; the next poll lists from the start.
	case ae.code == http.StatusRequestTimeout, ae.code == http.StatusGone, ae.code == http.StatusTooManyRequests, ae.code >= 500:
		return nil
	}
	return &PermanentError{err, "The API server refused the request; retrying will not change its answer."}
}

// list returns every object of k in all namespaces, following pagination.
func (c *client) list(ctx context.Context, k kind) ([]object, error) {
	var all []object
	cont := ""
	for {
		q := url.Values{"limit": {strconv.Itoa(c.pageSize)}}
		if cont != "" {
			q.Set("continue", cont)
		}
		var page objectList
		if err := c.do(ctx, http.MethodGet, k.listPath+"?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		cont = page.Metadata.Continue
		if cont == "" {
			return all, nil
		}
	}
}

// delete deletes one object with foreground propagation; an object already
// gone is not an error.
func (c *client) delete(ctx context.Context, k kind, namespace, name string) error {
	body := []byte(`{"apiVersion":"v1","kind":"DeleteOptions","propagationPolicy":"Foreground"}`)
	err := c.do(ctx, http.MethodDelete, k.objectPath(namespace, name), body, nil)
	var ae *apiError
	if errors.As(err, &ae) && ae.code == http.StatusNotFound {
		return nil
	}
	return err
}

func (c *client) do(ctx context.Context, method, path string, body []byte, out any) error {
	code, data, err := c.send(ctx, method, path, body)
	if err == nil && code == http.StatusUnauthorized {
		// The exec token may have been revoked or expired early: fetch a new one once.
		c.cfg.token.invalidate()
		code, data, err = c.send(ctx, method, path, body)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if code < 200 || code > 299 {
		return &apiError{method: method, path: path, code: code, message: statusMessage(data)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

func (c *client) send(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.server+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	tok, err := c.cfg.token.token(ctx)
	if err != nil {
		return 0, nil, &credentialError{err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.cfg.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, data, nil
}

// statusMessage extracts the message of a metav1.Status answer.
func statusMessage(data []byte) string {
	var st struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &st) == nil && st.Message != "" {
		return st.Message
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
