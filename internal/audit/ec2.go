package audit

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

func ec2Tags(tags []ec2types.Tag) map[string]string {
	return tagMap(tags, func(t ec2types.Tag) (*string, *string) { return t.Key, t.Value })
}

// labTagFilters select what carries the stack's tags.
func (a *auditor) labTagFilters() []ec2types.Filter {
	return []ec2types.Filter{filter("tag:project", a.o.Project), filter("tag:stack", a.o.Stack)}
}

// labVPCs returns the IDs of the stack's VPCs still in the account.
func (a *auditor) labVPCs(ctx context.Context) ([]string, error) {
	var ids []string
	p := ec2.NewDescribeVpcsPaginator(a.c.EC2, &ec2.DescribeVpcsInput{Filters: a.labTagFilters()})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Vpcs {
			ids = append(ids, aws.ToString(v.VpcId))
		}
	}
	return ids, nil
}

// natGateways finds the NAT gateways in the lab's VPC, tagged or not; each
// bills by the hour and holds an elastic IP. AWS lists a deleted one (state
// "deleted", or "failed") for about an hour; one "deleting" is pending. It
// notes the elastic IPs of all of them, deleted ones too, for elasticIPs:
// an elastic IP outlives its NAT gateway and bills until it is released.
func (a *auditor) natGateways(ctx context.Context) ([]Leftover, error) {
	a.natErr = a.vpcsErr
	if len(a.vpcs) == 0 {
		return a.byVPC(nil)
	}
	in := &ec2.DescribeNatGatewaysInput{Filter: []ec2types.Filter{filter("vpc-id", a.vpcs...)}}
	var out []Leftover
	p := ec2.NewDescribeNatGatewaysPaginator(a.c.EC2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			a.natErr = err
			return out, err
		}
		for _, n := range page.NatGateways {
			if !a.claim(ec2Tags(n.Tags), aws.ToString(n.VpcId)) {
				continue
			}
			for _, addr := range n.NatGatewayAddresses {
				if id := aws.ToString(addr.AllocationId); id != "" {
					a.natEIPs[id] = fmt.Sprintf("held by NAT gateway %s (%s)", aws.ToString(n.NatGatewayId), n.State)
				}
			}
			switch l := a.natLeftover(n); n.State {
			case ec2types.NatGatewayStateDeleting:
				a.pending(l, "AWS is deleting it (a few minutes)")
			case ec2types.NatGatewayStatePending, ec2types.NatGatewayStateAvailable:
				out = append(out, l)
			}
		}
	}
	return out, nil
}

func (a *auditor) natLeftover(n ec2types.NatGateway) Leftover {
	id := aws.ToString(n.NatGatewayId)
	var ips []string
	for _, addr := range n.NatGatewayAddresses {
		ips = append(ips, aws.ToString(addr.PublicIp))
	}
	return Leftover{
		Kind:   "NAT gateway",
		ID:     id,
		Detail: fmt.Sprintf("%s in %s, public IP %s", n.State, aws.ToString(n.SubnetId), strings.Join(ips, " ")),
		Delete: a.cmd("ec2", "delete-nat-gateway", "--nat-gateway-id", id),
	}
}

// pending reports l as a resource AWS is deleting: why says what it does
// and when.
func (a *auditor) pending(l Leftover, why string) {
	k := resourceKey(l.ID)
	if a.seen[k] {
		return
	}
	a.seen[k] = true
	l.Detail = join(l.Detail, why)
	l.Delete = ""
	a.rep.Pending = append(a.rep.Pending, l)
}

