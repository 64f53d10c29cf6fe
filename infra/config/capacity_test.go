package config

import (
	"slices"
	"testing"

	"github.com/eks-study/lab/components/identity/trust"
)

func TestCapacityAndIdentityDefaults(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeCapacityType != CapacityOnDemand || c.WorkloadIdentity != trust.IRSA {
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
	if c.NodeCapacityType != CapacitySpot || c.WorkloadIdentity != trust.PodIdentity {
		t.Errorf("capacity %q, identity %q", c.NodeCapacityType, c.WorkloadIdentity)
	}
}
