package main

import (
	"os"
	"strings"
	"testing"
)

// FuzzParseConfig: any input gives a configuration or an error, never a
// panic, and an accepted configuration yields valid peers and attributes.
func FuzzParseConfig(f *testing.F) {
	if b, err := os.ReadFile("bgpd.example.json"); err == nil {
		f.Add(string(b))
	}
	f.Add(`{"asn": 1, "router_id": "10.0.0.1"}`)
	f.Add(`{"asn": 1, "router_id": "10.0.0.1", "peers": [{"address": "::1", "asn": 2, "hold_time": "3s"}]}`)
	f.Add(`{"asn": 1, "router_id": "10.0.0.1", "announce": [{"prefix": "2001:db8::/32", "med": 1, "communities": ["65535:65535"]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseConfig(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, p := range c.Peers {
			if _, err := p.peer(); err != nil {
				t.Fatalf("accepted peer fails later: %v", err)
			}
		}
		for _, a := range c.Announce {
			if _, err := a.attributes(); err != nil {
				t.Fatalf("accepted announcement fails later: %v", err)
			}
		}
	})
}
