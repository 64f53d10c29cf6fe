package labstatus

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)

func at(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }

// update is a history entry of kind update that ran from start to end with
// eks-lab:paused = paused.
func update(start, end time.Duration, result string, paused bool) Update {
	v, region := fmt.Sprint(paused), "ap-northeast-2"
	u := Update{Kind: "update", StartTime: at(start), Result: result, Config: map[string]ConfigValue{
		PausedKey:         {Value: &v},
		"aws:region":      {Value: &region},
		"eks-lab:samples": {ObjectValue: []any{"a", "b"}},
	}}
	if result != "in-progress" {
		u.EndTime = at(end)
	}
	return u
}

// rate is $0.50 an hour running and $0.10 paused.
func rate(values map[string]string, _ time.Time) (float64, error) {
	if values[PausedKey] == "true" {
		return 0.10, nil
	}
	return 0.50, nil
}

// newestFirst lists entries as the CLI does.
func newestFirst(oldestFirst ...Update) []Update {
	out := make([]Update, len(oldestFirst))
	for i, u := range oldestFirst {
		out[len(out)-1-i] = u
	}
	return out
}

// containsAll checks that out holds every one of wants.
func containsAll(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.6f, want %.6f", what, got, want)
	}
}

func TestCostSoFarFollowsThePauseAndResume(t *testing.T) {
	h := newestFirst(
		update(0, 25*time.Minute, "succeeded", false),
		update(2*time.Hour, 2*time.Hour+6*time.Minute, "succeeded", true),
		update(20*time.Hour, 20*time.Hour+9*time.Minute, "succeeded", false),
	)
	now := t0.Add(21 * time.Hour)
	s, err := Compute("dev", h, map[string]any{"paused": false, "expiry": at(27 * time.Hour)}, now, rate)
	if err != nil {
		t.Fatal(err)
	}
	// Running from the first start to the pause's end, paused until the
	// resume's end, running since.
	want := 0.5*2.1 + 0.1*(20.15-2.1) + 0.5*(21-20.15)
	near(t, "cost so far", s.CostSoFar(), want)
	if len(s.Intervals) != 3 || !s.Intervals[1].Paused || s.Intervals[2].Paused {
		t.Errorf("intervals = %+v, want running, paused, running", s.Intervals)
	}
	if !s.UpSince.Equal(t0) {
		t.Errorf("up since %s, want %s", s.UpSince, t0)
	}
	if s.LastPause == nil || s.LastPause.Took() != 6*time.Minute || s.LastResume == nil || s.LastResume.Took() != 9*time.Minute {
		t.Errorf("last pause %+v, resume %+v; want 6m, 9m", s.LastPause, s.LastResume)
	}
	near(t, "rate now", s.RateNow, 0.5)
	near(t, "rate paused", s.RateOther, 0.1)
}

func TestUpSinceStartsAfterTheLastDestroy(t *testing.T) {
	h := newestFirst(
		update(0, time.Hour, "succeeded", false),
		Update{Kind: "destroy", StartTime: at(5 * time.Hour), EndTime: at(5*time.Hour + 12*time.Minute), Result: "succeeded"},
		update(30*time.Hour, 31*time.Hour, "succeeded", false),
	)
	s, err := Compute("dev", h, map[string]any{}, t0.Add(32*time.Hour), rate)
	if err != nil {
		t.Fatal(err)
	}
	if !s.UpSince.Equal(t0.Add(30 * time.Hour)) {
		t.Errorf("up since %s, want the first update after the destroy", s.UpSince)
	}
	near(t, "cost so far", s.CostSoFar(), 0.5*2)
	if s.PausedOutput || s.Paused {
		t.Errorf("a lab without the paused output is running: %+v", s)
	}
}

