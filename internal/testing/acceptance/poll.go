package acceptance

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Poll repeats a check until it passes: load balancers, DNS records and
// nodes take minutes to appear, and deleted resources minutes to vanish.
type Poll struct {
	Timeout  time.Duration // no attempt starts after this much time
	Interval time.Duration // wait between attempts
	// Sleep waits d or until ctx ends; Now reads the clock. nil means the
	// real ones; tests inject a fake clock so that they never sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// Permanent wraps an error that more attempts will not fix: Until returns it at once.
func Permanent(err error) error { return &permanent{err} }

type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Until calls check until it returns nil or a Permanent error, the timeout
// passes, or ctx ends. The error says how long and how often it tried, and
// the last failure.
func (p Poll) Until(ctx context.Context, check func(context.Context) error) error {
	start := p.now()
	for attempt := 1; ; attempt++ {
		err := check(ctx)
		if err == nil {
			return nil
		}
		if perm := (*permanent)(nil); errors.As(err, &perm) {
			return perm.err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted after %d attempt(s): %w", attempt, err)
		}
		if p.now().Add(p.Interval).Sub(start) > p.Timeout {
			return fmt.Errorf("still failing after %s (%d attempt(s)): %w", p.now().Sub(start).Round(time.Second), attempt, err)
		}
		if serr := p.sleep(ctx, p.Interval); serr != nil {
			return fmt.Errorf("interrupted after %d attempt(s): %w", attempt, err)
		}
	}
}

func (p Poll) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p Poll) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
