//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/offload"
	"github.com/sdnfabric/sdnfabric/offload/gro"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// guestIfName is the TAP device's name inside a machine's namespace.
const guestIfName = "eth0"

// kernelGuest is a machine as a network namespace: the kernel's stack on a
// TAP device whose frames the fabric process bridges to the machine's
// netsim port.
type kernelGuest struct {
	name, ns string
	port     *netsim.Port
	dev      *tap.Device
	tso      bool // the TAP accepts csum|tso4
	// seg segments the TAP's super-frames before they leave on the port,
	// for a machine on a network (nil for a vNIC, which segments itself);
	// send is its Emit.
	seg  *offload.Pipeline
	send offload.Emit
	// gro coalesces the TCP segments to the kernel into super-frames
	// (nil: every frame is written as it comes); emit is g.write.
	gro      *gro.Coalescer
	emit     gro.Emit
	attached bool // the port's receiver is set: close closes the port
	wg       sync.WaitGroup

	mu      sync.Mutex
	servers map[uint16]*http.Server // by TCP port; nil while stopped (SetServing)
	closed  bool

	fromKernel, toKernel, super, dropped, merged atomic.Uint64
}

// startKernelGuest makes ns, puts a TAP device configured as m in it,
// serves HTTP there on the TCP ports serve lists, and bridges the TAP to
// port. With tso, the TAP accepts checksum and TCPv4 segmentation offloads:
// a machine on a host hands its super-frames to its vNIC, which segments
// them; for a machine on a network (whose routers want complete frames)
// they are segmented here (package offload) before they leave.
// With coalesce, the TCP segments of a burst to the kernel are merged
// (package offload/gro) into super-frames written with a GSO virtio-net
// header.
func startKernelGuest(ctx context.Context, ns string, m runtime.Machine, port *netsim.Port, tso, coalesce bool, serve []uint16) (g *kernelGuest, err error) {
	g, err = newKernelGuest(ns, m, port, tso, coalesce)
	if err != nil {
		return nil, err
	}
	if err := addNamespace(ctx, ns); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			g.close()
			g = nil
		}
	}()
	// The fabric speaks IPv4: keep the kernel's IPv6 chatter (router
	// solicitations, MLD) off the wire.
	for _, k := range []string{"net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"} {
		if err := sysctl(ns, k, "1"); err != nil {
			return nil, fmt.Errorf("sysctl %s in %s: %w", k, ns, err)
		}
	}
	// IFF_VNET_HDR. Without offloads the kernel segments and checksums
	// in software and hands over complete frames of at most the MTU;
	// with csum|tso4 it hands over TCP super-segments of up to 64 KiB
	// with partial checksums, which the machine's vNIC (TSO) segments
	// and checksums.
	var off tap.Offload
	if tso {
		off = tap.OffloadCsum | tap.OffloadTSO4
	}
	g.dev, err = tap.Open(tap.Config{Name: guestIfName, NetNS: nsPath(ns), Offload: off})
	if err != nil {
		return nil, err
	}
	script := fmt.Sprintf("link set %s address %s mtu 1500\naddr add %s dev %s\nlink set %s up\n",
		guestIfName, net.HardwareAddr(m.MAC[:]), m.Addr, guestIfName, guestIfName)
	if m.Gateway.IsValid() {
		script += fmt.Sprintf("route add default via %s dev %s\n", m.Gateway, guestIfName)
	}
	if err := ip(ctx, script, "-n", ns, "-batch", "-"); err != nil {
		return nil, err
	}
	if err := g.serve(serve); err != nil {
		return nil, err
	}
	g.attached = true
	port.SetReceiver(g.toKernelFrame)
	g.wg.Go(g.fromKernelLoop)
	return g, nil
}

