package awsfacts

import (
	"maps"
	"slices"

	"github.com/eks-study/lab/internal/versions"
)

// RegionsAsOf is when Regions was compiled.
const RegionsAsOf = "2026-12-03"

// RegionsSource is where Regions comes from. Run the command to see them:
// moto's zone table records, per region, the Availability Zones that
// DescribeAvailabilityZones returns to an account, so constrained zones a
// new account does not get (ap-northeast-1's apne1-az3, us-west-1's
// usw1-az2) are not counted.
const RegionsSource = "moto " + versions.Moto + ", moto/ec2/models/availability_zones_and_regions.py (RegionsAndZonesBackend.zones): " +
	"eval \"$(bash .ci/moto-tier.sh)\" && ${LAB_MOTO%% *} -c 'from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend as R; " +
	"print({r: len(z) for r, z in R.zones.items()})'"

// Regions maps every region of the aws partition (the one a study member's
// account is in) to how many Availability Zones an account gets there.
// Opt-in regions are listed too: they need `aws account enable-region` first.
var Regions = map[string]int{
	"af-south-1": 3, "ap-east-1": 3, "ap-east-2": 3,
	"ap-northeast-1": 3, "ap-northeast-2": 4, "ap-northeast-3": 3,
	"ap-south-1": 3, "ap-south-2": 3,
	"ap-southeast-1": 3, "ap-southeast-2": 3, "ap-southeast-3": 3, "ap-southeast-4": 3,
	"ap-southeast-5": 3, "ap-southeast-6": 3, "ap-southeast-7": 3,
	"ca-central-1": 3, "ca-west-1": 3,
	"eu-central-1": 3, "eu-central-2": 3, "eu-north-1": 3, "eu-south-1": 3, "eu-south-2": 3,
	"eu-west-1": 3, "eu-west-2": 3, "eu-west-3": 3,
	"il-central-1": 3, "me-central-1": 3, "me-south-1": 3, "mx-central-1": 3,
	"sa-east-1": 3,
	"us-east-1": 6, "us-east-2": 3, "us-west-1": 2, "us-west-2": 4,
}

// RegionNames lists Regions' names, sorted.
func RegionNames() []string { return slices.Sorted(maps.Keys(Regions)) }
