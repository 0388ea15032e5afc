package guest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

func mac(last byte) net.HardwareAddr { return net.HardwareAddr{0x02, 0, 0, 0, 0, last} }

// pair returns two guests, 10.99.0.1/24 and 10.99.0.2/24 (and fd00::1,
// fd00::2), on the two ends of a wire.
func pair(t testing.TB, cfg netsim.WireConfig) (a, b *Guest) {
	t.Helper()
	pa, pb := netsim.NewWire("w", cfg)
	a = newGuest(t, "a", pa, Config{MAC: mac(1), Addr: netip.MustParsePrefix("10.99.0.1/24"),
		OtherAddrs: []netip.Prefix{netip.MustParsePrefix("fd00::1/64")}})
	b = newGuest(t, "b", pb, Config{MAC: mac(2), Addr: netip.MustParsePrefix("10.99.0.2/24"),
		OtherAddrs: []netip.Prefix{netip.MustParsePrefix("fd00::2/64")}})
	return a, b
}

func newGuest(t testing.TB, name string, p *netsim.Port, cfg Config) *Guest {
	t.Helper()
	g, err := New(name, p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g
}

func hello(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello %s from %s", r.RemoteAddr, r.Host)
}

func get(t testing.TB, c *http.Client, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(body)
}

func TestHTTPOverWire(t *testing.T) {
	a, b := pair(t, netsim.WireConfig{})
	if err := b.Serve(":80", http.HandlerFunc(hello)); err != nil {
		t.Fatal(err)
	}
	c := a.HTTPClient()
	for i := range 3 {
		body := get(t, c, "http://10.99.0.2/")
		if !strings.HasPrefix(body, "hello 10.99.0.1:") {
			t.Fatalf("request %d: body %q", i, body)
		}
	}
}

func TestHTTPOverIPv6(t *testing.T) {
	a, b := pair(t, netsim.WireConfig{})
	if err := b.Serve("[fd00::2]:80", http.HandlerFunc(hello)); err != nil {
		t.Fatal(err)
	}
	if body := get(t, a.HTTPClient(), "http://[fd00::2]/"); !strings.HasPrefix(body, "hello [fd00::1]:") {
		t.Fatalf("body %q", body)
	}
}

// TestHTTPThroughSwitch has three clients fetch from a server on a
// learning switch.
func TestHTTPThroughSwitch(t *testing.T) {
	sw := netsim.NewSwitch("sw", netsim.WireConfig{})
	t.Cleanup(sw.Close)
	srv := newGuest(t, "srv", sw.Port("srv"), Config{MAC: mac(10), Addr: netip.MustParsePrefix("10.99.1.10/24")})
	if err := srv.Serve(":80", http.HandlerFunc(hello)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c := newGuest(t, fmt.Sprint("c", i), sw.Port(fmt.Sprint("c", i)),
			Config{MAC: mac(byte(20 + i)), Addr: netip.MustParsePrefix(fmt.Sprintf("10.99.1.%d/24", 20+i)), DisableHTTPKeepAlives: true})
		want := fmt.Sprintf("hello 10.99.1.%d:", 20+i)
		if body := get(t, c.HTTPClient(), "http://10.99.1.10/"); !strings.HasPrefix(body, want) {
			t.Fatalf("client %d: body %q, want prefix %q", i, body, want)
		}
	}
	if st := sw.Stats(); st.Learned != 4 {
		t.Errorf("switch learned %d MACs, want 4", st.Learned)
	}
}

// TestGatewayAndExtraAddr sends to an off-link address through the default
// gateway, and the gateway's guest accepts it because the address is one of
// its ExtraAddrs, as a VIP held on loopback is accepted with floating IP.
func TestGatewayAndExtraAddr(t *testing.T) {
	pa, pb := netsim.NewWire("w", netsim.WireConfig{})
	vip := netip.MustParseAddr("203.0.113.7")
	c := newGuest(t, "c", pa, Config{MAC: mac(1), Addr: netip.MustParsePrefix("10.99.0.1/24"), Gateway: netip.MustParseAddr("10.99.0.254")})
	s := newGuest(t, "s", pb, Config{MAC: mac(2), Addr: netip.MustParsePrefix("10.99.0.254/24"), ExtraAddrs: []netip.Addr{vip}})
	ln, err := s.Listen("tcp", "203.0.113.7:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err.Error()
			return
		}
		defer conn.Close()
		done <- conn.LocalAddr().String() + " " + conn.RemoteAddr().String()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := c.DialContext(ctx, "tcp", "203.0.113.7:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got := <-done; !strings.HasPrefix(got, "203.0.113.7:8080 10.99.0.1:") {
		t.Fatalf("server saw %q", got)
	}
	// The extra address is never the stack's own choice of source.
	back, err := c.Listen("tcp", ":9")
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	go func() {
		conn, err := back.Accept()
		if err != nil {
			done <- err.Error()
			return
		}
		defer conn.Close()
		done <- conn.RemoteAddr().String()
	}()
	out, err := s.DialContext(ctx, "tcp", "10.99.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if got := <-done; !strings.HasPrefix(got, "10.99.0.254:") {
		t.Fatalf("connection from the guest with the extra address came from %s", got)
	}
}

// TestDialerLocalAddr dials from a chosen source address and port, as a BGP
// speaker dials its peer.
func TestDialerLocalAddr(t *testing.T) {
	a, b := pair(t, netsim.WireConfig{})
	ln, err := b.Listen("tcp4", ":179")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	remote := make(chan net.Addr, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			remote <- nil
			return
		}
		remote <- conn.RemoteAddr()
		conn.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := a.Dialer(netip.MustParseAddrPort("10.99.0.1:50179")).DialContext(ctx, "tcp", "10.99.0.2:179")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got := (<-remote).String(); got != "10.99.0.1:50179" {
		t.Fatalf("server saw the connection from %s, want 10.99.0.1:50179", got)
	}
}

func TestUDP(t *testing.T) {
	a, b := pair(t, netsim.WireConfig{})
	pc, err := b.ListenPacket("udp", ":4789")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := a.DialContext(ctx, "udp", "10.99.0.2:4789")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 64)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	// The first datagram may wait for ARP; send until one arrives.
	for range 20 {
		if _, err := conn.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		pc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, from, err := pc.ReadFrom(buf)
		if err == nil {
			if string(buf[:n]) != "ping" || !strings.HasPrefix(from.String(), "10.99.0.1:") {
				t.Fatalf("got %q from %s", buf[:n], from)
			}
			return
		}
	}
	t.Fatal("no datagram arrived")
}

