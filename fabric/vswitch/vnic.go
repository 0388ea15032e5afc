package vswitch

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

// VNICConfig describes a guest's vNIC.
type VNICConfig struct {
	// Name names the vNIC in events; unique in the switch.
	Name string
	// Port is the switch's end of the wire to the guest. The switch owns
	// it from AddVNIC on.
	Port *netsim.Port
	// MAC and Addr are the guest's MAC and customer address (CA), in
	// virtual network VNI. MTU is the guest's IP MTU (0 means 1500).
	MAC  net.HardwareAddr
	Addr netip.Addr
	VNI  uint32
	MTU  int
	// Sources are further source addresses the guest may send from: the
	// VIPs it holds on its loopback for floating IP (Direct Server
	// Return). Other sources are dropped (anti-spoofing).
	Sources []netip.Addr
	// Endpoints open the guest's ports inbound; everything else inbound
	// is denied, except replies to flows the guest opened.
	Endpoints []Endpoint
	// TSO says the guest hands the vNIC TCP super-packets with partial
	// checksums (guest.Config.TSO): the switch fills in checksums in
	// software (package offload) and carries each super-packet whole as a
	// netsim super-frame (to the router, another vNIC or the host) or
	// segments it (before VXLAN encapsulation).
	TSO bool
}

// VNIC is a guest's port on the switch.
type VNIC struct {
	s    *Switch
	cfg  VNICConfig
	name string
	port *netsim.Port
	mac  header.MAC
	mtu  int
	acl  acl

	pipeline *offload.Pipeline
	emit     offload.Emit // v.emitSegment as a value made once
	encap    offload.Emit // v.encapSegment as a value made once
	encapTo  Mapping      // where encapSegment sends the segments
	buf      []byte       // scratch of the vNIC port's receiver (one frame at a time)
	arp      [header.EthernetMinSize + header.ARPSize]byte
	pkt      packet
}

// AddVNIC attaches a guest's vNIC to the switch and starts forwarding its
// frames. It also records the vNIC's own CA mapping.
func (s *Switch) AddVNIC(cfg VNICConfig) (*VNIC, error) {
	if cfg.Port == nil || cfg.Name == "" {
		return nil, fmt.Errorf("%w: vNIC %q needs a name and a port", ErrConfig, cfg.Name)
	}
	if len(cfg.MAC) != 6 || cfg.MAC[0]&1 != 0 {
		return nil, fmt.Errorf("%w: vNIC %s: MAC %q", ErrConfig, cfg.Name, cfg.MAC)
	}
	if !cfg.Addr.Is4() {
		return nil, fmt.Errorf("%w: vNIC %s: address %s is not IPv4", ErrConfig, cfg.Name, cfg.Addr)
	}
	if !vxlan.VNI(cfg.VNI).Valid() {
		return nil, fmt.Errorf("%w: vNIC %s: VNI %d", ErrConfig, cfg.Name, cfg.VNI)
	}
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	if cfg.MTU < 576 || cfg.MTU > 9000 {
		return nil, fmt.Errorf("%w: vNIC %s: MTU %d outside 576..9000", ErrConfig, cfg.Name, cfg.MTU)
	}
	for _, e := range cfg.Endpoints {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("%w: vNIC %s: %v", ErrConfig, cfg.Name, err)
		}
	}
	v := &VNIC{
		s: s, cfg: cfg, name: cfg.Name, port: cfg.Port, mac: header.MAC(cfg.MAC), mtu: cfg.MTU,
		buf: make([]byte, 0, netsim.MaxFrame+128),
	}
	v.acl.init(cfg.Endpoints, s.cfg.FlowTimeout, s.cfg.MaxFlows)
	if cfg.TSO {
		p, err := offload.NewPipeline(offload.Config{})
		if err != nil {
			return nil, fmt.Errorf("vswitch: vNIC %s: %w", cfg.Name, err)
		}
		v.pipeline = p
		v.emit = v.emitSegment
		v.encap = v.encapSegment
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: switch closed", ErrConfig)
	}
	if _, dup := s.byName[cfg.Name]; dup {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: vNIC %s exists", ErrConfig, cfg.Name)
	}
	if _, dup := s.vnics.Load().byKey[caKey{cfg.VNI, cfg.Addr}]; dup {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: vNIC %s: %s in VNI %d is taken", ErrConfig, cfg.Name, cfg.Addr, cfg.VNI)
	}
	s.byName[cfg.Name] = v
	s.vnics.Store(newVNICTable(s.byName))
	s.mu.Unlock()
	if err := s.SetMapping(cfg.VNI, cfg.Addr, s.cfg.HostPA, cfg.MAC); err != nil {
		return nil, err
	}
	v.port.SetSuperReceiver(v.fromGuestSuper)
	return v, nil
}

