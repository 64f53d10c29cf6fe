package config

import (
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/eks-study/lab/components/identity"
	"github.com/eks-study/lab/components/network/subnetplan"
	"github.com/eks-study/lab/internal/estimate"
)

var (
	regionPattern       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	clusterNamePattern  = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	k8sVersionPattern   = regexp.MustCompile(`^1\.[0-9]{2}$`)
	instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[0-9]*[a-z]+[a-z0-9]*$`)
	policyArnPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[A-Za-z0-9+=,.@_/-]+$`)
	roleArnPattern      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	acmArnPattern       = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$`)
	hostedZonePattern   = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	domainPattern       = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	albGroupPattern     = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$`)
	keyNamePattern      = regexp.MustCompile(`^[ -~]{1,255}$`)
)

// validate checks every rule and returns all problems, each naming the key,
// the value and the fix. It also fills c.Subnets.
func (c *Config) validate(publicCidrs, privateCidrs []string) []error {
	var errs []error
	bad := func(key string, value any, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s = %v: %s", fullKey(key), quote(value), fmt.Sprintf(format, args...)))
	}

	if !regionPattern.MatchString(c.Region) {
		bad("aws:region", c.Region, "not an AWS region; use e.g. ap-northeast-2 (`pulumi config set aws:region ap-northeast-2`)")
	}
	if c.AZCount < 2 || c.AZCount > 6 {
		bad("availabilityZoneCount", c.AZCount, "EKS needs subnets in at least 2 AZs and the lab uses at most 6; set 2 to 6 (the study uses 3)")
	}

	vpc, err := netip.ParsePrefix(c.VpcCidr)
	switch {
	case err != nil || !vpc.Addr().Is4():
		bad("vpcCidr", c.VpcCidr, "not an IPv4 CIDR; use e.g. 192.168.0.0/16")
	case vpc.Masked() != vpc:
		bad("vpcCidr", c.VpcCidr, "has host bits set; use %s", vpc.Masked())
	case vpc.Bits() < 16 || vpc.Bits() > 28:
		bad("vpcCidr", c.VpcCidr, "AWS VPCs are /16 to /28; use e.g. 192.168.0.0/16")
	default:
		c.Subnets, err = c.subnetLayout(vpc, publicCidrs, privateCidrs)
		if err != nil {
			errs = append(errs, err)
		}
	}

	switch c.NatGateways {
	case NatNone, NatSingle, NatPerAZ:
	default:
		bad("natGateways", c.NatGateways, "must be none, single or per-az")
	}
	switch c.NodeSubnets {
	case TierPublic:
	case TierPrivate:
		if c.NatGateways == NatNone {
			bad("nodeSubnets", c.NodeSubnets, "nodes in private subnets cannot reach ECR or the EKS API without NAT; set natGateways to single or per-az, or nodeSubnets to public")
		}
	default:
		bad("nodeSubnets", c.NodeSubnets, "must be public (the study's layout) or private")
	}

	if !clusterNamePattern.MatchString(c.ClusterName) {
		bad("clusterName", c.ClusterName, "EKS names are 1-100 letters, digits, - and _, starting with a letter or digit; use e.g. myeks")
	}
	if !k8sVersionPattern.MatchString(c.KubernetesVersion) {
		bad("kubernetesVersion", c.KubernetesVersion, "must be a Kubernetes minor version such as %s", Defaults.KubernetesVersion)
	}
	for _, it := range []struct{ key, value string }{{"nodeInstanceType", c.NodeInstanceType}, {"bastionInstanceType", c.BastionInstanceType}} {
		if !instanceTypePattern.MatchString(it.value) {
			bad(it.key, it.value, "not an EC2 instance type; use the family.size form, e.g. t3.medium")
		}
	}
	if c.NodeMinSize < 0 || c.NodeMaxSize < 1 || c.NodeMinSize > c.NodeDesiredSize || c.NodeDesiredSize > c.NodeMaxSize {
		errs = append(errs, fmt.Errorf("%s/%s/%s = %d/%d/%d: need 0 <= min <= desired <= max and max >= 1; e.g. 3/3/6",
			fullKey("nodeMinSize"), fullKey("nodeDesiredSize"), fullKey("nodeMaxSize"), c.NodeMinSize, c.NodeDesiredSize, c.NodeMaxSize))
	}
	if c.NodeDiskSizeGiB < 20 || c.NodeDiskSizeGiB > 16384 {
		bad("nodeDiskSizeGiB", c.NodeDiskSizeGiB, "must be 20 to 16384 GiB")
	}

	c.validateNodeCapacity(bad)
	c.validateAccess(bad)
	c.validateAddons(bad)
	if len(c.Owner) > 256 {
		bad("owner", c.Owner, "tag values are at most 256 characters")
	}
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
			return l, fmt.Errorf("%s = %v: needs one CIDR per AZ, %d in all (set both publicSubnetCidrs and privateSubnetCidrs, or neither)",
				fullKey(tier.key), tier.cidrs, c.AZCount)
		}
		for _, s := range tier.cidrs {
			p, err := netip.ParsePrefix(s)
			if err != nil || p.Masked() != p || !p.Addr().Is4() {
				return l, fmt.Errorf("%s: %q is not an IPv4 network CIDR; use e.g. 192.168.0.0/22", fullKey(tier.key), s)
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
	case p.Bits() == 0 && !c.AllowSSHFromAnywhere:
		bad("sshCidr", c.SSHCidr, "opens SSH to the whole internet; %s, or set allowSshFromAnywhere to true if you really mean it", setIP)
	}
	if len(c.EndpointPublicAccessCidrs) == 0 && c.SSHCidr != "" {
		bad("endpointPublicAccessCidrs", "[]", "needs at least one CIDR that may reach the EKS API (your IP, or the CI runners'); defaults to sshCidr")
	}
	for _, s := range c.EndpointPublicAccessCidrs {
		if p, err := netip.ParsePrefix(s); err != nil || p.Masked() != p {
			bad("endpointPublicAccessCidrs", s, "not a network CIDR such as 203.0.113.7/32")
		}
	}
	for _, arn := range c.AdminRoleArns {
		if !roleArnPattern.MatchString(arn) {
			bad("adminRoleArns", arn, "not an IAM role ARN (arn:aws:iam::<account>:role/<name>); for an SSO role use the role's ARN, not the assumed-role session's")
		}
	}
	if !policyArnPattern.MatchString(c.BastionPolicyArn) {
		bad("bastionPolicyArn", c.BastionPolicyArn, "not an IAM policy ARN; use e.g. arn:aws:iam::aws:policy/AdministratorAccess")
	}
	if c.SSHKeyName != "" && !keyNamePattern.MatchString(c.SSHKeyName) {
		bad("sshKeyName", c.SSHKeyName, "not an EC2 key pair name; unset it to use SSM Session Manager only")
	}
}

