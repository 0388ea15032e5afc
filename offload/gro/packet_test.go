package gro_test

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
)

// tcpSeg describes one received TCP (or UDP) segment.
type tcpSeg struct {
	V6      bool
	UDP     bool
	Len     int // payload bytes
	Seq     uint32
	Ack     uint32
	Flags   uint8 // besides ACK
	ID      uint16
	NoDF    bool
	TOS     uint8
	TTL     uint8 // 0 means 64
	Flow    uint32
	TSval   uint32 // timestamps option value; the option is present when Opts
	Opts    bool
	SPort   uint16 // 0 means 40000
	BadCk   bool   // corrupt the transport checksum
	IPv4Opt bool   // a 4-byte IPv4 option (NOPs)
}

const (
	fFIN = 0x01
	fSYN = 0x02
	fRST = 0x04
	fPSH = 0x08
	fACK = 0x10
	fURG = 0x20
	fECE = 0x40
	fCWR = 0x80
)

var (
	a4, b4 = netip.MustParseAddr("10.99.0.1"), netip.MustParseAddr("10.99.0.2")
	a6, b6 = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
)

// eth is the link header every test frame starts with.
var eth = []byte{0x52, 0x54, 0, 0, 0, 2, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x00}

// frame builds an Ethernet frame for s with correct lengths and checksums.
func frame(s tcpSeg) []byte {
	b := append([]byte(nil), eth...)
	ttl := s.TTL
	if ttl == 0 {
		ttl = 64
	}
	proto := uint8(6)
	if s.UDP {
		proto = 17
	}
	ip := len(b)
	if s.V6 {
		b[12], b[13] = 0x86, 0xdd
		b = binary.BigEndian.AppendUint32(b, 6<<28|uint32(s.TOS)<<20|s.Flow&0xfffff)
		b = append(b, 0, 0, proto, ttl)
		b = append(b, a6.AsSlice()...)
		b = append(b, b6.AsSlice()...)
	} else {
		vihl, df := byte(0x45), byte(0x40)
		if s.IPv4Opt {
			vihl = 0x46
		}
		if s.NoDF {
			df = 0
		}
		b = append(b, vihl, s.TOS, 0, 0, byte(s.ID>>8), byte(s.ID), df, 0, ttl, proto, 0, 0)
		b = append(b, a4.AsSlice()...)
		b = append(b, b4.AsSlice()...)
		if s.IPv4Opt {
			b = append(b, 1, 1, 1, 1)
		}
	}
	l4 := len(b)
	sport := s.SPort
	if sport == 0 {
		sport = 40000
	}
	b = binary.BigEndian.AppendUint16(b, sport)
	b = binary.BigEndian.AppendUint16(b, 5201)
	if s.UDP {
		b = append(b, 0, 0, 0, 0)
	} else {
		doff := byte(5)
		if s.Opts {
			doff = 8
		}
		b = binary.BigEndian.AppendUint32(b, s.Seq)
		b = binary.BigEndian.AppendUint32(b, s.Ack)
		b = append(b, doff<<4, s.Flags|fACK, 0x01, 0xf6, 0, 0, 0, 0)
		if s.Opts {
			b = append(b, 1, 1, 8, 10)
			b = binary.BigEndian.AppendUint32(b, s.TSval)
			b = binary.BigEndian.AppendUint32(b, 0x1092)
		}
	}
	for i := range s.Len {
		b = append(b, byte(s.Seq)+byte(i))
	}
	if s.V6 {
		binary.BigEndian.PutUint16(b[ip+4:], uint16(len(b)-ip-40))
	} else {
		binary.BigEndian.PutUint16(b[ip+2:], uint16(len(b)-ip))
		ihl := int(b[ip]&0xf) * 4
		binary.BigEndian.PutUint16(b[ip+10:], ^checksum.Sum(b[ip:ip+ihl], 0))
	}
	src, dst := a4, b4
	if s.V6 {
		src, dst = a6, b6
	}
	ck := l4 + 16
	if s.UDP {
		ck = l4 + 6
		binary.BigEndian.PutUint16(b[l4+4:], uint16(len(b)-l4))
	}
	c := ^checksum.Sum(b[l4:], checksum.PseudoHeader(src, dst, proto, len(b)-l4))
	if s.BadCk {
		c++
	}
	binary.BigEndian.PutUint16(b[ck:], c)
	return b
}
