package awsfacts

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Size is an instance type's vCPUs and memory: what makes two types
// interchangeable in one node group (a spot node group may use several).
type Size struct {
	VCPUs     int
	MemoryMiB int
}

func (s Size) String() string {
	return fmt.Sprintf("%d vCPUs and %g GiB", s.VCPUs, float64(s.MemoryMiB)/1024)
}

// The families whose sizes the lab knows, and their size names (spotFamilies). Source: the
// Amazon EC2 instance type specifications (docs.aws.amazon.com/ec2/latest/
// instancetypes: gp.html, co.html, mo.html), cross-checked with EC2
// DescribeInstanceTypes as recorded in aws/karpenter-provider-aws
// pkg/fake/zz_generated.describe_instance_types.go (m5.large 2 vCPUs 8192 MiB,
// c6g.large 2 vCPUs 4096 MiB). The vCPUs are the instance table's (Lookup);
// burstable sizes have their memory per size name, the other families a
// fixed memory per vCPU by their letter (m 4 GiB, c 2 GiB, r 8 GiB). Bare
// metal is left out: it is never a lab node, and its size differs by family.
var (
	burstableMemoryMiB = map[string]int{
		"nano": 512, "micro": 1024, "small": 2048, "medium": 4096, "large": 8192, "xlarge": 16384, "2xlarge": 32768,
	}
	memoryPerVCPU = map[byte]int{'m': 4096, 'c': 2048, 'r': 8192}

	burstableSizes = "nano micro small medium large xlarge 2xlarge"
	spotFamilies   = map[string]string{
		"t3": burstableSizes, "t3a": burstableSizes, "t4g": burstableSizes,
		"m5":  "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge",
		"r5":  "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge",
		"c5":  "large xlarge 2xlarge 4xlarge 9xlarge 12xlarge 18xlarge 24xlarge",
		"m6i": "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge",
		"c6i": "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge",
		"r6i": "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge",
		"m7i": "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge",
		"c7i": "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge",
		"m6g": "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge",
		"c6g": "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge",
		"r6g": "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge",
		"m7g": "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge",
		"c7g": "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge",
		"r7g": "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge",
	}
)

// SizeOf returns an instance type's vCPUs and memory, or an error for a type
// the table does not know.
func SizeOf(instanceType string) (Size, error) {
	family, size, _ := strings.Cut(instanceType, ".")
	sizes, ok := spotFamilies[family]
	if !ok || !strings.Contains(" "+sizes+" ", " "+size+" ") {
		return Size{}, fmt.Errorf("%s is not in the instance size table (families %s, no bare metal)",
			instanceType, strings.Join(slices.Sorted(maps.Keys(spotFamilies)), ", "))
	}
	t, err := Lookup(instanceType)
	if err != nil {
		return Size{}, err
	}
	if mem, ok := burstableMemoryMiB[size]; ok && family[0] == 't' {
		return Size{VCPUs: t.VCPUs, MemoryMiB: mem}, nil
	}
	return Size{VCPUs: t.VCPUs, MemoryMiB: t.VCPUs * memoryPerVCPU[family[0]]}, nil
}
