package acceptance

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeClock is a Poll clock that moves only when Poll sleeps.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) poll(timeout, interval time.Duration) Poll {
	return Poll{
		Timeout: timeout, Interval: interval,
		Now: func() time.Time { return c.now },
		Sleep: func(ctx context.Context, d time.Duration) error {
			c.sleeps = append(c.sleeps, d)
			c.now = c.now.Add(d)
			return ctx.Err()
		},
	}
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestPollRetriesUntilTheCheckPasses(t *testing.T) {
	clock := newFakeClock()
	calls := 0
	err := clock.poll(time.Minute, 10*time.Second).Until(context.Background(), func(context.Context) error {
		if calls++; calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Until = %v after %d calls, want success on the 3rd", err, calls)
	}
	if len(clock.sleeps) != 2 || clock.sleeps[0] != 10*time.Second {
		t.Errorf("waits %v, want two of the 10s interval", clock.sleeps)
	}
}

func TestPollGivesUpAtTheTimeoutWithTheLastError(t *testing.T) {
	clock := newFakeClock()
	calls := 0
	err := clock.poll(time.Minute, 25*time.Second).Until(context.Background(), func(context.Context) error {
		calls++
		return errors.New("HTTP 503")
	})
	// Attempts at 0s, 25s and 50s; a fourth would start after the minute.
	if calls != 3 {
		t.Errorf("%d attempts, want 3 within the minute", calls)
	}
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), "3 attempt(s)") {
		t.Errorf("error %v does not name the attempts and the last failure", err)
	}
}

func TestPollStopsAtAPermanentError(t *testing.T) {
	clock := newFakeClock()
	calls := 0
	cause := errors.New("forbidden")
	err := clock.poll(time.Hour, time.Second).Until(context.Background(), func(context.Context) error {
		calls++
		return Permanent(cause)
	})
	if calls != 1 || !errors.Is(err, cause) {
		t.Errorf("Until = %v after %d calls, want the permanent error after one", err, calls)
	}
}

func TestPollStopsWhenInterrupted(t *testing.T) {
	clock := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := clock.poll(time.Hour, time.Second).Until(ctx, func(context.Context) error {
		calls++
		cancel()
		return errors.New("not yet")
	})
	if calls != 1 || err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("Until = %v after %d calls, want interrupted after one", err, calls)
	}
}

func TestPollRealSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Poll{}).sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep on a cancelled context = %v, want context.Canceled at once", err)
	}
}
