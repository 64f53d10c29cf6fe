// Package awslbc is what the lab installs the AWS Load Balancer Controller
// with: the chart and its values, the controller's published IAM policy and
// the chart's CRDs, vendored at the pinned tag (internal/versions). Pure Go,
// without the Pulumi SDKs: the lbcontroller component, `lab plan`'s tests
// and the acceptance test read it.
package awslbc

import (
	"embed"

	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/internal/versions"
)

// The chart, at versions.LBControllerChart; the controller it ships is
// versions.LBController (since chart 3.0.0 the chart's version is the
// controller's). The IAM policy file is the controller's
// docs/install/iam_policy.json of that same tag, byte for byte: a policy
// from another version misses permissions the controller calls.
const (
	ChartRepo = "https://aws.github.io/eks-charts"
	ChartName = "aws-load-balancer-controller"
	// PolicyFile is the embedded policy; its name carries the app version.
	PolicyFile = "iam_policy_" + versions.LBController + ".json"
)

// CRDFiles are the chart's crds/ at versions.LBControllerCommit, vendored under crds/ byte
// for byte (helm/aws-load-balancer-controller/crds/ of the tag; a test pins
// each file's SHA-256): what `helm install` applies and `helm upgrade` does
// not ("helm install automatically applies the CRDs, but helm upgrade
// doesn't": docs/deploy/installation.md at versions.LBController). The
// TargetGroupBinding CRD gained status.conditions in 3.0.0, so a lab created
// at chart 1.17.1 would keep the old schema; the program applies them
// itself, from the embedded text: nothing is downloaded at preview or up.
var CRDFiles = []string{"crds.yaml", "gateway-crds.yaml"}

//go:embed crds/crds.yaml crds/gateway-crds.yaml crds/gateway-api-standard-install.yaml
var crdFS embed.FS

// GatewayAPIFile is Gateway API's standard channel at versions.GatewayAPI,
// the release asset standard-install.yaml, vendored under crds/ byte for byte
// (a test pins its SHA-256 and each piece's): its 10 CRDs and the
// safe-upgrades ValidatingAdmissionPolicy with its binding. The controller
// serves Gateways only when these CRDs exist at its start ("The LBC is built
// for Gateway API version v1.6.0", docs/guide/gateway/gateway.md at
// versions.LBController; pkg/gateway/crddetect/gateway_feature_flags.go
// turns the ALB and NLB Gateway features off when a kind is missing). The
// program applies it only when a Gateway sample is on.
const GatewayAPIFile = "gateway-api-standard-install.yaml"

// The GatewayClasses the program creates with Gateway API, and the
// controller names the controller serves them under
// (pkg/gateway/constants/controller_constants.go at versions.LBController).
const (
	ALBGatewayClass      = "alb"
	NLBGatewayClass      = "nlb"
	ALBGatewayController = "gateway.k8s.aws/alb"
	NLBGatewayController = "gateway.k8s.aws/nlb"
)

// GatewayAPIAnnotation is the controller's pod annotation that names the
// installed Gateway API version. The controller looks for the Gateway API
// CRDs once, at start (main.go at versions.LBController), so installing them
// in a running lab must restart its pods: the annotation's change does.
const GatewayAPIAnnotation = "eks-lab/gateway-api"

// CRDs is the text of a file of CRDFiles, or of GatewayAPIFile, as vendored.
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

// PolicyDocument is the controller's IAM policy for versions.LBController, verbatim.
func PolicyDocument() string { return policyDocument }

// PolicyName names the policy's attachment, as the controller's install docs name the policy.
const PolicyName = "AWSLoadBalancerControllerIAMPolicy"

// ValuePaths are the chart values HelmValues sets. Each is a key of the
// values.yaml of chart versions.LBControllerChart and changes what the chart renders
// (checked by rendering the chart of versions.LBControllerCommit with helm.sh/helm/v3 v3.22.0,
// keepTLSSecret against an API server that has the Secret); values equal to
// the chart's defaults are left out (replicaCount 2, ingressClass alb,
// createIngressClassResource true, and serviceAccount.name, which defaults
// to the release name, ServiceAccount). The chart has no values schema, so
// nothing else would catch a misspelled key: a test checks HelmValues sets
// exactly these.
var ValuePaths = []string{"clusterName", "defaultTags", "keepTLSSecret", "podAnnotations", "region", "serviceAccount.annotations", "vpcId"}

// HelmValues are the chart values for one cluster; the controller's role is
// roleArn, which it gets the way mode says. Each key is a key of the chart's
// values.yaml at versions.LBControllerChart (3.5.0). With gatewayAPI (the
// program installs GatewayAPIFile) the pods carry GatewayAPIAnnotation.
// No controllerConfig.featureGates are set: the controller detects the
// Gateway API CRDs only while its Gateway gates keep their defaults.
func HelmValues(clusterName, region, vpcID string, mode trust.Mode, roleArn string, defaultTags map[string]string, gatewayAPI bool) map[string]any {
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
	// podAnnotations: on the pod template (templates/deployment.yaml at versions.LBControllerCommit), so that
	// a change of mode restarts the pods with their new credentials.
	pod := trust.PodAnnotations(mode)
	if gatewayAPI {
		pod[GatewayAPIAnnotation] = versions.GatewayAPI
	}
	values["podAnnotations"] = pod
	return values
}
