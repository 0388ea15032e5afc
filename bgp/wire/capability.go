package wire

import (
	"encoding/binary"
	"fmt"
)

// CapabilityCode is a BGP capability code (RFC 5492).
type CapabilityCode uint8

// Capability codes this package decodes.
const (
	CapMultiprotocol        CapabilityCode = 1  // RFC 4760
	CapRouteRefresh         CapabilityCode = 2  // RFC 2918
	CapExtendedNextHop      CapabilityCode = 5  // RFC 8950
	CapExtendedMessage      CapabilityCode = 6  // RFC 8654
	CapGracefulRestart      CapabilityCode = 64 // RFC 4724
	CapFourOctetAS          CapabilityCode = 65 // RFC 6793
	CapAddPath              CapabilityCode = 69 // RFC 7911
	CapEnhancedRouteRefresh CapabilityCode = 70 // RFC 7313
)

// AddPathMode says whether a speaker can send or receive multiple paths.
type AddPathMode uint8

// ADD-PATH Send/Receive values (RFC 7911 section 4).
const (
	AddPathReceive AddPathMode = 1
	AddPathSend    AddPathMode = 2
	AddPathBoth    AddPathMode = 3
)

// AddPathFamily is one entry of the ADD-PATH capability.
type AddPathFamily struct {
	Family Family
	Mode   AddPathMode
}

// ExtendedNextHop is one entry of the extended next hop capability: NLRI of
// Family may be sent with a next hop of NextHopAFI (RFC 8950 section 3).
type ExtendedNextHop struct {
	Family     Family
	NextHopAFI AFI
}

// GracefulRestart is the graceful restart capability (RFC 4724 section 3).
type GracefulRestart struct {
	Restarting   bool   // R bit: the speaker has restarted
	Notification bool   // N bit (RFC 8538): graceful restart on NOTIFICATION
	Time         uint16 // restart time in seconds, 12 bits
	Families     []GracefulRestartFamily
}

// GracefulRestartFamily is one family of the graceful restart capability.
type GracefulRestartFamily struct {
	Family              Family
	ForwardingPreserved bool
}

// RawCapability is a capability this package does not decode, kept as is.
// A decoded Value aliases the OPEN message.
type RawCapability struct {
	Code  CapabilityCode
	Value []byte
}

// Capabilities is the set of capabilities of an OPEN message (RFC 5492).
type Capabilities struct {
	Multiprotocol        []Family
	RouteRefresh         bool
	EnhancedRouteRefresh bool
	ExtendedMessage      bool
	// FourOctetAS announces 4-octet AS support (RFC 6793); the AS number
	// it carries is Open.ASN.
	FourOctetAS     bool
	GracefulRestart *GracefulRestart
	AddPath         []AddPathFamily
	ExtendedNextHop []ExtendedNextHop
	Unknown         []RawCapability
}

// parseCapabilities decodes the capabilities of one Capabilities optional
// parameter into c. asn receives the 4-octet AS. off is the offset of b in
// the message.
func (c *Capabilities) parse(b []byte, off int, asn *uint32) error {
	for i := 0; i < len(b); {
		if len(b)-i < 2 || i+2+int(b[i+1]) > len(b) {
			return openError(off+i, "capability length", SubOpenUnspecific, ErrLength)
		}
		code, v := CapabilityCode(b[i]), b[i+2:i+2+int(b[i+1])]
		bad := func() error {
			return openError(off+i, fmt.Sprintf("capability %d value", code), SubOpenUnspecific, ErrLength)
		}
		switch code {
		case CapMultiprotocol:
			if len(v) != 4 {
				return bad()
			}
			c.Multiprotocol = append(c.Multiprotocol, Family{AFI(binary.BigEndian.Uint16(v)), SAFI(v[3])})
		case CapRouteRefresh:
			if len(v) != 0 {
				return bad()
			}
			c.RouteRefresh = true
		case CapEnhancedRouteRefresh:
			if len(v) != 0 {
				return bad()
			}
			c.EnhancedRouteRefresh = true
		case CapExtendedMessage:
			if len(v) != 0 {
				return bad()
			}
			c.ExtendedMessage = true
		case CapFourOctetAS:
			if len(v) != 4 {
				return bad()
			}
			c.FourOctetAS = true
			*asn = binary.BigEndian.Uint32(v)
		case CapGracefulRestart:
			if len(v) < 2 || (len(v)-2)%4 != 0 {
				return bad()
			}
			g := &GracefulRestart{
				Restarting:   v[0]&0x80 != 0,
				Notification: v[0]&0x40 != 0,
				Time:         binary.BigEndian.Uint16(v) & 0x0fff,
			}
			for j := 2; j < len(v); j += 4 {
				g.Families = append(g.Families, GracefulRestartFamily{
					Family:              Family{AFI(binary.BigEndian.Uint16(v[j:])), SAFI(v[j+2])},
					ForwardingPreserved: v[j+3]&0x80 != 0,
				})
			}
			c.GracefulRestart = g
		case CapAddPath:
			if len(v)%4 != 0 {
				return bad()
			}
			for j := 0; j < len(v); j += 4 {
				m := AddPathMode(v[j+3])
				if m < AddPathReceive || m > AddPathBoth {
					return bad()
				}
				c.AddPath = append(c.AddPath, AddPathFamily{Family{AFI(binary.BigEndian.Uint16(v[j:])), SAFI(v[j+2])}, m})
			}
		case CapExtendedNextHop:
			if len(v)%6 != 0 {
				return bad()
			}
			for j := 0; j < len(v); j += 6 {
				c.ExtendedNextHop = append(c.ExtendedNextHop, ExtendedNextHop{
					Family:     Family{AFI(binary.BigEndian.Uint16(v[j:])), SAFI(binary.BigEndian.Uint16(v[j+2:]))},
					NextHopAFI: AFI(binary.BigEndian.Uint16(v[j+4:])),
				})
			}
		default:
			c.Unknown = append(c.Unknown, RawCapability{Code: code, Value: v})
		}
		i += 2 + len(v)
	}
	return nil
}

