// Package network builds the lab's VPC: public and private subnets per AZ
// (the layout comes from subnetplan), an internet gateway, optional NAT
// gateways, and the subnet tags the AWS Load Balancer Controller discovers.
package network

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/network/subnetplan"
)

// NetworkArgs configures the VPC.
type NetworkArgs struct {
	// VpcCidr is the VPC's IPv4 CIDR, e.g. 192.168.0.0/16. Required.
	VpcCidr string
	// Zones are the AZ names, one per public/private subnet pair. Required.
	Zones []string
	// Subnets is the layout; Public[i] and Private[i] are in Zones[i]. Required.
	Subnets subnetplan.Layout
	// NatGateways is none, single or per-az. Default none.
	NatGateways subnetplan.NatMode
	// ClusterName goes in the kubernetes.io/cluster/<name> subnet tag. Required.
	ClusterName string
	// Paused registers no NAT gateway and no elastic IP, and leaves the
	// private route tables' routes as they are: deleting the NAT turns its
	// route into a blackhole (AWS VPC User Guide, "NAT gateways"), and an
	// update removing it would run before the cleanups, cutting the
	// controllers' egress while they still delete load balancers (updates
	// run before deletes). Default false.
	Paused bool
}

// Network is the lab VPC.
type Network struct {
	pulumi.ResourceState

	VpcID            pulumi.StringOutput      // the VPC
	PublicSubnetIDs  pulumi.StringArrayOutput // one per AZ, in Zones order; map public IPs
	PrivateSubnetIDs pulumi.StringArrayOutput // one per AZ, in Zones order
	NatGatewayCount  int                      // how many NAT gateways bill
	// NatGateways and PrivateRouteTables are what private nodes need before
	// they boot (egress to ECR and the AWS APIs); none while paused.
	NatGateways        []pulumi.Resource
	PrivateRouteTables []pulumi.Resource
}

// NewNetwork registers the VPC and everything in it.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil || args.VpcCidr == "" || args.ClusterName == "" || len(args.Zones) == 0 {
		return nil, fmt.Errorf("network %s: VpcCidr, Zones and ClusterName are required", name)
	}
	if len(args.Zones) != len(args.Subnets.Public) || len(args.Zones) != len(args.Subnets.Private) {
		return nil, fmt.Errorf("network %s: %d zones for %d public and %d private subnets", name, len(args.Zones), len(args.Subnets.Public), len(args.Subnets.Private))
	}
	n := &Network{}
	if err := ctx.RegisterComponentResource("eks-lab:network:Network", name, n, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(n)

	vpc, err := ec2.NewVpc(ctx, name, &ec2.VpcArgs{
		CidrBlock: pulumi.String(args.VpcCidr),
		// EKS nodes and the private API endpoint need VPC DNS.
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               nameTag(name),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network %s: vpc: %w", name, err)
	}
	igw, err := ec2.NewInternetGateway(ctx, name, &ec2.InternetGatewayArgs{VpcId: vpc.ID(), Tags: nameTag(name)}, parent)
	if err != nil {
		return nil, fmt.Errorf("network %s: internet gateway: %w", name, err)
	}
	publicRoutes, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId:  vpc.ID(),
		Routes: ec2.RouteTableRouteArray{&ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID()}},
		Tags:   nameTag(name + "-public"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network %s: public route table: %w", name, err)
	}

	var publicIDs, privateIDs pulumi.StringArray
	var publicSubnets []*ec2.Subnet
	for i, zone := range args.Zones {
		s, err := newSubnet(ctx, name, zone, args.Subnets.Public[i].String(), args.ClusterName, true, vpc.ID(), publicRoutes.ID(), parent)
		if err != nil {
			return nil, err
		}
		publicSubnets = append(publicSubnets, s)
		publicIDs = append(publicIDs, s.ID())
	}

	var nats []*ec2.NatGateway
	if !args.Paused {
		if nats, err = natGateways(ctx, name, args, publicSubnets, parent, pulumi.DependsOn([]pulumi.Resource{igw})); err != nil {
			return nil, err
		}
	}
	routeOpts := []pulumi.ResourceOption{parent}
	if args.Paused && args.NatGateways.Gateways(len(args.Zones)) > 0 {
		routeOpts = append(routeOpts, pulumi.IgnoreChanges([]string{"routes"}))
	}
	for i, zone := range args.Zones {
		rtName := fmt.Sprintf("%s-private-%s", name, zone)
		rtArgs := &ec2.RouteTableArgs{VpcId: vpc.ID(), Tags: nameTag(rtName)}
		if len(nats) > 0 {
			nat := nats[i%len(nats)] // per-az: its own; single: the one
			rtArgs.Routes = ec2.RouteTableRouteArray{&ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat.ID()}}
		}
		rt, err := ec2.NewRouteTable(ctx, rtName, rtArgs, routeOpts...)
		if err != nil {
			return nil, fmt.Errorf("network %s: route table %s: %w", name, rtName, err)
		}
		if len(nats) > 0 {
			n.PrivateRouteTables = append(n.PrivateRouteTables, rt)
		}
		s, err := newSubnet(ctx, name, zone, args.Subnets.Private[i].String(), args.ClusterName, false, vpc.ID(), rt.ID(), parent)
		if err != nil {
			return nil, err
		}
		privateIDs = append(privateIDs, s.ID())
	}

	n.VpcID = vpc.ID().ToStringOutput()
	n.PublicSubnetIDs = publicIDs.ToStringArrayOutput()
	n.PrivateSubnetIDs = privateIDs.ToStringArrayOutput()
	n.NatGatewayCount = len(nats)
	for _, nat := range nats {
		n.NatGateways = append(n.NatGateways, nat)
	}
	return n, ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId": n.VpcID, "publicSubnetIds": n.PublicSubnetIDs, "privateSubnetIds": n.PrivateSubnetIDs,
	})
}

