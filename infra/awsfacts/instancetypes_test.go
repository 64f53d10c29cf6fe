package awsfacts

import (
	"strconv"
	"strings"
	"testing"
)

// Max pods on a managed node: the ENI formula (expected values from
// amazon-vpc-cni-k8s misc/eni-max-pods.txt), capped by EKS at 110 below 30
// vCPUs and 250 above.
func TestMaxPods(t *testing.T) {
	for _, tc := range []struct {
		typ            string
		vcpus, eniPods int
		maxPods        int
	}{
		{"t3.nano", 2, 4, 4},
		{"t3.micro", 2, 4, 4},
		{"t3.small", 2, 11, 11},
		{"t3.medium", 2, 17, 17},
		{"t3.large", 2, 35, 35},
		{"t3a.small", 2, 8, 8},
		{"t4g.medium", 2, 17, 17},
		{"m6g.medium", 1, 8, 8},
		{"a1.large", 2, 29, 29},
		{"m5.large", 2, 29, 29},
		{"r6i.large", 2, 29, 29},
		{"c5.xlarge", 4, 58, 58},
		{"c7g.xlarge", 4, 58, 58},
		{"m5.2xlarge", 8, 58, 58},
		{"m5.4xlarge", 16, 234, 110},
		{"c6g.4xlarge", 16, 234, 110},
		{"m5.8xlarge", 32, 234, 234},
		{"c5.9xlarge", 36, 234, 234},
		{"m5.12xlarge", 48, 234, 234},
		{"m5.16xlarge", 64, 737, 250},
		{"c5.18xlarge", 72, 737, 250},
		{"m7i.48xlarge", 192, 737, 250},
		{"m5.metal", 96, 737, 250},
	} {
		it, err := Lookup(tc.typ)
		if err != nil {
			t.Errorf("%s: %v", tc.typ, err)
			continue
		}
		if it.VCPUs != tc.vcpus || it.ENIMaxPods() != tc.eniPods || it.MaxPods() != tc.maxPods {
			t.Errorf("%s: %d vCPUs, ENI limit %d, max pods %d; want %d, %d, %d",
				tc.typ, it.VCPUs, it.ENIMaxPods(), it.MaxPods(), tc.vcpus, tc.eniPods, tc.maxPods)
		}
	}
}

// The cap is 110 only below 30 vCPUs: at 30 it is 250. No type in the table
// has 30 vCPUs today, so the case is built.
func TestMaxPodsCapAtThirtyVCPUs(t *testing.T) {
	for _, tc := range []struct{ vcpus, want int }{{29, 110}, {30, 234}, {31, 234}} {
		it := InstanceType{Name: "x.30", VCPUs: tc.vcpus, ENIs: 8, IPv4PerENI: 30}
		if got := it.MaxPods(); got != tc.want {
			t.Errorf("%d vCPUs, ENI limit %d: max pods %d, want %d", tc.vcpus, it.ENIMaxPods(), got, tc.want)
		}
	}
}

func TestAddressesAtMaxPods(t *testing.T) {
	for typ, want := range map[string]int{
		"t3.medium":   18,  // 3 ENIs x 6: every ENI full
		"m5.4xlarge":  120, // 110 pods fill 4 of 8 ENIs, 30 addresses each
		"m5.16xlarge": 300, // 250 pods fill 6 of 15 ENIs, 50 addresses each
	} {
		if it, _ := Lookup(typ); it.Addresses() != want {
			t.Errorf("%s takes %d subnet addresses at max pods, want %d", typ, it.Addresses(), want)
		}
	}
}

func TestArchitecture(t *testing.T) {
	for typ, arm := range map[string]bool{
		"t3.medium": false, "t4g.medium": true, "m7g.large": true, "c6gn.xlarge": true, "x2gd.large": true,
		"g5.xlarge": false, "g5g.xlarge": true, "m7i-flex.large": false, "a1.large": true, "a1.metal": true,
	} {
		if it, err := Lookup(typ); err != nil || it.IsArm() != arm {
			t.Errorf("%s: arm64 %v (%v), want %v", typ, it.IsArm(), err, arm)
		}
	}
}

func TestUnknownInstanceTypesGetASuggestion(t *testing.T) {
	for typ, hint := range map[string]string{
		"t3.mediumm":   "did you mean t3.medium?",
		"m5.medium":    "did you mean", // m5 has no medium
		"banana.large": "e.g. t3.medium",
		"":             "e.g. t3.medium",
	} {
		_, err := Lookup(typ)
		if err == nil || !strings.Contains(err.Error(), hint) || !strings.Contains(err.Error(), InstanceTypesFile) {
			t.Errorf("%q: error %v, want one saying %q and naming %s", typ, err, hint, InstanceTypesFile)
		}
	}
}

func TestInstanceTypesFileIsWellFormed(t *testing.T) {
	for i, line := range strings.Split(strings.TrimSpace(instanceTypesText), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 5 || (f[2] != "x86_64" && f[2] != "arm64") {
			t.Fatalf("line %d: %q is not: name vCPUs arch ENIs IPv4PerENI", i+1, line)
		}
		for _, n := range []string{f[1], f[3], f[4]} {
			if v, err := strconv.Atoi(n); err != nil || v < 1 {
				t.Fatalf("line %d: %q: %q is not a positive number", i+1, line, n)
			}
		}
	}
	if n := len(instanceTypes()); n < 1000 {
		t.Errorf("only %d instance types", n)
	}
}

func TestNodeGroupTypes(t *testing.T) {
	fewest, widest, err := NodeGroupTypes([]string{"c5.large", "t3.medium"})
	if err != nil || fewest.Name != "t3.medium" || widest.Name != "c5.large" {
		t.Fatalf("fewest pods %s, most addresses %s, %v; want t3.medium and c5.large", fewest.Name, widest.Name, err)
	}
	// Every node of the group runs t3.medium's 17 pods: a c5.large node fills
	// two of its 10-address ENIs (9 pods each), 20 addresses, not the 30 of
	// its own 29 pods; a t3.medium node takes 18.
	if fewest.MaxPods() != 17 || widest.MaxPods() != 17 || widest.Addresses() != 20 {
		t.Errorf("group max pods %d and %d, c5.large takes %d addresses; want 17, 17 and 20",
			fewest.MaxPods(), widest.MaxPods(), widest.Addresses())
	}
	// The order of the names does not matter...
	if f, w, err := NodeGroupTypes([]string{"t3.medium", "c5.large"}); err != nil || f.Name != "t3.medium" || w.Name != "c5.large" {
		t.Errorf("t3.medium first: fewest pods %s, most addresses %s, %v; want t3.medium and c5.large", f.Name, w.Name, err)
	}
	// ...except between equals, where the first named is the one shown.
	if f, w, err := NodeGroupTypes([]string{"t3.medium", "t4g.medium"}); err != nil || f.Name != "t3.medium" || w.Name != "t3.medium" {
		t.Errorf("t3.medium and t4g.medium (17 pods, 18 addresses each): %s and %s, %v; want t3.medium for both", f.Name, w.Name, err)
	}
	if f, w, err := NodeGroupTypes([]string{"t3.medium", "t3.mediumm"}); err == nil || f.Name != "t3.mediumm" || w.Name != "t3.mediumm" {
		t.Errorf("an unknown type: %s, %s, %v; want its name and an error", f.Name, w.Name, err)
	}
}
