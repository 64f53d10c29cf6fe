package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/eks-study/lab/internal/estimate"
)

// Formats are the output formats of `lab plan` and `lab diff`.
var Formats = []string{"text", "markdown", "json"}

// Render writes the document in one of Formats.
func Render(w io.Writer, d *Document, format string) error {
	switch format {
	case "json":
		return d.WriteJSON(w)
	case "text", "markdown":
		r := &renderer{doc: d, f: gatherFacts(d), md: format == "markdown"}
		r.all()
		_, err := w.Write(r.buf.Bytes())
		return err
	}
	return fmt.Errorf("unknown format %q: use %s", format, strings.Join(Formats, ", "))
}

type renderer struct {
	doc *Document
	f   *facts
	md  bool
	buf bytes.Buffer
}

func (r *renderer) printf(format string, args ...any) { fmt.Fprintf(&r.buf, format, args...) }

func (r *renderer) heading(title string) {
	if r.md {
		r.printf("\n### %s\n\n", title)
	} else {
		r.printf("\n%s\n", strings.ToUpper(title))
	}
}

// table writes rows as a markdown table or aligned text columns.
func (r *renderer) table(header []string, rows [][]string) {
	if r.md {
		r.printf("| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
		for _, row := range rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = mdCell(c)
			}
			r.printf("| %s |\n", strings.Join(cells, " | "))
		}
		return
	}
	tw := tabwriter.NewWriter(&r.buf, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  %s\n", strings.Join(header, "\t"))
	for _, row := range rows {
		fmt.Fprintf(tw, "  %s\n", strings.Join(row, "\t"))
	}
	tw.Flush()
}

func (r *renderer) bullets(lines []string) {
	for _, l := range lines {
		if r.md {
			r.printf("- %s\n", l)
		} else {
			r.printf("  - %s\n", l)
		}
	}
}

func (r *renderer) all() {
	d, f := r.doc, r.f
	title := fmt.Sprintf("Lab plan for stack %s", d.Stack)
	if r.md {
		r.printf("## %s\n\n", title)
	} else {
		r.printf("%s\n", title)
	}
	r.printf("%d resources, %d outputs, region %s. Computed offline under Pulumi's mock engine: IDs, ARNs and addresses are placeholders.\n",
		len(d.Resources), len(d.Outputs), orDefault(f.region, "unknown"))
	c := d.Estimates.Cost
	perHour := estimate.Dollars(c.HourlyTotal)
	if c.Spot != nil {
		perHour = fmt.Sprintf("at most %s (spot nodes on-demand; likely %s-%s)", perHour, estimate.Dollars(c.Spot.HourlyLow), estimate.Dollars(c.Spot.HourlyHigh))
	}
	cost := fmt.Sprintf("%s per hour, %s per %g-hour session", perHour, money2(c.SessionTotal), c.SessionHours)
	if len(c.Unpriced) > 0 {
		// A total that leaves out what has no price is no estimate.
		cost = unpriced(c)
	}
	if d.Estimates.States.pausedPlan() {
		// A paused lab is not brought up from nothing (the program refuses).
		r.printf("Estimate: %s; `pulumi destroy` ~%s.\n", cost, estimate.Span(d.Estimates.Duration.DestroyMinutes))
	} else {
		r.printf("Estimate: %s; `pulumi up` ~%s, `pulumi destroy` ~%s.\n",
			cost, estimate.Span(d.Estimates.Duration.UpMinutes), estimate.Span(d.Estimates.Duration.DestroyMinutes))
	}
	if s := d.Estimates.States; s != nil {
		state := "running; paused"
		if s.Paused {
			state = "paused (eks-lab:paused is true); running"
		}
		fraction := fmt.Sprintf("%.1f %% of running", 100*s.PausedFraction)
		if f := s.PausedFractionSpot; len(f) == 2 {
			fraction = fmt.Sprintf("%.1f %% of running with on-demand prices, %.1f-%.1f %% of spot's likely range", 100*s.PausedFraction, 100*f[0], 100*f[1])
		}
		r.printf("Both states: this plan is %s %s per hour, running %s: paused costs %s; pause ~%s, resume ~%s (pulumi config set eks-lab:paused true|false, then pulumi up).\n",
			state, estimate.Dollars(map[bool]float64{false: s.PausedHourly, true: s.RunningHourly}[s.Paused]),
			estimate.Dollars(s.RunningHourly), fraction, estimate.Span(s.Pause.Minutes), estimate.Span(s.Resume.Minutes))
	}

	r.heading("Resources")
	if r.md {
		r.printf("```text\n")
	}
	r.tree()
	if r.md {
		r.printf("```\n")
	}
	r.subnets()
	r.capacity()
	r.roles()
	r.helm()
	r.loadBalancers()
	r.cost()
	r.durations()
	r.outputs()
}

