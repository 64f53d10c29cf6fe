package subnetplan

import (
	"net/netip"
	"strings"
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

// Every layout that fits is planned, inside the VPC and without overlaps;
// every layout that does not fit is refused. A layout fits when 2 x az
// subnets of /bits fit in the VPC and bits is at most /28, AWS's smallest
// subnet.
func TestPlanInsideAndDisjoint(t *testing.T) {
	planned := 0
	for _, vpc := range []string{"10.0.0.0/16", "172.31.128.0/17", "192.168.0.0/19", "10.1.2.0/24", "10.1.2.0/26"} {
		v := netip.MustParsePrefix(vpc)
		for az := 2; az <= 6; az++ {
			for bits := v.Bits(); bits <= 30; bits++ {
				fits := bits <= 28 && 2*az <= 1<<(bits-v.Bits())
				l, err := Plan(v, az, bits)
				if !fits {
					if err == nil {
						t.Errorf("%s az=%d /%d planned, but it does not fit", vpc, az, bits)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s az=%d /%d refused, but it fits: %v", vpc, az, bits, err)
					continue
				}
				planned++
				all := append(append([]netip.Prefix{}, l.Public...), l.Private...)
				if len(l.Public) != az || len(l.Private) != az {
					t.Fatalf("%s az=%d /%d: %d public, %d private", vpc, az, bits, len(l.Public), len(l.Private))
				}
				for _, s := range all {
					if s.Bits() != bits {
						t.Errorf("%s az=%d /%d: subnet %s", vpc, az, bits, s)
					}
				}
				if err := Check(v, all); err != nil {
					t.Fatalf("%s az=%d /%d: %v", vpc, az, bits, err)
				}
			}
		}
	}
	if planned == 0 {
		t.Fatal("no layout planned")
	}
}

// /28 is the smallest subnet AWS takes, and the lab plans it.
func TestPlanSmallestSubnets(t *testing.T) {
	l, err := Plan(netip.MustParsePrefix("10.1.2.0/24"), 2, 28)
	if err != nil {
		t.Fatalf("/28 subnets refused: %v", err)
	}
	if got := l.Private[1].String(); got != "10.1.2.48/28" {
		t.Errorf("last private /28 = %s, want 10.1.2.48/28", got)
	}
	if got := UsableAddresses(l.Public[0]); got != 11 {
		t.Errorf("/28 usable = %d, want 11", got)
	}
}

func TestPlanTooSmall(t *testing.T) {
	if _, err := Plan(netip.MustParsePrefix("192.168.0.0/20"), 3, 22); err == nil {
		t.Fatal("a /20 cannot hold six /22 subnets")
	}
	// A subnet as large as its VPC is a size AWS takes: what is wrong is that
	// six of them do not fit, and the error says so.
	if _, err := Plan(netip.MustParsePrefix("10.1.2.0/24"), 3, 24); err == nil || !strings.Contains(err.Error(), "holds 1 subnets of /24, the lab needs 6") {
		t.Errorf("six /24 subnets in a /24 VPC: error %v, want that it holds 1 and the lab needs 6", err)
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
	// AWS takes a subnet with the VPC's own CIDR.
	if err := Check(vpc, []netip.Prefix{vpc}); err != nil {
		t.Errorf("a subnet as large as the VPC: %v", err)
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

func TestNatGateways(t *testing.T) {
	for _, c := range []struct {
		mode  NatMode
		zones int
		want  int
	}{{"", 3, 0}, {NatNone, 3, 0}, {NatSingle, 3, 1}, {NatPerAZ, 3, 3}, {NatPerAZ, 6, 6}} {
		if got := c.mode.Gateways(c.zones); got != c.want {
			t.Errorf("%q with %d AZs: %d NAT gateways, want %d", c.mode, c.zones, got, c.want)
		}
	}
}
