package netsim_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// TestRunToCompletion: to an idle receiver, Send delivers in the sender's
// goroutine before it returns, on the sender's own buffer (no copy), which
// the receiver may rewrite.
func TestRunToCompletion(t *testing.T) {
	noLeak(t)
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	var got atomic.Int32
	b.SetReceiver(func(f []byte) {
		got.Add(1)
		f[14] = 'y' // as a router rewrites a TTL in place
	})
	f := ethernet(2, 1, 'x')
	if !a.Send(f) {
		t.Fatal("send dropped")
	}
	if got.Load() != 1 {
		t.Fatal("Send returned before the idle receiver ran")
	}
	if f[14] != 'y' {
		t.Errorf("receiver got a copy: the sender's frame holds %q", f[14])
	}
	if s := b.Stats(); s.RxFrames != 1 || s.Queued != 0 {
		t.Errorf("b stats %+v", s)
	}
}

// TestBusyReceiverQueuesInOrder: while the receiver runs for one sender,
// another's frames are copied and queued, never waiting for it, and are
// received afterwards in the order sent.
func TestBusyReceiverQueuesInOrder(t *testing.T) {
	noLeak(t)
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	inside, release := make(chan struct{}), make(chan struct{})
	got := make(chan byte, 16)
	b.SetReceiver(func(f []byte) {
		if f[14] == 0 {
			close(inside)
			<-release
		}
		got <- f[14]
	})
	go a.Send(ethernet(2, 1, 0)) // runs the receiver in this goroutine
	<-inside
	f := ethernet(2, 1, 0)
	for i := 1; i <= 10; i++ {
		f[14] = byte(i)
		if !a.Send(f) {
			t.Fatalf("send %d dropped", i)
		}
	}
	f[14] = 99 // queued frames are copies
	if q := b.Stats().Queued; q != 10 {
		t.Errorf("%d frames queued behind the busy receiver, want 10", q)
	}
	close(release)
	for i := range 11 {
		select {
		case v := <-got:
			if v != byte(i) {
				t.Fatalf("frame %d carries %d", i, v)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %d not delivered", i)
		}
	}
}

// TestSendBackDoesNotDeadlock: a receiver whose frame comes back to its own
// port within the call that sent it (a loop of two nodes answering each
// other) has it queued instead of waiting for itself.
func TestSendBackDoesNotDeadlock(t *testing.T) {
	noLeak(t)
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	var bounces atomic.Int32
	done := make(chan struct{})
	pingPong := func(p *netsim.Port) func([]byte) {
		return func(f []byte) {
			if bounces.Add(1) == 100 {
				close(done)
			}
			if bounces.Load() < 100 {
				p.Send(f)
			}
		}
	}
	a.SetReceiver(pingPong(a))
	b.SetReceiver(pingPong(b))
	a.Send(ethernet(2, 1, 0))
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%d bounces, want 100: deadlocked", bounces.Load())
	}
}

// TestQueuedReceiver: a queued receiver never runs in the sender's
// goroutine.
func TestQueuedReceiver(t *testing.T) {
	noLeak(t)
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	release := make(chan struct{})
	got := make(chan byte, 1)
	b.SetQueuedReceiver(func(f []byte) {
		<-release
		got <- f[14]
	})
	f := ethernet(2, 1, 'x')
	a.Send(f) // would never return if the receiver ran here
	f[14] = 'y'
	close(release)
	select {
	case v := <-got:
		if v != 'x' {
			t.Errorf("queued receiver saw %q, want a copy of 'x'", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no frame delivered")
	}
}

// TestCloseWaitsForRunToCompletion: Close returns only once a receiver
// running in a sender's goroutine has returned.
func TestCloseWaitsForRunToCompletion(t *testing.T) {
	noLeak(t)
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	inside, release := make(chan struct{}), make(chan struct{})
	var running atomic.Bool
	b.SetReceiver(func([]byte) {
		running.Store(true)
		close(inside)
		<-release
		running.Store(false)
	})
	go a.Send(ethernet(2, 1))
	<-inside
	closed := make(chan struct{})
	go func() {
		b.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while the receiver ran")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-closed
	if running.Load() {
		t.Error("receiver still running after Close")
	}
	if a.Send(ethernet(2, 1)) {
		t.Error("closed port took a frame")
	}
}

// TestQueuedReceiverTakesSendersLock: a node that holds a lock of its own
// while it sends from outside its receiver, and takes that lock in its
// receiver (as a guest's stack does), gets a frame that comes straight
// back to it through an idle node on its port's goroutine, after the
// sender let go of the lock. With SetReceiver the echo would run in the
// sending goroutine, which holds the lock: a deadlock.
func TestQueuedReceiverTakesSendersLock(t *testing.T) {
	noLeak(t)
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	var mu sync.Mutex // the node's own lock
	got := make(chan byte, 1)
	a.SetQueuedReceiver(func(f []byte) {
		mu.Lock()
		defer mu.Unlock()
		got <- f[14]
	})
	b.SetReceiver(func(f []byte) { b.Send(f) }) // an idle node that echoes
	sent := make(chan struct{})
	go func() {
		mu.Lock()
		a.Send(ethernet(2, 1, 'x'))
		mu.Unlock()
		close(sent)
	}()
	select {
	case <-sent:
	case <-time.After(5 * time.Second):
		t.Fatal("Send with the node's lock held did not return: deadlocked")
	}
	select {
	case v := <-got:
		if v != 'x' {
			t.Errorf("echo %q, want 'x'", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no echo delivered")
	}
}

// TestFloodedFrameIsNotShared: a flooded frame reaches each port as a
// copy of its own, never the sender's buffer, however its receivers
// rewrite what they get.
func TestFloodedFrameIsNotShared(t *testing.T) {
	noLeak(t)
	sw := netsim.NewSwitch("sw", netsim.WireConfig{})
	defer sw.Close()
	p1, p2, p3 := sw.Port("1"), sw.Port("2"), sw.Port("3")
	p1.SetReceiver(func([]byte) {})
	got := make(chan byte, 2)
	for _, p := range []*netsim.Port{p2, p3} {
		p.SetReceiver(func(f []byte) {
			got <- f[14]
			f[14] = 'z' // as a router rewrites what it forwards
		})
	}
	f := ethernet(0xff, 1, 'x')
	if !p1.Send(f) {
		t.Fatal("broadcast dropped")
	}
	for range 2 {
		select {
		case v := <-got:
			if v != 'x' {
				t.Errorf("a flooded copy held %q, want 'x'", v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("flooded frame not delivered")
		}
	}
	if f[14] != 'x' {
		t.Errorf("the sender's buffer was rewritten to %q", f[14])
	}
}