// append appends the capabilities, each as one capability TLV. It fails if
// a capability value would not fit its one-octet length.
func (c *Capabilities) append(dst []byte, asn uint32) ([]byte, error) {
	tooLong := func(what string, n int) error {
		return fmt.Errorf("bgp: %s capability of %d bytes exceeds 255: %w", what, n, ErrTooLarge)
	}
	if n := 6 * len(c.ExtendedNextHop); n > 255 {
		return dst, tooLong("extended next hop", n)
	}
	if g := c.GracefulRestart; g != nil && 2+4*len(g.Families) > 255 {
		return dst, tooLong("graceful restart", 2+4*len(g.Families))
	}
	if n := 4 * len(c.AddPath); n > 255 {
		return dst, tooLong("ADD-PATH", n)
	}
	for _, u := range c.Unknown {
		if len(u.Value) > 255 {
			return dst, tooLong(fmt.Sprintf("code %d", u.Code), len(u.Value))
		}
	}
	for _, f := range c.Multiprotocol {
		dst = append(dst, byte(CapMultiprotocol), 4, byte(f.AFI>>8), byte(f.AFI), 0, byte(f.SAFI))
	}
	if c.RouteRefresh {
		dst = append(dst, byte(CapRouteRefresh), 0)
	}
	if c.ExtendedNextHop != nil {
		dst = append(dst, byte(CapExtendedNextHop), byte(6*len(c.ExtendedNextHop)))
		for _, e := range c.ExtendedNextHop {
			dst = binary.BigEndian.AppendUint16(dst, uint16(e.Family.AFI))
			dst = binary.BigEndian.AppendUint16(dst, uint16(e.Family.SAFI))
			dst = binary.BigEndian.AppendUint16(dst, uint16(e.NextHopAFI))
		}
	}
	if c.ExtendedMessage {
		dst = append(dst, byte(CapExtendedMessage), 0)
	}
	if g := c.GracefulRestart; g != nil {
		dst = append(dst, byte(CapGracefulRestart), byte(2+4*len(g.Families)))
		flags := g.Time & 0x0fff
		if g.Restarting {
			flags |= 0x8000
		}
		if g.Notification {
			flags |= 0x4000
		}
		dst = binary.BigEndian.AppendUint16(dst, flags)
		for _, f := range g.Families {
			var fl byte
			if f.ForwardingPreserved {
				fl = 0x80
			}
			dst = append(dst, byte(f.Family.AFI>>8), byte(f.Family.AFI), byte(f.Family.SAFI), fl)
		}
	}
	if c.FourOctetAS {
		dst = append(dst, byte(CapFourOctetAS), 4)
		dst = binary.BigEndian.AppendUint32(dst, asn)
	}
	if c.AddPath != nil {
		dst = append(dst, byte(CapAddPath), byte(4*len(c.AddPath)))
		for _, a := range c.AddPath {
			dst = append(dst, byte(a.Family.AFI>>8), byte(a.Family.AFI), byte(a.Family.SAFI), byte(a.Mode))
		}
	}
	if c.EnhancedRouteRefresh {
		dst = append(dst, byte(CapEnhancedRouteRefresh), 0)
	}
	for _, u := range c.Unknown {
		dst = append(dst, byte(u.Code), byte(len(u.Value)))
		dst = append(dst, u.Value...)
	}
	return dst, nil
}

// Negotiate derives the session state from our OPEN and the peer's (RFC
// 5492: a capability is in use when both sides announce it; for ADD-PATH,
// RFC 7911 section 4: we receive path IDs for a family when we can receive
// and the peer can send, and send them when we can send and it can
// receive; for extended next hop, RFC 8950 section 4: we may send an IPv6
// next hop for IPv4 NLRI when the peer announced it and accept one when we
// did).
func Negotiate(local, remote *Open) (DecodeOptions, EncodeOptions) {
	l, r := &local.Capabilities, &remote.Capabilities
	var d DecodeOptions
	var e EncodeOptions
	d.AS4 = l.FourOctetAS && r.FourOctetAS
	e.AS4 = d.AS4
	d.ExtendedMessage = l.ExtendedMessage && r.ExtendedMessage
	e.ExtendedMessage = d.ExtendedMessage
	for _, la := range l.AddPath {
		for _, ra := range r.AddPath {
			if la.Family != ra.Family {
				continue
			}
			if la.Mode&AddPathReceive != 0 && ra.Mode&AddPathSend != 0 {
				d.AddPath = d.AddPath.With(la.Family)
			}
			if la.Mode&AddPathSend != 0 && ra.Mode&AddPathReceive != 0 {
				e.AddPath = e.AddPath.With(la.Family)
			}
		}
	}
	for _, x := range l.ExtendedNextHop {
		if x.NextHopAFI == AFIIPv6 {
			d.ExtendedNextHop = d.ExtendedNextHop.With(x.Family)
		}
	}
	for _, x := range r.ExtendedNextHop {
		if x.NextHopAFI == AFIIPv6 {
			e.ExtendedNextHop = e.ExtendedNextHop.With(x.Family)
		}
	}
	// eBGP when the AS numbers differ. A peer in another member AS of our
	// confederation is internal for RFC 7606 purposes: clear EBGP for it.
	d.EBGP = local.ASN != remote.ASN
	return d, e
}
