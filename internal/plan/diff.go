package plan

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/eks-study/lab/internal/estimate"
)

// Diff is what changes from one plan to another. Resources are matched by
// URN, or by an alias the head resource declares for a base URN (a rename
// that keeps the live resource); the stack part of the URN is ignored so
// that two stacks can be compared.
type Diff struct {
	BaseStack, HeadStack string
	Added                []Resource
	Removed              []Resource
	Changed              []ResourceChange
	Unchanged            int
	Outputs              []Change
	Estimates            []Change
}

// ResourceChange is a resource in both plans whose URN, inputs, parent or
// dependencies differ.
type ResourceChange struct {
	Resource Resource // as in the head plan
	Changes  []Change
}

// Change is one property that differs, as flattened dotted paths
// ("spec.ports[0].port", `metadata.annotations["a/b"]`) with compact JSON
// values; an absent side is "".
type Change struct {
	Path     string
	Old, New string
}

// Empty tells whether nothing differs.
func (d *Diff) Empty() bool {
	return len(d.Added)+len(d.Removed)+len(d.Changed)+len(d.Outputs)+len(d.Estimates) == 0
}

// Compare diffs two plans.
func Compare(base, head *Document) *Diff {
	d := &Diff{BaseStack: base.Stack, HeadStack: head.Stack}
	old := map[string]Resource{}
	for _, r := range base.Resources {
		old[stackless(r.URN)] = r
	}
	// renamed maps a base URN to the head URN that answers to it by alias.
	renamed := map[string]string{}
	for _, r := range head.Resources {
		if _, ok := old[stackless(r.URN)]; ok {
			continue
		}
		for _, a := range r.Aliases {
			if _, ok := old[stackless(a)]; ok && renamed[stackless(a)] == "" {
				renamed[stackless(a)] = stackless(r.URN)
				break
			}
		}
	}
	headKey := func(baseURN string) string {
		if k, ok := renamed[stackless(baseURN)]; ok {
			return k
		}
		return stackless(baseURN)
	}
	baseKey := map[string]string{}
	for b, h := range renamed {
		baseKey[h] = b
	}
	seen := map[string]bool{}
	for _, r := range head.Resources {
		key := stackless(r.URN)
		if b, ok := baseKey[key]; ok {
			key = b
		}
		seen[key] = true
		o, ok := old[key]
		if !ok {
			d.Added = append(d.Added, r)
			continue
		}
		if changes := resourceChanges(o, r, headKey); len(changes) > 0 {
			d.Changed = append(d.Changed, ResourceChange{Resource: r, Changes: changes})
		} else {
			d.Unchanged++
		}
	}
	for _, r := range base.Resources {
		if !seen[stackless(r.URN)] {
			d.Removed = append(d.Removed, r)
		}
	}
	d.Outputs = changes(flatten("", base.Outputs), flatten("", head.Outputs))
	d.Estimates = estimateChanges(base, head)
	return d
}

// resourceChanges compares a base resource with the head resource; headKey
// names a base URN as the head plan does, so renames are not changes twice.
func resourceChanges(o, n Resource, headKey func(string) string) []Change {
	out := changes(flatten("", o.Inputs), flatten("", n.Inputs))
	if stackless(o.URN) != stackless(n.URN) {
		out = append(out, Change{Path: "(renamed, alias kept)", Old: typeAndName(o.URN), New: typeAndName(n.URN)})
	}
	if headKey(o.Parent) != stackless(n.Parent) {
		out = append(out, Change{Path: "(parent)", Old: urnName(o.Parent), New: urnName(n.Parent)})
	}
	was, is := map[string]bool{}, map[string]bool{}
	for _, u := range o.Dependencies {
		was[headKey(u)] = true
	}
	for _, u := range n.Dependencies {
		is[stackless(u)] = true
	}
	var gone, added []string
	for _, u := range o.Dependencies {
		if !is[headKey(u)] {
			gone = append(gone, urnName(u))
		}
	}
	for _, u := range n.Dependencies {
		if !was[stackless(u)] {
			added = append(added, urnName(u))
		}
	}
	if len(gone)+len(added) > 0 {
		out = append(out, Change{Path: "(dependencies)", Old: strings.Join(gone, ", "), New: strings.Join(added, ", ")})
	}
	return out
}

