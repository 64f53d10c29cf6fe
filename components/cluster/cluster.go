// Package cluster builds the lab's EKS cluster: the control plane through
// pulumi-eks (access entries, OIDC provider, endpoint access), the vpc-cni,
// kube-proxy, coredns and (optionally) eks-pod-identity-agent managed
// add-ons, a managed node group, and the rule that lets the bastion reach the
// nodes.
package cluster

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/cluster/iamarn"
)

// ClusterAdminPolicyArn is the EKS access policy equivalent to cluster-admin.
const ClusterAdminPolicyArn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

// LogGroupName is the log group EKS sends a cluster's control-plane logs to.
func LogGroupName(cluster string) string { return "/aws/eks/" + cluster + "/cluster" }

// LogTypes are the control-plane logs sent to CloudWatch.
var LogTypes = []string{"api", "audit", "authenticator"}

// ClusterArgs configures the cluster and its node group.
type ClusterArgs struct {
	// Name is the EKS cluster name. Required.
	Name string
	// Version is the Kubernetes minor version, e.g. "1.35". Required.
	Version string
	// VpcID is the lab VPC. Required.
	VpcID pulumi.StringInput
	// PublicSubnetIDs are the public subnets, one per AZ. Required.
	PublicSubnetIDs pulumi.StringArrayInput
	// PrivateSubnetIDs are the private subnets, one per AZ. Required.
	PrivateSubnetIDs pulumi.StringArrayInput
	// NodeSubnetIDs are where the nodes run: the public (the study) or private subnets. Required.
	NodeSubnetIDs pulumi.StringArrayInput
	// EndpointPublicAccessCidrs may reach the public API endpoint. Required, at least one.
	EndpointPublicAccessCidrs []string
	// AdminRoleArns get cluster-admin besides the bastion (CI, teammates). Optional.
	AdminRoleArns []string
	// CreatorArn is the IAM principal that creates the cluster (Principal of
	// the caller), or that created it (its CreatorTag). EKS makes it an admin
	// itself, so the admin role that is it gets no entry; it is recorded in
	// the cluster's CreatorTag. Optional: empty when unknown (a cluster
	// created before the tag existed), then every admin role gets an entry.
	CreatorArn string

	// NodeInstanceType is the node group's instance type, e.g. t3.medium. Required.
	NodeInstanceType string
	// NodeCapacityType is ON_DEMAND or SPOT. Default ON_DEMAND.
	NodeCapacityType string
	// NodeSpotInstanceTypes are more instance types a SPOT node group may
	// use, after NodeInstanceType. Optional.
	NodeSpotInstanceTypes []string
	// NodeArm selects the arm64 (Graviton) AMI. Default false.
	NodeArm bool
	// NodeDesiredSize is the node count to start with. Required.
	NodeDesiredSize int
	// NodeMinSize is the node group's minimum. Default 0.
	NodeMinSize int
	// NodeMaxSize is the node group's maximum. Required, at least 1.
	NodeMaxSize int
	// NodeDiskSizeGiB is each node's encrypted gp3 root volume. Required, at least 20.
	NodeDiskSizeGiB int
	// SSHKeyName is an EC2 key pair for ssh from the bastion to the nodes. Optional.
	SSHKeyName string
	// InstanceTags go on node instances and volumes, which provider default
	// tags do not reach; later changes to "expiry" are ignored. Optional.
	InstanceTags map[string]string

	// PodIdentityAgent installs the eks-pod-identity-agent add-on, which EKS
	// Pod Identity associations need on every node. Default false.
	PodIdentityAgent bool

	// BastionRoleArn gets cluster-admin through an access entry. Required.
	BastionRoleArn pulumi.StringInput
	// BastionSecurityGroupID is admitted to the nodes on every port. Required.
	BastionSecurityGroupID pulumi.StringInput

	// AWSProfile is the named AWS profile the aws provider uses; the
	// kubeconfig's `aws eks get-token` (the Kubernetes provider's and the
	// cleanup's) passes it too. Optional: "" for the shell's credentials.
	AWSProfile string
}

