package plan

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/components/network/subnetplan"
	"github.com/eks-study/lab/infra/awsfacts"
)

// Resource types the facts read.
const (
	typeSubnet        = "aws:ec2/subnet:Subnet"
	typeVpc           = "aws:ec2/vpc:Vpc"
	typeNodeGroup     = "aws:eks/nodeGroup:NodeGroup"
	typeLaunchTmpl    = "aws:ec2/launchTemplate:LaunchTemplate"
	typeInstance      = "aws:ec2/instance:Instance"
	typeInstanceState = "aws:ec2transitgateway/instanceState:InstanceState"
	typeNatGateway    = "aws:ec2/natGateway:NatGateway"
	typeEip           = "aws:ec2/eip:Eip"
	typeRole          = "aws:iam/role:Role"
	typeAssociation   = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
	typeEKSComponent  = "eks:index:Cluster"
	typeEKSCluster    = "aws:eks/cluster:Cluster"
	typeHelmRelease   = "kubernetes:helm.sh/v3:Release"
	typeHelmChart     = "kubernetes:helm.sh/v4:Chart"
	typeService       = "kubernetes:core/v1:Service"
	typeIngress       = "kubernetes:networking.k8s.io/v1:Ingress"
	typeGateway       = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	typeGatewayClass  = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
	typeLBConfig      = "kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration"
	typeTGConfig      = "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration"
	routeTypePrefix   = "kubernetes:gateway.networking.k8s.io/v1:"
	typeAWSProvider   = "pulumi:providers:aws"
	lbControllerChart = "aws-load-balancer-controller"
)

// Annotations and classes that decide which load balancer a Service or an
// Ingress gets (AWS Load Balancer Controller docs, guide/service and guide/ingress).
const (
	annLBType        = "service.beta.kubernetes.io/aws-load-balancer-type"
	annNLBTargetType = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
	annNLBScheme     = "service.beta.kubernetes.io/aws-load-balancer-scheme"
	annLBInternal    = "service.beta.kubernetes.io/aws-load-balancer-internal"
	annIngressClass  = "kubernetes.io/ingress.class"
	annALBScheme     = "alb.ingress.kubernetes.io/scheme"
	annALBTargetType = "alb.ingress.kubernetes.io/target-type"
	annALBGroup      = "alb.ingress.kubernetes.io/group.name"
	nlbClass         = "service.k8s.aws/nlb"
	albClass         = "alb"
)

// facts are what a member cares about, read from the document's resources.
type facts struct {
	doc        *Document
	region     string
	subnets    []subnetFact // URN order
	nodeGroups []nodeGroupFact
	instances  []instanceFact
	lbs        []lbFact
	lbcInPlan  bool
}

type subnetFact struct {
	Resource
	AZ, CIDR string
	Usable   int  // addresses left after AWS's five
	Public   bool // instances get a public IPv4 address (mapPublicIpOnLaunch)
	ELB      bool // tagged for internet-facing load balancers
}

type nodeGroupFact struct {
	Resource
	// InstanceType is the type whose pods per node the group is sized by:
	// of several (a spot group), the one with the fewest.
	InstanceType          string
	InstanceTypes         []string
	Desired, Min, Max     int
	Subnets               []subnetFact
	DiskGiB               float64
	DiskType              string
	CapacityType          string
	Type                  awsfacts.InstanceType // the fewest pods per node
	AddressType           awsfacts.InstanceType // the most subnet addresses per node
	TypeErr               error
	AllSubnetsPublic      bool
	UnresolvedSubnetCount int
}

type instanceFact struct {
	Resource
	InstanceType string
	Subnet       *subnetFact
	Public       bool
	RootGiB      float64
	RootType     string
	// Stopped: an InstanceState keeps it stopped (a paused lab's bastion);
	// only its root volume bills, its public IPv4 is released.
	Stopped bool
}

type lbFact struct {
	Kind     string // NLB, ALB, CLB; "" when it cannot be told
	Target   string // ip or instance
	Scheme   string // internet-facing or internal
	By       string // who builds it
	Sources  []Resource
	Key      string // what identifies one load balancer
	Detail   string // what it is for, e.g. "Service samples/echo"
	Note     string
	Internet bool
}

