package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/eks-study/lab/internal/tier"
)

type workflowStep struct {
	Name string            `yaml:"name"`
	Env  map[string]string `yaml:"env"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
}

type workflowJob struct {
	Environment string            `yaml:"environment"`
	Timeout     int               `yaml:"timeout-minutes"`
	Permissions map[string]string `yaml:"permissions"`
	Steps       []workflowStep    `yaml:"steps"`
}

type workflow struct {
	On   map[string]any         `yaml:"on"`
	Jobs map[string]workflowJob `yaml:"jobs"`
}

func readWorkflows(t *testing.T) map[string]workflow {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	out := map[string]workflow{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(data, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = w
	}
	return out
}

// A tag can be moved to other code; a commit cannot. Dependabot updates the
// SHA and the version comment together.
func TestThirdPartyActionsArePinnedByCommit(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	actions, _ := filepath.Glob(filepath.Join(root, ".github", "actions", "*", "action.yml"))
	uses := regexp.MustCompile(`^\s*(?:-\s*)?uses:\s*(\S+)(.*)$`)
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	version := regexp.MustCompile(`^\s*# v[0-9]+\.[0-9]+\.[0-9]+$`)
	n := 0
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
			if !pinned.MatchString(m[1]) || !version.MatchString(m[2]) {
				t.Errorf("%s:%d: %q is not pinned as owner/repo@<commit SHA> # vX.Y.Z", filepath.Base(f), i+1, strings.TrimSpace(line))
			}
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

// A pull request runs its own workflow code: it may only hold the preview
// role. The deploy role is for jobs in the lab environments, whose OIDC
// subjects are what its trust policy names. Every session covers its job.
func TestRolesFollowTheTrustBoundaries(t *testing.T) {
	deployEnvs := map[string]bool{"lab": true, "lab-teardown": true}
	roles := 0
	workflows := readWorkflows(t)
	for name, w := range workflows {
		_, onPR := w.On["pull_request"]
		for jobName, job := range w.Jobs {
			where := name + " job " + jobName
			for _, step := range job.Steps {
				if strings.HasPrefix(step.Uses, "pulumi/actions@") && step.With["upsert"] != "" && job.Environment == "" {
					t.Errorf("%s: creates stacks without the deploy role's environment", where)
				}
				if (strings.Contains(step.Run, "pulumi up") || strings.Contains(step.Run, "pulumi destroy")) && !deployEnvs[job.Environment] {
					t.Errorf("%s: runs pulumi up/destroy outside the lab environments", where)
				}
				if !strings.HasPrefix(step.Uses, "aws-actions/configure-aws-credentials@") {
					continue
				}
				roles++
				role := step.With["role-to-assume"]
				switch role {
				case "${{ vars.AWS_DEPLOY_ROLE_ARN }}":
					if !deployEnvs[job.Environment] || onPR {
						t.Errorf("%s: assumes the deploy role outside the lab environments (environment %q)", where, job.Environment)
					}
				case "${{ vars.AWS_PREVIEW_ROLE_ARN }}":
					if job.Environment != "" || !onPR {
						t.Errorf("%s: the preview role is trusted for pull_request jobs only (no environment)", where)
					}
				default:
					t.Errorf("%s: assumes %q, neither the preview nor the deploy role", where, role)
				}
				secs, err := strconv.Atoi(step.With["role-duration-seconds"])
				if err != nil || job.Timeout == 0 || secs < job.Timeout*60 {
					t.Errorf("%s: role-duration-seconds %q does not cover timeout-minutes %d", where, step.With["role-duration-seconds"], job.Timeout)
				}
				if job.Permissions["id-token"] != "write" {
					t.Errorf("%s: assumes a role without id-token: write", where)
				}
			}
		}
	}
	if roles == 0 {
		t.Error("no job assumes a role: is the test reading the workflows?")
	}
	if w := workflows["destroy.yml"]; w.Jobs["destroy"].Environment != "lab-teardown" || w.Jobs["expired"].Environment != "lab-teardown" {
		t.Error("the sweep must run in lab-teardown, which has no required reviewers")
	}
	if w := workflows["deploy.yml"]; w.Jobs["up"].Environment != "lab" {
		t.Error("deploys must run in lab, whose reviewers approve them")
	}
}

// docs/cicd.md's policies are what members paste into IAM: valid JSON, the
// subjects GitHub puts in its tokens for the jobs above, and sessions long
// enough for the jobs.
func TestCICDDocsTrustPolicies(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "docs", "cicd.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	if len(blocks) != 3 {
		t.Fatalf("docs/cicd.md has %d JSON blocks, want the preview trust and permission policies and the deploy trust policy", len(blocks))
	}
	subjects := func(doc string) []string {
		var p struct {
			Statement []struct {
				Condition map[string]map[string]any
			}
		}
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatalf("not valid JSON: %v\n%s", err, doc)
		}
		var out []string
		for _, s := range p.Statement {
			eq := s.Condition["StringEquals"]
			if eq["token.actions.githubusercontent.com:aud"] != nil && eq["token.actions.githubusercontent.com:aud"] != "sts.amazonaws.com" {
				t.Errorf("aud = %v, want sts.amazonaws.com", eq["token.actions.githubusercontent.com:aud"])
			}
			switch v := eq["token.actions.githubusercontent.com:sub"].(type) {
			case string:
				out = append(out, v)
			case []any:
				for _, x := range v {
					out = append(out, x.(string))
				}
			}
		}
		return out
	}
	expectEqual(t, "preview role subjects", subjects(blocks[0][1]), []string{"repo:OWNER/REPO:pull_request"})
	subjects(blocks[1][1]) // valid JSON
	expectEqual(t, "deploy role subjects", subjects(blocks[2][1]), []string{"repo:OWNER/REPO:environment:lab", "repo:OWNER/REPO:environment:lab-teardown"})
	if !strings.Contains(string(data), "--max-session-duration 7200") {
		t.Error("the deploy role's MaxSessionDuration must allow the jobs' 5400-second sessions")
	}
}

