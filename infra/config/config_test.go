package config

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/eks-study/lab/components/workloads/catalog"

	"github.com/eks-study/lab/components/network/subnetplan"
)

var testNow = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

// base is the smallest valid stack: the study defaults plus the one required key.
func base() map[string]string {
	return map[string]string{"eks-lab:sshCidr": "203.0.113.7/32"}
}

func load(t *testing.T, overrides map[string]string) (*Config, error) {
	t.Helper()
	raw := base()
	for k, v := range overrides {
		if v == "<unset>" {
			delete(raw, k)
			continue
		}
		raw[k] = v
	}
	return Load("eks-lab", "dev", MapSource(raw, nil), testNow)
}

func TestDefaultsReproduceTheStudyLab(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"region", c.Region, "ap-northeast-2"},
		{"AZs", c.AZCount, 3},
		{"VPC", c.VpcCidr, "192.168.0.0/16"},
		{"cluster", c.ClusterName, "myeks"},
		{"node type", c.NodeInstanceType, "t3.medium"},
		{"nodes", [3]int{c.NodeMinSize, c.NodeDesiredSize, c.NodeMaxSize}, [3]int{3, 3, 6}},
		{"node tier", c.NodeSubnets, TierPublic},
		{"NAT", c.NatGateways, subnetplan.NatNone},
		{"public subnets", c.Subnets.Public, prefixes("192.168.0.0/22", "192.168.4.0/22", "192.168.8.0/22")},
		{"private subnets", c.Subnets.Private, prefixes("192.168.12.0/22", "192.168.16.0/22", "192.168.20.0/22")},
		{"endpoint CIDRs default to the SSH CIDR", c.EndpointPublicAccessCidrs, []string{"203.0.113.7/32"}},
		{"expiry defaults to now + 8h", c.Expiry, testNow.Add(8 * time.Hour)},
		{"expiry defaulted", c.ExpiryFromConfig, false},
		{"owner defaults to the stack", c.Owner, "dev"},
		{"controller on", c.LBController, true},
		{"no DNS without a zone", c.ExternalDNS, false},
	}
	for _, ch := range checks {
		if got, want := strings.TrimSpace(sprint(ch.got)), sprint(ch.want); got != want {
			t.Errorf("%s = %s, want %s", ch.what, got, want)
		}
	}
}