// Name returns the vNIC's name.
func (v *VNIC) Name() string { return v.name }

// RemoveVNIC detaches the vNIC named name, closes its port and forgets its
// own CA mapping, and reports whether there was one.
func (s *Switch) RemoveVNIC(name string) bool {
	s.mu.Lock()
	v, ok := s.byName[name]
	if ok {
		delete(s.byName, name)
		s.vnics.Store(newVNICTable(s.byName))
	}
	s.mu.Unlock()
	if !ok {
		return false
	}
	v.port.Close()
	s.DeleteMapping(v.cfg.VNI, v.cfg.Addr)
	return true
}

// vnicTable indexes the vNICs of a switch; it is replaced, never changed.
type vnicTable struct {
	byKey map[caKey]*VNIC
	byCA  map[netip.Addr]*VNIC // the first vNIC with the CA, in any VNI
	byMAC map[header.MAC]*VNIC
}

func newVNICTable(vnics map[string]*VNIC) *vnicTable {
	t := &vnicTable{byKey: map[caKey]*VNIC{}, byCA: map[netip.Addr]*VNIC{}, byMAC: map[header.MAC]*VNIC{}}
	for _, v := range vnics {
		t.byKey[caKey{v.cfg.VNI, v.cfg.Addr}] = v
		if _, ok := t.byCA[v.cfg.Addr]; !ok {
			t.byCA[v.cfg.Addr] = v
		}
		t.byMAC[v.mac] = v
	}
	return t
}

// localVNIC returns the vNIC of ca in vni on this switch.
func (s *Switch) localVNIC(vni uint32, ca netip.Addr) *VNIC {
	return s.vnics.Load().byKey[caKey{vni, ca}]
}

// fromGuest handles a frame the guest sent, on the vNIC's delivery
// goroutine.
func (v *VNIC) fromGuest(frame []byte) { v.fromGuestSuper(frame, 0) }

// fromGuestSuper is fromGuest for a frame that came as a super-frame with
// its mss (0 for a plain frame).
func (v *VNIC) fromGuestSuper(frame []byte, mss int) {
	s := v.s
	if len(frame) >= header.EthernetMinSize && etherType(frame) == header.EtherTypeARP {
		v.answerARP(frame)
		return
	}
	p := &v.pkt
	if err := p.parse(frame); err != nil {
		s.event(v.name, Out, LayerPort, ActionDrop, dropReason(atPort, err), nil)
		return
	}
	if v.pipeline != nil && p.proto == protoTCP && p.first {
		v.offloadTx(p, mss)
		return
	}
	if mss != 0 {
		s.event(v.name, Out, LayerOffload, ActionDrop, "super-frame from a guest without TSO", p)
		return
	}
	v.fromGuestIP(p)
}

// answerARP is proxy ARP: every address but the guest's own is the
// virtual gateway's.
func (v *VNIC) answerARP(frame []byte) {
	s := v.s
	req, err := header.ParseARP(frame[header.EthernetMinSize:])
	if err != nil || req.Op() != header.ARPRequest {
		s.event(v.name, Out, LayerPort, ActionDrop, "arp: not a request", nil)
		return
	}
	if req.TargetIP() == v.cfg.Addr || req.IsProbe() || req.IsGratuitous() {
		return // the guest's duplicate address detection: nobody else has it
	}
	s.event(v.name, Out, LayerPort, ActionARPReply, "proxy-arp", nil)
	v.port.Send(arpReply(v.buf, req, s.gwMAC))
}

