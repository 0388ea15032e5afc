package vswitch

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// packet is a parsed Ethernet frame carrying IPv4: views into the frame,
// which the layers rewrite in place.
type packet struct {
	frame []byte // Ethernet header and IPv4 packet, without link padding
	ihl   int
	proto uint8
	first bool // not a non-first fragment: the transport header is there
	mss   int  // a super-frame's MSS (TSO); 0 for a plain packet
	ok    bool
}

// parse reads frame as an untagged Ethernet II frame with an IPv4 packet.
// A malformed packet gives an error from offload/header naming the field.
func (p *packet) parse(frame []byte) error {
	*p = packet{}
	eth, err := header.ParseEthernet(frame)
	if err != nil {
		return err
	}
	if eth.HeaderLen() != header.EthernetMinSize || eth.EtherType() != header.EtherTypeIPv4 {
		return errNotIPv4
	}
	ip, err := header.ParseIPv4(frame[header.EthernetMinSize:])
	if err != nil {
		return err
	}
	p.frame = frame[:header.EthernetMinSize+len(ip)]
	p.ihl = ip.HeaderLen()
	p.proto = ip.Protocol()
	p.first = ip.FragmentOffset() == 0
	p.ok = true
	return nil
}

func (p *packet) ip() []byte      { return p.frame[header.EthernetMinSize:] }
func (p *packet) src() netip.Addr { return netip.AddrFrom4([4]byte(p.frame[26:30])) }
func (p *packet) dst() netip.Addr { return netip.AddrFrom4([4]byte(p.frame[30:34])) }
func (p *packet) l4() []byte      { return p.frame[header.EthernetMinSize+p.ihl:] }
func (p *packet) setEth(dst, src header.MAC) {
	copy(p.frame[0:6], dst[:])
	copy(p.frame[6:12], src[:])
}

// sport and dport are the transport ports; for ICMP echo and echo reply
// both are the identifier, so the ACL can match replies; otherwise 0.
func (p *packet) sport() uint16 { return p.port(0) }
func (p *packet) dport() uint16 { return p.port(2) }

func (p *packet) port(off int) uint16 {
	l4 := p.l4()
	if !p.first {
		return 0
	}
	switch p.proto {
	case protoTCP, protoUDP:
		if len(l4) >= 4 {
			return binary.BigEndian.Uint16(l4[off:])
		}
	case protoICMP:
		if len(l4) >= 8 && (l4[0] == 0 || l4[0] == 8) { // echo reply, echo request
			return binary.BigEndian.Uint16(l4[4:])
		}
	}
	return 0
}

// reparse refreshes the view after a layer rewrote the IP packet in place.
func (p *packet) reparse() { p.proto = p.frame[23] }

// arpReply builds in buf (of capacity at least EthernetMinSize+ARPSize)
// the Ethernet frame answering ARP request req with mac, and returns it.
// The slicing checks the size, so the Init functions cannot fail.
func arpReply(buf []byte, req header.ARP, mac header.MAC) []byte {
	out := buf[:header.EthernetMinSize+header.ARPSize]
	header.InitEthernet(out, req.SenderMAC(), mac, header.EtherTypeARP)
	header.InitARPReply(out[header.EthernetMinSize:], req, mac)
	return out
}

// etherType reads the EtherType of an untagged frame of at least 14 bytes
// (a tagged frame's is the tag's TPID, which no layer takes).
func etherType(frame []byte) header.EtherType {
	return header.EtherType(binary.BigEndian.Uint16(frame[12:14]))
}
