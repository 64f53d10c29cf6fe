package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/cluster/iamarn"
)

// NodeGroupArgs configures the cluster's managed node group.
type NodeGroupArgs struct {
	// SubnetIDs are where the nodes run: the public (the study) or private subnets. Required.
	SubnetIDs pulumi.StringArrayInput
	// InstanceType is the nodes' instance type, e.g. t3.medium. Required.
	InstanceType string
	// CapacityType is ON_DEMAND or SPOT. Default ON_DEMAND.
	CapacityType string
	// SpotInstanceTypes are more instance types a SPOT node group may use,
	// after InstanceType. Optional.
	SpotInstanceTypes []string
	// Arm selects the arm64 (Graviton) AMI. Default false.
	Arm bool
	// DesiredSize is the node count to start with. Required.
	DesiredSize int
	// MinSize is the node group's minimum. Default 0.
	MinSize int
	// MaxSize is the node group's maximum. Required, at least 1.
	MaxSize int
	// DiskSizeGiB is each node's encrypted gp3 root volume. Required, at least 20.
	DiskSizeGiB int
	// SSHKeyName is an EC2 key pair for ssh from the bastion to the nodes. Optional.
	SSHKeyName string
	// InstanceTags go on node instances and volumes, which provider default
	// tags do not reach; later changes to "expiry" are ignored. Optional.
	InstanceTags map[string]string
}

// complete tells whether the required fields are set.
func (a *NodeGroupArgs) complete() bool {
	return a.SubnetIDs != nil && a.InstanceType != "" && a.MaxSize >= 1 && a.DiskSizeGiB >= 20
}

// nodeGroup is the registered node group and its role's name.
type nodeGroup struct {
	group    *awseks.NodeGroup
	roleName pulumi.StringOutput
}

