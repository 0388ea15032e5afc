//go:build linux

package sockopt

import (
	"context"
	"net"
	"net/netip"
	"testing"
)

func TestSetMD5AndTTL(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		var lc net.ListenConfig
		lc.SetMultipathTCP(false) // MPTCP sockets take no MD5 or TTL options
		ln, err := lc.Listen(context.Background(), "tcp", addr)
		if err != nil {
			t.Skipf("no %s: %v", addr, err)
		}
		defer ln.Close()
		rc, err := ln.(*net.TCPListener).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		if err := SetMD5(rc, netip.MustParseAddr("127.0.0.2"), "secret"); err != nil {
			t.Errorf("%s: SetMD5: %v", addr, err)
		}
		if err := SetTTL(rc, 255, 254); err != nil {
			t.Errorf("%s: SetTTL: %v", addr, err)
		}
		if err := SetTTL(rc, -1, 0); err != nil {
			t.Errorf("%s: SetTTL back to the default: %v", addr, err)
		}
		if err := SetMinTTL(rc, 0); err != nil {
			t.Errorf("%s: SetMinTTL(0): %v", addr, err)
		}
	}
}
