package wire

import (
	"encoding/binary"
	"errors"
	"iter"
	"net/netip"
)

// DecodeOptions is the negotiated session state that decoding an UPDATE
// depends on. The session FSM fills it in from the two OPEN messages
// (see Negotiate). The zero value is a plain RFC 4271 session.
type DecodeOptions struct {
	AS4             bool      // 4-octet AS numbers (RFC 6793) in AS_PATH and AGGREGATOR
	ExtendedMessage bool      // UPDATEs up to 65535 bytes (RFC 8654)
	AddPath         FamilySet // families whose received NLRI carry path identifiers (RFC 7911)
	ExtendedNextHop FamilySet // families that may arrive with an IPv6 next hop (RFC 8950)
	// EBGP marks a peer outside our AS and confederation: LOCAL_PREF,
	// ORIGINATOR_ID and CLUSTER_LIST from it are discarded and
	// confederation segments in AS_PATH are malformed (RFC 7606 section 7).
	EBGP bool
	// LocalAddr is our address on the session; a NEXT_HOP equal to it is
	// semantically incorrect (RFC 4271 section 6.3).
	LocalAddr netip.Addr
}

func (o *DecodeOptions) maxLen() int {
	if o.ExtendedMessage {
		return MaxExtendedMessageLen
	}
	return MaxMessageLen
}

// Update is a view of an UPDATE message over the caller's bytes, validated
// by ParseUpdate. Its iterators and accessors allocate nothing; the bytes
// must not change while the view is in use.
type Update struct {
	withdrawn []byte
	attrs     []byte // the path attributes that could be delimited
	nlri      []byte
	attrsOff  int // offset of attrs in the message
	opts      DecodeOptions

	// offsets in attrs of MP_REACH_NLRI and MP_UNREACH_NLRI, plus one
	// (0: absent), recorded by validate so Reachable and Unreachable need
	// no search.
	mpReach, mpUnreach int

	action  Action
	err     error     // every problem found, errors.Join'ed
	discard [4]uint64 // attribute types to skip (attribute discard)
	disable FamilySet // families of a malformed MP_REACH/MP_UNREACH_NLRI
}

// ParseUpdate decodes and validates a whole UPDATE message (header
// included): the header, the field lengths, every withdrawn and announced
// prefix, and every path attribute (flags, length, value, duplicates, the
// mandatory attributes), as RFC 4271 section 6.3 and RFC 7606 say.
//
// A non-nil error means the session must be reset: it is an *Error whose
// Notification is the message to send. Lesser problems do not return an
// error: Update.Action says whether to treat the UPDATE as a withdrawal or
// to discard attributes, and Update.Err describes them.
func ParseUpdate(b []byte, opts *DecodeOptions) (Update, error) {
	var u Update
	if opts != nil {
		u.opts = *opts
	}
	if err := checkMessage(b, TypeUpdate, u.opts.maxLen()); err != nil {
		return Update{}, err
	}
	body := b[HeaderLen:]
	wl := int(binary.BigEndian.Uint16(body))
	if 2+wl+2 > len(body) {
		return Update{}, updateError(HeaderLen, "withdrawn routes length", SubMalformedAttributeList, ErrLength)
	}
	al := int(binary.BigEndian.Uint16(body[2+wl:]))
	if 4+wl+al > len(body) {
		return Update{}, updateError(HeaderLen+2+wl, "total path attribute length", SubMalformedAttributeList, ErrLength)
	}
	u.withdrawn = body[2 : 2+wl]
	u.attrsOff = HeaderLen + 4 + wl
	u.attrs = body[4+wl : 4+wl+al]
	u.nlri = body[4+wl+al:]
	addPath := u.opts.AddPath.Has(IPv4Unicast)
	if off := checkPrefixes(u.withdrawn, IPv4Unicast, addPath); off >= 0 {
		return Update{}, updateError(HeaderLen+2+off, "withdrawn routes", SubInvalidNetworkField, ErrValue)
	}
	if off := checkPrefixes(u.nlri, IPv4Unicast, addPath); off >= 0 {
		return Update{}, updateError(u.attrsOff+al+off, "NLRI", SubInvalidNetworkField, ErrValue)
	}
	if fatal := u.validate(); fatal != nil {
		return Update{}, fatal
	}
	return u, nil
}

