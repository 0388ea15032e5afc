package mrt

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

var addrs = cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})

func genAddr(t *rapid.T, label string, v6 bool) netip.Addr {
	if v6 {
		return netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, label)))
	}
	return netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, label)))
}

func genAttrs(t *rapid.T, label string) []byte {
	var b []byte
	for i, n := 0, rapid.IntRange(0, 6).Draw(t, label+"n"); i < n; i++ {
		typ := rapid.SampledFrom([]byte{1, 2, 4, 5, 8, 16, 32, 200}).Draw(t, label+"type")
		v := rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, label+"value")
		b = appendAttr(b, rapid.SampledFrom([]byte{0x40, 0x80, 0xc0}).Draw(t, label+"flags"), typ, v)
	}
	return b
}

func readOne(t interface{ Fatalf(string, ...any) }, r Record) Record {
	got, err := NewReader(bytes.NewReader(r.Append(nil))).Next()
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	return got
}

func TestPeerIndexTableRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := PeerIndexTable{
			CollectorID: genAddr(t, "collector", false),
			ViewName:    rapid.StringN(0, 20, -1).Draw(t, "view"),
		}
		for i, n := 0, rapid.IntRange(0, 20).Draw(t, "peers"); i < n; i++ {
			want.Peers = append(want.Peers, Peer{
				BGPID: genAddr(t, "id", false),
				Addr:  genAddr(t, "addr", rapid.Bool().Draw(t, "v6")),
				AS:    rapid.Uint32().Draw(t, "as"),
			})
		}
		if want.Peers == nil {
			want.Peers = []Peer{}
		}
		rec, err := want.Record(time.Unix(1700000000, 0))
		if err != nil {
			t.Fatal(err)
		}
		got, err := readOne(t, rec).PeerIndexTable()
		if err != nil {
			t.Fatal(err)
		}
		// An IPv4-mapped IPv6 address is written as IPv4.
		for i := range want.Peers {
			if want.Peers[i].Addr.Is4In6() {
				want.Peers[i].Addr = want.Peers[i].Addr.Unmap()
			}
		}
		if d := cmp.Diff(want, got, addrs); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
	})
}

func TestRIBRoundTrip(t *testing.T) {
	fams := []wire.Family{wire.IPv4Unicast, wire.IPv6Unicast, wire.IPv4Multicast, wire.IPv6Multicast}
	rapid.Check(t, func(t *rapid.T) {
		fam := rapid.SampledFrom(fams).Draw(t, "family")
		v6 := fam.AFI == wire.AFIIPv6
		bits := rapid.IntRange(0, 32).Draw(t, "bits")
		if v6 {
			bits = rapid.IntRange(0, 128).Draw(t, "bits6")
		}
		prefix := netip.PrefixFrom(genAddr(t, "prefix", v6), bits).Masked()
		addPath := rapid.Bool().Draw(t, "addpath")
		var entries []RIBEntry
		for i, n := 0, rapid.IntRange(0, 5).Draw(t, "entries"); i < n; i++ {
			e := RIBEntry{
				PeerIndex:  rapid.Uint16().Draw(t, "peer"),
				Originated: time.Unix(int64(rapid.Uint32().Draw(t, "time")), 0).UTC(),
				Attrs:      genAttrs(t, "attrs"),
			}
			if addPath {
				e.PathID = rapid.Uint32().Draw(t, "pathid")
			}
			entries = append(entries, e)
		}
		seq := rapid.Uint32().Draw(t, "seq")
		rec, err := RIBRecord(time.Unix(1700000000, 0), seq, fam, prefix, addPath, entries)
		if err != nil {
			t.Fatal(err)
		}
		rib, err := readOne(t, rec).RIB()
		if err != nil {
			t.Fatal(err)
		}
		var got []RIBEntry
		for e := range rib.Entries() {
			got = append(got, e)
		}
		if d := cmp.Diff(entries, got, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("entries (-want +got):\n%s", d)
		}
		if rib.Sequence != seq || rib.Family != fam || rib.Prefix != prefix || rib.AddPath != addPath {
			t.Fatalf("header: got %+v", rib)
		}
	})
}

