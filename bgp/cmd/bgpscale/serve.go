//go:build linux

package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/rib"
)

// peerList collects -peer address,asn flags.
type peerList []bgp.PeerConfig

func (l *peerList) String() string { return fmt.Sprint(len(*l), " peers") }

func (l *peerList) Set(v string) error {
	addr, asn, ok := strings.Cut(v, ",")
	a, err := netip.ParseAddr(addr)
	if err != nil || !ok {
		return fmt.Errorf("want address,asn: %q", v)
	}
	n, err := strconv.ParseUint(asn, 10, 32)
	if err != nil {
		return err
	}
	*l = append(*l, bgp.PeerConfig{Address: a, PeerASN: uint32(n), Passive: true, HoldTime: feederHoldTime * time.Second,
		RIB: rib.PeerConfig{AllowWithoutPolicy: true}})
	return nil
}

// serve is the "ours" target: a speaker feeding a RIB, listening
// passively for the feeders, printing "paths N" whenever the RIB's path
// count changes.
func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bgpscale serve", flag.ContinueOnError)
	listen := fs.String("listen", "10.200.0.1:179", "address to accept sessions on")
	asn := fs.Uint("asn", targetASN, "our AS")
	var peers peerList
	fs.Var(&peers, "peer", "a feeder: address,asn (repeat)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ap, err := netip.ParseAddrPort(*listen)
	if err != nil {
		return err
	}
	r := rib.New(rib.Options{LocalASN: uint32(*asn), RouterID: ap.Addr(), DefaultLocalPref: 100})
	s, err := bgp.New(bgp.Config{ASN: uint32(*asn), RouterID: ap.Addr(), Listen: []netip.AddrPort{ap}, RIB: r})
	if err != nil {
		return err
	}
	defer s.Close()
	for _, p := range peers {
		if err := s.AddPeer(p); err != nil {
			return err
		}
	}
	last := -1
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			pprof.StopCPUProfile() // before the sessions close: that may outlast the parent's patience
			return nil
		case <-t.C:
			if n := r.PathCount(); n != last {
				fmt.Printf("paths %d\n", n)
				last = n
			}
		}
	}
}
