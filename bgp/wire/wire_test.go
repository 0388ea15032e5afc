package wire

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// mustHex decodes hex with spaces, newlines and // comments allowed.
func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	var clean strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const marker = "ffffffffffffffffffffffffffffffff"

// Hand-written captures of real message shapes, as BIRD 2, FRR and GoBGP
// send them.
var (
	keepaliveHex = marker + "0013 04"

	// OPEN from an AS 65001 speaker: hold 90, router ID 10.0.0.1,
	// capabilities MP ipv4-unicast, MP ipv6-unicast, route refresh,
	// enhanced route refresh, 4-octet AS 65001, graceful restart 120 s
	// for ipv4-unicast, ADD-PATH receive ipv4-unicast, extended message.
	openHex = marker + `0045 01
		04 fde9 005a 0a000001
		28                        // optional parameters length 40
		02 26                     // Capabilities, 38 bytes
		01 04 0001 00 01          // MP ipv4 unicast
		01 04 0002 00 01          // MP ipv6 unicast
		02 00                     // route refresh
		46 00                     // enhanced route refresh
		41 04 0000fde9            // 4-octet AS 65001
		40 06 0078 0001 01 80     // graceful restart 120 s, ipv4 unicast F
		45 04 0001 01 01          // ADD-PATH ipv4 unicast receive
		06 00                     // extended message`

	// UPDATE: 10.1.0.0/16 and 192.0.2.0/24, ORIGIN IGP, AS_PATH 65001
	// 65002 (4-octet), NEXT_HOP 192.0.2.1, MED 10, COMMUNITIES 65001:100.
	updateHex = marker + `0044 02
		0000                      // no withdrawn routes
		0026                      // 38 bytes of attributes
		40 01 01 00               // ORIGIN IGP
		40 02 0a 02 02 0000fde9 0000fdea // AS_PATH SEQ 65001 65002
		40 03 04 c0000201         // NEXT_HOP 192.0.2.1
		80 04 04 0000000a         // MED 10
		c0 08 04 fde90064         // COMMUNITIES 65001:100
		10 0a01                   // 10.1.0.0/16
		18 c00002                 // 192.0.2.0/24`

	// UPDATE withdrawing 10.1.0.0/16.
	withdrawHex = marker + "001a 02 0003 10 0a01 0000"

	// UPDATE with IPv6 MP_REACH_NLRI (global and link-local next hop) for
	// 2001:db8:1::/48, as BIRD sends it.
	updateV6Hex = marker + `005b 02
		0000
		0044
		90 0e 002c                // MP_REACH_NLRI, extended length 44
		0002 01 20                // ipv6 unicast, next hop 32 bytes
		20010db8000000000000000000000001
		fe800000000000000000000000000001
		00                        // reserved
		30 20010db80001           // 2001:db8:1::/48
		40 01 01 00
		40 02 06 02 01 0000fde9
		80 04 04 00000000`

	// NOTIFICATION Cease / Administrative Shutdown with a message.
	notificationHex = marker + "001f 03 06 02 09 6d61696e7465 6e2e2e" // "mainten.."

	routeRefreshHex = marker + "0017 05 0001 00 01"
)

func TestParseRealMessages(t *testing.T) {
	if err := ParseKeepalive(mustHex(t, keepaliveHex)); err != nil {
		t.Fatal(err)
	}

	o, err := ParseOpen(mustHex(t, openHex))
	if err != nil {
		t.Fatal(err)
	}
	if o.ASN != 65001 || o.HoldTime != 90 || o.RouterID != netip.MustParseAddr("10.0.0.1") ||
		!o.FourOctetAS || !o.RouteRefresh || !o.EnhancedRouteRefresh || !o.ExtendedMessage ||
		len(o.Multiprotocol) != 2 || o.GracefulRestart == nil || o.GracefulRestart.Time != 120 ||
		len(o.AddPath) != 1 || o.AddPath[0].Mode != AddPathReceive {
		t.Fatalf("open = %+v", o)
	}

	u, err := ParseUpdate(mustHex(t, updateHex), &DecodeOptions{AS4: true})
	if err != nil {
		t.Fatal(err)
	}
	if u.Action() != ActionNone {
		t.Fatal(u.Err())
	}
	var got []string
	for p := range u.NLRI() {
		got = append(got, p.Prefix.String())
	}
	if strings.Join(got, " ") != "10.1.0.0/16 192.0.2.0/24" {
		t.Fatalf("NLRI = %v", got)
	}
	at := u.Attributes()
	if at.NextHop != netip.MustParseAddr("192.0.2.1") || !at.HasMED || at.MED != 10 ||
		len(at.ASPath) != 1 || len(at.ASPath[0].ASNs) != 2 || at.ASPath[0].ASNs[1] != 65002 ||
		len(at.Communities) != 1 || at.Communities[0].String() != "65001:100" {
		t.Fatalf("attributes = %+v", at)
	}

	w, err := ParseUpdate(mustHex(t, withdrawHex), nil)
	if err != nil {
		t.Fatal(err)
	}
	for f, p := range w.Unreachable() {
		if f != IPv4Unicast || p.Prefix.String() != "10.1.0.0/16" {
			t.Fatal(f, p)
		}
	}

	v6, err := ParseUpdate(mustHex(t, updateV6Hex), &DecodeOptions{AS4: true})
	if err != nil || v6.Action() != ActionNone {
		t.Fatal(err, v6.Err())
	}
	m, ok := v6.MPReach()
	if !ok || m.Family != IPv6Unicast || m.NextHop.String() != "2001:db8::1" || m.LinkLocal.String() != "fe80::1" {
		t.Fatalf("mp = %+v", m)
	}
	for f, p := range v6.Reachable() {
		if f != IPv6Unicast || p.Prefix.String() != "2001:db8:1::/48" {
			t.Fatal(f, p)
		}
	}

	n, err := ParseNotification(mustHex(t, notificationHex))
	if err != nil {
		t.Fatal(err)
	}
	if msg, ok := n.ShutdownMessage(); !ok || msg != "mainten.." {
		t.Fatalf("shutdown message %q %v", msg, ok)
	}

	r, err := ParseRouteRefresh(mustHex(t, routeRefreshHex), MaxMessageLen)
	if err != nil || r.Family != IPv4Unicast || r.Subtype != RefreshNormal {
		t.Fatal(r, err)
	}
}

func TestHeaderErrors(t *testing.T) {
	good := mustHex(t, keepaliveHex)
	cases := []struct {
		name string
		mod  func([]byte) []byte
		sub  uint8
		want error
	}{
		{"short", func(b []byte) []byte { return b[:10] }, SubBadMessageLength, ErrShort},
		{"marker", func(b []byte) []byte { b[3] = 0; return b }, SubConnectionNotSynchronized, ErrMarker},
		{"type", func(b []byte) []byte { b[18] = 9; return b }, SubBadMessageType, ErrType},
		{"keepalive length", func(b []byte) []byte { b[17] = 20; return append(b, 0) }, SubBadMessageLength, ErrLength},
		{"too long", func(b []byte) []byte { b[16], b[17], b[18] = 0x10, 0x01, 2; return b }, SubBadMessageLength, ErrLength},
	}
	for _, c := range cases {
		b := c.mod(append([]byte(nil), good...))
		_, err := ParseHeader(b, MaxMessageLen)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, c.want) || e.Code != CodeMessageHeader || e.Subcode != c.sub {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
