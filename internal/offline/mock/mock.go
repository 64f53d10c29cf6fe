// Package mock runs the lab's real Pulumi program under Pulumi's mock engine
// and records every resource it registers in an offline.Plan: type, name,
// inputs, parent, provider, dependencies and aliases. Whole-program tests and
// `lab plan` share it, so what the tests assert is what `lab plan` shows.
// It links the provider SDKs (it runs the program): only the lab tool and
// tests/ import it.
package mock

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/eks-study/lab/components/cluster"
	"github.com/eks-study/lab/components/cluster/iamarn"
	"github.com/eks-study/lab/infra/awsfacts"
	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/infra/program"
	"github.com/eks-study/lab/internal/offline"
)

// Run runs the lab program with a stack's config (LoadStack), in a fresh
// account: the plan of the first `pulumi up`.
func Run(cfg *offline.StackConfig) (*offline.Plan, error) { return RunIn(cfg, offline.Account{}) }

// RunIn runs the lab program like Run, in an account that holds acct.
func RunIn(cfg *offline.StackConfig, acct offline.Account) (*offline.Plan, error) {
	var outputs map[string]any
	plan, err := run(cfg, acct, func(ctx *pulumi.Context) error {
		labCfg, err := program.LoadConfig(ctx, cfg.Keys(), cfg.Clock())
		if err != nil {
			return err
		}
		exports, err := program.Deploy(ctx, labCfg)
		if err != nil {
			return err
		}
		outputs, err = resolve(exports)
		return err
	})
	if err != nil {
		return plan, err
	}
	plan.Outputs = outputs
	return plan, nil
}

// UpAccount is the account of a stack whose lab is up: it holds the
// stack's own cluster and log group, tagged as the program tags them. A
// paused config runs only there (a lab is paused after it has been up).
func UpAccount(cfg *offline.StackConfig) offline.Account {
	name := cfg.Values[config.Namespace+":clusterName"]
	if name == "" {
		name = config.Defaults.ClusterName
	}
	tags := map[string]string{"project": config.Namespace, "stack": cfg.Stack, cluster.CreatorTag: iamarn.Principal(offline.CallerArn)}
	return offline.Account{
		Clusters:  map[string]map[string]string{name: tags},
		LogGroups: map[string]map[string]string{cluster.LogGroupName(name): tags},
	}
}

// RunProgram runs any program under the same mocks (for component tests),
// with raw config ("namespace:key" -> value).
// On error it returns the error and the resources registered before it.
func RunProgram(stack string, raw map[string]string, body pulumi.RunFunc) (*offline.Plan, error) {
	return run(&offline.StackConfig{Stack: stack, Values: raw}, offline.Account{}, body)
}

// RunWithConfig runs any program under the same mocks with a stack's config
// (LoadStack), its secret keys included.
func RunWithConfig(cfg *offline.StackConfig, body pulumi.RunFunc) (*offline.Plan, error) {
	return run(cfg, offline.Account{}, body)
}

func run(cfg *offline.StackConfig, acct offline.Account, body pulumi.RunFunc) (*offline.Plan, error) {
	m := &mocks{project: config.Namespace, stack: cfg.Stack, region: cfg.Values["aws:region"], account: acct, aliasesOf: map[string][]string{}}
	if m.region == "" {
		m.region = config.Defaults.Region
	}
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
		Project: config.Namespace, Stack: cfg.Stack, Config: cfg.Values, ConfigSecretKeys: cfg.Secrets, Mocks: m,
	})
	if err != nil {
		return nil, err
	}
	defer ctx.Close()
	runErr := pulumi.RunWithContext(ctx, body)
	m.mu.Lock()
	defer m.mu.Unlock()
	res := append([]offline.Resource(nil), m.resources...)
	sort.Slice(res, func(i, j int) bool { return res[i].URN < res[j].URN })
	// On error the plan still holds what was registered before it.
	return &offline.Plan{Stack: cfg.Stack, Resources: res, Outputs: map[string]any{}}, runErr
}

