package bfd

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Ports of RFC 5881 section 4: control packets go to ControlPort from a
// source port in SourcePortMin-SourcePortMax, one per session.
const (
	ControlPort   = 3784
	SourcePortMin = 49152
	SourcePortMax = 65535
	gtsmTTL       = 255
	rxQueue       = 16 // packets waiting for a session's goroutine
)

// EndpointConfig configures an Endpoint.
type EndpointConfig struct {
	// Local is the address to receive control packets on.
	Local netip.Addr
	// Port is the port to receive on; 0 is ControlPort. Tests use others.
	Port uint16
	// NetNS, if set, is the path of a Linux network namespace (such as
	// /run/netns/blue) in which the endpoint's sockets are opened; it
	// applies to the default Network only.
	NetNS string
	// Network opens the endpoint's sockets; nil is KernelNetwork in
	// NetNS.
	Network Network
	Logger  *slog.Logger
}

// PeerConfig configures one session.
type PeerConfig struct {
	Peer netip.Addr
	// PeerPort is the peer's control port; 0 is ControlPort.
	PeerPort uint16
	Config
	// OnChange, if set, is called on every state change, from the
	// session's goroutine: it must not block for long.
	OnChange func(Change)
}

// Errors returned by Endpoint methods.
var (
	ErrClosed     = errors.New("bfd: endpoint closed")
	ErrPeerExists = errors.New("bfd: a session to this peer exists")
)

// Endpoint runs BFD sessions over UDP (RFC 5881, single hop), on the
// kernel's sockets or another Network. All its methods are safe for
// concurrent use.
type Endpoint struct {
	cfg  EndpointConfig
	log  *slog.Logger
	net  Network
	conn PacketReader

	mu      sync.Mutex
	closed  bool
	byDiscr map[uint32]*Peer
	byAddr  map[netip.Addr]*Peer
	ports   map[uint16]bool

	dropped atomic.Uint64 // packets discarded: malformed, wrong TTL, unknown session, queue full
	wg      sync.WaitGroup
}

// Listen opens an endpoint; add sessions with AddPeer, stop with Close.
func Listen(cfg EndpointConfig) (*Endpoint, error) {
	if cfg.Port == 0 {
		cfg.Port = ControlPort
	}
	e := &Endpoint{cfg: cfg, log: cfg.Logger, net: cfg.Network, byDiscr: map[uint32]*Peer{}, byAddr: map[netip.Addr]*Peer{}, ports: map[uint16]bool{}}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.net == nil {
		e.net = KernelNetwork{NetNS: cfg.NetNS}
	}
	var err error
	e.conn, err = e.net.ListenPacket(netip.AddrPortFrom(cfg.Local, cfg.Port))
	if err != nil {
		return nil, fmt.Errorf("bfd: listen on %v port %d: %w", cfg.Local, cfg.Port, err)
	}
	e.wg.Add(1)
	go e.receive()
	return e, nil
}

// Dropped counts the packets the endpoint discarded.
func (e *Endpoint) Dropped() uint64 { return e.dropped.Load() }

func (e *Endpoint) receive() {
	defer e.wg.Done()
	buf := make([]byte, maxPacketLen+1)
	for {
		n, from, ttl, err := e.conn.ReadPacket(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			e.log.Warn("bfd: read", "err", err)
			continue
		}
		if ttl >= 0 && ttl != gtsmTTL {
			e.dropped.Add(1) // RFC 5881 section 5: not from a directly connected system
			continue
		}
		p, err := Parse(buf[:n])
		if err != nil {
			e.dropped.Add(1)
			continue
		}
		e.mu.Lock()
		var peer *Peer
		if p.YourDiscriminator != 0 {
			peer = e.byDiscr[p.YourDiscriminator]
		} else {
			peer = e.byAddr[from.Addr().Unmap()]
		}
		e.mu.Unlock()
		if peer == nil || peer.cfg.Peer != from.Addr().Unmap() {
			e.dropped.Add(1)
			continue
		}
		select {
		case peer.rx <- p:
		default:
			e.dropped.Add(1)
		}
	}
}

// Peer is one running session.
type Peer struct {
	e     *Endpoint
	cfg   PeerConfig
	discr uint32
	port  uint16 // the session's source port
	conn  PacketWriter
	rx    chan Packet
	stop  chan bool // true: send AdminDown before stopping
	done  chan struct{}
	state atomic.Uint32
}

