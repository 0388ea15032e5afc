package vswitch

import (
	"fmt"
	"sync"
	"time"
)

// EndpointKind says who may reach an endpoint.
type EndpointKind uint8

// The kinds of endpoints of the seed's service model.
const (
	// Input: a public port on the service's VIP, through the load
	// balancer, to a private port of the instance.
	Input EndpointKind = iota + 1
	// Internal: a port open only to the other instances of the service
	// (the other vNICs of the same virtual network).
	Internal
)

func (k EndpointKind) String() string {
	switch k {
	case Input:
		return "input"
	case Internal:
		return "internal"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Endpoint opens a port of a vNIC inbound.
type Endpoint struct {
	Name     string
	Kind     EndpointKind
	Protocol uint8  // 6 (TCP) or 17 (UDP)
	Port     uint16 // the private port on the guest
}

func (e Endpoint) validate() error {
	switch {
	case e.Kind != Input && e.Kind != Internal:
		return fmt.Errorf("endpoint %q: kind %d", e.Name, e.Kind)
	case e.Protocol != protoTCP && e.Protocol != protoUDP:
		return fmt.Errorf("endpoint %q: protocol %d is not TCP or UDP", e.Name, e.Protocol)
	case e.Port == 0:
		return fmt.Errorf("endpoint %q: port 0", e.Name)
	}
	return nil
}

// acl is the ACL layer of one vNIC: its endpoints, and the flows the guest
// opened, whose replies it admits.
type acl struct {
	endpoints []Endpoint
	rules     []string // "input:<name>" per endpoint, made once
	timeout   int64
	max       int

	mu    sync.Mutex
	flows map[flowKey]int64 // last packet, Unix nanoseconds
	sweep int64             // when expired flows were last removed
}

// flowKey is a flow as the guest sees it.
type flowKey struct {
	proto         uint8
	local, remote [4]byte
	lport, rport  uint16
}

func (a *acl) init(eps []Endpoint, timeout time.Duration, max int) {
	a.endpoints = eps
	for _, e := range eps {
		a.rules = append(a.rules, e.Kind.String()+":"+e.Name)
	}
	a.timeout = int64(timeout)
	a.max = max
	a.flows = make(map[flowKey]int64)
}

// track remembers the flow of a packet the guest sent.
func (a *acl) track(p *packet) {
	if !p.first {
		return
	}
	k := flowKey{proto: p.proto, local: p.src().As4(), remote: p.dst().As4(), lport: p.sport(), rport: p.dport()}
	now := time.Now().UnixNano()
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.flows[k]; !ok && len(a.flows) >= a.max {
		a.expire(now)
		if len(a.flows) >= a.max {
			return // full: replies of this flow will need an endpoint
		}
	}
	a.flows[k] = now
	if now-a.sweep > a.timeout {
		a.expire(now)
	}
}

func (a *acl) expire(now int64) {
	a.sweep = now
	for k, t := range a.flows {
		if now-t > a.timeout {
			delete(a.flows, k)
		}
	}
}

// admit decides about a packet towards the guest and names the rule.
func (a *acl) admit(p *packet, viaSLB bool, vni uint32, s *Switch) (string, bool) {
	if h := s.host.Load(); h != nil && p.src() == h.addr {
		return "host", true // the host's own stack: the load balancer's probes
	}
	if p.first {
		k := flowKey{proto: p.proto, local: p.dst().As4(), remote: p.src().As4(), lport: p.dport(), rport: p.sport()}
		now := time.Now().UnixNano()
		a.mu.Lock()
		t, ok := a.flows[k]
		if ok && now-t <= a.timeout {
			a.flows[k] = now
			a.mu.Unlock()
			return "established", true
		}
		a.mu.Unlock()
	}
	dport := p.dport()
	for i, e := range a.endpoints {
		if e.Protocol != p.proto || e.Port != dport || !p.first {
			continue
		}
		switch e.Kind {
		case Input:
			if viaSLB {
				return a.rules[i], true
			}
		case Internal:
			if _, ok := s.LookupMapping(vni, p.src()); ok && !viaSLB {
				return a.rules[i], true
			}
		}
	}
	return "default deny", false
}