// resolve waits for every output and converts it to plain values; secrets
// are shown as offline.Secret so that plans never carry them.
func resolve(outputs map[string]pulumi.Input) (map[string]any, error) {
	out := map[string]any{}
	for name, in := range outputs {
		o := pulumi.ToOutput(in)
		ch := make(chan any, 1)
		o.ApplyT(func(v any) any { ch <- v; return v })
		select {
		case v := <-ch:
			if pulumi.IsSecret(o) {
				v = offline.Secret
			}
			out[name] = v
		case <-time.After(10 * time.Second):
			return nil, fmt.Errorf("stack output %s never resolved under mocks", name)
		}
	}
	return out, nil
}

// mocks fabricates outputs and records every registration.
type mocks struct {
	project, stack, region string
	account                offline.Account
	mu                     sync.Mutex
	resources              []offline.Resource
	aliasesOf              map[string][]string // URN -> its aliases, for the children registered after it
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	r := offline.Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: plainMap(args.Inputs),
	}
	r.Secrets = secretPaths("", resource.NewObjectProperty(args.Inputs))
	if rpc != nil {
		r.Parent = rpc.GetParent()
		r.Provider = rpc.GetProvider()
		r.Remote = rpc.GetRemote()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		for _, cb := range rpc.GetTransforms() {
			r.Transforms = append(r.Transforms, offline.Transform{Target: cb.GetTarget(), Token: cb.GetToken()})
		}
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
		r.Dependencies = append([]string(nil), rpc.GetDependencies()...)
		sort.Strings(r.Dependencies)
	}
	r.URN = m.urn(r.Parent, r.Type, r.Name)
	if rpc != nil {
		r.Aliases = m.aliases(r, rpc.GetAliases())
	}
	m.mu.Lock()
	m.aliasesOf[r.URN] = r.Aliases
	m.mu.Unlock()
	if strings.HasPrefix(r.Type, "pulumi:providers:") {
		r.Provider = ""
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()

	state := args.Inputs.Copy()
	for k, v := range m.fabricate(args) {
		state[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
	return args.Name + "-id", state, nil
}

// urn is computed the way the mock monitor does, so parents match.
func (m *mocks) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(m.project), parentType, tokens.Type(typ), name))
}

