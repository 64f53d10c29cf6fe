package cluster

import (
	"fmt"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/cluster/iamarn"
)

// CreatorTag is the cluster's tag that records who created it (Principal
// of the caller then): later runs, maybe by another identity, read it back
// to know which admin role EKS already made an admin.
const CreatorTag = "eks-lab:creator"

// accessEntries gives the bastion's role and every admin role cluster-admin
// through an EKS access entry and policy association, except the cluster's
// creator: pulumi-eks v3.9.1 creates the cluster with
// bootstrapClusterCreatorAdminPermissions (nodejs/eks/cluster/cluster.ts), so
// EKS has made it an admin already, and EKS allows one entry per principal
// (a second fails with ResourceInUseException).
//
// The lab used to pass these to pulumi-eks as AccessEntries, keyed "bastion"
// and "admin-<position>", which pulumi-eks registers under its component as
// "<name>-<key>" with the association "<name>-<key>-<policy key>" under the
// entry (nodejs/eks/cluster/authenticationMode.ts, createAccessEntries). The
// lab now registers them itself, named by role, with aliases to those URNs:
// a replaced access entry would fail (the new one is created before the old
// is deleted, and EKS takes one per principal).
func accessEntries(ctx *pulumi.Context, name string, args *ClusterArgs, controlPlane *eks.Cluster, clusterName pulumi.StringOutput,
	opts ...pulumi.ResourceOption,
) ([]pulumi.Resource, error) {
	type admin struct {
		key, oldKey string
		principal   pulumi.StringInput
	}
	admins := []admin{{key: "bastion", oldKey: "bastion", principal: args.BastionRoleArn}}
	for i, arn := range args.AdminRoleArns {
		if iamarn.SameRole(arn, args.CreatorArn) {
			continue
		}
		admins = append(admins, admin{key: "admin-" + iamarn.Name(arn), oldKey: fmt.Sprintf("admin-%d", i), principal: pulumi.String(arn)})
	}
	var out []pulumi.Resource
	for _, a := range admins {
		oldEntry := name + "-" + a.oldKey
		entry, err := awseks.NewAccessEntry(ctx, name+"-"+a.key, &awseks.AccessEntryArgs{
			ClusterName:  clusterName,
			PrincipalArn: a.principal,
		}, append(opts, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(oldEntry), Parent: controlPlane}}))...)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: access entry %s: %w", name, a.key, err)
		}
		oldEntryURN := pulumi.CreateURN(pulumi.String(oldEntry), pulumi.String("aws:eks/accessEntry:AccessEntry"),
			controlPlane.URN().ToStringOutput(), pulumi.String(ctx.Project()), pulumi.String(ctx.Stack()))
		association, err := awseks.NewAccessPolicyAssociation(ctx, name+"-"+a.key+"-cluster-admin", &awseks.AccessPolicyAssociationArgs{
			ClusterName:  clusterName,
			PrincipalArn: entry.PrincipalArn,
			PolicyArn:    pulumi.String(ClusterAdminPolicyArn),
			AccessScope:  awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
		}, pulumi.Parent(entry), pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(oldEntry + "-cluster-admin"), ParentURN: oldEntryURN}}))
		if err != nil {
			return nil, fmt.Errorf("cluster %s: access policy association %s: %w", name, a.key, err)
		}
		out = append(out, association)
	}
	return out, nil
}
