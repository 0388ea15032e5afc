package model

import (
	"github.com/sdnfabric/sdnfabric/provision"
)

// A MAC is a 48-bit Ethernet address: the provision module's value type,
// with a text form ("02:00:5e:10:00:01") for JSON and YAML. The zero MAC
// in a spec means "allocate one" (see Allocate).
type MAC provision.MAC

// ParseMAC parses "02:00:5e:10:00:01" (or '-' separated).
func ParseMAC(s string) (MAC, error) {
	m, err := provision.ParseMAC(s)
	return MAC(m), err
}

// String returns the colon-separated lower-case form.
func (m MAC) String() string { return provision.MAC(m).String() }

// IsZero reports whether m is all zeros (not yet allocated).
func (m MAC) IsZero() bool { return m == MAC{} }

// IsMulticast reports whether the I/G bit is set.
func (m MAC) IsMulticast() bool { return m[0]&1 != 0 }

// IsLocal reports whether the U/L bit marks a locally administered address.
func (m MAC) IsLocal() bool { return m[0]&2 != 0 }

// MarshalText implements encoding.TextMarshaler.
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *MAC) UnmarshalText(b []byte) error {
	v, err := ParseMAC(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
