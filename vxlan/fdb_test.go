package vxlan

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"pgregory.net/rapid"
)

// clock is a virtual clock for ageing tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{now: time.Unix(1_000_000, 0)} }

func mac(i int) header.MAC {
	return header.MAC{0x02, 0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
}

var (
	vtepA = netip.MustParseAddr("10.99.0.1")
	vtepB = netip.MustParseAddr("10.99.0.2")
	vtepC = netip.MustParseAddr("10.99.0.3")
)

func TestFDBAgeing(t *testing.T) {
	c := newClock()
	f := NewFDB(FDBConfig{Now: c.Now})
	if err := f.Learn(1, mac(1), vtepA); err != nil {
		t.Fatal(err)
	}
	f.Add(1, mac(2), vtepB)
	c.Advance(200 * time.Second)
	f.Learn(1, mac(1), vtepA) // refresh
	c.Advance(200 * time.Second)
	if r, ok := f.Lookup(1, mac(1)); !ok || r != vtepA {
		t.Fatalf("refreshed entry: %v %v", r, ok)
	}
	if n := f.Expire(); n != 0 {
		t.Fatalf("Expire removed %d, want 0", n)
	}
	c.Advance(101 * time.Second)
	if _, ok := f.Lookup(1, mac(1)); ok {
		t.Fatal("entry older than 300 s still returned")
	}
	if n := f.Expire(); n != 1 {
		t.Fatalf("Expire removed %d, want 1", n)
	}
	if r, ok := f.Lookup(1, mac(2)); !ok || r != vtepB {
		t.Fatal("static entry aged out")
	}
	s := f.Stats()
	if d := cmp.Diff(FDBStats{Entries: 1, Static: 1, Learned: 1, Aged: 1}, s); d != "" {
		t.Fatalf("stats (-want +got):\n%s", d)
	}
}

func TestFDBLearnRules(t *testing.T) {
	f := NewFDB(FDBConfig{AgeingTime: -1})
	f.Add(7, mac(1), vtepA)
	f.Learn(7, mac(1), vtepB) // static wins
	if r, _ := f.Lookup(7, mac(1)); r != vtepA {
		t.Fatalf("learning replaced a static entry: %v", r)
	}
	f.Learn(7, mac(2), vtepA)
	f.Learn(7, mac(2), vtepB) // move
	if r, _ := f.Lookup(7, mac(2)); r != vtepB || f.Stats().Moved != 1 {
		t.Fatalf("move: %v, stats %+v", r, f.Stats())
	}
	for _, m := range []header.MAC{header.BroadcastMAC, {0x01, 0, 0x5e, 0, 0, 1}, {}} {
		f.Learn(7, m, vtepC)
		if _, ok := f.Lookup(7, m); ok {
			t.Errorf("learned source %v", m)
		}
	}
	if _, ok := f.Lookup(8, mac(2)); ok {
		t.Error("entry leaked into another VNI")
	}
	if err := f.Learn(MaxVNI+1, mac(3), vtepA); !errors.Is(err, ErrBadValue) {
		t.Errorf("25-bit VNI: %v", err)
	}
	if err := f.Add(1, mac(3), netip.Addr{}); !errors.Is(err, ErrBadValue) {
		t.Errorf("invalid remote: %v", err)
	}
	if !f.Delete(7, mac(2)) || f.Delete(7, mac(2)) || f.Len(7) != 1 {
		t.Error("Delete")
	}
	if f.Expire() != 0 {
		t.Error("AgeingTime < 0 still ages")
	}
}

func TestFDBFloodList(t *testing.T) {
	f := NewFDB(FDBConfig{})
	for _, r := range []netip.Addr{vtepA, vtepB, vtepA, netip.MustParseAddr("::ffff:10.99.0.3")} {
		if err := f.Add(3, header.MAC{}, r); err != nil {
			t.Fatal(err)
		}
	}
	got := f.AppendFlood(nil, 3)
	if d := cmp.Diff([]netip.Addr{vtepA, vtepB, vtepC}, got, cmpNet); d != "" {
		t.Fatalf("flood list (-want +got):\n%s", d)
	}
	held := f.AppendFlood(make([]netip.Addr, 0, 4), 3)
	f.DeleteFlood(3, vtepB)
	if d := cmp.Diff([]netip.Addr{vtepA, vtepC}, f.AppendFlood(nil, 3), cmpNet); d != "" || held[1] != vtepB {
		t.Fatalf("after delete (-want +got):\n%s", d)
	}
	if f.Len(3) != 0 || len(f.AppendFlood(nil, 4)) != 0 {
		t.Error("flood list counted as MAC entries, or leaked to another VNI")
	}
	if f.DeleteFlood(3, vtepB) {
		t.Error("deleted twice")
	}
}

// A hostile flood of source MACs stops at MaxPerVNI: entries already held
// stay, the rest are refused with ErrFDBFull and counted, and other VNIs are
// unaffected.
func TestFDBLimit(t *testing.T) {
	c := newClock()
	f := NewFDB(FDBConfig{MaxPerVNI: 100, Now: c.Now})
	full := 0
	for i := range 10000 {
		err := f.Learn(5, mac(i), vtepA)
		var e *Error
		if errors.Is(err, ErrFDBFull) && errors.As(err, &e) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if f.Len(5) != 100 || full != 9900 || f.Stats().LimitDrop != 9900 {
		t.Fatalf("len %d, refused %d, stats %+v", f.Len(5), full, f.Stats())
	}
	if r, ok := f.Lookup(5, mac(0)); !ok || r != vtepA {
		t.Fatal("first entry lost")
	}
	if err := f.Learn(6, mac(0), vtepA); err != nil {
		t.Fatalf("other VNI: %v", err)
	}
	if err := f.Add(5, mac(20000), vtepA); !errors.Is(err, ErrFDBFull) {
		t.Fatalf("static beyond limit: %v", err)
	}
	c.Advance(301 * time.Second)
	f.Expire()
	if err := f.Learn(5, mac(20000), vtepB); err != nil || f.Len(5) != 1 {
		t.Fatalf("after ageing: %v, len %d", err, f.Len(5))
	}
}

// The FDB behaves as a plain map model under random operations.
func TestFDBModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := newClock()
		f := NewFDB(FDBConfig{MaxPerVNI: 8, Now: c.Now, AgeingTime: 10 * time.Second})
		type val struct {
			remote netip.Addr
			static bool
			seen   time.Time
		}
		model := map[fdbKey]val{}
		remotes := []netip.Addr{vtepA, vtepB, vtepC}
		count := func(vni VNI) int {
			n := 0
			for k := range model {
				if k.vni == vni {
					n++
				}
			}
			return n
		}
		for range rapid.IntRange(1, 60).Draw(t, "ops") {
			k := fdbKey{VNI(rapid.IntRange(1, 2).Draw(t, "vni")), mac(rapid.IntRange(1, 12).Draw(t, "mac"))}
			r := rapid.SampledFrom(remotes).Draw(t, "remote")
			switch rapid.IntRange(0, 4).Draw(t, "op") {
			case 0:
				err := f.Learn(k.vni, k.mac, r)
				v, ok := model[k]
				switch {
				case ok && v.static:
				case ok:
					model[k] = val{remote: r, seen: c.Now()}
				case count(k.vni) >= 8:
					if !errors.Is(err, ErrFDBFull) {
						t.Fatalf("learn into full VNI: %v", err)
					}
				default:
					model[k] = val{remote: r, seen: c.Now()}
				}
			case 1:
				err := f.Add(k.vni, k.mac, r)
				if _, ok := model[k]; ok || count(k.vni) < 8 {
					model[k] = val{remote: r, static: true}
				} else if !errors.Is(err, ErrFDBFull) {
					t.Fatalf("add into full VNI: %v", err)
				}
			case 2:
				_, ok := model[k]
				if f.Delete(k.vni, k.mac) != ok {
					t.Fatal("Delete disagrees with model")
				}
				delete(model, k)
			case 3:
				c.Advance(time.Duration(rapid.IntRange(0, 8).Draw(t, "sec")) * time.Second)
			case 4:
				f.Expire()
				for k, v := range model {
					if !v.static && c.Now().Sub(v.seen) > 10*time.Second {
						delete(model, k)
					}
				}
			}
			for vni := VNI(1); vni <= 2; vni++ {
				for i := 1; i <= 12; i++ {
					k := fdbKey{vni, mac(i)}
					v, ok := model[k]
					if ok && !v.static && c.Now().Sub(v.seen) > 10*time.Second {
						ok = false
					}
					r, got := f.Lookup(vni, k.mac)
					if got != ok || (ok && r != v.remote) {
						t.Fatalf("Lookup(%v, %v) = %v %v, model %v %v", vni, k.mac, r, got, v.remote, ok)
					}
				}
			}
		}
	})
}

