package wire

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by a decoder is an *Error that wraps
// one of these, so callers can test the kind with errors.Is and read the
// details (field, offset, attribute, action, NOTIFICATION) with errors.As.
var (
	// ErrShort: the input ends before a field it must hold.
	ErrShort = errors.New("input too short")
	// ErrMarker: the 16-octet header marker is not all ones.
	ErrMarker = errors.New("header marker is not all ones")
	// ErrLength: a length field is out of range or disagrees with the data.
	ErrLength = errors.New("bad length")
	// ErrType: an unknown message type, segment type, code or similar.
	ErrType = errors.New("unknown type")
	// ErrValue: a field holds a value the protocol forbids.
	ErrValue = errors.New("bad value")
	// ErrFlags: path attribute flags conflict with the attribute type.
	ErrFlags = errors.New("attribute flags conflict with type")
	// ErrDuplicate: an attribute or capability appears more than once
	// where that is not allowed.
	ErrDuplicate = errors.New("duplicate")
	// ErrMissing: a mandatory attribute is absent.
	ErrMissing = errors.New("missing mandatory attribute")
	// ErrTooLarge: an encoder was asked to build a message larger than the
	// negotiated maximum.
	ErrTooLarge = errors.New("message too large")
)

// Action is what RFC 7606 (and RFC 4271 section 6 where RFC 7606 keeps it)
// tells the receiver of a malformed message to do. Actions are ordered by
// severity: a message with several problems takes the most severe one.
type Action uint8

const (
	// ActionNone: the message is well formed.
	ActionNone Action = iota
	// ActionAttributeDiscard: drop the named attribute(s) and process the
	// rest of the UPDATE (RFC 7606 section 2). Update.Attrs already skips
	// discarded attributes.
	ActionAttributeDiscard
	// ActionTreatAsWithdraw: handle every prefix of the UPDATE (NLRI field
	// and MP_REACH_NLRI) as if it had been withdrawn (RFC 7606 section 2).
	ActionTreatAsWithdraw
	// ActionAFISAFIDisable: an MP_REACH_NLRI or MP_UNREACH_NLRI of a
	// known AFI/SAFI is malformed (RFC 7606 section 7.11). Delete every
	// route of that family received from the peer and ignore the family
	// for the rest of the session (RFC 4760 section 7); Update.Disable
	// names the families. The UPDATE's other prefixes are treated as
	// withdrawn.
	ActionAFISAFIDisable
	// ActionSessionReset: send the NOTIFICATION given by the error and
	// close the session.
	ActionSessionReset
)

func (a Action) String() string {
	switch a {
	case ActionNone:
		return "none"
	case ActionAttributeDiscard:
		return "attribute-discard"
	case ActionTreatAsWithdraw:
		return "treat-as-withdraw"
	case ActionAFISAFIDisable:
		return "afi-safi-disable"
	case ActionSessionReset:
		return "session-reset"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Error describes one problem in a received message: which message and field
// (and path attribute, if any), the offset of the field from the start of the
// message, what RFC 7606 says to do, and the NOTIFICATION (code, subcode and
// Data field per RFC 4271 section 6) that goes with it.
//
// Data aliases the decoded message; copy it before the buffer is reused.
type Error struct {
	Msg     MessageType // message being decoded, 0 if unknown
	Field   string      // field that was wrong, e.g. "withdrawn routes length"
	Attr    AttrType    // path attribute involved, 0 if none
	Offset  int         // byte offset of the field from the start of the message
	Action  Action      // what the receiver must do
	Code    ErrorCode   // NOTIFICATION error code for ActionSessionReset
	Subcode uint8       // NOTIFICATION error subcode
	Data    []byte      // NOTIFICATION Data field the RFC says to send
	// Family is set for a malformed MP_REACH_NLRI or MP_UNREACH_NLRI whose
	// AFI/SAFI could be read: RFC 7606 section 7.11 lets the receiver
	// disable that family (dropping its routes from the peer) instead of
	// resetting the session.
	Family Family
	Err    error // one of the sentinel errors above
}

func (e *Error) Error() string {
	s := "bgp"
	if e.Msg != 0 {
		s += " " + e.Msg.String()
	}
	if e.Attr != 0 {
		s += " " + e.Attr.String()
	}
	return fmt.Sprintf("%s: %s at offset %d: %v (%s)", s, e.Field, e.Offset, e.Err, e.Action)
}

func (e *Error) Unwrap() error { return e.Err }

// Notification returns the NOTIFICATION message to send for this error.
func (e *Error) Notification() Notification {
	return Notification{Code: e.Code, Subcode: e.Subcode, Data: e.Data}
}
