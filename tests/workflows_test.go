package tests

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/eks-study/lab/internal/testing/tier"
)

type workflowStep struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Env  map[string]string `yaml:"env"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
}

// concurrency is a job's or workflow's `concurrency:`, a group name or a map.
type concurrency struct {
	Group            string `yaml:"group"`
	CancelInProgress string `yaml:"cancel-in-progress"`
	Queue            string `yaml:"queue"`
}

func (c *concurrency) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		c.Group = n.Value
		return nil
	}
	type plain concurrency
	return n.Decode((*plain)(c))
}

// stringList is a `needs:`, one job or a list.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = []string{n.Value}
		return nil
	}
	return n.Decode((*[]string)(l))
}

type workflowJob struct {
	If          string            `yaml:"if"`
	Needs       stringList        `yaml:"needs"`
	Uses        string            `yaml:"uses"` // a reusable workflow
	Environment string            `yaml:"environment"`
	Concurrency *concurrency      `yaml:"concurrency"`
	Timeout     int               `yaml:"timeout-minutes"`
	Permissions map[string]string `yaml:"permissions"`
	Outputs     map[string]string `yaml:"outputs"`
	Steps       []workflowStep    `yaml:"steps"`
}

type workflow struct {
	Name        string                 `yaml:"name"`
	On          map[string]any         `yaml:"on"`
	Concurrency *concurrency           `yaml:"concurrency"`
	Jobs        map[string]workflowJob `yaml:"jobs"`
}

// localAction is a composite action of .github/actions.
type localAction struct {
	Runs struct {
		Steps []workflowStep `yaml:"steps"`
	} `yaml:"runs"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// readWorkflows reads .github/workflows/*.yml, by file name.
func readWorkflows(t *testing.T) map[string]workflow {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	out := map[string]workflow{}
	for _, f := range files {
		var w workflow
		readYAML(t, f, &w)
		out[filepath.Base(f)] = w
	}
	return out
}

// readLocalActions reads .github/actions/*/action.yml, by the path a
// workflow's `uses:` names them with (./.github/actions/NAME).
func readLocalActions(t *testing.T) map[string]localAction {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, ".github", "actions", "*", "action.yml"))
	out := map[string]localAction{}
	for _, f := range files {
		var a localAction
		readYAML(t, f, &a)
		out["./.github/actions/"+filepath.Base(filepath.Dir(f))] = a
	}
	return out
}

// findStep returns the step of job named name, or fails.
func findStep(t *testing.T, job workflowJob, name string) workflowStep {
	t.Helper()
	for _, s := range job.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no step %q", name)
	return workflowStep{}
}

// node24Major is, for each third-party action, its first major release on
// the node24 runtime (GitHub retires node20), read from each action's
// action.yml (runs.using) and changelog at that tag: checkout v5.0.0,
// setup-go v6 ("Breaking changes in V6"), cache v5, upload-artifact v6,
// download-artifact v7, github-script v8, configure-aws-credentials v6.0.0,
// pulumi/actions v7.0.0.
var node24Major = map[string]int{
	"actions/checkout":                      5,
	"actions/setup-go":                      6,
	"actions/cache":                         5,
	"actions/upload-artifact":               6,
	"actions/download-artifact":             7,
	"actions/github-script":                 8,
	"aws-actions/configure-aws-credentials": 6,
	"pulumi/actions":                        7,
}

