package audit

// The emulator tier, continued: what the audit claims as the stack's and
// what it must leave alone.

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/eks-study/lab/internal/testing/motoserver"
)

func iamTagList(tags map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for k, v := range tags {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

// labIAM makes the IAM one lab makes, tagged for stack: the bastion's role
// with AdministratorAccess and its instance profile, a controller's role
// with a customer-managed policy of two versions, and the cluster's OIDC
// provider. It returns their ARNs.
//
// moto 5.2.1 knows AWS's managed policies only when its server starts with
// MOTO_IAM_LOAD_MANAGED_POLICIES=true, which costs 0.65 s at each reset of
// every test; an untagged customer-managed policy of the same name and
// document stands in for AdministratorAccess.
func (a *account) labIAM(stack string) []found {
	ctx, c := a.ctx, a.c.IAM
	tags := iamTagList(tagsOf(stack))
	ec2Trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	bastion, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bastion-" + stack), AssumeRolePolicyDocument: aws.String(ec2Trust), Tags: tags})
	a.ok(err)
	admin, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("AdministratorAccess-" + stack),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	a.ok(err)
	a.ok(errOf(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: bastion.Role.RoleName, PolicyArn: admin.Policy.Arn})))
	a.ok(errOf(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: bastion.Role.RoleName, PolicyName: aws.String("by-hand"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)})))
	profile, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("bastion-" + stack), Tags: tags})
	a.ok(err)
	a.ok(errOf(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: profile.InstanceProfile.InstanceProfileName, RoleName: bastion.Role.RoleName})))

	lbc, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("lbc-" + stack), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.eks.ap-northeast-2.amazonaws.com/id/` + stack + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`),
		Tags: tags})
	a.ok(err)
	policy, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("lbc-" + stack), Tags: tags,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"elasticloadbalancing:*","Resource":"*"}]}`)})
	a.ok(err)
	a.ok(errOf(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: policy.Policy.Arn, SetAsDefault: true,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"elasticloadbalancing:Describe*","Resource":"*"}]}`)})))
	a.ok(errOf(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: lbc.Role.RoleName, PolicyArn: policy.Policy.Arn})))
	oidc, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://oidc.eks.ap-northeast-2.amazonaws.com/id/" + stack), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"}, Tags: tags})
	a.ok(err)
	return []found{
		{"IAM instance profile", aws.ToString(profile.InstanceProfile.Arn)},
		{"IAM role", aws.ToString(bastion.Role.Arn)},
		{"IAM role", aws.ToString(lbc.Role.Arn)},
		{"IAM policy", aws.ToString(policy.Policy.Arn)},
		{"IAM OIDC provider", aws.ToString(oidc.OpenIDConnectProviderArn)},
	}
}

// sameFound says whether x and y list the same resources, in any order.
func sameFound(x, y []found) bool {
	less := func(a, b found) int { return strings.Compare(a.kind+a.id, b.kind+b.id) }
	return slices.Equal(sortedFound(x, less), sortedFound(y, less))
}

// The stack's IAM is found in IAM itself, by its tags, and the printed
// commands, run top to bottom with the AWS CLI, delete it in an order IAM
// accepts; another stack's IAM in the same account is never touched.
func TestTheStacksIAMIsFoundAndItsCommandsDeleteIt(t *testing.T) {
	cfg := motoserver.Config(t)
	a := accountFor(t, cfg)
	want := a.labIAM("dev")
	prod := a.labIAM("prod")
	// A role of the same name pattern with no lab tags (made by hand).
	a.ok(errOf(a.c.IAM.CreateRole(a.ctx, &iam.CreateRoleInput{RoleName: aws.String("bastion-handmade"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})))
	o := a.opts()
	o.NoHostedZone = true
	rep := a.audit(o)
	got := foundIn(rep)
	less := func(x, y found) int { return deleteRank(x.kind) - deleteRank(y.kind) }
	if !slices.IsSortedFunc(got, less) || !sameFound(got, want) {
		t.Fatalf("leftovers:\n%s\nwant, instance profiles first, then roles, policies, OIDC providers:\n%s", show(got), show(want))
	}
	for _, l := range rep.Leftovers {
		if l.ID == want[1].id && (!strings.Contains(l.Detail, "AdministratorAccess") || !strings.Contains(l.Detail, "ec2.amazonaws.com")) {
			t.Errorf("the bastion role's detail does not say who may assume it and what it may do: %s", l.Detail)
		}
	}

	env := motoserver.CLIEnv(t, aws.ToString(cfg.BaseEndpoint))
	for _, l := range rep.Leftovers {
		cmd := exec.Command("bash", "-c", l.Delete)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %s\n%v: %s", l.Kind, l.ID, l.Delete, err, out)
		}
	}
	if rep := a.audit(o); !rep.Clean() {
		t.Errorf("after the printed commands: Clean() = %v, leftovers:\n%s", rep.Clean(), show(foundIn(rep)))
	}
	o.Stack = "prod"
	if got := foundIn(a.audit(o)); !sameFound(got, prod) {
		t.Errorf("another stack's IAM was touched; it has:\n%s\nwant:\n%s", show(got), show(prod))
	}
}

