// Command vtep is a userspace VXLAN tunnel endpoint for Linux: it attaches a
// TAP device to one VNI and carries its Ethernet frames, VXLAN-encapsulated
// (RFC 7348), over a UDP socket to remote VTEPs such as Linux vxlan devices.
//
// Usage:
//
//	vtep -local 10.0.0.1 -vni 42 -peer 10.0.0.2,10.0.0.3 [-tap vtep0] [-port 4789]
//
// The peers form the flood list (head-end replication) for broadcast,
// unknown unicast and multicast frames; unicast destinations are learned
// from received packets, as a Linux vxlan device does by default. Configure
// the TAP device with ip(8) once it exists:
//
//	ip addr add 10.1.0.1/24 dev vtep0; ip link set vtep0 mtu 1450 up
//
// With -offload (the default) the TAP device hands over TCP super-packets
// of up to 64 KiB, which the VTEP segments (offload/gso) and sends in one
// sendmmsg batch. It runs until SIGINT or SIGTERM, logging (log/slog) counters every -stats
// interval. It needs CAP_NET_ADMIN to create the TAP device.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

type config struct {
	tap        string
	vni        vxlan.VNI
	local      netip.Addr
	port       uint16
	peers      []netip.Addr
	noLearning bool
	ageing     time.Duration
	maxPerVNI  int
	batch      int
	stats      time.Duration
	debug      bool
	offload    bool
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("vtep", flag.ContinueOnError)
	var c config
	var vni uint
	var local, peers string
	var port uint
	fs.StringVar(&c.tap, "tap", "vtep0", "TAP device to create or attach to")
	fs.UintVar(&vni, "vni", 0, "VXLAN Network Identifier (1-16777215)")
	fs.StringVar(&local, "local", "", "local underlay address to bind (required)")
	fs.UintVar(&port, "port", vxlan.Port, "UDP port, local and remote (4789; Linux's old default is 8472)")
	fs.StringVar(&peers, "peer", "", "comma-separated remote VTEP addresses: the flood list")
	fs.BoolVar(&c.noLearning, "nolearning", false, "do not learn MAC addresses from received packets")
	fs.DurationVar(&c.ageing, "ageing", vxlan.DefaultAgeingTime, "lifetime of learned FDB entries")
	fs.IntVar(&c.maxPerVNI, "max-fdb", vxlan.DefaultMaxPerVNI, "most FDB entries")
	fs.IntVar(&c.batch, "batch", vxlan.DefaultBatch, "datagrams per recvmmsg/sendmmsg (1: no batching)")
	fs.DurationVar(&c.stats, "stats", time.Minute, "interval between counter logs (0: never)")
	fs.BoolVar(&c.debug, "debug", false, "log every dropped packet")
	fs.BoolVar(&c.offload, "offload", true, "accept TSO super-packets and partial checksums from the TAP device (segmented in user space)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if vni == 0 || vni > uint(vxlan.MaxVNI) {
		return c, fmt.Errorf("-vni %d: want 1 to %d", vni, vxlan.MaxVNI)
	}
	c.vni = vxlan.VNI(vni)
	if port == 0 || port > 65535 {
		return c, fmt.Errorf("-port %d: want 1 to 65535", port)
	}
	c.port = uint16(port)
	var err error
	if c.local, err = netip.ParseAddr(local); err != nil {
		return c, fmt.Errorf("-local: %w", err)
	}
	for p := range strings.SplitSeq(peers, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil {
			return c, fmt.Errorf("-peer: %w", err)
		}
		if a.Is4() != c.local.Is4() {
			return c, fmt.Errorf("-peer %v: not of the address family of -local %v", a, c.local)
		}
		c.peers = append(c.peers, a)
	}
	return c, nil
}

func main() {
	c, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vtep:", err)
		os.Exit(2)
	}
	level := slog.LevelInfo
	if c.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, log); err != nil {
		log.Error("vtep stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config, log *slog.Logger) error {
	var off tap.Offload
	if c.offload {
		off = tap.OffloadCsum | tap.OffloadTSO4 | tap.OffloadTSO6
	}
	dev, err := tap.Open(tap.Config{Name: c.tap, Offload: off})
	if err != nil {
		return err
	}
	defer dev.Close()
	tr, err := vxlan.ListenTransport(ctx, netip.AddrPortFrom(c.local, c.port), c.batch)
	if err != nil {
		return err
	}
	defer tr.Close()
	fdb := vxlan.NewFDB(vxlan.FDBConfig{AgeingTime: c.ageing, MaxPerVNI: c.maxPerVNI})
	for _, p := range c.peers {
		if err := fdb.Add(c.vni, header.MAC{}, p); err != nil {
			return err
		}
	}
	v, err := vxlan.New(vxlan.Config{
		Transport:  tr,
		Ports:      map[vxlan.VNI]vxlan.LocalPort{c.vni: dev},
		DstPort:    c.port,
		FDB:        fdb,
		NoLearning: c.noLearning,
		Logger:     log,
	})
	if err != nil {
		return err
	}
	log.Info("vtep running", "tap", dev.Name(), "offload", dev.Offload(), "vni", c.vni, "local", tr.LocalAddr(), "peers", c.peers, "batching", tr.Batching())
	if c.stats > 0 {
		go func() {
			t := time.NewTicker(c.stats)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					cs, _ := v.VNIStats(c.vni)
					log.Info("counters", "vni", c.vni, "rx", cs.RxPackets, "tx", cs.TxPackets,
						"rx_drops", cs.RxDrops, "tx_drops", cs.TxDrops, "fdb", fdb.Len(c.vni), "stats", fmt.Sprintf("%+v", v.Stats()))
				}
			}
		}()
	}
	err = v.Run(ctx)
	log.Info("vtep stopped")
	return err
}
