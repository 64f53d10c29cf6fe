package config

import (
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eks-study/lab/components/cluster/iamarn"
	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/components/network/subnetplan"
	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/infra/awsfacts"
	"github.com/eks-study/lab/internal/suggest"
)

var (
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	clusterNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]*$`)
	k8sVersionPattern  = regexp.MustCompile(`^1\.[0-9]{2}$`)
	policyArnPattern   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[A-Za-z0-9+=,.@_/-]+$`)
	roleArnPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	acmArnPattern      = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$`)
	hostedZonePattern  = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	domainPattern      = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	albGroupPattern    = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$`)
	keyNamePattern     = regexp.MustCompile(`^[ -~]{1,255}$`)
	profilePattern     = regexp.MustCompile(`^[A-Za-z0-9_.@+=,:/-]{1,128}$`)
	accountPattern     = regexp.MustCompile(`^[0-9]{12}$`)
	// tagValuePattern is IAM's tag value pattern, the strictest of the
	// services the lab tags (IAM API reference, Tag.Value:
	// [\p{L}\p{Z}\p{N}_.:/=+\-@]*; EC2 takes more). The provider's default
	// tags go on every resource, the IAM roles included.
	tagValuePattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// MaxPublicAccessCidrs is EKS's "Public endpoint access CIDR ranges per
// cluster" quota (L-93A74D60, not adjustable).
const MaxPublicAccessCidrs = 40

// MaxNodesPerNodeGroup is EKS's default "Nodes per managed node group"
// quota (L-BD136A63): a larger node group fails when EKS creates it.
const MaxNodesPerNodeGroup = 450

// MaxTagValueLength is the longest tag value IAM and EC2 take, in characters.
const MaxTagValueLength = 256

// validate checks every rule and returns all problems, each naming the key,
// the value and the fix. It also fills c.Subnets.
func (c *Config) validate(publicCidrs, privateCidrs []string, now time.Time) []error {
	var errs []error
	bad := func(key string, value any, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s = %v: %s", fullKey(key), quote(fullKey(key), value), fmt.Sprintf(format, args...)))
	}

	zones, knownRegion := awsfacts.Regions[c.Region]
	switch {
	case !knownRegion:
		fix := "use e.g. ap-northeast-2 (`pulumi config set aws:region ap-northeast-2`)"
		if s := suggest.Closest(c.Region, awsfacts.RegionNames()); s != "" {
			fix = fmt.Sprintf("did you mean %s? pulumi config set aws:region %s", s, s)
		}
		bad(awsRegion, c.Region, "not a region of the aws partition as of %s (infra/awsfacts/regions.go); %s", awsfacts.RegionsAsOf, fix)
	case c.AZCount > zones:
		bad("availabilityZoneCount", c.AZCount, "%s gives an account %d Availability Zones (as of %s); set at most %d, or pick a region with more", c.Region, zones, awsfacts.RegionsAsOf, zones)
	}
	if c.AZCount < 2 || c.AZCount > 6 {
		bad("availabilityZoneCount", c.AZCount, "EKS needs subnets in at least 2 AZs and the lab uses at most 6; set 2 to 6 (the study uses 3)")
	}
	if c.AWSProfile != "" && !profilePattern.MatchString(c.AWSProfile) {
		bad(awsProfile, c.AWSProfile, "not a profile name of ~/.aws/config; list yours with: aws configure list-profiles")
	}
	for _, id := range c.AllowedAccountIDs {
		if !accountPattern.MatchString(id) {
			bad(awsAllowedAccountIDs, id, "not a 12-digit AWS account ID; find yours with: aws sts get-caller-identity --query Account")
		}
	}

	layoutOK := false
	vpc, err := netip.ParsePrefix(c.VpcCidr)
	switch {
	case err != nil || !vpc.Addr().Is4():
		bad("vpcCidr", c.VpcCidr, "not an IPv4 CIDR; use e.g. 192.168.0.0/16")
	case vpc.Masked() != vpc:
		bad("vpcCidr", c.VpcCidr, "has host bits set; use %s", vpc.Masked())
	case vpc.Bits() < 16 || vpc.Bits() > 28:
		bad("vpcCidr", c.VpcCidr, "AWS VPCs are /16 to /28; use e.g. 192.168.0.0/16")
	case reserved(vpc) != "":
		bad("vpcCidr", c.VpcCidr, "overlaps %s, a reserved range AWS refuses for a VPC; use a private range, e.g. 192.168.0.0/16 or 10.0.0.0/16", reserved(vpc))
	default:
		c.Subnets, err = c.subnetLayout(vpc, publicCidrs, privateCidrs)
		if err != nil {
			errs = append(errs, err)
		}
		layoutOK = err == nil
	}

	switch c.NatGateways {
	case subnetplan.NatNone, subnetplan.NatSingle, subnetplan.NatPerAZ:
	default:
		bad("natGateways", c.NatGateways, "must be none, single or per-az")
	}
	switch c.NodeSubnets {
	case TierPublic:
	case TierPrivate:
		if c.NatGateways == subnetplan.NatNone {
			bad("nodeSubnets", c.NodeSubnets, "nodes in private subnets cannot reach ECR or the EKS API without NAT; set natGateways to single or per-az, or nodeSubnets to public")
		}
	default:
		bad("nodeSubnets", c.NodeSubnets, "must be public (the study's layout) or private")
	}

	c.validateClusterName(bad)
	c.validateKubernetesVersion(bad, now)
	nodeType := c.validateInstanceType(bad, "nodeInstanceType", c.NodeInstanceType)
	c.validateInstanceType(bad, "bastionInstanceType", c.BastionInstanceType)
	if family, _, _ := strings.Cut(c.NodeInstanceType, "."); nodeType != nil && acceleratedFamilies.MatchString(family) {
		bad("nodeInstanceType", c.NodeInstanceType, "the node group's standard AL2023 AMI does not support the %s family (EKS User Guide, \"Choose an optimal Amazon EC2 node instance type\"); use e.g. %s", family, Defaults.NodeInstanceType)
	}
	sizesOK := c.validateNodeSizes(bad, func(err error) { errs = append(errs, err) })
	if c.NodeDiskSizeGiB < 20 || c.NodeDiskSizeGiB > 16384 {
		bad("nodeDiskSizeGiB", c.NodeDiskSizeGiB, "must be 20 to 16384 GiB")
	}

	if nodeType != nil && layoutOK && sizesOK {
		c.validateSubnetCapacity(bad, publicCidrs != nil)
	}
	c.validateCapacityType(bad)
	c.validateAccess(bad)
	c.validateAddons(bad)
	c.validateTagValue(bad, "owner", c.Owner)
	return errs
}

