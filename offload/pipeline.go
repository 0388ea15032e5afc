package offload

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/gro"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// Config describes the adapter a Pipeline serves and what the stack above
// it wants.
type Config struct {
	// Adapter is what the adapter does itself.
	Adapter Features
	// RxCoalesce is the receive coalescing the stack wants: RSCIPv4 and
	// RSCIPv6 (TCP) and URO (UDP). What Adapter lacks of it, Rx does in
	// software with package gro. Other bits are ignored.
	RxCoalesce Features
	// MaxLSOSize is the most TCP (or, for USO, UDP) payload the adapter
	// takes in one large send, its NDIS MaxOffLoadSize; larger
	// super-packets are segmented in software. 0 means MaxLSOv2Size for an
	// adapter with LSOv2 for the packet's IP version, MaxLSOv1Size for an
	// LSOv1-only one; both exceed what a super-packet of MaxGSOSize bytes
	// carries.
	MaxLSOSize int
	// MaxSegments bounds how many segments Tx makes of one super-packet,
	// which sizes the buffers it preallocates; a packet needing more is
	// refused with ErrTooManySegments. 0 means 512 (an MSS of 128 bytes
	// for a 64 KiB packet).
	MaxSegments int
	// Flows is how many flows software coalescing holds at once (gro's
	// Config.Flows; 0 means its default).
	Flows int
}

// Emit receives each packet a Pipeline releases, with its virtio-net
// header. The frame is only valid during the call. An error stops the Tx,
// Rx or Flush that called it and is returned from there.
type Emit func(h virtio.NetHdr, frame []byte) error

// Sentinel errors wrapped by *PacketError.
var (
	// ErrChecksum: a received packet's IPv4 header or TCP/UDP checksum
	// does not verify. The packet is dropped.
	ErrChecksum = errors.New("offload: bad checksum")
	// ErrMalformed: a packet's headers cannot be parsed where the
	// pipeline must understand them (a super-packet, or a partial checksum
	// the adapter cannot finish).
	ErrMalformed = errors.New("offload: malformed packet")
	// ErrTooManySegments: a super-packet would need more segments than
	// Config.MaxSegments.
	ErrTooManySegments = errors.New("offload: too many segments")
)

// ErrConfig is wrapped by *ConfigError.
var ErrConfig = errors.New("offload: invalid config")

// ConfigError names the Config field NewPipeline refused.
type ConfigError struct {
	Field string
	Value int
}

func (e *ConfigError) Error() string {
	return ErrConfig.Error() + ": " + e.Field + " = " + strconv.Itoa(e.Value)
}

// Unwrap returns ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// PacketError says why a packet was refused or dropped.
type PacketError struct {
	Dir   string // "tx" or "rx"
	Field string // what was wrong: "ipv4 checksum", "tcp checksum", ...
	Err   error  // ErrChecksum, ErrMalformed, ErrTooManySegments, or an error of gso, header or virtio
}

func (e *PacketError) Error() string {
	return "offload: " + e.Dir + ": " + e.Field + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *PacketError) Unwrap() error { return e.Err }

// PipelineStats counts what a Pipeline did in software.
type PipelineStats struct {
	TxPackets      uint64 // packets given to Tx
	TxSegmented    uint64 // super-packets segmented in software
	TxSegments     uint64 // segments those became
	TxChecksummed  uint64 // partial TCP/UDP checksums finished in software
	TxIPv4Header   uint64 // IPv4 header checksums computed in software
	TxToAdapter    uint64 // packets handed on with work left to the adapter
	RxPackets      uint64 // packets given to Rx
	RxVerified     uint64 // packets whose checksums Rx verified in software
	RxBadChecksum  uint64 // packets dropped for a bad checksum
	RxCoalescedIn  uint64 // packets offered to software coalescing
	RxCoalescedOut uint64 // coalesced packets (GSO) emitted by it
}

// Pipeline does in software the task offloads an adapter lacks: on
// transmit it turns packets a stack built assuming full offload into
// packets this adapter can send; on receive it verifies what the adapter
// did not and coalesces what the stack wants coalesced. Frames are
// Ethernet frames (802.1Q tags allowed; software coalescing only merges
// untagged frames) carrying IPv4 or IPv6, with a virtio-net header. A
// Pipeline is not safe for concurrent use: use one per queue.
type Pipeline struct {
	cfg    Config
	segs   [][]byte
	sizes  []int
	arena  []byte
	gro    *gro.Coalescer
	stats  PipelineStats
	rxEmit Emit // the Emit of the Rx or Flush in progress, seen by countEmit
	count  gro.Emit
}