// newNodeGroup registers the node role, the nodes' launch template and the
// managed node group "<cluster>-nodes" of cluster clusterName, after the
// add-ons the nodes must join with (preNodeAddons); no group while paused.
func newNodeGroup(ctx *pulumi.Context, name, cluster string, args *NodeGroupArgs, clusterName pulumi.StringOutput,
	preNodeAddons []pulumi.Resource, paused bool, parent pulumi.ResourceOption,
) (*nodeGroup, error) {
	nodeRole, err := nodeRole(ctx, name, parent)
	if err != nil {
		return nil, err
	}
	lt, err := ec2.NewLaunchTemplate(ctx, name+"-nodes", &ec2.LaunchTemplateArgs{
		Description: pulumi.String("lab nodes: IMDSv2 only, encrypted root volume"),
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"),
			HttpTokens:   pulumi.String("required"),
			// Hop limit 1 keeps pods from borrowing the node role through IMDS;
			// the controllers get region and VPC from their values instead.
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{&ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"),
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize: pulumi.Int(args.DiskSizeGiB), VolumeType: pulumi.String("gp3"),
				Encrypted: pulumi.String("true"), DeleteOnTermination: pulumi.String("true"),
			},
		}},
		KeyName: optional(args.SSHKeyName),
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			&ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: pulumi.ToStringMap(args.InstanceTags)},
			&ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: pulumi.ToStringMap(args.InstanceTags)},
		},
	}, parent,
		// Each `pulumi up` without eks-lab:expiry moves the expiry tag; a new
		// launch template version would roll every node, so nodes keep the
		// expiry they were created with (the stack output is the authority).
		pulumi.IgnoreChanges([]string{`tagSpecifications[0].tags["expiry"]`, `tagSpecifications[1].tags["expiry"]`}))
	if err != nil {
		return nil, fmt.Errorf("cluster %s: launch template: %w", name, err)
	}
	if paused {
		return &nodeGroup{roleName: nodeRole.role.Name}, nil
	}
	capacityType := args.CapacityType
	if capacityType == "" {
		capacityType = "ON_DEMAND"
	}
	amiType := "AL2023_x86_64_STANDARD"
	if args.Arm {
		amiType = "AL2023_ARM_64_STANDARD"
	}
	nodes, err := awseks.NewNodeGroup(ctx, name+"-nodes", &awseks.NodeGroupArgs{
		ClusterName:   clusterName,
		NodeGroupName: pulumi.String(cluster + "-nodes"),
		NodeRoleArn:   nodeRole.role.Arn,
		SubnetIds:     args.SubnetIDs,
		// Passed through the API, not the launch template, so that a spot node
		// group can use several types: EKS then allocates from the pools
		// least likely to be reclaimed (price-capacity-optimized on 1.28+;
		// EKS user guide, managed-node-groups, "Spot").
		InstanceTypes: pulumi.ToStringArray(append([]string{args.InstanceType}, args.SpotInstanceTypes...)),
		AmiType:       pulumi.String(amiType),
		CapacityType:  pulumi.String(capacityType),
		ScalingConfig: awseks.NodeGroupScalingConfigArgs{
			DesiredSize: pulumi.Int(args.DesiredSize), MinSize: pulumi.Int(args.MinSize), MaxSize: pulumi.Int(args.MaxSize),
		},
		UpdateConfig:   &awseks.NodeGroupUpdateConfigArgs{MaxUnavailable: pulumi.Int(1)},
		LaunchTemplate: &awseks.NodeGroupLaunchTemplateArgs{Id: lt.ID(), Version: lt.LatestVersion.ApplyT(func(v int) string { return fmt.Sprint(v) }).(pulumi.StringOutput)},
	}, parent, pulumi.DependsOn(append(preNodeAddons, nodeRole.attachments...)),
		// The cluster autoscaler or a member's `eksctl scale` may move desired size.
		pulumi.IgnoreChanges([]string{"scalingConfig.desiredSize"}),
		// A change of instance types, capacity type or subnets replaces the
		// group, and EKS refuses a second group of the same name: delete the
		// old one first. Until the new nodes join (about 8 minutes) pods are
		// Pending, the controllers too, so their webhooks refuse new Services
		// and the samples' load balancers have no targets; the releases
		// depend on the group only through dependsOn, so the engine keeps
		// them (pulumi/pulumi pkg/resource/deploy/step_generator.go,
		// calculateDependentReplacements). A name prefix would keep nodes up
		// during the swap, but moving an existing group from a name to a
		// prefix would itself replace it.
		pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, fmt.Errorf("cluster %s: node group: %w", name, err)
	}
	return &nodeGroup{group: nodes, roleName: nodeRole.role.Name}, nil
}

type role struct {
	role        *iam.Role
	attachments []pulumi.Resource
}

// NodePolicies are the managed policies of the node role: join the cluster,
// run the VPC CNI, pull from ECR, and be reachable by SSM Session Manager.
var NodePolicies = []string{
	"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
	"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
	"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
	"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
}

func nodeRole(ctx *pulumi.Context, name string, opts ...pulumi.ResourceOption) (*role, error) {
	r, err := iam.NewRole(ctx, name+"-nodes", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Description:      pulumi.String("EKS lab managed node group"),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: node role: %w", name, err)
	}
	out := &role{role: r}
	for i, arn := range NodePolicies {
		// Named by policy, so that reordering NodePolicies replaces nothing;
		// the alias keeps labs created when they were named by position.
		positional := pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(fmt.Sprintf("%s-nodes-%d", name, i))}})
		a, err := iam.NewRolePolicyAttachment(ctx, name+"-nodes-"+iamarn.Name(arn), &iam.RolePolicyAttachmentArgs{
			Role: r.Name, PolicyArn: pulumi.String(arn),
		}, append(opts, positional)...)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: node role policy %s: %w", name, arn, err)
		}
		out.attachments = append(out.attachments, a)
	}
	return out, nil
}

func optional(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}