func TestOverridesAreRead(t *testing.T) {
	c, err := load(t, map[string]string{
		"aws:region": "eu-west-1", "eks-lab:availabilityZoneCount": "2", "eks-lab:vpcCidr": "10.20.0.0/20",
		"eks-lab:natGateways": "per-az", "eks-lab:nodeSubnets": "private",
		"eks-lab:endpointPublicAccessCidrs": `["198.51.100.0/24","203.0.113.7/32"]`,
		"eks-lab:expiry":                    "2026-11-26T18:00:00Z",
		"eks-lab:domain":                    "lab.example.com", "eks-lab:hostedZoneId": "Z0123456789ABCDEFGHIJ",
		"eks-lab:sampleTetris": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "eu-west-1" || c.AZCount != 2 || c.NatGateways != subnetplan.NatPerAZ || c.NodeSubnets != TierPrivate {
		t.Errorf("overrides not applied: %+v", c)
	}
	if sprint(c.Subnets.Private) != sprint(prefixes("10.20.8.0/22", "10.20.12.0/22")) {
		t.Errorf("private subnets = %v", c.Subnets.Private)
	}
	if len(c.EndpointPublicAccessCidrs) != 2 || !c.ExpiryFromConfig || c.Expiry.Hour() != 18 {
		t.Errorf("list or expiry not read: %v %v", c.EndpointPublicAccessCidrs, c.Expiry)
	}
	if !c.ExternalDNS || !c.Samples.On(catalog.Tetris) {
		t.Errorf("ExternalDNS should be on with a domain and zone")
	}
}

// Every rule: the error names the key, the bad value, and says what to do.
func TestValidationRules(t *testing.T) {
	spot := func(types string) map[string]string {
		return map[string]string{"eks-lab:nodeCapacityType": "SPOT", "eks-lab:nodeSpotInstanceTypes": types}
	}
	cases := []refusal{
		{"bad region", map[string]string{"aws:region": "seoul"}, []string{"aws:region", `"seoul"`, "ap-northeast-2"}},
		{"bad CIDR", map[string]string{"eks-lab:vpcCidr": "192.168.0.0/33"}, []string{"eks-lab:vpcCidr", "192.168.0.0/33", "e.g. 192.168.0.0/16"}},
		{"host bits", map[string]string{"eks-lab:vpcCidr": "192.168.1.0/16"}, []string{"eks-lab:vpcCidr", "host bits", "192.168.0.0/16"}},
		{"VPC larger than AWS allows", map[string]string{"eks-lab:vpcCidr": "10.0.0.0/8"}, []string{"eks-lab:vpcCidr", "/16 to /28"}},
		{"VPC too small for 2 x AZ /22", map[string]string{"eks-lab:vpcCidr": "192.168.0.0/20"}, []string{"eks-lab:vpcCidr", "192.168.0.0/20", "holds 4 subnets of /22", "needs 6", "larger VPC"}},
		{"AZ count low", map[string]string{"eks-lab:availabilityZoneCount": "1"}, []string{"eks-lab:availabilityZoneCount", "= 1", "2 to 6"}},
		{"AZ count high", map[string]string{"eks-lab:availabilityZoneCount": "7"}, []string{"eks-lab:availabilityZoneCount", "= 7"}},
		{"AZ count not a number", map[string]string{"eks-lab:availabilityZoneCount": "three"}, []string{"eks-lab:availabilityZoneCount", `"three"`, "whole number"}},
		{"overlapping subnets", map[string]string{
			"eks-lab:publicSubnetCidrs":  `["192.168.0.0/22","192.168.4.0/22","192.168.8.0/22"]`,
			"eks-lab:privateSubnetCidrs": `["192.168.8.0/24","192.168.16.0/22","192.168.20.0/22"]`,
		}, []string{"publicSubnetCidrs", "192.168.8.0/22 and 192.168.8.0/24 overlap"}},
		{"subnet outside VPC", map[string]string{
			"eks-lab:publicSubnetCidrs":  `["10.0.0.0/22","192.168.4.0/22","192.168.8.0/22"]`,
			"eks-lab:privateSubnetCidrs": `["192.168.12.0/22","192.168.16.0/22","192.168.20.0/22"]`,
		}, []string{"10.0.0.0/22 is not inside the VPC"}},
		{"subnet count", map[string]string{"eks-lab:publicSubnetCidrs": `["192.168.0.0/22"]`}, []string{"eks-lab:publicSubnetCidrs", "one CIDR per AZ"}},
		{"SSH CIDR missing", map[string]string{"eks-lab:sshCidr": "<unset>"}, []string{"eks-lab:sshCidr", "required", "checkip"}},
		{"SSH CIDR invalid", map[string]string{"eks-lab:sshCidr": "my-ip"}, []string{"eks-lab:sshCidr", `"my-ip"`}},
		{"SSH open to the world", map[string]string{"eks-lab:sshCidr": "0.0.0.0/0"}, []string{"eks-lab:sshCidr", "0.0.0.0/0", "allowSshFromAnywhere"}},
		{"SSH wider than a /16", map[string]string{"eks-lab:sshCidr": "198.0.0.0/15"}, []string{"eks-lab:sshCidr", `"198.0.0.0/15"`, "131072 addresses", "checkip", "allowSshFromAnywhere"}},
		{"API open to the world", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["0.0.0.0/0"]`}, []string{"eks-lab:endpointPublicAccessCidrs", `"0.0.0.0/0"`, "whole internet", "allowApiFromAnywhere"}},
		{"API open to the world through sshCidr", map[string]string{"eks-lab:sshCidr": "0.0.0.0/0", "eks-lab:allowSshFromAnywhere": "true"}, []string{"eks-lab:endpointPublicAccessCidrs", "defaulted from sshCidr", "allowApiFromAnywhere"}},
		{"API from a private range", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["10.1.0.0/16"]`}, []string{"eks-lab:endpointPublicAccessCidrs", `"10.1.0.0/16"`, "inside 10.0.0.0/8", "checkip"}},
		{"API from RFC 1918 172.16/12", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["203.0.113.7/32","172.20.1.1/32"]`}, []string{`"172.20.1.1/32"`, "inside 172.16.0.0/12"}},
		{"API from shared address space", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["100.64.1.0/24"]`}, []string{`"100.64.1.0/24"`, "inside 100.64.0.0/10"}},
		{"API from RFC 1918 192.168/16", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["192.168.1.7/32"]`}, []string{`"192.168.1.7/32"`, "inside 192.168.0.0/16"}},
		{"API from loopback", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["127.0.0.1/32"]`}, []string{`"127.0.0.1/32"`, "inside 127.0.0.0/8"}},
		{"API from link-local", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["169.254.169.254/32"]`}, []string{`"169.254.169.254/32"`, "inside 169.254.0.0/16"}},
		{"API from multicast", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["239.1.2.3/32"]`}, []string{`"239.1.2.3/32"`, "inside 224.0.0.0/4"}},
		{"API from IPv6", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["2001:db8::/32"]`}, []string{"eks-lab:endpointPublicAccessCidrs", `"2001:db8::/32"`, "IPv6", "IPv4"}},
		{"API CIDR with host bits", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["203.0.113.7/24"]`}, []string{"eks-lab:endpointPublicAccessCidrs", `"203.0.113.7/24"`, "network CIDR"}},
		{"nodes min > desired", map[string]string{"eks-lab:nodeMinSize": "4"}, []string{"eks-lab:nodeMinSize", "4/3/6", "min <= desired <= max"}},
		{"nodes desired > max", map[string]string{"eks-lab:nodeDesiredSize": "7"}, []string{"eks-lab:nodeDesiredSize", "3/7/6"}},
		{"bad instance type", map[string]string{"eks-lab:nodeInstanceType": "medium"}, []string{"eks-lab:nodeInstanceType", `"medium"`, "t3.medium"}},
		{"instance type typo", map[string]string{"eks-lab:nodeInstanceType": "t3.mediumm"}, []string{"eks-lab:nodeInstanceType", `"t3.mediumm"`, "not an EC2 instance type", "did you mean t3.medium?"}},
		{"instance type that does not exist", map[string]string{"eks-lab:nodeInstanceType": "banana.large"}, []string{"eks-lab:nodeInstanceType", `"banana.large"`, "instance-types.txt", "e.g. t3.medium"}},
		{"bad bastion type", map[string]string{"eks-lab:bastionInstanceType": "T3.Small"}, []string{"eks-lab:bastionInstanceType", "did you mean t3.small?"}},
		{"A1 nodes", map[string]string{"eks-lab:nodeInstanceType": "a1.large"}, []string{"eks-lab:nodeInstanceType", `"a1.large"`, "Amazon Linux 2023", "m6g.large"}},
		{"A1 bastion", map[string]string{"eks-lab:bastionInstanceType": "a1.medium"}, []string{"eks-lab:bastionInstanceType", "m6g.medium"}},
		{"GPU nodes on the standard AMI", map[string]string{"eks-lab:nodeInstanceType": "g4dn.xlarge"}, []string{"eks-lab:nodeInstanceType", `"g4dn.xlarge"`, "g4dn family"}},
		{"cluster name", map[string]string{"eks-lab:clusterName": "my eks"}, []string{"eks-lab:clusterName", `"my eks"`, "letters, digits"}},
		{"cluster name starting with -", map[string]string{"eks-lab:clusterName": "-eks"}, []string{"eks-lab:clusterName", "starting with a letter or digit"}},
		{"cluster name too long for IAM", map[string]string{"eks-lab:clusterName": strings.Repeat("a", 44)}, []string{"eks-lab:clusterName", "is 44 characters", "-eksRole-role-xxxxxxx", "at most 43"}},
		{"subnets too small for max pods", map[string]string{"eks-lab:subnetPrefixLength": "27"}, []string{"eks-lab:nodeMaxSize", "= 6", "2 t3.medium nodes at 17 pods each need 36 addresses", "has 27 usable", "eks-lab:subnetPrefixLength = 27"}},
		// 10 nodes over 3 subnets: the first takes 4 (rounded up, as the
		// Auto Scaling group spreads them), 4 x 18 = 72 addresses > 59 in a
		// /26; rounded down, 3 x 18 = 54 would fit.
		{"uneven nodes per subnet round up", map[string]string{"eks-lab:subnetPrefixLength": "26", "eks-lab:nodeMaxSize": "10"},
			[]string{"eks-lab:nodeMaxSize", "= 10", "4 t3.medium nodes at 17 pods each need 72 addresses", "has 59 usable"}},
		{"explicit subnets too small for max pods", map[string]string{"eks-lab:nodeInstanceType": "m5.16xlarge",
			"eks-lab:publicSubnetCidrs":  `["192.168.0.0/24","192.168.1.0/24","192.168.2.0/24"]`,
			"eks-lab:privateSubnetCidrs": `["192.168.12.0/22","192.168.16.0/22","192.168.20.0/22"]`,
		}, []string{"eks-lab:nodeMaxSize", "2 m5.16xlarge nodes at 250 pods each need 600 addresses", "has 251 usable", "eks-lab:publicSubnetCidrs: 192.168.0.0/24"}},
		{"k8s version", map[string]string{"eks-lab:kubernetesVersion": "1.35.2"}, []string{"eks-lab:kubernetesVersion", "1.35"}},
		{"k8s version without a pinned kubectl", map[string]string{"eks-lab:kubernetesVersion": "1.29"}, []string{"eks-lab:kubernetesVersion", `"1.29"`, "1.34, 1.35, 1.36, 1.37"}},
		{"NAT mode", map[string]string{"eks-lab:natGateways": "two"}, []string{"eks-lab:natGateways", `"two"`, "none, single or per-az"}},
		{"private nodes without NAT", map[string]string{"eks-lab:nodeSubnets": "private"}, []string{"eks-lab:nodeSubnets", "without NAT", "natGateways"}},
		{"endpoint CIDR", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["office"]`}, []string{"eks-lab:endpointPublicAccessCidrs", `"office"`}},
		{"endpoint CIDRs not a list", map[string]string{"eks-lab:endpointPublicAccessCidrs": `1.2.3.4/32`}, []string{"eks-lab:endpointPublicAccessCidrs", "not a list"}},
		{"admin role ARN", map[string]string{"eks-lab:adminRoleArns": `["arn:aws:sts::123456789012:assumed-role/ci/session"]`}, []string{"eks-lab:adminRoleArns", "assumed-role", "not an IAM role ARN"}},
		{"policy ARN", map[string]string{"eks-lab:bastionPolicyArn": "AdministratorAccess"}, []string{"eks-lab:bastionPolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"}},
		{"domain without zone", map[string]string{"eks-lab:domain": "example.com"}, []string{"eks-lab:domain", "hostedZoneId", "both or neither"}},
		{"bad zone", map[string]string{"eks-lab:domain": "example.com", "eks-lab:hostedZoneId": "example.com"}, []string{"eks-lab:hostedZoneId", "list-hosted-zones-by-name"}},
		{"ACM in another region", map[string]string{"eks-lab:acmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"}, []string{"eks-lab:acmCertificateArn", "ap-northeast-2"}},
		{"sample without controller", map[string]string{"eks-lab:lbController": "false", "eks-lab:sampleEchoNlb": "true"}, []string{"eks-lab:sampleEchoNlb", "Load Balancer Controller"}},
		{"Gateway sample without controller", map[string]string{"eks-lab:lbController": "false", "eks-lab:sampleGatewayAlb": "true"}, []string{"eks-lab:sampleGatewayAlb", "Load Balancer Controller"}},
		{"tetris without DNS", map[string]string{"eks-lab:sampleTetris": "true"}, []string{"eks-lab:sampleTetris", "hostedZoneId"}},
		{"bool", map[string]string{"eks-lab:lbController": "yes please"}, []string{"eks-lab:lbController", "true or false"}},
		{"expiry", map[string]string{"eks-lab:expiry": "tomorrow"}, []string{"eks-lab:expiry", `"tomorrow"`, "RFC 3339"}},
		{"expiry in the past", map[string]string{"eks-lab:expiry": "2026-11-25T09:00:00Z"}, []string{"eks-lab:expiry", `"2026-11-25T09:00:00Z"`, "in the past", "2026-11-25T17:30:00Z"}},
		{"expiry more than a week ahead", map[string]string{"eks-lab:expiry": "2026-12-02T09:31:00Z"}, []string{"eks-lab:expiry", "more than 7 days", "2026-12-02T09:30:00Z"}},
		{"unknown key", map[string]string{"eks-lab:nodeMaxSise": "9"}, []string{"eks-lab:nodeMaxSise", `"9"`, "not a key of this lab", "did you mean eks-lab:nodeMaxSize?"}},
		{"unknown key far from any", map[string]string{"eks-lab:banana": "yes"}, []string{"eks-lab:banana", "pulumi config rm eks-lab:banana", "docs/configuration.md"}},
		{"admin role twice", map[string]string{"eks-lab:adminRoleArns": `["arn:aws:iam::123456789012:role/ci","arn:aws:iam::123456789012:role/gh/ci"]`}, []string{"eks-lab:adminRoleArns", "role ci again", "list each role once"}},
		{"capacity type", map[string]string{"eks-lab:nodeCapacityType": "spot"}, []string{"eks-lab:nodeCapacityType", `"spot"`, "ON_DEMAND or SPOT"}},
		{"alternatives need spot", map[string]string{"eks-lab:nodeSpotInstanceTypes": `["t3a.medium"]`}, []string{"eks-lab:nodeSpotInstanceTypes", `["t3a.medium"]`, "set nodeCapacityType to SPOT"}},
		{"bigger memory", spot(`["t3.large"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"t3.large"`, "2 vCPUs and 8 GiB", "t3.medium has 2 vCPUs and 4 GiB", "same size"}},
		{"more vCPUs", spot(`["c5.xlarge"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"c5.xlarge"`, "4 vCPUs"}},
		{"other architecture", spot(`["t4g.medium"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"t4g.medium"`, "arm64", "x86_64", "one AMI"}},
		{"unknown type", spot(`["t2.medium"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"t2.medium"`, "not in the instance size table"}},
		{"not a type", spot(`["t3.mediumm"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"t3.mediumm"`, "did you mean t3.medium?"}},
		{"listed twice", spot(`["t3.medium"]`), []string{"eks-lab:nodeSpotInstanceTypes", `"t3.medium"`, "twice"}},
		{"unknown primary", map[string]string{"eks-lab:nodeInstanceType": "t2.medium", "eks-lab:nodeCapacityType": "SPOT", "eks-lab:nodeSpotInstanceTypes": `["t3.medium"]`},
			[]string{"eks-lab:nodeInstanceType", `"t2.medium"`, "matched to its size"}},
		{"identity mode", map[string]string{"eks-lab:workloadIdentity": "podidentity"}, []string{"eks-lab:workloadIdentity", `"podidentity"`, "irsa", "pod-identity"}},
	}
	expectRefused(t, cases)
}

// refusal is a config that must be refused with an error mentioning wants.
type refusal struct {
	name  string
	set   map[string]string
	wants []string // substrings of the error
}

func expectRefused(t *testing.T, cases []refusal) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.set)
			if err == nil {
				t.Fatalf("config %v accepted", tc.set)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestAllProblemsAreReportedAtOnce(t *testing.T) {
	_, err := load(t, map[string]string{"aws:region": "x", "eks-lab:clusterName": "-", "eks-lab:sshCidr": "<unset>"})
	cfgErr, ok := err.(*Error)
	if !ok || len(cfgErr.Problems) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
}

func TestWideAccessNeedsTheFlags(t *testing.T) {
	for _, set := range []map[string]string{
		{"eks-lab:sshCidr": "198.51.0.0/16"},
		{"eks-lab:sshCidr": "0.0.0.0/0", "eks-lab:allowSshFromAnywhere": "true", "eks-lab:allowApiFromAnywhere": "true"},
		{"eks-lab:endpointPublicAccessCidrs": `["0.0.0.0/0"]`, "eks-lab:allowApiFromAnywhere": "true"},
		{"eks-lab:endpointPublicAccessCidrs": `["203.0.113.7/32","20.0.0.0/11"]`}, // the CI runners' ranges
	} {
		if _, err := load(t, set); err != nil {
			t.Errorf("%v rejected: %v", set, err)
		}
	}
}

func TestLimitsAccepted(t *testing.T) {
	for _, set := range []map[string]string{
		{"eks-lab:clusterName": strings.Repeat("a", 43)},
		{"eks-lab:expiry": "2026-12-02T09:30:00Z"},  // exactly 7 days
		{"eks-lab:subnetPrefixLength": "26"},        // 2 x 18 addresses in 59
		{"eks-lab:nodeInstanceType": "m5.16xlarge"}, // 2 x 254 addresses in 1019
		{"eks-lab:nodeInstanceType": "t4g.medium", "eks-lab:bastionInstanceType": "t4g.small"},
	} {
		if _, err := load(t, set); err != nil {
			t.Errorf("%v rejected: %v", set, err)
		}
	}
}

// A secret value would end up in plain resource inputs and tags; an AWS
// credential in config is refused whether secret or not, and never shown.
func TestSecretValuesAreRefused(t *testing.T) {
	raw := map[string]string{"eks-lab:sshCidr": "203.0.113.7/32", "eks-lab:owner": "[secret]", "aws:secretKey": "[secret]"}
	_, err := Load("eks-lab", "dev", MapSource(raw, []string{"eks-lab:owner", "aws:secretKey"}), testNow)
	if err == nil || !strings.Contains(err.Error(), "eks-lab:owner is a secret") || !strings.Contains(err.Error(), "pulumi config set eks-lab:owner VALUE") {
		t.Fatalf("got %v, want eks-lab:owner refused with the fix", err)
	}
	if !strings.Contains(err.Error(), "aws:secretKey = "+Hidden+": the lab takes no AWS credentials from config") {
		t.Errorf("aws:secretKey not refused with its value hidden: %v", err)
	}
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func sprint(v any) string { return strings.TrimSpace(fmt.Sprint(v)) }

func TestIsArm(t *testing.T) {
	for it, want := range map[string]bool{
		"t3.medium": false, "t4g.medium": true, "m7g.large": true, "c6gn.xlarge": true, "x2gd.large": true,
		"g5.xlarge": false, "g5g.xlarge": true, "m7i-flex.large": false, "m5.large": false, "a1.large": true,
	} {
		if got := IsArm(it); got != want {
			t.Errorf("IsArm(%s) = %v, want %v", it, got, want)
		}
	}
}
