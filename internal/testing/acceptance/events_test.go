package acceptance

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

const (
	urnRelease = "urn:pulumi:acceptance-0a1b2c::eks-lab::eks-lab:lbcontroller:LoadBalancerController$kubernetes:helm.sh/v3:Release::aws-load-balancer-controller"
	urnCluster = "urn:pulumi:acceptance-0a1b2c::eks-lab::eks:index:Cluster::acc-0a1b2c"
	urnVpc     = "urn:pulumi:acceptance-0a1b2c::eks-lab::eks-lab:network:Network$aws:ec2/vpc:Vpc::lab"
)

func pre(ts int, op apitype.OpType, urn, typ string, diffs ...string) apitype.EngineEvent {
	return apitype.EngineEvent{Timestamp: ts, ResourcePreEvent: &apitype.ResourcePreEvent{
		Metadata: apitype.StepEventMetadata{Op: op, URN: urn, Type: typ, Diffs: diffs}}}
}

func outputs(ts int, op apitype.OpType, urn, typ string) apitype.EngineEvent {
	return apitype.EngineEvent{Timestamp: ts, ResOutputsEvent: &apitype.ResOutputsEvent{
		Metadata: apitype.StepEventMetadata{Op: op, URN: urn, Type: typ}}}
}

func TestNoChangesPassesAnEmptyPreviewOnly(t *testing.T) {
	same := []apitype.EngineEvent{pre(0, apitype.OpSame, urnVpc, "aws:ec2/vpc:Vpc")}
	if err := NoChanges(map[apitype.OpType]int{apitype.OpSame: 97}, same); err != nil {
		t.Errorf("all same: %v", err)
	}
	evs := append(same, pre(1, apitype.OpUpdate, urnRelease, "kubernetes:helm.sh/v3:Release", "values", "version"))
	err := NoChanges(map[apitype.OpType]int{apitype.OpSame: 96, apitype.OpUpdate: 1}, evs)
	if err == nil || !strings.Contains(err.Error(), "1 to update") || !strings.Contains(err.Error(), "update "+urnRelease+" (values, version)") {
		t.Errorf("a release that updates on every preview: %v; want the step and its differing properties", err)
	}
	if strings.Contains(err.Error(), urnVpc) {
		t.Errorf("an unchanged resource is listed as a change: %v", err)
	}
}

func TestStepTimesMeasureEachChangedResource(t *testing.T) {
	evs := []apitype.EngineEvent{
		pre(1000, apitype.OpCreate, urnVpc, "aws:ec2/vpc:Vpc"),
		pre(1001, apitype.OpCreate, urnCluster, "eks:index:Cluster"),
		outputs(1012, apitype.OpCreate, urnVpc, "aws:ec2/vpc:Vpc"),
		pre(1013, apitype.OpSame, urnRelease, "kubernetes:helm.sh/v3:Release"),
		outputs(1013, apitype.OpSame, urnRelease, "kubernetes:helm.sh/v3:Release"),
		{Timestamp: 1700, ResOpFailedEvent: &apitype.ResOpFailedEvent{Metadata: apitype.StepEventMetadata{Op: apitype.OpCreate, URN: urnCluster, Type: "eks:index:Cluster"}}},
	}
	got := StepTimes(evs)
	want := []StepTime{
		{URN: urnVpc, Type: "aws:ec2/vpc:Vpc", Op: apitype.OpCreate, Duration: 12 * time.Second},
		{URN: urnCluster, Type: "eks:index:Cluster", Op: apitype.OpCreate, Duration: 699 * time.Second},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("StepTimes = %+v\nwant %+v", got, want)
	}
}

func TestRecorderKeepsEveryEventUntilTheStreamCloses(t *testing.T) {
	r := NewRecorder()
	go func() {
		for i := range 3 {
			r.Stream() <- events.EngineEvent{EngineEvent: apitype.EngineEvent{Sequence: i}}
		}
		close(r.Stream())
	}()
	evs := r.Events()
	if len(evs) != 3 || evs[2].Sequence != 2 {
		t.Errorf("Events = %+v; want the three sent, in order", evs)
	}
}
