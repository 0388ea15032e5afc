package mux

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/sdnfabric/sdnfabric/slb"
)

// An SNATLease records that the host HostPA owns the SNAT ports Port to
// Port+7 of (VIP, Protocol) for DIP: Ananta's outbound scheme, where the
// manager leases blocks of slb.SNATPortBlock ports to host agents. Replies
// to the host's SNATed connections arrive at the Mux on those ports; the
// Mux sends them to the host, which translates them back to DIP.
type SNATLease struct {
	VIP      netip.Addr
	Protocol uint8  // 6 (TCP) or 17 (UDP)
	Port     uint16 // first port of the block: a multiple of 8, at least slb.SNATFirstPort
	HostPA   netip.Addr
	VNI      uint32
	DIP      netip.Addr
}

type snatKey struct {
	vip   netip.Addr
	port  uint16 // the block's first port
	proto uint8
}

type snatTarget struct {
	lease SNATLease
	tmpl  [2]template
}

const snatShards = 16

// snatTable holds the leases, sharded by port block so that lookups
// (a read lock) rarely contend with leasing.
type snatTable struct {
	shards [snatShards]struct {
		mu sync.RWMutex
		m  map[snatKey]*snatTarget
		_  [40]byte
	}
}

func (t *snatTable) init() {
	for i := range t.shards {
		t.shards[i].m = make(map[snatKey]*snatTarget)
	}
}

func snatKeyOf(vip netip.Addr, proto uint8, port uint16) (snatKey, int) {
	first := port &^ (slb.SNATPortBlock - 1)
	return snatKey{vip: vip, port: first, proto: proto}, int(first/slb.SNATPortBlock) % snatShards
}

func (t *snatTable) lookup(vip netip.Addr, proto uint8, port uint16) *snatTarget {
	k, i := snatKeyOf(vip, proto, port)
	s := &t.shards[i]
	s.mu.RLock()
	v := s.m[k]
	s.mu.RUnlock()
	return v
}

// LeaseSNAT records l, replacing a lease of the same block.
func (m *Mux) LeaseSNAT(l SNATLease) error {
	l.HostPA = l.HostPA.Unmap()
	switch {
	case !l.VIP.IsValid() || l.VIP.Zone() != "":
		return fmt.Errorf("mux: SNAT lease VIP %v: %w", l.VIP, ErrConfig)
	case l.Protocol != protoTCP && l.Protocol != protoUDP:
		return fmt.Errorf("mux: SNAT lease protocol %d: %w", l.Protocol, ErrConfig)
	case l.Port%slb.SNATPortBlock != 0 || l.Port < slb.SNATFirstPort:
		return fmt.Errorf("mux: SNAT lease port %d is not the start of a block of %d from %d: %w", l.Port, slb.SNATPortBlock, slb.SNATFirstPort, ErrConfig)
	case l.HostPA.Is4() != m.cfg.LocalPA.Is4() || !l.HostPA.IsValid():
		return fmt.Errorf("mux: SNAT lease host PA %v is not of the local PA's family: %w", l.HostPA, ErrConfig)
	case l.VNI > slb.MaxVNI:
		return fmt.Errorf("mux: SNAT lease VNI %d: %w", l.VNI, ErrConfig)
	case !l.DIP.IsValid():
		return fmt.Errorf("mux: SNAT lease DIP %v: %w", l.DIP, ErrConfig)
	}
	t := &snatTarget{lease: l}
	for v6 := range 2 {
		tm, err := m.buildTemplate(l.HostPA, l.VNI, v6 == 1)
		if err != nil {
			return fmt.Errorf("mux: SNAT lease: %w", err)
		}
		t.tmpl[v6] = tm
	}
	k, i := snatKeyOf(l.VIP, l.Protocol, l.Port)
	s := &m.snat.shards[i]
	s.mu.Lock()
	s.m[k] = t
	s.mu.Unlock()
	return nil
}

// ReleaseSNAT forgets the lease of l's block if it is l's (same host and
// DIP), and reports whether it did.
func (m *Mux) ReleaseSNAT(l SNATLease) bool {
	k, i := snatKeyOf(l.VIP, l.Protocol, l.Port)
	s := &m.snat.shards[i]
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[k]
	if !ok || t.lease.HostPA != l.HostPA.Unmap() || t.lease.DIP != l.DIP {
		return false
	}
	delete(s.m, k)
	return true
}