// A tag can be moved to other code; a commit cannot. Dependabot updates the
// SHA and the version comment together. Every action runs on node24, and
// one action is at one commit everywhere.
func TestWorkflowThirdPartyActionsArePinnedByCommit(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	actions, _ := filepath.Glob(filepath.Join(root, ".github", "actions", "*", "action.yml"))
	uses := regexp.MustCompile(`^\s*(?:-\s*)?uses:\s*(\S+)(.*)$`)
	pinned := regexp.MustCompile(`^([\w.-]+/[\w./-]+)@[0-9a-f]{40}$`)
	version := regexp.MustCompile(`^\s*# v([0-9]+)\.[0-9]+\.[0-9]+$`)
	n := 0
	commits := map[string]string{}
	for _, f := range append(files, actions...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			m := uses.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(m[1], "./") {
				continue
			}
			n++
			where := fmt.Sprintf("%s:%d", filepath.Base(f), i+1)
			action, major := pinned.FindStringSubmatch(m[1]), version.FindStringSubmatch(m[2])
			if action == nil || major == nil {
				t.Errorf("%s: %q is not pinned as owner/repo@<commit SHA> # vX.Y.Z", where, strings.TrimSpace(line))
				continue
			}
			want, known := node24Major[action[1]]
			if got, _ := strconv.Atoi(major[1]); !known || got < want {
				t.Errorf("%s: %s v%s: node24 from v%d (0: unknown; read its action.yml and add it to node24Major)", where, action[1], major[1], want)
			}
			if c, ok := commits[action[1]]; ok && c != m[1]+m[2] {
				t.Errorf("%s: %s%s, elsewhere %s", where, m[1], m[2], c)
			}
			commits[action[1]] = m[1] + m[2]
		}
	}
	if n == 0 {
		t.Error("found no third-party actions: is the pattern wrong?")
	}
	dependabot, err := os.ReadFile(filepath.Join(root, ".github", "dependabot.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, eco := range []string{"package-ecosystem: github-actions", "package-ecosystem: gomod"} {
		if !strings.Contains(string(dependabot), eco) {
			t.Errorf("dependabot.yml lacks %q", eco)
		}
	}
}

// The environments, as docs/cicd.md sets them up: lab holds the deploy
// role's trust and no reviewers; lab-approval holds reviewers and nothing
// else.
const (
	deployEnv   = "lab"
	approvalEnv = "lab-approval"
	deployRole  = "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
	previewRole = "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
)

// roleJob is a job that assumes an AWS role, with what its OIDC token says.
type roleJob struct {
	file, job, role, environment string
	prTriggered                  bool
}

// roleJobs lists the jobs that assume a role.
func roleJobs(t *testing.T, workflows map[string]workflow) []roleJob {
	var out []roleJob
	triggered := prTriggered(workflows)
	for file, w := range workflows {
		for name, job := range w.Jobs {
			for _, step := range job.Steps {
				if strings.HasPrefix(step.Uses, "aws-actions/configure-aws-credentials@") {
					out = append(out, roleJob{file, name, step.With["role-to-assume"], job.Environment, triggered[file]})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].file+out[i].job < out[j].file+out[j].job })
	if len(out) == 0 {
		t.Fatal("no job assumes a role: is the test reading the workflows?")
	}
	return out
}

// ci.yml caches what .ci builds once per machine (~/.cache/eks-lab: the
// tiers' binaries, in directories named by version) under a key of every
// file a .ci script reads a pin from, so a new pin is saved again; a key
// that missed restores the last cache (restore-keys), so only the tier
// whose pin changed is built anew, not all three (about 25 minutes cold).
func TestWorkflowCICacheKeyCoversEveryPin(t *testing.T) {
	var cache *workflowStep
	for _, s := range readWorkflows(t)["ci.yml"].Jobs["test"].Steps {
		if strings.HasPrefix(s.Uses, "actions/cache@") && s.With["path"] == "~/.cache/eks-lab" {
			cache = &s
		}
	}
	if cache == nil {
		t.Fatal("ci.yml does not cache ~/.cache/eks-lab")
	}
	hashed := regexp.MustCompile(`hashFiles\(([^)]*)\)`).FindStringSubmatch(cache.With["key"])
	if hashed == nil {
		t.Fatalf("ci.yml's cache key %q hashes no files", cache.With["key"])
	}
	var globs []string
	for _, g := range strings.Split(hashed[1], ",") {
		globs = append(globs, strings.Trim(strings.TrimSpace(g), "'"))
	}
	covered := func(path string) bool {
		return slices.ContainsFunc(globs, func(g string) bool { ok, _ := filepath.Match(g, path); return ok })
	}
	scripts, _ := filepath.Glob(filepath.Join(root, ".ci", "*.sh"))
	pinFile := regexp.MustCompile(`\b(?:components|internal|cmd)/[\w./-]+\.go\b`)
	var pins []string
	for _, script := range scripts {
		pins = append(pins, ".ci/"+filepath.Base(script))
		data, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		pins = append(pins, pinFile.FindAllString(string(data), -1)...)
		if strings.Contains(string(data), "go run ./cmd/lab-ci version") {
			pins = append(pins, "internal/versions/versions.go")
		}
	}
	slices.Sort(pins)
	pins = slices.Compact(pins)
	if !slices.Contains(pins, "internal/versions/versions.go") {
		t.Errorf("found no script reading a pin of internal/versions among %v: is the pin read elsewhere now?", pins)
	}
	for _, p := range pins {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("a .ci script reads %s, which does not exist", p)
		}
		if !covered(p) {
			t.Errorf("ci.yml's cache key %q does not hash %s, where a .ci script reads a pin: a new pin would rebuild on every run", cache.With["key"], p)
		}
	}
	prefix := cache.With["restore-keys"]
	if prefix == "" || !strings.HasPrefix(cache.With["key"], prefix) || strings.Contains(prefix, "hashFiles") {
		t.Errorf("ci.yml's cache restore-keys %q is not the key's prefix before the hash (key %q): a new pin would rebuild every tier", prefix, cache.With["key"])
	}
}

