package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/sdnfabric/sdnfabric/bgp/bfd"
	"github.com/sdnfabric/sdnfabric/bgp/fsm"
	"github.com/sdnfabric/sdnfabric/bgp/internal/sockopt"
	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Config configures a Speaker.
type Config struct {
	// ASN and RouterID are the defaults of every peer's LocalASN and
	// RouterID.
	ASN      uint32
	RouterID netip.Addr
	// Listen lists the addresses to accept connections on, such as
	// 0.0.0.0:179 and [::]:179. With none, the speaker only connects out
	// (or is handed connections with HandleConn).
	Listen []netip.AddrPort
	// NetNS, if set, is the path of a Linux network namespace (such as
	// /run/netns/blue) in which every socket of the speaker is opened.
	NetNS string
	// Logger receives the speaker's logs; nil discards them.
	Logger *slog.Logger
	// Clock drives the session timers; nil is SystemClock.
	Clock Clock
	// Dialer, if set, opens the speaker's outgoing connections (for
	// example through a user-space TCP/IP stack such as gVisor's
	// netstack). It is called with network "tcp" and the peer's
	// address:port, and a context that ends after the peer's ConnectTime
	// or when the speaker stops. With a Dialer the speaker neither binds
	// SourceAddress/SourcePort nor enters NetNS: that is the Dialer's job.
	// Nil is a net.Dialer that binds SourceAddress and SourcePort, opens
	// the socket in NetNS and sets TCP-MD5, TTL and GTSM before the SYN.
	//
	// Socket options (TCP-MD5, TTL, GTSM) apply only where a connection is
	// a *net.TCPConn (and a listener a *net.TCPListener). On a
	// *net.TCPConn from a custom Dialer the speaker sets the TTL and
	// minimum TTL once connected; TCP-MD5 must be on before the SYN, so a
	// custom Dialer that needs it sets TCP_MD5SIG itself.
	Dialer Dialer
	// BFDNetwork, if set, carries the BFD sessions of peers with
	// PeerConfig.BFD (for example over the same user-space stack as
	// Dialer). Nil is the kernel's UDP sockets in NetNS.
	BFDNetwork bfd.Network
	// SendQueue bounds each connection's queue of outgoing message
	// batches (default 4096). A peer that does not read fast enough for
	// it is reset with Cease / Out of Resources.
	SendQueue int
	// RIB, if set, receives every UPDATE straight from the connection's
	// reader, decoded in place (rib.RIB.Ingest), with each peer's import
	// policy and limits from PeerConfig.RIB; RoutesReceived events are
	// then not published (subscribe to the RIB instead). A session's
	// paths leave the RIB when it goes down. A peer beyond its
	// MaxPrefixes is sent Cease / Maximum Number of Prefixes Reached
	// (RFC 4486) and the session is reset.
	RIB *rib.RIB
	// AdvertiseLearned makes the speaker a router rather than an
	// announcer: it sends each peer RIB's best paths, with the iBGP, eBGP
	// and route reflection rules of rib.Export and the peer's export
	// policy (learned paths go to an eBGP peer only through an export
	// policy, RFC 8212, unless PeerConfig.RIB.AllowWithoutPolicy).
	// Prefixes given to Announce win over learned ones. Needs RIB.
	AdvertiseLearned bool
	// GracefulRestart, if set, advertises graceful restart (RFC 4724) to
	// every peer and keeps a restarting peer's paths in RIB.
	GracefulRestart *GracefulRestart
}

// Dialer opens TCP connections; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Errors returned by Speaker methods.
var (
	ErrClosed      = errors.New("bgp: speaker closed")
	ErrPeerExists  = errors.New("bgp: peer already configured")
	ErrNoSuchPeer  = errors.New("bgp: no such peer")
	ErrInvalidPeer = errors.New("bgp: invalid peer configuration")
)

