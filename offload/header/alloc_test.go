package header

import "testing"

// sink keeps results alive so the compiler cannot drop the work.
var sink int

func TestZeroAllocs(t *testing.T) {
	syn, data, v6 := synIPv4(), dataIPv4(), tcpIPv6Ext()
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
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tt.name, n)
		}
	}
}