func changes(old, cur map[string]string) []Change {
	var out []Change
	for _, k := range slices.Sorted(maps.Keys(cur)) {
		if o, ok := old[k]; !ok || o != cur[k] {
			out = append(out, Change{Path: k, Old: old[k], New: cur[k]})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(old)) {
		if _, ok := cur[k]; !ok {
			out = append(out, Change{Path: k, Old: old[k]})
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func estimateChanges(base, head *Document) []Change {
	b, h := base.Estimates, head.Estimates
	old := map[string]string{
		"hourly cost":    estimate.Dollars(b.Cost.HourlyTotal),
		"session cost":   fmt.Sprintf("%s (%g h)", money2(b.Cost.SessionTotal), b.Cost.SessionHours),
		"pulumi up":      estimate.Span(b.Duration.UpMinutes),
		"pulumi destroy": estimate.Span(b.Duration.DestroyMinutes),
	}
	cur := map[string]string{
		"hourly cost":    estimate.Dollars(h.Cost.HourlyTotal),
		"session cost":   fmt.Sprintf("%s (%g h)", money2(h.Cost.SessionTotal), h.Cost.SessionHours),
		"pulumi up":      estimate.Span(h.Duration.UpMinutes),
		"pulumi destroy": estimate.Span(h.Duration.DestroyMinutes),
	}
	for _, c := range b.Capacity {
		old["max pods per node, "+c.NodeGroup] = fmt.Sprintf("%d (%s)", c.MaxPodsPerNode, c.InstanceType)
	}
	for _, c := range h.Capacity {
		cur["max pods per node, "+c.NodeGroup] = fmt.Sprintf("%d (%s)", c.MaxPodsPerNode, c.InstanceType)
	}
	return changes(old, cur)
}

// stackless drops the stack from a URN: urn:pulumi:<stack>::<rest>.
func stackless(urn string) string {
	if rest, ok := strings.CutPrefix(urn, "urn:pulumi:"); ok {
		if _, after, ok := strings.Cut(rest, "::"); ok {
			return after
		}
	}
	return urn
}

// typeAndName is a URN without stack and project: the parent types, the type and the name.
func typeAndName(urn string) string {
	_, rest, _ := strings.Cut(stackless(urn), "::")
	return rest
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// flatten maps every leaf of v to its compact JSON value, keyed by path.
func flatten(prefix string, v any) map[string]string {
	out := map[string]string{}
	var walk func(p string, v any)
	walk = func(p string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if len(v) == 0 && p != "" {
				out[p] = "{}"
			}
			for k, e := range v {
				switch {
				case !identifier.MatchString(k):
					walk(p+`["`+k+`"]`, e)
				case p == "":
					walk(k, e)
				default:
					walk(p+"."+k, e)
				}
			}
		case []any:
			if len(v) == 0 {
				out[p] = "[]"
			}
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", p, i), e)
			}
		default:
			out[p] = compact(v)
		}
	}
	walk(prefix, v)
	return out
}

// RenderDiff writes a diff as text or as markdown for a pull request comment.
func RenderDiff(w io.Writer, d *Diff, format string) error {
	var b bytes.Buffer
	switch format {
	case "markdown":
		renderDiffMarkdown(&b, d)
	case "text":
		renderDiffText(&b, d)
	default:
		return fmt.Errorf("unknown diff format %q: use text or markdown", format)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (d *Diff) stacks() string {
	if d.BaseStack == d.HeadStack {
		return d.HeadStack
	}
	return d.BaseStack + " -> " + d.HeadStack
}

func (d *Diff) summary() string {
	s := fmt.Sprintf("%d to add, %d to change, %d to remove (%d unchanged)", len(d.Added), len(d.Changed), len(d.Removed), d.Unchanged)
	if len(d.Outputs) > 0 {
		s += fmt.Sprintf("; %d output values changed", len(d.Outputs))
	}
	return s
}

const noChanges = "No changes: both plans have the same resources, inputs, outputs and estimates."

func renderDiffText(b *bytes.Buffer, d *Diff) {
	fmt.Fprintf(b, "Plan diff for stack %s: %s.\n", d.stacks(), d.summary())
	if d.Empty() {
		fmt.Fprintln(b, noChanges)
		return
	}
	show := func(v string) string {
		if v == "" {
			return "(none)"
		}
		return collapse(v, 80)
	}
	if len(d.Estimates) > 0 {
		fmt.Fprintln(b, "\nEstimates:")
		for _, c := range d.Estimates {
			fmt.Fprintf(b, "  %s: %s -> %s\n", c.Path, show(c.Old), show(c.New))
		}
	}
	if len(d.Added)+len(d.Changed)+len(d.Removed) > 0 {
		fmt.Fprintln(b, "\nResources:")
	}
	for _, r := range d.Added {
		fmt.Fprintf(b, "+ %s  %s  (in %s)\n", r.Name, r.Type, urnName(r.Parent))
	}
	for _, c := range d.Changed {
		fmt.Fprintf(b, "~ %s  %s\n", c.Resource.Name, c.Resource.Type)
		for _, ch := range c.Changes {
			fmt.Fprintf(b, "    %s: %s -> %s\n", ch.Path, show(ch.Old), show(ch.New))
		}
	}
	for _, r := range d.Removed {
		fmt.Fprintf(b, "- %s  %s  (in %s)\n", r.Name, r.Type, urnName(r.Parent))
	}
	if len(d.Outputs) > 0 {
		fmt.Fprintln(b, "\nOutputs:")
		for _, c := range d.Outputs {
			fmt.Fprintf(b, "  %s: %s -> %s\n", c.Path, show(c.Old), show(c.New))
		}
	}
}

func renderDiffMarkdown(b *bytes.Buffer, d *Diff) {
	fmt.Fprintf(b, "## Lab plan diff: `%s`\n\n", d.stacks())
	if d.Empty() {
		fmt.Fprintf(b, "%s\n", noChanges)
		return
	}
	fmt.Fprintf(b, "**%s.**\n", d.summary())
	changeTable := func(first string, cs []Change) {
		fmt.Fprintf(b, "\n| %s | before | after |\n| --- | --- | --- |\n", first)
		for _, c := range cs {
			name := mdCode(c.Path)
			if first == "estimate" {
				name = mdCell(c.Path)
			}
			fmt.Fprintf(b, "| %s | %s | %s |\n", name, mdValue(c.Old), mdValue(c.New))
		}
	}
	if len(d.Estimates) > 0 {
		fmt.Fprintf(b, "\n### Estimates\n")
		changeTable("estimate", d.Estimates)
	}
	resources := func(title string, rs []Resource) {
		if len(rs) == 0 {
			return
		}
		fmt.Fprintf(b, "\n### %s (%d)\n\n| resource | type | parent |\n| --- | --- | --- |\n", title, len(rs))
		for _, r := range rs {
			fmt.Fprintf(b, "| %s | %s | %s |\n", mdCode(r.Name), mdCode(r.Type), mdCode(urnName(r.Parent)))
		}
	}
	resources("Added", d.Added)
	if len(d.Changed) > 0 {
		fmt.Fprintf(b, "\n### Changed (%d)\n", len(d.Changed))
		for _, c := range d.Changed {
			fmt.Fprintf(b, "\n**%s** %s\n", mdCode(c.Resource.Name), mdCode(c.Resource.Type))
			changeTable("property", c.Changes)
		}
	}
	resources("Removed", d.Removed)
	if len(d.Outputs) > 0 {
		fmt.Fprintf(b, "\n### Outputs (%d)\n", len(d.Outputs))
		changeTable("output", d.Outputs)
	}
}

// mdCode is inline code that is safe in a table cell.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	if strings.Contains(s, "`") {
		return "<code>" + htmlCell(s) + "</code>"
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// mdValue shows a value, folding long ones into a <details> element.
func mdValue(s string) string {
	const short, long = 80, 2000
	switch r := []rune(s); {
	case s == "":
		return "*(none)*"
	case len(r) <= short:
		return mdCode(s)
	default:
		full := s
		if len(r) > long {
			full = string(r[:long]) + "…"
		}
		return fmt.Sprintf("<details><summary><code>%s…</code> (%d chars)</summary><code>%s</code></details>",
			htmlCell(string(r[:60])), len(r), htmlCell(full))
	}
}

func htmlCell(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "|", "&#124;")
}
