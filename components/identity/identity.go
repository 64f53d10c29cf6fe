// Package identity gives one Kubernetes service account an IAM role, the
// way the lab's workloadIdentity key says: through IRSA (the cluster's IAM
// OIDC provider and the eks.amazonaws.com/role-arn annotation) or through EKS
// Pod Identity (the eks-pod-identity-agent add-on and a pod identity
// association). Every controller of the lab gets its role here.
package identity

import (
	"encoding/json"
	"fmt"
	"strings"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Mode is how pods get their role's credentials.
type Mode string

// The modes of eks-lab:workloadIdentity.
const (
	// IRSA: the pod's projected service account token is exchanged with STS
	// (AssumeRoleWithWebIdentity) against the cluster's IAM OIDC provider.
	IRSA Mode = "irsa"
	// PodIdentity: the eks-pod-identity-agent on the node fetches the
	// credentials from the EKS Auth API for the association of the pod's
	// service account; no OIDC provider in the trust policy.
	PodIdentity Mode = "pod-identity"
)

// title is how docs and role descriptions name the mode.
func (m Mode) title() string {
	if m == IRSA {
		return "IRSA"
	}
	return "EKS Pod Identity"
}

// Modes lists the modes, the default first.
var Modes = []Mode{IRSA, PodIdentity}

// RoleArnAnnotation is the service account annotation IRSA's webhook reads.
const RoleArnAnnotation = "eks.amazonaws.com/role-arn"

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
	// Mode is IRSA or PodIdentity. Required.
	Mode Mode
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
	case IRSA:
		if c.OidcProviderArn == nil || c.OidcIssuer == nil {
			return fmt.Errorf("the cluster's OidcProviderArn and OidcIssuer are required with %s", IRSA)
		}
	case PodIdentity:
	default:
		return fmt.Errorf("the cluster's Mode %q is not one of %v", c.Mode, Modes)
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

	Mode Mode
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
	legacy := c.Mode == IRSA
	if legacy {
		opts = append(opts, pulumi.Aliases([]pulumi.Alias{{Type: pulumi.String(legacyType)}}))
	}
	r := &ServiceAccountRole{Mode: c.Mode}
	if err := ctx.RegisterComponentResource("eks-lab:identity:ServiceAccountRole", name, r, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(r)

	var trust pulumi.StringOutput
	if c.Mode == IRSA {
		trust = pulumi.All(c.OidcProviderArn, c.OidcIssuer).ApplyT(func(v []any) (string, error) {
			return IRSATrustPolicy(v[0].(string), v[1].(string), args.Namespace, args.ServiceAccount)
		}).(pulumi.StringOutput)
	} else {
		trust = c.Name.ToStringOutput().ApplyT(func(cluster string) (string, error) {
			return PodIdentityTrustPolicy(cluster, args.Namespace, args.ServiceAccount)
		}).(pulumi.StringOutput)
	}
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: trust,
		Description:      pulumi.Sprintf("%s role for %s/%s", c.Mode.title(), args.Namespace, args.ServiceAccount),
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
	if c.Mode == PodIdentity {
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

// ModeAnnotation is on the controllers' pods and carries the mode. IRSA's
// webhook and the Pod Identity agent give a pod its credentials when it is
// created, and the charts' pod templates do not depend on the service
// account: without the annotation a change of mode would leave the running
// pods with the credentials of the role the same update deletes.
const ModeAnnotation = "eks-lab/workload-identity"

// PodAnnotations are the Helm values of a chart's pod annotations
// (podAnnotations, which the lab's charts share and put on the Deployment's
// pod template): a change of mode rolls the pods.
func PodAnnotations(mode Mode) map[string]any {
	return map[string]any{ModeAnnotation: string(mode)}
}

// ServiceAccountValues are the Helm values of a chart's service account
// (serviceAccount.annotations, which the lab's charts share): with IRSA the
// role annotation IRSA's webhook reads, with Pod Identity nothing (nil), as
// the association names the service account. The charts create the service
// account under their release's name, the one the role is bound to.
func ServiceAccountValues(mode Mode, roleArn string) map[string]any {
	if mode != IRSA {
		return nil
	}
	return map[string]any{"annotations": map[string]any{RoleArnAnnotation: roleArn}}
}

// IRSATrustPolicy is the role's trust document with IRSA:
// sts:AssumeRoleWithWebIdentity by the OIDC provider, only for the one
// service account and only for tokens minted for STS.
func IRSATrustPolicy(oidcProviderArn, issuer, namespace, serviceAccount string) (string, error) {
	if !strings.Contains(oidcProviderArn, ":oidc-provider/") {
		return "", fmt.Errorf("identity: %q is not an IAM OIDC provider ARN", oidcProviderArn)
	}
	host := strings.TrimPrefix(issuer, "https://")
	if host == "" {
		return "", fmt.Errorf("identity: empty OIDC issuer")
	}
	return document(map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"Federated": oidcProviderArn},
		"Action":    "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{"StringEquals": map[string]string{
			host + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
			host + ":aud": "sts.amazonaws.com",
		}},
	})
}

// PodIdentityTrustPolicy is the role's trust document with EKS Pod Identity,
// as the EKS user guide gives it ("Create IAM role with trust policy required
// by EKS Pod Identity", pod-id-role): the pods.eks.amazonaws.com service may
// sts:AssumeRole and sts:TagSession. The conditions use the session tags EKS
// sends with every AssumeRole it makes for an association (same page:
// eks-cluster-name, kubernetes-namespace, kubernetes-service-account), so
// that another association, in this or another cluster of the account,
// cannot borrow the role. aws:SourceArn and aws:SourceAccount are left out:
// the guide does not say EKS sets them for Pod Identity, and a condition on
// a key that is absent denies.
func PodIdentityTrustPolicy(clusterName, namespace, serviceAccount string) (string, error) {
	if clusterName == "" || namespace == "" || serviceAccount == "" {
		return "", fmt.Errorf("identity: cluster %q, namespace %q and service account %q must all be set", clusterName, namespace, serviceAccount)
	}
	return document(map[string]any{
		"Sid":       "AllowEksAuthToAssumeRoleForPodIdentity",
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "pods.eks.amazonaws.com"},
		"Action":    []string{"sts:AssumeRole", "sts:TagSession"},
		"Condition": map[string]any{"StringEquals": map[string]string{
			"aws:RequestTag/eks-cluster-name":           clusterName,
			"aws:RequestTag/kubernetes-namespace":       namespace,
			"aws:RequestTag/kubernetes-service-account": serviceAccount,
		}},
	})
}

func document(statement map[string]any) (string, error) {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{statement}})
	return string(b), err
}
