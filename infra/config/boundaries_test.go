package config

import (
	"strings"
	"testing"
	"time"
)

// The edges of every range are inside it: each value here is accepted, and
// the one past it refused.
func TestRangeEdgesAreAccepted(t *testing.T) {
	for name, set := range map[string]map[string]string{
		"smallest node disk":           {"eks-lab:nodeDiskSizeGiB": "20"},
		"largest node disk":            {"eks-lab:nodeDiskSizeGiB": "16384"},
		"desired = max":                {"eks-lab:nodeMinSize": "2", "eks-lab:nodeDesiredSize": "4", "eks-lab:nodeMaxSize": "4"},
		"min = desired":                {"eks-lab:nodeMinSize": "4", "eks-lab:nodeDesiredSize": "4", "eks-lab:nodeMaxSize": "6"},
		"expiry exactly 7 days ahead":  {"eks-lab:expiry": testNow.Add(MaxLifetime).Format(time.RFC3339)},
		"as many AZs as Seoul has (4)": {"eks-lab:availabilityZoneCount": "4"},
	} {
		if _, err := load(t, set); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	expectRefused(t, []refusal{
		{"node disk under 20 GiB", map[string]string{"eks-lab:nodeDiskSizeGiB": "19"}, []string{"eks-lab:nodeDiskSizeGiB", "= 19", "20 to 16384"}},
		{"node disk over 16384 GiB", map[string]string{"eks-lab:nodeDiskSizeGiB": "16385"}, []string{"eks-lab:nodeDiskSizeGiB", "= 16385", "20 to 16384"}},
		{"desired over max", map[string]string{"eks-lab:nodeDesiredSize": "5", "eks-lab:nodeMaxSize": "4"}, []string{"need min <= desired <= max"}},
		{"expiry a minute past 7 days", map[string]string{"eks-lab:expiry": testNow.Add(MaxLifetime + time.Minute).Format(time.RFC3339)}, []string{"eks-lab:expiry", "more than 7 days ahead"}},
		{"more AZs than Seoul has", map[string]string{"eks-lab:availabilityZoneCount": "5"}, []string{"eks-lab:availabilityZoneCount", "gives an account 4 Availability Zones"}},
		// A /28 VPC is a size AWS takes: what is wrong is that the lab's
		// subnets do not fit in it.
		{"/28 VPC", map[string]string{"eks-lab:vpcCidr": "10.1.2.0/28", "eks-lab:subnetPrefixLength": "28"}, []string{"eks-lab:vpcCidr", "holds 1 subnets of /28"}},
		// A range EKS refuses, given as itself.
		{"API from exactly 10.0.0.0/8", map[string]string{"eks-lab:endpointPublicAccessCidrs": `["10.0.0.0/8"]`}, []string{`"10.0.0.0/8"`, "inside 10.0.0.0/8"}},
	})
}

// A value a refusal quotes: whole up to 80 characters, cut after; hidden
// when the stack holds it as a secret or it looks like an AWS secret key
// anywhere in it.
func TestShownValues(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{strings.Repeat("a", 80), `"` + strings.Repeat("a", 80) + `"`},
		{strings.Repeat("a", 81), `"` + strings.Repeat("a", 60) + `"... (81 characters)`},
		// The second run of 40 is the key-like one.
		{strings.Repeat("a", 40) + "  wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Hidden},
	} {
		if got := Shown("eks-lab:owner", tc.value); got != tc.want {
			t.Errorf("Shown(%q) = %s, want %s", tc.value, got, tc.want)
		}
	}
	_, err := Load("eks-lab", "dev", MapSource(map[string]string{"eks-lab:sshCidr": "203.0.113.7/32", "eks-lab:nodeMaxSzie": "many"}, []string{"eks-lab:nodeMaxSzie"}), testNow)
	if err == nil || !strings.Contains(err.Error(), Hidden) || strings.Contains(err.Error(), "many") {
		t.Errorf("a secret's bad value: %v; want it hidden", err)
	}
}

// The first character outside ASCII is named.
func TestLookAlikesFromTheFirstNonASCIICharacter(t *testing.T) {
	if got := lookAlikes("eks-lab:a\u0080"); !strings.Contains(got, "U+0080") {
		t.Errorf("lookAlikes = %q, want U+0080 named", got)
	}
	if got := lookAlikes("eks-lab:a\u007f"); got != "" {
		t.Errorf("lookAlikes of ASCII = %q, want nothing", got)
	}
}
