package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/offload"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
	"github.com/sdnfabric/sdnfabric/provision/sim"
)

// runDemo is the embedded default job until the seed topology (ClientVM ->
// NATVM -> BGPVM -> MuxVM -> PortalVM) runs in process. It says so, and
// exercises the libraries that exist on real work: one host's transmit and
// receive offload path, and the start storm of a 1000-instance catalog.
func runDemo(ctx context.Context, args []string, out io.Writer) error {
	_ = args // flags of the runnable stack come with it
	fmt.Fprintln(out, "sdnfabric: the runnable seed topology is not wired yet; running the library demos.")
	fmt.Fprintln(out)
	if err := offloadDemo(ctx, out); err != nil {
		return fmt.Errorf("offload demo: %w", err)
	}
	fmt.Fprintln(out)
	if err := stormDemo(out); err != nil {
		return fmt.Errorf("start-storm demo: %w", err)
	}
	return nil
}

// offloadDemo sends a 64 KiB TCP super-packet, as a guest stack that assumes
// full task offload builds it, through the transmit pipeline of adapters with
// different task offloads, then receives the segments on an adapter without
// RSC and coalesces them in software.
func offloadDemo(ctx context.Context, out io.Writer) error {
	frame, h, err := superPacket(64000, 1448)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Task offload: one %d-byte TCP super-packet (MSS %d) per adapter profile\n", len(frame), h.GSOSize)
	fmt.Fprintf(out, "  %-30s %11s %10s %16s\n", "adapter", "to adapter", "coalesced", "host CPU/packet")
	for _, profile := range []string{"tso, tx-checksum-ip-generic", "TCPChecksumOffloadIPv4", "none"} {
		adapter, err := offload.Parse(profile)
		if err != nil {
			return err
		}
		tx, err := offload.NewPipeline(offload.Config{Adapter: adapter})
		if err != nil {
			return err
		}
		// The receiver verifies and coalesces everything in software.
		rx, err := offload.NewPipeline(offload.Config{RxCoalesce: offload.RSCIPv4})
		if err != nil {
			return err
		}
		var wire, merged int
		toStack := func(virtio.NetHdr, []byte) error { merged++; return nil }
		toWire := func(h virtio.NetHdr, seg []byte) error {
			wire++
			if h.IsGSO() {
				return nil // the adapter segments in hardware; not simulated here
			}
			if h.NeedsChecksum() {
				// What the adapter's checksum offload does on the wire.
				if err := h.FinishChecksum(seg); err != nil {
					return err
				}
			}
			return rx.Rx(virtio.NetHdr{}, seg, toStack)
		}
		const rounds = 2000
		start := time.Now()
		for i := range rounds {
			if i == 1 {
				wire, merged = 0, 0
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := tx.Tx(h, frame, toWire); err != nil {
				return err
			}
			if err := rx.Flush(toStack); err != nil {
				return err
			}
		}
		per := time.Since(start) / rounds
		fmt.Fprintf(out, "  %-30s %11d %10d %16s\n", profile, wire/(rounds-1), merged/(rounds-1), per)
	}
	fmt.Fprintln(out, "  An adapter with LSO takes the super-packet whole; without LSO the host segments it,")
	fmt.Fprintln(out, "  and finishes checksums only where the adapter lacks checksum offload. The receiver")
	fmt.Fprintln(out, "  has no RSC: it verifies every segment and coalesces them in software (host CPU")
	fmt.Fprintln(out, "  includes that receive work).")
	return nil
}

// superPacket builds an Ethernet/IPv4/TCP super-packet with a partial
// checksum and its virtio-net header, as Linux hands one to a TAP device.
func superPacket(payload, mss int) ([]byte, virtio.NetHdr, error) {
	const ethLen, ipLen, tcpLen = header.EthernetMinSize, header.IPv4MinSize, header.TCPMinSize
	src, dst := netip.MustParseAddr("10.99.8.1"), netip.MustParseAddr("10.99.8.2")
	f := make([]byte, ethLen+ipLen+tcpLen+payload)
	if _, err := header.InitEthernet(f, header.MAC{0x02, 0, 0, 0, 0, 1}, header.MAC{0x02, 0, 0, 0, 0, 2}, header.EtherTypeIPv4); err != nil {
		return nil, virtio.NetHdr{}, err
	}
	ip, err := header.InitIPv4(f[ethLen:], ipLen)
	if err != nil {
		return nil, virtio.NetHdr{}, err
	}
	ip.SetTotalLength(uint16(ipLen + tcpLen + payload))
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolTCP)
	ip.SetSource(src)
	ip.SetDestination(dst)
	ip.SetChecksum(ip.ComputeChecksum())
	tcp, err := header.InitTCP(f[ethLen+ipLen:], tcpLen)
	if err != nil {
		return nil, virtio.NetHdr{}, err
	}
	tcp.SetSourcePort(40000)
	tcp.SetDestinationPort(80)
	tcp.SetFlags(header.TCPFlagACK | header.TCPFlagPSH)
	tcp.SetChecksum(checksum.PseudoHeader(src, dst, header.ProtocolTCP, tcpLen+payload))
	for i := range payload {
		f[ethLen+ipLen+tcpLen+i] = byte(i)
	}
	h := virtio.NetHdr{
		Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, GSOSize: uint16(mss),
		HdrLen: ethLen + ipLen + tcpLen, CsumStart: ethLen + ipLen, CsumOffset: 16,
	}
	return f, h, nil
}

// stormDemo runs the provision start-storm simulator for the seed's case:
// a catalog of 1000 instances registering in a database that serves 20.
func stormDemo(out io.Writer) error {
	cfg := sim.Config{N: 1000, C: 20, Latency: 200 * time.Millisecond, Seed: 1}
	fmt.Fprintf(out, "Start storm: %d instances register in a database serving %d at a time (%s each; ideal %s)\n\n",
		cfg.N, cfg.C, cfg.Latency, cfg.Ideal())
	var results []sim.Result
	for _, s := range sim.Standard(cfg) {
		r, err := sim.Run(cfg, s)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	return sim.WriteTable(out, cfg, results)
}
