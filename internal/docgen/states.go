package docgen

import (
	"fmt"
	"strings"

	"github.com/eks-study/lab/internal/estimate"
)

// PauseResume names the part of docs/lifecycle.md with each stack file's
// figures of both states.
const PauseResume = "pause-resume"

// StateFigures are lab plan's figures of one stack in both states.
type StateFigures struct {
	Stack                       string
	RunningHourly, PausedHourly float64
	PausedFraction              float64
	PausedFractionSpot          []float64 // at the ends of the spot range; nil with on-demand nodes
	UpMinutes                   float64   // a fresh pulumi up
	PauseMinutes, ResumeMinutes float64
	ResumePath                  []estimate.Step
}

// StatesTable is the markdown table of each stack's running and paused
// cost and the times of a fresh pulumi up, a pause and a resume.
func StatesTable(rows []StateFigures) string {
	var b strings.Builder
	b.WriteString("| Stack | Running, per hour | Paused, per hour | Paused share | Fresh `pulumi up` | Pause | Resume | Resume's critical path |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		share := fmt.Sprintf("%.1f %%", r.PausedFraction*100)
		if len(r.PausedFractionSpot) == 2 {
			share += fmt.Sprintf(" (%.1f-%.1f %% at spot prices)", r.PausedFractionSpot[0]*100, r.PausedFractionSpot[1]*100)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %.1f min | %.1f min | %.1f min | %s |\n",
			r.Stack, estimate.Dollars(r.RunningHourly), estimate.Dollars(r.PausedHourly), share,
			r.UpMinutes, r.PauseMinutes, r.ResumeMinutes, slowSteps(r.ResumePath))
	}
	return b.String()
}

// slowSteps is a critical path's steps of 12 seconds or more, what a reader
// can act on, as lab plan prints a path.
func slowSteps(path []estimate.Step) string {
	var slow []estimate.Step
	for _, s := range path {
		if s.Minutes >= 0.2 {
			slow = append(slow, s)
		}
	}
	return estimate.PathString(slow)
}
