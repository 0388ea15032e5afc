package main

import (
	"io"
	"strings"
	"testing"
)

// TestLabBenchFlags: lab bench refuses an unknown build, a bad stream
// count, no rounds (it indexed the first round's results), a duration
// iperf3 would round to 0 s or no connections before it builds anything.
func TestLabBenchFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-builds", "ours,vpp"}, `unknown build "vpp"`},
		{[]string{"-streams", "1,x"}, "-streams"},
		{[]string{"-streams", "0"}, "-streams"},
		{[]string{"-rounds", "0"}, "-rounds"},
		{[]string{"-rounds", "-2"}, "-rounds"},
		{[]string{"-duration", "500ms"}, "-duration"},
		{[]string{"-connections", "0"}, "-connections"},
	} {
		err := runLab(t.Context(), append([]string{"bench"}, c.args...), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("lab bench %v: %v, want an error with %q", c.args, err, c.want)
		}
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median(3,1,2) = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median(4,1,3,2) = %v", m)
	}
}
