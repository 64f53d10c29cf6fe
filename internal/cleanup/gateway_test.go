package cleanup

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/internal/testing/kubetest"
)

// TestGatewayAPI really applies Gateway API's standard channel, as the
// program does with a Gateway sample on, runs its cases, and removes it
// again, so the other tests run on a cluster without it. Installing and
// removing the CRDs takes most of the time: once for all the cases.
func TestGatewayAPI(t *testing.T) {
	srv := kubetest.Shared(t)
	text, err := awslbc.CRDs(awslbc.GatewayAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	paths := srv.Install(t, text)
	defer srv.Uninstall(t, paths)
	t.Run("DeletesGatewaysAndTheirRoutesAndWaitsForTheController", deletesGatewaysAndTheirRoutesAndWaitsForTheController)
	t.Run("TimeoutNamesAGatewayAndItsPatch", timeoutNamesAGatewayAndItsPatch)
	t.Run("DNSNamesTargetsHTTPRoutes", dnsNamesTargetsHTTPRoutes)
}

// removeGatewayAPIObjects strips the finalizers no controller removes from
// the namespace's Gateways and routes, which would hold the CRDs' deletion.
func (f *fixture) removeGatewayAPIObjects() {
	for _, k := range append([]kind{gatewayKind}, routeKinds...) {
		var items list[object]
		if err := json.Unmarshal(f.srv.Must(f.t, http.StatusOK, http.MethodGet, k.namespacePath(f.ns), nil), &items); err != nil {
			f.t.Fatal(err)
		}
		for _, o := range items.Items {
			f.srv.Must(f.t, http.StatusOK, http.MethodPatch, k.objectPath(f.ns, o.Metadata.Name), map[string]any{"metadata": map[string]any{"finalizers": nil}})
		}
	}
}

// newGatewayFixture is a test namespace on the server with Gateway API.
func newGatewayFixture(t *testing.T) *fixture {
	f := newFixture(t)
	t.Cleanup(f.removeGatewayAPIObjects)
	return f
}

// gatewayObj is a Gateway of class alb with one HTTP listener (with
// hostname, when not ""), as a member makes with kubectl.
func (f *fixture) createGateway(name, hostname string, labels map[string]string, finalizers ...string) obj {
	f.t.Helper()
	listener := map[string]any{"name": "http", "protocol": "HTTP", "port": 80}
	if hostname != "" {
		listener["hostname"] = hostname
	}
	md := map[string]any{"name": name, "namespace": f.ns, "finalizers": finalizers, "labels": labels}
	f.srv.Must(f.t, http.StatusCreated, http.MethodPost, gatewayKind.namespacePath(f.ns), map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": md,
		"spec": map[string]any{"gatewayClassName": "alb", "listeners": []any{listener}},
	})
	return obj{kind: gatewayKind, name: name}
}

// createRoute creates a route of kind k with one rule to Service web:80,
// attached to parents (none: unattached).
func (f *fixture) createRoute(k kind, name string, annotations map[string]string, parents ...map[string]any) obj {
	f.t.Helper()
	spec := map[string]any{"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": "web", "port": 80}}}}}
	if len(parents) > 0 {
		refs := make([]any, len(parents))
		for i, p := range parents {
			refs[i] = p
		}
		spec["parentRefs"] = refs
	}
	f.srv.Must(f.t, http.StatusCreated, http.MethodPost, k.namespacePath(f.ns), map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": k.name,
		"metadata": map[string]any{"name": name, "namespace": f.ns, "annotations": annotations}, "spec": spec,
	})
	return obj{kind: k, name: name}
}

// setGatewayAddress writes the load balancer's DNS name to the Gateway's
// status, as the controller does (gateway_controller.go at v3.5.0).
func (f *fixture) setGatewayAddress(o obj, host string) {
	f.t.Helper()
	f.srv.Must(f.t, http.StatusOK, http.MethodPatch, f.path(o)+"/status", map[string]any{
		"status": map[string]any{"addresses": []any{map[string]any{"type": "Hostname", "value": host}}},
	})
}

func findKind(name string) kind {
	for _, k := range routeKinds {
		if k.name == name {
			return k
		}
	}
	panic(name)
}

