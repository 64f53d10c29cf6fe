package tests

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/cleanup"
	kubecleanup "github.com/eks-study/lab/internal/cleanup"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
)

const kubeconfig = `{"apiVersion":"v1","kind":"Config","current-context":"aws","users":[{"name":"aws","user":{"exec":{"command":"aws","args":["eks","get-token","--cluster-name","myeks"]}}}]}`

// runCleanup registers one Cleanup and returns the plan and whether the command's
// environment output came back secret.
func runCleanup(t *testing.T, args cleanup.CleanupArgs) (*offline.Plan, bool) {
	t.Helper()
	secret := make(chan bool, 1)
	plan, err := mock.RunProgram("dev", nil, func(ctx *pulumi.Context) error {
		c, err := cleanup.NewCleanup(ctx, "cleanup", &args)
		if err != nil {
			return err
		}
		c.Command.Environment.ApplyT(func(map[string]string) error {
			secret <- pulumi.IsSecret(c.Command.Environment)
			return nil
		})
		return nil
	})
	if err != nil {
		t.Fatalf("RunProgram: %v", err)
	}
	select {
	case s := <-secret:
		return plan, s
	case <-time.After(10 * time.Second):
		t.Fatal("the command's environment never resolved")
	}
	return nil, false
}

func cleanupCommand(t *testing.T, plan *offline.Plan) offline.Resource {
	t.Helper()
	cmds := plan.OfType("command:local:Command")
	if len(cmds) != 1 {
		t.Fatalf("%d local.Command resources, want 1", len(cmds))
	}
	return cmds[0]
}

func TestDeleteRunsCleanupWithSecretKubeconfig(t *testing.T) {
	t.Parallel()
	plan, secret := runCleanup(t, cleanup.CleanupArgs{Kubeconfig: pulumi.String(kubeconfig), ExternalDNS: true})
	cmd := cleanupCommand(t, plan)

	// The interpreter plus the delete string is the whole command: no shell,
	// so it runs the same on Windows.
	// On destroy Pulumi has deleted the lab's own objects; whatever is left,
	// another Pulumi program's included, must go.
	want := "go run github.com/eks-study/lab/cmd/lab-cleanup --kubeconfig-env LAB_KUBECONFIG --targets load-balancers --timeout 10m0s --dns-sync-wait 1m30s --include-pulumi-owned"
	if got := commandLine(cmd); got != want {
		t.Errorf("delete runs %q\nwant          %q", got, want)
	}
	if _, ok := cmd.Inputs["create"]; ok {
		t.Errorf("create = %v, want none: nothing runs until destroy", cmd.Inputs["create"])
	}
	env, _ := cmd.Inputs["environment"].(map[string]any)
	if env[cleanup.KubeconfigEnv] != kubeconfig || len(env) != 1 {
		t.Errorf("environment = %v, want only %s with the kubeconfig", env, cleanup.KubeconfigEnv)
	}
	if !secret {
		t.Error("the kubeconfig in the command's environment is not secret")
	}
	if strings.Contains(commandLine(cmd), "current-context") {
		t.Error("the kubeconfig leaks into the command line")
	}

	comp, ok := plan.Find("eks-lab:teardown:Cleanup", "cleanup")
	if !ok {
		t.Fatal("no eks-lab:teardown:Cleanup component")
	}
	if cmd.Parent != comp.URN {
		t.Errorf("command parent = %s, want the component", cmd.Parent)
	}
	prov, ok := plan.Find("pulumi:providers:command", "cleanup")
	if !ok || !strings.HasPrefix(cmd.Provider, prov.URN+"::") {
		t.Errorf("command provider = %q, want the component's explicit command provider", cmd.Provider)
	}
}

func TestDeleteCommandFollowsArgs(t *testing.T) {
	t.Parallel()
	plan, _ := runCleanup(t, cleanup.CleanupArgs{Kubeconfig: pulumi.String(kubeconfig), Timeout: 20 * time.Minute, Targets: kubecleanup.DNSNames})
	del := commandLine(cleanupCommand(t, plan))
	for _, want := range []string{"--timeout 20m0s", "--dns-sync-wait 0s", "--targets dns-names"} {
		if !strings.Contains(del, want) {
			t.Errorf("delete %q lacks %q", del, want)
		}
	}
}

func TestKubeconfigIsRequired(t *testing.T) {
	t.Parallel()
	_, err := mock.RunProgram("dev", nil, func(ctx *pulumi.Context) error {
		_, err := cleanup.NewCleanup(ctx, "cleanup", &cleanup.CleanupArgs{})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "Kubeconfig is required") {
		t.Fatalf("err = %v, want Kubeconfig is required", err)
	}
}

// commandLine is what the provider executes on delete: interpreter + delete.
func commandLine(cmd offline.Resource) string {
	var parts []string
	for _, p := range cmd.Inputs["interpreter"].([]any) {
		parts = append(parts, p.(string))
	}
	return strings.Join(append(parts, cmd.Inputs["delete"].(string)), " ")
}

// The package the delete command runs must exist and stay small: it is
// compiled during `pulumi destroy`, possibly on a machine with a cold cache.
func TestDeletePackageBuildsWithoutThePulumiSDKs(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", cleanup.Package).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", cleanup.Package, err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/pulumi/") || strings.HasPrefix(dep, "github.com/aws/") {
			t.Errorf("%s depends on %s: destroy would compile it", cleanup.Package, dep)
		}
	}
}