func (c *Config) subnetLayout(vpc netip.Prefix, publicCidrs, privateCidrs []string) (subnetplan.Layout, error) {
	if publicCidrs == nil && privateCidrs == nil {
		l, err := subnetplan.Plan(vpc, c.AZCount, c.SubnetPrefixLength)
		if err != nil {
			return l, fmt.Errorf("%s = %q with %s = %d and %s = %d: %v; use a larger VPC (e.g. /16), fewer AZs or a longer prefix",
				fullKey("vpcCidr"), c.VpcCidr, fullKey("subnetPrefixLength"), c.SubnetPrefixLength, fullKey("availabilityZoneCount"), c.AZCount, err)
		}
		return l, nil
	}
	var l subnetplan.Layout
	var all []netip.Prefix
	for _, tier := range []struct {
		key   string
		cidrs []string
		out   *[]netip.Prefix
	}{{"publicSubnetCidrs", publicCidrs, &l.Public}, {"privateSubnetCidrs", privateCidrs, &l.Private}} {
		if len(tier.cidrs) != c.AZCount {
			return l, fmt.Errorf("%s = %s: needs one CIDR per AZ, %d in all (set both publicSubnetCidrs and privateSubnetCidrs, or neither)",
				fullKey(tier.key), quote(fullKey(tier.key), tier.cidrs), c.AZCount)
		}
		for _, s := range tier.cidrs {
			p, err := netip.ParsePrefix(s)
			if err != nil || p.Masked() != p || !p.Addr().Is4() {
				return l, fmt.Errorf("%s: %s is not an IPv4 network CIDR; use e.g. 192.168.0.0/22", fullKey(tier.key), Shown(fullKey(tier.key), s))
			}
			*tier.out = append(*tier.out, p)
			all = append(all, p)
		}
	}
	if err := subnetplan.Check(vpc, all); err != nil {
		return l, fmt.Errorf("%s/%s: %v; pick non-overlapping CIDRs inside %s", fullKey("publicSubnetCidrs"), fullKey("privateSubnetCidrs"), err, vpc)
	}
	return l, nil
}

