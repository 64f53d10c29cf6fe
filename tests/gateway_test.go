package tests

import (
	"context"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/externaldns/extdns"
	"github.com/eks-study/lab/components/lbcontroller"
	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/components/workloads"
	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/internal/offline"
)

// The Kubernetes types of Gateway API and of the controller's configuration.
const (
	typeGatewayClass = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
	typeGateway      = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	typeHTTPRoute    = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	typeTCPRoute     = "kubernetes:gateway.networking.k8s.io/v1:TCPRoute"
	typeLBConfig     = "kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration"
	typeTGConfig     = "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration"
	gatewayAPIGroup  = "aws-load-balancer-controller-gateway-api"
)

// dependsOnAll fails unless r depends on each of the others.
func dependsOnAll(t *testing.T, r offline.Resource, others ...offline.Resource) {
	t.Helper()
	for _, o := range others {
		if !slices.Contains(r.Dependencies, o.URN) {
			t.Errorf("%s %s does not depend on %s %s", r.Type, r.Name, o.Type, o.Name)
		}
	}
}

// The ALB Gateway sample: an internet-facing ALB with ip targets, whose
// HTTPRoute routes /blue and /green to their own Services and splits / 90/10.
// The Gateway waits for what its load balancer is built from; the route for
// the Gateway and its Services.
func TestALBGatewaySample(t *testing.T) {
	t.Parallel()
	r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: catalog.Selection{catalog.GatewayALB: true}})
	lbc := r.must(t, typeLBConfig, "samples-gateway-alb-internet-facing")
	expectEqual(t, "scheme", offline.Get(lbc.Inputs, "spec.scheme"), "internet-facing")
	gw := r.must(t, typeGateway, "samples-gateway-alb-web")
	expectEqual(t, "Gateway", []any{
		offline.Get(gw.Inputs, "spec.gatewayClassName"), offline.Get(gw.Inputs, "spec.listeners.0.protocol"), offline.Get(gw.Inputs, "spec.listeners.0.port"),
		offline.Get(gw.Inputs, "spec.infrastructure.parametersRef.kind"), offline.Get(gw.Inputs, "spec.infrastructure.parametersRef.name"),
		offline.Get(gw.Inputs, "metadata.name"), offline.Get(lbc.Inputs, "metadata.name"),
	}, []any{"alb", "HTTP", 80, "LoadBalancerConfiguration", "internet-facing", "web", "internet-facing"})
	if annotations(gw)["pulumi.com/waitFor"] != "jsonpath={.status.addresses[0].value}" {
		t.Errorf("pulumi up does not wait for the ALB's name: annotations %v", annotations(gw))
	}
	dependsOnAll(t, gw, lbc)
	var services []offline.Resource
	for _, app := range []string{"blue", "green"} {
		svc := r.must(t, typeService, "samples-gateway-alb-"+app)
		tgc := r.must(t, typeTGConfig, "samples-gateway-alb-"+app)
		expectEqual(t, app+" Service", []any{offline.Get(svc.Inputs, "spec.type"), offline.Get(svc.Inputs, "spec.selector.app"), offline.Get(svc.Inputs, "spec.ports.0.port"), offline.Get(svc.Inputs, "spec.ports.0.targetPort")},
			[]any{"ClusterIP", app, 80, 8080})
		expectEqual(t, app+" target group", []any{offline.Get(tgc.Inputs, "spec.targetReference.name"), offline.Get(tgc.Inputs, "spec.defaultConfiguration.targetType")}, []any{app, "ip"})
		d := r.must(t, typeDeployment, "samples-gateway-alb-"+app)
		expectEqual(t, app+" replicas", offline.Get(d.Inputs, "spec.replicas"), 2)
		dependsOnAll(t, gw, svc, tgc)
		services = append(services, svc)
	}
	route := r.must(t, typeHTTPRoute, "samples-gateway-alb-blue-green")
	expectEqual(t, "parentRef", []any{offline.Get(route.Inputs, "spec.parentRefs.0.kind"), offline.Get(route.Inputs, "spec.parentRefs.0.name"), offline.Get(route.Inputs, "spec.parentRefs.0.sectionName")}, []any{"Gateway", "web", "http"})
	for i, want := range []struct {
		path     string
		backends []any
	}{
		{"/blue", []any{"blue", nil}},
		{"/green", []any{"green", nil}},
		{"/", []any{"blue", 90, "green", 10}},
	} {
		rule := offline.Get(route.Inputs, "spec.rules").([]any)[i].(map[string]any)
		var got []any
		for _, b := range rule["backendRefs"].([]any) {
			got = append(got, offline.Get(b.(map[string]any), "name"), offline.Get(b.(map[string]any), "weight"))
		}
		expectEqual(t, "rule "+want.path, []any{offline.Get(rule, "matches.0.path.type"), offline.Get(rule, "matches.0.path.value"), got}, []any{"PathPrefix", want.path, want.backends})
	}
	if h := offline.Get(route.Inputs, "spec.hostnames"); h != nil {
		t.Errorf("hostnames %v: the ALB's own name would get a 404", h)
	}
	if _, ok := annotations(route)[catalog.AnnExternalDNSHost]; ok {
		t.Errorf("a hostname annotation without ExternalDNS: %v", annotations(route))
	}
	dependsOnAll(t, route, append(services, gw)...)
	if u, ok := r.urls[catalog.OutGatewayALB]; !ok || u != "" {
		t.Errorf("%s = %q (present %v), want \"\" until the controller writes the ALB's name", catalog.OutGatewayALB, u, ok)
	}

	// With ExternalDNS, and only then, the route carries blue-green.<domain>.
	for _, tc := range []struct {
		externalDNS bool
		want        any
	}{{true, "blue-green.example.com"}, {false, nil}} {
		r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: catalog.Selection{catalog.GatewayALB: true}, Domain: "example.com", ExternalDNS: tc.externalDNS})
		expectEqual(t, "hostname annotation", annotations(r.must(t, typeHTTPRoute, "samples-gateway-alb-blue-green"))[catalog.AnnExternalDNSHost], tc.want)
	}
}

