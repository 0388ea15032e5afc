package nat

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Filtering selects which inbound packets a mapping admits (RFC 4787
// section 5, RFC 5382 section 4.3).
type Filtering uint8

const (
	// EndpointIndependent admits packets from any external endpoint to an
	// existing mapping (RFC 4787 REQ-8: best application transparency).
	EndpointIndependent Filtering = iota
	// AddressDependent admits packets from an external address the internal
	// endpoint has sent to through the mapping, from any port.
	AddressDependent
	// AddressAndPortDependent admits packets only from an external endpoint
	// (address and port) the internal endpoint has sent to.
	AddressAndPortDependent
)

func (f Filtering) String() string {
	switch f {
	case EndpointIndependent:
		return "endpoint-independent"
	case AddressDependent:
		return "address-dependent"
	case AddressAndPortDependent:
		return "address-and-port-dependent"
	}
	return fmt.Sprintf("Filtering(%d)", uint8(f))
}

// Timeouts are the idle timers of sessions. A zero field takes its default.
// New refuses values below what the RFCs allow.
type Timeouts struct {
	// UDP is the UDP mapping timer: at least 2 minutes (RFC 4787 REQ-5),
	// default 5 minutes (REQ-5c).
	UDP time.Duration
	// TCPEstablished is the established connection idle-timeout: at least
	// 2 hours 4 minutes (RFC 5382 REQ-5), which is also the default.
	TCPEstablished time.Duration
	// TCPTransitory is the transitory connection idle-timeout (handshake,
	// both FINs seen, after RST): default 4 minutes (RFC 5382 REQ-5);
	// RFC 7857 section 2.2 allows a shorter configured value.
	TCPTransitory time.Duration
	// ICMP is the ICMP Query session timer: at least 60 seconds (RFC 5508
	// REQ-2), the default.
	ICMP time.Duration
	// Fragment is how long the translation of a fragmented datagram's
	// first fragment is remembered for its other fragments, and how long
	// an out-of-order fragment is held: default 15 seconds (RFC 791's
	// initial reassembly timer).
	Fragment time.Duration
}

// Default and minimum timeouts.
const (
	DefaultUDPTimeout            = 5 * time.Minute
	MinUDPTimeout                = 2 * time.Minute
	DefaultTCPEstablishedTimeout = 2*time.Hour + 4*time.Minute
	DefaultTCPTransitoryTimeout  = 4 * time.Minute
	DefaultICMPTimeout           = 60 * time.Second
	DefaultFragmentTimeout       = 15 * time.Second
)

// MaxExternal is the largest external pool: each address costs 24 KiB of
// port bitmaps (TCP, UDP, ICMP).
const MaxExternal = 1024

// PortRange is an inclusive range of external ports.
type PortRange struct{ Lo, Hi uint16 }

// DefaultPorts is the external port range used when Config.Ports is zero.
var DefaultPorts = PortRange{1024, 65535}

// PortForward is a static port forward: packets of protocol Proto (TCP or UDP)
// to External are sent to Internal, from any external endpoint whatever
// the Filtering. Packets from Internal leave through External (the forward
// is the endpoint's mapping), so replies and hairpinned traffic keep it.
type PortForward struct {
	Proto    uint8 // header.ProtocolTCP or header.ProtocolUDP
	External netip.AddrPort
	Internal netip.AddrPort
}

// Config configures a NAT.
type Config struct {
	// External is the pool of external IPv4 addresses. Each internal host
	// is paired with one of them (RFC 4787 REQ-2), chosen by a keyed hash.
	External []netip.Addr
	// Ports is the range external TCP and UDP ports are taken from
	// (default 1024-65535). ICMP identifiers use the whole 16-bit space.
	Ports PortRange
	// Filtering applies to TCP, UDP and ICMP queries alike.
	Filtering Filtering
	Timeouts  Timeouts
	// MaxSessions bounds the session table (default 65536). All memory is
	// allocated by New.
	MaxSessions int
	// MaxSessionsPerHost bounds the sessions of one internal address
	// (default MaxSessions/16, at least 1).
	MaxSessionsPerHost int
	// MaxFragments bounds the fragmented datagrams tracked at once
	// (default 1024) and MaxHeldFragments the out-of-order fragments held
	// (default 32, each in a HeldFragmentSize slot); when full, the oldest
	// is replaced (RFC 4787 REQ-14a).
	MaxFragments, MaxHeldFragments int
	Forwards                       []PortForward
	// ICMPSource is the source address of the ICMP errors the NAT builds
	// (AppendProhibited); default External[0].
	ICMPSource netip.Addr
	// Clock returns the current time; default time.Now. Tests pass virtual
	// time.
	Clock func() time.Time
	// Rand chooses external ports and the hash key; default a ChaCha8
	// generator seeded from crypto/rand. Ports are then unpredictable as
	// RFC 6056 and RFC 7857 section 10 ask.
	Rand *rand.Rand
}

func (c *Config) setDefaults() error {
	if len(c.External) == 0 {
		return fmt.Errorf("nat: config: no external address")
	}
	if len(c.External) > MaxExternal {
		return fmt.Errorf("nat: config: %d external addresses, more than %d", len(c.External), MaxExternal)
	}
	for i, a := range c.External {
		if slices.Contains(c.External[:i], a) {
			return fmt.Errorf("nat: config: external address %v listed twice", a)
		}
		if !a.Is4() {
			return fmt.Errorf("nat: config: external address %v is not IPv4", a)
		}
	}
	if c.Ports == (PortRange{}) {
		c.Ports = DefaultPorts
	}
	if c.Ports.Lo > c.Ports.Hi || c.Ports.Lo == 0 {
		return fmt.Errorf("nat: config: bad port range %d-%d", c.Ports.Lo, c.Ports.Hi)
	}
	if c.Filtering > AddressAndPortDependent {
		return fmt.Errorf("nat: config: unknown filtering %v", c.Filtering)
	}
	t := &c.Timeouts
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&t.UDP, DefaultUDPTimeout)
	def(&t.TCPEstablished, DefaultTCPEstablishedTimeout)
	def(&t.TCPTransitory, DefaultTCPTransitoryTimeout)
	def(&t.ICMP, DefaultICMPTimeout)
	def(&t.Fragment, DefaultFragmentTimeout)
	switch {
	case t.UDP < MinUDPTimeout:
		return fmt.Errorf("nat: config: UDP timeout %v below RFC 4787's 2 minutes", t.UDP)
	case t.TCPEstablished < DefaultTCPEstablishedTimeout:
		return fmt.Errorf("nat: config: TCP established timeout %v below RFC 5382's 2h4m", t.TCPEstablished)
	case t.TCPTransitory < time.Second:
		return fmt.Errorf("nat: config: TCP transitory timeout %v below 1s", t.TCPTransitory)
	case t.ICMP < DefaultICMPTimeout:
		return fmt.Errorf("nat: config: ICMP timeout %v below RFC 5508's 60 seconds", t.ICMP)
	case t.Fragment < time.Second:
		return fmt.Errorf("nat: config: fragment timeout %v below 1s", t.Fragment)
	}
	if c.MaxFragments == 0 {
		c.MaxFragments = 1024
	}
	if c.MaxHeldFragments == 0 {
		c.MaxHeldFragments = 32
	}
	if c.MaxFragments < 0 || c.MaxFragments > 1<<20 || c.MaxHeldFragments < 0 || c.MaxHeldFragments > 1<<12 {
		return fmt.Errorf("nat: config: MaxFragments %d (1..%d) or MaxHeldFragments %d (1..%d) out of range",
			c.MaxFragments, 1<<20, c.MaxHeldFragments, 1<<12)
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = 65536
	}
	if c.MaxSessions < 0 || c.MaxSessions > 1<<26 {
		return fmt.Errorf("nat: config: MaxSessions %d out of range 1..%d", c.MaxSessions, 1<<26)
	}
	if c.MaxSessionsPerHost == 0 {
		c.MaxSessionsPerHost = max(c.MaxSessions/16, 1)
	}
	if c.MaxSessionsPerHost < 0 {
		return fmt.Errorf("nat: config: negative MaxSessionsPerHost")
	}
	for i, f := range c.Forwards {
		if f.Proto != header.ProtocolTCP && f.Proto != header.ProtocolUDP {
			return fmt.Errorf("nat: config: forward %d: protocol %d is not TCP or UDP", i, f.Proto)
		}
		if !f.External.Addr().Is4() || !f.Internal.Addr().Is4() {
			return fmt.Errorf("nat: config: forward %d: addresses must be IPv4", i)
		}
		found := false
		for _, a := range c.External {
			found = found || a == f.External.Addr()
		}
		if !found {
			return fmt.Errorf("nat: config: forward %d: %v is not an external address", i, f.External.Addr())
		}
	}
	if !c.ICMPSource.IsValid() {
		c.ICMPSource = c.External[0]
	}
	if !c.ICMPSource.Is4() {
		return fmt.Errorf("nat: config: ICMP source %v is not IPv4", c.ICMPSource)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Rand == nil {
		var seed [32]byte
		cryptoRead(seed[:])
		c.Rand = rand.New(rand.NewChaCha8(seed))
	}
	return nil
}
