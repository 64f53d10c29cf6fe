package labci

import (
	"fmt"
	"strings"
)

// Hints returns the fix for the failures a Pulumi log shows that a re-run
// alone does not cure: a stack locked by an update that died, and pending
// operations left by an interrupted one.
func Hints(log, stack string) []string {
	var out []string
	// The DIY backends' message (pkg/backend/diy/lock.go) and Pulumi Cloud's 409.
	if strings.Contains(log, "the stack is currently locked by") || strings.Contains(log, "Another update is currently in progress") {
		out = append(out, fmt.Sprintf("stack %s is locked by another update. If none is running (check this repository's "+
			"deploy and destroy runs), the lock is left from a run that died: remove it with "+
			"`pulumi cancel --stack %s --yes`, then re-run this job.", stack, stack))
	}
	// The engine's warning, e.g. "Attempting to deploy or update resources
	// with 1 pending operations from previous deployment."
	if strings.Contains(log, "pending operations from previous deployment") {
		out = append(out, fmt.Sprintf("stack %s has pending operations from an interrupted update (listed above as "+
			"\"interrupted while creating/updating/deleting\"). Check in AWS whether each of those resources exists. "+
			"Then `pulumi refresh --stack %s --yes` clears pending updates and deletes; pending creates need "+
			"`pulumi stack export --stack %s --file state.json`, removing their entries from "+
			"deployment.pending_operations in state.json, `pulumi stack import --stack %s --file state.json`, "+
			"and `pulumi import` for each resource that was in fact created.", stack, stack, stack, stack))
	}
	return out
}
