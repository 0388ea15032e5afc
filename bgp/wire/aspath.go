package wire

import (
	"encoding/binary"
	"fmt"
	"iter"
)

// SegmentType is the type of an AS_PATH segment (RFC 4271, RFC 5065).
type SegmentType uint8

// AS_PATH segment types.
const (
	ASSet            SegmentType = 1
	ASSequence       SegmentType = 2
	ASConfedSequence SegmentType = 3 // RFC 5065
	ASConfedSet      SegmentType = 4 // RFC 5065
)

func (t SegmentType) String() string {
	switch t {
	case ASSet:
		return "AS_SET"
	case ASSequence:
		return "AS_SEQUENCE"
	case ASConfedSequence:
		return "AS_CONFED_SEQUENCE"
	case ASConfedSet:
		return "AS_CONFED_SET"
	}
	return fmt.Sprintf("segment(%d)", uint8(t))
}

func (t SegmentType) confed() bool { return t == ASConfedSequence || t == ASConfedSet }

// ASPath is a view of an AS_PATH or AS4_PATH value.
type ASPath struct {
	b   []byte
	as4 bool
}

// ASPathSegment is a view of one AS_PATH segment.
type ASPathSegment struct {
	Type SegmentType
	b    []byte // the AS numbers
	as4  bool
}

// Segment is one AS_PATH segment as a value, for encoding.
type Segment struct {
	Type SegmentType
	ASNs []uint32
}

func (p ASPath) width() int {
	if p.as4 {
		return 4
	}
	return 2
}

// check validates the segments (RFC 7606 section 7.2): known type, non-zero
// length, no overrun, no trailing octet. It returns the offset of the bad
// segment, or -1; confed reports whether a confederation segment occurs.
func (p ASPath) check() (bad int, confed bool) {
	w := p.width()
	for i := 0; i < len(p.b); {
		if len(p.b)-i < 2 {
			return i, confed
		}
		t, n := SegmentType(p.b[i]), int(p.b[i+1])
		if t < ASSet || t > ASConfedSet || n == 0 || i+2+n*w > len(p.b) {
			return i, confed
		}
		confed = confed || t.confed()
		i += 2 + n*w
	}
	return -1, confed
}

// Segments yields the segments in order, stopping at a malformed one.
func (p ASPath) Segments() iter.Seq[ASPathSegment] {
	return func(yield func(ASPathSegment) bool) {
		w := p.width()
		for i := 0; i+2 <= len(p.b); {
			n := int(p.b[i+1])
			end := i + 2 + n*w
			if end > len(p.b) {
				return
			}
			if !yield(ASPathSegment{Type: SegmentType(p.b[i]), b: p.b[i+2 : end], as4: p.as4}) {
				return
			}
			i = end
		}
	}
}

// Len is the path length used by the decision process (RFC 4271 section
// 9.1.2.2): an AS_SET counts as one, confederation segments count as zero
// (RFC 5065).
func (p ASPath) Len() int {
	n := 0
	for s := range p.Segments() {
		switch s.Type {
		case ASSequence:
			n += s.Len()
		case ASSet:
			n++
		}
	}
	return n
}

// FirstAS is the leftmost AS of the first AS_SEQUENCE segment, which an
// eBGP speaker compares with the peer's AS (RFC 4271 section 6.3).
func (p ASPath) FirstAS() (asn uint32, ok bool) {
	for s := range p.Segments() {
		if s.Type == ASSequence && s.Len() > 0 {
			return s.At(0), true
		}
		return 0, false
	}
	return 0, false
}

// Len is the number of AS numbers in the segment.
func (s ASPathSegment) Len() int {
	if s.as4 {
		return len(s.b) / 4
	}
	return len(s.b) / 2
}

// At returns the i-th AS number; it panics if i is out of range, like a
// slice index.
func (s ASPathSegment) At(i int) uint32 {
	if s.as4 {
		return binary.BigEndian.Uint32(s.b[4*i:])
	}
	return uint32(binary.BigEndian.Uint16(s.b[2*i:]))
}

// ASNs yields the AS numbers of the segment in order.
func (s ASPathSegment) ASNs() iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		for i := range s.Len() {
			if !yield(s.At(i)) {
				return
			}
		}
	}
}

// Value copies the segment into a Segment.
func (s ASPathSegment) Value() Segment {
	v := Segment{Type: s.Type, ASNs: make([]uint32, s.Len())}
	for i := range v.ASNs {
		v.ASNs[i] = s.At(i)
	}
	return v
}

