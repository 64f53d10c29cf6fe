package tests

import (
	"fmt"
	"sync"
	"testing"

	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
	"github.com/eks-study/lab/internal/plan"
)

// root is the repository root, where Pulumi.yaml and stacks/ live.
const root = ".."

var (
	plansMu sync.Mutex
	plans   = map[string]*offline.Plan{}
)

// bothStatesPlan is lab plan's document of a stack file under root (with
// set on top), built as the lab tool builds it: with the other state too.
func bothStatesPlan(t *testing.T, root, stack string, set map[string]string) *plan.Document {
	t.Helper()
	current, other, err := mock.BothStates(root, stack, set)
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	doc, err := plan.Build(current, plan.Options{Other: other})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// stackPlan runs the program once per stack file and shares the result.
func stackPlan(t *testing.T, stack string) *offline.Plan {
	t.Helper()
	plansMu.Lock()
	defer plansMu.Unlock()
	if p, ok := plans[stack]; ok {
		return p
	}
	p, err := mock.RunStackFile(root, stack)
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	plans[stack] = p
	return p
}

// withConfig runs the program with the dev stack file plus overrides, set
// as `pulumi config set` would and validated by Pulumi's loader.
func withConfig(t *testing.T, overrides map[string]string) (*offline.Plan, error) {
	t.Helper()
	cfg, err := offline.LoadStack(root, "dev", overrides)
	if err != nil {
		t.Fatal(err)
	}
	return mock.Run(cfg)
}

// must finds one resource or fails.
func must(t *testing.T, p *offline.Plan, typ, name string) offline.Resource {
	t.Helper()
	r, ok := p.Find(typ, name)
	if !ok {
		var names []string
		for _, o := range p.OfType(typ) {
			names = append(names, o.Name)
		}
		t.Fatalf("no %s named %q (have %v)", typ, name, names)
	}
	return r
}

// str is get as a string ("" when absent).
func str(inputs map[string]any, path string) string {
	if v := offline.Get(inputs, path); v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// strs is get as a []string.
func strs(inputs map[string]any, path string) []string {
	arr, _ := offline.Get(inputs, path).([]any)
	out := make([]string, 0, len(arr))
	for _, v := range arr {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func expectEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// samplesOff turns off every sample of the catalog that which selects, as
// `pulumi config set eks-lab:<key> false` would.
func samplesOff(which func(catalog.Sample) bool) map[string]string {
	out := map[string]string{}
	for _, s := range catalog.Samples {
		if which(s) {
			out[config.Namespace+":"+s.Key] = "false"
		}
	}
	return out
}

// needsLBController selects the samples a stack without the load balancer
// controller must turn off.
func needsLBController(s catalog.Sample) bool { return s.NeedsLBController }

// mockIssuer is the OIDC issuer the mock engine gives every EKS cluster
// (internal/offline/mock), and mockProviderArn its IAM OIDC provider: the
// component tests hand them to the components as the program would.
const (
	mockIssuer      = "oidc.eks.ap-northeast-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	mockProviderArn = "arn:aws:iam::123456789012:oidc-provider/" + mockIssuer
)
