package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"github.com/eks-study/lab/internal/versions"
)

// The steps below run as GitHub runs them: bash, with pulumi faked, the
// real cmd/lab-ci for `go run ./cmd/lab-ci` and any other `go run`
// recorded; `if:` conditions are evaluated by evalIf.

// The destroy job's step outcomes, as GitHub decides which steps run: a step
// whose `if:` is false is skipped; one in fails fails.
func runJob(t *testing.T, job workflowJob, fails []string, cancelled bool, ctx map[string]string) (ran []string, outcome map[string]string) {
	t.Helper()
	outcome = map[string]string{}
	failed := false
	for _, s := range job.Steps {
		name := s.Name
		if name == "" {
			name = s.Uses
		}
		if !evalIf(t, s.If, ctx, runStatus{failed: failed, cancelled: cancelled}) {
			outcome[name] = "skipped"
		} else {
			ran = append(ran, name)
			outcome[name] = "success"
			if slices.Contains(fails, name) {
				outcome[name], failed = "failure", true
			}
		}
		if s.ID != "" {
			ctx["steps."+s.ID+".outcome"] = outcome[name]
			ctx["steps."+s.ID+".conclusion"] = outcome[name]
		}
	}
	return ran, outcome
}

// An expired lab bills until it is gone: a step that fails before the
// destroy (the EKS API could not be opened, an output was refused, ...) must
// not skip it; only a cancelled run does. The audit runs after a destroy that
// succeeded, with outputs it can trust.
func TestWorkflowDestroyRunsAfterAFailedStep(t *testing.T) {
	job := readWorkflows(t)["destroy.yml"].Jobs["destroy"]
	const (
		due     = "Is the destroy still due?"
		outputs = "The stack's region and cluster"
		open    = "Let this runner reach the EKS API"
		destroy = "pulumi destroy"
		restore = "Give the cluster its endpoint settings back"
		hints   = "How to fix a locked stack or pending operations"
		audit   = "Audit what is left in the account"
	)
	for _, c := range []struct {
		name      string
		fails     []string
		cancelled bool
		ctx       map[string]string
		runs      []string
		skips     []string
	}{
		{"all well", nil, false, nil, []string{due, outputs, open, destroy, restore, audit}, []string{hints}},
		{"the EKS API could not be opened", []string{open}, false, nil, []string{destroy, restore, hints, audit}, nil},
		{"an output was refused", []string{outputs}, false, nil, []string{destroy, restore, hints}, []string{open, audit}},
		{"the destroy failed", []string{destroy}, false, nil, []string{restore, hints}, []string{audit}},
		{"the run was cancelled", nil, true, nil, []string{restore}, []string{destroy, audit}},
		{"no longer due", nil, false, map[string]string{"steps.due.outputs.due": "false"}, []string{due, restore}, []string{outputs, open, destroy, audit}},
		{"the check of due failed", []string{due}, false, nil, []string{destroy, restore, hints}, []string{audit}},
		{"an approved live lab", nil, false, map[string]string{"needs.expired.outputs.live": "true"}, []string{outputs, open, destroy, audit}, []string{due}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := map[string]string{}
			for k, v := range c.ctx {
				ctx[k] = v
			}
			ran, outcome := runJob(t, job, c.fails, c.cancelled, ctx)
			for _, s := range c.runs {
				if !slices.Contains(ran, s) {
					t.Errorf("%q did not run (%v)", s, outcome)
				}
			}
			for _, s := range c.skips {
				if slices.Contains(ran, s) {
					t.Errorf("%q ran (%v)", s, outcome)
				}
			}
		})
	}
}

