package estimate

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// Spot nodes count at the highest on-demand price of their types (an upper
// bound), and the dated discount range gives the likely totals.
func TestSpotIsPricedOnDemandWithTheAssumedDiscountRange(t *testing.T) {
	p, _ := Prices()
	if d := p.SpotDiscount; d.Min <= 0 || d.Max >= 1 || d.Min > d.Max || d.AsOf == "" || d.Source == "" {
		t.Fatalf("spot discount %+v: want a dated range with its source", d)
	}
	c := Estimate(Inputs{Region: "us-east-1", SessionHours: 8, EKSClusters: []string{"cluster a"},
		Instances: []InstanceGroup{
			{What: "nodes", InstanceType: "t3.medium", Alternatives: []string{"t3a.medium", "c5.large"}, Count: 3, Spot: true},
			{What: "bastion", InstanceType: "t3.small", Count: 1},
		}}, p)
	// c5.large (0.085) is the dearest of t3.medium (0.0416), t3a.medium (0.0376) and c5.large.
	spot := 3 * 0.085
	onDemand := 0.10 + spot + 0.0208
	if math.Abs(c.HourlyTotal-onDemand) > 1e-6 || c.Spot == nil {
		t.Fatalf("total %g (want %g, spot at on-demand), spot range %+v", c.HourlyTotal, onDemand, c.Spot)
	}
	d := p.SpotDiscount
	if math.Abs(c.Spot.HourlyLow-(onDemand-spot*d.Max)) > 1e-6 || math.Abs(c.Spot.HourlyHigh-(onDemand-spot*d.Min)) > 1e-6 ||
		math.Abs(c.Spot.SessionLow-8*c.Spot.HourlyLow) > 1e-5 || math.Abs(c.Spot.SessionHigh-8*c.Spot.HourlyHigh) > 1e-5 || c.Spot.AsOf != d.AsOf {
		t.Errorf("spot range %+v", c.Spot)
	}
	a := strings.Join(c.Assumptions, "\n")
	discount := fmt.Sprintf("at the %.0f%%-%.0f%% discount below on-demand", d.Min*100, d.Max*100)
	for _, want := range []string{"upper bound", d.AsOf, discount, "reclaimed mid-lab", "two-minute notice"} {
		if !strings.Contains(a, want) {
			t.Errorf("assumptions lack %q:\n%s", want, a)
		}
	}
	if c.Items[1].Component != "EC2 spot" || !strings.Contains(c.Items[1].Detail, "t3.medium | t3a.medium | c5.large") {
		t.Errorf("spot item %+v", c.Items[1])
	}
}

// A spot type without a price leaves no upper bound: unpriced, not guessed.
func TestSpotWithAnUnpricedTypeIsUnpriced(t *testing.T) {
	p, _ := Prices()
	c := Estimate(Inputs{Region: "ap-northeast-2", SessionHours: 8,
		Instances: []InstanceGroup{{What: "nodes", InstanceType: "t3.medium", Alternatives: []string{"t3a.medium"}, Count: 3, Spot: true}}}, p)
	if c.HourlyTotal != 0 || c.Spot != nil || len(c.Unpriced) != 1 || !strings.Contains(c.Unpriced[0], "t3a.medium has no ap-northeast-2 price") {
		t.Errorf("total %g, spot %+v, unpriced %v", c.HourlyTotal, c.Spot, c.Unpriced)
	}
	if on := Estimate(Inputs{Region: "us-east-1", SessionHours: 8, Instances: []InstanceGroup{{What: "nodes", InstanceType: "t3.medium", Count: 3}}}, p); on.Spot != nil {
		t.Errorf("on-demand nodes got a spot range %+v", on.Spot)
	}
}