// The scheduled sweep destroys stacks that have no file in the repository:
// its audit must then take the region, the cluster and the hosted zone from
// the stack's outputs, so that a stack with ExternalDNS gets its records
// checked and a stack without gets no skipped check (exit 4, a failed job).
// The two steps run here as GitHub runs them, with pulumi and go faked.
func TestSweepAuditsAStackWithoutAFileByItsOutputs(t *testing.T) {
	jq := jqOnPath(t)
	var outputsStep, auditStep *workflowStep
	for _, job := range readWorkflows(t)["destroy.yml"].Jobs {
		for i, s := range job.Steps {
			switch s.Name {
			case "The stack's region and cluster":
				outputsStep = &job.Steps[i]
			case "Audit what is left in the account":
				auditStep = &job.Steps[i]
			}
		}
	}
	if outputsStep == nil || auditStep == nil {
		t.Fatal("destroy.yml lost the steps that read the stack's outputs and audit it")
	}
	for name, tc := range map[string]struct {
		outputs   string
		stackFile bool
		want      string
	}{
		"with ExternalDNS": {
			outputs: `{"region":"eu-west-1","clusterName":"c1","hostedZoneId":"Z1","txtOwnerId":"eks-lab-gone"}`,
			want:    "run ./cmd/lab audit --stack gone --region eu-west-1 --cluster-name c1 --hosted-zone-id Z1 --txt-owner-id eks-lab-gone",
		},
		"without a hosted zone": {
			outputs: `{"region":"eu-west-1","clusterName":"c1","hostedZoneId":""}`,
			want:    "run ./cmd/lab audit --stack gone --region eu-west-1 --cluster-name c1 --hosted-zone-id ",
		},
		"from before the output": {
			outputs: `{"region":"eu-west-1","clusterName":"c1"}`,
			want:    "run ./cmd/lab audit --stack gone --region eu-west-1 --cluster-name c1",
		},
		"with a stack file": {
			outputs: `{"region":"eu-west-1","clusterName":"c1","hostedZoneId":"Z1","txtOwnerId":"eks-lab-gone"}`, stackFile: true,
			want: "run ./cmd/lab audit --stack gone",
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			writeScript(t, filepath.Join(bin, "pulumi"), `[ "$1" = login ] || cat "$FAKE_OUTPUTS"`)
			// One line per argument, so that an empty argument shows.
			writeScript(t, filepath.Join(bin, "go"), `printf '%s\n' "$@" > "$FAKE_ARGS"`)
			if err := os.Symlink(jq, filepath.Join(bin, "jq")); err != nil {
				t.Fatal(err)
			}
			if tc.stackFile {
				writeScript(t, filepath.Join(dir, "stacks", "Pulumi.gone.yaml"), "")
			}
			files := map[string]string{}
			for _, f := range []string{"FAKE_OUTPUTS", "FAKE_ARGS", "GITHUB_ENV", "GITHUB_OUTPUT"} {
				files[f] = filepath.Join(dir, strings.ToLower(f))
			}
			if err := os.WriteFile(files["FAKE_OUTPUTS"], []byte(tc.outputs), 0o644); err != nil {
				t.Fatal(err)
			}
			env := []string{"PATH=" + bin + ":/usr/bin:/bin", "STACK=gone", "PULUMI_STACK=gone", "AWS_REGION=ap-northeast-2"}
			for k, v := range files {
				env = append(env, k+"="+v)
			}
			runStep(t, dir, outputsStep.Run, env)
			data, _ := os.ReadFile(files["GITHUB_OUTPUT"])
			stepOutputs := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				k, v, _ := strings.Cut(line, "=")
				stepOutputs[k] = v
			}
			auditEnv := slices.Clone(env)
			for k, v := range auditStep.Env {
				// ${{ steps.stack.outputs.NAME }}
				if m := regexp.MustCompile(`^\$\{\{ steps\.stack\.outputs\.(\w+) \}\}$`).FindStringSubmatch(v); m != nil {
					v = stepOutputs[m[1]]
				}
				auditEnv = append(auditEnv, k+"="+v)
			}
			runStep(t, dir, auditStep.Run, auditEnv)
			args, _ := os.ReadFile(files["FAKE_ARGS"])
			if got := strings.Join(strings.Split(strings.TrimSuffix(string(args), "\n"), "\n"), " "); got != tc.want {
				t.Errorf("go %s\nwant go %s", got, tc.want)
			}
		})
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

// runStep runs a step's script as GitHub's bash shell does.
func runStep(t *testing.T, dir, script string, env []string) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("step failed: %v\n%s", err, out)
	}
}
