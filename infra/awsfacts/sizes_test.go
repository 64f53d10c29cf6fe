package awsfacts

import (
	"strings"
	"testing"
)

func TestSizeOf(t *testing.T) {
	for it, want := range map[string]Size{
		"t3.medium": {2, 4096}, "t3a.medium": {2, 4096}, "t4g.medium": {2, 4096}, "t3.xlarge": {4, 16384},
		"c5.large": {2, 4096}, "m5.large": {2, 8192}, "r5.large": {2, 16384}, "m6g.medium": {1, 4096},
		"c6g.medium": {1, 2048}, "c5.9xlarge": {36, 73728}, "m7i.48xlarge": {192, 786432},
	} {
		got, err := SizeOf(it)
		if err != nil || got != want {
			t.Errorf("SizeOf(%s) = %v, %v; want %v", it, got, err, want)
		}
	}
	for _, it := range []string{"m5.metal", "t2.medium", "m5.medium", "t3.4xlarge", "medium"} {
		if s, err := SizeOf(it); err == nil {
			t.Errorf("SizeOf(%s) = %v, want an error", it, s)
		}
	}
}

// A size reads as config's errors show it (a spot type of another size).
func TestSizeString(t *testing.T) {
	for s, want := range map[Size]string{{2, 4096}: "2 vCPUs and 4 GiB", {1, 512}: "1 vCPUs and 0.5 GiB", {192, 786432}: "192 vCPUs and 768 GiB"} {
		if got := s.String(); got != want {
			t.Errorf("%#v reads %q, want %q", s, got, want)
		}
	}
}

// Every type the size table knows is an instance type the lab knows, whose
// vCPUs (the instance table's, from the EC2 API) SizeOf gives.
func TestSizeTableTypesAreKnown(t *testing.T) {
	for family, sizes := range spotFamilies {
		for _, size := range strings.Fields(sizes) {
			if _, err := SizeOf(family + "." + size); err != nil {
				t.Errorf("%s.%s: %v", family, size, err)
			}
		}
	}
}