func (c *Config) validateAccess(bad func(string, any, string, ...any)) {
	const setIP = "set your public IP: pulumi config set sshCidr \"$(curl -s https://checkip.amazonaws.com)/32\""
	switch p, err := netip.ParsePrefix(c.SSHCidr); {
	case c.SSHCidr == "":
		bad("sshCidr", c.SSHCidr, "required: SSH to the bastion is only open to this CIDR; %s", setIP)
	case err != nil || !p.Addr().Is4() || p.Masked() != p:
		bad("sshCidr", c.SSHCidr, "not an IPv4 network CIDR such as 203.0.113.7/32; %s", setIP)
	case p.Bits() < 16 && !c.AllowSSHFromAnywhere:
		bad("sshCidr", c.SSHCidr, "opens SSH to %s addresses, more than a /16; %s, or set allowSshFromAnywhere to true if you really mean it", addressCount(p), setIP)
	}
	if len(c.EndpointPublicAccessCidrs) == 0 && c.SSHCidr != "" {
		bad("endpointPublicAccessCidrs", "[]", "needs at least one CIDR that may reach the EKS API (your IP, or the CI runners'); defaults to sshCidr")
	}
	if n := len(c.EndpointPublicAccessCidrs); n > MaxPublicAccessCidrs {
		bad("endpointPublicAccessCidrs", fmt.Sprintf("[%d CIDRs]", n), "EKS takes at most %d public endpoint CIDRs per cluster (service quota L-93A74D60, not adjustable); merge ranges or list fewer", MaxPublicAccessCidrs)
	}
	for _, s := range c.EndpointPublicAccessCidrs {
		c.validateAPICidr(bad, s)
	}
	roles := map[string]string{}
	for _, arn := range c.AdminRoleArns {
		if !roleArnPattern.MatchString(arn) {
			bad("adminRoleArns", arn, "not an IAM role ARN (arn:aws:iam::<account>:role/<name>); for an SSO role use the role's ARN, not the assumed-role session's")
			continue
		}
		name := iamarn.Name(arn)
		if other, dup := roles[name]; dup {
			bad("adminRoleArns", arn, "names the role %s again (also %s): EKS gives a principal one access entry, and the lab names entries by role name; list each role once", name, other)
		}
		roles[name] = arn
	}
	if !policyArnPattern.MatchString(c.BastionPolicyArn) {
		bad("bastionPolicyArn", c.BastionPolicyArn, "not an IAM policy ARN; use e.g. arn:aws:iam::aws:policy/AdministratorAccess")
	}
	if c.SSHKeyName != "" && !keyNamePattern.MatchString(c.SSHKeyName) {
		bad("sshKeyName", c.SSHKeyName, "not an EC2 key pair name; unset it to use SSM Session Manager only")
	}
}

// validateCapacityType checks the capacity type and the spot alternatives:
// one node group runs one AMI and schedules pods by one size, so every type
// must match nodeInstanceType's architecture, vCPUs and memory.
func (c *Config) validateCapacityType(bad func(string, any, string, ...any)) {
	switch c.NodeCapacityType {
	case CapacityOnDemand, CapacitySpot:
	default:
		bad("nodeCapacityType", c.NodeCapacityType, "must be %s or %s", CapacityOnDemand, CapacitySpot)
	}
	if len(c.NodeSpotInstanceTypes) == 0 {
		return
	}
	if c.NodeCapacityType != CapacitySpot {
		bad("nodeSpotInstanceTypes", c.NodeSpotInstanceTypes, "only a %s node group takes more instance types; set nodeCapacityType to %s, or unset nodeSpotInstanceTypes", CapacitySpot, CapacitySpot)
		return
	}
	want, err := awsfacts.SizeOf(c.NodeInstanceType)
	if err != nil {
		bad("nodeInstanceType", c.NodeInstanceType, "spot alternatives are matched to its size, but %v", err)
		return
	}
	primary, _ := awsfacts.Lookup(c.NodeInstanceType) // known: the size table's types are
	seen := map[string]bool{c.NodeInstanceType: true}
	for _, it := range c.NodeSpotInstanceTypes {
		if seen[it] {
			bad("nodeSpotInstanceTypes", it, "is listed twice (nodeInstanceType %s is always used); remove it", c.NodeInstanceType)
			continue
		}
		seen[it] = true
		alt := c.validateInstanceType(bad, "nodeSpotInstanceTypes", it)
		if alt == nil {
			continue
		}
		size, err := awsfacts.SizeOf(it)
		switch {
		case err != nil:
			bad("nodeSpotInstanceTypes", it, "%v", err)
		case alt.Arch != primary.Arch:
			bad("nodeSpotInstanceTypes", it, "runs %s but nodeInstanceType %s runs %s: one node group runs one AMI", alt.Arch, c.NodeInstanceType, primary.Arch)
		case size != want:
			bad("nodeSpotInstanceTypes", it, "has %s but nodeInstanceType %s has %s; every spot type must be the same size", size, c.NodeInstanceType, want)
		}
	}
}

