package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// The lab's IAM: the bastion's role (it holds eks-lab:bastionPolicyArn,
// AdministratorAccess in the study) and instance profile, the node role, the
// controllers' roles and customer-managed policies, and, from pulumi-eks
// v3.9.1 (nodejs/eks/cluster/cluster.ts), the cluster's service role
// (ServiceRole "<name>-eksRole") and the OIDC provider. pulumi-eks builds
// them with the aws provider the program hands it, and that provider's
// default tags (infra/program Tags: project, stack, owner, expiry) go on
// every taggable resource: roles, instance profiles, policies and OIDC
// providers all are. eksctl's roles (iamserviceaccount, addon) carry no
// lab tags: they go with their CloudFormation stack (eksctlStacks).
//
// IAM is global and the regional tagging API does not list it, so this
// check asks IAM itself: every list call, then each resource's tags (the
// list calls return none). Only what carries project=<project> and
// stack=<stack> is claimed, so another stack's IAM in the same account is
// never touched.

// iamTags turns IAM tags into a map.
func iamTags(tags []iamtypes.Tag) map[string]string {
	return tagMap(tags, func(t iamtypes.Tag) (*string, *string) { return t.Key, t.Value })
}

// iamResources finds the stack's IAM roles, instance profiles,
// customer-managed policies and OIDC providers. Their delete commands, run
// in the report's order (deleteOrder), take each apart as IAM requires: a
// profile gives up its roles, a role lets go of its policies and of other
// profiles, a policy loses its other versions and attachments.
func (a *auditor) iamResources(ctx context.Context) ([]Leftover, error) {
	var out []Leftover
	var errs []error
	profiles, err := a.iamProfiles(ctx)
	errs = append(errs, err)
	ourProfiles := map[string]bool{}
	for _, p := range profiles {
		ourProfiles[aws.ToString(p.InstanceProfileName)] = true
		out = append(out, a.profileLeftover(p))
	}
	roles, err := a.iamRoles(ctx)
	errs = append(errs, err)
	ourRoles := map[string]bool{}
	for _, r := range roles {
		ourRoles[aws.ToString(r.RoleName)] = true
		l, err := a.roleLeftover(ctx, r, ourProfiles)
		errs = append(errs, err)
		out = append(out, l)
	}
	policies, err := a.iamPolicies(ctx, ourRoles)
	errs = append(errs, err)
	out = append(out, policies...)
	providers, err := a.oidcProviders(ctx)
	errs = append(errs, err)
	out = append(out, providers...)
	err = errors.Join(errs...)
	a.iamListed = err == nil
	return out, err
}

// iamRoles returns the stack's roles. Service-linked roles
// (/aws-service-role/) are AWS's and cannot carry the lab's tags.
func (a *auditor) iamRoles(ctx context.Context) ([]iamtypes.Role, error) {
	var ours []iamtypes.Role
	p := iam.NewListRolesPaginator(a.c.IAM, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return ours, err
		}
		for _, r := range page.Roles {
			if strings.HasPrefix(aws.ToString(r.Path), "/aws-service-role/") {
				continue
			}
			var tags []iamtypes.Tag
			tp := iam.NewListRoleTagsPaginator(a.c.IAM, &iam.ListRoleTagsInput{RoleName: r.RoleName})
			for tp.HasMorePages() {
				page, err := tp.NextPage(ctx)
				if notFound(err, "NoSuchEntity") {
					break // deleted since the list
				}
				if err != nil {
					return ours, err
				}
				tags = append(tags, page.Tags...)
			}
			if a.taggedStack(iamTags(tags)) == a.o.Stack {
				ours = append(ours, r)
			}
		}
	}
	return ours, nil
}