func (r *renderer) tree() {
	children := map[string][]Resource{}
	present := map[string]bool{}
	for _, res := range r.doc.Resources {
		present[res.URN] = true
	}
	var roots []string
	for _, res := range r.doc.Resources {
		children[res.Parent] = append(children[res.Parent], res)
		if !present[res.Parent] && !slices.Contains(roots, res.Parent) {
			roots = append(roots, res.Parent)
		}
	}
	slices.Sort(roots)
	var walk func(urn, indent string)
	walk = func(urn, indent string) {
		kids := children[urn]
		for i, k := range kids {
			branch, next := "├─ ", "│  "
			if i == len(kids)-1 {
				branch, next = "└─ ", "   "
			}
			line := indent + branch + k.Name + "  " + k.Type
			if det := r.f.detail(k); det != "" {
				line += "  " + det
			}
			r.printf("%s\n", line)
			walk(k.URN, indent+next)
		}
	}
	for _, root := range roots {
		name, typ := urnName(root), urnType(root)
		if root == "" {
			name, typ = "(no parent)", ""
		}
		r.printf("%s  %s\n", name, typ)
		walk(root, "")
	}
}

func (r *renderer) subnets() {
	if len(r.f.subnets) == 0 {
		return
	}
	r.heading("Subnets")
	var rows [][]string
	for _, s := range r.f.subnets {
		rows = append(rows, []string{s.Name, s.AZ, s.CIDR, fmt.Sprint(s.Usable), subnetTier(s)})
	}
	r.table([]string{"subnet", "AZ", "CIDR", "usable addresses", "use"}, rows)
}

func subnetTier(s subnetFact) string {
	var parts []string
	if s.Public {
		parts = append(parts, "public IPv4 on launch")
	}
	if s.ELB {
		parts = append(parts, "internet-facing LBs")
	}
	tags, _ := get(s.Inputs, "tags").(map[string]any)
	if tags["kubernetes.io/role/internal-elb"] != nil {
		parts = append(parts, "internal LBs")
	}
	return strings.Join(parts, ", ")
}

func (r *renderer) capacity() {
	caps := r.doc.Estimates.Capacity
	if len(caps) == 0 {
		return
	}
	r.heading("Pod capacity")
	r.printf("VPC CNI without prefix delegation: max pods per node = ENIs x (IPv4 per ENI - 1) + 2, capped by EKS managed node groups at 110 (under 30 vCPUs) or 250; each pod takes a VPC address from its node's subnet.\n\n")
	for _, c := range caps {
		if c.MaxPodsPerNode == 0 {
			r.printf("Node group %s: %s, max pods unknown (%s).\n", c.NodeGroup, c.InstanceType, c.Note)
			continue
		}
		pods := fmt.Sprintf("%d ENIs x %d IPv4 -> %d pods per node", c.ENIs, c.IPv4PerENI, c.MaxPodsPerNode)
		if c.MaxPodsPerNode < c.ENIMaxPods {
			pods = fmt.Sprintf("%d ENIs x %d IPv4 -> %d, capped at %d for %d vCPUs", c.ENIs, c.IPv4PerENI, c.ENIMaxPods, c.MaxPodsPerNode, c.VCPUs)
		}
		r.printf("Node group %s: %s has %s; %d nodes hold %d pods (max size %d nodes: %d).\n",
			c.NodeGroup, c.InstanceType, pods, c.DesiredNodes, c.PodsAtDesired, c.MaxNodes, c.PodsAtMax)
		if len(c.InstanceTypes) > 1 {
			r.printf("Nodes may be any of %s: pods counted with %s, the type with the fewest per node; subnet addresses with %s, the type that takes the most.\n",
				strings.Join(c.InstanceTypes, ", "), c.InstanceType, c.AddressInstanceType)
		}
		if c.Note != "" {
			r.printf("Note: %s.\n", c.Note)
		}
		if r.md {
			r.printf("\n")
		}
		var rows [][]string
		for _, s := range c.Subnets {
			fits := "yes"
			if !s.Fits {
				fits = fmt.Sprintf("NO: needs %d addresses", s.AddressesAtMax)
			}
			rows = append(rows, []string{s.Subnet, s.CIDR, fmt.Sprint(s.UsableAddresses),
				fmt.Sprintf("%d / %d", s.NodesAtDesired, s.NodesAtMax), fmt.Sprint(s.PodAddresses),
				fmt.Sprintf("%d x %d = %d", s.NodesAtMax, c.MaxPodsPerNode, s.PodsAtMax), fits})
		}
		r.table([]string{"node subnet", "CIDR", "usable", "nodes desired / max", "pod addresses", "nodes x maxPods (max)", "fits"}, rows)
	}
}

