package rib

import (
	"errors"
	"fmt"
	"iter"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/bgp/policy"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Errors of the import side.
var (
	ErrMaxPrefix      = errors.New("rib: maximum number of prefixes reached")
	ErrNoSoftReconfig = errors.New("rib: peer keeps no pre-policy Adj-RIB-In")
)

// MaxPrefixError reports a peer that went beyond its MaxPrefixes: the
// session should send Cease / Maximum Number of Prefixes Reached (RFC 4486
// subcode 1) and remove the peer.
type MaxPrefixError struct {
	Peer     PeerID
	Limit    int
	Accepted int
}

func (e *MaxPrefixError) Error() string {
	return fmt.Sprintf("rib: peer %d has %d paths, more than its limit of %d", e.Peer, e.Accepted, e.Limit)
}

func (e *MaxPrefixError) Unwrap() error { return ErrMaxPrefix }

// nlriKey identifies a path of one peer: the prefix and its path ID.
type nlriKey struct {
	prefix netip.Prefix
	pathID uint32
}

// admit runs a received path through the pre-policy Adj-RIB-In, the loop
// checks and the import policy, and stores or withdraws it.
func (r *RIB) admit(id PeerID, n wire.NLRI, set *AttrSet, loop bool) error {
	pr := &r.peers[id]
	n.Prefix = n.Prefix.Masked()
	if pr.pre != nil {
		k := nlriKey{n.Prefix, n.PathID}
		if old := pr.pre[k]; old != set {
			if old != nil {
				r.intern.release(old)
			}
			set.refs++
			pr.pre[k] = set
		}
	}
	if loop {
		r.withdraw(id, n.Prefix, n.PathID)
		return nil
	}
	return r.importPath(id, n, set)
}

// importPath applies the peer's import policy to one path and stores the
// result, or withdraws the path when the policy rejects it.
func (r *RIB) importPath(id PeerID, n wire.NLRI, set *AttrSet) error {
	pr := &r.peers[id]
	use := set
	switch pol := pr.cfg.Import; {
	case pol == nil && pr.ebgp && !pr.cfg.AllowWithoutPolicy:
		r.withdraw(id, n.Prefix, n.PathID) // RFC 8212
		return nil
	case pol != nil:
		if r.decoded != set {
			r.decoded, r.decodedAttrs = set, set.Attributes()
		}
		route := policy.Route{Prefix: n.Prefix, Attrs: r.decodedAttrs}
		if pol.Apply(&route) == policy.Reject {
			r.withdraw(id, n.Prefix, n.PathID)
			return nil
		}
		if route.Changed {
			s, err := r.internAttributes(n, &route.Attrs)
			if err != nil {
				// The policy made attributes that do not encode (a
				// path too long, say): the path cannot be kept.
				r.withdraw(id, n.Prefix, n.PathID)
				return fmt.Errorf("rib: import policy result for %v: %w", n.Prefix, err)
			}
			use = s
			defer r.intern.release(s) // announce takes its own reference
		}
	}
	r.announce(id, n, use, false)
	if limit := pr.cfg.MaxPrefixes; limit > 0 && pr.n > limit {
		return &MaxPrefixError{Peer: id, Limit: limit, Accepted: pr.n}
	}
	return nil
}

// internAttributes interns attributes that a policy built, with one
// reference, by encoding them as an UPDATE and canonicalizing that.
func (r *RIB) internAttributes(n wire.NLRI, attrs *wire.Attributes) (*AttrSet, error) {
	u, err := encodeUpdate(n, attrs)
	if err != nil {
		return nil, err
	}
	nh, ll := attrs.NextHop, attrs.LinkLocal
	return r.intern.intern(r.policyCanon.encode(r.policyCanon.base(&u), nh, ll)), nil
}

// encodeUpdate builds and parses an UPDATE announcing n with attrs.
func encodeUpdate(n wire.NLRI, attrs *wire.Attributes) (wire.Update, error) {
	fam := wire.IPv4Unicast
	if n.Prefix.Addr().Is6() {
		fam = wire.IPv6Unicast
	} else if !n.Prefix.Addr().Is4() {
		return wire.Update{}, ErrFamily
	}
	b := wire.UpdateBuilder{Family: fam, Attrs: attrs, NLRI: []wire.NLRI{n}}
	eo := wire.EncodeOptions{AS4: true, ExtendedMessage: true}
	do := wire.DecodeOptions{AS4: true, ExtendedMessage: true}
	if n.PathID != 0 {
		eo.AddPath = eo.AddPath.With(fam)
		do.AddPath = do.AddPath.With(fam)
	}
	if fam == wire.IPv4Unicast && attrs.NextHop.Is6() {
		eo.ExtendedNextHop = eo.ExtendedNextHop.With(fam)
		do.ExtendedNextHop = do.ExtendedNextHop.With(fam)
	}
	msg, _, err := b.Append(nil, &eo)
	if err != nil {
		return wire.Update{}, err
	}
	return wire.ParseUpdate(msg, &do)
}

// forgetPre drops a withdrawn path from the pre-policy Adj-RIB-In.
func (r *RIB) forgetPre(id PeerID, n wire.NLRI) {
	pr := &r.peers[id]
	k := nlriKey{n.Prefix.Masked(), n.PathID}
	if s, ok := pr.pre[k]; ok {
		r.intern.release(s)
		delete(pr.pre, k)
	}
}

// SetImportPolicy replaces the peer's import policy and, for a peer with
// SoftReconfig, applies it at once to every path the peer sent (soft
// reconfiguration inbound). Without SoftReconfig it returns
// ErrNoSoftReconfig after changing the policy: the caller asks the peer
// for its routes again with a ROUTE-REFRESH (RFC 2918), and they go
// through the new policy as they arrive.
func (r *RIB) SetImportPolicy(id PeerID, pol *policy.Policy, allowWithoutPolicy bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(id) >= len(r.peers) {
		return fmt.Errorf("%w %d", ErrUnknownPeer, id)
	}
	pr := &r.peers[id]
	pr.cfg.Import, pr.cfg.AllowWithoutPolicy = pol, allowWithoutPolicy
	r.decoded = nil
	if pr.pre == nil {
		return ErrNoSoftReconfig
	}
	var err error
	for k, set := range pr.pre {
		n := wire.NLRI{Prefix: k.prefix, PathID: k.pathID}
		if r.looped(id, set) {
			continue
		}
		if e := r.importPath(id, n, set); e != nil {
			err = e
		}
	}
	return err
}

// Accepted returns the number of the peer's paths after import (for a
// max-prefix warning threshold).
func (r *RIB) Accepted(id PeerID) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if int(id) >= len(r.peers) {
		return 0
	}
	return r.peers[id].n
}

// PathCount returns the number of paths in the RIB, every peer's.
func (r *RIB) PathCount() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := 0
	for i := range r.peers {
		n += r.peers[i].n
	}
	return n
}

// AdjRIBIn yields the peer's paths: as received (prePolicy, for a peer
// with SoftReconfig) or as accepted by the import policy. It yields from a
// snapshot taken under the read lock.
func (r *RIB) AdjRIBIn(id PeerID, prePolicy bool) iter.Seq2[netip.Prefix, Path] {
	type entry struct {
		p netip.Prefix
		x Path
	}
	var snap []entry
	r.mu.RLock()
	if int(id) < len(r.peers) {
		if prePolicy {
			for k, s := range r.peers[id].pre {
				snap = append(snap, entry{k.prefix, Path{Peer: id, PathID: k.pathID, Attrs: s}})
			}
		} else {
			for p, d := range r.tab.all {
				for _, x := range d.paths {
					if x.peer == id {
						snap = append(snap, entry{p, x.value()})
					}
				}
			}
		}
	}
	r.mu.RUnlock()
	return func(yield func(netip.Prefix, Path) bool) {
		for _, e := range snap {
			if !yield(e.p, e.x) {
				return
			}
		}
	}
}
