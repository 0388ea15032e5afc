package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/api"
)

// FuzzServer sends arbitrary requests to the API: none may panic or
// fail with a 5xx, and every error is a well-formed problem document
// with the response's status.
func FuzzServer(f *testing.F) {
	seeds := []struct{ method, path, ifMatch, body string }{
		{"POST", "/v1/hosts", "", `{"kind":"Host","metadata":{"name":"h"},"spec":{"size":1}}`},
		{"PUT", "/v1/hosts/h", `"1"`, `{"metadata":{"name":"h","resourceVersion":"1"},"spec":{"size":2}}`},
		{"PUT", "/v1/hosts/h/status", `W/"1"`, `{"status":{"ready":true}}`},
		{"DELETE", "/v1/hosts/h", "*", ``},
		{"POST", "/v1/apply", "", `{"items":[{"kind":"Host","metadata":{"name":"a"},"spec":{}},{"kind":"Mux","metadata":{"name":"b"},"spec":{"host":"a"}}]}`},
		{"GET", "/v1/hosts?watch=true&resourceVersion=999999", "", ``},
		{"GET", "/v1/hosts/h", "", ``},
		{"POST", "/v1/hosts", "", `{"metadata":{"name":"../x"}}`},
		{"POST", "/v1/hosts", "", `{"metadata":{"name":"x"},"spec":[1,2]} trailing`},
		{"PUT", "/v1/hosts/h", `"-5"`, `{"metadata":{"resourceVersion":"abc"}}`},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.ifMatch, []byte(s.body))
	}
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, method, path, ifMatch string, body []byte) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, "http://fabric"+path, strings.NewReader(string(body)))
		if err != nil {
			return // not a request a client can send
		}
		if strings.Contains(req.URL.RawQuery, "watch") {
			return // a stream that stays open
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		if ifMatch != "" {
			req.Header["If-Match"] = []string{ifMatch}
		}
		rec := httptest.NewRecorder()
		fx.api.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var p api.Problem
			if rec.Header().Get("Content-Type") != api.ProblemContentType || json.Unmarshal(rec.Body.Bytes(), &p) != nil ||
				p.Status != rec.Code || p.Type == "" || p.Title == "" {
				t.Fatalf("%s %s: bad problem %d %q", method, path, rec.Code, rec.Body)
			}
		}
	})
}
