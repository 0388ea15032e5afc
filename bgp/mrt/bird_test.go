package mrt

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// TestBIRDDump reads table dumps written by BIRD 2's MRT protocol: static
// blackhole routes with BGP attributes in an IPv4 and an IPv6 table, which
// BIRD dumps as TABLE_DUMP_V2 every second (appending to one file). Each
// path is replayed as an UPDATE that the wire package must accept. No
// network is involved: BIRD runs with a private control socket and no
// protocol that touches the kernel.
func TestBIRDDump(t *testing.T) {
	bird, err := exec.LookPath("bird")
	if err != nil {
		t.Skip("needs BIRD 2 (Debian package bird2, installed by scripts/install-test-deps.sh)")
	}
	dir := t.TempDir()
	conf := fmt.Sprintf(`router id 192.0.2.254;
protocol static s4 {
  ipv4;
  route 203.0.113.0/24 blackhole { bgp_origin = ORIGIN_IGP; bgp_path.prepend(65001); bgp_path.prepend(65002);
    bgp_next_hop = 192.0.2.1; bgp_med = 10; bgp_community.add((65000, 1)); bgp_large_community.add((65000, 2, 3)); };
  route 198.51.100.7/32 blackhole;
}
protocol static s6 { ipv6; route 2001:db8:1::/48 blackhole { bgp_origin = ORIGIN_IGP; bgp_path.prepend(65001); bgp_next_hop = 2001:db8::1; }; }
protocol mrt { table "master*"; filename "%s/dump-%%N.mrt"; period 1; }
`, dir)
	cfg := filepath.Join(dir, "bird.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bird, "-f", "-c", cfg, "-s", filepath.Join(dir, "ctl"), "-P", filepath.Join(dir, "pid"))
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	type route struct {
		Prefix  netip.Prefix
		NextHop netip.Addr
		Path    []uint32
		Comms   []wire.Community
	}
	read := func(name string) (PeerIndexTable, []route, error) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return PeerIndexTable{}, nil, err
		}
		var pit PeerIndexTable
		var routes []route
		for rec, err := range NewReader(bytes.NewReader(data)).All() {
			if err != nil {
				return pit, nil, err
			}
			if rec.Subtype == SubPeerIndexTable { // a new dump starts
				if pit, err = rec.PeerIndexTable(); err != nil {
					return pit, nil, err
				}
				routes = routes[:0]
				continue
			}
			rib, err := rec.RIB()
			if err != nil {
				return pit, nil, err
			}
			for e := range rib.Entries() {
				if len(e.Attrs) == 0 { // a route without BGP attributes
					routes = append(routes, route{Prefix: rib.Prefix})
					continue
				}
				msg, err := AppendUpdate(nil, rib, e)
				if err != nil {
					return pit, nil, err
				}
				u, err := wire.ParseUpdate(msg, &wire.DecodeOptions{AS4: true})
				if err != nil {
					return pit, nil, err
				}
				if u.Action() != wire.ActionNone {
					return pit, nil, fmt.Errorf("%v: UPDATE action %v: %w", rib.Prefix, u.Action(), u.Err())
				}
				r := route{Prefix: rib.Prefix}
				if p, _, ok := u.ASPath(nil); ok {
					for seg := range p.Segments() {
						r.Path = slices.AppendSeq(r.Path, seg.ASNs())
					}
				}
				if a, ok := u.Attr(wire.AttrNextHop); ok {
					r.NextHop = a.NextHop()
				}
				if m, ok := u.MPReach(); ok {
					r.NextHop = m.NextHop
				}
				if a, ok := u.Attr(wire.AttrCommunities); ok {
					r.Comms = slices.Collect(a.Communities().All())
				}
				routes = append(routes, r)
			}
		}
		return pit, routes, nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		pit4, got4, err4 := read("dump-master4.mrt")
		_, got6, err6 := read("dump-master6.mrt")
		if err4 == nil && err6 == nil && len(got4) == 2 && len(got6) == 1 {
			if pit4.CollectorID != netip.MustParseAddr("192.0.2.254") {
				t.Errorf("collector ID %v, want BIRD's router id", pit4.CollectorID)
			}
			slices.SortFunc(got4, func(a, b route) int { return a.Prefix.Addr().Compare(b.Prefix.Addr()) })
			want4 := []route{
				{Prefix: netip.MustParsePrefix("198.51.100.7/32")},
				{Prefix: netip.MustParsePrefix("203.0.113.0/24"), NextHop: netip.MustParseAddr("192.0.2.1"),
					Path: []uint32{65002, 65001}, Comms: []wire.Community{65000<<16 | 1}},
			}
			want6 := []route{{Prefix: netip.MustParsePrefix("2001:db8:1::/48"), NextHop: netip.MustParseAddr("2001:db8::1"), Path: []uint32{65001}}}
			opt := cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
			popt := cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })
			if d := cmp.Diff(want4, got4, opt, popt); d != "" {
				t.Errorf("IPv4 dump (-want +got):\n%s", d)
			}
			if d := cmp.Diff(want6, got6, opt, popt); d != "" {
				t.Errorf("IPv6 dump (-want +got):\n%s", d)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no complete dump from BIRD after 10 s: ipv4 %d routes (%v), ipv6 %d routes (%v); BIRD said:\n%s",
				len(got4), err4, len(got6), err6, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
