package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"golang.org/x/net/netutil"
)

// The WireServer: each host's own stack (at 168.63.129.16, as Azure's
// host) serves its VMs the instance status endpoint, through which an
// instance marks itself busy or ready from inside, as the seed's
// Set-RoleInstanceStatus -Busy does through Azure's guest agent.
//
//	GET /v1/instance/status              the caller's status
//	PUT /v1/instance/status              {"status":"busy"|"ready"}
//
// The caller is the VM whose address the request came from: the vswitch
// delivers to the host port only what a local vNIC sends, past its
// anti-spoofing check (no other host's VM, no VXLAN and no provider
// traffic reaches it), so the source address names a VM of this host. A
// request from any other address is refused (403). The body is JSON
// whatever its Content-Type says (curl -d sends a form's). Errors are RFC
// 9457 problem documents.
const (
	// InstanceStatusPath is the instance status endpoint's path.
	InstanceStatusPath = "/v1/instance/status"
	// WireServerURL is the endpoint as a VM on a host reaches it.
	WireServerURL = "http://168.63.129.16" + InstanceStatusPath
)

// The instance statuses.
const (
	StatusBusy  = "busy"
	StatusReady = "ready"
)

// InstanceStatusRequest is the body of a PUT to the instance status
// endpoint. Address, if set, must be the caller's own.
type InstanceStatusRequest struct {
	Status  string     `json:"status"`
	Address netip.Addr `json:"address,omitzero"`
}

// InstanceStatus is the endpoint's answer: the caller's instance, whether
// it is marked busy, and whether it is in rotation (its probes pass and
// it is not busy; false for a VM that no load-balancing rule probes,
// which cannot be marked).
type InstanceStatus struct {
	Machine    string     `json:"machine"`
	Address    netip.Addr `json:"address"`
	VNI        uint32     `json:"vni"`
	Status     string     `json:"status"`
	InRotation bool       `json:"inRotation"`
}

// Bounds of the endpoint: a request body, concurrent connections per
// host, and the server's timeouts.
const (
	maxInstanceStatusBody  = 256
	maxWireServerConns     = 32
	wireServerReadTimeout  = 5 * time.Second
	wireServerWriteTimeout = 5 * time.Second
	wireServerIdleTimeout  = 30 * time.Second
)

// errStatusRequest is a malformed request body.
var errStatusRequest = errors.New("instance status request")

// decodeInstanceStatus decodes a PUT body of at most
// maxInstanceStatusBody bytes: one JSON object, no unknown field, a
// known status.
func decodeInstanceStatus(body []byte) (InstanceStatusRequest, error) {
	var req InstanceStatusRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return InstanceStatusRequest{}, fmt.Errorf("%w: %v", errStatusRequest, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return InstanceStatusRequest{}, fmt.Errorf("%w: data after the object", errStatusRequest)
	}
	if req.Status != StatusBusy && req.Status != StatusReady {
		return InstanceStatusRequest{}, fmt.Errorf("%w: status %q, want %q or %q", errStatusRequest, req.Status, StatusBusy, StatusReady)
	}
	if req.Address.IsValid() && !req.Address.Is4() {
		return InstanceStatusRequest{}, fmt.Errorf("%w: address %s is not IPv4", errStatusRequest, req.Address)
	}
	return req, nil
}

// serveWireServer serves the instance status endpoint of host h on its
// stack's port 80, until the runtime closes.
func (rt *Runtime) serveWireServer(h *hostNode, ln net.Listener) {
	srv := &http.Server{
		Handler:           rt.wireServer(h),
		ReadHeaderTimeout: wireServerReadTimeout,
		ReadTimeout:       wireServerReadTimeout,
		WriteTimeout:      wireServerWriteTimeout,
		IdleTimeout:       wireServerIdleTimeout,
		MaxHeaderBytes:    8 << 10,
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(netutil.LimitListener(ln, maxWireServerConns)) })
	rt.closers = append(rt.closers, func() {
		srv.Close()
		wg.Wait()
	})
}

// wireServer is host h's instance status handler.
func (rt *Runtime) wireServer(h *hostNode) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != InstanceStatusPath {
			writeStatusProblem(w, r, http.StatusNotFound, "not-found", "no such endpoint; the instance status is at "+InstanceStatusPath)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodPut {
			w.Header().Set("Allow", "GET, PUT")
			writeStatusProblem(w, r, http.StatusMethodNotAllowed, "method-not-allowed", r.Method+" is not allowed; GET or PUT")
			return
		}
		k, name, status, detail := rt.caller(h, r.RemoteAddr)
		if status != 0 {
			slug := "forbidden"
			if status == http.StatusConflict {
				slug = "conflict"
			}
			writeStatusProblem(w, r, status, slug, detail)
			return
		}
		if r.Method == http.MethodPut {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInstanceStatusBody))
			if err != nil {
				if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
					writeStatusProblem(w, r, http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("the body exceeds %d bytes", maxInstanceStatusBody))
					return
				}
				writeStatusProblem(w, r, http.StatusBadRequest, "bad-request", "reading the body: "+err.Error())
				return
			}
			req, err := decodeInstanceStatus(body)
			if err != nil {
				writeStatusProblem(w, r, http.StatusBadRequest, "bad-request", err.Error())
				return
			}
			if req.Address.IsValid() && req.Address != k.dip {
				writeStatusProblem(w, r, http.StatusForbidden, "forbidden",
					fmt.Sprintf("%s may change its own status only, not that of %s", k.dip, req.Address))
				return
			}
			if err := rt.markBusy(h, k, req.Status == StatusBusy); err != nil {
				writeStatusProblem(w, r, http.StatusConflict, "conflict", err.Error())
				return
			}
		}
		h.health.mu.Lock()
		busy, up := h.health.busy[k], h.health.up[k]
		h.health.mu.Unlock()
		st := InstanceStatus{Machine: name, Address: k.dip, VNI: k.vni, Status: StatusReady, InRotation: up && !busy}
		if busy {
			st.Status = StatusBusy
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(st)
	})
}

