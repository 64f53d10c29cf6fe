package tests

import (
	"math"
	"testing"

	"github.com/eks-study/lab/internal/estimate"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/plan"
)

// SPOT puts the node group on spot capacity with every configured type,
// nodeInstanceType first; the default stays on-demand with one type.
func TestSpotNodeGroup(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	p, err := withConfig(t, map[string]string{"eks-lab:nodeCapacityType": "SPOT", "eks-lab:nodeSpotInstanceTypes": `["m5.large"]`})
	if err == nil {
		t.Fatal("m5.large (8 GiB) accepted beside t3.medium (4 GiB)")
	}
	if len(p.Resources) != 0 {
		t.Errorf("%d resources registered before the configuration error", len(p.Resources))
	}
}

// A spot session's cost is bounded above by the highest on-demand price of
// the node group's types: the pod-identity stack's nodes are priced at the
// dearer of t3.medium and c5.large in Seoul, per node and hour, and the
// session's upper cost is the hourly total over the session.
func TestSpotSessionIsPricedAtTheDearestTypesOnDemandPrice(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "pod-identity")
	doc, err := plan.Build(p, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ng := must(t, p, tNodeGroup, "myeks-nodes")
	prices, err := estimate.Prices()
	if err != nil {
		t.Fatal(err)
	}
	region, ok := prices.Region("ap-northeast-2")
	if !ok {
		t.Fatal("no ap-northeast-2 prices")
	}
	var dearest float64
	for _, typ := range strs(ng.Inputs, "instanceTypes") {
		dearest = max(dearest, region.EC2Hourly[typ])
	}
	c := doc.Estimates.Cost
	var spot []estimate.CostItem
	for _, it := range c.Items {
		if it.Component == "EC2 spot" {
			spot = append(spot, it)
		}
	}
	if len(spot) != 1 || !spot[0].Priced || spot[0].UnitHourly != dearest || spot[0].Quantity != 3 || dearest <= region.EC2Hourly["t3.medium"] {
		t.Fatalf("spot items %+v; want 3 nodes at %g, the dearest on-demand price of %v", spot, dearest, strs(ng.Inputs, "instanceTypes"))
	}
	if c.Spot == nil || math.Abs(c.Spot.SpotOnDemand-3*dearest) > 1e-6 || math.Abs(c.SessionTotal-c.HourlyTotal*c.SessionHours) > 1e-3 || c.Spot.SessionHigh > c.SessionTotal {
		t.Errorf("cost %+v, spot range %+v: the session's upper cost must price the spot nodes on-demand", c, c.Spot)
	}
}
