package bgp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// rawPeer is the test's side of a connection: it writes and reads messages.
type rawPeer struct {
	t  testing.TB
	nc net.Conn
}

func (r rawPeer) send(b []byte) {
	r.t.Helper()
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r rawPeer) recv() []byte {
	r.t.Helper()
	r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	msg, err := wire.ReadMessage(r.nc, nil, wire.MaxMessageLen)
	if err != nil {
		r.t.Fatal(err)
	}
	return msg
}

// recvType skips KEEPALIVEs until a message of type typ.
func (r rawPeer) recvType(typ wire.MessageType) []byte {
	r.t.Helper()
	for {
		m := r.recv()
		if wire.MessageType(m[18]) == typ {
			return m
		}
		if wire.MessageType(m[18]) != wire.TypeKeepalive {
			r.t.Fatalf("got %v, want %v", wire.MessageType(m[18]), typ)
		}
	}
}

// TestCollisionResolution builds the collision of RFC 4271 section 6.8 by
// hand: the speaker's own connection and one from the peer both reach
// OpenSent; the peer has the higher BGP Identifier, so the speaker must
// close the connection it opened with Cease / Connection Collision
// Resolution and keep the other.
func TestCollisionResolution(t *testing.T) {
	checkGoroutines(t)
	a := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	sub := a.Subscribe(64)
	ln := listenPeer(t, a, PeerConfig{PeerASN: 65002, HoldTime: 9 * time.Second, ConnectTime: 5 * time.Second})
	c1, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	ours := rawPeer{t, c1}
	ours.recvType(wire.TypeOpen)

	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(loB, 0))}
	c2, err := d.Dial("tcp", a.ListenAddrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	theirs := rawPeer{t, c2}
	theirs.recvType(wire.TypeOpen)

	open := wire.Open{ASN: 65002, HoldTime: 9, RouterID: netip.MustParseAddr("10.0.0.9"),
		Capabilities: wire.Capabilities{FourOctetAS: true}}
	ob, _ := open.Append(nil)
	ours.send(ob)
	ours.recvType(wire.TypeKeepalive) // OpenConfirm on the speaker's connection
	theirs.send(ob)                   // the collision is detected here

	n, err := wire.ParseNotification(ours.recvType(wire.TypeNotification))
	if err != nil || n.Code != wire.CodeCease || n.Subcode != wire.SubConnectionCollision {
		t.Fatalf("on the speaker's own connection: %v %v, want Cease / Connection Collision Resolution", n, err)
	}
	theirs.recvType(wire.TypeKeepalive)
	theirs.send(wire.AppendKeepalive(nil))
	ev := waitFor(t, sub, 5*time.Second, "session up on the peer's connection", isType(SessionUp))
	if ev.Session.Local.Port() != a.ListenAddrs()[0].Port() {
		t.Errorf("session runs on %v, want the accepted connection", ev.Session.Local)
	}

	// The surviving connection now carries the peer's configuration: when
	// it fails, the speaker (configured active) connects out again.
	c2.Close()
	waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	c3, err := ln.Accept()
	if err != nil {
		t.Fatalf("no reconnection after the session failed: %v", err)
	}
	defer c3.Close()
	rawPeer{t, c3}.recvType(wire.TypeOpen)
}
