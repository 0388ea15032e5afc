package router

import (
	"errors"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// SuperOutput is an Output that also sends super-frames: TCP/IPv4 frames
// longer than one segment that stand for the segments of mss payload bytes
// a TCP segmentation offload (GSO) would cut them into.
type SuperOutput interface {
	Output
	SendSuper(ifIndex int, frame []byte, mss int) error
}

// ErrNoSuperOutput: InputSuper needs a Config.Output that is a SuperOutput.
var ErrNoSuperOutput = errors.New("router: output takes no super-frames")

// InputSuper is Input for a super-frame: a TCP/IPv4 frame whose payload
// stands for segments of mss bytes each, as a stack with segmentation
// offload hands them over. The router judges it by its largest segment:
// that segment, not the frame, must fit the egress MTU (otherwise, with
// DF set, the sender gets fragmentation needed with the MTU; without DF it
// is fragmented like any datagram too big). It rewrites the frame in place
// as Input does (TTL, NAT) and hands it whole to the Output's SendSuper
// with its mss. The TCP checksum of a super-frame is not checked, and the
// NAT's incremental updates leave it to whoever segments the frame to
// compute. A frame that is not TCP/IPv4, or an mss below 1, is
// processed as by Input.
func (r *Router) InputSuper(ifIndex int, frame []byte, mss int) error {
	if _, ok := r.cfg.Output.(SuperOutput); !ok {
		return ErrNoSuperOutput
	}
	return r.input(ifIndex, frame, max(mss, 0))
}

// superSegmentLen returns the IP length of the largest segment of super
// packet ip and its mss, or len(ip) and 0 if ip is not a TCP segment with
// more than mss bytes of payload (then it is a plain packet).
func superSegmentLen(ip header.IPv4, mss int) (int, int) {
	if ip.Protocol() != header.ProtocolTCP || ip.IsFragment() {
		return len(ip), 0
	}
	tcp, err := header.ParseTCP(ip.Payload())
	if err != nil || len(tcp)-tcp.HeaderLen() <= mss {
		return len(ip), 0
	}
	return ip.HeaderLen() + tcp.HeaderLen() + mss, mss
}

// sendSuper is send for a frame with its mss: a super-frame goes to the
// Output's SendSuper.
func (r *Router) sendSuper(out *iface, frame []byte, mss int) {
	if mss == 0 {
		r.send(out, frame)
		return
	}
	if err := r.cfg.Output.(SuperOutput).SendSuper(out.Index, frame, mss); err != nil {
		r.count(out, DropOutputError)
		return
	}
	r.count(out, TxFrames)
}