// appendSegments appends segs in the 2- or 4-octet encoding, mapping
// AS numbers above 65535 to AS_TRANS in the 2-octet one, and splitting
// sequences longer than 255. Confederation segments are left out when
// skipConfed (AS4_PATH never carries them, RFC 6793 section 3).
func appendSegments(dst []byte, segs []Segment, as4, skipConfed bool) ([]byte, error) {
	for _, s := range segs {
		if skipConfed && s.Type.confed() {
			continue
		}
		if s.Type < ASSet || s.Type > ASConfedSet || len(s.ASNs) == 0 {
			return dst, fmt.Errorf("bgp: AS_PATH segment %v with %d ASes: %w", s.Type, len(s.ASNs), ErrValue)
		}
		if len(s.ASNs) > 255 && (s.Type == ASSet || s.Type == ASConfedSet) {
			return dst, fmt.Errorf("bgp: %v of %d ASes does not fit one segment: %w", s.Type, len(s.ASNs), ErrTooLarge)
		}
		for asns := s.ASNs; len(asns) > 0; {
			n := min(len(asns), 255)
			dst = append(dst, byte(s.Type), byte(n))
			for _, a := range asns[:n] {
				if as4 {
					dst = binary.BigEndian.AppendUint32(dst, a)
				} else {
					if a > 0xffff {
						a = ASTrans
					}
					dst = binary.BigEndian.AppendUint16(dst, uint16(a))
				}
			}
			asns = asns[n:]
		}
	}
	return dst, nil
}

// needsAS4Path reports whether a 2-octet AS_PATH of segs loses information
// and must be sent with AS4_PATH (RFC 6793 section 4.2.2).
func needsAS4Path(segs []Segment) bool {
	for _, s := range segs {
		if s.Type.confed() {
			continue
		}
		for _, a := range s.ASNs {
			if a > 0xffff {
				return true
			}
		}
	}
	return false
}

// ReconcileAS4Path rebuilds the 4-octet AS path from the AS_PATH and
// AS4_PATH of an UPDATE received over a session without the 4-octet AS
// capability (RFC 6793 section 4.2.3), and appends it, in 4-octet AS_PATH
// encoding, to dst. View the result with ASPathFrom(result, true).
//
// If AS4_PATH holds more ASes than AS_PATH it is ignored and AS_PATH is
// returned as is (widened to 4 octets). Otherwise the leading ASes of
// AS_PATH (with any confederation segments met on the way) are followed by
// AS4_PATH. The caller ignores AS4_PATH altogether when AGGREGATOR names an
// AS other than AS_TRANS; Update.ASPath4 does all of this.
func ReconcileAS4Path(dst []byte, asPath, as4Path ASPath) []byte {
	n, m := asPath.Len(), as4Path.Len()
	if bad, _ := as4Path.check(); bad >= 0 || m > n {
		m, as4Path = 0, ASPath{}
	}
	need := n - m
	last := -1 // start of the last AS_SEQUENCE taken from AS_PATH
	for s := range asPath.Segments() {
		if !s.Type.confed() {
			if need == 0 {
				break
			}
			take := s.Len()
			if s.Type == ASSet {
				need--
			} else {
				take = min(take, need)
				need -= take
			}
			last = -1
			if s.Type == ASSequence {
				last = len(dst)
			}
			dst = appendSegmentView(dst, s, take)
			continue
		}
		last = -1
		dst = appendSegmentView(dst, s, s.Len())
	}
	for s := range as4Path.Segments() {
		if s.Type.confed() {
			continue
		}
		if last >= 0 && s.Type == ASSequence && int(dst[last+1])+s.Len() <= 255 {
			// continue the AS_SEQUENCE the prepended ASes ended with
			dst[last+1] += byte(s.Len())
			for i := range s.Len() {
				dst = binary.BigEndian.AppendUint32(dst, s.At(i))
			}
		} else {
			dst = appendSegmentView(dst, s, s.Len())
		}
		last = -1
	}
	return dst
}

func appendSegmentView(dst []byte, s ASPathSegment, take int) []byte {
	dst = append(dst, byte(s.Type), byte(take))
	for i := range take {
		dst = binary.BigEndian.AppendUint32(dst, s.At(i))
	}
	return dst
}

// ASPathFrom views b as an AS_PATH value with 4- or 2-octet AS numbers.
func ASPathFrom(b []byte, as4 bool) ASPath { return ASPath{b: b, as4: as4} }
