package bgp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/bfd"
	"github.com/sdnfabric/sdnfabric/bgp/fsm"
	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// conn is one BGP connection attempt with its own state machine: the
// main one of a peer, or a second one during a collision. Its TCP
// connection (link) comes and goes as the Machine connects and drops.
type conn struct {
	m          *fsm.Machine
	link       *link
	timers     [5]timerSlot
	dialCancel func()
	dialGen    uint64

	peerOpen *wire.Open
	dec      wire.DecodeOptions
	enc      wire.EncodeOptions
	up       bool
	overflow bool
	sent     map[netip.Prefix]*wire.Attributes // Adj-RIB-Out: what the peer has from us
	bfd      *bfd.Peer                         // the session's BFD session, with PeerConfig.BFD
}

type timerSlot struct {
	t   Timer
	gen uint64
}

func (c *conn) startTimer(p *peer, tm fsm.Timer, d time.Duration) {
	c.stopTimer(tm)
	c.timers[tm].gen++
	gen := c.timers[tm].gen
	c.timers[tm].t = p.s.clock.AfterFunc(d, func() {
		p.post(inbound{kind: inTimer, c: c, timer: tm, gen: gen})
	})
}

func (c *conn) stopTimer(tm fsm.Timer) {
	if t := c.timers[tm].t; t != nil {
		t.Stop()
		c.timers[tm].t = nil
	}
	c.timers[tm].gen++
}

// release stops everything c runs: timers, a pending dial, its TCP
// connection.
func (c *conn) release(p *peer) {
	for tm := range c.timers {
		c.stopTimer(fsm.Timer(tm))
	}
	if c.dialCancel != nil {
		c.dialCancel()
		c.dialCancel = nil
	}
	c.dialGen++
	if c.link != nil {
		c.link.close(p)
		c.link = nil
	}
}

// send queues a message batch; when the queue is full the connection is
// failed once the current step is over.
func (c *conn) send(p *peer, b []byte) {
	l := c.link
	if l == nil || l.closed {
		return
	}
	select {
	case l.q <- b:
	default:
		c.overflow = true
	}
}

// families returns the families both sides announced (RFC 4760: without
// any Multiprotocol capability a peer speaks IPv4 unicast only).
func (c *conn) families(p *peer) []wire.Family {
	theirs := c.peerOpen.Multiprotocol
	if len(theirs) == 0 {
		theirs = []wire.Family{wire.IPv4Unicast}
	}
	var out []wire.Family
	for _, f := range p.cfg.Families {
		if slices.Contains(theirs, f) {
			out = append(out, f)
		}
	}
	return out
}

// link is one TCP connection with its reader and writer goroutines.
type link struct {
	nc            net.Conn
	initiated     bool // we dialed it
	local, remote netip.AddrPort
	q             chan []byte
	closed        bool
	readerDone    chan struct{} // closed when the reader returns

	// The session's peer in Config.RIB: added by the reader at the first
	// UPDATE, removed when the link closes (whichever comes first wins).
	ribMu   sync.Mutex
	ribID   rib.PeerID
	ribOK   bool
	ribGone bool

	bfdDown atomic.Bool // BFD closed the connection
}

// close lets the writer flush what is queued (a NOTIFICATION, say), for at
// most a few seconds, and close the connection.
func (l *link) close(p *peer) {
	if l.closed {
		return
	}
	l.closed = true
	_ = l.nc.SetWriteDeadline(time.Now().Add(3 * time.Second))
	close(l.q)
	l.releaseRIB(p, nil, nil)
}

// releaseRIB ends the link's peer in Config.RIB: its paths are removed,
// or kept as stale in the families retain names (graceful restart, c's
// peer OPEN giving the restart time). Only the first call counts.
func (l *link) releaseRIB(p *peer, c *conn, retain []wire.Family) {
	r := p.s.cfg.RIB
	if r == nil {
		return
	}
	l.ribMu.Lock()
	defer l.ribMu.Unlock()
	if l.ribGone {
		return
	}
	l.ribGone = true
	if !l.ribOK {
		return
	}
	if len(retain) > 0 {
		p.retain(r, l.ribID, retain, time.Duration(c.peerOpen.GracefulRestart.Time)*time.Second)
		return
	}
	_ = r.RemovePeer(l.ribID)
}

// ribPeer returns the session's peer in Config.RIB, adding it at the
// first call; ok is false once the link has closed.
func (l *link) ribPeer(p *peer, o *wire.Open) (id rib.PeerID, ok bool) {
	l.ribMu.Lock()
	defer l.ribMu.Unlock()
	if l.ribGone {
		return 0, false
	}
	if !l.ribOK {
		cfg := p.cfg.RIB
		cfg.Addr, cfg.ASN, cfg.RouterID = p.cfg.Address, o.ASN, o.RouterID
		if id, ok := p.takeRetained(p.s.cfg.RIB, o, cfg); ok {
			l.ribID = id // the paths kept through the peer's restart
		} else {
			l.ribID = p.s.cfg.RIB.AddPeer(cfg)
		}
		l.ribOK = true
	}
	return l.ribID, true
}

