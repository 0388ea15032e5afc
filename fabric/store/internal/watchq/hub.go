package watchq

import (
	"context"
	"strings"
	"sync"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// Hub fans committed events out to the watchers of an embedded store. The
// store calls Add and Publish under the lock that orders its commits, so
// each watcher sees every event after its start revision exactly once.
type Hub struct {
	buffer int

	mu       sync.Mutex
	watchers map[*Queue]struct{}
	closed   error
}

// NewHub returns a hub whose watchers may each fall buffer events behind.
func NewHub(buffer int) *Hub {
	return &Hub{buffer: buffer, watchers: make(map[*Queue]struct{})}
}

// Add starts a watcher on prefix that first receives replay.
func (h *Hub) Add(ctx context.Context, prefix string, replay []store.Event) <-chan store.Event {
	var q *Queue
	q = NewQueue(ctx, prefix, replay, h.buffer, func() {
		h.mu.Lock()
		delete(h.watchers, q)
		h.mu.Unlock()
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed != nil {
		q.End(h.closed)
	} else {
		h.watchers[q] = struct{}{}
	}
	return q.C()
}

// Publish hands the events of one commit to every watcher whose prefix
// matches. It never blocks on a watcher.
func (h *Hub) Publish(events []store.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for q := range h.watchers {
		for _, ev := range events {
			if strings.HasPrefix(ev.KV.Key, q.prefix) && !q.Push(ev) {
				delete(h.watchers, q)
				break
			}
		}
	}
}

// Close ends every watcher with err, and every later one at once.
func (h *Hub) Close(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = err
	for q := range h.watchers {
		q.End(err)
		delete(h.watchers, q)
	}
}

// Match returns the events among evs whose key starts with prefix.
func Match(evs []store.Event, prefix string) []store.Event {
	var out []store.Event
	for _, ev := range evs {
		if strings.HasPrefix(ev.KV.Key, prefix) {
			out = append(out, ev)
		}
	}
	return out
}
