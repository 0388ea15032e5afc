package model

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzDecode feeds arbitrary files to Decode: it never panics, and what it
// accepts survives a YAML and a JSON round trip unchanged and can be
// allocated and validated without panicking.
func FuzzDecode(f *testing.F) {
	seed, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	if objs, err := Decode(seed); err == nil {
		var buf bytes.Buffer
		if EncodeJSON(&buf, objs) == nil {
			f.Add(buf.Bytes())
		}
	}
	f.Add([]byte(hostYAML))
	f.Add([]byte("a: &a [1]\nb: *a\n"))
	f.Add([]byte(`{"apiVersion":"sdnfabric.io/v1","kind":"Event","metadata":{"name":"e","creationTimestamp":"2026-01-02T03:04:05Z"},"spec":{"time":"2026-01-02T03:04:05Z"}}`))
	f.Add([]byte("apiVersion: sdnfabric.io/v1\nkind: Host\nmetadata: {name: h, labels: {yes: no, '1': 2.5}}\nstatus: {counters: {a: 1}}\n"))
	f.Add([]byte("---\n---\n- apiVersion: sdnfabric.io/v1\n  kind: Mux\n  metadata: {name: m}\n"))
	// A host's DIP health, and entries that validation refuses: no VNI,
	// no DIP, twice in one VNI.
	f.Add([]byte("apiVersion: sdnfabric.io/v1\nkind: Host\nmetadata: {name: h}\nstatus: {health: [{vni: 5001, dip: 10.1.0.4, up: true, since: '2026-11-22T03:40:00Z'}, " +
		"{dip: 10.1.0.5, up: false}, {vni: 5001, busy: true}, {vni: 5001, dip: 10.1.0.4, up: false}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Decode(data)
		if err != nil {
			return
		}
		opts := cmp.Options{cmpopts.EquateEmpty()}
		var y, j bytes.Buffer
		if err := EncodeYAML(&y, objs); err != nil {
			t.Fatalf("EncodeYAML: %v", err)
		}
		back, err := Decode(y.Bytes())
		if err != nil {
			t.Fatalf("decoding our YAML: %v\n%s", err, y.Bytes())
		}
		if diff := cmp.Diff(objs, back, opts); diff != "" {
			t.Fatalf("YAML round trip (-want +got):\n%s", diff)
		}
		if err := EncodeJSON(&j, objs); err != nil {
			t.Fatalf("EncodeJSON: %v", err)
		}
		back, err = Decode(j.Bytes())
		if err != nil && len(objs) > 0 {
			t.Fatalf("decoding our JSON: %v\n%s", err, j.Bytes())
		}
		if diff := cmp.Diff(objs, back, opts); diff != "" && len(objs) > 0 {
			t.Fatalf("JSON round trip (-want +got):\n%s", diff)
		}
		_ = ValidateState(objs)
		_ = AllocateAll(objs)
		_, _ = NewState(objs)
	})
}
