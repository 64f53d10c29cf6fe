package acceptance

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/eks-study/lab/internal/estimate"
	"github.com/eks-study/lab/internal/plan"
)

func TestWriteTimingsPutsMeasuredNextToPlanned(t *testing.T) {
	doc := &plan.Document{Stack: "acceptance-0a1b2c", Outputs: map[string]any{"region": "ap-northeast-2"}, Estimates: plan.Estimates{
		Duration: estimate.Durations{UpMinutes: 22, DestroyMinutes: 12},
		Cost:     estimate.Cost{HourlyTotal: 0.5045, Currency: "USD"},
	}}
	m := Measured{
		Up: 24*time.Minute + 30*time.Second, Destroy: 13 * time.Minute, Lifetime: 54 * time.Minute,
		UpSteps: []StepTime{
			{Type: "aws:eks/cluster:Cluster", Op: apitype.OpCreate, Duration: 9*time.Minute + 18*time.Second},
			{Type: "aws:eks/nodeGroup:NodeGroup", Op: apitype.OpCreate, Duration: 2 * time.Minute},
			{Type: "kubernetes:core/v1:Service", Op: apitype.OpCreate, Duration: 2 * time.Minute},
			{Type: "kubernetes:core/v1:Service", Op: apitype.OpCreate, Duration: time.Second}, // a ClusterIP Service
			{Type: "aws:iam/role:Role", Op: apitype.OpCreate, Duration: 2 * time.Second},
		},
		DestroySteps: []StepTime{
			{Type: "aws:eks/cluster:Cluster", Op: apitype.OpDelete, Duration: 6 * time.Minute},
			{Type: "command:local:Command", Op: apitype.OpDelete, Duration: 3 * time.Minute},
		},
	}
	var b strings.Builder
	WriteTimings(&b, doc, m)
	out := squash(b.String())
	for _, want := range []string{
		"`lab plan --stack acceptance-0a1b2c`",
		"pulumi up 22 min 24.5 min",
		"pulumi destroy 12 min 13.0 min",
		"cost: 0.5045 USD per hour planned; this run billed 0.90 h (up start to destroy end), about 0.45 USD",
		"aws:eks/cluster:Cluster 14 / 5 9.3 / 6.0", // Seoul's control plane
		"kubernetes:core/v1:Service 1 / 1 2.0 / 0.0",
		"command:local:Command 0 / 0.5 0.0 / 3.0", // a cleanup: no create; its delete before the DNS sync wait
		"internal/estimate/durations.go",
		"go test ./tests -run Golden -update",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "pause") {
		t.Errorf("a run that did not pause shows a pause:\n%s", out)
	}
	// With the pause phase, its two updates next to lab plan's estimates.
	doc.Estimates.States = &plan.States{Pause: estimate.Transition{Minutes: 8.1}, Resume: estimate.Transition{Minutes: 9.4}}
	m.Pause, m.Resume = 7*time.Minute+30*time.Second, 11*time.Minute
	b.Reset()
	WriteTimings(&b, doc, m)
	out = squash(b.String())
	for _, want := range []string{"pause (pulumi up, paused true) 8.1 min 7.5 min", "resume (pulumi up, paused false) 9.4 min 11.0 min"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "aws:iam/role:Role") {
		t.Errorf("a two-second step is listed for calibration:\n%s", out)
	}
	if strings.Index(out, "aws:eks/cluster:Cluster") > strings.Index(out, "aws:eks/nodeGroup:NodeGroup") {
		t.Errorf("types not sorted slowest first:\n%s", out)
	}
}

// squash collapses runs of spaces, so that assertions do not depend on column widths.
func squash(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
