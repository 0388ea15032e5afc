package bfd

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// memDatagram is one datagram in flight on a memNetwork.
type memDatagram struct {
	buf  [maxPacketLen]byte
	n    int
	from netip.AddrPort
	ttl  int
}

// memNetwork is an in-memory Network: datagrams go from a writer to the
// reader listening on their destination, with the TTL ttl says (255 on a
// direct link), or nowhere while the source address is cut.
type memNetwork struct {
	mu      sync.Mutex
	readers map[netip.AddrPort]*memReader
	bound   map[netip.AddrPort]bool
	cut     map[netip.Addr]bool
	ttl     int
}

func newMemNetwork() *memNetwork {
	return &memNetwork{readers: map[netip.AddrPort]*memReader{}, bound: map[netip.AddrPort]bool{}, cut: map[netip.Addr]bool{}, ttl: gtsmTTL}
}

func (m *memNetwork) ListenPacket(local netip.AddrPort) (PacketReader, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.readers[local] != nil {
		return nil, fmt.Errorf("%v in use", local)
	}
	r := &memReader{m: m, local: local, in: make(chan memDatagram, 64), done: make(chan struct{})}
	m.readers[local] = r
	return r, nil
}

func (m *memNetwork) DialPacket(local, remote netip.AddrPort) (PacketWriter, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bound[local] {
		return nil, fmt.Errorf("%v in use", local)
	}
	m.bound[local] = true
	return &memWriter{m: m, local: local, remote: remote}, nil
}

// send delivers b from src to dst, or drops it (no reader, cut, queue
// full), as a lossy link would.
func (m *memNetwork) send(b []byte, src, dst netip.AddrPort) {
	m.mu.Lock()
	r, ttl, cut := m.readers[dst], m.ttl, m.cut[src.Addr()]
	m.mu.Unlock()
	if r == nil || cut || len(b) > maxPacketLen {
		return
	}
	d := memDatagram{n: len(b), from: src, ttl: ttl}
	copy(d.buf[:], b)
	select {
	case r.in <- d:
	case <-r.done:
	default:
	}
}

type memReader struct {
	m     *memNetwork
	local netip.AddrPort
	in    chan memDatagram
	done  chan struct{}
	once  sync.Once
}

func (r *memReader) ReadPacket(b []byte) (int, netip.AddrPort, int, error) {
	select {
	case d := <-r.in:
		return copy(b, d.buf[:d.n]), d.from, d.ttl, nil
	case <-r.done:
		return 0, netip.AddrPort{}, 0, net.ErrClosed
	}
}

func (r *memReader) Close() error {
	r.once.Do(func() {
		r.m.mu.Lock()
		delete(r.m.readers, r.local)
		r.m.mu.Unlock()
		close(r.done)
	})
	return nil
}

type memWriter struct {
	m             *memNetwork
	local, remote netip.AddrPort
}

func (w *memWriter) Write(b []byte) (int, error) {
	w.m.send(b, w.local, w.remote)
	return len(b), nil
}

func (w *memWriter) Close() error {
	w.m.mu.Lock()
	delete(w.m.bound, w.local)
	w.m.mu.Unlock()
	return nil
}

var (
	memA = netip.MustParseAddr("192.0.2.1")
	memB = netip.MustParseAddr("192.0.2.2")
)

// TestEndpointOverNetwork runs two endpoints over an in-memory Network:
// the sessions come Up; packets that arrive with a TTL below 255 are
// dropped (RFC 5881 section 5) and the session goes Down when only those
// arrive; it comes Up again with TTL 255, and a peer that goes silent
// (killed) is detected within the detection time.
func TestEndpointOverNetwork(t *testing.T) {
	m := newMemNetwork()
	ea, err := Listen(EndpointConfig{Local: memA, Network: m})
	if err != nil {
		t.Fatal(err)
	}
	defer ea.Close()
	eb, err := Listen(EndpointConfig{Local: memB, Network: m})
	if err != nil {
		t.Fatal(err)
	}
	defer eb.Close()
	// 50 ms (detection 150 ms): faster, and a loaded machine makes the
	// sessions flap on their own.
	fast := Config{DesiredMinTx: 50 * time.Millisecond, RequiredMinRx: 50 * time.Millisecond}
	changes := make(chan Change, 64) // every change of the test (see lastDown)
	pa, err := ea.AddPeer(PeerConfig{Peer: memB, Config: fast, OnChange: func(c Change) { changes <- c }})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := eb.AddPeer(PeerConfig{Peer: memA, Config: fast})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, pa, Up, 5*time.Second)
	waitState(t, pb, Up, 5*time.Second)
	// eb may drop pa's first packets, sent before pb existed (no session
	// for them yet); once both are Up, nothing at TTL 255 is dropped.
	before := ea.Dropped() + eb.Dropped()
	time.Sleep(10 * fast.DesiredMinTx)
	if n := ea.Dropped() + eb.Dropped() - before; n != 0 {
		t.Fatalf("%d packets dropped with TTL 255", n)
	}

	dropped := ea.Dropped()
	m.mu.Lock()
	m.ttl = 254 // one router hop away: not a single-hop peer
	m.mu.Unlock()
	waitState(t, pa, Down, downWithin)
	// pb keeps sending (at 1 s once Down): its packets are dropped. (pa
	// may have gone Down before the first of them arrived, if the
	// machine held pb's sends past the detection time.)
	for deadline := time.Now().Add(5 * time.Second); ea.Dropped() == dropped; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("packets with TTL 254 were not dropped")
		}
	}
	m.mu.Lock()
	m.ttl = gtsmTTL
	m.mu.Unlock()
	waitState(t, pa, Up, 5*time.Second)

	start := time.Now()
	m.mu.Lock()
	m.cut[memB] = true // b is killed: it sends nothing more, not even AdminDown
	m.mu.Unlock()
	waitState(t, pa, Down, downWithin)
	t.Logf("down %v after the peer went silent", time.Since(start))
	if c := lastDown(t, changes); c.Diag != DiagDetectionTimeExpired {
		t.Fatalf("change %+v, want Down with %v", c, DiagDetectionTimeExpired)
	}
}

// downWithin bounds how long a test waits for a session to go Down after
// its peer fell silent. It is well past the fast detection time because a
// session that flapped on a loaded machine may be in Init when the peer
// goes silent, and a session not Up sends and expects packets at one per
// second at least (RFC 5880 section 6.8.3), so it is then detected after
// 3 s. The tests log the time it took.
const downWithin = 5 * time.Second

// lastDown returns the last change to Down a session reported, once the
// reports have stopped for a moment. A session may flap on a loaded
// machine (packets late past the detection time); whatever happened
// before, the change that left it Down tells why.
func lastDown(t *testing.T, changes <-chan Change) Change {
	t.Helper()
	var last Change
	seen := false
	deadline := time.After(5 * time.Second)
	for {
		select {
		case c := <-changes:
			if c.New == Down {
				last, seen = c, true
			}
		case <-time.After(200 * time.Millisecond):
			if seen {
				return last
			}
		case <-deadline:
			t.Fatal("no change to Down reported")
		}
	}
}