// Speaker is a BGP speaker: it keeps sessions with its peers, announces
// the prefixes given to Announce to every peer, and streams what happens
// to its subscribers. All methods are safe for concurrent use.
type Speaker struct {
	cfg   Config
	log   *slog.Logger
	clock Clock

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.RWMutex
	closed    bool
	peers     map[netip.Addr]*peer
	listeners []*listener // those of Config.Listen and those given to Serve
	table     map[netip.Prefix]*wire.Attributes
	attrSets  map[string]*attrSet // the distinct attribute sets of table, by attrsKey
	subs      map[*Subscription]struct{}
	bfd       map[netip.Addr]*bfd.Endpoint // by local address, opened by the first session with BFD
}

// New starts a speaker: it opens the listeners of cfg. Add peers with
// AddPeer; stop it with Shutdown or Close.
func New(cfg Config) (*Speaker, error) {
	if !cfg.RouterID.Is4() {
		return nil, fmt.Errorf("bgp: router ID %v is not an IPv4 address", cfg.RouterID)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = 4096
	}
	s := &Speaker{
		cfg: cfg, log: cfg.Logger, clock: cfg.Clock,
		peers:    map[netip.Addr]*peer{},
		table:    map[netip.Prefix]*wire.Attributes{},
		attrSets: map[string]*attrSet{},
		subs:     map[*Subscription]struct{}{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, ap := range cfg.Listen {
		var ln net.Listener
		err := sockopt.InNamespace(cfg.NetNS, func() error {
			var err error
			// Plain TCP: Go listens with MPTCP by default on Linux, and
			// MPTCP sockets take neither TCP-MD5 nor TTL options.
			var lc net.ListenConfig
			lc.SetMultipathTCP(false)
			ln, err = lc.Listen(s.ctx, "tcp", ap.String())
			return err
		})
		if err != nil {
			s.closeListeners()
			s.cancel()
			return nil, fmt.Errorf("bgp: listen: %w", err)
		}
		s.listeners = append(s.listeners, &listener{Listener: ln})
	}
	if cfg.RIB != nil && cfg.AdvertiseLearned {
		s.wg.Add(1)
		go s.followRIB(cfg.RIB.Subscribe())
	}
	for _, l := range s.listeners {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.accept(l); err != nil && s.ctx.Err() == nil {
				s.log.Warn("accept failed; listener stopped", "listen", l.Addr(), "err", err)
			}
		}()
	}
	return s, nil
}

// AddPeer configures a peer and starts its session.
func (s *Speaker) AddPeer(pc PeerConfig) error {
	pc, err := s.withDefaults(pc)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if _, ok := s.peers[pc.Address]; ok {
		return fmt.Errorf("%w: %v", ErrPeerExists, pc.Address)
	}
	p := newPeer(s, pc)
	s.peers[pc.Address] = p
	if err := s.peerListenerOptions(pc.Address, "", pc.Password); err != nil {
		delete(s.peers, pc.Address)
		_ = s.peerListenerOptions(pc.Address, pc.Password, "")
		return fmt.Errorf("bgp: peer %v: %w", pc.Address, err)
	}
	if s.cfg.Dialer != nil && pc.Password != "" && !pc.Passive {
		s.log.Warn("TCP-MD5 on connections from Config.Dialer is the dialer's job", "peer", pc.Address)
	}
	s.wg.Add(1)
	go p.run()
	return nil
}

// RemovePeer ends the session with the peer (Cease / Peer De-configured)
// and forgets it. It waits for the NOTIFICATION to be written or ctx to
// end.
func (s *Speaker) RemovePeer(ctx context.Context, addr netip.Addr) error {
	s.mu.Lock()
	p := s.peers[addr]
	delete(s.peers, addr)
	if p != nil {
		if err := s.peerListenerOptions(addr, p.cfg.Password, ""); err != nil {
			s.log.Warn("listener socket options after removing a peer", "peer", addr, "err", err)
		}
	}
	s.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%w: %v", ErrNoSuchPeer, addr)
	}
	n := wire.Notification{Code: wire.CodeCease, Subcode: wire.SubPeerDeconfigured}
	err := p.stop(ctx, &n)
	p.stopGR()
	return err
}

