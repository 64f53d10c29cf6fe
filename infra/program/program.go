// Package program is the lab's Pulumi program: it loads and validates the
// stack config, wires the components together, and returns the stack
// outputs. infra/main.go runs it; tests and cmd/lab run it under mocks.
package program

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/bastion"
	"github.com/eks-study/lab/components/bastion/userdata"
	"github.com/eks-study/lab/components/cluster"
	"github.com/eks-study/lab/components/cluster/iamarn"
	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/components/network"
	"github.com/eks-study/lab/infra/config"
)

// Run is the Pulumi program.
func Run(ctx *pulumi.Context) error {
	cfg, err := LoadConfig(ctx, configKeys(), time.Now())
	if err != nil {
		return err
	}
	outputs, err := Deploy(ctx, cfg)
	if err != nil {
		return err
	}
	for name, value := range outputs {
		ctx.Export(name, value)
	}
	return nil
}

// LoadConfig reads and validates the stack's config before anything is
// registered. keys are every config key the stack sets, for the check that
// refuses unknown ones.
func LoadConfig(ctx *pulumi.Context, keys []string, now time.Time) (*config.Config, error) {
	return config.Load(ctx.Project(), ctx.Stack(), config.Source{Get: ctx.GetConfig, Keys: keys, Secret: ctx.IsConfigSecret}, now)
}

// configKeys lists the config keys the CLI handed the program. The Go SDK
// keeps its config map private, so they are read where pulumi.Run reads
// them: the JSON object the Go language host puts in PULUMI_CONFIG
// (pulumi/pulumi sdk/go/pulumi-language-go/main.go, constructEnv). An inline Automation API program
// gets its config over gRPC and no variable; it gets no unknown-key check
// (`lab plan` still makes it).
func configKeys() []string {
	var cfg map[string]string
	if err := json.Unmarshal([]byte(os.Getenv(pulumi.EnvConfig)), &cfg); err != nil {
		return nil
	}
	return slices.Sorted(maps.Keys(cfg))
}

// Tags are put on every AWS resource through the provider's default tags, so
// that a lab can be found and audited after teardown.
func Tags(cfg *config.Config) map[string]string {
	return map[string]string{
		"project": cfg.Project,
		"stack":   cfg.Stack,
		"owner":   cfg.Owner,
		"expiry":  cfg.Expiry.Format(time.RFC3339),
	}
}

// base is what the add-ons (controllers, DNS, samples) build on.
type base struct {
	cfg     *config.Config
	aws     *aws.Provider
	k8s     *kubernetes.Provider
	net     *network.Network
	cluster *cluster.Cluster
}

