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

// TransitionAssumptions are how Pause and Resume estimate, for the plan's
// reader, with the figures they use.
func TransitionAssumptions() []string {
	return []string{
		fmt.Sprintf("A pause runs its updates first (the bastion's stop, %s; the releases turning Helm's wait off, %s), then its deletes in the engine's order, each round as long as its slowest delete: the samples, the cleanups (with their wait for ExternalDNS), the node group, the NAT gateways.",
			Span(Timings[InstanceStateType].Update), Span(helmUpgradeMinutes)),
		fmt.Sprintf("A resume creates what the pause deleted. Its Helm releases change nothing but Helm's wait: their pods, Pending since the pause, start when the node group is back, every release's at once, so a release's upgrade is done %s after it starts or when its pods are Ready (%s after the node group), whichever is later.",
			Span(helmUpgradeMinutes), Span(Timings[ReleaseType].Create)),
	}
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
	updates, path, err := longest(running, byURN, up, func(n *Node, _ float64) float64 { return updated[n.URN] })
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
//
// Except a Helm release that waits for its pods again: its chart and values
// are the running lab's, so Helm's upgrade changes no object (Helm v3
// pkg/kube/client.go updateResource writes nothing for an empty patch) and
// waits for the pods the release already has (pulumi-kubernetes'
// helmUpdate: Wait = !skipAwait). Those have been Pending since the pause
// took the nodes and start once the node groups are back, every release's
// at once. So such an upgrade is done when Helm's own part is and its pods
// are Ready, its update time after the last node group, whichever is later:
// a release that waits for another's starts with its pods up already.
func Resume(running []Node, created map[string]bool, updated map[string]float64) (Transition, error) {
	byURN, up, _ := orderGraph(running)
	plain := func(n *Node, _ float64) float64 {
		if created[n.URN] {
			return n.Timing.Create
		}
		return updated[n.URN]
	}
	finish, _, _, err := schedule(running, byURN, up, plain)
	if err != nil {
		return Transition{}, err
	}
	nodesBack, withNodes := 0.0, false
	for urn := range created {
		if byURN[urn].Type == NodeGroupType {
			nodesBack, withNodes = max(nodesBack, finish[urn]), true
		}
	}
	weight := func(n *Node, start float64) float64 {
		w := plain(n, start)
		if withNodes && n.Type == ReleaseType && !created[n.URN] && w > helmUpgradeMinutes {
			return max(helmUpgradeMinutes, nodesBack+w-start)
		}
		return w
	}
	minutes, path, err := longest(running, byURN, up, weight)
	return Transition{Minutes: minutes, Path: path}, err
}