// The NLB Gateway sample: the echo NLB's twin, internet-facing, cross-zone,
// ip targets, a TCPRoute to the echo Service.
func TestNLBGatewaySample(t *testing.T) {
	t.Parallel()
	r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: catalog.Selection{catalog.GatewayNLB: true}})
	lbc := r.must(t, typeLBConfig, "samples-gateway-nlb-internet-facing")
	expectEqual(t, "NLB configuration", []any{offline.Get(lbc.Inputs, "spec.scheme"), offline.Get(lbc.Inputs, "spec.loadBalancerAttributes.0.key"), offline.Get(lbc.Inputs, "spec.loadBalancerAttributes.0.value")},
		[]any{"internet-facing", "load_balancing.cross_zone.enabled", "true"})
	gw := r.must(t, typeGateway, "samples-gateway-nlb-echo")
	expectEqual(t, "Gateway", []any{offline.Get(gw.Inputs, "spec.gatewayClassName"), offline.Get(gw.Inputs, "spec.listeners.0.name"), offline.Get(gw.Inputs, "spec.listeners.0.protocol"), offline.Get(gw.Inputs, "spec.listeners.0.port")},
		[]any{"nlb", "tcp", "TCP", 80})
	svc := r.must(t, typeService, "samples-gateway-nlb-echo")
	tgc := r.must(t, typeTGConfig, "samples-gateway-nlb-echo")
	expectEqual(t, "target type", offline.Get(tgc.Inputs, "spec.defaultConfiguration.targetType"), "ip")
	dependsOnAll(t, gw, lbc, svc, tgc)
	route := r.must(t, typeTCPRoute, "samples-gateway-nlb-echo")
	expectEqual(t, "TCPRoute", []any{offline.Get(route.Inputs, "spec.parentRefs.0.name"), offline.Get(route.Inputs, "spec.parentRefs.0.sectionName"), offline.Get(route.Inputs, "spec.rules.0.backendRefs.0.name"), offline.Get(route.Inputs, "spec.rules.0.backendRefs.0.port")},
		[]any{"echo", "tcp", "echo", 80})
	dependsOnAll(t, route, gw, svc)
}

