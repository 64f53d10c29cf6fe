// Package cleanup runs `lab cleanup` when a Cleanup is deleted, so that
// Pulumi deletes the LoadBalancer Services, Ingresses and Gateways the lab's members
// created with kubectl (which Pulumi does not own) while the AWS Load
// Balancer Controller and ExternalDNS still run to delete their load
// balancers and DNS records.
//
// A Cleanup is a command with nothing to do on create and the cleanup as its
// delete. Pulumi deletes a resource before whatever it depends on, using the
// dependencies recorded in the state, both on `pulumi destroy` and for
// resources an update drops from the program. So the caller registers:
//   - one Cleanup for the cluster, depending on the node group, CoreDNS and
//     every controller's release: it runs on destroy, whatever is installed,
//     with PersistentVolumes (the CSI driver still runs on the nodes) and,
//     with ExternalDNS, a wait of one sync for the records of what Pulumi and
//     the cleanup just deleted;
//   - one Cleanup per controller, depending on the same: it exists exactly as
//     long as its controller, so turning the controller off drops both from
//     the program and Pulumi runs the cleanup before it uninstalls the
//     controller, in the same update;
//
// and makes every workload depend on every Cleanup's command, so workloads
// go first. On destroy the Cleanups run side by side; the second to look
// finds nothing left or waits on the same objects.
package cleanup

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi-command/sdk/go/command"
	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	kubecleanup "github.com/eks-study/lab/internal/cleanup"
)

// KubeconfigEnv is the environment variable the delete command reads the
// kubeconfig from; an argument would show it in logs and process lists.
const KubeconfigEnv = "LAB_KUBECONFIG"

// CleanupArgs configures the cleanup.
type CleanupArgs struct {
	// Kubeconfig of the cluster, YAML or JSON (pulumi-eks's kubeconfigJson);
	// kept as a secret in the state. Required.
	Kubeconfig pulumi.StringInput
	// ExternalDNS makes the cleanup wait one ExternalDNS sync interval after
	// the objects are gone, so it deletes their records before it is uninstalled.
	// Default false.
	ExternalDNS bool
	// Timeout for the load balancers to be deleted. Default 10 minutes.
	Timeout time.Duration
	// Targets is what the cleanup deletes. Default kubecleanup.LoadBalancers.
	Targets kubecleanup.Targets
	// PersistentVolumes also deletes the PersistentVolumeClaims whose
	// dynamically provisioned volumes (reclaim policy Delete) would outlive
	// the cluster, with the workloads that mount them, and waits for the
	// volumes to go. Set it on the cleanup that runs before the cluster is
	// deleted, never on a controller's: turning a controller off must not
	// delete members' data. Default false.
	PersistentVolumes bool
}

// Cleanup is the component.
type Cleanup struct {
	pulumi.ResourceState

	// Command does nothing on create and runs the cleanup on delete.
	Command *local.Command
}

// Package is what the delete command runs with `go run`: the small
// lab-cleanup main, which builds in seconds.
const Package = "github.com/eks-study/lab/cmd/lab-cleanup"

// DeleteCommand is the program and arguments run when the Cleanup is
// deleted. It deletes objects Pulumi manages too: by then Pulumi has deleted
// the lab's own, and any left (another Pulumi program's) must go as well.
//
// They are the command's interpreter, not a shell line, so the same command
// runs on Linux, macOS and Windows. The command provider runs it in the
// program's directory (infra/, inside this module), where `go run` resolves
// the package by its import path. It assumes `pulumi destroy` runs from a
// checkout of this repository with Go installed, as `pulumi up` did.
func DeleteCommand(args CleanupArgs) []string {
	timeout := args.Timeout
	if timeout <= 0 {
		timeout = kubecleanup.DefaultTimeout
	}
	var dnsWait time.Duration
	if args.ExternalDNS {
		dnsWait = kubecleanup.DefaultDNSSyncWait
	}
	targets := args.Targets
	if targets == "" {
		targets = kubecleanup.LoadBalancers
	}
	cmd := []string{"go", "run", Package, "--kubeconfig-env", KubeconfigEnv, "--targets", string(targets),
		"--timeout", timeout.String(), "--dns-sync-wait", dnsWait.String()}
	if args.PersistentVolumes {
		cmd = append(cmd, "--persistent-volumes")
	}
	return append(cmd, "--include-pulumi-owned")
}

// NewCleanup registers the cleanup command.
func NewCleanup(ctx *pulumi.Context, name string, args *CleanupArgs, opts ...pulumi.ResourceOption) (*Cleanup, error) {
	if args == nil || args.Kubeconfig == nil {
		return nil, fmt.Errorf("cleanup %s: Kubeconfig is required", name)
	}
	c := &Cleanup{}
	// The type token keeps the step's old name: it is part of every Cleanup's
	// URN in live labs, and a new token would replace them (and so run the
	// cleanup) at the next update. Frozen for URN compatibility.
	if err := ctx.RegisterComponentResource("eks-lab:teardown:Cleanup", name, c, opts...); err != nil {
		return nil, err
	}
	// Pulumi does not pass a component's dependencies on to its children, and
	// the command is what must run before the controllers go.
	resOpts, err := pulumi.NewResourceOptions(opts...)
	if err != nil {
		return nil, err
	}
	// An explicit provider, like every other provider of the lab; it has no settings.
	prov, err := command.NewProvider(ctx, name, &command.ProviderArgs{}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("cleanup %s: command provider: %w", name, err)
	}
	del := DeleteCommand(*args)
	kubeconfig := pulumi.ToSecret(args.Kubeconfig.ToStringOutput()).(pulumi.StringOutput)
	cmd, err := local.NewCommand(ctx, name, &local.CommandArgs{
		// No create: nothing to do until the stack is destroyed. The provider
		// appends the delete string to the interpreter, so the interpreter is
		// the whole command and the string is its last argument.
		Interpreter: pulumi.ToStringArray(del[:len(del)-1]),
		Delete:      pulumi.String(del[len(del)-1]),
		Environment: pulumi.StringMap{KubeconfigEnv: kubeconfig},
	}, pulumi.Parent(c), pulumi.Provider(prov), pulumi.DependsOn(resOpts.DependsOn),
		// The environment comes back as an output too; keep it secret there.
		pulumi.AdditionalSecretOutputs([]string{"environment"}))
	if err != nil {
		return nil, fmt.Errorf("cleanup %s: command: %w", name, err)
	}
	c.Command = cmd
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{}); err != nil {
		return nil, err
	}
	return c, nil
}
