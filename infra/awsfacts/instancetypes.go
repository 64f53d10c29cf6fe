// Package awsfacts holds the facts about AWS the program checks a stack's
// config against before it creates anything: EC2 instance types (vCPUs,
// architecture, network interfaces, and so max pods per node and the subnet
// addresses a node takes), the regions and how many Availability Zones an
// account gets in each, and the EKS Kubernetes release calendar. Pure data
// and arithmetic: no prices (internal/estimate has those, for `lab plan`),
// so the deployed program carries no price table.
package awsfacts

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/eks-study/lab/internal/suggest"
)

// InstanceType is what the lab needs to know of an EC2 instance type.
type InstanceType struct {
	Name  string
	VCPUs int
	Arch  string // "x86_64" or "arm64"
	// ENIs and IPv4PerENI bound pods per node under the VPC CNI: how many
	// network interfaces the type takes and how many IPv4 addresses each
	// holds (the interface's own primary address included).
	ENIs       int
	IPv4PerENI int
	// GroupMaxPods is the max pods of the managed node group a node of this
	// type runs in, when the group has several types (NodeGroupTypes): EKS
	// gives every node of the group one value, the smallest of its types'.
	// 0 for a type counted on its own.
	GroupMaxPods int
}

// hostNetworkPods are aws-node and kube-proxy: they run on the node's own
// address and take no VPC address of their own.
const hostNetworkPods = 2

// ENIMaxPods is the VPC CNI's pods-per-node limit without prefix
// delegation: every ENI's primary address is not for pods.
func (t InstanceType) ENIMaxPods() int { return t.ENIs*(t.IPv4PerENI-1) + hostNetworkPods }

// MaxPods is the kubelet's max pods on a node of an EKS managed node group
// without a custom AMI (the lab's): the ENI limit, capped by EKS at 110 for
// types with less than 30 vCPUs and 250 for the others. Source: EKS User
// Guide, "Choose an optimal Amazon EC2 node instance type", section "How
// maxPods is determined" (awsdocs/amazon-eks-user-guide
// latest/ug/nodes/choosing-instance-type.adoc): "Managed node group
// enforcement ... For instances with less than 30 vCPUs, the cap is 110. For
// instances with greater than 30 vCPUs, the cap is 250." So m5.4xlarge (16
// vCPUs) runs 110 pods, not its ENI limit of 234.
func (t InstanceType) MaxPods() int {
	limit := 250
	if t.VCPUs < 30 {
		limit = 110
	}
	if t.GroupMaxPods > 0 {
		limit = min(limit, t.GroupMaxPods)
	}
	return min(t.ENIMaxPods(), limit)
}

// ENIsAtMaxPods is how many ENIs a node attaches at MaxPods. The VPC CNI,
// at its default WARM_ENI_TARGET=1 (the lab sets no WARM_* variable), fills
// every ENI it attaches with all the secondary addresses the ENI holds, and
// stops once the node has MaxPods of them (amazon-vpc-cni-k8s v1.23.1,
// pkg/ipamd/ipamd.go: tryAssignIPs asks for maxIPsPerENI addresses;
// isDatastorePoolTooLow is false once TotalIPs >= maxPods).
func (t InstanceType) ENIsAtMaxPods() int {
	perENI := t.IPv4PerENI - 1 // secondary addresses per ENI
	return min(t.ENIs, (t.MaxPods()+perENI-1)/perENI)
}

// Addresses is how many VPC addresses a node at MaxPods takes from its
// subnet: every address of every ENI it attaches (see ENIsAtMaxPods). Where
// EKS caps max pods that is more than one per pod: m5.4xlarge's 110 pods
// take four full ENIs, 120 addresses.
func (t InstanceType) Addresses() int {
	return t.ENIsAtMaxPods() * t.IPv4PerENI
}

// NodeGroupTypes counts a managed node group whose nodes may be any of
// names. EKS gives every node of the group the same max pods, the smallest
// of its types' (it passes --max-pods, on AL2023 a NodeConfig maxPods, in the
// user data it adds to the group's launch template, instead of letting the
// node use its own type's value): "The maximum pod count for all nodes in a
// particular node group is defined by the lowest maximum pod count of any
// single instance type in the node group" (Amazon EKS Best Practices Guide,
// "Prefix Mode for Linux", Use Similar Instance Types in the same Node Group;
// aws/aws-eks-best-practices content/networking/prefix-mode/index_linux.md),
// seen as 17 pods on a t3a.xlarge grouped with smaller types
// (aws/aws-cdk#29418); AL2023 nodes of a managed node group get maxPods in
// the NodeConfig EKS adds (eksctl-io/eksctl#8037).
//
// fewest is the type with the fewest pods per node, whose max pods every
// node has. widest is the type whose node, at that max pods, takes the most
// subnet addresses (what the group's subnets must make room for), with
// GroupMaxPods set: with t3.medium (17 pods) beside it, c5.large attaches two
// ENIs, 20 addresses, not the 30 its own 29 pods would take. err is about
// the first name the table does not know, which both then carry as their Name.
func NodeGroupTypes(names []string) (fewest, widest InstanceType, err error) {
	types := make([]InstanceType, 0, len(names))
	for i, name := range names {
		t, err := Lookup(name)
		if err != nil {
			return InstanceType{Name: name}, InstanceType{Name: name}, err
		}
		if i == 0 || t.MaxPods() < fewest.MaxPods() {
			fewest = t
		}
		types = append(types, t)
	}
	for i, t := range types {
		t.GroupMaxPods = fewest.MaxPods()
		if i == 0 || t.Addresses() > widest.Addresses() {
			widest = t
		}
	}
	return fewest, widest, nil
}

// IsArm tells whether the type runs arm64 (AWS Graviton) images.
func (t InstanceType) IsArm() bool { return t.Arch == "arm64" }

// InstanceTypesFile lists every instance type the lab knows and says where
// the numbers come from.
const InstanceTypesFile = "infra/awsfacts/instance-types.txt"

//go:embed instance-types.txt
var instanceTypesText string

var instanceTypes = sync.OnceValue(func() map[string]InstanceType {
	out := map[string]InstanceType{}
	for _, line := range strings.Split(instanceTypesText, "\n") {
		f := strings.Fields(line)
		if len(f) != 5 || strings.HasPrefix(line, "#") {
			continue
		}
		n := make([]int, 3)
		for i, s := range []string{f[1], f[3], f[4]} {
			n[i], _ = strconv.Atoi(s) // the file is checked by TestInstanceTypesFileIsWellFormed
		}
		out[f[0]] = InstanceType{Name: f[0], VCPUs: n[0], Arch: f[2], ENIs: n[1], IPv4PerENI: n[2]}
	}
	return out
})

// Lookup returns an instance type, or an error that suggests the closest
// known one.
func Lookup(name string) (InstanceType, error) {
	types := instanceTypes()
	if t, ok := types[name]; ok {
		return t, nil
	}
	names := slices.Sorted(maps.Keys(types)) // sorted: a tie suggests the same type every run
	hint := "e.g. t3.medium (the study's)"
	if s := suggest.Closest(name, names); s != "" {
		hint = "did you mean " + s + "?"
	}
	return InstanceType{}, fmt.Errorf("%s is not an EC2 instance type the lab knows (%d types, listed in %s); %s",
		name, len(types), InstanceTypesFile, hint)
}
