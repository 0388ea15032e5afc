package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// bgpPeers are the peers of a running speaker, by address, as an agent
// last programmed them (at first, as the node started with them).
type bgpPeers map[netip.Addr]Peer

func peersOf(ps []Peer) bgpPeers {
	m := bgpPeers{}
	for _, p := range ps {
		m[p.Addr] = p
	}
	return m
}

// sync makes sp's peers match want: peers no longer wanted (or whose ASN
// changed) are removed, new ones added with config's settings. A removed
// peer's session ends with a Cease; the routes it gave are withdrawn.
func (have bgpPeers) sync(ctx context.Context, sp *bgp.Speaker, want []model.BGPPeer, config func(Peer) bgp.PeerConfig) error {
	wanted := map[netip.Addr]Peer{}
	for _, p := range want {
		wanted[p.Address] = Peer{Name: p.Name, Addr: p.Address, ASN: p.ASN}
	}
	var errs []error
	for _, a := range slices.SortedFunc(maps.Keys(have), netip.Addr.Compare) {
		if w, ok := wanted[a]; ok && w.ASN == have[a].ASN {
			have[a] = w // a new name is only a name
			continue
		}
		if err := sp.RemovePeer(ctx, a); err != nil {
			errs = append(errs, fmt.Errorf("bgp peer %s: remove: %w", a, err))
			continue
		}
		delete(have, a)
	}
	for _, a := range slices.SortedFunc(maps.Keys(wanted), netip.Addr.Compare) {
		if _, ok := have[a]; ok {
			continue
		}
		if err := sp.AddPeer(config(wanted[a])); err != nil {
			errs = append(errs, fmt.Errorf("bgp peer %s: add: %w", a, err))
			continue
		}
		have[a] = wanted[a]
	}
	return errors.Join(errs...)
}

// statuses returns the sessions of sp, named after the peers.
func (have bgpPeers) statuses(sp *bgp.Speaker) []model.BGPPeerStatus {
	var out []model.BGPPeerStatus
	for _, p := range sp.Peers() {
		out = append(out, model.BGPPeerStatus{Name: have[p.Address].Name, Address: p.Address, State: p.State.String()})
	}
	slices.SortFunc(out, func(x, y model.BGPPeerStatus) int { return x.Address.Compare(y.Address) })
	return out
}
