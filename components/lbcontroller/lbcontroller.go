// Package lbcontroller installs the AWS Load Balancer Controller: its
// published IAM policy, a role for its service account (IRSA or EKS Pod
// Identity), the chart's CRDs, and the Helm release from the eks-charts
// repository.
package lbcontroller

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	yamlv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/yaml/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/identity"
	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/internal/helmchart"
)

// Pinned versions. The chart's appVersion is AppVersion (since chart 3.0.0
// the chart's version is the controller's), and the IAM policy file is the
// controller's docs/install/iam_policy.json of that same tag, byte for byte:
// a policy from another version misses permissions the controller calls.
const (
	ChartRepo    = "https://aws.github.io/eks-charts"
	ChartName    = "aws-load-balancer-controller"
	ChartVersion = "3.5.0"
	AppVersion   = "v3.5.0"
	// PolicyFile is the embedded policy; its name carries AppVersion.
	PolicyFile = "iam_policy_" + AppVersion + ".json"
	// TagCommit is the commit of kubernetes-sigs/aws-load-balancer-controller
	// tagged AppVersion. Its helm/ chart is the one eks-charts publishes as
	// ChartVersion (stable/aws-load-balancer-controller, identical), and the
	// vendored CRDs are its crds/, read by commit, which unlike a tag cannot move.
	TagCommit = "11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4"
)

// CRDFiles are the chart's crds/ at TagCommit, vendored under crds/ byte
// for byte (helm/aws-load-balancer-controller/crds/ of the tag; a test pins
// each file's SHA-256): what `helm install` applies and `helm upgrade` does
// not ("helm install automatically applies the CRDs, but helm upgrade
// doesn't": docs/deploy/installation.md at AppVersion). The
// TargetGroupBinding CRD gained status.conditions in 3.0.0, so a lab created
// at chart 1.17.1 would keep the old schema; the program applies them
// itself, from the embedded text: nothing is downloaded at preview or up.
var CRDFiles = []string{"crds.yaml", "gateway-crds.yaml"}

//go:embed crds/crds.yaml crds/gateway-crds.yaml
var crdFS embed.FS

// CRDs is the text of a file of CRDFiles, as vendored.
func CRDs(file string) (string, error) {
	b, err := crdFS.ReadFile("crds/" + file)
	return string(b), err
}

// The controller's service account, as the lab's exercises expect it.
const (
	Namespace      = "kube-system"
	ServiceAccount = "aws-load-balancer-controller"
	// ReleaseName is fixed so the Deployment is kube-system/aws-load-balancer-controller.
	ReleaseName = "aws-load-balancer-controller"
)

//go:embed iam_policy_v3.5.0.json
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

	// The CRDs come first: the release creates an IngressClassParams, and the
	// controller watches TargetGroupBindings as soon as it starts. Each file
	// was a ConfigFile read from GitHub at every preview; the alias keeps the
	// component, and through it its CRDs, of a lab created then.
	var crds []pulumi.Resource
	for _, file := range CRDFiles {
		text, err := CRDs(file)
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

	values := pulumi.All(args.Cluster.Name, args.VpcID, role.Arn).ApplyT(func(v []any) map[string]any {
		return HelmValues(v[0].(string), args.Region, v[1].(string), role.Mode, v[2].(string), args.DefaultTags)
	}).(pulumi.MapOutput)
	// The release depends on the role, its policy attachment and its pod
	// identity association: created after them, so the controller's first pod
	// gets credentials, and on destroy deleted before them, so the controller
	// keeps its permissions until it is gone. The CRD groups are remote
	// components, whose construction waits for their CRDs.
	releaseDeps := append(append(append([]pulumi.Resource{}, role.Ready...), crds...), resOpts.DependsOn...)
	release, err := helmchart.Chart{
		Repo: ChartRepo, Name: ChartName, Version: ChartVersion, ReleaseName: ReleaseName, Namespace: Namespace,
		SkipCrds: true,
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

// crdType is the type of a CustomResourceDefinition in pulumi-kubernetes.
const crdType = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"

// KeepCRDs is the transform of the CRD files' children. It forces the
// server-side apply of each CRD (pulumi.com/patchForce): in a lab created
// before the program applied them, Helm created the CRDs and owns their
// fields, and a plain apply of the new schema would stop on the conflict.
// And it retains the CRDs on delete, as Helm does: deleting a CRD deletes
// every TargetGroupBinding, and a finalizer no controller removes any more
// would hold the CRD, and `pulumi destroy`, until it times out. The cluster's
// deletion removes them.
func KeepCRDs(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
	if args.Type != crdType {
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

// ValuePaths are the chart values HelmValues sets. Each is a key of the
// values.yaml of chart ChartVersion and changes what the chart renders
// (checked by rendering the chart of TagCommit with helm.sh/helm/v3 v3.22.0,
// keepTLSSecret against an API server that has the Secret); values equal to
// the chart's defaults are left out (replicaCount 2, ingressClass alb,
// createIngressClassResource true, and serviceAccount.name, which defaults
// to the release name, ServiceAccount). The chart has no values schema, so
// nothing else would catch a misspelled key: a test checks HelmValues sets
// exactly these.
var ValuePaths = []string{"clusterName", "defaultTags", "keepTLSSecret", "podAnnotations", "region", "serviceAccount.annotations", "vpcId"}

// HelmValues are the chart values for one cluster; the controller's role is
// roleArn, which it gets the way mode says. Each key is a key of the chart's
// values.yaml at ChartVersion (3.5.0).
func HelmValues(clusterName, region, vpcID string, mode trust.Mode, roleArn string, defaultTags map[string]string) map[string]any {
	tags := map[string]any{}
	for k, v := range defaultTags {
		tags[k] = v
	}
	values := map[string]any{
		// clusterName: --cluster-name, required.
		"clusterName": clusterName,
		// region, vpcId: --aws-region, --aws-vpc-id; with the nodes' IMDS hop
		// limit of 1 the controller cannot discover them.
		"region": region,
		"vpcId":  vpcID,
		// defaultTags: --default-tags, the lab's tags on every AWS resource it makes.
		"defaultTags": tags,
		// keepTLSSecret (back in chart 3.1.0, default false): reuse the webhook
		// certificate Secret on upgrade. Without it the chart generates a new
		// certificate at every render, so every `pulumi up` would upgrade the
		// release and restart the controller.
		"keepTLSSecret": true,
	}
	// serviceAccount.annotations: the IRSA role annotation, none with Pod Identity.
	if sa := trust.ServiceAccountValues(mode, roleArn); sa != nil {
		values["serviceAccount"] = sa
	}
	// podAnnotations: on the pod template (templates/deployment.yaml at TagCommit), so that
	// a change of mode restarts the pods with their new credentials.
	values["podAnnotations"] = trust.PodAnnotations(mode)
	return values
}
