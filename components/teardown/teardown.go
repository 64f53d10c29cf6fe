// Package teardown runs `lab cleanup` when the stack is destroyed, so that a
// plain `pulumi destroy` deletes the LoadBalancer Services and Ingresses the
// lab's members created with kubectl (which Pulumi does not own) while the
// AWS Load Balancer Controller and ExternalDNS still run to delete their load
// balancers and DNS records.
//
// The caller wires the order: the Cleanup depends on the controllers, and
// every workload depends on the Cleanup, so destroy runs workloads, then the
// cleanup, then the controllers.
package teardown

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi-command/sdk/go/command"
	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/cmd/lab/cleanup"
)

// KubeconfigEnv is the environment variable the delete command reads the
// kubeconfig from; an argument would show it in logs and process lists.
const KubeconfigEnv = "LAB_KUBECONFIG"

// CleanupArgs configures the cleanup.
type CleanupArgs struct {
	// Kubeconfig of the cluster, YAML or JSON (pulumi-eks's kubeconfigJson);
	// kept as a secret in the state.
	Kubeconfig pulumi.StringInput
	// ExternalDNS makes the cleanup wait one ExternalDNS sync interval after
	// the objects are gone, so it deletes their records before it is uninstalled.
	ExternalDNS bool
	// Timeout for the load balancers to be deleted; 0 means 10 minutes.
	Timeout time.Duration
}

// Cleanup is the component.
type Cleanup struct {
	pulumi.ResourceState

	// Command does nothing on create and runs the cleanup on delete.
	Command *local.Command
}

// DeleteCommand is the shell command run when the stack is destroyed.
//
// With `dir` unset the command provider runs it in the provider process's
// working directory, which the Pulumi CLI sets to the program's directory
// (Pulumi.yaml's `main`, infra/) rather than the project root. So the command
// moves to PULUMI_ROOT_DIRECTORY (the directory of Pulumi.yaml, set for
// plugins by recent CLIs) when it is set, and runs the tool by its import
// path, which `go run` resolves from any directory inside the module. It
// assumes `pulumi destroy` runs from a checkout of this repository with Go
// installed, as `pulumi up` did; a stored absolute `dir` would break as soon
// as another machine or checkout destroys the stack.
func DeleteCommand(args CleanupArgs) string {
	timeout := args.Timeout
	if timeout <= 0 {
		timeout = cleanup.DefaultTimeout
	}
	var dnsWait time.Duration
	if args.ExternalDNS {
		dnsWait = cleanup.DefaultDNSSyncWait
	}
	return fmt.Sprintf(`cd "${PULUMI_ROOT_DIRECTORY:-.}" && go run github.com/eks-study/lab/cmd/lab cleanup --kubeconfig-env %s --timeout %s --dns-sync-wait %s`,
		KubeconfigEnv, timeout, dnsWait)
}

// NewCleanup registers the cleanup command.
func NewCleanup(ctx *pulumi.Context, name string, args *CleanupArgs, opts ...pulumi.ResourceOption) (*Cleanup, error) {
	if args == nil || args.Kubeconfig == nil {
		return nil, fmt.Errorf("teardown %s: Kubeconfig is required", name)
	}
	c := &Cleanup{}
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
		return nil, fmt.Errorf("teardown: command provider: %w", err)
	}
	kubeconfig := pulumi.ToSecret(args.Kubeconfig.ToStringOutput()).(pulumi.StringOutput)
	cmd, err := local.NewCommand(ctx, name, &local.CommandArgs{
		// Nothing to do on create or update; `true` also records the new
		// delete command and kubeconfig in the state.
		Create:      pulumi.String("true"),
		Delete:      pulumi.String(DeleteCommand(*args)),
		Environment: pulumi.StringMap{KubeconfigEnv: kubeconfig},
	}, pulumi.Parent(c), pulumi.Provider(prov), pulumi.DependsOn(resOpts.DependsOn),
		// The environment comes back as an output too; keep it secret there.
		pulumi.AdditionalSecretOutputs([]string{"environment"}))
	if err != nil {
		return nil, fmt.Errorf("teardown: command: %w", err)
	}
	c.Command = cmd
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{}); err != nil {
		return nil, err
	}
	return c, nil
}
