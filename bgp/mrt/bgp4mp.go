package mrt

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Subtypes of BGP4MP and BGP4MP_ET (RFC 6396 section 4.4, RFC 8050
// section 3).
const (
	SubStateChange            uint16 = 0
	SubMessage                uint16 = 1
	SubMessageAS4             uint16 = 4
	SubStateChangeAS4         uint16 = 5
	SubMessageLocal           uint16 = 6
	SubMessageAS4Local        uint16 = 7
	SubMessageAddPath         uint16 = 8
	SubMessageAS4AddPath      uint16 = 9
	SubMessageLocalAddPath    uint16 = 10
	SubMessageAS4LocalAddPath uint16 = 11
)

// State is a BGP FSM state as BGP4MP_STATE_CHANGE numbers it (RFC 6396
// section 4.4.1).
type State uint16

// The states.
const (
	StateIdle        State = 1
	StateConnect     State = 2
	StateActive      State = 3
	StateOpenSent    State = 4
	StateOpenConfirm State = 5
	StateEstablished State = 6
)

// BGP4MP is a BGP4MP record: a BGP message exchanged with a peer, or a
// change of the session's state.
type BGP4MP struct {
	PeerAS, LocalAS     uint32
	IfIndex             uint16
	PeerAddr, LocalAddr netip.Addr // both IPv4 or both IPv6

	// AS4 says the AS fields are 4 octets (the _AS4 subtypes). Collectors
	// write those for sessions with 4-octet AS numbers, so Message's
	// AS_PATH is taken to be in 4-octet form too (see DecodeOptions).
	AS4 bool
	// Local marks a message sent by the local speaker (the _LOCAL
	// subtypes); AddPath one whose NLRI carry path identifiers (RFC 8050).
	Local, AddPath bool

	// StateChange records carry the states; message records the whole
	// BGP message, header included, aliasing the record.
	StateChange        bool
	OldState, NewState State
	Message            []byte
}

type bgp4mpKind struct{ as4, local, addPath, state bool }

var bgp4mpSubtypes = map[uint16]bgp4mpKind{
	SubStateChange:            {state: true},
	SubMessage:                {},
	SubMessageAS4:             {as4: true},
	SubStateChangeAS4:         {as4: true, state: true},
	SubMessageLocal:           {local: true},
	SubMessageAS4Local:        {as4: true, local: true},
	SubMessageAddPath:         {addPath: true},
	SubMessageAS4AddPath:      {as4: true, addPath: true},
	SubMessageLocalAddPath:    {local: true, addPath: true},
	SubMessageAS4LocalAddPath: {as4: true, local: true, addPath: true},
}

// BGP4MP decodes a BGP4MP or BGP4MP_ET record. It allocates nothing.
func (r Record) BGP4MP() (BGP4MP, error) {
	k, ok := bgp4mpSubtypes[r.Subtype]
	if (r.Type != TypeBGP4MP && r.Type != TypeBGP4MPET) || !ok {
		return BGP4MP{}, r.err("type", 0, ErrType)
	}
	m := BGP4MP{AS4: k.as4, Local: k.local, AddPath: k.addPath, StateChange: k.state}
	b := r.Data
	asl := 2
	if k.as4 {
		asl = 4
	}
	if len(b) < 2*asl+4 {
		return BGP4MP{}, r.err("AS numbers", 0, ErrTruncated)
	}
	if k.as4 {
		m.PeerAS, m.LocalAS = binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	} else {
		m.PeerAS, m.LocalAS = uint32(binary.BigEndian.Uint16(b)), uint32(binary.BigEndian.Uint16(b[2:]))
	}
	off := 2 * asl
	m.IfIndex = binary.BigEndian.Uint16(b[off:])
	afi := wire.AFI(binary.BigEndian.Uint16(b[off+2:]))
	off += 4
	al := 4
	switch afi {
	case wire.AFIIPv4:
	case wire.AFIIPv6:
		al = 16
	default:
		return BGP4MP{}, r.err("address family", off-2, ErrValue)
	}
	if len(b) < off+2*al {
		return BGP4MP{}, r.err("addresses", off, ErrTruncated)
	}
	if al == 4 {
		m.PeerAddr, m.LocalAddr = netip.AddrFrom4([4]byte(b[off:])), netip.AddrFrom4([4]byte(b[off+4:]))
	} else {
		m.PeerAddr, m.LocalAddr = netip.AddrFrom16([16]byte(b[off:])), netip.AddrFrom16([16]byte(b[off+16:]))
	}
	off += 2 * al
	if k.state {
		if len(b) != off+4 {
			return BGP4MP{}, r.err("states", off, ErrTruncated)
		}
		m.OldState, m.NewState = State(binary.BigEndian.Uint16(b[off:])), State(binary.BigEndian.Uint16(b[off+2:]))
		return m, nil
	}
	if _, err := wire.ParseHeader(b[off:], wire.MaxExtendedMessageLen); err != nil {
		return BGP4MP{}, r.err("BGP message", off, err)
	}
	if int(binary.BigEndian.Uint16(b[off+16:])) != len(b)-off {
		return BGP4MP{}, r.err("BGP message length", off+16, ErrValue)
	}
	m.Message = b[off:]
	return m, nil
}

// DecodeOptions returns the options to parse Message with: 4-octet AS
// numbers for the _AS4 subtypes, path identifiers on every family for the
// ADD-PATH ones, and messages up to the extended size.
func (m BGP4MP) DecodeOptions() wire.DecodeOptions {
	o := wire.DecodeOptions{AS4: m.AS4, ExtendedMessage: true}
	if m.AddPath {
		o.AddPath = o.AddPath.With(wire.IPv4Unicast).With(wire.IPv6Unicast).
			With(wire.IPv4Multicast).With(wire.IPv6Multicast)
	}
	return o
}

// Subtype returns the record subtype that m's flags select. State changes
// have no _LOCAL or ADD-PATH subtypes: Local and AddPath are ignored for
// them.
func (m BGP4MP) Subtype() uint16 {
	want := bgp4mpKind{as4: m.AS4, state: m.StateChange,
		local: m.Local && !m.StateChange, addPath: m.AddPath && !m.StateChange}
	for sub, k := range bgp4mpSubtypes {
		if k == want {
			return sub
		}
	}
	panic("mrt: no BGP4MP subtype") // every combination of the flags has one
}

// Record returns m as a BGP4MP record, or a BGP4MP_ET record when ts has
// sub-second precision. It fails when the addresses are not of one family,
// or an AS number needs 4 octets and AS4 is not set.
func (m BGP4MP) Record(ts time.Time) (Record, error) {
	r := Record{Time: ts.Truncate(time.Microsecond), Type: TypeBGP4MP, Subtype: m.Subtype()}
	if ts.Nanosecond() != 0 {
		r.Type = TypeBGP4MPET
	}
	if !m.AS4 && (m.PeerAS > 0xffff || m.LocalAS > 0xffff) {
		return Record{}, r.err("AS numbers", 0, ErrValue)
	}
	p, l := m.PeerAddr.Unmap(), m.LocalAddr.Unmap()
	if !p.IsValid() || p.Is4() != l.Is4() || !l.IsValid() {
		return Record{}, r.err("addresses", 0, ErrValue)
	}
	var b []byte
	if m.AS4 {
		b = binary.BigEndian.AppendUint32(b, m.PeerAS)
		b = binary.BigEndian.AppendUint32(b, m.LocalAS)
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(m.PeerAS))
		b = binary.BigEndian.AppendUint16(b, uint16(m.LocalAS))
	}
	b = binary.BigEndian.AppendUint16(b, m.IfIndex)
	if p.Is4() {
		b = binary.BigEndian.AppendUint16(b, uint16(wire.AFIIPv4))
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(wire.AFIIPv6))
	}
	b = append(b, p.AsSlice()...)
	b = append(b, l.AsSlice()...)
	if m.StateChange {
		b = binary.BigEndian.AppendUint16(b, uint16(m.OldState))
		b = binary.BigEndian.AppendUint16(b, uint16(m.NewState))
	} else {
		b = append(b, m.Message...)
	}
	r.Data = b
	return r, nil
}