const (
	defaultMaxSegments = 512
	ethHeaderLen       = 14
)

// NewPipeline allocates a Pipeline and every buffer it uses.
func NewPipeline(cfg Config) (*Pipeline, error) {
	switch {
	case cfg.MaxSegments < 0:
		return nil, &ConfigError{Field: "MaxSegments", Value: cfg.MaxSegments}
	case cfg.MaxLSOSize < 0:
		return nil, &ConfigError{Field: "MaxLSOSize", Value: cfg.MaxLSOSize}
	case cfg.Flows < 0:
		return nil, &ConfigError{Field: "Flows", Value: cfg.Flows}
	}
	if cfg.MaxSegments == 0 {
		cfg.MaxSegments = defaultMaxSegments
	}
	p := &Pipeline{
		cfg:   cfg,
		segs:  make([][]byte, cfg.MaxSegments),
		sizes: make([]int, cfg.MaxSegments),
		// Every segment repeats at most 18+60+60 header bytes (Ethernet
		// with a tag, IPv4 or IPv6 with options, TCP with options) and
		// the payload is at most MaxGSOSize in all.
		arena: make([]byte, MaxGSOSize+cfg.MaxSegments*(18+60+60)),
	}
	soft := cfg.RxCoalesce &^ cfg.Adapter
	if soft&(RSC|URO) != 0 {
		c, err := gro.NewCoalescer(gro.Config{NetworkOffset: ethHeaderLen, Flows: cfg.Flows, UDP: soft&URO != 0})
		if err != nil {
			return nil, err
		}
		p.gro = c
	}
	p.count = p.countEmit
	return p, nil
}

// Stats returns the counters so far.
func (p *Pipeline) Stats() PipelineStats { return p.stats }

// packet is what the pipeline needs to know about a frame.
type packet struct {
	l3, l4  int   // offsets of the IP and transport headers
	ipv6    bool  // IP version
	proto   uint8 // transport protocol
	l4len   int   // transport header length (TCP data offset, 8 for UDP)
	ipLen   int   // IP packet length (IPv4 total length, 40 + IPv6 payload length)
	frag    bool  // an IP fragment: no transport header to check
	isIP    bool
	ipv4hdr header.IPv4
	ipv6hdr header.IPv6
}

// parse reads the Ethernet, IP and transport headers into pk. pk.isIP is
// false for a frame that is not IPv4 or IPv6; an error means headers that
// cannot be parsed.
func parse(frame []byte, pk *packet) error {
	*pk = packet{}
	eth, err := header.ParseEthernet(frame)
	if err != nil {
		return err
	}
	pk.l3 = eth.HeaderLen()
	switch eth.EtherType() {
	case header.EtherTypeIPv4:
		ip, err := header.ParseIPv4(frame[pk.l3:])
		if err != nil {
			return err
		}
		pk.isIP, pk.ipv4hdr = true, ip
		pk.proto, pk.l4, pk.ipLen, pk.frag = ip.Protocol(), pk.l3+ip.HeaderLen(), len(ip), ip.IsFragment()
	case header.EtherTypeIPv6:
		ip, err := header.ParseIPv6(frame[pk.l3:])
		if err != nil {
			return err
		}
		proto, off, err := ip.Transport()
		if err != nil {
			return err
		}
		pk.isIP, pk.ipv6, pk.ipv6hdr = true, true, ip
		pk.proto, pk.l4, pk.ipLen = proto, pk.l3+off, len(ip)
		// Transport walks past a Fragment header; a fragment's transport
		// checksum covers bytes this frame does not hold.
		if header.IsIPv6Extension(ip.NextHeader()) {
			for ext := range ip.Extensions() {
				if _, _, _, ok := ext.Fragment(); ok {
					pk.frag = true
				}
			}
		}
	default:
		return nil
	}
	if pk.frag {
		return nil
	}
	end := pk.l3 + pk.ipLen
	switch pk.proto {
	case protoTCP:
		tcp, err := header.ParseTCP(frame[pk.l4:end])
		if err != nil {
			return err
		}
		pk.l4len = tcp.HeaderLen()
	case protoUDP:
		if _, err := header.ParseUDP(frame[pk.l4:end]); err != nil {
			return err
		}
		pk.l4len = 8
	}
	return nil
}

