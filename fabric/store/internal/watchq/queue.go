package watchq

import (
	"context"
	"fmt"
	"sync"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// Queue is one watcher: events pushed by the writer wait in a bounded
// slice and a goroutine hands them to the watcher's channel. When the
// watcher falls further behind than its limit the queue drops what it
// holds and ends with an error wrapping store.ErrCompacted, so a slow
// reader costs neither writer latency nor unbounded memory.
type Queue struct {
	prefix string
	out    chan store.Event
	wake   chan struct{}

	mu      sync.Mutex
	pending []store.Event
	limit   int
	ended   bool
	err     error
}

// NewQueue starts a watcher for keys under prefix. replay is delivered
// first; then at most buffer further events may wait undelivered. onEnd,
// if not nil, runs once when the delivery goroutine exits.
func NewQueue(ctx context.Context, prefix string, replay []store.Event, buffer int, onEnd func()) *Queue {
	q := &Queue{
		prefix:  prefix,
		out:     make(chan store.Event),
		wake:    make(chan struct{}, 1),
		pending: replay,
		limit:   len(replay) + buffer,
	}
	go q.run(ctx, onEnd)
	return q
}

// C returns the watcher's channel.
func (q *Queue) C() <-chan store.Event { return q.out }

// Prefix returns the prefix the watcher asked for.
func (q *Queue) Prefix() string { return q.prefix }

// Push queues ev. It reports false once the queue has ended, including
// when this push overflowed it.
func (q *Queue) Push(ev store.Event) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ended {
		return false
	}
	if len(q.pending) >= q.limit {
		q.pending = nil
		q.ended = true
		q.err = &store.Error{Op: "watch", Key: q.prefix,
			Err: fmt.Errorf("%w: watcher fell more than %d events behind", store.ErrCompacted, q.limit)}
		q.signal()
		return false
	}
	q.pending = append(q.pending, ev)
	q.signal()
	return true
}

// PushReplay queues ev as history the watcher asked for: like Push, but it
// does not count against the buffer (the history a backend replays is
// bounded by what the backend keeps).
func (q *Queue) PushReplay(ev store.Event) bool {
	q.mu.Lock()
	q.limit++
	q.mu.Unlock()
	return q.Push(ev)
}

// End ends the watch once the queued events are delivered; a non-nil err
// is delivered as a last event. Later calls do nothing.
func (q *Queue) End(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ended {
		return
	}
	q.ended = true
	q.err = err
	q.signal()
}

func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *Queue) run(ctx context.Context, onEnd func()) {
	defer func() {
		q.mu.Lock()
		q.ended = true
		q.pending = nil
		q.mu.Unlock()
		close(q.out)
		if onEnd != nil {
			onEnd()
		}
	}()
	for {
		q.mu.Lock()
		if len(q.pending) > 0 {
			ev := q.pending[0]
			q.pending[0] = store.Event{}
			q.pending = q.pending[1:]
			q.mu.Unlock()
			select {
			case q.out <- ev:
			case <-ctx.Done():
				return
			}
			continue
		}
		if q.ended {
			err := q.err
			q.mu.Unlock()
			if err != nil {
				select {
				case q.out <- store.Event{Err: err}:
				case <-ctx.Done():
				}
			}
			return
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return
		}
	}
}
