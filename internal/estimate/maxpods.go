// Package estimate holds the numbers `lab plan` reports next to the desired
// state: pods per node from the instance type's network interface limits,
// what a lab costs per hour and per session, and how long `pulumi up` and
// `pulumi destroy` take along the dependency graph's critical path. It is
// pure: the plan package feeds it facts taken from the recorded resources.
package estimate

import (
	"fmt"
	"slices"
	"strings"
)

// ENILimits are an instance type's network limits that bound pods per node
// under the VPC CNI: how many ENIs it takes and how many IPv4 addresses each
// ENI holds (the ENI's own primary address included).
type ENILimits struct {
	ENIs       int `json:"enis"`
	IPv4PerENI int `json:"ipv4PerEni"`
}

// MaxPods is the VPC CNI's pods-per-node limit without prefix delegation:
// every ENI's primary address is not for pods, and two host-network pods
// (aws-node and kube-proxy) need no address of their own.
func (l ENILimits) MaxPods() int { return l.ENIs*(l.IPv4PerENI-1) + 2 }

// Addresses is how many VPC addresses a node holds once every ENI is full.
func (l ENILimits) Addresses() int { return l.ENIs * l.IPv4PerENI }

// The limits by size. Source: instanceNetworkingLimits in
// aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go (generated from
// EC2 DescribeInstanceTypes), cross-checked with the max pods of the same
// repository's misc/eni-max-pods.txt: t3.medium 17, m5.large 29, c5.xlarge 58,
// m5.4xlarge 234, m5.16xlarge 737, c6g.medium 8, t3a.small 8.
var (
	burstableSizes = map[string]ENILimits{
		"nano": {2, 2}, "micro": {2, 2}, "small": {3, 4}, "medium": {3, 6},
		"large": {3, 12}, "xlarge": {4, 15}, "2xlarge": {4, 15},
	}
	// Nitro general purpose, compute and memory families share these.
	nitroSizes = map[string]ENILimits{
		"medium": {2, 4}, "large": {3, 10}, "xlarge": {4, 15}, "2xlarge": {4, 15},
		"4xlarge": {8, 30}, "8xlarge": {8, 30}, "9xlarge": {8, 30}, "12xlarge": {8, 30},
		"16xlarge": {15, 50}, "18xlarge": {15, 50}, "24xlarge": {15, 50}, "32xlarge": {15, 50},
		"48xlarge": {15, 50}, "metal": {15, 50}, "metal-24xl": {15, 50}, "metal-48xl": {15, 50},
	}
)

// The sizes each family comes in, so that a size a family lacks (m5.medium,
// t3.4xlarge) is reported as unknown instead of guessed.
var familySizes = map[string]struct {
	table map[string]ENILimits
	sizes string
}{
	"t3":  {burstableSizes, "nano micro small medium large xlarge 2xlarge"},
	"t3a": {burstableSizes, "nano micro small medium large xlarge 2xlarge"},
	"t4g": {burstableSizes, "nano micro small medium large xlarge 2xlarge"},
	"m5":  {nitroSizes, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge metal"},
	"r5":  {nitroSizes, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge metal"},
	"c5":  {nitroSizes, "large xlarge 2xlarge 4xlarge 9xlarge 12xlarge 18xlarge 24xlarge metal"},
	"m6i": {nitroSizes, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge metal"},
	"c6i": {nitroSizes, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge metal"},
	"r6i": {nitroSizes, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge metal"},
	"m7i": {nitroSizes, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge metal-24xl metal-48xl"},
	"c7i": {nitroSizes, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge metal-24xl metal-48xl"},
	"m6g": {nitroSizes, "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge metal"},
	"c6g": {nitroSizes, "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge metal"},
	"r6g": {nitroSizes, "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge metal"},
	"m7g": {nitroSizes, "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge metal"},
	"c7g": {nitroSizes, "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge metal"},
	"r7g": {nitroSizes, "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge metal"},
}

// t3a.small is the one size of its family with two ENIs (eni-max-pods.txt: 8).
var exceptions = map[string]ENILimits{"t3a.small": {2, 4}}

// Limits returns the ENI limits of an instance type, or an error naming the
// families the table knows.
func Limits(instanceType string) (ENILimits, error) {
	if l, ok := exceptions[instanceType]; ok {
		return l, nil
	}
	family, size, _ := strings.Cut(instanceType, ".")
	f, ok := familySizes[family]
	if ok && strings.Contains(" "+f.sizes+" ", " "+size+" ") {
		return f.table[size], nil
	}
	return ENILimits{}, fmt.Errorf("%s is not in the ENI table (families %s); look it up in amazon-vpc-cni-k8s misc/eni-max-pods.txt",
		instanceType, strings.Join(Families(), ", "))
}

// Families lists the instance families the ENI table covers, sorted.
func Families() []string {
	out := make([]string, 0, len(familySizes))
	for f := range familySizes {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}