// Announce announces prefix to every peer whose session carries its
// family, with attrs (copied). The speaker fills in what each session
// needs: its own AS prepended to the AS path and LOCAL_PREF removed for
// eBGP, LOCAL_PREF 100 by default for iBGP, and the session's local
// address as next hop when attrs.NextHop is not set. Announcing a prefix
// again replaces its attributes.
func (s *Speaker) Announce(prefix netip.Prefix, attrs wire.Attributes) error {
	if !prefix.IsValid() {
		return fmt.Errorf("bgp: announce: invalid prefix %v", prefix)
	}
	prefix = prefix.Masked()
	key := attrsKey(&attrs)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	// Prefixes announced with equal attributes share one *Attributes, so
	// a route sync packs them into the same UPDATEs.
	set := s.attrSets[key]
	if set == nil {
		set = &attrSet{attrs: cloneAttrs(attrs)}
		s.attrSets[key] = set
	}
	set.refs++
	if old, ok := s.table[prefix]; ok {
		s.releaseAttrs(old)
	}
	s.table[prefix] = set.attrs
	s.mu.Unlock()
	s.touchPeers()
	return nil
}

// Withdraw withdraws prefix from every peer.
func (s *Speaker) Withdraw(prefix netip.Prefix) error {
	prefix = prefix.Masked()
	s.mu.Lock()
	a, ok := s.table[prefix]
	if ok {
		s.releaseAttrs(a)
		delete(s.table, prefix)
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("bgp: withdraw: %v is not announced", prefix)
	}
	s.touchPeers()
	return nil
}

func (s *Speaker) touchPeers() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, p := range s.peers {
		select {
		case p.dirty <- struct{}{}:
		default:
		}
	}
}

// Subscribe returns a stream of events with room for buffer events (at
// least 1; see Subscription for what happens when it is full).
func (s *Speaker) Subscribe(buffer int) *Subscription {
	sub := &Subscription{s: s, ch: make(chan Event, max(buffer, 1))}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		sub.closed = true
		close(sub.ch)
		return sub
	}
	s.subs[sub] = struct{}{}
	return sub
}

func (s *Speaker) unsubscribe(sub *Subscription) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
}

func (s *Speaker) publish(ev Event) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for sub := range s.subs {
		sub.deliver(ev)
	}
}

// PeerStatus is a snapshot of a peer's session.
type PeerStatus struct {
	Address netip.Addr
	State   fsm.State // RFC 4271 state of the peer's main connection
	Up      bool      // Established
	BFD     bfd.State // of the session's BFD session (Down without PeerConfig.BFD)
}

// Peers returns the state of every peer.
func (s *Speaker) Peers() []PeerStatus {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]PeerStatus, 0, len(s.peers))
	for addr, p := range s.peers {
		st := p.status.Load()
		out = append(out, PeerStatus{Address: addr, State: st.state, Up: st.up, BFD: bfd.State(p.bfdState.Load())})
	}
	return out
}

// Shutdown ends every session gracefully: each peer gets a Cease /
// Administrative Shutdown NOTIFICATION carrying msg as the RFC 9003
// shutdown communication (empty for none). It then closes the listeners,
// waits for every goroutine of the speaker to end (or ctx), and ends all
// subscriptions.
func (s *Speaker) Shutdown(ctx context.Context, msg string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	peers := slices.Collect(maps.Values(s.peers))
	s.mu.Unlock()

	n := wire.NewShutdown(wire.SubAdministrativeShutdown, msg)
	var errs []error
	var wg sync.WaitGroup
	var emu sync.Mutex
	for _, p := range peers {
		wg.Go(func() {
			if err := p.stop(ctx, &n); err != nil {
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
			}
			p.stopGR()
		})
	}
	wg.Wait()
	s.cancel()
	s.closeListeners()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	s.closeBFD()
	s.mu.Lock()
	for sub := range s.subs {
		sub.close()
	}
	clear(s.subs)
	s.mu.Unlock()
	return errors.Join(errs...)
}

// Close is Shutdown without a shutdown message and without a deadline.
func (s *Speaker) Close() error {
	return s.Shutdown(context.Background(), "")
}
