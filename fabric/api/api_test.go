package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/metrics"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const testToken = "test-token-0123456789abcdef"

// testSpec is the spec every kind takes under testRules.
type testSpec struct {
	Size   int    `json:"size"`
	Unique string `json:"unique,omitempty"` // unique across the state
	Host   string `json:"host,omitempty"`   // must name a Host
	ID     int    `json:"id,omitempty"`     // allocated when 0
}

// testRules stand in for the model's rules: one field rule, one
// allocation, a uniqueness and a reference rule across resources.
func testRules() controller.Rules {
	return controller.Rules{
		Allocate: func(state []model.Object, o *model.Object) error {
			var s testSpec
			if err := json.Unmarshal(o.Spec, &s); err != nil {
				return err
			}
			if s.ID != 0 {
				return nil
			}
			s.ID = len(state) + 100
			for _, cur := range state { // keep the current allocation
				if cur.Kind == o.Kind && cur.Metadata.Name == o.Metadata.Name {
					var old testSpec
					json.Unmarshal(cur.Spec, &old)
					s.ID = old.ID
				}
			}
			o.Spec, _ = json.Marshal(s)
			return nil
		},
		ValidateObject: func(o *model.Object) error {
			if o.Kind == model.KindEvent {
				return nil
			}
			var s testSpec
			if err := json.Unmarshal(o.Spec, &s); err != nil {
				return fmt.Errorf("%s/%s spec: %w", o.Kind, o.Metadata.Name, err)
			}
			if s.Size < 0 {
				return fmt.Errorf("%s/%s spec.size: %d is negative", o.Kind, o.Metadata.Name, s.Size)
			}
			return nil
		},
		ValidateState: func(objs []model.Object) error {
			uniq := map[string]string{}
			hosts := map[string]bool{}
			for _, o := range objs {
				if o.Kind == model.KindHost {
					hosts[o.Metadata.Name] = true
				}
			}
			var errs []error
			for _, o := range objs {
				var s testSpec
				json.Unmarshal(o.Spec, &s)
				if s.Unique != "" {
					if prev, dup := uniq[s.Unique]; dup {
						errs = append(errs, fmt.Errorf("%s/%s spec.unique: %q already used by %s", o.Kind, o.Metadata.Name, s.Unique, prev))
					}
					uniq[s.Unique] = string(o.Kind) + "/" + o.Metadata.Name
				}
				if s.Host != "" && !hosts[s.Host] {
					errs = append(errs, fmt.Errorf("%s/%s spec.host: no Host %q", o.Kind, o.Metadata.Name, s.Host))
				}
			}
			return errors.Join(errs...)
		},
	}
}

