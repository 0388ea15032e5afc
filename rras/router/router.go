package router

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/rras/lpm"
	"github.com/sdnfabric/sdnfabric/rras/nat"
)

// Output sends a frame out of an interface. The frame is only valid during
// the call: an implementation that keeps it must copy it. Send may be called
// from several goroutines at once (from concurrent Input calls).
type Output interface {
	Send(ifIndex int, frame []byte) error
}

// OutputFunc adapts a function to Output.
type OutputFunc func(ifIndex int, frame []byte) error

// Send calls f.
func (f OutputFunc) Send(ifIndex int, frame []byte) error { return f(ifIndex, frame) }

// Config configures a Router. Only Output is required.
type Config struct {
	Output Output
	// Now is the clock for neighbor timers and the ICMP rate limit;
	// time.Now when nil. Tests inject a virtual clock.
	Now func() time.Time
	// ICMPRate is the sustained rate of ICMP errors per second (per address
	// family) and ICMPBurst the bucket size; 100 and 50 when zero. A negative
	// ICMPRate disables ICMP errors.
	ICMPRate  float64
	ICMPBurst int
	// MaxQueuedPerNeighbor and MaxQueued bound the packets waiting for
	// neighbor resolution (per neighbor and in total; 3 and 256 when zero).
	// When a bound is reached the oldest waiting packet is dropped.
	MaxQueuedPerNeighbor int
	MaxQueued            int
	// MaxNeighbors bounds the neighbor cache (4096 when zero); entries are
	// only created for addresses the router sends to or that resolve the
	// router's own addresses.
	MaxNeighbors int
	// HashSeed perturbs the ECMP flow hash.
	HashSeed uint64
	Logger   *slog.Logger
	// NAT, when set, translates IPv4 packets between the interfaces marked
	// NATInside and those marked NATOutside (see Translator).
	NAT Translator
}

// Router forwards IPv4 and IPv6 packets between its interfaces.
type Router struct {
	cfg    Config     // defaults filled in by New
	cfgMu  sync.Mutex // serialises interface changes
	ifs    atomic.Pointer[ifaceSet]
	fib    lpm.Table[*NextHopSet]
	rib    *RIB
	neigh  neighborCache
	icmp4  tokenBucket
	icmp6  tokenBucket
	ipID   atomic.Uint32
	global counters   // events without an interface, and removed interfaces'
	bufs   sync.Pool  // *[]byte scratch buffers for generated frames
	natMu  sync.Mutex // a Translator is single-threaded
	// fragBufs holds *[]byte frames for fragments the NAT releases.
	fragBufs sync.Pool
}

// scratchSize holds the largest generated frame: an ICMPv6 error quoting
// up to the IPv6 minimum MTU.
const scratchSize = 14 + 1280

// New returns a router without interfaces or routes.
func New(cfg Config) *Router {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ICMPRate == 0 {
		cfg.ICMPRate = 100
	}
	if cfg.ICMPBurst == 0 {
		cfg.ICMPBurst = 50
	}
	if cfg.MaxQueuedPerNeighbor <= 0 {
		cfg.MaxQueuedPerNeighbor = 3
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 256
	}
	if cfg.MaxNeighbors <= 0 {
		cfg.MaxNeighbors = 4096
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Router{cfg: cfg}
	r.rib = newRIB(&r.fib)
	r.ifs.Store(&ifaceSet{})
	r.neigh.init(r)
	r.icmp4.init(cfg.ICMPRate, cfg.ICMPBurst)
	r.icmp6.init(cfg.ICMPRate, cfg.ICMPBurst)
	r.bufs.New = func() any { b := make([]byte, scratchSize); return &b }
	r.fragBufs.New = func() any {
		b := make([]byte, header.EthernetMinSize, header.EthernetMinSize+nat.HeldFragmentSize)
		return &b
	}
	return r
}

// Routes returns the routing information base that route sources feed.
func (r *Router) Routes() *RIB { return r.rib }

// Counter returns a global counter: the sum over the interfaces, those
// removed included.
func (r *Router) Counter(c Counter) uint64 {
	n := r.global[c].Load()
	for _, f := range r.ifs.Load().byIndex {
		n += f.counters[c].Load()
	}
	return n
}

// InterfaceCounter returns a counter of one interface (0 if it does not
// exist).
func (r *Router) InterfaceCounter(ifIndex int, c Counter) uint64 {
	f := r.ifs.Load().get(ifIndex)
	if f == nil {
		return 0
	}
	return f.counters[c].Load()
}

// count adds one to a counter of interface in, or to the router's own
// counters when in is nil. (Global figures are summed when read, so the data
// path pays one atomic add per event.)
func (r *Router) count(in *iface, c Counter) {
	if in != nil {
		in.counters[c].Add(1)
		return
	}
	r.global[c].Add(1)
}

// send hands a finished frame to the Output, counting it.
func (r *Router) send(out *iface, frame []byte) {
	if err := r.cfg.Output.Send(out.Index, frame); err != nil {
		r.count(out, DropOutputError)
		return
	}
	r.count(out, TxFrames)
}