// A KMS key cannot be deleted before its waiting period (7 to 30 days) and
// bills nothing meanwhile: pending, not a leftover, and the audit is clean.
// A key not yet scheduled is a leftover with the command that schedules it.
func TestAKeyPendingDeletionIsPendingNotALeftover(t *testing.T) {
	a := newAccount(t)
	key := func() string {
		k, err := a.c.KMS.CreateKey(a.ctx, &kms.CreateKeyInput{Description: aws.String("lab key"), Tags: []kmstypes.Tag{
			{TagKey: aws.String("project"), TagValue: aws.String("eks-lab")}, {TagKey: aws.String("stack"), TagValue: aws.String("dev")}}})
		a.ok(err)
		return aws.ToString(k.KeyMetadata.KeyId)
	}
	scheduled, live := key(), key()
	a.ok(errOf(a.c.KMS.ScheduleKeyDeletion(a.ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(scheduled), PendingWindowInDays: aws.Int32(7)})))
	o := a.opts()
	o.NoHostedZone = true
	rep := a.audit(o)
	arn := func(id string) string { return "arn:aws:kms:" + region + ":" + motoserver.AccountID + ":key/" + id }
	if got := foundIn(rep); !slices.Equal(got, []found{{"KMS key", arn(live)}}) {
		t.Errorf("leftovers:\n%s\nwant only the key not scheduled for deletion", show(got))
	}
	if len(rep.Pending) != 1 || rep.Pending[0].ID != arn(scheduled) || !strings.Contains(rep.Pending[0].Detail, "KMS deletes it on ") {
		t.Errorf("pending %+v, want the scheduled key with its deletion date", rep.Pending)
	}
	bashSyntax(t, rep)
	a.ok(errOf(a.c.KMS.ScheduleKeyDeletion(a.ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(live), PendingWindowInDays: aws.Int32(7)})))
	if rep := a.audit(o); !rep.Clean() || len(rep.Pending) != 2 {
		t.Errorf("both keys pending deletion: Clean() = %v, pending %d, leftovers:\n%s", rep.Clean(), len(rep.Pending), show(foundIn(rep)))
	}
}

