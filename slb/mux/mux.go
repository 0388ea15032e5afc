package mux

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/flowhash"
	"github.com/sdnfabric/sdnfabric/slb/maglev"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

// Defaults for the zero fields of Config.
const (
	DefaultFlowTableSize    = 1 << 20
	DefaultUntrustedTimeout = 10 * time.Second
	DefaultDrainTimeout     = 30 * time.Second
	DefaultMTU              = 1500
	// MaxFlowTableSize bounds FlowTableSize (2 GiB of entries).
	MaxFlowTableSize = 1 << 27
)

// Config configures a Mux. The zero value of each field but LocalPA picks
// the documented default.
type Config struct {
	// LocalPA is the Mux's provider address, the outer source address
	// (IPv4 or IPv6). Every backend's HostPA must be of the same family.
	LocalPA netip.Addr
	// Encap is EncapVXLAN (the default) or EncapIPIP.
	Encap Encap
	// VXLANPort is the outer UDP destination port; 0 means vxlan.Port
	// (4789).
	VXLANPort uint16
	// SourcePorts is the range of outer UDP source ports, chosen by flow
	// hash; zero means vxlan.DefaultPortRange.
	SourcePorts vxlan.PortRange
	// ZeroUDP6Checksum sends VXLAN over IPv6 with a zero UDP checksum
	// (RFC 6935); otherwise the checksum is computed for every packet.
	ZeroUDP6Checksum bool
	// InnerSrcMAC and InnerDstMAC are the inner Ethernet header's
	// addresses in VXLAN packets (the host's vSwitch delivers by DIP).
	InnerSrcMAC, InnerDstMAC header.MAC
	// MTU is the provider network's MTU, from which the TCP MSS of SYNs
	// is clamped (RFC 6691): MTU - encapsulation - inner IP and TCP
	// headers. 0 means DefaultMTU.
	MTU int
	// FlowTableSize is the number of flow-table entries (16 bytes each),
	// rounded up to a power of two; 0 means DefaultFlowTableSize.
	FlowTableSize int
	// Shards is the number of flow-table shards, each with its own lock,
	// rounded up to a power of two; 0 means 4 * GOMAXPROCS.
	Shards int
	// UntrustedTimeout is the idle timeout of a flow seen once (Ananta's
	// untrusted flows, such as a lone SYN) and of remembered first
	// fragments; 0 means DefaultUntrustedTimeout. A flow seen twice gets
	// its rule's idle timeout.
	UntrustedTimeout time.Duration
	// DrainTimeout is how long a DIP removed from its pool keeps its
	// established flows; 0 means DefaultDrainTimeout.
	DrainTimeout time.Duration
	// MaglevSize is the prime size of each pool's Maglev table; 0 means
	// maglev.DefaultSize (65537).
	MaglevSize int
	// MinimalDisruption rebuilds a pool's Maglev table from its previous
	// table (maglev.Rebuild) when the pool's healthy DIPs change, so that
	// only the slots of the DIPs that left, or the share of those that
	// joined, move: new flows of the other DIPs keep going where they
	// went. The tables then depend on the history of changes, so Muxes
	// agree on new flows only if they saw the same sequence of
	// configurations and health reports; a Mux that starts later builds
	// afresh and disagrees. By default every table is built afresh
	// (maglev.New), which any Mux reproduces from the current set alone,
	// at the cost of moving more slots in pools of hundreds of DIPs (see
	// package maglev).
	MinimalDisruption bool
	// HashKey keys the flow hash; every Mux of a deployment must use the
	// same key so that they pick the same DIP for a flow. The zero Key
	// means flowhash.DefaultKey.
	HashKey flowhash.Key
	// Announcer, if set, is told to announce each frontend VIP as a host
	// prefix and to withdraw it.
	Announcer Announcer
	// WithdrawUnhealthyVIPs withdraws a VIP when none of its
	// load-balancing rules has a healthy DIP (and it has no inbound NAT
	// rule), so that routers send its traffic to another Mux pool or
	// nowhere; by default a VIP stays announced.
	WithdrawUnhealthyVIPs bool
	// HoldNewDIPs starts a DIP that a Configure adds to a configured Mux
	// (new in its virtual network: another VNI's DIP of the same address
	// does not count) unhealthy, until SetHealth says it is healthy: as
	// Azure's load balancer, a backend added to a pool gets new flows
	// only once its health probe first succeeds. Set it when whoever
	// probes the DIPs reports every new one (up, or that it has no
	// probe); by default a new DIP is healthy at once. A DIP of the first
	// configuration is healthy either way.
	HoldNewDIPs bool
	// Clock is the time source, read once per Process or ProcessBatch
	// call; nil means the system clock, read by a goroutine once per tick
	// (see the package documentation).
	Clock Clock
	// Logger receives configuration and announcement events; nil
	// discards them.
	Logger *slog.Logger
}

