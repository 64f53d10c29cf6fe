package offline

import (
	"strconv"
	"strings"
)

// Find returns the resource of that type and name.
func (p *Plan) Find(typ, name string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.Type == typ && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// OfType returns every resource of that type, sorted by URN.
func (p *Plan) OfType(typ string) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// ByURN returns the resource with that URN.
func (p *Plan) ByURN(urn string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.URN == urn {
			return r, true
		}
	}
	return Resource{}, false
}

// DependsOn tells whether the engine must delete urn before onURN, and
// create it after: onURN is reachable from urn through dependencies and
// parent links (a child is deleted before its parent, a dependent before
// what it depends on).
func (p *Plan) DependsOn(urn, onURN string) bool {
	seen := map[string]bool{}
	stack := []string{urn}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[cur] {
			continue
		}
		seen[cur] = true
		r, ok := p.ByURN(cur)
		if !ok {
			continue
		}
		next := append([]string{r.Parent}, r.Dependencies...)
		for _, n := range next {
			if n == onURN {
				return true
			}
			if n != "" && !seen[n] {
				stack = append(stack, n)
			}
		}
	}
	return false
}

// Children returns the resources whose parent is urn.
func (p *Plan) Children(urn string) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Parent == urn {
			out = append(out, r)
		}
	}
	return out
}

// Get reads a dotted path of inputs, such as "scalingConfig.desiredSize" or
// "ingress.0.fromPort"; nil when absent.
func Get(inputs map[string]any, path string) any {
	var cur any = inputs
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}