// What carries only the cluster's name (the in-tree provider's classic ELB
// and k8s-elb-* group, the VPC CNI's ENI) is the lab's whose VPC it sits
// in: in another stack's VPC, with the same cluster name, it is not ours.
func TestWhatOnlyTheClusterNameMarksIsOursOnlyInTheStacksVPC(t *testing.T) {
	a := newAccount(t)
	a.vpc("lab", "dev", "10.0")
	a.vpc("prod", "prod", "10.1")
	for _, vpc := range []string{"lab", "prod"} {
		a.sg("k8s-elb-a"+vpc, vpc, map[string]string{LegacyClusterTagPrefix + cluster: "owned"})
		a.ok(errOf(a.c.ELB.CreateLoadBalancer(a.ctx, &elb.CreateLoadBalancerInput{
			LoadBalancerName: aws.String("a" + vpc), Subnets: []string{a.ids[vpc+"-subnet-0"]},
			Listeners: []elbtypes.Listener{{Protocol: aws.String("TCP"), LoadBalancerPort: 80, InstancePort: aws.Int32(30080)}},
			Tags:      []elbtypes.Tag{{Key: aws.String(LegacyClusterTagPrefix + cluster), Value: aws.String("owned")}},
		})))
		eni, err := a.c.EC2.CreateNetworkInterface(a.ctx, &ec2.CreateNetworkInterfaceInput{
			SubnetId: aws.String(a.ids[vpc+"-subnet-0"]), Description: aws.String("aws-K8S-i-0" + vpc),
			TagSpecifications: ec2Spec("network-interface", map[string]string{"cluster.k8s.amazonaws.com/name": cluster}),
		})
		a.ok(err)
		a.ids["eni-"+vpc] = aws.ToString(eni.NetworkInterface.NetworkInterfaceId)
	}
	o := a.opts()
	o.NoHostedZone = true
	got := foundIn(a.audit(o))
	for _, w := range []found{{"classic load balancer", "alab"}, {"security group", a.ids["k8s-elb-alab"]}, {"network interface", a.ids["eni-lab"]}} {
		if !slices.Contains(got, w) {
			t.Errorf("%s %s in the lab's VPC not reported:\n%s", w.kind, w.id, show(got))
		}
	}
	for _, id := range []string{"aprod", a.ids["k8s-elb-aprod"], a.ids["eni-prod"], a.ids["prod"]} {
		if slices.ContainsFunc(got, func(f found) bool { return f.id == id }) {
			t.Errorf("%s in stack prod's VPC is reported as ours:\n%s", id, show(got))
		}
	}
}

// A record is ours only when our TXT registry record names it exactly: its
// type and set identifier too. An old-format TXT record of a host literally
// named "a-team" does not make "team" ours.
func TestOnlyRecordsOurTXTRegistryNamesAreOurs(t *testing.T) {
	a := newAccount(t)
	zone, err := a.c.Route53.CreateHostedZone(a.ctx, &route53.CreateHostedZoneInput{Name: aws.String("example.com"), CallerReference: aws.String("claims")})
	a.ok(err)
	a.ids["zone"] = strings.TrimPrefix(aws.ToString(zone.HostedZone.Id), "/hostedzone/")
	const aTeamTXT = `"heritage=external-dns,external-dns/owner=eks-lab-dev,external-dns/resource=service/default/a-team"`
	rr := func(name string, typ r53types.RRType, value, setID string) r53types.ResourceRecordSet {
		s := r53types.ResourceRecordSet{Name: aws.String(name), Type: typ, TTL: aws.Int64(300),
			ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(value)}}}
		if setID != "" {
			s.SetIdentifier, s.Weight = aws.String(setID), aws.Int64(50)
		}
		return s
	}
	var changes []r53types.Change
	for _, s := range []r53types.ResourceRecordSet{
		// Host a-team, registered by v0.16.1: TXT at "a-a-team" and its
		// old-format twin at "a-team", which reads like "team"'s.
		rr("a-team.example.com.", r53types.RRTypeA, "192.0.2.10", ""),
		rr("a-a-team.example.com.", r53types.RRTypeTxt, aTeamTXT, ""),
		rr("a-team.example.com.", r53types.RRTypeTxt, aTeamTXT, ""),
		rr("team.example.com.", r53types.RRTypeA, "192.0.2.20", ""), // someone else's
		// Our TXT record for web's A record; web's CNAME is someone else's.
		rr("a-web.example.com.", r53types.RRTypeTxt, ownTXT, ""),
		rr("web.example.com.", r53types.RRTypeCname, "elsewhere.example.net", ""),
		// Weighted: ours is the set "blue", not "green".
		rr("cname-shop.example.com.", r53types.RRTypeTxt, ownTXT, "blue"),
		rr("shop.example.com.", r53types.RRTypeCname, "blue.example.net", "blue"),
		rr("shop.example.com.", r53types.RRTypeCname, "green.example.net", "green"),
		// A wildcard, which Route 53 lists as "\052".
		rr("*.apps.example.com.", r53types.RRTypeA, "192.0.2.30", ""),
		rr("a-*.apps.example.com.", r53types.RRTypeTxt, ownTXT, ""),
	} {
		changes = append(changes, r53types.Change{Action: r53types.ChangeActionCreate, ResourceRecordSet: &s})
	}
	a.ok(errOf(a.c.Route53.ChangeResourceRecordSets(a.ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: zone.HostedZone.Id, ChangeBatch: &r53types.ChangeBatch{Changes: changes}})))
	var got []string
	for _, l := range a.audit(a.opts()).Leftovers {
		if l.Kind == "Route 53 record" && !strings.Contains(l.ID, " TXT") {
			got = append(got, strings.ReplaceAll(l.ID, `\052`, "*"))
		}
	}
	slices.Sort(got)
	want := []string{"*.apps.example.com. A", "a-team.example.com. A", "shop.example.com. CNAME blue"}
	if !slices.Equal(got, want) {
		t.Errorf("records claimed %q, want %q", got, want)
	}
}