func (c *Config) validateAddons(bad func(string, any, string, ...any)) {
	if !slices.Contains(trust.Modes, c.WorkloadIdentity) {
		bad("workloadIdentity", c.WorkloadIdentity, "must be %s (the cluster's OIDC provider, the study's way) or %s (EKS Pod Identity)", trust.IRSA, trust.PodIdentity)
	}
	if c.Domain != "" && !domainPattern.MatchString(c.Domain) {
		bad("domain", c.Domain, "not a DNS domain name; use the lower-case name of your Route 53 public hosted zone, e.g. example.com")
	}
	if c.HostedZoneID != "" && !hostedZonePattern.MatchString(c.HostedZoneID) {
		bad("hostedZoneId", c.HostedZoneID, "not a Route 53 hosted zone ID; find it with: aws route53 list-hosted-zones-by-name --dns-name <domain>")
	}
	if (c.Domain == "") != (c.HostedZoneID == "") {
		bad("domain", c.Domain, "domain and hostedZoneId go together (hostedZoneId = %q); set both or neither", c.HostedZoneID)
	}
	if c.ACMCertificateArn != "" && !acmArnPattern.MatchString(c.ACMCertificateArn) {
		bad("acmCertificateArn", c.ACMCertificateArn, "not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)")
	}
	if c.ACMCertificateArn != "" && regionPattern.MatchString(c.Region) && !strings.Contains(c.ACMCertificateArn, ":acm:"+c.Region+":") {
		bad("acmCertificateArn", c.ACMCertificateArn, "an ALB needs a certificate in its own region %s", c.Region)
	}
	if c.ALBGroupName != "" && !albGroupPattern.MatchString(c.ALBGroupName) {
		bad("albGroupName", c.ALBGroupName, "ALB group names are at most 63 lower-case letters, digits, - and .")
	}
	// The catalog says what each sample needs; sorted by key, as the
	// problems are listed.
	for _, sample := range slices.SortedFunc(slices.Values(c.Samples.Enabled()), func(a, b catalog.Sample) int { return strings.Compare(a.Key, b.Key) }) {
		if sample.NeedsLBController && !c.LBController {
			bad(sample.Key, true, "this sample needs the AWS Load Balancer Controller; set lbController to true or %s to false", sample.Key)
		}
	}
	for _, sample := range c.Samples.Enabled() {
		if sample.NeedsExternalDNS && !c.ExternalDNS {
			bad(sample.Key, true, "%s gets its hostname from ExternalDNS; set domain and hostedZoneId (and externalDns true), or %s to false", sample.Name, sample.Key)
		}
	}
}

// acceleratedFamilies are the families EKS's Arm and non-accelerated AMIs
// (the node group's AL2023_*_STANDARD) do not support: "Arm and
// non-accelerated Amazon EKS AMIs don't support the g3, g4, inf, and p
// families" (EKS User Guide, choosing-instance-type).
var acceleratedFamilies = regexp.MustCompile(`^(g3|g4|inf|p)`)

// validateInstanceType checks that the type exists and that the lab's AL2023
// AMIs run on it, and returns it (nil when it is refused).
func (c *Config) validateInstanceType(bad func(string, any, string, ...any), key, name string) *awsfacts.InstanceType {
	t, err := awsfacts.Lookup(name)
	if err != nil {
		bad(key, name, "%v", err)
		return nil
	}
	if strings.HasPrefix(name, "a1.") {
		// "AL2023 doesn't support A1 instances" (EKS User Guide,
		// choosing-instance-type): Graviton1 lacks what AL2023's arm64 build needs.
		bad(key, name, "A1 (Graviton 1) does not run Amazon Linux 2023, the lab's AMI; use Graviton 2 or later, e.g. m6g.%s", t.Name[3:])
		return nil
	}
	return &t
}

