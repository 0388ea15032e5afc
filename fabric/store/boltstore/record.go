package boltstore

import (
	"encoding/binary"
	"fmt"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// appendKV encodes the kv bucket value of kv.
func appendKV(dst []byte, kv store.KV) []byte {
	dst = binary.AppendUvarint(dst, uint64(kv.CreateRevision))
	dst = binary.AppendUvarint(dst, uint64(kv.ModRevision))
	return append(dst, kv.Value...)
}

// decodeKV decodes a kv bucket value; the value aliases b.
func decodeKV(key string, b []byte) (store.KV, error) {
	kv := store.KV{Key: key}
	var n int
	var err error
	if kv.CreateRevision, n, err = revision(b, 0, "create revision"); err != nil {
		return kv, corrupt(key, err)
	}
	off := n
	if kv.ModRevision, n, err = revision(b, off, "mod revision"); err != nil {
		return kv, corrupt(key, err)
	}
	off += n
	if kv.CreateRevision > kv.ModRevision {
		return kv, corrupt(key, fmt.Errorf("create revision %d after mod revision %d", kv.CreateRevision, kv.ModRevision))
	}
	kv.Value = b[off:]
	return kv, nil
}

// appendEvent encodes one event of a log entry.
func appendEvent(dst []byte, ev store.Event) []byte {
	dst = append(dst, byte(ev.Type))
	dst = binary.AppendUvarint(dst, uint64(len(ev.KV.Key)))
	dst = append(dst, ev.KV.Key...)
	dst = binary.AppendUvarint(dst, uint64(ev.KV.CreateRevision))
	dst = binary.AppendUvarint(dst, uint64(len(ev.KV.Value)))
	return append(dst, ev.KV.Value...)
}

// decodeEvents decodes the log entry of revision rev, calling yield for
// each event; values alias b. It stops early if yield returns false.
func decodeEvents(rev int64, b []byte, yield func(store.Event) bool) error {
	where := fmt.Sprintf("log revision %d", rev)
	for off := 0; off < len(b); {
		start := off
		t := store.EventType(b[off])
		if t != store.EventPut && t != store.EventDelete {
			return corrupt(where, fmt.Errorf("event type %d at offset %d", t, start))
		}
		off++
		key, n, err := chunk(b, off, store.MaxKeyLen, "key")
		if err != nil {
			return corrupt(where, err)
		}
		off += n
		create, n, err := revision(b, off, "create revision")
		if err != nil {
			return corrupt(where, err)
		}
		off += n
		value, n, err := chunk(b, off, store.MaxValueSize, "value")
		if err != nil {
			return corrupt(where, err)
		}
		off += n
		ev := store.Event{Type: t, KV: store.KV{Key: string(key), CreateRevision: create, ModRevision: rev}}
		if t == store.EventPut {
			if create > rev || create == 0 {
				return corrupt(where, fmt.Errorf("create revision %d of a put at offset %d", create, start))
			}
			ev.KV.Value = value
		} else if create != 0 || len(value) != 0 {
			return corrupt(where, fmt.Errorf("delete at offset %d carries a value", start))
		}
		if !yield(ev) {
			return nil
		}
	}
	return nil
}

// revision reads a uvarint revision at b[off:].
func revision(b []byte, off int, field string) (int64, int, error) {
	v, n := binary.Uvarint(b[off:])
	if n <= 0 || v > 1<<62 {
		return 0, 0, fmt.Errorf("bad %s at offset %d", field, off)
	}
	return int64(v), n, nil
}

// chunk reads a uvarint length, at most max, then that many bytes.
func chunk(b []byte, off, max int, field string) ([]byte, int, error) {
	l, n := binary.Uvarint(b[off:])
	if n <= 0 || l > uint64(max) || l > uint64(len(b)-off-n) {
		return nil, 0, fmt.Errorf("bad %s length at offset %d", field, off)
	}
	return b[off+n : off+n+int(l)], n + int(l), nil
}

func corrupt(where string, err error) error {
	return &store.Error{Op: "read", Key: where, Err: fmt.Errorf("%w: %w", store.ErrCorrupt, err)}
}

func be64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

func readBE64(b []byte, what string) (int64, error) {
	if b == nil {
		return 0, nil
	}
	if len(b) != 8 {
		return 0, corrupt("meta", fmt.Errorf("%s is %d bytes, want 8", what, len(b)))
	}
	return int64(binary.BigEndian.Uint64(b) & (1<<63 - 1)), nil
}