// The deploy role is for jobs in the lab environment, whose OIDC subjects
// are what its trust policy names; the preview role for pull request jobs.
// A job waiting for a reviewer (lab-approval) holds no role, no secret and
// no stack's concurrency group. Every session covers its job.
func TestWorkflowRolesFollowTheTrustBoundaries(t *testing.T) {
	workflows := readWorkflows(t)
	for _, r := range roleJobs(t, workflows) {
		where := r.file + " job " + r.job
		job := workflows[r.file].Jobs[r.job]
		switch r.role {
		case deployRole:
			if r.environment != deployEnv || r.prTriggered {
				t.Errorf("%s: assumes the deploy role outside the %s environment (environment %q)", where, deployEnv, r.environment)
			}
		case previewRole:
			if r.environment != "" || !r.prTriggered {
				t.Errorf("%s: the preview role is trusted for pull_request jobs only (no environment)", where)
			}
		default:
			t.Errorf("%s: assumes %q, neither the preview nor the deploy role", where, r.role)
		}
		for _, step := range job.Steps {
			if !strings.HasPrefix(step.Uses, "aws-actions/configure-aws-credentials@") {
				continue
			}
			secs, err := strconv.Atoi(step.With["role-duration-seconds"])
			if err != nil || job.Timeout == 0 || secs < job.Timeout*60 {
				t.Errorf("%s: role-duration-seconds %q does not cover timeout-minutes %d", where, step.With["role-duration-seconds"], job.Timeout)
			}
		}
		if job.Permissions["id-token"] != "write" {
			t.Errorf("%s: assumes a role without id-token: write", where)
		}
	}
	approvals := 0
	for file, w := range workflows {
		for name, job := range w.Jobs {
			if job.Environment != approvalEnv {
				continue
			}
			approvals++
			data, _ := yaml.Marshal(job)
			if job.Permissions["id-token"] != "" || job.Concurrency != nil || strings.Contains(string(data), "secrets.") {
				t.Errorf("%s job %s: an approval job holds no token, secret or concurrency group", file, name)
			}
		}
	}
	if approvals != 2 {
		t.Errorf("%d jobs in %s, want deploy.yml's and destroy.yml's approve", approvals, approvalEnv)
	}
	// lab has no reviewers: every deploy waits for the approval job.
	if deploy := workflows["deploy.yml"].Jobs; !slices.Contains(deploy["up"].Needs, "approve") || deploy["approve"].Environment != approvalEnv {
		t.Errorf("deploy.yml's up needs %v: it must wait for approve, in %s", deploy["up"].Needs, approvalEnv)
	}
}