func TestFDBConcurrent(t *testing.T) {
	f := NewFDB(FDBConfig{MaxPerVNI: 64})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				m := mac(i % 100)
				switch g {
				case 0:
					f.Learn(1, m, vtepA)
				case 1:
					f.Learn(1, m, vtepB)
				case 2:
					f.Lookup(1, m)
					f.AppendFlood(nil, 1)
				case 3:
					if i%50 == 0 {
						f.Expire()
						f.Add(1, header.MAC{}, vtepC)
						for range f.All() {
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if f.Len(1) > 64 {
		t.Fatalf("%d entries beyond the limit", f.Len(1))
	}
}

func ExampleFDB() {
	f := vxlanFDBForExample()
	r, ok := f.Lookup(100, header.MAC{0x02, 0, 0, 0, 0, 0x0b})
	fmt.Println(r, ok)
	fmt.Println(f.AppendFlood(nil, 100))
	// Output:
	// 192.0.2.2 true
	// [192.0.2.2 192.0.2.3]
}

func vxlanFDBForExample() *FDB {
	f := NewFDB(FDBConfig{})
	f.Add(100, header.MAC{}, netip.MustParseAddr("192.0.2.2")) // flood list
	f.Add(100, header.MAC{}, netip.MustParseAddr("192.0.2.3"))
	f.Learn(100, header.MAC{0x02, 0, 0, 0, 0, 0x0b}, netip.MustParseAddr("192.0.2.2"))
	return f
}