// With a Gateway sample on, the program applies Gateway API's standard
// channel from the vendored file before the controller's release (which
// detects the CRDs only at start), and rolls the controller's pods; the
// GatewayClasses come after the release, are kept on delete, and every
// Gateway waits for them. Without one: none of it.
func TestGatewayAPIBeforeTheControllerAndTheClassesAfter(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	rel := must(t, p, tRelease, awslbc.ReleaseName)
	group := must(t, p, "kubernetes:yaml/v2:ConfigGroup", gatewayAPIGroup)
	text, _ := awslbc.CRDs(awslbc.GatewayAPIFile)
	if group.Inputs["yaml"] != text || !group.Remote {
		t.Errorf("Gateway API is not applied from the vendored file")
	}
	dependsOnAll(t, rel, group)
	expectEqual(t, "pod annotation", str(rel.Inputs, "values.podAnnotations.eks-lab/gateway-api"), "v1.6.0")
	var classes []offline.Resource
	for class, controller := range map[string]string{"alb": "gateway.k8s.aws/alb", "nlb": "gateway.k8s.aws/nlb"} {
		gc := must(t, p, typeGatewayClass, awslbc.ReleaseName+"-"+class)
		expectEqual(t, class+" class", []any{str(gc.Inputs, "metadata.name"), str(gc.Inputs, "spec.controllerName")}, []any{class, controller})
		if len(str(gc.Inputs, "spec.description")) > 64 {
			t.Errorf("%s: description over the CRD's 64 characters", class)
		}
		if !gc.RetainOnDelete {
			t.Errorf("%s: the class is deleted with the samples; a member's Gateway would hold its finalizer", class)
		}
		dependsOnAll(t, gc, rel)
		classes = append(classes, gc)
	}
	gateways := p.OfType(typeGateway)
	if len(gateways) != 2 {
		t.Errorf("dev plans %d Gateways, want the ALB's and the NLB's", len(gateways))
	}
	for _, gw := range gateways {
		dependsOnAll(t, gw, classes...)
	}

	off := stackPlan(t, "private-nat")
	if _, ok := off.Find("kubernetes:yaml/v2:ConfigGroup", gatewayAPIGroup); ok {
		t.Error("private-nat has no Gateway sample, yet installs Gateway API")
	}
	if len(off.OfType(typeGatewayClass)) != 0 {
		t.Error("private-nat has no Gateway sample, yet GatewayClasses")
	}
	if v := str(must(t, off, tRelease, awslbc.ReleaseName).Inputs, "values.podAnnotations.eks-lab/gateway-api"); v != "" {
		t.Errorf("private-nat: the controller's pods carry %s=%s", awslbc.GatewayAPIAnnotation, v)
	}
}

// ExternalDNS reads HTTPRoutes only where Gateway API is installed, after
// it; never TCPRoutes or UDPRoutes, whose source stops v0.22.0.
func TestExternalDNSGatewaySourceOnlyWithTheCRDs(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "pod-identity")
	edns := must(t, p, tRelease, extdns.ReleaseName)
	expectEqual(t, "sources", strs(edns.Inputs, "values.sources"), []string{"service", "ingress", "gateway-httproute"})
	dependsOnAll(t, edns, must(t, p, "kubernetes:yaml/v2:ConfigGroup", gatewayAPIGroup))
	expectEqual(t, "hostname annotation", annotations(must(t, p, typeHTTPRoute, "samples-gateway-alb-blue-green"))[catalog.AnnExternalDNSHost], "blue-green.lab.example.com")

	noGateway, err := withConfig(t, merged(withDNS, samplesOff(func(s catalog.Sample) bool { return s.NeedsGatewayAPI })))
	if err != nil {
		t.Fatal(err)
	}
	if v := offline.Get(must(t, noGateway, tRelease, extdns.ReleaseName).Inputs, "values.sources"); v != nil {
		t.Errorf("without Gateway API: sources %v, want the chart's default (an HTTPRoute source without its CRD stops ExternalDNS)", v)
	}
}

// KeepCRDs keeps Gateway API's admission policy and its binding with the
// CRDs, and leaves other kinds alone.
func TestKeepCRDsKeepsGatewayAPIsAdmissionPolicy(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{
		"kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
		"kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
	} {
		got := lbcontroller.KeepCRDs(context.Background(), &pulumi.ResourceTransformArgs{Type: typ, Props: pulumi.Map{}})
		if got == nil || !got.Opts.RetainOnDelete {
			t.Errorf("%s is not retained on delete", typ)
			continue
		}
		expectEqual(t, typ+" patchForce", got.Props["metadata"].(pulumi.Map)["annotations"].(pulumi.Map)["pulumi.com/patchForce"], pulumi.String("true"))
	}
	if got := lbcontroller.KeepCRDs(context.Background(), &pulumi.ResourceTransformArgs{Type: "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration", Props: pulumi.Map{}}); got != nil {
		t.Errorf("a webhook configuration was transformed: %+v", got)
	}
}
