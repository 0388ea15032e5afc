package wire_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

func ExampleParseUpdate() {
	// Build an UPDATE, then decode it as a receiver would.
	msg, _, _ := (&wire.UpdateBuilder{
		Family: wire.IPv4Unicast,
		Attrs: &wire.Attributes{
			Origin:      wire.OriginIGP,
			ASPath:      []wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{65001, 4200000000}}},
			NextHop:     netip.MustParseAddr("192.0.2.1"),
			Communities: []wire.Community{wire.CommunityNoExport},
		},
		NLRI: []wire.NLRI{{Prefix: netip.MustParsePrefix("198.51.100.7/32")}},
	}).Append(nil, &wire.EncodeOptions{AS4: true})

	u, err := wire.ParseUpdate(msg, &wire.DecodeOptions{AS4: true})
	if err != nil {
		fmt.Println("reset session:", err)
		return
	}
	for a := range u.Attrs() {
		switch a.Type {
		case wire.AttrASPath:
			for s := range a.ASPath().Segments() {
				for asn := range s.ASNs() {
					fmt.Println("AS", asn)
				}
			}
		case wire.AttrNextHop:
			fmt.Println("next hop", a.NextHop())
		case wire.AttrCommunities:
			fmt.Println("no-export", a.Communities().Contains(wire.CommunityNoExport))
		}
	}
	for fam, p := range u.Reachable() {
		fmt.Println(fam, p.Prefix)
	}
	// Output:
	// AS 65001
	// AS 4200000000
	// next hop 192.0.2.1
	// no-export true
	// ipv4-unicast 198.51.100.7/32
}

func ExampleUpdate_Action() {
	// ORIGIN with the undefined value 7: RFC 7606 says treat-as-withdraw.
	msg := []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0, 45, 2, // length 45, UPDATE
		0, 0, // no withdrawn routes
		0, 18, // attributes
		0x40, 1, 1, 7, // ORIGIN 7
		0x40, 2, 4, 2, 1, 0xfd, 0xe9, // AS_PATH 65001 (2-octet)
		0x40, 3, 4, 192, 0, 2, 1, // NEXT_HOP
		24, 198, 51, 100, // 198.51.100.0/24
	}
	u, err := wire.ParseUpdate(msg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Action())
	var e *wire.Error
	if errors.As(u.Err(), &e) {
		fmt.Println(e.Attr, e.Field, e.Offset, e.Notification())
	}
	for _, p := range u.Unreachable() {
		fmt.Println("withdraw", p.Prefix)
	}
	// Output:
	// treat-as-withdraw
	// ORIGIN value 23 UPDATE Message Error subcode 6
	// withdraw 198.51.100.0/24
}

func ExampleOpen_Append() {
	o := wire.Open{
		ASN:      4200000000,
		HoldTime: 90,
		RouterID: netip.MustParseAddr("10.0.0.1"),
		Capabilities: wire.Capabilities{
			Multiprotocol: []wire.Family{wire.IPv4Unicast, wire.IPv6Unicast},
			RouteRefresh:  true,
			FourOctetAS:   true,
		},
	}
	b, _ := o.Append(nil)
	got, _ := wire.ParseOpen(b)
	fmt.Println(len(b), got.ASN, got.Multiprotocol)
	// Output: 51 4200000000 [ipv4-unicast ipv6-unicast]
}

func ExampleNewShutdown() {
	b := wire.NewShutdown(wire.SubAdministrativeShutdown, "maintenance, back at 18:00").Append(nil)
	n, _ := wire.ParseNotification(b)
	fmt.Println(n)
	// Output: Cease subcode 2 "maintenance, back at 18:00"
}
