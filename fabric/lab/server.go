package lab

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// filler is the body of downloads (?bytes=N).
var filler = make([]byte, 32<<10)

// nameHandler answers a web server machine's requests as the in-process
// runtime's guests do: with the machine's name in the body and in the
// runtime.ServedBy header, or with N bytes for ?bytes=N.
func nameHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(runtime.ServedBy, name)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if n, err := strconv.Atoi(r.URL.Query().Get("bytes")); err == nil && n > 0 {
			w.Header().Set("Content-Length", strconv.Itoa(n))
			for n > 0 {
				k, _ := w.Write(filler[:min(n, len(filler))])
				if k == 0 {
					return
				}
				n -= k
			}
			return
		}
		fmt.Fprintf(w, "Hello from %s (you are %s)\n", name, r.RemoteAddr)
	})
}
