package nat

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// Reasons a packet is dropped or refused. The policy reasons are returned
// as they are (no allocation, so a flood costs no garbage); malformed input
// comes as an *Error wrapping ErrMalformed and the parser's error.
var (
	// ErrMalformed: a header is truncated or inconsistent.
	ErrMalformed = errors.New("malformed packet")
	// ErrBadChecksum: the IPv4 header checksum, an ICMP error's checksum
	// or the checksum of the IPv4 header quoted in an ICMP error is wrong.
	ErrBadChecksum = errors.New("bad checksum")
	// ErrUnknownProtocol: the NAT translates TCP, UDP and ICMP only.
	ErrUnknownProtocol = errors.New("unknown protocol")
	// ErrUnsupportedICMP: an ICMP type that is neither a query nor an
	// error the NAT translates (RFC 5508 REQ-11 allows the drop).
	ErrUnsupportedICMP = errors.New("unsupported ICMP type")
	// ErrFragment: a fragment the NAT does not translate: a fragment of an
	// ICMP error, or an out-of-order fragment larger than
	// HeldFragmentSize.
	ErrFragment = errors.New("fragment not translated")
	// ErrFragmentHeld: a non-first fragment arrived before the first
	// fragment of its datagram; the NAT keeps a copy and releases it
	// (Released) when the first fragment has been translated.
	ErrFragmentHeld = errors.New("fragment held until its first fragment")
	// ErrNoMapping: no mapping matches an inbound packet or the packet
	// quoted in an ICMP error.
	ErrNoMapping = errors.New("no mapping")
	// ErrFiltered: a mapping exists but the filtering refuses the source.
	ErrFiltered = errors.New("filtered")
	// ErrTableFull: the session table holds MaxSessions sessions.
	ErrTableFull = errors.New("session table full")
	// ErrHostLimit: the internal host holds MaxSessionsPerHost sessions.
	ErrHostLimit = errors.New("per-host session limit")
	// ErrPortsExhausted: no free external port for a new mapping.
	ErrPortsExhausted = errors.New("external ports exhausted")
)

// Error reports a malformed packet: the direction, what was being parsed,
// and the cause (often a *header.Error with the field and offset).
// errors.Is matches ErrMalformed or ErrBadChecksum, and errors.As reaches
// the *header.Error.
type Error struct {
	Dir    string // "outbound" or "inbound"
	Part   string // "ipv4", "tcp", "udp", "icmp", "embedded ipv4", ...
	Reason error  // ErrMalformed or ErrBadChecksum
	Err    error  // the parser's error, or nil
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("nat: %s %s: %v: %v", e.Dir, e.Part, e.Reason, e.Err)
	}
	return fmt.Sprintf("nat: %s %s: %v", e.Dir, e.Part, e.Reason)
}

// Unwrap returns the reason and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

func dirName(out bool) string {
	if out {
		return "outbound"
	}
	return "inbound"
}

func malformed(out bool, part string, err error) error {
	return &Error{Dir: dirName(out), Part: part, Reason: ErrMalformed, Err: err}
}

func badChecksum(out bool, part string) error {
	return &Error{Dir: dirName(out), Part: part, Reason: ErrBadChecksum}
}

func cryptoRead(b []byte) { rand.Read(b) }
