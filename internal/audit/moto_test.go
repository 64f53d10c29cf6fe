package audit

// The emulator tier: the audit against moto, the AWS API emulator, with
// leftovers created through the AWS SDK the way the lab, the AWS Load
// Balancer Controller, the in-tree cloud provider, the VPC CNI, EKS and
// ExternalDNS create them.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/eks-study/lab/internal/testing/motoserver"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

const (
	region  = motoserver.Region
	cluster = "myeks"
	owner   = "eks-lab-dev"
	// The values ExternalDNS writes into its TXT registry records.
	ownTXT = `"heritage=external-dns,external-dns/owner=eks-lab-dev,external-dns/resource=service/default/tetris"`
)

// labTags are the provider default tags the lab puts on what it creates,
// and that the lab passes to the controller as its default tags.
func tagsOf(stack string) map[string]string {
	return map[string]string{"project": "eks-lab", "stack": stack, "owner": "alice", "expiry": "2026-01-01T08:00:00Z"}
}

func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func ec2Spec(typ ec2types.ResourceType, tags map[string]string) []ec2types.TagSpecification {
	if len(tags) == 0 {
		return nil
	}
	spec := ec2types.TagSpecification{ResourceType: typ}
	for k, v := range tags {
		spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return []ec2types.TagSpecification{spec}
}

func elbv2Tags(tags map[string]string) []elbv2types.Tag {
	var out []elbv2types.Tag
	for k, v := range tags {
		out = append(out, elbv2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

// account is an emulated account and what the test made in it.
type account struct {
	t   *testing.T
	ctx context.Context
	c   Clients
	ids map[string]string // name -> ID or ARN of what the test made
}

func newAccount(t *testing.T) *account { return accountFor(t, motoserver.Config(t)) }

func accountFor(t *testing.T, cfg aws.Config) *account {
	return &account{t: t, ctx: context.Background(), c: NewClients(cfg), ids: map[string]string{}}
}

func (a *account) ok(err error) {
	a.t.Helper()
	if err != nil {
		a.t.Fatal(err)
	}
}

// errOf drops an AWS call's output: a.ok(errOf(c.EC2.DeleteVpc(...))).
func errOf[T any](_ T, err error) error { return err }

func (a *account) opts() Options {
	return Options{Stack: "dev", Region: region, ClusterName: cluster, HostedZoneID: a.ids["zone"], TxtOwnerID: owner}
}

func (a *account) audit(o Options) Report {
	a.t.Helper()
	rep, err := Run(a.ctx, o, a.c)
	if err != nil {
		a.t.Fatalf("Run: %v", err)
	}
	return rep
}

// vpc makes a VPC with two subnets, tagged for stack.
func (a *account) vpc(name, stack, cidr string) {
	v, err := a.c.EC2.CreateVpc(a.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr + ".0.0/16"),
		TagSpecifications: ec2Spec(ec2types.ResourceTypeVpc, with(tagsOf(stack), "Name", name))})
	a.ok(err)
	a.ids[name] = aws.ToString(v.Vpc.VpcId)
	for i, az := range []string{"a", "b"} {
		s, err := a.c.EC2.CreateSubnet(a.ctx, &ec2.CreateSubnetInput{
			VpcId: v.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("%s.%d.0/22", cidr, i*4)), AvailabilityZone: aws.String(region + az),
			TagSpecifications: ec2Spec(ec2types.ResourceTypeSubnet, with(tagsOf(stack), "kubernetes.io/cluster/"+cluster, "shared")),
		})
		a.ok(err)
		a.ids[fmt.Sprintf("%s-subnet-%d", name, i)] = aws.ToString(s.Subnet.SubnetId)
	}
}

func (a *account) sg(name, vpc string, tags map[string]string) {
	sg, err := a.c.EC2.CreateSecurityGroup(a.ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), Description: aws.String("[k8s] test"), VpcId: aws.String(a.ids[vpc]),
		TagSpecifications: ec2Spec(ec2types.ResourceTypeSecurityGroup, tags),
	})
	a.ok(err)
	a.ids[name] = aws.ToString(sg.GroupId)
}

func (a *account) nlb(name, vpc string, tags map[string]string) {
	a.loadBalancer(name, vpc, elbv2types.LoadBalancerTypeEnumNetwork, tags)
}

func (a *account) loadBalancer(name, vpc string, typ elbv2types.LoadBalancerTypeEnum, tags map[string]string) {
	lb, err := a.c.ELBv2.CreateLoadBalancer(a.ctx, &elbv2.CreateLoadBalancerInput{
		Name: aws.String(name), Type: typ, Scheme: elbv2types.LoadBalancerSchemeEnumInternetFacing,
		Subnets: []string{a.ids[vpc+"-subnet-0"], a.ids[vpc+"-subnet-1"]}, Tags: elbv2Tags(tags),
	})
	a.ok(err)
	a.ids[name] = aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
}

func (a *account) targetGroup(name, vpc string, tags map[string]string) {
	tg, err := a.c.ELBv2.CreateTargetGroup(a.ctx, &elbv2.CreateTargetGroupInput{
		Name: aws.String(name), Protocol: elbv2types.ProtocolEnumTcp, Port: aws.Int32(80), VpcId: aws.String(a.ids[vpc]),
		TargetType: elbv2types.TargetTypeEnumIp, Tags: elbv2Tags(tags),
	})
	a.ok(err)
	a.ids[name] = aws.ToString(tg.TargetGroups[0].TargetGroupArn)
}