// offloadTx finishes a TCP packet of a TSO guest: the checksum left
// partial, and for a packet beyond the MTU its MSS (the guest's, from the
// super-frame's, if it fits the MTU), with which it goes on whole as a
// super-frame; the segments are made where the super-frame must be cut.
func (v *VNIC) offloadTx(p *packet, guestMSS int) {
	s := v.s
	tcp, err := header.ParseTCP(p.l4())
	if err != nil {
		s.event(v.name, Out, LayerOffload, ActionDrop, "tcp header malformed", p)
		return
	}
	l4, thl := []byte(tcp), tcp.HeaderLen()
	// A TSO guest leaves TCP checksums to the vNIC: partial (the
	// pseudo-header sum, as Linux's CHECKSUM_PARTIAL) on most segments,
	// zero on some (netstack's handshake replies). Start from the
	// pseudo-header sum either way.
	binary.BigEndian.PutUint16(l4[16:], checksum.PseudoHeader(p.src(), p.dst(), protoTCP, len(l4)))
	h := virtio.NetHdr{
		Flags:      virtio.FlagNeedsCsum,
		CsumStart:  uint16(header.EthernetMinSize + p.ihl),
		CsumOffset: 16,
	}
	if len(p.ip()) > v.mtu {
		mss := v.mtu - p.ihl - thl
		if mss <= 0 {
			s.event(v.name, Out, LayerOffload, ActionDrop, "headers exceed the MTU", p)
			return
		}
		if guestMSS > 0 && guestMSS < mss {
			mss = guestMSS
		}
		if mss > 0xffff {
			mss = 0xffff
		}
		p.mss = mss
		v.fromGuestIP(p)
		return
	}
	if err := v.pipeline.Tx(h, p.frame, v.emit); err != nil {
		s.event(v.name, Out, LayerOffload, ActionDrop, dropReason(atOffload, err), nil)
	}
}

// emitSegment takes a finished packet from the offload pipeline on to the
// other layers.
func (v *VNIC) emitSegment(_ virtio.NetHdr, frame []byte) error {
	if p := v.finished(frame, atPort); p != nil {
		v.fromGuestIP(p)
	}
	return nil
}

// finished parses frame, a packet the offload pipeline finished, into
// v.pkt and reports its checksum filled in; if frame does not parse it
// reports the drop with site's reason and returns nil.
func (v *VNIC) finished(frame []byte, site dropSite) *packet {
	p := &v.pkt
	if err := p.parse(frame); err != nil {
		v.s.event(v.name, Out, LayerOffload, ActionDrop, dropReason(site, err), nil)
		return nil
	}
	v.s.event(v.name, Out, LayerOffload, ActionChecksum, "tx checksum", p)
	return p
}

// fromGuestIP takes an IPv4 packet from the guest through ACL, SLB and
// VNet.
func (v *VNIC) fromGuestIP(p *packet) {
	s := v.s
	// ACL: anti-spoofing, then remember the flow for its replies.
	if src := p.src(); src != v.cfg.Addr && !v.source(src) {
		s.event(v.name, Out, LayerACL, ActionDeny, "anti-spoofing", p)
		return
	}
	v.acl.track(p)
	s.event(v.name, Out, LayerACL, ActionAllow, "outbound", p)

	// Replies to the host's own stack (health probes) stay on the host.
	if h := s.host.Load(); h != nil && p.dst() == h.addr {
		s.event(v.name, Out, LayerVNet, ActionLocal, "host", p)
		h.toHost(p)
		return
	}

	// SLB: DSR replies and SNAT leave for the router.
	if s.cfg.SLB != nil {
		r, err := s.cfg.SLB.Outbound(p.ip(), v.cfg.VNI)
		switch {
		case err != nil || r.Verdict == SLBDrop:
			s.event(v.name, Out, LayerSLB, ActionDrop, r.Rule, p)
			return
		case r.Verdict == SLBToRouter:
			p.reparse()
			s.event(v.name, Out, LayerSLB, ActionDSR, r.Rule, p)
			s.toRouter(p, v.arp[:], v.name)
			return
		default:
			s.event(v.name, Out, LayerSLB, ActionPass, r.Rule, p)
		}
	}

	// VNet: another local vNIC, or VXLAN to the CA's host.
	dst := p.dst()
	m, ok := s.LookupMapping(v.cfg.VNI, dst)
	if !ok {
		s.event(v.name, Out, LayerVNet, ActionDrop, "no mapping", p)
		return
	}
	if m.PA == s.cfg.HostPA {
		to := s.localVNIC(v.cfg.VNI, dst)
		if to == nil {
			s.event(v.name, Out, LayerVNet, ActionDrop, "no local vnic", p)
			return
		}
		s.event(v.name, Out, LayerVNet, ActionLocal, "mapping", p)
		to.toGuest(p, false)
		return
	}
	if p.mss != 0 {
		v.segment(p, m)
		return
	}
	v.encapsulate(p, m)
}