// Deploy registers the lab and returns its stack outputs.
func Deploy(ctx *pulumi.Context, cfg *config.Config) (map[string]pulumi.Input, error) {
	awsProvider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{
		Region:      pulumi.String(cfg.Region),
		DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(Tags(cfg))},
		// The standard aws: keys the lab takes (config refuses the others).
		Profile:           optionalString(cfg.AWSProfile),
		AllowedAccountIds: optionalStrings(cfg.AllowedAccountIDs),
	})
	if err != nil {
		return nil, fmt.Errorf("aws provider: %w", err)
	}
	withAWS := pulumi.Provider(awsProvider)

	// Before any resource: `pulumi up` creates each one as it is registered,
	// and a name another lab holds must stop the run before the VPC exists.
	existing, err := lookupCluster(ctx, cfg, withAWS)
	if err != nil {
		return nil, err
	}
	if err := checkClusterName(ctx, cfg, existing, withAWS); err != nil {
		return nil, err
	}
	if err := checkPause(ctx, cfg, existing); err != nil {
		return nil, err
	}
	creator, err := clusterCreator(ctx, existing, withAWS)
	if err != nil {
		return nil, err
	}
	zones, err := availabilityZones(ctx, cfg, withAWS)
	if err != nil {
		return nil, err
	}
	net, err := network.NewNetwork(ctx, "lab", &network.NetworkArgs{
		VpcCidr: cfg.VpcCidr, Zones: zones, Subnets: cfg.Subnets, NatGateways: cfg.NatGateways, ClusterName: cfg.ClusterName,
		Paused: cfg.Paused,
	}, withAWS)
	if err != nil {
		return nil, err
	}
	firstPublicSubnet := net.PublicSubnetIDs.Index(pulumi.Int(0))
	bast, err := bastion.NewBastion(ctx, "bastion", &bastion.BastionArgs{
		VpcID: net.VpcID, SubnetID: firstPublicSubnet,
		InstanceType: cfg.BastionInstanceType, Arm: config.IsArm(cfg.BastionInstanceType),
		SSHCidr: cfg.SSHCidr, SSHKeyName: cfg.SSHKeyName, PolicyArn: cfg.BastionPolicyArn,
		UserData: userdata.UserData{
			ClusterName: cfg.ClusterName, Region: cfg.Region, KubernetesVersion: cfg.KubernetesVersion,
			Domain: cfg.Domain, HostedZoneID: cfg.HostedZoneID,
		},
		Stopped: cfg.Paused,
	}, withAWS)
	if err != nil {
		return nil, err
	}
	nodeSubnets := net.PublicSubnetIDs
	var nodeDeps []pulumi.Resource
	if cfg.NodeSubnets == config.TierPrivate {
		nodeSubnets = net.PrivateSubnetIDs
		// Private nodes join only with egress: on resume the NAT and the
		// routes to it come first; on a pause the nodes go before the NAT.
		nodeDeps = append(append(nodeDeps, net.NatGateways...), net.PrivateRouteTables...)
	}
	eks, err := cluster.NewCluster(ctx, cfg.ClusterName, &cluster.ClusterArgs{
		Name: cfg.ClusterName, Version: cfg.KubernetesVersion, VpcID: net.VpcID,
		PublicSubnetIDs: net.PublicSubnetIDs, PrivateSubnetIDs: net.PrivateSubnetIDs,
		EndpointPublicAccessCidrs: cfg.EndpointPublicAccessCidrs, AdminRoleArns: cfg.AdminRoleArns, CreatorArn: creator,
		NodeGroup: cluster.NodeGroupArgs{
			SubnetIDs: nodeSubnets, InstanceType: cfg.NodeInstanceType, Arm: config.IsArm(cfg.NodeInstanceType),
			CapacityType: cfg.NodeCapacityType, SpotInstanceTypes: cfg.NodeSpotInstanceTypes,
			DesiredSize: cfg.NodeDesiredSize, MinSize: cfg.NodeMinSize, MaxSize: cfg.NodeMaxSize,
			DiskSizeGiB: cfg.NodeDiskSizeGiB, SSHKeyName: cfg.SSHKeyName, InstanceTags: Tags(cfg),
		},
		NodeDependsOn: nodeDeps, Paused: cfg.Paused,
		PodIdentityAgent: cfg.WorkloadIdentity == trust.PodIdentity,
		BastionRoleArn:   bast.RoleArn, BastionSecurityGroupID: bast.SecurityGroupID, AWSProfile: cfg.AWSProfile,
	}, withAWS)
	if err != nil {
		return nil, err
	}
	k8sProvider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: eks.Kubeconfig}, pulumi.DependsOn(eks.Admins))
	if err != nil {
		return nil, fmt.Errorf("kubernetes provider: %w", err)
	}

	sshCommand := pulumi.Sprintf("ssh ec2-user@%s", bast.PublicIP)
	if cfg.SSHKeyName != "" {
		sshCommand = pulumi.Sprintf("ssh -i ~/.ssh/%s.pem ec2-user@%s", cfg.SSHKeyName, bast.PublicIP)
	}
	ssmCommand := pulumi.Sprintf("aws ssm start-session --target %s --region %s%s", bast.InstanceID, cfg.Region, profileFlag(cfg))
	if cfg.Paused { // the bastion is stopped: nothing to log in to
		sshCommand, ssmCommand = pulumi.String("").ToStringOutput(), pulumi.String("").ToStringOutput()
	}
	outputs := map[string]pulumi.Input{
		"region":            pulumi.String(cfg.Region),
		"expiry":            pulumi.String(cfg.Expiry.Format(time.RFC3339)),
		"clusterName":       eks.Name,
		"vpcId":             net.VpcID,
		"availabilityZones": pulumi.ToStringArray(zones),
		"publicSubnetIds":   net.PublicSubnetIDs,
		"privateSubnetIds":  net.PrivateSubnetIDs,
		"oidcProviderArn":   eks.OidcProviderArn,
		"kubeconfig":        eks.Kubeconfig,
		"kubeconfigCommand": pulumi.Sprintf("aws eks update-kubeconfig --name %s --region %s%s", eks.Name, cfg.Region, profileFlag(cfg)),
		"bastionPublicIp":   bast.PublicIP,
		"sshCommand":        sshCommand,
		"ssmCommand":        ssmCommand,
		"paused":            pulumi.Bool(cfg.Paused),
		// For `lab audit` of a stack whose file is gone (the scheduled sweep):
		// the zone ExternalDNS writes to, "" when it writes to none.
		"hostedZoneId": pulumi.String(""),
	}
	if cfg.ExternalDNS {
		outputs["hostedZoneId"] = pulumi.String(cfg.HostedZoneID)
		outputs["txtOwnerId"] = pulumi.String(cfg.TxtOwnerID())
	}
	addonOutputs, err := deployAddons(ctx, &base{cfg: cfg, aws: awsProvider, k8s: k8sProvider, net: net, cluster: eks})
	if err != nil {
		return nil, err
	}
	for k, v := range addonOutputs {
		outputs[k] = v
	}
	return outputs, nil
}