// newKernelGuest returns the guest of machine m in namespace ns, bridged
// to port, with no TAP yet (startKernelGuest opens it): its offload
// pipeline (tso, for a machine on a network) and coalescer (coalesce).
func newKernelGuest(ns string, m runtime.Machine, port *netsim.Port, tso, coalesce bool) (*kernelGuest, error) {
	g := &kernelGuest{name: m.Name, ns: ns, port: port, tso: tso, servers: map[uint16]*http.Server{}}
	g.emit, g.send = g.write, g.sendSegment
	var err error
	if tso && m.Host == "" {
		// An adapter with no offloads: the pipeline segments and
		// checksums everything.
		if g.seg, err = offload.NewPipeline(offload.Config{}); err != nil {
			return nil, err
		}
	}
	if coalesce {
		if g.gro, err = gro.NewCoalescer(gro.Config{NetworkOffset: header.EthernetMinSize}); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// serve answers HTTP on each of ports from sockets opened inside the
// namespace.
func (g *kernelGuest) serve(ports []uint16) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range ports {
		if err := g.listen(p); err != nil {
			return err
		}
	}
	return nil
}

// listen serves HTTP on port p (g.mu held).
func (g *kernelGuest) listen(p uint16) error {
	srv, err := serveHTTP(g.ns, g.name, p, &g.wg)
	if err != nil {
		return err
	}
	g.servers[p] = srv
	return nil
}

// serveHTTP answers HTTP as machine name (runtime.WebHandler) on TCP port
// from a socket opened inside namespace ns, serving on a goroutine of wg.
func serveHTTP(ns, name string, port uint16, wg *sync.WaitGroup) (*http.Server, error) {
	var ln net.Listener
	err := inNamespace(ns, func() error {
		var err error
		ln, err = (&net.ListenConfig{}).Listen(context.Background(), "tcp4", fmt.Sprintf(":%d", port))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("serve port %d in %s: %w", port, ns, err)
	}
	srv := &http.Server{Handler: runtime.WebHandler(name, nil), ReadHeaderTimeout: 10 * time.Second}
	wg.Go(func() { _ = srv.Serve(ln) })
	return srv, nil
}

// fromKernelLoop carries the frames the kernel sends on the TAP to the
// machine's port until the device is closed.
func (g *kernelGuest) fromKernelLoop() {
	buf := make([]byte, tap.ReadBufferSize)
	for {
		h, frame, err := g.dev.ReadPacket(buf)
		var te *tap.Error
		if errors.As(err, &te) {
			return // closed, or the device is gone
		}
		g.fromKernelPacket(h, frame, err)
	}
}

// fromKernelPacket takes one packet the kernel wrote to the TAP on to the
// port: h and frame as tap.Device.ReadPacket returned them, err its error
// (a virtio-net header the virtio package rejected). Every packet counts
// once, in fromKernel or in dropped; it allocates nothing.
func (g *kernelGuest) fromKernelPacket(h virtio.NetHdr, frame []byte, err error) {
	if err != nil {
		g.dropped.Add(1) // a malformed virtio-net header
		return
	}
	switch {
	case h.IsGSO():
		// Only TCPv4 segmentation was accepted. A vNIC segments
		// (and checksums) it; otherwise it is done here.
		if !g.tso || h.GSOKind() != virtio.GSOTCPv4 {
			g.dropped.Add(1)
			return
		}
		g.super.Add(1)
		if g.seg != nil {
			if g.seg.Tx(h, frame, g.send) != nil {
				g.dropped.Add(1)
				return
			}
			g.fromKernel.Add(1)
			return
		}
	case h.NeedsChecksum():
		// A vNIC of a TSO guest finishes TCP checksums itself,
		// but not those of other protocols; finish them here.
		if h.FinishChecksum(frame) != nil {
			g.dropped.Add(1)
			return
		}
	}
	g.fromKernel.Add(1)
	g.port.Send(frame)
}

// sendSegment sends a segment the pipeline made on the port.
func (g *kernelGuest) sendSegment(_ virtio.NetHdr, frame []byte) error {
	g.port.Send(frame)
	return nil
}

// toKernelFrame is the port's receiver. Without coalescing it writes the
// frame to the TAP with an empty virtio-net header (a complete packet the
// kernel checks). With it, the frame joins the super-frame of its TCP flow
// (or passes through), and what is held is written once the port's queue
// is empty: the end of the burst, as a NAPI poll ends, so nothing waits
// for a timer.
func (g *kernelGuest) toKernelFrame(frame []byte) {
	if g.gro == nil {
		_ = g.write(virtio.NetHdr{}, frame)
		return
	}
	_ = g.gro.Add(virtio.NetHdr{}, frame, g.emit)
	if g.port.Stats().Queued == 0 {
		_ = g.gro.Flush(g.emit)
	}
}

// write writes one frame to the TAP, counting it; it never fails, so a
// Coalescer carries on after a frame the kernel refused.
func (g *kernelGuest) write(h virtio.NetHdr, frame []byte) error {
	if err := g.dev.WritePacket(h, frame); err != nil {
		g.dropped.Add(1)
		return nil
	}
	g.toKernel.Add(1)
	if h.IsGSO() {
		g.merged.Add(1)
	}
	return nil
}

func (g *kernelGuest) stats() GuestStats {
	return GuestStats{FromKernel: g.fromKernel.Load(), ToKernel: g.toKernel.Load(), Super: g.super.Load(), Merged: g.merged.Load(), Dropped: g.dropped.Load()}
}

// close stops serving, closes the TAP and the port, and deletes the
// namespace.
func (g *kernelGuest) close() {
	g.mu.Lock()
	g.closed = true
	for _, srv := range g.servers {
		if srv != nil {
			_ = srv.Close()
		}
	}
	g.mu.Unlock()
	if g.dev != nil {
		_ = g.dev.Close() // ends fromKernelLoop
	}
	if g.attached {
		g.port.Close() // ends the deliveries to toKernelFrame
	}
	g.wg.Wait()
	_ = deleteNamespace(g.ns) // if this fails, Down finds it by its prefix
}