func TestBGP4MPRoundTrip(t *testing.T) {
	keepalive := wire.AppendKeepalive(nil)
	rapid.Check(t, func(t *rapid.T) {
		v6 := rapid.Bool().Draw(t, "v6")
		m := BGP4MP{
			IfIndex:   rapid.Uint16().Draw(t, "ifindex"),
			PeerAddr:  genAddr(t, "peer", v6),
			LocalAddr: genAddr(t, "local", v6),
			AS4:       rapid.Bool().Draw(t, "as4"),
			Local:     rapid.Bool().Draw(t, "local"),
		}
		if v6 && (m.PeerAddr.Is4In6() || m.LocalAddr.Is4In6()) {
			t.Skip("an IPv4-mapped address is written as IPv4")
		}
		if m.AS4 {
			m.PeerAS, m.LocalAS = rapid.Uint32().Draw(t, "peeras"), rapid.Uint32().Draw(t, "localas")
		} else {
			m.PeerAS, m.LocalAS = uint32(rapid.Uint16().Draw(t, "peeras")), uint32(rapid.Uint16().Draw(t, "localas"))
		}
		if rapid.Bool().Draw(t, "state") {
			m.StateChange, m.Local = true, false // state changes have no _LOCAL subtype
			m.OldState = State(rapid.IntRange(1, 6).Draw(t, "old"))
			m.NewState = State(rapid.IntRange(1, 6).Draw(t, "new"))
		} else {
			m.AddPath = rapid.Bool().Draw(t, "addpath")
			m.Message = keepalive
		}
		ts := time.Unix(1700000000, int64(rapid.IntRange(0, 999999).Draw(t, "us"))*1000).UTC()
		rec, err := m.Record(ts)
		if err != nil {
			t.Fatal(err)
		}
		back := readOne(t, rec)
		if !back.Time.Equal(ts) {
			t.Fatalf("time %v, want %v", back.Time, ts)
		}
		got, err := back.BGP4MP()
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(m, got, addrs, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
	})
}

// TestAppendUpdate turns RIB entries into UPDATEs that the wire package
// parses, for IPv4 with NEXT_HOP and IPv6 with an abbreviated MP_REACH_NLRI,
// and checks the attributes come back in entry form.
func TestAppendUpdate(t *testing.T) {
	origin := appendAttr(nil, 0x40, byte(wire.AttrOrigin), []byte{0})
	asPath := appendAttr(nil, 0x40, byte(wire.AttrASPath), []byte{2, 2, 0, 0, 0xfd, 0xe8, 0, 1, 0x11, 0x70})
	for _, tc := range []struct {
		name    string
		fam     wire.Family
		prefix  netip.Prefix
		nh      netip.Addr
		addPath bool
	}{
		{"ipv4", wire.IPv4Unicast, netip.MustParsePrefix("203.0.113.0/24"), netip.MustParseAddr("192.0.2.1"), false},
		{"ipv4 add-path", wire.IPv4Unicast, netip.MustParsePrefix("198.51.100.7/32"), netip.MustParseAddr("192.0.2.1"), true},
		{"ipv6", wire.IPv6Unicast, netip.MustParsePrefix("2001:db8:1::/48"), netip.MustParseAddr("2001:db8::1"), false},
		{"ipv6 add-path", wire.IPv6Unicast, netip.MustParsePrefix("2001:db8:2::/64"), netip.MustParseAddr("2001:db8::2"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attrs := append(append([]byte{}, origin...), asPath...)
			if tc.fam == wire.IPv4Unicast {
				attrs = appendAttr(attrs, 0x40, byte(wire.AttrNextHop), tc.nh.AsSlice())
			} else {
				attrs = appendAttr(attrs, 0x80, byte(wire.AttrMPReachNLRI), append([]byte{16}, tc.nh.AsSlice()...))
			}
			e := RIBEntry{PeerIndex: 3, Originated: time.Unix(1700000000, 0).UTC(), PathID: 7, Attrs: attrs}
			rec, err := RIBRecord(time.Unix(1700000000, 0), 1, tc.fam, tc.prefix, tc.addPath, []RIBEntry{e})
			if err != nil {
				t.Fatal(err)
			}
			rib, err := rec.RIB()
			if err != nil {
				t.Fatal(err)
			}
			for e := range rib.Entries() {
				msg, err := AppendUpdate(nil, rib, e)
				if err != nil {
					t.Fatal(err)
				}
				opts := wire.DecodeOptions{AS4: true}
				if tc.addPath {
					opts.AddPath = opts.AddPath.With(tc.fam)
				}
				u, err := wire.ParseUpdate(msg, &opts)
				if err != nil {
					t.Fatalf("wire.ParseUpdate: %v", err)
				}
				if u.Action() != wire.ActionNone {
					t.Fatalf("UPDATE action %v: %v", u.Action(), u.Err())
				}
				var got []wire.NLRI
				for f, n := range u.Reachable() {
					if f != tc.fam {
						t.Errorf("family %v, want %v", f, tc.fam)
					}
					got = append(got, n)
				}
				want := []wire.NLRI{{Prefix: tc.prefix}}
				if tc.addPath {
					want[0].PathID = 7
				}
				if d := cmp.Diff(want, got, addrs); d != "" {
					t.Errorf("NLRI (-want +got):\n%s", d)
				}
				if back := EntryAttrs(nil, &u); !bytes.Equal(back, attrs) {
					t.Errorf("EntryAttrs = %x, want %x", back, attrs)
				}
			}
		})
	}
}

func TestAppendUpdateNeedsNextHop(t *testing.T) {
	rec, err := RIBRecord(time.Time{}, 1, wire.IPv6Unicast, netip.MustParsePrefix("2001:db8::/32"), false,
		[]RIBEntry{{Attrs: appendAttr(nil, 0x40, 1, []byte{0})}})
	if err != nil {
		t.Fatal(err)
	}
	rib, _ := rec.RIB()
	for e := range rib.Entries() {
		if _, err := AppendUpdate(nil, rib, e); !errors.Is(err, ErrValue) {
			t.Fatalf("err = %v, want ErrValue", err)
		}
	}
}

func TestMalformedRecords(t *testing.T) {
	good, _ := RIBRecord(time.Unix(1, 0), 1, wire.IPv4Unicast, netip.MustParsePrefix("10.0.0.0/8"), false,
		[]RIBEntry{{Attrs: appendAttr(nil, 0x40, 1, []byte{0})}})
	raw := good.Append(nil)
	for _, tc := range []struct {
		name  string
		bytes []byte
		want  error
		field string
	}{
		{"short header", raw[:7], ErrTruncated, "common header"},
		{"short message", raw[:len(raw)-1], ErrTruncated, "message"},
		{"huge length", append(append([]byte{}, raw[:8]...), 0xff, 0xff, 0xff, 0xff), ErrTooLarge, "length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tc.bytes)).Next()
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.want) || e.Field != tc.field {
				t.Fatalf("err = %v, want %v in field %q", err, tc.want, tc.field)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		field string
	}{
		{"prefix too long", []byte{0, 0, 0, 1, 33}, "prefix"},
		{"missing count", []byte{0, 0, 0, 1, 8, 10}, "entry count"},
		{"entry past end", []byte{0, 0, 0, 1, 8, 10, 0, 1, 0, 0}, "RIB entry"},
		{"attributes past end", []byte{0, 0, 0, 1, 8, 10, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9}, "RIB entry attributes"},
		{"bad attribute", []byte{0, 0, 0, 1, 8, 10, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0x40, 1, 5}, "path attribute"},
		{"trailing bytes", []byte{0, 0, 0, 1, 8, 10, 0, 0, 9}, "RIB entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Record{Type: TypeTableDumpV2, Subtype: SubRIBIPv4Unicast, Data: tc.data}
			_, err := r.RIB()
			var e *Error
			if !errors.As(err, &e) || e.Field != tc.field {
				t.Fatalf("err = %v, want one in field %q", err, tc.field)
			}
		})
	}
	if _, err := (Record{Type: TypeBGP4MP, Subtype: 99}).BGP4MP(); !errors.Is(err, ErrType) {
		t.Fatalf("unknown subtype: err = %v, want ErrType", err)
	}
	if _, err := (Record{Type: TypeTableDumpV2, Subtype: SubPeerIndexTable, Data: []byte{1, 2, 3, 4, 0, 0, 0xff, 0xff}}).PeerIndexTable(); !errors.Is(err, ErrTruncated) {
		t.Fatalf("peer count beyond the data: err = %v, want ErrTruncated", err)
	}
}

// A dump read record by record, each RIB entry turned into an UPDATE, costs
// no allocation once the buffers have grown.
func TestReadAllocs(t *testing.T) {
	var dump bytes.Buffer
	w := NewWriter(&dump)
	attrs := appendAttr(appendAttr(nil, 0x40, 1, []byte{0}), 0x40, 3, []byte{192, 0, 2, 1})
	for i := range 64 {
		rec, err := RIBRecord(time.Unix(1, 0), uint32(i), wire.IPv4Unicast,
			netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), 0, 0}), 16), false,
			[]RIBEntry{{Attrs: attrs}, {PeerIndex: 1, Attrs: attrs}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	src := bytes.NewReader(dump.Bytes())
	r := NewReader(src)
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(dump.Bytes())
		for {
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			rib, err := rec.RIB()
			if err != nil {
				t.Fatal(err)
			}
			for e := range rib.Entries() {
				if buf, err = AppendUpdate(buf[:0], rib, e); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per dump, want 0", allocs)
	}
}
