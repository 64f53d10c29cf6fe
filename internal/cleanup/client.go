package cleanup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// client is a minimal Kubernetes REST client: the cleanup needs two lists and
// two deletes, which does not justify client-go's weight in the build.
type client struct {
	cfg *restConfig
}

// kind is one API resource the cleanup deletes.
type kind struct {
	name     string // Kubernetes kind, for messages
	listPath string // all namespaces
	basePath string // prefix of the namespaced path
	plural   string
	// target reports whether an object of this kind holds a cloud load balancer.
	target func(object) bool
}

var (
	serviceKind = kind{
		name:     "Service",
		listPath: "/api/v1/services",
		basePath: "/api/v1",
		plural:   "services",
		target:   func(o object) bool { return o.Spec.Type == "LoadBalancer" },
	}
	// Every Ingress: with the AWS Load Balancer Controller each one is (part of) an ALB.
	ingressKind = kind{
		name:     "Ingress",
		listPath: "/apis/networking.k8s.io/v1/ingresses",
		basePath: "/apis/networking.k8s.io/v1",
		plural:   "ingresses",
		target:   func(object) bool { return true },
	}
)

// object holds the fields of a Service or Ingress the cleanup reads.
type object struct {
	Metadata struct {
		Name              string   `json:"name"`
		Namespace         string   `json:"namespace"`
		UID               string   `json:"uid"`
		Finalizers        []string `json:"finalizers"`
		DeletionTimestamp *string  `json:"deletionTimestamp"`
	} `json:"metadata"`
	Spec struct {
		Type string `json:"type"` // Services only
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

// retryable reports whether polling should go on after err: the API server
// can blip while nodes and controllers are being torn down.
func retryable(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.code == http.StatusTooManyRequests || ae.code >= 500
	}
	var ce *credentialError
	return !errors.As(err, &ce) // transport errors are worth another try
}

// list returns every object of k in all namespaces, following pagination.
func (c *client) list(ctx context.Context, k kind) ([]object, error) {
	var all []object
	cont := ""
	for {
		q := url.Values{"limit": {"500"}}
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
	path := fmt.Sprintf("%s/namespaces/%s/%s/%s", k.basePath, url.PathEscape(namespace), k.plural, url.PathEscape(name))
	err := c.do(ctx, http.MethodDelete, path, body, nil)
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