// Cluster is the EKS cluster with its nodes.
type Cluster struct {
	pulumi.ResourceState

	Name              pulumi.StringOutput // the EKS cluster name
	Kubeconfig        pulumi.StringOutput // secret: kubeconfig JSON that uses `aws eks get-token`
	OidcProviderArn   pulumi.StringOutput // for IRSA trust policies
	OidcIssuer        pulumi.StringOutput // issuer without https://
	SecurityGroupID   pulumi.StringOutput // the EKS cluster security group, which the managed nodes use
	NodeGroup         *awseks.NodeGroup   // the managed node group: controllers depend on it
	CoreDNS           *awseks.Addon       // cluster DNS: controllers depend on it, so it outlives them on destroy
	PodIdentityAgent  *awseks.Addon       // eks-pod-identity-agent, nil unless asked for: Pod Identity controllers depend on it
	NodeGroupRoleName pulumi.StringOutput
	// Admins are the policy associations that make the bastion and the
	// admin roles cluster admins: the Kubernetes provider depends on them, so
	// on destroy the objects go while every admin still has access.
	Admins []pulumi.Resource
}

// NewCluster registers the cluster, its add-ons and its node group.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil || args.Name == "" || args.Version == "" || args.VpcID == nil || args.PublicSubnetIDs == nil ||
		args.PrivateSubnetIDs == nil || args.NodeSubnetIDs == nil || len(args.EndpointPublicAccessCidrs) == 0 ||
		args.NodeInstanceType == "" || args.NodeMaxSize < 1 || args.NodeDiskSizeGiB < 20 ||
		args.BastionRoleArn == nil || args.BastionSecurityGroupID == nil {
		return nil, fmt.Errorf("cluster %s: Name, Version, VpcID, the three subnet lists, EndpointPublicAccessCidrs, "+
			"NodeInstanceType, NodeMaxSize, NodeDiskSizeGiB, BastionRoleArn and BastionSecurityGroupID are required", name)
	}
	c := &Cluster{}
	if err := ctx.RegisterComponentResource("eks-lab:cluster:Cluster", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	// EKS would create this log group itself with no expiry, and it would
	// outlive the lab and keep billing; owning it lets destroy remove it.
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-control-plane", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(LogGroupName(args.Name)),
		RetentionInDays: pulumi.Int(1),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: log group: %w", name, err)
	}

	authAPI := eks.AuthenticationModeApi
	skip := true
	disabled := false
	useDefaultCni := true // vpc-cni is managed below as an EKS add-on
	controlPlane, err := eks.NewCluster(ctx, name, &eks.ClusterArgs{
		Name:                      pulumi.String(args.Name),
		Version:                   pulumi.String(args.Version),
		VpcId:                     args.VpcID,
		PublicSubnetIds:           args.PublicSubnetIDs,
		PrivateSubnetIds:          args.PrivateSubnetIDs,
		EndpointPublicAccess:      pulumi.Bool(true),
		PublicAccessCidrs:         pulumi.ToStringArray(args.EndpointPublicAccessCidrs),
		EndpointPrivateAccess:     pulumi.Bool(true), // the bastion reaches the API inside the VPC
		AuthenticationMode:        &authAPI,
		CreateOidcProvider:        pulumi.Bool(true),
		EnabledClusterLogTypes:    pulumi.ToStringArray(LogTypes),
		SkipDefaultNodeGroup:      &skip,
		SkipDefaultSecurityGroups: &skip, // nodes use the EKS cluster security group
		UseDefaultVpcCni:          &useDefaultCni,
		CorednsAddonOptions:       &eks.CoreDnsAddonOptionsArgs{Enabled: &disabled},
		KubeProxyAddonOptions:     &eks.KubeProxyAddonOptionsArgs{Enabled: &disabled},
		ClusterTags:               creatorTag(args.CreatorArn),
		ProviderCredentialOpts:    credentialOpts(args.AWSProfile),
	}, append([]pulumi.ResourceOption{parent, pulumi.DependsOn([]pulumi.Resource{logs}),
		// pulumi-eks v3.9.1's ClusterArgs has no upgradePolicy (v4 added it,
		// with pulumi-aws v7); its aws.eks.Cluster child takes one.
		pulumi.Transforms([]pulumi.ResourceTransform{StandardSupport})},
		// The aws provider explicitly, not only through the parent: the
		// remote component must build everything with the lab's tagged provider.
		opts...)...)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: eks: %w", name, err)
	}
	// The name is fixed by config. Taking it through an output of the remote
	// component gives consumers that output's dependencies, which are the
	// component's real children (the EKS cluster itself): a dependency on
	// the component alone would not order deletes against them.
	clusterName := controlPlane.ClusterSecurityGroupId.ApplyT(func(string) string { return args.Name }).(pulumi.StringOutput)
	afterControlPlane := pulumi.DependsOn([]pulumi.Resource{controlPlane})
	admins, err := accessEntries(ctx, name, args, controlPlane, clusterName, parent)
	if err != nil {
		return nil, err
	}

	// The bastion runs kubectl against the nodes and SSHes into them.
	if _, err := ec2.NewSecurityGroupRule(ctx, name+"-bastion-to-nodes", &ec2.SecurityGroupRuleArgs{
		Type:                  pulumi.String("ingress"),
		SecurityGroupId:       controlPlane.ClusterSecurityGroupId,
		SourceSecurityGroupId: args.BastionSecurityGroupID,
		Protocol:              pulumi.String("-1"),
		FromPort:              pulumi.Int(0),
		ToPort:                pulumi.Int(0),
		Description:           pulumi.String("all traffic from the lab bastion"),
	}, parent); err != nil {
		return nil, fmt.Errorf("cluster %s: bastion ingress rule: %w", name, err)
	}

	// vpc-cni and kube-proxy before the nodes, so nodes join with managed
	// versions; coredns after them, since it only becomes healthy on nodes.
	var preNodeAddons []pulumi.Resource
	for _, addon := range []string{"vpc-cni", "kube-proxy"} {
		a, err := newAddon(ctx, name, addon, clusterName, parent, afterControlPlane)
		if err != nil {
			return nil, err
		}
		preNodeAddons = append(preNodeAddons, a)
	}

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
				VolumeSize: pulumi.Int(args.NodeDiskSizeGiB), VolumeType: pulumi.String("gp3"),
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
	capacityType := args.NodeCapacityType
	if capacityType == "" {
		capacityType = "ON_DEMAND"
	}
	amiType := "AL2023_x86_64_STANDARD"
	if args.NodeArm {
		amiType = "AL2023_ARM_64_STANDARD"
	}
	nodes, err := awseks.NewNodeGroup(ctx, name+"-nodes", &awseks.NodeGroupArgs{
		ClusterName:   clusterName,
		NodeGroupName: pulumi.String(args.Name + "-nodes"),
		NodeRoleArn:   nodeRole.role.Arn,
		SubnetIds:     args.NodeSubnetIDs,
		// Passed through the API, not the launch template, so that a spot node
		// group can use several types: EKS then allocates from the pools
		// least likely to be reclaimed (price-capacity-optimized on 1.28+;
		// EKS user guide, managed-node-groups, "Spot").
		InstanceTypes: pulumi.ToStringArray(append([]string{args.NodeInstanceType}, args.NodeSpotInstanceTypes...)),
		AmiType:       pulumi.String(amiType),
		CapacityType:  pulumi.String(capacityType),
		ScalingConfig: awseks.NodeGroupScalingConfigArgs{
			DesiredSize: pulumi.Int(args.NodeDesiredSize), MinSize: pulumi.Int(args.NodeMinSize), MaxSize: pulumi.Int(args.NodeMaxSize),
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
	// coredns and the pod identity agent run on the nodes, and become
	// healthy only once they are there.
	afterNodes := pulumi.DependsOn([]pulumi.Resource{nodes})
	coredns, err := newAddon(ctx, name, "coredns", clusterName, parent, afterNodes)
	if err != nil {
		return nil, err
	}
	if args.PodIdentityAgent {
		// The agent needs no role of its own: it calls the EKS Auth API with
		// the node role, whose AmazonEKSWorkerNodePolicy allows
		// eks-auth:AssumeRoleForPodIdentity (EKS user guide, pod-id-agent-setup).
		if c.PodIdentityAgent, err = newAddon(ctx, name, "eks-pod-identity-agent", clusterName, parent, afterNodes); err != nil {
			return nil, err
		}
	}

	c.Name = clusterName
	c.Kubeconfig = pulumi.ToSecret(controlPlane.KubeconfigJson).(pulumi.StringOutput)
	c.OidcProviderArn = controlPlane.OidcProviderArn
	c.OidcIssuer = controlPlane.OidcIssuer
	c.SecurityGroupID = controlPlane.ClusterSecurityGroupId
	c.NodeGroup = nodes
	c.CoreDNS = coredns
	c.NodeGroupRoleName = nodeRole.role.Name
	c.Admins = admins
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"name": c.Name, "kubeconfig": c.Kubeconfig, "oidcProviderArn": c.OidcProviderArn, "oidcIssuer": c.OidcIssuer,
	})
}