// A Mux is the load balancer's data path: it owns the frontend VIPs,
// matches each packet to a load-balancing rule, inbound NAT rule or SNAT
// lease, picks a DIP with Maglev hashing, remembers the choice in its
// flow table and encapsulates the packet to the DIP's host. Process and
// ProcessBatch may be called from any number of goroutines; they never
// wait for a configuration change.
type Mux struct {
	cfg      Config
	key      flowhash.Key
	tableKey tableKey
	clock    Clock
	epoch    time.Time
	log      *slog.Logger
	flows    *flowTable
	jiffies  *jiffies // when clock is nil
	hdrLen   int      // bytes of outer headers
	// maxInner is the longest inner packet whose encapsulation fits in
	// an IPv4 total length or an IPv6 payload length; processParsed
	// drops longer ones before any template is used.
	maxInner int
	mss      [2]uint16 // by inner family
	untrust  uint32    // ticks
	drain    uint32    // ticks

	state atomic.Pointer[state]
	snat  snatTable

	mu sync.Mutex // serialises Configure, SetHealth, Close and announcements
	// down holds the configured DIPs (in their virtual networks) that
	// SetHealth marked unhealthy; Configure forgets the DIPs it no longer
	// has.
	down       map[vnetDIP]bool
	announced  map[netip.Addr]bool
	closed     bool
	configured bool // a Configure succeeded (see Config.HoldNewDIPs)
}

// state is one configuration, published atomically.
type state struct {
	services   map[svcKey]*service
	lookup     svcTable            // services, for the data path
	vips       map[netip.Addr]bool // frontend VIP -> has a load-balancing rule
	pools      []*pool
	poolsByDIP map[vnetDIP][]*pool
	backends   []*backend // the registry, by slot; nil slots are free
	byID       map[backendID]*backend
}

// svcKey is what a packet is matched on. Port 0 is the HA-ports rule.
type svcKey struct {
	vip   netip.Addr
	port  uint16
	proto uint8
}

// A service is a load-balancing rule or an inbound NAT rule's mapping
// for one protocol and frontend port.
type service struct {
	rule        string
	match       Match
	pool        *pool
	nat         *backend // inbound NAT: the one DIP
	mode        flowhash.Mode
	idle        uint32 // ticks
	backendPort uint16 // 0: the packet's destination port (HA ports)
	floatingIP  bool
}

