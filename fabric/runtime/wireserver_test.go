package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/provision"
	"golang.org/x/net/netutil"
)

// TestWireServerInstanceStatus: PortalVM2 marks itself busy from inside,
// through its host's WireServer (provision.BringUp running in the VM with
// a WireServerRotation over the VM's own stack): the VIP is served by
// PortalVM1 alone while its setup runs, and by both once it is ready.
// It cannot mark another instance, and its host's own stack (no VM of the
// host) is refused; the handler refuses malformed requests with problem
// documents.
func TestWireServerInstanceStatus(t *testing.T) {
	rt := start(t, Seed(), Options{})
	ctx := t.Context()
	c := freshPortsClient(mustMachine(t, rt, "ClientVM"), 5*time.Second)
	url := "http://" + seedVIP.String() + "/"
	dip := addr("10.10.0.12")
	rot := NewWireServerRotation(newClient(mustMachine(t, rt, "PortalVM2"), true, 5*time.Second))

	st, err := rot.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := InstanceStatus{Machine: "PortalVM2", Address: dip, VNI: 5001, Status: StatusReady, InRotation: true}
	if diff := cmp.Diff(want, st, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("PortalVM2's status before (-want +got):\n%s", diff)
	}

	in := provision.NewInstance("PortalVM2", 2, provision.MAC(mac(0x22)), dip, time.Now())
	for _, s := range []provision.State{provision.Cloning, provision.Specializing, provision.FirstLogon} {
		if err := in.To(s, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	setup := func(ctx context.Context, _ *provision.Instance) error {
		servedOnlyBy(t, c, url, "PortalVM1", 16)
		st, err := rot.Get(ctx)
		if err != nil {
			return err
		}
		if st.Status != StatusBusy || st.InRotation {
			t.Errorf("PortalVM2's status while busy: %+v", st)
		}
		for _, h := range rt.Status().Health {
			if h.Machine == "PortalVM2" && !h.Busy {
				t.Errorf("the runtime's health of PortalVM2 while busy: %+v", h)
			}
		}
		return nil
	}
	if err := provision.BringUp(ctx, in, rot, provision.SystemClock{}, setup); err != nil {
		t.Fatal(err)
	}
	if in.State() != provision.Ready {
		t.Fatalf("instance %s, want Ready", in.State())
	}
	waitFor(t, "PortalVM2 serves again", func() bool {
		who, _ := get(ctx, c, url)
		return who == "PortalVM2"
	})

	// Refusals: another instance's address; the host's own stack.
	var we *WireServerError
	if _, err := rot.Put(ctx, addr("10.10.0.11"), StatusBusy); !errors.As(err, &we) || we.Status != http.StatusForbidden {
		t.Errorf("PortalVM2 marking PortalVM1 busy: %v, want 403", err)
	}
	self := NewWireServerRotation(newClient(rt.hosts["Host2"].stack, true, 5*time.Second))
	if err := self.SetBusy(ctx, netip.Addr{}); !errors.As(err, &we) || we.Status != http.StatusForbidden {
		t.Errorf("Host2's own stack marking itself busy: %v, want 403", err)
	}
	if !rt.healthy(dipKey{5001, addr("10.10.0.11")}) || !rt.healthy(dipKey{5001, dip}) {
		t.Error("a refused request changed an instance's health")
	}

	t.Run("handler", func(t *testing.T) {
		h := rt.wireServer(rt.hosts["Host2"])
		const vm2, vm1 = "10.10.0.12:40000", "10.10.0.11:40000"
		long := `{"status":"busy","address":"` + strings.Repeat("1", 300) + `"}`
		for _, tc := range []struct {
			name, method, path, remote, ctype, body string
			want                                    int
		}{
			{"get", http.MethodGet, InstanceStatusPath, vm2, "", "", http.StatusOK},
			{"put ready", http.MethodPut, InstanceStatusPath, vm2, "application/json", `{"status":"ready"}`, http.StatusOK},
			{"put own address", http.MethodPut, InstanceStatusPath, vm2, "", `{"status":"ready","address":"10.10.0.12"}`, http.StatusOK},
			{"VM of another host", http.MethodGet, InstanceStatusPath, vm1, "", "", http.StatusForbidden},
			{"VM of another host puts", http.MethodPut, InstanceStatusPath, vm1, "", `{"status":"busy"}`, http.StatusForbidden},
			{"client network", http.MethodPut, InstanceStatusPath, "192.168.200.10:40000", "", `{"status":"busy"}`, http.StatusForbidden},
			{"unparsable source", http.MethodGet, InstanceStatusPath, "pipe", "", "", http.StatusForbidden},
			{"another's address", http.MethodPut, InstanceStatusPath, vm2, "", `{"status":"busy","address":"10.10.0.11"}`, http.StatusForbidden},
			{"unknown status", http.MethodPut, InstanceStatusPath, vm2, "", `{"status":"idle"}`, http.StatusBadRequest},
			{"no status", http.MethodPut, InstanceStatusPath, vm2, "", `{}`, http.StatusBadRequest},
			{"unknown field", http.MethodPut, InstanceStatusPath, vm2, "", `{"status":"busy","vni":6001}`, http.StatusBadRequest},
			{"two objects", http.MethodPut, InstanceStatusPath, vm2, "", `{"status":"busy"}{"status":"ready"}`, http.StatusBadRequest},
			{"not JSON", http.MethodPut, InstanceStatusPath, vm2, "", `busy`, http.StatusBadRequest},
			{"empty", http.MethodPut, InstanceStatusPath, vm2, "", ``, http.StatusBadRequest},
			{"IPv6 address", http.MethodPut, InstanceStatusPath, vm2, "", `{"status":"busy","address":"::1"}`, http.StatusBadRequest},
			{"too large", http.MethodPut, InstanceStatusPath, vm2, "", long, http.StatusRequestEntityTooLarge},
			{"form", http.MethodPut, InstanceStatusPath, vm2, "application/x-www-form-urlencoded", `status=busy`, http.StatusBadRequest},
			{"curl -d", http.MethodPut, InstanceStatusPath, vm2, "application/x-www-form-urlencoded", `{"status":"ready"}`, http.StatusOK},
			{"post", http.MethodPost, InstanceStatusPath, vm2, "", `{"status":"busy"}`, http.StatusMethodNotAllowed},
			{"other path", http.MethodGet, "/machine/?comp=goalstate", vm2, "", "", http.StatusNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
				req.RemoteAddr = tc.remote
				if tc.ctype != "" {
					req.Header.Set("Content-Type", tc.ctype)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != tc.want {
					t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.want)
				}
				if tc.want == http.StatusOK {
					var st InstanceStatus
					if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Address != dip || st.Status != StatusReady {
						t.Errorf("status %s: %v", rec.Body, err)
					}
					return
				}
				var p api.Problem
				if ct := rec.Header().Get("Content-Type"); ct != api.ProblemContentType {
					t.Errorf("content type %q", ct)
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tc.want || p.Detail == "" ||
					!strings.HasPrefix(p.Type, api.ProblemTypeBase) {
					t.Errorf("problem %s: %v", rec.Body, err)
				}
			})
		}
		if !rt.healthy(dipKey{5001, dip}) {
			t.Error("a refused request marked PortalVM2 busy")
		}
	})
}

// FuzzDecodeInstanceStatus: any body decodes to a known status or a
// typed error, and an accepted request encodes back to itself.
func FuzzDecodeInstanceStatus(f *testing.F) {
	for _, s := range []string{`{"status":"busy"}`, `{"status":"ready","address":"10.10.0.12"}`, `{"status":"idle"}`,
		`{"status":"busy"} x`, `{"status":"busy","status":"ready"}`, `[`, `null`, `{"address":"::1","status":"busy"}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeInstanceStatus(body)
		if err != nil {
			if !errors.Is(err, errStatusRequest) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if req.Status != StatusBusy && req.Status != StatusReady || req.Address.IsValid() && !req.Address.Is4() {
			t.Fatalf("accepted %q as %+v", body, req)
		}
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeInstanceStatus(b)
		if err != nil || again != req {
			t.Fatalf("%+v encodes to %s, decoded %+v, %v", req, b, again, err)
		}
	})
}

// TestWireServerConflicts: what the WireServer cannot mark it refuses
// with 409 and leaves as it is. TenantVM, in another virtual network, has
// PortalVM2's address on PortalVM2's host: the host port does not tell
// which vNIC a request came through, so the address is refused rather
// than guessed. SpareVM, on the host but behind no probed rule, reads its
// status (not in rotation) but cannot be marked.
func TestWireServerConflicts(t *testing.T) {
	topo := Seed()
	// TenantVM serves HTTP too: Host2's probes of PortalVM2 may reach it
	// (through the first vNIC of the address, see vswitch.HostPortConfig).
	web := []Endpoint{{Name: "http", Proto: header.ProtocolTCP, Port: 80}}
	topo.Machines = append(topo.Machines,
		Machine{Name: "TenantVM", Host: "Host2", VNI: 6001, Addr: pfx("10.10.0.12/24"), Gateway: addr("10.10.0.1"), MAC: mac(0x23), Role: RoleWebServer,
			Endpoints: web},
		Machine{Name: "SpareVM", Host: "Host2", VNI: 5001, Addr: pfx("10.10.0.13/24"), Gateway: addr("10.10.0.1"), MAC: mac(0x24), Role: RoleWebServer})
	rt := start(t, topo, Options{})
	h := rt.wireServer(rt.hosts["Host2"])
	serve := func(method, remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, InstanceStatusPath, strings.NewReader(`{"status":"busy"}`))
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		rec := serve(method, "10.10.0.12:40000")
		var p api.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); rec.Code != http.StatusConflict || err != nil ||
			!strings.Contains(p.Detail, "PortalVM2, TenantVM") {
			t.Errorf("%s from the address of PortalVM2 and TenantVM: %d %s, want 409 naming both", method, rec.Code, rec.Body)
		}
	}
	if !rt.healthy(dipKey{5001, addr("10.10.0.12")}) {
		t.Error("PortalVM2 marked busy")
	}
	var st InstanceStatus
	if rec := serve(http.MethodGet, "10.10.0.13:40000"); rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &st) != nil ||
		st.Machine != "SpareVM" || st.Status != StatusReady || st.InRotation {
		t.Errorf("SpareVM's status: %d %s, want ready and not in rotation", rec.Code, rec.Body)
	}
	if rec := serve(http.MethodPut, "10.10.0.13:40000"); rec.Code != http.StatusConflict {
		t.Errorf("SpareVM marking itself busy: %d %s, want 409", rec.Code, rec.Body)
	}
}

// TestLimitListener: the WireServer's listener (netutil.LimitListener):
// with one slot, a second connection is accepted only
// once the first is closed, and closing a connection twice frees one
// slot.
func TestLimitListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := netutil.LimitListener(ln, 1)
	for range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	select {
	case <-accepted:
		t.Fatal("a second connection accepted while the first is open")
	case <-time.After(50 * time.Millisecond):
	}
	first.Close()
	first.Close()
	second := <-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection accepted: closing the first twice freed two slots")
	case <-time.After(50 * time.Millisecond):
	}
	ln.Close()
	second.Close()
	if c, ok := <-accepted; ok {
		c.Close()
		t.Fatal("accepted after the listener closed")
	}
}
