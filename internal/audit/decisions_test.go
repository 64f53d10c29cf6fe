package audit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
)

// The audit's decisions without AWS; the emulator tier runs them against
// moto's resources (moto_test.go, claims_test.go).

func TestOptionsValidate(t *testing.T) {
	o := Options{Stack: "dev", Region: "ap-northeast-2", ClusterName: "myeks", HostedZoneID: " /hostedzone/Z123 ", TxtOwnerID: "eks-lab-dev"}
	if err := o.Validate(); err != nil || o.Project != DefaultProject || o.HostedZoneID != "Z123" {
		t.Errorf("valid options: %v, project %q, zone %q; want the default project and the bare zone ID", err, o.Project, o.HostedZoneID)
	}
	o = Options{Project: "mine", HostedZoneID: "Z123"}
	err := o.Validate()
	if err == nil || err.Error() != "missing stack, region, cluster name, txt owner id (needed with a hosted zone)" || o.Project != "mine" {
		t.Errorf("empty options: %v (project %q)", err, o.Project)
	}
	if err := (&Options{Stack: "dev", Region: "r", ClusterName: "c"}).Validate(); err != nil {
		t.Errorf("no hosted zone needs no owner ID: %v", err)
	}
}

func TestReportClean(t *testing.T) {
	clean := Report{Complete: true, Pending: []Leftover{{Kind: "NAT gateway"}}}
	if !clean.Clean() {
		t.Error("a complete report with only pending deletions is not clean")
	}
	for name, r := range map[string]Report{
		"incomplete": {},
		"a leftover": {Complete: true, Leftovers: []Leftover{{}}},
		"undecided":  {Complete: true, Undecided: []Leftover{{}}},
		"skipped":    {Complete: true, Skipped: []string{"route 53"}},
	} {
		if r.Clean() {
			t.Errorf("%s: clean", name)
		}
	}
}

func TestDeleteRank(t *testing.T) {
	// Records first, the KMS key last, what has no delete command after it.
	if deleteRank("Route 53 record") != 0 || deleteRank("KMS key") != len(deleteOrder)-1 || deleteRank(UnconfirmedKind) != len(deleteOrder) {
		t.Errorf("ranks: record %d, KMS key %d, tagged resource %d of %d", deleteRank("Route 53 record"), deleteRank("KMS key"), deleteRank(UnconfirmedKind), len(deleteOrder))
	}
}

func auditorOf(vpcs ...string) *auditor {
	return &auditor{o: Options{Project: DefaultProject, Stack: "dev", Region: "ap-northeast-2", ClusterName: "myeks"}, vpcs: vpcs}
}

// A resource with the lab's tags is the stack's they name; one without
// them is ours only inside the stack's VPC.
func TestClaim(t *testing.T) {
	a := auditorOf("vpc-lab")
	for _, tc := range []struct {
		tags map[string]string
		vpc  string
		want bool
	}{
		{map[string]string{"project": "eks-lab", "stack": "dev"}, "vpc-other", true},
		{map[string]string{"project": "eks-lab", "stack": "alice"}, "vpc-lab", false},
		{map[string]string{"project": "other", "stack": "dev"}, "vpc-other", false},
		{map[string]string{"project": "other", "stack": "dev"}, "vpc-lab", true},
		{map[string]string{"project": "eks-lab"}, "vpc-lab", true},
		{nil, "vpc-lab", true},
		{nil, "", false},
		{nil, "vpc-other", false},
	} {
		if got := a.claim(tc.tags, tc.vpc); got != tc.want {
			t.Errorf("tags %v in %q: ours %v, want %v", tc.tags, tc.vpc, got, tc.want)
		}
	}
	if got := a.cmd("ec2", "delete-vpc", "--vpc-id", "vpc-lab"); got != "aws ec2 delete-vpc --region ap-northeast-2 --vpc-id vpc-lab" {
		t.Errorf("command %q", got)
	}
}

