package sim

import (
	"container/heap"
	"time"
)

type eventKind uint8

const (
	evAsk    eventKind = iota + 1 // instance asks its gate for admission
	evStart                       // instance sends a request to the database
	evFinish                      // a request leaves the database (served or refused)
)

type event struct {
	at   time.Duration // virtual time since the start
	seq  uint64        // tie-break: events at one instant run in scheduling order
	kind eventKind
	inst int32
	ok   bool // for evFinish: served (true) or refused (false)
}

// events is a min-heap on (at, kind, seq), so a run is deterministic. At
// one instant a finishing request leaves the database before a new one
// arrives, as on a real server whose slot is freed when the reply is sent.
type events []event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	if h[i].kind != h[j].kind { // at one instant: finishes free slots first
		return h[i].kind > h[j].kind
	}
	return h[i].seq < h[j].seq
}
func (h events) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)   { *h = append(*h, x.(event)) }
func (h *events) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

type queue struct {
	h   events
	seq uint64
}

func (q *queue) push(e event) {
	q.seq++
	e.seq = q.seq
	heap.Push(&q.h, e)
}

func (q *queue) pop() event { return heap.Pop(&q.h).(event) }