// validateClusterName checks the EKS cluster name and every name derived
// from it. The program and pulumi-eks v3.9.1 derive: the node group
// "<name>-nodes" (EKS: at most 63 characters), and two IAM roles that
// Pulumi names "<logical name>-<7 random hex>" (IAM: at most 64): the node
// role "<name>-nodes-xxxxxxx" and pulumi-eks's cluster role
// "<name>-eksRole-role-xxxxxxx" (nodejs/eks/cluster/cluster.ts creates
// ServiceRole "<name>-eksRole", whose role is "<name>-eksRole-role").
func (c *Config) validateClusterName(bad func(string, any, string, ...any)) {
	const longest = "-eksRole-role-xxxxxxx"
	if !clusterNamePattern.MatchString(c.ClusterName) {
		bad("clusterName", c.ClusterName, "EKS names are letters, digits, - and _, starting with a letter or digit; use e.g. myeks")
	}
	if len(c.ClusterName)+len(longest) > 64 {
		bad("clusterName", c.ClusterName, "is %d characters; the IAM role pulumi-eks names %q must fit IAM's 64, so use at most %d (e.g. myeks)",
			len(c.ClusterName), c.ClusterName+longest, 64-len(longest))
	}
}

// validateAPICidr checks one CIDR of the EKS API's public endpoint allow list.
func (c *Config) validateAPICidr(bad func(string, any, string, ...any), s string) {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil || p.Masked() != p:
		bad("endpointPublicAccessCidrs", s, "not a network CIDR such as 203.0.113.7/32")
	case !p.Addr().Is4():
		// EKS API reference, VpcConfigRequest.publicAccessCidrs: "You can't add
		// IPv6 CIDR blocks to IPv4 clusters", and the lab's cluster is IPv4.
		bad("endpointPublicAccessCidrs", s, "EKS takes IPv6 CIDRs only for IPv6 clusters and the lab's is IPv4; give the IPv4 address you reach the API from (curl -s https://checkip.amazonaws.com)")
	case p.Bits() == 0 && !c.AllowAPIFromAnywhere:
		from := ""
		if len(c.EndpointPublicAccessCidrs) == 1 && s == c.SSHCidr {
			from = " (defaulted from sshCidr)"
		}
		bad("endpointPublicAccessCidrs", s, "opens the cluster's API endpoint to the whole internet%s; list your own /32 and the CI runners' ranges, or set allowApiFromAnywhere to true if you really mean it", from)
	default:
		for _, r := range unreachableRanges {
			if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
				// EKS User Guide, config-cluster-endpoint: the blocks "cannot
				// include reserved addresses"; traffic from them never reaches a
				// public endpoint anyway, the API sees your NAT's public address.
				bad("endpointPublicAccessCidrs", s, "is inside %s, a private or reserved range that EKS refuses here; give the public IPv4 address you reach the API from (curl -s https://checkip.amazonaws.com)", r)
				break
			}
		}
	}
}

// unreachableRanges are IPv4 ranges no request to a public endpoint comes
// from: RFC 1918, shared address space (RFC 6598), and reservedRanges.
var unreachableRanges = append([]netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}, reservedPrefixes()...)

// reservedRanges are the IPv4 special-purpose ranges (RFC 6890) that are no
// network of anyone's: "this network", loopback, link-local, multicast and
// the reserved class E. AWS refuses them as a VPC CIDR (InvalidVpc.Range)
// and EKS as a public endpoint CIDR ("cannot include reserved addresses").
var reservedRanges = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network"`},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (class E)"},
}

func reservedPrefixes() []netip.Prefix {
	out := make([]netip.Prefix, len(reservedRanges))
	for i, r := range reservedRanges {
		out[i] = r.prefix
	}
	return out
}

// reserved describes the reserved range p overlaps, "" when none.
func reserved(p netip.Prefix) string {
	for _, r := range reservedRanges {
		if r.prefix.Overlaps(p) {
			return fmt.Sprintf("%s (%s)", r.prefix, r.what)
		}
	}
	return ""
}

