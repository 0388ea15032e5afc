package header

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// ARPSize is the size of an ARP packet for Ethernet and IPv4.
const ARPSize = 28

// ARPOp is the ARP operation code.
type ARPOp uint16

// ARP operations (RFC 826).
const (
	ARPRequest ARPOp = 1
	ARPReply   ARPOp = 2
)

// String returns "request", "reply" or the number.
func (o ARPOp) String() string {
	switch o {
	case ARPRequest:
		return "request"
	case ARPReply:
		return "reply"
	}
	return "op-" + strconv.Itoa(int(o))
}

const (
	arpHardwareEthernet = 1
)

// ARP is a view of an ARP packet (RFC 826) for Ethernet hardware
// addresses and IPv4 protocol addresses.
type ARP []byte

// ParseARP validates the ARP packet at the start of b: at least 28 bytes,
// hardware type 1 (Ethernet), protocol type 0x0800 (IPv4), hardware address
// length 6 and protocol address length 4. The operation is not checked. The
// view is b[:28].
func ParseARP(b []byte) (ARP, error) {
	if len(b) < ARPSize {
		return nil, failRel("arp", "packet", 0, ErrTruncated, len(b), "<", ARPSize)
	}
	if v := binary.BigEndian.Uint16(b[0:]); v != arpHardwareEthernet {
		return nil, failRel("arp", "hardware type", 0, ErrBadValue, int(v), "!=", arpHardwareEthernet)
	}
	if v := binary.BigEndian.Uint16(b[2:]); v != uint16(EtherTypeIPv4) {
		return nil, failRel("arp", "protocol type", 2, ErrBadValue, int(v), "!=", int(EtherTypeIPv4))
	}
	if b[4] != 6 {
		return nil, failRel("arp", "hardware length", 4, ErrBadLength, int(b[4]), "!=", 6)
	}
	if b[5] != 4 {
		return nil, failRel("arp", "protocol length", 5, ErrBadLength, int(b[5]), "!=", 4)
	}
	return ARP(b[:ARPSize]), nil
}

// InitARP writes an Ethernet/IPv4 ARP packet into the first 28 bytes of b
// and returns a view of them. It fails with ErrTruncated if b is shorter,
// and panics if an address is not IPv4.
func InitARP(b []byte, op ARPOp, senderMAC MAC, senderIP netip.Addr, targetMAC MAC, targetIP netip.Addr) (ARP, error) {
	if len(b) < ARPSize {
		return nil, failRel("arp", "packet", 0, ErrTruncated, len(b), "<", ARPSize)
	}
	a := ARP(b[:ARPSize])
	binary.BigEndian.PutUint16(a[0:], arpHardwareEthernet)
	binary.BigEndian.PutUint16(a[2:], uint16(EtherTypeIPv4))
	a[4], a[5] = 6, 4
	a.SetOp(op)
	a.SetSenderMAC(senderMAC)
	a.SetSenderIP(senderIP)
	a.SetTargetMAC(targetMAC)
	a.SetTargetIP(targetIP)
	return a, nil
}

// InitARPRequest writes a request asking who has targetIP; the target
// hardware address is zero.
func InitARPRequest(b []byte, senderMAC MAC, senderIP, targetIP netip.Addr) (ARP, error) {
	return InitARP(b, ARPRequest, senderMAC, senderIP, MAC{}, targetIP)
}

// InitARPReply writes the reply to request req, from the host owning
// ownMAC (the answer to req's question).
func InitARPReply(b []byte, req ARP, ownMAC MAC) (ARP, error) {
	return InitARP(b, ARPReply, ownMAC, req.TargetIP(), req.SenderMAC(), req.SenderIP())
}

// InitGratuitousARP writes a gratuitous ARP announcement (RFC 5227
// section 3): a request whose sender and target IP are both ip, with a zero
// target hardware address, broadcast to update neighbours' caches.
func InitGratuitousARP(b []byte, mac MAC, ip netip.Addr) (ARP, error) {
	return InitARP(b, ARPRequest, mac, ip, MAC{}, ip)
}

// Op returns the operation.
func (a ARP) Op() ARPOp { return ARPOp(binary.BigEndian.Uint16(a[6:])) }

// SenderMAC returns the sender hardware address.
func (a ARP) SenderMAC() MAC { return MAC(a[8:14]) }

// SenderIP returns the sender protocol address.
func (a ARP) SenderIP() netip.Addr { return netip.AddrFrom4([4]byte(a[14:18])) }

// TargetMAC returns the target hardware address.
func (a ARP) TargetMAC() MAC { return MAC(a[18:24]) }

// TargetIP returns the target protocol address.
func (a ARP) TargetIP() netip.Addr { return netip.AddrFrom4([4]byte(a[24:28])) }

// IsGratuitous reports whether the sender and target protocol addresses
// are equal (a gratuitous request or reply).
func (a ARP) IsGratuitous() bool { return a.SenderIP() == a.TargetIP() }

// IsProbe reports whether a is an ARP probe (RFC 5227 section 2.1.1): a
// request with an all-zero sender protocol address.
func (a ARP) IsProbe() bool {
	return a.Op() == ARPRequest && binary.BigEndian.Uint32(a[14:]) == 0
}

// SetOp sets the operation.
func (a ARP) SetOp(op ARPOp) { binary.BigEndian.PutUint16(a[6:], uint16(op)) }

// SetSenderMAC sets the sender hardware address.
func (a ARP) SetSenderMAC(m MAC) { copy(a[8:14], m[:]) }

// SetSenderIP sets the sender protocol address; it panics if ip is not
// IPv4.
func (a ARP) SetSenderIP(ip netip.Addr) { v := ip.As4(); copy(a[14:18], v[:]) }

// SetTargetMAC sets the target hardware address.
func (a ARP) SetTargetMAC(m MAC) { copy(a[18:24], m[:]) }

// SetTargetIP sets the target protocol address; it panics if ip is not
// IPv4.
func (a ARP) SetTargetIP(ip netip.Addr) { v := ip.As4(); copy(a[24:28], v[:]) }