// What a check found stays reported when the VPCs or the cluster's owner
// are unknown, with why it may have missed some.
func TestPartialChecksSayWhy(t *testing.T) {
	found := []Leftover{{Kind: "security group", ID: "sg-1"}}
	a := auditorOf()
	if got, err := a.byVPC(found); err != nil || len(got) != 1 {
		t.Errorf("VPCs known: %v, %v", got, err)
	}
	if got, err := a.byClusterName(found); err != nil || len(got) != 1 {
		t.Errorf("owner known: %v, %v", got, err)
	}
	a.vpcsErr, a.clusterErr = errors.New("throttled"), errors.New("denied")
	if got, err := a.byVPC(found); err == nil || len(got) != 1 || !strings.Contains(err.Error(), "VPCs could not be listed") || !strings.Contains(err.Error(), "throttled") {
		t.Errorf("VPCs unknown: %v, %v", got, err)
	}
	if got, err := a.byClusterName(found); err == nil || len(got) != 1 || !strings.Contains(err.Error(), "live cluster myeks") || !strings.Contains(err.Error(), "denied") {
		t.Errorf("owner unknown: %v, %v", got, err)
	}
}

func TestMadeFor(t *testing.T) {
	for want, tags := range map[string]map[string]string{
		"made for Service game/tetris":                                                    {"service.k8s.aws/stack": "game/tetris", "ingress.k8s.aws/stack": "x"},
		"made for Ingress game/mario":                                                     {"ingress.k8s.aws/stack": "game/mario"},
		"made for the Ingress group lab":                                                  {"ingress.k8s.aws/stack": "lab"},
		"made by the in-tree cloud provider for Service default/web":                      {"kubernetes.io/service-name": "default/web"},
		"the controller's backend security group, shared by the cluster's load balancers": {"elbv2.k8s.aws/resource": "backend-sg"},
		"made for ALB Gateway gateway-alb/web":                                            {"gateway.k8s.aws.alb/stack": "gateway-alb/web"},
		"made for NLB Gateway gateway-nlb/echo":                                           {"gateway.k8s.aws.nlb/stack": "gateway-nlb/echo"},
		"":                                                                                {"elbv2.k8s.aws/resource": "frontend-sg"},
	} {
		if got := madeFor(tags); got != want {
			t.Errorf("madeFor(%v) = %q, want %q", tags, got, want)
		}
	}
	if got := join("", "a", "", "b"); got != "a; b" {
		t.Errorf("join = %q", got)
	}
}

func TestNotFound(t *testing.T) {
	err := fmt.Errorf("describe: %w", &smithy.GenericAPIError{Code: "InvalidVpcID.NotFound"})
	if !notFound(err, "Other", "InvalidVpcID.NotFound") || notFound(err, "Other") || notFound(errors.New("InvalidVpcID.NotFound"), "InvalidVpcID.NotFound") {
		t.Error("notFound must match the API error's code, and only an API error")
	}
}

func txt(name, setID, value string) r53types.ResourceRecordSet {
	s := r53types.ResourceRecordSet{Name: aws.String(name), Type: r53types.RRTypeTxt, ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(value)}}}
	if setID != "" {
		s.SetIdentifier = aws.String(setID)
	}
	return s
}

