package provision

import (
	"fmt"
	"strconv"
	"strings"
)

// NamingScheme turns an instance number into a hostname, after MCS machine
// catalogs: "WEB-###" gives WEB-001, WEB-002 ... WEB-999. The run of '#'
// marks the zero-padded number; there must be exactly one run.
type NamingScheme struct {
	prefix, suffix string
	width          int
}

// ParseNamingScheme parses a scheme such as "WEB-###". The result must be a
// valid DNS label (letters, digits, hyphen; at most 15 characters so that
// NetBIOS computer names fit).
func ParseNamingScheme(s string) (NamingScheme, error) {
	i := strings.IndexByte(s, '#')
	if i < 0 {
		return NamingScheme{}, fmt.Errorf("%w: %q has no '#' run", ErrBadScheme, s)
	}
	j := i
	for j < len(s) && s[j] == '#' {
		j++
	}
	if strings.IndexByte(s[j:], '#') >= 0 {
		return NamingScheme{}, fmt.Errorf("%w: %q has more than one '#' run", ErrBadScheme, s)
	}
	ns := NamingScheme{prefix: s[:i], suffix: s[j:], width: j - i}
	if ns.width > 9 {
		return NamingScheme{}, fmt.Errorf("%w: %q: at most 9 digits", ErrBadScheme, s)
	}
	if n := len(s); n > 15 {
		return NamingScheme{}, fmt.Errorf("%w: %q: names would be %d characters, limit 15", ErrBadScheme, s, n)
	}
	for k := 0; k < len(s); k++ {
		c := s[k]
		ok := c == '#' || c == '-' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !ok {
			return NamingScheme{}, fmt.Errorf("%w: %q: character %q at offset %d", ErrBadScheme, s, c, k)
		}
	}
	if s[0] == '-' || s[len(s)-1] == '-' {
		return NamingScheme{}, fmt.Errorf("%w: %q: may not start or end with '-'", ErrBadScheme, s)
	}
	return ns, nil
}

// Max is the largest number the scheme can name.
func (ns NamingScheme) Max() int {
	m := 1
	for range ns.width {
		m *= 10
	}
	return m - 1
}

// Name returns the hostname for number n (1 <= n <= Max).
func (ns NamingScheme) Name(n int) (string, error) {
	if n < 1 || n > ns.Max() {
		return "", &PoolError{Pool: "hostname", Value: strconv.Itoa(n), Err: ErrPoolExhausted}
	}
	d := strconv.Itoa(n)
	return ns.prefix + strings.Repeat("0", ns.width-len(d)) + d + ns.suffix, nil
}

// String returns the scheme as written.
func (ns NamingScheme) String() string {
	return ns.prefix + strings.Repeat("#", ns.width) + ns.suffix
}
