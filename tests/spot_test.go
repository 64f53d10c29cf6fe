package tests

import (
	"testing"

	"github.com/eks-study/lab/internal/offline"
)

// SPOT puts the node group on spot capacity with every configured type,
// nodeInstanceType first; the default stays on-demand with one type.
func TestSpotNodeGroup(t *testing.T) {
	p := stackPlan(t, "pod-identity")
	ng := must(t, p, tNodeGroup, "myeks-nodes")
	expectEqual(t, "capacity type", offline.Get(ng.Inputs, "capacityType"), "SPOT")
	expectEqual(t, "instance types", strs(ng.Inputs, "instanceTypes"), []string{"t3.medium", "c5.large"})
	// The types go through the API, not the launch template: EKS takes several
	// types for spot only that way (EKS user guide, managed-node-groups).
	lt := must(t, p, tLaunchTmpl, "myeks-nodes")
	if offline.Get(lt.Inputs, "instanceType") != nil {
		t.Errorf("the launch template sets an instance type: %v", offline.Get(lt.Inputs, "instanceType"))
	}

	dev := must(t, stackPlan(t, "dev"), tNodeGroup, "myeks-nodes")
	expectEqual(t, "dev capacity type", offline.Get(dev.Inputs, "capacityType"), "ON_DEMAND")
	expectEqual(t, "dev instance types", strs(dev.Inputs, "instanceTypes"), []string{"t3.medium"})
}

// A spot type of another size fails before anything is registered.
func TestSpotTypeOfAnotherSizeRegistersNothing(t *testing.T) {
	p, err := withConfig(t, map[string]string{"eks-lab:nodeCapacityType": "SPOT", "eks-lab:nodeSpotInstanceTypes": `["m5.large"]`})
	if err == nil {
		t.Fatal("m5.large (8 GiB) accepted beside t3.medium (4 GiB)")
	}
	if len(p.Resources) != 0 {
		t.Errorf("%d resources registered before the configuration error", len(p.Resources))
	}
}