// aliases resolves alias specs the way the engine does: a field the spec
// leaves empty is the resource's own. A child also answers to its URN under
// each alias of its parent, its own aliases included, as the engine's
// stepGenerator.generateAliases multiplies them out (pulumi/pulumi
// pkg/resource/deploy/step_generator.go): renaming a component's type keeps
// its children without an alias on each.
func (m *mocks) aliases(r offline.Resource, specs []*pulumirpc.Alias) []string {
	var own []string
	for _, a := range specs {
		if urn := a.GetUrn(); urn != "" {
			own = append(own, urn)
			continue
		}
		s := a.GetSpec()
		name, typ, parent := r.Name, r.Type, r.Parent
		if s.GetName() != "" {
			name = s.GetName()
		}
		if s.GetType() != "" {
			typ = s.GetType()
		}
		switch {
		case s.GetNoParent():
			parent = ""
		case s.GetParentUrn() != "":
			parent = s.GetParentUrn()
		}
		own = append(own, m.urn(parent, typ, name))
	}
	out := append([]string{}, own...)
	m.mu.Lock()
	parentAliases := m.aliasesOf[r.Parent]
	m.mu.Unlock()
	for _, pa := range parentAliases {
		out = append(out, m.inheritedChildAlias(r.Type, r.Name, r.Parent, pa))
		for _, a := range own {
			out = append(out, m.inheritedChildAlias(string(resource.URN(a).Type()), resource.URN(a).Name(), r.Parent, pa))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// inheritedChildAlias is the engine's function of the same name: the child's
// URN under its parent's alias, with the parent's name swapped for the
// alias's name where the child's name starts with it.
func (m *mocks) inheritedChildAlias(childType, childName, parent, parentAlias string) string {
	name := childName
	if parentName := resource.URN(parent).Name(); strings.HasPrefix(childName, parentName) {
		name = resource.URN(parentAlias).Name() + strings.TrimPrefix(childName, parentName)
	}
	return m.urn(parentAlias, childType, name)
}

// fabricate returns the outputs AWS or a component would compute.
func (m *mocks) fabricate(args pulumi.MockResourceArgs) map[string]any {
	arn := func(kind string) string {
		return fmt.Sprintf("arn:aws:iam::%s:%s/%s", offline.AccountID, kind, args.Name)
	}
	switch args.TypeToken {
	case "aws:iam/role:Role":
		return map[string]any{"arn": arn("role"), "name": args.Name, "uniqueId": "AROA" + strings.ToUpper(args.Name)}
	case "aws:iam/policy:Policy":
		return map[string]any{"arn": arn("policy"), "name": args.Name}
	case "aws:iam/instanceProfile:InstanceProfile":
		return map[string]any{"arn": arn("instance-profile"), "name": args.Name}
	case "aws:ec2/instance:Instance":
		return map[string]any{"publicIp": "203.0.113.10", "privateIp": "192.168.1.10", "arn": "arn:aws:ec2:" + m.region + ":" + offline.AccountID + ":instance/" + args.Name}
	case "aws:ec2/launchTemplate:LaunchTemplate":
		return map[string]any{"latestVersion": 1}
	case "kubernetes:core/v1:Service", "kubernetes:networking.k8s.io/v1:Ingress":
		// What the load balancer controller writes back once the NLB/ALB exists.
		host := fmt.Sprintf("k8s-%s.elb.%s.amazonaws.com", args.Name, m.region)
		return map[string]any{"status": map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"hostname": host}}}}}
	case "eks:index:Cluster":
		issuer := fmt.Sprintf("oidc.eks.%s.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", m.region)
		return map[string]any{
			"oidcIssuer":             issuer,
			"oidcProviderUrl":        "https://" + issuer,
			"oidcProviderArn":        fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", offline.AccountID, issuer),
			"clusterSecurityGroupId": "sg-0cluster",
			"nodeSecurityGroupId":    "sg-0cluster",
			"kubeconfigJson":         `{"apiVersion":"v1","kind":"Config","clusters":[{"name":"mock","cluster":{"server":"https://mock.eks.amazonaws.com"}}]}`,
			"kubeconfig":             map[string]any{"apiVersion": "v1", "kind": "Config"},
		}
	}
	return nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		// As many zones as the region gives an account (config refuses an
		// unknown region before the program asks).
		var names []any
		for i := range awsfacts.Regions[m.region] {
			names = append(names, m.region+string(rune('a'+i)))
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names, "zoneIds": names, "id": m.region}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{"accountId": offline.AccountID, "arn": offline.CallerArn, "userId": "AROAEXAMPLE:study-member", "id": offline.AccountID}), nil
	case "aws:eks/getClusters:getClusters":
		return resource.NewPropertyMapFromMap(map[string]any{"names": names(m.account.Clusters, ""), "id": m.region}), nil
	case "aws:eks/getCluster:getCluster":
		return m.tagged(m.account.Clusters, args, "name")
	case "aws:cloudwatch/getLogGroups:getLogGroups":
		prefix, _ := args.Args["logGroupNamePrefix"].V.(string)
		return resource.NewPropertyMapFromMap(map[string]any{"logGroupNames": names(m.account.LogGroups, prefix), "id": m.region}), nil
	case "aws:cloudwatch/getLogGroup:getLogGroup":
		return m.tagged(m.account.LogGroups, args, "name")
	case "aws:ec2/getInstance:getInstance":
		// The bastion's address as started (a placeholder).
		id, _ := args.Args["instanceId"].V.(string)
		return resource.NewPropertyMapFromMap(map[string]any{"id": id, "instanceId": id, "publicIp": "203.0.113.10", "privateIp": "192.168.1.10"}), nil
	case "aws:ssm/getParameter:getParameter":
		name, _ := args.Args["name"].V.(string)
		return resource.NewPropertyMapFromMap(map[string]any{"name": name, "value": "ami-0a1b2c3d4e5f67890", "type": "String", "id": name}), nil
	}
	// An invoke the program gained must get a deliberate fake, not an empty answer.
	return nil, fmt.Errorf("offline engine: no mock for invoke %s; add one to mocks.Call", args.Token)
}

