package config

import (
	"strings"
	"testing"
)

// An audit reads only the keys that name a lab, with Load's defaults, and
// refuses values that name none.
func TestLoadIdentity(t *testing.T) {
	id, err := LoadIdentity("eks-lab", "dev", MapSource(map[string]string{"eks-lab:hostedZoneId": "Z0123456789ABCDEFGHIJ", "eks-lab:nodeMaxSize": "not validated here"}, nil))
	want := Identity{Project: "eks-lab", Stack: "dev", Region: "ap-northeast-2", ClusterName: "myeks", HostedZoneID: "Z0123456789ABCDEFGHIJ"}
	if err != nil || id != want || id.TxtOwnerID() != "eks-lab-dev" {
		t.Errorf("identity %+v (owner %q), %v; want %+v, owner eks-lab-dev", id, id.TxtOwnerID(), err, want)
	}
	if id, err := LoadIdentity("eks-lab", "dev", MapSource(map[string]string{"aws:region": "us-east-1"}, nil)); err != nil || id.HostedZoneID != "" || id.Region != "us-east-1" {
		t.Errorf("no zone: %+v, %v", id, err)
	}
	_, err = LoadIdentity("eks-lab", "dev", MapSource(map[string]string{"aws:region": "seoul", "eks-lab:clusterName": "-x", "eks-lab:hostedZoneId": "example.com"}, nil))
	for _, want := range []string{"aws:region", "eks-lab:clusterName", "eks-lab:hostedZoneId", "not a Route 53 hosted zone ID"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad identity: %v; want it to name %s", err, want)
		}
	}
}
