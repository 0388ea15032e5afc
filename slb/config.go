package slb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/slb/flowhash"
	"github.com/sdnfabric/sdnfabric/slb/maglev"
)

// A LoadBalancer is the configuration of one software load balancer,
// modelled on the Azure Load Balancer resource: frontend VIPs, backend
// pools of DIPs, load-balancing rules, inbound NAT rules, outbound (SNAT)
// rules and health probes. Rules refer to frontends, pools and probes by
// name.
//
// The JSON form uses Azure's camelCase property names where Azure has the
// property, so that the fabric controller can embed a LoadBalancer in its
// REST resources. Addresses are netip.Addr (JSON strings such as
// "203.0.113.10"); ports are ints so that Validate, not the JSON decoder,
// reports an out-of-range port with its path; durations are integers in
// the unit their name says (idleTimeoutInMinutes, intervalInSeconds), as in
// Azure, with accessor methods returning time.Duration. A zero duration or
// weight means the documented default.
//
// Validate checks a LoadBalancer; the data path assumes a valid one.
type LoadBalancer struct {
	Name                     string              `json:"name,omitempty"`
	FrontendIPConfigurations []Frontend          `json:"frontendIPConfigurations,omitempty"`
	BackendAddressPools      []BackendPool       `json:"backendAddressPools,omitempty"`
	LoadBalancingRules       []LoadBalancingRule `json:"loadBalancingRules,omitempty"`
	InboundNatRules          []InboundNatRule    `json:"inboundNatRules,omitempty"`
	OutboundRules            []OutboundRule      `json:"outboundRules,omitempty"`
	Probes                   []Probe             `json:"probes,omitempty"`
}

// A Frontend is a VIP that the Muxes announce and accept traffic for.
type Frontend struct {
	Name string     `json:"name"`
	VIP  netip.Addr `json:"vip"` // IPv4 or IPv6, no zone
}

// A BackendPool is a set of DIPs in one tenant virtual network.
type BackendPool struct {
	Name     string    `json:"name"`
	VNI      uint32    `json:"vni"` // the tenant's VXLAN network identifier (24 bits)
	Backends []Backend `json:"backends,omitempty"`
}

// A Backend is one DIP of a pool and the host that runs it.
type Backend struct {
	// Name identifies the DIP in the Maglev table; empty means the DIP's
	// text form. It must be unique within the pool and stable.
	Name string `json:"name,omitempty"`
	// DIP is the backend's address in the tenant network.
	DIP netip.Addr `json:"dip"`
	// HostPA is the provider address of the DIP's host: the VXLAN tunnel
	// endpoint the Mux encapsulates to.
	HostPA netip.Addr `json:"hostPA"`
	// Weight is the DIP's relative share of new flows, 1 to MaxWeight;
	// 0 means 1.
	Weight uint32 `json:"weight,omitempty"`
}

// Protocol is the transport protocol a rule matches, with Azure's names.
type Protocol string

// The protocols. ProtocolAll matches TCP and UDP; a load-balancing rule
// with ProtocolAll and ports 0 is an HA-ports rule that matches every
// port.
const (
	ProtocolTCP Protocol = "Tcp"
	ProtocolUDP Protocol = "Udp"
	ProtocolAll Protocol = "All"
)

// Matches reports whether p covers IP protocol number proto (6 or 17).
func (p Protocol) Matches(proto uint8) bool {
	switch p {
	case ProtocolTCP:
		return proto == 6
	case ProtocolUDP:
		return proto == 17
	case ProtocolAll:
		return proto == 6 || proto == 17
	}
	return false
}

// Distribution is a load-balancing rule's distribution mode, with Azure's
// names (the "loadDistribution" property).
type Distribution string

// The distribution modes; empty means DistributionDefault.
const (
	DistributionDefault          Distribution = "Default"          // 5-tuple
	DistributionSourceIPProtocol Distribution = "SourceIPProtocol" // source, destination IP and protocol
	DistributionSourceIP         Distribution = "SourceIP"         // source and destination IP
)

// Mode returns the flow-hash mode that implements d.
func (d Distribution) Mode() flowhash.Mode {
	switch d {
	case DistributionSourceIPProtocol:
		return flowhash.SourceIPProtocol
	case DistributionSourceIP:
		return flowhash.SourceIP
	}
	return flowhash.FiveTuple
}