// Tx takes one frame as a stack built it assuming full task offload, with
// its virtio-net header (partial checksum, GSO type), and emits what the
// adapter can send: super-packets the adapter cannot segment (no LSO or
// USO for that IP version, or more payload than MaxLSOSize) are segmented
// with package gso, with their checksums left partial only if the adapter
// does that protocol's transmit checksum; partial checksums of plain
// packets the adapter cannot finish are finished (in place, in frame); an
// IPv4 header checksum is computed (in place) unless the adapter has
// IPv4ChecksumTx, so a stack may leave it zero. Everything else is left to
// the adapter: the emitted header says what remains.
func (p *Pipeline) Tx(h virtio.NetHdr, frame []byte, emit Emit) error {
	p.stats.TxPackets++
	if err := h.Validate(len(frame)); err != nil {
		return &PacketError{Dir: "tx", Field: "virtio header", Err: err}
	}
	var pk packet
	perr := parse(frame, &pk)
	if h.IsGSO() {
		if perr != nil || !pk.isIP {
			return &PacketError{Dir: "tx", Field: "super-packet headers", Err: errors.Join(ErrMalformed, perr)}
		}
		if p.adapterSegments(h, &pk) {
			p.stats.TxToAdapter++
			return emit(h, frame)
		}
		return p.segment(h, frame, &pk, emit)
	}
	if perr == nil && pk.isIP && !pk.ipv6 && !p.cfg.Adapter.Has(IPv4ChecksumTx) {
		pk.ipv4hdr.SetChecksum(0)
		pk.ipv4hdr.SetChecksum(^checksum.Sum(pk.ipv4hdr[:pk.ipv4hdr.HeaderLen()], 0))
		p.stats.TxIPv4Header++
	}
	if h.NeedsChecksum() {
		if perr == nil && pk.isIP && p.cfg.Adapter.AcceptsHeader(h, pk.ipv6) {
			p.stats.TxToAdapter++
			return emit(h, frame)
		}
		if err := h.FinishChecksum(frame); err != nil {
			return &PacketError{Dir: "tx", Field: "partial checksum", Err: err}
		}
		h.Flags &^= virtio.FlagNeedsCsum
		h.CsumStart, h.CsumOffset = 0, 0
		p.stats.TxChecksummed++
	}
	return emit(h, frame)
}

// adapterSegments reports whether the adapter takes super-packet h itself.
func (p *Pipeline) adapterSegments(h virtio.NetHdr, pk *packet) bool {
	if !p.cfg.Adapter.AcceptsHeader(h, pk.ipv6) {
		return false
	}
	limit := p.cfg.MaxLSOSize
	if limit == 0 {
		limit = MaxLSOv1Size
		if pk.ipv6 && p.cfg.Adapter.Has(LSOv2IPv6) || !pk.ipv6 && p.cfg.Adapter.Has(LSOv2IPv4) || h.GSOKind() == virtio.GSOUDPL4 {
			limit = MaxLSOv2Size
		}
	}
	payload := pk.l3 + pk.ipLen - pk.l4 - pk.l4len
	return payload <= limit
}

// segment splits a super-packet with gso and emits the segments.
func (p *Pipeline) segment(h virtio.NetHdr, frame []byte, pk *packet, emit Emit) error {
	opts := gso.Options{NetworkOffset: pk.l3, PartialChecksum: p.cfg.Adapter.Has(ChecksumTxFor(pk.ipv6, pk.proto))}
	n, err := gso.Count(frame, h, opts)
	if err != nil {
		return &PacketError{Dir: "tx", Field: "super-packet", Err: err}
	}
	if n > len(p.segs) {
		return &PacketError{Dir: "tx", Field: strconv.Itoa(n) + " segments", Err: ErrTooManySegments}
	}
	slot := pk.l4 + pk.l4len + int(h.GSOSize)
	if n*slot > len(p.arena) {
		return &PacketError{Dir: "tx", Field: strconv.Itoa(n) + " segments of " + strconv.Itoa(slot) + " bytes", Err: ErrTooManySegments}
	}
	for i := range n {
		p.segs[i] = p.arena[i*slot : (i+1)*slot]
	}
	n, err = gso.Segment(p.segs[:n], p.sizes[:n], frame, h, opts)
	if err != nil {
		return &PacketError{Dir: "tx", Field: "super-packet", Err: err}
	}
	p.stats.TxSegmented++
	p.stats.TxSegments += uint64(n)
	var out virtio.NetHdr
	if opts.PartialChecksum {
		out = virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: h.CsumStart, CsumOffset: h.CsumOffset}
		if !h.NeedsChecksum() { // the stack left no checksum position
			out.CsumStart, out.CsumOffset = uint16(pk.l4), csumOffset(pk.proto)
		}
		p.stats.TxToAdapter += uint64(n)
	}
	for i := range n {
		if err := emit(out, p.segs[i][:p.sizes[i]]); err != nil {
			return err
		}
	}
	return nil
}

