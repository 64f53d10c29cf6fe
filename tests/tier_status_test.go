// lab status and lab extend against a real Pulumi backend: the real CLI
// (LAB_PULUMI_CLI) on a file backend, with a stack whose history the CLI
// wrote. The program registers no AWS resource (there is no AWS plugin
// here); it exports what the lab exports that status reads.

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

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/estimate"
	"github.com/eks-study/lab/internal/plan"
)

// backendStack is the dev stack file's stack on a file backend, with the
// environment lab status and lab extend run in (the CLI on PATH). With
// failPause, an update with eks-lab:paused true fails after the program has
// exported its outputs, as a pause that AWS refuses half-way does.
func backendStack(t *testing.T, stack string, failPause bool) (auto.Stack, string) {
	t.Helper()
	cmd := pulumiCLI(t)
	dir, env := projectCopy(t, stack, filepath.Join(root, "stacks", "Pulumi.dev.yaml"))
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("PATH", filepath.Dir(os.Getenv("LAB_PULUMI_CLI"))+string(os.PathListSeparator)+os.Getenv("PATH"))
	// What the lab exports that lab status reads, and one component.
	program := func(ctx *pulumi.Context) error {
		var c struct{ pulumi.ResourceState }
		if err := ctx.RegisterComponentResource("eks-lab:test:Lab", "lab", &c); err != nil {
			return err
		}
		paused, _ := ctx.GetConfig("eks-lab:paused")
		ctx.Export("paused", pulumi.Bool(paused == "true"))
		ctx.Export("expiry", pulumi.String(time.Now().UTC().Add(config.DefaultLifetime).Truncate(time.Minute).Format(time.RFC3339)))
		if failPause && paused == "true" {
			_, err := pulumi.NewStackReference(ctx, "organization/eks-lab/no-such-stack", nil)
			return err
		}
		return nil
	}
	s, err := auto.UpsertStackInlineSource(t.Context(), stack, config.Namespace, program,
		auto.WorkDir(dir), auto.Pulumi(cmd), auto.EnvVars(env))
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// matchesAll checks that out matches every one of wants.
func matchesAll(t *testing.T, out string, wants ...*regexp.Regexp) {
	t.Helper()
	for _, want := range wants {
		if !want.MatchString(out) {
			t.Errorf("no match for %s in:\n%s", want, out)
		}
	}
}

func TestStatusOfARealBackend(t *testing.T) {
	s, dir := backendStack(t, "dev", false)
	code, _, stderr := runLab(t, "status", "--stack", "dev", "--root", dir)
	if want := "lab status: stack dev exists but was never brought up: pulumi up --stack dev\n"; code != 1 || stderr != want {
		t.Errorf("before any update: exit %d, %q; want 1, %q", code, stderr, want)
	}
	code, _, stderr = runLab(t, "status", "--stack", "nope", "--root", dir)
	if want := "lab status: stack nope is not in the Pulumi backend you are logged in to (pulumi whoami -v; pulumi stack ls)\n"; code != 1 || stderr != want {
		t.Errorf("unknown stack: exit %d, %q; want 1, %q", code, stderr, want)
	}

	for _, paused := range []string{"false", "true"} {
		if err := s.SetConfig(t.Context(), "eks-lab:paused", auto.ConfigValue{Value: paused}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Up(t.Context()); err != nil {
			t.Fatalf("up with paused %s: %v", paused, err)
		}
	}
	code, stdout, stderr := runLab(t, "status", "--stack", "dev", "--root", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// dev's two rates are lab plan's, as the golden plan records them.
	var golden struct {
		Estimates struct{ States plan.States } `json:"estimates"`
	}
	data, err := os.ReadFile(filepath.Join(root, "tests", "golden", "dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	rates := regexp.QuoteMeta(fmt.Sprintf("%s paused now; %s running", estimate.Dollars(golden.Estimates.States.PausedHourly), estimate.Dollars(golden.Estimates.States.RunningHourly)))
	matchesAll(t, stdout,
		regexp.MustCompile(`(?m)^stack dev: PAUSED$`),
		regexp.MustCompile(`(?m)^  expiry        \S+ \((7h5\dm|8h) left\)$`),
		// Running, then paused: two rates.
		regexp.MustCompile(`(?m)^  cost so far   ~\$0\.\d\d over 2 interval\(s\)`),
		regexp.MustCompile(`(?m)^  per hour      `+rates+`$`),
		regexp.MustCompile(`(?m)^  last pause    took \d+s \(pulumi up at \S+Z\)$`),
		regexp.MustCompile(`(?m)^  resume:  pulumi config set eks-lab:paused false --stack dev && pulumi up --stack dev$`),
		regexp.MustCompile(`(?m)^  destroy: pulumi destroy --stack dev$`),
	)

	if _, err := s.Destroy(t.Context()); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runLab(t, "status", "--stack", "dev", "--root", dir)
	if code != 0 || !regexp.MustCompile(`^stack dev was destroyed at \S+Z; nothing of it bills\n$`).MatchString(stdout) {
		t.Errorf("after destroy: exit %d, %q", code, stdout)
	}
}

// A pause that fails half-way leaves the stack's paused output true (the
// program exported it); status keeps the running state and rate, and says
// how to finish the pause.
func TestStatusAfterAFailedPause(t *testing.T) {
	s, dir := backendStack(t, "dev", true)
	if _, err := s.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConfig(t.Context(), "eks-lab:paused", auto.ConfigValue{Value: "true"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Up(t.Context()); err == nil {
		t.Fatal("the pause did not fail")
	}
	out, err := s.Outputs(t.Context())
	if err != nil || out["paused"].Value != true {
		t.Fatalf("after the failed pause the paused output is %v (%v); this test expects the CLI to keep the failed update's outputs", out["paused"].Value, err)
	}
	code, stdout, stderr := runLab(t, "status", "--stack", "dev", "--root", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	matchesAll(t, stdout,
		regexp.MustCompile(`(?m)^stack dev: RUNNING$`),
		regexp.MustCompile(`(?m)^  the last update, a pause, failed at \S+Z; part of the lab may be paused, the rest still bills at the running rate below: run pulumi up --stack dev to finish the pause, then go run ./cmd/lab audit --stack dev --paused$`),
		regexp.MustCompile(`(?m)^  per hour      \$\S+ running now; \$\S+ paused$`),
		regexp.MustCompile(`(?m)^  pause:   pulumi config set eks-lab:paused true --stack dev && pulumi up --stack dev$`),
	)
}

func TestExtendSetsTheExpiryWithinTheCap(t *testing.T) {
	s, dir := backendStack(t, "dev", false)
	if _, err := s.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "stacks", "Pulumi.dev.yaml")
	code, stdout, stderr := runLab(t, "extend", "--stack", "dev", "--root", dir, "--by", "24h", "--no-up")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "(the stack's expiry output) + 24h0m0s") {
		t.Errorf("--by does not count from the expiry output:\n%s", stdout)
	}
	want := time.Now().UTC().Add(config.DefaultLifetime + 24*time.Hour)
	got, err := s.GetConfig(t.Context(), "eks-lab:expiry")
	if err != nil {
		t.Fatal(err)
	}
	expiry, err := time.Parse(time.RFC3339, got.Value)
	if err != nil || expiry.Sub(want).Abs() > 2*time.Minute {
		t.Errorf("eks-lab:expiry = %q, want about %s", got.Value, want.Format(time.RFC3339))
	}
	before, _ := os.ReadFile(file)
	if !strings.Contains(string(before), "eks-lab:expiry") {
		t.Errorf("the stack file does not hold the expiry:\n%s", before)
	}

	// Past the cap: refused, the file untouched.
	code, _, stderr = runLab(t, "extend", "--stack", "dev", "--root", dir, "--by", "168h", "--no-up")
	if code != 2 || !strings.Contains(stderr, "is more than 7 days ahead") || !strings.Contains(stderr, "set at most") {
		t.Errorf("beyond 7 days: exit %d, %q", code, stderr)
	}
	code, _, stderr = runLab(t, "extend", "--stack", "dev", "--root", dir, "--until", "2020-01-01T00:00:00Z", "--no-up")
	if code != 2 || !strings.Contains(stderr, "is in the past") {
		t.Errorf("in the past: exit %d, %q", code, stderr)
	}
	// A stack the backend does not hold: said before anything is set.
	code, stdout, stderr = runLab(t, "extend", "--stack", "nosuch", "--root", dir, "--by", "24h", "--no-up")
	if want := "lab extend: stack nosuch is not in the Pulumi backend you are logged in to (pulumi whoami -v; pulumi stack ls)\n"; code != 1 || stdout != "" || stderr != want {
		t.Errorf("unknown stack: exit %d, stdout %q, stderr %q; want 1, nothing, %q", code, stdout, stderr, want)
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Errorf("a refused extend changed the stack file")
	}
}
