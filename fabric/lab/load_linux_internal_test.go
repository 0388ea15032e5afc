//go:build linux

package lab

import (
	"testing"
)

// TestWrkDuration: wrk's latencies in each of its units become
// milliseconds; anything else is an error, never a panic.
func TestWrkDuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"635.00us", 0.635, true}, {"2.39ms", 2.39, true}, {"1.20s", 1200, true}, {"1.00m", 60000, true},
		{"", 0, false}, {"ms", 0, false}, {"12", 0, false}, {"1.2h", 0, false}, {"x1ms", 0, false},
	} {
		got, err := wrkDuration(c.in)
		if (err == nil) != c.ok || c.ok && (got < c.want*0.999 || got > c.want*1.001) {
			t.Errorf("wrkDuration(%q) = %v, %v; want %v (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}

// TestCPUTime: the machine's busy CPU time is positive and does not go
// back.
func TestCPUTime(t *testing.T) {
	a, err := cpuTime()
	if err != nil {
		t.Fatal(err)
	}
	b, err := cpuTime()
	if err != nil {
		t.Fatal(err)
	}
	if a <= 0 || b < a {
		t.Errorf("cpuTime: %v then %v", a, b)
	}
}
