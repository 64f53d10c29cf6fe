// Package externaldns installs ExternalDNS for one Route 53 public hosted
// zone: an IAM policy that can change records only in that zone, a role for
// its service account (IRSA or EKS Pod Identity), and the pinned Helm release.
package externaldns

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/externaldns/extdns"
	"github.com/eks-study/lab/components/identity"
	"github.com/eks-study/lab/components/internal/helmchart"
	"github.com/eks-study/lab/internal/versions"
)

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
	// GatewayHTTPRoutes also publishes HTTPRoutes' hostnames (extdns.Sources).
	// Set it only while Gateway API's CRDs are installed, and make the
	// release depend on them: ExternalDNS v0.22.0 exits when a source's CRD
	// is missing. Optional. Default false.
	GatewayHTTPRoutes bool
	// Paused is true while the lab is paused (no nodes): the release is
	// upgraded without waiting. Default false.
	Paused bool
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
	doc, err := extdns.PolicyDocument(args.HostedZoneID)
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
		Description: pulumi.String("ExternalDNS: records of Route 53 zone " + extdns.ZoneID(args.HostedZoneID) + " (" + args.Domain + ")"),
		Policy:      pulumi.String(doc),
	}, pulumi.Parent(e))
	if err != nil {
		return nil, fmt.Errorf("externaldns %s: iam policy: %w", name, err)
	}
	role, err := identity.NewServiceAccountRole(ctx, name+"-"+string(args.Cluster.Mode), &identity.ServiceAccountRoleArgs{
		Cluster:        args.Cluster,
		Namespace:      extdns.Namespace,
		ServiceAccount: extdns.ServiceAccount,
		Policies:       []identity.Policy{{Name: extdns.PolicyName, Arn: policy.Arn}},
	}, pulumi.Parent(e))
	if err != nil {
		return nil, fmt.Errorf("externaldns %s: role: %w", name, err)
	}

	values := role.Arn.ApplyT(func(roleArn string) map[string]any {
		return extdns.HelmValues(args.Domain, args.HostedZoneID, args.Region, args.TxtOwnerID, role.Mode, roleArn, args.GatewayHTTPRoutes)
	}).(pulumi.MapOutput)
	// Created after the role, its policy attachment and its pod identity
	// association, so the first pod gets credentials; deleted before them,
	// so ExternalDNS can still delete records during destroy.
	releaseDeps := append(append([]pulumi.Resource{}, role.Ready...), resOpts.DependsOn...)
	release, err := helmchart.Chart{
		Repo: extdns.ChartRepo, Name: extdns.ChartName, Version: versions.ExternalDNSChart, ReleaseName: extdns.ReleaseName, Namespace: extdns.Namespace,
		SkipAwait: args.Paused,
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
