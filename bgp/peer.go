package bgp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/bfd"
	"github.com/sdnfabric/sdnfabric/bgp/fsm"
	"github.com/sdnfabric/sdnfabric/bgp/internal/sockopt"
	"github.com/sdnfabric/sdnfabric/bgp/policy"
	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// PeerConfig configures one peer (its fields follow MetalLB's BGPPeer).
type PeerConfig struct {
	Address  netip.Addr // the peer's address
	Port     uint16     // the peer's port; 0 is 179
	LocalASN uint32     // 0: Config.ASN
	PeerASN  uint32
	RouterID netip.Addr // 0: Config.RouterID
	// SourceAddress and SourcePort bind our end of connections we open.
	SourceAddress netip.Addr
	SourcePort    uint16
	// HoldTime is the hold time we propose (0: 90 s; at least 3 s);
	// KeepaliveTime the keepalive interval (0: a third of the negotiated
	// hold time). ConnectTime is the ConnectRetry time (0: 120 s).
	HoldTime      time.Duration
	KeepaliveTime time.Duration
	ConnectTime   time.Duration
	// DelayOpen, if set, waits this long after the TCP connection is up
	// before sending our OPEN (RFC 4271 DelayOpen attribute).
	DelayOpen time.Duration
	// Password turns on TCP-MD5 signatures (RFC 2385, Linux only).
	Password string
	// EBGPMultihop is the TTL of packets to an eBGP peer (0: 1, the peer
	// is directly connected). iBGP uses the system default.
	EBGPMultihop uint8
	// TTLSecurity, if not zero, turns on GTSM (RFC 5082): we send with
	// TTL 255 and accept only packets that crossed at most this many hops.
	TTLSecurity uint8
	// Passive waits for the peer to connect instead of connecting.
	Passive bool
	// Families are the address families of the session (default IPv4
	// and IPv6 unicast).
	Families []wire.Family
	// AddPath offers ADD-PATH (RFC 7911) for some of Families: to
	// receive, send or both several paths per prefix. NLRI carry path
	// identifiers in a direction once both sides agreed to it.
	AddPath []wire.AddPathFamily
	// ExtendedMessage offers messages up to 65535 bytes (RFC 8654), used
	// once both sides offer it.
	ExtendedMessage bool
	// ExtendedNextHop offers IPv4 routes with an IPv6 next hop (RFC
	// 8950) for the IPv4 families of Families. We accept them from a peer
	// we offered it to, and send them (with our IPv6 session address as
	// next hop, over an IPv6 session) to a peer that offered it.
	ExtendedNextHop bool
	// RIB is how the peer's paths enter Config.RIB: import policy
	// (with the RFC 8212 default), max-prefix, soft reconfiguration,
	// weight, route reflection client. Addr, ASN and RouterID are filled
	// in from the session.
	RIB rib.PeerConfig
	// Export, if set, filters and changes what we announce to the peer
	// (package policy: prefix ranges, communities, prepend, MED...).
	// Without it every prefix given to Speaker.Announce goes out.
	Export *policy.Policy
	// BFD, if set, runs a BFD session (RFC 5880, single hop RFC 5881) to
	// the peer while the BGP session is Established: when the peer stops
	// answering, the session goes down within BFD's detection time (under
	// a second with the defaults) instead of the hold time.
	BFD *bfd.Config
}

