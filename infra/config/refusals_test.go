package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Values AWS or the lab would refuse half-way through `pulumi up` are
// refused up front, naming the key, the value (unless it may be a secret)
// and the fix.
func TestRefusedBeforeAWSRefusesThem(t *testing.T) {
	cidrs := func(n int) string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf(`"203.0.%d.0/24"`, i))
		}
		return "[" + strings.Join(out, ",") + "]"
	}
	cases := []refusal{
		// Namespaces: only eks-lab: and aws: are read.
		{"namespace without the hyphen", map[string]string{"ekslab:nodeMaxSize": "2"}, []string{"ekslab:nodeMaxSize", `"2"`, `namespace "ekslab"`, "did you mean eks-lab:nodeMaxSize?"}},
		{"namespace with an underscore", map[string]string{"eks_lab:nodeMaxSize": "2"}, []string{`namespace "eks_lab"`, "did you mean eks-lab:nodeMaxSize?"}},
		{"namespace with U+2010 HYPHEN", map[string]string{"eks\u2010lab:nodeMaxSize": "2"}, []string{"U+2010", "retype the key", "did you mean eks-lab:nodeMaxSize?", "pulumi config rm 'eks\u2010lab:nodeMaxSize'"}},
		{"namespace with U+2011 NON-BREAKING HYPHEN", map[string]string{"eks\u2011lab:nodeMaxSize": "2"}, []string{"U+2011", "did you mean eks-lab:nodeMaxSize?"}},
		{"namespace with a Cyrillic e", map[string]string{"\u0435ks-lab:nodeMaxSize": "2"}, []string{"U+0435", "did you mean eks-lab:nodeMaxSize?"}},
		{"lab key with a Cyrillic a", map[string]string{"eks-lab:nodeM\u0430xSize": "2"}, []string{"not a key of this lab", "U+0430", "did you mean eks-lab:nodeMaxSize?"}},
		{"another project's namespace", map[string]string{"other:thing": "x"}, []string{`namespace "other" is neither eks-lab nor aws`, "pulumi config rm other:thing"}},
		// aws: keys the lab's provider does not take.
		{"plain-text access key", map[string]string{"aws:accessKey": "AKIAIOSFODNN7EXAMPLE"}, []string{"aws:accessKey = " + Hidden, "no AWS credentials from config", "aws sso login"}},
		{"plain-text session token", map[string]string{"aws:token": "FwoGZXIvYXdzEXAMPLE"}, []string{"aws:token = " + Hidden, "no AWS credentials"}},
		{"assume role", map[string]string{"aws:assumeRole": `{"roleArn":"arn:aws:iam::123456789012:role/lab"}`}, []string{"aws:assumeRole", "does not assume roles", "role_arn and source_profile", "aws:profile"}},
		{"aws key typo", map[string]string{"aws:regoin": "eu-west-1"}, []string{"aws:regoin", "did you mean aws:region?"}},
		{"default tags of the default provider", map[string]string{"aws:defaultTags": `{"tags":{"team":"x"}}`}, []string{"aws:defaultTags", "takes only aws:region, aws:profile and aws:allowedAccountIds"}},
		{"account ID", map[string]string{"aws:allowedAccountIds": `["12345"]`}, []string{"aws:allowedAccountIds", `"12345"`, "12-digit"}},
		{"profile", map[string]string{"aws:profile": "my profile"}, []string{"aws:profile", `"my profile"`, "aws configure list-profiles"}},
		// Sizes EKS takes, and 32 bits.
		{"more nodes than the quota", map[string]string{"eks-lab:nodeMaxSize": "451"}, []string{"eks-lab:nodeMaxSize = 451", "0 to 450", "L-BD136A63"}},
		{"node count past 32 bits", map[string]string{"eks-lab:nodeMaxSize": "4294967297"}, []string{"eks-lab:nodeMaxSize", `"4294967297"`, "out of range"}},
		{"node count past 64 bits", map[string]string{"eks-lab:nodeMaxSize": "9223372036854775808"}, []string{"eks-lab:nodeMaxSize", "out of range"}},
		{"negative nodes", map[string]string{"eks-lab:nodeMinSize": "-1"}, []string{"eks-lab:nodeMinSize = -1", "0 to 450"}},
		{"no node to start with", map[string]string{"eks-lab:nodeMinSize": "0", "eks-lab:nodeDesiredSize": "0"}, []string{"eks-lab:nodeDesiredSize = 0", "CoreDNS", "set 1 or more"}},
		{"41 endpoint CIDRs", map[string]string{"eks-lab:endpointPublicAccessCidrs": cidrs(41)}, []string{"eks-lab:endpointPublicAccessCidrs", "[41 CIDRs]", "at most 40", "L-93A74D60"}},
		// Tag values IAM takes.
		{"owner with a character IAM refuses", map[string]string{"eks-lab:owner": "alice#1"}, []string{"eks-lab:owner", `"alice#1"`, "IAM tag values take only"}},
		{"owner with an emoji", map[string]string{"eks-lab:owner": "alice\U0001F680"}, []string{"eks-lab:owner", "IAM tag values"}},
		{"owner too long", map[string]string{"eks-lab:owner": strings.Repeat("a", 257)}, []string{"eks-lab:owner", "(257 characters)", "at most 256"}},
		// VPC CIDRs AWS refuses.
		{"loopback VPC", map[string]string{"eks-lab:vpcCidr": "127.0.0.0/16"}, []string{"eks-lab:vpcCidr", "127.0.0.0/8 (loopback)"}},
		{"link-local VPC", map[string]string{"eks-lab:vpcCidr": "169.254.0.0/16"}, []string{"169.254.0.0/16 (link-local)"}},
		{"this-network VPC", map[string]string{"eks-lab:vpcCidr": "0.0.0.0/16"}, []string{"0.0.0.0/8"}},
		{"multicast VPC", map[string]string{"eks-lab:vpcCidr": "224.0.0.0/16"}, []string{"224.0.0.0/4 (multicast)"}},
		{"class E VPC", map[string]string{"eks-lab:vpcCidr": "250.0.0.0/16"}, []string{"240.0.0.0/4"}},
		// An explicit empty value is not the default.
		{"empty cluster name", map[string]string{"eks-lab:clusterName": ""}, []string{"eks-lab:clusterName is set to an empty value", "default myeks"}},
		{"blank VPC", map[string]string{"eks-lab:vpcCidr": "  "}, []string{"eks-lab:vpcCidr is set to an empty value"}},
		{"empty region", map[string]string{"aws:region": ""}, []string{"aws:region is set to an empty value"}},
		{"empty node count", map[string]string{"eks-lab:nodeMaxSize": ""}, []string{"eks-lab:nodeMaxSize is set to an empty value", "default 6"}},
		{"empty boolean", map[string]string{"eks-lab:lbController": ""}, []string{"eks-lab:lbController is set to an empty value"}},
		// Regions and their AZs.
		{"region that does not exist", map[string]string{"aws:region": "ap-northeast-9"}, []string{"aws:region", `"ap-northeast-9"`, "not a region", "as of 2026-12-03"}},
		{"region typo", map[string]string{"aws:region": "eu-wset-1"}, []string{"did you mean eu-west-1?"}},
		{"more AZs than the region gives", map[string]string{"aws:region": "us-west-1"}, []string{"eks-lab:availabilityZoneCount = 3", "us-west-1 gives an account 2"}},
		{"4 AZs in Tokyo", map[string]string{"aws:region": "ap-northeast-1", "eks-lab:availabilityZoneCount": "4"}, []string{"ap-northeast-1 gives an account 3"}},
		// Kubernetes versions out of standard support.
		{"1.34 left standard support on 2026-12-02", map[string]string{"eks-lab:kubernetesVersion": "1.34"}, []string{"eks-lab:kubernetesVersion", `"1.34"`, "2026-12-02", "$0.60", "one of 1.35, 1.36"}},
		{"a version the calendar does not list", map[string]string{"eks-lab:kubernetesVersion": "1.37"}, []string{`"1.37"`, "not in the lab's copy of the EKS release calendar", "kubernetes-versions.html"}},
	}
	expectRefused(t, cases)
}

