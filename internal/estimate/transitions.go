package estimate

import (
	"fmt"
	"slices"
)

// DeleteLayers orders the deletes of the resources an update drops
// (condemned, by URN) the way Pulumi's engine does, and returns them in
// the order they run, one antichain after another. It mirrors
// pulumi/pulumi pkg/v3@v3.274.1 resource/deploy/step_generator.go
// (ScheduleDeletes, which layers the condemned set into antichains and runs
// antichain i+1 only after antichain i finished) and
// resource/graph/dependency_graph.go (DependenciesOf): only a condemned
// resource's direct dependencies that are condemned themselves count, with
// its parent and, for a dependency on a component, the component's
// condemned children. A chain through a kept resource orders nothing.
// Every create, update and same of the update has finished before the
// first delete (deployment_executor.go performPostSteps).
func DeleteLayers(nodes []Node, condemned map[string]bool) ([][]string, error) {
	byURN := map[string]*Node{}
	children := map[string][]string{}
	for i := range nodes {
		byURN[nodes[i].URN] = &nodes[i]
		children[nodes[i].Parent] = append(children[nodes[i].Parent], nodes[i].URN)
	}
	var descendants func(urn string, out []string) []string
	descendants = func(urn string, out []string) []string {
		for _, c := range children[urn] {
			out = descendants(c, append(out, c))
		}
		return out
	}
	deps := map[string][]string{} // condemned -> the condemned it must be deleted before
	for urn := range condemned {
		n, ok := byURN[urn]
		if !ok {
			return nil, fmt.Errorf("condemned %s is not in the graph", urn)
		}
		direct := append([]string{n.Parent}, n.Dependencies...)
		for _, d := range n.Dependencies {
			direct = append(direct, descendants(d, nil)...)
		}
		for _, d := range direct {
			if condemned[d] && d != urn {
				deps[urn] = append(deps[urn], d)
			}
		}
	}
	// depth 0: no condemned dependency; the deepest go first.
	depth := map[string]int{}
	var visit func(urn string, seen map[string]bool) (int, error)
	visit = func(urn string, seen map[string]bool) (int, error) {
		if d, ok := depth[urn]; ok {
			return d, nil
		}
		if seen[urn] {
			return 0, fmt.Errorf("the condemned set has a dependency cycle through %s", urn)
		}
		seen[urn] = true
		d := 0
		for _, dep := range deps[urn] {
			dd, err := visit(dep, seen)
			if err != nil {
				return 0, err
			}
			d = max(d, dd+1)
		}
		depth[urn] = d
		return d, nil
	}
	maxDepth := 0
	for urn := range condemned {
		d, err := visit(urn, map[string]bool{})
		if err != nil {
			return nil, err
		}
		maxDepth = max(maxDepth, d)
	}
	layers := make([][]string, maxDepth+1)
	for urn, d := range depth {
		layers[maxDepth-d] = append(layers[maxDepth-d], urn)
	}
	for _, l := range layers {
		slices.Sort(l)
	}
	return layers, nil
}

// Transition is the estimated time of one pulumi up that changes a lab's
// state (a pause or a resume) and its critical path.
type Transition struct {
	Minutes float64 `json:"minutes"`
	Path    []Step  `json:"criticalPath"`
}

// Pause estimates the pulumi up that takes running (the running lab's
// graph) to the paused program: updated (URN -> update minutes) run first,
// along the create order, then the deletes of condemned in layers
// (DeleteLayers), each layer as long as its longest delete.
func Pause(running []Node, condemned map[string]bool, updated map[string]float64) (Transition, error) {
	byURN, up, _ := orderGraph(running)
	updates, path, err := longest(running, byURN, up, func(n *Node) float64 { return updated[n.URN] })
	if err != nil {
		return Transition{}, err
	}
	layers, err := DeleteLayers(running, condemned)
	if err != nil {
		return Transition{}, err
	}
	total := updates
	for _, layer := range layers {
		var slowest *Node
		for _, urn := range layer {
			if n := byURN[urn]; slowest == nil || n.Timing.Delete > slowest.Timing.Delete {
				slowest = n
			}
		}
		if slowest != nil && slowest.Timing.Delete > 0 {
			total += slowest.Timing.Delete
			path = append(path, Step{URN: slowest.URN, Type: slowest.Type, Name: slowest.Name, Minutes: slowest.Timing.Delete})
		}
	}
	return Transition{Minutes: round(total), Path: path}, nil
}

// Resume estimates the pulumi up that takes the paused lab back to running:
// the create order of the running graph, where what the pause deleted
// (created) weighs its create time, what it updated its update time
// (URN -> minutes), and everything else nothing.
func Resume(running []Node, created map[string]bool, updated map[string]float64) (Transition, error) {
	byURN, up, _ := orderGraph(running)
	minutes, path, err := longest(running, byURN, up, func(n *Node) float64 {
		if created[n.URN] {
			return n.Timing.Create
		}
		return updated[n.URN]
	})
	return Transition{Minutes: minutes, Path: path}, err
}
