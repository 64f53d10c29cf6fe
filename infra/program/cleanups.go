package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/cleanup"
	kubecleanup "github.com/eks-study/lab/internal/cleanup"
)

// controller is an installed controller that deletes AWS resources for
// Kubernetes objects: its objects must be gone before it is.
type controller struct {
	name    string              // its Helm release's name; its Cleanup is "<name>-cleanup"
	release pulumi.Resource     // what its Cleanup depends on
	targets kubecleanup.Targets // the objects it holds AWS resources for
}

// newCleanups registers the Cleanups and returns their commands,
// which every workload must depend on. Each Cleanup runs after (and on
// destroy before) controllerDeps, what the controllers run on, and every
// controller's release.
//
// "cleanup" runs on destroy. "pause-cleanup" and every
// "<controller>-cleanup" exist only while the lab runs, so a pause (which
// drops them) runs them. "<controller>-cleanup" exists as long as its
// controller: when a stack turns eks-lab:lbController or eks-lab:externalDns
// off, the update drops the release and its Cleanup together, and Pulumi
// deletes the Cleanup (running it) before the release it depends on, as it
// does on destroy. Every Cleanup depends on every release, so no controller
// goes while any cleanup still needs it (ExternalDNS's cleanup deletes
// LoadBalancer Services the load balancer controller must release).
// components/cleanup has the whole design.
func newCleanups(ctx *pulumi.Context, b *base, controllerDeps []pulumi.Resource, controllers []controller) ([]pulumi.Resource, error) {
	deps := append([]pulumi.Resource{}, controllerDeps...)
	for _, c := range controllers {
		deps = append(deps, c.release)
	}
	all, err := cleanup.NewCleanup(ctx, "cleanup", &cleanup.CleanupArgs{
		Kubeconfig:  b.cluster.Kubeconfig,
		ExternalDNS: b.cfg.ExternalDNS,
		// Only this one, which runs when the cluster goes: volumes would outlive it.
		PersistentVolumes: true,
	}, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	commands := []pulumi.Resource{all.Command}
	if b.cfg.Paused {
		return commands, nil
	}
	// "pause-cleanup" exists while the lab runs: a pause drops it and runs
	// it, with the controllers' own, before the nodes and NAT gateways go.
	// It covers the load balancers of a lab without the load balancer
	// controller (the in-tree controller runs in the control plane).
	pause, err := cleanup.NewCleanup(ctx, "pause-cleanup", &cleanup.CleanupArgs{
		Kubeconfig:  b.cluster.Kubeconfig,
		ExternalDNS: b.cfg.ExternalDNS,
	}, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	commands = append(commands, pause.Command)
	for _, c := range controllers {
		one, err := cleanup.NewCleanup(ctx, c.name+"-cleanup", &cleanup.CleanupArgs{
			Kubeconfig: b.cluster.Kubeconfig,
			Targets:    c.targets,
			// Only ExternalDNS's own cleanup waits for it: when the load
			// balancer controller goes alone, ExternalDNS stays and catches up.
			ExternalDNS: c.targets == kubecleanup.DNSNames,
		}, pulumi.DependsOn(deps))
		if err != nil {
			return nil, err
		}
		commands = append(commands, one.Command)
	}
	return commands, nil
}
