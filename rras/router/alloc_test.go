package router

import (
	"testing"
)

type discard struct{}

func (discard) Send(int, []byte) error { return nil }

// TestForwardAllocs holds forwarding to a resolved neighbor at zero
// allocations per packet, for IPv4 and IPv6.
func TestForwardAllocs(t *testing.T) {
	r, _, _ := testRouter(t)
	resolve(t, r, 2, hBv4, macB)
	resolve(t, r, 2, hBv6, macB)
	r.cfg.Output = discard{}
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"ipv4", udp4(macR1, macA, hAv4, hBv4, 64, 1, 2, 64)},
		{"ipv6", udp6(macR1, macA, hAv6, hBv6, 64, 1, 2, 64)},
	} {
		buf := make([]byte, len(tc.frame))
		before := r.Counter(Forwarded)
		allocs := testing.AllocsPerRun(100, func() {
			copy(buf, tc.frame)
			if err := r.Input(1, buf); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per forwarded packet", tc.name, allocs)
		}
		if r.Counter(Forwarded)-before != 101 {
			t.Errorf("%s: forwarded %d, want 101", tc.name, r.Counter(Forwarded)-before)
		}
	}
}