// newSubnet registers one public or private subnet in a zone and associates
// its route table. The load balancer controller places internet-facing
// NLBs/ALBs in subnets tagged role/elb and internal ones in role/internal-elb.
func newSubnet(ctx *pulumi.Context, name, zone, cidr, clusterName string, public bool,
	vpcID, routeTableID pulumi.IDOutput, opts ...pulumi.ResourceOption) (*ec2.Subnet, error) {
	tier, role := "private", "kubernetes.io/role/internal-elb"
	if public {
		tier, role = "public", "kubernetes.io/role/elb"
	}
	subnetName := fmt.Sprintf("%s-%s-%s", name, tier, zone)
	tags := pulumi.StringMap{role: pulumi.String("1"), "kubernetes.io/cluster/" + clusterName: pulumi.String("shared")}
	tags["Name"] = pulumi.String(subnetName)
	s, err := ec2.NewSubnet(ctx, subnetName, &ec2.SubnetArgs{
		VpcId:               vpcID,
		CidrBlock:           pulumi.String(cidr),
		AvailabilityZone:    pulumi.String(zone),
		MapPublicIpOnLaunch: pulumi.Bool(public), // nodes and the bastion in public subnets get a public IPv4
		Tags:                tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("network %s: subnet %s: %w", name, subnetName, err)
	}
	if _, err := ec2.NewRouteTableAssociation(ctx, subnetName, &ec2.RouteTableAssociationArgs{
		SubnetId: s.ID(), RouteTableId: routeTableID,
	}, opts...); err != nil {
		return nil, fmt.Errorf("network %s: route table association %s: %w", name, subnetName, err)
	}
	return s, nil
}

// natGateways creates none, one (in the first AZ) or one per AZ, each with an Elastic IP.
func natGateways(ctx *pulumi.Context, name string, args *NetworkArgs, public []*ec2.Subnet, opts ...pulumi.ResourceOption) ([]*ec2.NatGateway, error) {
	var nats []*ec2.NatGateway
	for i := range args.NatGateways.Gateways(len(args.Zones)) {
		natName := fmt.Sprintf("%s-nat-%s", name, args.Zones[i])
		eip, err := ec2.NewEip(ctx, natName, &ec2.EipArgs{Domain: pulumi.String("vpc"), Tags: nameTag(natName)}, opts...)
		if err != nil {
			return nil, fmt.Errorf("network %s: elastic ip %s: %w", name, natName, err)
		}
		nat, err := ec2.NewNatGateway(ctx, natName, &ec2.NatGatewayArgs{
			AllocationId: eip.ID(), SubnetId: public[i].ID(), Tags: nameTag(natName),
		}, opts...)
		if err != nil {
			return nil, fmt.Errorf("network %s: nat gateway %s: %w", name, natName, err)
		}
		nats = append(nats, nat)
	}
	return nats, nil
}

func nameTag(name string) pulumi.StringMap {
	return pulumi.StringMap{"Name": pulumi.String(name)}
}
