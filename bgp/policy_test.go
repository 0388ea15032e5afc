package bgp

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/policy"
	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// nextChange reads UPDATEs until one announces or withdraws something and
// returns what it announced and withdrew.
func nextChange(t *testing.T, r rawPeer) (announced, withdrawn []netip.Prefix) {
	t.Helper()
	for len(announced)+len(withdrawn) == 0 {
		u, err := wire.ParseUpdate(r.recvType(wire.TypeUpdate), &wire.DecodeOptions{AS4: true, EBGP: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range u.Reachable() {
			announced = append(announced, n.Prefix)
		}
		for _, n := range u.Unreachable() {
			withdrawn = append(withdrawn, n.Prefix)
		}
	}
	return announced, withdrawn
}

// TestExportPolicy: a peer's export policy keeps prefixes from it, and
// replacing the policy withdraws or sends them at once.
func TestExportPolicy(t *testing.T) {
	checkGoroutines(t)
	s, _, r := establishRaw(t)
	ctx := context.Background()
	onlyVIPs := &policy.Policy{Statements: []policy.Statement{{
		Match:  policy.Match{Prefixes: []policy.PrefixRange{{Prefix: netip.MustParsePrefix("198.51.100.0/24"), GE: 32}}},
		Result: policy.Accept,
	}}, Default: policy.Reject}
	if err := s.SetExportPolicy(ctx, loB, onlyVIPs); err != nil {
		t.Fatal(err)
	}
	vip, other := netip.MustParsePrefix("198.51.100.7/32"), netip.MustParsePrefix("203.0.113.0/24")
	if err := s.Announce(other, wire.Attributes{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Announce(vip, wire.Attributes{}); err != nil {
		t.Fatal(err)
	}
	if a, _ := nextChange(t, r); len(a) != 1 || a[0] != vip {
		t.Fatalf("announced %v, want only %v", a, vip)
	}
	if err := s.SetExportPolicy(ctx, loB, nil); err != nil {
		t.Fatal(err)
	}
	// Everything is sent again after a policy change (the VIP as an
	// implicit replacement).
	if a, _ := nextChange(t, r); !slices.Contains(a, other) {
		t.Fatalf("without the policy: announced %v, want %v among them", a, other)
	}
	if err := s.SetExportPolicy(ctx, loB, &policy.Policy{Default: policy.Reject}); err != nil {
		t.Fatal(err)
	}
	var gone []netip.Prefix
	for len(gone) < 2 {
		_, w := nextChange(t, r)
		gone = append(gone, w...)
	}
}

// TestImportPolicyRouteRefresh: a new import policy on a peer without
// soft reconfiguration sends it a ROUTE-REFRESH, and what it sends again
// meets the new policy.
func TestImportPolicyRouteRefresh(t *testing.T) {
	checkGoroutines(t)
	s, rb, sub, ln := ribSpeaker(t, Config{}, PeerConfig{RIB: rib.PeerConfig{Import: &policy.Policy{Default: policy.Reject}}})
	r := acceptRaw(t, ln, sub, wire.Capabilities{RouteRefresh: true})
	r.send(update(0, 1))
	r.send(wire.AppendKeepalive(nil))
	time.Sleep(50 * time.Millisecond)
	if rb.Len() != 0 {
		t.Fatal("the rejecting policy let a path in")
	}
	if err := s.SetImportPolicy(context.Background(), loB, &policy.Policy{Default: policy.Accept}, false); err != nil {
		t.Fatal(err)
	}
	rr, err := wire.ParseRouteRefresh(r.recvType(wire.TypeRouteRefresh), wire.MaxMessageLen)
	if err != nil || rr.Family != wire.IPv4Unicast {
		t.Fatalf("ROUTE-REFRESH %+v (%v), want one for IPv4 unicast", rr, err)
	}
	r.send(update(0, 1))
	eventually(t, "the path through the new policy", func() bool { return rb.Len() == 1 })
}
