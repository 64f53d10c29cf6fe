// Package labstatus computes what `lab status` prints from what the Pulumi
// backend holds about a stack: its outputs and its update history (no AWS
// call). It is pure: the caller reads the backend and prices a config.
package labstatus

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// PausedKey is the config key that pauses a lab (infra/config reads it).
const PausedKey = "eks-lab:paused"

// Update is one entry of `pulumi stack history --json`, in the shape of
// pulumi/pulumi pkg/v3@v3.274.1 cmd/pulumi/stack/stack_history.go
// (updateInfoJSON): newest first; no endTime while in progress.
type Update struct {
	Kind      string                 `json:"kind"` // update, destroy, refresh, ...
	StartTime string                 `json:"startTime"`
	EndTime   string                 `json:"endTime,omitempty"`
	Result    string                 `json:"result,omitempty"` // succeeded, failed, in-progress
	Config    map[string]ConfigValue `json:"config"`
}

// ConfigValue is one config value an update recorded (configValueJSON): a
// list or object comes as objectValue, a secure value without its value.
type ConfigValue struct {
	Value       *string `json:"value,omitempty"`
	ObjectValue any     `json:"objectValue,omitempty"`
	Secret      bool    `json:"secret"`
}

// ParseHistory reads one page of `pulumi stack history --json`.
func ParseHistory(b []byte) ([]Update, error) {
	var out []Update
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("pulumi stack history --json: %v", err)
	}
	return out, nil
}

// Values is the config an update ran with, as `pulumi config set` takes it:
// strings as they are, lists and objects as JSON. Secure values are left
// out: the lab takes none.
func (u Update) Values() map[string]string {
	out := map[string]string{}
	for k, v := range u.Config {
		switch {
		case v.Value != nil:
			out[k] = *v.Value
		case v.ObjectValue != nil:
			b, err := json.Marshal(v.ObjectValue)
			if err == nil {
				out[k] = string(b)
			}
		}
	}
	return out
}

// Paused tells whether the update ran with eks-lab:paused true.
func (u Update) Paused() bool { return u.Values()[PausedKey] == "true" }

func (u Update) start() time.Time { t, _ := time.Parse(time.RFC3339, u.StartTime); return t }
func (u Update) end() time.Time   { t, _ := time.Parse(time.RFC3339, u.EndTime); return t }

// Took is how long the update ran.
func (u Update) Took() time.Duration { return u.end().Sub(u.start()) }

// Rate prices a config (Update.Values) in dollars per hour, as `lab plan`
// does, for a program run at the given time.
type Rate func(values map[string]string, at time.Time) (float64, error)

// Interval is a stretch of time billed at one rate.
type Interval struct {
	From, To time.Time
	Paused   bool
	Rate     float64 // dollars per hour
}

// Cost is the interval's estimated cost in dollars.
func (i Interval) Cost() float64 { return i.Rate * i.To.Sub(i.From).Hours() }

// Status is what `lab status` reports.
type Status struct {
	Stack string
	Now   time.Time
	// Never is true when the stack exists but no update ran since its
	// creation or its last destroy; DestroyedAt is set when the newest
	// thing that happened is a successful destroy.
	Never       bool
	DestroyedAt time.Time
	// Paused is what the last successful update deployed (eks-lab:paused in
	// its config): a failed or running update's program has already set the
	// stack's paused output to what it was going to do. PausedOutput is false
	// for a lab from before the output.
	Paused       bool
	PausedOutput bool
	UpSince      time.Time
	Expiry       time.Time // zero without an expiry output
	Intervals    []Interval
	RateNow      float64 // at the current state
	RateOther    float64 // at the other state (paused flipped), from the last deployed config
	// InProgress is the newest update when it has not ended; Failed the
	// newest when it failed.
	InProgress, Failed *Update
	// LastPause and LastResume are the newest updates that flipped
	// eks-lab:paused (nil when none did).
	LastPause, LastResume *Update
}

// CostSoFar is the estimated cost since UpSince.
func (s *Status) CostSoFar() float64 {
	var sum float64
	for _, i := range s.Intervals {
		sum += i.Cost()
	}
	return sum
}

