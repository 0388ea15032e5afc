package nat

import "github.com/sdnfabric/sdnfabric/offload/header"

// Session timers and TCP tracking (RFC 4787 REQ-5 and REQ-6, RFC 5382
// REQ-5, RFC 5508 REQ-2, RFC 7857 sections 2.1 to 2.3 and 8).
//
// Only outbound packets refresh a session (outbound refresh). An inbound
// packet can move a TCP session to another state, which sets that state's
// timer, but does not otherwise extend it. The TCP machine follows RFC
// 7857 figure 1 (from RFC 6146), with "inside" for V4 and "outside" for V6:
//
//	new, outbound SYN           -> syn-out      (transitory timer)
//	new, other outbound segment -> transitory   (picked up mid-stream)
//	syn-out, inbound SYN        -> established  (established timer)
//	established, FIN one way    -> fin-out / fin-in (established timer)
//	fin-out/fin-in, FIN the other way -> fin-both (transitory timer)
//	any, RST either way         -> transitory   (the RST is translated and
//	                               the session kept 4 minutes, RFC 7857 2.3)
//	transitory, non-RST segment -> established (outbound SYN: syn-out)
//	fin-both, outbound SYN      -> syn-out      (the 4-tuple is reused)
//
// Transitory sessions are not evicted to make room: a full table refuses
// new sessions and keeps every existing one.

func (n *NAT) timeout(st State) uint32 {
	switch st {
	case StateEstablished, StateFinOut, StateFinIn:
		return n.toEst
	}
	return n.toTrans
}

func (n *NAT) rst(s uint32) {
	r := &n.sessions[s]
	if r.state != StateTransitory {
		r.state = StateTransitory
		n.setExpiry(s, n.toTrans)
	}
}

func (n *NAT) outboundState(s uint32, f *flow) {
	switch f.proto {
	case header.ProtocolUDP:
		n.setExpiry(s, n.toUDP)
		return
	case header.ProtocolICMPv4:
		n.setExpiry(s, n.toICMP)
		return
	}
	if f.flags&header.TCPFlagRST != 0 {
		n.rst(s) // an RST does not refresh (RFC 7857 section 8)
		return
	}
	r := &n.sessions[s]
	synOnly := f.flags&(header.TCPFlagSYN|header.TCPFlagACK) == header.TCPFlagSYN
	fin := f.flags&header.TCPFlagFIN != 0
	switch r.state {
	case StateEstablished:
		if fin {
			r.state = StateFinOut
		}
	case StateFinIn:
		if fin {
			r.state = StateFinBoth
		}
	case StateFinBoth:
		if synOnly {
			r.state = StateSynOut
		}
	case StateTransitory:
		if synOnly {
			r.state = StateSynOut
		} else {
			r.state = StateEstablished
		}
	}
	n.setExpiry(s, n.timeout(r.state))
}

func (n *NAT) inboundState(s uint32, f *flow) {
	if f.proto != header.ProtocolTCP {
		return // outbound refresh only (RFC 4787 REQ-6)
	}
	if f.flags&header.TCPFlagRST != 0 {
		n.rst(s)
		return
	}
	r := &n.sessions[s]
	switch r.state {
	case StateSynOut:
		if f.flags&header.TCPFlagSYN != 0 { // SYN-ACK or simultaneous open
			r.state = StateEstablished
			n.setExpiry(s, n.toEst)
		}
	case StateEstablished:
		if f.flags&header.TCPFlagFIN != 0 {
			r.state = StateFinIn
		}
	case StateFinOut:
		if f.flags&header.TCPFlagFIN != 0 {
			r.state = StateFinBoth
			n.setExpiry(s, n.toTrans)
		}
	case StateTransitory:
		r.state = StateEstablished
		n.setExpiry(s, n.toEst)
	}
}
