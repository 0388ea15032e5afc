package bfd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// State is a session state (RFC 5880 section 4.1).
type State uint8

// The states.
const (
	AdminDown State = 0
	Down      State = 1
	Init      State = 2
	Up        State = 3
)

func (s State) String() string {
	switch s {
	case AdminDown:
		return "AdminDown"
	case Down:
		return "Down"
	case Init:
		return "Init"
	case Up:
		return "Up"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Diag is a diagnostic code: why the sender's session last left Up.
type Diag uint8

// The diagnostic codes of RFC 5880 section 4.1.
const (
	DiagNone                  Diag = 0
	DiagDetectionTimeExpired  Diag = 1
	DiagEchoFailed            Diag = 2
	DiagNeighborDown          Diag = 3
	DiagForwardingPlaneReset  Diag = 4
	DiagPathDown              Diag = 5
	DiagConcatenatedPathDown  Diag = 6
	DiagAdminDown             Diag = 7
	DiagReverseConcatPathDown Diag = 8
	maxDiag                        = 31
)

var diagNames = [...]string{"none", "control detection time expired", "echo function failed",
	"neighbor signaled session down", "forwarding plane reset", "path down",
	"concatenated path down", "administratively down", "reverse concatenated path down"}

func (d Diag) String() string {
	if int(d) < len(diagNames) {
		return diagNames[d]
	}
	return fmt.Sprintf("diag %d", uint8(d))
}

// Version is the protocol version of RFC 5880.
const Version = 1

// PacketLen is the length of a control packet without authentication.
const PacketLen = 24

// Flag bits of the second octet, after the state.
const (
	flagPoll          = 0x20
	flagFinal         = 0x10
	flagCPI           = 0x08
	flagAuth          = 0x04
	flagDemand        = 0x02
	flagMultipoint    = 0x01
	minAuthPacketLen  = PacketLen + 2
	maxPacketLen      = 255
	microsecondsLimit = 1<<32 - 1
)

// Packet is a BFD control packet. Intervals are carried in microseconds on
// the wire; Duration values are rounded down to a microsecond.
type Packet struct {
	Diag               Diag
	State              State
	Poll, Final        bool
	ControlPlaneIndep  bool // C: BFD does not share fate with the control plane
	Auth               bool // A: an authentication section follows (not supported)
	Demand, Multipoint bool
	DetectMult         uint8
	MyDiscriminator    uint32
	YourDiscriminator  uint32
	DesiredMinTx       time.Duration
	RequiredMinRx      time.Duration
	RequiredMinEchoRx  time.Duration
}

// Errors wrapped by *Error: a packet that RFC 5880 section 6.8.6 says to
// discard.
var (
	ErrShort         = errors.New("bfd: packet too short")
	ErrVersion       = errors.New("bfd: unsupported version")
	ErrLength        = errors.New("bfd: bad length field")
	ErrDetectMult    = errors.New("bfd: detect multiplier is zero")
	ErrMultipoint    = errors.New("bfd: multipoint bit set")
	ErrDiscriminator = errors.New("bfd: my discriminator is zero")
	ErrAuth          = errors.New("bfd: authentication not configured")
)

// Error is a packet rejected by Parse: the field and the reason.
type Error struct {
	Field string
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("bfd: %s: %v", e.Field, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Parse decodes a control packet and applies the checks of RFC 5880
// section 6.8.6 that need no session: version, length, detect multiplier,
// multipoint, my discriminator, and authentication (which no session of
// this package has configured). It allocates only for an error.
func Parse(b []byte) (Packet, error) {
	if len(b) < PacketLen {
		return Packet{}, &Error{"packet", ErrShort}
	}
	if v := b[0] >> 5; v != Version {
		return Packet{}, &Error{"version", fmt.Errorf("%w: %d", ErrVersion, v)}
	}
	flags := b[1]
	p := Packet{
		Diag:              Diag(b[0] & 0x1f),
		State:             State(flags >> 6),
		Poll:              flags&flagPoll != 0,
		Final:             flags&flagFinal != 0,
		ControlPlaneIndep: flags&flagCPI != 0,
		Auth:              flags&flagAuth != 0,
		Demand:            flags&flagDemand != 0,
		Multipoint:        flags&flagMultipoint != 0,
		DetectMult:        b[2],
		MyDiscriminator:   binary.BigEndian.Uint32(b[4:]),
		YourDiscriminator: binary.BigEndian.Uint32(b[8:]),
		DesiredMinTx:      micro(b[12:]),
		RequiredMinRx:     micro(b[16:]),
		RequiredMinEchoRx: micro(b[20:]),
	}
	n := int(b[3])
	switch {
	case n < PacketLen, p.Auth && n < minAuthPacketLen:
		return Packet{}, &Error{"length", fmt.Errorf("%w: %d", ErrLength, n)}
	case n > len(b):
		return Packet{}, &Error{"length", fmt.Errorf("%w: %d, packet has %d bytes", ErrLength, n, len(b))}
	case p.DetectMult == 0:
		return Packet{}, &Error{"detect mult", ErrDetectMult}
	case p.Multipoint:
		return Packet{}, &Error{"flags", ErrMultipoint}
	case p.MyDiscriminator == 0:
		return Packet{}, &Error{"my discriminator", ErrDiscriminator}
	case p.Auth:
		return Packet{}, &Error{"flags", ErrAuth}
	}
	return p, nil
}

func micro(b []byte) time.Duration {
	return time.Duration(binary.BigEndian.Uint32(b)) * time.Microsecond
}

func putMicro(dst []byte, d time.Duration) []byte {
	us := d / time.Microsecond
	if us > microsecondsLimit {
		us = microsecondsLimit
	}
	if us < 0 {
		us = 0
	}
	return binary.BigEndian.AppendUint32(dst, uint32(us))
}

// Append appends the packet's wire form (24 octets, no authentication
// section) to dst. Intervals beyond the 32-bit microsecond field are
// clamped.
func (p Packet) Append(dst []byte) []byte {
	flags := byte(p.State&3)<<6 | bit(p.Poll, flagPoll) | bit(p.Final, flagFinal) |
		bit(p.ControlPlaneIndep, flagCPI) | bit(p.Auth, flagAuth) |
		bit(p.Demand, flagDemand) | bit(p.Multipoint, flagMultipoint)
	dst = append(dst, Version<<5|byte(p.Diag&maxDiag), flags, p.DetectMult, PacketLen)
	dst = binary.BigEndian.AppendUint32(dst, p.MyDiscriminator)
	dst = binary.BigEndian.AppendUint32(dst, p.YourDiscriminator)
	dst = putMicro(dst, p.DesiredMinTx)
	dst = putMicro(dst, p.RequiredMinRx)
	return putMicro(dst, p.RequiredMinEchoRx)
}

func bit(set bool, b byte) byte {
	if set {
		return b
	}
	return 0
}
