package wire

import (
	"fmt"
	"unicode/utf8"
)

// ErrorCode is the error code of a NOTIFICATION message (RFC 4271 section
// 4.5, RFC 2918/7313 for ROUTE-REFRESH).
type ErrorCode uint8

// NOTIFICATION error codes.
const (
	CodeMessageHeader ErrorCode = 1
	CodeOpen          ErrorCode = 2
	CodeUpdate        ErrorCode = 3
	CodeHoldTimer     ErrorCode = 4
	CodeFSM           ErrorCode = 5
	CodeCease         ErrorCode = 6
	CodeRouteRefresh  ErrorCode = 7 // RFC 7313
)

func (c ErrorCode) String() string {
	switch c {
	case CodeMessageHeader:
		return "Message Header Error"
	case CodeOpen:
		return "OPEN Message Error"
	case CodeUpdate:
		return "UPDATE Message Error"
	case CodeHoldTimer:
		return "Hold Timer Expired"
	case CodeFSM:
		return "Finite State Machine Error"
	case CodeCease:
		return "Cease"
	case CodeRouteRefresh:
		return "ROUTE-REFRESH Message Error"
	}
	return fmt.Sprintf("error code %d", uint8(c))
}

// Message Header Error subcodes (RFC 4271 section 6.1).
const (
	SubConnectionNotSynchronized uint8 = 1
	SubBadMessageLength          uint8 = 2
	SubBadMessageType            uint8 = 3
)

// OPEN Message Error subcodes (RFC 4271 section 6.2, RFC 5492).
const (
	SubOpenUnspecific           uint8 = 0
	SubUnsupportedVersion       uint8 = 1
	SubBadPeerAS                uint8 = 2
	SubBadBGPIdentifier         uint8 = 3
	SubUnsupportedOptionalParam uint8 = 4
	SubUnacceptableHoldTime     uint8 = 6
	SubUnsupportedCapability    uint8 = 7 // RFC 5492
	SubRoleMismatch             uint8 = 11
)

// UPDATE Message Error subcodes (RFC 4271 section 6.3).
const (
	SubMalformedAttributeList uint8 = 1
	SubUnrecognizedWellKnown  uint8 = 2
	SubMissingWellKnown       uint8 = 3
	SubAttributeFlags         uint8 = 4
	SubAttributeLength        uint8 = 5
	SubInvalidOrigin          uint8 = 6
	SubInvalidNextHop         uint8 = 8
	SubOptionalAttribute      uint8 = 9
	SubInvalidNetworkField    uint8 = 10
	SubMalformedASPath        uint8 = 11
)

// Finite State Machine Error subcodes (RFC 6608).
const (
	SubFSMUnexpectedOpenSent    uint8 = 1
	SubFSMUnexpectedOpenConfirm uint8 = 2
	SubFSMUnexpectedEstablished uint8 = 3
)

// Cease subcodes (RFC 4486, RFC 8203/9003).
const (
	SubMaxPrefixes            uint8 = 1
	SubAdministrativeShutdown uint8 = 2
	SubPeerDeconfigured       uint8 = 3
	SubAdministrativeReset    uint8 = 4
	SubConnectionRejected     uint8 = 5
	SubOtherConfigChange      uint8 = 6
	SubConnectionCollision    uint8 = 7
	SubOutOfResources         uint8 = 8
	SubHardReset              uint8 = 9 // RFC 8538
)

// ROUTE-REFRESH Message Error subcodes (RFC 7313).
const SubInvalidRouteRefreshLength uint8 = 1

// MaxShutdownMessageLen is the longest shutdown communication (RFC 9003).
const MaxShutdownMessageLen = 255

// Notification is a NOTIFICATION message. Parsed values alias the message
// bytes in Data.
type Notification struct {
	Code    ErrorCode
	Subcode uint8
	Data    []byte
}

// ParseNotification decodes a whole NOTIFICATION message, header included.
func ParseNotification(b []byte) (Notification, error) {
	if err := checkMessage(b, TypeNotification, MaxExtendedMessageLen); err != nil {
		return Notification{}, err
	}
	n := Notification{Code: ErrorCode(b[19]), Subcode: b[20]}
	if len(b) > 21 {
		n.Data = b[21:]
	}
	return n, nil
}

// Append appends the NOTIFICATION message. The Data field is cut so the
// message fits in 4096 bytes.
func (n Notification) Append(dst []byte) []byte {
	start := len(dst)
	dst = appendHeader(dst, TypeNotification)
	dst = append(dst, byte(n.Code), n.Subcode)
	data := n.Data
	if len(data) > MaxMessageLen-21 {
		data = data[:MaxMessageLen-21]
	}
	dst = append(dst, data...)
	dst, _ = patchLength(dst, start, MaxMessageLen)
	return dst
}

// NewShutdown returns a Cease NOTIFICATION with the given subcode
// (SubAdministrativeShutdown or SubAdministrativeReset) carrying a shutdown
// communication (RFC 9003). A message longer than 255 bytes is cut at a
// UTF-8 boundary.
func NewShutdown(subcode uint8, msg string) Notification {
	if len(msg) > MaxShutdownMessageLen {
		cut := MaxShutdownMessageLen
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	data := make([]byte, 0, 1+len(msg))
	data = append(data, byte(len(msg)))
	data = append(data, msg...)
	return Notification{Code: CodeCease, Subcode: subcode, Data: data}
}

// ShutdownMessage returns the shutdown communication (RFC 9003) of a Cease
// / Administrative Shutdown or Administrative Reset NOTIFICATION. ok is
// false when there is none or it is malformed (length past the data, or not
// UTF-8); RFC 9003 says such a message is only logged, never an error.
func (n Notification) ShutdownMessage() (msg string, ok bool) {
	if n.Code != CodeCease || (n.Subcode != SubAdministrativeShutdown && n.Subcode != SubAdministrativeReset) {
		return "", false
	}
	if len(n.Data) == 0 {
		return "", false
	}
	l := int(n.Data[0])
	if l == 0 || 1+l > len(n.Data) {
		return "", false
	}
	m := n.Data[1 : 1+l]
	if !utf8.Valid(m) {
		return "", false
	}
	return string(m), true
}

func (n Notification) String() string {
	s := fmt.Sprintf("%s subcode %d", n.Code, n.Subcode)
	if m, ok := n.ShutdownMessage(); ok {
		s += fmt.Sprintf(" %q", m)
	}
	return s
}
