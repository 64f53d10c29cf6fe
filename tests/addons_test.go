package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/internal/offline"
)

const (
	tRelease   = "kubernetes:helm.sh/v3:Release"
	tCommand   = "command:local:Command"
	tWorkloads = "eks-lab:workloads:Workloads"
)

var withDNS = map[string]string{
	"eks-lab:domain":            "example.com",
	"eks-lab:hostedZoneId":      "Z0123456789ABCDEFGHIJ",
	"eks-lab:sampleTetris":      "true",
	"eks-lab:albGroupName":      "lab",
	"eks-lab:acmCertificateArn": "arn:aws:acm:ap-northeast-2:123456789012:certificate/0f0e0d0c-0000-4000-8000-000000000000",
}

// under tells whether r is a descendant of a resource of type typ.
func under(p *offline.Plan, r offline.Resource, typ string) bool {
	for parent := r.Parent; parent != ""; {
		pr, ok := p.ByURN(parent)
		if !ok {
			return false
		}
		if pr.Type == typ {
			return true
		}
		parent = pr.Parent
	}
	return false
}

// Destroy must delete every sample object while the controllers still run,
// and the controllers before the nodes they run on.
func TestAddonsTeardownOrder(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, withDNS)
	if err != nil {
		t.Fatal(err)
	}
	lbc := must(t, p, tRelease, "aws-load-balancer-controller")
	edns := must(t, p, tRelease, "external-dns")
	nodes := p.OfType(tNodeGroup)
	if len(nodes) != 1 {
		t.Fatalf("%d node groups", len(nodes))
	}
	for _, ctrl := range []offline.Resource{lbc, edns} {
		if !slices.Contains(ctrl.Dependencies, nodes[0].URN) {
			t.Errorf("release %s does not depend on the node group", ctrl.Name)
		}
	}
	// The cleanups of members' own load balancers run after the samples are
	// gone and before the controllers are (cleanup_test.go has more).
	var cleanups []offline.Resource
	for _, name := range []string{"cleanup", "aws-load-balancer-controller-cleanup", "external-dns-cleanup"} {
		cleanup := must(t, p, tCommand, name)
		cleanups = append(cleanups, cleanup)
		for _, dep := range []offline.Resource{lbc, edns, nodes[0]} {
			if !slices.Contains(cleanup.Dependencies, dep.URN) {
				t.Errorf("the %s command does not run before %s %s is deleted", name, dep.Type, dep.Name)
			}
		}
	}
	var objects, balancers int
	for _, r := range p.Resources {
		if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") || !under(p, r, tWorkloads) {
			continue
		}
		objects++
		if offline.Get(r.Inputs, "spec.type") == "LoadBalancer" || r.Type == "kubernetes:networking.k8s.io/v1:Ingress" {
			balancers++
		}
		for _, ctrl := range append([]offline.Resource{lbc, edns}, cleanups...) {
			// Directly, not only through the parent component: the engine
			// orders deletes by each resource's own dependencies.
			if !slices.Contains(r.Dependencies, ctrl.URN) || !p.DependsOn(r.URN, ctrl.URN) {
				t.Errorf("%s %s is not deleted before %s", r.Type, r.Name, ctrl.Name)
			}
		}
	}
	// echo, proxy protocol, instance Cluster and Local, tetris, and the 2048 Ingress.
	if balancers != 6 || objects < 25 {
		t.Errorf("%d sample objects, %d of them load balancers; want every sample", objects, balancers)
	}
}

func TestAddonOutputs(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, withDNS)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		"echoNlbUrl", "proxyProtocolNlbUrl", "instanceModeClusterUrl", "instanceModeLocalUrl",
		"game2048Url", "tetrisUrl", "lbControllerRoleArn", "externalDnsRoleArn",
	} {
		if _, ok := p.Outputs[key]; !ok {
			t.Errorf("no stack output %s", key)
		}
	}
	if p.Outputs["tetrisUrl"] != "http://tetris.example.com" {
		t.Errorf("tetrisUrl = %v", p.Outputs["tetrisUrl"])
	}
	rel := must(t, p, tRelease, "external-dns")
	if owner := offline.Get(rel.Inputs, "values.txtOwnerId"); owner != "eks-lab-dev" {
		t.Errorf("txtOwnerId = %v, want <project>-<stack>", owner)
	}
	// What the scheduled sweep audits a stack without a file by.
	if p.Outputs["hostedZoneId"] != "Z0123456789ABCDEFGHIJ" || p.Outputs["txtOwnerId"] != "eks-lab-dev" {
		t.Errorf("hostedZoneId, txtOwnerId outputs = %v, %v; want the zone and ExternalDNS's owner", p.Outputs["hostedZoneId"], p.Outputs["txtOwnerId"])
	}
}

func TestNoDomainNoExternalDNS(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Find(tRelease, "external-dns"); ok {
		t.Error("ExternalDNS installed without eks-lab:domain and eks-lab:hostedZoneId")
	}
	for _, r := range p.Resources {
		if strings.Contains(r.Name, "external-dns") {
			t.Errorf("registered %s %s for ExternalDNS", r.Type, r.Name)
		}
	}
	if _, ok := p.Outputs["externalDnsRoleArn"]; ok {
		t.Error("externalDnsRoleArn output without ExternalDNS")
	}
	// "" tells the sweep's audit that there are no records to look for.
	if zone, ok := p.Outputs["hostedZoneId"]; !ok || zone != "" {
		t.Errorf("hostedZoneId output = %v, %v; want \"\" without ExternalDNS", zone, ok)
	}
	must(t, p, tRelease, "aws-load-balancer-controller")
}

func TestNoControllerNoRelease(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, merged(map[string]string{"eks-lab:lbController": "false"}, samplesOff(needsLBController)))
	if err != nil {
		t.Fatal(err)
	}
	if rels := p.OfType(tRelease); len(rels) != 0 {
		t.Errorf("releases without controllers: %v", rels)
	}
	must(t, p, "kubernetes:apps/v1:Deployment", "samples-netshoot-netshoot")
	if _, ok := p.Outputs["lbControllerRoleArn"]; ok {
		t.Error("lbControllerRoleArn output without the controller")
	}
}
