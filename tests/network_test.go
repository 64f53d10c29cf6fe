package tests

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/network"
	"github.com/eks-study/lab/components/network/subnetplan"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
)

// The network component on its own, under the mock engine, with the
// explicit aws provider the program gives it: what it makes of its Args for
// layouts and NAT modes the repository's stacks do not use.

// deployNetwork runs network.NewNetwork as the program does.
func deployNetwork(t *testing.T, args network.NetworkArgs) (*offline.Plan, error) {
	t.Helper()
	return mock.RunProgram("test", nil, func(ctx *pulumi.Context) error {
		awsProv, _, err := mock.Providers(ctx)
		if err != nil {
			return err
		}
		_, err = network.NewNetwork(ctx, "lab", &args, pulumi.Provider(awsProv))
		return err
	})
}

// networkArgs is a network of zones AZs carved from 10.0.0.0/16 in /20s.
func networkArgs(t *testing.T, zones int, nat subnetplan.NatMode) network.NetworkArgs {
	t.Helper()
	layout, err := subnetplan.Plan(netip.MustParsePrefix("10.0.0.0/16"), zones, 20)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range zones {
		names = append(names, fmt.Sprintf("us-east-1%c", 'a'+i))
	}
	return network.NetworkArgs{VpcCidr: "10.0.0.0/16", Zones: names, Subnets: layout, NatGateways: nat, ClusterName: "study"}
}

// Each zone gets the public and the private subnet of its place in the
// layout, in its own AZ, tagged for the load balancer controller (role/elb
// for internet-facing, role/internal-elb for internal load balancers) and
// shared with the cluster; each is associated with its tier's route table.
func TestNetworkGivesEachZoneItsSubnetPairAndELBTags(t *testing.T) {
	t.Parallel()
	args := networkArgs(t, 5, subnetplan.NatNone)
	p, err := deployNetwork(t, args)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.OfType(tSubnet)); n != 10 {
		t.Fatalf("%d subnets for 5 zones, want 10", n)
	}
	for i, zone := range args.Zones {
		for _, tier := range []struct {
			name, role, cidr, routeTable string
			public                       bool
		}{
			{"public", "kubernetes.io/role/elb", args.Subnets.Public[i].String(), "lab-public", true},
			{"private", "kubernetes.io/role/internal-elb", args.Subnets.Private[i].String(), "lab-private-" + zone, false},
		} {
			name := "lab-" + tier.name + "-" + zone
			s := must(t, p, tSubnet, name)
			expectEqual(t, name+" CIDR", str(s.Inputs, "cidrBlock"), tier.cidr)
			expectEqual(t, name+" AZ", str(s.Inputs, "availabilityZone"), zone)
			expectEqual(t, name+" public IPs", offline.Get(s.Inputs, "mapPublicIpOnLaunch") == true, tier.public)
			tags, _ := offline.Get(s.Inputs, "tags").(map[string]any)
			expectEqual(t, name+" tags", fmt.Sprint(tags), fmt.Sprint(map[string]any{
				tier.role: "1", "kubernetes.io/cluster/study": "shared", "Name": name,
			}))
			assoc := must(t, p, "aws:ec2/routeTableAssociation:RouteTableAssociation", name)
			expectEqual(t, name+" route table", str(assoc.Inputs, "routeTableId"), tier.routeTable+"-id")
			expectEqual(t, name+" association's subnet", str(assoc.Inputs, "subnetId"), name+"-id")
		}
	}
	for _, r := range p.Resources {
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") && !strings.Contains(r.Provider, "pulumi:providers:aws::aws::") {
			t.Errorf("%s %s uses provider %q, not the explicit aws provider", r.Type, r.Name, r.Provider)
		}
	}
}

