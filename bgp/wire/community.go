package wire

import (
	"encoding/binary"
	"fmt"
	"iter"
)

// Community is a COMMUNITIES value (RFC 1997): high 16 bits an AS, low 16
// bits a local value.
type Community uint32

// Well-known communities (RFC 1997, RFC 7999, RFC 8326).
const (
	CommunityGracefulShutdown  Community = 0xFFFF0000 // RFC 8326
	CommunityBlackhole         Community = 0xFFFF029A // RFC 7999
	CommunityNoExport          Community = 0xFFFFFF01
	CommunityNoAdvertise       Community = 0xFFFFFF02
	CommunityNoExportSubconfed Community = 0xFFFFFF03
)

func (c Community) String() string { return fmt.Sprintf("%d:%d", uint32(c)>>16, uint32(c)&0xffff) }

// Communities is a view of a COMMUNITIES value.
type Communities struct{ b []byte }

// Communities reads COMMUNITIES.
func (a Attr) Communities() Communities { return Communities{b: a.Value} }

// Len is the number of communities.
func (c Communities) Len() int { return len(c.b) / 4 }

// All yields the communities in order.
func (c Communities) All() iter.Seq[Community] {
	return func(yield func(Community) bool) {
		for i := 0; i+4 <= len(c.b); i += 4 {
			if !yield(Community(binary.BigEndian.Uint32(c.b[i:]))) {
				return
			}
		}
	}
}

// Contains reports whether x is in the list.
func (c Communities) Contains(x Community) bool {
	for i := 0; i+4 <= len(c.b); i += 4 {
		if Community(binary.BigEndian.Uint32(c.b[i:])) == x {
			return true
		}
	}
	return false
}

// ExtendedCommunity is one EXTENDED_COMMUNITIES value (RFC 4360).
type ExtendedCommunity [8]byte

// Type is the type octet (high) and the sub-type octet (low).
func (e ExtendedCommunity) Type() (typ, subtype uint8) { return e[0], e[1] }

// Transitive reports whether the community is transitive across ASes
// (the T bit of the type octet is 0).
func (e ExtendedCommunity) Transitive() bool { return e[0]&0x40 == 0 }

func (e ExtendedCommunity) String() string { return fmt.Sprintf("%x", e[:]) }

// ExtendedCommunities is a view of an EXTENDED_COMMUNITIES value.
type ExtendedCommunities struct{ b []byte }

// ExtendedCommunities reads EXTENDED_COMMUNITIES.
func (a Attr) ExtendedCommunities() ExtendedCommunities { return ExtendedCommunities{b: a.Value} }

// Len is the number of extended communities.
func (c ExtendedCommunities) Len() int { return len(c.b) / 8 }

// All yields the extended communities in order.
func (c ExtendedCommunities) All() iter.Seq[ExtendedCommunity] {
	return func(yield func(ExtendedCommunity) bool) {
		for i := 0; i+8 <= len(c.b); i += 8 {
			if !yield(ExtendedCommunity(c.b[i : i+8])) {
				return
			}
		}
	}
}

// LargeCommunity is one LARGE_COMMUNITY value (RFC 8092).
type LargeCommunity struct {
	GlobalAdmin, LocalData1, LocalData2 uint32
}

func (l LargeCommunity) String() string {
	return fmt.Sprintf("%d:%d:%d", l.GlobalAdmin, l.LocalData1, l.LocalData2)
}

// LargeCommunities is a view of a LARGE_COMMUNITY value.
type LargeCommunities struct{ b []byte }

// LargeCommunities reads LARGE_COMMUNITY.
func (a Attr) LargeCommunities() LargeCommunities { return LargeCommunities{b: a.Value} }

// Len is the number of large communities.
func (c LargeCommunities) Len() int { return len(c.b) / 12 }

// All yields the large communities in order.
func (c LargeCommunities) All() iter.Seq[LargeCommunity] {
	return func(yield func(LargeCommunity) bool) {
		for i := 0; i+12 <= len(c.b); i += 12 {
			l := LargeCommunity{
				GlobalAdmin: binary.BigEndian.Uint32(c.b[i:]),
				LocalData1:  binary.BigEndian.Uint32(c.b[i+4:]),
				LocalData2:  binary.BigEndian.Uint32(c.b[i+8:]),
			}
			if !yield(l) {
				return
			}
		}
	}
}
