package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/infra/program"
	"github.com/eks-study/lab/internal/labtool"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
)

func runLab(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = labtool.Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// oneClearLine checks a failure's message: a single line from lab, no Go
// stack trace, no engine wrapping.
func oneClearLine(t *testing.T, stderr, want string) {
	t.Helper()
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("want one line, got:\n%s", stderr)
	}
	checkMessage(t, stderr, want)
}

func checkMessage(t *testing.T, stderr, want string) {
	t.Helper()
	if !strings.HasPrefix(stderr, "lab") || !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not name the problem (%q)", stderr, want)
	}
	for _, noise := range []string{"goroutine ", "panic", ".go:", "error occurred"} {
		if strings.Contains(stderr, noise) {
			t.Errorf("stderr has %q:\n%s", noise, stderr)
		}
	}
}

func TestPlanOfAnUnknownStack(t *testing.T) {
	code, out, errOut := runLab(t, "plan", "--stack", "nope", "--root", root)
	if code != 1 || out != "" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	oneClearLine(t, errOut, `unknown stack "nope"`)
	checkMessage(t, errOut, "known stacks: dev")
}

func TestPlanOfInvalidYAML(t *testing.T) {
	root := stackRoot(t, "broken", "config:\n  aws:region: [ap-northeast-2\n")
	code, _, errOut := runLab(t, "plan", "--stack", "broken", "--root", root)
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	oneClearLine(t, errOut, "Pulumi.broken.yaml: invalid YAML file: yaml: line 1")
	checkMessage(t, errOut, "fix the file's YAML")
}

func TestPlanOfAnUnreadableStackFile(t *testing.T) {
	root := stackRoot(t, "dir", "")
	path := filepath.Join(root, "stacks", "Pulumi.dir.yaml")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil { // a directory cannot be read as a file
		t.Fatal(err)
	}
	code, _, errOut := runLab(t, "plan", "--stack", "dir", "--root", root)
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	oneClearLine(t, errOut, "stack dir:")
}

// A stack the Pulumi CLI rejects is rejected with Pulumi's own message
// (workspace.ValidateStackConfigAndApplyProjectConfig) and the fix.
func TestPlanReproducesTheCLIsRejection(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		wants         []string
	}{
		{"required key missing", "config:\n  eks-lab:owner: me\n",
			[]string{"Stack 'bad' is missing configuration value 'sshCidr'", "pulumi config set --stack bad eks-lab:sshCidr VALUE"}},
		{"list set as a string", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  eks-lab:endpointPublicAccessCidrs: '[\"1.2.3.4/32\"]'\n",
			[]string{"Stack 'bad' with configuration key 'endpointPublicAccessCidrs' must be of type 'array<string>'",
				"pulumi config set --stack bad --path 'eks-lab:endpointPublicAccessCidrs[0]' VALUE", "stores a string"}},
		{"not a number", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  eks-lab:nodeDesiredSize: many\n",
			[]string{"key 'nodeDesiredSize' must be of type 'integer'", "set a whole number"}},
		{"secret number", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  eks-lab:nodeMaxSize:\n    secure: v1:AAAA:BBBB\n",
			[]string{"key 'nodeMaxSize' must be of type 'integer'", "eks-lab:nodeMaxSize is a secret", "set it in plain text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := stackRoot(t, "bad", tc.content)
			code, out, errOut := runLab(t, "plan", "--stack", "bad", "--root", root)
			if code != 1 || out != "" {
				t.Errorf("exit %d, stdout %q", code, out)
			}
			for _, w := range tc.wants {
				oneClearLine(t, errOut, w)
			}
		})
	}
}

