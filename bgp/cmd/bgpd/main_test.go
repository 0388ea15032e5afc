package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{`{}`, "router_id"},
		{`{"asn": 1, "router_id": "10.0.0.1", "bogus": 1}`, "unknown field"},
		{`{"asn": 1, "router_id": "10.0.0.1", "peers": [{"address": "10.0.0.2"}]}`, "peers[0]"},
		{`{"asn": 1, "router_id": "10.0.0.1", "peers": [{"address": "10.0.0.2", "asn": 2, "families": ["l2vpn"]}]}`, "unknown family"},
		{`{"asn": 1, "router_id": "10.0.0.1", "peers": [{"address": "10.0.0.2", "asn": 2, "hold_time": 9}]}`, "duration"},
		{`{"asn": 1, "router_id": "10.0.0.1", "peers": [{"address": "10.0.0.2", "asn": 2, "add_path": {"ipv4-unicast": "all"}}]}`, "add_path"},
		{`{"asn": 1, "router_id": "10.0.0.1", "announce": [{"prefix": "192.0.2.1/32", "communities": ["1:x"]}]}`, "community"},
	} {
		_, err := parseConfig(strings.NewReader(tc.conf))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.conf, err, tc.want)
		}
	}
}

func TestParseConfigCapabilities(t *testing.T) {
	c, err := parseConfig(strings.NewReader(`{"asn": 1, "router_id": "10.0.0.1", "peers": [{"address": "10.0.0.2", "asn": 2,
		"add_path": {"ipv6-unicast": "receive", "ipv4-unicast": "both"}, "extended_message": true, "extended_next_hop": true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := c.Peers[0].peer()
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.AddPathFamily{{Family: wire.IPv4Unicast, Mode: wire.AddPathBoth}, {Family: wire.IPv6Unicast, Mode: wire.AddPathReceive}}
	if !slices.Equal(pc.AddPath, want) || !pc.ExtendedMessage || !pc.ExtendedNextHop {
		t.Errorf("peer config %+v, want ADD-PATH %v and both extensions", pc, want)
	}
}

// TestDaemon runs bgpd against a speaker on loopback: it announces its
// prefix, prints the peer's, and shuts down with its message.
func TestDaemon(t *testing.T) {
	peer, err := bgp.New(bgp.Config{ASN: 65002, RouterID: netip.MustParseAddr("10.0.0.2"),
		Listen: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.2:0")}})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	sub := peer.Subscribe(64)
	peer.AddPeer(bgp.PeerConfig{Address: netip.MustParseAddr("127.0.0.1"), PeerASN: 65001, Passive: true})
	peer.Announce(netip.MustParsePrefix("198.51.100.7/32"), wire.Attributes{})

	conf := filepath.Join(t.TempDir(), "bgpd.json")
	os.WriteFile(conf, fmt.Appendf(nil, `{
  "asn": 65001, "router_id": "10.0.0.1",
  "peers": [{"address": "127.0.0.2", "port": %d, "source_address": "127.0.0.1", "asn": 65002,
             "hold_time": "9s", "connect_time": "1s", "families": ["ipv4-unicast"]}],
  "announce": [{"prefix": "192.0.2.1/32", "med": 5, "communities": ["65001:100"]}]
}`, peer.ListenAddrs()[0].Port()), 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-config", conf, "-shutdown-message", "bye from bgpd"}, &out, &logs) }()

	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "announce 127.0.0.2 198.51.100.7/32 next-hop 127.0.0.2 as-path [65002]") {
		if time.Now().After(deadline) {
			t.Fatalf("bgpd printed:\n%s\nlogs:\n%s", out.String(), logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "up 127.0.0.2 as 65002 hold 9s") {
		t.Errorf("no session line in:\n%s", out.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var sawRoute bool
	for ev := range sub.Events() {
		for _, r := range ev.Announced {
			if r.Prefix == netip.MustParsePrefix("192.0.2.1/32") && r.Attrs.MED == 5 {
				sawRoute = true
			}
		}
		if ev.Type == bgp.SessionDown {
			var ne *bgp.NotificationError
			if !errors.As(ev.Err, &ne) {
				t.Fatalf("down: %v", ev.Err)
			}
			if m, _ := ne.Notification.ShutdownMessage(); m != "bye from bgpd" {
				t.Errorf("shutdown message %q", m)
			}
			break
		}
	}
	if !sawRoute {
		t.Error("the peer never got bgpd's 192.0.2.1/32 with MED 5")
	}
}

func TestExampleConfigParses(t *testing.T) {
	f, err := os.Open("bgpd.example.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := parseConfig(f); err != nil {
		t.Fatal(err)
	}
}
