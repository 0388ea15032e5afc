package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

func TestOpEvent(t *testing.T) {
	old := store.KV{Key: "/k", Value: []byte("a"), CreateRevision: 3, ModRevision: 5}
	for _, tc := range []struct {
		name   string
		op     store.Op
		cur    store.KV
		exists bool
		want   store.Event
	}{
		{"create", store.PutOp("/k", []byte("b"), store.MustNotExist), store.KV{}, false,
			store.Event{Type: store.EventPut, KV: store.KV{Key: "/k", Value: []byte("b"), CreateRevision: 7, ModRevision: 7}}},
		{"update keeps create revision", store.PutOp("/k", []byte("b"), 5), old, true,
			store.Event{Type: store.EventPut, KV: store.KV{Key: "/k", Value: []byte("b"), CreateRevision: 3, ModRevision: 7}}},
		{"nil value is empty", store.PutOp("/k", nil, store.Any), store.KV{}, false,
			store.Event{Type: store.EventPut, KV: store.KV{Key: "/k", Value: []byte{}, CreateRevision: 7, ModRevision: 7}}},
		{"delete", store.DeleteOp("/k", store.Any), old, true,
			store.Event{Type: store.EventDelete, KV: store.KV{Key: "/k", ModRevision: 7}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.op.Event(7, tc.cur, tc.exists)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Event (-want +got):\n%s", diff)
			}
			if tc.op.Type == store.OpPut && len(tc.op.Value) > 0 && &got.KV.Value[0] == &tc.op.Value[0] {
				t.Error("Event shares the op's value; want a copy")
			}
		})
	}
}
