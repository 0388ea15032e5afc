package vxlan

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// LocalPort is the local side of one VNI: where decapsulated frames go and
// where frames to encapsulate come from. A *tap.Device from
// github.com/sdnfabric/sdnfabric/offload/tap is one.
type LocalPort interface {
	ReadPacket(buf []byte) (virtio.NetHdr, []byte, error)
	WritePacket(hdr virtio.NetHdr, frame []byte) error
	SetReadDeadline(t time.Time) error
}

// Config configures a VTEP.
type Config struct {
	// Transport is the UDP socket VXLAN packets travel through. Required.
	Transport *Transport
	// Ports are the VNIs this VTEP serves and the local port of each. A
	// nil port serves the VNI without a local side: Output still works,
	// received frames are counted as dropped.
	Ports map[VNI]LocalPort
	// DstPort is the UDP port of remote VTEPs; 0 means Port (4789).
	DstPort uint16
	// FDB is the forwarding database; nil means a new one with defaults.
	FDB *FDB
	// NoLearning turns off learning source MACs from received frames
	// (for controller-programmed FDBs, like "nolearning" on Linux).
	NoLearning bool
	// Neighbors, when set, turns on ARP and ND suppression from that table.
	Neighbors *Neighbors
	// L2Miss is called, on the forwarding goroutine, for a unicast frame
	// to a MAC the FDB does not know (the frame is then flooded). L3Miss is
	// called for an ARP request or Neighbor Solicitation the neighbor table
	// cannot answer (the request is dropped, as Linux does). Both must not
	// block.
	L2Miss func(vni VNI, mac header.MAC)
	L3Miss func(vni VNI, ip netip.Addr)
	// MaxPeers bounds the per-peer counter table; 0 means 1024.
	MaxPeers int
	// ExpireInterval is how often Run ages the FDB; 0 means 10 s.
	ExpireInterval time.Duration
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger
}

// VTEP is a userspace VXLAN tunnel endpoint: frames from local ports are
// looked up in the FDB and sent, encapsulated, to the remote VTEP (or to
// every remote of the flood list); packets received from remote VTEPs are
// decapsulated, their source MAC learned, and the frame handed to the VNI's
// local port.
type VTEP struct {
	cfg     Config
	fdb     *FDB
	dstPort uint16
	vnis    map[VNI]*vniState // read-only after New
	peers   peerTable
	stats   stats
	log     *slog.Logger
	scratch sync.Pool // *outScratch
}

type vniState struct {
	port LocalPort
	counters
}

type outScratch struct {
	pkt     []byte
	reply   []byte
	remotes []netip.Addr
	dgrams  []Datagram
}

// New returns a VTEP; Run starts it.
func New(cfg Config) (*VTEP, error) {
	if cfg.Transport == nil {
		return nil, &Error{Layer: "config", Field: "transport", Offset: -1, Err: ErrBadValue}
	}
	v := &VTEP{cfg: cfg, fdb: cfg.FDB, dstPort: cfg.DstPort, vnis: make(map[VNI]*vniState), log: cfg.Logger}
	if v.fdb == nil {
		v.fdb = NewFDB(FDBConfig{})
	}
	if v.dstPort == 0 {
		v.dstPort = Port
	}
	if v.log == nil {
		v.log = slog.Default()
	}
	for vni, p := range cfg.Ports {
		if !vni.Valid() {
			return nil, &Error{Layer: "config", Field: "vni " + vni.String(), Offset: -1, Err: ErrBadValue}
		}
		v.vnis[vni] = &vniState{port: p}
	}
	v.peers = peerTable{max: cfg.MaxPeers, m: make(map[netip.Addr]*counters)}
	if v.peers.max <= 0 {
		v.peers.max = 1024
	}
	v.scratch.New = func() any {
		return &outScratch{pkt: make([]byte, 0, 64<<10+HeaderSize), reply: make([]byte, 0, 128), remotes: make([]netip.Addr, 0, 16), dgrams: make([]Datagram, 0, 16)}
	}
	return v, nil
}

