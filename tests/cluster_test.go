package tests

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/cluster"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
)

// The cluster component on its own, under the mock engine: what it makes of
// its Args and of its node group's (NodeGroupArgs), beyond the values the
// repository's stacks use.

// clusterArgs is a complete ClusterArgs, node group included.
func clusterArgs() cluster.ClusterArgs {
	return cluster.ClusterArgs{
		Name: "study", Version: "1.35", VpcID: pulumi.String("vpc-1"),
		PublicSubnetIDs:           pulumi.ToStringArray([]string{"subnet-pub-a", "subnet-pub-b"}),
		PrivateSubnetIDs:          pulumi.ToStringArray([]string{"subnet-priv-a", "subnet-priv-b"}),
		EndpointPublicAccessCidrs: []string{"203.0.113.7/32"},
		NodeGroup: cluster.NodeGroupArgs{
			SubnetIDs:    pulumi.ToStringArray([]string{"subnet-priv-a", "subnet-priv-b"}),
			InstanceType: "t3.medium", DesiredSize: 2, MaxSize: 4, DiskSizeGiB: 40,
		},
		BastionRoleArn:         pulumi.String("arn:aws:iam::123456789012:role/bastion"),
		BastionSecurityGroupID: pulumi.String("sg-bastion"),
	}
}

// deployCluster runs cluster.NewCluster with the explicit aws provider, as
// the program does.
func deployCluster(t *testing.T, args cluster.ClusterArgs) (*offline.Plan, error) {
	t.Helper()
	return mock.RunProgram("test", nil, func(ctx *pulumi.Context) error {
		awsProv, _, err := mock.Providers(ctx)
		if err != nil {
			return err
		}
		_, err = cluster.NewCluster(ctx, "study", &args, pulumi.Provider(awsProv))
		return err
	})
}

// The node group's Args reach the managed node group: its subnets, sizes,
// instance types (the primary first, then the spot alternatives), capacity
// type (on-demand unless asked) and the AMI of its architecture; the group
// is named after the cluster, ignores desired-size drift (the autoscaler's,
// a member's `eksctl scale`) and is deleted before it is replaced (EKS
// refuses a second group of the same name).
func TestNodeGroupArgsReachTheNodeGroup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		change   func(*cluster.NodeGroupArgs)
		types    []string
		capacity string
		ami      string
		min      float64
	}{
		{"defaults", func(*cluster.NodeGroupArgs) {}, []string{"t3.medium"}, "ON_DEMAND", "AL2023_x86_64_STANDARD", 0},
		{"spot, several types", func(a *cluster.NodeGroupArgs) {
			a.CapacityType, a.SpotInstanceTypes, a.MinSize = "SPOT", []string{"t3a.medium", "c5.large"}, 1
		}, []string{"t3.medium", "t3a.medium", "c5.large"}, "SPOT", "AL2023_x86_64_STANDARD", 1},
		{"graviton", func(a *cluster.NodeGroupArgs) { a.InstanceType, a.Arm = "t4g.medium", true }, []string{"t4g.medium"}, "ON_DEMAND", "AL2023_ARM_64_STANDARD", 0},
	} {
		args := clusterArgs()
		tc.change(&args.NodeGroup)
		p, err := deployCluster(t, args)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ng := must(t, p, tNodeGroup, "study-nodes")
		expectEqual(t, tc.name+": group name", str(ng.Inputs, "nodeGroupName"), "study-nodes")
		expectEqual(t, tc.name+": subnets", strs(ng.Inputs, "subnetIds"), []string{"subnet-priv-a", "subnet-priv-b"})
		expectEqual(t, tc.name+": sizes", []any{offline.Get(ng.Inputs, "scalingConfig.minSize"), offline.Get(ng.Inputs, "scalingConfig.desiredSize"),
			offline.Get(ng.Inputs, "scalingConfig.maxSize")}, []any{tc.min, 2.0, 4.0})
		expectEqual(t, tc.name+": instance types", strs(ng.Inputs, "instanceTypes"), tc.types)
		expectEqual(t, tc.name+": capacity type", str(ng.Inputs, "capacityType"), tc.capacity)
		expectEqual(t, tc.name+": AMI type", str(ng.Inputs, "amiType"), tc.ami)
		expectEqual(t, tc.name+": one node at a time", offline.Get(ng.Inputs, "updateConfig.maxUnavailable"), 1.0)
		expectEqual(t, tc.name+": ignored changes", ng.IgnoreChanges, []string{"scalingConfig.desiredSize"})
		if !ng.DeleteBeforeReplace {
			t.Errorf("%s: the node group is replaced create-before-delete", tc.name)
		}
	}
}

