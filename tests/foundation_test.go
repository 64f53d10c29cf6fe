package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/cluster"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/versions"
)

const (
	tVpc          = "aws:ec2/vpc:Vpc"
	tSubnet       = "aws:ec2/subnet:Subnet"
	tRouteTable   = "aws:ec2/routeTable:RouteTable"
	tNat          = "aws:ec2/natGateway:NatGateway"
	tEip          = "aws:ec2/eip:Eip"
	tNodeGroup    = "aws:eks/nodeGroup:NodeGroup"
	tLaunchTmpl   = "aws:ec2/launchTemplate:LaunchTemplate"
	tEksCluster   = "eks:index:Cluster"
	tInstance     = "aws:ec2/instance:Instance"
	tSG           = "aws:ec2/securityGroup:SecurityGroup"
	tSGRule       = "aws:ec2/securityGroupRule:SecurityGroupRule"
	tRole         = "aws:iam/role:Role"
	tAttachment   = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	tProfile      = "aws:iam/instanceProfile:InstanceProfile"
	tAddon        = "aws:eks/addon:Addon"
	tAwsProv      = "pulumi:providers:aws"
	tK8sProv      = "pulumi:providers:kubernetes"
	tLogGroup     = "aws:cloudwatch/logGroup:LogGroup"
	tAccessEntry  = "aws:eks/accessEntry:AccessEntry"
	tAccessPolicy = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
)

func TestDevSubnetsAreTaggedSlash22PerAZ(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	vpc := must(t, p, tVpc, "lab")
	expectEqual(t, "VPC CIDR", str(vpc.Inputs, "cidrBlock"), "192.168.0.0/16")
	expectEqual(t, "VPC DNS support", offline.Get(vpc.Inputs, "enableDnsSupport"), true)
	expectEqual(t, "VPC DNS hostnames", offline.Get(vpc.Inputs, "enableDnsHostnames"), true)

	want := map[string]struct{ cidr, az, role string }{
		"lab-public-ap-northeast-2a":  {"192.168.0.0/22", "ap-northeast-2a", "kubernetes.io/role/elb"},
		"lab-public-ap-northeast-2b":  {"192.168.4.0/22", "ap-northeast-2b", "kubernetes.io/role/elb"},
		"lab-public-ap-northeast-2c":  {"192.168.8.0/22", "ap-northeast-2c", "kubernetes.io/role/elb"},
		"lab-private-ap-northeast-2a": {"192.168.12.0/22", "ap-northeast-2a", "kubernetes.io/role/internal-elb"},
		"lab-private-ap-northeast-2b": {"192.168.16.0/22", "ap-northeast-2b", "kubernetes.io/role/internal-elb"},
		"lab-private-ap-northeast-2c": {"192.168.20.0/22", "ap-northeast-2c", "kubernetes.io/role/internal-elb"},
	}
	subnets := p.OfType(tSubnet)
	if len(subnets) != len(want) {
		t.Fatalf("%d subnets, want %d", len(subnets), len(want))
	}
	for _, s := range subnets {
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected subnet %s", s.Name)
			continue
		}
		expectEqual(t, s.Name+" CIDR", str(s.Inputs, "cidrBlock"), w.cidr)
		expectEqual(t, s.Name+" AZ", str(s.Inputs, "availabilityZone"), w.az)
		expectEqual(t, s.Name+" VPC", str(s.Inputs, "vpcId"), "lab-id")
		tags, _ := offline.Get(s.Inputs, "tags").(map[string]any)
		expectEqual(t, s.Name+" "+w.role, tags[w.role], "1")
		expectEqual(t, s.Name+" cluster tag", tags["kubernetes.io/cluster/myeks"], "shared")
		public := strings.Contains(s.Name, "public")
		expectEqual(t, s.Name+" maps public IPs", offline.Get(s.Inputs, "mapPublicIpOnLaunch") == true, public)
	}
}

