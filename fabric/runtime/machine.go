package runtime

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync/atomic"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// machine is a guest VM: a gVisor stack on a netsim port, serving HTTP
// (answering with its name) when it is a web server.
type machine struct {
	spec   Machine
	served atomic.Uint64 // HTTP requests answered, probes aside
	g      *guest.Guest
}

func startMachine(m Machine, port *netsim.Port) (*machine, error) {
	cfg := guest.Config{
		MAC:     net.HardwareAddr(m.MAC[:]),
		Addr:    m.Addr,
		Gateway: m.Gateway,
		// A VM on a host has a vNIC with large send and checksum
		// offload: its vswitch segments and checksums in software.
		TSO: m.Host != "",
	}
	g, err := guest.New(m.Name, port, cfg)
	if err != nil {
		return nil, err
	}
	mc := &machine{spec: m, g: g}
	if m.Role == RoleWebServer {
		for _, ep := range m.Endpoints {
			if err := g.Serve(fmt.Sprintf(":%d", ep.Port), WebHandler(m.Name, &mc.served)); err != nil {
				g.Close()
				return nil, fmt.Errorf("%s: serve port %d: %w", m.Name, ep.Port, err)
			}
		}
	}
	return mc, nil
}

// filler is the body of downloads (?bytes=N).
var filler = make([]byte, 32<<10)

// ServedBy is the response header naming the machine that answered.
const ServedBy = "X-Served-By"

// WebHandler is a web server machine's handler: every request is answered
// with the machine's name (in the body and the ServedBy header), or with N
// bytes for ?bytes=N. Requests other than the host's health probes are
// counted in served, if not nil. The lab serves its namespaces with it too.
func WebHandler(name string, served *atomic.Uint64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); served != nil && (err != nil || ap.Addr() != hostStackAddr.Addr()) {
			served.Add(1) // a request, not a health probe
		}
		w.Header().Set(ServedBy, name)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if n, err := strconv.Atoi(r.URL.Query().Get("bytes")); err == nil && n > 0 {
			// A download of n bytes, for throughput.
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

func (m *machine) close() {
	m.g.Close()
}

// Served returns how many HTTP requests the machine answered.
func (rt *Runtime) Served(name string) uint64 {
	rt.mu.Lock()
	m, ok := rt.machines[name]
	rt.mu.Unlock()
	if !ok {
		return 0
	}
	return m.served.Load()
}