// FDB returns the VTEP's forwarding database.
func (v *VTEP) FDB() *FDB { return v.fdb }

// Forward does the lookup and encapsulation for a frame from the local
// side of vni: it appends the VXLAN UDP payload to pkt and the remote VTEPs
// to send it to to remotes (one for a known unicast MAC; the flood list for
// broadcast, multicast and unknown unicast). It does not allocate when pkt
// and remotes have room.
func (v *VTEP) Forward(pkt []byte, remotes []netip.Addr, vni VNI, frame []byte) ([]byte, []netip.Addr, error) {
	if _, ok := v.vnis[vni]; !ok {
		return pkt, remotes, &Error{Layer: "vtep", Field: "vni " + vni.String(), Offset: -1, Err: ErrUnknownVNI}
	}
	pkt, err := EncapsulatePayload(pkt, Header{VNI: vni}, frame)
	if err != nil {
		return pkt, remotes, err
	}
	dst := header.MAC(frame[0:6])
	if !dst.IsMulticast() {
		if r, ok := v.fdb.Lookup(vni, dst); ok {
			return pkt, append(remotes, r), nil
		}
		v.stats.l2miss.Add(1)
		if v.cfg.L2Miss != nil {
			v.cfg.L2Miss(vni, dst)
		}
	}
	return pkt, v.fdb.AppendFlood(remotes, vni), nil
}

// Output sends a frame from the local side of vni: answered locally if
// suppression is on and it is an ARP or ND request, otherwise encapsulated
// and sent to the remote VTEPs Forward picks.
func (v *VTEP) Output(vni VNI, frame []byte) error {
	st, ok := v.vnis[vni]
	if !ok {
		return &Error{Layer: "vtep", Field: "vni " + vni.String(), Offset: -1, Err: ErrUnknownVNI}
	}
	s := v.scratch.Get().(*outScratch)
	defer v.scratch.Put(s)
	if v.cfg.Neighbors != nil {
		reply, ip, what := v.cfg.Neighbors.Suppress(s.reply[:0], vni, frame)
		s.reply = reply
		switch what {
		case Answered:
			v.stats.suppressed.Add(1)
			return v.deliver(st, reply)
		case Missed:
			v.stats.l3miss.Add(1)
			if v.cfg.L3Miss != nil {
				v.cfg.L3Miss(vni, ip)
			}
			return nil
		}
	}
	pkt, remotes, err := v.Forward(s.pkt[:0], s.remotes[:0], vni, frame)
	s.pkt, s.remotes = pkt, remotes
	if err != nil {
		st.txDrops.Add(1)
		return err
	}
	if len(remotes) == 0 {
		st.txDrops.Add(1)
		return &Error{Layer: "vtep", Field: "remote for VNI " + vni.String(), Offset: -1, Err: ErrNoRoute}
	}
	d := s.dgrams[:0]
	for _, r := range remotes {
		d = append(d, Datagram{Buf: pkt, Addr: netip.AddrPortFrom(r, v.dstPort)})
	}
	s.dgrams = d
	n, err := v.cfg.Transport.WriteBatch(d)
	for i, r := range remotes {
		if i < n {
			st.tx(len(frame))
			v.peers.get(r, &v.stats).tx(len(frame))
		} else {
			st.txDrops.Add(1)
		}
	}
	return err
}

// Input handles the UDP payload of a VXLAN packet received from a remote
// VTEP: it decodes it, learns the inner source MAC (unless learning is off
// or the Group Policy D bit asks not to) and delivers the frame to the
// VNI's local port. Malformed packets and unknown VNIs are counted and
// reported as errors; nothing is kept from them.
func (v *VTEP) Input(from netip.AddrPort, payload []byte) error {
	h, frame, err := DecapsulatePayload(payload)
	if err != nil {
		v.stats.malformed.Add(1)
		return err
	}
	st, ok := v.vnis[h.VNI]
	if !ok {
		v.stats.unknownVNI.Add(1)
		return &Error{Layer: "vxlan", Field: "vni " + h.VNI.String(), Offset: 4, Err: ErrUnknownVNI}
	}
	remote := from.Addr().Unmap()
	v.peers.get(remote, &v.stats).rx(len(frame))
	if !v.cfg.NoLearning && !h.Policy.DontLearn {
		if err := v.fdb.Learn(h.VNI, header.MAC(frame[6:12]), remote); errors.Is(err, ErrFDBFull) {
			v.stats.learnFull.Add(1)
		}
	}
	return v.deliver(st, frame)
}

