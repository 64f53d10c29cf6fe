package awsfacts_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eks-study/lab/infra/awsfacts"
	"github.com/eks-study/lab/internal/testing/motoserver"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

// The regions table holds what the emulator's DescribeAvailabilityZones
// answers, with the program's filters (infra/program availabilityZones): a
// moto upgrade that changes a region's zones fails here.
func TestRegionsAreWhatTheEmulatorAnswers(t *testing.T) {
	cfg := motoserver.Config(t)
	for region, want := range awsfacts.Regions {
		c := cfg.Copy()
		c.Region = region
		out, err := ec2.NewFromConfig(c).DescribeAvailabilityZones(context.Background(), &ec2.DescribeAvailabilityZonesInput{
			Filters: []ec2types.Filter{
				{Name: aws.String("state"), Values: []string{"available"}},
				{Name: aws.String("opt-in-status"), Values: []string{"opt-in-not-required"}},
			},
		})
		if err != nil {
			t.Errorf("%s: %v", region, err)
			continue
		}
		if got := len(out.AvailabilityZones); got != want {
			t.Errorf("%s: the emulator lists %d zones, the table %d", region, got, want)
		}
	}
}
