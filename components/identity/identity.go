// Package identity gives one Kubernetes service account an IAM role, the
// way the lab's workloadIdentity key says: through IRSA (the cluster's IAM
// OIDC provider and the eks.amazonaws.com/role-arn annotation) or through EKS
// Pod Identity (the eks-pod-identity-agent add-on and a pod identity
// association). Every controller of the lab gets its role here.
package identity

import (
	"fmt"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/identity/trust"
)

// legacyType is the component's type before it learned Pod Identity; labs
// created then keep their roles through an alias.
const legacyType = "eks-lab:irsa:Role"

// Policy is a managed policy for the role.
type Policy struct {
	// Name names the attachment, e.g. the policy's name in the upstream docs.
	Name string
	// Arn is the policy's ARN.
	Arn pulumi.StringInput
}

// Cluster is what every service account role of one cluster shares.
type Cluster struct {
	// Mode is trust.IRSA or trust.PodIdentity. Required.
	Mode trust.Mode
	// Name is the EKS cluster's name. Required.
	Name pulumi.StringInput
	// OidcProviderArn is the cluster's IAM OIDC provider ARN. Required with IRSA.
	OidcProviderArn pulumi.StringInput
	// OidcIssuer is the issuer host and path, with or without https://. Required with IRSA.
	OidcIssuer pulumi.StringInput
}

// Check says what a Cluster lacks, for the errors of the components that take one.
func (c Cluster) Check() error {
	if c.Name == nil {
		return fmt.Errorf("the cluster's Name is required")
	}
	switch c.Mode {
	case trust.IRSA:
		if c.OidcProviderArn == nil || c.OidcIssuer == nil {
			return fmt.Errorf("the cluster's OidcProviderArn and OidcIssuer are required with %s", trust.IRSA)
		}
	case trust.PodIdentity:
	default:
		return fmt.Errorf("the cluster's Mode %q is not one of %v", c.Mode, trust.Modes)
	}
	return nil
}

// ServiceAccountRoleArgs binds a role to one service account.
type ServiceAccountRoleArgs struct {
	// Cluster is the service account's cluster and the identity mode. Required.
	Cluster Cluster
	// Namespace is the service account's namespace. Required.
	Namespace string
	// ServiceAccount is the one service account that may use the role. Required.
	ServiceAccount string
	// Policies are attached to the role, each attachment named by its policy. Optional.
	Policies []Policy
}

// ServiceAccountRole is the role and, with Pod Identity, its association.
type ServiceAccountRole struct {
	pulumi.ResourceState

	Mode trust.Mode
	Role *iam.Role
	Arn  pulumi.StringOutput
	Name pulumi.StringOutput
	// Ready is the role, its policy attachments and the association. A
	// release that uses the role depends on these, not on the component (the
	// SDK expands a component into the children it has registered so far):
	// created after them, and deleted before them.
	Ready []pulumi.Resource
}

// NewServiceAccountRole registers the role, its policy attachments and, with
// Pod Identity, the pod identity association.
func NewServiceAccountRole(ctx *pulumi.Context, name string, args *ServiceAccountRoleArgs, opts ...pulumi.ResourceOption) (*ServiceAccountRole, error) {
	if args == nil || args.Namespace == "" || args.ServiceAccount == "" {
		return nil, fmt.Errorf("identity %s: Cluster, Namespace and ServiceAccount are required", name)
	}
	if err := args.Cluster.Check(); err != nil {
		return nil, fmt.Errorf("identity %s: %w", name, err)
	}
	c := args.Cluster
	// Labs from before Pod Identity have IRSA roles under the old type, and
	// their attachments named by position.
	legacy := c.Mode == trust.IRSA
	if legacy {
		opts = append(opts, pulumi.Aliases([]pulumi.Alias{{Type: pulumi.String(legacyType)}}))
	}
	r := &ServiceAccountRole{Mode: c.Mode}
	if err := ctx.RegisterComponentResource("eks-lab:identity:ServiceAccountRole", name, r, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(r)

	var trustPolicy pulumi.StringOutput
	if c.Mode == trust.IRSA {
		trustPolicy = pulumi.All(c.OidcProviderArn, c.OidcIssuer).ApplyT(func(v []any) (string, error) {
			return trust.IRSATrustPolicy(v[0].(string), v[1].(string), args.Namespace, args.ServiceAccount)
		}).(pulumi.StringOutput)
	} else {
		trustPolicy = c.Name.ToStringOutput().ApplyT(func(cluster string) (string, error) {
			return trust.PodIdentityTrustPolicy(cluster, args.Namespace, args.ServiceAccount)
		}).(pulumi.StringOutput)
	}
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: trustPolicy,
		Description:      pulumi.Sprintf("%s role for %s/%s", c.Mode.Title(), args.Namespace, args.ServiceAccount),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("identity %s: role: %w", name, err)
	}
	r.Ready = []pulumi.Resource{role}
	for i, p := range args.Policies {
		if p.Name == "" || p.Arn == nil {
			return nil, fmt.Errorf("identity %s: policy %d: Name and Arn are required", name, i)
		}
		attachOpts := []pulumi.ResourceOption{parent}
		if legacy {
			attachOpts = append(attachOpts, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.Sprintf("%s-%d", name, i)}}))
		}
		a, err := iam.NewRolePolicyAttachment(ctx, name+"-"+p.Name, &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: p.Arn,
		}, attachOpts...)
		if err != nil {
			return nil, fmt.Errorf("identity %s: policy attachment %s: %w", name, p.Name, err)
		}
		r.Ready = append(r.Ready, a)
	}
	if c.Mode == trust.PodIdentity {
		assoc, err := awseks.NewPodIdentityAssociation(ctx, name, &awseks.PodIdentityAssociationArgs{
			ClusterName:    c.Name,
			Namespace:      pulumi.String(args.Namespace),
			ServiceAccount: pulumi.String(args.ServiceAccount),
			RoleArn:        role.Arn,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("identity %s: pod identity association: %w", name, err)
		}
		r.Ready = append(r.Ready, assoc)
	}
	r.Role, r.Arn, r.Name = role, role.Arn, role.Name
	return r, ctx.RegisterResourceOutputs(r, pulumi.Map{"arn": role.Arn, "name": role.Name})
}
