package bgp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/internal/sockopt"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// wrappedConn hides the *net.TCPConn, as a user-space stack's connection
// would.
type wrappedConn struct{ net.Conn }

// countingDialer dials from a source address and counts its calls.
type countingDialer struct {
	src   netip.Addr
	calls atomic.Int32
}

func (d *countingDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.calls.Add(1)
	nd := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(d.src, 0))}
	nc, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return wrappedConn{nc}, nil
}

func TestServeWithCustomDialer(t *testing.T) {
	checkGoroutines(t)
	dialer := &countingDialer{src: loA}
	a, err := New(Config{ASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1"), Dialer: dialer, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := New(Config{ASN: 65002, RouterID: netip.MustParseAddr("10.0.0.2"), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", netip.AddrPortFrom(loB, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- b.Serve(wrappedListener{ln}) }()

	subA, subB := a.Subscribe(64), b.Subscribe(64)
	port := ln.Addr().(*net.TCPAddr).Port
	if err := b.AddPeer(PeerConfig{Address: loA, PeerASN: 65001, Passive: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.AddPeer(PeerConfig{Address: loB, Port: uint16(port), PeerASN: 65002, ConnectTime: time.Second}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, subA, 5*time.Second, "A up", isType(SessionUp))
	up := waitFor(t, subB, 5*time.Second, "B up", isType(SessionUp))
	if up.Session.Local.Port() != uint16(port) {
		t.Errorf("B's session on %v, want the served port %d", up.Session.Local, port)
	}
	if n := dialer.calls.Load(); n == 0 {
		t.Error("Config.Dialer was not used")
	}
	if got := b.ListenAddrs(); len(got) != 1 || got[0].Port() != uint16(port) {
		t.Errorf("ListenAddrs = %v, want the served listener", got)
	}
	pfx := netip.MustParsePrefix("192.0.2.77/32")
	a.Announce(pfx, wire.Attributes{})
	waitFor(t, subB, 5*time.Second, "route over the dialed connection", announces(pfx))

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Serve after Close = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	if err := b.Serve(wrappedListener{ln}); !errors.Is(err, ErrClosed) {
		t.Errorf("Serve on a closed speaker = %v, want ErrClosed", err)
	}
}

// wrappedListener hides the *net.TCPListener.
type wrappedListener struct{ net.Listener }

func TestServeReturnsWhenListenerCloses(t *testing.T) {
	checkGoroutines(t)
	s := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	for len(s.ListenAddrs()) != 2 {
		select {
		case err := <-served:
			t.Fatalf("Serve returned early: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	ln.Close()
	err = <-served
	if !errors.Is(err, net.ErrClosed) || errors.Is(err, ErrClosed) {
		t.Errorf("Serve = %v, want the listener's net.ErrClosed", err)
	}
	if got := s.ListenAddrs(); len(got) != 1 {
		t.Errorf("ListenAddrs after Serve returned = %v, want only the speaker's own", got)
	}
	if err := s.AddPeer(PeerConfig{Address: loB, PeerASN: 65002, Passive: true}); err != nil {
		t.Errorf("speaker unusable after a Serve ended: %v", err)
	}
}

// TestListenerGTSM checks that a listener drops the SYN of a connection
// with a TTL below the GTSM minimum (RFC 5082) while every peer uses GTSM,
// and takes it again once a peer without GTSM is configured.
func TestListenerGTSM(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux for IP_MINTTL")
	}
	checkGoroutines(t)
	s := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	var lc net.ListenConfig
	lc.SetMultipathTCP(false) // MPTCP sockets take no TTL options
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	for len(s.ListenAddrs()) != 2 {
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() { s.Close(); <-served })

	connects := func(addr netip.AddrPort, ttl int) bool {
		t.Helper()
		d := net.Dialer{
			Timeout:   300 * time.Millisecond,
			LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(loB, 0)),
			Control: func(_, _ string, rc syscall.RawConn) error {
				return sockopt.SetTTL(rc, ttl, 0)
			},
		}
		nc, err := d.Dial("tcp", addr.String())
		if err != nil {
			return false
		}
		nc.Close()
		return true
	}
	if err := s.AddPeer(PeerConfig{Address: loB, PeerASN: 65002, Passive: true, TTLSecurity: 1}); err != nil {
		t.Fatal(err)
	}
	for _, addr := range s.ListenAddrs() { // Config.Listen's and the served one
		if connects(addr, 64) {
			t.Errorf("%v: a SYN with TTL 64 was taken with every peer on GTSM (minimum 255)", addr)
		}
		if !connects(addr, 255) {
			t.Errorf("%v: a SYN with TTL 255 was dropped", addr)
		}
	}
	if err := s.AddPeer(PeerConfig{Address: netip.MustParseAddr("127.0.0.3"), PeerASN: 65003, Passive: true}); err != nil {
		t.Fatal(err)
	}
	for _, addr := range s.ListenAddrs() {
		if !connects(addr, 64) {
			t.Errorf("%v: a SYN with TTL 64 was dropped though a peer without GTSM is configured", addr)
		}
	}
}