func (a *account) instance(name, vpc string, tags map[string]string) {
	r, err := a.c.EC2.RunInstances(a.ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String(a.ids[vpc+"-subnet-0"]),
		TagSpecifications: ec2Spec(ec2types.ResourceTypeInstance, tags),
	})
	a.ok(err)
	a.ids[name] = aws.ToString(r.Instances[0].InstanceId)
}

// volume makes an EBS volume as the EBS CSI driver does for a claim.
func (a *account) volume(name string, tags map[string]string) {
	v, err := a.c.EC2.CreateVolume(a.ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(region + "a"), Size: aws.Int32(8),
		VolumeType: ec2types.VolumeTypeGp3, TagSpecifications: ec2Spec(ec2types.ResourceTypeVolume, tags)})
	a.ok(err)
	a.ids[name] = aws.ToString(v.VolumeId)
}

// eksctlStack makes a stack as `eksctl create iamserviceaccount` does for
// clusterName: an IAM role, the stack tagged with the cluster's name
// (eksctl v0.228.0 pkg/cfn/manager/api.go).
func (a *account) eksctlStack(name, clusterName string) {
	const template = `{"Resources":{"Role1":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDocument":` +
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/x"},"Action":"sts:AssumeRoleWithWebIdentity"}]}}}}}`
	s, err := a.c.CloudFormation.CreateStack(a.ctx, &cloudformation.CreateStackInput{
		StackName: aws.String(name), TemplateBody: aws.String(template), Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
		EnableTerminationProtection: aws.Bool(true),
		Tags: []cfntypes.Tag{{Key: aws.String(EksctlClusterTag), Value: aws.String(clusterName)},
			{Key: aws.String("eksctl.cluster.k8s.io/v1alpha1/cluster-name"), Value: aws.String(clusterName)}},
	})
	a.ok(err)
	a.ids[name] = aws.ToString(s.StackId)
}