// Compute works out the status from the history (newest first, as the CLI
// lists it), the outputs (`pulumi stack output --json`) and rate.
//
// Up since is the start of the first update after the newest successful
// destroy. Each successful update sets the rate from its end on, priced
// with the config it recorded; the first rate applies from the first
// update's start (an upper bound: resources appear during it). A failed
// update keeps the rate before it (one with no rate before it is priced
// with its own config, again an upper bound).
func Compute(stack string, history []Update, outputs map[string]any, now time.Time, rate Rate) (*Status, error) {
	s := &Status{Stack: stack, Now: now}
	life := history
	for i, u := range history {
		if u.Kind == "destroy" && u.Result == "succeeded" {
			life = history[:i]
			if i == 0 {
				s.DestroyedAt = u.end()
				return s, nil
			}
			break
		}
	}
	life = slices.Clone(life)
	slices.Reverse(life) // oldest first
	var updates []Update
	for _, u := range life {
		if u.Kind == "update" {
			updates = append(updates, u)
		}
	}
	if len(updates) == 0 {
		s.Never = true
		return s, nil
	}
	switch newest := &updates[len(updates)-1]; newest.Result {
	case "in-progress":
		s.InProgress = newest
	case "failed":
		s.Failed = newest
	}
	if p, ok := outputs["paused"].(bool); ok {
		s.Paused, s.PausedOutput = p, true
	}
	if e, ok := outputs["expiry"].(string); ok {
		if t, err := time.Parse(time.RFC3339, e); err == nil {
			s.Expiry = t
		}
	}
	s.UpSince = updates[0].start()

	type priced struct {
		rate   float64
		paused bool
	}
	cache := map[string]priced{}
	price := func(u Update) (priced, error) {
		key, _ := json.Marshal(u.Values())
		if p, ok := cache[string(key)]; ok {
			return p, nil
		}
		r, err := rate(u.Values(), u.start())
		if err != nil {
			return priced{}, fmt.Errorf("pricing the update of %s: %w", u.StartTime, err)
		}
		p := priced{r, u.Paused()}
		cache[string(key)] = p
		return p, nil
	}
	var current *priced
	var last *Update // the last successful update
	from := s.UpSince
	for i, u := range updates {
		if u.Result != "succeeded" && current != nil {
			continue
		}
		p, err := price(u)
		if err != nil {
			return nil, err
		}
		if u.Result != "succeeded" {
			current = &p // no rate yet: priced with its own config
			continue
		}
		if current != nil && (p != *current) {
			s.Intervals = append(s.Intervals, Interval{From: from, To: u.end(), Paused: current.paused, Rate: current.rate})
			from = u.end()
		}
		if last != nil && last.Paused() != u.Paused() {
			if u.Paused() {
				s.LastPause = &updates[i]
			} else {
				s.LastResume = &updates[i]
			}
		}
		current, last = &p, &updates[i]
	}
	if current != nil {
		s.Intervals = append(s.Intervals, Interval{From: from, To: now, Paused: current.paused, Rate: current.rate})
		s.RateNow = current.rate
	}
	if last != nil {
		s.Paused = last.Paused()
		flipped := last.Values()
		flipped[PausedKey] = fmt.Sprint(!last.Paused())
		other, err := rate(flipped, now)
		if err != nil {
			return nil, fmt.Errorf("pricing the other state: %w", err)
		}
		s.RateOther = other
	}
	return s, nil
}

// Commands are the exact commands to pause or resume, extend and destroy
// the stack; extend's --by is one day.
func (s *Status) Commands() (toggle, extend, destroy string) {
	toggle = fmt.Sprintf("pulumi config set %s %t --stack %s && pulumi up --stack %s", PausedKey, !s.Paused, s.Stack, s.Stack)
	extend = fmt.Sprintf("go run ./cmd/lab extend --stack %s --by 24h", s.Stack)
	destroy = fmt.Sprintf("pulumi destroy --stack %s", s.Stack)
	return toggle, extend, destroy
}