func TestDevHasNoNATAndPublicRoutesViaIGW(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	if n := len(p.OfType(tNat)) + len(p.OfType(tEip)); n != 0 {
		t.Errorf("dev bills %d NAT gateways/EIPs, want none", n)
	}
	public := must(t, p, tRouteTable, "lab-public")
	expectEqual(t, "public default route", str(public.Inputs, "routes.0.cidrBlock"), "0.0.0.0/0")
	expectEqual(t, "public default route target", str(public.Inputs, "routes.0.gatewayId"), "lab-id")
	private := must(t, p, tRouteTable, "lab-private-ap-northeast-2a")
	if routes := offline.Get(private.Inputs, "routes"); routes != nil && len(routes.([]any)) > 0 {
		t.Errorf("private subnets without NAT must have no default route, got %v", routes)
	}
}

func TestPrivateNatVariantRoutesEachAZThroughItsOwnNAT(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "private-nat")
	nats := p.OfType(tNat)
	if len(nats) != 3 || len(p.OfType(tEip)) != 3 {
		t.Fatalf("per-az: %d NAT gateways and %d EIPs, want 3 and 3", len(nats), len(p.OfType(tEip)))
	}
	for _, az := range []string{"a", "b", "c"} {
		zone := "ap-northeast-1" + az
		nat := must(t, p, tNat, "lab-nat-"+zone)
		expectEqual(t, "NAT "+zone+" subnet", str(nat.Inputs, "subnetId"), "lab-public-"+zone+"-id")
		rt := must(t, p, tRouteTable, "lab-private-"+zone)
		expectEqual(t, "private route "+zone, str(rt.Inputs, "routes.0.natGatewayId"), "lab-nat-"+zone+"-id")
	}
	ng := must(t, p, tNodeGroup, "myeks-nodes")
	expectEqual(t, "private-nat node subnets", strs(ng.Inputs, "subnetIds"),
		[]string{"lab-private-ap-northeast-1a-id", "lab-private-ap-northeast-1b-id", "lab-private-ap-northeast-1c-id"})
}

func TestSingleNATServesEveryAZ(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, map[string]string{"eks-lab:natGateways": "single"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.OfType(tNat)); n != 1 {
		t.Fatalf("single: %d NAT gateways", n)
	}
	for _, az := range []string{"a", "b", "c"} {
		rt := must(t, p, tRouteTable, "lab-private-ap-northeast-2"+az)
		expectEqual(t, "route "+az, str(rt.Inputs, "routes.0.natGatewayId"), "lab-nat-ap-northeast-2a-id")
	}
}

