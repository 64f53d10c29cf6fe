// Package lbcontroller installs the AWS Load Balancer Controller: its
// published IAM policy, a role for its service account (IRSA or EKS Pod
// Identity), the chart's CRDs, and the Helm release from the eks-charts
// repository.
package lbcontroller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	yamlv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/yaml/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/identity"
	"github.com/eks-study/lab/components/internal/helmchart"
	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/internal/versions"
)

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
	// GatewayAPI installs Gateway API's standard channel (awslbc.GatewayAPIFile,
	// versions.GatewayAPI) before the release, and the GatewayClasses alb and
	// nlb after it, and rolls the controller's pods so that they serve
	// Gateways. Optional. Default false.
	GatewayAPI bool
	// Paused is true while the lab is paused (no nodes): the release is
	// upgraded without waiting. Default false.
	Paused bool
}

// LoadBalancerController is the installed controller.
type LoadBalancerController struct {
	pulumi.ResourceState

	// Release is the Helm release. Make every LoadBalancer Service, Ingress and Gateway
	// depend on it, so that `pulumi destroy` deletes them while the controller
	// still runs and removes their load balancers.
	Release   *helmv3.Release
	RoleArn   pulumi.StringOutput
	PolicyArn pulumi.StringOutput
	// GatewayAPI is the Gateway API CRDs' ConfigGroup (nil without
	// Args.GatewayAPI): a release that reads Gateway API objects (ExternalDNS)
	// depends on it.
	GatewayAPI pulumi.Resource
	// GatewayClasses are the classes alb and nlb (none without
	// Args.GatewayAPI). Make every Gateway depend on them.
	GatewayClasses []pulumi.Resource
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
		Description: pulumi.String("AWS Load Balancer Controller " + versions.LBController + " (docs/install/iam_policy.json)"),
		Policy:      pulumi.String(awslbc.PolicyDocument()),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("lbcontroller %s: iam policy: %w", name, err)
	}
	role, err := identity.NewServiceAccountRole(ctx, name+"-"+string(args.Cluster.Mode), &identity.ServiceAccountRoleArgs{
		Cluster:        args.Cluster,
		Namespace:      awslbc.Namespace,
		ServiceAccount: awslbc.ServiceAccount,
		Policies:       []identity.Policy{{Name: awslbc.PolicyName, Arn: policy.Arn}},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("lbcontroller %s: role: %w", name, err)
	}

	// The CRDs come first: the release creates an IngressClassParams, and the
	// controller watches TargetGroupBindings as soon as it starts. Each file
	// was a ConfigFile read from GitHub at every preview; the alias keeps the
	// component, and through it its CRDs, of a lab created then.
	var crds []pulumi.Resource
	for _, file := range awslbc.CRDFiles {
		text, err := awslbc.CRDs(file)
		if err != nil {
			return nil, fmt.Errorf("lbcontroller %s: CRDs %s: %w", name, file, err)
		}
		cg, err := yamlv2.NewConfigGroup(ctx, name+"-"+strings.TrimSuffix(file, ".yaml"), &yamlv2.ConfigGroupArgs{
			Yaml: pulumi.String(text),
		}, pulumi.Parent(c), pulumi.Transforms([]pulumi.ResourceTransform{KeepCRDs}),
			pulumi.Aliases([]pulumi.Alias{{Type: pulumi.String("kubernetes:yaml/v2:ConfigFile")}}))
		if err != nil {
			return nil, fmt.Errorf("lbcontroller %s: CRDs %s: %w", name, file, err)
		}
		crds = append(crds, cg)
	}
	// Gateway API, before the release: the controller detects its CRDs once,
	// at start. A fixed name, so a new version is an update of the group.
	if args.GatewayAPI {
		text, err := awslbc.CRDs(awslbc.GatewayAPIFile)
		if err != nil {
			return nil, fmt.Errorf("lbcontroller %s: Gateway API: %w", name, err)
		}
		cg, err := yamlv2.NewConfigGroup(ctx, name+"-gateway-api", &yamlv2.ConfigGroupArgs{
			Yaml: pulumi.String(text),
		}, pulumi.Parent(c), pulumi.Transforms([]pulumi.ResourceTransform{KeepCRDs}))
		if err != nil {
			return nil, fmt.Errorf("lbcontroller %s: Gateway API: %w", name, err)
		}
		crds = append(crds, cg)
		c.GatewayAPI = cg
	}

	values := pulumi.All(args.Cluster.Name, args.VpcID, role.Arn).ApplyT(func(v []any) map[string]any {
		return awslbc.HelmValues(v[0].(string), args.Region, v[1].(string), role.Mode, v[2].(string), args.DefaultTags, args.GatewayAPI)
	}).(pulumi.MapOutput)
	// The release depends on the role, its policy attachment and its pod
	// identity association: created after them, so the controller's first pod
	// gets credentials, and on destroy deleted before them, so the controller
	// keeps its permissions until it is gone. The CRD groups are remote
	// components, whose construction waits for their CRDs.
	releaseDeps := append(append(append([]pulumi.Resource{}, role.Ready...), crds...), resOpts.DependsOn...)
	release, err := helmchart.Chart{
		Repo: awslbc.ChartRepo, Name: awslbc.ChartName, Version: versions.LBControllerChart, ReleaseName: awslbc.ReleaseName, Namespace: awslbc.Namespace,
		SkipCrds: true, SkipAwait: args.Paused,
	}.Install(ctx, name, values, pulumi.Parent(c), pulumi.DependsOn(releaseDeps),
		// A moving expiry tag must not upgrade and restart the controller on
		// every `pulumi up`; its load balancers keep the expiry of their creation.
		pulumi.IgnoreChanges([]string{`values.defaultTags["expiry"]`}))
	if err != nil {
		return nil, fmt.Errorf("lbcontroller %s: helm release: %w", name, err)
	}

	if args.GatewayAPI {
		if c.GatewayClasses, err = gatewayClasses(ctx, name, c, release); err != nil {
			return nil, err
		}
	}

	c.Release, c.RoleArn, c.PolicyArn = release, role.Arn, policy.Arn
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"roleArn":   role.Arn,
		"policyArn": policy.Arn,
	})
}