// caller identifies the VM of host h a request came from by its source
// address: a VM attached to h. It returns an HTTP status and why when it
// cannot: 403 for an address no VM of h has, 409 for an address VMs of
// several virtual networks have on h (the host port does not tell which
// vNIC a packet came through). (A PUT of a VM no load-balancing rule
// probes is refused with 409 too, by markBusy.)
func (rt *Runtime) caller(h *hostNode, remote string) (k dipKey, name string, status int, detail string) {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return dipKey{}, "", http.StatusForbidden, "unknown source address"
	}
	src := ap.Addr().Unmap()
	var found []dipKey
	var names []string
	on := rt.place.machinesOn(h.spec.Name)
	for _, n := range slices.Sorted(maps.Keys(on)) {
		if m := on[n]; m.Addr.Addr() == src {
			found, names = append(found, m.dipKey()), append(names, n)
		}
	}
	switch len(found) {
	case 0:
		return dipKey{}, "", http.StatusForbidden, fmt.Sprintf("%s is not a VM of %s", src, h.spec.Name)
	case 1:
	default:
		return dipKey{}, "", http.StatusConflict, fmt.Sprintf("VMs of several virtual networks have %s on %s (%s): the host cannot tell which one asks",
			src, h.spec.Name, strings.Join(names, ", "))
	}
	return found[0], names[0], 0, ""
}

// writeStatusProblem answers with an RFC 9457 problem document.
func writeStatusProblem(w http.ResponseWriter, r *http.Request, status int, slug, detail string) {
	w.Header().Set("Content-Type", api.ProblemContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	b, _ := json.Marshal(api.Problem{Type: api.ProblemTypeBase + slug, Title: http.StatusText(status), Status: status,
		Detail: detail, Instance: r.URL.Path})
	_, _ = w.Write(append(b, '\n'))
}

// WireServerError is a refusal of the instance status endpoint: its
// HTTP status and problem document.
type WireServerError struct {
	Status int
	api.Problem
}

func (e *WireServerError) Error() string {
	return fmt.Sprintf("wireserver: %d %s: %s", e.Status, http.StatusText(e.Status), e.Detail)
}

// WireServerRotation is the rotation of the instance it runs in: SetBusy
// and SetReady ask its host's WireServer (168.63.129.16) to take the
// instance out of rotation or put it back, as Set-RoleInstanceStatus
// does. It implements provision.Rotation for provision.BringUp run inside
// the instance; the address they are given must be the instance's own.
type WireServerRotation struct {
	// Client reaches the WireServer from inside the instance (its stack).
	Client *http.Client
	// URL is the endpoint; WireServerURL if empty.
	URL string
}

// NewWireServerRotation returns the rotation of the instance whose
// stack c's connections leave from.
func NewWireServerRotation(c *http.Client) *WireServerRotation {
	return &WireServerRotation{Client: c}
}

// SetBusy marks the instance at addr (the caller's own) busy.
func (r *WireServerRotation) SetBusy(ctx context.Context, addr netip.Addr) error {
	_, err := r.Put(ctx, addr, StatusBusy)
	return err
}

// SetReady marks the instance at addr (the caller's own) ready.
func (r *WireServerRotation) SetReady(ctx context.Context, addr netip.Addr) error {
	_, err := r.Put(ctx, addr, StatusReady)
	return err
}

// Put sets the instance's status (StatusBusy or StatusReady); addr, if
// valid, must be the instance's own address.
func (r *WireServerRotation) Put(ctx context.Context, addr netip.Addr, status string) (InstanceStatus, error) {
	b, err := json.Marshal(InstanceStatusRequest{Status: status, Address: addr})
	if err != nil {
		return InstanceStatus{}, err
	}
	return r.do(ctx, http.MethodPut, b)
}

// Get returns the instance's status.
func (r *WireServerRotation) Get(ctx context.Context) (InstanceStatus, error) {
	return r.do(ctx, http.MethodGet, nil)
}

func (r *WireServerRotation) do(ctx context.Context, method string, body []byte) (InstanceStatus, error) {
	url := r.URL
	if url == "" {
		url = WireServerURL
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return InstanceStatus{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.Client.Do(req)
	if err != nil {
		return InstanceStatus{}, fmt.Errorf("wireserver: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return InstanceStatus{}, fmt.Errorf("wireserver: %s: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &WireServerError{Status: resp.StatusCode}
		if json.Unmarshal(b, &e.Problem) != nil || e.Detail == "" {
			e.Detail = strings.TrimSpace(string(b))
		}
		return InstanceStatus{}, e
	}
	var st InstanceStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return InstanceStatus{}, fmt.Errorf("wireserver: %s: decoding the status: %w", method, err)
	}
	return st, nil
}