// networkInterfaces finds the ENIs in the lab's VPC that nothing uses. The
// VPC CNI creates ENIs for pods (description "aws-K8S-<instance>", no lab
// tags: amazon-vpc-cni-k8s v1.23.0 pkg/awsutils/awsutils.go) and can leave
// them "available" when a node goes away; each blocks its subnet's deletion.
// ENIs in use belong to a load balancer, NAT gateway or instance, reported
// with their owner.
func (a *auditor) networkInterfaces(ctx context.Context) ([]Leftover, error) {
	if len(a.vpcs) == 0 {
		return a.byVPC(nil)
	}
	in := &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{
		filter("vpc-id", a.vpcs...), filter("status", "available"),
	}}
	var out []Leftover
	p := ec2.NewDescribeNetworkInterfacesPaginator(a.c.EC2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, n := range page.NetworkInterfaces {
			if a.claim(ec2Tags(n.TagSet), aws.ToString(n.VpcId)) {
				out = append(out, a.eniLeftover(n))
			}
		}
	}
	return out, nil
}

func (a *auditor) eniLeftover(n ec2types.NetworkInterface) Leftover {
	id, desc := aws.ToString(n.NetworkInterfaceId), aws.ToString(n.Description)
	var who string
	if node, ok := strings.CutPrefix(desc, "aws-K8S-"); ok {
		who = "left by the VPC CNI of node " + node
	} else if desc != "" {
		who = fmt.Sprintf("%q", desc)
	}
	return Leftover{
		Kind:   "network interface",
		ID:     id,
		Detail: join(fmt.Sprintf("%s in %s, %s", n.Status, aws.ToString(n.SubnetId), aws.ToString(n.PrivateIpAddress)), who),
		Delete: a.cmd("ec2", "delete-network-interface", "--network-interface-id", id),
	}
}

// instances finds the instances running in the lab's VPC, for a paused lab,
// which runs none: the pause deletes the node group and stops the bastion.
// One stopping or shutting down is pending.
func (a *auditor) instances(ctx context.Context) ([]Leftover, error) {
	if len(a.vpcs) == 0 {
		return a.byVPC(nil)
	}
	in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		filter("vpc-id", a.vpcs...), filter("instance-state-name", "pending", "running", "stopping", "shutting-down"),
	}}
	var out []Leftover
	p := ec2.NewDescribeInstancesPaginator(a.c.EC2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				if !a.claim(ec2Tags(i.Tags), aws.ToString(i.VpcId)) {
					continue
				}
				switch l := a.instanceLeftover(i); i.State.Name {
				case ec2types.InstanceStateNameStopping, ec2types.InstanceStateNameShuttingDown:
					a.pending(l, "AWS is stopping it (a few minutes)")
				default:
					out = append(out, l)
				}
			}
		}
	}
	return out, nil
}

// instanceLeftover is a running instance of a paused lab: a node of a node
// group the pause did not delete, which goes with its group, or another
// (the bastion), which stops.
func (a *auditor) instanceLeftover(i ec2types.Instance) Leftover {
	id, tags := aws.ToString(i.InstanceId), ec2Tags(i.Tags)
	l := Leftover{Kind: "instance", ID: id, Detail: fmt.Sprintf("%s %s in %s", i.State.Name, i.InstanceType, aws.ToString(i.SubnetId))}
	// EKS tags a managed node group's instances with its name.
	if group := tags["eks:nodegroup-name"]; group != "" {
		l.Detail = join(l.Detail, "a node of node group "+group+", which a paused lab does not have")
		l.Delete = a.cmd("eks", "delete-nodegroup", "--cluster-name", a.o.ClusterName, "--nodegroup-name", group)
		return l
	}
	if name := tags["Name"]; name != "" {
		l.Detail = join(l.Detail, "named "+name)
	}
	l.Delete = a.cmd("ec2", "stop-instances", "--instance-ids", id)
	return l
}

