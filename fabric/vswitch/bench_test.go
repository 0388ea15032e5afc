package vswitch

import (
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
)

// BenchmarkForward measures the switch's per-packet paths for a TCP
// segment with 1400 bytes of payload.
func BenchmarkForward(b *testing.B) {
	r := newRig(b, false, Endpoint{Name: "web", Kind: Internal, Protocol: protoTCP, Port: 80})
	east := tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.4:1000"), netip.MustParseAddrPort("10.1.0.5:80"), ack, 1400)
	in := encap(b, tcpFrame(gw, peerMAC, netip.MustParseAddrPort("10.1.0.5:1000"), netip.MustParseAddrPort("10.1.0.4:80"), ack, 1400))
	for name, f := range map[string]func(){
		"encap": func() { r.v.fromGuest(east) },
		"decap": func() { r.s.fromUplink(in) },
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(1400)
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
		})
	}
}

// BenchmarkHTTPAcrossHosts measures HTTP requests per second between
// guests on two hosts: VXLAN, ACL and the guests' TCP stacks, over one
// keep-alive connection.
func BenchmarkHTTPAcrossHosts(b *testing.B) {
	f := newFabric(b)
	f.hosts = map[string]*Switch{}
	h1, h2 := f.host("h1", 1, nil), f.host("h2", 2, nil)
	h1.cfg.Trace, h2.cfg.Trace = nil, nil
	a := f.vm(h1, 4, nil, guest.Config{}, VNICConfig{})
	srv := f.vm(h2, 5, web, guest.Config{}, VNICConfig{})
	body := strings.Repeat("x", 1024)
	if err := srv.Serve(":80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })); err != nil {
		b.Fatal(err)
	}
	c := a.HTTPClient()
	if _, err := fetch(c, "http://10.1.0.5/", 0x7fffffff); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Get("http://10.1.0.5/")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
