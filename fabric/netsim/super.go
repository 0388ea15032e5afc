package netsim

import (
	"encoding/binary"
	"errors"

	"github.com/sdnfabric/sdnfabric/offload"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// A super-frame is an untagged Ethernet frame carrying one TCP/IPv4
// segment whose payload is longer than one segment: what a stack with TCP
// segmentation offload hands its NIC (Linux's GSO packet). It travels with
// its MSS, the payload of each segment it stands for. Its IPv4 header
// (length, checksum) is complete; its TCP checksum field is not: the nodes
// on the way rewrite addresses and ports with incremental updates and
// whoever finally segments it or hands it to a TAP device writes the field
// afresh (SuperHeader), as a NIC finishes a partial checksum. Nodes that
// take super-frames say so with SetSuperReceiver; a port with a plain
// receiver gets the segments instead.
//
// A super-frame may also be such a segment's frame in VXLAN (RFC 7348):
// outer IPv4 and UDP headers complete, an 8-byte tunnel header, then the
// inner Ethernet frame with the TCP/IPv4 super-packet (what a Mux makes of
// one). A plain receiver gets it as one VXLAN packet per inner segment,
// every header and checksum (inner TCP, outer IPv4 and UDP) complete.

// ErrSuperFrame: a frame sent as a super-frame is not an untagged TCP/IPv4
// frame, or its MSS is out of range.
var ErrSuperFrame = errors.New("netsim: not a TCP/IPv4 super-frame")

// SuperHeader writes the TCP pseudo-header sum (a partial checksum) into
// super-frame f and returns the virtio-net header that asks for its
// segmentation into segments of mss payload bytes and their checksums. It
// allocates nothing; a frame that is not an untagged TCP/IPv4 frame, or an
// mss outside 1..65535, is refused with ErrSuperFrame.
func SuperHeader(f []byte, mss int) (virtio.NetHdr, error) {
	if mss < 1 || mss > 0xffff || len(f) < header.EthernetMinSize ||
		binary.BigEndian.Uint16(f[12:]) != uint16(header.EtherTypeIPv4) {
		return virtio.NetHdr{}, ErrSuperFrame
	}
	ip, err := header.ParseIPv4(f[header.EthernetMinSize:])
	if err != nil || ip.Protocol() != header.ProtocolTCP || ip.IsFragment() {
		return virtio.NetHdr{}, ErrSuperFrame
	}
	tcp, err := header.ParseTCP(ip.Payload())
	if err != nil {
		return virtio.NetHdr{}, ErrSuperFrame
	}
	l4 := header.EthernetMinSize + ip.HeaderLen()
	binary.BigEndian.PutUint16(tcp[16:], checksum.PseudoHeader(ip.Source(), ip.Destination(), header.ProtocolTCP, len(tcp)))
	h := virtio.NetHdr{
		Flags:      virtio.FlagNeedsCsum,
		CsumStart:  uint16(l4),
		CsumOffset: 16,
	}
	if len(tcp)-tcp.HeaderLen() > mss {
		h.GSOType = virtio.GSOTCPv4
		h.GSOSize = uint16(mss)
		h.HdrLen = uint16(l4 + tcp.HeaderLen())
	}
	return h, nil
}

// SendSuper hands super-frame f, whose segments carry mss payload bytes
// each, to the far end like Send. A frame sent with an mss
// of 0 is a plain frame (Send).
func (p *Port) SendSuper(f []byte, mss int) bool {
	if mss < 0 || mss > 0xffff {
		p.stats.txFrames.Add(1)
		p.stats.txBytes.Add(uint64(len(f)))
		p.stats.oversize.Add(1)
		return false
	}
	return p.send(f, uint16(mss))
}

// SetSuperReceiver is SetReceiver for a node that takes super-frames: fn
// gets each frame with its MSS, 0 for a plain frame.
func (p *Port) SetSuperReceiver(fn func(frame []byte, mss int)) {
	p.setReceiver(&receiver{super: fn})
}

// SetCoalescingReceiver is SetSuperReceiver for a node that merges the
// TCP segments it receives (GRO): a plain frame with a TCP/IPv4 segment
// that carries data is always copied and queued, so that a burst of them
// collects in the port's queue and the receiver can tell its end
// (PortStats.Queued is 0 during its call); super-frames and other frames
// (pure ACKs among them) run to completion as with SetSuperReceiver.
// Frames stay in order either way.
func (p *Port) SetCoalescingReceiver(fn func(frame []byte, mss int)) {
	p.setReceiver(&receiver{super: fn, queueSegments: true})
}

// receiver is a port's receiving function: exactly one of plain and super
// is set. A queued receiver runs only on the port's delivery goroutine;
// with queueSegments, plain TCP segments with data do.
type receiver struct {
	plain         func(frame []byte)
	super         func(frame []byte, mss int)
	queued        bool
	queueSegments bool
}

// queues reports whether frame f with mss goes through the queue whatever
// the receiver is doing.
func (r *receiver) queues(f []byte, mss uint16) bool {
	return r.queued || r.queueSegments && mss == 0 && isTCPData(f)
}

// isTCPData reports whether f is an untagged IPv4 frame with a TCP segment
// that carries data (what a coalescer may merge).
func isTCPData(f []byte) bool {
	const eth = header.EthernetMinSize
	if len(f) < eth+header.IPv4MinSize || binary.BigEndian.Uint16(f[12:]) != uint16(header.EtherTypeIPv4) ||
		f[eth+9] != header.ProtocolTCP {
		return false
	}
	ihl := int(f[eth]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(f[eth+2:]))
	if len(f) < eth+ihl+13 {
		return false
	}
	thl := int(f[eth+ihl+12]>>4) * 4
	return total > ihl+thl
}

// segmenter cuts the super-frames for a plain receiver into segments with
// complete checksums. It is used with the port's busy lock held.
type segmenter struct {
	pipe *offload.Pipeline
	emit offload.Emit
	to   func(frame []byte) // the receiver of the segmenting in progress

	// For VXLAN super-frames: one buffer per segment, grown to the
	// largest super-frame seen and then reused.
	segs  [][]byte
	sizes []int
}

// vxlanTunnel is how gso cuts a VXLAN super-frame: the 8-byte VXLAN header
// copied unchanged into every segment.
var vxlanTunnel = gso.Tunnel{Enabled: true, HeaderLen: 8}

// maxTunneledHeaders bounds the headers of a VXLAN segment: outer Ethernet,
// IPv4 with options, UDP, VXLAN, inner Ethernet with two VLAN tags, IPv4
// and TCP with options.
const maxTunneledHeaders = header.EthernetMinSize + header.IPv4MaxSize + header.UDPSize + 8 +
	header.EthernetMinSize + 8 + header.IPv4MaxSize + 60

// isTunneled reports whether f is an untagged IPv4 frame carrying UDP: a
// super-frame in a UDP tunnel (VXLAN), which gso validates further.
func isTunneled(f []byte) bool {
	return len(f) >= header.EthernetMinSize+header.IPv4MinSize &&
		binary.BigEndian.Uint16(f[12:]) == uint16(header.EtherTypeIPv4) &&
		f[header.EthernetMinSize+9] == header.ProtocolUDP
}

// segmentTunneled hands VXLAN super-frame f to fn as one VXLAN frame per
// inner segment of mss payload bytes, every checksum complete.
func (p *Port) segmentTunneled(f []byte, mss int, fn func([]byte)) error {
	h := virtio.NetHdr{GSOType: virtio.GSOTCPv4, GSOSize: uint16(mss)}
	opts := gso.Options{NetworkOffset: header.EthernetMinSize, Tunnel: vxlanTunnel}
	if binary.BigEndian.Uint16(f[header.EthernetMinSize+header.IPv4MinSize:][6:]) == 0 {
		// Keep a sender's choice of no outer UDP checksum (RFC 7348
		// section 5); the outer IPv4 header has no options here or
		// the offset is wrong and gso refuses the frame anyway.
		opts.Tunnel.ZeroChecksum = true
	}
	n, err := gso.Count(f, h, opts)
	if err != nil {
		return err
	}
	s := &p.seg
	segLen := min(len(f), maxTunneledHeaders+mss)
	for len(s.segs) < n {
		s.segs = append(s.segs, nil)
	}
	if len(s.sizes) < n {
		s.sizes = make([]int, n)
	}
	for i := range n {
		if cap(s.segs[i]) < segLen {
			s.segs[i] = make([]byte, segLen)
		}
		s.segs[i] = s.segs[i][:cap(s.segs[i])]
	}
	if _, err := gso.Segment(s.segs[:n], s.sizes[:n], f, h, opts); err != nil {
		return err
	}
	for i := range n {
		fn(s.segs[i][:s.sizes[i]])
	}
	return nil
}

// segment hands super-frame f to fn as segments of mss payload bytes, or
// counts it as unsegmentable.
func (p *Port) segment(f []byte, mss int, fn func([]byte)) {
	if isTunneled(f) {
		if p.segmentTunneled(f, mss, fn) != nil {
			p.stats.unsegmentable.Add(1)
			return
		}
		p.stats.rxFrames.Add(1)
		p.stats.rxBytes.Add(uint64(len(f)))
		return
	}
	h, err := SuperHeader(f, mss)
	s := &p.seg
	if err == nil && s.pipe == nil {
		// An adapter without offloads: the pipeline segments and
		// checksums everything.
		s.pipe, err = offload.NewPipeline(offload.Config{})
		s.emit = func(_ virtio.NetHdr, seg []byte) error {
			s.to(seg)
			return nil
		}
	}
	if err != nil {
		p.stats.unsegmentable.Add(1)
		return
	}
	p.stats.rxFrames.Add(1)
	p.stats.rxBytes.Add(uint64(len(f)))
	s.to = fn
	if s.pipe.Tx(h, f, s.emit) != nil {
		p.stats.unsegmentable.Add(1)
	}
	s.to = nil
}