// The registry names the records it owns by type prefix, set identifier
// included; v0.16.1's old-format record at a host's own name names nothing.
func TestRegistryOwns(t *testing.T) {
	mine := `"heritage=external-dns,external-dns/owner=eks-lab-dev,external-dns/resource=service/game/tetris"`
	other := `"heritage=external-dns,external-dns/owner=eks-lab-alice"`
	reg := registryOf([]r53types.ResourceRecordSet{
		txt("a-tetris.example.com.", "", mine),
		txt("cname-alias.example.com.", "", mine),
		txt("a-weighted.example.com.", "blue", mine),
		// For host a-team, v0.16.1 wrote the old format at the host's own name
		// beside the new one: the old one must not name a record "team".
		txt("a-a-team.example.com.", "", mine), txt("a-team.example.com.", "", mine),
		txt("a-alice.example.com.", "", other),
		{Name: aws.String("a-notxt.example.com."), Type: r53types.RRTypeA},
	}, "eks-lab-dev")
	if len(reg) != 5 {
		t.Errorf("registry %v: want the owner's 5 TXT records", reg)
	}
	a := func(name, setID string, alias bool) r53types.ResourceRecordSet {
		s := r53types.ResourceRecordSet{Name: aws.String(name), Type: r53types.RRTypeA}
		if setID != "" {
			s.SetIdentifier = aws.String(setID)
		}
		if alias {
			s.AliasTarget = &r53types.AliasTarget{DNSName: aws.String("k8s-game.elb.amazonaws.com.")}
		}
		return s
	}
	for _, tc := range []struct {
		s    r53types.ResourceRecordSet
		want bool
	}{
		{a("Tetris.example.com.", "", false), true},
		{a("alias.example.com.", "", true), true},   // an A alias v0.16.1 registered as cname-
		{a("alias.example.com.", "", false), false}, // not an alias: no cname- record names it
		{a("weighted.example.com.", "blue", false), true},
		{a("weighted.example.com.", "green", false), false},
		{a("alice.example.com.", "", false), false},
		{a("a-team.example.com.", "", false), true},
		{a("team.example.com.", "", false), false},
	} {
		if got := reg.owns(tc.s); got != tc.want {
			t.Errorf("owns %s %s (set %q): %v, want %v", aws.ToString(tc.s.Name), tc.s.Type, aws.ToString(tc.s.SetIdentifier), got, tc.want)
		}
	}
	if got := recordValue(a("x.", "", true)); got != "alias to k8s-game.elb.amazonaws.com." {
		t.Errorf("alias value %q", got)
	}
	two := txt("x.", "", `"a"`)
	two.ResourceRecords = append(two.ResourceRecords, r53types.ResourceRecord{Value: aws.String(`"b"`)})
	if got := recordValue(two); got != `"a" "b"` {
		t.Errorf("values %q", got)
	}
}

func TestArnParts(t *testing.T) {
	for arn, want := range map[string][4]string{
		"arn:aws:iam::1:role/eks-lab/dev-node":                       {"iam", "role", "eks-lab/dev-node", "true"},
		"arn:aws:kms:ap-northeast-2:1:key/abc":                       {"kms", "key", "abc", "true"},
		"arn:aws:logs:ap-northeast-2:1:log-group:/aws/eks/myeks/c:*": {"logs", "log-group", "/aws/eks/myeks/c:*", "true"},
		"arn:aws:sns:ap-northeast-2:1:topic":                         {"sns", "topic", "", "true"},
		"arn:aws:s3:::/x":                                            {"s3", "", "x", "true"}, // a separator first: no type
		"arn:aws:sns:ap-northeast-2:1":                               {"", "", "", "false"},
		"urn:aws:sns:ap-northeast-2:1:topic":                         {"", "", "", "false"},
	} {
		s, typ, id, ok := arnParts(arn)
		if got := [4]string{s, typ, id, fmt.Sprint(ok)}; got != want {
			t.Errorf("arnParts(%s) = %v, want %v", arn, got, want)
		}
	}
	for res, want := range map[string]bool{"app/a/1": true, "net/n/1": true, "gwy/g/1": true, "classic": false, "apps/x": false} {
		if isELBv2(res) != want {
			t.Errorf("isELBv2(%s) != %v", res, want)
		}
	}
}

func TestLabTags(t *testing.T) {
	tag := func(k, v string) rgttypes.Tag { return rgttypes.Tag{Key: aws.String(k), Value: aws.String(v)} }
	if got := labTags([]rgttypes.Tag{tag("stack", "dev"), tag("expiry", "2026-11-27T18:00:00Z"), tag("Name", "lab"), tag("owner", "")}); got != "Name=lab owner= expiry=2026-11-27T18:00:00Z" {
		t.Errorf("labTags = %q", got)
	}
}