// A destroy waits in its stack's group behind a deploy, which may set a
// later expiry: the destroy job reads the decision again before it destroys
// (the step runs with the real lab-ci against a faked backend).
func TestWorkflowQueuedDestroyIsStillDue(t *testing.T) {
	labCI := labCIBinary(t)
	step := findStep(t, readWorkflows(t)["destroy.yml"].Jobs["destroy"], "Is the destroy still due?")
	for name, c := range map[string]struct{ ls, outputs, due string }{
		"still expired":         {`[{"name":"dev","resourceCount":80}]`, `{"expiry":"2000-01-01T00:00:00Z"}`, "true"},
		"extended by a deploy":  {`[{"name":"dev","resourceCount":80}]`, `{"expiry":"2999-01-01T00:00:00Z"}`, "false"},
		"destroyed meanwhile":   {`[{"name":"dev","resourceCount":0}]`, `{}`, "false"},
		"expiry unreadable now": {`[{"name":"dev","resourceCount":80}]`, `{"expiry":"soon"}`, "true"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			files := newStepFiles(dir, "FAKE_LS", "FAKE_OUTPUTS", "FAKE_ARGS")
			os.WriteFile(files["FAKE_LS"], []byte(c.ls), 0o644)
			os.WriteFile(files["FAKE_OUTPUTS"], []byte(c.outputs), 0o644)
			mustRunStep(t, dir, step.Run, append(files.env(), fakeBin(t, dir, labCI), "STACK=dev", "PULUMI_ORG=", "PULUMI_BACKEND_URL="))
			if got := files.outputs(t, "GITHUB_OUTPUT")["due"]; got != c.due {
				t.Errorf("due = %q, want %s", got, c.due)
			}
		})
	}
}

// The sweep decides which labs to destroy; `report` fails the run, loudly,
// when their destroy did not run to its end, whatever the reason, and a
// failed expiry check (a stack it could not read) still destroys the
// expired ones it found. The job conditions are evaluated as GitHub does,
// and report's script runs.
func TestWorkflowSweepFailsWhenADestroyDidNotRun(t *testing.T) {
	jobs := readWorkflows(t)["destroy.yml"].Jobs
	report := findStep(t, jobs["report"], "Every stack found was destroyed")
	if !slices.Equal(jobs["report"].Needs, []string{"expired", "approve", "destroy"}) {
		t.Fatalf("report needs %v", jobs["report"].Needs)
	}
	for _, c := range []struct {
		name                            string
		stacks, live                    string
		expired, approve, destroyResult string
		cancelled                       bool
		destroyRuns, reportFails        bool
	}{
		{"expired labs destroyed", `["dev"]`, "", "success", "skipped", "success", false, true, false},
		{"a destroy cancelled", `["dev"]`, "", "success", "skipped", "cancelled", false, true, true},
		{"a destroy failed", `["alice","dev"]`, "", "success", "skipped", "failure", false, true, true},
		{"another stack's expiry unreadable", `["dev"]`, "", "failure", "skipped", "success", false, true, false},
		{"the run cancelled", `["dev"]`, "", "success", "skipped", "cancelled", true, false, true},
		{"a live lab approved", `["dev"]`, "true", "success", "success", "success", false, true, false},
		{"a live lab not approved", `["dev"]`, "true", "success", "failure", "skipped", false, false, true},
		{"a manual destroy of an expired lab", `["dev"]`, "false", "success", "skipped", "success", false, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := map[string]string{
				"needs.expired.outputs.stacks": c.stacks, "needs.expired.outputs.live": c.live,
				"needs.expired.result": c.expired, "needs.approve.result": c.approve, "needs.destroy.result": c.destroyResult,
			}
			needsFailed := func(jobs ...string) runStatus {
				s := runStatus{cancelled: c.cancelled}
				for _, j := range jobs {
					s.failed = s.failed || ctx["needs."+j+".result"] != "success" && ctx["needs."+j+".result"] != "skipped"
				}
				return s
			}
			if got := evalIf(t, jobs["destroy"].If, ctx, needsFailed("expired", "approve")); got != c.destroyRuns {
				t.Errorf("destroy runs = %t, want %t", got, c.destroyRuns)
			}
			if !evalIf(t, jobs["report"].If, ctx, needsFailed("expired", "approve", "destroy")) {
				t.Fatal("report does not run")
			}
			dir := t.TempDir()
			env := []string{"PATH=/usr/bin:/bin"}
			for k, v := range report.Env {
				v = strings.NewReplacer("${{ needs.expired.outputs.stacks }}", c.stacks, "${{ needs.destroy.result }}", c.destroyResult,
					"${{ needs.approve.result }}", c.approve).Replace(v)
				env = append(env, k+"="+v)
			}
			out, err := runStep(dir, report.Run, env)
			if fails := err != nil; fails != c.reportFails || fails && !strings.Contains(out, "::error::") {
				t.Errorf("report: %v, want failing %t with an error annotation\n%s", err, c.reportFails, out)
			}
		})
	}
	for _, stacks := range []string{"", "[]"} {
		ctx := map[string]string{"needs.expired.outputs.stacks": stacks}
		if evalIf(t, jobs["destroy"].If, ctx, runStatus{}) || evalIf(t, jobs["report"].If, ctx, runStatus{}) {
			t.Errorf("stacks %q: destroy or report runs with nothing to destroy", stacks)
		}
	}
}