func (r *renderer) roles() {
	roles := r.doc.OfType(typeRole)
	if len(roles) == 0 {
		return
	}
	r.heading("IAM roles and who may assume them")
	var rows [][]string
	modes := map[string]bool{}
	for _, role := range roles {
		how, serviceAccounts := r.f.roleUse(role)
		modes[how] = true
		rows = append(rows, []string{role.Name, orDefault(how, "other"), orDefault(strings.Join(serviceAccounts, ", "), "-"),
			strings.Join(trust(str(role.Inputs, "assumeRolePolicy")), " | ")})
	}
	r.table([]string{"role", "assumed through", "service account", "trust"}, rows)
	if modes[viaIRSA] {
		r.printf("\nIRSA: the pod's service account token is exchanged with STS against the cluster's OIDC provider; the trust policy names the provider and the service account.\n")
	}
	if modes[viaPodIdentity] {
		r.printf("\nEKS Pod Identity: the eks-pod-identity-agent on the node gets the pod's credentials from the EKS Auth API for the association of its service account; " +
			"the trust policy names the pods.eks.amazonaws.com service, no OIDC provider, and the lab narrows it by the session tags EKS sends.\n")
	}
}

func (r *renderer) helm() {
	releases := append(r.doc.OfType(typeHelmRelease), r.doc.OfType(typeHelmChart)...)
	if len(releases) == 0 {
		return
	}
	r.heading("Helm releases")
	var rows [][]string
	for _, h := range releases {
		rows = append(rows, []string{orDefault(str(h.Inputs, "name"), h.Name), str(h.Inputs, "chart"), str(h.Inputs, "version"),
			orDefault(str(h.Inputs, "namespace"), "default"), str(h.Inputs, "repositoryOpts.repo")})
	}
	r.table([]string{"release", "chart", "version", "namespace", "repository"}, rows)
}

func (r *renderer) loadBalancers() {
	if len(r.f.lbs) == 0 {
		return
	}
	r.heading("Load balancers the controllers will create")
	var rows [][]string
	for _, lb := range r.f.lbs {
		kind := orDefault(lb.Kind, "unknown")
		rows = append(rows, []string{lb.Detail, kind, lb.Target, lb.Scheme, lb.By + note(lb.Note)})
	}
	r.table([]string{"for", "kind", "targets", "scheme", "built by"}, rows)
}

