package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/externaldns/extdns"
	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/versions"
)

// In every stack the controller's CRDs are applied from the vendored chart files
// before its release, with the lab's Kubernetes provider, and Helm skips them.
func TestLoadBalancerControllerCRDsBeforeTheRelease(t *testing.T) {
	t.Parallel()
	stacks, err := offline.Stacks(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range stacks {
		p := stackPlan(t, stack)
		rel := must(t, p, tRelease, awslbc.ReleaseName)
		expectEqual(t, stack+" chart", []any{rel.Inputs["version"], rel.Inputs["skipCrds"]}, []any{versions.LBControllerChart, true})
		k8s := must(t, p, tK8sProv, "k8s")
		for _, f := range awslbc.CRDFiles {
			cf := must(t, p, "kubernetes:yaml/v2:ConfigGroup", awslbc.ReleaseName+"-"+strings.TrimSuffix(f, ".yaml"))
			text, _ := awslbc.CRDs(f)
			if cf.Inputs["yaml"] != text {
				t.Errorf("%s: %s is not applied from the vendored file", stack, f)
			}
			if !slices.Contains(rel.Dependencies, cf.URN) {
				t.Errorf("%s: the release does not wait for %s", stack, f)
			}
			if !strings.HasPrefix(cf.Provider, k8s.URN+"::") {
				t.Errorf("%s: %s provider %q", stack, f, cf.Provider)
			}
		}
	}
}

// ExternalDNS v0.22 reads only annotations under its prefix: the samples'
// hostname annotation must carry the one the release sets.
func TestExternalDNSReadsTheSamplesAnnotations(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "private-nat")
	rel := must(t, p, tRelease, extdns.ReleaseName)
	prefix := str(rel.Inputs, "values.annotationPrefix")
	if prefix == "" || !strings.HasPrefix(catalog.AnnExternalDNSHost, prefix) {
		t.Errorf("ExternalDNS annotation prefix %q; the samples annotate %s", prefix, catalog.AnnExternalDNSHost)
	}
	expectEqual(t, "ExternalDNS image", str(rel.Inputs, "values.image.tag"), versions.ExternalDNS)
}

// The load balancer controller's chart registers webhooks with failurePolicy
// Fail for the creation of every Service and Ingress (and deletes a
// Gateway's load balancer only while it runs): every other release
// (ExternalDNS's chart creates a Service) and every Service or Ingress the
// lab creates must wait until the controller's release is ready, and so go
// before it on destroy. Without the controller, ExternalDNS waits for nothing
// it does not have.
func TestServicesAndIngressesWaitForTheControllersWebhook(t *testing.T) {
	t.Parallel()
	plans := map[string]*offline.Plan{}
	stacks, err := offline.Stacks(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range stacks {
		plans[stack] = stackPlan(t, stack)
	}
	dns, err := withConfig(t, withDNS)
	if err != nil {
		t.Fatal(err)
	}
	plans["dev with ExternalDNS"] = dns
	for name, p := range plans {
		lbc := must(t, p, tRelease, awslbc.ReleaseName)
		var waiting int
		for _, r := range p.Resources {
			switch {
			case r.URN == lbc.URN:
				continue
			case r.Type == tRelease, r.Type == "kubernetes:core/v1:Service", r.Type == "kubernetes:networking.k8s.io/v1:Ingress",
				// Gateway API objects and the controller's configurations: its
				// finalizers, and its load balancers, go with it.
				strings.HasPrefix(r.Type, "kubernetes:gateway.networking.k8s.io/"), strings.HasPrefix(r.Type, "kubernetes:gateway.k8s.aws/"):
				waiting++
				if !slices.Contains(r.Dependencies, lbc.URN) {
					t.Errorf("%s: %s %s is created while the controller's webhook may not serve yet", name, r.Type, r.Name)
				}
			}
		}
		if waiting < 3 {
			t.Errorf("%s: %d releases, Services and Ingresses checked; want the samples' and ExternalDNS's", name, waiting)
		}
	}

	p, err := withConfig(t, merged(map[string]string{
		"eks-lab:domain": "example.com", "eks-lab:hostedZoneId": "Z0123456789ABCDEFGHIJ", "eks-lab:lbController": "false",
	}, samplesOff(needsLBController)))
	if err != nil {
		t.Fatal(err)
	}
	edns := must(t, p, tRelease, extdns.ReleaseName)
	if !slices.Contains(edns.Dependencies, must(t, p, tNodeGroup, "myeks-nodes").URN) {
		t.Error("without the load balancer controller, ExternalDNS no longer waits for the nodes")
	}
}
