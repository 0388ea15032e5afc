package bgp

import (
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// fakeClock is a Clock in virtual time: timers fire only in Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves time forward by d, firing due timers in order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		go t.f()
	}
}

// pending returns the durations from now of the running timers.
func (c *fakeClock) pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, t := range c.timers {
		if !t.stopped {
			out = append(out, t.at.Sub(c.now))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TestTimersVirtualTime drives a session's Keepalive and Hold timers in
// virtual time against a hand-driven peer: KEEPALIVEs go out within the
// negotiated interval (with RFC 4271 jitter), and when the peer goes
// silent for the hold time the speaker sends Hold Timer Expired.
func TestTimersVirtualTime(t *testing.T) {
	checkGoroutines(t)
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	s, err := New(Config{ASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1"), Clock: clk, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sub := s.Subscribe(16)
	ln := listenPeer(t, s, PeerConfig{PeerASN: 65002, HoldTime: 30 * time.Second, ConnectTime: 10 * time.Second})
	r := handshakeRaw(t, ln, 9, wire.Capabilities{})
	waitFor(t, sub, 5*time.Second, "session up", isType(SessionUp))
	r.recv() // End-of-RIB

	// Negotiated: hold 9 s, keepalive 3 s jittered to 2.25-3 s.
	p := clk.pending()
	if len(p) != 2 || p[0] < 2250*time.Millisecond || p[0] > 3*time.Second || p[1] != 9*time.Second {
		t.Fatalf("timers %v, want a keepalive in [2.25s, 3s] and hold 9s", p)
	}
	clk.Advance(3 * time.Second)
	if m := r.recv(); wire.MessageType(m[18]) != wire.TypeKeepalive {
		t.Fatalf("got %v, want a KEEPALIVE", wire.MessageType(m[18]))
	}
	// The peer stays silent: after 9 s the hold timer expires.
	for range 3 {
		clk.Advance(3 * time.Second)
		time.Sleep(10 * time.Millisecond) // let the speaker run the timer
	}
	n, err := wire.ParseNotification(r.recvType(wire.TypeNotification))
	if err != nil || n.Code != wire.CodeHoldTimer {
		t.Fatalf("got %v %v, want Hold Timer Expired", n, err)
	}
	ev := waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
	t.Logf("down: %v", ev.Err)
}