// validateNodeCapacity checks the capacity type and the spot alternatives:
// one node group runs one AMI and schedules pods by one size, so every type
// must match nodeInstanceType's architecture, vCPUs and memory.
func (c *Config) validateNodeCapacity(bad func(string, any, string, ...any)) {
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
	want, err := estimate.SizeOf(c.NodeInstanceType)
	if err != nil {
		bad("nodeInstanceType", c.NodeInstanceType, "spot alternatives are matched to its size, but %v", err)
		return
	}
	seen := map[string]bool{c.NodeInstanceType: true}
	for _, it := range c.NodeSpotInstanceTypes {
		size, err := estimate.SizeOf(it)
		switch {
		case seen[it]:
			bad("nodeSpotInstanceTypes", it, "is listed twice (nodeInstanceType %s is always used); remove it", c.NodeInstanceType)
		case !instanceTypePattern.MatchString(it):
			bad("nodeSpotInstanceTypes", it, "not an EC2 instance type; use the family.size form, e.g. t3a.medium")
		case err != nil:
			bad("nodeSpotInstanceTypes", it, "%v", err)
		case IsArm(it) != IsArm(c.NodeInstanceType):
			bad("nodeSpotInstanceTypes", it, "runs %s but nodeInstanceType %s runs %s: one node group runs one AMI", arch(it), c.NodeInstanceType, arch(c.NodeInstanceType))
		case size != want:
			bad("nodeSpotInstanceTypes", it, "has %s but nodeInstanceType %s has %s; every spot type must be the same size", size, c.NodeInstanceType, want)
		}
		seen[it] = true
	}
}

func arch(instanceType string) string {
	if IsArm(instanceType) {
		return "arm64"
	}
	return "x86_64"
}

func (c *Config) validateAddons(bad func(string, any, string, ...any)) {
	if !slices.Contains(identity.Modes, c.WorkloadIdentity) {
		bad("workloadIdentity", c.WorkloadIdentity, "must be %s (the cluster's OIDC provider, the study's way) or %s (EKS Pod Identity)", identity.IRSA, identity.PodIdentity)
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
	needController := map[string]bool{
		"sampleEchoNlb": c.Samples.EchoNLB, "sampleProxyProtocolNlb": c.Samples.ProxyProtocolNLB,
		"sampleInstanceModeNlb": c.Samples.InstanceModeNLB, "sample2048Alb": c.Samples.Game2048ALB, "sampleTetris": c.Samples.Tetris,
	}
	for _, key := range slices.Sorted(maps.Keys(needController)) {
		if needController[key] && !c.LBController {
			bad(key, true, "this sample needs the AWS Load Balancer Controller; set lbController to true or %s to false", key)
		}
	}
	if c.Samples.Tetris && !c.ExternalDNS {
		bad("sampleTetris", true, "tetris gets its hostname from ExternalDNS; set domain and hostedZoneId (and externalDns true), or sampleTetris to false")
	}
}

func quote(v any) string {
	if reflect.ValueOf(v).Kind() == reflect.String {
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprint(v)
}

// gravitonPattern matches Arm (AWS Graviton) families: a "g" right after the
// generation digit, as in t4g, m7g, c6gn, x2gd; not GPU families like g5.
var gravitonPattern = regexp.MustCompile(`^[a-z]+[0-9]+g[a-z]*(-[a-z]+)?\.`)

// IsArm tells whether an instance type runs arm64 images.
func IsArm(instanceType string) bool { return gravitonPattern.MatchString(instanceType) }
