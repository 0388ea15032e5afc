package watchq

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

func ev(i int) store.Event {
	return store.Event{Type: store.EventPut, KV: store.KV{Key: fmt.Sprintf("/k/%d", i), ModRevision: int64(i)}}
}

func next(t *testing.T, ch <-chan store.Event) (store.Event, bool) {
	t.Helper()
	select {
	case e, ok := <-ch:
		return e, ok
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return store.Event{}, false
}

// A reader that never reads costs the writer nothing and at most limit
// events; it then gets ErrCompacted and the channel closes.
func TestQueueOverflow(t *testing.T) {
	ended := make(chan struct{})
	q := NewQueue(context.Background(), "/k/", []store.Event{ev(1)}, 4, func() { close(ended) })
	// The goroutine may hold one event in hand, so the queue takes 5 or 6.
	pushed := 0
	for i := 2; i < 100 && q.Push(ev(i)); i++ {
		pushed++
	}
	if pushed < 4 || pushed > 5 {
		t.Fatalf("queue took %d live events with a buffer of 4", pushed)
	}
	var last store.Event
	for e, ok := next(t, q.C()); ok; e, ok = next(t, q.C()) {
		last = e
	}
	if !errors.Is(last.Err, store.ErrCompacted) {
		t.Fatalf("last event %+v, want ErrCompacted", last)
	}
	<-ended
	if q.Push(ev(200)) {
		t.Fatal("ended queue accepted an event")
	}
}

// Replayed history does not count against the buffer.
func TestQueueReplay(t *testing.T) {
	replay := make([]store.Event, 50)
	for i := range replay {
		replay[i] = ev(i + 1)
	}
	q := NewQueue(context.Background(), "/k/", replay, 2, nil)
	for i := 51; i <= 52; i++ {
		if !q.Push(ev(i)) {
			t.Fatalf("push %d refused", i)
		}
	}
	q.End(nil)
	for i := 1; i <= 52; i++ {
		e, ok := next(t, q.C())
		if !ok || e.KV.ModRevision != int64(i) {
			t.Fatalf("event %d: %+v, %v", i, e, ok)
		}
	}
	if _, ok := next(t, q.C()); ok {
		t.Fatal("channel open after End(nil)")
	}
}

// Cancelling the context closes the channel without an error event and
// runs onEnd, even with events pending.
func TestQueueCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	q := NewQueue(ctx, "/", []store.Event{ev(1), ev(2)}, 4, func() { close(ended) })
	cancel()
	<-ended
	for e := range q.C() {
		if e.Err != nil {
			t.Fatalf("error event %v after cancel", e.Err)
		}
	}
}

func TestHubPrefixAndClose(t *testing.T) {
	h := NewHub(8)
	a := h.Add(context.Background(), "/a/", nil)
	b := h.Add(context.Background(), "/b/", nil)
	h.Publish([]store.Event{
		{Type: store.EventPut, KV: store.KV{Key: "/a/1", ModRevision: 1}},
		{Type: store.EventPut, KV: store.KV{Key: "/b/1", ModRevision: 1}},
	})
	if e, _ := next(t, a); e.KV.Key != "/a/1" {
		t.Fatalf("a got %+v", e)
	}
	if e, _ := next(t, b); e.KV.Key != "/b/1" {
		t.Fatalf("b got %+v", e)
	}
	closed := errors.New("closed")
	h.Close(closed)
	if e, _ := next(t, a); !errors.Is(e.Err, closed) {
		t.Fatalf("a got %+v after Close", e)
	}
	c := h.Add(context.Background(), "/", nil)
	if e, _ := next(t, c); !errors.Is(e.Err, closed) {
		t.Fatalf("watcher added after Close got %+v", e)
	}
}