func TestDestroyedAndNeverUp(t *testing.T) {
	destroyed := newestFirst(update(0, time.Hour, "succeeded", false),
		Update{Kind: "destroy", StartTime: at(2 * time.Hour), EndTime: at(2*time.Hour + 10*time.Minute), Result: "succeeded"})
	s, err := Compute("dev", destroyed, map[string]any{}, t0.Add(3*time.Hour), rate)
	if err != nil || !s.DestroyedAt.Equal(t0.Add(2*time.Hour+10*time.Minute)) {
		t.Fatalf("destroyed: %+v, %v", s, err)
	}
	var out bytes.Buffer
	s.Write(&out, t0)
	if want := "stack dev was destroyed at 2026-12-01T20:10:00Z; nothing of it bills"; !strings.Contains(out.String(), want) {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	for name, h := range map[string][]Update{
		"empty":        nil,
		"refresh only": {{Kind: "refresh", StartTime: at(0), EndTime: at(time.Minute), Result: "succeeded"}},
	} {
		s, err := Compute("dev", h, map[string]any{}, t0, rate)
		if err != nil || !s.Never {
			t.Errorf("%s: Never = false (%+v, %v)", name, s, err)
		}
	}
}

// A failed update keeps the state and rate before it: a failed pause may
// have deleted nothing yet. Its program has set the paused output already
// (pulumi v3.274.1 keeps a failed update's stack outputs), so the state is
// the last successful update's config, and the failure says what to finish.
func TestFailedUpdateKeepsTheStateAndRate(t *testing.T) {
	h := newestFirst(
		update(0, time.Hour, "succeeded", false),
		update(2*time.Hour, 2*time.Hour+3*time.Minute, "failed", true),
	)
	s, err := Compute("dev", h, map[string]any{"paused": true}, t0.Add(4*time.Hour), rate)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "cost so far", s.CostSoFar(), 0.5*4)
	var out bytes.Buffer
	s.Write(&out, t0)
	containsAll(t, out.String(),
		"stack dev: RUNNING\n",
		"the last update, a pause, failed at 2026-12-01T20:03:00Z; part of the lab may be paused, the rest still bills at the running rate below: run pulumi up --stack dev to finish the pause, then go run ./cmd/lab audit --stack dev --paused",
		"per hour      $0.5000 running now; $0.1000 paused",
		"pause:   pulumi config set eks-lab:paused true --stack dev && pulumi up --stack dev",
	)

	// A failed resume: still paused, at the paused rate.
	h = newestFirst(
		update(0, time.Hour, "succeeded", false),
		update(2*time.Hour, 2*time.Hour+6*time.Minute, "succeeded", true),
		update(20*time.Hour, 20*time.Hour+5*time.Minute, "failed", false),
	)
	if s, err = Compute("dev", h, map[string]any{"paused": false}, t0.Add(21*time.Hour), rate); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	s.Write(&out, t0)
	containsAll(t, out.String(),
		"stack dev: PAUSED\n",
		"the last update, a resume, failed at 2026-12-02T14:05:00Z; part of the lab may be back and billing: run pulumi up --stack dev to finish the resume",
		"per hour      $0.1000 paused now; $0.5000 running",
	)

	// A failed update that changes neither: uncertain.
	h = newestFirst(update(0, time.Hour, "succeeded", false), update(2*time.Hour, 2*time.Hour+3*time.Minute, "failed", false))
	if s, err = Compute("dev", h, map[string]any{"paused": false}, t0.Add(4*time.Hour), rate); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	s.Write(&out, t0)
	if !strings.Contains(out.String(), "the last update, an update, failed at 2026-12-01T20:03:00Z; the state is uncertain: run pulumi up --stack dev") {
		t.Errorf("no failure line in:\n%s", out.String())
	}

	// Only a failed first update: priced with its own config.
	s, err = Compute("dev", newestFirst(update(0, time.Hour, "failed", false)), map[string]any{}, t0.Add(2*time.Hour), rate)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "failed first update", s.CostSoFar(), 0.5*2)
}

// While a pause runs, the state is the one before it.
func TestInProgressUpdate(t *testing.T) {
	h := newestFirst(update(0, time.Hour, "succeeded", false), update(3*time.Hour, 0, "in-progress", true))
	s, err := Compute("dev", h, map[string]any{"paused": true}, t0.Add(3*time.Hour+2*time.Minute), rate)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s.Write(&out, t0)
	containsAll(t, out.String(), "stack dev: RUNNING\n", "a pause is running since 2026-12-01T21:00:00Z; what follows is the state before it")
}

func TestWritePausedStatusAndCommands(t *testing.T) {
	h := newestFirst(update(0, 25*time.Minute, "succeeded", false), update(2*time.Hour, 2*time.Hour+6*time.Minute, "succeeded", true))
	now := t0.Add(3 * time.Hour)
	s, err := Compute("dev", h, map[string]any{"paused": true, "expiry": at(10 * time.Hour)}, now, rate)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s.Write(&out, now.Add(7*24*time.Hour))
	containsAll(t, out.String(),
		"stack dev: PAUSED",
		"up since      2026-12-01T18:00:00Z (3h ago)",
		"expiry        2026-12-02T04:00:00Z (7h left)",
		"per hour      $0.1000 paused now; $0.5000 running",
		"last pause    took 6m (pulumi up at 2026-12-01T20:00:00Z)",
		"resume:  pulumi config set eks-lab:paused false --stack dev && pulumi up --stack dev",
		"extend:  go run ./cmd/lab extend --stack dev --by 24h   (latest allowed: 2026-12-08T21:00:00Z)",
		"destroy: pulumi destroy --stack dev",
	)
	s.Now = t0.Add(11 * time.Hour)
	out.Reset()
	s.Write(&out, now)
	if !strings.Contains(out.String(), "past due: the scheduled destroy removes it within the hour") {
		t.Errorf("past expiry not said:\n%s", out.String())
	}
}

func TestValuesOfARecordedConfig(t *testing.T) {
	u := update(0, time.Minute, "succeeded", true)
	u.Config["eks-lab:secret"] = ConfigValue{Secret: true}
	v := u.Values()
	if v["eks-lab:samples"] != `["a","b"]` || v[PausedKey] != "true" || v["aws:region"] != "ap-northeast-2" {
		t.Errorf("values = %v", v)
	}
	if _, ok := v["eks-lab:secret"]; ok {
		t.Errorf("a secure value without its value is not a value: %v", v)
	}
}
