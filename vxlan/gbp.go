package vxlan

import "encoding/binary"

// Bits of the second header byte used by the Group Based Policy extension.
const (
	gbpD = 0x40 // Don't Learn
	gbpA = 0x08 // Policy Applied
)

// decodeGBP reads the group policy of a header whose G bit is set.
func decodeGBP(b []byte) GroupPolicy {
	return GroupPolicy{
		Present:   true,
		DontLearn: b[1]&gbpD != 0,
		Applied:   b[1]&gbpA != 0,
		ID:        binary.BigEndian.Uint16(b[2:4]),
	}
}

// GroupPolicy is the VXLAN Group Based Policy extension
// (draft-smith-vxlan-group-policy): a 16-bit identifier of the sender's
// policy group, carried in bits that RFC 7348 reserves, so a VTEP that does
// not know the extension ignores it.
type GroupPolicy struct {
	// Present is the G bit: the header carries a group policy ID.
	Present bool
	// DontLearn is the D bit: the egress VTEP must not learn the inner
	// source address from this packet.
	DontLearn bool
	// Applied is the A bit: policy has already been applied to the packet.
	Applied bool
	// ID is the Group Policy ID.
	ID uint16
}