func gatherFacts(d *Document) *facts {
	f := &facts{doc: d}
	for _, r := range d.OfType(typeAWSProvider) {
		if region := str(r.Inputs, "region"); region != "" && f.region == "" {
			f.region = region
		}
	}
	if f.region == "" {
		f.region, _ = d.Outputs["region"].(string)
	}
	for _, r := range d.OfType(typeSubnet) {
		s := subnetFact{Resource: r, AZ: str(r.Inputs, "availabilityZone"), CIDR: str(r.Inputs, "cidrBlock")}
		if p, err := netip.ParsePrefix(s.CIDR); err == nil {
			s.Usable = subnetplan.UsableAddresses(p)
		}
		s.Public, _ = get(r.Inputs, "mapPublicIpOnLaunch").(bool)
		tags, _ := get(r.Inputs, "tags").(map[string]any)
		s.ELB = tags["kubernetes.io/role/elb"] != nil
		f.subnets = append(f.subnets, s)
	}
	for _, r := range d.OfType(typeNodeGroup) {
		f.nodeGroups = append(f.nodeGroups, f.nodeGroup(r))
	}
	for _, r := range d.OfType(typeInstance) {
		f.instances = append(f.instances, f.instance(r))
	}
	for _, r := range append(d.OfType(typeHelmRelease), d.OfType(typeHelmChart)...) {
		if strings.Contains(str(r.Inputs, "chart"), lbControllerChart) {
			f.lbcInPlan = true
		}
	}
	f.lbs = f.loadBalancers()
	return f
}

