package plan

import (
	"fmt"
	"slices"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eks-study/lab/internal/estimate"
	"github.com/eks-study/lab/internal/offline"
)

// States are a stack's two states, running and paused (eks-lab:paused),
// and the pulumi up that goes from one to the other.
type States struct {
	Paused         bool    `json:"paused"` // the plan is of the paused state
	RunningHourly  float64 `json:"runningHourly"`
	PausedHourly   float64 `json:"pausedHourly"`
	PausedFraction float64 `json:"pausedFraction"` // paused / running
	// PausedFractionSpot is paused / running at the ends of a spot node
	// group's likely hourly range, high end first (the smaller fraction);
	// nil with on-demand nodes.
	PausedFractionSpot []float64           `json:"pausedFractionSpot,omitempty"`
	Pause              estimate.Transition `json:"pause"`
	Resume             estimate.Transition `json:"resume"`
	Assumptions        []string            `json:"assumptions"` // how Pause and Resume are estimated
}

// pausedPlan reports whether the plan is of a paused lab (nil: one state only, running).
func (s *States) pausedPlan() bool { return s != nil && s.Paused }

// Transitions compares the running and paused plans of one stack:
//   - condemned: what the running lab has and the paused one not, deleted
//     by a pause (in DeleteLayers order) and created by a resume;
//   - updated: what both have with different inputs once the target
//     state's IgnoreChanges are applied, updated in place.
//
// It returns the two sets for the ordering tests, and the estimates.
func Transitions(running, paused *offline.Plan, region string) (condemned map[string]bool, onPause, onResume map[string]float64, err error) {
	kept := map[string]offline.Resource{}
	for _, r := range paused.Resources {
		kept[r.URN] = r
	}
	condemned, onPause, onResume = map[string]bool{}, map[string]float64{}, map[string]float64{}
	for _, r := range running.Resources {
		p, ok := kept[r.URN]
		if !ok {
			condemned[r.URN] = true
			continue
		}
		if len(Changed(r.Inputs, p.Inputs, p.IgnoreChanges)) > 0 {
			onPause[r.URN] = estimate.UpdateMinutes(r.Type, region, p.Inputs)
		}
		if len(Changed(p.Inputs, r.Inputs, r.IgnoreChanges)) > 0 {
			onResume[r.URN] = estimate.UpdateMinutes(r.Type, region, r.Inputs)
		}
	}
	return condemned, onPause, onResume, nil
}

// Changed lists the top-level inputs an update from old to new inputs
// changes, with new's IgnoreChanges applied as the engine applies them: it
// resets each ignored path of the new inputs to the old value (pulumi/pulumi
// pkg/v3@v3.274.1 resource/deploy/step_generator.go processIgnoreChanges).
func Changed(old, new map[string]any, ignore []string) []string {
	o, n := resource.NewPropertyMapFromMap(old), resource.NewPropertyMapFromMap(new)
	for _, s := range ignore {
		if path, err := resource.ParsePropertyPath(s); err == nil {
			path.Reset(o, n)
		}
	}
	var changed []string
	for k := range o {
		if !o[k].DeepEquals(n[k]) {
			changed = append(changed, string(k))
		}
	}
	for k := range n {
		if _, ok := o[k]; !ok {
			changed = append(changed, string(k))
		}
	}
	slices.Sort(changed)
	return changed
}

// bothStates fills the States of d (built from current) with other, the
// same stack with eks-lab:paused flipped.
func bothStates(d *Document, current, other *offline.Plan, opts Options) (*States, error) {
	otherDoc, err := Build(other, Options{SessionHours: opts.SessionHours})
	if err != nil {
		return nil, err
	}
	s := &States{Paused: d.Outputs["paused"] == true, Assumptions: estimate.TransitionAssumptions()}
	running, paused, runningDoc := current, other, d
	s.RunningHourly, s.PausedHourly = d.Estimates.Cost.HourlyTotal, otherDoc.Estimates.Cost.HourlyTotal
	if s.Paused {
		running, paused, runningDoc = other, current, otherDoc
		s.RunningHourly, s.PausedHourly = s.PausedHourly, s.RunningHourly
	}
	if s.RunningHourly > 0 {
		s.PausedFraction = round4(s.PausedHourly / s.RunningHourly)
	}
	if spot := runningDoc.Estimates.Cost.Spot; spot != nil && spot.HourlyLow > 0 {
		s.PausedFractionSpot = []float64{round4(s.PausedHourly / spot.HourlyHigh), round4(s.PausedHourly / spot.HourlyLow)}
	}
	f := gatherFacts(runningDoc)
	nodes := graph(runningDoc, f)
	condemned, onPause, onResume, err := Transitions(running, paused, f.region)
	if err != nil {
		return nil, err
	}
	if s.Pause, err = estimate.Pause(nodes, condemned, onPause); err != nil {
		return nil, fmt.Errorf("pause: %w", err)
	}
	if s.Resume, err = estimate.Resume(nodes, condemned, onResume); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	return s, nil
}

func round4(v float64) float64 { return float64(int(v*1e4+0.5)) / 1e4 }

// dnsSyncWait is the --dns-sync-wait of a Cleanup command's interpreter.
func dnsSyncWait(inputs map[string]any) time.Duration {
	args, _ := inputs["interpreter"].([]any)
	for i, a := range args {
		if a == "--dns-sync-wait" && i+1 < len(args) {
			if s, ok := args[i+1].(string); ok {
				d, _ := time.ParseDuration(s)
				return d
			}
		}
	}
	return 0
}
