package sim

import "time"

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

// queue is a binary min-heap of events ordered by (at, kind, seq), so a
// run is deterministic. At one instant a finishing request leaves the
// database before a new one arrives (kinds are ordered finish, start,
// ask), as on a real server whose slot is freed when the reply is sent.
// It is typed rather than container/heap so that events are not boxed.
type queue struct {
	h   []event
	seq uint64
}

func (a event) before(b event) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if a.kind != b.kind {
		return a.kind > b.kind
	}
	return a.seq < b.seq
}

func (q *queue) len() int { return len(q.h) }

func (q *queue) push(e event) {
	q.seq++
	e.seq = q.seq
	q.h = append(q.h, e)
	for i := len(q.h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !q.h[i].before(q.h[parent]) {
			break
		}
		q.h[i], q.h[parent] = q.h[parent], q.h[i]
		i = parent
	}
}

func (q *queue) pop() event {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h = q.h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && q.h[l].before(q.h[m]) {
			m = l
		}
		if r < last && q.h[r].before(q.h[m]) {
			m = r
		}
		if m == i {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
}
