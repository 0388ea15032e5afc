package bgp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/bgp/policy"
	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// ErrNoRIB is returned by SetImportPolicy on a speaker without Config.RIB.
var ErrNoRIB = errors.New("bgp: the speaker has no RIB")

// exportPolicy applies the peer's export policy to one prefix going out
// with attrs: the attributes to send, or ok false when the policy rejects
// it. Without a policy every announced prefix goes out: calling Announce
// is the configuration that exports it (RFC 8212 asks for exactly that:
// nothing is sent to an eBGP peer that configuration does not name).
func (p *peer) exportPolicy(prefix netip.Prefix, attrs wire.Attributes) (wire.Attributes, bool) {
	pol := p.cfg.Export
	if pol == nil {
		return attrs, true
	}
	r := policy.Route{Prefix: prefix, Attrs: attrs}
	if pol.Apply(&r) == policy.Reject {
		return wire.Attributes{}, false
	}
	return r.Attrs, true
}

// call runs f on the peer's goroutine and waits for it.
func (p *peer) call(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case p.cmds <- func() { f(); close(done) }:
	case <-p.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Speaker) peer(addr netip.Addr) (*peer, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.peers[addr]
	if p == nil {
		return nil, fmt.Errorf("%w: %v", ErrNoSuchPeer, addr)
	}
	return p, nil
}

// SetExportPolicy replaces the peer's export policy and brings what the
// peer has from us in line with it at once: prefixes the new policy
// rejects are withdrawn, the others sent again with its changes.
func (s *Speaker) SetExportPolicy(ctx context.Context, addr netip.Addr, pol *policy.Policy) error {
	p, err := s.peer(addr)
	if err != nil {
		return err
	}
	return p.call(ctx, func() {
		p.cfg.Export = pol
		for _, c := range []*conn{p.main, p.second} {
			if c != nil && c.up {
				for pfx := range c.sent {
					c.sent[pfx] = nil // differs from every announced set: sent again
				}
				p.syncRoutes(c)
			}
		}
	})
}

// SetImportPolicy replaces the peer's import policy in Config.RIB (and
// for its later sessions). A peer with PeerConfig.RIB.SoftReconfig has its
// paths re-evaluated from the pre-policy Adj-RIB-In at once; any other is
// sent a ROUTE-REFRESH (RFC 2918) for each family of its session, so its
// paths come again through the new policy.
func (s *Speaker) SetImportPolicy(ctx context.Context, addr netip.Addr, pol *policy.Policy, allowWithoutPolicy bool) error {
	r := s.cfg.RIB
	if r == nil {
		return ErrNoRIB
	}
	p, err := s.peer(addr)
	if err != nil {
		return err
	}
	var result error
	err = p.call(ctx, func() {
		p.cfg.RIB.Import, p.cfg.RIB.AllowWithoutPolicy = pol, allowWithoutPolicy
		c := p.main
		if c == nil || !c.up || c.link == nil {
			return
		}
		c.link.ribMu.Lock()
		id, ok := c.link.ribID, c.link.ribOK && !c.link.ribGone
		c.link.ribMu.Unlock()
		if !ok {
			return // no path from this session yet: the next ones meet the new policy
		}
		switch err := r.SetImportPolicy(id, pol, allowWithoutPolicy); {
		case errors.Is(err, rib.ErrNoSoftReconfig):
			if !c.peerOpen.RouteRefresh {
				result = fmt.Errorf("bgp: %v keeps no pre-policy paths and does not support route refresh: reset the session to apply the policy", addr)
				return
			}
			for _, fam := range c.families(p) {
				msg, err := wire.RouteRefresh{Family: fam, Subtype: wire.RefreshNormal}.Append(nil)
				if err == nil {
					c.send(p, msg)
				}
			}
			p.log.Info("import policy changed: ROUTE-REFRESH sent")
		case err != nil:
			result = err
		}
	})
	if err != nil {
		return err
	}
	return result
}