// write sends the queued messages until the queue is closed, then closes
// the connection the graceful way: FIN after the last message (a
// NOTIFICATION, usually), and the socket is released only once the reader
// has seen the peer's FIN or given up, so that data still arriving does
// not turn the close into a RST that could discard our NOTIFICATION at the
// peer.
func (l *link) write(p *peer, c *conn) {
	defer p.s.wg.Done()
	defer func() {
		if tc, ok := l.nc.(interface{ CloseWrite() error }); ok {
			tc.CloseWrite()
			_ = l.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
			<-l.readerDone
		}
		l.nc.Close()
	}()
	failed := false
	for b := range l.q {
		if failed {
			continue
		}
		if _, err := l.nc.Write(b); err != nil {
			failed = true
			p.post(inbound{kind: inWriteFailed, c: c, l: l,
				ev: fsm.Event{Type: fsm.TCPConnectionFails}, err: fmt.Errorf("bgp: write: %w", err)})
		}
	}
}

// read decodes the peer's messages and hands them to the peer's goroutine
// as FSM events. It decodes OPENs itself (with local, our OPEN) so it
// knows how to decode the UPDATEs that follow.
func (l *link) read(p *peer, c *conn, local wire.Open) {
	defer p.s.wg.Done()
	defer close(l.readerDone)
	// After the last message it hands over, the reader drains the
	// connection until the peer closes it or the writer's deadline.
	defer io.Copy(io.Discard, l.nc)
	buf := make([]byte, wire.MaxMessageLen)
	maxLen := wire.MaxMessageLen
	var dec wire.DecodeOptions
	var disabled wire.FamilySet // AFI/SAFI disabled (RFC 7606 section 7.11)
	var peerOpen *wire.Open     // the peer's, for Config.RIB
	post := func(in inbound) {
		in.kind, in.c, in.l = inMessage, c, l
		p.post(in)
	}
	fail := func(t fsm.EventType, err error) {
		var we *wire.Error
		if !errors.As(err, &we) {
			post(inbound{ev: fsm.Event{Type: fsm.TCPConnectionFails}, err: err})
			return
		}
		n := we.Notification()
		n.Data = append([]byte(nil), n.Data...)
		post(inbound{ev: fsm.Event{Type: t, Notification: &n}, err: err})
	}
	for {
		msg, err := wire.ReadMessage(l.nc, buf, maxLen)
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) {
				err = fmt.Errorf("bgp: read: %w", err)
				if l.bfdDown.Load() {
					err = ErrBFDDown
				}
			}
			fail(fsm.BGPHeaderErr, err)
			return
		}
		buf = msg[:cap(msg)]
		switch wire.MessageType(msg[18]) {
		case wire.TypeOpen:
			o, err := wire.ParseOpen(msg)
			if err == nil {
				err = p.checkOpen(&o)
			}
			if err != nil {
				fail(fsm.BGPOpenMsgErr, err)
				return
			}
			for i := range o.Unknown {
				o.Unknown[i].Value = append([]byte(nil), o.Unknown[i].Value...)
			}
			peerOpen = &o
			d, e := wire.Negotiate(&local, &o)
			d.EBGP = p.cfg.ebgp()
			d.LocalAddr = l.local.Addr()
			dec = d
			if d.ExtendedMessage {
				maxLen = wire.MaxExtendedMessageLen
			}
			post(inbound{peerOpen: &o, dec: d, enc: e})
		case wire.TypeKeepalive:
			if err := wire.ParseKeepalive(msg); err != nil {
				fail(fsm.BGPHeaderErr, err)
				return
			}
			post(inbound{ev: fsm.Event{Type: fsm.KeepAliveMsg}})
		case wire.TypeNotification:
			n, err := wire.ParseNotification(msg)
			if err != nil {
				n = wire.Notification{}
			}
			n.Data = append([]byte(nil), n.Data...)
			t := fsm.NotifMsg
			if n.Code == wire.CodeOpen && n.Subcode == wire.SubUnsupportedVersion {
				t = fsm.NotifMsgVerErr
			}
			msg, _ := n.ShutdownMessage()
			p.log.Info("NOTIFICATION received", "notification", n.String(), "shutdown_message", msg)
			post(inbound{ev: fsm.Event{Type: t}, notif: &n})
			return
		case wire.TypeUpdate:
			u, err := wire.ParseUpdate(msg, &dec)
			if err != nil {
				fail(fsm.UpdateMsgErr, err)
				return
			}
			if u.Action() != wire.ActionNone {
				p.log.Warn("malformed UPDATE handled by RFC 7606", "action", u.Action(), "err", u.Err())
			}
			if r := p.s.cfg.RIB; r != nil && peerOpen != nil {
				if d := u.Disable() &^ disabled; d != 0 {
					disabled |= d // the RIB forgets the families' paths
					p.log.Warn("address families disabled for the rest of the session", "families", slices.Collect(d.All()))
				}
				if id, ok := l.ribPeer(p, peerOpen); ok {
					if fam, eor := u.EndOfRIB(); eor {
						if n, _ := r.SweepStale(id, fam); n > 0 {
							p.log.Info("End-of-RIB: stale paths dropped", "family", fam, "paths", n)
						}
					}
					if err := r.Ingest(id, &u); err != nil {
						var mp *rib.MaxPrefixError
						if errors.As(err, &mp) {
							n := wire.Notification{Code: wire.CodeCease, Subcode: wire.SubMaxPrefixes}
							p.log.Warn("peer sent more prefixes than its limit", "limit", mp.Limit)
							post(inbound{ev: fsm.Event{Type: fsm.UpdateMsgErr, Notification: &n}, err: err})
							return
						}
						p.log.Warn("UPDATE not taken into the RIB", "err", err)
					}
				}
				post(inbound{ev: fsm.Event{Type: fsm.UpdateMsg}})
				continue
			}
			ev := routesEvent(p.cfg.Address, &u, disabled)
			if d := u.Disable() &^ disabled; d != 0 {
				// RFC 4760 section 7: forget the family's routes and
				// ignore it until the session ends.
				disabled |= d
				ev.Disabled = slices.Collect(d.All())
				p.log.Warn("address families disabled for the rest of the session", "families", ev.Disabled)
			}
			post(inbound{ev: fsm.Event{Type: fsm.UpdateMsg}, routes: ev})
		case wire.TypeRouteRefresh:
			rr, err := wire.ParseRouteRefresh(msg, maxLen)
			if err != nil {
				fail(fsm.BGPHeaderErr, err)
				return
			}
			if rr.Subtype == wire.RefreshNormal {
				post(inbound{refresh: true})
			}
		}
	}
}