func (s *Speaker) withDefaults(pc PeerConfig) (PeerConfig, error) {
	if !pc.Address.IsValid() {
		return pc, fmt.Errorf("%w: no address", ErrInvalidPeer)
	}
	pc.Address = pc.Address.Unmap()
	if pc.Port == 0 {
		pc.Port = 179
	}
	if pc.LocalASN == 0 {
		pc.LocalASN = s.cfg.ASN
	}
	if pc.LocalASN == 0 || pc.PeerASN == 0 {
		return pc, fmt.Errorf("%w: %v: local and peer AS are required", ErrInvalidPeer, pc.Address)
	}
	if !pc.RouterID.IsValid() {
		pc.RouterID = s.cfg.RouterID
	}
	if pc.HoldTime == 0 {
		pc.HoldTime = 90 * time.Second
	}
	if pc.HoldTime < 3*time.Second || pc.HoldTime > 65535*time.Second {
		return pc, fmt.Errorf("%w: %v: hold time %v is not between 3 s and 65535 s", ErrInvalidPeer, pc.Address, pc.HoldTime)
	}
	if pc.ConnectTime == 0 {
		pc.ConnectTime = 120 * time.Second
	}
	if len(pc.Families) == 0 {
		pc.Families = []wire.Family{wire.IPv4Unicast, wire.IPv6Unicast}
	}
	for _, a := range pc.AddPath {
		if !slices.Contains(pc.Families, a.Family) || a.Mode < wire.AddPathReceive || a.Mode > wire.AddPathBoth {
			return pc, fmt.Errorf("%w: %v: ADD-PATH %v mode %d: the family must be one of the session's, the mode 1 to 3", ErrInvalidPeer, pc.Address, a.Family, a.Mode)
		}
	}
	if len(pc.Password) > 80 {
		return pc, fmt.Errorf("%w: %v: TCP-MD5 password longer than 80 bytes", ErrInvalidPeer, pc.Address)
	}
	return pc, nil
}

func (pc *PeerConfig) ebgp() bool { return pc.LocalASN != pc.PeerASN }

// ttl returns the TTL to send with and the minimum TTL to accept.
func (pc *PeerConfig) ttl() (ttl, minTTL int) {
	switch {
	case pc.TTLSecurity > 0:
		return 255, 256 - int(pc.TTLSecurity)
	case pc.ebgp():
		return max(int(pc.EBGPMultihop), 1), 0
	}
	return 0, 0
}

type peerStatus struct {
	state fsm.State
	up    bool
}

// peer runs the sessions with one neighbour in its own goroutine. Every
// field below the channels is touched only by that goroutine.
type peer struct {
	s     *Speaker
	cfg   PeerConfig
	log   *slog.Logger
	inbox chan inbound
	cmds  chan func()
	dirty chan struct{}
	done  chan struct{} // closed when run returns

	status   atomic.Pointer[peerStatus]
	bfdState atomic.Uint32 // bfd.State of the session's BFD session
	gr       grRetained    // paths kept in Config.RIB through the peer's restart
	learned  learnedQueue  // Config.RIB prefixes to send again (Config.AdvertiseLearned)

	localOpen []byte
	open      wire.Open
	main      *conn // the connection whose Machine the peer's lifecycle follows
	second    *conn // a connection the peer opened during ours (RFC 4271 section 6.8)
	finished  bool
	lastErr   error // cause of the next session-down
	pending   *Event
}

