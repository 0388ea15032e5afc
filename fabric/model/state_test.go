package model

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStateLookups(t *testing.T) {
	s, err := NewState(readSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	addrCmp := cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
	pfxCmp := cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })
	for _, tt := range []struct {
		nic  string
		want Attachment
	}{
		{"clientvm", Attachment{Prefix: prefix("192.168.200.0/24"), Gateway: addr("192.168.200.1"), MTU: 1500}},
		{"internetvm", Attachment{Prefix: prefix("203.0.113.0/24"), Gateway: addr("203.0.113.2"), MTU: 1500}},
		{"portalvm1", Attachment{Prefix: prefix("10.1.0.0/24"), Gateway: addr("10.1.0.1"), VNI: 5001, HostPA: addr("192.168.100.21"), MTU: 1500}},
	} {
		got, ok := s.Attachment(tt.nic)
		if !ok {
			t.Fatalf("no attachment for %s", tt.nic)
		}
		if diff := cmp.Diff(tt.want, got, addrCmp, pfxCmp); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.nic, diff)
		}
	}
	if _, ok := s.Attachment("nope"); ok {
		t.Error("attachment of a missing NIC")
	}
	ms := s.Mappings("portal-vnet")
	if len(ms) != 2 || ms[0].CA != addr("10.1.0.4") || ms[0].HostPA != addr("192.168.100.21") || ms[1].NIC != "portalvm2" || ms[1].MAC.IsZero() {
		t.Errorf("mappings %+v", ms)
	}
	if lbs := s.MuxLoadBalancers("mux1"); len(lbs) != 1 || lbs[0].Name != "portal" {
		t.Errorf("mux1 serves %+v", lbs)
	}
	if got := s.Names(KindGateway); !cmp.Equal(got, []string{"bgpvm", "natvm"}) {
		t.Errorf("gateways %v", got)
	}
	if _, ok := s.Object(KindMux, "mux1"); !ok {
		t.Error("no Mux/mux1")
	}
	g, _ := s.Gateway("natvm")
	if !g.HasRole(RoleNAT) || len(g.NAT.Pool(g.Interfaces)) != 1 || g.NAT.Pool(g.Interfaces)[0] != addr("203.0.113.2") {
		t.Errorf("natvm NAT pool %v", g.NAT.Pool(g.Interfaces))
	}
	// The configuration handed out is a copy.
	lb, _ := s.LoadBalancerConfig("portal")
	lb.BackendAddressPools[0].Backends[0].DIP = addr("10.9.9.9")
	if again, _ := s.LoadBalancerConfig("portal"); again.BackendAddressPools[0].Backends[0].DIP != addr("10.1.0.4") {
		t.Error("LoadBalancerConfig shares its backends")
	}
	p, _ := s.PublicIPPool("public")
	if first, last := p.Range(); first != addr("192.168.102.10") || last != addr("192.168.102.250") || p.Contains(addr("192.168.102.9")) {
		t.Errorf("pool range %s-%s", first, last)
	}
	if first, last := (PublicIPPoolSpec{Prefix: prefix("198.51.100.0/24")}).Range(); first != addr("198.51.100.1") || last != addr("198.51.100.254") {
		t.Errorf("default range %s-%s", first, last)
	}
}
