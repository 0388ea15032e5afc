package snat

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"math/bits"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/slb"
)

// A Block is slb.SNATPortBlock consecutive ports of a VIP for one IP
// protocol, starting at First (a multiple of the block size).
type Block struct {
	VIP      netip.Addr
	Protocol uint8 // 6 (TCP) or 17 (UDP)
	First    uint16
}

// Last returns the block's last port.
func (b Block) Last() uint16 { return b.First + slb.SNATPortBlock - 1 }

// Contains reports whether port is one of the block's ports.
func (b Block) Contains(port uint16) bool { return port >= b.First && port <= b.Last() }

func (b Block) String() string {
	return fmt.Sprintf("%v/%d:%d-%d", b.VIP, b.Protocol, b.First, b.Last())
}

// A Request asks for one block for a DIP under an outbound rule.
type Request struct {
	LoadBalancer, Rule string     // the outbound rule, by name
	Host               netip.Addr // the provider address of the DIP's host
	VNI                uint32     // the DIP's pool's VNI
	DIP                netip.Addr
	Protocol           uint8 // 6 or 17
}

// A Lease is a block granted to a DIP on a host until Expires.
type Lease struct {
	Block
	LoadBalancer, Rule string
	Host               netip.Addr
	VNI                uint32
	DIP                netip.Addr
	Expires            time.Time
}

// Sentinel errors, wrapped by *Error.
var (
	// ErrExhausted: every frontend of the rule is out of free blocks.
	ErrExhausted = errors.New("SNAT ports exhausted")
	// ErrQuota: the DIP holds all the blocks its rule allows it.
	ErrQuota = errors.New("SNAT port quota reached")
	// ErrUnknown: no such outbound rule, or the DIP is not in its pool on
	// that host, or the rule does not cover the protocol.
	ErrUnknown = errors.New("no such outbound rule or DIP")
	// ErrNotLeased: the block is not leased to that DIP on that host.
	ErrNotLeased = errors.New("block not leased")
)

// An Error says which request or block failed and why.
type Error struct {
	Op    string // "lease", "renew", "release"
	DIP   netip.Addr
	Host  netip.Addr
	Block Block // the zero Block for a lease request
	Err   error
}

