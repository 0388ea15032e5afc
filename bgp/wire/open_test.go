package wire

import (
	"errors"
	"testing"
)

// TestOpenErrors checks the OPEN Message Error subcodes and Data of RFC 4271
// section 6.2 and RFC 5492.
func TestOpenErrors(t *testing.T) {
	good := mustHex(t, openHex)
	cases := []struct {
		name string
		mod  func([]byte)
		sub  uint8
		data []byte
		want error
	}{
		{"version 3", func(b []byte) { b[19] = 3 }, SubUnsupportedVersion, []byte{0, 4}, ErrValue},
		{"hold time 2", func(b []byte) { b[22], b[23] = 0, 2 }, SubUnacceptableHoldTime, nil, ErrValue},
		{"BGP identifier 0", func(b []byte) { copy(b[24:28], []byte{0, 0, 0, 0}) }, SubBadBGPIdentifier, nil, ErrValue},
		{"parameters length", func(b []byte) { b[28]-- }, SubOpenUnspecific, nil, ErrLength},
		{"optional parameter type", func(b []byte) { b[29] = 1 }, SubUnsupportedOptionalParam, nil, ErrType},
		{"capability overrun", func(b []byte) { b[31+1] = 200 }, SubOpenUnspecific, nil, ErrLength},
		{"4-octet AS capability length", func(b []byte) { b[48] = 3 }, SubOpenUnspecific, nil, ErrLength},
	}
	for _, c := range cases {
		b := append([]byte(nil), good...)
		c.mod(b)
		_, err := ParseOpen(b)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, c.want) || e.Code != CodeOpen || e.Subcode != c.sub ||
			string(e.Data) != string(c.data) || e.Msg != TypeOpen || e.Action != ActionSessionReset {
			t.Errorf("%s: %v (%+v)", c.name, err, e)
		}
	}
}
