package bgp

import (
	"context"
	"fmt"
	"iter"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// EventType says what an Event reports.
type EventType uint8

// Event types.
const (
	// SessionUp: a session reached Established; Event.Session describes it.
	SessionUp EventType = iota + 1
	// SessionDown: an Established session ended; Event.Err says why, and
	// every route received over it is gone.
	SessionDown
	// RoutesReceived: an UPDATE from the peer, as Announced and Withdrawn
	// routes (RFC 7606 treat-as-withdraw already applied), or an
	// End-of-RIB marker. Disabled lists families the peer sent a
	// malformed MP_REACH_NLRI or MP_UNREACH_NLRI for: every route of them
	// received from the peer is to be forgotten, and the session ignores
	// them until it ends (RFC 7606 section 7.11, RFC 4760 section 7).
	// With Config.RIB such an UPDATE resets the session instead.
	RoutesReceived
)

func (t EventType) String() string {
	switch t {
	case SessionUp:
		return "session-up"
	case SessionDown:
		return "session-down"
	case RoutesReceived:
		return "routes-received"
	}
	return fmt.Sprintf("EventType(%d)", uint8(t))
}

// Event is one item of a Subscription.
type Event struct {
	Type    EventType
	Time    time.Time
	Peer    netip.Addr
	Session *SessionInfo // SessionUp
	Err     error        // SessionDown: *NotificationError or the connection's error
	// RoutesReceived:
	Announced []Route
	Withdrawn []Route
	EndOfRIB  []wire.Family
	Disabled  []wire.Family
}

// SessionInfo describes an Established session.
type SessionInfo struct {
	Local, Remote netip.AddrPort
	PeerOpen      wire.Open
	HoldTime      time.Duration
	Keepalive     time.Duration
	Families      []wire.Family
	// Negotiated from the two OPENs: the families whose NLRI carry ADD-PATH
	// path identifiers from the peer and to it (RFC 7911), whether
	// messages may be up to 65535 bytes (RFC 8654), and the families we
	// may send with an IPv6 next hop (RFC 8950).
	AddPathReceive  []wire.Family
	AddPathSend     []wire.Family
	ExtendedMessage bool
	ExtendedNextHop []wire.Family
}

// Route is one received or withdrawn path. Routes of one UPDATE share their
// Attrs, which the receiver must not modify.
type Route struct {
	Family wire.Family
	Prefix netip.Prefix
	PathID uint32           // ADD-PATH identifier, 0 without ADD-PATH
	Attrs  *wire.Attributes // nil for a withdrawal
}

// Subscription is a stream of speaker events with a bounded buffer. The
// speaker never waits for a subscriber: when the buffer is full the oldest
// event is dropped and Dropped counts it, so a slow consumer cannot stall
// any session. A consumer that sees Dropped grow has missed routes and
// must resynchronise (for example by removing and re-adding the peer).
type Subscription struct {
	s       *Speaker
	mu      sync.Mutex
	ch      chan Event
	closed  bool
	dropped atomic.Uint64
}

// Events returns the channel of events; it is closed by Close or when the
// speaker shuts down.
func (sub *Subscription) Events() <-chan Event { return sub.ch }

// All yields events until the subscription is closed or ctx ends; for
// range over it instead of selecting on Events.
func (sub *Subscription) All(ctx context.Context) iter.Seq[Event] {
	return func(yield func(Event) bool) {
		for {
			select {
			case ev, ok := <-sub.ch:
				if !ok || !yield(ev) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}
}

// Dropped is the number of events dropped because the buffer was full.
func (sub *Subscription) Dropped() uint64 { return sub.dropped.Load() }

// Close ends the subscription.
func (sub *Subscription) Close() {
	sub.s.unsubscribe(sub)
	sub.close()
}

func (sub *Subscription) close() {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.closed {
		sub.closed = true
		close(sub.ch)
	}
}

// deliver queues ev, dropping the oldest queued event if the buffer is full.
func (sub *Subscription) deliver(ev Event) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return
	}
	for {
		select {
		case sub.ch <- ev:
			return
		default:
		}
		select {
		case <-sub.ch:
			sub.dropped.Add(1)
		default:
		}
	}
}

// NotificationError is why a session ended when a NOTIFICATION was sent
// (Sent) or received.
type NotificationError struct {
	Sent         bool
	Notification wire.Notification
}

func (e *NotificationError) Error() string {
	dir := "received"
	if e.Sent {
		dir = "sent"
	}
	return "NOTIFICATION " + dir + ": " + e.Notification.String()
}