// A member's Gateway holds the controller's finalizer like an Ingress: the
// cleanup deletes it and every route attached to a Gateway, waits for the
// controller to delete the ALB, and leaves a route attached to nothing.
func deletesGatewaysAndTheirRoutesAndWaitsForTheController(t *testing.T) {
	f := newGatewayFixture(t)
	gw := f.createGateway("gw", "", nil, "gateway.k8s.aws/alb")
	f.setGatewayAddress(gw, "k8s-default-gw-0123456789.ap-northeast-2.elb.amazonaws.com")
	route := f.createRoute(httpRouteKind, "route", nil, map[string]any{"name": "gw"})
	tcp := f.createRoute(findKind("TCPRoute"), "tcp-elsewhere", nil, map[string]any{"name": "gw", "namespace": "other"})
	loose := f.createRoute(findKind("TCPRoute"), "loose", nil)
	echo := lbService("echo", "service.k8s.aws/resources")
	f.create(echo)
	pulumiGW := f.createGateway("pulumi-gw", "", map[string]string{"app.kubernetes.io/managed-by": "pulumi"})
	ctl := f.startController(gw, echo)

	var log strings.Builder
	o := f.opts(kubetest.AdminToken, &log)
	o.IncludePulumiOwned = false
	f.runDeletes(o, gw, route, tcp, echo)
	if !f.exists(loose) {
		t.Error("a TCPRoute attached to no Gateway was deleted")
	}
	if !f.exists(pulumiGW) {
		t.Error("a Gateway Pulumi manages was deleted without --include-pulumi-owned")
	}
	for _, want := range []string{"deleting Gateway " + f.ns + "/gw (load balancer k8s-default-gw-0123456789.ap-northeast-2.elb.amazonaws.com; finalizers gateway.k8s.aws/alb [AWS Load Balancer Controller]", "deleting HTTPRoute " + f.ns + "/route", "deleting TCPRoute " + f.ns + "/tcp-elsewhere"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	ctl.check()
}

// Without the controller a Gateway stays: the report names its load
// balancer and the kubectl patch with Gateway API's full resource name.
func timeoutNamesAGatewayAndItsPatch(t *testing.T) {
	f := newGatewayFixture(t)
	gw := f.createGateway("stuck", "", nil, "gateway.k8s.aws/nlb")
	f.setGatewayAddress(gw, "k8s-default-stuck-0123456789.elb.ap-northeast-2.amazonaws.com")
	msg := f.runUntilTimeout(f.opts(kubetest.AdminToken, nil)).Error()
	for _, want := range []string{
		"Gateway " + f.ns + "/stuck (load balancer k8s-default-stuck-0123456789.elb.ap-northeast-2.amazonaws.com; finalizers gateway.k8s.aws/nlb [AWS Load Balancer Controller]",
		`aws elbv2 describe-load-balancers --query "LoadBalancers[?DNSName=='k8s-default-stuck-0123456789.elb.ap-northeast-2.amazonaws.com'].LoadBalancerArn"`,
		"kubectl get gateways.gateway.networking.k8s.io -A",
		"kubectl -n " + f.ns + " patch gateways.gateway.networking.k8s.io stuck --type merge -p '{\"metadata\":{\"finalizers\":null}}'",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("timeout message lacks %q:\n%s", want, msg)
		}
	}
	if code, body := f.patchFinalizersNull(gw); code != http.StatusOK || f.exists(gw) {
		t.Errorf("the printed patch: HTTP %d %s; the Gateway exists afterwards: %v", code, body, f.exists(gw))
	}
}

// Before ExternalDNS goes, the HTTPRoutes it has records for go: with
// hostnames, the hostname annotation, or a Gateway listener's hostname.
// Gateways themselves and other routes are the load balancer cleanup's.
func dnsNamesTargetsHTTPRoutes(t *testing.T) {
	f := newGatewayFixture(t)
	plain := f.createGateway("plain", "", nil)
	f.createGateway("named", "web.lab.example.com", nil)
	annotated := f.createRoute(httpRouteKind, "annotated", map[string]string{annHostname: "route.lab.example.com"}, map[string]any{"name": "plain"})
	underNamed := f.createRoute(httpRouteKind, "under-named", nil, map[string]any{"name": "named"})
	unnamed := f.createRoute(httpRouteKind, "unnamed", nil, map[string]any{"name": "plain"})
	tcp := f.createRoute(findKind("TCPRoute"), "tcp", map[string]string{annHostname: "tcp.lab.example.com"}, map[string]any{"name": "plain"})

	o := f.opts(kubetest.AdminToken, nil)
	o.Targets = DNSNames
	f.runDeletes(o, annotated, underNamed)
	for _, o := range []obj{plain, unnamed, tcp} {
		if !f.exists(o) {
			t.Errorf("%s %s has no name ExternalDNS publishes, yet was deleted", o.kind.name, o.name)
		}
	}
}

// Without Gateway API's CRDs (no Gateway sample ever on) the cleanup does
// what it did before and says why it deletes no Gateway.
func TestGatewayAPIAbsentIsNotAnError(t *testing.T) {
	f := newFixture(t)
	if code, _, err := f.srv.Do(http.MethodGet, "/apis/gateway.networking.k8s.io/v1", "", nil); err != nil || code != http.StatusNotFound {
		t.Fatalf("GET /apis/gateway.networking.k8s.io/v1: HTTP %d %v; the test needs a cluster without Gateway API", code, err)
	}
	echo := lbService("echo", "service.k8s.aws/resources")
	f.create(echo)
	f.startController(echo)
	var log strings.Builder
	f.runDeletes(f.opts(kubetest.AdminToken, &log), echo)
	if !strings.Contains(log.String(), "Gateway API is not installed") {
		t.Errorf("log does not say why no Gateway was deleted:\n%s", log.String())
	}
}
