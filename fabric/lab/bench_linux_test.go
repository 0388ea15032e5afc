//go:build linux

package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"testing"
	"time"

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

// BenchmarkIperf3 runs iperf3 (one TCP stream, one second per iteration)
// from ClientVM's namespace to the VIP: upload (the client sends, through
// NAT, router, Mux, VXLAN and a host) and download (-R: a PortalVM sends,
// the reply path by DSR), with and without TAP offloads on the PortalVMs,
// and with BIRD and the kernel as the router in place of ours. It reports
// the receiver's Mbit/s.
func BenchmarkIperf3(b *testing.B) {
	needLab(b)
	if _, err := exec.LookPath("iperf3"); err != nil {
		b.Skip("needs iperf3")
	}
	for _, c := range []struct {
		name      string
		router    string
		noOffload bool
	}{{"tso", lab.RouterOurs, false}, {"no-offload", lab.RouterOurs, true}, {"bird-tso", lab.RouterBIRD, false}} {
		b.Run(c.name, func(b *testing.B) {
			if c.router == lab.RouterBIRD {
				if _, err := exec.LookPath("bird"); err != nil {
					b.Skip("needs BIRD 2")
				}
			}
			p := prefix(b, "iperf")
			ctx := context.Background()
			l, err := lab.Up(ctx, lab.BenchTopology(), lab.Options{Prefix: p, Router: c.router, NoOffload: c.noOffload, FreePorts: []uint16{lab.IperfPort}})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			if err := l.Ready(ctx); err != nil {
				b.Fatal(err)
			}
			for _, m := range []string{"PortalVM1", "PortalVM2"} {
				srv := exec.Command("ip", "netns", "exec", l.Namespace(m), "iperf3", "-s", "-p", "5201")
				if err := srv.Start(); err != nil {
					b.Fatal(err)
				}
				defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
			}
			time.Sleep(300 * time.Millisecond) // the servers listen
			for _, dir := range []string{"upload", "download"} {
				b.Run(dir, func(b *testing.B) {
					args := []string{"netns", "exec", l.Namespace("ClientVM"), "iperf3", "-c", "192.168.102.10", "-p", "5201", "-t", "1", "-J"}
					if dir == "download" {
						args = append(args, "-R")
					}
					var bits float64
					n := 0
					for b.Loop() {
						out, err := exec.Command("ip", args...).Output()
						if err != nil {
							b.Fatalf("iperf3: %v\n%s", err, out)
						}
						var res struct {
							End struct {
								SumReceived struct {
									BitsPerSecond float64 `json:"bits_per_second"`
								} `json:"sum_received"`
							} `json:"end"`
						}
						if err := json.Unmarshal(out, &res); err != nil {
							b.Fatalf("iperf3 -J: %v\n%s", err, out)
						}
						bits += res.End.SumReceived.BitsPerSecond
						n++
					}
					b.ReportMetric(bits/float64(n)/1e6, "Mbit/s")
				})
			}
		})
	}
}
