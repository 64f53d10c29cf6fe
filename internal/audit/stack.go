package audit

import (
	"fmt"
	"time"

	"github.com/eks-study/lab/internal/config"
	"github.com/eks-study/lab/internal/offline"
)

// FromConfig are the options that audit the lab of a validated configuration.
func FromConfig(c *config.Config) Options {
	// The zone even with ExternalDNS off now: an earlier update may have run it.
	return Options{
		Project:      c.Project,
		Stack:        c.Stack,
		Region:       c.Region,
		ClusterName:  c.ClusterName,
		HostedZoneID: c.HostedZoneID,
		TxtOwnerID:   c.TxtOwnerID(),
		NoHostedZone: c.HostedZoneID == "",
	}
}

// StackOptions reads root/stacks/Pulumi.<stack>.yaml as the program would
// and returns the options that audit that stack's lab.
func StackOptions(root, stack string) (Options, error) {
	stackCfg, err := offline.LoadStack(root, stack, nil)
	if err != nil {
		return Options{}, err
	}
	// The audit often follows the scheduled destroy of an expired lab: read
	// the config as the program did while the lab was up, before its expiry.
	now := time.Now()
	if expiry, err := config.ParseExpiry(stackCfg.Values[config.Namespace+":expiry"]); err == nil && !expiry.After(now) {
		now = expiry.Add(-time.Minute)
	}
	cfg, err := stackCfg.LabConfig(now)
	if err != nil {
		return Options{}, fmt.Errorf("stack %s: %w", stack, err)
	}
	return FromConfig(cfg), nil
}