// The limits themselves are accepted, and "" keeps meaning "none" for the
// keys whose default is "".
func TestBoundsAccepted(t *testing.T) {
	cidrs := make([]string, MaxPublicAccessCidrs)
	for i := range cidrs {
		cidrs[i] = fmt.Sprintf(`"203.0.%d.0/24"`, i)
	}
	for _, set := range []map[string]string{
		{"eks-lab:endpointPublicAccessCidrs": "[" + strings.Join(cidrs, ",") + "]"},
		{"eks-lab:nodeMinSize": "0", "eks-lab:nodeDesiredSize": "1", "eks-lab:nodeMaxSize": "450", "eks-lab:subnetPrefixLength": "20", "eks-lab:vpcCidr": "10.0.0.0/16"},
		{"eks-lab:owner": "김철수 alice.kim@example.com"},
		{"eks-lab:owner": strings.Repeat("a", MaxTagValueLength)},
		{"eks-lab:sshKeyName": "", "eks-lab:domain": "", "eks-lab:hostedZoneId": "", "eks-lab:albGroupName": "", "eks-lab:acmCertificateArn": "", "eks-lab:expiry": "", "eks-lab:owner": ""},
		{"aws:region": "us-west-1", "eks-lab:availabilityZoneCount": "2"},
		{"aws:region": "us-east-1", "eks-lab:availabilityZoneCount": "6"},
		{"eks-lab:kubernetesVersion": "1.36"},
		{"aws:profile": "study-admin", "aws:allowedAccountIds": `["123456789012"]`},
		{"pulumi:disable-default-providers": `["*"]`}, // the engine's, not the program's
	} {
		if _, err := load(t, set); err != nil {
			t.Errorf("%v rejected: %v", set, err)
		}
	}
	c, err := load(t, map[string]string{"eks-lab:owner": "", "aws:profile": "study-admin", "aws:allowedAccountIds": `["123456789012"]`})
	if err != nil {
		t.Fatal(err)
	}
	if c.Owner != "dev" || c.AWSProfile != "study-admin" || len(c.AllowedAccountIDs) != 1 || c.AllowedAccountIDs[0] != "123456789012" {
		t.Errorf("owner %q, profile %q, accounts %v", c.Owner, c.AWSProfile, c.AllowedAccountIDs)
	}
}