func TestPlanOfAnInvalidConfigValue(t *testing.T) {
	root := stackRoot(t, "bad", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  eks-lab:natGateways: lots\n")
	code, out, errOut := runLab(t, "plan", "--stack", "bad", "--root", root)
	if code != 1 || out != "" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	// config.Error is printed as config.Load wrote it.
	checkMessage(t, errOut, `lab plan: stack bad: invalid configuration: eks-lab:natGateways = "lots": must be none, single or per-az`)
}

func TestPlanOfSeveralInvalidConfigValuesListsEach(t *testing.T) {
	root := stackRoot(t, "bad", "config:\n  eks-lab:sshCidr: my-ip\n  eks-lab:natGateways: lots\n  eks-lab:nodeSubnets: nowhere\n")
	code, _, errOut := runLab(t, "plan", "--stack", "bad", "--root", root)
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	checkMessage(t, errOut, "lab plan: stack bad: invalid configuration:\n  ")
	for _, key := range []string{"eks-lab:natGateways", "eks-lab:nodeSubnets", "eks-lab:sshCidr"} {
		if !strings.Contains(errOut, key) {
			t.Errorf("stderr does not name %s:\n%s", key, errOut)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan"}, "--stack is required"},
		{[]string{"plan", "--stack", "dev", "--format", "yaml"}, `--format "yaml"`},
		{[]string{"plan", "--stack", "dev", "--hours", "0"}, "--hours must be positive"},
		{[]string{"plan", "--stak", "dev"}, "flag provided but not defined: -stak"},
		{[]string{"plan", "dev"}, `unexpected argument "dev"`},
		{[]string{"diff", "only.json"}, "need two plan files, got 1"},
		{[]string{"diff", "a.json", "b.json", "--format", "json"}, `--format "json"`},
		{[]string{"deploy"}, `unknown command "deploy"`},
	} {
		code, out, errOut := runLab(t, tc.args...)
		if code != 2 || out != "" {
			t.Errorf("%v: exit %d, stdout %q", tc.args, code, out)
		}
		checkMessage(t, errOut, tc.want)
	}
	if code, _, errOut := runLab(t); code != 2 || !strings.Contains(errOut, "usage: lab <command>") {
		t.Errorf("no arguments: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := runLab(t, "help"); code != 0 || !strings.Contains(out, "plan") || !strings.Contains(out, "diff") || !strings.Contains(out, "cleanup") || !strings.Contains(out, "audit") {
		t.Errorf("help: exit %d, stdout %q", code, out)
	}
	for _, cmd := range []string{"cleanup", "audit"} {
		if code, out, _ := runLab(t, cmd, "--help"); code != 0 || !strings.Contains(out, "usage: lab "+cmd) {
			t.Errorf("%s --help: exit %d, stdout %q", cmd, code, out)
		}
	}
	if code, out, _ := runLab(t, "plan", "-h"); code != 0 || !strings.Contains(out, "--stack NAME") || !strings.Contains(out, "-hours") {
		t.Errorf("plan -h: exit %d, stdout %q", code, out)
	}
}

func TestPlanFindsTheRootAndWritesJSON(t *testing.T) {
	// The test runs in cmd/lab; Pulumi.yaml is two directories up.
	code, out, errOut := runLab(t, "plan", "--stack", "dev", "--format", "json", "--hours", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Stack     string
		Resources []struct{ URN, Type, Name, Parent string }
		Outputs   map[string]any
		Estimates struct {
			Cost struct{ SessionHours, HourlyTotal, SessionTotal float64 }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Estimates.Cost
	if doc.Stack != "dev" || len(doc.Resources) == 0 || doc.Outputs["kubeconfig"] != "[secret]" || c.SessionHours != 4 || c.SessionTotal < 4*c.HourlyTotal-1e-5 || c.SessionTotal > 4*c.HourlyTotal+1e-5 {
		t.Errorf("stack %q, %d resources, kubeconfig %v, cost %+v", doc.Stack, len(doc.Resources), doc.Outputs["kubeconfig"], c)
	}
	// dev and pod-identity both create myeks in ap-northeast-2.
	if !strings.Contains(errOut, "lab plan: warning: stack dev creates EKS cluster myeks in ap-northeast-2, as stack pod-identity does") {
		t.Errorf("no warning of the stack that shares dev's cluster name: %q", errOut)
	}
}

func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	code, plan, errOut := runLab(t, "plan", "--stack", "dev", "--root", root, "--format", "json")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	base, head := filepath.Join(dir, "base.json"), filepath.Join(dir, "head.json")
	changed := regexp.MustCompile(`("instanceTypes": \[\s*)"t3.medium"`).ReplaceAllString(plan, `$1"m5.large"`)
	if changed == plan {
		t.Fatal("could not edit the node group's instance type in the JSON plan")
	}
	for path, content := range map[string]string{base: plan, head: changed} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runLab(t, "diff", base, head, "--format", "markdown")
	if code != 0 || !strings.Contains(out, "0 to add, 1 to change, 0 to remove") || !strings.Contains(out, "`instanceTypes[0]`") {
		t.Errorf("diff: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	code, out, _ = runLab(t, "diff", base, base)
	if code != 0 || !strings.Contains(out, "No changes") {
		t.Errorf("self-diff: exit %d:\n%s", code, out)
	}

	notPlan := filepath.Join(dir, "not-a-plan.json")
	if err := os.WriteFile(notPlan, []byte(`{"hello": `), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runLab(t, "diff", base, notPlan)
	if code != 1 {
		t.Errorf("invalid JSON: exit %d", code)
	}
	oneClearLine(t, errOut, "not-a-plan.json: not a lab plan JSON file")
	code, _, errOut = runLab(t, "diff", filepath.Join(dir, "missing.json"), base)
	if code != 1 {
		t.Errorf("missing file: exit %d", code)
	}
	oneClearLine(t, errOut, "missing.json")
}

// Every bad input is refused before any resource is registered, naming the
// key, the value and the fix: by `lab plan` (exit 1) and by the program
// itself as `pulumi up` runs it (program.Run, config in PULUMI_CONFIG as the
// Go language host passes it).
func TestBadInputIsRefusedBeforeAnyResource(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		wants            []string // besides the key: the value as printed and the fix
	}{
		{"unknown key", "eks-lab:nodeMaxSise", "9", []string{`"9"`, "did you mean eks-lab:nodeMaxSize?"}},
		{"SSH wider than a /16", "eks-lab:sshCidr", "198.0.0.0/8", []string{`"198.0.0.0/8"`, "allowSshFromAnywhere"}},
		{"API from anywhere", "eks-lab:endpointPublicAccessCidrs", `["0.0.0.0/0"]`, []string{`"0.0.0.0/0"`, "allowApiFromAnywhere"}},
		{"API from a private range", "eks-lab:endpointPublicAccessCidrs", `["10.0.0.0/16"]`, []string{`"10.0.0.0/16"`, "checkip"}},
		{"API from IPv6", "eks-lab:endpointPublicAccessCidrs", `["2001:db8::/32"]`, []string{`"2001:db8::/32"`, "IPv4 address you reach the API from"}},
		{"API CIDR malformed", "eks-lab:endpointPublicAccessCidrs", `["office"]`, []string{`"office"`, "such as 203.0.113.7/32"}},
		{"instance type typo", "eks-lab:nodeInstanceType", "t3.mediumm", []string{`"t3.mediumm"`, "did you mean t3.medium?"}},
		{"instance type that does not exist", "eks-lab:nodeInstanceType", "banana.large", []string{`"banana.large"`, "e.g. t3.medium"}},
		{"A1 nodes", "eks-lab:nodeInstanceType", "a1.large", []string{`"a1.large"`, "m6g.large"}},
		// Both check a set expiry against the real clock (offline.StackConfig.Clock).
		{"expiry in the past", "eks-lab:expiry", "2025-12-31T00:00:00Z", []string{`"2025-12-31T00:00:00Z"`, "in the past", "unset it"}},
		{"expiry more than a week ahead", "eks-lab:expiry", "2099-01-01T00:00:00Z", []string{`"2099-01-01T00:00:00Z"`, "more than 7 days", "set at most"}},
		{"expiry not RFC 3339", "eks-lab:expiry", "tomorrow", []string{`"tomorrow"`, "RFC 3339", "unset it"}},
		{"cluster name too long", "eks-lab:clusterName", strings.Repeat("a", 44), []string{"-eksRole-role-xxxxxxx", "at most 43"}},
		{"cluster name characters", "eks-lab:clusterName", "my.eks", []string{`"my.eks"`, "use e.g. myeks"}},
		{"subnets too small", "eks-lab:subnetPrefixLength", "27", []string{"= 27", "has 27 usable", "eks-lab:nodeMaxSize = 6", "larger node subnets"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wants := append([]string{tc.key}, tc.wants...)
			value := tc.value
			if !strings.HasPrefix(value, "[") {
				value = "'" + value + "'"
			}
			content := fmt.Sprintf("config:\n  %s: %s\n", tc.key, value)
			if tc.key != "eks-lab:sshCidr" {
				content += "  eks-lab:sshCidr: 203.0.113.7/32\n"
			}
			root := stackRoot(t, "bad", content)
			code, out, errOut := runLab(t, "plan", "--stack", "bad", "--root", root)
			if code != 1 || out != "" {
				t.Errorf("lab plan: exit %d, stdout %q", code, out)
			}
			for _, w := range wants {
				checkMessage(t, errOut, w)
			}

			cfg, err := offline.LoadStack(root, "bad", nil)
			if err != nil {
				t.Fatal(err)
			}
			env, _ := json.Marshal(cfg.Values)
			t.Setenv(pulumi.EnvConfig, string(env))
			p, err := mock.RunProgram("bad", cfg.Values, program.Run)
			if err == nil {
				t.Fatal("the program accepted it")
			}
			for _, w := range wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the program's error %q does not say %q", err, w)
				}
			}
			if len(p.Resources) != 0 {
				t.Errorf("the program registered %d resources before refusing the config", len(p.Resources))
			}
		})
	}
}

// A stack's own expiry is checked against the real clock, not the fixed one
// that keeps plans byte-identical: a lab set to expire tomorrow plans.
func TestPlanOfAStackWithARealExpiry(t *testing.T) {
	expiry := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Minute).Format(time.RFC3339)
	root := stackRoot(t, "mine", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  eks-lab:expiry: '"+expiry+"'\n")
	code, out, errOut := runLab(t, "plan", "--stack", "mine", "--root", root, "--format", "json")
	if code != 0 {
		t.Fatalf("lab plan: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"expiry": "`+expiry+`"`) {
		t.Errorf("the plan does not carry the stack's expiry %s", expiry)
	}
}
