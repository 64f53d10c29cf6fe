// Package subnetplan is the lab's subnet arithmetic: which CIDR each public and
// private subnet gets inside the VPC, and how many NAT gateways the private
// subnets route through. It is pure so that config validation, the network
// component and `lab plan` all compute the same layout.
package subnetplan

import (
	"fmt"
	"net/netip"
)

// AWSReservedPerSubnet is how many addresses AWS keeps in every subnet (network,
// VPC router, DNS, future use, broadcast).
const AWSReservedPerSubnet = 5

// NatMode says how private subnets reach the internet.
type NatMode string

// NAT gateway modes. "none" is the study's layout (nodes in public subnets)
// and bills nothing; "single" is one NAT for all AZs; "per-az" survives an AZ outage.
const (
	NatNone   NatMode = "none"
	NatSingle NatMode = "single"
	NatPerAZ  NatMode = "per-az"
)

// Gateways is how many NAT gateways the mode creates for zones AZs: none
// (also for ""), one in the first AZ, or one per AZ.
func (m NatMode) Gateways(zones int) int {
	return map[NatMode]int{"": 0, NatNone: 0, NatSingle: 1, NatPerAZ: zones}[m]
}

// Layout is one subnet per AZ per tier, index i in both slices is AZ i.
type Layout struct {
	Public  []netip.Prefix
	Private []netip.Prefix
}

// Plan carves azCount public then azCount private subnets of /prefixLen from
// the start of vpc, in order.
func Plan(vpc netip.Prefix, azCount, prefixLen int) (Layout, error) {
	if !vpc.Addr().Is4() {
		return Layout{}, fmt.Errorf("VPC CIDR %s is not IPv4", vpc)
	}
	if prefixLen < vpc.Bits() || prefixLen > 28 {
		return Layout{}, fmt.Errorf("subnet prefix /%d must be between the VPC's /%d and /28", prefixLen, vpc.Bits())
	}
	need := 2 * azCount
	if available := 1 << (prefixLen - vpc.Bits()); need > available {
		return Layout{}, fmt.Errorf("VPC %s holds %d subnets of /%d, the lab needs %d (public and private in %d AZs)",
			vpc, available, prefixLen, need, azCount)
	}
	var l Layout
	for i := 0; i < need; i++ {
		p := nth(vpc.Masked(), prefixLen, i)
		if i < azCount {
			l.Public = append(l.Public, p)
		} else {
			l.Private = append(l.Private, p)
		}
	}
	return l, nil
}

// nth is the i-th block of /bits counted from base.
func nth(base netip.Prefix, bits, i int) netip.Prefix {
	a := base.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(i) << (32 - bits)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
}

// Check reports the first subnet outside vpc or overlapping another.
func Check(vpc netip.Prefix, subnets []netip.Prefix) error {
	for i, s := range subnets {
		if s.Bits() < vpc.Bits() || !vpc.Contains(s.Addr()) {
			return fmt.Errorf("subnet %s is not inside the VPC %s", s, vpc)
		}
		for _, t := range subnets[:i] {
			if s.Overlaps(t) {
				return fmt.Errorf("subnets %s and %s overlap", t, s)
			}
		}
	}
	return nil
}

// UsableAddresses is how many addresses pods and nodes can get in p.
func UsableAddresses(p netip.Prefix) int {
	return 1<<(32-p.Bits()) - AWSReservedPerSubnet
}
