package audit

import (
	"fmt"
	"io"
)

// Write prints the report: what was skipped or does not apply, one block
// per leftover with its delete command on a line of its own, what AWS is
// still deleting, what the audit cannot attribute, the checks that could
// not run, and the verdict. verbose adds what the tagging API listed but
// is gone.
func (r Report) Write(w io.Writer, verbose bool) {
	o := r.Options
	state := ""
	if o.Paused {
		state = ", paused"
	}
	fmt.Fprintf(w, "lab audit: stack %s (project %s) in %s, cluster %s%s\n", o.Stack, o.Project, o.Region, o.ClusterName, state)
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped: %s\n", s)
	}
	for _, s := range r.NotApplicable {
		fmt.Fprintf(w, "not applicable: %s\n", s)
	}
	if verbose {
		for _, g := range r.Gone {
			fmt.Fprintf(w, "gone: %s (the tagging API still lists it)\n", g)
		}
	}
	for _, l := range r.Leftovers {
		fmt.Fprintf(w, "LEFTOVER %s %s\n", l.Kind, l.ID)
		if l.Detail != "" {
			fmt.Fprintf(w, "  %s\n", l.Detail)
		}
		if l.Delete != "" {
			fmt.Fprintf(w, "  delete: %s\n", l.Delete)
		} else {
			fmt.Fprintln(w, "  no delete command: find it in the AWS console (Resource Groups > Tag Editor finds it by its tags)")
		}
	}
	for _, l := range r.Pending {
		fmt.Fprintf(w, "pending: %s %s: %s\n", l.Kind, l.ID, l.Detail)
	}
	for _, l := range r.Undecided {
		fmt.Fprintf(w, "UNDECIDED %s %s\n  %s\n", l.Kind, l.ID, l.Detail)
	}
	for _, f := range r.Failed {
		fmt.Fprintf(w, "COULD NOT RUN: %s: %v\n", f.Check, f.Err)
	}
	switch {
	case len(r.Failed) > 0:
		fmt.Fprintf(w, "lab audit: incomplete: %d check(s) could not run (above; check the AWS credentials, their rights and the region); "+
			"what the others found is listed, and there may be more\n", len(r.Failed))
	case len(r.Leftovers) > 0 && o.Paused:
		fmt.Fprintf(w, "lab audit: %d resource(s) billing while the lab is paused. If the stack still tracks them, run pulumi up again "+
			"(with eks-lab:paused true). Otherwise run the commands above top to bottom.\n", len(r.Leftovers))
	case len(r.Leftovers) > 0:
		fmt.Fprintf(w, "lab audit: %d resource(s) left behind, possibly billing. If the stack still tracks them, run pulumi destroy again. "+
			"Otherwise run the delete commands above top to bottom: load balancers and NAT gateways take a few minutes to go, "+
			"and a command that fails with DependencyViolation or ResourceInUse succeeds once they are gone.\n", len(r.Leftovers))
	case len(r.Undecided) > 0:
		fmt.Fprintf(w, "lab audit: nothing certainly left, but %d resource(s) the audit cannot attribute (above): not a clean bill\n", len(r.Undecided))
	case len(r.Skipped) > 0:
		fmt.Fprintf(w, "lab audit: nothing found, but %d check(s) skipped for lack of input: not a clean bill\n", len(r.Skipped))
	case len(r.Pending) > 0:
		fmt.Fprintf(w, "lab audit: nothing left to delete; AWS is still deleting %d resource(s) on its own (pending, above)\n", len(r.Pending))
	case o.Paused:
		fmt.Fprintln(w, "lab audit: nothing bills but what a paused lab keeps: the EKS control plane, the bastion's disk and your PersistentVolumes")
	default:
		fmt.Fprintln(w, "lab audit: nothing left behind")
	}
}
