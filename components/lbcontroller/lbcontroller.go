// Package lbcontroller installs the AWS Load Balancer Controller: its
// published IAM policy, a role for its service account (IRSA or EKS Pod
// Identity), and the Helm release from the eks-charts repository.
package lbcontroller

import (
	_ "embed"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/identity"
	"github.com/eks-study/lab/internal/helmchart"
)

// Pinned versions. The chart's appVersion is AppVersion, and the IAM policy
// file is the controller's docs/install/iam_policy.json of that same tag:
// a policy from another version misses permissions the controller calls.
const (
	ChartRepo    = "https://aws.github.io/eks-charts"
	ChartName    = "aws-load-balancer-controller"
	ChartVersion = "1.17.1"
	AppVersion   = "v2.17.1"
	// PolicyFile is the embedded policy; its name carries AppVersion.
	PolicyFile = "iam_policy_" + AppVersion + ".json"
)

// The controller's service account, as the lab's exercises expect it.
const (
	Namespace      = "kube-system"
	ServiceAccount = "aws-load-balancer-controller"
	// ReleaseName is fixed so the Deployment is kube-system/aws-load-balancer-controller.
	ReleaseName = "aws-load-balancer-controller"
)

//go:embed iam_policy_v2.17.1.json
var policyDocument string

// PolicyDocument is the controller's IAM policy for AppVersion, verbatim.
func PolicyDocument() string { return policyDocument }

// PolicyName names the policy's attachment, as the controller's install docs name the policy.
const PolicyName = "AWSLoadBalancerControllerIAMPolicy"

// LoadBalancerControllerArgs configures the controller.
type LoadBalancerControllerArgs struct {
	// Cluster is the EKS cluster the controller serves, and how its pods get
	// IAM roles. Required.
	Cluster identity.Cluster
	// Region is the cluster's region. Required: nodes require IMDSv2 with a
	// hop limit of 1, so the controller cannot discover it from instance metadata.
	Region string
	// VpcID is the cluster's VPC. Required, for the same reason as Region.
	VpcID pulumi.StringInput
	// DefaultTags go on every NLB, ALB, target group and security group the
	// controller creates, so an audit finds them by the lab's tags. Optional.
	DefaultTags map[string]string
}

// LoadBalancerController is the installed controller.
type LoadBalancerController struct {
	pulumi.ResourceState

	// Release is the Helm release. Make every LoadBalancer Service and Ingress
	// depend on it, so that `pulumi destroy` deletes them while the controller
	// still runs and removes their load balancers.
	Release   *helmv3.Release
	RoleArn   pulumi.StringOutput
	PolicyArn pulumi.StringOutput
}

// NewLoadBalancerController registers the policy, the role and the release.
// DependsOn given in opts (e.g. the node group) is applied to the release too:
// Pulumi does not pass a component's dependencies on to its children.
func NewLoadBalancerController(ctx *pulumi.Context, name string, args *LoadBalancerControllerArgs, opts ...pulumi.ResourceOption) (*LoadBalancerController, error) {
	if args == nil || args.VpcID == nil || args.Region == "" {
		return nil, fmt.Errorf("lbcontroller %s: Cluster, Region and VpcID are required", name)
	}
	if err := args.Cluster.Check(); err != nil {
		return nil, fmt.Errorf("lbcontroller %s: %w", name, err)
	}
	c := &LoadBalancerController{}
	if err := ctx.RegisterComponentResource("eks-lab:lbcontroller:LoadBalancerController", name, c, opts...); err != nil {
		return nil, err
	}
	resOpts, err := pulumi.NewResourceOptions(opts...)
	if err != nil {
		return nil, err
	}

	policy, err := iam.NewPolicy(ctx, name, &iam.PolicyArgs{
		Description: pulumi.String("AWS Load Balancer Controller " + AppVersion + " (docs/install/iam_policy.json)"),
		Policy:      pulumi.String(PolicyDocument()),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("lbcontroller %s: iam policy: %w", name, err)
	}
	role, err := identity.NewServiceAccountRole(ctx, name+"-"+string(args.Cluster.Mode), &identity.ServiceAccountRoleArgs{
		Cluster:        args.Cluster,
		Namespace:      Namespace,
		ServiceAccount: ServiceAccount,
		Policies:       []identity.Policy{{Name: PolicyName, Arn: policy.Arn}},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("lbcontroller %s: role: %w", name, err)
	}

	values := pulumi.All(args.Cluster.Name, args.VpcID, role.Arn).ApplyT(func(v []any) map[string]any {
		return HelmValues(v[0].(string), args.Region, v[1].(string), role.Mode, v[2].(string), args.DefaultTags)
	}).(pulumi.MapOutput)
	// The release depends on the role, its policy attachment and its pod
	// identity association: created after them, so the controller's first pod
	// gets credentials, and on destroy deleted before them, so the controller
	// keeps its permissions until it is gone.
	releaseDeps := append(append([]pulumi.Resource{}, role.Ready...), resOpts.DependsOn...)
	release, err := helmchart.Chart{
		Repo: ChartRepo, Name: ChartName, Version: ChartVersion, ReleaseName: ReleaseName, Namespace: Namespace,
	}.Install(ctx, name, values, pulumi.Parent(c), pulumi.DependsOn(releaseDeps),
		// A moving expiry tag must not upgrade and restart the controller on
		// every `pulumi up`; its load balancers keep the expiry of their creation.
		pulumi.IgnoreChanges([]string{`values.defaultTags["expiry"]`}))
	if err != nil {
		return nil, fmt.Errorf("lbcontroller %s: helm release: %w", name, err)
	}

	c.Release, c.RoleArn, c.PolicyArn = release, role.Arn, policy.Arn
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"roleArn":   role.Arn,
		"policyArn": policy.Arn,
	})
}

// HelmValues are the chart values for one cluster; the controller's role is
// roleArn, which it gets the way mode says.
func HelmValues(clusterName, region, vpcID string, mode identity.Mode, roleArn string, defaultTags map[string]string) map[string]any {
	tags := map[string]any{}
	for k, v := range defaultTags {
		tags[k] = v
	}
	return map[string]any{
		"defaultTags":    tags,
		"clusterName":    clusterName,
		"region":         region,
		"vpcId":          vpcID,
		"replicaCount":   2,
		"serviceAccount": identity.ServiceAccountValues(mode, ServiceAccount, roleArn),
		// The samples use ingressClassName: alb; make sure the class exists.
		"ingressClass":               "alb",
		"createIngressClassResource": true,
	}
}