// The support check uses the real date of the run, never one before the
// calendar's: a version that leaves standard support during the lab is
// refused too.
func TestKubernetesVersionSupportDate(t *testing.T) {
	raw := map[string]string{"eks-lab:sshCidr": "203.0.113.7/32", "eks-lab:kubernetesVersion": "1.35"}
	if _, err := Load("eks-lab", "dev", MapSource(raw, nil), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("1.35 refused at a clock before the calendar: %v", err)
	}
	// 1.35 leaves standard support at 2027-03-27T00:00Z; a lab started 8
	// hours before would end after it.
	_, err := Load("eks-lab", "dev", MapSource(raw, nil), time.Date(2027, 3, 26, 18, 0, 0, 0, time.UTC))
	if err == nil || !strings.Contains(err.Error(), "leaves EKS standard support on 2027-03-27, before the lab ends (2027-03-27T02:00:00Z)") {
		t.Errorf("got %v, want 1.35 refused for a lab ending after 2027-03-27", err)
	}
	raw["eks-lab:kubernetesVersion"] = "1.34"
	if _, err := Load("eks-lab", "dev", MapSource(raw, nil), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("1.34 accepted at a fixed clock before the calendar's date, though it left standard support on 2026-12-02")
	}
}

// One rule shows values in refusals: secrets never, long values cut.
func TestShown(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"eks-lab:sshKeyName", "my-key", `"my-key"`},
		{"eks-lab:apiToken", "abc", Hidden},
		{"eks-lab:dbPassword", "hunter2", Hidden},
		{"aws:secretKey", "x", Hidden},
		{"aws:accessKey", "x", Hidden},
		{"eks-lab:banana", "AKIAIOSFODNN7EXAMPLE", Hidden},
		{"eks-lab:banana", `["ASIAIOSFODNN7EXAMPLE"]`, Hidden},
		{"eks-lab:banana", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Hidden},
		{"eks-lab:banana", "-----BEGIN RSA PRIVATE KEY-----", Hidden},
		{"eks-lab:clusterName", strings.Repeat("a", 40), `"` + strings.Repeat("a", 40) + `"`},
		{"eks-lab:owner", strings.Repeat("b", 81), `"` + strings.Repeat("b", 60) + `"... (81 characters)`},
	} {
		if got := Shown(tc.key, tc.value); got != tc.want {
			t.Errorf("Shown(%s, %q) = %s, want %s", tc.key, tc.value, got, tc.want)
		}
	}
	// Every path that echoes a value uses it: an unknown key, a bad value.
	_, err := load(t, map[string]string{"eks-lab:githubToken": "ghp_x", "eks-lab:vpcCidr": "AKIAIOSFODNN7EXAMPLE", "eks-lab:nodeMaxSize": "AKIAIOSFODNN7EXAMPLE"})
	if err == nil || strings.Contains(err.Error(), "ghp_x") || strings.Contains(err.Error(), "AKIAIOSFODNN7EXAMPLE") {
		t.Errorf("a secret is echoed: %v", err)
	}
}
