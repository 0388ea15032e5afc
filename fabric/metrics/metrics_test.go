package metrics

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExposition(t *testing.T) {
	r := NewRegistry()
	req := r.NewCounter("fabric_api_requests_total", "API requests by method and code.", "method", "code")
	req.With("GET", "200").Add(3)
	req.With("PUT", "409").Inc()
	g := r.NewGauge("fabric_watch_streams", "Open watch streams.")
	g.With().Set(2)
	g.With().Add(-0.5)
	r.NewGaugeFunc("fabric_resources", "Resources per kind,\nby \\kind\\.", func() []Sample {
		return []Sample{{[]string{`Ho"st`}, 4}, {[]string{"Gateway"}, 1}, {[]string{"a", "b"}, 9}}
	}, "kind")
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	want := `# HELP fabric_api_requests_total API requests by method and code.
# TYPE fabric_api_requests_total counter
fabric_api_requests_total{method="GET",code="200"} 3
fabric_api_requests_total{method="PUT",code="409"} 1
# HELP fabric_watch_streams Open watch streams.
# TYPE fabric_watch_streams gauge
fabric_watch_streams 1.5
# HELP fabric_resources Resources per kind,\nby \\kind\\.
# TYPE fabric_resources gauge
fabric_resources{kind="Gateway"} 1
fabric_resources{kind="Ho\"st"} 4
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("exposition (-want +got):\n%s", diff)
	}
}

func TestServeHTTP(t *testing.T) {
	r := NewRegistry()
	r.NewCounter("x_total", "x").With().Inc()
	srv := httptest.NewServer(r)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != ContentType {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(string(body), "x_total 1\n") {
		t.Errorf("body %q", body)
	}
	resp, err = http.Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

func TestInvalidNamesPanic(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels []string
	}{
		{"", nil}, {"1abc", nil}, {"a-b", nil}, {"ok", []string{"__reserved"}},
		{"ok", []string{"a:b"}}, {"ok", []string{"l", "l"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewCounter(%q, %q) did not panic", tc.name, tc.labels)
				}
			}()
			NewRegistry().NewCounter(tc.name, "h", tc.labels...)
		}()
	}
	r := NewRegistry()
	r.NewCounter("dup", "h")
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	r.NewGauge("dup", "h")
}

func TestConcurrent(t *testing.T) {
	r := NewRegistry()
	c := r.NewCounter("c_total", "c", "k")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 1000 {
				c.With(string(rune('a' + i%2))).Inc()
			}
			_ = r.WriteText(io.Discard)
		})
	}
	wg.Wait()
	if got := c.With("a").Value() + c.With("b").Value(); got != 8000 {
		t.Errorf("total %d, want 8000", got)
	}
}

func TestHotPathAllocs(t *testing.T) {
	r := NewRegistry()
	c := r.NewCounter("c_total", "c", "method", "code")
	g := r.NewGauge("g", "g", "kind")
	c.With("GET", "200")
	g.With("Host")
	allocs := testing.AllocsPerRun(100, func() {
		c.With("GET", "200").Inc()
		g.With("Host").Add(1)
	})
	if allocs != 0 {
		t.Errorf("With+Inc allocates %v times, want 0", allocs)
	}
}

func BenchmarkCounterWith(b *testing.B) {
	r := NewRegistry()
	c := r.NewCounter("c_total", "c", "method", "code")
	b.ReportAllocs()
	for b.Loop() {
		c.With("GET", "200").Inc()
	}
}
