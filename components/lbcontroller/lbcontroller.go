// Package lbcontroller installs the AWS Load Balancer Controller: its
// published IAM policy, an IRSA role for its service account, and the Helm
// release from the eks-charts repository.
package lbcontroller

import (
	_ "embed"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/irsa"
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

// LoadBalancerControllerArgs configures the controller.
type LoadBalancerControllerArgs struct {
	// ClusterName is the EKS cluster the controller serves. Required.
	ClusterName pulumi.StringInput
	// Region is the cluster's region. Required: nodes require IMDSv2 with a
	// hop limit of 1, so the controller cannot discover it from instance metadata.
	Region string
	// VpcID is the cluster's VPC. Required, for the same reason as Region.
	VpcID pulumi.StringInput
	// OidcProviderArn is the cluster's IAM OIDC provider, for IRSA. Required.
	OidcProviderArn pulumi.StringInput
	// OidcIssuer is the cluster's OIDC issuer, for IRSA. Required.
	OidcIssuer pulumi.StringInput
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

// NewLoadBalancerController registers the policy, the IRSA role and the release.
// DependsOn given in opts (e.g. the node group) is applied to the release too:
// Pulumi does not pass a component's dependencies on to its children.
func NewLoadBalancerController(ctx *pulumi.Context, name string, args *LoadBalancerControllerArgs, opts ...pulumi.ResourceOption) (*LoadBalancerController, error) {
	if args == nil || args.ClusterName == nil || args.VpcID == nil || args.Region == "" || args.OidcProviderArn == nil || args.OidcIssuer == nil {
		return nil, fmt.Errorf("lbcontroller %s: ClusterName, Region, VpcID, OidcProviderArn and OidcIssuer are required", name)
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
	role, err := irsa.NewRole(ctx, name+"-irsa", &irsa.RoleArgs{
		OidcProviderArn: args.OidcProviderArn,
		OidcIssuer:      args.OidcIssuer,
		Namespace:       Namespace,
		ServiceAccount:  ServiceAccount,
		PolicyArns:      pulumi.StringArray{policy.Arn},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("lbcontroller %s: irsa role: %w", name, err)
	}

	values := pulumi.All(args.ClusterName, args.VpcID, role.Arn).ApplyT(func(v []any) map[string]any {
		return HelmValues(v[0].(string), args.Region, v[1].(string), v[2].(string), args.DefaultTags)
	}).(pulumi.MapOutput)
	// The release depends on the whole role component, policy attachment
	// included: on destroy the controller keeps its permissions until it is gone.
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

// HelmValues are the chart values for one cluster.
func HelmValues(clusterName, region, vpcID, roleArn string, defaultTags map[string]string) map[string]any {
	tags := map[string]any{}
	for k, v := range defaultTags {
		tags[k] = v
	}
	return map[string]any{
		"defaultTags":  tags,
		"clusterName":  clusterName,
		"region":       region,
		"vpcId":        vpcID,
		"replicaCount": 2,
		"serviceAccount": map[string]any{
			"create": true,
			"name":   ServiceAccount,
			"annotations": map[string]any{
				"eks.amazonaws.com/role-arn": roleArn,
			},
		},
		// The samples use ingressClassName: alb; make sure the class exists.
		"ingressClass":               "alb",
		"createIngressClassResource": true,
	}
}