// names are the sorted names of the account's things that start with prefix.
func names(things map[string]map[string]string, prefix string) []any {
	out := []any{}
	for _, n := range slices.Sorted(maps.Keys(things)) {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// tagged answers the lookup of one of the account's things by name, as the
// provider would: its name and tags, or an error when it does not exist.
func (m *mocks) tagged(things map[string]map[string]string, args pulumi.MockCallArgs, key string) (resource.PropertyMap, error) {
	name, _ := args.Args[resource.PropertyKey(key)].V.(string)
	tags, ok := things[name]
	if !ok {
		return nil, fmt.Errorf("%s: %s not found in %s", args.Token, name, m.region)
	}
	t := map[string]any{}
	for k, v := range tags {
		t[k] = v
	}
	return resource.NewPropertyMapFromMap(map[string]any{"name": name, "id": name, "tags": t}), nil
}

// secretPaths lists the dotted paths of secret values in v, sorted.
func secretPaths(prefix string, v resource.PropertyValue) []string {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch {
	case v.IsSecret():
		return []string{prefix}
	case v.IsOutput() && v.OutputValue().Secret:
		return []string{prefix}
	case v.IsOutput():
		return secretPaths(prefix, v.OutputValue().Element)
	case v.IsObject():
		var out []string
		obj := v.ObjectValue()
		for _, k := range obj.StableKeys() {
			out = append(out, secretPaths(join(string(k)), obj[k])...)
		}
		return out
	case v.IsArray():
		var out []string
		for i, e := range v.ArrayValue() {
			out = append(out, secretPaths(join(fmt.Sprint(i)), e)...)
		}
		return out
	}
	return nil
}

// plainMap turns property values into JSON-like Go values: secrets are
// unwrapped (tests need to see them; plans print them as given), unknowns
// become nil and resource references their URN.
func plainMap(pm resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(pm))
	for k, v := range pm {
		if p := plain(v); p != nil {
			out[string(k)] = p
		}
	}
	return out
}

func plain(v resource.PropertyValue) any {
	switch {
	case v.IsNull(), v.IsComputed():
		return nil
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsOutput():
		if o := v.OutputValue(); o.Known {
			return plain(o.Element)
		}
		return nil
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			out = append(out, plain(e))
		}
		return out
	case v.IsObject():
		return plainMap(v.ObjectValue())
	case v.IsAsset():
		a := v.AssetValue()
		return map[string]any{"asset": a.Path + a.Text + a.URI}
	case v.IsArchive():
		a := v.ArchiveValue()
		return map[string]any{"archive": a.Path + a.URI}
	}
	return v.V
}

// RunState runs the lab program with a stack's config in the account its
// state implies: a fresh one (the first pulumi up), or, for a paused config,
// one holding the lab (UpAccount).
func RunState(cfg *offline.StackConfig) (*offline.Plan, error) {
	if cfg.Values[config.Namespace+":paused"] == "true" {
		return RunIn(cfg, UpAccount(cfg))
	}
	return Run(cfg)
}

// BothStates is the plan of a stack's config and of the same config with
// eks-lab:paused flipped (set applied over the file, as LoadStack takes it).
func BothStates(root, stack string, set map[string]string) (current, other *offline.Plan, err error) {
	cfg, err := offline.LoadStack(root, stack, set)
	if err != nil {
		return nil, nil, err
	}
	if current, err = RunState(cfg); err != nil {
		return current, nil, err
	}
	flip := map[string]string{}
	for k, v := range set {
		flip[k] = v
	}
	flip[config.Namespace+":paused"] = fmt.Sprint(cfg.Values[config.Namespace+":paused"] != "true")
	flipped, err := offline.LoadStack(root, stack, flip)
	if err != nil {
		return current, nil, err
	}
	other, err = RunState(flipped)
	return current, other, err
}

// RunStackFile runs the program with the config of the stack's file.
func RunStackFile(root, stack string) (*offline.Plan, error) {
	cfg, err := offline.LoadStack(root, stack, nil)
	if err != nil {
		return nil, err
	}
	return Run(cfg)
}
