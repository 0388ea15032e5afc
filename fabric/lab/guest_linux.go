//go:build linux

package lab

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
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
	// tapRx carries the frames from the kernel to the port (port,
	// fromKernel, super, dropped).
	*tapRx
	name, ns string
	dev      *tap.Device
	// gro coalesces the TCP segments to the kernel into super-frames
	// (nil: every frame is written as it comes); emit is g.write.
	gro      *gro.Coalescer
	emit     gro.Emit
	attached bool // the port's receiver is set: close closes the port
	wg       sync.WaitGroup

	mu      sync.Mutex
	servers map[uint16]*http.Server // by TCP port; nil while stopped (SetServing)
	closed  bool

	toKernel, merged atomic.Uint64
}

// startKernelGuest makes ns, puts a TAP device configured as m in it,
// serves HTTP there on the TCP ports serve lists, and bridges the TAP to
// port. With tso, the TAP accepts checksum and TCPv4 segmentation offloads:
// its super-frames leave as netsim super-frames, carried whole by the
// vNIC and the routers and segmented where a node takes none.
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
	if g.gro != nil {
		// TCP segments with data are queued, so that a burst
		// collects for the coalescer; super-frames and the rest (ACKs)
		// are written by their sender.
		port.SetCoalescingReceiver(g.toKernelSuper)
	} else {
		port.SetReceiver(g.toKernelFrame) // netsim segments super-frames
	}
	g.wg.Go(func() { g.loop(g.dev) })
	return g, nil
}

// newKernelGuest returns the guest of machine m in namespace ns, bridged
// to port, with no TAP yet (startKernelGuest opens it): its reader of
// the TAP (tso: the TAP hands over super-frames) and coalescer (coalesce).
func newKernelGuest(ns string, m runtime.Machine, port *netsim.Port, tso, coalesce bool) (*kernelGuest, error) {
	g := &kernelGuest{tapRx: newTapRx(port, tso), name: m.Name, ns: ns, servers: map[uint16]*http.Server{}}
	g.emit = g.write
	if coalesce {
		var err error
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

// toKernelSuper is the port's receiver with coalescing: a super-frame
// (mss not 0) is written whole as a GSO frame, after what the coalescer
// held (so the flow's bytes stay in order); other frames go to
// toKernelFrame.
func (g *kernelGuest) toKernelSuper(frame []byte, mss int) {
	if mss == 0 {
		g.toKernelFrame(frame)
		return
	}
	_ = g.gro.Flush(g.emit)
	h, err := netsim.SuperHeader(frame, mss)
	if err != nil {
		g.dropped.Add(1)
		return
	}
	_ = g.write(h, frame)
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
		_ = g.dev.Close() // ends g.loop
	}
	if g.attached {
		g.port.Close() // ends the deliveries to toKernelFrame
	}
	g.wg.Wait()
	_ = deleteNamespace(g.ns) // if this fails, Down finds it by its prefix
}
