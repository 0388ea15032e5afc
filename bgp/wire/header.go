package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Message sizes (RFC 4271 section 4.1, RFC 8654).
const (
	HeaderLen             = 19    // marker, length, type
	MaxMessageLen         = 4096  // without the extended message capability
	MaxExtendedMessageLen = 65535 // with the extended message capability (RFC 8654)
)

// MessageType is the type octet of the message header.
type MessageType uint8

// Message types (RFC 4271, RFC 2918).
const (
	TypeOpen         MessageType = 1
	TypeUpdate       MessageType = 2
	TypeNotification MessageType = 3
	TypeKeepalive    MessageType = 4
	TypeRouteRefresh MessageType = 5
)

func (t MessageType) String() string {
	switch t {
	case TypeOpen:
		return "OPEN"
	case TypeUpdate:
		return "UPDATE"
	case TypeNotification:
		return "NOTIFICATION"
	case TypeKeepalive:
		return "KEEPALIVE"
	case TypeRouteRefresh:
		return "ROUTE-REFRESH"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// minLen is the smallest valid length of each message type, header included.
func (t MessageType) minLen() int {
	switch t {
	case TypeOpen:
		return 29
	case TypeUpdate:
		return 23
	case TypeNotification:
		return 21
	case TypeKeepalive:
		return 19
	case TypeRouteRefresh:
		return 23
	}
	return 0
}

// Header is the fixed BGP message header.
type Header struct {
	Length uint16 // total message length, header included
	Type   MessageType
}

// ParseHeader checks the marker, type and length of the header at the start
// of b against maxLen (MaxMessageLen, or MaxExtendedMessageLen once the
// extended message capability is negotiated; OPEN and KEEPALIVE are always
// limited to 4096 by RFC 8654). It does not need the whole message to be in
// b. Errors carry the NOTIFICATION of RFC 4271 section 6.1.
func ParseHeader(b []byte, maxLen int) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, &Error{Field: "header", Offset: len(b), Action: ActionSessionReset,
			Code: CodeMessageHeader, Subcode: SubBadMessageLength, Err: ErrShort}
	}
	if binary.LittleEndian.Uint64(b[:8])&binary.LittleEndian.Uint64(b[8:16]) != ^uint64(0) {
		i := 0
		for b[i] == 0xff {
			i++
		}
		return Header{}, &Error{Field: "marker", Offset: i, Action: ActionSessionReset,
			Code: CodeMessageHeader, Subcode: SubConnectionNotSynchronized, Err: ErrMarker}
	}
	h := Header{Length: binary.BigEndian.Uint16(b[16:]), Type: MessageType(b[18])}
	min := h.Type.minLen()
	if min == 0 {
		return h, &Error{Field: "type", Offset: 18, Action: ActionSessionReset,
			Code: CodeMessageHeader, Subcode: SubBadMessageType, Data: b[18:19], Err: ErrType}
	}
	max := maxLen
	if h.Type == TypeOpen || h.Type == TypeKeepalive || max <= 0 || max > MaxExtendedMessageLen {
		max = MaxMessageLen
	}
	l := int(h.Length)
	if l < min || l > max || (h.Type == TypeKeepalive && l != HeaderLen) {
		return h, &Error{Msg: h.Type, Field: "length", Offset: 16, Action: ActionSessionReset,
			Code: CodeMessageHeader, Subcode: SubBadMessageLength, Data: b[16:18], Err: ErrLength}
	}
	return h, nil
}

// appendHeader appends a header with a zero length; patchLength fills it in.
func appendHeader(dst []byte, t MessageType) []byte {
	dst = append(dst, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	return append(dst, 0, 0, byte(t))
}

// patchLength sets the length of the message that starts at dst[start:].
func patchLength(dst []byte, start, maxLen int) ([]byte, error) {
	n := len(dst) - start
	if n > maxLen {
		return dst[:start], fmt.Errorf("bgp: %s of %d bytes exceeds %d: %w", MessageType(dst[start+18]), n, maxLen, ErrTooLarge)
	}
	binary.BigEndian.PutUint16(dst[start+16:], uint16(n))
	return dst, nil
}

// ReadMessage reads one whole message from r into buf (grown if needed, so
// pass a buffer of MaxExtendedMessageLen capacity to never allocate) and
// returns it, header included. The header is checked with ParseHeader
// before the body is read, so a hostile length never makes it read more than
// maxLen bytes.
func ReadMessage(r io.Reader, buf []byte, maxLen int) ([]byte, error) {
	if cap(buf) < HeaderLen {
		buf = make([]byte, 0, MaxMessageLen)
	}
	buf = buf[:HeaderLen]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	h, err := ParseHeader(buf, maxLen)
	if err != nil {
		return nil, err
	}
	n := int(h.Length)
	if cap(buf) < n {
		nb := make([]byte, n)
		copy(nb, buf)
		buf = nb
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf[HeaderLen:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// checkMessage validates the header of a complete message b of type t and
// that len(b) equals the header length.
func checkMessage(b []byte, t MessageType, maxLen int) error {
	h, err := ParseHeader(b, maxLen)
	if err != nil {
		return err
	}
	if h.Type != t {
		return &Error{Msg: t, Field: "type", Offset: 18, Action: ActionSessionReset,
			Code: CodeMessageHeader, Subcode: SubBadMessageType, Data: b[18:19], Err: ErrType}
	}
	if int(h.Length) != len(b) {
		return &Error{Msg: t, Field: "length", Offset: 16, Action: ActionSessionReset,
			Code: CodeMessageHeader, Subcode: SubBadMessageLength, Data: b[16:18], Err: ErrLength}
	}
	return nil
}

// AppendKeepalive appends a KEEPALIVE message.
func AppendKeepalive(dst []byte) []byte {
	dst = appendHeader(dst, TypeKeepalive)
	dst[len(dst)-3] = 0
	dst[len(dst)-2] = HeaderLen
	return dst
}

// ParseKeepalive checks that b is a KEEPALIVE message.
func ParseKeepalive(b []byte) error {
	return checkMessage(b, TypeKeepalive, MaxMessageLen)
}