func updateError(off int, field string, sub uint8, err error) *Error {
	return &Error{Msg: TypeUpdate, Field: field, Offset: off, Action: ActionSessionReset,
		Code: CodeUpdate, Subcode: sub, Err: err}
}

// Action is what the receiver must do with this UPDATE (RFC 7606): nothing,
// discard some attributes (already skipped by Attrs), or treat every prefix
// it announces as withdrawn (Reachable then yields nothing and Unreachable
// yields them). ParseUpdate returns an error instead of ActionSessionReset.
func (u *Update) Action() Action { return u.action }

// Disable returns the families to disable for the rest of the session
// (ActionAFISAFIDisable): those of a malformed MP_REACH_NLRI or
// MP_UNREACH_NLRI. Reachable and Unreachable yield none of their prefixes.
func (u *Update) Disable() FamilySet { return u.disable }

// Err describes every problem behind Action, nil if there is none. Use
// errors.As with *Error to get each attribute's details.
func (u *Update) Err() error { return u.err }

// Options returns the session state the update was decoded with.
func (u *Update) Options() DecodeOptions { return u.opts }

// Withdrawn yields the IPv4 unicast prefixes of the Withdrawn Routes field.
func (u *Update) Withdrawn() iter.Seq[NLRI] {
	return prefixes(u.withdrawn, IPv4Unicast, u.opts.AddPath.Has(IPv4Unicast))
}

// NLRI yields the IPv4 unicast prefixes of the NLRI field.
func (u *Update) NLRI() iter.Seq[NLRI] {
	return prefixes(u.nlri, IPv4Unicast, u.opts.AddPath.Has(IPv4Unicast))
}

// Attrs yields the path attributes in message order, leaving out repeated
// ones (only the first counts, RFC 7606 section 3(g)) and discarded ones.
func (u *Update) Attrs() iter.Seq[Attr] {
	return func(yield func(Attr) bool) { u.walkAttrs(yield) }
}

func (u *Update) walkAttrs(yield func(Attr) bool) {
	var seen [4]uint64
	b := u.attrs
	for len(b) >= 3 {
		flags, t := AttrFlags(b[0]), AttrType(b[1])
		h, l := 3, int(b[2])
		if flags&FlagExtendedLength != 0 {
			if len(b) < 4 {
				return
			}
			h, l = 4, int(binary.BigEndian.Uint16(b[2:]))
		}
		if h+l > len(b) {
			return
		}
		v := b[h : h+l]
		b = b[h+l:]
		w, m := t>>6, uint64(1)<<(t&63)
		if (seen[w]|u.discard[w])&m != 0 {
			continue
		}
		seen[w] |= m
		if !yield(Attr{Flags: flags, Type: t, Value: v, as4: u.opts.AS4, addPath: u.opts.AddPath}) {
			return
		}
	}
}

// Attr returns the attribute of type t, if present and not discarded.
func (u *Update) Attr(t AttrType) (Attr, bool) {
	if u.discard[t>>6]&(1<<(t&63)) != 0 {
		return Attr{}, false
	}
	b := u.attrs
	for len(b) > 0 {
		a, n := readAttr(b)
		if n <= 0 {
			break
		}
		if a.Type == t {
			a.as4, a.addPath = u.opts.AS4, u.opts.AddPath
			return a, true
		}
		b = b[n:]
	}
	return Attr{}, false
}

// MPReach returns the MP_REACH_NLRI attribute, if present.
func (u *Update) MPReach() (MPReach, bool) {
	if u.mpReach == 0 {
		return MPReach{}, false
	}
	a, _ := readAttr(u.attrs[u.mpReach-1:])
	a.addPath = u.opts.AddPath
	return a.MPReach()
}

// MPUnreach returns the MP_UNREACH_NLRI attribute, if present.
func (u *Update) MPUnreach() (MPUnreach, bool) {
	if u.mpUnreach == 0 {
		return MPUnreach{}, false
	}
	a, _ := readAttr(u.attrs[u.mpUnreach-1:])
	a.addPath = u.opts.AddPath
	return a.MPUnreach()
}

// Reachable yields every prefix the UPDATE announces with its family: the
// NLRI field (IPv4 unicast) and MP_REACH_NLRI. It yields nothing when the
// Action is ActionTreatAsWithdraw.
func (u *Update) Reachable() iter.Seq2[Family, NLRI] {
	return func(yield func(Family, NLRI) bool) {
		if u.action < ActionTreatAsWithdraw {
			u.walkReach(yield)
		}
	}
}