func (v *VTEP) deliver(st *vniState, frame []byte) error {
	if st.port == nil {
		st.rxDrops.Add(1)
		return nil
	}
	if err := st.port.WritePacket(virtio.NetHdr{}, frame); err != nil {
		st.rxDrops.Add(1)
		return err
	}
	st.rx(len(frame))
	return nil
}

// Run serves the VTEP until ctx is done: it receives from the transport
// in batches, reads every local port, and ages the FDB. It returns nil
// after ctx is cancelled, or the first error that stops a loop.
func (v *VTEP) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(v.vnis)+1)
	wake := func(set func(time.Time) error) func() bool {
		return context.AfterFunc(ctx, func() { set(time.Unix(1, 0)) })
	}
	stop := wake(v.cfg.Transport.conn.SetReadDeadline)
	defer stop()
	wg.Add(1)
	go func() {
		defer wg.Done()
		errc <- v.receive(ctx)
	}()
	for vni, st := range v.vnis {
		if st.port == nil {
			continue
		}
		stop := wake(st.port.SetReadDeadline)
		defer stop()
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- v.readPort(ctx, vni, st.port)
		}()
	}
	interval := v.cfg.ExpireInterval
	if interval <= 0 {
		interval = 10 * time.Second
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			v.fdb.Expire()
		case err = <-errc:
			if err != nil {
				break loop
			}
		}
	}
	cancel()
	wg.Wait()
	if ctx.Err() != nil && err == nil {
		return nil
	}
	return err
}

// stopped reports whether err ends a loop because ctx is done.
func stopped(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed))
}