// leftovers fills the account with what a destroy can leave behind, next to
// what the audit must not report: another stack's lab, another cluster's
// load balancers, records ExternalDNS owns for someone else.
func (a *account) leftovers() {
	ctx, c := a.ctx, a.c
	a.vpc("lab", "dev", "10.0")
	a.vpc("prod", "prod", "10.1")
	igw, err := c.EC2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: ec2Spec(ec2types.ResourceTypeInternetGateway, tagsOf("dev"))})
	a.ok(err)
	a.ids["igw"] = aws.ToString(igw.InternetGateway.InternetGatewayId)
	a.ok(errOf(c.EC2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: aws.String(a.ids["lab"])})))
	rt, err := c.EC2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(a.ids["lab"]), TagSpecifications: ec2Spec(ec2types.ResourceTypeRouteTable, tagsOf("dev"))})
	a.ok(err)
	a.ids["rt"] = aws.ToString(rt.RouteTable.RouteTableId)

	// The VPC CNI's ENI, left "available" when its node went: no lab tags.
	eni, err := c.EC2.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{
		SubnetId: aws.String(a.ids["lab-subnet-0"]), Description: aws.String("aws-K8S-i-0123456789abcdef0"),
		TagSpecifications: ec2Spec(ec2types.ResourceTypeNetworkInterface, map[string]string{
			"node.k8s.amazonaws.com/instance_id": "i-0123456789abcdef0", "cluster.k8s.amazonaws.com/name": cluster}),
	})
	a.ok(err)
	a.ids["cni-eni"] = aws.ToString(eni.NetworkInterface.NetworkInterfaceId)
	// An available ENI in another lab's VPC is that lab's business.
	a.ok(errOf(c.EC2.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(a.ids["prod-subnet-0"]), Description: aws.String("aws-K8S-i-0fff")})))

	// The controller's security groups (tags: v2.17.1 backend_sg_provider.go,
	// model_build_managed_sg.go), and the in-tree provider's k8s-elb-*.
	a.sg("k8s-traffic-myeks-0a1b2c3d4e", "lab", with(tagsOf("dev"), ClusterTag, cluster, "elbv2.k8s.aws/resource", "backend-sg"))
	a.sg("k8s-default-echo-5f6a7b8c9d", "lab", with(tagsOf("dev"), ClusterTag, cluster, "service.k8s.aws/stack", "default/echo", "service.k8s.aws/resource", "ManagedLBSecurityGroup"))
	a.sg("k8s-elb-a0123456789abcdef0123456789abcd", "lab", map[string]string{"kubernetes.io/cluster/" + cluster: "owned"})
	a.sg("k8s-traffic-other-0a1b2c3d4e", "prod", map[string]string{ClusterTag: "other"})
	// The same cluster name in another stack (a later lab in this region).
	a.sg("k8s-traffic-myeks-prod", "prod", with(tagsOf("prod"), ClusterTag, cluster))

	echo := with(tagsOf("dev"), ClusterTag, cluster, "service.k8s.aws/stack", "default/echo", "service.k8s.aws/resource", "LoadBalancer")
	a.nlb("k8s-default-echo-0123456789", "lab", echo)
	a.targetGroup("k8s-default-echo-abcdef0123", "lab", with(echo, "service.k8s.aws/resource", "default/echo:80"))
	a.nlb("k8s-other-web-0123456789", "prod", map[string]string{ClusterTag: "other"})
	a.nlb("k8s-prod-web-0123456789", "prod", with(tagsOf("prod"), ClusterTag, cluster))
	a.targetGroup("k8s-other-web-abcdef0123", "prod", map[string]string{ClusterTag: "other"})
	// An ALB Gateway's load balancer, target group and security group (tags:
	// v3.5.0 pkg/deploy/tracking/provider.go with the Gateway's prefix), and
	// another stack's NLB Gateway.
	web := with(tagsOf("dev"), ClusterTag, cluster, "gateway.k8s.aws.alb/stack", "gateway-alb/web", "gateway.k8s.aws.alb/resource", "LoadBalancer")
	a.loadBalancer("k8s-gatewaya-web-0123456789", "lab", elbv2types.LoadBalancerTypeEnumApplication, web)
	a.targetGroup("k8s-gatewaya-blue-abcdef0123", "lab", with(web, "gateway.k8s.aws.alb/resource", "gateway-alb/blue:80"))
	a.sg("k8s-gatewaya-web-5f6a7b8c9d", "lab", with(web, "gateway.k8s.aws.alb/resource", "ManagedLBSecurityGroup"))
	a.nlb("k8s-gatewayn-echo-0123456789", "prod", with(tagsOf("prod"), ClusterTag, cluster, "gateway.k8s.aws.nlb/stack", "gateway-nlb/echo"))

	// A classic ELB of the in-tree cloud provider (a Service the controller
	// did not claim); its tags: cloud-provider-aws v1.34.3 tags.go, aws.go.
	a.ok(errOf(c.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		LoadBalancerName: aws.String("a0123456789abcdef0123456789abcde"),
		Listeners:        []elbtypes.Listener{{Protocol: aws.String("TCP"), LoadBalancerPort: 80, InstancePort: aws.Int32(30080)}},
		Subnets:          []string{a.ids["lab-subnet-0"]},
		SecurityGroups:   []string{a.ids["k8s-elb-a0123456789abcdef0123456789abcd"]},
		Tags: []elbtypes.Tag{
			{Key: aws.String("kubernetes.io/cluster/" + cluster), Value: aws.String("owned")},
			{Key: aws.String("kubernetes.io/service-name"), Value: aws.String("default/legacy")},
		},
	})))

	// The NAT gateway and its elastic IP (tagged by the lab); a second NAT
	// gateway already deleted, which AWS and moto list for a while; a third
	// made by hand in the lab's VPC, with an untagged elastic IP, which
	// bills until released, also once its NAT gateway is gone.
	for _, name := range []string{"nat", "deleted-nat", "handmade-nat"} {
		tags := tagsOf("dev")
		if name == "handmade-nat" {
			tags = nil
		}
		eip, err := c.EC2.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc,
			TagSpecifications: ec2Spec(ec2types.ResourceTypeElasticIp, tags)})
		a.ok(err)
		a.ids[name+"-eip"] = aws.ToString(eip.AllocationId)
		nat, err := c.EC2.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(a.ids["lab-subnet-1"]), AllocationId: eip.AllocationId,
			TagSpecifications: ec2Spec(ec2types.ResourceTypeNatgateway, tags)})
		a.ok(err)
		a.ids[name] = aws.ToString(nat.NatGateway.NatGatewayId)
	}
	a.ok(errOf(c.EC2.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(a.ids["deleted-nat"])})))

	// The bastion still running, and a node terminated by the destroy: the
	// tagging API lists both.
	a.instance("bastion", "lab", with(tagsOf("dev"), "Name", "bastion"))
	a.instance("node", "lab", tagsOf("dev"))
	a.ok(errOf(c.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{a.ids["node"]}})))

	// EBS volumes the CSI driver (run with --k8s-tag-cluster-id) made for
	// claims: this cluster's, left "available" by the destroy, and another
	// cluster's.
	for name, clusterName := range map[string]string{"pvc-volume": cluster, "other-pvc-volume": "other"} {
		a.volume(name, map[string]string{CSIDriverTag: "true", LegacyClusterTagPrefix + clusterName: "owned", KubernetesClusterTag: clusterName,
			CSIClusterNameTag: clusterName, "kubernetes.io/created-for/pvc/namespace": "default", "kubernetes.io/created-for/pvc/name": "data"})
	}

	// A stack eksctl on the bastion made (`eksctl create iamserviceaccount`),
	// with its role, and another cluster's.
	a.eksctlStack("eksctl-myeks-addon-iamserviceaccount-kube-system-ebs-csi-controller-sa", cluster)
	a.eksctlStack("eksctl-other-addon-iamserviceaccount-kube-system-ebs-csi-controller-sa", "other")

	// EKS's control-plane log group (untagged), and another cluster's.
	for _, name := range []string{"/aws/eks/" + cluster + "/cluster", "/aws/eks/other/cluster"} {
		a.ok(errOf(c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)})))
	}

	// The zone with the stack's ExternalDNS records (TXT registry in the new
	// "a-" format and the old one) and others' records.
	zone, err := c.Route53.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String("example.com"), CallerReference: aws.String("audit-test")})
	a.ok(err)
	a.ids["zone"] = strings.TrimPrefix(aws.ToString(zone.HostedZone.Id), "/hostedzone/")
	txt := func(name, value string) r53types.ResourceRecordSet {
		return r53types.ResourceRecordSet{Name: aws.String(name), Type: r53types.RRTypeTxt, TTL: aws.Int64(300),
			ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(value)}}}
	}
	var changes []r53types.Change
	for _, s := range []r53types.ResourceRecordSet{
		// ExternalDNS v0.22.0 for tetris's NLB: an A alias and its TXT
		// record "a-tetris"; v0.16.1 also wrote the TXT record at the
		// record's own name, which an earlier lab leaves.
		txt("a-tetris.example.com.", ownTXT),
		txt("tetris.example.com.", ownTXT),
		{Name: aws.String("tetris.example.com."), Type: r53types.RRTypeA, AliasTarget: &r53types.AliasTarget{
			HostedZoneId: aws.String("ZIBE1TIR4HY56"), DNSName: aws.String("k8s-default-tetris-0a1b2c3d4e.elb.ap-northeast-2.amazonaws.com."),
		}},
		txt("a-web.example.com.", `"heritage=external-dns,external-dns/owner=eks-lab-prod,external-dns/resource=service/default/web"`),
		{Name: aws.String("web.example.com."), Type: r53types.RRTypeA, TTL: aws.Int64(300), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("192.0.2.1")}}},
		txt("cname-api.example.com.", `"heritage=external-dns,external-dns/owner=eks-lab-dev2"`),
		txt("note.example.com.", `"it's a note"`),
	} {
		changes = append(changes, r53types.Change{Action: r53types.ChangeActionCreate, ResourceRecordSet: &s})
	}
	a.ok(errOf(c.Route53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: zone.HostedZone.Id, ChangeBatch: &r53types.ChangeBatch{Changes: changes}})))
}

