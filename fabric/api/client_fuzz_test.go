package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
)

// FuzzClientDecoding feeds arbitrary server responses to the client's
// decoders: an error response (problem document or not) always becomes
// an *Error wrapping a sentinel or naming the status, and a watch stream
// yields events with an object, or one final ERROR event.
func FuzzClientDecoding(f *testing.F) {
	f.Add(409, ProblemContentType, []byte(`{"type":"https://sdnfabric.io/problems/conflict","title":"Conflict","status":409,"resourceVersion":"7"}`))
	f.Add(422, ProblemContentType, []byte(`{"status":422,"errors":[{"resource":"Host/a","field":"spec.mac","detail":"duplicate"}]}`))
	f.Add(502, "text/html", []byte(`<html>bad gateway</html>`))
	f.Add(200, WatchContentType, []byte("{\"type\":\"ADDED\",\"object\":{\"kind\":\"Host\",\"metadata\":{\"name\":\"a\"}}}\n{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\n"))
	f.Add(200, WatchContentType, []byte("{\"type\":\"ERROR\",\"error\":{\"status\":410,\"title\":\"Gone\"}}\n"))
	f.Add(200, WatchContentType, []byte("{\"type\":\"MODIFIED\"}\nnot json\n"))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status >= 300 {
			resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(bytes.NewReader(body))}
			err := decodeProblem(resp)
			var ae *Error
			if !errors.As(err, &ae) || ae.Err == nil {
				t.Fatalf("decodeProblem: %v", err)
			}
			return
		}
		out := make(chan WatchEvent, 1)
		go func() { readWatch(context.Background(), bytes.NewReader(body), out); close(out) }()
		for ev := range out {
			if ev.Type == WatchError {
				if ev.Err == nil {
					t.Fatal("ERROR event without an error")
				}
				continue
			}
			if ev.Object == nil {
				t.Fatalf("%s event without an object", ev.Type)
			}
		}
	})
}
