// Package externaldns installs ExternalDNS for one Route 53 public hosted
// zone: an IAM policy that can change records only in that zone, a role for
// its service account (IRSA or EKS Pod Identity), and the pinned Helm release.
package externaldns

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/identity"
	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/internal/helmchart"
)

// Pinned chart (kubernetes-sigs/external-dns, charts/external-dns at tag
// external-dns-helm-chart-1.21.1, commit 9f26451) and app. The newest chart
// ships app 0.21.0; the newest app is v0.22.0 (tag v0.22.0, commit 994f908),
// which the release runs through image.tag. Every flag chart 1.21.1 passes
// exists in v0.22.0 (docs/flags.md at v0.22.0).
const (
	ChartRepo    = "https://kubernetes-sigs.github.io/external-dns/"
	ChartName    = "external-dns"
	ChartVersion = "1.21.1"
	AppVersion   = "v0.22.0"
	// AnnotationPrefix is the study's annotation prefix
	// (external-dns.alpha.kubernetes.io/hostname). v0.22.0 changed the
	// default to external-dns.kubernetes.io/ without a fallback: without this
	// setting it would ignore the samples' and members' annotations, and
	// with policy sync delete their records.
	AnnotationPrefix = "external-dns.alpha.kubernetes.io/"
)

// Where ExternalDNS runs.
const (
	Namespace      = "kube-system"
	ServiceAccount = "external-dns"
	ReleaseName    = "external-dns"
)

// PolicyName names the policy's attachment, as ExternalDNS's AWS tutorial names the policy.
const PolicyName = "AllowExternalDNSUpdates"

// ExternalDNSArgs configures ExternalDNS for one zone.
type ExternalDNSArgs struct {
	// Domain is the zone's domain, e.g. example.com; only names under it are managed. Required.
	Domain string
	// HostedZoneID is the public hosted zone of Domain, e.g. Z0123456789ABCDEFGHIJ. Required.
	HostedZoneID string
	// Region is the cluster's region. Required.
	Region string
	// TxtOwnerID marks the records this stack owns, e.g. "<project>-<stack>",
	// so that two labs sharing a zone never delete each other's records. Required.
	TxtOwnerID string
	// Cluster is the EKS cluster ExternalDNS runs in, and how its pods get
	// IAM roles. Required.
	Cluster identity.Cluster
}

// ExternalDNS is the installed controller.
type ExternalDNS struct {
	pulumi.ResourceState

	// Release is the Helm release; Services with DNS names depend on it so
	// their records are removed before ExternalDNS is.
	Release   *helmv3.Release
	RoleArn   pulumi.StringOutput
	PolicyArn pulumi.StringOutput
}

// NewExternalDNS registers the policy, the role and the release.
// DependsOn given in opts is applied to the release too.
func NewExternalDNS(ctx *pulumi.Context, name string, args *ExternalDNSArgs, opts ...pulumi.ResourceOption) (*ExternalDNS, error) {
	if args == nil {
		return nil, fmt.Errorf("externaldns %s: args are required", name)
	}
	doc, err := PolicyDocument(args.HostedZoneID)
	if err != nil {
		return nil, fmt.Errorf("externaldns %s: %w", name, err)
	}
	if args.Domain == "" || args.Region == "" || args.TxtOwnerID == "" {
		return nil, fmt.Errorf("externaldns %s: Domain, Region, TxtOwnerID and Cluster are required", name)
	}
	if err := args.Cluster.Check(); err != nil {
		return nil, fmt.Errorf("externaldns %s: %w", name, err)
	}
	e := &ExternalDNS{}
	if err := ctx.RegisterComponentResource("eks-lab:externaldns:ExternalDNS", name, e, opts...); err != nil {
		return nil, err
	}
	resOpts, err := pulumi.NewResourceOptions(opts...)
	if err != nil {
		return nil, err
	}

	policy, err := iam.NewPolicy(ctx, name, &iam.PolicyArgs{
		Description: pulumi.String("ExternalDNS: records of Route 53 zone " + zoneID(args.HostedZoneID) + " (" + args.Domain + ")"),
		Policy:      pulumi.String(doc),
	}, pulumi.Parent(e))
	if err != nil {
		return nil, fmt.Errorf("externaldns %s: iam policy: %w", name, err)
	}
	role, err := identity.NewServiceAccountRole(ctx, name+"-"+string(args.Cluster.Mode), &identity.ServiceAccountRoleArgs{
		Cluster:        args.Cluster,
		Namespace:      Namespace,
		ServiceAccount: ServiceAccount,
		Policies:       []identity.Policy{{Name: PolicyName, Arn: policy.Arn}},
	}, pulumi.Parent(e))
	if err != nil {
		return nil, fmt.Errorf("externaldns %s: role: %w", name, err)
	}

	values := role.Arn.ApplyT(func(roleArn string) map[string]any {
		return HelmValues(args.Domain, args.HostedZoneID, args.Region, args.TxtOwnerID, role.Mode, roleArn)
	}).(pulumi.MapOutput)
	// Created after the role, its policy attachment and its pod identity
	// association, so the first pod gets credentials; deleted before them,
	// so ExternalDNS can still delete records during destroy.
	releaseDeps := append(append([]pulumi.Resource{}, role.Ready...), resOpts.DependsOn...)
	release, err := helmchart.Chart{
		Repo: ChartRepo, Name: ChartName, Version: ChartVersion, ReleaseName: ReleaseName, Namespace: Namespace,
	}.Install(ctx, name, values, pulumi.Parent(e), pulumi.DependsOn(releaseDeps))
	if err != nil {
		return nil, fmt.Errorf("externaldns %s: helm release: %w", name, err)
	}

	e.Release, e.RoleArn, e.PolicyArn = release, role.Arn, policy.Arn
	return e, ctx.RegisterResourceOutputs(e, pulumi.Map{
		"roleArn":   role.Arn,
		"policyArn": policy.Arn,
	})
}