type fixture struct {
	srv    *httptest.Server
	api    *api.Server
	ctrl   *controller.Controller
	st     store.Store
	reg    *metrics.Registry
	client *api.Client
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	st := memstore.New(memstore.Options{})
	reg := metrics.NewRegistry()
	ctrl, err := controller.New(controller.Config{Store: st, Rules: testRules(), Metrics: reg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	as, err := api.NewServer(api.Config{Backend: ctrl, Token: testToken, Metrics: reg, BookmarkInterval: time.Hour, Logger: quiet,
		Backup: func(ctx context.Context, w io.Writer) (store.BackupInfo, error) { return store.Backup(ctx, st, w) }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", as)
	mux.Handle("/metrics", reg)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { as.Close(); srv.Close(); st.Close() })
	c, err := api.NewClient(srv.URL, testToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv, as, ctrl, st, reg, c}
}

func obj(kind model.Kind, name string, s testSpec) model.Object {
	b, _ := json.Marshal(s)
	return model.Object{Kind: kind, Metadata: model.Metadata{Name: name}, Spec: b}
}

func spec(t *testing.T, o model.Object) testSpec {
	t.Helper()
	var s testSpec
	if err := json.Unmarshal(o.Spec, &s); err != nil {
		t.Fatalf("%s/%s spec: %v", o.Kind, o.Metadata.Name, err)
	}
	return s
}

// TestEveryKindLifecycle drives each writable kind through create,
// watch, a stale update (conflict), an update, a status update and a
// delete, over HTTP.
func TestEveryKindLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	for _, kind := range model.Kinds() {
		if kind == model.KindEvent {
			continue
		}
		t.Run(string(kind), func(t *testing.T) {
			_, rev, err := f.client.List(ctx, kind)
			if err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			events, err := f.client.Watch(wctx, kind, rev)
			if err != nil {
				t.Fatal(err)
			}
			next := func() api.WatchEvent {
				t.Helper()
				for {
					select {
					case ev := <-events:
						if ev.Type != api.WatchBookmark {
							return ev
						}
					case <-time.After(10 * time.Second):
						t.Fatal("no watch event")
					}
				}
			}

			created, err := f.client.Create(ctx, obj(kind, "one", testSpec{Size: 1}))
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if created.Metadata.Generation != 1 || created.Metadata.ResourceVersion == "" || created.Metadata.CreationTimestamp.IsZero() {
				t.Errorf("create metadata %+v", created.Metadata)
			}
			if spec(t, created).ID == 0 {
				t.Error("create did not allocate spec.id")
			}
			if ev := next(); ev.Type != api.WatchAdded || ev.Object.Metadata.Name != "one" {
				t.Errorf("watch after create: %+v", ev)
			}
			if _, err := f.client.Create(ctx, obj(kind, "one", testSpec{Size: 1})); !errors.Is(err, api.ErrConflict) {
				t.Errorf("second create: %v, want a conflict", err)
			}

			v1 := parseVersion(t, created)
			upd := obj(kind, "one", testSpec{Size: 2, ID: spec(t, created).ID})
			upd.Metadata.ResourceVersion = created.Metadata.ResourceVersion
			updated, err := f.client.Update(ctx, upd, 0)
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if updated.Metadata.Generation != 2 || spec(t, updated).Size != 2 {
				t.Errorf("updated %+v", updated)
			}
			if ev := next(); ev.Type != api.WatchModified || spec(t, *ev.Object).Size != 2 {
				t.Errorf("watch after update: %+v", ev)
			}

			// The version read before the update is now stale.
			stale := obj(kind, "one", testSpec{Size: 3})
			_, err = f.client.Update(ctx, stale, v1)
			var ae *api.Error
			if !errors.As(err, &ae) || !errors.Is(err, api.ErrConflict) || ae.ResourceVersion != updated.Metadata.ResourceVersion {
				t.Fatalf("stale update: %v, want a conflict naming version %s", err, updated.Metadata.ResourceVersion)
			}
			if got, _ := f.client.Get(ctx, kind, "one"); spec(t, got).Size != 2 {
				t.Errorf("stale update changed the resource: %s", got.Spec)
			}

			st := updated
			st.Status = json.RawMessage(`{"ready":true}`)
			st.Spec = json.RawMessage(`{"size":99}`) // ignored by the status subresource
			withStatus, err := f.client.UpdateStatus(ctx, st, parseVersion(t, updated))
			if err != nil {
				t.Fatalf("status: %v", err)
			}
			if string(withStatus.Status) != `{"ready":true}` || spec(t, withStatus).Size != 2 || withStatus.Metadata.Generation != 2 {
				t.Errorf("status update gave %+v", withStatus)
			}
			if ev := next(); ev.Type != api.WatchModified || string(ev.Object.Status) != `{"ready":true}` {
				t.Errorf("watch after status: %+v", ev)
			}
			// A spec update keeps the status.
			again, err := f.client.Update(ctx, obj(kind, "one", testSpec{Size: 4, ID: 1}), 0)
			if err != nil || string(again.Status) != `{"ready":true}` {
				t.Errorf("update after status: %v %+v", err, again)
			}
			next()

			if _, err := f.client.Delete(ctx, kind, "one", v1); !errors.Is(err, api.ErrConflict) {
				t.Errorf("stale delete: %v, want a conflict", err)
			}
			if _, err := f.client.Delete(ctx, kind, "one", parseVersion(t, again)); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if ev := next(); ev.Type != api.WatchDeleted || ev.Object.Metadata.Name != "one" {
				t.Errorf("watch after delete: %+v", ev)
			}
			if _, err := f.client.Get(ctx, kind, "one"); !errors.Is(err, api.ErrNotFound) {
				t.Errorf("get after delete: %v", err)
			}
		})
	}
}

func parseVersion(t *testing.T, o model.Object) int64 {
	t.Helper()
	var v int64
	if _, err := fmt.Sscan(o.Metadata.ResourceVersion, &v); err != nil {
		t.Fatalf("resourceVersion %q", o.Metadata.ResourceVersion)
	}
	return v
}

func do(t *testing.T, method, url, token, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestUnauthenticated(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ method, path, token, body string }{
		{"POST", "/v1/hosts", "", `{"kind":"Host","metadata":{"name":"h"},"spec":{}}`},
		{"POST", "/v1/hosts", "wrong-token-0123456789abcdef", `{"kind":"Host","metadata":{"name":"h"},"spec":{}}`},
		{"PUT", "/v1/hosts/h", "", `{}`},
		{"DELETE", "/v1/hosts/h", "", ``},
		{"POST", "/v1/apply", "", `{"items":[]}`},
		{"GET", "/v1/hosts", "", ``},
		{"GET", "/v1/backup", "", ``},
	} {
		resp, body := do(t, tc.method, f.srv.URL+tc.path, tc.token, tc.body)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s %s token %q: %d %s", tc.method, tc.path, tc.token, resp.StatusCode, body)
		}
	}
	if _, err := f.st.Get(t.Context(), model.Key(model.KindHost, "h")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unauthenticated write reached the store: %v", err)
	}
	// Health and metrics are open.
	for _, p := range []string{"/healthz", "/metrics"} {
		if resp, _ := do(t, "GET", f.srv.URL+p, "", ""); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

func TestAnonymousReads(t *testing.T) {
	st := memstore.New(memstore.Options{})
	defer st.Close()
	ctrl, err := controller.New(controller.Config{Store: st, Rules: testRules(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	as, err := api.NewServer(api.Config{Backend: ctrl, Token: testToken, AnonymousReads: true, Logger: quiet,
		Backup: func(ctx context.Context, w io.Writer) (store.BackupInfo, error) { return store.Backup(ctx, st, w) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(as)
	defer srv.Close()
	if resp, b := do(t, "GET", srv.URL+"/v1/hosts", "", ""); resp.StatusCode != 200 {
		t.Errorf("anonymous list: %d %s", resp.StatusCode, b)
	}
	for _, tc := range []struct{ method, path string }{{"GET", "/v1/backup"}, {"POST", "/v1/hosts"}, {"DELETE", "/v1/hosts/x"}} {
		if resp, b := do(t, tc.method, srv.URL+tc.path, "", `{}`); resp.StatusCode != 401 {
			t.Errorf("anonymous %s %s: %d %s", tc.method, tc.path, resp.StatusCode, b)
		}
	}
}

func TestProblemShape(t *testing.T) {
	f := newFixture(t)
	tok := testToken
	if _, err := f.client.Create(t.Context(), obj(model.KindHost, "h1", testSpec{Unique: "u"})); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		fields                   []api.FieldError
	}{
		{"field rule", "POST", "/v1/virtualnetworks", `{"kind":"VirtualNetwork","metadata":{"name":"v"},"spec":{"size":-1}}`,
			422, []api.FieldError{{Detail: "VirtualNetwork/v spec.size: -1 is negative"}}},
		{"cross-resource", "POST", "/v1/" + model.KindMux.Plural(), `{"metadata":{"name":"m"},"spec":{"unique":"u","host":"nope"}}`,
			422, []api.FieldError{{Detail: `Mux/m spec.unique: "u" already used by Host/h1`}, {Detail: `Mux/m spec.host: no Host "nope"`}}},
		{"unknown field", "POST", "/v1/hosts", `{"metadata":{"name":"x"},"spek":{}}`, 400, nil},
		{"trailing data", "POST", "/v1/hosts", `{"metadata":{"name":"x"}} {}`, 400, nil},
		{"wrong kind", "POST", "/v1/hosts", `{"kind":"Mux","metadata":{"name":"x"}}`, 400, nil},
		{"bad name", "POST", "/v1/hosts", `{"metadata":{"name":"a\u0001"}}`, 400, nil},
		{"name mismatch", "PUT", "/v1/hosts/h1", `{"metadata":{"name":"h2"}}`, 400, nil},
		{"missing", "GET", "/v1/hosts/none", ``, 404, nil},
		{"no such kind", "GET", "/v1/widgets", ``, 404, nil},
		{"events are read-only", "POST", "/v1/events", `{}`, 405, nil},
		{"method", "PATCH", "/v1/hosts/h1", `{}`, 405, nil},
		{"apply kind spelt in lower case", "POST", "/v1/apply", `{"items":[{"kind":"host","metadata":{"name":"h2"},"spec":{"unique":"w"}}]}`,
			400, []api.FieldError{{Field: "items[0]", Detail: `sdnfabric.io/v1 "host" is not a resource kind this API accepts`}}},
		{"apply without kind", "POST", "/v1/apply", `{"items":[{"metadata":{"name":"h2"}}]}`, 400, nil},
		{"too large", "POST", "/v1/hosts", `{"metadata":{"name":"x"},"spec":{"pad":"` + strings.Repeat("a", api.DefaultMaxObjectBytes) + `"}}`, 413, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, tc.method, f.srv.URL+tc.path, tok, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != api.ProblemContentType {
				t.Errorf("Content-Type %q", ct)
			}
			var p map[string]any
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("problem body %q: %v", body, err)
			}
			for _, k := range []string{"type", "title", "status", "detail"} {
				if _, ok := p[k]; !ok {
					t.Errorf("problem lacks %q: %s", k, body)
				}
			}
			if p["status"] != float64(tc.status) || !strings.HasPrefix(p["type"].(string), api.ProblemTypeBase) {
				t.Errorf("problem %s", body)
			}
			if tc.fields != nil {
				var typed api.Problem
				json.Unmarshal(body, &typed)
				if diff := cmp.Diff(tc.fields, typed.Errors); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
			}
		})
	}
	// Nothing invalid reached the store; the refusals are in the event log.
	for _, k := range []model.Kind{model.KindVirtualNetwork, model.KindMux} {
		if items, _, _ := f.client.List(t.Context(), k); len(items) != 0 {
			t.Errorf("%s holds %d resources after refused writes", k, len(items))
		}
	}
	evs, _, err := f.client.List(t.Context(), model.KindEvent)
	if err != nil {
		t.Fatal(err)
	}
	var warnings int
	for _, e := range evs {
		var s model.EventSpec
		json.Unmarshal(e.Spec, &s)
		if s.Type == model.EventWarning && s.Reason == "ValidationFailed" {
			warnings++
		}
	}
	if warnings != 2 {
		t.Errorf("%d ValidationFailed events, want 2", warnings)
	}
}

func TestIfMatch(t *testing.T) {
	f := newFixture(t)
	created, err := f.client.Create(t.Context(), obj(model.KindHost, "h", testSpec{}))
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := do(t, "GET", f.srv.URL+"/v1/hosts/h", testToken, "")
	etag := resp.Header.Get("ETag")
	if etag != `"`+created.Metadata.ResourceVersion+`"` {
		t.Fatalf("ETag %q for version %s", etag, created.Metadata.ResourceVersion)
	}
	body := `{"metadata":{"name":"h"},"spec":{"size":5}}`
	if resp, b := do(t, "PUT", f.srv.URL+"/v1/hosts/h", testToken, body, "If-Match", etag); resp.StatusCode != 200 {
		t.Fatalf("PUT with If-Match: %d %s", resp.StatusCode, b)
	}
	if resp, b := do(t, "PUT", f.srv.URL+"/v1/hosts/h", testToken, body, "If-Match", etag); resp.StatusCode != 409 {
		t.Errorf("PUT with a stale If-Match: %d %s", resp.StatusCode, b)
	}
	if resp, b := do(t, "PUT", f.srv.URL+"/v1/hosts/h", testToken,
		`{"metadata":{"name":"h","resourceVersion":"1"}}`, "If-Match", `"2"`); resp.StatusCode != 400 {
		t.Errorf("If-Match and resourceVersion differing: %d %s", resp.StatusCode, b)
	}
	if resp, b := do(t, "DELETE", f.srv.URL+"/v1/hosts/h", testToken, "", "If-Match", etag); resp.StatusCode != 409 {
		t.Errorf("DELETE with a stale If-Match: %d %s", resp.StatusCode, b)
	}
}

func TestApplyAllOrNothing(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	good := []model.Object{
		obj(model.KindHost, "h1", testSpec{Unique: "a"}),
		obj(model.KindNetworkInterface, "n1", testSpec{Host: "h1"}),
	}
	out, rev, err := f.client.Apply(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Metadata.ResourceVersion != out[1].Metadata.ResourceVersion || out[0].Metadata.ResourceVersion != fmt.Sprint(rev) {
		t.Fatalf("apply result %+v at %d: want both at the commit's revision", out, rev)
	}
	// One bad object refuses the whole batch.
	bad := []model.Object{
		obj(model.KindHost, "h2", testSpec{}),
		obj(model.KindHost, "h1", testSpec{Unique: "b"}),
		obj(model.KindNetworkInterface, "n2", testSpec{Host: "h3"}),
	}
	if _, _, err := f.client.Apply(ctx, bad); !errors.Is(err, api.ErrInvalid) {
		t.Fatalf("bad batch: %v", err)
	}
	if _, err := f.client.Get(ctx, model.KindHost, "h2"); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("a refused batch created h2: %v", err)
	}
	if h1, _ := f.client.Get(ctx, model.KindHost, "h1"); spec(t, h1).Unique != "a" {
		t.Errorf("a refused batch updated h1: %s", h1.Spec)
	}
	// A stale version anywhere refuses the batch.
	stale := obj(model.KindHost, "h1", testSpec{Unique: "c"})
	stale.Metadata.ResourceVersion = "1"
	if _, err := f.client.Update(ctx, obj(model.KindHost, "h1", testSpec{Unique: "a", Size: 1}), 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.client.Apply(ctx, []model.Object{obj(model.KindHost, "h4", testSpec{}), stale}); !errors.Is(err, api.ErrConflict) {
		t.Errorf("stale batch: %v", err)
	}
	// Deleting h1 would leave n1 dangling.
	if _, err := f.client.Delete(ctx, model.KindHost, "h1", 0); !errors.Is(err, api.ErrInvalid) {
		t.Errorf("delete of a referenced host: %v", err)
	}
	// Re-applying a batch keeps allocations and changes only what differs.
	again, rev2, err := f.client.Apply(ctx, good)
	if err != nil || again[0].Metadata.Generation != 3 || again[1].Metadata.Generation != 1 ||
		spec(t, again[1]).ID != spec(t, out[1]).ID || again[1].Metadata.ResourceVersion != out[1].Metadata.ResourceVersion ||
		again[0].Metadata.ResourceVersion != fmt.Sprint(rev2) {
		t.Errorf("re-apply: %v %+v", err, again)
	}
	if _, rev3, err := f.client.Apply(ctx, good); err != nil || rev3 != 0 {
		t.Errorf("applying an unchanged batch: revision %d, %v; want 0", rev3, err)
	}
	dup := []model.Object{obj(model.KindHost, "x", testSpec{}), obj(model.KindHost, "x", testSpec{})}
	if _, _, err := f.client.Apply(ctx, dup); !errors.Is(err, api.ErrBadRequest) {
		t.Errorf("duplicate in a batch: %v", err)
	}
}

func TestWatchInitialListAndCompaction(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	for _, n := range []string{"a", "b"} {
		if _, err := f.client.Create(ctx, obj(model.KindHost, n, testSpec{})); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/v1/hosts?watch=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Header.Set("Authorization", "Bearer "+testToken)
	r, err := http.DefaultClient.Do(resp)
	if err != nil {
		t.Fatal(err)
	}
	if ct := r.Header.Get("Content-Type"); ct != api.WatchContentType {
		t.Errorf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(r.Body)
	var names []string
	for range 2 {
		if !sc.Scan() {
			t.Fatal("stream ended")
		}
		var ev api.WatchEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Type != api.WatchAdded {
			t.Fatalf("event %s: %v", sc.Bytes(), err)
		}
		names = append(names, ev.Object.Metadata.Name)
	}
	if diff := cmp.Diff([]string{"a", "b"}, names); diff != "" {
		t.Errorf("initial events (-want +got):\n%s", diff)
	}
	// Closing the server ends the stream cleanly.
	f.api.Close()
	for sc.Scan() {
	}
	r.Body.Close()

	// A watch from a compacted revision is refused with 410 Gone (or
	// ends with an ERROR event saying so).
	if err := f.st.(store.Compactor).Compact(ctx, 2); err != nil {
		t.Fatal(err)
	}
	events, err := f.client.Watch(ctx, model.KindHost, 1)
	if err == nil {
		ev := <-events
		err = ev.Err
	}
	if !errors.Is(err, api.ErrGone) {
		t.Errorf("watch from a compacted revision: %v, want ErrGone", err)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	f.client.Create(t.Context(), obj(model.KindHost, "h", testSpec{}))
	f.client.Create(t.Context(), obj(model.KindHost, "h", testSpec{}))
	resp, body := do(t, "GET", f.srv.URL+"/metrics", "", "")
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	for _, want := range []string{
		`fabric_api_requests_total{method="POST",code="201"} 1`,
		`fabric_api_requests_total{method="POST",code="409"} 1`,
		`fabric_resources{kind="Host"} 1`,
		`fabric_resources{kind="Event"} 2`,
		`fabric_store_ops_total{op="apply",result="ok"}`,
		`fabric_controller_commits_total{verb="create",result="conflict"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

func TestBackupEndpoint(t *testing.T) {
	f := newFixture(t)
	f.client.Create(t.Context(), obj(model.KindHost, "h", testSpec{}))
	var b strings.Builder
	if err := f.client.Backup(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	dst := memstore.New(memstore.Options{})
	defer dst.Close()
	info, err := store.Restore(t.Context(), dst, strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Get(t.Context(), model.Key(model.KindHost, "h")); err != nil || info.Keys < 2 {
		t.Errorf("restored backup: %v %+v", err, info)
	}
}

// The whole state (/v1/state) lists every kind but events from one
// snapshot, and streams their changes in revision order.
func TestStateListAndWatch(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	if _, _, err := f.client.Apply(ctx, []model.Object{obj(model.KindHost, "h", testSpec{}), obj(model.KindMux, "m", testSpec{})}); err != nil {
		t.Fatal(err)
	}
	objs, rev, err := f.client.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, string(o.Kind)+"/"+o.Metadata.Name)
	}
	if diff := cmp.Diff([]string{"Host/h", "Mux/m"}, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	events, err := f.client.Watch(ctx, "", rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.Create(ctx, obj(model.KindGateway, "g", testSpec{})); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.Delete(ctx, model.KindMux, "m", 0); err != nil {
		t.Fatal(err)
	}
	got = nil
	for len(got) < 2 {
		select {
		case ev := <-events:
			if ev.Type != api.WatchBookmark {
				got = append(got, fmt.Sprintf("%s %s/%s", ev.Type, ev.Object.Kind, ev.Object.Metadata.Name))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("events so far %v", got)
		}
	}
	if diff := cmp.Diff([]string{"ADDED Gateway/g", "DELETED Mux/m"}, got); diff != "" {
		t.Errorf("state watch (-want +got):\n%s", diff)
	}
}