// Write prints the status for a member. maxExpiry is the latest expiry
// lab extend accepts now.
func (s *Status) Write(w io.Writer, maxExpiry time.Time) {
	if !s.DestroyedAt.IsZero() {
		fmt.Fprintf(w, "stack %s was destroyed at %s; nothing of it bills\n", s.Stack, stamp(s.DestroyedAt))
		return
	}
	state := "RUNNING"
	switch {
	case s.Paused:
		state = "PAUSED"
	case !s.PausedOutput:
		state = "RUNNING (no paused output: a lab from before pause existed, so running)"
	}
	fmt.Fprintf(w, "stack %s: %s\n", s.Stack, state)
	if u := s.InProgress; u != nil {
		fmt.Fprintf(w, "  %s is running since %s; what follows is the state before it\n", s.change(u), stamp(u.start()))
	}
	if u := s.Failed; u != nil {
		change := s.change(u)
		fmt.Fprintf(w, "  the last update, %s, failed at %s; ", change, stamp(u.end()))
		switch change {
		case aPause:
			fmt.Fprintf(w, "part of the lab may be paused, the rest still bills at the running rate below: run pulumi up --stack %s to finish the pause, then go run ./cmd/lab audit --stack %s --paused\n", s.Stack, s.Stack)
		case aResume:
			fmt.Fprintf(w, "part of the lab may be back and billing: run pulumi up --stack %s to finish the resume\n", s.Stack)
		default:
			fmt.Fprintf(w, "the state is uncertain: run pulumi up --stack %s\n", s.Stack)
		}
	}
	fmt.Fprintf(w, "  up since      %s (%s ago)\n", stamp(s.UpSince), span(s.Now.Sub(s.UpSince)))
	switch left := s.Expiry.Sub(s.Now); {
	case s.Expiry.IsZero():
		fmt.Fprintf(w, "  expiry        none in the outputs\n")
	case left <= 0:
		fmt.Fprintf(w, "  expiry        %s, past due: the scheduled destroy removes it within the hour\n", stamp(s.Expiry))
	default:
		fmt.Fprintf(w, "  expiry        %s (%s left)\n", stamp(s.Expiry), span(left))
	}
	now, other := "running", "paused"
	if s.Paused {
		now, other = other, now
	}
	fmt.Fprintf(w, "  cost so far   ~$%.2f over %d interval(s) (lab plan's prices; an upper bound, from the start of the first update)\n", s.CostSoFar(), len(s.Intervals))
	fmt.Fprintf(w, "  per hour      $%.4f %s now; $%.4f %s\n", s.RateNow, now, s.RateOther, other)
	if u := s.LastPause; u != nil {
		fmt.Fprintf(w, "  last pause    took %s (pulumi up at %s)\n", span(u.Took()), u.StartTime)
	}
	if u := s.LastResume; u != nil {
		fmt.Fprintf(w, "  last resume   took %s (pulumi up at %s)\n", span(u.Took()), u.StartTime)
	}
	toggle, extend, destroy := s.Commands()
	verb := "pause"
	if s.Paused {
		verb = "resume"
	}
	fmt.Fprintf(w, "commands:\n")
	fmt.Fprintf(w, "  %-8s %s\n", verb+":", toggle)
	fmt.Fprintf(w, "  %-8s %s   (latest allowed: %s)\n", "extend:", extend, stamp(maxExpiry))
	fmt.Fprintf(w, "  %-8s %s\n", "destroy:", destroy)
}

// What an update does to the state a status holds.
const (
	aPause   = "a pause"
	aResume  = "a resume"
	anUpdate = "an update"
)

// change names what update u does to the state s holds.
func (s *Status) change(u *Update) string {
	switch {
	case u.Paused() && !s.Paused:
		return aPause
	case !u.Paused() && s.Paused:
		return aResume
	}
	return anUpdate
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// span is a duration rounded to the minute, or the second under a minute.
func span(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	s := strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	if h, ok := strings.CutSuffix(s, "h0m"); ok {
		return h + "h"
	}
	return s
}
