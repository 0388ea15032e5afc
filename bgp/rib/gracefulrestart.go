package rib

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Graceful restart (RFC 4724), the receiving side: when a peer that can
// restart gracefully loses its session, its paths stay in the RIB marked
// stale (MarkStale) and keep forwarding; the new session takes the same
// PeerID back (Reattach), every path it sends again is fresh, and its
// End-of-RIB for a family drops the paths still stale (SweepStale). A
// restart timer that expires first sweeps them all, and RemovePeer ends
// the peer.

// MarkStale marks every path of the peer in the given families stale and
// stops taking UPDATEs from it until Reattach; paths in other families are
// withdrawn (the peer did not preserve their forwarding state). It returns
// the number of paths kept.
func (r *RIB) MarkStale(id PeerID, keep []wire.Family) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(id) >= len(r.peers) {
		return 0, fmt.Errorf("%w %d", ErrUnknownPeer, id)
	}
	r.peers[id].up = false
	n := 0
	var drop []wire.NLRI
	for p, d := range r.tab.all {
		for i := range d.paths {
			x := &d.paths[i]
			if x.peer != id {
				continue
			}
			if slices.Contains(keep, familyOf(p)) {
				if !x.stale {
					x.stale = true
					r.peers[id].nst++
				}
				n++
			} else {
				drop = append(drop, wire.NLRI{Prefix: p, PathID: x.pathID})
			}
		}
	}
	for _, nl := range drop {
		r.forgetPre(id, nl)
		r.withdraw(id, nl.Prefix, nl.PathID)
	}
	return n, nil
}

// Reattach lets the peer send UPDATEs again after MarkStale, with cfg's
// configuration (Addr, ASN and RouterID of the new session). Its stale
// paths stay until they are sent again or swept.
func (r *RIB) Reattach(id PeerID, cfg PeerConfig) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(id) >= len(r.peers) {
		return fmt.Errorf("%w %d", ErrUnknownPeer, id)
	}
	pr := &r.peers[id]
	pre := pr.pre
	if cfg.SoftReconfig && pre == nil {
		pre = make(map[nlriKey]*AttrSet)
	}
	n, nst := pr.n, pr.nst
	*pr = peer{cfg: cfg, ebgp: cfg.ASN != r.opts.LocalASN, up: true, n: n, nst: nst, pre: pre}
	return nil
}

// SweepStale withdraws the peer's paths in family fam that are still
// stale (at its End-of-RIB for fam, or when its restart timer expires) and
// returns how many it removed.
func (r *RIB) SweepStale(id PeerID, fam wire.Family) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(id) >= len(r.peers) {
		return 0, fmt.Errorf("%w %d", ErrUnknownPeer, id)
	}
	if r.peers[id].nst == 0 {
		return 0, nil // nothing stale: no need to scan the table
	}
	var drop []wire.NLRI
	for p, d := range r.tab.all {
		if familyOf(p) != fam {
			continue
		}
		for _, x := range d.paths {
			if x.peer == id && x.stale {
				drop = append(drop, wire.NLRI{Prefix: p, PathID: x.pathID})
			}
		}
	}
	for _, nl := range drop {
		r.forgetPre(id, nl)
		r.withdraw(id, nl.Prefix, nl.PathID)
	}
	return len(drop), nil
}

// dropFamily withdraws every path of the peer in family f.
func (r *RIB) dropFamily(id PeerID, f wire.Family) {
	var drop []wire.NLRI
	for p, d := range r.tab.all {
		if familyOf(p) != f {
			continue
		}
		for _, x := range d.paths {
			if x.peer == id {
				drop = append(drop, wire.NLRI{Prefix: p, PathID: x.pathID})
			}
		}
	}
	for _, nl := range drop {
		r.forgetPre(id, nl)
		r.withdraw(id, nl.Prefix, nl.PathID)
	}
}

// Stale returns the number of the peer's stale paths.
func (r *RIB) Stale(id PeerID) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if int(id) >= len(r.peers) {
		return 0
	}
	return r.peers[id].nst
}

// unstale clears a path's stale mark (it was sent again, or goes).
func (r *RIB) unstale(x *path) {
	if x.stale {
		x.stale = false
		r.peers[x.peer].nst--
	}
}

func familyOf(p netip.Prefix) wire.Family {
	if p.Addr().Is4() {
		return wire.IPv4Unicast
	}
	return wire.IPv6Unicast
}