// A manual destroy of a lab that has not expired needs the before-expiry
// input and then a reviewer (approve, in lab-approval): the expired job's
// step runs with the real lab-ci against a faked backend, then the
// conditions of approve and destroy are evaluated with what it wrote.
func TestWorkflowManualDestroyOfALiveLabNeedsAReviewer(t *testing.T) {
	labCI := labCIBinary(t)
	jobs := readWorkflows(t)["destroy.yml"].Jobs
	find := findStep(t, jobs["expired"], "Find the stacks to destroy")
	if jobs["approve"].Environment != approvalEnv {
		t.Fatalf("approve runs in %q, want %s (required reviewers)", jobs["approve"].Environment, approvalEnv)
	}
	for _, c := range []struct {
		name         string
		expiry       string
		beforeExpiry string
		fails        bool
		live         string
	}{
		{"expired", "2000-01-01T00:00:00Z", "false", false, "false"},
		{"live, no input", "2999-01-01T00:00:00Z", "false", true, ""},
		{"live, before-expiry", "2999-01-01T00:00:00Z", "true", false, "true"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			files := newStepFiles(dir, "FAKE_LS", "FAKE_OUTPUTS", "FAKE_ARGS")
			os.Mkdir(files["RUNNER_TEMP"], 0o755)
			os.WriteFile(files["FAKE_LS"], []byte(`[{"name":"dev","resourceCount":80}]`), 0o644)
			os.WriteFile(files["FAKE_OUTPUTS"], []byte(`{"expiry":"`+c.expiry+`"}`), 0o644)
			env := append(files.env(), fakeBin(t, dir, labCI), "EVENT=workflow_dispatch", "STACK_INPUT=dev",
				"BEFORE_EXPIRY="+c.beforeExpiry, "PULUMI_ORG=", "PULUMI_BACKEND_URL=")
			out, err := runStep(dir, find.Run, env)
			if (err != nil) != c.fails {
				t.Fatalf("step: %v, want failing %t\n%s", err, c.fails, out)
			}
			got := files.outputs(t, "GITHUB_OUTPUT")
			if c.fails {
				if len(got) > 0 || !strings.Contains(out, "::error::") || !strings.Contains(out, "stack dev is live until") {
					t.Errorf("outputs %v, annotation %q", got, out)
				}
				return
			}
			if got["stacks"] != `["dev"]` || got["live"] != c.live {
				t.Fatalf("outputs %v, want stacks [\"dev\"] and live %s", got, c.live)
			}
			ctx := map[string]string{"needs.expired.outputs.stacks": got["stacks"], "needs.expired.outputs.live": got["live"], "needs.expired.result": "success"}
			if approves := evalIf(t, jobs["approve"].If, ctx, runStatus{}); approves != (c.live == "true") {
				t.Errorf("approve runs = %t", approves)
			}
			ctx["needs.approve.result"] = "skipped" // not (yet) approved
			if destroys := evalIf(t, jobs["destroy"].If, ctx, runStatus{}); destroys != (c.live != "true") {
				t.Errorf("destroy runs without approval = %t", destroys)
			}
		})
	}
}

