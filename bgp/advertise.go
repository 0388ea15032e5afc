package bgp

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// learnedQueue is a peer's set of prefixes whose best path in Config.RIB
// changed since the peer's session last caught up (bounded by the number
// of prefixes), or "all" after the session came up.
type learnedQueue struct {
	mu      sync.Mutex
	pending map[netip.Prefix]struct{}
	all     bool
}

func (q *learnedQueue) mark(p netip.Prefix) {
	q.mu.Lock()
	if !q.all {
		if q.pending == nil {
			q.pending = make(map[netip.Prefix]struct{})
		}
		q.pending[p] = struct{}{}
	}
	q.mu.Unlock()
}

func (q *learnedQueue) markAll() {
	q.mu.Lock()
	q.all, q.pending = true, nil
	q.mu.Unlock()
}

func (q *learnedQueue) take() (ps []netip.Prefix, all bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for p := range q.pending {
		ps = append(ps, p)
	}
	all, q.all, q.pending = q.all, false, nil
	return ps, all
}

// followRIB feeds every peer's learnedQueue from Config.RIB's changes
// (Config.AdvertiseLearned) until the speaker stops.
func (s *Speaker) followRIB(sub *rib.Subscription) {
	defer s.wg.Done()
	defer sub.Close()
	for {
		changes, err := sub.Next(s.ctx)
		if err != nil {
			return
		}
		s.mu.RLock()
		for _, p := range s.peers {
			for _, c := range changes {
				p.learned.mark(c.Prefix)
			}
		}
		s.mu.RUnlock()
		s.touchPeers()
	}
}

// syncLearned appends to batch the UPDATEs that bring the session in line
// with Config.RIB's best paths (Config.AdvertiseLearned): each changed
// prefix is announced as rib.Export and the peer's export policy make it,
// or withdrawn. A prefix the speaker announces itself (Announce) is left
// to syncRoutes. Learned paths go to an eBGP peer only through an export
// policy (RFC 8212) unless PeerConfig.RIB.AllowWithoutPolicy.
func (p *peer) syncLearned(c *conn, batch []byte) []byte {
	r := p.s.cfg.RIB
	prefixes, all := p.learned.take()
	if all {
		prefixes = prefixes[:0]
		for pfx := range r.LocRIB() {
			prefixes = append(prefixes, pfx)
		}
	}
	if len(prefixes) == 0 || c.link == nil {
		return batch
	}
	to, ok := c.link.ribPeer(p, c.peerOpen)
	if !ok {
		return batch
	}
	allowed := !p.cfg.ebgp() || p.cfg.Export != nil || p.cfg.RIB.AllowWithoutPolicy
	fams := c.families(p)
	p.s.mu.RLock()
	local := func(pfx netip.Prefix) bool { _, ok := p.s.table[pfx]; return ok }
	prefixes = slices.DeleteFunc(prefixes, local)
	p.s.mu.RUnlock()
	for _, pfx := range prefixes {
		fam := familyOf(pfx)
		if !slices.Contains(fams, fam) {
			continue
		}
		n := wire.NLRI{Prefix: pfx, PathID: c.pathID(fam)}
		b := wire.UpdateBuilder{Family: fam, Withdrawn: []wire.NLRI{n}}
		if best, _, found := r.Best(pfx); found && allowed {
			attrs, ok := r.Export(to, best, rib.ExportConfig{LocalAddr: c.link.local.Addr()})
			if ok {
				attrs, ok = p.exportPolicy(pfx, attrs)
			}
			if ok {
				b = wire.UpdateBuilder{Family: fam, Attrs: &attrs, NLRI: []wire.NLRI{n}}
			}
		}
		if all && b.NLRI == nil {
			continue // a new session has nothing from us to withdraw
		}
		out, _, err := b.Append(batch, &c.enc)
		if err != nil {
			p.log.Error("encoding a learned route", "prefix", pfx, "err", err)
			continue
		}
		batch = out
	}
	return batch
}
