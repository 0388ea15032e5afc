package header

import (
	"net/netip"
	"testing"
)

// sink keeps results alive so the compiler cannot drop the work.
var sink int

func TestZeroAllocs(t *testing.T) {
	syn, data, v6, arp, ns := synIPv4(), dataIPv4(), tcpIPv6Ext(), arpRequest(), neighborSolicitation()
	var reply [ARPSize]byte
	var vlanBuf [VLANTagSize + 60]byte
	copy(vlanBuf[VLANTagSize:], syn)
	var built [IPv4MinSize + TCPMinSize + 16]byte
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	tests := []struct {
		name string
		f    func()
	}{
		{"ethernet/ipv4/tcp", func() {
			for _, b := range [][]byte{syn, data} {
				eth, err := ParseEthernet(b)
				if err != nil {
					t.Fatal(err)
				}
				ip, err := ParseIPv4(eth.Payload())
				if err != nil {
					t.Fatal(err)
				}
				tcp, err := ParseTCP(ip.Payload())
				if err != nil {
					t.Fatal(err)
				}
				n := int(eth.Source()[0]) + int(eth.EtherType()) + eth.Tags()
				if id, ok := eth.VLANID(); ok {
					n += int(id)
				}
				n += int(ip.TTL()) + int(ip.Protocol()) + ip.FragmentOffset()
				if ip.Source().Is4() && ip.Destination().IsValid() && ip.ValidChecksum() {
					n++
				}
				for o, err := range ip.Options() {
					if err != nil {
						t.Fatal(err)
					}
					n += int(o.Type)
				}
				n += int(tcp.SourcePort()) + int(tcp.Seq()) + int(tcp.Flags()) + len(tcp.Payload())
				for o, err := range tcp.Options().All() {
					if err != nil {
						t.Fatal(err)
					}
					n += int(o.Kind)
					for l, r := range o.SACKBlocks() {
						n += int(l + r)
					}
				}
				mss, _ := tcp.MSS()
				ts, _, _ := tcp.Timestamps()
				ws, _ := tcp.WindowScale()
				n += int(mss) + int(ts) + int(ws)
				if tcp.ValidChecksum(pseudo(ip.Source(), ip.Destination(), ProtocolTCP, len(tcp))) {
					n++
				}
				sink += n
			}
		}},
		{"ipv6 extension headers/tcp", func() {
			ip, err := ParseIPv6(v6)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for e, err := range ip.Extensions() {
				if err != nil {
					t.Fatal(err)
				}
				n += e.Offset + int(e.NextHeader())
				off, _, id, _ := e.Fragment()
				n += off + int(id)
				for o, err := range e.Options() {
					if err != nil {
						t.Fatal(err)
					}
					n += int(o.Type) + len(o.Data)
				}
			}
			proto, off, err := ip.Transport()
			if err != nil || proto != ProtocolTCP {
				t.Fatal(proto, err)
			}
			tcp, err := ParseTCP(ip[off:])
			if err != nil {
				t.Fatal(err)
			}
			if ip.Source().Is6() && ip.Destination().IsValid() {
				n++
			}
			n += int(tcp.DestinationPort()) + int(tcp.Ack()) + int(ip.FlowLabel())
			sink += n
		}},
		{"vlan push/pop", func() {
			e, err := PushTag(vlanBuf[:], NewVLANTag(EtherTypeVLAN, 0, false, 42))
			if err != nil {
				t.Fatal(err)
			}
			_, tag, _ := e.PopTag()
			sink += int(tag.ID())
		}},
		{"arp", func() {
			eth, err := ParseEthernet(arp)
			if err != nil {
				t.Fatal(err)
			}
			a, err := ParseARP(eth.Payload())
			if err != nil {
				t.Fatal(err)
			}
			n := int(a.Op()) + int(a.SenderMAC()[5]) + int(a.TargetMAC()[0])
			if a.SenderIP().Is4() && a.TargetIP().Is4() && !a.IsGratuitous() && !a.IsProbe() {
				n++
			}
			if _, err := InitARPReply(reply[:], a, MAC{2, 0, 0, 0, 0, 2}); err != nil {
				t.Fatal(err)
			}
			sink += n
		}},
		{"icmpv6 ndp", func() {
			m, err := ParseICMPv6(ns)
			if err != nil {
				t.Fatal(err)
			}
			n := int(m.Type())
			if m.Target().IsValid() {
				n++
			}
			for o, err := range m.NDPOptions() {
				if err != nil {
					t.Fatal(err)
				}
				mac, _ := o.LinkAddr()
				n += int(mac[5])
			}
			sink += n
		}},
		{"build ipv4/tcp", func() {
			ip, err := InitIPv4(built[:], IPv4MinSize)
			if err != nil {
				t.Fatal(err)
			}
			ip.SetTTL(64)
			ip.SetProtocol(ProtocolTCP)
			ip.SetSource(src)
			ip.SetDestination(dst)
			tcp, err := InitTCP(ip.Payload(), TCPMinSize)
			if err != nil {
				t.Fatal(err)
			}
			tcp.SetFlags(TCPFlagSYN)
			tcp.SetChecksum(tcp.ComputeChecksum(pseudo(src, dst, ProtocolTCP, len(tcp))))
			ip.SetChecksum(ip.ComputeChecksum())
			ip.DecrementTTL()
			sink += int(ip.Checksum())
		}},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tt.name, n)
		}
	}
}
