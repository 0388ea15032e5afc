package runtime

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/mux"
	"github.com/sdnfabric/sdnfabric/slb/snat"
)

// allocatedSNAT serves SNAT port blocks in a runtime that runs a part of
// the topology (Options.Nodes): one SNAT manager per process could not
// tell the Muxes of other processes of its leases, nor keep two hosts'
// leases apart. The blocks are those the controller allocated instead
// (model.SNATAllocation, the outbound rules' AllocatedOutboundPorts per
// DIP): a host's agent hands its DIPs' allocations to this table, which
// implements hostagent.Leaser from them, and every Mux's agent programs
// every block of the load balancers it serves from its slice (see
// muxLeases), so the return traffic of a SNATed flow reaches the DIP's
// host whichever process runs the Mux. An allocation holds the same ports
// for TCP and UDP.
type allocatedSNAT struct {
	mu     sync.Mutex
	blocks map[allocKey][]uint16 // first ports, by rule and DIP
	vips   map[allocKey]netip.Addr
	leased map[snat.Block]bool
}

type allocKey struct {
	rule string
	dip  netip.Addr
}

// allocatedTerm is the term of a lease of an allocated block: the block
// is the DIP's for as long as the controller's allocation holds, so the
// term only paces the host agent's renewals, which check that.
const allocatedTerm = time.Hour

func newAllocatedSNAT() *allocatedSNAT {
	return &allocatedSNAT{blocks: map[allocKey][]uint16{}, vips: map[allocKey]netip.Addr{}, leased: map[snat.Block]bool{}}
}

// set replaces the allocations (a host slice's SNAT). A leased block no
// longer allocated is refused at its next renewal.
func (s *allocatedSNAT) set(allocs []model.SNATAllocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.blocks)
	clear(s.vips)
	for _, a := range allocs {
		k := allocKey{a.Rule, a.DIP}
		s.vips[k] = a.VIP
		for i := range a.Blocks {
			s.blocks[k] = append(s.blocks[k], uint16(a.FirstPort+i*slb.SNATPortBlock))
		}
	}
}

// allocated reports whether b belongs to the allocation of (rule, dip).
func (s *allocatedSNAT) allocated(k allocKey, b snat.Block) bool {
	if s.vips[k] != b.VIP {
		return false
	}
	for _, first := range s.blocks[k] {
		if first == b.First {
			return true
		}
	}
	return false
}

// Lease implements hostagent.Leaser: the first free block of the DIP's
// allocation under the rule.
func (s *allocatedSNAT) Lease(_ context.Context, req snat.Request) (snat.Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := allocKey{req.Rule, req.DIP}
	firsts, ok := s.blocks[k]
	if !ok {
		return snat.Lease{}, fmt.Errorf("runtime: no SNAT allocation of rule %s for %s: %w", req.Rule, req.DIP, snat.ErrUnknown)
	}
	for _, first := range firsts {
		b := snat.Block{VIP: s.vips[k], Protocol: req.Protocol, First: first}
		if !s.leased[b] {
			s.leased[b] = true
			return snat.Lease{Block: b, LoadBalancer: req.LoadBalancer, Rule: req.Rule, Host: req.Host, VNI: req.VNI, DIP: req.DIP,
				Expires: time.Now().Add(allocatedTerm)}, nil
		}
	}
	return snat.Lease{}, fmt.Errorf("runtime: SNAT allocation of rule %s for %s: %w", req.Rule, req.DIP, snat.ErrQuota)
}

// Renew implements hostagent.Leaser: a block still allocated is renewed.
func (s *allocatedSNAT) Renew(_ context.Context, l snat.Lease) (snat.Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leased[l.Block] || !s.allocated(allocKey{l.Rule, l.DIP}, l.Block) {
		delete(s.leased, l.Block)
		return snat.Lease{}, fmt.Errorf("runtime: SNAT block %s: %w", l.Block, snat.ErrNotLeased)
	}
	l.Expires = time.Now().Add(allocatedTerm)
	return l, nil
}

// Release implements hostagent.Leaser.
func (s *allocatedSNAT) Release(_ context.Context, l snat.Lease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.leased, l.Block)
	return nil
}

// muxLeases are the Mux leases of every block allocated to the DIPs of
// lbs' outbound rules (allocs by load balancer), for TCP and UDP: the
// host and VNI of a DIP come from the rule's backend pool.
func muxLeases(lbs []slb.LoadBalancer, allocs map[string][]model.SNATAllocation) map[mux.SNATLease]bool {
	out := map[mux.SNATLease]bool{}
	for _, lb := range lbs {
		pools := map[string]slb.BackendPool{}
		for _, p := range lb.BackendAddressPools {
			pools[p.Name] = p
		}
		rules := map[string]string{} // outbound rule -> pool
		for _, r := range lb.OutboundRules {
			rules[r.Name] = r.BackendPool
		}
		for _, a := range allocs[lb.Name] {
			pool, ok := pools[rules[a.Rule]]
			if !ok {
				continue
			}
			for _, b := range pool.Backends {
				if b.DIP != a.DIP {
					continue
				}
				for i := range a.Blocks {
					for _, proto := range []uint8{header.ProtocolTCP, header.ProtocolUDP} {
						out[mux.SNATLease{VIP: a.VIP, Protocol: proto, Port: uint16(a.FirstPort + i*slb.SNATPortBlock),
							HostPA: b.HostPA, VNI: pool.VNI, DIP: a.DIP}] = true
					}
				}
			}
		}
	}
	return out
}