type found struct{ kind, id string }

func foundIn(rep Report) []found {
	var out []found
	for _, l := range rep.Leftovers {
		out = append(out, found{l.Kind, l.ID})
	}
	return out
}

// bashSyntax fails the test for each delete command bash cannot parse.
func bashSyntax(t *testing.T, rep Report) {
	t.Helper()
	for _, l := range rep.Leftovers {
		if l.Delete == "" {
			continue
		}
		if out, err := exec.Command("bash", "-n", "-c", l.Delete).CombinedOutput(); err != nil {
			t.Errorf("%s %s: delete command is not valid shell: %v\n%s\n%s", l.Kind, l.ID, err, l.Delete, out)
		}
	}
}

func TestLeftoversAfterADestroyAreReportedThenCleanOnceDeleted(t *testing.T) {
	a := newAccount(t)
	a.leftovers()
	rep := a.audit(a.opts())

	want := []found{
		{"Route 53 record", "a-tetris.example.com. TXT"},
		{"Route 53 record", "tetris.example.com. A"},
		{"Route 53 record", "tetris.example.com. TXT"},
		{"CloudFormation stack", a.ids["eksctl-myeks-addon-iamserviceaccount-kube-system-ebs-csi-controller-sa"]},
		{"instance", a.ids["bastion"]},
		{"volume", a.ids["pvc-volume"]},
		{"load balancer", a.ids["k8s-default-echo-0123456789"]},
		{"load balancer", a.ids["k8s-gatewaya-web-0123456789"]},
		{"classic load balancer", "a0123456789abcdef0123456789abcde"},
		{"target group", a.ids["k8s-default-echo-abcdef0123"]},
		{"target group", a.ids["k8s-gatewaya-blue-abcdef0123"]},
		{"NAT gateway", a.ids["nat"]},
		{"NAT gateway", a.ids["handmade-nat"]},
		{"network interface", a.ids["cni-eni"]},
		{"security group", a.ids["k8s-traffic-myeks-0a1b2c3d4e"]},
		{"security group", a.ids["k8s-default-echo-5f6a7b8c9d"]},
		{"security group", a.ids["k8s-gatewaya-web-5f6a7b8c9d"]},
		{"security group", a.ids["k8s-elb-a0123456789abcdef0123456789abcd"]},
		{"elastic IP", a.ids["nat-eip"]},
		{"elastic IP", a.ids["deleted-nat-eip"]},
		{"elastic IP", a.ids["handmade-nat-eip"]},
		{"log group", "/aws/eks/myeks/cluster"},
		{"subnet", a.ids["lab-subnet-0"]},
		{"subnet", a.ids["lab-subnet-1"]},
		{"route table", a.ids["rt"]},
		{"internet gateway", a.ids["igw"]},
		{"VPC", a.ids["lab"]},
	}
	got := a.foundBesideNATENIs(rep)
	// Within one kind the emulator's order is its own.
	if !sameFound(got, want) {
		t.Errorf("leftovers:\n%s\nwant:\n%s", show(got), show(want))
	}
	kinds := func(fs []found) []string {
		return slices.Compact(slices.Collect(func(yield func(string) bool) {
			for _, f := range fs {
				if !yield(f.kind) {
					return
				}
			}
		}))
	}
	if k, w := kinds(got), kinds(want); !slices.Equal(k, w) {
		t.Errorf("kinds in the order printed %v, want %v (deletable top to bottom)", k, w)
	}
	if rep.Clean() || !rep.Complete {
		t.Errorf("Clean() = %v, Complete = %v; want a complete, unclean report", rep.Clean(), rep.Complete)
	}
	// A Gateway's leftovers name it.
	for _, name := range []string{"k8s-gatewaya-web-0123456789", "k8s-gatewaya-blue-abcdef0123", "k8s-gatewaya-web-5f6a7b8c9d"} {
		i := slices.IndexFunc(rep.Leftovers, func(l Leftover) bool { return l.ID == a.ids[name] })
		if i < 0 || !strings.Contains(rep.Leftovers[i].Detail, "made for ALB Gateway gateway-alb/web") {
			t.Errorf("%s: not reported as made for ALB Gateway gateway-alb/web: %+v", name, rep.Leftovers)
		}
	}
	// What the tagging API lists but is deleted is no leftover.
	for _, id := range []string{a.ids["node"], a.ids["deleted-nat"]} {
		if !slices.ContainsFunc(rep.Gone, func(g string) bool { return strings.Contains(g, id) }) {
			t.Errorf("%s not among the gone: %v", id, rep.Gone)
		}
	}
	bashSyntax(t, rep)
	for _, l := range rep.Leftovers {
		if !strings.Contains(l.Delete, " --region "+region+" ") {
			t.Errorf("%s %s: delete command %q lacks --region %s", l.Kind, l.ID, l.Delete, region)
		}
	}

	a.deleteAll()
	rep = a.audit(a.opts())
	if !rep.Clean() || len(rep.Leftovers) > 0 {
		t.Errorf("after deleting everything: Clean() = %v, leftovers:\n%s", rep.Clean(), show(foundIn(rep)))
	}
}