func (a *auditor) roleLeftover(ctx context.Context, r iamtypes.Role, ourProfiles map[string]bool) (Leftover, error) {
	name := aws.ToString(r.RoleName)
	l := Leftover{Kind: "IAM role", ID: aws.ToString(r.Arn)}
	var steps, attached []string
	var errs []error
	ap := iam.NewListAttachedRolePoliciesPaginator(a.c.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			errs = append(errs, err)
			break
		}
		for _, p := range page.AttachedPolicies {
			attached = append(attached, aws.ToString(p.PolicyName))
			steps = append(steps, a.cmd("iam", "detach-role-policy", "--role-name", name, "--policy-arn", aws.ToString(p.PolicyArn)))
		}
	}
	ip := iam.NewListRolePoliciesPaginator(a.c.IAM, &iam.ListRolePoliciesInput{RoleName: r.RoleName})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			errs = append(errs, err)
			break
		}
		for _, p := range page.PolicyNames {
			attached = append(attached, p+" (inline)")
			steps = append(steps, a.cmd("iam", "delete-role-policy", "--role-name", name, "--policy-name", p))
		}
	}
	pp := iam.NewListInstanceProfilesForRolePaginator(a.c.IAM, &iam.ListInstanceProfilesForRoleInput{RoleName: r.RoleName})
	for pp.HasMorePages() {
		page, err := pp.NextPage(ctx)
		if err != nil {
			errs = append(errs, err)
			break
		}
		for _, p := range page.InstanceProfiles {
			// The stack's own profiles give up their roles in their own
			// command, printed before this one.
			if profile := aws.ToString(p.InstanceProfileName); !ourProfiles[profile] {
				steps = append(steps, a.cmd("iam", "remove-role-from-instance-profile", "--instance-profile-name", profile, "--role-name", name))
			}
		}
	}
	l.Delete = strings.Join(append(steps, a.cmd("iam", "delete-role", "--role-name", name)), " && ")
	l.Detail = join(name, "assumable by "+trustedBy(aws.ToString(r.AssumeRolePolicyDocument)), "policies "+strings.Join(attached, ", "))
	return l, errors.Join(errs...)
}

// trustedBy names the principals a role's trust policy (URL-encoded JSON,
// as IAM returns it) lets assume the role.
func trustedBy(doc string) string {
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	var policy struct {
		Statement []struct {
			Principal map[string]any
		}
	}
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		return "(trust policy unreadable)"
	}
	var who []string
	for _, s := range policy.Statement {
		for _, v := range s.Principal {
			switch v := v.(type) {
			case string:
				who = append(who, v)
			case []any:
				for _, x := range v {
					who = append(who, fmt.Sprint(x))
				}
			}
		}
	}
	slices.Sort(who)
	return strings.Join(slices.Compact(who), ", ")
}

// iamProfiles returns the stack's instance profiles. ListInstanceProfiles
// returns no tags (IAM API reference); GetInstanceProfile does.
func (a *auditor) iamProfiles(ctx context.Context) ([]iamtypes.InstanceProfile, error) {
	var ours []iamtypes.InstanceProfile
	p := iam.NewListInstanceProfilesPaginator(a.c.IAM, &iam.ListInstanceProfilesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return ours, err
		}
		for _, ip := range page.InstanceProfiles {
			out, err := a.c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: ip.InstanceProfileName})
			if notFound(err, "NoSuchEntity") {
				continue
			}
			if err != nil {
				return ours, err
			}
			if a.taggedStack(iamTags(out.InstanceProfile.Tags)) == a.o.Stack {
				ours = append(ours, *out.InstanceProfile)
			}
		}
	}
	return ours, nil
}

func (a *auditor) profileLeftover(p iamtypes.InstanceProfile) Leftover {
	name := aws.ToString(p.InstanceProfileName)
	var steps, roles []string
	for _, r := range p.Roles {
		roles = append(roles, aws.ToString(r.RoleName))
		steps = append(steps, a.cmd("iam", "remove-role-from-instance-profile", "--instance-profile-name", name, "--role-name", aws.ToString(r.RoleName)))
	}
	detail := name + ", no role"
	if len(roles) > 0 {
		detail = name + ", hands out role " + strings.Join(roles, ", ")
	}
	return Leftover{
		Kind:   "IAM instance profile",
		ID:     aws.ToString(p.Arn),
		Detail: detail,
		Delete: strings.Join(append(steps, a.cmd("iam", "delete-instance-profile", "--instance-profile-name", name)), " && "),
	}
}