func note(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func (r *renderer) cost() {
	c := r.doc.Estimates.Cost
	r.heading("Cost estimate")
	var rows [][]string
	for _, it := range c.Items {
		unit, hourly := "unpriced", "unpriced"
		if it.Priced {
			unit, hourly = rate(it.UnitHourly)+"/"+it.Unit, estimate.Dollars(it.Hourly)
		}
		rows = append(rows, []string{it.Component, it.Detail, fmt.Sprintf("%g %s", it.Quantity, plural(it.Unit, it.Quantity)), unit, hourly})
	}
	r.table([]string{"component", "what", "quantity", "rate per hour", "per hour"}, rows)
	if len(c.Unpriced) > 0 {
		r.printf("\nTotal: %s (%s, %s).\n", unpriced(c), c.Region, c.PriceFile)
	} else {
		r.printf("\nTotal: %s per hour, %s per %g-hour lab session (%s, %s).\n", estimate.Dollars(c.HourlyTotal), money2(c.SessionTotal), c.SessionHours, c.Region, c.PriceFile)
	}
	if s := c.Spot; s != nil {
		r.printf("Spot nodes are in the total at on-demand prices, an upper bound: at the %.0f%%-%.0f%% discount assumed as of %s, %s-%s per hour, %s-%s per session. "+
			"AWS can reclaim a spot node mid-lab with two minutes' notice.\n",
			s.DiscountMin*100, s.DiscountMax*100, s.AsOf, estimate.Dollars(s.HourlyLow), estimate.Dollars(s.HourlyHigh), money2(s.SessionLow), money2(s.SessionHigh))
	}
	if len(c.Unpriced) > 0 {
		r.printf("Not in the total (unpriced):\n")
		r.bullets(c.Unpriced)
	}
	r.details("Assumptions", c.Assumptions)
}

// unpriced is the total of an estimate that leaves something out.
func unpriced(c estimate.Cost) string {
	s := fmt.Sprintf("unpriced: %d planned item(s) have no price", len(c.Unpriced))
	if c.HourlyTotal > 0 {
		s += fmt.Sprintf(", the rest is %s per hour", estimate.Dollars(c.HourlyTotal))
	}
	return s
}

func (r *renderer) details(title string, lines []string) {
	if r.md {
		r.printf("\n<details><summary>%s</summary>\n\n", title)
		r.bullets(lines)
		r.printf("\n</details>\n")
		return
	}
	r.printf("%s:\n", title)
	r.bullets(lines)
}

func (r *renderer) durations() {
	du := r.doc.Estimates.Duration
	r.heading("Time estimate")
	rows := [][]string{
		{"pulumi up", estimate.Span(du.UpMinutes), estimate.PathString(du.UpPath)},
		{"pulumi destroy", estimate.Span(du.DestroyMinutes), estimate.PathString(du.DestroyPath)},
	}
	if r.doc.Estimates.States.pausedPlan() {
		rows = rows[1:] // a paused lab is not brought up from nothing
	}
	if s := r.doc.Estimates.States; s != nil {
		rows = append(rows,
			[]string{"pause (eks-lab:paused: true)", estimate.Span(s.Pause.Minutes), estimate.PathString(s.Pause.Path)},
			[]string{"resume (eks-lab:paused: false)", estimate.Span(s.Resume.Minutes), estimate.PathString(s.Resume.Path)})
	}
	r.table([]string{"command", "about", "critical path"}, rows)
	assumptions := du.Assumptions
	if s := r.doc.Estimates.States; s != nil {
		assumptions = append(slices.Clip(assumptions), s.Assumptions...)
	}
	r.details("How these are estimated", assumptions)
}

func (r *renderer) outputs() {
	if len(r.doc.Outputs) == 0 {
		return
	}
	r.heading("Outputs")
	var rows [][]string
	for _, k := range slices.Sorted(maps.Keys(r.doc.Outputs)) {
		rows = append(rows, []string{k, collapse(compact(r.doc.Outputs[k]), 100)})
	}
	r.table([]string{"output", "value"}, rows)
}

// detail is the one-line summary of a resource in the tree.
func (f *facts) detail(r Resource) string {
	in := r.Inputs
	switch r.Type {
	case typeAWSProvider:
		return "region " + str(in, "region")
	case "pulumi:providers:kubernetes":
		if get(in, "kubeconfig") != nil {
			return "kubeconfig " + Secret
		}
	case typeVpc:
		return "CIDR " + str(in, "cidrBlock")
	case typeSubnet:
		for _, s := range f.subnets {
			if s.URN == r.URN {
				return strings.TrimSuffix(fmt.Sprintf("%s %s, %d usable addresses, %s", s.AZ, s.CIDR, s.Usable, subnetTier(s)), ", ")
			}
		}
	case typeNatGateway:
		if s, ok := f.subnet(get(in, "subnetId")); ok {
			return "in " + s.Name
		}
	case typeEip:
		return "public IPv4 address"
	case typeNodeGroup:
		for _, g := range f.nodeGroups {
			if g.URN == r.URN {
				pods := "max pods unknown"
				if g.TypeErr == nil {
					pods = fmt.Sprintf("%d pods per node", g.Type.MaxPods())
				}
				return fmt.Sprintf("%s x %d (min %d, max %d), %s, %s %s, %g GiB %s, %d subnets", strings.Join(g.InstanceTypes, "|"), g.Desired, g.Min, g.Max,
					pods, str(in, "amiType"), orDefault(g.CapacityType, "ON_DEMAND"), g.DiskGiB, g.DiskType, len(g.Subnets)+g.UnresolvedSubnetCount)
			}
		}
	case typeInstance:
		for _, i := range f.instances {
			if i.URN == r.URN {
				s := fmt.Sprintf("%s, root %g GiB %s", i.InstanceType, i.RootGiB, i.RootType)
				if i.Subnet != nil {
					s += ", in " + i.Subnet.Name
				}
				if i.Public {
					s += ", public IPv4"
				}
				return s
			}
		}
	case typeRole:
		return "trust: " + strings.Join(trust(str(in, "assumeRolePolicy")), " | ")
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		return "policy " + path.Base(str(in, "policyArn"))
	case typeEKSComponent, typeEKSCluster:
		access := "private endpoint"
		if b, _ := get(in, "endpointPublicAccess").(bool); b {
			access = "public endpoint from " + strings.Join(strs(in, "publicAccessCidrs"), ", ")
			if b, _ := get(in, "endpointPrivateAccess").(bool); b {
				access += " + private endpoint"
			}
		}
		return fmt.Sprintf("EKS %s, Kubernetes %s, %s", orDefault(str(in, "name"), r.Name), str(in, "version"), access)
	case "aws:eks/addon:Addon":
		return "add-on " + str(in, "addonName")
	case "aws:eks/accessEntry:AccessEntry":
		return "principal " + str(in, "principalArn")
	case "aws:eks/accessPolicyAssociation:AccessPolicyAssociation":
		return fmt.Sprintf("%s, %s scope", path.Base(str(in, "policyArn")), str(in, "accessScope.type"))
	case typeAssociation:
		return fmt.Sprintf("%s/%s in %s -> role %s", str(in, "namespace"), str(in, "serviceAccount"), str(in, "clusterName"), path.Base(str(in, "roleArn")))
	case typeHelmRelease, typeHelmChart:
		return fmt.Sprintf("chart %s %s in %s", str(in, "chart"), str(in, "version"), orDefault(str(in, "namespace"), "default"))
	case typeService:
		t := orDefault(str(in, "spec.type"), "ClusterIP")
		if t == "LoadBalancer" {
			for _, lb := range f.lbs {
				if lb.Key == r.URN {
					return fmt.Sprintf("LoadBalancer -> %s %s %s", orDefault(lb.Kind, "unknown"), lb.Target, lb.Scheme)
				}
			}
		}
		return t
	case typeIngress:
		for _, lb := range f.lbs {
			for _, s := range lb.Sources {
				if s.URN == r.URN {
					return fmt.Sprintf("ALB %s %s (%s)", lb.Target, lb.Scheme, lb.Detail)
				}
			}
		}
		return "class " + orDefault(str(in, "spec.ingressClassName"), "none")
	case "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:DaemonSet":
		var images []string
		for _, c := range list(in, "spec.template.spec.containers") {
			m, _ := c.(map[string]any)
			images = append(images, str(m, "image"))
		}
		s := "image " + strings.Join(images, ", ")
		if get(in, "spec.replicas") != nil {
			s = count(integer(in, "spec.replicas"), "replica") + ", " + s
		}
		return s
	case "aws:cloudwatch/logGroup:LogGroup":
		return fmt.Sprintf("%s, retention %s", str(in, "name"), count(integer(in, "retentionInDays"), "day"))
	case "aws:ec2/securityGroup:SecurityGroup":
		var rules []string
		for _, rule := range list(in, "ingress") {
			m, _ := rule.(map[string]any)
			rules = append(rules, fmt.Sprintf("%s %d-%d from %s", str(m, "protocol"), integer(m, "fromPort"), integer(m, "toPort"), strings.Join(strs(m, "cidrBlocks"), ",")))
		}
		if len(rules) > 0 {
			return "ingress " + strings.Join(rules, "; ")
		}
	}
	return ""
}

// rate shows a unit price with the digits it has (EBS per GiB-hour is tiny).
func rate(v float64) string   { return "$" + strconv.FormatFloat(v, 'g', 6, 64) }
func money2(v float64) string { return fmt.Sprintf("$%.2f", v) }

func count(n int, unit string) string {
	return fmt.Sprintf("%d %s", n, plural(unit, float64(n)))
}

func plural(unit string, n float64) string {
	switch {
	case n == 1 || unit == "GiB":
		return unit
	case strings.HasSuffix(unit, "s"):
		return unit + "es"
	}
	return unit + "s"
}

// urnName and urnType split "urn:pulumi:stack::project::type::name".
func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

func urnType(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return ""
	}
	t := parts[len(parts)-2]
	if i := strings.LastIndex(t, "$"); i >= 0 {
		t = t[i+1:]
	}
	return t
}

// compact is a value as one line of JSON.
func compact(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// collapse shortens a long value for a table cell.
func collapse(s string, max int) string {
	if len([]rune(s)) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + fmt.Sprintf("… (%d chars)", len(r))
}

// mdCell makes a string safe inside a markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", "<br>")
}
