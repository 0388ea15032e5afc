package guest

import (
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// link is the netstack link endpoint of a guest's vNIC: it carries whole
// Ethernet frames between the stack and a netsim.Port. It sits under
// gVisor's ethernet endpoint, which adds and removes the Ethernet header, so
// the packets it writes already start with one and the frames it delivers
// still do.
type link struct {
	port *netsim.Port
	mtu  uint32 // frame MTU: the IP MTU plus the Ethernet header
	mac  tcpip.LinkAddress
	gso  uint32 // largest GSO super-packet, 0 without TSO

	mu  sync.Mutex // serialises writes, so frames leave in order
	buf []byte

	dispatcher atomic.Pointer[stack.NetworkDispatcher]
}

func newLink(port *netsim.Port, ipMTU int, mac tcpip.LinkAddress, gso uint32) *link {
	return &link{
		port: port,
		mtu:  uint32(ipMTU + header.EthernetMinimumSize),
		mac:  mac,
		gso:  gso,
		buf:  make([]byte, 0, ipMTU+header.EthernetMinimumSize),
	}
}

// receive is the port's (queued) receiver: it copies the frame into a
// packet buffer and hands it to the stack on the port's delivery
// goroutine.
func (l *link) receive(frame []byte) {
	d := l.dispatcher.Load()
	if d == nil || len(frame) < header.EthernetMinimumSize {
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	(*d).DeliverNetworkPacket(0, pkt) // the ethernet endpoint reads the type
	pkt.DecRef()
}

// WritePackets sends each packet as one frame. A frame the port drops is
// still counted as written: the wire lost it, as a real one may.
func (l *link) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, pkt := range pkts.AsSlice() {
		l.buf = l.buf[:0]
		for _, s := range pkt.AsSlices() {
			l.buf = append(l.buf, s...)
		}
		l.port.Send(l.buf)
		n++
	}
	return n, nil
}

func (l *link) MTU() uint32                        { return l.mtu }
func (l *link) SetMTU(mtu uint32)                  { l.mtu = mtu }
func (l *link) MaxHeaderLength() uint16            { return 0 }
func (l *link) LinkAddress() tcpip.LinkAddress     { return l.mac }
func (l *link) SetLinkAddress(a tcpip.LinkAddress) { l.mac = a }

func (l *link) Capabilities() stack.LinkEndpointCapabilities {
	if l.gso > 0 {
		// A TSO vNIC leaves the checksum to its host, as a NIC with
		// checksum offload does (the vswitch fills it in).
		return stack.CapabilityTXChecksumOffload
	}
	return 0
}

// GSOMaxSize and SupportedGSO make the stack hand TCP super-packets of up
// to gso bytes to the vNIC when TSO is on.
func (l *link) GSOMaxSize() uint32 { return l.gso }

func (l *link) SupportedGSO() stack.SupportedGSO {
	if l.gso > 0 {
		return stack.HostGSOSupported
	}
	return stack.GSONotSupported
}

// Attach is called by the stack with the ethernet endpoint above the link,
// and with nil when the NIC goes away.
func (l *link) Attach(d stack.NetworkDispatcher) {
	if d == nil {
		l.dispatcher.Store(nil)
		return
	}
	l.dispatcher.Store(&d)
}

func (l *link) IsAttached() bool { return l.dispatcher.Load() != nil }

func (l *link) Wait()                                   {}
func (l *link) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareNone }
func (l *link) AddHeader(*stack.PacketBuffer)           {}
func (l *link) ParseHeader(*stack.PacketBuffer) bool    { return true }
func (l *link) Close()                                  {}
func (l *link) SetOnCloseAction(func())                 {}

var _ stack.LinkEndpoint = (*link)(nil)
var _ stack.GSOEndpoint = (*link)(nil)