// prTriggered says which workflows a pull request sets off: on pull_request
// or pull_request_target, on workflow_run of such a workflow, or called by
// one of them.
func prTriggered(workflows map[string]workflow) map[string]bool {
	byName := map[string]string{}
	for file, w := range workflows {
		byName[w.Name] = file
	}
	out := map[string]bool{}
	for changed := true; changed; {
		changed = false
		mark := func(file string) {
			if !out[file] {
				out[file], changed = true, true
			}
		}
		for file, w := range workflows {
			_, pr := w.On["pull_request"]
			_, prt := w.On["pull_request_target"]
			if run, ok := w.On["workflow_run"].(map[string]any); ok {
				names, _ := run["workflows"].([]any)
				for _, n := range names {
					pr = pr || out[byName[fmt.Sprint(n)]]
				}
			}
			if pr || prt {
				mark(file)
			}
			if !out[file] {
				continue
			}
			for _, job := range w.Jobs {
				if callee, ok := strings.CutPrefix(job.Uses, "./.github/workflows/"); ok {
					mark(callee)
				}
			}
		}
	}
	return out
}

// privilegedTrigger: events whose run has the base repository's token and
// secrets while a pull request's author controls what it is about.
func privilegedTrigger(w workflow) bool {
	_, prt := w.On["pull_request_target"]
	_, run := w.On["workflow_run"]
	return prt || run
}

var (
	// pulumi commands that change a stack or its state.
	pulumiChanges = regexp.MustCompile(`\bpulumi\s+(up|update|destroy|refresh|import|cancel|state|stack\s+(rm|init|import|select\b[^\n]*--create))\b`)
	// A ref that names the pull request's own commits.
	prHeadRef = regexp.MustCompile(`(pull_request\.head|head_ref|workflow_run\.head|refs/pull/)`)
)

