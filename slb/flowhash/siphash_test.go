package flowhash

import (
	"testing"

	"pgregory.net/rapid"
)

// referenceKey is the key 00 01 ... 0f used by the SipHash paper's
// test vectors.
var referenceKey = Key{K0: 0x0706050403020100, K1: 0x0f0e0d0c0b0a0908}

func seqBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// TestSipHash24Vectors checks the vectors of the SipHash paper (Appendix
// A, message 00..0e) and of its reference implementation: key 00..0f,
// message 00 01 ... of the given length.
func TestSipHash24Vectors(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want uint64
	}{
		{0, 0x726fdb47dd0e0e31},
		{1, 0x74f839c593dc67fd},
		{15, 0xa129ca6149be45e5},
	} {
		if got := SipHash24(referenceKey, seqBytes(tc.n)); got != tc.want {
			t.Errorf("SipHash24(%d bytes) = %#016x, want %#016x", tc.n, got, tc.want)
		}
		if got := SipHash24(referenceKey, string(seqBytes(tc.n))); got != tc.want {
			t.Errorf("SipHash24(string, %d bytes) = %#016x, want %#016x", tc.n, got, tc.want)
		}
	}
}

// TestSipHash13Vectors checks SipHash-1-3 against CPython 3, whose
// hash(bytes) is SipHash-1-3 with an all-zero key when PYTHONHASHSEED=0:
//
//	PYTHONHASHSEED=0 python3 -c 'print(hash(bytes(range(n))) % 2**64)'
func TestSipHash13Vectors(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want uint64
	}{
		{1, 0x68a914128e01e473},
		{3, 0xc03bc3a0042630f2}, // hash(b"abc"), see below
		{7, 0x2f098ab0c751325a},
		{8, 0xead411e67ebe2eea},
		{9, 0x75927f9d95124362},
		{15, 0xf30eb725bb91c9ea},
		{16, 0x8972188433a5c5b7},
		{17, 0x4883c49a2c009c1d},
		{37, 0x422a9751192ff266},
		{63, 0x385d3e39e5f37359},
	} {
		msg := seqBytes(tc.n)
		if tc.n == 3 {
			msg = []byte("abc")
		}
		if got := SipHash13(Key{}, msg); got != tc.want {
			t.Errorf("SipHash13(%d bytes) = %#016x, want %#016x", tc.n, got, tc.want)
		}
	}
}

// TestSipHashStringEqualsBytes: the string and []byte instantiations are
// the same function.
func TestSipHashStringEqualsBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k := Key{rapid.Uint64().Draw(t, "k0"), rapid.Uint64().Draw(t, "k1")}
		msg := rapid.SliceOfN(rapid.Byte(), 0, 80).Draw(t, "msg")
		if a, b := SipHash24(k, msg), SipHash24(k, string(msg)); a != b {
			t.Fatalf("SipHash24: []byte %#x != string %#x", a, b)
		}
		if a, b := SipHash13(k, msg), SipHash13(k, string(msg)); a != b {
			t.Fatalf("SipHash13: []byte %#x != string %#x", a, b)
		}
	})
}

func TestSipHashAllocs(t *testing.T) {
	msg := seqBytes(37)
	if n := testing.AllocsPerRun(100, func() { _ = SipHash24(DefaultKey, msg) }); n != 0 {
		t.Errorf("SipHash24 allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = SipHash24(DefaultKey, "backend-1") }); n != 0 {
		t.Errorf("SipHash24(string) allocates %v times", n)
	}
}

func TestDefaultKeyIsDocumentedText(t *testing.T) {
	var b [16]byte
	for i := range 8 {
		b[i] = byte(DefaultKey.K0 >> (8 * i))
		b[8+i] = byte(DefaultKey.K1 >> (8 * i))
	}
	if got := string(b[:]); got != "sdnfabric/slb/v1" {
		t.Errorf("DefaultKey spells %q, want %q", got, "sdnfabric/slb/v1")
	}
}
