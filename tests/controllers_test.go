package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/externaldns"
	"github.com/eks-study/lab/components/lbcontroller"
	"github.com/eks-study/lab/components/workloads"
	"github.com/eks-study/lab/internal/offline"
)

// In every stack the controller's CRDs are applied from the tagged chart
// before its release, with the lab's Kubernetes provider, and Helm skips them.
func TestLoadBalancerControllerCRDsBeforeTheRelease(t *testing.T) {
	stacks, err := offline.Stacks(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range stacks {
		p := stackPlan(t, stack)
		rel := must(t, p, tRelease, lbcontroller.ReleaseName)
		expectEqual(t, stack+" chart", []any{rel.Inputs["version"], rel.Inputs["skipCrds"]}, []any{lbcontroller.ChartVersion, true})
		k8s := must(t, p, tK8sProv, "k8s")
		for _, f := range lbcontroller.CRDFiles {
			cf := must(t, p, "kubernetes:yaml/v2:ConfigFile", lbcontroller.ReleaseName+"-"+strings.TrimSuffix(f, ".yaml"))
			expectEqual(t, stack+" "+f, cf.Inputs["file"], lbcontroller.CRDURL(f))
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
	p := stackPlan(t, "private-nat")
	rel := must(t, p, tRelease, externaldns.ReleaseName)
	prefix := str(rel.Inputs, "values.annotationPrefix")
	if prefix == "" || !strings.HasPrefix(workloads.AnnExternalDNSHost, prefix) {
		t.Errorf("ExternalDNS annotation prefix %q; the samples annotate %s", prefix, workloads.AnnExternalDNSHost)
	}
	expectEqual(t, "ExternalDNS image", str(rel.Inputs, "values.image.tag"), externaldns.AppVersion)
}
