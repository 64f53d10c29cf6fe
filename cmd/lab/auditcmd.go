package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/eks-study/lab/internal/audit"
	"github.com/eks-study/lab/internal/config"
	"github.com/eks-study/lab/internal/offline"
)

// auditMain runs `lab audit`, taking the region, cluster name, hosted zone
// and ExternalDNS owner from the stack file when --stack names one; flags
// given on the command line win.
func auditMain(args []string, stdout, stderr io.Writer) int {
	full, err := auditArgs(args)
	if err != nil {
		return fail(stderr, "audit", 2, "%v", err)
	}
	return audit.Main(full, stdout, stderr)
}

// auditArgs puts the stack file's values before the command line's flags
// (later flags win, so the command line overrides the stack file).
func auditArgs(args []string) ([]string, error) {
	stack := flagValue(args, "stack")
	if stack == "" || flagValue(args, "cluster-name") != "" {
		return args, nil
	}
	root := flagValue(args, "root")
	if root == "" {
		var err error
		if root, err = findRoot(); err != nil {
			return nil, err
		}
	}
	stackCfg, err := offline.LoadStack(root, stack, nil)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(config.Namespace, stack, config.MapSource(stackCfg.Values, stackCfg.Secrets), time.Now())
	if err != nil {
		return nil, fmt.Errorf("stack %s: %v", stack, err)
	}
	defaults := []string{"--region", cfg.Region, "--cluster-name", cfg.ClusterName, "--project", cfg.Project}
	if cfg.ExternalDNS {
		defaults = append(defaults, "--hosted-zone-id", cfg.HostedZoneID, "--txt-owner-id", cfg.TxtOwnerID())
	}
	return append(defaults, withoutFlag(args, "root")...), nil
}

// flagValue finds -name/--name VALUE or -name=VALUE in args.
func flagValue(args []string, name string) string {
	for i, a := range args {
		key, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || key != name {
			continue
		}
		if hasValue {
			return value
		}
		if i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// withoutFlag drops -name VALUE / -name=VALUE from args.
func withoutFlag(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		key, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if strings.HasPrefix(args[i], "-") && key == name {
			if !hasValue {
				i++
			}
			continue
		}
		out = append(out, args[i])
	}
	return out
}