// The destroy job audits where the stack's outputs say it lived, not where
// its file says (a file edited after the last `up` would give a false
// clean), and checks each output before it writes it to $GITHUB_ENV and
// $GITHUB_OUTPUT: an output holding a newline would set a variable of its
// own in a job that holds the deploy role.
func TestWorkflowDestroyAuditsAndTrustsOnlyCheckedOutputs(t *testing.T) {
	labCI := labCIBinary(t)
	job := readWorkflows(t)["destroy.yml"].Jobs["destroy"]
	outputsStep := findStep(t, job, "The stack's region and cluster")
	auditStep := findStep(t, job, "Audit what is left in the account")
	const edited = "config:\n  aws:region: us-east-1\n  eks-lab:clusterName: renamed\n  eks-lab:hostedZoneId: ZEDITED\n"
	for name, tc := range map[string]struct {
		outputs   string
		stackFile string
		want      string // the audit's arguments; "" when the outputs step must fail
	}{
		"with ExternalDNS, no file": {
			outputs: `{"region":"eu-west-1","clusterName":"c1","hostedZoneId":"Z1","txtOwnerId":"eks-lab-gone"}`,
			want:    "run ./cmd/lab audit --stack gone --region eu-west-1 --cluster-name c1 --hosted-zone-id Z1 --txt-owner-id eks-lab-gone",
		},
		"without a hosted zone": {
			outputs: `{"region":"eu-west-1","clusterName":"c1","hostedZoneId":""}`,
			want:    "run ./cmd/lab audit --stack gone --region eu-west-1 --cluster-name c1 --hosted-zone-id ",
		},
		"from before the hostedZoneId output": {
			outputs: `{"region":"eu-west-1","clusterName":"c1"}`,
			want:    "run ./cmd/lab audit --stack gone --region eu-west-1 --cluster-name c1",
		},
		"a file edited since the last up": {
			outputs: `{"region":"eu-west-1","clusterName":"c1","hostedZoneId":"Z1","txtOwnerId":"eks-lab-gone"}`, stackFile: edited,
			want: "run ./cmd/lab audit --stack gone --region eu-west-1 --cluster-name c1 --hosted-zone-id Z1 --txt-owner-id eks-lab-gone",
		},
		"no region output, a file":       {outputs: `{"clusterName":"c1"}`, stackFile: edited, want: "run ./cmd/lab audit --stack gone --region us-east-1 --cluster-name c1"},
		"no region output, no file":      {outputs: `{"clusterName":"c1"}`, want: "run ./cmd/lab audit --stack gone --region ap-northeast-2 --cluster-name c1"},
		"a region with a newline":        {outputs: `{"region":"eu-west-1\nAWS_ACCESS_KEY_ID=AKIAEXAMPLE","clusterName":"c1"}`},
		"a cluster name with a variable": {outputs: `{"region":"eu-west-1","clusterName":"c1\nLD_PRELOAD=/tmp/x.so"}`},
		"a zone with an =":               {outputs: `{"region":"eu-west-1","clusterName":"c1","hostedZoneId":"Z1=x\nBASH_ENV=/tmp/x"}`},
		"an owner with a newline":        {outputs: `{"region":"eu-west-1","clusterName":"c1","hostedZoneId":"Z1","txtOwnerId":"o\nNODE_OPTIONS=--require=/tmp/x"}`},
		"a region that is no string":     {outputs: `{"region":["eu-west-1"],"clusterName":"c1"}`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			files := newStepFiles(dir, "FAKE_LS", "FAKE_OUTPUTS", "FAKE_ARGS")
			os.Mkdir(files["RUNNER_TEMP"], 0o755)
			os.WriteFile(files["FAKE_OUTPUTS"], []byte(tc.outputs), 0o644)
			if tc.stackFile != "" {
				os.Mkdir(filepath.Join(dir, "stacks"), 0o755)
				os.WriteFile(filepath.Join(dir, "stacks", "Pulumi.gone.yaml"), []byte(tc.stackFile), 0o644)
			}
			env := append(files.env(), fakeBin(t, dir, labCI), "STACK=gone", "PULUMI_STACK=gone", "AWS_REGION=ap-northeast-2", "PULUMI_BACKEND_URL=")
			out, err := runStep(dir, outputsStep.Run, env)
			if tc.want == "" {
				written := files.read(t, "GITHUB_ENV") + files.read(t, "GITHUB_OUTPUT")
				if err == nil || strings.Count(written, "=") > 0 {
					t.Errorf("step: %v; wrote %q\n%s", err, written, out)
				}
				if !strings.Contains(out, "is not a value it can hold") {
					t.Errorf("the refusal does not say why: %s", out)
				}
				return
			}
			if err != nil {
				t.Fatalf("step failed: %v\n%s", err, out)
			}
			stepOutputs := files.outputs(t, "GITHUB_OUTPUT")
			if got := files.outputs(t, "GITHUB_ENV"); len(got) != 2 || got["AWS_REGION"] != stepOutputs["region"] || got["AWS_DEFAULT_REGION"] != stepOutputs["region"] {
				t.Errorf("GITHUB_ENV %v", got)
			}
			auditEnv := slices.Clone(env)
			for k, v := range auditStep.Env {
				// ${{ steps.stack.outputs.NAME }}
				name := strings.TrimSuffix(strings.TrimPrefix(v, "${{ steps.stack.outputs."), " }}")
				auditEnv = append(auditEnv, k+"="+stepOutputs[name])
			}
			mustRunStep(t, dir, auditStep.Run, auditEnv)
			args, _ := os.ReadFile(files["FAKE_ARGS"])
			if got := strings.Join(strings.Split(strings.TrimSuffix(string(args), "\n"), "\n"), " "); got != tc.want {
				t.Errorf("go %s\nwant go %s", got, tc.want)
			}
		})
	}
}