func newAddon(ctx *pulumi.Context, name, addon string, clusterName pulumi.StringInput, opts ...pulumi.ResourceOption) (*awseks.Addon, error) {
	a, err := awseks.NewAddon(ctx, name+"-"+addon, &awseks.AddonArgs{
		ClusterName: clusterName,
		AddonName:   pulumi.String(addon),
		// EKS installs self-managed copies at creation; adopt them.
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		// Deleting the add-on must not delete the running DNS, CNI or proxy
		// while the controllers still clean up; the cluster's deletion does.
		Preserve: pulumi.Bool(true),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: add-on %s: %w", name, addon, err)
	}
	return a, nil
}

// EKSClusterType is the type of the EKS cluster pulumi-eks creates inside
// its component (nodejs/eks/cluster/cluster.ts at v3.9.1: "<name>-eksCluster").
const EKSClusterType = "aws:eks/cluster:Cluster"

// StandardSupport sets the upgrade policy of the EKS cluster to STANDARD:
// EKS then upgrades a cluster whose version leaves standard support instead
// of moving it to extended support, which bills $0.60 instead of $0.10 an
// hour (EKS API reference, UpgradePolicyRequest; EXTENDED is the default).
// It is a transform because the cluster is a child of pulumi-eks's remote
// component: the engine calls it for every child the component registers.
func StandardSupport(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
	if args.Type != EKSClusterType {
		return nil
	}
	props := pulumi.Map{}
	for k, v := range args.Props {
		props[k] = v
	}
	props["upgradePolicy"] = pulumi.Map{"supportType": pulumi.String("STANDARD")}
	return &pulumi.ResourceTransformResult{Props: props, Opts: args.Opts}
}

// credentialOpts makes the kubeconfig's `aws eks get-token` use the aws
// provider's profile, nil for the shell's credentials.
func credentialOpts(profile string) eks.KubeconfigOptionsPtrInput {
	if profile == "" {
		return nil
	}
	return &eks.KubeconfigOptionsArgs{ProfileName: pulumi.String(profile)}
}

// creatorTag records the cluster's creator on the EKS cluster, once known.
func creatorTag(creator string) pulumi.StringMapInput {
	if creator == "" {
		return nil
	}
	return pulumi.StringMap{CreatorTag: pulumi.String(creator)}
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