// prViolations lists what a job a pull request sets off must not do: change
// a stack (pulumi up, destroy and the like, directly or through a local
// action, or a pulumi/actions command other than preview), run in an
// environment (the deploy role trusts one), assume the deploy role, open a
// cluster's API, or, on a trigger that runs with the base repository's
// secrets, check out the pull request's code.
func prViolations(workflows map[string]workflow, actions map[string]localAction) []string {
	var out []string
	triggered := prTriggered(workflows)
	for file, w := range workflows {
		if !triggered[file] {
			continue
		}
		for name, job := range w.Jobs {
			where := file + " job " + name
			if job.Environment != "" {
				out = append(out, fmt.Sprintf("%s: runs in environment %s", where, job.Environment))
			}
			steps := slices.Clone(job.Steps)
			for _, s := range job.Steps {
				steps = append(steps, actions[s.Uses].Runs.Steps...)
			}
			for _, s := range steps {
				switch {
				case pulumiChanges.MatchString(s.Run):
					out = append(out, fmt.Sprintf("%s: runs %q", where, pulumiChanges.FindString(s.Run)))
				case strings.HasPrefix(s.Uses, "pulumi/actions@") && (s.With["command"] != "" && s.With["command"] != "preview" || s.With["upsert"] != ""):
					out = append(out, fmt.Sprintf("%s: pulumi/actions command %s (upsert %q)", where, s.With["command"], s.With["upsert"]))
				case s.With["role-to-assume"] == deployRole:
					out = append(out, fmt.Sprintf("%s: assumes the deploy role", where))
				case s.Uses == "./.github/actions/eks-api-access" && s.With["mode"] != "check":
					out = append(out, fmt.Sprintf("%s: eks-api-access mode %s changes a cluster", where, s.With["mode"]))
				case privilegedTrigger(w) && strings.HasPrefix(s.Uses, "actions/checkout@") && prHeadRef.MatchString(s.With["ref"]):
					out = append(out, fmt.Sprintf("%s: checks out the pull request's code (%s) with the base repository's secrets", where, s.With["ref"]))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// A pull request runs its own copy of the workflow it triggers, so nothing a
// pull request sets off may change a stack or hold the deploy role. The
// check must itself catch the mutations that would break that: each one
// below, applied to the real workflows, has to be reported.
func TestWorkflowNoPullRequestJobCanChangeAStack(t *testing.T) {
	workflows, actions := readWorkflows(t), readLocalActions(t)
	if v := prViolations(workflows, actions); len(v) > 0 {
		t.Errorf("jobs set off by pull requests:\n%s", strings.Join(v, "\n"))
	}
	if triggered := prTriggered(workflows); !triggered["preview.yml"] || !triggered["preview-comment.yml"] || !triggered["affected-stacks.yml"] || triggered["deploy.yml"] {
		t.Errorf("pull request workflows = %v, want preview, its callee affected-stacks and its workflow_run preview-comment", triggered)
	}
	for _, m := range []struct {
		name, file, from, to, want string
	}{
		{"preview becomes up", "preview.yml", "command: preview", "command: up", "pulumi/actions command up"},
		{"pull_request_target, then up", "preview.yml", "on:\n  pull_request:\n", "on:\n  pull_request_target:\n", "checks out the pull request's code"},
		{"an upsert", "preview.yml", "command: preview", "command: preview\n          upsert: true", "upsert"},
		{"the deploy role", "preview.yml", "role-to-assume: ${{ vars.AWS_PREVIEW_ROLE_ARN }}", "role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}", "assumes the deploy role"},
		{"a pulumi up in a script", "preview.yml", `pulumi stack select "$PULUMI_STACK"`, `pulumi up --yes --stack "$PULUMI_STACK"`, `runs "pulumi up"`},
		{"the fork relay in lab", "preview-comment.yml", "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    environment: lab\n", "runs in environment lab"},
		{"opening a cluster", "preview.yml", "mode: check", "mode: open", "eks-api-access mode open"},
	} {
		t.Run(m.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(root, ".github", "workflows", m.file))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), m.from) {
				t.Fatalf("%s has no %q to mutate", m.file, m.from)
			}
			var w workflow
			if err := yaml.Unmarshal([]byte(strings.Replace(string(data), m.from, m.to, 1)), &w); err != nil {
				t.Fatal(err)
			}
			mutated := map[string]workflow{}
			for k, v := range workflows {
				mutated[k] = v
			}
			mutated[m.file] = w
			v := prViolations(mutated, actions)
			if !slices.ContainsFunc(v, func(s string) bool { return strings.Contains(s, m.want) }) {
				t.Errorf("not reported (want %q): %v", m.want, v)
			}
		})
	}
	// pull_request_target with the up: still a pull request's job.
	data, _ := os.ReadFile(filepath.Join(root, ".github", "workflows", "preview.yml"))
	var w workflow
	mutated := strings.Replace(strings.Replace(string(data), "on:\n  pull_request:\n", "on:\n  pull_request_target:\n", 1), "command: preview", "command: up", 1)
	if err := yaml.Unmarshal([]byte(mutated), &w); err != nil {
		t.Fatal(err)
	}
	all := map[string]workflow{"preview.yml": w, "affected-stacks.yml": workflows["affected-stacks.yml"]}
	if v := prViolations(all, actions); !slices.ContainsFunc(v, func(s string) bool { return strings.Contains(s, "pulumi/actions command up") }) {
		t.Errorf("an up under pull_request_target is not reported: %v", v)
	}
}

// stackJobs are the jobs that change a stack: they run pulumi up or destroy.
func stackJobs(workflows map[string]workflow) map[string]workflowJob {
	out := map[string]workflowJob{}
	for file, w := range workflows {
		for name, job := range w.Jobs {
			for _, s := range job.Steps {
				if regexp.MustCompile(`\bpulumi\s+(up|destroy)\b`).MatchString(s.Run) {
					out[file+" job "+name] = job
				}
			}
		}
	}
	return out
}

// GitHub keeps one running and, by default, one pending job per concurrency
// group, and a newer pending job cancels the pending one ("Control the
// concurrency of workflows and jobs"): a deploy queued behind a running
// destroy would cancel a destroy queued before it. So every job that changes
// a stack shares its stack's group, never cancels (cancel-in-progress
// false) and queues (queue: max, up to 100 pending in order, GitHub's
// changelog of 2026-05-07); no workflow-level group of one slot sits above
// them; and none of them waits for a reviewer while it holds the group (a
// job waiting on an environment's reviewers counts as running in its group).
func TestWorkflowStackJobsQueueAndNeverCancel(t *testing.T) {
	workflows := readWorkflows(t)
	jobs := stackJobs(workflows)
	if len(jobs) != 2 {
		t.Fatalf("jobs running pulumi up or destroy: %v, want deploy.yml's up and destroy.yml's destroy", slices.Sorted(maps.Keys(jobs)))
	}
	for where, job := range jobs {
		c := job.Concurrency
		switch {
		case c == nil:
			t.Errorf("%s: no concurrency group", where)
		case c.Group != "lab-stack-${{ matrix.stack }}":
			t.Errorf("%s: group %q, want the stack's lab-stack-${{ matrix.stack }}", where, c.Group)
		case c.CancelInProgress != "false" || c.Queue != "max":
			t.Errorf("%s: cancel-in-progress %q, queue %q: want false and max", where, c.CancelInProgress, c.Queue)
		}
		if job.Environment != deployEnv {
			t.Errorf("%s: environment %q, want %s (no reviewers: approval is a job of its own)", where, job.Environment, deployEnv)
		}
		file, _, _ := strings.Cut(where, " ")
		if workflows[file].Concurrency != nil {
			t.Errorf("%s: the workflow-level concurrency group would cancel pending runs", file)
		}
	}
	// What actionlint cannot check yet (.github/actionlint.yaml).
	for file, w := range workflows {
		for name, job := range w.Jobs {
			for _, c := range []*concurrency{w.Concurrency, job.Concurrency} {
				if c != nil && (c.Queue != "" && c.Queue != "max" && c.Queue != "single" || c.Queue == "max" && c.CancelInProgress == "true") {
					t.Errorf("%s job %s: queue %q with cancel-in-progress %q is refused by GitHub", file, name, c.Queue, c.CancelInProgress)
				}
			}
		}
	}
}

// docs/cicd.md's policies are what members paste into IAM: valid JSON, and
// subjects that are exactly what GitHub puts in the tokens of the jobs above
// once the repository's subject template includes the claims the page sets
// (repo, context, job_workflow_ref): the deploy role for the lab jobs of
// deploy.yml and destroy.yml on main, the preview role for preview.yml on
// pull requests.
func TestWorkflowRolesMatchTheDocsTrustPolicies(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "docs", "cicd.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(doc, -1)
	if len(blocks) != 4 {
		t.Fatalf("docs/cicd.md has %d JSON blocks, want the subject template, the preview trust and permission policies and the deploy trust policy", len(blocks))
	}
	var template struct {
		UseDefault       *bool    `json:"use_default"`
		IncludeClaimKeys []string `json:"include_claim_keys"`
	}
	if err := json.Unmarshal([]byte(blocks[0][1]), &template); err != nil {
		t.Fatalf("subject template: %v", err)
	}
	if template.UseDefault == nil || *template.UseDefault || !slices.Equal(template.IncludeClaimKeys, []string{"repo", "context", "job_workflow_ref"}) {
		t.Fatalf("subject template %+v, want use_default false and repo, context, job_workflow_ref", template)
	}
	subjects := func(doc string) (equals, like []string) {
		var p struct {
			Statement []struct {
				Condition map[string]map[string]any
			}
		}
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatalf("not valid JSON: %v\n%s", err, doc)
		}
		list := func(v any) []string {
			switch v := v.(type) {
			case string:
				return []string{v}
			case []any:
				var out []string
				for _, x := range v {
					out = append(out, x.(string))
				}
				return out
			}
			return nil
		}
		for _, s := range p.Statement {
			eq := s.Condition["StringEquals"]
			if s.Condition != nil && eq["token.actions.githubusercontent.com:aud"] != "sts.amazonaws.com" {
				t.Errorf("aud = %v, want sts.amazonaws.com", eq["token.actions.githubusercontent.com:aud"])
			}
			equals = append(equals, list(eq["token.actions.githubusercontent.com:sub"])...)
			like = append(like, list(s.Condition["StringLike"]["token.actions.githubusercontent.com:sub"])...)
		}
		sort.Strings(equals)
		return equals, like
	}
	// The subject of each job that assumes a role: "repo:", then the context
	// (environment:NAME, or pull_request), then the workflow file at its ref.
	var wantDeploy, wantPreview []string
	for _, r := range roleJobs(t, readWorkflows(t)) {
		workflowRef := "OWNER/REPO/.github/workflows/" + r.file
		switch {
		case r.role == deployRole:
			wantDeploy = append(wantDeploy, "repo:OWNER/REPO:environment:"+r.environment+":job_workflow_ref:"+workflowRef+"@refs/heads/main")
		case r.role == previewRole && r.prTriggered:
			wantPreview = append(wantPreview, "repo:OWNER/REPO:pull_request:job_workflow_ref:"+workflowRef+"@refs/pull/*/merge")
		}
	}
	sort.Strings(wantDeploy)
	wantDeploy = slices.Compact(wantDeploy)
	equals, like := subjects(blocks[1][1])
	expectEqual(t, "preview role subjects", append(equals, like...), wantPreview)
	subjects(blocks[2][1]) // valid JSON
	equals, like = subjects(blocks[3][1])
	expectEqual(t, "deploy role subjects", equals, wantDeploy)
	if len(like) > 0 {
		t.Errorf("the deploy role's subjects are matched with wildcards: %v", like)
	}
	if !strings.Contains(doc, "--max-session-duration 7200") {
		t.Error("the deploy role's MaxSessionDuration must allow the jobs' 5400-second sessions")
	}
}

