package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// What the report says of each kind of leftover: whose it is and the
// commands that delete it. The emulator tier finds them in moto; these
// cases pin the wording and the commands for each shape AWS returns.

func TestNetworkInterfaceLeftover(t *testing.T) {
	a := auditorOf("vpc-lab")
	eni := func(desc string) ec2types.NetworkInterface {
		return ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-1"), Description: aws.String(desc), Status: ec2types.NetworkInterfaceStatusAvailable,
			SubnetId: aws.String("subnet-1"), PrivateIpAddress: aws.String("10.1.0.9")}
	}
	for desc, want := range map[string]string{
		"aws-K8S-i-0abc": "available in subnet-1, 10.1.0.9; left by the VPC CNI of node i-0abc",
		"made by hand":   `available in subnet-1, 10.1.0.9; "made by hand"`,
		"":               "available in subnet-1, 10.1.0.9",
	} {
		l := a.eniLeftover(eni(desc))
		if l.Detail != want || l.Kind != "network interface" || l.ID != "eni-1" ||
			l.Delete != "aws ec2 delete-network-interface --region ap-northeast-2 --network-interface-id eni-1" {
			t.Errorf("ENI described %q: %+v, want the detail %q", desc, l, want)
		}
	}
}

func TestSecurityGroupLeftover(t *testing.T) {
	a := auditorOf("vpc-lab")
	sg := func(name string, tags map[string]string) ec2types.SecurityGroup {
		g := ec2types.SecurityGroup{GroupId: aws.String("sg-1"), GroupName: aws.String(name), VpcId: aws.String("vpc-lab")}
		for k, v := range tags {
			g.Tags = append(g.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		return g
	}
	for _, tc := range []struct {
		g    ec2types.SecurityGroup
		want string
	}{
		{sg("k8s-elb-a1b2", nil), "k8s-elb-a1b2 in vpc-lab; made by the in-tree cloud provider for the classic ELB a1b2"},
		// The tags name the Service: they say more than the group's name.
		{sg("k8s-elb-a1b2", map[string]string{"kubernetes.io/service-name": "game/web"}), "k8s-elb-a1b2 in vpc-lab; made by the in-tree cloud provider for Service game/web"},
		{sg("k8s-game-tetris-1f2e", map[string]string{"service.k8s.aws/stack": "game/tetris"}), "k8s-game-tetris-1f2e in vpc-lab; made for Service game/tetris"},
		{sg("by-hand", nil), "by-hand in vpc-lab"},
	} {
		l := a.sgLeftover(tc.g)
		if l.Detail != tc.want || l.Delete != "aws ec2 delete-security-group --region ap-northeast-2 --group-id sg-1" {
			t.Errorf("group %s: %+v, want the detail %q", aws.ToString(tc.g.GroupName), l, tc.want)
		}
	}
}

func TestElasticIPLeftover(t *testing.T) {
	a := auditorOf("vpc-lab")
	a.natEIPs = map[string]string{"eipalloc-nat": "held by NAT gateway nat-1 (deleted)"}
	for _, tc := range []struct {
		addr ec2types.Address
		want string
	}{
		{ec2types.Address{AllocationId: aws.String("eipalloc-nat"), PublicIp: aws.String("3.3.3.3")}, "3.3.3.3, not attached; held by NAT gateway nat-1 (deleted)"},
		{ec2types.Address{AllocationId: aws.String("eipalloc-2"), PublicIp: aws.String("4.4.4.4"), NetworkInterfaceId: aws.String("eni-9")}, "4.4.4.4, attached to eni-9"},
	} {
		id := aws.ToString(tc.addr.AllocationId)
		l := a.eipLeftover(tc.addr)
		if l.Detail != tc.want || l.ID != id || l.Delete != "aws ec2 release-address --region ap-northeast-2 --allocation-id "+id {
			t.Errorf("address %s: %+v, want the detail %q", id, l, tc.want)
		}
	}
}

func TestNATGatewayLeftover(t *testing.T) {
	a := auditorOf("vpc-lab")
	n := ec2types.NatGateway{NatGatewayId: aws.String("nat-1"), State: ec2types.NatGatewayStateAvailable, SubnetId: aws.String("subnet-pub"),
		NatGatewayAddresses: []ec2types.NatGatewayAddress{{PublicIp: aws.String("3.3.3.3")}, {PublicIp: aws.String("5.5.5.5")}}}
	want := Leftover{Kind: "NAT gateway", ID: "nat-1", Detail: "available in subnet-pub, public IP 3.3.3.3 5.5.5.5",
		Delete: "aws ec2 delete-nat-gateway --region ap-northeast-2 --nat-gateway-id nat-1"}
	if got := a.natLeftover(n); got != want {
		t.Errorf("NAT gateway: %+v, want %+v", got, want)
	}
}

// A pending deletion is reported once, with why, and no command: there is
// nothing to run.
func TestPendingOnce(t *testing.T) {
	a := auditorOf("vpc-lab")
	a.seen, a.rep = map[string]bool{}, &Report{}
	l := Leftover{Kind: "NAT gateway", ID: "nat-1", Detail: "deleting", Delete: "aws ec2 delete-nat-gateway --nat-gateway-id nat-1"}
	a.pending(l, "AWS is deleting it (a few minutes)")
	a.pending(l, "again")
	want := []Leftover{{Kind: "NAT gateway", ID: "nat-1", Detail: "deleting; AWS is deleting it (a few minutes)"}}
	if !slices.Equal(a.rep.Pending, want) {
		t.Errorf("pending %+v, want %+v", a.rep.Pending, want)
	}
}

func TestInstanceProfileLeftover(t *testing.T) {
	a := auditorOf()
	p := iamtypes.InstanceProfile{InstanceProfileName: aws.String("eks-lab-dev-bastion"), Arn: aws.String("arn:aws:iam::1:instance-profile/eks-lab-dev-bastion")}
	l := a.profileLeftover(p)
	if l.Detail != "eks-lab-dev-bastion, no role" || l.ID != "arn:aws:iam::1:instance-profile/eks-lab-dev-bastion" ||
		l.Delete != "aws iam delete-instance-profile --region ap-northeast-2 --instance-profile-name eks-lab-dev-bastion" {
		t.Errorf("a profile with no role: %+v", l)
	}
	p.Roles = []iamtypes.Role{{RoleName: aws.String("bastion")}, {RoleName: aws.String("old")}}
	l = a.profileLeftover(p)
	wantDelete := "aws iam remove-role-from-instance-profile --region ap-northeast-2 --instance-profile-name eks-lab-dev-bastion --role-name bastion" +
		" && aws iam remove-role-from-instance-profile --region ap-northeast-2 --instance-profile-name eks-lab-dev-bastion --role-name old" +
		" && aws iam delete-instance-profile --region ap-northeast-2 --instance-profile-name eks-lab-dev-bastion"
	if l.Detail != "eks-lab-dev-bastion, hands out role bastion, old" || l.Delete != wantDelete {
		t.Errorf("a profile with two roles: %+v\nwant the delete %s", l, wantDelete)
	}
}

func TestEksctlStackLeftover(t *testing.T) {
	a := auditorOf()
	s := cfntypes.Stack{StackName: aws.String("eksctl-myeks-nodegroup-ng1"), StackId: aws.String("arn:aws:cloudformation:ap-northeast-2:1:stack/eksctl-myeks-nodegroup-ng1/x"),
		StackStatus: cfntypes.StackStatusCreateComplete}
	want := Leftover{Kind: "CloudFormation stack", ID: "arn:aws:cloudformation:ap-northeast-2:1:stack/eksctl-myeks-nodegroup-ng1/x",
		Detail: "eksctl-myeks-nodegroup-ng1, CREATE_COMPLETE; made by eksctl nodegroup-ng1",
		Delete: "aws cloudformation update-termination-protection --region ap-northeast-2 --no-enable-termination-protection --stack-name eksctl-myeks-nodegroup-ng1" +
			" && aws cloudformation delete-stack --region ap-northeast-2 --stack-name eksctl-myeks-nodegroup-ng1" +
			" && aws cloudformation wait stack-delete-complete --region ap-northeast-2 --stack-name eksctl-myeks-nodegroup-ng1"}
	if got := a.stackLeftover(s); got != want {
		t.Errorf("eksctl stack:\n%+v\nwant\n%+v", got, want)
	}
}

// DescribeTags takes at most 20 ARNs a call: 41 go in three calls, in
// order, and the first error stops the rest.
func TestInBatches(t *testing.T) {
	var ids []string
	for i := range 41 {
		ids = append(ids, fmt.Sprint(i))
	}
	var sizes []int
	var seen []string
	if err := inBatches(ids, func(b []string) error { sizes = append(sizes, len(b)); seen = append(seen, b...); return nil }); err != nil || !slices.Equal(sizes, []int{20, 20, 1}) || !slices.Equal(seen, ids) {
		t.Errorf("41 IDs: batches %v, %d IDs seen in order %v, err %v", sizes, len(seen), slices.Equal(seen, ids), err)
	}
	calls := 0
	if err := inBatches(nil, func([]string) error { calls++; return nil }); err != nil || calls != 0 {
		t.Errorf("no IDs: %d calls, err %v", calls, err)
	}
	stop := errors.New("throttled")
	calls = 0
	if err := inBatches(ids, func([]string) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("a failing call: %d calls, err %v", calls, err)
	}
}

// A paused lab runs no instance: a node of a node group that stayed goes
// with its group, anything else (the bastion) is stopped.
func TestInstanceLeftover(t *testing.T) {
	a := auditorOf("vpc-lab")
	inst := func(tags ...string) ec2types.Instance {
		i := ec2types.Instance{InstanceId: aws.String("i-1"), InstanceType: ec2types.InstanceTypeT3Medium, SubnetId: aws.String("subnet-1"),
			State: &ec2types.InstanceState{Name: ec2types.InstanceStateNameRunning}}
		for k := 0; k+1 < len(tags); k += 2 {
			i.Tags = append(i.Tags, ec2types.Tag{Key: aws.String(tags[k]), Value: aws.String(tags[k+1])})
		}
		return i
	}
	for _, tc := range []struct {
		i              ec2types.Instance
		detail, delete string
	}{
		{inst("eks:nodegroup-name", "myeks-nodes", "Name", "myeks-nodes"), "running t3.medium in subnet-1; a node of node group myeks-nodes, which a paused lab does not have",
			"aws eks delete-nodegroup --region ap-northeast-2 --cluster-name myeks --nodegroup-name myeks-nodes"},
		{inst("Name", "bastion"), "running t3.medium in subnet-1; named bastion", "aws ec2 stop-instances --region ap-northeast-2 --instance-ids i-1"},
		{inst(), "running t3.medium in subnet-1", "aws ec2 stop-instances --region ap-northeast-2 --instance-ids i-1"},
	} {
		l := a.instanceLeftover(tc.i)
		if l.Kind != "instance" || l.ID != "i-1" || l.Detail != tc.detail || l.Delete != tc.delete {
			t.Errorf("instance %v: %+v, want the detail %q and the command %q", tc.i.Tags, l, tc.detail, tc.delete)
		}
	}
}

// A paused lab's report says what bills while paused, and what it keeps on
// purpose when nothing else is left.
func TestReportOfAPausedLab(t *testing.T) {
	write := func(r Report) string {
		var b strings.Builder
		r.Write(&b, false)
		return b.String()
	}
	paused := Options{Stack: "dev", Project: DefaultProject, Region: "r", ClusterName: "myeks", Paused: true}
	left := []Leftover{{Kind: "NAT gateway", ID: "nat-1", Delete: "aws ec2 delete-nat-gateway"}}
	for _, tc := range []struct {
		r         Report
		want, not string
	}{
		{Report{Options: paused, Complete: true, Leftovers: left}, "lab audit: 1 resource(s) billing while the lab is paused", "left behind"},
		{Report{Options: paused, Complete: true}, "lab audit: nothing bills but what a paused lab keeps", "nothing left behind"},
		{Report{Options: Options{Stack: "dev"}, Complete: true, Leftovers: left}, "lab audit: 1 resource(s) left behind", "paused"},
		{Report{Options: Options{Stack: "dev"}, Complete: true}, "lab audit: nothing left behind", "paused"},
	} {
		out := write(tc.r)
		if !strings.Contains(out, tc.want) || strings.Contains(out, tc.not) {
			t.Errorf("paused %v, %d leftover(s):\n%s\nwant %q and not %q", tc.r.Options.Paused, len(tc.r.Leftovers), out, tc.want, tc.not)
		}
	}
	if out := write(Report{Options: paused, Complete: true}); !strings.HasPrefix(out, "lab audit: stack dev (project eks-lab) in r, cluster myeks, paused\n") {
		t.Errorf("header:\n%s", out)
	}
}

// The options of a stack come from its file, as the program reads it; a
// file naming its lab wrongly is refused with the stack's name.
func TestStackOptions(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	got, err := StackOptions(root, "dev")
	want := Options{Project: DefaultProject, Stack: "dev", Region: "ap-northeast-2", ClusterName: "myeks", TxtOwnerID: "eks-lab-dev", NoHostedZone: true}
	if err != nil || got != want {
		t.Errorf("dev: %+v, %v; want %+v", got, err, want)
	}
	if _, err := StackOptions(root, "no-such-stack"); err == nil {
		t.Error("a stack without a file: no error")
	}
	bad := t.TempDir()
	pulumiYAML, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(bad, "stacks"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"Pulumi.yaml": string(pulumiYAML), "stacks/Pulumi.bad.yaml": "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  eks-lab:clusterName: Bad_Name!\n"} {
		if err := os.WriteFile(filepath.Join(bad, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := StackOptions(bad, "bad"); err == nil || !strings.HasPrefix(err.Error(), "stack bad: ") || !strings.Contains(err.Error(), "eks-lab:clusterName") {
		t.Errorf("a bad cluster name: %v", err)
	}
}
