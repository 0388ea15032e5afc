package lpm

import (
	"net/netip"
	"testing"
)

// FuzzTableOps reads a byte stream as a sequence of operations and checks
// the table against the naive model after each one. Each operation takes
// 4 bytes: op (insert, delete, lookup, get), family and prefix length,
// and an address built from the next bytes, padded with a fixed pattern
// so that short inputs still produce nested, overlapping prefixes.
func FuzzTableOps(f *testing.F) {
	f.Add([]byte{0, 0x08, 10, 0, 2, 0x08, 10, 1})
	f.Add([]byte{0, 0x18, 192, 168, 0, 0x20, 192, 168, 1, 0x18, 192, 168, 2, 0x20, 192, 168})
	f.Add([]byte{0, 0xb0, 0x20, 0x01, 0, 0xa0, 0x20, 0x01, 2, 0xff, 0x20, 0x01, 1, 0xb0, 0x20, 0x01})
	f.Add([]byte{0, 0x00, 0, 0, 0, 0x80, 0, 0, 2, 0x80, 0xff, 0xff, 3, 0x00, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 0 && ops[0]&0x40 != 0 {
			withIndexThreshold(t, 0) // with the indexes from the start
		}
		if len(ops) > 0 && ops[0]&0x20 != 0 {
			withBucketSize(t, 2) // IPv6 buckets split at the third prefix
		}
		var tab Table[int]
		m := model{}
		for i := 0; i+4 <= len(ops) && i < 4*500; i += 4 {
			op, fb := ops[i], ops[i+1]
			is4 := fb&0x80 == 0
			b := []byte{ops[i+2], ops[i+3], 0x5a, 0xa5, 0x0f, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
			var a netip.Addr
			if is4 {
				a = netip.AddrFrom4([4]byte(b[:4]))
			} else {
				a = netip.AddrFrom16([16]byte(b))
			}
			p, _ := a.Prefix(int(fb&0x7f) % (a.BitLen() + 1))
			switch op % 4 {
			case 0:
				tab.Insert(p, i)
				m[p] = i
			case 1:
				_, had := m[p]
				delete(m, p)
				if tab.Delete(p) != had {
					t.Fatalf("Delete(%v) disagrees with the model (present: %v)", p, had)
				}
			case 2:
				wp, wv, wok := m.lookup(a)
				if gp, gv, gok := tab.LookupPrefix(a); gp != wp || gv != wv || gok != wok {
					t.Fatalf("LookupPrefix(%v) = %v %v %v, want %v %v %v", a, gp, gv, gok, wp, wv, wok)
				}
			case 3:
				wv, wok := m[p]
				if gv, gok := tab.Get(p); gv != wv || gok != wok {
					t.Fatalf("Get(%v) = %v %v, want %v %v", p, gv, gok, wv, wok)
				}
			}
			if tab.Len() != len(m) {
				t.Fatalf("Len = %d, want %d", tab.Len(), len(m))
			}
		}
	})
}