// An EBS volume the CSI driver made without --k8s-tag-cluster-id names no
// cluster: the audit lists it as undecided, with no delete command, and
// does not call the account clean.
func TestAVolumeWithoutAClusterTagIsUndecided(t *testing.T) {
	a := newAccount(t)
	a.volume("csi", map[string]string{CSIDriverTag: "true", "CSIVolumeName": "pvc-1", pvcNamespaceTag: "default", pvcNameTag: "data"})
	o := a.opts()
	o.NoHostedZone = true
	rep := a.audit(o)
	if rep.Clean() || len(rep.Leftovers) > 0 || len(rep.Undecided) != 1 || rep.Undecided[0].ID != a.ids["csi"] || rep.Undecided[0].Delete != "" {
		t.Errorf("Clean() = %v, leftovers %v, undecided %+v; want the volume undecided, without a delete command", rep.Clean(), rep.Leftovers, rep.Undecided)
	}
}

// While a cluster of the audited name runs for someone else (another
// stack, or eksctl), what only that name marks is its own: the untagged
// log group, eksctl's stacks, the claims' volumes.
func TestALiveClusterOfTheSameNameKeepsWhatItsNameMarks(t *testing.T) {
	for name, clusterTags := range map[string]map[string]string{
		"another stack's": tagsOf("prod"),
		"not a lab's":     {"alpha.eksctl.io/cluster-name": cluster},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAccount(t)
			a.vpc("prod", "prod", "10.1")
			a.ok(errOf(a.c.EKS.CreateCluster(a.ctx, &eks.CreateClusterInput{
				Name: aws.String(cluster), RoleArn: aws.String("arn:aws:iam::" + motoserver.AccountID + ":role/eks"), Tags: clusterTags,
				ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{a.ids["prod-subnet-0"], a.ids["prod-subnet-1"]}},
			})))
			a.ok(errOf(a.c.Logs.CreateLogGroup(a.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/aws/eks/" + cluster + "/cluster")})))
			a.eksctlStack("eksctl-myeks-addon-iamserviceaccount-kube-system-x", cluster)
			a.volume("pvc", map[string]string{CSIDriverTag: "true", LegacyClusterTagPrefix + cluster: "owned"})
			o := a.opts()
			o.NoHostedZone = true
			rep := a.audit(o)
			if !rep.Clean() || !slices.ContainsFunc(rep.NotApplicable, func(s string) bool { return strings.Contains(s, "cluster myeks is running") }) {
				t.Errorf("Clean() = %v, leftovers:\n%s\nnot applicable: %v", rep.Clean(), show(foundIn(rep)), rep.NotApplicable)
			}
		})
	}
}

// The stacks of a cluster eksctl made are that cluster's, even once it is
// gone: the lab's cluster is Pulumi's, never eksctl-<name>-cluster.
func TestStacksOfAnEksctlClusterOfTheSameNameAreNotOurs(t *testing.T) {
	a := newAccount(t)
	a.eksctlStack("eksctl-myeks-cluster", cluster)
	a.eksctlStack("eksctl-myeks-nodegroup-ng1", cluster)
	o := a.opts()
	o.NoHostedZone = true
	if rep := a.audit(o); !rep.Clean() {
		t.Errorf("leftovers:\n%s", show(foundIn(rep)))
	}
}