func sortedFound(fs []found, cmp func(x, y found) int) []found {
	return slices.SortedFunc(slices.Values(fs), cmp)
}

func show(fs []found) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s\n", f.kind, f.id)
	}
	return b.String()
}

// natENIs are the network interfaces of NAT gateways. AWS has them "in-use"
// (interface type nat_gateway) and deletes them with their NAT gateway; moto
// leaves them "available", so the test sets them aside.
func (a *account) natENIs() map[string]bool {
	out, err := a.c.EC2.DescribeNatGateways(a.ctx, &ec2.DescribeNatGatewaysInput{})
	a.ok(err)
	enis := map[string]bool{}
	for _, n := range out.NatGateways {
		for _, addr := range n.NatGatewayAddresses {
			enis[aws.ToString(addr.NetworkInterfaceId)] = true
		}
	}
	return enis
}

// foundBesideNATENIs is what rep found but the NAT gateways' network
// interfaces (natENIs), in the report's order.
func (a *account) foundBesideNATENIs(rep Report) []found {
	nat := a.natENIs()
	return slices.DeleteFunc(foundIn(rep), func(f found) bool { return nat[f.id] })
}

// deleteAll deletes what leftovers made for the stack, as its delete
// commands would, in the order the report prints them.
func (a *account) deleteAll() {
	ctx, c, ids := a.ctx, a.c, a.ids
	zone := aws.String(ids["zone"])
	sets, err := c.Route53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: zone})
	a.ok(err)
	var changes []r53types.Change
	for _, s := range sets.ResourceRecordSets {
		if strings.Contains(aws.ToString(s.Name), "tetris") {
			changes = append(changes, r53types.Change{Action: r53types.ChangeActionDelete, ResourceRecordSet: &s})
		}
	}
	a.ok(errOf(c.Route53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: zone, ChangeBatch: &r53types.ChangeBatch{Changes: changes}})))
	a.ok(errOf(c.CloudFormation.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(ids["eksctl-myeks-addon-iamserviceaccount-kube-system-ebs-csi-controller-sa"])})))
	a.ok(errOf(c.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{ids["bastion"]}})))
	a.ok(errOf(c.EC2.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(ids["pvc-volume"])})))
	for _, lb := range []string{"k8s-default-echo-0123456789", "k8s-gatewaya-web-0123456789"} {
		a.ok(errOf(c.ELBv2.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(ids[lb])})))
	}
	a.ok(errOf(c.ELB.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerName: aws.String("a0123456789abcdef0123456789abcde")})))
	for _, tg := range []string{"k8s-default-echo-abcdef0123", "k8s-gatewaya-blue-abcdef0123"} {
		a.ok(errOf(c.ELBv2.DeleteTargetGroup(ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: aws.String(ids[tg])})))
	}
	for _, nat := range []string{"nat", "handmade-nat"} {
		a.ok(errOf(c.EC2.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(ids[nat])})))
	}
	for eni := range a.natENIs() { // as AWS does with its NAT gateways (see natENIs)
		a.ok(errOf(c.EC2.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(eni)})))
	}
	a.ok(errOf(c.EC2.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(ids["cni-eni"])})))
	for _, sg := range []string{"k8s-traffic-myeks-0a1b2c3d4e", "k8s-default-echo-5f6a7b8c9d", "k8s-gatewaya-web-5f6a7b8c9d", "k8s-elb-a0123456789abcdef0123456789abcd"} {
		a.ok(errOf(c.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(ids[sg])})))
	}
	for _, eip := range []string{"nat-eip", "deleted-nat-eip", "handmade-nat-eip"} {
		a.ok(errOf(c.EC2.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(ids[eip])})))
	}
	a.ok(errOf(c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/aws/eks/myeks/cluster")})))
	for _, s := range []string{"lab-subnet-0", "lab-subnet-1"} {
		a.ok(errOf(c.EC2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(ids[s])})))
	}
	a.ok(errOf(c.EC2.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(ids["rt"])})))
	a.ok(errOf(c.EC2.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(ids["igw"]), VpcId: aws.String(ids["lab"])})))
	a.ok(errOf(c.EC2.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(ids["igw"])})))
	a.ok(errOf(c.EC2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(ids["lab"])})))
}

