package estimate_test

import (
	"testing"

	"github.com/eks-study/lab/infra/awsfacts"
	"github.com/eks-study/lab/internal/estimate"
)

// Every priced region exists.
func TestPricedRegionsAreRegions(t *testing.T) {
	prices, err := estimate.Prices()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range prices.RegionNames() {
		if _, ok := awsfacts.Regions[r]; !ok {
			t.Errorf("%s is priced but not in Regions", r)
		}
	}
}