func TestPing(t *testing.T) {
	a, _ := pair(t, netsim.WireConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, dst := range []string{"10.99.0.2", "fd00::2"} {
		rtt, err := a.Ping(ctx, netip.MustParseAddr(dst))
		if err != nil {
			t.Fatalf("ping %s: %v", dst, err)
		}
		if rtt <= 0 {
			t.Errorf("ping %s: rtt %v", dst, rtt)
		}
	}
	short, cancel2 := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel2()
	if _, err := a.Ping(short, netip.MustParseAddr("10.99.0.3")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ping of an absent host: %v, want context.DeadlineExceeded", err)
	}
}

// TestLossyWire carries HTTP over a wire that loses 2% of its frames: TCP
// recovers.
func TestLossyWire(t *testing.T) {
	a, b := pair(t, netsim.WireConfig{Loss: 0.02, Seed: 7})
	big := strings.Repeat("x", 200_000)
	if err := b.Serve(":80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) })); err != nil {
		t.Fatal(err)
	}
	c := a.HTTPClient()
	for range 5 {
		if body := get(t, c, "http://10.99.0.2/"); len(body) != len(big) {
			t.Fatalf("body of %d bytes, want %d", len(body), len(big))
		}
	}
}

func TestConfigErrors(t *testing.T) {
	ok := Config{MAC: mac(1), Addr: netip.MustParsePrefix("10.99.0.1/24")}
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"short MAC", func(c *Config) { c.MAC = c.MAC[:5] }},
		{"multicast MAC", func(c *Config) { c.MAC = net.HardwareAddr{1, 0, 0x5e, 0, 0, 1} }},
		{"no address", func(c *Config) { c.Addr = netip.Prefix{} }},
		{"gateway off-link", func(c *Config) { c.Gateway = netip.MustParseAddr("10.99.9.1") }},
		{"IPv6 gateway without IPv6 prefix", func(c *Config) { c.Gateway6 = netip.MustParseAddr("fd00::1") }},
		{"tiny MTU", func(c *Config) { c.MTU = 100 }},
		{"mapped extra address", func(c *Config) { c.ExtraAddrs = []netip.Addr{netip.MustParseAddr("::ffff:1.2.3.4")} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			p, _ := netsim.NewWire("w", netsim.WireConfig{})
			defer p.Close()
			g, err := New("g", p, cfg)
			if !errors.Is(err, ErrConfig) {
				if g != nil {
					g.Close()
				}
				t.Fatalf("New: %v, want ErrConfig", err)
			}
		})
	}
}

func TestBadAddresses(t *testing.T) {
	a, _ := pair(t, netsim.WireConfig{})
	ctx := context.Background()
	for _, tc := range []struct{ network, addr string }{
		{"tcp", "example.com:80"},
		{"tcp", "10.99.0.2"},
		{"tcp", "10.99.0.2:http"},
		{"tcp6", "10.99.0.2:80"},
		{"sctp", "10.99.0.2:80"},
	} {
		if c, err := a.DialContext(ctx, tc.network, tc.addr); err == nil {
			c.Close()
			t.Errorf("dial %s %s: no error", tc.network, tc.addr)
		}
	}
	if _, err := a.Listen("udp", ":80"); err == nil {
		t.Error("Listen udp: no error")
	}
	if _, err := a.ListenPacket("tcp", ":80"); err == nil {
		t.Error("ListenPacket tcp: no error")
	}
}

// TestCloseLeavesNoGoroutines runs HTTP with keep-alive connections open
// and checks that Close ends every goroutine the guests started.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	pa, pb := netsim.NewWire("w", netsim.WireConfig{})
	a, err := New("a", pa, Config{MAC: mac(1), Addr: netip.MustParsePrefix("10.99.0.1/24")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New("b", pb, Config{MAC: mac(2), Addr: netip.MustParsePrefix("10.99.0.2/24")})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Serve(":80", http.HandlerFunc(hello)); err != nil {
		t.Fatal(err)
	}
	c := a.HTTPClient()
	for range 3 {
		get(t, c, "http://10.99.0.2/")
	}
	a.Close()
	b.Close()
	b.Close() // harmless
	if err := b.Serve(":81", http.HandlerFunc(hello)); err == nil {
		t.Error("Serve on a closed guest: no error")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