// jqOnPath is jq, or gojq (.ci/install-tools.sh installs it), which the
// workflows' steps call as jq.
func jqOnPath(t *testing.T) string {
	for _, name := range []string{"jq", "gojq"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	tier.Missing(t, "no jq or gojq on PATH: run bash .ci/install-tools.sh")
	return ""
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/bash\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// runStep runs a step's script as GitHub's bash shell does, and returns its
// output and error.
func runStep(dir, script string, env []string) (string, error) {
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustRunStep runs a step that has to succeed.
func mustRunStep(t *testing.T, dir, script string, env []string) string {
	t.Helper()
	out, err := runStep(dir, script, env)
	if err != nil {
		t.Fatalf("step failed: %v\n%s", err, out)
	}
	return out
}

// stepFiles are the files GitHub gives a step ($GITHUB_OUTPUT, $GITHUB_ENV)
// and what the test's fakes read and write, in dir.
type stepFiles map[string]string

func newStepFiles(dir string, names ...string) stepFiles {
	f := stepFiles{}
	for _, n := range append([]string{"GITHUB_OUTPUT", "GITHUB_ENV", "RUNNER_TEMP"}, names...) {
		f[n] = filepath.Join(dir, strings.ToLower(n))
	}
	return f
}

func (f stepFiles) env() []string {
	var out []string
	for k, v := range f {
		out = append(out, k+"="+v)
	}
	return out
}

func (f stepFiles) read(t *testing.T, name string) string {
	data, err := os.ReadFile(f[name])
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

// outputs parses a $GITHUB_OUTPUT or $GITHUB_ENV file of NAME=VALUE lines.
func (f stepFiles) outputs(t *testing.T, name string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(f.read(t, name)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// labCIBinary builds cmd/lab-ci for steps that run it (`go run ./cmd/lab-ci`).
func labCIBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lab-ci")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/lab-ci")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/lab-ci: %v\n%s", err, out)
	}
	return bin
}

// fakeBin puts on PATH: pulumi answering `stack ls` and `stack output` from
// files, go running labCI (labCIBinary) for `go run ./cmd/lab-ci` and
// recording any other `go run` (one argument a line, so an empty one
// shows), and jq.
func fakeBin(t *testing.T, dir, labCI string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	writeScript(t, filepath.Join(bin, "pulumi"), `case "$1 $2" in
"stack ls") cat "$FAKE_LS" ;;
"stack output") cat "$FAKE_OUTPUTS" ;;
esac`)
	writeScript(t, filepath.Join(bin, "go"), fmt.Sprintf(`if [ "$1 $2" = "run ./cmd/lab-ci" ]; then shift 2; exec %q "$@"; fi
printf '%%s\n' "$@" > "$FAKE_ARGS"`, labCI))
	if err := os.Symlink(jqOnPath(t), filepath.Join(bin, "jq")); err != nil {
		t.Fatal(err)
	}
	return "PATH=" + bin + ":/usr/bin:/bin"
}
