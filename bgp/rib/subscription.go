package rib

import (
	"context"
	"errors"
	"net/netip"
	"sync"
)

// ErrClosed is returned by Subscription.Next after Close.
var ErrClosed = errors.New("rib: subscription closed")

// Change is the state of one prefix in the Loc-RIB: its ECMP set, best
// path first. An empty Paths means the prefix is gone.
type Change struct {
	Prefix    netip.Prefix
	Paths     []Path
	DecidedBy Step // the step that picked Paths[0]
}

// Subscription watches best-path and ECMP-set changes.
//
// The RIB never waits for a subscriber: a change only marks its prefix as
// pending in the subscription's set, and Next reads the prefix's state at
// the time it is called. So a slow subscriber costs at most one pending
// entry per prefix, intermediate states are coalesced (the latest wins),
// and after Next has drained everything the subscriber's view equals the
// Loc-RIB.
type Subscription struct {
	r       *RIB
	mu      sync.Mutex
	pending map[netip.Prefix]struct{}
	wake    chan struct{}
	closed  bool
}

// Subscribe returns a subscription whose first Next delivers every prefix
// of the Loc-RIB, and then the changes.
func (r *RIB) Subscribe() *Subscription {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &Subscription{r: r, pending: make(map[netip.Prefix]struct{}, r.tab.len()), wake: make(chan struct{}, 1)}
	for p := range r.tab.all {
		s.pending[p] = struct{}{}
	}
	if len(s.pending) > 0 {
		s.wake <- struct{}{}
	}
	r.subs = append(r.subs, s)
	return s
}

// notify marks p pending in every subscription. The caller holds r.mu.
func (r *RIB) notify(p netip.Prefix) {
	for _, s := range r.subs {
		s.mu.Lock()
		s.pending[p] = struct{}{}
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// Next waits until some prefixes changed and returns their current state
// (in no particular order), or returns ctx's error, or ErrClosed.
func (s *Subscription) Next(ctx context.Context) ([]Change, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		var pending map[netip.Prefix]struct{}
		if len(s.pending) > 0 {
			pending, s.pending = s.pending, make(map[netip.Prefix]struct{})
		}
		s.mu.Unlock()
		if pending != nil {
			out := make([]Change, 0, len(pending))
			s.r.mu.RLock()
			for p := range pending {
				out = append(out, s.r.change(p))
			}
			s.r.mu.RUnlock()
			return out, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.wake:
		}
	}
}

// Pending is the number of prefixes waiting for Next.
func (s *Subscription) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Close ends the subscription; the RIB stops tracking it.
func (s *Subscription) Close() {
	r := s.r
	r.mu.Lock()
	for i, x := range r.subs {
		if x == s {
			r.subs = append(r.subs[:i], r.subs[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.pending = nil
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