// AddPeer starts a session to pc.Peer.
func (e *Endpoint) AddPeer(pc PeerConfig) (*Peer, error) {
	if pc.PeerPort == 0 {
		pc.PeerPort = ControlPort
	}
	pc.Peer = pc.Peer.Unmap()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	if e.byAddr[pc.Peer] != nil {
		return nil, fmt.Errorf("%w: %v", ErrPeerExists, pc.Peer)
	}
	p := &Peer{e: e, cfg: pc, rx: make(chan Packet, rxQueue), stop: make(chan bool, 1), done: make(chan struct{})}
	for p.discr == 0 || e.byDiscr[p.discr] != nil {
		p.discr = rand.Uint32()
	}
	if err := p.open(); err != nil {
		return nil, err
	}
	p.state.Store(uint32(Down))
	e.byDiscr[p.discr], e.byAddr[pc.Peer] = p, p
	e.wg.Add(1)
	go p.run(NewSession(pc.Config, p.discr, rand.Uint64()))
	return p, nil
}

// open binds the session's sending socket to a free source port of the
// RFC 5881 range, with TTL 255.
func (p *Peer) open() error {
	e := p.e
	start := SourcePortMin + rand.IntN(SourcePortMax-SourcePortMin+1)
	var last error
	for i := range SourcePortMax - SourcePortMin + 1 {
		port := uint16(SourcePortMin + (start-SourcePortMin+i)%(SourcePortMax-SourcePortMin+1))
		if e.ports[port] {
			continue
		}
		c, err := e.net.DialPacket(netip.AddrPortFrom(e.cfg.Local, port), netip.AddrPortFrom(p.cfg.Peer, p.cfg.PeerPort))
		if err == nil {
			p.conn, p.port = c, port
			e.ports[port] = true
			return nil
		}
		last = err
		if i > 16 {
			break
		}
	}
	return fmt.Errorf("bfd: no source port for %v: %w", p.cfg.Peer, last)
}

// State returns the session's current state.
func (p *Peer) State() State { return State(p.state.Load()) }

// Discriminator returns the session's local discriminator.
func (p *Peer) Discriminator() uint32 { return p.discr }

func (p *Peer) run(s *Session) {
	defer p.e.wg.Done()
	defer close(p.done)
	buf := make([]byte, 0, PacketLen)
	timer := time.NewTimer(0)
	defer timer.Stop()
	send := func(now time.Time) {
		pkt, ok, ch := s.Poll(now)
		p.changed(ch)
		if ok {
			buf = pkt.Append(buf[:0])
			if _, err := p.conn.Write(buf); err != nil {
				p.e.log.Debug("bfd: send", "peer", p.cfg.Peer, "err", err)
			}
		}
		d := time.Until(s.Deadline())
		timer.Reset(max(d, 0))
	}
	for {
		select {
		case pkt := <-p.rx:
			now := time.Now()
			p.changed(s.Receive(pkt, now))
			send(now)
		case <-timer.C:
			send(time.Now())
		case adminDown := <-p.stop:
			if adminDown {
				now := time.Now()
				p.changed(s.SetAdminDown(true, now))
				if pkt, ok, _ := s.Poll(now); ok {
					_, _ = p.conn.Write(pkt.Append(buf[:0]))
				}
			}
			p.conn.Close()
			return
		}
	}
}

func (p *Peer) changed(c *Change) {
	if c == nil {
		return
	}
	p.state.Store(uint32(c.New))
	p.e.log.Info("bfd: session state", "peer", p.cfg.Peer, "from", c.Old, "to", c.New, "diag", c.Diag)
	if p.cfg.OnChange != nil {
		p.cfg.OnChange(*c)
	}
}

// Remove stops the session, telling the peer it is administratively down.
func (p *Peer) Remove() {
	p.e.mu.Lock()
	if p.e.byDiscr[p.discr] == p {
		delete(p.e.byDiscr, p.discr)
		delete(p.e.byAddr, p.cfg.Peer)
		delete(p.e.ports, p.port)
		select {
		case p.stop <- true:
		default:
		}
	}
	p.e.mu.Unlock()
	<-p.done
}

// Close stops every session (each tells its peer AdminDown) and the
// endpoint.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	peers := slices.Collect(maps.Values(e.byDiscr))
	e.mu.Unlock()
	for _, p := range peers {
		p.Remove()
	}
	err := e.conn.Close()
	e.wg.Wait()
	return err
}
