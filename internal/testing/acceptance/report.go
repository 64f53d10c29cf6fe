package acceptance

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/eks-study/lab/internal/estimate"
	"github.com/eks-study/lab/internal/plan"
)

// Measured is what one run took.
type Measured struct {
	Up, Destroy time.Duration
	// Pause and Resume are the pulumi up that set eks-lab:paused true, then
	// false (0 when the run did not get that far).
	Pause, Resume time.Duration
	// Lifetime runs from the start of up to the end of destroy: what the
	// account is billed for.
	Lifetime              time.Duration
	UpSteps, DestroySteps []StepTime
}

// Load-balanced Kubernetes types, timed as load balancers by the estimate.
const (
	typeService = "kubernetes:core/v1:Service"
	typeIngress = "kubernetes:networking.k8s.io/v1:Ingress"
)

// WriteTimings prints the measured durations and cost next to `lab plan`'s
// estimates for the same config, then the slow resource types' measured
// times next to internal/estimate's table, and how to feed them back.
func WriteTimings(w io.Writer, doc *plan.Document, m Measured) {
	d, c := doc.Estimates.Duration, doc.Estimates.Cost
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "measured vs `lab plan --stack %s`\t planned\t measured\n", doc.Stack)
	fmt.Fprintf(tw, "pulumi up\t %g min\t %.1f min\n", d.UpMinutes, m.Up.Minutes())
	if s := doc.Estimates.States; s != nil && m.Pause > 0 {
		fmt.Fprintf(tw, "pause (pulumi up, paused true)\t %g min\t %.1f min\n", s.Pause.Minutes, m.Pause.Minutes())
		if m.Resume > 0 {
			fmt.Fprintf(tw, "resume (pulumi up, paused false)\t %g min\t %.1f min\n", s.Resume.Minutes, m.Resume.Minutes())
		}
	}
	fmt.Fprintf(tw, "pulumi destroy\t %g min\t %.1f min\n", d.DestroyMinutes, m.Destroy.Minutes())
	tw.Flush()
	fmt.Fprintf(w, "cost: %.4f %s per hour planned; this run billed %.2f h (up start to destroy end), about %.2f %s, plus the member's NLB and ALB for their minutes\n",
		c.HourlyTotal, c.Currency, m.Lifetime.Hours(), c.HourlyTotal*m.Lifetime.Hours(), c.Currency)

	create, del := slowest(m.UpSteps), slowest(m.DestroySteps)
	region, _ := doc.Outputs["region"].(string)
	var types []string
	for typ := range create {
		types = append(types, typ)
	}
	for typ := range del {
		if _, ok := create[typ]; !ok {
			types = append(types, typ)
		}
	}
	slices.SortFunc(types, func(a, b string) int { return cmp.Or(cmp.Compare(create[b], create[a]), cmp.Compare(a, b)) })
	fmt.Fprintln(w, "slowest step per resource type, minutes (create / delete):")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  type\t internal/estimate Timings\t measured")
	for _, typ := range types {
		t := estimate.TimingOf(typ, region, typ == typeService || typ == typeIngress)
		fmt.Fprintf(tw, "  %s\t %g / %g\t %.1f / %.1f\n", typ, t.Create, t.Delete, create[typ].Minutes(), del[typ].Minutes())
	}
	tw.Flush()
	fmt.Fprintln(w, "To calibrate the estimate: where a measured time differs from the table, set that type's entry of Timings (an EKS control plane's: its region's in controlPlaneCreate) in internal/estimate/durations.go"+
		" (the slowest of a few runs, rounded up), then run `go test ./tests -run Golden -update` and review the plans' new time estimates.")
}

// slowest is the longest step of each resource type that took at least
// ten seconds: the rest is noise next to the estimate's minutes.
func slowest(steps []StepTime) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range steps {
		if s.Duration >= 10*time.Second && s.Duration > out[s.Type] {
			out[s.Type] = s.Duration
		}
	}
	return out
}
