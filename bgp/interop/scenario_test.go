//go:build linux

package interop

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

const (
	ourAS, theirAS = 65001, 65002
	shutdownMsg    = "sdnfabric interop: maintenance window 42"
)

var (
	ourVIP   = netip.MustParsePrefix("192.0.2.1/32")
	theirVIP = netip.MustParsePrefix("198.51.100.2/32")
)

// daemon describes how to drive one BGP implementation.
type daemon struct {
	name string
	bins []string
	// start starts it in tp's peer namespace, passive if asked, with
	// TCP-MD5 if password is set, announcing theirVIP.
	start func(tp *topo, passive bool, password string)
	// established reports whether it has the session Established.
	established func(tp *topo) bool
	// hasRoute reports whether prefix is in its RIB (learned from us).
	hasRoute func(tp *topo, prefix netip.Prefix) bool
	// withdraw withdraws theirVIP (nil: not supported by the harness).
	withdraw func(tp *topo)
	// reportedShutdown reports whether it shows the NOTIFICATION we sent
	// with our shutdown communication.
	reportedShutdown func(tp *topo, msg string) bool
}

type role struct {
	name      string
	weActive  bool
	password  string
	establish time.Duration // how long to allow for Established
}

// interop runs the whole scenario against d in one role.
func interop(t *testing.T, d daemon, r role) {
	t.Parallel()
	needRoot(t, d.bins...)
	tp := newTopo(t)
	s := tp.speaker(ourAS)
	sub := s.Subscribe(4096)
	if err := s.Announce(ourVIP, wire.Attributes{Communities: []wire.Community{65001<<16 | 100}}); err != nil {
		t.Fatal(err)
	}
	stopCapture, capturing := tp.capture()
	start := time.Now()
	d.start(tp, r.weActive, r.password)
	if err := s.AddPeer(bgp.PeerConfig{
		Address: tp.them, PeerASN: theirAS, Passive: !r.weActive,
		HoldTime: 9 * time.Second, KeepaliveTime: 3 * time.Second, ConnectTime: time.Second,
		Password: r.password, Families: []wire.Family{wire.IPv4Unicast},
	}); err != nil {
		t.Fatal(err)
	}
	up := tp.waitEvent(sub, r.establish, "our session Established", isUp)
	t.Logf("%s (%s): Established %v after the daemon started; hold %v; remote %v",
		d.name, r.name, time.Since(start).Round(time.Millisecond), up.Session.HoldTime, up.Session.Remote)
	tp.eventually(5*time.Second, d.name+" shows Established", func() bool { return d.established(tp) })

	tp.eventually(10*time.Second, d.name+" has our /32", func() bool { return d.hasRoute(tp, ourVIP) })
	ev := tp.waitEvent(sub, 10*time.Second, "their /32 reaches us", announces(theirVIP))
	for _, rt := range ev.Announced {
		if rt.Prefix == theirVIP && (rt.Attrs.NextHop != tp.them || len(rt.Attrs.ASPath) == 0 || rt.Attrs.ASPath[0].ASNs[0] != theirAS) {
			t.Errorf("their route: next hop %v, AS path %v", rt.Attrs.NextHop, rt.Attrs.ASPath)
		}
	}

	if err := s.Withdraw(ourVIP); err != nil {
		t.Fatal(err)
	}
	tp.eventually(10*time.Second, d.name+" drops our withdrawn /32", func() bool { return !d.hasRoute(tp, ourVIP) })
	if d.withdraw != nil {
		d.withdraw(tp)
		tp.waitEvent(sub, 10*time.Second, "their withdrawal reaches us", withdraws(theirVIP))
	}

	ctx, cancel := context.WithTimeout(tp.ctx, 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx, shutdownMsg); err != nil && !errors.Is(err, bgp.ErrClosed) {
		t.Fatal(err)
	}
	tp.eventually(5*time.Second, d.name+" reports our shutdown communication", func() bool {
		return d.reportedShutdown(tp, shutdownMsg)
	})

	// Where tshark is installed, our messages must decode cleanly.
	if capturing {
		bad, sent := stopCapture()
		if len(bad) > 0 {
			t.Errorf("tshark marks our messages malformed:\n%s", strings.Join(bad, "\n"))
		}
		if sent < 5 {
			t.Errorf("tshark decoded %d BGP messages from us, want at least OPEN, KEEPALIVE, UPDATEs, NOTIFICATION", sent)
		}
		t.Logf("tshark: %d BGP messages from us, none malformed", sent)
	}
}

func roles(t *testing.T, d daemon, activeWait, passiveWait time.Duration, md5 bool) {
	t.Parallel()
	pw := ""
	if md5 {
		pw = "s3cr3t-md5"
	}
	t.Run("we-active", func(t *testing.T) {
		interop(t, d, role{name: "we active", weActive: true, password: pw, establish: activeWait})
	})
	t.Run("we-passive", func(t *testing.T) {
		interop(t, d, role{name: "we passive", weActive: false, establish: passiveWait})
	})
}