// byID finds the resource of a type that the mock engine gave this ID: every
// resource's ID under the offline engine is "<name>-id".
func (f *facts) byID(typ string, id any) (Resource, bool) {
	s, _ := id.(string)
	name, ok := strings.CutSuffix(s, "-id")
	if !ok {
		return Resource{}, false
	}
	for _, r := range f.doc.OfType(typ) {
		if r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

func (f *facts) subnet(id any) (*subnetFact, bool) {
	r, ok := f.byID(typeSubnet, id)
	if !ok {
		return nil, false
	}
	for i := range f.subnets {
		if f.subnets[i].URN == r.URN {
			return &f.subnets[i], true
		}
	}
	return nil, false
}

func (f *facts) nodeGroup(r Resource) nodeGroupFact {
	g := nodeGroupFact{
		Resource:     r,
		Desired:      integer(r.Inputs, "scalingConfig.desiredSize"),
		Min:          integer(r.Inputs, "scalingConfig.minSize"),
		Max:          integer(r.Inputs, "scalingConfig.maxSize"),
		CapacityType: str(r.Inputs, "capacityType"),
	}
	g.InstanceTypes = strs(r.Inputs, "instanceTypes")
	if len(g.InstanceTypes) == 0 {
		g.InstanceTypes = []string{"t3.medium"} // EKS's default for managed node groups
	}
	// Any node may be any of the types: pods are counted with the fewest per
	// node, subnet addresses with the type that takes the most.
	g.Type, g.AddressType, g.TypeErr = awsfacts.NodeGroupTypes(g.InstanceTypes)
	g.InstanceType = g.Type.Name
	g.AllSubnetsPublic = true
	for _, id := range list(r.Inputs, "subnetIds") {
		if s, ok := f.subnet(id); ok {
			g.Subnets = append(g.Subnets, *s)
			g.AllSubnetsPublic = g.AllSubnetsPublic && s.Public
		} else {
			g.UnresolvedSubnetCount++
		}
	}
	if len(g.Subnets) == 0 {
		g.AllSubnetsPublic = false
	}
	// The disk comes from the launch template when there is one, else from
	// diskSize, else EKS's default of 20 GiB.
	g.DiskGiB, g.DiskType = 20, "gp3"
	if v := number(r.Inputs, "diskSize"); v > 0 {
		g.DiskGiB = v
	}
	if lt, ok := f.byID(typeLaunchTmpl, get(r.Inputs, "launchTemplate.id")); ok {
		for _, m := range list(lt.Inputs, "blockDeviceMappings") {
			bdm, _ := m.(map[string]any)
			if v := number(bdm, "ebs.volumeSize"); v > 0 {
				g.DiskGiB = v
			}
			if t := str(bdm, "ebs.volumeType"); t != "" {
				g.DiskType = t
			}
		}
	}
	return g
}

func (f *facts) instance(r Resource) instanceFact {
	in := instanceFact{Resource: r, InstanceType: str(r.Inputs, "instanceType"), RootGiB: 8, RootType: "gp3"}
	if s, ok := f.subnet(get(r.Inputs, "subnetId")); ok {
		in.Subnet = s
		in.Public = s.Public
	}
	if v, ok := get(r.Inputs, "associatePublicIpAddress").(bool); ok {
		in.Public = v
	}
	// An Elastic IP on the instance is counted as the Elastic IP.
	for _, eip := range f.doc.OfType(typeEip) {
		if str(eip.Inputs, "instance") == r.Name+"-id" {
			in.Public = false
		}
	}
	if v := number(r.Inputs, "rootBlockDevice.volumeSize"); v > 0 {
		in.RootGiB = v
	}
	if t := str(r.Inputs, "rootBlockDevice.volumeType"); t != "" {
		in.RootType = t
	}
	for _, s := range f.doc.OfType(typeInstanceState) {
		if str(s.Inputs, "instanceId") == r.Name+"-id" && str(s.Inputs, "state") == "stopped" {
			in.Stopped, in.Public = true, false
		}
	}
	return in
}

// loadBalancers finds the load balancers the controller (or the in-tree
// cloud provider) will build: one per LoadBalancer Service and one per
// Ingress group, ordered by what they serve.
func (f *facts) loadBalancers() []lbFact {
	var out []lbFact
	for _, r := range f.doc.OfType(typeService) {
		if str(r.Inputs, "spec.type") != "LoadBalancer" {
			continue
		}
		lb := serviceLB(r, f.lbcInPlan)
		lb.Sources, lb.Key, lb.Detail = []Resource{r}, r.URN, "Service "+k8sName(r)
		out = append(out, lb)
	}
	groups := map[string]int{}
	for _, r := range f.doc.OfType(typeIngress) {
		ann := annotations(r)
		class := str(r.Inputs, "spec.ingressClassName")
		if class == "" {
			class = ann[annIngressClass]
		}
		if class != albClass {
			continue
		}
		key, detail := r.URN, "Ingress "+k8sName(r)
		if g := ann[annALBGroup]; g != "" {
			key, detail = "group:"+g, "Ingress group "+g
		}
		if i, ok := groups[key]; ok {
			out[i].Sources = append(out[i].Sources, r)
			continue
		}
		lb := lbFact{Kind: "ALB", By: "AWS Load Balancer Controller", Key: key, Detail: detail, Sources: []Resource{r},
			Scheme: orDefault(ann[annALBScheme], "internal"), Target: orDefault(ann[annALBTargetType], "instance")}
		lb.Internet = lb.Scheme == "internet-facing"
		groups[key] = len(out)
		out = append(out, lb)
	}
	for i := range out {
		if len(out[i].Sources) > 1 {
			names := make([]string, 0, len(out[i].Sources))
			for _, s := range out[i].Sources {
				names = append(names, k8sName(s))
			}
			out[i].Detail += " (" + strings.Join(names, ", ") + ")"
		}
	}
	for _, r := range f.doc.OfType(typeGateway) {
		out = append(out, f.gatewayLB(r))
	}
	slices.SortStableFunc(out, func(a, b lbFact) int { return strings.Compare(a.Detail, b.Detail) })
	return out
}

// gatewayLB tells which load balancer the controller builds for a Gateway:
// its class's controller says ALB or NLB; the LoadBalancerConfiguration its
// spec.infrastructure.parametersRef names says the scheme (default
// internal); the TargetGroupConfigurations of its routes' backend Services
// say the target type, else the LoadBalancerConfiguration's default, else
// instance (docs/guide/gateway/loadbalancerconfig.md and
// targetgroupconfig.md of the controller at v3.5.0).
func (f *facts) gatewayLB(gw Resource) lbFact {
	ns, name := str(gw.Inputs, "metadata.namespace"), str(gw.Inputs, "metadata.name")
	lb := lbFact{By: "AWS Load Balancer Controller (Gateway API)", Key: gw.URN, Detail: "Gateway " + k8sName(gw), Sources: []Resource{gw}}
	class := str(gw.Inputs, "spec.gatewayClassName")
	for _, gc := range f.doc.OfType(typeGatewayClass) {
		if str(gc.Inputs, "metadata.name") != class {
			continue
		}
		switch str(gc.Inputs, "spec.controllerName") {
		case awslbc.ALBGatewayController:
			lb.Kind = "ALB"
		case awslbc.NLBGatewayController:
			lb.Kind = "NLB"
		}
	}
	if lb.Kind == "" {
		lb.Note = "GatewayClass " + class + " is not one of the AWS Load Balancer Controller's"
	}
	var config Resource
	if str(gw.Inputs, "spec.infrastructure.parametersRef.kind") == "LoadBalancerConfiguration" {
		config = f.named(typeLBConfig, ns, str(gw.Inputs, "spec.infrastructure.parametersRef.name"))
	}
	lb.Scheme = orDefault(str(config.Inputs, "spec.scheme"), "internal")
	lb.Internet = lb.Scheme == "internet-facing"
	var targets []string
	for _, route := range f.doc.Resources {
		if !strings.HasPrefix(route.Type, routeTypePrefix) || !strings.HasSuffix(route.Type, "Route") || str(route.Inputs, "metadata.namespace") != ns {
			continue
		}
		parents, _ := get(route.Inputs, "spec.parentRefs").([]any)
		if !slices.ContainsFunc(parents, func(p any) bool { m, _ := p.(map[string]any); return str(m, "name") == name }) {
			continue
		}
		rules, _ := get(route.Inputs, "spec.rules").([]any)
		for _, rule := range rules {
			refs, _ := get(rule.(map[string]any), "backendRefs").([]any)
			for _, ref := range refs {
				svc := str(ref.(map[string]any), "name")
				target := orDefault(str(config.Inputs, "spec.defaultTargetGroupConfiguration.targetType"), "instance")
				for _, tgc := range f.doc.OfType(typeTGConfig) {
					if str(tgc.Inputs, "metadata.namespace") == ns && str(tgc.Inputs, "spec.targetReference.name") == svc {
						target = orDefault(str(tgc.Inputs, "spec.defaultConfiguration.targetType"), target)
					}
				}
				if !slices.Contains(targets, target) {
					targets = append(targets, target)
				}
			}
		}
	}
	lb.Target = strings.Join(targets, ", ")
	return lb
}

// named is the object of type in namespace ns named name (the zero Resource
// when there is none).
func (f *facts) named(typ, ns, name string) Resource {
	for _, r := range f.doc.OfType(typ) {
		if str(r.Inputs, "metadata.namespace") == ns && str(r.Inputs, "metadata.name") == name {
			return r
		}
	}
	return Resource{}
}

// serviceLB tells which load balancer a LoadBalancer Service gets.
func serviceLB(r Resource, controller bool) lbFact {
	ann := annotations(r)
	class := str(r.Inputs, "spec.loadBalancerClass")
	lbType := ann[annLBType]
	lb := lbFact{}
	switch {
	case class == nlbClass || lbType == "external" || lbType == "nlb-ip":
		lb.Kind, lb.By = "NLB", "AWS Load Balancer Controller"
		lb.Target = orDefault(ann[annNLBTargetType], map[bool]string{true: "ip", false: "instance"}[lbType == "nlb-ip"])
		lb.Scheme = orDefault(ann[annNLBScheme], "internal")
	case class != "":
		lb.Note = "loadBalancerClass " + class + " is handled by neither the controller nor the in-tree provider"
	case lbType == "nlb":
		lb.Kind, lb.By, lb.Target = "NLB", "in-tree cloud provider", "instance"
		lb.Scheme = map[bool]string{true: "internal", false: "internet-facing"}[ann[annLBInternal] == "true"]
	case controller:
		// The controller's webhook gives class-less Services its NLB class.
		lb.Kind, lb.By, lb.Target, lb.Scheme = "NLB", "AWS Load Balancer Controller (webhook default)", "instance", "internal"
		lb.Scheme = orDefault(ann[annNLBScheme], lb.Scheme)
	default:
		lb.Kind, lb.By, lb.Target = "CLB", "in-tree cloud provider", "instance"
		lb.Scheme = map[bool]string{true: "internal", false: "internet-facing"}[ann[annLBInternal] == "true"]
		lb.Note = "a Classic Load Balancer, which the price table does not cover"
	}
	lb.Internet = lb.Scheme == "internet-facing"
	return lb
}

// internetAZs is how many AZs an internet-facing load balancer spans (one
// public IPv4 address each): the AZs of the subnets tagged for ELBs.
func (f *facts) internetAZs() int {
	tagged, public := map[string]bool{}, map[string]bool{}
	for _, s := range f.subnets {
		if s.ELB {
			tagged[s.AZ] = true
		}
		if s.Public {
			public[s.AZ] = true
		}
	}
	if len(tagged) > 0 {
		return len(tagged)
	}
	return len(public)
}

// trust lists who may assume an IAM role: principals and the conditions
// that narrow them: for IRSA the subject (a Kubernetes service account), for
// EKS Pod Identity the session tags EKS sends (cluster, namespace, service
// account).
func trust(policy string) []string {
	statements, err := trustStatements(policy)
	if err != nil {
		return []string{"(assume-role policy is not JSON)"}
	}
	var out []string
	for _, st := range statements {
		line := strings.Join(st.principals, ", ")
		if len(st.subjects) > 0 {
			line += "; sub " + strings.Join(st.subjects, ", ")
		}
		if len(st.tags) > 0 {
			line += "; session tags " + strings.Join(st.tags, ", ")
		}
		out = append(out, line)
	}
	return out
}

// trustStatement is one Allow statement of a trust policy.
type trustStatement struct {
	principals []string // "Federated <arn>", "Service <service>"
	subjects   []string // IRSA: system:serviceaccount:<namespace>:<name>
	tags       []string // aws:RequestTag conditions as key=value
}

func trustStatements(policy string) ([]trustStatement, error) {
	var doc struct {
		Statement []struct {
			Effect    string
			Principal any
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return nil, err
	}
	var out []trustStatement
	for _, st := range doc.Statement {
		if st.Effect != "" && st.Effect != "Allow" {
			continue
		}
		var ts trustStatement
		switch p := st.Principal.(type) {
		case string:
			ts.principals = append(ts.principals, p)
		case map[string]any:
			for _, kind := range slices.Sorted(maps.Keys(p)) {
				for _, v := range flatStrings(p[kind]) {
					ts.principals = append(ts.principals, kind+" "+v)
				}
			}
		}
		for _, op := range slices.Sorted(maps.Keys(st.Condition)) {
			for _, k := range slices.Sorted(maps.Keys(st.Condition[op])) {
				switch {
				case strings.HasSuffix(k, ":sub"):
					ts.subjects = append(ts.subjects, flatStrings(st.Condition[op][k])...)
				case strings.HasPrefix(k, "aws:RequestTag/"):
					for _, v := range flatStrings(st.Condition[op][k]) {
						ts.tags = append(ts.tags, strings.TrimPrefix(k, "aws:RequestTag/")+"="+v)
					}
				}
			}
		}
		out = append(out, ts)
	}
	return out, nil
}

// Who may assume a role, by how the credentials reach them.
const (
	viaIRSA        = "IRSA (web identity)"
	viaPodIdentity = "EKS Pod Identity"
	viaService     = "AWS service"
)

// roleUse says how a role is assumed and by which service accounts: IRSA
// names the service account in the trust policy's subject; Pod Identity in
// the associations that point at the role (without one nothing can use it).
func (f *facts) roleUse(role Resource) (how string, serviceAccounts []string) {
	statements, err := trustStatements(str(role.Inputs, "assumeRolePolicy"))
	if err != nil {
		return "", nil
	}
	for _, st := range statements {
		for _, p := range st.principals {
			switch {
			case p == "Service pods.eks.amazonaws.com":
				how = viaPodIdentity
			case strings.HasPrefix(p, "Federated ") && strings.Contains(p, ":oidc-provider/"):
				how = viaIRSA
				for _, sub := range st.subjects {
					serviceAccounts = append(serviceAccounts, strings.Replace(strings.TrimPrefix(sub, "system:serviceaccount:"), ":", "/", 1))
				}
			case strings.HasPrefix(p, "Service ") && how == "":
				how = viaService
			}
		}
	}
	if how == viaPodIdentity {
		for _, a := range f.doc.OfType(typeAssociation) {
			if strings.HasSuffix(str(a.Inputs, "roleArn"), ":role/"+role.Name) {
				serviceAccounts = append(serviceAccounts, fmt.Sprintf("%s/%s (association in %s)",
					str(a.Inputs, "namespace"), str(a.Inputs, "serviceAccount"), str(a.Inputs, "clusterName")))
			}
		}
		if len(serviceAccounts) == 0 {
			serviceAccounts = []string{"none: no pod identity association uses the role"}
		}
	}
	return how, serviceAccounts
}

func annotations(r Resource) map[string]string {
	out := map[string]string{}
	m, _ := get(r.Inputs, "metadata.annotations").(map[string]any)
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// k8sName is namespace/name of a Kubernetes object (the resource name when
// metadata.name is left to auto-naming).
func k8sName(r Resource) string {
	name := orDefault(str(r.Inputs, "metadata.name"), r.Name)
	return orDefault(str(r.Inputs, "metadata.namespace"), "default") + "/" + name
}

// get follows a dotted path through nested maps.
func get(m map[string]any, path string) any {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func str(m map[string]any, path string) string {
	s, _ := get(m, path).(string)
	return s
}

func number(m map[string]any, path string) float64 {
	switch v := get(m, path).(type) {
	case float64:
		return v
	case int:
		return float64(v)
	}
	return 0
}

func integer(m map[string]any, path string) int { return int(number(m, path)) }

func list(m map[string]any, path string) []any {
	l, _ := get(m, path).([]any)
	return l
}

func strs(m map[string]any, path string) []string {
	var out []string
	for _, v := range list(m, path) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func flatStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