// The node group has a fixed name, and EKS refuses a second group of that
// name: a change that replaces the group (instance types, capacity type,
// subnets) must delete the old group before it creates the new one, or
// `pulumi up` fails half-way with the old nodes still running.
func TestNodeGroupIsDeletedBeforeItIsReplaced(t *testing.T) {
	t.Parallel()
	stacks, err := offline.Stacks(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range stacks {
		ng := must(t, stackPlan(t, stack), tNodeGroup, "myeks-nodes")
		expectEqual(t, stack+" node group name", str(ng.Inputs, "nodeGroupName"), "myeks-nodes")
		if !ng.DeleteBeforeReplace {
			t.Errorf("%s: the node group %s is replaced create-before-delete; AWS refuses the new group's name", stack, str(ng.Inputs, "nodeGroupName"))
		}
	}
}

func TestNodeGroupRunsThreeNodesInPublicSubnets(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	ng := must(t, p, tNodeGroup, "myeks-nodes")
	expectEqual(t, "node subnets", strs(ng.Inputs, "subnetIds"),
		[]string{"lab-public-ap-northeast-2a-id", "lab-public-ap-northeast-2b-id", "lab-public-ap-northeast-2c-id"})
	expectEqual(t, "desired", offline.Get(ng.Inputs, "scalingConfig.desiredSize"), 3)
	expectEqual(t, "min", offline.Get(ng.Inputs, "scalingConfig.minSize"), 3)
	expectEqual(t, "max", offline.Get(ng.Inputs, "scalingConfig.maxSize"), 6)
	expectEqual(t, "instance types", strs(ng.Inputs, "instanceTypes"), []string{"t3.medium"})
	expectEqual(t, "AMI type", str(ng.Inputs, "amiType"), "AL2023_x86_64_STANDARD")
	expectEqual(t, "cluster", str(ng.Inputs, "clusterName"), "myeks")
	expectEqual(t, "node role", str(ng.Inputs, "nodeRoleArn"), "arn:aws:iam::123456789012:role/myeks-nodes")

	lt := must(t, p, tLaunchTmpl, "myeks-nodes")
	expectEqual(t, "node group launch template", str(ng.Inputs, "launchTemplate.id"), "myeks-nodes-id")
	expectEqual(t, "nodes IMDSv2", str(lt.Inputs, "metadataOptions.httpTokens"), "required")
	expectEqual(t, "nodes IMDS hop limit", offline.Get(lt.Inputs, "metadataOptions.httpPutResponseHopLimit"), 1)
	expectEqual(t, "nodes disk encrypted", str(lt.Inputs, "blockDeviceMappings.0.ebs.encrypted"), "true")
	if offline.Get(lt.Inputs, "vpcSecurityGroupIds") != nil {
		t.Error("security groups in the launch template would drop the EKS cluster security group from the nodes")
	}

	var policies []string
	for _, a := range p.OfType(tAttachment) {
		if str(a.Inputs, "role") == "myeks-nodes" {
			policies = append(policies, str(a.Inputs, "policyArn"))
		}
	}
	expectEqual(t, "node role policies", policies, slices.Sorted(slices.Values(cluster.NodePolicies)))
}

func TestArmNodesGetArmAMI(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, map[string]string{"eks-lab:nodeInstanceType": "t4g.medium"})
	if err != nil {
		t.Fatal(err)
	}
	expectEqual(t, "AMI type", str(must(t, p, tNodeGroup, "myeks-nodes").Inputs, "amiType"), "AL2023_ARM_64_STANDARD")
}

func TestClusterControlPlane(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	c := must(t, p, tEksCluster, "myeks")
	if !c.Remote {
		t.Error("the pulumi-eks Cluster should be registered as a remote component")
	}
	expectEqual(t, "name", str(c.Inputs, "name"), "myeks")
	expectEqual(t, "version", str(c.Inputs, "version"), "1.35")
	expectEqual(t, "public endpoint CIDRs", strs(c.Inputs, "publicAccessCidrs"), []string{"203.0.113.7/32"})
	expectEqual(t, "private endpoint", offline.Get(c.Inputs, "endpointPrivateAccess"), true)
	expectEqual(t, "authentication mode", str(c.Inputs, "authenticationMode"), "API")
	expectEqual(t, "OIDC provider", offline.Get(c.Inputs, "createOidcProvider"), true)
	expectEqual(t, "default node group skipped", offline.Get(c.Inputs, "skipDefaultNodeGroup"), true)
	expectEqual(t, "control-plane logs", strs(c.Inputs, "enabledClusterLogTypes"), []string{"api", "audit", "authenticator"})
	expectEqual(t, "public subnets", strs(c.Inputs, "publicSubnetIds"),
		[]string{"lab-public-ap-northeast-2a-id", "lab-public-ap-northeast-2b-id", "lab-public-ap-northeast-2c-id"})

	if offline.Get(c.Inputs, "accessEntries") != nil {
		t.Error("pulumi-eks should create no access entries: the lab names its own by role")
	}
	entry := must(t, p, tAccessEntry, "myeks-bastion")
	expectEqual(t, "bastion access entry principal", str(entry.Inputs, "principalArn"), "arn:aws:iam::123456789012:role/bastion")
	expectEqual(t, "bastion access entry cluster", str(entry.Inputs, "clusterName"), "myeks")
	admin := must(t, p, tAccessPolicy, "myeks-bastion-cluster-admin")
	expectEqual(t, "bastion access policy", str(admin.Inputs, "policyArn"), cluster.ClusterAdminPolicyArn)
	expectEqual(t, "bastion access scope", str(admin.Inputs, "accessScope.type"), "cluster")
	expectEqual(t, "bastion access policy principal", str(admin.Inputs, "principalArn"), "arn:aws:iam::123456789012:role/bastion")

	logs := must(t, p, tLogGroup, "myeks-control-plane")
	expectEqual(t, "log group name", str(logs.Inputs, "name"), "/aws/eks/myeks/cluster")
	if !p.DependsOn(c.URN, logs.URN) {
		t.Error("the cluster must be created after (and deleted before) its log group, or EKS creates one that never expires")
	}
}

