// Package externaldnstest runs the real ExternalDNS for tests: the binary
// .ci/externaldns-tier.sh builds from the Go module sigs.k8s.io/external-dns
// at the version the program deploys, with the flags the program's Helm
// values make the chart pass it. It is test support: shipped code never
// imports it.
//
// The binary's path comes from .ci/externaldns-tier.sh, which .ci/run evals:
//
//	eval "$(bash .ci/externaldns-tier.sh)"   # exports LAB_EXTERNAL_DNS
//
// Without it the tests that need it skip, unless LAB_TIERS_REQUIRED=1 (set by
// .ci/run), where a missing binary fails them.
package externaldnstest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eks-study/lab/internal/testing/kubetest"
	"github.com/eks-study/lab/internal/testing/tier"
)

// BinaryEnv locates the external-dns binary.
const BinaryEnv = "LAB_EXTERNAL_DNS"

// FlagsChart is the chart whose templates/deployment.yaml Flags follows
// (kubernetes-sigs/external-dns, tag external-dns-helm-chart-1.21.1): not a
// pin but what was read, so a test fails when versions.ExternalDNSChart
// moves on until the new template is read.
const FlagsChart = "1.21.1"

// chartDefaults are the values of the chart's values.yaml at FlagsChart
// that templates/deployment.yaml turns into flags whether or not the lab sets
// them; the lab's values override them, as Helm merges values.
var chartDefaults = map[string]any{
	"logLevel":           "info",
	"logFormat":          "text",
	"interval":           "1m",
	"triggerLoopOnEvent": false,
	"sources":            []any{"service", "ingress"},
	"policy":             "upsert-only",
	"registry":           "txt",
	"provider":           map[string]any{"name": "aws"},
}

// notFlags are the values that reach the pod but not its flags: the
// environment (Env), the image tag (which binary: Start checks its
// version), and the pod's and service account's annotations, which give it
// AWS credentials (here the emulator's static ones).
var notFlags = []string{"env", "image", "podAnnotations", "serviceAccount"}

// Flags are the arguments the chart at FlagsChart gives the external-dns
// container for values (templates/deployment.yaml, in its order). A value it
// does not know is an error: the tier must not run with less than the
// program deploys.
func Flags(values map[string]any) ([]string, error) {
	v := maps.Clone(chartDefaults)
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if _, isFlag := chartDefaults[k]; !isFlag && !slices.Contains(notFlags, k) && !slices.Contains(labFlagValues, k) {
			return nil, fmt.Errorf("externaldnstest: value %q has no flag here: add what charts/external-dns/templates/deployment.yaml (tag external-dns-helm-chart-%s) makes of it to Flags", k, FlagsChart)
		}
		v[k] = values[k]
	}
	provider, ok := v["provider"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("externaldnstest: provider is %T, want a map with name", v["provider"])
	}
	args := []string{
		"--log-level=" + str(v["logLevel"]),
		"--log-format=" + str(v["logFormat"]),
		"--interval=" + str(v["interval"]),
	}
	if v["triggerLoopOnEvent"] == true {
		args = append(args, "--events")
	}
	for _, s := range list(v["sources"]) {
		args = append(args, "--source="+s)
	}
	args = append(args, "--policy="+str(v["policy"]), "--registry="+str(v["registry"]))
	if owner := str(v["txtOwnerId"]); owner != "" {
		args = append(args, "--txt-owner-id="+owner)
	}
	for _, d := range list(v["domainFilters"]) {
		args = append(args, "--domain-filter="+d)
	}
	if prefix := str(v["annotationPrefix"]); prefix != "" {
		args = append(args, "--annotation-prefix="+prefix)
	}
	args = append(args, "--provider="+str(provider["name"]))
	// extraArgs as a list: each item as it is.
	return append(args, list(v["extraArgs"])...), nil
}

// labFlagValues are the values besides chartDefaults that Flags turns into
// flags: those components/externaldns sets.
var labFlagValues = []string{"txtOwnerId", "domainFilters", "annotationPrefix", "extraArgs"}

