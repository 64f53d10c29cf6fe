package tests

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/externaldns"
	"github.com/eks-study/lab/components/identity"
	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
	"github.com/eks-study/lab/internal/versions"
)

func deployExternalDNS(t *testing.T, args externaldns.ExternalDNSArgs) (*offline.Plan, error) {
	return deployExternalDNSIn(t, trust.IRSA, args)
}

func deployExternalDNSIn(t *testing.T, mode trust.Mode, args externaldns.ExternalDNSArgs) (*offline.Plan, error) {
	t.Helper()
	return mock.RunProgram("test", nil, func(ctx *pulumi.Context) error {
		awsProv, k8s, err := mock.Providers(ctx)
		if err != nil {
			return err
		}
		args.Cluster = identity.Cluster{
			Mode: mode, Name: pulumi.String("myeks"),
			OidcProviderArn: pulumi.String(mockProviderArn), OidcIssuer: pulumi.String(mockIssuer),
		}
		_, err = externaldns.NewExternalDNS(ctx, "edns", &args, pulumi.Providers(awsProv, k8s))
		return err
	})
}

var labZone = externaldns.ExternalDNSArgs{Domain: "example.com", HostedZoneID: "Z0123456789ABCDEFGHIJ", Region: "ap-northeast-2", TxtOwnerID: "eks-lab-alice"}

func TestExternalDNSForOneZone(t *testing.T) {
	t.Parallel()
	p, err := deployExternalDNS(t, labZone)
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := p.Find("aws:iam/policy:Policy", "edns")
	if !strings.Contains(pol.Inputs["policy"].(string), `"arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"`) ||
		strings.Contains(pol.Inputs["policy"].(string), "hostedzone/*") {
		t.Errorf("policy is not scoped to the zone: %v", pol.Inputs["policy"])
	}

	role, _ := p.Find("aws:iam/role:Role", "edns-irsa")
	var trust struct {
		Statement []struct{ Condition map[string]map[string]string }
	}
	if err := json.Unmarshal([]byte(role.Inputs["assumeRolePolicy"].(string)), &trust); err != nil {
		t.Fatal(err)
	}
	if sub := trust.Statement[0].Condition["StringEquals"][mockIssuer+":sub"]; sub != "system:serviceaccount:kube-system:external-dns" {
		t.Errorf("trusted subject = %q", sub)
	}

	rel, ok := p.Find("kubernetes:helm.sh/v3:Release", "edns")
	if !ok {
		t.Fatal("no release")
	}
	if rel.Inputs["chart"] != "external-dns" || rel.Inputs["version"] != versions.ExternalDNSChart ||
		rel.Inputs["repositoryOpts"].(map[string]any)["repo"] != "https://kubernetes-sigs.github.io/external-dns/" ||
		rel.Inputs["namespace"] != "kube-system" {
		t.Errorf("release = %v", rel.Inputs)
	}
	v := rel.Inputs["values"].(map[string]any)
	if v["txtOwnerId"] != "eks-lab-alice" || v["policy"] != "sync" || !slices.Equal(v["domainFilters"].([]any), []any{"example.com"}) ||
		v["image"].(map[string]any)["tag"] != versions.ExternalDNS {
		t.Errorf("txtOwnerId/policy/domainFilters = %v/%v/%v", v["txtOwnerId"], v["policy"], v["domainFilters"])
	}
	if !slices.Contains(v["extraArgs"].([]any), any("--zone-id-filter=Z0123456789ABCDEFGHIJ")) {
		t.Errorf("extraArgs = %v", v["extraArgs"])
	}
	if v["serviceAccount"].(map[string]any)["annotations"].(map[string]any)["eks.amazonaws.com/role-arn"] != "arn:aws:iam::123456789012:role/edns-irsa" {
		t.Errorf("service account annotations = %v", v["serviceAccount"])
	}
	att, _ := p.Find("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "edns-irsa-AllowExternalDNSUpdates")
	if !slices.Contains(rel.Dependencies, att.URN) {
		t.Errorf("release may outlive its permissions on destroy (deps %v)", rel.Dependencies)
	}
	k8s, _ := p.Find("pulumi:providers:kubernetes", "k8s")
	if !strings.HasPrefix(rel.Provider, k8s.URN+"::") {
		t.Errorf("release provider = %q", rel.Provider)
	}
}

func TestBadZoneRegistersNothing(t *testing.T) {
	t.Parallel()
	bad := labZone
	bad.HostedZoneID = ""
	p, err := deployExternalDNS(t, bad)
	if err == nil {
		t.Fatal("no error for an empty hosted zone id")
	}
	for _, r := range p.Resources {
		if !strings.HasPrefix(r.Type, "pulumi:providers:") {
			t.Errorf("registered %s %s", r.Type, r.Name)
		}
	}
}

func TestExternalDNSWithPodIdentity(t *testing.T) {
	t.Parallel()
	p, err := deployExternalDNSIn(t, trust.PodIdentity, labZone)
	if err != nil {
		t.Fatal(err)
	}
	assoc, ok := p.Find("aws:eks/podIdentityAssociation:PodIdentityAssociation", "edns-pod-identity")
	if !ok || assoc.Inputs["serviceAccount"] != "external-dns" || assoc.Inputs["namespace"] != "kube-system" ||
		assoc.Inputs["roleArn"] != "arn:aws:iam::123456789012:role/edns-pod-identity" {
		t.Fatalf("association = %v", assoc.Inputs)
	}
	rel, _ := p.Find("kubernetes:helm.sh/v3:Release", "edns")
	if _, ok := rel.Inputs["values"].(map[string]any)["serviceAccount"]; ok {
		t.Errorf("service account annotated in Pod Identity mode: %v", rel.Inputs["values"])
	}
	att, _ := p.Find("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "edns-pod-identity-AllowExternalDNSUpdates")
	for _, dep := range []string{assoc.URN, att.URN} {
		if !slices.Contains(rel.Dependencies, dep) {
			t.Errorf("release does not wait for (and outlive on destroy) %s", dep)
		}
	}
}