// New returns a Mux with no load balancers.
func New(cfg Config) (*Mux, error) {
	cfg.LocalPA = cfg.LocalPA.Unmap()
	if !cfg.LocalPA.IsValid() || cfg.LocalPA.Zone() != "" || cfg.LocalPA.IsUnspecified() {
		return nil, fmt.Errorf("mux: LocalPA %v: %w", cfg.LocalPA, ErrConfig)
	}
	if cfg.Encap != EncapVXLAN && cfg.Encap != EncapIPIP {
		return nil, fmt.Errorf("mux: Encap %d: %w", cfg.Encap, ErrConfig)
	}
	if cfg.VXLANPort == 0 {
		cfg.VXLANPort = vxlan.Port
	}
	if cfg.SourcePorts == (vxlan.PortRange{}) {
		cfg.SourcePorts = vxlan.DefaultPortRange
	} else if !cfg.SourcePorts.Valid() {
		return nil, fmt.Errorf("mux: SourcePorts %v: %w", cfg.SourcePorts, ErrConfig)
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	if cfg.FlowTableSize == 0 {
		cfg.FlowTableSize = DefaultFlowTableSize
	}
	if cfg.FlowTableSize < 0 || cfg.FlowTableSize > MaxFlowTableSize {
		return nil, fmt.Errorf("mux: FlowTableSize %d: %w", cfg.FlowTableSize, ErrConfig)
	}
	if cfg.Shards == 0 {
		cfg.Shards = 4 * runtime.GOMAXPROCS(0)
	}
	if cfg.Shards < 0 || cfg.Shards > 1<<16 {
		return nil, fmt.Errorf("mux: Shards %d: %w", cfg.Shards, ErrConfig)
	}
	cfg.Shards = ceilPow2(cfg.Shards)
	if cfg.UntrustedTimeout == 0 {
		cfg.UntrustedTimeout = DefaultUntrustedTimeout
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	if cfg.UntrustedTimeout < 0 || cfg.DrainTimeout < 0 || cfg.UntrustedTimeout > time.Hour || cfg.DrainTimeout > 24*time.Hour {
		return nil, fmt.Errorf("mux: UntrustedTimeout %v, DrainTimeout %v: %w", cfg.UntrustedTimeout, cfg.DrainTimeout, ErrConfig)
	}
	if cfg.MaglevSize == 0 {
		cfg.MaglevSize = maglev.DefaultSize
	}
	if _, err := maglev.New(cfg.MaglevSize, nil); err != nil {
		return nil, fmt.Errorf("mux: MaglevSize: %w: %w", ErrConfig, err)
	}
	if cfg.HashKey == (flowhash.Key{}) {
		cfg.HashKey = flowhash.DefaultKey
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Mux{
		cfg:       cfg,
		key:       cfg.HashKey,
		tableKey:  newTableKey(),
		clock:     cfg.Clock,
		log:       cfg.Logger,
		untrust:   toTicks(cfg.UntrustedTimeout),
		drain:     toTicks(cfg.DrainTimeout),
		down:      make(map[vnetDIP]bool),
		announced: make(map[netip.Addr]bool),
	}
	if m.clock != nil {
		m.epoch = m.clock.Now()
	} else {
		m.epoch = time.Now()
		m.jiffies = startJiffies(m)
	}
	for v6, ip := range [2]int{header.IPv4MinSize, header.IPv6Size} {
		mss := cfg.MTU - m.overhead() - ip - header.TCPMinSize
		if mss < 64 || cfg.MTU > 65535 {
			return nil, fmt.Errorf("mux: MTU %d leaves no room for TCP: %w", cfg.MTU, ErrConfig)
		}
		m.mss[v6] = uint16(mss)
	}
	m.hdrLen = m.overhead()
	m.maxInner = 0xffff - m.hdrLen
	if cfg.LocalPA.Is6() {
		m.maxInner += header.IPv6Size
	}
	m.flows = newFlowTable(cfg.FlowTableSize, cfg.Shards)
	m.snat.init()
	m.state.Store(&state{
		services:   map[svcKey]*service{},
		lookup:     newSvcTable(nil),
		vips:       map[netip.Addr]bool{},
		poolsByDIP: map[vnetDIP][]*pool{},
		byID:       map[backendID]*backend{},
	})
	return m, nil
}

// Configure replaces the Mux's load balancers with lbs, the full desired
// set. Each is validated (see slb.LoadBalancer.Validate); a rule of one
// load balancer may not listen on a VIP, protocol and port that another
// already covers. On error nothing changes.
//
// Established flows keep their DIPs. A DIP that leaves its pool stops
// receiving new flows at once and keeps its established flows for
// Config.DrainTimeout; a DIP that joins receives a share of new flows.
// Then VIPs are announced and withdrawn to match (see Announcer); their
// errors are returned, joined, after the configuration took effect.
func (m *Mux) Configure(ctx context.Context, lbs ...slb.LoadBalancer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("mux: Configure: %w", ErrClosed)
	}
	names := map[string]bool{}
	for i := range lbs {
		if names[lbs[i].Name] {
			return fmt.Errorf("mux: load balancer name %q used twice: %w", lbs[i].Name, ErrConfig)
		}
		names[lbs[i].Name] = true
		if err := lbs[i].Validate(); err != nil {
			return fmt.Errorf("mux: load balancer %q: %w", lbs[i].Name, err)
		}
	}
	now := m.ticks()
	old := m.state.Load()
	next := &state{
		services:   map[svcKey]*service{},
		vips:       map[netip.Addr]bool{},
		poolsByDIP: map[vnetDIP][]*pool{},
		backends:   slices.Clone(old.backends),
		byID:       map[backendID]*backend{},
	}
	// Free the slots that no live flow can refer to any more.
	var free []uint32
	for i, b := range next.backends {
		if b == nil || (b.removed.Load() && int32(now-b.freeAt) >= 0) {
			next.backends[i] = nil
			free = append(free, uint32(i))
		}
	}
	var created []*backend
	moved := map[*backend]bool{} // replaced in their slot by a backend on another host
	oldPools := make(map[string]*pool, len(old.pools))
	for _, p := range old.pools {
		oldPools[p.id] = p
	}
	for i := range lbs {
		lb := &lbs[i]
		pools := map[string]*pool{}
		for _, bp := range lb.BackendAddressPools {
			p := &pool{id: lb.Name + "/" + bp.Name}
			if op := oldPools[p.id]; op != nil && m.cfg.MinimalDisruption {
				p.table.Store(op.table.Load()) // rebuild starts from it
			}
			pools[bp.Name] = p
			next.pools = append(next.pools, p)
			for _, be := range bp.Backends {
				id := backendID{pool: p.id, name: be.Key(), dip: be.DIP, vni: bp.VNI}
				hostPA := be.HostPA.Unmap()
				if hostPA.Is4() != m.cfg.LocalPA.Is4() {
					return fmt.Errorf("mux: load balancer %q pool %q backend %s: host PA %v and local PA %v differ in family: %w",
						lb.Name, bp.Name, be.DIP, be.HostPA, m.cfg.LocalPA, ErrConfig)
				}
				b := old.byID[id]
				if b != nil && next.backends[b.slot] != b {
					b = nil // its slot was freed above
				}
				if b == nil || b.hostPA != hostPA {
					// New, or moved to another host (a live migration):
					// a moved backend keeps its slot, so that its
					// established flows follow it there.
					nb := &backend{id: id, hostPA: hostPA}
					for v6 := range 2 {
						t, err := m.buildTemplate(hostPA, id.vni, v6 == 1)
						if err != nil {
							return fmt.Errorf("mux: backend %s on %s: %w", be.DIP, be.HostPA, err)
						}
						nb.tmpl[v6] = t
					}
					switch {
					case b != nil:
						nb.slot = b.slot
						next.backends[b.slot] = nb
						moved[b] = true
						m.log.Info("mux: backend moved", "pool", id.pool, "dip", id.dip, "from", b.hostPA, "to", hostPA)
					case len(free) > 0:
						nb.slot, free = free[0], free[1:]
						next.backends[nb.slot] = nb
					default:
						nb.slot = uint32(len(next.backends))
						next.backends = append(next.backends, nb)
					}
					b = nb
					created = append(created, b)
				}
				next.byID[id] = b
				p.members = append(p.members, b)
				p.weights = append(p.weights, max(be.Weight, 1))
				next.poolsByDIP[id.vnetDIP()] = append(next.poolsByDIP[id.vnetDIP()], p)
			}
		}
		fes := map[string]netip.Addr{}
		for _, fe := range lb.FrontendIPConfigurations {
			fes[fe.Name] = fe.VIP
			if _, ok := next.vips[fe.VIP]; !ok {
				next.vips[fe.VIP] = false
			}
		}
		add := func(vip netip.Addr, proto slb.Protocol, port int, s *service) error {
			for _, ipp := range [2]uint8{protoTCP, protoUDP} {
				if !proto.Matches(ipp) {
					continue
				}
				k := svcKey{vip: vip, port: uint16(port), proto: ipp}
				if o, ok := next.services[k]; ok {
					return fmt.Errorf("mux: rule %q and rule %q both listen on %v %d/%d: %w", o.rule, s.rule, vip, ipp, port, ErrConfig)
				}
				next.services[k] = s
			}
			return nil
		}
		for _, r := range lb.LoadBalancingRules {
			vip := fes[r.Frontend]
			next.vips[vip] = true
			s := &service{rule: lb.Name + "/" + r.Name, match: MatchLoadBalancing, pool: pools[r.BackendPool],
				mode: r.LoadDistribution.Mode(), idle: toTicks(r.IdleTimeout()), backendPort: uint16(r.BackendPort),
				floatingIP: r.EnableFloatingIP}
			if err := add(vip, r.Protocol, r.FrontendPort, s); err != nil {
				return err
			}
		}
		for _, r := range lb.InboundNatRules {
			vip := fes[r.Frontend]
			p := pools[r.BackendPool]
			bp := findPool(lb, r.BackendPool)
			for port, be := range r.Mappings(bp) {
				s := &service{rule: lb.Name + "/" + r.Name, match: MatchInboundNAT, pool: p,
					nat:  next.byID[backendID{pool: p.id, name: be.Key(), dip: be.DIP, vni: bp.VNI}],
					idle: toTicks(r.IdleTimeout()), backendPort: uint16(r.BackendPort), floatingIP: r.EnableFloatingIP}
				if err := add(vip, r.Protocol, port, s); err != nil {
					return err
				}
			}
		}
	}
	down := m.down
	if m.cfg.HoldNewDIPs && m.configured {
		down = maps.Clone(m.down)
		for dip := range next.poolsByDIP {
			if _, ok := old.poolsByDIP[dip]; !ok {
				down[dip] = true
			}
		}
	}
	for _, p := range next.pools {
		if err := p.rebuild(m.cfg.MaglevSize, down, m.cfg.MinimalDisruption); err != nil {
			return fmt.Errorf("mux: pool %q: %w", p.id, err)
		}
	}
	m.down, m.configured = down, true
	// Commit: drain the backends that left, revive those that came back.
	maxIdle := toTicks(slb.MaxIdleTimeoutInMinutes*time.Minute) + m.untrust
	for id, b := range old.byID {
		if _, ok := next.byID[id]; !ok && !b.removed.Load() && !moved[b] {
			b.drainEnd.Store(now + m.drain)
			b.freeAt = now + m.drain + maxIdle
			b.removed.Store(true)
			m.log.Info("mux: draining backend", "pool", id.pool, "dip", id.dip, "for", m.cfg.DrainTimeout)
		}
	}
	for _, b := range next.byID {
		if b.removed.Load() {
			b.removed.Store(false)
		}
	}
	for _, b := range next.backends {
		if b != nil && b.removed.Load() {
			next.byID[b.id] = b // still draining: findable if it comes back
		}
	}
	next.lookup = newSvcTable(next.services)
	for dip := range m.down {
		if _, ok := next.poolsByDIP[dip]; !ok {
			delete(m.down, dip)
		}
	}
	for _, b := range next.backends {
		if b != nil {
			b.down.Store(m.down[b.id.vnetDIP()])
		}
	}
	m.state.Store(next)
	m.log.Info("mux: configured", "loadBalancers", len(lbs), "services", len(next.services),
		"pools", len(next.pools), "newBackends", len(created))
	return m.reconcile(ctx, next)
}

// findPool returns lb's pool called name (which Validate guarantees).
func findPool(lb *slb.LoadBalancer, name string) slb.BackendPool {
	for _, p := range lb.BackendAddressPools {
		if p.Name == name {
			return p
		}
	}
	return slb.BackendPool{}
}

// SetHealth records a probe result for dip in the virtual network vni
// (in every pool of that VNI that has it; a pool of another VNI with the
// same address is another tenant's DIP, whose health is its own): an
// unhealthy DIP gets no new flows but keeps its established ones; a SYN
// that opens a connection on the 5-tuple of one of its flows is a new
// flow (the client reused its source port) and goes to a healthy DIP.
// DIPs are healthy until told otherwise. When WithdrawUnhealthyVIPs is
// set, a VIP that loses its last healthy DIP is withdrawn and announced
// again when one returns. A DIP that no pool has is ignored, and a DIP
// that leaves every pool is forgotten, so that the health map holds only
// configured DIPs.
func (m *Mux) SetHealth(vni uint32, dip netip.Addr, healthy bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := vnetDIP{vni, dip}
	if m.down[k] == !healthy {
		return
	}
	st := m.state.Load()
	if _, ok := st.poolsByDIP[k]; !ok {
		return
	}
	if healthy {
		delete(m.down, k)
	} else {
		m.down[k] = true
	}
	for _, b := range st.backends {
		if b != nil && b.id.vnetDIP() == k {
			b.down.Store(!healthy)
		}
	}
	for _, p := range st.poolsByDIP[k] {
		if err := p.rebuild(m.cfg.MaglevSize, m.down, m.cfg.MinimalDisruption); err != nil {
			m.log.Error("mux: rebuilding pool table", "pool", p.id, "err", err)
		}
	}
	m.log.Info("mux: health", "vni", vni, "dip", dip, "healthy", healthy)
	if m.closed {
		return
	}
	if err := m.reconcile(context.Background(), st); err != nil {
		m.log.Error("mux: announcing after health change", "vni", vni, "dip", dip, "err", err)
	}
}

// Close withdraws every announced VIP. Process keeps working (packets
// already in flight are still delivered); Configure fails afterwards.
func (m *Mux) Close(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	var errs []error
	for _, vip := range sortedVIPs(m.announced) {
		if m.cfg.Announcer == nil {
			break
		}
		if err := m.cfg.Announcer.Withdraw(ctx, hostPrefix(vip)); err != nil {
			errs = append(errs, fmt.Errorf("mux: withdrawing %v: %w", vip, err))
			continue
		}
		delete(m.announced, vip)
	}
	return errors.Join(errs...)
}
