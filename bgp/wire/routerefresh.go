package wire

import "encoding/binary"

// Route refresh message subtypes (RFC 7313 section 3.2; 0 is RFC 2918).
const (
	RefreshNormal uint8 = 0 // plain ROUTE-REFRESH request
	RefreshBoRR   uint8 = 1 // Beginning of Route Refresh
	RefreshEoRR   uint8 = 2 // End of Route Refresh
)

// RouteRefresh is a ROUTE-REFRESH message (RFC 2918, RFC 7313).
type RouteRefresh struct {
	Family  Family
	Subtype uint8 // RefreshNormal, RefreshBoRR or RefreshEoRR
	// ORF holds Outbound Route Filtering entries (RFC 5291) following a
	// normal request, undecoded; it aliases the message.
	ORF []byte
}

// ParseRouteRefresh decodes a whole ROUTE-REFRESH message, header included.
// A BoRR or EoRR whose body is not 4 bytes gets the ROUTE-REFRESH Message
// Error of RFC 7313 section 5, with the message as Data. Subtypes 3 to 255
// are reserved and to be ignored by the caller (RFC 7313 section 5).
func ParseRouteRefresh(b []byte, maxLen int) (RouteRefresh, error) {
	if err := checkMessage(b, TypeRouteRefresh, maxLen); err != nil {
		return RouteRefresh{}, err
	}
	r := RouteRefresh{
		Family:  Family{AFI(binary.BigEndian.Uint16(b[19:])), SAFI(b[22])},
		Subtype: b[21],
	}
	if len(b) > 23 {
		if r.Subtype == RefreshBoRR || r.Subtype == RefreshEoRR {
			return RouteRefresh{}, &Error{Msg: TypeRouteRefresh, Field: "length", Offset: 16,
				Action: ActionSessionReset, Code: CodeRouteRefresh, Subcode: SubInvalidRouteRefreshLength,
				Data: b, Err: ErrLength}
		}
		r.ORF = b[23:]
	}
	return r, nil
}

// Append appends the ROUTE-REFRESH message.
func (r RouteRefresh) Append(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = appendHeader(dst, TypeRouteRefresh)
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Family.AFI))
	dst = append(dst, r.Subtype, byte(r.Family.SAFI))
	dst = append(dst, r.ORF...)
	return patchLength(dst, start, MaxExtendedMessageLen)
}