// profileFlag is the --profile flag of the stack's AWS commands, "" for
// the shell's credentials.
func profileFlag(cfg *config.Config) string {
	if cfg.AWSProfile == "" {
		return ""
	}
	return " --profile " + cfg.AWSProfile
}

func optionalString(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

func optionalStrings(s []string) pulumi.StringArrayInput {
	if len(s) == 0 {
		return nil
	}
	return pulumi.ToStringArray(s)
}

// lookupCluster is the EKS cluster of the lab's name in the region, nil
// when there is none.
func lookupCluster(ctx *pulumi.Context, cfg *config.Config, opts ...pulumi.InvokeOption) (*awseks.LookupClusterResult, error) {
	clusters, err := awseks.GetClusters(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("EKS clusters of %s: %w", cfg.Region, err)
	}
	if !slices.Contains(clusters.Names, cfg.ClusterName) {
		return nil, nil
	}
	existing, err := awseks.LookupCluster(ctx, &awseks.LookupClusterArgs{Name: cfg.ClusterName}, opts...)
	if err != nil {
		return nil, fmt.Errorf("EKS cluster %s: %w", cfg.ClusterName, err)
	}
	return existing, nil
}

// checkPause refuses to pause a lab that is not up: CoreDNS and the
// controllers' releases would be created with no node and time out. A pause
// without eks-lab:expiry moves the expiry to 8 hours after this update, as
// every update does: say so, with the command that keeps the lab longer.
func checkPause(ctx *pulumi.Context, cfg *config.Config, existing *awseks.LookupClusterResult) error {
	if !cfg.Paused {
		return nil
	}
	if existing == nil {
		return fmt.Errorf("%s:paused = true but cluster %s does not exist in %s: a lab is paused after it has been up; run pulumi config rm %s:paused, then pulumi up",
			config.Namespace, cfg.ClusterName, cfg.Region, config.Namespace)
	}
	if cfg.ExpiryFromConfig {
		return nil
	}
	return ctx.Log.Warn(fmt.Sprintf("the lab expires at %s (%s:expiry is unset: %s after this update); to keep it paused longer: go run ./cmd/lab extend --stack %s --by 48h",
		cfg.Expiry.Format(time.RFC3339), config.Namespace, fmt.Sprintf("%g hours", config.DefaultLifetime.Hours()), cfg.Stack), nil)
}

// clusterCreator is the IAM principal that creates the cluster, or created
// it: EKS makes it an admin itself. A cluster that does not exist yet
// (existing is nil) is created by this run's caller; an existing one says
// in its CreatorTag, as later runs may be another identity's (a member
// creates the lab, the CI role updates it). "" when an existing cluster has
// no tag.
func clusterCreator(ctx *pulumi.Context, existing *awseks.LookupClusterResult, opts ...pulumi.InvokeOption) (string, error) {
	if existing != nil {
		return existing.Tags[cluster.CreatorTag], nil
	}
	caller, err := aws.GetCallerIdentity(ctx, nil, opts...)
	if err != nil {
		return "", fmt.Errorf("caller identity: %w", err)
	}
	return iamarn.Principal(caller.Arn), nil
}

// availabilityZones picks the first AZCount zones that need no opt-in.
func availabilityZones(ctx *pulumi.Context, cfg *config.Config, opts ...pulumi.InvokeOption) ([]string, error) {
	res, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State:   pulumi.StringRef("available"),
		Filters: []aws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("availability zones of %s: %w", cfg.Region, err)
	}
	names := slices.Sorted(slices.Values(res.Names))
	if len(names) < cfg.AZCount {
		return nil, fmt.Errorf("%s:availabilityZoneCount = %d but %s has %d available zones (%v); lower it",
			config.Namespace, cfg.AZCount, cfg.Region, len(names), names)
	}
	return names[:cfg.AZCount], nil
}