// Unreachable yields every prefix the UPDATE withdraws with its family: the
// Withdrawn Routes field and MP_UNREACH_NLRI, and also the announced ones
// when the Action is ActionTreatAsWithdraw or ActionAFISAFIDisable (except
// those of the disabled families).
func (u *Update) Unreachable() iter.Seq2[Family, NLRI] {
	return func(yield func(Family, NLRI) bool) {
		if !u.disable.Has(IPv4Unicast) {
			for p := range u.Withdrawn() {
				if !yield(IPv4Unicast, p) {
					return
				}
			}
		}
		if m, ok := u.MPUnreach(); ok && !u.disable.Has(m.Family) {
			for p := range m.NLRI() {
				if !yield(m.Family, p) {
					return
				}
			}
		}
		if u.action == ActionTreatAsWithdraw || u.action == ActionAFISAFIDisable {
			u.walkReach(yield)
		}
	}
}

func (u *Update) walkReach(yield func(Family, NLRI) bool) bool {
	if !u.disable.Has(IPv4Unicast) && !walkPrefixes(u.nlri, IPv4Unicast, u.opts.AddPath.Has(IPv4Unicast), yield) {
		return false
	}
	if m, ok := u.MPReach(); ok && !u.disable.Has(m.Family) {
		return walkPrefixes(m.RawNLRI, m.Family, m.addPath, yield)
	}
	return true
}

// EndOfRIB reports whether the UPDATE is an End-of-RIB marker (RFC 4724
// section 2) and for which family: an empty UPDATE for IPv4 unicast, or one
// holding only an empty MP_UNREACH_NLRI.
func (u *Update) EndOfRIB() (Family, bool) {
	if len(u.withdrawn) != 0 || len(u.nlri) != 0 {
		return Family{}, false
	}
	if len(u.attrs) == 0 {
		return IPv4Unicast, true
	}
	a, n := readAttr(u.attrs)
	if n != len(u.attrs) || a.Type != AttrMPUnreachNLRI {
		return Family{}, false
	}
	if m, ok := a.MPUnreach(); ok && len(m.RawNLRI) == 0 {
		return m.Family, true
	}
	return Family{}, false
}

// ASPath returns the AS path in 4-octet form. Over a session with 4-octet AS
// numbers that is the AS_PATH attribute itself; otherwise AS_PATH and
// AS4_PATH are reconciled (RFC 6793 section 4.2.3) into scratch, which is
// returned grown so the caller can reuse it. ok is false without AS_PATH.
func (u *Update) ASPath(scratch []byte) (p ASPath, out []byte, ok bool) {
	a, ok := u.Attr(AttrASPath)
	if !ok {
		return ASPath{}, scratch, false
	}
	if u.opts.AS4 {
		return a.ASPath(), scratch, true
	}
	as4, has4 := u.Attr(AttrAS4Path)
	if agg, ok := u.Attr(AttrAggregator); ok && agg.Aggregator().ASN != ASTrans {
		has4 = false // RFC 6793 4.2.3: AGGREGATOR from an OLD speaker voids AS4_PATH
	}
	if !has4 {
		out = ReconcileAS4Path(scratch[:0], a.ASPath(), ASPath{as4: true})
	} else {
		out = ReconcileAS4Path(scratch[:0], a.ASPath(), as4.ASPath())
	}
	return ASPathFrom(out, true), out, true
}

// Aggregator returns the aggregator with its 4-octet AS: AGGREGATOR, or
// AS4_AGGREGATOR when AGGREGATOR holds AS_TRANS on a 2-octet session (RFC
// 6793 section 4.2.3).
func (u *Update) Aggregator() (Aggregator, bool) {
	a, ok := u.Attr(AttrAggregator)
	if !ok {
		return Aggregator{}, false
	}
	agg := a.Aggregator()
	if !u.opts.AS4 && agg.ASN == ASTrans {
		if a4, ok := u.Attr(AttrAS4Aggregator); ok {
			agg = a4.Aggregator()
		}
	}
	return agg, true
}

// note records a problem and raises the action to its severity.
func (u *Update) note(e *Error) {
	e.Msg = TypeUpdate
	if e.Action > u.action {
		u.action = e.Action
	}
	if u.err == nil {
		u.err = e
	} else {
		u.err = errors.Join(u.err, e)
	}
}