func newPeer(s *Speaker, pc PeerConfig) *peer {
	p := &peer{
		s: s, cfg: pc,
		log:   s.log.With("peer", pc.Address.String()),
		inbox: make(chan inbound, 64),
		cmds:  make(chan func()),
		dirty: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	p.status.Store(&peerStatus{state: fsm.Idle})
	p.bfdState.Store(uint32(bfd.Down))
	p.open = wire.Open{
		ASN:      pc.LocalASN,
		HoldTime: uint16(pc.HoldTime / time.Second),
		RouterID: pc.RouterID,
		Capabilities: wire.Capabilities{
			Multiprotocol:   pc.Families,
			RouteRefresh:    true,
			FourOctetAS:     true,
			AddPath:         pc.AddPath,
			ExtendedMessage: pc.ExtendedMessage,
		},
	}
	if pc.ExtendedNextHop {
		for _, f := range pc.Families {
			if f.AFI == wire.AFIIPv4 {
				p.open.ExtendedNextHop = append(p.open.ExtendedNextHop, wire.ExtendedNextHop{Family: f, NextHopAFI: wire.AFIIPv6})
			}
		}
	}
	if g := s.cfg.GracefulRestart; g != nil {
		p.open.GracefulRestart = g.capability(pc.Families)
	}
	p.localOpen, _ = p.open.Append(nil)
	return p
}

func (p *peer) fsmConfig() fsm.Config {
	return fsm.Config{
		HoldTime:                    p.cfg.HoldTime,
		KeepaliveTime:               p.cfg.KeepaliveTime,
		ConnectRetryTime:            p.cfg.ConnectTime,
		DelayOpen:                   p.cfg.DelayOpen > 0,
		DelayOpenTime:               p.cfg.DelayOpen,
		Passive:                     p.cfg.Passive,
		AutoRestart:                 true,
		IdleHoldTime:                min(p.cfg.ConnectTime, time.Second),
		SendNotificationWithoutOpen: true,
	}
}

// inKind is the kind of an input to the peer's goroutine.
type inKind uint8

const (
	inTimer inKind = iota + 1
	inDial
	inAccept
	inMessage
	inWriteFailed
)

type inbound struct {
	kind  inKind
	c     *conn
	l     *link
	timer fsm.Timer
	gen   uint64
	nc    net.Conn
	err   error
	ev    fsm.Event
	// for an OPEN
	peerOpen *wire.Open
	dec      wire.DecodeOptions
	enc      wire.EncodeOptions
	// for an UPDATE or ROUTE-REFRESH
	routes  *Event
	refresh bool
	// a NOTIFICATION received
	notif *wire.Notification
}

// post hands in to the peer's goroutine; it reports false once the peer
// is gone.
func (p *peer) post(in inbound) bool {
	select {
	case p.inbox <- in:
		return true
	case <-p.done:
		return false
	}
}

// stop sends n (through a ManualStop) on every connection and ends the
// peer's goroutine, waiting for it or ctx.
func (p *peer) stop(ctx context.Context, n *wire.Notification) error {
	select {
	case p.cmds <- func() {
		p.lastErr = &NotificationError{Sent: true, Notification: *n}
		for _, c := range []*conn{p.second, p.main} {
			if c != nil {
				p.step(c, fsm.Event{Type: fsm.ManualStop, Notification: n})
			}
		}
		p.finished = true
	}:
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *peer) run() {
	defer p.s.wg.Done()
	defer close(p.done)
	p.main = p.newConn()
	start := fsm.ManualStart
	if p.cfg.Passive {
		start = fsm.ManualStartWithPassiveTCPEstablishment
	}
	p.step(p.main, fsm.Event{Type: start})
	for !p.finished {
		select {
		case in := <-p.inbox:
			p.handle(in)
		case f := <-p.cmds:
			f()
		case <-p.dirty:
			if p.main.up {
				p.syncRoutes(p.main)
				p.checkOverflow(p.main)
			}
		case <-p.s.ctx.Done():
			p.finished = true
		}
	}
	for _, c := range []*conn{p.second, p.main} {
		if c != nil {
			c.release(p)
		}
	}
}

func (p *peer) newConn() *conn {
	return &conn{m: fsm.New(p.fsmConfig())}
}

func (p *peer) live(c *conn) bool { return c != nil && (c == p.main || c == p.second) }

func (p *peer) handle(in inbound) {
	c := in.c
	switch in.kind {
	case inTimer:
		if !p.live(c) || c.timers[in.timer].gen != in.gen || c.timers[in.timer].t == nil {
			return // stopped or restarted since
		}
		c.timers[in.timer].t = nil
		p.step(c, fsm.Event{Type: timerEvent[in.timer]})
	case inDial:
		if !p.live(c) || c.dialGen != in.gen || c.link != nil {
			if in.nc != nil {
				in.nc.Close()
			}
			return
		}
		c.dialCancel = nil
		if in.err != nil {
			p.log.Debug("connect failed", "err", in.err)
			p.lastErr = in.err
			if c.m.State() == fsm.Connect {
				p.step(c, fsm.Event{Type: fsm.TCPConnectionFails})
			}
			return
		}
		p.attach(c, in.nc, true)
		p.step(c, fsm.Event{Type: fsm.TCPCRAcked})
	case inAccept:
		p.accepted(in.nc)
	case inMessage, inWriteFailed:
		if !p.live(c) || c.link != in.l {
			return // from a connection already dropped
		}
		p.message(c, in)
	}
}

var timerEvent = [...]fsm.EventType{
	fsm.ConnectRetryTimer: fsm.ConnectRetryTimerExpires,
	fsm.HoldTimer:         fsm.HoldTimerExpires,
	fsm.KeepaliveTimer:    fsm.KeepaliveTimerExpires,
	fsm.DelayOpenTimer:    fsm.DelayOpenTimerExpires,
	fsm.IdleHoldTimer:     fsm.IdleHoldTimerExpires,
}

// accepted takes a connection the peer opened: as the main connection
// while we are still connecting, as a second one (collision detection of
// RFC 4271 section 6.8) while ours is opening, refused otherwise.
func (p *peer) accepted(nc net.Conn) {
	switch st := p.main.m.State(); {
	case (st == fsm.Connect || st == fsm.Active) && p.main.link == nil:
		if p.main.dialCancel != nil {
			p.main.dialCancel()
			p.main.dialCancel = nil
		}
		p.main.dialGen++
		p.attach(p.main, nc, false)
		p.step(p.main, fsm.Event{Type: fsm.TCPConnectionConfirmed})
	case (st == fsm.OpenSent || st == fsm.OpenConfirm) && p.second == nil:
		c := p.newConn()
		p.second = c
		p.step(c, fsm.Event{Type: fsm.ManualStartWithPassiveTCPEstablishment})
		p.attach(c, nc, false)
		p.step(c, fsm.Event{Type: fsm.TCPConnectionConfirmed})
	default:
		p.log.Info("incoming connection refused", "state", st, "remote", nc.RemoteAddr())
		nc.Close()
	}
}

// message handles what a connection's reader or writer reported.
func (p *peer) message(c *conn, in inbound) {
	if in.err != nil {
		p.lastErr = in.err
	}
	if in.notif != nil {
		p.lastErr = &NotificationError{Notification: *in.notif}
	}
	switch {
	case in.peerOpen != nil:
		c.peerOpen, c.dec, c.enc = in.peerOpen, in.dec, in.enc
		ev := c.m.OpenEvent(in.peerOpen.HoldTime)
		if o := p.other(c); o != nil && o.m.State() >= fsm.OpenConfirm && o.peerOpen != nil {
			// Collision (RFC 4271 section 6.8).
			if o.m.State() == fsm.Established || !fsm.Collision(p.cfg.RouterID, in.peerOpen.RouterID, o.link != nil && o.link.initiated) {
				p.log.Info("connection collision: closing the new connection")
				p.step(c, fsm.Event{Type: fsm.OpenCollisionDump})
				return
			}
			p.log.Info("connection collision: closing the older connection")
			p.step(o, fsm.Event{Type: fsm.OpenCollisionDump})
		}
		p.step(c, ev)
	case in.refresh:
		if c.up {
			clear(c.sent)
			p.syncRoutes(c)
			p.checkOverflow(c)
		}
	default:
		p.pending = in.routes
		p.step(c, in.ev)
		p.pending = nil
	}
}

func (p *peer) other(c *conn) *conn {
	if c == p.main {
		return p.second
	}
	return p.main
}

// step runs one event through c's Machine and carries out its actions.
func (p *peer) step(c *conn, ev fsm.Event) {
	from := c.m.State()
	for _, a := range c.m.Step(ev, nil) {
		p.do(c, a)
	}
	p.checkOverflow(c)
	to := c.m.State()
	if from != to {
		p.log.Debug("state", "from", from, "to", to, "event", ev.Type, "second", c == p.second)
	}
	switch {
	case to == fsm.Idle && c == p.second:
		c.release(p)
		p.second = nil
	case c == p.main && p.second != nil && (to == fsm.Idle || c.link == nil):
		// Our connection failed while the peer's is opening: keep that.
		c.release(p)
		p.promoteSecond()
	case c == p.second && to == fsm.Established:
		// The peer's connection won (section 6.8): ours, if still
		// opening, is dumped, and the peer's becomes the main one.
		p.step(p.main, fsm.Event{Type: fsm.OpenCollisionDump})
		if p.second == c {
			p.main.release(p)
			p.promoteSecond()
		}
	}
	p.status.Store(&peerStatus{state: p.main.m.State(), up: p.main.up})
}

// promoteSecond makes the second connection the peer's main one; its
// Machine, started passive to answer the peer, restarts as configured.
func (p *peer) promoteSecond() {
	p.main, p.second = p.second, nil
	p.main.m.SetPassive(p.cfg.Passive)
}

// checkOverflow fails c's connection if its send queue overflowed.
func (p *peer) checkOverflow(c *conn) {
	if c.overflow {
		c.overflow = false
		p.lastErr = errSendQueueFull
		p.step(c, fsmConnFails)
	}
}

func (p *peer) do(c *conn, a fsm.Action) {
	switch a.Type {
	case fsm.StartTimer:
		c.startTimer(p, a.Timer, a.Duration)
	case fsm.StopTimer:
		c.stopTimer(a.Timer)
	case fsm.InitiateConnect:
		p.dial(c)
	case fsm.SendOpen:
		c.send(p, p.localOpen)
	case fsm.SendKeepalive:
		c.send(p, wire.AppendKeepalive(nil))
	case fsm.SendNotification:
		n := a.Notification
		n.Data = append([]byte(nil), n.Data...)
		c.send(p, n.Append(nil))
		if c == p.main {
			if _, ok := p.lastErr.(*NotificationError); !ok || c.up {
				p.lastErr = &NotificationError{Sent: true, Notification: n}
			}
		}
		p.log.Info("NOTIFICATION sent", "notification", n.String())
	case fsm.ProcessUpdate:
		if p.pending != nil {
			p.pending.Time = p.s.clock.Now()
			p.s.publish(*p.pending)
		}
	case fsm.SessionUp:
		p.sessionUp(c)
	case fsm.DeleteRoutes:
		// Routes live in the subscribers: SessionDown tells them.
	case fsm.Drop:
		p.drop(c)
	}
}

func (p *peer) sessionUp(c *conn) {
	c.up = true
	c.sent = map[netip.Prefix]*wire.Attributes{}
	hold, keep := c.m.Negotiated()
	info := &SessionInfo{
		Local: c.link.local, Remote: c.link.remote,
		PeerOpen: *c.peerOpen, HoldTime: hold, Keepalive: keep,
		Families:        c.families(p),
		AddPathReceive:  slices.Collect(c.dec.AddPath.All()),
		AddPathSend:     slices.Collect(c.enc.AddPath.All()),
		ExtendedMessage: c.enc.ExtendedMessage,
		ExtendedNextHop: slices.Collect(c.enc.ExtendedNextHop.All()),
	}
	p.log.Info("session established", "local", info.Local, "remote", info.Remote, "hold", hold, "families", info.Families)
	p.lastErr = nil
	p.s.publish(Event{Type: SessionUp, Time: p.s.clock.Now(), Peer: p.cfg.Address, Session: info})
	p.startBFD(c)
	if p.s.cfg.AdvertiseLearned && p.s.cfg.RIB != nil {
		p.learned.markAll()
	}
	p.syncRoutes(c)
	for _, f := range info.Families {
		c.send(p, wire.AppendEndOfRIB(nil, f))
	}
}

func (p *peer) drop(c *conn) {
	if c.dialCancel != nil {
		c.dialCancel()
		c.dialCancel = nil
	}
	c.dialGen++
	p.stopBFD(c, c.link)
	if c.link != nil {
		c.link.releaseRIB(p, c, p.retainFamilies(c))
		c.link.close(p)
		c.link = nil
	}
	c.peerOpen = nil
	if c.up {
		c.up = false
		c.sent = nil
		err := p.lastErr
		if err == nil {
			err = fmt.Errorf("bgp: session closed")
		}
		p.log.Info("session down", "reason", err)
		p.s.publish(Event{Type: SessionDown, Time: p.s.clock.Now(), Peer: p.cfg.Address, Err: err})
	}
}

// dial opens a connection to the peer in its own goroutine, through
// Config.Dialer or else a net.Dialer set up by netDialer.
func (p *peer) dial(c *conn) {
	ctx, cancel := context.WithCancel(p.s.ctx)
	c.dialCancel = cancel
	c.dialGen++
	gen := c.dialGen
	raddr := netip.AddrPortFrom(p.cfg.Address, p.cfg.Port).String()
	p.s.wg.Add(1)
	go func() {
		defer p.s.wg.Done()
		var nc net.Conn
		var err error
		if d := p.s.cfg.Dialer; d != nil {
			dctx, cancel := context.WithTimeout(ctx, p.cfg.ConnectTime)
			nc, err = d.DialContext(dctx, "tcp", raddr)
			cancel()
			if err == nil {
				err = p.connTTL(nc)
			}
		} else {
			d := p.netDialer()
			err = sockopt.InNamespace(p.s.cfg.NetNS, func() error {
				var err error
				nc, err = d.DialContext(ctx, "tcp", raddr)
				return err
			})
		}
		if err != nil && nc != nil {
			nc.Close()
			nc = nil
		}
		if !p.post(inbound{kind: inDial, c: c, gen: gen, nc: nc, err: err}) && nc != nil {
			nc.Close()
		}
	}()
}

// netDialer is the dialer used without Config.Dialer: it binds
// SourceAddress and SourcePort and sets TCP-MD5 and the TTLs before the
// SYN leaves.
func (p *peer) netDialer() *net.Dialer {
	ttl, minTTL := p.cfg.ttl()
	d := &net.Dialer{
		Timeout: p.cfg.ConnectTime,
		Control: func(network, address string, rc syscall.RawConn) error {
			if p.cfg.Password != "" {
				if err := sockopt.SetMD5(rc, p.cfg.Address, p.cfg.Password); err != nil {
					return err
				}
			}
			if ttl > 0 {
				if err := sockopt.SetTTL(rc, ttl, minTTL); err != nil {
					return err
				}
			}
			if p.cfg.SourcePort != 0 {
				// Our listener may hold the same port (179).
				return sockopt.SetReuseAddr(rc)
			}
			return nil
		},
	}
	d.SetMultipathTCP(false)
	if p.cfg.SourceAddress.IsValid() || p.cfg.SourcePort != 0 {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(p.cfg.SourceAddress, p.cfg.SourcePort))
	}
	return d
}

// connTTL sets the peer's TTL and minimum TTL on a connection made or
// accepted elsewhere, if it is a *net.TCPConn; other connections (of a
// user-space stack, say) are left as they are.
func (p *peer) connTTL(nc net.Conn) error {
	ttl, minTTL := p.cfg.ttl()
	tc, ok := nc.(*net.TCPConn)
	if ttl == 0 || !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err == nil {
		err = sockopt.SetTTL(rc, ttl, minTTL)
	}
	return err
}

// attach starts the reader and writer of a new TCP connection of c.
func (p *peer) attach(c *conn, nc net.Conn, initiated bool) {
	if !initiated {
		if err := p.connTTL(nc); err != nil {
			p.log.Warn("setting TTL on accepted connection", "err", err)
		}
	}
	l := &link{
		nc: nc, initiated: initiated,
		local: addrPortOf(nc.LocalAddr()), remote: addrPortOf(nc.RemoteAddr()),
		q:          make(chan []byte, p.s.cfg.SendQueue),
		readerDone: make(chan struct{}),
	}
	c.link = l
	p.s.wg.Add(2)
	go l.write(p, c)
	go l.read(p, c, p.open)
	p.log.Debug("connected", "local", l.local, "remote", l.remote, "initiated", initiated)
}