func (e *Error) Error() string {
	if e.Block.VIP.IsValid() {
		return fmt.Sprintf("snat: %s %v for DIP %v on host %v: %v", e.Op, e.Block, e.DIP, e.Host, e.Err)
	}
	return fmt.Sprintf("snat: %s for DIP %v on host %v: %v", e.Op, e.DIP, e.Host, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// A Clock tells the time.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures a Manager.
type Config struct {
	// Clock defaults to the system clock.
	Clock Clock
	// LeaseTime is how long a lease lasts unless renewed; 0 means
	// DefaultLeaseTime.
	LeaseTime time.Duration
	// OnChange, when set, is called for every block granted (true) and
	// every block released, expired or revoked by a Configure (false),
	// without the Manager's lock held, in order.
	OnChange func(l Lease, granted bool)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// DefaultLeaseTime is the lease time when Config.LeaseTime is 0.
const DefaultLeaseTime = 10 * time.Minute

// Stats are a Manager's counters.
type Stats struct {
	Leased   int    // blocks leased now
	Free     int    // usable blocks not leased, over every (VIP, protocol)
	Granted  uint64 // leases granted
	Released uint64 // leases released by their hosts
	Expired  uint64 // leases that ran out
	Revoked  uint64 // leases a Configure took back
	// Exhausted counts requests refused with ErrExhausted, Quota those
	// refused with ErrQuota.
	Exhausted, Quota uint64
}

const (
	blockShift = 3 // log2(slb.SNATPortBlock)
	numBlocks  = 65536 >> blockShift
	firstBlock = slb.SNATFirstPort >> blockShift
)

// A space is the blocks of one (VIP, protocol).
type space struct {
	usable [numBlocks / 64]uint64 // 1: no inbound rule receives on a port of the block
	leased [numBlocks / 64]uint64
	cursor int // next fit: the search for a free block starts here
}

func (s *space) setLeased(i int, on bool) {
	if on {
		s.leased[i/64] |= 1 << (i % 64)
	} else {
		s.leased[i/64] &^= 1 << (i % 64)
	}
}

// take finds a free usable block from the cursor on, marks it leased, and
// returns it, or -1.
func (s *space) take() int {
	for n := 0; n <= numBlocks/64; n++ {
		w := (s.cursor/64 + n) % (numBlocks / 64)
		free := s.usable[w] &^ s.leased[w]
		if n == 0 {
			free &^= 1<<(s.cursor%64) - 1 // blocks before the cursor in its word come last
		}
		if free != 0 {
			i := w*64 + bits.TrailingZeros64(free)
			s.setLeased(i, true)
			s.cursor = (i + 1) % numBlocks
			return i
		}
	}
	return -1
}

func (s *space) free() int {
	n := 0
	for w := range s.usable {
		n += bits.OnesCount64(s.usable[w] &^ s.leased[w])
	}
	return n
}

type spaceKey struct {
	vip   netip.Addr
	proto uint8
}

type ruleKey struct{ lb, rule string }

// A rule is an outbound rule as the Manager applies it.
type rule struct {
	vips   []netip.Addr
	protos [256]bool
	quota  int                   // blocks per DIP and protocol
	hosts  map[dipKey]netip.Addr // the pool's DIPs and their hosts
}

type dipKey struct {
	vni uint32
	dip netip.Addr
}

type holderKey struct {
	rule  ruleKey
	dip   dipKey
	proto uint8
}

// A Manager leases SNAT port blocks to host agents. Its methods are safe
// for concurrent use; *Manager satisfies hostagent.Leaser.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	rules   map[ruleKey]*rule
	spaces  map[spaceKey]*space
	leases  map[Block]*Lease
	holders map[holderKey]int // blocks held per DIP, rule and protocol
	stats   Stats
}

// New returns a Manager with no configuration.
func New(cfg Config) *Manager {
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.LeaseTime == 0 {
		cfg.LeaseTime = DefaultLeaseTime
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, rules: map[ruleKey]*rule{}, spaces: map[spaceKey]*space{},
		leases: map[Block]*Lease{}, holders: map[holderKey]int{}}
	if m.log == nil {
		m.log = slog.Default()
	}
	return m
}

func protocols(p slb.Protocol) []uint8 {
	switch p {
	case slb.ProtocolTCP:
		return []uint8{6}
	case slb.ProtocolUDP:
		return []uint8{17}
	case slb.ProtocolAll:
		return []uint8{6, 17}
	}
	return nil
}

// Configure replaces the outbound rules with those of lbs, each of which
// must be valid. Leases that no longer fit (the rule, frontend or DIP is
// gone, the DIP moved host, or an inbound rule now receives on a port of
// the block) are revoked and reported through OnChange.
func (m *Manager) Configure(lbs ...slb.LoadBalancer) error {
	rules := map[ruleKey]*rule{}
	spaces := map[spaceKey]*space{}
	for li := range lbs {
		lb := &lbs[li]
		if err := lb.Validate(); err != nil {
			return fmt.Errorf("snat: load balancer %q: %w", lb.Name, err)
		}
		vips := map[string]netip.Addr{}
		for _, fe := range lb.FrontendIPConfigurations {
			vips[fe.Name] = fe.VIP
		}
		for i, r := range lb.OutboundRules {
			ru := &rule{quota: lb.OutboundPortsPerBackend(i) / slb.SNATPortBlock, hosts: map[dipKey]netip.Addr{}}
			for _, p := range protocols(r.Protocol) {
				ru.protos[p] = true
			}
			for _, name := range r.Frontends {
				ru.vips = append(ru.vips, vips[name])
				for _, p := range protocols(r.Protocol) {
					k := spaceKey{vips[name], p}
					if spaces[k] == nil {
						spaces[k] = newSpace(lb, name, p)
					}
				}
			}
			for _, pool := range lb.BackendAddressPools {
				if pool.Name == r.BackendPool {
					for _, b := range pool.Backends {
						ru.hosts[dipKey{pool.VNI, b.DIP}] = b.HostPA
					}
				}
			}
			rules[ruleKey{lb.Name, r.Name}] = ru
		}
	}
	// Keep the cursors of spaces that stay.
	m.mu.Lock()
	for k, s := range spaces {
		if old := m.spaces[k]; old != nil {
			s.cursor = old.cursor
		}
	}
	m.rules, m.spaces = rules, spaces
	var revoked []Lease
	for _, b := range slices.Collect(maps.Keys(m.leases)) {
		l := m.leases[b]
		if !m.fits(l) {
			revoked = append(revoked, *l)
			m.drop(l)
			m.stats.Revoked++
			continue
		}
		m.spaces[spaceKey{b.VIP, b.Protocol}].setLeased(int(b.First>>blockShift), true)
	}
	m.mu.Unlock()
	for _, l := range revoked {
		m.log.Info("snat: lease revoked by configuration", "block", l.Block, "dip", l.DIP, "host", l.Host)
		m.notify(l, false)
	}
	return nil
}

// newSpace returns the blocks of frontend fe of lb for protocol proto,
// with those that hold an inbound rule's port unusable.
func newSpace(lb *slb.LoadBalancer, fe string, proto uint8) *space {
	s := new(space)
	for i := firstBlock; i < numBlocks; i++ {
		s.usable[i/64] |= 1 << (i % 64)
	}
	s.cursor = firstBlock
	block := func(lo, hi int) {
		for p := max(lo, slb.SNATFirstPort); p <= hi; p++ {
			i := p >> blockShift
			s.usable[i/64] &^= 1 << (i % 64)
		}
	}
	for _, r := range lb.LoadBalancingRules {
		if r.Frontend == fe && r.Protocol.Matches(proto) {
			if r.FrontendPort == 0 {
				block(0, 65535) // HA ports: the VIP has no port to spare
			} else {
				block(r.FrontendPort, r.FrontendPort)
			}
		}
	}
	for _, r := range lb.InboundNatRules {
		if r.Frontend == fe && r.Protocol.Matches(proto) {
			if r.FrontendPort != 0 {
				block(r.FrontendPort, r.FrontendPort)
			} else {
				block(r.FrontendPortRangeStart, r.FrontendPortRangeEnd)
			}
		}
	}
	return s
}

// fits reports whether lease l is still allowed by the configuration.
func (m *Manager) fits(l *Lease) bool {
	r := m.rules[ruleKey{l.LoadBalancer, l.Rule}]
	if r == nil || !r.protos[l.Protocol] || r.hosts[dipKey{l.VNI, l.DIP}] != l.Host || !slices.Contains(r.vips, l.VIP) {
		return false
	}
	s := m.spaces[spaceKey{l.VIP, l.Protocol}]
	i := int(l.First >> blockShift)
	return s != nil && s.usable[i/64]&(1<<(i%64)) != 0
}

// drop forgets lease l (m.mu held): its block goes back to the free set.
func (m *Manager) drop(l *Lease) {
	delete(m.leases, l.Block)
	if s := m.spaces[spaceKey{l.VIP, l.Protocol}]; s != nil {
		s.setLeased(int(l.First>>blockShift), false)
	}
	h := holderKey{ruleKey{l.LoadBalancer, l.Rule}, dipKey{l.VNI, l.DIP}, l.Protocol}
	if m.holders[h]--; m.holders[h] <= 0 {
		delete(m.holders, h)
	}
}

func (m *Manager) notify(l Lease, granted bool) {
	if m.cfg.OnChange != nil {
		m.cfg.OnChange(l, granted)
	}
}

// Lease grants one block to the DIP of req, from the first of the rule's
// frontends that has a free one.
func (m *Manager) Lease(ctx context.Context, req Request) (Lease, error) {
	if err := ctx.Err(); err != nil {
		return Lease{}, err
	}
	m.mu.Lock()
	l, err := m.lease(req)
	m.mu.Unlock()
	if err != nil {
		return Lease{}, &Error{Op: "lease", DIP: req.DIP, Host: req.Host, Err: err}
	}
	m.notify(l, true)
	return l, nil
}

func (m *Manager) lease(req Request) (Lease, error) {
	rk := ruleKey{req.LoadBalancer, req.Rule}
	r := m.rules[rk]
	dk := dipKey{req.VNI, req.DIP}
	if r == nil || !r.protos[req.Protocol] {
		return Lease{}, ErrUnknown
	}
	if host, ok := r.hosts[dk]; !ok || host != req.Host {
		return Lease{}, ErrUnknown
	}
	hk := holderKey{rk, dk, req.Protocol}
	if m.holders[hk] >= r.quota {
		m.stats.Quota++
		return Lease{}, ErrQuota
	}
	for _, vip := range r.vips {
		s := m.spaces[spaceKey{vip, req.Protocol}]
		if i := s.take(); i >= 0 {
			l := &Lease{Block: Block{VIP: vip, Protocol: req.Protocol, First: uint16(i << blockShift)},
				LoadBalancer: req.LoadBalancer, Rule: req.Rule, Host: req.Host, VNI: req.VNI, DIP: req.DIP,
				Expires: m.cfg.Clock.Now().Add(m.cfg.LeaseTime)}
			m.leases[l.Block] = l
			m.holders[hk]++
			m.stats.Granted++
			return *l, nil
		}
	}
	m.stats.Exhausted++
	return Lease{}, ErrExhausted
}

// held returns the lease of l's block if it is held by l's DIP and host.
func (m *Manager) held(l Lease) *Lease {
	cur := m.leases[l.Block]
	if cur == nil || cur.DIP != l.DIP || cur.Host != l.Host || cur.VNI != l.VNI {
		return nil
	}
	return cur
}

// Renew extends a lease by the lease time.
func (m *Manager) Renew(ctx context.Context, l Lease) (Lease, error) {
	if err := ctx.Err(); err != nil {
		return Lease{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.held(l)
	if cur == nil {
		return Lease{}, &Error{Op: "renew", DIP: l.DIP, Host: l.Host, Block: l.Block, Err: ErrNotLeased}
	}
	cur.Expires = m.cfg.Clock.Now().Add(m.cfg.LeaseTime)
	return *cur, nil
}

// Release returns a leased block to the free set.
func (m *Manager) Release(ctx context.Context, l Lease) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	cur := m.held(l)
	if cur == nil {
		m.mu.Unlock()
		return &Error{Op: "release", DIP: l.DIP, Host: l.Host, Block: l.Block, Err: ErrNotLeased}
	}
	done := *cur
	m.drop(cur)
	m.stats.Released++
	m.mu.Unlock()
	m.notify(done, false)
	return nil
}

// Expire frees the leases whose time has run out, reports them through
// OnChange, and returns how many there were.
func (m *Manager) Expire() int {
	now := m.cfg.Clock.Now()
	var gone []Lease
	m.mu.Lock()
	for _, l := range m.leases {
		if now.After(l.Expires) {
			gone = append(gone, *l)
		}
	}
	for i := range gone {
		m.drop(m.leases[gone[i].Block])
		m.stats.Expired++
	}
	m.mu.Unlock()
	for _, l := range gone {
		m.notify(l, false)
	}
	return len(gone)
}

// Leases yields a snapshot of the current leases, in no particular order.
func (m *Manager) Leases() iter.Seq[Lease] {
	m.mu.Lock()
	ls := make([]Lease, 0, len(m.leases))
	for _, l := range m.leases {
		ls = append(ls, *l)
	}
	m.mu.Unlock()
	return slices.Values(ls)
}

// Stats returns the counters.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	s.Leased = len(m.leases)
	for _, sp := range m.spaces {
		s.Free += sp.free()
	}
	return s
}