// validateSubnetCapacity checks that every node subnet holds its share of
// the node group at max size with every node at max pods: the VPC CNI gives
// each pod an address from its node's subnet, and a full subnet leaves new
// pods Pending. Nodes spread over the subnets as the node group's Auto
// Scaling group spreads them, the first subnets taking one more.
func (c *Config) validateSubnetCapacity(bad func(string, any, string, ...any), explicit bool) {
	subnets, key := c.Subnets.Public, "publicSubnetCidrs"
	if c.NodeSubnets == TierPrivate {
		subnets, key = c.Subnets.Private, "privateSubnetCidrs"
	}
	if len(subnets) == 0 {
		return
	}
	// A spot node may be any of its types: count the one taking the most
	// addresses. An unknown type is reported by its own check.
	_, t, err := awsfacts.NodeGroupTypes(c.NodeInstanceTypes())
	if err != nil {
		return
	}
	nodes := (c.NodeMaxSize + len(subnets) - 1) / len(subnets)
	for _, s := range subnets {
		usable := subnetplan.UsableAddresses(s)
		if need := nodes * t.Addresses(); need > usable {
			what := fmt.Sprintf("%s = %d", fullKey("subnetPrefixLength"), c.SubnetPrefixLength)
			if explicit {
				what = fmt.Sprintf("%s: %s", fullKey(key), s)
			}
			bad("nodeMaxSize", c.NodeMaxSize, "%d %s nodes at %d pods each need %d addresses in node subnet %s, which has %d usable (%s); use larger node subnets (/22 holds 1019) or a lower nodeMaxSize",
				nodes, t.Name, t.MaxPods(), need, s, usable, what)
			return
		}
	}
}

// addressCount is how many addresses an IPv4 prefix holds, for messages.
func addressCount(p netip.Prefix) string {
	return strconv.FormatUint(1<<(32-p.Bits()), 10)
}

// quote shows a value in a refusal: a string through Shown, the one rule
// for echoing values.
func quote(key string, v any) string {
	switch v := v.(type) {
	case []string:
		shown := make([]string, len(v))
		for i, s := range v {
			shown[i] = Shown(key, s)
		}
		return "[" + strings.Join(shown, ", ") + "]"
	}
	if reflect.ValueOf(v).Kind() == reflect.String {
		return Shown(key, reflect.ValueOf(v).String())
	}
	return fmt.Sprint(v)
}

// IsArm tells whether an instance type runs arm64 (AWS Graviton) images,
// by the architecture infra/awsfacts' instance table records.
func IsArm(instanceType string) bool {
	t, err := awsfacts.Lookup(instanceType)
	return err == nil && t.IsArm()
}

// validateNodeSizes checks the node group's sizes against what EKS takes
// and what the lab needs, and tells whether they are usable for the
// capacity check.
func (c *Config) validateNodeSizes(bad func(string, any, string, ...any), fail func(error)) bool {
	ok := true
	for _, s := range []struct {
		key  string
		size int
	}{{"nodeMinSize", c.NodeMinSize}, {"nodeDesiredSize", c.NodeDesiredSize}, {"nodeMaxSize", c.NodeMaxSize}} {
		if s.size < 0 || s.size > MaxNodesPerNodeGroup {
			bad(s.key, s.size, "EKS takes 0 to %d nodes in a managed node group (its default quota, L-BD136A63); the lab needs a few, e.g. 3/3/6 for min/desired/max", MaxNodesPerNodeGroup)
			ok = false
		}
	}
	if !ok {
		return false
	}
	if c.NodeMinSize > c.NodeDesiredSize || c.NodeDesiredSize > c.NodeMaxSize {
		fail(fmt.Errorf("%s/%s/%s = %d/%d/%d: need min <= desired <= max; e.g. 3/3/6",
			fullKey("nodeMinSize"), fullKey("nodeDesiredSize"), fullKey("nodeMaxSize"), c.NodeMinSize, c.NodeDesiredSize, c.NodeMaxSize))
		return false
	}
	if c.NodeDesiredSize < 1 {
		// CoreDNS is a managed add-on the cluster always gets, and EKS
		// reports it healthy only once its pods run: with no node, pulumi up
		// waits for it until it times out, after the VPC and cluster exist.
		bad("nodeDesiredSize", c.NodeDesiredSize, "the lab needs at least one node from the start: CoreDNS (and the controllers and samples) run on the nodes, and pulumi up waits for them; set 1 or more (min 0 is fine)")
		return false
	}
	return true
}

// validateTagValue checks a value the lab puts in a tag on every resource.
func (c *Config) validateTagValue(bad func(string, any, string, ...any), key, v string) {
	switch {
	case utf8.RuneCountInString(v) > MaxTagValueLength:
		bad(key, v, "tag values are at most %d characters; use a shorter name", MaxTagValueLength)
	case !tagValuePattern.MatchString(v):
		bad(key, v, "goes into a tag on every resource, IAM roles included, and IAM tag values take only letters, digits, spaces and _ . : / = + - @; e.g. your name or alias")
	}
}