// Each `pulumi up` without eks-lab:expiry moves the expiry tag. Nodes and the
// controller's load balancers carry it too, but a change must not reach the
// node launch template (a new version rolls every node) nor the controller's
// values (a Helm upgrade restarts it).
func TestMovingExpiryDoesNotRollNodesOrControllers(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	lt := must(t, p, tLaunchTmpl, "myeks-nodes")
	for i := 0; i < 2; i++ {
		tags, _ := offline.Get(lt.Inputs, fmt.Sprintf("tagSpecifications.%d.tags", i)).(map[string]any)
		expectEqual(t, "node tag expiry", tags["expiry"], "2026-01-01T08:00:00Z")
		if !slices.Contains(lt.IgnoreChanges, fmt.Sprintf(`tagSpecifications[%d].tags["expiry"]`, i)) {
			t.Errorf("launch template ignoreChanges %v: a new expiry would roll every node", lt.IgnoreChanges)
		}
	}
	lbc := must(t, p, tRelease, "aws-load-balancer-controller")
	tags, _ := offline.Get(lbc.Inputs, "values.defaultTags").(map[string]any)
	expectEqual(t, "controller tag expiry", tags["expiry"], "2026-01-01T08:00:00Z")
	if !slices.Contains(lbc.IgnoreChanges, `values.defaultTags["expiry"]`) {
		t.Errorf("controller ignoreChanges %v: a new expiry would restart it on every up", lbc.IgnoreChanges)
	}
}

func TestAdminRolesGetClusterAdmin(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, map[string]string{"eks-lab:adminRoleArns": `["arn:aws:iam::123456789012:role/ci/github-ci"]`})
	if err != nil {
		t.Fatal(err)
	}
	entry := must(t, p, tAccessEntry, "myeks-admin-github-ci")
	expectEqual(t, "admin principal", str(entry.Inputs, "principalArn"), "arn:aws:iam::123456789012:role/ci/github-ci")
	admin := must(t, p, tAccessPolicy, "myeks-admin-github-ci-cluster-admin")
	expectEqual(t, "admin policy", str(admin.Inputs, "policyArn"), cluster.ClusterAdminPolicyArn)
	expectEqual(t, "admin policy parent", admin.Parent, entry.URN)
}

func TestCoreAddonsAreManagedAndOrdered(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	ng := must(t, p, tNodeGroup, "myeks-nodes")
	for _, name := range []string{"vpc-cni", "kube-proxy", "coredns"} {
		a := must(t, p, tAddon, "myeks-"+name)
		expectEqual(t, name+" add-on", str(a.Inputs, "addonName"), name)
		expectEqual(t, name+" cluster", str(a.Inputs, "clusterName"), "myeks")
		expectEqual(t, name+" preserved on delete", offline.Get(a.Inputs, "preserve"), true)
	}
	// The controllers need cluster DNS to reach AWS while they delete load
	// balancers and records on destroy: coredns must outlive them.
	coredns := must(t, p, tAddon, "myeks-coredns")
	for _, name := range []string{"aws-load-balancer-controller"} {
		if !p.DependsOn(must(t, p, tRelease, name).URN, coredns.URN) {
			t.Errorf("release %s does not depend on coredns", name)
		}
	}
	if !p.DependsOn(must(t, p, "command:local:Command", "cleanup").URN, coredns.URN) {
		t.Error("the cluster's cleanup does not depend on coredns")
	}
	for _, name := range []string{"vpc-cni", "kube-proxy"} {
		if !p.DependsOn(ng.URN, must(t, p, tAddon, "myeks-"+name).URN) {
			t.Errorf("nodes must join after the %s add-on", name)
		}
	}
	if !p.DependsOn(must(t, p, tAddon, "myeks-coredns").URN, ng.URN) {
		t.Error("coredns must wait for the nodes, or it never becomes healthy")
	}
}

