package audit

import (
	"fmt"

	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/offline"
)

// FromConfig are the options that audit the lab of a validated configuration.
func FromConfig(c *config.Config) Options { return FromIdentity(c.Identity()) }

// FromIdentity are the options that audit the lab a stack's identity names.
func FromIdentity(id config.Identity) Options {
	// The zone even with ExternalDNS off now: an earlier update may have run it.
	return Options{
		Project:      id.Project,
		Stack:        id.Stack,
		Region:       id.Region,
		ClusterName:  id.ClusterName,
		HostedZoneID: id.HostedZoneID,
		TxtOwnerID:   id.TxtOwnerID(),
		NoHostedZone: id.HostedZoneID == "",
	}
}

// StackOptions reads root/stacks/Pulumi.<stack>.yaml as the program would
// and returns the options that audit that stack's lab. Only the keys that
// name the lab are read (config.LoadIdentity): the audit often follows the
// scheduled destroy of an expired lab, whose file the program would refuse
// today (an expiry in the past, a Kubernetes version out of support).
func StackOptions(root, stack string) (Options, error) {
	stackCfg, err := offline.LoadStack(root, stack, nil)
	if err != nil {
		return Options{}, err
	}
	id, err := config.LoadIdentity(config.Namespace, stack, config.MapSource(stackCfg.Values, stackCfg.Secrets))
	if err != nil {
		return Options{}, fmt.Errorf("stack %s: %w", stack, err)
	}
	return FromIdentity(id), nil
}