// The audit also finds, by the lab's VPC, what carries no tag at all: a
// load balancer, target group or security group someone made by hand there
// blocks the VPC's deletion as well.
func TestUntaggedThingsInTheLabVPCAreReported(t *testing.T) {
	a := newAccount(t)
	a.vpc("lab", "dev", "10.0")
	a.nlb("manual", "lab", nil)
	a.targetGroup("manual-tg", "lab", nil)
	a.sg("manual-sg", "lab", nil)
	eni, err := a.c.EC2.CreateNetworkInterface(a.ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(a.ids["lab-subnet-0"])})
	a.ok(err)
	o := a.opts()
	o.NoHostedZone = true
	got := foundIn(a.audit(o))
	for _, w := range []found{
		{"load balancer", a.ids["manual"]},
		{"target group", a.ids["manual-tg"]},
		{"security group", a.ids["manual-sg"]},
		{"network interface", aws.ToString(eni.NetworkInterface.NetworkInterfaceId)},
	} {
		if !slices.Contains(got, w) {
			t.Errorf("%s %s not reported:\n%s", w.kind, w.id, show(got))
		}
	}
}

// staleTagging is the tagging API as AWS answers for a while after a
// deletion: it still lists the deleted resources. Moto drops deleted load
// balancers, target groups, log groups and EKS clusters from its answer at
// once (and lists no EKS resources at all), so this case needs a stand-in.
type staleTagging struct {
	TaggingAPI
	arns []string
}

func (s staleTagging) GetResources(ctx context.Context, in *rgt.GetResourcesInput, opts ...func(*rgt.Options)) (*rgt.GetResourcesOutput, error) {
	out, err := s.TaggingAPI.GetResources(ctx, in, opts...)
	if err != nil || aws.ToString(out.PaginationToken) != "" {
		return out, err
	}
	for _, arn := range s.arns {
		out.ResourceTagMappingList = append(out.ResourceTagMappingList, rgttypes.ResourceTagMapping{
			ResourceARN: aws.String(arn),
			Tags:        []rgttypes.Tag{{Key: aws.String("project"), Value: aws.String("eks-lab")}, {Key: aws.String("stack"), Value: aws.String("dev")}},
		})
	}
	return out, nil
}

func TestTheTaggingAPIsDeletedResourcesAreConfirmedGone(t *testing.T) {
	a := newAccount(t)
	a.vpc("lab", "dev", "10.0")
	a.nlb("k8s-default-echo-0123456789", "lab", tagsOf("dev"))
	a.targetGroup("k8s-default-echo-abcdef0123", "lab", tagsOf("dev"))
	lb, tg := a.ids["k8s-default-echo-0123456789"], a.ids["k8s-default-echo-abcdef0123"]
	a.ok(errOf(a.c.ELBv2.DeleteTargetGroup(a.ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: aws.String(tg)})))
	a.ok(errOf(a.c.ELBv2.DeleteLoadBalancer(a.ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lb)})))
	for _, s := range []string{"lab-subnet-0", "lab-subnet-1"} {
		a.ok(errOf(a.c.EC2.DeleteSubnet(a.ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(a.ids[s])})))
	}
	a.ok(errOf(a.c.EC2.DeleteVpc(a.ctx, &ec2.DeleteVpcInput{VpcId: aws.String(a.ids["lab"])})))
	arn := func(service, res string) string {
		return "arn:aws:" + service + ":" + region + ":" + motoserver.AccountID + ":" + res
	}
	stale := []string{
		lb, tg,
		strings.Replace(lb, ":loadbalancer/", ":listener/", 1) + "/0123456789abcdef",
		arn("elasticloadbalancing", "loadbalancer/a0123456789abcdef0123456789abcde"),
		arn("ec2", "vpc/"+a.ids["lab"]),
		arn("eks", "cluster/"+cluster),
		arn("eks", "nodegroup/"+cluster+"/nodes/0ec1"),
		arn("eks", "addon/"+cluster+"/vpc-cni/0ec1"),
		arn("logs", "log-group:/aws/eks/"+cluster+"/cluster"),
	}
	a.c.Tagging = staleTagging{a.c.Tagging, stale}
	o := a.opts()
	o.NoHostedZone = true
	rep := a.audit(o)
	if !rep.Clean() {
		t.Errorf("a clean teardown is reported unclean:\n%s", show(foundIn(rep)))
	}
	for _, s := range stale {
		if !slices.ContainsFunc(rep.Gone, func(g string) bool { return strings.HasPrefix(g, s+": ") }) {
			t.Errorf("%s is not among the gone: %v", s, rep.Gone)
		}
	}
}

