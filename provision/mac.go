package provision

import (
	"encoding/binary"
	"fmt"
)

// MAC is a 48-bit Ethernet address (a value type, comparable, no allocation).
type MAC [6]byte

// ParseMAC parses "02:00:5e:10:00:01" (or '-' separated).
func ParseMAC(s string) (MAC, error) {
	var m MAC
	if len(s) != 17 {
		return m, fmt.Errorf("%w: %q: want 17 characters", ErrBadMAC, s)
	}
	sep := s[2]
	if sep != ':' && sep != '-' {
		return m, fmt.Errorf("%w: %q: separator at offset 2", ErrBadMAC, s)
	}
	for i := range 6 {
		if i > 0 && s[3*i-1] != sep {
			return m, fmt.Errorf("%w: %q: separator at offset %d", ErrBadMAC, s, 3*i-1)
		}
		hi, ok1 := unhex(s[3*i])
		lo, ok2 := unhex(s[3*i+1])
		if !ok1 || !ok2 {
			return m, fmt.Errorf("%w: %q: hex digit at offset %d", ErrBadMAC, s, 3*i)
		}
		m[i] = hi<<4 | lo
	}
	return m, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// IsMulticast reports whether the I/G bit is set.
func (m MAC) IsMulticast() bool { return m[0]&1 != 0 }

// IsLocal reports whether the U/L bit marks a locally administered address.
func (m MAC) IsLocal() bool { return m[0]&2 != 0 }

// IsZero reports whether m is all zeros.
func (m MAC) IsZero() bool { return m == MAC{} }

func (m MAC) String() string {
	const hx = "0123456789abcdef"
	b := make([]byte, 0, 17)
	for i, v := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hx[v>>4], hx[v&15])
	}
	return string(b)
}

// localMAC builds the locally administered unicast address
// 02:pp:pp:ss:ss:ss from a 16-bit catalog prefix and a 24-bit sequence
// number (U/L bit set, I/G bit clear).
func localMAC(prefix uint16, seq uint32) MAC {
	var m MAC
	m[0] = 0x02
	binary.BigEndian.PutUint16(m[1:3], prefix)
	m[3] = byte(seq >> 16)
	m[4] = byte(seq >> 8)
	m[5] = byte(seq)
	return m
}
