package acceptance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eks-study/lab/internal/audit"
)

// AuditUntilClean runs the audit until it finds nothing left. A report with
// only tagged resources is retried until p.Timeout (the tagging API's lag);
// a load balancer, target group, security group or DNS record still there
// after grace fails at once. An AWS error is retried like a leftover. The
// error lists every leftover with the command that deletes it.
func AuditUntilClean(ctx context.Context, run func(context.Context) (audit.Report, error), p Poll, grace time.Duration) (audit.Report, error) {
	start := p.now()
	var last audit.Report
	err := p.Until(ctx, func(ctx context.Context) error {
		rep, err := run(ctx)
		if err != nil {
			return fmt.Errorf("the audit could not finish: %w", err)
		}
		last = rep
		if rep.Clean() {
			return nil
		}
		// The other kinds come from their own services' APIs, which do not
		// lag like the tagging API (audit.UnconfirmedKind).
		real := confirmed(rep)
		leftovers := fmt.Errorf("%d resource(s) left:\n%s", len(rep.Leftovers), written(rep))
		if len(real) > 0 && p.now().Sub(start) >= grace {
			return Permanent(fmt.Errorf("still there %s after destroy (%s): %w", grace, strings.Join(real, ", "), leftovers))
		}
		return leftovers
	})
	if err != nil && !last.Clean() && len(confirmed(last)) == 0 {
		err = fmt.Errorf("%w\nOnly the tagging API lists these; it can list deleted resources for up to about an hour: check each with its delete command before you delete anything", err)
	}
	return last, err
}

// confirmed names the leftovers their own service's API still lists.
func confirmed(r audit.Report) []string {
	var out []string
	for _, l := range r.Leftovers {
		if l.Kind != audit.UnconfirmedKind {
			out = append(out, l.Kind+" "+l.ID)
		}
	}
	return out
}

func written(r audit.Report) string {
	var b strings.Builder
	r.Write(&b, true)
	return b.String()
}
