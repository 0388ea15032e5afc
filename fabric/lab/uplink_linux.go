//go:build linux

package lab

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// UplinkMTU is the MTU of an uplink's TAP device and bridge: room for a
// VXLAN-encapsulated 1500-byte frame (50 bytes more) and then some. The
// links the lab makes between the nodes' namespaces have it too.
const UplinkMTU = 9000

// Uplinks returns the runtime.UplinkFactory of a process running some of
// a topology's nodes in a namespace of its own (`fabric agent`): network
// n is attached to the device links[n.Name] of the calling process's
// network namespace (a veth to the network's bridge, or a physical NIC),
// through a TAP device opened with IFF_VNET_HDR and without offloads
// (the kernel hands over complete frames) and a Linux bridge joining the
// TAP and the device. The TAP is named "t" and the bridge "b" followed by
// the device's name. The TAP goes away with the process, even when it is
// killed; the bridge stays until the namespace is deleted, or until an
// uplink on the same device replaces it.
func Uplinks(links map[string]string) runtime.UplinkFactory {
	return func(ctx context.Context, n runtime.Network, port *netsim.Port) (func(), error) {
		dev, ok := links[n.Name]
		if !ok {
			return nil, fmt.Errorf("lab: no link given for network %q", n.Name)
		}
		return startUplink(ctx, dev, port)
	}
}

// uplink bridges a netsim port to a TAP device.
type uplink struct {
	*tapRx // without offloads
	dev    *tap.Device
	bridge string
	wg     sync.WaitGroup
}

func startUplink(ctx context.Context, dev string, port *netsim.Port) (func(), error) {
	if len(dev) > 14 {
		return nil, fmt.Errorf("lab: link device name %q longer than 14 bytes", dev)
	}
	tapName, bridge := "t"+dev, "b"+dev
	// A bridge left by a killed process of this namespace.
	_ = ip(ctx, "", "link", "del", bridge)
	d, err := tap.Open(tap.Config{Name: tapName})
	if err != nil {
		return nil, err
	}
	u := &uplink{tapRx: &tapRx{port: port}, dev: d, bridge: bridge}
	script := fmt.Sprintf(`link add %[1]s mtu %[4]d type bridge forward_delay 0 stp_state 0
link set %[2]s mtu %[4]d master %[1]s
link set %[3]s mtu %[4]d master %[1]s
link set %[2]s up
link set %[3]s up
link set %[1]s up
`, bridge, tapName, dev, UplinkMTU)
	if err := ip(ctx, script, "-batch", "-"); err != nil {
		_ = d.Close()
		_ = ip(context.Background(), "", "link", "del", bridge)
		return nil, err
	}
	port.SetReceiver(u.toKernel)
	u.wg.Go(func() { u.loop(u.dev) })
	return u.close, nil
}

// toKernel writes a frame of the switch to the TAP, a complete packet.
func (u *uplink) toKernel(frame []byte) { _ = u.dev.WritePacket(virtio.NetHdr{}, frame) }

func (u *uplink) close() {
	_ = u.dev.Close()
	u.port.Close()
	u.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = ip(ctx, "", "link", "del", u.bridge)
}

// Guests returns the runtime.GuestFactory of a process running hosts
// (`fabric agent --role host`): each VM is a network namespace named
// prefix and its name (see NamespaceName), with the kernel's stack on a
// TAP device bridged to its vNIC, serving HTTP on its TCP endpoints from
// this process, as in a lab. With noOffload the TAPs take no offloads.
func Guests(prefix string, noOffload bool) runtime.GuestFactory {
	l := &Lab{prefix: prefix, noOffload: noOffload, guests: map[string]*kernelGuest{}}
	return l.attach
}
