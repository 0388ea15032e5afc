package guest

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// BenchmarkHTTP measures HTTP/1.1 requests per second between two guests
// on a wire, over one keep-alive connection, for a small and a 64 KiB body.
func BenchmarkHTTP(b *testing.B) {
	for _, size := range []int{64, 64 << 10} {
		b.Run(byteSize(size), func(b *testing.B) {
			a, s := pair(b, netsim.WireConfig{})
			body := strings.Repeat("x", size)
			if err := s.Serve(":80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })); err != nil {
				b.Fatal(err)
			}
			c := a.HTTPClient()
			get(b, c, "http://10.99.0.2/") // ARP and the connection
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				resp, err := c.Get("http://10.99.0.2/")
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if n != int64(size) {
					b.Fatalf("body of %d bytes, want %d", n, size)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

func byteSize(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