// securityGroups finds the security groups tagged with the stack (the
// controller's managed k8s-<namespace>-<name>-<hash> groups and its backend
// group k8s-traffic-<cluster>-<hash>, which it tags with the lab's tags:
// v2.17.1 pkg/service/model_build_managed_sg.go,
// pkg/networking/backend_sg_provider.go; a Gateway's, the same way, v3.5.0
// pkg/gateway/model/model_build_security_group.go) and any other group in the lab's
// VPC but its default one, which goes with the VPC: the in-tree provider's
// k8s-elb-<load balancer> groups carry only the cluster's name.
func (a *auditor) securityGroups(ctx context.Context) ([]Leftover, error) {
	queries := [][]ec2types.Filter{a.labTagFilters()}
	if len(a.vpcs) > 0 {
		queries = append(queries, []ec2types.Filter{filter("vpc-id", a.vpcs...)})
	}
	var out []Leftover
	found := map[string]bool{}
	for _, filters := range queries {
		p := ec2.NewDescribeSecurityGroupsPaginator(a.c.EC2, &ec2.DescribeSecurityGroupsInput{Filters: filters})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return out, err
			}
			for _, sg := range page.SecurityGroups {
				id := aws.ToString(sg.GroupId)
				if found[id] || aws.ToString(sg.GroupName) == "default" || !a.claim(ec2Tags(sg.Tags), aws.ToString(sg.VpcId)) {
					continue
				}
				found[id] = true
				out = append(out, a.sgLeftover(sg))
			}
		}
	}
	return a.byVPC(out)
}

func (a *auditor) sgLeftover(sg ec2types.SecurityGroup) Leftover {
	id, name := aws.ToString(sg.GroupId), aws.ToString(sg.GroupName)
	who := madeFor(ec2Tags(sg.Tags))
	if lb, ok := strings.CutPrefix(name, "k8s-elb-"); ok && who == "" {
		// cloud-provider-aws v1.34.3 pkg/providers/v1/aws.go: "k8s-elb-" + loadBalancerName
		who = "made by the in-tree cloud provider for the classic ELB " + lb
	}
	return Leftover{
		Kind:   "security group",
		ID:     id,
		Detail: join(name+" in "+aws.ToString(sg.VpcId), who),
		Delete: a.cmd("ec2", "delete-security-group", "--group-id", id),
	}
}

// elasticIPs finds the stack's elastic IPs and those of the NAT gateways
// in the lab's VPC (natGateways ran first), tagged or not: an elastic IP
// bills by the hour until it is released, attached or not.
func (a *auditor) elasticIPs(ctx context.Context) ([]Leftover, error) {
	queries := [][]ec2types.Filter{a.labTagFilters()}
	if len(a.natEIPs) > 0 {
		queries = append(queries, []ec2types.Filter{filter("allocation-id", slices.Sorted(maps.Keys(a.natEIPs))...)})
	}
	var found []Leftover
	seen := map[string]bool{}
	for _, filters := range queries {
		out, err := a.c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: filters})
		if err != nil {
			return found, err
		}
		for _, addr := range out.Addresses {
			id := aws.ToString(addr.AllocationId)
			if seen[id] || a.taggedStack(ec2Tags(addr.Tags)) != "" && a.taggedStack(ec2Tags(addr.Tags)) != a.o.Stack {
				continue
			}
			seen[id] = true
			found = append(found, a.eipLeftover(addr))
		}
	}
	if a.natErr != nil {
		return found, fmt.Errorf("the NAT gateways in the lab's VPC could not be listed, so their untagged elastic IPs were not looked for: %w", a.natErr)
	}
	return found, nil
}

func (a *auditor) eipLeftover(addr ec2types.Address) Leftover {
	id := aws.ToString(addr.AllocationId)
	attached := "not attached"
	if eni := aws.ToString(addr.NetworkInterfaceId); eni != "" {
		attached = "attached to " + eni
	}
	return Leftover{
		Kind:   "elastic IP",
		ID:     id,
		Detail: join(aws.ToString(addr.PublicIp)+", "+attached, a.natEIPs[id]),
		Delete: a.cmd("ec2", "release-address", "--allocation-id", id),
	}
}

