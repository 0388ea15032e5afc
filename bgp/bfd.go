package bgp

import (
	"errors"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/bfd"
)

// ErrBFDDown is the reason of a session that BFD took down: the peer
// stopped answering BFD control packets within the detection time.
var ErrBFDDown = errors.New("bgp: BFD declared the path to the peer down")

// bfdEndpoint returns the speaker's BFD endpoint on local, opening it at
// the first use (RFC 5881: one UDP port 3784 per address).
func (s *Speaker) bfdEndpoint(local netip.Addr) (*bfd.Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if ep := s.bfd[local]; ep != nil {
		return ep, nil
	}
	ep, err := bfd.Listen(bfd.EndpointConfig{Local: local, NetNS: s.cfg.NetNS, Network: s.cfg.BFDNetwork, Logger: s.log})
	if err != nil {
		return nil, err
	}
	if s.bfd == nil {
		s.bfd = make(map[netip.Addr]*bfd.Endpoint)
	}
	s.bfd[local] = ep
	return ep, nil
}

// closeBFD closes every BFD endpoint (at shutdown, after the sessions and
// their stopBFD).
func (s *Speaker) closeBFD() {
	s.mu.Lock()
	eps := s.bfd
	s.bfd = nil
	s.mu.Unlock()
	for _, ep := range eps {
		ep.Close()
	}
}

// startBFD ties a BFD session to an Established BGP session (RFC 5882):
// when BFD, once Up, goes Down, the connection is closed and the session
// resets with ErrBFDDown instead of waiting out its hold time.
func (p *peer) startBFD(c *conn) {
	if p.cfg.BFD == nil || c.link == nil {
		return
	}
	ep, err := p.s.bfdEndpoint(c.link.local.Addr().Unmap())
	if err != nil {
		p.log.Warn("BFD unavailable for the session", "err", err)
		return
	}
	l := c.link
	bp, err := ep.AddPeer(bfd.PeerConfig{Peer: p.cfg.Address, Config: *p.cfg.BFD, OnChange: func(ch bfd.Change) {
		p.bfdState.Store(uint32(ch.New))
		if ch.Old == bfd.Up && ch.New == bfd.Down {
			p.log.Warn("BFD session down: resetting the BGP session", "diag", ch.Diag)
			l.bfdDown.Store(true)
			l.nc.Close()
		}
	}})
	if err != nil {
		p.log.Warn("BFD session not started", "err", err)
		return
	}
	c.bfd = bp
}

// stopBFD ends the session's BFD session, telling the peer AdminDown once
// l (the session's connection, if any) is closed at both ends, or after a
// second: a peer that takes its BGP session down on our AdminDown (BIRD
// does) has read our NOTIFICATION by then, and the session ends by it.
func (p *peer) stopBFD(c *conn, l *link) {
	bp := c.bfd
	if bp == nil {
		return
	}
	c.bfd = nil
	p.bfdState.Store(uint32(bfd.Down))
	if l == nil {
		bp.Remove()
		return
	}
	p.s.wg.Go(func() {
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-l.readerDone:
		case <-t.C:
		}
		bp.Remove()
	})
}