// NAT modes: none (or unset) bills nothing and gives private subnets no
// default route; single puts one NAT gateway in the first zone's public
// subnet for every zone; per-az gives each zone its own, in its own public
// subnet. Every NAT gateway has its Elastic IP and waits for the internet
// gateway.
func TestNetworkNATModes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode subnetplan.NatMode
		nats int
	}{{"", 0}, {subnetplan.NatNone, 0}, {subnetplan.NatSingle, 1}, {subnetplan.NatPerAZ, 4}} {
		args := networkArgs(t, 4, tc.mode)
		p, err := deployNetwork(t, args)
		if err != nil {
			t.Fatal(err)
		}
		nats, eips := p.OfType(tNat), p.OfType(tEip)
		if len(nats) != tc.nats || len(eips) != tc.nats {
			t.Errorf("%q: %d NAT gateways and %d EIPs, want %d of each", tc.mode, len(nats), len(eips), tc.nats)
			continue
		}
		igw := must(t, p, "aws:ec2/internetGateway:InternetGateway", "lab")
		for _, nat := range nats {
			zone := strings.TrimPrefix(nat.Name, "lab-nat-")
			expectEqual(t, nat.Name+" subnet", str(nat.Inputs, "subnetId"), "lab-public-"+zone+"-id")
			expectEqual(t, nat.Name+" EIP", str(nat.Inputs, "allocationId"), nat.Name+"-id")
			if !p.DependsOn(nat.URN, igw.URN) {
				t.Errorf("%q: %s does not wait for the internet gateway", tc.mode, nat.Name)
			}
		}
		for i, zone := range args.Zones {
			rt := must(t, p, tRouteTable, "lab-private-"+zone)
			routes, _ := offline.Get(rt.Inputs, "routes").([]any)
			want := ""
			switch tc.mode {
			case subnetplan.NatSingle:
				want = "lab-nat-" + args.Zones[0] + "-id"
			case subnetplan.NatPerAZ:
				want = "lab-nat-" + args.Zones[i] + "-id"
			}
			if want == "" {
				if len(routes) != 0 {
					t.Errorf("%q: private route table of %s has routes %v, want none", tc.mode, zone, routes)
				}
				continue
			}
			expectEqual(t, fmt.Sprintf("%q: %s default route", tc.mode, zone), str(rt.Inputs, "routes.0.cidrBlock"), "0.0.0.0/0")
			expectEqual(t, fmt.Sprintf("%q: %s NAT", tc.mode, zone), str(rt.Inputs, "routes.0.natGatewayId"), want)
		}
	}
}

// Args that cannot make a network are refused before anything is
// registered: a missing CIDR, cluster name or zone, or a layout whose
// subnets do not match the zones.
func TestNetworkRefusesArgsThatDoNotFit(t *testing.T) {
	t.Parallel()
	good := networkArgs(t, 3, subnetplan.NatNone)
	for name, tc := range map[string]struct {
		change func(*network.NetworkArgs)
		want   string
	}{
		"no VPC CIDR":           {func(a *network.NetworkArgs) { a.VpcCidr = "" }, "VpcCidr, Zones and ClusterName are required"},
		"no cluster name":       {func(a *network.NetworkArgs) { a.ClusterName = "" }, "VpcCidr, Zones and ClusterName are required"},
		"no zones":              {func(a *network.NetworkArgs) { a.Zones = nil }, "VpcCidr, Zones and ClusterName are required"},
		"a zone more":           {func(a *network.NetworkArgs) { a.Zones = append(a.Zones, "us-east-1d") }, "4 zones for 3 public and 3 private subnets"},
		"a private subnet less": {func(a *network.NetworkArgs) { a.Subnets.Private = a.Subnets.Private[:2] }, "3 zones for 3 public and 2 private subnets"},
	} {
		args := good
		args.Zones = append([]string{}, good.Zones...)
		args.Subnets = subnetplan.Layout{Public: append(good.Subnets.Public[:0:0], good.Subnets.Public...), Private: append(good.Subnets.Private[:0:0], good.Subnets.Private...)}
		tc.change(&args)
		p, err := deployNetwork(t, args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", name, err, tc.want)
		}
		if len(p.OfType(tSubnet)) != 0 || len(p.OfType(tVpc)) != 0 {
			t.Errorf("%s: the VPC or subnets were registered before the refusal", name)
		}
	}
}
