package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Version is the BGP version this package speaks.
const Version = 4

// Open is an OPEN message (RFC 4271 section 4.2) with its capabilities.
type Open struct {
	// ASN is the speaker's AS. Above 65535 it is sent as AS_TRANS in the
	// 2-octet field and in full in the 4-octet AS capability, which then
	// must be announced (RFC 6793 section 3). When decoding, the 4-octet
	// capability wins over the 2-octet field.
	ASN      uint32
	HoldTime uint16     // seconds: 0 or at least 3
	RouterID netip.Addr // BGP Identifier, IPv4 form
	Capabilities
}

func openError(off int, field string, sub uint8, err error) *Error {
	return &Error{Msg: TypeOpen, Field: field, Offset: off, Action: ActionSessionReset,
		Code: CodeOpen, Subcode: sub, Err: err}
}

// ParseOpen decodes a whole OPEN message, header included. It checks the
// version, hold time, BGP Identifier and optional parameters (RFC 4271
// section 6.2, RFC 5492, RFC 9072 extended optional parameters); the peer
// AS is for the session to check (SubBadPeerAS). Errors are *Error with
// the NOTIFICATION to send.
func ParseOpen(b []byte) (Open, error) {
	var o Open
	if err := checkMessage(b, TypeOpen, MaxMessageLen); err != nil {
		return o, err
	}
	if b[19] != Version {
		e := openError(19, "version", SubUnsupportedVersion, ErrValue)
		e.Data = []byte{0, Version} // the largest version we support
		return o, e
	}
	o.ASN = uint32(binary.BigEndian.Uint16(b[20:]))
	o.HoldTime = binary.BigEndian.Uint16(b[22:])
	if o.HoldTime == 1 || o.HoldTime == 2 {
		return o, openError(22, "hold time", SubUnacceptableHoldTime, ErrValue)
	}
	o.RouterID = netip.AddrFrom4([4]byte(b[24:28]))
	if o.RouterID.IsUnspecified() {
		return o, openError(24, "BGP identifier", SubBadBGPIdentifier, ErrValue)
	}
	params, off := b[29:], 29
	pl := int(b[28])
	ext := false
	if len(params) >= 3 && b[28] == 255 && params[0] == 255 {
		// RFC 9072: non-extended length 255 and type 255, then a
		// 2-octet length; parameters then carry 2-octet lengths too.
		pl, ext = int(binary.BigEndian.Uint16(params[1:])), true
		params, off = params[3:], off+3
	}
	if pl != len(params) {
		return o, openError(28, "optional parameters length", SubOpenUnspecific, ErrLength)
	}
	var asn4 uint32
	for i := 0; i < len(params); {
		h := 2
		if ext {
			h = 3
		}
		if len(params)-i < h {
			return o, openError(off+i, "optional parameter", SubOpenUnspecific, ErrLength)
		}
		t, l := params[i], int(params[i+1])
		if ext {
			l = int(binary.BigEndian.Uint16(params[i+1:]))
		}
		if i+h+l > len(params) {
			return o, openError(off+i, "optional parameter length", SubOpenUnspecific, ErrLength)
		}
		if t != 2 { // only Capabilities (RFC 5492) is defined
			return o, openError(off+i, fmt.Sprintf("optional parameter %d", t), SubUnsupportedOptionalParam, ErrType)
		}
		if err := o.Capabilities.parse(params[i+h:i+h+l], off+i+h, &asn4); err != nil {
			return o, err
		}
		i += h + l
	}
	if o.FourOctetAS {
		o.ASN = asn4
	}
	return o, nil
}

// Append appends the OPEN message. The capabilities go in one Capabilities
// optional parameter, in the RFC 9072 extended form only if they need more
// than 255 bytes.
func (o *Open) Append(dst []byte) ([]byte, error) {
	if o.ASN > 0xffff && !o.FourOctetAS {
		return dst, fmt.Errorf("bgp: OPEN with AS %d needs the 4-octet AS capability: %w", o.ASN, ErrValue)
	}
	if o.HoldTime == 1 || o.HoldTime == 2 {
		return dst, fmt.Errorf("bgp: OPEN hold time %d s: must be 0 or at least 3: %w", o.HoldTime, ErrValue)
	}
	if !o.RouterID.Is4() || o.RouterID.IsUnspecified() {
		return dst, fmt.Errorf("bgp: OPEN router ID %v is not IPv4: %w", o.RouterID, ErrValue)
	}
	start := len(dst)
	dst = appendHeader(dst, TypeOpen)
	as := o.ASN
	if as > 0xffff {
		as = ASTrans
	}
	dst = append(dst, Version)
	dst = binary.BigEndian.AppendUint16(dst, uint16(as))
	dst = binary.BigEndian.AppendUint16(dst, o.HoldTime)
	id := o.RouterID.As4()
	dst = append(dst, id[:]...)
	pl := len(dst)
	dst = append(dst, 0, 2, 0) // params length, Capabilities type, length
	caps := len(dst)
	dst, err := o.Capabilities.append(dst, o.ASN)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - caps
	switch {
	case n == 0:
		dst = dst[:pl+1]
	case n <= 253:
		dst[pl], dst[pl+2] = byte(n+2), byte(n)
	default: // RFC 9072 extended optional parameters
		dst = append(dst, 0, 0, 0, 0)
		copy(dst[caps+4:], dst[caps:caps+n])
		dst[pl], dst[pl+1] = 255, 255
		binary.BigEndian.PutUint16(dst[pl+2:], uint16(n+3))
		dst[pl+4] = 2
		binary.BigEndian.PutUint16(dst[pl+5:], uint16(n))
		dst = dst[:pl+7+n]
	}
	return patchLength(dst, start, MaxMessageLen)
}
