package header

import (
	"bytes"
	"testing"
)

// addSeeds adds every sample packet and its interesting suffixes to the
// fuzz corpus.
func addSeeds(f *testing.F, extra ...[]byte) {
	for _, s := range seeds() {
		f.Add(s)
	}
	for _, s := range extra {
		f.Add(s)
	}
}

func FuzzParseEthernet(f *testing.F) {
	addSeeds(f, append(make([]byte, 12), 0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x86, 0xdd))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := ParseEthernet(b); err == nil {
			exerciseEthernet(t, e)
		}
	})
}

func FuzzParseARP(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := ParseARP(b); err == nil {
			exerciseARP(t, a)
		}
	})
}

func FuzzParseIPv4(f *testing.F) {
	// A header with options: Router Alert, NOP, EOL and padding.
	opts := []byte{0x47, 0, 0, 28, 0, 0, 0, 0, 1, 2, 0, 0, 10, 0, 0, 1, 224, 0, 0, 22, 148, 4, 0, 0, 1, 0, 0, 0}
	addSeeds(f, opts)
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseIPv4(b); err == nil {
			exerciseIPv4(t, h, false)
		}
		if h, err := ParseIPv4Partial(b); err == nil {
			exerciseIPv4(t, h, true)
		}
	})
}

func FuzzParseIPv6(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseIPv6(b); err == nil {
			exerciseIPv6(t, h, false)
		}
		if h, err := ParseIPv6Partial(b); err == nil {
			exerciseIPv6(t, h, true)
		}
	})
}

func FuzzIPv6Transport(f *testing.F) {
	addSeeds(f, ipv6Chain(MaxIPv6Extensions+1), ipv6Chain(3))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseIPv6(b)
		if err != nil {
			return
		}
		proto, off, err := h.Transport()
		if err == nil && (off < IPv6Size || off > len(h) || IsIPv6Extension(proto)) {
			t.Fatalf("Transport = %d at %d of %d", proto, off, len(h))
		}
	})
}

func FuzzParseTCP(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := ParseTCP(b); err == nil {
			exerciseTCP(t, s)
		}
	})
}

func FuzzTCPOptions(f *testing.F) {
	f.Add(synIPv4()[54:74])
	f.Add(dataIPv4()[58:70])
	f.Add([]byte{1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4})
	f.Add([]byte{2, 4, 5, 180, 3, 3, 7, 254, 6, 1, 2, 3, 4, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		exerciseTCPOptions(t, TCPOptions(b))
		// Options written by the Append helpers always walk cleanly.
		var opts []byte
		for o, err := range TCPOptions(b).All() {
			if err != nil {
				break
			}
			if o.Kind == TCPOptionEOL {
				break
			}
			if o.Kind == TCPOptionNOP {
				opts = AppendNOP(opts)
				continue
			}
			opts = append(append(opts, byte(o.Kind), byte(2+len(o.Data))), o.Data...)
		}
		for _, err := range TCPOptions(opts).All() {
			if err != nil {
				t.Fatalf("re-encoded options do not parse: %v", err)
			}
		}
		if !bytes.HasPrefix(b, opts) {
			t.Fatalf("re-encoded options %x are not a prefix of %x", opts, b)
		}
	})
}

func FuzzParseUDP(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if u, err := ParseUDP(b); err == nil {
			exerciseUDP(t, u)
		}
	})
}

func FuzzParseICMPv4(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ParseICMPv4(b); err == nil {
			exerciseICMPv4(t, m)
		}
	})
}

func FuzzParseICMPv6(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ParseICMPv6(b); err == nil {
			exerciseICMPv6(t, m)
		}
	})
}
