//go:build linux

package lab_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// BenchmarkDownload measures HTTP downloads of 1 MiB from ClientVM's
// namespace through the VIP (NAT, router, Mux, VXLAN, host; the reply by
// DSR) from a PortalVM's kernel, with and without TAP offloads on the
// PortalVMs.
func BenchmarkDownload(b *testing.B) {
	for _, c := range []struct {
		name      string
		noOffload bool
	}{{"tso", false}, {"no-offload", true}} {
		b.Run(c.name, func(b *testing.B) {
			benchDownload(b, c.noOffload)
		})
	}
}

func benchDownload(b *testing.B, noOffload bool) {
	needLab(b)
	p := prefix(b, "bench")
	ctx := context.Background()
	l, err := lab.Up(ctx, runtime.Seed(), lab.Options{Prefix: p, NoOffload: noOffload})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if err := l.Ready(ctx); err != nil {
		b.Fatal(err)
	}
	const size = 1 << 20
	url := fmt.Sprintf("http://192.168.102.10/?bytes=%d", size)
	client := l.HTTPClient("ClientVM")
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != size || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET: %d bytes, %s, %v", n, resp.Status, err)
		}
	}
}