// gatewayClasses registers the classes alb and nlb, after the release. They
// are kept on delete like the CRDs: a member's Gateway holds the class's
// finalizer (gateway.k8s.aws/gatewayclass, gateway_class_controller.go at
// versions.LBController) and turning the samples off runs no cleanup, so
// deleting the class would wait until the provider's timeout; and members'
// Gateways keep their class beside the kept CRDs. Turned on again, the
// server-side apply of pulumi-kubernetes v4.25.0 takes the kept class over.
func gatewayClasses(ctx *pulumi.Context, name string, parent pulumi.Resource, release pulumi.Resource) ([]pulumi.Resource, error) {
	var out []pulumi.Resource
	for _, gc := range []struct{ class, controller, lb string }{
		{awslbc.ALBGatewayClass, awslbc.ALBGatewayController, "ALB"},
		{awslbc.NLBGatewayClass, awslbc.NLBGatewayController, "NLB"},
	} {
		r, err := apiextensions.NewCustomResource(ctx, name+"-"+gc.class, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("gateway.networking.k8s.io/v1"),
			Kind:       pulumi.String("GatewayClass"),
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(gc.class), Labels: pulumi.StringMap{
				"app.kubernetes.io/part-of": pulumi.String("eks-lab"),
			}},
			OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{
				"controllerName": pulumi.String(gc.controller),
				// At most 64 characters (the CRD's schema).
				"description": pulumi.String("AWS Load Balancer Controller: one " + gc.lb + " per Gateway"),
			}},
		}, pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{release}), pulumi.RetainOnDelete(true))
		if err != nil {
			return nil, fmt.Errorf("lbcontroller %s: GatewayClass %s: %w", name, gc.class, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// keptTypes are the types KeepCRDs retains: the CRDs, and Gateway API's
// safe-upgrades ValidatingAdmissionPolicy and its binding, which guard them.
var keptTypes = []string{
	"kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
	"kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
	"kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
}

// KeepCRDs is the transform of the CRD files' children. It forces the
// server-side apply of each CRD (pulumi.com/patchForce): in a lab created
// before the program applied them, Helm created the CRDs and owns their
// fields, and a plain apply of the new schema would stop on the conflict.
// And it retains the CRDs on delete, as Helm does: deleting a CRD deletes
// every TargetGroupBinding, and a finalizer no controller removes any more
// would hold the CRD, and `pulumi destroy`, until it times out. The cluster's
// deletion removes them. Gateway API's admission policy and binding are kept
// with its CRDs, and forced over a member's own install of Gateway API.
func KeepCRDs(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
	if !slices.Contains(keptTypes, args.Type) {
		return nil
	}
	metadata, _ := args.Props["metadata"].(pulumi.Map)
	if metadata == nil {
		metadata = pulumi.Map{}
	}
	annotations, _ := metadata["annotations"].(pulumi.Map)
	if annotations == nil {
		annotations = pulumi.Map{}
	}
	annotations["pulumi.com/patchForce"] = pulumi.String("true")
	metadata["annotations"] = annotations
	args.Props["metadata"] = metadata
	args.Opts.RetainOnDelete = true
	return &pulumi.ResourceTransformResult{Props: args.Props, Opts: args.Opts}
}