// zoneID accepts "Z123" and the API's "/hostedzone/Z123".
func zoneID(id string) string {
	return strings.TrimPrefix(strings.TrimSpace(id), "/hostedzone/")
}

// PolicyDocument allows changing records only in the one hosted zone.
// ListHostedZones has no resource-level permissions, so it needs "*"; the
// record and tag reads are scoped to the zone, which is all ExternalDNS asks
// for once --zone-id-filter is set.
func PolicyDocument(hostedZoneID string) (string, error) {
	id := zoneID(hostedZoneID)
	if id == "" || strings.ContainsAny(id, "/*: ") {
		return "", fmt.Errorf("hosted zone id %q is not a Route 53 zone id like Z0123456789ABCDEFGHIJ", hostedZoneID)
	}
	zoneArn := "arn:aws:route53:::hostedzone/" + id
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid":      "ChangeRecordsInTheLabZone",
				"Effect":   "Allow",
				"Action":   []string{"route53:ChangeResourceRecordSets"},
				"Resource": []string{zoneArn},
			},
			map[string]any{
				"Sid":    "ReadTheLabZone",
				"Effect": "Allow",
				"Action": []string{
					"route53:ListResourceRecordSets",
					"route53:ListTagsForResource",
					"route53:ListTagsForResources",
				},
				"Resource": []string{zoneArn},
			},
			map[string]any{
				"Sid":      "FindZones",
				"Effect":   "Allow",
				"Action":   []string{"route53:ListHostedZones"},
				"Resource": []string{"*"},
			},
		},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// ValuePaths are the chart values HelmValues sets. Each is a key of the
// values.yaml of chart ChartVersion that changes what the chart renders
// (checked by rendering the chart of tag external-dns-helm-chart-1.21.1 with
// helm.sh/helm/v3 v3.22.0, and against its values.schema.json); values equal
// to the chart's defaults are left out (provider.name aws, sources service
// and ingress, registry txt, serviceAccount.name, which defaults to the
// release name, ServiceAccount). A test checks HelmValues sets exactly these.
var ValuePaths = []string{
	"annotationPrefix", "domainFilters", "env", "extraArgs", "image.tag", "podAnnotations", "policy",
	"serviceAccount.annotations", "triggerLoopOnEvent", "txtOwnerId",
}

// HelmValues are the chart values for one zone; ExternalDNS's role is
// roleArn, which it gets the way mode says. Each key is a key of the chart's
// values.yaml at ChartVersion (1.21.1).
func HelmValues(domain, hostedZoneID, region, txtOwnerID string, mode trust.Mode, roleArn string) map[string]any {
	values := map[string]any{
		// image.tag: the app the chart lags behind (its appVersion is 0.21.0).
		"image": map[string]any{"tag": AppVersion},
		// annotationPrefix: --annotation-prefix, see AnnotationPrefix.
		"annotationPrefix": AnnotationPrefix,
		// domainFilters: --domain-filter, only names under the lab's domain.
		"domainFilters": []any{domain},
		// policy: --policy=sync deletes the records of a deleted Service or
		// Ingress (the chart's upsert-only would leave them).
		"policy": "sync",
		// txtOwnerId: --txt-owner-id, the records this stack owns.
		"txtOwnerId": txtOwnerID,
		// triggerLoopOnEvent: --events, react to Service/Ingress changes at
		// once instead of at the next one-minute poll, so records go soon
		// after their Service does.
		"triggerLoopOnEvent": true,
		// env: the region for the AWS SDK; with the nodes' IMDS hop limit of 1
		// ExternalDNS cannot discover it.
		"env": []any{
			map[string]any{"name": "AWS_DEFAULT_REGION", "value": region},
		},
		// extraArgs: flags the chart has no values for.
		"extraArgs": []any{
			"--aws-zone-type=public",
			"--zone-id-filter=" + zoneID(hostedZoneID),
		},
	}
	// serviceAccount.annotations: the IRSA role annotation, none with Pod Identity.
	if sa := trust.ServiceAccountValues(mode, roleArn); sa != nil {
		values["serviceAccount"] = sa
	}
	// podAnnotations: on the pod template (templates/deployment.yaml at tag external-dns-helm-chart-1.21.1), so that
	// a change of mode restarts the pods with their new credentials.
	values["podAnnotations"] = trust.PodAnnotations(mode)
	return values
}
