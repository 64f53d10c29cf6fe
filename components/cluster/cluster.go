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
	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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

	// NodeGroup is the managed node group. Required.
	NodeGroup NodeGroupArgs
	// NodeDependsOn is what nodes need before they boot: the NAT gateways
	// and private route tables when they run in private subnets (without
	// egress they cannot pull the VPC CNI image and never join). On a pause
	// it also deletes the node group before the NAT gateways. Optional.
	NodeDependsOn []pulumi.Resource
	// Paused registers no node group (its role and launch template stay):
	// deleting the group drains it, while scaling it to zero would be an
	// update, and updates run before the deletes of the cleanups. Default false.
	Paused bool

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
	NodeGroup         *awseks.NodeGroup   // the managed node group: controllers depend on it; nil while paused
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
		args.PrivateSubnetIDs == nil || len(args.EndpointPublicAccessCidrs) == 0 || !args.NodeGroup.complete() ||
		args.BastionRoleArn == nil || args.BastionSecurityGroupID == nil {
		return nil, fmt.Errorf("cluster %s: Name, Version, VpcID, the public and private subnets, EndpointPublicAccessCidrs, "+
			"NodeGroup (SubnetIDs, InstanceType, MaxSize, DiskSizeGiB), BastionRoleArn and BastionSecurityGroupID are required", name)
	}
	c := &Cluster{}
	if err := ctx.RegisterComponentResource("eks-lab:cluster:Cluster", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	controlPlane, err := newControlPlane(ctx, name, args, parent, opts)
	if err != nil {
		return nil, err
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
	if err := bastionToNodes(ctx, name, args, controlPlane, parent); err != nil {
		return nil, err
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
	nodes, err := newNodeGroup(ctx, name, args.Name, &args.NodeGroup, clusterName,
		append(preNodeAddons, args.NodeDependsOn...), args.Paused, parent)
	if err != nil {
		return nil, err
	}
	// coredns and the pod identity agent run on the nodes, and become
	// healthy only once they are there. While paused they stay as they are
	// (an unchanged add-on makes no API call; a changed dependency list is
	// no diff).
	var nodeGroup []pulumi.Resource
	if nodes.group != nil {
		nodeGroup = append(nodeGroup, nodes.group)
	}
	afterNodes := pulumi.DependsOn(nodeGroup)
	if c.CoreDNS, err = newAddon(ctx, name, "coredns", clusterName, parent, afterNodes); err != nil {
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
	c.NodeGroup, c.NodeGroupRoleName = nodes.group, nodes.roleName
	c.Admins = admins
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"name": c.Name, "kubeconfig": c.Kubeconfig, "oidcProviderArn": c.OidcProviderArn, "oidcIssuer": c.OidcIssuer,
	})
}

// newControlPlane registers the control plane through pulumi-eks, after the
// log group it writes to. opts are the component's own: the aws provider
// goes to the remote component explicitly, not only through the parent, so
// it builds everything with the lab's tagged provider.
func newControlPlane(ctx *pulumi.Context, name string, args *ClusterArgs, parent pulumi.ResourceOption, opts []pulumi.ResourceOption) (*eks.Cluster, error) {
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
		opts...)...)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: eks: %w", name, err)
	}
	return controlPlane, nil
}

// bastionToNodes admits the bastion to the nodes on every port: it runs
// kubectl against them and SSHes into them.
func bastionToNodes(ctx *pulumi.Context, name string, args *ClusterArgs, controlPlane *eks.Cluster, opts ...pulumi.ResourceOption) error {
	if _, err := ec2.NewSecurityGroupRule(ctx, name+"-bastion-to-nodes", &ec2.SecurityGroupRuleArgs{
		Type:                  pulumi.String("ingress"),
		SecurityGroupId:       controlPlane.ClusterSecurityGroupId,
		SourceSecurityGroupId: args.BastionSecurityGroupID,
		Protocol:              pulumi.String("-1"),
		FromPort:              pulumi.Int(0),
		ToPort:                pulumi.Int(0),
		Description:           pulumi.String("all traffic from the lab bastion"),
	}, opts...); err != nil {
		return fmt.Errorf("cluster %s: bastion ingress rule: %w", name, err)
	}
	return nil
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