// segment cuts super-frame p into segments, with their checksums, and
// encapsulates each for m.
func (v *VNIC) segment(p *packet, m Mapping) {
	s := v.s
	h, err := netsim.SuperHeader(p.frame, p.mss)
	if err != nil {
		s.event(v.name, Out, LayerOffload, ActionDrop, "super-frame malformed", p)
		return
	}
	s.count[LayerOffload][ActionSegment].Add(1)
	if s.cfg.Trace != nil {
		payload := len(p.frame) - int(h.HdrLen)
		s.cfg.Trace(Event{Switch: s.cfg.Name, Port: v.name, Dir: Out, Layer: LayerOffload, Action: ActionSegment,
			Rule: "tso", Proto: p.proto, Src: netip.AddrPortFrom(p.src(), p.sport()), Dst: netip.AddrPortFrom(p.dst(), p.dport()),
			Segments: (payload + p.mss - 1) / p.mss})
	}
	v.encapTo = m
	if err := v.pipeline.Tx(h, p.frame, v.encap); err != nil {
		s.event(v.name, Out, LayerOffload, ActionDrop, dropReason(atOffload, err), nil)
	}
}

// encapSegment takes a segment of a super-frame on to VXLAN.
func (v *VNIC) encapSegment(_ virtio.NetHdr, frame []byte) error {
	if p := v.finished(frame, atOffload); p != nil {
		v.encapsulate(p, v.encapTo)
	}
	return nil
}

// encapsulate sends p in VXLAN to m's host.
func (v *VNIC) encapsulate(p *packet, m Mapping) {
	s := v.s
	p.setEth(m.mac, s.gwMAC)
	o := vxlan.Outer{Ethernet: true, SrcMAC: s.hostMAC, Src: s.cfg.HostPA, Dst: m.PA,
		DstPort: s.cfg.VXLANPort, DontFragment: true}
	out, err := o.Encapsulate(v.buf[:0], vxlan.Header{VNI: vxlan.VNI(v.cfg.VNI)}, p.frame)
	if err != nil {
		s.event(v.name, Out, LayerVNet, ActionDrop, dropReason(atPort, err), p)
		return
	}
	s.encapEvent(v.name, Out, ActionEncap, p, out, v.cfg.VNI, s.cfg.HostPA, m.PA)
	if !s.sendProvider(s.hop(m.PA), out, 0, v.arp[:], v.name, Out, "", nil) {
		s.event("uplink", Out, LayerPort, ActionDrop, "next hop unresolved: held", nil)
	}
}

func (v *VNIC) source(a netip.Addr) bool {
	for _, s := range v.cfg.Sources {
		if s == a {
			return true
		}
	}
	return false
}

// toGuest delivers an IPv4 packet to the guest through the ACL; viaSLB says
// the load balancer delivered it (an Input endpoint's traffic).
func (v *VNIC) toGuest(p *packet, viaSLB bool) {
	s := v.s
	rule, ok := v.acl.admit(p, viaSLB, v.cfg.VNI, s)
	if !ok {
		s.event(v.name, In, LayerACL, ActionDeny, rule, p)
		return
	}
	s.event(v.name, In, LayerACL, ActionAllow, rule, p)
	p.setEth(v.mac, s.gwMAC)
	// Reported first: the guest's port may take the frame in this
	// goroutine (netsim's run to completion).
	s.event(v.name, In, LayerPort, ActionDeliver, "", p)
	v.port.SendSuper(p.frame, p.mss)
}

// toRouter sends an IPv4 packet unencapsulated to the provider router.
func (s *Switch) toRouter(p *packet, scratch []byte, port string) {
	if !s.cfg.RouterPA.IsValid() {
		s.event(port, Out, LayerVNet, ActionDrop, "no router", p)
		return
	}
	p.setEth(header.MAC{}, s.hostMAC)
	if !s.sendProvider(s.cfg.RouterPA, p.frame, p.mss, scratch, port, Out, "to router", p) {
		s.event("uplink", Out, LayerPort, ActionDrop, "router unresolved: held", p)
	}
}

// dropSite is where a frame failed to parse, for its drop reason.
type dropSite uint8

const (
	atPort    dropSite = iota // a frame from a port
	atInner                   // the inner frame of a VXLAN packet
	atOffload                 // the offload pipeline
)

// dropReasons are the reasons by site: not IPv4, malformed. They are
// constants so that a flood of bad frames makes no reason strings.
var dropReasons = [...][2]string{
	atPort:    {"not ipv4", "malformed"},
	atInner:   {"inner: not ipv4", "inner: malformed"},
	atOffload: {"offload: not ipv4", "offload: malformed"},
}

// dropReason says whether a parse error at site was a frame that is not
// untagged IPv4 or a malformed one.
func dropReason(site dropSite, err error) string {
	if err == errNotIPv4 {
		return dropReasons[site][0]
	}
	return dropReasons[site][1]
}
