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
	"strconv"
	"strings"
)

// client is a minimal Kubernetes REST client: the cleanup needs a few lists,
// gets and deletes, which does not justify client-go's weight in the build.
type client struct {
	cfg      *restConfig
	pageSize int // objects per list call
}

// kind is one API resource the cleanup reads or deletes.
type kind struct {
	name       string // Kubernetes kind, for messages
	kubectl    string // its name on a kubectl command line
	apiPath    string // "/api/v1" or "/apis/GROUP/VERSION"
	plural     string
	namespaced bool
}

var (
	serviceKind     = kind{name: "Service", kubectl: "service", apiPath: "/api/v1", plural: "services", namespaced: true}
	ingressKind     = kind{name: "Ingress", kubectl: "ingress", apiPath: "/apis/networking.k8s.io/v1", plural: "ingresses", namespaced: true}
	podKind         = kind{name: "Pod", kubectl: "pod", apiPath: "/api/v1", plural: "pods", namespaced: true}
	nodeKind        = kind{name: "Node", kubectl: "node", apiPath: "/api/v1", plural: "nodes"}
	claimKind       = kind{name: "PersistentVolumeClaim", kubectl: "persistentvolumeclaim", apiPath: "/api/v1", plural: "persistentvolumeclaims", namespaced: true}
	volumeKind      = kind{name: "PersistentVolume", kubectl: "persistentvolume", apiPath: "/api/v1", plural: "persistentvolumes"}
	validatingHooks = kind{name: "ValidatingWebhookConfiguration", kubectl: "validatingwebhookconfiguration", apiPath: "/apis/admissionregistration.k8s.io/v1", plural: "validatingwebhookconfigurations"}
	mutatingHooks   = kind{name: "MutatingWebhookConfiguration", kubectl: "mutatingwebhookconfiguration", apiPath: "/apis/admissionregistration.k8s.io/v1", plural: "mutatingwebhookconfigurations"}
)

// Gateway API's kinds (v1 of the standard channel, v1.6.0: TCPRoute and
// UDPRoute became v1 there), named in full for kubectl: Istio, for one,
// serves gateways too.
var (
	gatewayKind   = gatewayAPIKind("Gateway", "gateways")
	httpRouteKind = gatewayAPIKind("HTTPRoute", "httproutes")
	routeKinds    = []kind{httpRouteKind, gatewayAPIKind("GRPCRoute", "grpcroutes"), gatewayAPIKind("TLSRoute", "tlsroutes"),
		gatewayAPIKind("TCPRoute", "tcproutes"), gatewayAPIKind("UDPRoute", "udproutes")}
)

func gatewayAPIKind(name, plural string) kind {
	return kind{name: name, kubectl: plural + "." + gatewayAPIGroup, apiPath: "/apis/" + gatewayAPIGroup + "/v1", plural: plural, namespaced: true}
}

// gatewayAPIGroup is Gateway API's API group.
const gatewayAPIGroup = "gateway.networking.k8s.io"

// isGatewayAPI reports whether k is a kind of Gateway API, whose CRDs a
// cluster may not have.
func (k kind) isGatewayAPI() bool { return strings.HasPrefix(k.apiPath, "/apis/"+gatewayAPIGroup+"/") }

// listPath is the path of the kind's objects in all namespaces.
func (k kind) listPath() string { return k.apiPath + "/" + k.plural }

// namespacePath is the path of the kind's objects in one namespace.
func (k kind) namespacePath(namespace string) string {
	return k.apiPath + "/namespaces/" + url.PathEscape(namespace) + "/" + k.plural
}

// objectPath is the path of one object of the kind (namespace is ignored
// for a cluster-scoped kind).
func (k kind) objectPath(namespace, name string) string {
	if !k.namespaced {
		return k.listPath() + "/" + url.PathEscape(name)
	}
	return k.namespacePath(namespace) + "/" + url.PathEscape(name)
}

// meta holds the metadata fields the cleanup reads, of any kind.
type meta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	Labels            map[string]string `json:"labels"`
	Annotations       map[string]string `json:"annotations"`
	Finalizers        []string          `json:"finalizers"`
	DeletionTimestamp *string           `json:"deletionTimestamp"`
	OwnerReferences   []ownerReference  `json:"ownerReferences"`
	ManagedFields     []struct {
		Manager string `json:"manager"`
	} `json:"managedFields"`
}

type ownerReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Controller bool   `json:"controller"`
}

// controllerOf is the owner reference that manages an object, if any.
func (m meta) controllerOf() (ownerReference, bool) {
	for _, o := range m.OwnerReferences {
		if o.Controller {
			return o, true
		}
	}
	return ownerReference{}, false
}

// object holds the fields of a Service, an Ingress, a Gateway or a route
// the cleanup reads.
type object struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		Type  string `json:"type"` // Services
		Rules []struct {
			Host string `json:"host"`
		} `json:"rules"` // Ingresses
		TLS []struct {
			Hosts []string `json:"hosts"`
		} `json:"tls"` // Ingresses
		Hostnames  []string    `json:"hostnames"`  // routes
		ParentRefs []parentRef `json:"parentRefs"` // routes
		Listeners  []listener  `json:"listeners"`  // Gateways
	} `json:"spec"`
	Status struct {
		LoadBalancer struct {
			Ingress []struct {
				Hostname string `json:"hostname"`
				IP       string `json:"ip"`
			} `json:"ingress"`
		} `json:"loadBalancer"`
		Addresses []struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"addresses"` // Gateways
	} `json:"status"`
}

// listener is a Gateway's listener.
type listener struct {
	Hostname string `json:"hostname"`
}

// parentRef is a route's reference to its parent: a Gateway unless Kind
// says otherwise (the CRDs' defaults are group gateway.networking.k8s.io and
// kind Gateway), in the route's namespace unless Namespace says otherwise.
type parentRef struct {
	Group     *string `json:"group"`
	Kind      string  `json:"kind"`
	Namespace string  `json:"namespace"`
	Name      string  `json:"name"`
}

// gateway reports whether the reference names a Gateway, and which one.
func (p parentRef) gateway(routeNamespace string) (string, bool) {
	if p.Kind != "" && p.Kind != "Gateway" || p.Group != nil && *p.Group != gatewayAPIGroup {
		return "", false
	}
	ns := p.Namespace
	if ns == "" {
		ns = routeNamespace
	}
	return ns + "/" + p.Name, true
}

// host is the load balancer's DNS name: a Service's or Ingress's status,
// or a Gateway's first address of type Hostname.
func (o object) host() string {
	for _, ing := range o.Status.LoadBalancer.Ingress {
		if ing.Hostname != "" {
			return ing.Hostname
		}
	}
	for _, a := range o.Status.Addresses {
		if a.Type == "Hostname" && a.Value != "" {
			return a.Value
		}
	}
	return ""
}

type list[T any] struct {
	Metadata struct {
		Continue string `json:"continue"`
	} `json:"metadata"`
	Items []T `json:"items"`
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

// listLoopError is a list whose continue token came back again: following it
// would read the same pages until the timeout.
type listLoopError struct {
	path, token string
}

func (e *listLoopError) Error() string {
	return fmt.Sprintf("GET %s: the API server answered continue token %q a second time; the list would never end, so it was stopped", e.path, e.token)
}

// listAll returns every object at path (a kind's list path, in all
// namespaces), following pagination. query adds selectors.
func listAll[T any](ctx context.Context, c *client, path string, query url.Values) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	cont := ""
	for {
		q := url.Values{"limit": {strconv.Itoa(c.pageSize)}}
		for k, v := range query {
			q[k] = v
		}
		if cont != "" {
			q.Set("continue", cont)
		}
		var page list[T]
		if err := c.do(ctx, http.MethodGet, path+"?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		cont = page.Metadata.Continue
		if cont == "" {
			return all, nil
		}
		if seen[cont] {
			return nil, &listLoopError{path: path, token: cont}
		}
		seen[cont] = true
	}
}

// Propagation policies of a delete.
const (
	foreground = "Foreground" // the object goes after its dependents
	background = "Background" // the object goes now, the garbage collector deletes its dependents
)

// delete deletes one object; an object already gone is not an error.
func (c *client) delete(ctx context.Context, k kind, namespace, name, propagation string) error {
	body := []byte(`{"apiVersion":"v1","kind":"DeleteOptions","propagationPolicy":"` + propagation + `"}`)
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
		return 0, nil, err
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
