package tests

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/internal/estimate"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
	"github.com/eks-study/lab/internal/plan"
)

// planOf runs the program for a stack file with overrides, set as `pulumi
// config set` would, and builds its plan document.
func planOf(t *testing.T, stack string, overrides map[string]string) *plan.Document {
	t.Helper()
	cfg, err := offline.LoadStack(root, stack, overrides)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mock.Run(cfg)
	if err != nil {
		t.Fatalf("stack %s with %v: %v", stack, overrides, err)
	}
	d, err := plan.Build(p, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func jsonOf(t *testing.T, d *plan.Document) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := d.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPlanJSONIsByteIdenticalAcrossRuns(t *testing.T) {
	t.Parallel()
	a, b := jsonOf(t, planOf(t, "dev", nil)), jsonOf(t, planOf(t, "dev", nil))
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs of dev differ (%d and %d bytes)", len(a), len(b))
	}
	// The only timestamp is the default expiry, taken from the offline engine's fixed clock.
	expiry := offline.Now.Add(8 * time.Hour).Format(time.RFC3339)
	for _, ts := range regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d[^"]*`).FindAll(a, -1) {
		if string(ts) != expiry {
			t.Errorf("the plan contains the timestamp %s; only the expiry %s may appear", ts, expiry)
		}
	}
	for _, key := range []string{`"stack": "dev"`, `"resources": [`, `"outputs": {`, `"estimates": {`, `"dependencies": [`, `"parent": "urn:pulumi:dev::`} {
		if !bytes.Contains(a, []byte(key)) {
			t.Errorf("plan JSON lacks %s", key)
		}
	}
}

// The lab's config refuses node subnets too small for max pods; a plan
// still flags them, whatever program made it.
func TestSmallSubnetsDoNotFit(t *testing.T) {
	t.Parallel()
	p, err := mock.RunProgram("dev", nil, func(ctx *pulumi.Context) error {
		awsProvider, _, err := mock.Providers(ctx)
		if err != nil {
			return err
		}
		withAWS := pulumi.Provider(awsProvider)
		subnet, err := ec2.NewSubnet(ctx, "small", &ec2.SubnetArgs{
			VpcId: pulumi.String("vpc-1"), CidrBlock: pulumi.String("192.168.0.0/28"), AvailabilityZone: pulumi.String("ap-northeast-2a"),
		}, withAWS)
		if err != nil {
			return err
		}
		_, err = awseks.NewNodeGroup(ctx, "nodes", &awseks.NodeGroupArgs{
			ClusterName: pulumi.String("c"), NodeRoleArn: pulumi.String("arn:aws:iam::123456789012:role/n"),
			SubnetIds: pulumi.StringArray{subnet.ID()}, InstanceTypes: pulumi.ToStringArray([]string{"m5.large"}),
			ScalingConfig: awseks.NodeGroupScalingConfigArgs{DesiredSize: pulumi.Int(2), MinSize: pulumi.Int(2), MaxSize: pulumi.Int(2)},
		}, withAWS)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := plan.Build(p, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// /28 subnets hold 11 addresses; two m5.large nodes at 29 pods take 2 x (27 + 3 ENIs).
	for _, s := range d.Estimates.Capacity[0].Subnets {
		if s.UsableAddresses != 11 || s.Fits || s.AddressesAtMax != 60 {
			t.Errorf("subnet %+v: want 11 usable, 60 needed, not fitting", s)
		}
	}
	var b bytes.Buffer
	if err := plan.Render(&b, d, "text"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "NO: needs 60 addresses") {
		t.Errorf("text plan does not flag the subnets:\n%s", b.String())
	}
}

// EKS caps max pods at 110 below 30 vCPUs: the plan counts the cap, not the ENI limit.
func TestPlanCountsTheManagedNodeGroupMaxPodsCap(t *testing.T) {
	t.Parallel()
	d := planOf(t, "dev", map[string]string{"eks-lab:nodeInstanceType": "m5.4xlarge"})
	c := d.Estimates.Capacity[0]
	if c.ENIMaxPods != 234 || c.MaxPodsPerNode != 110 || c.PodsAtMax != 6*110 {
		t.Errorf("m5.4xlarge: ENI limit %d, max pods %d, pods at max %d; want 234, 110, 660", c.ENIMaxPods, c.MaxPodsPerNode, c.PodsAtMax)
	}
	var b bytes.Buffer
	if err := plan.Render(&b, d, "text"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "8 ENIs x 30 IPv4 -> 234, capped at 110 for 16 vCPUs") {
		t.Errorf("text plan does not show the cap:\n%s", b.String())
	}
}

func TestDiffOfTwoRealPlans(t *testing.T) {
	t.Parallel()
	base := planOf(t, "dev", map[string]string{"eks-lab:sampleEchoNlb": "false"})
	head := planOf(t, "dev", map[string]string{"eks-lab:nodeInstanceType": "m5.large"})
	d := plan.Compare(base, head)
	var nodeGroup *plan.ResourceChange
	for i, c := range d.Changed {
		if c.Resource.Type == "aws:eks/nodeGroup:NodeGroup" {
			nodeGroup = &d.Changed[i]
		}
	}
	if nodeGroup == nil {
		t.Fatalf("node group not among the changed resources %v", d.Changed)
	}
	if len(nodeGroup.Changes) != 1 || nodeGroup.Changes[0] != (plan.Change{Path: "instanceTypes[0]", Old: `"t3.medium"`, New: `"m5.large"`}) {
		t.Errorf("node group changes %+v", nodeGroup.Changes)
	}
	var addedService bool
	for _, r := range d.Added {
		if r.Type == "kubernetes:core/v1:Service" && str(r.Inputs, "spec.type") == "LoadBalancer" {
			addedService = true
		}
	}
	if !addedService || len(d.Removed) != 0 {
		t.Errorf("added %d (LoadBalancer Service among them: %v), removed %d", len(d.Added), addedService, len(d.Removed))
	}
	var md, text bytes.Buffer
	if err := plan.RenderDiff(&md, d, "markdown"); err != nil {
		t.Fatal(err)
	}
	if err := plan.RenderDiff(&text, d, "text"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Lab plan diff: `dev`", "to add, ", "### Added (", "### Changed (", "| `instanceTypes[0]` | `\"t3.medium\"` | `\"m5.large\"` |", "| hourly cost | `$", "| `echoNlbUrl` |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown diff lacks %q:\n%s", want, md.String())
		}
	}
	for _, want := range []string{"~ myeks-nodes  aws:eks/nodeGroup:NodeGroup\n    instanceTypes[0]: \"t3.medium\" -> \"m5.large\"", "+ samples-echo-nlb", "max pods per node, myeks-nodes: 17 (t3.medium) -> 29 (m5.large)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text diff lacks %q:\n%s", want, text.String())
		}
	}
}

// A spot node group of several types: pods per node from the type with the
// fewest, the on-demand price of the dearest as the upper bound, and the
// assumed discount range and the reclaim warning in the plan.
func TestSpotNodeGroupCapacityAndCost(t *testing.T) {
	t.Parallel()
	d := planOf(t, "dev", map[string]string{
		"eks-lab:nodeCapacityType": "SPOT", "eks-lab:nodeSpotInstanceTypes": `["c5.large"]`,
	})
	c := d.Estimates.Capacity[0]
	if c.InstanceType != "t3.medium" || c.MaxPodsPerNode != 17 || len(c.InstanceTypes) != 2 {
		t.Errorf("capacity %+v: want t3.medium's 17 pods (c5.large holds 29)", c)
	}
	// The subnets must make room for the type that takes the most addresses
	// at the group's one max pods (17, every node's): a c5.large node fills
	// 2 ENIs of 10, 20 addresses, not the 30 of its own 29 pods (t3.medium's
	// take 18).
	if s := c.Subnets[0]; c.AddressInstanceType != "c5.large" || s.AddressesAtMax != s.NodesAtMax*20 || s.PodsAtMax != s.NodesAtMax*17 {
		t.Errorf("subnet addresses counted with %s: %+v; want c5.large's 20 per node", c.AddressInstanceType, s)
	}
	cost := d.Estimates.Cost
	var spot *estimate.CostItem
	for i, it := range cost.Items {
		if it.Component == "EC2 spot" {
			spot = &cost.Items[i]
		}
	}
	// Seoul: c5.large 0.096 > t3.medium 0.052.
	if spot == nil || spot.UnitHourly != 0.096 || spot.Quantity != 3 || cost.Spot == nil {
		t.Fatalf("spot item %+v, range %+v", spot, cost.Spot)
	}
	if cost.Spot.HourlyHigh >= cost.HourlyTotal || cost.Spot.HourlyLow >= cost.Spot.HourlyHigh {
		t.Errorf("spot range %+v against the on-demand total %g", cost.Spot, cost.HourlyTotal)
	}
	var b bytes.Buffer
	if err := plan.Render(&b, d, "text"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"at most $", "t3.medium|c5.large x 3", "AL2023_x86_64_STANDARD SPOT", "reclaim a spot node mid-lab", "counted with t3.medium"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("plan lacks %q", want)
		}
	}
}

// A region the price table lacks leaves everything unpriced: the plan says
// so instead of "$0.0000 per hour".
func TestUnpricedPlanSaysSo(t *testing.T) {
	t.Parallel()
	d := planOf(t, "dev", map[string]string{"aws:region": "eu-central-1"})
	if len(d.Estimates.Cost.Unpriced) == 0 {
		t.Fatal("eu-central-1 is priced; pick a region prices-2026-11.json lacks")
	}
	var b bytes.Buffer
	if err := plan.Render(&b, d, "text"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "$0.0000 per hour") || !strings.Contains(b.String(), "Estimate: unpriced: ") || !strings.Contains(b.String(), "Total: unpriced: ") {
		t.Errorf("plan of an unpriced region:\n%s", b.String())
	}
}
