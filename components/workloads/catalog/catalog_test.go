package catalog

import "testing"

// Gateway API is installed exactly when a sample that is made of its
// objects is on: the Gateway samples, not the others.
func TestGatewayAPIOnlyWithAGatewaySample(t *testing.T) {
	for _, tc := range []struct {
		on   Selection
		want bool
	}{
		{Selection{}, false},
		{Selection{EchoNLB: true, Game2048ALB: true, Tetris: true}, false},
		{Selection{GatewayALB: true}, true},
		{Selection{GatewayNLB: true, EchoNLB: true}, true},
		{Selection{GatewayALB: false, GatewayNLB: false}, false},
	} {
		if got := tc.on.GatewayAPI(); got != tc.want {
			t.Errorf("%v: GatewayAPI() = %v, want %v", tc.on, got, tc.want)
		}
	}
	for _, s := range Samples {
		if s.NeedsGatewayAPI && !s.NeedsLBController {
			t.Errorf("%s needs Gateway API, which the load balancer controller's component installs, but not the controller", s.Key)
		}
	}
}