// The workflows install the pulumi CLI that internal/versions pins, and
// .ci/pulumi-cli.sh builds the same one: every pulumi/actions step is the
// local pulumi-cli action's, or takes its version from it, and every job
// that runs pulumi installs it. The action's pin step and the script run
// here for real.
func TestWorkflowPulumiCLIIsThePinnedOne(t *testing.T) {
	want := strings.TrimPrefix(versions.PulumiCLI, "v")
	actions := readLocalActions(t)
	cli := actions["./.github/actions/pulumi-cli"].Runs.Steps
	if len(cli) != 2 || cli[1].With["pulumi-version"] != "${{ steps."+cli[0].ID+".outputs.version }}" {
		t.Fatalf("the pulumi-cli action does not install the version its first step reads: %+v", cli)
	}
	dir := t.TempDir()
	files := newStepFiles(dir)
	cmd := exec.Command("bash", "-eo", "pipefail", "-c", cli[0].Run)
	cmd.Dir, cmd.Env = root, append(os.Environ(), files.env()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the pin step: %v\n%s", err, out)
	}
	if got := files.outputs(t, "GITHUB_OUTPUT")["version"]; got != want {
		t.Errorf("the action installs pulumi %q, want %q", got, want)
	}

	installs := 0
	for file, w := range readWorkflows(t) {
		for name, job := range w.Jobs {
			installed := map[string]bool{} // ids of the pulumi-cli steps so far
			runsPulumi := false
			for _, s := range job.Steps {
				switch {
				case s.Uses == "./.github/actions/pulumi-cli":
					installs++
					installed[s.ID] = true
				case strings.HasPrefix(s.Uses, "pulumi/actions@"):
					id := strings.TrimSuffix(strings.TrimPrefix(s.With["pulumi-version"], "${{ steps."), ".outputs.version }}")
					if !installed[id] {
						t.Errorf("%s job %s: pulumi/actions with pulumi-version %q, not the pulumi-cli action's output", file, name, s.With["pulumi-version"])
					}
				case strings.Contains(s.Run, "pulumi ") && len(installed) == 0:
					runsPulumi = true
				}
			}
			if runsPulumi {
				t.Errorf("%s job %s runs pulumi without installing the pinned CLI first", file, name)
			}
		}
	}
	if installs < 4 {
		t.Errorf("%d jobs install the pulumi CLI, want deploy's, destroy's two and the preview's", installs)
	}

	// .ci/pulumi-cli.sh answers from its cache when the pinned binary is
	// there. Its go may only read the pin: were it to read another version,
	// it would start a build of the CLI, which the fake go refuses.
	cache := t.TempDir()
	bin := filepath.Join(cache, "eks-lab", "pulumi-"+versions.PulumiCLI, "bin", "pulumi")
	writeScript(t, bin, "")
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	writeScript(t, filepath.Join(cache, "bin", "go"), `if [ "$1 $2" = "run ./cmd/lab-ci" ]; then exec `+realGo+` "$@"; fi
echo "unexpected: go $*" >&2; exit 1`)
	gocache, err := exec.Command(realGo, "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	script := exec.Command("bash", filepath.Join(root, ".ci", "pulumi-cli.sh"))
	// GOCACHE stays the user's: by default it is under XDG_CACHE_HOME, and an
	// empty one would compile the standard library anew (half a minute).
	script.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache, "GOCACHE="+strings.TrimSpace(string(gocache)), "PATH="+filepath.Join(cache, "bin")+":"+os.Getenv("PATH"))
	out, err := script.Output()
	if err != nil || strings.TrimSpace(string(out)) != bin {
		t.Errorf(".ci/pulumi-cli.sh printed %q (%v), want the cached %s", out, err, bin)
	}

	// ci.yml caches what .ci builds under a key of the files that pin it.
	ci := readWorkflows(t)["ci.yml"].Jobs["test"]
	for _, s := range ci.Steps {
		if strings.HasPrefix(s.Uses, "actions/cache@") && !strings.Contains(s.With["key"], "'internal/versions/versions.go'") {
			t.Errorf("ci.yml's cache key %q ignores internal/versions/versions.go: a new pin would rebuild on every run", s.With["key"])
		}
	}
}

