package vswitch

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

const vni = 100

var (
	gatewayCA = netip.MustParseAddr("10.1.0.1")
	routerPA  = netip.MustParseAddr("10.0.0.1")
	provider  = netip.MustParsePrefix("10.0.0.0/24")
)

func hwaddr(a, b byte) net.HardwareAddr { return net.HardwareAddr{0x02, 0, 0, 0, a, b} }

// fabric is a provider switch with hosts, each a vswitch, and guests.
type fabric struct {
	t        testing.TB
	provider *netsim.Switch
	hosts    map[string]*Switch
	mu       sync.Mutex
	events   []Event
}

func newFabric(t testing.TB) *fabric {
	f := &fabric{t: t, provider: netsim.NewSwitch("pa", netsim.WireConfig{}), hosts: map[string]*Switch{}}
	t.Cleanup(f.provider.Close)
	return f
}

func (f *fabric) trace(e Event) {
	f.mu.Lock()
	f.events = append(f.events, e)
	f.mu.Unlock()
}

// traced returns the events so far that match.
func (f *fabric) traced(match func(Event) bool) []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Event
	for _, e := range f.events {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

func (f *fabric) host(name string, n byte, slb SLB) *Switch {
	f.t.Helper()
	s, err := New(Config{
		Name: name, Uplink: f.provider.Port(name),
		HostPA: netip.AddrFrom4([4]byte{10, 0, 0, 10 + n}), HostMAC: hwaddr(0xaa, n),
		ProviderPrefix: provider, RouterPA: routerPA, SLB: slb, Trace: f.trace,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(s.Close)
	f.hosts[name] = s
	return s
}

// vm attaches a guest with CA 10.1.0.<n> to host h, maps it on every host,
// and returns it.
func (f *fabric) vm(h *Switch, n byte, eps []Endpoint, gcfg guest.Config, vcfg VNICConfig) *guest.Guest {
	f.t.Helper()
	ca := netip.AddrFrom4([4]byte{10, 1, 0, n})
	guestEnd, hostEnd := netsim.NewWire(fmt.Sprint("vm", n), netsim.WireConfig{})
	gcfg.MAC = hwaddr(0xbb, n)
	gcfg.Addr = netip.PrefixFrom(ca, 24)
	gcfg.Gateway = gatewayCA
	g, err := guest.New(fmt.Sprint("vm", n), guestEnd, gcfg)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(g.Close)
	vcfg.Name, vcfg.Port, vcfg.MAC, vcfg.Addr, vcfg.VNI, vcfg.Endpoints = fmt.Sprint("vm", n), hostEnd, gcfg.MAC, ca, vni, eps
	vcfg.MTU = gcfg.MTU
	if _, err := h.AddVNIC(vcfg); err != nil {
		f.t.Fatal(err)
	}
	for _, other := range f.hosts {
		if err := other.SetMapping(vni, ca, h.cfg.HostPA, gcfg.MAC); err != nil {
			f.t.Fatal(err)
		}
	}
	return g
}

func hello(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "hello %s", r.RemoteAddr) }

func fetch(c *http.Client, url string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

var web = []Endpoint{{Name: "web", Kind: Internal, Protocol: protoTCP, Port: 80}}

// TestEastWest: HTTP between guests on two hosts (VXLAN) and on one host
// (local), through the ACL's Internal endpoint; a port without an endpoint
// is denied.
func TestEastWest(t *testing.T) {
	f := newFabric(t)
	h1, h2 := f.host("h1", 1, nil), f.host("h2", 2, nil)
	a := f.vm(h1, 4, nil, guest.Config{}, VNICConfig{})
	b := f.vm(h2, 5, web, guest.Config{}, VNICConfig{})
	c := f.vm(h1, 6, web, guest.Config{}, VNICConfig{})
	for _, g := range []*guest.Guest{b, c} {
		if err := g.Serve(":80", http.HandlerFunc(hello)); err != nil {
			t.Fatal(err)
		}
		if err := g.Serve(":81", http.HandlerFunc(hello)); err != nil {
			t.Fatal(err)
		}
	}
	client := a.HTTPClient()
	for _, url := range []string{"http://10.1.0.5/", "http://10.1.0.6/"} {
		body, err := fetch(client, url, 10*time.Second)
		if err != nil || body != "hello 10.1.0.4:"+body[len("hello 10.1.0.4:"):] {
			t.Fatalf("GET %s: %q, %v", url, body, err)
		}
	}
	if n := len(f.traced(func(e Event) bool { return e.Action == ActionEncap && e.VNI == vni })); n == 0 {
		t.Error("no VXLAN encapsulation traced")
	}
	if n := len(f.traced(func(e Event) bool { return e.Action == ActionLocal })); n == 0 {
		t.Error("no local delivery traced")
	}
	if _, err := fetch(client, "http://10.1.0.5:81/", 300*time.Millisecond); err == nil {
		t.Fatal("port 81 without an endpoint answered")
	}
	denied := f.traced(func(e Event) bool { return e.Layer == LayerACL && e.Action == ActionDeny })
	if len(denied) == 0 || denied[0].Rule != "default deny" || denied[0].Dst.Port() != 81 {
		t.Fatalf("ACL denials: %v", denied)
	}
	if got := h2.Stats().Get(LayerACL, ActionDeny); got == 0 {
		t.Error("h2 counted no ACL denial")
	}
}

// TestTSO: a guest whose vNIC takes TCP super-packets sends 1 MB; the
// switch segments them to the MTU and fills in the checksums, and the
// receiving guest (which verifies every checksum) gets it all.
func TestTSO(t *testing.T) {
	f := newFabric(t)
	h1, h2 := f.host("h1", 1, nil), f.host("h2", 2, nil)
	a := f.vm(h1, 4, web, guest.Config{TSO: true, MTU: 1450}, VNICConfig{TSO: true})
	b := f.vm(h2, 5, nil, guest.Config{MTU: 1450}, VNICConfig{})
	big := strings.Repeat("0123456789abcdef", 1<<16)
	if err := a.Serve(":80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) })); err != nil {
		t.Fatal(err)
	}
	body, err := fetch(b.HTTPClient(), "http://10.1.0.4/", 20*time.Second)
	if err != nil || body != big {
		t.Fatalf("GET: %d bytes, %v", len(body), err)
	}
	segs := f.traced(func(e Event) bool { return e.Action == ActionSegment })
	if len(segs) == 0 {
		t.Fatal("no segmentation traced")
	}
	if h1.Stats().Get(LayerOffload, ActionChecksum) == 0 {
		t.Error("no checksum fill counted")
	}
}