func (v *VTEP) receive(ctx context.Context) error {
	const bufSize = 64 << 10
	n := DefaultBatch
	if !v.cfg.Transport.Batching() {
		n = 1
	}
	msgs := make([]Datagram, n)
	for i := range msgs {
		msgs[i].Buf = make([]byte, bufSize)
	}
	for {
		k, err := v.cfg.Transport.ReadBatch(msgs)
		for _, m := range msgs[:k] {
			if err := v.Input(m.Addr, m.Buf[:m.N]); err != nil {
				v.log.Debug("vxlan: receive", "from", m.Addr, "err", err)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return err
		}
	}
}

func (v *VTEP) readPort(ctx context.Context, vni VNI, p LocalPort) error {
	buf := make([]byte, 10+18+65535)
	var seg segmenter
	for {
		hdr, frame, err := p.ReadPacket(buf)
		if err != nil {
			if stopped(ctx, err) || ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return err
		}
		if hdr.IsGSO() {
			if err := v.outputGSO(vni, hdr, frame, &seg); err != nil {
				v.log.Debug("vxlan: output super-packet", "vni", vni, "err", err)
			}
			continue
		}
		if hdr.NeedsChecksum() {
			if err := hdr.FinishChecksum(frame); err != nil {
				v.vnis[vni].txDrops.Add(1)
				continue
			}
		}
		if err := v.Output(vni, frame); err != nil {
			v.log.Debug("vxlan: output", "vni", vni, "err", err)
		}
	}
}

// segmenter holds one port reader's buffers for splitting TCP/UDP
// super-packets (from a TAP device with TSO/USO offloads) into frames.
// They grow to the largest super-packet seen and are then reused.
type segmenter struct {
	segs    [][]byte
	sizes   []int
	pkts    [][]byte
	remotes []netip.Addr
	dgrams  []Datagram
}

// outputGSO segments a super-packet from the local side of vni (with
// offload/gso, as Linux's GSO layer would), encapsulates every segment and
// sends them all, to every remote, in one batch.
func (v *VTEP) outputGSO(vni VNI, hdr virtio.NetHdr, frame []byte, s *segmenter) error {
	st := v.vnis[vni]
	eth, err := header.ParseEthernet(frame)
	if err != nil {
		st.txDrops.Add(1)
		return err
	}
	opts := gso.Options{NetworkOffset: eth.HeaderLen()}
	n, err := gso.Count(frame, hdr, opts)
	if err != nil {
		st.txDrops.Add(1)
		return err
	}
	// Every segment carries the headers and at most gso_size bytes of
	// payload; n segments need at least (n-1)*gso_size+1 payload bytes.
	segLen := len(frame) - max(n-2, 0)*int(hdr.GSOSize)
	for len(s.segs) < n {
		s.segs, s.pkts = append(s.segs, nil), append(s.pkts, nil)
	}
	if len(s.sizes) < n {
		s.sizes = make([]int, n)
	}
	for i := range n {
		if cap(s.segs[i]) < segLen {
			s.segs[i] = make([]byte, segLen)
			s.pkts[i] = make([]byte, 0, segLen+HeaderSize)
		}
		s.segs[i] = s.segs[i][:cap(s.segs[i])]
	}
	if _, err := gso.Segment(s.segs[:n], s.sizes[:n], frame, hdr, opts); err != nil {
		st.txDrops.Add(uint64(n))
		return err
	}
	v.stats.segmented.Add(1)
	var remotes []netip.Addr
	s.dgrams = s.dgrams[:0]
	for i := range n {
		seg := s.segs[i][:s.sizes[i]]
		if i == 0 {
			s.pkts[0], s.remotes, err = v.Forward(s.pkts[0][:0], s.remotes[:0], vni, seg)
			remotes = s.remotes
		} else {
			s.pkts[i], err = EncapsulatePayload(s.pkts[i][:0], Header{VNI: vni}, seg)
		}
		if err != nil {
			st.txDrops.Add(uint64(n))
			return err
		}
		for _, r := range remotes {
			s.dgrams = append(s.dgrams, Datagram{Buf: s.pkts[i], Addr: netip.AddrPortFrom(r, v.dstPort)})
		}
	}
	if len(remotes) == 0 {
		st.txDrops.Add(uint64(n))
		return &Error{Layer: "vtep", Field: "remote for VNI " + vni.String(), Offset: -1, Err: ErrNoRoute}
	}
	sent, err := v.cfg.Transport.WriteBatch(s.dgrams)
	for i, d := range s.dgrams {
		if i < sent {
			st.tx(len(d.Buf) - HeaderSize)
			v.peers.get(d.Addr.Addr(), &v.stats).tx(len(d.Buf) - HeaderSize)
		} else {
			st.txDrops.Add(1)
		}
	}
	return err
}

// Stats returns the VTEP-wide counters.
func (v *VTEP) Stats() Stats {
	s := &v.stats
	return Stats{
		Malformed: s.malformed.Load(), UnknownVNI: s.unknownVNI.Load(), Suppressed: s.suppressed.Load(),
		L2Miss: s.l2miss.Load(), L3Miss: s.l3miss.Load(), LearnFull: s.learnFull.Load(), Segmented: s.segmented.Load(),
		PeerOverflow: s.peerOverflow.Load(),
	}
}

// VNIStats returns the counters of vni.
func (v *VTEP) VNIStats(vni VNI) (Counters, bool) {
	st, ok := v.vnis[vni]
	if !ok {
		return Counters{}, false
	}
	return st.snapshot(), true
}

// PeerStats returns the counters of the remote VTEP at addr.
func (v *VTEP) PeerStats(addr netip.Addr) (Counters, bool) {
	v.peers.mu.RLock()
	c, ok := v.peers.m[addr.Unmap()]
	v.peers.mu.RUnlock()
	if !ok {
		return Counters{}, false
	}
	return c.snapshot(), true
}
