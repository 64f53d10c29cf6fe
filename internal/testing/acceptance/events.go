package acceptance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Recorder keeps the engine events of one Automation API operation
// (optup.EventStreams(r.Stream()) and the like).
type Recorder struct {
	ch     chan events.EngineEvent
	done   chan struct{}
	events []apitype.EngineEvent
}

// NewRecorder starts reading the stream.
func NewRecorder() *Recorder {
	r := &Recorder{ch: make(chan events.EngineEvent), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for e := range r.ch {
			r.events = append(r.events, e.EngineEvent)
		}
	}()
	return r
}

// Stream is the channel to give the operation; it closes it when done.
func (r *Recorder) Stream() chan<- events.EngineEvent { return r.ch }

// Events returns the events once the operation has closed the stream, which
// it does whenever it ran (succeeded or failed).
func (r *Recorder) Events() []apitype.EngineEvent {
	<-r.done
	return r.events
}

// NoChanges checks a preview's summary: every resource the same. On
// changes the error lists each step with the properties that differ.
func NoChanges(summary map[apitype.OpType]int, evs []apitype.EngineEvent) error {
	var ops []string
	for op, n := range summary {
		if n > 0 && !unchanged(op) {
			ops = append(ops, fmt.Sprintf("%d to %s", n, op))
		}
	}
	if len(ops) == 0 {
		return nil
	}
	slices.Sort(ops)
	var steps []string
	for _, e := range evs {
		if e.ResourcePreEvent == nil || unchanged(e.ResourcePreEvent.Metadata.Op) {
			continue
		}
		m := e.ResourcePreEvent.Metadata
		s := fmt.Sprintf("  %s %s", m.Op, m.URN)
		if len(m.Diffs) > 0 {
			s += " (" + strings.Join(m.Diffs, ", ") + ")"
		}
		steps = append(steps, s)
	}
	return fmt.Errorf("a second preview right after up is not empty (%s): the program does not converge, so every `pulumi up` changes the lab again:\n%s",
		strings.Join(ops, ", "), strings.Join(steps, "\n"))
}

func unchanged(op apitype.OpType) bool {
	return op == apitype.OpSame || op == apitype.OpRead
}

// StepTime is how long the engine spent on one resource.
type StepTime struct {
	URN, Type string
	Op        apitype.OpType
	Duration  time.Duration
}

// StepTimes measures each step of an up or destroy from its events: from
// the resource's pre-event to its outputs (or failure) event. Unchanged
// resources are left out.
func StepTimes(evs []apitype.EngineEvent) []StepTime {
	started := map[string]int{}
	var out []StepTime
	for _, e := range evs {
		var m *apitype.StepEventMetadata
		switch {
		case e.ResourcePreEvent != nil:
			started[e.ResourcePreEvent.Metadata.URN] = e.Timestamp
			continue
		case e.ResOutputsEvent != nil:
			m = &e.ResOutputsEvent.Metadata
		case e.ResOpFailedEvent != nil:
			m = &e.ResOpFailedEvent.Metadata
		default:
			continue
		}
		start, ok := started[m.URN]
		if !ok || unchanged(m.Op) {
			continue
		}
		out = append(out, StepTime{URN: m.URN, Type: m.Type, Op: m.Op, Duration: time.Duration(e.Timestamp-start) * time.Second})
	}
	return out
}