func TestTrustedBy(t *testing.T) {
	for doc, want := range map[string]string{
		`%7B%22Statement%22%3A%5B%7B%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%7D%5D%7D`:                                                                                 "ec2.amazonaws.com",
		`{"Statement":[{"Principal":{"Service":["pods.eks.amazonaws.com","ec2.amazonaws.com"]}},{"Principal":{"Federated":"arn:aws:iam::1:oidc-provider/x","Service":"ec2.amazonaws.com"}}]}`: "arn:aws:iam::1:oidc-provider/x, ec2.amazonaws.com, pods.eks.amazonaws.com",
		`not json`: "(trust policy unreadable)",
	} {
		if got := trustedBy(doc); got != want {
			t.Errorf("trustedBy(%.30s) = %q, want %q", doc, got, want)
		}
	}
}

func TestVolumes(t *testing.T) {
	got := volumeClusters(map[string]string{"kubernetes.io/cluster/myeks": "owned", KubernetesClusterTag: "old", CSIClusterNameTag: "csi", "Name": "x", CSIDriverTag: "true"})
	slices.Sort(got)
	if !slices.Equal(got, []string{"csi", "myeks", "old"}) {
		t.Errorf("volume clusters %v", got)
	}
	a := auditorOf()
	v := ec2types.Volume{VolumeId: aws.String("vol-1"), Size: aws.Int32(4), VolumeType: ec2types.VolumeTypeGp3, State: ec2types.VolumeStateInUse, AvailabilityZone: aws.String("ap-northeast-2a"),
		Tags:        []ec2types.Tag{{Key: aws.String(pvcNamespaceTag), Value: aws.String("db")}, {Key: aws.String(pvcNameTag), Value: aws.String("data")}},
		Attachments: []ec2types.VolumeAttachment{{InstanceId: aws.String("i-1")}}}
	want := Leftover{Kind: "volume", ID: "vol-1", Detail: "4 GiB gp3, in-use in ap-northeast-2a; made for PersistentVolumeClaim db/data; attached to i-1",
		Delete: "aws ec2 delete-volume --region ap-northeast-2 --volume-id vol-1"}
	if got := a.volumeVerdict(v); got.left == nil || *got.left != want {
		t.Errorf("an in-use volume: %+v, want the leftover %+v", got, want)
	}
	v.State = ec2types.VolumeStateDeleting
	if got := a.volumeVerdict(v); got.pending == nil || got.why != "AWS is deleting it" {
		t.Errorf("a volume being deleted: %+v", got)
	}
	v.State = ec2types.VolumeStateDeleted
	if got := a.volumeVerdict(v); got.gone != "deleted" || got.left != nil || got.pending != nil {
		t.Errorf("a deleted volume: %+v", got)
	}
}

// A leftover's block: its detail only when it has one, then its delete
// command or where to find it.
func TestReportWritesLeftoverBlocks(t *testing.T) {
	var b strings.Builder
	Report{Complete: true, Leftovers: []Leftover{
		{Kind: "volume", ID: "vol-1", Detail: "4 GiB gp3", Delete: "aws ec2 delete-volume --volume-id vol-1"},
		{Kind: UnconfirmedKind, ID: "arn:aws:sqs:r:1:q"},
	}}.Write(&b, false)
	want := "LEFTOVER volume vol-1\n  4 GiB gp3\n  delete: aws ec2 delete-volume --volume-id vol-1\n" +
		"LEFTOVER tagged resource arn:aws:sqs:r:1:q\n  no delete command:"
	if !strings.Contains(b.String(), want) {
		t.Errorf("report:\n%s\nwant it to hold:\n%s", b.String(), want)
	}
}
