package header

import (
	"errors"
	"net/netip"
	"testing"
)

func TestARP(t *testing.T) {
	eth, err := ParseEthernet(arpRequest())
	if err != nil || eth.EtherType() != EtherTypeARP || !eth.Destination().IsBroadcast() {
		t.Fatalf("ethernet: %v", err)
	}
	a, err := ParseARP(eth.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if a.Op() != ARPRequest || a.SenderIP() != netip.MustParseAddr("10.0.0.1") || a.TargetIP() != netip.MustParseAddr("10.0.0.2") ||
		a.SenderMAC() != (MAC{2, 0, 0, 0, 0, 1}) || !a.TargetMAC().IsZero() || a.IsGratuitous() || a.IsProbe() {
		t.Fatalf("request fields: %v %v %v %v %v", a.Op(), a.SenderIP(), a.TargetIP(), a.SenderMAC(), a.TargetMAC())
	}
	own := MAC{2, 0, 0, 0, 0, 2}
	buf := make([]byte, ARPSize)
	r, err := InitARPReply(buf, a, own)
	if err != nil {
		t.Fatal(err)
	}
	if r.Op() != ARPReply || r.SenderMAC() != own || r.SenderIP() != a.TargetIP() || r.TargetMAC() != a.SenderMAC() || r.TargetIP() != a.SenderIP() {
		t.Fatalf("reply %x", []byte(r))
	}
	g, _ := InitGratuitousARP(make([]byte, ARPSize), own, netip.MustParseAddr("10.0.0.9"))
	if !g.IsGratuitous() || g.Op() != ARPRequest {
		t.Fatal("gratuitous")
	}
	pr, _ := InitARPRequest(make([]byte, ARPSize), own, netip.IPv4Unspecified(), netip.MustParseAddr("10.0.0.9"))
	if !pr.IsProbe() {
		t.Fatal("probe")
	}
	if _, err := InitARP(make([]byte, 27), ARPRequest, own, netip.IPv4Unspecified(), MAC{}, netip.IPv4Unspecified()); !errors.Is(err, ErrTruncated) {
		t.Fatal(err)
	}
}
