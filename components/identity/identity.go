// Package irsa builds IAM roles for Kubernetes service accounts (IRSA): one
// role that only one service account of the cluster can assume, through the
// cluster's IAM OIDC provider.
package irsa

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RoleArgs binds a role to one service account.
type RoleArgs struct {
	// OidcProviderArn is the cluster's IAM OIDC provider ARN. Required.
	OidcProviderArn pulumi.StringInput
	// OidcIssuer is the issuer host and path, with or without https://. Required.
	OidcIssuer pulumi.StringInput
	// Namespace is the service account's namespace. Required.
	Namespace string
	// ServiceAccount is the one service account that may assume the role. Required.
	ServiceAccount string
	// PolicyArns are attached to the role. Optional.
	PolicyArns pulumi.StringArray
}

// Role is an IAM role assumable only by system:serviceaccount:<Namespace>:<ServiceAccount>.
type Role struct {
	pulumi.ResourceState

	Role *iam.Role
	Arn  pulumi.StringOutput // put it in the eks.amazonaws.com/role-arn annotation
	Name pulumi.StringOutput
	// Ready is the role and its policy attachments. Depend on these, not on
	// the component: the SDK expands a component into the children it has
	// registered so far, which may not include the attachments yet.
	Ready []pulumi.Resource
}

// NewRole registers the role and its policy attachments.
func NewRole(ctx *pulumi.Context, name string, args *RoleArgs, opts ...pulumi.ResourceOption) (*Role, error) {
	if args == nil || args.OidcProviderArn == nil || args.OidcIssuer == nil || args.Namespace == "" || args.ServiceAccount == "" {
		return nil, fmt.Errorf("irsa %s: OidcProviderArn, OidcIssuer, Namespace and ServiceAccount are required", name)
	}
	r := &Role{}
	if err := ctx.RegisterComponentResource("eks-lab:irsa:Role", name, r, opts...); err != nil {
		return nil, err
	}
	trust := pulumi.All(args.OidcProviderArn, args.OidcIssuer).ApplyT(func(v []any) (string, error) {
		return TrustPolicy(v[0].(string), v[1].(string), args.Namespace, args.ServiceAccount)
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: trust,
		Description:      pulumi.Sprintf("IRSA role for %s/%s", args.Namespace, args.ServiceAccount),
	}, pulumi.Parent(r))
	if err != nil {
		return nil, fmt.Errorf("irsa %s: role: %w", name, err)
	}
	r.Ready = []pulumi.Resource{role}
	for i, arn := range args.PolicyArns {
		a, err := iam.NewRolePolicyAttachment(ctx, fmt.Sprintf("%s-%d", name, i), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: arn,
		}, pulumi.Parent(r))
		if err != nil {
			return nil, fmt.Errorf("irsa %s: policy attachment %d: %w", name, i, err)
		}
		r.Ready = append(r.Ready, a)
	}
	r.Role, r.Arn, r.Name = role, role.Arn, role.Name
	return r, ctx.RegisterResourceOutputs(r, pulumi.Map{"arn": role.Arn, "name": role.Name})
}

// TrustPolicy is the role's trust document: sts:AssumeRoleWithWebIdentity by
// the OIDC provider, only for the one service account and only for tokens
// minted for STS.
func TrustPolicy(oidcProviderArn, issuer, namespace, serviceAccount string) (string, error) {
	if !strings.Contains(oidcProviderArn, ":oidc-provider/") {
		return "", fmt.Errorf("irsa: %q is not an IAM OIDC provider ARN", oidcProviderArn)
	}
	host := strings.TrimPrefix(issuer, "https://")
	if host == "" {
		return "", fmt.Errorf("irsa: empty OIDC issuer")
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": oidcProviderArn},
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Condition": map[string]any{"StringEquals": map[string]string{
				host + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
				host + ":aud": "sts.amazonaws.com",
			}},
		}},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}
