package main

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-local", "10.99.0.1", "-vni", "42", "-peer", "10.99.0.2, 10.99.0.3", "-port", "8472"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Addr{netip.MustParseAddr("10.99.0.2"), netip.MustParseAddr("10.99.0.3")}
	if d := cmp.Diff(want, c.peers, cmpopts.EquateComparable(netip.Addr{})); d != "" || c.vni != 42 || c.port != 8472 || c.tap != "vtep0" {
		t.Fatalf("%+v\n%s", c, d)
	}
	for _, args := range [][]string{
		{"-local", "10.99.0.1"},
		{"-local", "10.99.0.1", "-vni", "16777216"},
		{"-vni", "1"},
		{"-local", "10.99.0.1", "-vni", "1", "-peer", "fd00::1"},
		{"-local", "10.99.0.1", "-vni", "1", "-port", "0"},
		{"-local", "10.99.0.1", "-vni", "1", "-peer", "x"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}