// ec2Resource confirms a tagging API hit of an EC2 resource with its describe
// call (filtered by ID, so a deleted one is an empty answer, not an error).
func (a *auditor) ec2Resource(ctx context.Context, typ, id string) (verdict, error) {
	byID := func(name string) []ec2types.Filter { return []ec2types.Filter{filter(name, id)} }
	tagged := func(kind string, op string, args ...string) verdict {
		return left(Leftover{Kind: kind, ID: id, Delete: a.cmd("ec2", op, args...)})
	}
	gone := verdict{gone: "deleted"}
	switch typ {
	case "instance":
		out, err := a.c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: byID("instance-id")})
		if err != nil {
			return verdict{}, err
		}
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				if i.State == nil || i.State.Name == ec2types.InstanceStateNameTerminated {
					continue
				}
				v := tagged("instance", "terminate-instances", "--instance-ids", id)
				v.left.Detail = string(i.State.Name)
				if i.State.Name == ec2types.InstanceStateNameShuttingDown {
					return inProgress(*v.left, "AWS is terminating it (a few minutes)"), nil
				}
				return v, nil
			}
		}
		return verdict{gone: "terminated"}, nil
	case "vpc":
		out, err := a.c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: byID("vpc-id")})
		if err != nil || len(out.Vpcs) == 0 {
			return gone, err
		}
		return tagged("VPC", "delete-vpc", "--vpc-id", id), nil
	case "subnet":
		out, err := a.c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: byID("subnet-id")})
		if err != nil || len(out.Subnets) == 0 {
			return gone, err
		}
		return tagged("subnet", "delete-subnet", "--subnet-id", id), nil
	case "security-group":
		out, err := a.c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: byID("group-id")})
		if err != nil || len(out.SecurityGroups) == 0 {
			return gone, err
		}
		return left(a.sgLeftover(out.SecurityGroups[0])), nil
	case "internet-gateway":
		out, err := a.c.EC2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: byID("internet-gateway-id")})
		if err != nil || len(out.InternetGateways) == 0 {
			return gone, err
		}
		v := tagged("internet gateway", "delete-internet-gateway", "--internet-gateway-id", id)
		// An attached gateway must be detached first.
		for _, att := range out.InternetGateways[0].Attachments {
			v.left.Delete = a.cmd("ec2", "detach-internet-gateway", "--internet-gateway-id", id, "--vpc-id", aws.ToString(att.VpcId)) + " && " + v.left.Delete
		}
		return v, nil
	case "natgateway":
		out, err := a.c.EC2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: byID("nat-gateway-id")})
		if err != nil {
			return verdict{}, err
		}
		for _, n := range out.NatGateways {
			switch n.State {
			case ec2types.NatGatewayStateDeleting:
				return inProgress(a.natLeftover(n), "AWS is deleting it (a few minutes)"), nil
			case ec2types.NatGatewayStatePending, ec2types.NatGatewayStateAvailable:
				return left(a.natLeftover(n)), nil
			}
		}
		return gone, nil
	case "elastic-ip":
		out, err := a.c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: byID("allocation-id")})
		if err != nil || len(out.Addresses) == 0 {
			return verdict{gone: "released"}, err
		}
		return left(a.eipLeftover(out.Addresses[0])), nil
	case "network-interface":
		out, err := a.c.EC2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: byID("network-interface-id")})
		if err != nil || len(out.NetworkInterfaces) == 0 {
			return gone, err
		}
		return left(a.eniLeftover(out.NetworkInterfaces[0])), nil
	case "route-table":
		out, err := a.c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: byID("route-table-id")})
		if err != nil || len(out.RouteTables) == 0 {
			return gone, err
		}
		return tagged("route table", "delete-route-table", "--route-table-id", id), nil
	case "volume":
		out, err := a.c.EC2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: byID("volume-id")})
		if err != nil {
			return verdict{}, err
		}
		for _, v := range out.Volumes {
			return a.volumeVerdict(v), nil
		}
		return gone, nil
	case "launch-template":
		_, err := a.c.EC2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{id}})
		if notFound(err, "InvalidLaunchTemplateId.NotFound") {
			return gone, nil
		}
		if err != nil {
			return verdict{}, err
		}
		return tagged("launch template", "delete-launch-template", "--launch-template-id", id), nil
	}
	return verdict{}, errUnknownType
}
