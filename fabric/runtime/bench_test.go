package runtime

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkHTTPThroughVIP measures requests per second (and bytes per
// second of response bodies) from ClientVM through NATVM, BGPVM, MuxVM,
// VXLAN and a host to the PortalVMs and back by DSR, over keep-alive
// connections from several concurrent clients.
func BenchmarkHTTPThroughVIP(b *testing.B) {
	// One fabric for every run of the sub-benchmarks.
	rt := start(b, Seed(), Options{Progress: func(Progress) {}})
	client := mustMachine(b, rt, "ClientVM")
	for _, size := range []int{0, 64 << 10} {
		name := "hello"
		if size > 0 {
			name = fmt.Sprintf("body=%dKiB", size>>10)
		}
		b.Run(name, func(b *testing.B) {
			url := "http://192.168.102.10/"
			if size > 0 {
				url += fmt.Sprintf("?bytes=%d", size)
			}
			const workers = 8
			clients := make([]*http.Client, workers)
			for i := range clients {
				clients[i] = newClient(client, false, 30*time.Second)
				defer closeIdle(clients[i])
			}
			var next, body atomic.Int64
			var failed atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			begin := time.Now()
			var wg sync.WaitGroup
			for _, c := range clients {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
						resp, err := c.Do(req)
						if err != nil {
							failed.Add(1)
							continue
						}
						n, _ := io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						body.Add(n)
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(begin)
			b.StopTimer()
			if failed.Load() > 0 {
				b.Fatalf("%d requests failed", failed.Load())
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(body.Load())/elapsed.Seconds()/1e6, "MB/s")
		})
	}
}