// Env is the container's environment the values set (the chart's env), as
// NAME=value.
func Env(values map[string]any) ([]string, error) {
	var env []string
	items, _ := values["env"].([]any)
	for _, item := range items {
		e, ok := item.(map[string]any)
		if !ok || str(e["name"]) == "" {
			return nil, fmt.Errorf("externaldnstest: env item %v: want a map with name and value", item)
		}
		env = append(env, str(e["name"])+"="+str(e["value"]))
	}
	return env, nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func list(v any) []string {
	var out []string
	switch l := v.(type) {
	case []any:
		for _, item := range l {
			out = append(out, str(item))
		}
	case []string:
		out = l
	}
	return out
}

// Binary is the external-dns binary, or skips t (fails it under
// LAB_TIERS_REQUIRED=1) without one.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(BinaryEnv)
	if bin == "" {
		tier.Missing(t, fmt.Sprintf("needs the real ExternalDNS: run `eval \"$(bash .ci/externaldns-tier.sh)\"` in the repository to build it and set %s", BinaryEnv))
	}
	return bin
}

var binaryVersions sync.Map // binary path -> what its --version printed

// checkVersion fails t unless the binary is the version the values deploy
// (image.tag).
func checkVersion(t testing.TB, bin string, values map[string]any) {
	t.Helper()
	image, _ := values["image"].(map[string]any)
	want := str(image["tag"])
	got, ok := binaryVersions.Load(bin)
	if !ok {
		out, err := exec.Command(bin, "--version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s --version: %v\n%s", bin, err, out)
		}
		got, _ = binaryVersions.LoadOrStore(bin, strings.TrimSpace(string(out)))
	}
	if got != want {
		t.Fatalf("%s is external-dns %s, but the program deploys %s (image.tag): rebuild it with .ci/externaldns-tier.sh", bin, got, want)
	}
}

// Options say how to run ExternalDNS.
type Options struct {
	// Values are the chart values, as components/externaldns makes them. Required.
	Values map[string]any
	// Kubeconfig of the cluster it watches, instead of the pod's in-cluster
	// configuration. Required.
	Kubeconfig []byte
	// Args follow the chart's, e.g. --once. Optional.
	Args []string
}

// Process is a started ExternalDNS.
type Process struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // the exit, once done is closed
}

// Start runs ExternalDNS until the test ends. Its AWS SDK finds the emulator
// through the environment: call motoserver.Env first.
func Start(t *testing.T, opts Options) *Process {
	t.Helper()
	bin := Binary(t)
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		t.Fatal("externaldnstest: AWS_ENDPOINT_URL is not set: call motoserver.Env before Start, so ExternalDNS writes to the emulator")
	}
	checkVersion(t, bin, opts.Values)
	args, err := Flags(opts.Values)
	if err != nil {
		t.Fatal(err)
	}
	env, err := Env(opts.Values)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, opts.Kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	// Outside the pod: the kubeconfig instead of the service account, and
	// the metrics server on a free loopback port instead of :7979.
	args = append(args, "--kubeconfig="+kubeconfig, "--metrics-address=127.0.0.1:0")
	args = append(args, opts.Args...)

	p := &Process{log: filepath.Join(dir, "external-dns.log"), done: make(chan struct{})}
	logFile, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...) // the values' environment wins
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	kubetest.SetDeathSignal(p.cmd)
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Logf("external-dns %s", strings.Join(args, " "))
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("external-dns's log:\n%s", p.LogTail())
		}
	})
	return p
}

// RunOnce runs ExternalDNS with --once: one sync, then it exits. It fails t
// unless it exits 0 within two minutes.
func RunOnce(t *testing.T, opts Options) {
	t.Helper()
	opts.Args = append(append([]string{}, opts.Args...), "--once")
	p := Start(t, opts)
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("external-dns --once still running after 2 minutes:\n%s", p.LogTail())
	}
	if p.err != nil {
		t.Fatalf("external-dns --once: %v:\n%s", p.err, p.LogTail())
	}
}

// Stop kills the process, if it still runs, and waits for it.
func (p *Process) Stop() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Running reports whether the process has not exited.
func (p *Process) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// LogTail is the end of the process's output.
func (p *Process) LogTail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	return string(bytes.TrimSpace(b))
}

// WaitFor polls cond every half second until it holds, failing t after two
// minutes (the machine may be busy) or when ExternalDNS has exited.
func (p *Process) WaitFor(t *testing.T, what string, cond func(context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var lastErr error
	for {
		ok, err := cond(ctx)
		switch {
		case err == nil && ok:
			return
		case err != nil:
			lastErr = err
		}
		if !p.Running() {
			t.Fatalf("external-dns exited (%v) while waiting for %s:\n%s", p.err, what, p.LogTail())
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not after 2 minutes (last error: %v)", what, lastErr)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