// A LoadBalancingRule spreads the flows to (frontend VIP, protocol,
// frontend port) over the healthy DIPs of a pool.
type LoadBalancingRule struct {
	Name        string   `json:"name"`
	Frontend    string   `json:"frontend"`
	BackendPool string   `json:"backendPool"`
	Probe       string   `json:"probe"`
	Protocol    Protocol `json:"protocol"`
	// FrontendPort and BackendPort are 1-65535, or both 0 with
	// ProtocolAll (HA ports: every port, not translated).
	FrontendPort int `json:"frontendPort"`
	BackendPort  int `json:"backendPort"`
	// IdleTimeoutInMinutes is 4-100; 0 means 4.
	IdleTimeoutInMinutes int          `json:"idleTimeoutInMinutes,omitempty"`
	LoadDistribution     Distribution `json:"loadDistribution,omitempty"`
	// EnableFloatingIP delivers packets with the VIP, not the DIP, as
	// destination (Direct Server Return in Azure's terms): the backend
	// owns the VIP on a loopback, and several rules may then share a
	// backend port.
	EnableFloatingIP bool `json:"enableFloatingIP,omitempty"`
	// EnableTCPReset sends a TCP RST both ways when a flow idles out
	// (the host agent does: see hostagent.Config.OnTCPReset).
	EnableTCPReset bool `json:"enableTcpReset,omitempty"`
}

// IdleTimeout returns the rule's idle timeout.
func (r LoadBalancingRule) IdleTimeout() time.Duration {
	return idleTimeout(r.IdleTimeoutInMinutes)
}

// An InboundNatRule forwards a frontend port to one DIP's port: the
// "input endpoint" of a role instance. It has two forms:
//
//   - single: FrontendPort, and DIP, which must be in BackendPool;
//   - pool: FrontendPortRangeStart to FrontendPortRangeEnd, one port per
//     DIP of BackendPool in pool order (the i-th DIP gets
//     FrontendPortRangeStart+i). Append new DIPs at the end of the pool so
//     that existing mappings stay.
type InboundNatRule struct {
	Name        string   `json:"name"`
	Frontend    string   `json:"frontend"`
	BackendPool string   `json:"backendPool"`
	Protocol    Protocol `json:"protocol"`

	FrontendPort int        `json:"frontendPort,omitempty"`
	DIP          netip.Addr `json:"dip,omitzero"`

	FrontendPortRangeStart int `json:"frontendPortRangeStart,omitempty"`
	FrontendPortRangeEnd   int `json:"frontendPortRangeEnd,omitempty"`

	BackendPort int `json:"backendPort"`
	// IdleTimeoutInMinutes is 4-100; 0 means 4.
	IdleTimeoutInMinutes int  `json:"idleTimeoutInMinutes,omitempty"`
	EnableFloatingIP     bool `json:"enableFloatingIP,omitempty"`
	EnableTCPReset       bool `json:"enableTcpReset,omitempty"`
}

// IdleTimeout returns the rule's idle timeout.
func (r InboundNatRule) IdleTimeout() time.Duration {
	return idleTimeout(r.IdleTimeoutInMinutes)
}

// Mappings yields each frontend port of the rule with the DIP it forwards
// to: one pair for the single form, one per DIP of pool (the rule's
// BackendPool) for the pool form. It assumes a valid configuration and
// allocates nothing.
func (r InboundNatRule) Mappings(pool BackendPool) iter.Seq2[int, Backend] {
	return func(yield func(int, Backend) bool) {
		if r.FrontendPort != 0 {
			for _, b := range pool.Backends {
				if b.DIP == r.DIP {
					yield(r.FrontendPort, b)
					return
				}
			}
			return
		}
		for i, b := range pool.Backends {
			if r.FrontendPortRangeStart+i > r.FrontendPortRangeEnd || !yield(r.FrontendPortRangeStart+i, b) {
				return
			}
		}
	}
}

// An OutboundRule gives the DIPs of a pool outbound connectivity by SNAT
// to the frontends' VIPs. Each DIP gets AllocatedOutboundPorts (VIP, port)
// pairs drawn from all the rule's frontends, leased to hosts in blocks of
// SNATPortBlock (Ananta's scheme). A frontend's SNAT ports are those from
// SNATFirstPort up that no inbound rule receives on; a frontend serves at
// most one outbound rule per protocol.
type OutboundRule struct {
	Name        string   `json:"name"`
	Frontends   []string `json:"frontends"`
	BackendPool string   `json:"backendPool"`
	Protocol    Protocol `json:"protocol"`
	// AllocatedOutboundPorts is the number of SNAT ports per DIP, a
	// multiple of SNATPortBlock; 0 divides the frontends' free ports
	// evenly among the pool's DIPs (see OutboundPortsPerBackend).
	AllocatedOutboundPorts int `json:"allocatedOutboundPorts,omitempty"`
	// IdleTimeoutInMinutes is 4-120; 0 means 4.
	IdleTimeoutInMinutes int  `json:"idleTimeoutInMinutes,omitempty"`
	EnableTCPReset       bool `json:"enableTcpReset,omitempty"`
}

