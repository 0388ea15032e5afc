package bgp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/bgp/internal/sockopt"
)

// Serve accepts connections from ln and hands each to the peer it comes
// from (as HandleConn does) until ln fails or is closed, or the speaker
// stops. ln may be any net.Listener, such as one of a user-space TCP/IP
// stack. The speaker closes ln when it stops; Serve then returns
// ErrClosed, and otherwise the error Accept returned.
//
// When ln is a *net.TCPListener, the speaker keeps its socket options up
// to date as peers come and go, as for the listeners of Config.Listen:
// the TCP-MD5 key of every peer with a Password (RFC 2385), TTL 255 on
// SYN-ACKs while any peer uses GTSM, and, while every peer uses GTSM, the
// lowest minimum TTL among them (RFC 5082), so that a SYN that crossed too
// many hops is dropped by the kernel before any connection exists. Other
// listeners get none of these, and neither does a Multipath TCP one (Go's
// default on Linux since 1.24): listen with a net.ListenConfig after
// SetMultipathTCP(false) to have them. Adding a peer whose options a
// listener refuses fails.
func (s *Speaker) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	l := &listener{Listener: ln}
	if err := s.listenerOptions(l); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("bgp: serve %v: %w", ln.Addr(), err)
	}
	s.listeners = append(s.listeners, l)
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	err := s.accept(ln)
	s.mu.Lock()
	for i, l := range s.listeners {
		if l.Listener == ln {
			s.listeners = append(s.listeners[:i], s.listeners[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	if s.ctx.Err() != nil {
		return ErrClosed
	}
	return err
}

// accept hands the connections of ln to HandleConn until Accept fails.
func (s *Speaker) accept(ln net.Listener) error {
	for {
		nc, err := ln.Accept()
		if err != nil {
			return fmt.Errorf("bgp: accept on %v: %w", ln.Addr(), err)
		}
		s.HandleConn(nc)
	}
}

// HandleConn gives the speaker a connection accepted elsewhere (for
// example from a listener in a VRF). It is matched to a peer by its remote
// address and closed if there is none or the peer does not want it now.
func (s *Speaker) HandleConn(nc net.Conn) {
	remote := addrPortOf(nc.RemoteAddr()).Addr()
	s.mu.RLock()
	p := s.peers[remote]
	s.mu.RUnlock()
	if p == nil {
		s.log.Info("connection from unknown peer refused", "remote", nc.RemoteAddr())
		nc.Close()
		return
	}
	if !p.post(inbound{kind: inAccept, nc: nc}) {
		nc.Close()
	}
}

// ListenAddrs returns the addresses the speaker listens on (with the
// ports chosen by the system for port 0), including those of listeners
// given to Serve.
func (s *Speaker) ListenAddrs() []netip.AddrPort {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []netip.AddrPort
	for _, ln := range s.listeners {
		out = append(out, addrPortOf(ln.Addr()))
	}
	return out
}

func (s *Speaker) closeListeners() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, ln := range s.listeners {
		ln.Close()
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case nil:
		return netip.AddrPort{}
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// listener is one of the speaker's listeners.
type listener struct {
	net.Listener
	ttlSet bool // its TTL or minimum TTL differ from the system's defaults
}

// listenerOptions sets on a new listener what the configured peers need
// (only a *net.TCPListener has socket options). Called with s.mu held.
func (s *Speaker) listenerOptions(l *listener) error {
	tl, ok := l.Listener.(*net.TCPListener)
	if !ok {
		return nil
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return err
	}
	for addr, p := range s.peers {
		if p.cfg.Password != "" {
			if err := sockopt.SetMD5(rc, addr, p.cfg.Password); err != nil {
				return err
			}
		}
	}
	return s.listenerTTL(l)
}

// peerListenerOptions updates the listeners after a peer was added to or
// removed from s.peers: its TCP-MD5 key goes from oldKey to newKey, and
// the TTLs are recomputed. Called with s.mu held.
func (s *Speaker) peerListenerOptions(addr netip.Addr, oldKey, newKey string) error {
	var errs []error
	for _, l := range s.listeners {
		tl, ok := l.Listener.(*net.TCPListener)
		if !ok {
			continue
		}
		if oldKey != newKey {
			rc, err := tl.SyscallConn()
			if err == nil {
				err = sockopt.SetMD5(rc, addr, newKey)
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if err := s.listenerTTL(l); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// listenerTTL sets the TTL and minimum TTL of a listening socket from the
// peers (RFC 5082 section 3). The SYN-ACK must leave with TTL 255 for a
// GTSM peer to take it. A minimum TTL on the listener applies to every
// SYN, whichever peer it comes from, so it is set only while every peer
// uses GTSM (to the lowest of their minimums); otherwise each accepted
// connection gets its peer's minimum (see attach). Called with s.mu held.
func (s *Speaker) listenerTTL(l *listener) error {
	tl, ok := l.Listener.(*net.TCPListener)
	if !ok {
		return nil
	}
	gtsm, all := false, len(s.peers) > 0
	minTTL := 255
	for _, p := range s.peers {
		if p.cfg.TTLSecurity == 0 {
			all = false
			continue
		}
		gtsm = true
		_, m := p.cfg.ttl()
		minTTL = min(minTTL, m)
	}
	ttl := -1 // the system default
	if gtsm {
		ttl = 255
	}
	if !all {
		minTTL = 0
	}
	if !gtsm && !l.ttlSet {
		return nil // nothing to set or undo
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return err
	}
	if err := sockopt.SetTTL(rc, ttl, 0); err != nil {
		return err
	}
	if err := sockopt.SetMinTTL(rc, minTTL); err != nil {
		return err
	}
	l.ttlSet = gtsm
	return nil
}