// What destroy runs must be a command line the cleanup accepts, with the
// settings the Args asked for.
func TestDeleteCommandParses(t *testing.T) {
	t.Setenv(cleanup.KubeconfigEnv, kubeconfig)
	t.Setenv(kubecleanup.SkipEnv, "")
	del := cleanup.DeleteCommand(cleanup.CleanupArgs{Kubeconfig: pulumi.String(kubeconfig), ExternalDNS: true, Targets: kubecleanup.DNSNames})
	if strings.Join(del[:3], " ") != "go run "+cleanup.Package {
		t.Fatalf("delete command %q does not run %s", del, cleanup.Package)
	}
	o, err := kubecleanup.ParseArgs(del[3:], nil)
	if err != nil {
		t.Fatalf("the cleanup refuses the delete command's arguments %q: %v", del[3:], err)
	}
	if string(o.Kubeconfig) != kubeconfig || o.Targets != kubecleanup.DNSNames || !o.IncludePulumiOwned ||
		o.Timeout != kubecleanup.DefaultTimeout || o.DNSSyncWait != kubecleanup.DefaultDNSSyncWait {
		t.Errorf("the delete command parses to %+v", o)
	}
}

// The cluster's cleanup on destroy: with ExternalDNS installed it waits one
// ExternalDNS sync after the objects are gone, so their records go before
// ExternalDNS is uninstalled; without, it does not wait.
func TestClusterCleanupWaitsOneExternalDNSSyncWithExternalDNS(t *testing.T) {
	t.Setenv(cleanup.KubeconfigEnv, kubeconfig)
	t.Setenv(kubecleanup.SkipEnv, "")
	for _, tc := range []struct {
		externalDNS bool
		want        time.Duration
	}{{true, kubecleanup.DefaultDNSSyncWait}, {false, 0}} {
		del := cleanup.DeleteCommand(cleanup.CleanupArgs{Kubeconfig: pulumi.String(kubeconfig), ExternalDNS: tc.externalDNS, PersistentVolumes: true})
		o, err := kubecleanup.ParseArgs(del[3:], nil)
		if err != nil {
			t.Fatalf("ExternalDNS %v: %v", tc.externalDNS, err)
		}
		if o.DNSSyncWait != tc.want || o.DNSSyncWait > 0 && o.DNSSyncWait < time.Minute {
			t.Errorf("ExternalDNS %v: the cleanup waits %s for ExternalDNS, want %s (ExternalDNS syncs every minute)", tc.externalDNS, o.DNSSyncWait, tc.want)
		}
	}
}

// Only a Cleanup asked to deletes volumes: the cluster's, never a
// controller's, which runs when a stack turns the controller off while the
// members' workloads and data stay.
func TestOnlyTheClusterCleanupDeletesVolumes(t *testing.T) {
	t.Setenv(cleanup.KubeconfigEnv, kubeconfig)
	t.Setenv(kubecleanup.SkipEnv, "")
	for _, args := range []cleanup.CleanupArgs{
		{Kubeconfig: pulumi.String(kubeconfig), PersistentVolumes: true},
		{Kubeconfig: pulumi.String(kubeconfig), Targets: kubecleanup.LoadBalancers},
		{Kubeconfig: pulumi.String(kubeconfig), Targets: kubecleanup.DNSNames, ExternalDNS: true},
	} {
		del := cleanup.DeleteCommand(args)
		o, err := kubecleanup.ParseArgs(del[3:], nil)
		if err != nil {
			t.Fatalf("%q: %v", del, err)
		}
		if o.PersistentVolumes != args.PersistentVolumes {
			t.Errorf("%q deletes volumes: %v, want %v", del, o.PersistentVolumes, args.PersistentVolumes)
		}
		if del[len(del)-1] != "--include-pulumi-owned" {
			t.Errorf("%q: --include-pulumi-owned must stay the delete string (the last argument)", del)
		}
	}
}

// docs/lifecycle.md shows the command the cluster's cleanup runs on
// destroy (with ExternalDNS installed): it must be the one it runs.
func TestLifecycleDocShowsTheClusterCleanupCommand(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/lifecycle.md")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(cleanup.DeleteCommand(cleanup.CleanupArgs{ExternalDNS: true, PersistentVolumes: true}), " ")
	if !strings.Contains(string(doc), "\n    "+want+"\n") {
		t.Errorf("docs/lifecycle.md does not show the cluster cleanup's command:\n    %s", want)
	}
}