func TestBastion(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	inst := must(t, p, tInstance, "bastion")
	// IMDSv2 only, and one hop: a container on the bastion (docker, a kind
	// cluster a member starts) cannot borrow the bastion's admin role.
	expectEqual(t, "IMDS", str(inst.Inputs, "metadataOptions.httpEndpoint"), "enabled")
	expectEqual(t, "IMDSv2", str(inst.Inputs, "metadataOptions.httpTokens"), "required")
	expectEqual(t, "IMDS hop limit", offline.Get(inst.Inputs, "metadataOptions.httpPutResponseHopLimit"), 1)
	expectEqual(t, "root volume encrypted", offline.Get(inst.Inputs, "rootBlockDevice.encrypted"), true)
	expectEqual(t, "instance profile", str(inst.Inputs, "iamInstanceProfile"), "bastion")
	expectEqual(t, "public subnet", str(inst.Inputs, "subnetId"), "lab-public-ap-northeast-2a-id")
	expectEqual(t, "security group", strs(inst.Inputs, "vpcSecurityGroupIds"), []string{"bastion-id"})
	expectEqual(t, "AL2023 AMI", str(inst.Inputs, "ami"), "ami-0a1b2c3d4e5f67890")
	userData := str(inst.Inputs, "userData")
	for _, want := range []string{"export CLUSTER_NAME=myeks", "export AWS_DEFAULT_REGION=ap-northeast-2", "/release/" + versions.Kubectl["1.35"] + "/bin/linux/amd64/kubectl"} {
		if !strings.Contains(userData, want) {
			t.Errorf("user data lacks %q", want)
		}
	}

	sg := must(t, p, tSG, "bastion")
	ingress, _ := offline.Get(sg.Inputs, "ingress").([]any)
	if len(ingress) != 1 {
		t.Fatalf("bastion ingress rules = %v, want only SSH", ingress)
	}
	rule := ingress[0].(map[string]any)
	expectEqual(t, "SSH port", [2]any{rule["fromPort"], rule["toPort"]}, [2]any{22, 22})
	expectEqual(t, "SSH source", strs(rule, "cidrBlocks"), []string{"203.0.113.7/32"})

	profile := must(t, p, tProfile, "bastion")
	expectEqual(t, "profile role", str(profile.Inputs, "role"), "bastion")
	var policies []string
	for _, a := range p.OfType(tAttachment) {
		if str(a.Inputs, "role") == "bastion" {
			policies = append(policies, str(a.Inputs, "policyArn"))
		}
	}
	expectEqual(t, "bastion policies", policies, []string{"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"})

	// The nodes admit the bastion on every port (kubectl exec targets, ssh, iperf).
	toNodes := must(t, p, tSGRule, "myeks-bastion-to-nodes")
	expectEqual(t, "rule target", str(toNodes.Inputs, "securityGroupId"), "sg-0cluster")
	expectEqual(t, "rule source", str(toNodes.Inputs, "sourceSecurityGroupId"), "bastion-id")
	expectEqual(t, "rule protocol", str(toNodes.Inputs, "protocol"), "-1")
	expectEqual(t, "rule direction", str(toNodes.Inputs, "type"), "ingress")
}

