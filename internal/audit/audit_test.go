package audit

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

const (
	region  = "ap-northeast-2"
	acct    = "123456789012"
	owner   = "eks-lab-dev"
	lbARN   = "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":loadbalancer/net/k8s-default-echo-0123456789/50dc6c495c0c9188"
	tgARN   = "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":targetgroup/k8s-default-echo-abcdef0123/73e2d6bc24d8a067"
	vpcARN  = "arn:aws:ec2:" + region + ":" + acct + ":vpc/vpc-0abc1234def567890"
	ownTXT  = `"heritage=external-dns,external-dns/owner=eks-lab-dev,external-dns/resource=service/default/tetris"`
	lbAlias = "k8s-default-tetris-0a1b2c3d4e-0123456789abcdef.elb.ap-northeast-2.amazonaws.com."
)

// cleanAccount holds only what the audit must not report: other clusters'
// and stacks' resources, unowned or foreign-owned DNS records.
func cleanAccount(t *testing.T) *stubAWS {
	s := newStubAWS(t)
	other := map[string]string{ClusterTag: "other"}
	s.lbs = []stubELB{
		{arn: "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":loadbalancer/net/k8s-other-a/1", name: "k8s-other-a", dns: "a.elb", typ: "network", tags: other},
		{arn: "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":loadbalancer/app/manual/2", name: "manual", dns: "m.elb", typ: "application"},
		{arn: "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":loadbalancer/net/k8s-other-b/3", name: "k8s-other-b", dns: "b.elb", typ: "network", tags: other},
	}
	s.tgs = []stubELB{
		{arn: "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":targetgroup/k8s-other-a/4", name: "k8s-other-a", tags: other},
	}
	s.sgs = []stubSG{
		{id: "sg-0other", name: "k8s-traffic-other-1", vpc: "vpc-1", tags: other},
		{id: "sg-0untagged", name: "default", vpc: "vpc-1"},
	}
	s.tagged = []stubTagged{
		{arn: "arn:aws:ec2:" + region + ":" + acct + ":vpc/vpc-0prod", tags: map[string]string{"project": "eks-lab", "stack": "prod"}},
		{arn: "arn:aws:ec2:" + region + ":" + acct + ":vpc/vpc-0otherproject", tags: map[string]string{"project": "other", "stack": "dev"}},
	}
	s.records = []stubRecord{
		{name: "example.com.", typ: "SOA", ttl: 900, values: []string{"ns-1.awsdns-1.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}},
		{name: "example.com.", typ: "NS", ttl: 172800, values: []string{"ns-1.awsdns-1.org."}},
		{name: "a-web.example.com.", typ: "TXT", ttl: 300, values: []string{`"heritage=external-dns,external-dns/owner=eks-lab-prod,external-dns/resource=service/default/web"`}},
		{name: "web.example.com.", typ: "A", alias: "web.elb."},
		// Owner ids that merely start like ours are someone else's.
		{name: "cname-api.example.com.", typ: "TXT", ttl: 300, values: []string{`"heritage=external-dns,external-dns/owner=eks-lab-dev2"`}},
		{name: "api.example.com.", typ: "CNAME", ttl: 300, values: []string{"api.elb."}},
		{name: "note.example.com.", typ: "TXT", ttl: 300, values: []string{`"hello"`}},
		{name: "www.example.com.", typ: "CNAME", ttl: 300, values: []string{"example.com."}},
	}
	return s
}

func runAudit(t *testing.T, s *stubAWS, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL", s.srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDAUDITTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	if args == nil {
		args = []string{"--stack", "dev", "--region", region, "--cluster-name", "myeks", "--hosted-zone-id", "/hostedzone/" + s.zone, "--txt-owner-id", owner}
	}
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCleanAccountExitsZero(t *testing.T) {
	s := cleanAccount(t)
	code, out, errOut := runAudit(t, s)
	if code != ExitClean {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "nothing left behind") || strings.Contains(out, "LEFTOVER") {
		t.Errorf("stdout:\n%s", out)
	}
	// Every check must have asked AWS, or "clean" means nothing.
	for _, op := range []string{"GetResources", "DescribeLoadBalancers", "DescribeTargetGroups", "DescribeTags", "DescribeSecurityGroups", "ListResourceRecordSets"} {
		if s.called(op) == 0 {
			t.Errorf("%s was never called", op)
		}
	}
	if s.called("DescribeLoadBalancers") < 2 || s.called("ListResourceRecordSets") < 2 {
		t.Errorf("pagination not followed: %d DescribeLoadBalancers, %d ListResourceRecordSets calls",
			s.called("DescribeLoadBalancers"), s.called("ListResourceRecordSets"))
	}
}

func TestEachLeftoverIsReported(t *testing.T) {
	for name, tc := range map[string]struct {
		add  func(*stubAWS)
		want []string // in stdout
		n    int      // LEFTOVER lines
	}{
		"controller NLB": {
			add: func(s *stubAWS) {
				s.lbs = append(s.lbs, stubELB{arn: lbARN, name: "k8s-default-echo-0123456789", dns: "k8s-default-echo.elb", typ: "network",
					tags: map[string]string{ClusterTag: "myeks", "service.k8s.aws/stack": "default/echo"}})
			},
			want: []string{"LEFTOVER load balancer " + lbARN, "aws elbv2 delete-load-balancer --region ap-northeast-2 --load-balancer-arn " + lbARN},
			n:    1,
		},
		"controller target group": {
			add: func(s *stubAWS) {
				s.tgs = append(s.tgs, stubELB{arn: tgARN, name: "k8s-default-echo-abcdef0123", tags: map[string]string{ClusterTag: "myeks"}})
			},
			want: []string{"LEFTOVER target group " + tgARN, "aws elbv2 delete-target-group --region ap-northeast-2 --target-group-arn " + tgARN},
			n:    1,
		},
		"controller security group": {
			add: func(s *stubAWS) {
				s.sgs = append(s.sgs, stubSG{id: "sg-0leftover", name: "k8s-traffic-myeks-1", vpc: "vpc-0abc",
					tags: map[string]string{ClusterTag: "myeks", "elbv2.k8s.aws/resource": "backend-sg"}})
			},
			want: []string{"LEFTOVER security group sg-0leftover", "aws ec2 delete-security-group --region ap-northeast-2 --group-id sg-0leftover"},
			n:    1,
		},
		"ExternalDNS record": {
			add: func(s *stubAWS) {
				s.records = append(s.records,
					stubRecord{name: "a-tetris.example.com.", typ: "TXT", ttl: 300, values: []string{ownTXT}},
					stubRecord{name: "tetris.example.com.", typ: "TXT", ttl: 300, values: []string{ownTXT}},
					stubRecord{name: "tetris.example.com.", typ: "A", alias: lbAlias})
			},
			want: []string{
				"LEFTOVER Route 53 record a-tetris.example.com. TXT",
				"LEFTOVER Route 53 record tetris.example.com. TXT",
				"LEFTOVER Route 53 record tetris.example.com. A",
				"alias to " + lbAlias,
				`aws route53 change-resource-record-sets --hosted-zone-id Z0123456789ABCDEFGHIJ --change-batch '{"Changes":[{"Action":"DELETE","ResourceRecordSet":{"Name":"tetris.example.com.","Type":"A","AliasTarget":{"HostedZoneId":"ZIBE1TIR4HY56","DNSName":"` + lbAlias + `","EvaluateTargetHealth":true}}}]}'`,
			},
			n: 3,
		},
		"tagged resource": {
			add: func(s *stubAWS) {
				s.tagged = append(s.tagged, stubTagged{arn: vpcARN, tags: map[string]string{"project": "eks-lab", "stack": "dev", "owner": "alice", "Name": "lab-vpc"}})
			},
			want: []string{"LEFTOVER tagged resource " + vpcARN, "Name=lab-vpc owner=alice", "aws ec2 delete-vpc --region ap-northeast-2 --vpc-id vpc-0abc1234def567890"},
			n:    1,
		},
		"NLB carrying the stack's tags is reported once": {
			add: func(s *stubAWS) {
				tags := map[string]string{ClusterTag: "myeks", "project": "eks-lab", "stack": "dev"}
				s.lbs = append(s.lbs, stubELB{arn: lbARN, name: "n", dns: "d", typ: "network", tags: tags})
				s.tagged = append(s.tagged, stubTagged{arn: lbARN, tags: tags})
			},
			want: []string{"LEFTOVER load balancer " + lbARN},
			n:    1,
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := cleanAccount(t)
			tc.add(s)
			code, out, errOut := runAudit(t, s)
			if code != ExitLeftovers {
				t.Errorf("exit %d, want %d; stderr %s", code, ExitLeftovers, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if got := strings.Count(out, "LEFTOVER "); got != tc.n {
				t.Errorf("%d leftovers reported, want %d:\n%s", got, tc.n, out)
			}
			if !strings.Contains(out, fmt.Sprintf("%d resource(s) left behind", tc.n)) {
				t.Errorf("no summary line:\n%s", out)
			}
		})
	}
}

func TestManyLoadBalancersAreTaggedInBatchesOf20(t *testing.T) {
	s := cleanAccount(t)
	for i := range 25 {
		s.lbs = append(s.lbs, stubELB{arn: fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/x-%d/%d", region, acct, i, i),
			name: "x", dns: "x", typ: "network", tags: map[string]string{ClusterTag: "other"}})
	}
	s.lbs = append(s.lbs, stubELB{arn: lbARN, name: "n", dns: "d", typ: "network", tags: map[string]string{ClusterTag: "myeks"}})
	code, out, errOut := runAudit(t, s)
	if code != ExitLeftovers || !strings.Contains(out, "LEFTOVER load balancer "+lbARN) {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestWithoutHostedZoneTheDNSCheckIsSkipped(t *testing.T) {
	s := cleanAccount(t)
	code, out, _ := runAudit(t, s, "--stack", "dev", "--region", region, "--cluster-name", "myeks")
	if code != ExitClean || !strings.Contains(out, "skipped: Route 53 records") {
		t.Fatalf("exit %d, stdout:\n%s", code, out)
	}
	if s.called("ListResourceRecordSets") != 0 {
		t.Error("Route 53 was queried without a hosted zone")
	}
}

func TestAWSErrorMakesTheAuditIncomplete(t *testing.T) {
	s := cleanAccount(t)
	code, out, errOut := runAudit(t, s, "--stack", "dev", "--region", region, "--cluster-name", "myeks", "--hosted-zone-id", "ZWRONG", "--txt-owner-id", owner)
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d", code, ExitIncomplete)
	}
	if !strings.Contains(errOut, "NoSuchHostedZone") || !strings.Contains(errOut, "incomplete") {
		t.Errorf("stderr: %s", errOut)
	}
	if strings.Contains(out, "nothing left behind") {
		t.Errorf("an incomplete audit claims a clean account:\n%s", out)
	}
}

func TestBadInputIsOneLine(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no stack":      {[]string{"--region", region, "--cluster-name", "myeks"}, "missing stack"},
		"no cluster":    {[]string{"--stack", "dev", "--region", region}, "missing cluster name"},
		"zone no owner": {[]string{"--stack", "dev", "--region", region, "--cluster-name", "c", "--hosted-zone-id", "Z1"}, "txt owner id"},
		"unknown flag":  {[]string{"--stack", "dev", "--nope"}, "flag provided but not defined: -nope"},
		"extra arg":     {[]string{"--stack", "dev", "--region", region, "--cluster-name", "c", "now"}, "unexpected argument now"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("AWS_REGION", "")
			t.Setenv("AWS_DEFAULT_REGION", "")
			var out, errb bytes.Buffer
			code := Main(tc.args, &out, &errb)
			if code != ExitUsage || !strings.Contains(errb.String(), tc.want) || strings.Count(errb.String(), "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line with %q", code, errb.String(), ExitUsage, tc.want)
			}
		})
	}
}

// Run is the lead's entry point (defaults from the stack file): it works
// with clients built from a config with a BaseEndpoint.
func TestRunWithBaseEndpointClients(t *testing.T) {
	s := cleanAccount(t)
	s.sgs = append(s.sgs, stubSG{id: "sg-0leftover", tags: map[string]string{ClusterTag: "myeks"}})
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDAUDITTEST", "secret", ""),
		BaseEndpoint: aws.String(s.srv.URL),
	}
	rep, err := Run(context.Background(), Options{Stack: "dev", Region: region, ClusterName: "myeks"}, NewClients(cfg))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Clean() || len(rep.Leftovers) != 1 || rep.Leftovers[0].ID != "sg-0leftover" {
		t.Fatalf("leftovers %+v, want the one security group", rep.Leftovers)
	}
}

func TestOwnership(t *testing.T) {
	rec := func(v string) []r53types.ResourceRecord { return []r53types.ResourceRecord{{Value: aws.String(v)}} }
	for v, want := range map[string]bool{
		ownTXT: true,
		`"heritage=external-dns,external-dns/owner=eks-lab-dev"`:                true,
		`"heritage=external-dns,external-dns/owner=eks-lab-dev2"`:               false,
		`"heritage=external-dns,external-dns/owner=x-eks-lab-dev"`:              false,
		`"heritage=something,external-dns/owner=eks-lab-dev"`:                   false,
		`"v=spf1 include:external-dns/owner=eks-lab-dev heritage=external-dns"`: false,
	} {
		if got := ownedBy(rec(v), owner); got != want {
			t.Errorf("ownedBy(%s) = %v, want %v", v, got, want)
		}
	}
	for name, want := range map[string]string{
		"a-tetris.example.com.":     "tetris.example.com.",
		"aaaa-tetris.example.com.":  "tetris.example.com.",
		"cname-tetris.example.com.": "tetris.example.com.",
		"tetris.example.com.":       "",
		"a-.example.com.":           "",
	} {
		if got, _ := stripTypePrefix(name); got != want {
			t.Errorf("stripTypePrefix(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestDeleteHints(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:ec2:ap-northeast-2:1:instance/i-0abc":                       "aws ec2 terminate-instances --region ap-northeast-2 --instance-ids i-0abc",
		"arn:aws:ec2:ap-northeast-2:1:natgateway/nat-0abc":                   "aws ec2 delete-nat-gateway --region ap-northeast-2 --nat-gateway-id nat-0abc",
		"arn:aws:eks:ap-northeast-2:1:nodegroup/myeks/ng-1/0ec1":             "aws eks delete-nodegroup --region ap-northeast-2 --cluster-name myeks --nodegroup-name ng-1",
		"arn:aws:eks:ap-northeast-2:1:cluster/myeks":                         "aws eks delete-cluster --region ap-northeast-2 --name myeks",
		"arn:aws:logs:ap-northeast-2:1:log-group:/aws/eks/myeks/cluster":     "aws logs delete-log-group --region ap-northeast-2 --log-group-name /aws/eks/myeks/cluster",
		"arn:aws:iam::1:role/lab/eks-lab-dev-lbc":                            "aws iam delete-role --role-name eks-lab-dev-lbc",
		"arn:aws:elasticloadbalancing:ap-northeast-2:1:loadbalancer/net/a/b": "aws elbv2 delete-load-balancer --region ap-northeast-2 --load-balancer-arn arn:aws:elasticloadbalancing:ap-northeast-2:1:loadbalancer/net/a/b",
		"arn:aws:sqs:ap-northeast-2:1:queue":                                 "delete it in the sqs console",
	} {
		if got := deleteHintForARN(arn, region); !strings.HasPrefix(got, want) {
			t.Errorf("hint for %s = %q, want it to start with %q", arn, got, want)
		}
	}
}