// IdleTimeout returns the rule's idle timeout.
func (r OutboundRule) IdleTimeout() time.Duration {
	return idleTimeout(r.IdleTimeoutInMinutes)
}

// ProbeProtocol is how a probe tests a DIP.
type ProbeProtocol string

// The probe protocols: a TCP connect, or an HTTP GET of RequestPath that
// must answer 200.
const (
	ProbeTCP  ProbeProtocol = "Tcp"
	ProbeHTTP ProbeProtocol = "Http"
)

// A Probe is a health check that each host agent runs against its local
// DIPs.
type Probe struct {
	Name        string        `json:"name"`
	Protocol    ProbeProtocol `json:"protocol"`
	Port        int           `json:"port"`
	RequestPath string        `json:"requestPath,omitempty"` // HTTP only; starts with "/"
	// IntervalInSeconds is 5-3600; 0 means 15.
	IntervalInSeconds int `json:"intervalInSeconds,omitempty"`
	// ProbeThreshold is how many consecutive results change a DIP's state
	// (down after that many failures, up after that many successes), 1 to
	// MaxProbeThreshold; 0 means 1.
	ProbeThreshold int `json:"probeThreshold,omitempty"`
}

// Interval returns the time between two probes of a DIP.
func (p Probe) Interval() time.Duration {
	if p.IntervalInSeconds == 0 {
		return DefaultProbeInterval
	}
	return time.Duration(p.IntervalInSeconds) * time.Second
}

// Threshold returns the number of consecutive results that change a
// DIP's state.
func (p Probe) Threshold() int {
	return max(p.ProbeThreshold, 1)
}

// Limits and defaults. Where Azure documents a limit the value is
// Azure's; the others are ours and say so.
const (
	DefaultIdleTimeout = 4 * time.Minute
	// Idle timeouts of load-balancing and inbound NAT rules: 4-100
	// minutes; outbound rules: 4-120 minutes.
	MinIdleTimeoutInMinutes         = 4
	MaxIdleTimeoutInMinutes         = 100
	MaxOutboundIdleTimeoutInMinutes = 120

	DefaultProbeInterval      = 15 * time.Second
	MinProbeIntervalInSeconds = 5
	MaxProbeIntervalInSeconds = 3600 // ours: an hour
	MaxProbeThreshold         = 100  // ours
	MaxWeight                 = 1000 // ours; a pool's weights must also fit in a Maglev table
	MaxVNI                    = 1<<24 - 1
	SNATFirstPort             = 1024 // SNAT ports are 1024-65535 of each VIP
	SNATPortsPerVIP           = 65536 - SNATFirstPort
	SNATPortBlock             = 8       // ports are leased to hosts in blocks of 8 (Ananta)
	MaxConfigBytes            = 4 << 20 // ours: ParseLoadBalancer's input limit
)

func idleTimeout(minutes int) time.Duration {
	if minutes == 0 {
		return DefaultIdleTimeout
	}
	return time.Duration(minutes) * time.Minute
}

// Key returns the backend's name in the Maglev table: Name, or the DIP's
// text form when Name is empty.
func (b Backend) Key() string {
	if b.Name != "" {
		return b.Name
	}
	return b.DIP.String()
}

// MaglevBackends returns the pool's DIPs as Maglev backends, with their
// Keys and effective weights, in pool order.
func (p BackendPool) MaglevBackends() []maglev.Backend {
	bs := make([]maglev.Backend, len(p.Backends))
	for i, b := range p.Backends {
		bs[i] = maglev.Backend{Name: b.Key(), Weight: max(b.Weight, 1)}
	}
	return bs
}

// ParseLoadBalancer decodes a LoadBalancer from JSON, strictly (unknown
// fields and trailing data are errors, input longer than MaxConfigBytes is
// refused), and validates it. A JSON value of the wrong type (a string
// port, a negative weight) is reported as a *FieldError whose Path is the
// decoder's dotted field path, without array indexes. A validation failure returns the decoded
// configuration together with the joined *FieldError values.
func ParseLoadBalancer(data []byte) (*LoadBalancer, error) {
	if len(data) > MaxConfigBytes {
		return nil, fmt.Errorf("slb: configuration is %d bytes, more than %d", len(data), MaxConfigBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	lb := new(LoadBalancer)
	if err := dec.Decode(lb); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, &FieldError{Path: ute.Field, Err: ErrInvalid,
				Msg: fmt.Sprintf("JSON %s at byte %d does not fit a Go %s", ute.Value, ute.Offset, ute.Type)}
		}
		return nil, fmt.Errorf("slb: decoding configuration: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("slb: decoding configuration: data after the object")
	}
	return lb, lb.Validate()
}
