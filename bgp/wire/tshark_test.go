package wire

import (
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writePcap writes msgs as one TCP segment each, from port 179, in a
// classic libpcap file with LINKTYPE_RAW (bare IPv4 packets).
func writePcap(t *testing.T, path string, msgs [][]byte) {
	t.Helper()
	f := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	f = binary.LittleEndian.AppendUint16(f, 2)
	f = binary.LittleEndian.AppendUint16(f, 4)
	f = append(f, make([]byte, 8)...) // thiszone, sigfigs
	f = binary.LittleEndian.AppendUint32(f, 262144)
	f = binary.LittleEndian.AppendUint32(f, 101) // LINKTYPE_RAW
	seq := uint32(1000)
	for i, m := range msgs {
		pkt := make([]byte, 40, 40+len(m))
		ip := pkt[:20]
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(40+len(m)))
		binary.BigEndian.PutUint16(ip[4:], uint16(i))
		ip[8], ip[9] = 64, 6
		copy(ip[12:], []byte{127, 0, 0, 1})
		copy(ip[16:], []byte{127, 0, 0, 2})
		var sum uint32
		for j := 0; j < 20; j += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[j:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		tcp := pkt[20:40]
		binary.BigEndian.PutUint16(tcp[0:], 179)
		binary.BigEndian.PutUint16(tcp[2:], 50179)
		binary.BigEndian.PutUint32(tcp[4:], seq)
		binary.BigEndian.PutUint32(tcp[8:], 1)
		tcp[12], tcp[13] = 5<<4, 0x18 // header length 20, PSH|ACK
		binary.BigEndian.PutUint16(tcp[14:], 65535)
		pkt = append(pkt, m...)
		seq += uint32(len(m))
		f = binary.LittleEndian.AppendUint32(f, uint32(1700000000+i))
		f = binary.LittleEndian.AppendUint32(f, 0)
		f = binary.LittleEndian.AppendUint32(f, uint32(len(pkt)))
		f = binary.LittleEndian.AppendUint32(f, uint32(len(pkt)))
		f = append(f, pkt...)
	}
	if err := os.WriteFile(path, f, 0o644); err != nil {
		t.Fatal(err)
	}
}

// interopMessages is one of each message type and the attribute, family
// and capability variants this package encodes.
func interopMessages(t *testing.T) [][]byte {
	var msgs [][]byte
	add := func(b []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b)
	}
	open := Open{ASN: 4200000000, HoldTime: 90, RouterID: netip.MustParseAddr("10.0.0.1"),
		Capabilities: Capabilities{
			Multiprotocol: []Family{IPv4Unicast, IPv6Unicast}, RouteRefresh: true, EnhancedRouteRefresh: true,
			ExtendedMessage: true, FourOctetAS: true,
			GracefulRestart: &GracefulRestart{Restarting: true, Time: 120, Families: []GracefulRestartFamily{{IPv4Unicast, true}}},
			AddPath:         []AddPathFamily{{IPv4Unicast, AddPathBoth}},
			ExtendedNextHop: []ExtendedNextHop{{IPv4Unicast, AFIIPv6}},
			Unknown:         []RawCapability{{Code: 73, Value: []byte{4, 'm', 'u', 'x', '1', 0}}}, // FQDN
		}}
	add(open.Append(nil))
	add(AppendKeepalive(nil), nil)
	full := &Attributes{
		Origin:  OriginEGP,
		ASPath:  []Segment{{ASConfedSequence, []uint32{65010}}, {ASSequence, []uint32{65001, 4200000001}}, {ASSet, []uint32{7, 8}}},
		NextHop: netip.MustParseAddr("192.0.2.1"),
		MED:     5, HasMED: true, LocalPref: 200, HasLocalPref: true, AtomicAggregate: true,
		Aggregator:          Aggregator{ASN: 4200000002, Addr: netip.MustParseAddr("192.0.2.3")},
		Communities:         []Community{CommunityNoExport, 0xfde90064},
		OriginatorID:        netip.MustParseAddr("10.0.0.9"),
		ClusterList:         []netip.Addr{netip.MustParseAddr("10.0.0.10")},
		ExtendedCommunities: []ExtendedCommunity{{0x00, 0x02, 0xfd, 0xe9, 0, 0, 0, 100}}, // route target 65001:100
		LargeCommunities:    []LargeCommunity{{4200000001, 1, 2}},
		Unknown:             []RawAttr{{FlagOptional | FlagTransitive, 250, []byte{1, 2, 3}}},
	}
	p4 := []NLRI{{0, netip.MustParsePrefix("198.51.100.0/24")}, {0, netip.MustParsePrefix("203.0.113.7/32")}}
	for _, o := range []EncodeOptions{{AS4: true}, {}} { // 4-octet, and 2-octet with AS4_PATH/AS4_AGGREGATOR
		out, _, err := (&UpdateBuilder{Family: IPv4Unicast, Attrs: full, NLRI: p4, Withdrawn: p4[:1]}).Append(nil, &o)
		add(out, err)
	}
	v6 := *full
	v6.NextHop, v6.LinkLocal = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("fe80::1")
	p6 := []NLRI{{0, netip.MustParsePrefix("2001:db8:1::/48")}, {0, netip.MustParsePrefix("2001:db8:2::1/128")}}
	out, _, err := (&UpdateBuilder{Family: IPv6Unicast, Attrs: &v6, NLRI: p6, Withdrawn: p6[1:]}).Append(nil, &EncodeOptions{AS4: true})
	add(out, err)
	out, _, err = (&UpdateBuilder{Family: IPv4Unicast, Attrs: &v6, NLRI: p4}).Append(nil,
		&EncodeOptions{AS4: true, ExtendedNextHop: FamilySet(0).With(IPv4Unicast)})
	add(out, err)
	// A set of prefixes split over several UPDATEs.
	var many []NLRI
	for i := range 1500 {
		many = append(many, NLRI{0, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)})
	}
	out, n, err := (&UpdateBuilder{Family: IPv4Unicast, Attrs: full, NLRI: many}).Append(nil, &EncodeOptions{AS4: true})
	if n < 2 {
		t.Fatalf("1500 prefixes in %d UPDATE", n)
	}
	add(out, err)
	add(AppendEndOfRIB(nil, IPv4Unicast), nil)
	add(AppendEndOfRIB(nil, IPv6Unicast), nil)
	add(NewShutdown(SubAdministrativeShutdown, "maintenance window").Append(nil), nil)
	add(Notification{Code: CodeUpdate, Subcode: SubMalformedASPath}.Append(nil), nil)
	for _, st := range []uint8{RefreshNormal, RefreshBoRR, RefreshEoRR} {
		add(RouteRefresh{Family: IPv6Unicast, Subtype: st}.Append(nil))
	}
	// One message per TCP segment: cut runs of UPDATEs apart.
	var split [][]byte
	for _, m := range msgs {
		for len(m) > 0 {
			h, err := ParseHeader(m, MaxMessageLen)
			if err != nil {
				t.Fatal(err)
			}
			split = append(split, m[:h.Length])
			m = m[h.Length:]
		}
	}
	return split
}

// TestTshark checks Wireshark's BGP dissector reads every message we encode
// without a malformed-packet error and sees each message type.
func TestTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("needs tshark (Debian package tshark) to dissect our messages")
	}
	msgs := interopMessages(t)
	path := filepath.Join(t.TempDir(), "bgp.pcap")
	if p := os.Getenv("BGP_PCAP"); p != "" {
		path = p
	}
	writePcap(t, path, msgs)

	out, err := exec.Command(tshark, "-r", path, "-Y", "_ws.malformed || _ws.expert.severity >= error").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) != "" && !strings.Contains(line, "Running as user") {
			t.Errorf("tshark reports a malformed or erroneous frame: %s", line)
		}
	}

	out, err = exec.Command(tshark, "-r", path, "-T", "fields", "-e", "bgp.type").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		types = append(types, strings.Split(line, ",")...)
	}
	if len(types) != len(msgs) {
		t.Fatalf("tshark saw %d BGP messages, we wrote %d: %v", len(types), len(msgs), types)
	}
	for i, m := range msgs {
		if want := MessageType(m[18]); types[i] != string('0'+byte(want)) {
			t.Errorf("message %d: tshark type %s, want %d", i, types[i], want)
		}
	}
}