func TestEveryAWSResourceUsesTheTaggedProvider(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	provs := p.OfType(tAwsProv)
	if len(provs) != 1 {
		t.Fatalf("%d aws providers, want exactly one explicit provider", len(provs))
	}
	prov := provs[0]
	expectEqual(t, "provider region", str(prov.Inputs, "region"), "ap-northeast-2")
	for k, v := range map[string]string{"project": "eks-lab", "stack": "dev", "owner": "study-member", "expiry": "2026-01-01T08:00:00Z"} {
		expectEqual(t, "default tag "+k, str(prov.Inputs, "defaultTags.tags."+k), v)
	}
	want := prov.URN + "::" + prov.Name + "-id"
	for _, r := range p.Resources {
		if strings.HasPrefix(r.Type, "aws:") && r.Provider != want {
			t.Errorf("%s %s uses provider %q, want the lab's tagged provider", r.Type, r.Name, r.Provider)
		}
		if r.Type == tEksCluster && r.Provider != "" && !strings.Contains(r.Provider, "aws") {
			t.Errorf("eks cluster provider = %s", r.Provider)
		}
	}
	lt := must(t, p, tLaunchTmpl, "myeks-nodes")
	tagSpecs, _ := json.Marshal(offline.Get(lt.Inputs, "tagSpecifications"))
	for _, kv := range []string{`"project":"eks-lab"`, `"resourceType":"instance"`, `"resourceType":"volume"`} {
		if !strings.Contains(string(tagSpecs), kv) {
			t.Errorf("node instances/volumes are not tagged (%s lacks %s): default tags do not reach them", tagSpecs, kv)
		}
	}
}

func TestOutputsAMemberNeeds(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	want := map[string]string{
		"clusterName":       "myeks",
		"bastionPublicIp":   "203.0.113.10",
		"sshCommand":        "ssh ec2-user@203.0.113.10",
		"ssmCommand":        "aws ssm start-session --target bastion-id --region ap-northeast-2",
		"kubeconfigCommand": "aws eks update-kubeconfig --name myeks --region ap-northeast-2",
		"vpcId":             "lab-id",
		"kubeconfig":        "[secret]",
		"expiry":            "2026-01-01T08:00:00Z",
	}
	for k, v := range want {
		expectEqual(t, "output "+k, p.Outputs[k], v)
	}
	expectEqual(t, "public subnet output", p.Outputs["publicSubnetIds"], []any{"lab-public-ap-northeast-2a-id", "lab-public-ap-northeast-2b-id", "lab-public-ap-northeast-2c-id"})
}

func TestInvalidConfigRegistersNothing(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, map[string]string{"eks-lab:vpcCidr": "192.168.0.0/20"})
	if err == nil || !strings.Contains(err.Error(), "eks-lab:vpcCidr") {
		t.Fatalf("want a vpcCidr error, got %v", err)
	}
	if p != nil && len(p.Resources) != 0 {
		t.Errorf("%d resources registered before validation failed", len(p.Resources))
	}
}

func TestTooFewZonesInRegion(t *testing.T) {
	t.Parallel()
	_, err := withConfig(t, map[string]string{"eks-lab:availabilityZoneCount": "5", "eks-lab:vpcCidr": "10.0.0.0/16"})
	if err == nil || !strings.Contains(err.Error(), "availabilityZoneCount = 5") {
		t.Fatalf("mock region has 4 zones; want a clear error, got %v", err)
	}
}

func TestKubernetesResourcesUseTheClusterProvider(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"dev", "private-nat"} {
		p := stackPlan(t, stack)
		provs := p.OfType(tK8sProv)
		if len(provs) != 1 {
			t.Fatalf("%s: %d kubernetes providers, want one explicit provider", stack, len(provs))
		}
		if !strings.Contains(str(provs[0].Inputs, "kubeconfig"), "mock.eks.amazonaws.com") {
			t.Errorf("%s: kubernetes provider is not built from the cluster's kubeconfig", stack)
		}
		want := provs[0].URN + "::" + provs[0].Name + "-id"
		for _, r := range p.Resources {
			if strings.HasPrefix(r.Type, "kubernetes:") && r.Provider != want {
				t.Errorf("%s: %s %s uses provider %q, not the cluster's (an ambient kubeconfig would be used)", stack, r.Type, r.Name, r.Provider)
			}
		}
	}
}