func csumOffset(proto uint8) uint16 {
	if proto == protoTCP {
		return 16
	}
	return 6
}

// Rx takes one frame as the adapter delivered it, with the virtio-net
// header the adapter gave it (DATA_VALID when it verified the checksums,
// a GSO type when it coalesced), and emits what the stack gets: checksums
// the adapter did not verify are verified in software and the header then
// says DATA_VALID; a frame that fails is dropped and Rx returns an
// ErrChecksum *PacketError (nothing is emitted). TCP and UDP the stack
// wants coalesced and the adapter did not coalesce go through package gro;
// call Flush at the end of each receive batch to release what it holds.
// A packet with a partial checksum (NEEDS_CSUM, from a local sender) is
// taken as valid, as Linux does.
func (p *Pipeline) Rx(h virtio.NetHdr, frame []byte, emit Emit) error {
	p.stats.RxPackets++
	var pk packet
	if err := parse(frame, &pk); err != nil || !pk.isIP {
		return emit(h, frame) // not ours to judge: the stack parses it
	}
	adapterValid := h.Flags&virtio.FlagDataValid != 0
	if !pk.ipv6 && !(adapterValid && p.cfg.Adapter.Has(IPv4ChecksumRx)) {
		if !pk.ipv4hdr.ValidChecksum() {
			p.stats.RxBadChecksum++
			return &PacketError{Dir: "rx", Field: "ipv4 header checksum", Err: ErrChecksum}
		}
	}
	l4 := ChecksumRxFor(pk.ipv6, pk.proto)
	if l4 != 0 && !pk.frag && !h.NeedsChecksum() && !(adapterValid && p.cfg.Adapter.Has(l4)) {
		if !p.verifyL4(frame, &pk) {
			p.stats.RxBadChecksum++
			return &PacketError{Dir: "rx", Field: protoName(pk.proto) + " checksum", Err: ErrChecksum}
		}
		p.stats.RxVerified++
		h.Flags |= virtio.FlagDataValid
	}
	if p.softCoalesce(&pk) && !h.IsGSO() {
		p.stats.RxCoalescedIn++
		p.rxEmit = emit
		err := p.gro.Add(h, frame, p.count)
		p.rxEmit = nil
		return err
	}
	return emit(h, frame)
}

// Flush releases every packet software coalescing holds.
func (p *Pipeline) Flush(emit Emit) error {
	if p.gro == nil {
		return nil
	}
	p.rxEmit = emit
	err := p.gro.Flush(p.count)
	p.rxEmit = nil
	return err
}

// countEmit counts what gro emits and passes it on.
func (p *Pipeline) countEmit(h virtio.NetHdr, frame []byte) error {
	if h.IsGSO() {
		p.stats.RxCoalescedOut++
	}
	return p.rxEmit(h, frame)
}

// softCoalesce reports whether Rx coalesces pk in software. The choice
// depends only on the IP version and protocol, so every packet of a flow
// takes the same path and a flow is never reordered.
func (p *Pipeline) softCoalesce(pk *packet) bool {
	if p.gro == nil || pk.frag || pk.l3 != ethHeaderLen {
		return false
	}
	want := p.cfg.RxCoalesce &^ p.cfg.Adapter
	switch pk.proto {
	case protoTCP:
		return want.Coalesces(pk.ipv6)
	case protoUDP:
		return want&URO != 0
	}
	return false
}

// verifyL4 checks the TCP or UDP checksum of pk.
func (p *Pipeline) verifyL4(frame []byte, pk *packet) bool {
	seg := frame[pk.l4 : pk.l3+pk.ipLen]
	if pk.proto == protoUDP && !pk.ipv6 && binary.BigEndian.Uint16(seg[6:]) == 0 {
		return true // RFC 768: no checksum (IPv4 only; RFC 8200 forbids it in IPv6)
	}
	var pseudo uint16
	if pk.ipv6 {
		pseudo = checksum.PseudoHeader(pk.ipv6hdr.Source(), pk.ipv6hdr.Destination(), pk.proto, len(seg))
	} else {
		pseudo = checksum.PseudoHeader(pk.ipv4hdr.Source(), pk.ipv4hdr.Destination(), pk.proto, len(seg))
	}
	return checksum.Sum(seg, pseudo) == 0xffff
}

func protoName(proto uint8) string {
	if proto == protoTCP {
		return "tcp"
	}
	return "udp"
}
