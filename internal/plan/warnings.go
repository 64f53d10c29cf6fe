package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eks-study/lab/internal/offline"
)

// ClusterNameWarnings warns when other stack files under root create the
// same EKS cluster, by name and region, as stack does: EKS cluster names (and
// their log groups) are unique in an account and region, so only one of
// those stacks can be up in an account at a time, and the program refuses
// the second at preview. Stack files that do not load are left to their own
// plans.
func ClusterNameWarnings(root, stack string) ([]string, error) {
	stacks, err := offline.Stacks(root)
	if err != nil {
		return nil, err
	}
	type cluster struct{ name, region string }
	of := map[string]cluster{}
	for _, s := range stacks {
		sc, err := offline.LoadStack(root, s, nil)
		if err != nil {
			continue
		}
		cfg, err := sc.LabConfig(sc.Clock())
		if err != nil {
			continue
		}
		of[s] = cluster{cfg.ClusterName, cfg.Region}
	}
	mine, ok := of[stack]
	if !ok {
		return nil, nil
	}
	var same []string
	for s, c := range of {
		if s != stack && c == mine {
			same = append(same, s)
		}
	}
	if len(same) == 0 {
		return nil, nil
	}
	slices.Sort(same)
	others := "stack " + same[0] + " does"
	if len(same) > 1 {
		others = "stacks " + strings.Join(same, ", ") + " do"
	}
	return []string{fmt.Sprintf("stack %s creates EKS cluster %s in %s, as %s: only one of them can be up in an AWS account "+
		"at a time (the program refuses a cluster name another stack's cluster or log group holds); to run them side by side, "+
		"give each its own eks-lab:clusterName", stack, mine.name, mine.region, others)}, nil
}
