package subnetplan

import (
	"net/netip"
	"testing"
)

func TestPlanStudyVPC(t *testing.T) {
	l, err := Plan(netip.MustParsePrefix("192.168.0.0/16"), 3, 22)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"192.168.0.0/22", "192.168.4.0/22", "192.168.8.0/22", "192.168.12.0/22", "192.168.16.0/22", "192.168.20.0/22"}
	got := append(append([]netip.Prefix{}, l.Public...), l.Private...)
	for i, w := range want {
		if got[i].String() != w {
			t.Errorf("subnet %d = %s, want %s", i, got[i], w)
		}
	}
	if err := Check(netip.MustParsePrefix("192.168.0.0/16"), got); err != nil {
		t.Errorf("planned subnets fail the check: %v", err)
	}
}

// Every planned layout stays inside the VPC and never overlaps, whatever the sizes.
func TestPlanInsideAndDisjoint(t *testing.T) {
	for _, vpc := range []string{"10.0.0.0/16", "172.31.128.0/17", "192.168.0.0/19", "10.1.2.0/24"} {
		v := netip.MustParsePrefix(vpc)
		for az := 2; az <= 6; az++ {
			for bits := v.Bits(); bits <= 28; bits++ {
				l, err := Plan(v, az, bits)
				if err != nil {
					continue
				}
				all := append(append([]netip.Prefix{}, l.Public...), l.Private...)
				if len(l.Public) != az || len(l.Private) != az {
					t.Fatalf("%s az=%d /%d: %d public, %d private", vpc, az, bits, len(l.Public), len(l.Private))
				}
				if err := Check(v, all); err != nil {
					t.Fatalf("%s az=%d /%d: %v", vpc, az, bits, err)
				}
			}
		}
	}
}

func TestPlanTooSmall(t *testing.T) {
	if _, err := Plan(netip.MustParsePrefix("192.168.0.0/20"), 3, 22); err == nil {
		t.Fatal("a /20 cannot hold six /22 subnets")
	}
	if _, err := Plan(netip.MustParsePrefix("192.168.0.0/16"), 3, 29); err == nil {
		t.Fatal("AWS subnets are at most /28")
	}
}

func TestCheck(t *testing.T) {
	vpc := netip.MustParsePrefix("192.168.0.0/16")
	if err := Check(vpc, []netip.Prefix{netip.MustParsePrefix("192.168.0.0/22"), netip.MustParsePrefix("192.168.2.0/24")}); err == nil {
		t.Error("overlap not found")
	}
	if err := Check(vpc, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/22")}); err == nil {
		t.Error("outside subnet not found")
	}
	if err := Check(vpc, []netip.Prefix{netip.MustParsePrefix("192.168.0.0/15")}); err == nil {
		t.Error("a subnet larger than the VPC is not inside it")
	}
}

func TestUsableAddresses(t *testing.T) {
	if got := UsableAddresses(netip.MustParsePrefix("192.168.0.0/22")); got != 1019 {
		t.Errorf("/22 usable = %d, want 1019", got)
	}
	if got := UsableAddresses(netip.MustParsePrefix("192.168.0.0/24")); got != 251 {
		t.Errorf("/24 usable = %d, want 251", got)
	}
}