// The nodes' launch template: IMDSv2 only with a hop limit of 1 (pods cannot
// borrow the node role), an encrypted gp3 root volume of DiskSizeGiB, the
// key pair only when one is given, and InstanceTags on instances and
// volumes, whose moving expiry never rolls the nodes.
func TestNodeLaunchTemplate(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"", "study-key"} {
		args := clusterArgs()
		args.NodeGroup.SSHKeyName = key
		args.NodeGroup.InstanceTags = map[string]string{"stack": "dev", "expiry": "2026-01-01T08:00:00Z"}
		p, err := deployCluster(t, args)
		if err != nil {
			t.Fatal(err)
		}
		lt := must(t, p, tLaunchTmpl, "study-nodes")
		expectEqual(t, "IMDSv2", str(lt.Inputs, "metadataOptions.httpTokens"), "required")
		expectEqual(t, "hop limit", offline.Get(lt.Inputs, "metadataOptions.httpPutResponseHopLimit"), 1.0)
		ebs := "blockDeviceMappings.0.ebs."
		expectEqual(t, "root volume", []string{str(lt.Inputs, ebs+"volumeSize"), str(lt.Inputs, ebs+"volumeType"), str(lt.Inputs, ebs+"encrypted")},
			[]string{"40", "gp3", "true"})
		expectEqual(t, "key pair", str(lt.Inputs, "keyName"), key)
		for i, resource := range []string{"instance", "volume"} {
			spec := fmt.Sprintf("tagSpecifications.%d.", i)
			expectEqual(t, resource+" tags", []any{offline.Get(lt.Inputs, spec+"resourceType"), offline.Get(lt.Inputs, spec+"tags.stack")}, []any{resource, "dev"})
		}
		expectEqual(t, "ignored changes", lt.IgnoreChanges, []string{`tagSpecifications[0].tags["expiry"]`, `tagSpecifications[1].tags["expiry"]`})
		ng := must(t, p, tNodeGroup, "study-nodes")
		expectEqual(t, "node group's launch template", str(ng.Inputs, "launchTemplate.id"), "study-nodes-id")
	}
}

// Add-ons and nodes come up in order: vpc-cni and kube-proxy after the
// control plane and before the nodes (which join with the managed
// versions), the nodes after their role's policies, coredns and the pod
// identity agent (only when asked for) after the nodes they run on. On
// destroy the order reverses.
func TestClusterAddonsAndNodesComeUpInOrder(t *testing.T) {
	t.Parallel()
	for _, agent := range []bool{false, true} {
		args := clusterArgs()
		args.PodIdentityAgent = agent
		p, err := deployCluster(t, args)
		if err != nil {
			t.Fatal(err)
		}
		controlPlane := must(t, p, tEksCluster, "study")
		nodes := must(t, p, tNodeGroup, "study-nodes")
		for _, addon := range []string{"vpc-cni", "kube-proxy"} {
			a := must(t, p, tAddon, "study-"+addon)
			if !slices.Contains(a.Dependencies, controlPlane.URN) || !slices.Contains(nodes.Dependencies, a.URN) {
				t.Errorf("%s is not between the control plane and the nodes", addon)
			}
		}
		for _, arn := range cluster.NodePolicies {
			a := must(t, p, tAttachment, "study-nodes-"+arn[strings.LastIndex(arn, "/")+1:])
			if !slices.Contains(nodes.Dependencies, a.URN) {
				t.Errorf("the nodes do not wait for their role's %s", arn)
			}
		}
		after := []string{"coredns"}
		if agent {
			after = append(after, "eks-pod-identity-agent")
		}
		for _, addon := range after {
			a := must(t, p, tAddon, "study-"+addon)
			if !slices.Contains(a.Dependencies, nodes.URN) {
				t.Errorf("%s does not wait for the nodes", addon)
			}
		}
		if _, ok := p.Find(tAddon, "study-eks-pod-identity-agent"); ok != agent {
			t.Errorf("PodIdentityAgent %v: the agent add-on is there: %v", agent, ok)
		}
		for _, a := range p.OfType(tAddon) {
			expectEqual(t, a.Name+" preserved on delete", offline.Get(a.Inputs, "preserve"), true)
		}
	}
}

// A node group the component cannot build is refused before anything is
// registered, with what is missing.
func TestClusterRefusesAnIncompleteNodeGroup(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*cluster.NodeGroupArgs){
		"no subnets":       func(a *cluster.NodeGroupArgs) { a.SubnetIDs = nil },
		"no instance type": func(a *cluster.NodeGroupArgs) { a.InstanceType = "" },
		"max size 0":       func(a *cluster.NodeGroupArgs) { a.MaxSize = 0 },
		"a 19 GiB disk":    func(a *cluster.NodeGroupArgs) { a.DiskSizeGiB = 19 },
	} {
		args := clusterArgs()
		change(&args.NodeGroup)
		p, err := deployCluster(t, args)
		if err == nil || !strings.Contains(err.Error(), "NodeGroup (SubnetIDs, InstanceType, MaxSize, DiskSizeGiB)") {
			t.Errorf("%s: err %v, want the node group's required fields named", name, err)
		}
		for _, r := range p.Resources {
			if !strings.HasPrefix(r.Type, "pulumi:providers:") {
				t.Errorf("%s: %s %s registered before the refusal", name, r.Type, r.Name)
			}
		}
	}
}
