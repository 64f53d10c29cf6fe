package acceptance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eks-study/lab/internal/audit"
)

// taggingKind is the audit's kind for what only the Resource Groups Tagging
// API found. That API keeps listing a deleted resource for a while (up to
// about an hour, as the audit's report says); the other kinds come from
// their own services' APIs, which do not lag like that.
const taggingKind = "tagged resource"

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
		var real []string
		for _, l := range rep.Leftovers {
			if l.Kind != taggingKind {
				real = append(real, l.Kind+" "+l.ID)
			}
		}
		leftovers := fmt.Errorf("%d resource(s) left:\n%s", len(rep.Leftovers), written(rep))
		if len(real) > 0 && p.now().Sub(start) >= grace {
			return Permanent(fmt.Errorf("still there %s after destroy (%s): %w", grace, strings.Join(real, ", "), leftovers))
		}
		return leftovers
	})
	if err != nil && !last.Clean() && onlyTagged(last) {
		err = fmt.Errorf("%w\nOnly the tagging API lists these; it can list deleted resources for up to about an hour: check each with its delete command before you delete anything", err)
	}
	return last, err
}

func onlyTagged(r audit.Report) bool {
	for _, l := range r.Leftovers {
		if l.Kind != taggingKind {
			return false
		}
	}
	return true
}

func written(r audit.Report) string {
	var b strings.Builder
	r.Write(&b, true)
	return b.String()
}