// preview-comment.yml posts a fork's artifact only as text in a fixed
// comment: a fence, a mention or raw HTML in the artifact stays inside one
// code block, as a CommonMark parser reads the comment.
func TestWorkflowForkCommentShowsTheArtifactAsText(t *testing.T) {
	step := findStep(t, readWorkflows(t)["preview-comment.yml"].Jobs["comment"], "The comment, with the fork's text as text")
	for name, artifact := range map[string]string{
		"fences and mentions":            "```\n</details>\n@octocat @org/team please approve #1\n````\n<img src=https://example.com/x.png>\n~~~\n",
		"a long fence, no final newline": "`````````` closes?\n``````````\n[link](https://example.com) <!-- eks-lab offline-diff -->",
		"nothing":                        "",
		"over the size limit":            strings.Repeat("x", 60000) + "\n```\n@octocat\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			files := newStepFiles(dir)
			os.Mkdir(files["RUNNER_TEMP"], 0o755)
			os.Mkdir(filepath.Join(dir, "diff"), 0o755)
			os.WriteFile(filepath.Join(dir, "diff", "comment.md"), []byte(artifact), 0o644)
			mustRunStep(t, dir, step.Run, append(files.env(), "PATH=/usr/bin:/bin", "HEAD_SHA=0123456789abcdef"))
			body, err := os.ReadFile(filepath.Join(files["RUNNER_TEMP"], "body.md"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(body), "<!-- eks-lab offline-diff -->\n") {
				t.Errorf("the comment does not start with the marker the relay finds it by")
			}
			shown := artifact
			if len(shown) > 60000 {
				shown = shown[:60000]
			}
			doc := goldmark.New().Parser().Parse(text.NewReader(body))
			var kinds []string
			var code string
			for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
				kinds = append(kinds, n.Kind().String())
				if b, ok := n.(*ast.FencedCodeBlock); ok {
					for i := 0; i < b.Lines().Len(); i++ {
						seg := b.Lines().At(i)
						code += string(seg.Value(body))
					}
				}
			}
			wantKinds := []string{"HTMLBlock", "Heading", "Paragraph", "FencedCodeBlock"}
			if len(artifact) > 60000 {
				wantKinds = append(wantKinds, "Paragraph")
			}
			if !slices.Equal(kinds, wantKinds) {
				t.Errorf("the comment parses as %v, want %v:\n%s", kinds, wantKinds, body)
			}
			if strings.TrimSuffix(code, "\n") != strings.TrimSuffix(shown, "\n") {
				t.Errorf("the code block holds %q, want the artifact %q", code, shown)
			}
		})
	}
}
