package header

import (
	"testing"
)

// TestMutations runs every sample packet, cut at every length and with
// every byte replaced by a few values, through every parser.
func TestMutations(t *testing.T) {
	for _, s := range seeds() {
		for n := range len(s) + 1 {
			exerciseAll(t, s[:n])
		}
		b := make([]byte, len(s))
		for i := range s {
			for _, v := range [...]byte{0, 1, 0x0f, 0x40, 0x45, 0x60, 0xff, s[i] ^ 0x80} {
				copy(b, s)
				b[i] = v
				exerciseAll(t, b)
			}
		}
	}
}