// iamPolicies returns the stack's customer-managed policies. A policy is
// deleted once it is attached nowhere and has no version but its default:
// the stack's roles let go of it in their own commands, printed before.
func (a *auditor) iamPolicies(ctx context.Context, ourRoles map[string]bool) ([]Leftover, error) {
	var out []Leftover
	p := iam.NewListPoliciesPaginator(a.c.IAM, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, pol := range page.Policies {
			var tags []iamtypes.Tag
			tp := iam.NewListPolicyTagsPaginator(a.c.IAM, &iam.ListPolicyTagsInput{PolicyArn: pol.Arn})
			for tp.HasMorePages() {
				page, err := tp.NextPage(ctx)
				if err != nil {
					return out, err
				}
				tags = append(tags, page.Tags...)
			}
			if a.taggedStack(iamTags(tags)) != a.o.Stack {
				continue
			}
			l, err := a.policyLeftover(ctx, pol, ourRoles)
			out = append(out, l)
			if err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

func (a *auditor) policyLeftover(ctx context.Context, pol iamtypes.Policy, ourRoles map[string]bool) (Leftover, error) {
	arn := aws.ToString(pol.Arn)
	l := Leftover{Kind: "IAM policy", ID: arn, Detail: aws.ToString(pol.PolicyName)}
	var steps, others []string
	ep := iam.NewListEntitiesForPolicyPaginator(a.c.IAM, &iam.ListEntitiesForPolicyInput{PolicyArn: pol.Arn})
	for ep.HasMorePages() {
		page, err := ep.NextPage(ctx)
		if err != nil {
			return l, err
		}
		for _, r := range page.PolicyRoles {
			if name := aws.ToString(r.RoleName); !ourRoles[name] {
				others = append(others, "role "+name)
				steps = append(steps, a.cmd("iam", "detach-role-policy", "--role-name", name, "--policy-arn", arn))
			}
		}
		for _, u := range page.PolicyUsers {
			others = append(others, "user "+aws.ToString(u.UserName))
			steps = append(steps, a.cmd("iam", "detach-user-policy", "--user-name", aws.ToString(u.UserName), "--policy-arn", arn))
		}
		for _, g := range page.PolicyGroups {
			others = append(others, "group "+aws.ToString(g.GroupName))
			steps = append(steps, a.cmd("iam", "detach-group-policy", "--group-name", aws.ToString(g.GroupName), "--policy-arn", arn))
		}
	}
	vp := iam.NewListPolicyVersionsPaginator(a.c.IAM, &iam.ListPolicyVersionsInput{PolicyArn: pol.Arn})
	for vp.HasMorePages() {
		page, err := vp.NextPage(ctx)
		if err != nil {
			return l, err
		}
		for _, v := range page.Versions {
			if !v.IsDefaultVersion {
				steps = append(steps, a.cmd("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", aws.ToString(v.VersionId)))
			}
		}
	}
	if len(others) > 0 {
		l.Detail = join(l.Detail, "also attached to "+strings.Join(others, ", ")+", which are not this stack's")
	}
	l.Delete = strings.Join(append(steps, a.cmd("iam", "delete-policy", "--policy-arn", arn)), " && ")
	return l, nil
}

// oidcProviders returns the stack's OIDC providers (pulumi-eks makes the
// cluster's, for IRSA). Its issuer dies with the cluster, but the provider
// is an account-wide trust anchor that belongs to no one once the lab is gone.
func (a *auditor) oidcProviders(ctx context.Context) ([]Leftover, error) {
	list, err := a.c.IAM.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		return nil, err
	}
	var out []Leftover
	for _, p := range list.OpenIDConnectProviderList {
		arn := aws.ToString(p.Arn)
		got, err := a.c.IAM.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: p.Arn})
		if notFound(err, "NoSuchEntity") {
			continue
		}
		if err != nil {
			return out, err
		}
		if a.taggedStack(iamTags(got.Tags)) != a.o.Stack {
			continue
		}
		out = append(out, Leftover{
			Kind:   "IAM OIDC provider",
			ID:     arn,
			Detail: "issuer " + aws.ToString(got.Url),
			Delete: a.cmd("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn),
		})
	}
	return out, nil
}
