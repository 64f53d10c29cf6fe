package tests

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/cluster"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
)

// Stack files AWS or the lab would refuse half-way through the first
// `pulumi up` are refused by Pulumi's loader or by the program before it
// registers anything, each problem named with its fix, all at once.
func TestStackFilesAWSWouldRefuseRegisterNothing(t *testing.T) {
	t.Parallel()
	const base = "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n"
	for _, tc := range []struct {
		name, extra string
		wants       []string
	}{
		{"namespace without its hyphen", "  ekslab:nodeMaxSize: 2\n", []string{"ekslab:nodeMaxSize", `namespace "ekslab"`, "did you mean eks-lab:nodeMaxSize?"}},
		{"namespace with an underscore", "  eks_lab:nodeMaxSize: 2\n", []string{"eks_lab:nodeMaxSize", "did you mean eks-lab:nodeMaxSize?"}},
		{"namespace with U+2010 HYPHEN", "  eks\u2010lab:nodeMaxSize: 2\n", []string{"U+2010", "did you mean eks-lab:nodeMaxSize?"}},
		{"namespace with U+2011 NON-BREAKING HYPHEN", "  eks\u2011lab:clusterName: lab\n", []string{"U+2011", "did you mean eks-lab:clusterName?"}},
		{"namespace with a Cyrillic e", "  \u0435ks-lab:nodeMaxSize: 2\n", []string{"U+0435", "did you mean eks-lab:nodeMaxSize?"}},
		{"plain-text secret key", "  aws:accessKey: AKIAIOSFODNN7EXAMPLE\n  aws:secretKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
			[]string{"aws:accessKey = [value not shown", "aws:secretKey = [value not shown", "no AWS credentials from config"}},
		{"assumed role", "  aws:assumeRole:\n    roleArn: arn:aws:iam::123456789012:role/lab\n", []string{"aws:assumeRole", "named profile"}},
		{"aws key the provider ignores", "  aws:skipCredentialsValidation: true\n", []string{"aws:skipCredentialsValidation", "takes only aws:region, aws:profile and aws:allowedAccountIds"}},
		{"empty cluster name", "  eks-lab:clusterName: \"\"\n", []string{"eks-lab:clusterName is set to an empty value", "default myeks"}},
		{"node count past 32 bits", "  eks-lab:nodeMaxSize: 4294967297\n", []string{"eks-lab:nodeMaxSize", "out of range"}},
		{"more nodes than EKS's quota", "  eks-lab:nodeMaxSize: 451\n", []string{"eks-lab:nodeMaxSize = 451", "0 to 450"}},
		{"no node", "  eks-lab:nodeMinSize: 0\n  eks-lab:nodeDesiredSize: 0\n", []string{"eks-lab:nodeDesiredSize = 0", "CoreDNS"}},
		{"owner IAM refuses", "  eks-lab:owner: \"alice (study)\"\n", []string{"eks-lab:owner", "IAM tag values"}},
		{"loopback VPC", "  eks-lab:vpcCidr: 127.0.0.0/16\n", []string{"eks-lab:vpcCidr", "loopback"}},
		{"region that does not exist", "  aws:region: ap-northeast-9\n", []string{"aws:region", "not a region"}},
		{"more AZs than the region gives", "  aws:region: us-west-1\n", []string{"us-west-1 gives an account 2"}},
		{"version out of standard support", "  eks-lab:kubernetesVersion: \"1.34\"\n", []string{"eks-lab:kubernetesVersion", "2026-12-02"}},
		{"account ID that lost its leading zero", "  aws:allowedAccountIds:\n    - 012345678901\n", []string{"aws:allowedAccountIds", "12-digit"}},
		{"two problems at once", "  ekslab:nodeMaxSize: 2\n  eks-lab:clusterName: \"\"\n", []string{`namespace "ekslab"`, "eks-lab:clusterName is set to an empty value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := offline.LoadStack(stackRoot(t, "s", base+tc.extra), "s", nil)
			if err == nil {
				var p *offline.Plan
				p, err = mock.Run(cfg)
				if err != nil && len(p.Resources) > 0 {
					t.Errorf("refused after registering %d resources, e.g. %s", len(p.Resources), p.Resources[0].URN)
				}
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, secret := range []string{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the refusal shows a credential: %v", err)
				}
			}
		})
	}
}