// checkOpen checks what ParseOpen leaves to the session (RFC 4271
// section 6.2): the peer's AS and BGP Identifier.
func (p *peer) checkOpen(o *wire.Open) error {
	if o.ASN != p.cfg.PeerASN {
		return &wire.Error{Msg: wire.TypeOpen, Field: "my autonomous system", Offset: 20,
			Action: wire.ActionSessionReset, Code: wire.CodeOpen, Subcode: wire.SubBadPeerAS,
			Err: fmt.Errorf("%w: peer AS %d, configured %d", wire.ErrValue, o.ASN, p.cfg.PeerASN)}
	}
	if !p.cfg.ebgp() && o.RouterID == p.cfg.RouterID {
		return &wire.Error{Msg: wire.TypeOpen, Field: "BGP identifier", Offset: 24,
			Action: wire.ActionSessionReset, Code: wire.CodeOpen, Subcode: wire.SubBadBGPIdentifier,
			Err: fmt.Errorf("%w: iBGP peer uses our BGP identifier %v", wire.ErrValue, o.RouterID)}
	}
	return nil
}

// routesEvent copies an UPDATE's routes out of the message, leaving out
// those of disabled families.
func routesEvent(peer netip.Addr, u *wire.Update, disabled wire.FamilySet) *Event {
	ev := &Event{Type: RoutesReceived, Peer: peer}
	if fam, ok := u.EndOfRIB(); ok {
		if !disabled.Has(fam) {
			ev.EndOfRIB = []wire.Family{fam}
		}
		return ev
	}
	var attrs *wire.Attributes
	for fam, n := range u.Reachable() {
		if disabled.Has(fam) {
			continue
		}
		if attrs == nil {
			a := u.Attributes()
			attrs = &a
		}
		ev.Announced = append(ev.Announced, Route{Family: fam, Prefix: n.Prefix, PathID: n.PathID, Attrs: attrs})
	}
	for fam, n := range u.Unreachable() {
		if disabled.Has(fam) {
			continue
		}
		ev.Withdrawn = append(ev.Withdrawn, Route{Family: fam, Prefix: n.Prefix, PathID: n.PathID})
	}
	return ev
}

var (
	errSendQueueFull = errors.New("bgp: send queue full: the peer does not read fast enough")
	fsmConnFails     = fsm.Event{Type: fsm.TCPConnectionFails}
)