// What the tagging API lists and still exists stays a leftover, also where
// the audit confirms it through its cluster or cannot confirm it at all.
func TestTheTaggingAPIsLiveResourcesStayLeftovers(t *testing.T) {
	a := newAccount(t)
	a.vpc("lab", "dev", "10.0")
	cl, err := a.c.EKS.CreateCluster(a.ctx, &eks.CreateClusterInput{
		Name: aws.String(cluster), RoleArn: aws.String("arn:aws:iam::" + motoserver.AccountID + ":role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{a.ids["lab-subnet-0"], a.ids["lab-subnet-1"]}},
	})
	a.ok(err)
	queue := "arn:aws:sqs:" + region + ":" + motoserver.AccountID + ":lab-queue"
	a.c.Tagging = staleTagging{a.c.Tagging, []string{aws.ToString(cl.Cluster.Arn), queue}}
	o := a.opts()
	o.NoHostedZone = true
	rep := a.audit(o)
	got := foundIn(rep)
	for _, w := range []found{{"EKS cluster", cluster}, {"tagged resource", queue}} {
		if !slices.Contains(got, w) {
			t.Errorf("%s %s not reported:\n%s", w.kind, w.id, show(got))
		}
	}
	for _, l := range rep.Leftovers {
		if l.ID == queue && (l.Delete != "" || !strings.Contains(l.Detail, "not confirmed")) {
			t.Errorf("an unconfirmable hit must say so and print no command: %+v", l)
		}
	}
	bashSyntax(t, rep)
}

// limitDescribeTags puts a proxy in front of the emulator that answers, as
// AWS does, a DescribeTags call for more than 20 load balancers (ELBv2
// ResourceArns, classic LoadBalancerNames) with a ValidationError: moto
// answers any number.
func limitDescribeTags(t *testing.T, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") == "DescribeTags" && (form.Has("ResourceArns.member.21") || form.Has("LoadBalancerNames.member.21")) {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>`+
				`<Message>Member must have length less than or equal to 20</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestManyLoadBalancersAreDescribedInBatches(t *testing.T) {
	cfg := motoserver.Config(t)
	cfg.BaseEndpoint = aws.String(limitDescribeTags(t, aws.ToString(cfg.BaseEndpoint)))
	a := accountFor(t, cfg)
	a.vpc("prod", "prod", "10.1")
	for i := range describeTagsBatch + 1 {
		a.nlb(fmt.Sprintf("k8s-other-web-%02d", i), "prod", map[string]string{ClusterTag: "other"})
		a.ok(errOf(a.c.ELB.CreateLoadBalancer(a.ctx, &elb.CreateLoadBalancerInput{
			LoadBalancerName: aws.String(fmt.Sprintf("a%02d", i)), Subnets: []string{a.ids["prod-subnet-0"]},
			Listeners: []elbtypes.Listener{{Protocol: aws.String("TCP"), LoadBalancerPort: 80, InstancePort: aws.Int32(30080)}},
		})))
	}
	a.vpc("lab", "dev", "10.0")
	a.nlb("k8s-default-echo-0123456789", "lab", map[string]string{ClusterTag: cluster})
	a.ok(errOf(a.c.ELB.CreateLoadBalancer(a.ctx, &elb.CreateLoadBalancerInput{
		LoadBalancerName: aws.String("a0123456789abcdef0123456789abcde"), Subnets: []string{a.ids["lab-subnet-0"]},
		Listeners: []elbtypes.Listener{{Protocol: aws.String("TCP"), LoadBalancerPort: 80, InstancePort: aws.Int32(30080)}},
		Tags:      []elbtypes.Tag{{Key: aws.String(LegacyClusterTagPrefix + cluster), Value: aws.String("owned")}},
	})))
	o := a.opts()
	o.NoHostedZone = true
	got := foundIn(a.audit(o))
	for _, w := range []found{{"load balancer", a.ids["k8s-default-echo-0123456789"]}, {"classic load balancer", "a0123456789abcdef0123456789abcde"}} {
		if !slices.Contains(got, w) {
			t.Errorf("%s %s not reported:\n%s", w.kind, w.id, show(got))
		}
	}
}

func TestWithoutAHostedZoneTheDNSCheckIsSkippedAndNotClean(t *testing.T) {
	a := newAccount(t)
	o := a.opts()
	rep := a.audit(o)
	if rep.Clean() || len(rep.Skipped) != 1 || !strings.HasPrefix(rep.Skipped[0], "Route 53 records") {
		t.Errorf("Clean() = %v, skipped %v; want the Route 53 check skipped and no clean bill", rep.Clean(), rep.Skipped)
	}
	o.NoHostedZone = true
	if rep := a.audit(o); !rep.Clean() || len(rep.NotApplicable) == 0 {
		t.Errorf("a stack without a zone: Clean() = %v, not applicable %v", rep.Clean(), rep.NotApplicable)
	}
}

// A check that fails hides nothing: every other check runs, its findings
// are reported, and the report names the check that failed.
func TestAFailingCheckHidesNoneOfTheOthersFindings(t *testing.T) {
	a := newAccount(t)
	a.vpc("lab", "dev", "10.0")
	a.nlb("k8s-default-echo-0123456789", "lab", with(tagsOf("dev"), ClusterTag, cluster))
	o := a.opts()
	o.HostedZoneID = "ZNOSUCHZONE" // the zone was deleted with the lab
	rep, err := Run(a.ctx, o, a.c)
	if err == nil || !strings.Contains(err.Error(), "NoSuchHostedZone") {
		t.Errorf("err = %v, want NoSuchHostedZone", err)
	}
	if rep.Complete || rep.Clean() || len(rep.Failed) != 1 || rep.Failed[0].Check != "Route 53 records" {
		t.Errorf("Complete = %v, Clean() = %v, failed %v; want only the Route 53 check failed", rep.Complete, rep.Clean(), rep.Failed)
	}
	want := []found{{"load balancer", a.ids["k8s-default-echo-0123456789"]}, {"VPC", a.ids["lab"]}}
	for _, w := range want {
		if !slices.Contains(foundIn(rep), w) {
			t.Errorf("%s %s not reported beside the failed check:\n%s", w.kind, w.id, show(foundIn(rep)))
		}
	}
	var b strings.Builder
	rep.Write(&b, false)
	out := b.String()
	leftover, failed := strings.Index(out, "LEFTOVER load balancer"), strings.Index(out, "COULD NOT RUN: Route 53 records")
	if leftover < 0 || failed < leftover || !strings.Contains(out, "lab audit: incomplete") {
		t.Errorf("want the leftovers, then the check that could not run, then the verdict:\n%s", out)
	}
}

// A paused lab keeps its cluster, VPC, IAM, security groups, volumes and
// stopped bastion: the paused audit reports only what a pause deletes or
// stops, here everything a pause that went wrong could leave billing.
func TestAPausedLabsAuditReportsOnlyWhatMustNotBill(t *testing.T) {
	a := newAccount(t)
	a.leftovers()
	// A node of a node group the pause did not delete (EKS tags its
	// instances with the group's name), and a bastion stopped as it should be.
	a.instance("node-of-group", "lab", with(tagsOf("dev"), "eks:nodegroup-name", "myeks-nodes"))
	a.instance("stopped-bastion", "lab", with(tagsOf("dev"), "Name", "bastion"))
	a.ok(errOf(a.c.EC2.StopInstances(a.ctx, &ec2.StopInstancesInput{InstanceIds: []string{a.ids["stopped-bastion"]}})))
	o := a.opts()
	o.Paused = true
	rep := a.audit(o)

	want := []found{
		{"Route 53 record", "a-tetris.example.com. TXT"},
		{"Route 53 record", "tetris.example.com. A"},
		{"Route 53 record", "tetris.example.com. TXT"},
		{"instance", a.ids["bastion"]},
		{"instance", a.ids["node-of-group"]},
		{"load balancer", a.ids["k8s-default-echo-0123456789"]},
		{"load balancer", a.ids["k8s-gatewaya-web-0123456789"]},
		{"classic load balancer", "a0123456789abcdef0123456789abcde"},
		{"target group", a.ids["k8s-default-echo-abcdef0123"]},
		{"target group", a.ids["k8s-gatewaya-blue-abcdef0123"]},
		{"NAT gateway", a.ids["nat"]},
		{"NAT gateway", a.ids["handmade-nat"]},
		{"network interface", a.ids["cni-eni"]},
		{"elastic IP", a.ids["nat-eip"]},
		{"elastic IP", a.ids["deleted-nat-eip"]},
		{"elastic IP", a.ids["handmade-nat-eip"]},
	}
	if got := a.foundBesideNATENIs(rep); !sameFound(got, want) {
		t.Errorf("paused leftovers:\n%s\nwant:\n%s", show(got), show(want))
	}
	for name, cmd := range map[string]string{
		"bastion":       "aws ec2 stop-instances --region " + region + " --instance-ids " + a.ids["bastion"],
		"node-of-group": "aws eks delete-nodegroup --region " + region + " --cluster-name myeks --nodegroup-name myeks-nodes",
	} {
		if i := slices.IndexFunc(rep.Leftovers, func(l Leftover) bool { return l.ID == a.ids[name] }); i < 0 || rep.Leftovers[i].Delete != cmd {
			t.Errorf("%s: want the command %q in %+v", name, cmd, rep.Leftovers)
		}
	}
	bashSyntax(t, rep)
	var b strings.Builder
	rep.Write(&b, false)
	if !strings.Contains(b.String(), ", paused\n") || !strings.Contains(b.String(), "billing while the lab is paused") {
		t.Errorf("report:\n%s", b.String())
	}
}

// What a paused lab keeps is no leftover: the paused audit of a lab paused
// as it should be is clean.
func TestACleanlyPausedLabIsClean(t *testing.T) {
	a := newAccount(t)
	a.vpc("lab", "dev", "10.0")
	a.instance("bastion", "lab", with(tagsOf("dev"), "Name", "bastion"))
	a.ok(errOf(a.c.EC2.StopInstances(a.ctx, &ec2.StopInstancesInput{InstanceIds: []string{a.ids["bastion"]}})))
	a.sg("k8s-traffic-myeks-0a1b2c3d4e", "lab", with(tagsOf("dev"), ClusterTag, cluster, "elbv2.k8s.aws/resource", "backend-sg"))
	a.volume("pvc-volume", map[string]string{CSIDriverTag: "true", LegacyClusterTagPrefix + cluster: "owned", CSIClusterNameTag: cluster})
	a.ok(errOf(a.c.Logs.CreateLogGroup(a.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/aws/eks/" + cluster + "/cluster")})))
	o := a.opts()
	o.Paused, o.NoHostedZone = true, true
	rep := a.audit(o)
	var b strings.Builder
	rep.Write(&b, false)
	if !rep.Clean() || !strings.Contains(b.String(), "nothing bills but what a paused lab keeps") {
		t.Errorf("a cleanly paused lab: clean %v\n%s", rep.Clean(), b.String())
	}
	// The same account audited as destroyed is full of leftovers.
	o.Paused = false
	if rep := a.audit(o); len(rep.Leftovers) < 4 {
		t.Errorf("audited as destroyed: %d leftovers, want the VPC, subnets, bastion, group, volume, log group:\n%s", len(rep.Leftovers), show(foundIn(rep)))
	}
}