// The standard aws: keys the lab takes reach the aws provider, the
// kubeconfig's `aws eks get-token` (pulumi-eks's providerCredentialOpts) and
// the commands the stack outputs.
func TestHonouredAWSKeysReachTheProvider(t *testing.T) {
	t.Parallel()
	root := stackRoot(t, "s", `config:
  eks-lab:sshCidr: 203.0.113.7/32
  aws:profile: study-admin
  aws:allowedAccountIds:
    - 123456789012
`)
	cfg, err := offline.LoadStack(root, "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mock.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	provider, ok := p.Find("pulumi:providers:aws", "aws")
	if !ok {
		t.Fatal("no aws provider")
	}
	if got := offline.Get(provider.Inputs, "profile"); got != "study-admin" {
		t.Errorf("provider profile = %v, want study-admin", got)
	}
	if got := offline.Get(provider.Inputs, "allowedAccountIds"); got != `["123456789012"]` && !slices.Equal(toStrings(got), []string{"123456789012"}) {
		t.Errorf("provider allowedAccountIds = %#v, want [123456789012]", got)
	}
	eks, ok := p.Find("eks:index:Cluster", "myeks")
	if !ok {
		t.Fatal("no eks:index:Cluster myeks")
	}
	if got := offline.Get(eks.Inputs, "providerCredentialOpts.profileName"); got != "study-admin" {
		t.Errorf("pulumi-eks providerCredentialOpts.profileName = %v, want study-admin: the kubeconfig would use the shell's credentials", got)
	}
	for _, out := range []string{"kubeconfigCommand", "ssmCommand"} {
		if s, _ := p.Outputs[out].(string); !strings.HasSuffix(s, " --profile study-admin") {
			t.Errorf("%s = %q, want --profile study-admin", out, s)
		}
	}

	// Without them the provider and the kubeconfig use the shell's credentials.
	cfg, err = offline.LoadStack(stackRoot(t, "s", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n"), "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = mock.Run(cfg); err != nil {
		t.Fatal(err)
	}
	provider, _ = p.Find("pulumi:providers:aws", "aws")
	eks, _ = p.Find("eks:index:Cluster", "myeks")
	if offline.Get(provider.Inputs, "profile") != nil || offline.Get(eks.Inputs, "providerCredentialOpts") != nil {
		t.Errorf("a profile appears without aws:profile: %v, %v", provider.Inputs["profile"], eks.Inputs["providerCredentialOpts"])
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, e := range l {
		out[i], _ = e.(string)
	}
	return out
}

// The EKS cluster pulumi-eks creates inside its remote component gets the
// STANDARD upgrade policy from the program's transform: the engine calls it
// for the component's children, which the mock engine does not see, so the
// test calls the registered callback as the engine would.
func TestTheEKSClusterIsPinnedToStandardSupport(t *testing.T) {
	t.Parallel()
	cfg, err := offline.LoadStack(stackRoot(t, "s", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n"), "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mock.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	eks, ok := p.Find("eks:index:Cluster", "myeks")
	if !ok {
		t.Fatal("no eks:index:Cluster myeks")
	}
	child := map[string]any{"name": "myeks", "version": "1.35", "roleArn": "arn:aws:iam::123456789012:role/myeks-eksRole-role"}
	got, err := mock.Transformed(eks, cluster.EKSClusterType, "myeks-eksCluster", child)
	if err != nil {
		t.Fatal(err)
	}
	if offline.Get(got, "upgradePolicy.supportType") != "STANDARD" || got["name"] != "myeks" || got["version"] != "1.35" {
		t.Errorf("the EKS cluster is registered with %v, want its inputs and upgradePolicy.supportType STANDARD", got)
	}
	role, err := mock.Transformed(eks, "aws:iam/role:Role", "myeks-eksRole-role", map[string]any{"name": "r"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := role["upgradePolicy"]; ok {
		t.Errorf("the transform changes other children: %v", role)
	}
}

// The mock engine's zones are the region's, so every layout config accepts
// is planned: six AZs in us-east-1.
func TestAllZonesOfTheRegionArePlanned(t *testing.T) {
	t.Parallel()
	cfg, err := offline.LoadStack(stackRoot(t, "s", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  aws:region: us-east-1\n  eks-lab:availabilityZoneCount: 6\n"), "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mock.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if zones := fmt.Sprint(p.Outputs["availabilityZones"]); zones != "[us-east-1a us-east-1b us-east-1c us-east-1d us-east-1e us-east-1f]" {
		t.Errorf("zones %v, want us-east-1a to us-east-1f", p.Outputs["availabilityZones"])
	}
}
