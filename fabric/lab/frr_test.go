package lab

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseFRRBFDPeers reads `show bfd peers json` as FRR 8.4's bfdd
// prints it (a session Up with one of our Muxes, one Down that never came
// up), and rejects what is not that.
func TestParseFRRBFDPeers(t *testing.T) {
	out := `[
  {"multihop":false,"peer":"192.168.100.20","local":"192.168.100.1","vrf":"default","id":1481212306,"remote-id":2893380416,
   "passive-mode":false,"status":"up","uptime":3,"diagnostic":"ok","remote-diagnostic":"ok",
   "receive-interval":100,"transmit-interval":100,"echo-receive-interval":50,"echo-transmit-interval":0,"detect-multiplier":3,
   "remote-receive-interval":100,"remote-transmit-interval":100,"remote-echo-receive-interval":0,"remote-detect-multiplier":3,
   "rtt-min":0,"rtt-avg":0,"rtt-max":0},
  {"multihop":false,"peer":"192.168.100.21","local":"192.168.100.1","vrf":"default","id":3444011926,"remote-id":0,
   "passive-mode":false,"status":"down","downtime":1,"diagnostic":"control detection time expired","remote-diagnostic":"ok",
   "receive-interval":100,"transmit-interval":100,"echo-receive-interval":50,"echo-transmit-interval":0,"detect-multiplier":3,
   "remote-receive-interval":1000,"remote-transmit-interval":1000,"remote-echo-receive-interval":0,"remote-detect-multiplier":3}
]`
	got, err := parseFRRBFDPeers([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	local := netip.MustParseAddr("192.168.100.1")
	want := []FRRBFDPeer{
		{Peer: netip.MustParseAddr("192.168.100.20"), Local: local, Status: "up", Diagnostic: "ok",
			ReceiveInterval: 100 * ms, TransmitInterval: 100 * ms, DetectMultiplier: 3,
			RemoteReceiveInterval: 100 * ms, RemoteTransmitInterval: 100 * ms, RemoteDetectMultiplier: 3},
		{Peer: netip.MustParseAddr("192.168.100.21"), Local: local, Status: "down", Diagnostic: "control detection time expired",
			ReceiveInterval: 100 * ms, TransmitInterval: 100 * ms, DetectMultiplier: 3,
			RemoteReceiveInterval: time.Second, RemoteTransmitInterval: time.Second, RemoteDetectMultiplier: 3},
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Errorf("peers (-want +got):\n%s", d)
	}
	for _, bad := range []string{"", "% Unknown command: show bfd peers json", `{"peer":"192.168.100.20"}`, `[{"peer":"192.168.100.256"}]`} {
		if _, err := parseFRRBFDPeers([]byte(bad)); err == nil {
			t.Errorf("parseFRRBFDPeers(%q) = nil error", bad)
		}
	}
}
