package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/identity"
)

func TestCapacityAndIdentityDefaults(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeCapacityType != CapacityOnDemand || c.WorkloadIdentity != identity.IRSA {
		t.Errorf("capacity %q, identity %q; want the study's on-demand nodes and IRSA", c.NodeCapacityType, c.WorkloadIdentity)
	}
	if got := c.NodeInstanceTypes(); !slices.Equal(got, []string{"t3.medium"}) {
		t.Errorf("instance types = %v", got)
	}
}

func TestSpotWithAlternativesOfTheSameSize(t *testing.T) {
	c, err := load(t, map[string]string{
		"eks-lab:nodeCapacityType": "SPOT", "eks-lab:nodeSpotInstanceTypes": `["t3a.medium","c5.large"]`,
		"eks-lab:workloadIdentity": "pod-identity",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.NodeInstanceTypes(); !slices.Equal(got, []string{"t3.medium", "t3a.medium", "c5.large"}) {
		t.Errorf("instance types = %v, want nodeInstanceType first", got)
	}
	if c.NodeCapacityType != CapacitySpot || c.WorkloadIdentity != identity.PodIdentity {
		t.Errorf("capacity %q, identity %q", c.NodeCapacityType, c.WorkloadIdentity)
	}
}

func TestCapacityAndIdentityRules(t *testing.T) {
	spot := func(types string) map[string]string {
		return map[string]string{"eks-lab:nodeCapacityType": "SPOT", "eks-lab:nodeSpotInstanceTypes": types}
	}
	cases := []struct {
		name  string
		set   map[string]string
		wants []string
	}{
		{"capacity type", map[string]string{"eks-lab:nodeCapacityType": "spot"}, []string{"eks-lab:nodeCapacityType", `"spot"`, "ON_DEMAND or SPOT"}},
		{"alternatives need spot", map[string]string{"eks-lab:nodeSpotInstanceTypes": `["t3a.medium"]`}, []string{"eks-lab:nodeSpotInstanceTypes", "[t3a.medium]", "set nodeCapacityType to SPOT"}},
		{"bigger memory", spot(`["t3.large"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"t3.large"`, "2 vCPUs and 8 GiB", "t3.medium has 2 vCPUs and 4 GiB", "same size"}},
		{"more vCPUs", spot(`["c5.xlarge"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"c5.xlarge"`, "4 vCPUs"}},
		{"other architecture", spot(`["t4g.medium"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"t4g.medium"`, "arm64", "x86_64", "one AMI"}},
		{"unknown type", spot(`["t2.medium"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"t2.medium"`, "not in the instance size table"}},
		{"not a type", spot(`["medium"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"medium"`, "family.size"}},
		{"listed twice", spot(`["t3.medium"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"t3.medium"`, "twice"}},
		{"unknown primary", map[string]string{"eks-lab:nodeInstanceType": "t2.medium", "eks-lab:nodeCapacityType": "SPOT", "eks-lab:nodeSpotInstanceTypes": `["t3.medium"]`},
			[]string{"eks-lab:nodeInstanceType", `"t2.medium"`, "matched to its size"}},
		{"identity mode", map[string]string{"eks-lab:workloadIdentity": "podidentity"}, []string{"eks-lab:workloadIdentity", `"podidentity"`, "irsa", "pod-identity"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.set)
			if err == nil {
				t.Fatalf("config %v accepted", tc.set)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
