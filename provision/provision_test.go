package provision

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { c.t = c.t.Add(time.Second); return c.t }

var golden = Image{Name: "web-2016", Kind: Generalized}

func newCatalog(t interface{ Fatal(...any) }, subnet string) *Catalog {
	c, err := NewCatalog(CatalogConfig{
		Name: "web", Image: golden, Scheme: "WEB-###",
		Subnet:    netip.MustParsePrefix(subnet),
		Reserved:  []netip.Addr{netip.MustParseAddr("10.99.0.1")},
		MACPrefix: 0x5e10,
		Clock:     &fixedClock{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCaptureRefusesDataDisks(t *testing.T) {
	_, err := Capture("master", CaptureSource{Machine: "vm1", Sysprepped: true, DataDisks: []string{"data0"}})
	var ie *ImageError
	if !errors.Is(err, ErrDataDisksAttached) || !errors.As(err, &ie) || ie.Op != "capture" {
		t.Fatalf("got %v", err)
	}
	im, err := Capture("snap", CaptureSource{Machine: "vm1"})
	if err != nil || im.Kind != Specialized {
		t.Fatalf("got %v %v", im, err)
	}
}

func TestSpecializedImageRefused(t *testing.T) {
	_, err := NewCatalog(CatalogConfig{Image: Image{Name: "snap", Kind: Specialized}, Scheme: "WEB-###", Subnet: netip.MustParsePrefix("10.99.0.0/24")})
	if !errors.Is(err, ErrSpecializedImage) || !strings.Contains(err.Error(), "point-in-time snapshot") {
		t.Fatalf("got %v", err)
	}
}

func TestLifecycleTable(t *testing.T) {
	c := &fixedClock{}
	in := NewInstance("WEB-001", 1, MAC{2}, netip.MustParseAddr("10.99.0.2"), c.Now())
	for _, s := range []State{Cloning, Specializing, FirstLogon, Busy, Ready} {
		if err := in.To(s, c.Now()); err != nil {
			t.Fatal(err)
		}
	}
	err := in.To(Cloning, c.Now())
	var te *TransitionError
	if !errors.Is(err, ErrIllegalTransition) || !errors.As(err, &te) || te.From != Ready || te.To != Cloning {
		t.Fatalf("got %v", err)
	}
	if in.State() != Ready {
		t.Fatalf("state changed on illegal transition: %v", in.State())
	}
	if err := in.Fail("disk full", c.Now()); err != nil || in.Reason() != "disk full" {
		t.Fatal(err, in.Reason())
	}
	h := in.History()
	if len(h) != 7 || !h[len(h)-1].At.After(h[0].At) {
		t.Fatalf("history %v", h)
	}
	if err := in.To(Deleted, c.Now()); err != nil {
		t.Fatal(err)
	}
	for s := Requested; s <= Deleted; s++ {
		if CanTransition(Deleted, s) {
			t.Errorf("Deleted -> %v allowed", s)
		}
	}
}

func TestNamingScheme(t *testing.T) {
	ns, err := ParseNamingScheme("WEB-###")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := ns.Name(7); n != "WEB-007" {
		t.Fatal(n)
	}
	if _, err := ns.Name(1000); !errors.Is(err, ErrPoolExhausted) {
		t.Fatal(err)
	}
	for _, bad := range []string{"WEB", "W#B#", "WEB_###", "-WEB##", "VERYLONGNAME-####"} {
		if _, err := ParseNamingScheme(bad); !errors.Is(err, ErrBadScheme) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestIPPoolSkipsNetworkBroadcastReserved(t *testing.T) {
	p, _ := NewIPPool(netip.MustParsePrefix("10.99.0.0/30"), netip.MustParseAddr("10.99.0.1"))
	a, err := p.Allocate()
	if err != nil || a != netip.MustParseAddr("10.99.0.2") {
		t.Fatal(a, err)
	}
	if _, err := p.Allocate(); !errors.Is(err, ErrPoolExhausted) {
		t.Fatal(err)
	}
	p6, _ := NewIPPool(netip.MustParsePrefix("fd00:99::/64"))
	if a, _ := p6.Allocate(); a != netip.MustParseAddr("fd00:99::1") {
		t.Fatal(a)
	}
}

func TestStaticMACs(t *testing.T) {
	static := MAC{0x00, 0x15, 0x5d, 1, 2, 3}
	c, err := NewCatalog(CatalogConfig{Image: golden, Scheme: "WEB-###", Subnet: netip.MustParsePrefix("10.99.0.0/24"), StaticMACs: map[string]MAC{"WEB-002": static}})
	if err != nil {
		t.Fatal(err)
	}
	added, _, err := c.Scale(3)
	if err != nil {
		t.Fatal(err)
	}
	if added[1].MAC != static || !added[0].MAC.IsLocal() || added[0].MAC.IsMulticast() {
		t.Fatalf("%v %v", added[1].MAC, added[0].MAC)
	}
	if _, err := NewMACPool(0, map[string]MAC{"a": static, "b": static}); !errors.Is(err, ErrDuplicate) {
		t.Fatal(err)
	}
}

func TestParseMAC(t *testing.T) {
	m, err := ParseMAC("02:00:5E:10:00:01")
	if err != nil || m.String() != "02:00:5e:10:00:01" {
		t.Fatal(m, err)
	}
	for _, bad := range []string{"", "02:00:5e:10:00", "02:00:5e:10:00:0g", "02:00-5e:10:00:01"} {
		if _, err := ParseMAC(bad); !errors.Is(err, ErrBadMAC) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestScaleExhaustedKeepsState(t *testing.T) {
	c := newCatalog(t, "10.99.0.0/29") // 6 hosts, one reserved: 5 usable
	if _, _, err := c.Scale(5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Scale(6); !errors.Is(err, ErrPoolExhausted) {
		t.Fatal(err)
	}
	if c.Len() != 5 {
		t.Fatalf("len %d after failed scale", c.Len())
	}
}

// Property: through any sequence of scale operations, live instances
// never share a hostname, MAC or IP, and removed ones are Deleted.
func TestPropertyUniqueIdentities(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := newCatalog(t, "10.99.0.0/22")
		for _, n := range rapid.SliceOfN(rapid.IntRange(0, 300), 1, 8).Draw(t, "sizes") {
			_, removed, err := c.Scale(n)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range removed {
				if r.State() != Deleted {
					t.Fatalf("%s removed in %v", r.Name, r.State())
				}
			}
			names, macs, ips := map[string]bool{}, map[MAC]bool{}, map[netip.Addr]bool{}
			for in := range c.Instances() {
				if names[in.Name] || macs[in.MAC] || ips[in.Addr] {
					t.Fatalf("duplicate identity %s %s %s", in.Name, in.MAC, in.Addr)
				}
				names[in.Name], macs[in.MAC], ips[in.Addr] = true, true, true
			}
			if c.Len() != n {
				t.Fatalf("len %d want %d", c.Len(), n)
			}
		}
	})
}

func TestScaleDownRemovesHighest(t *testing.T) {
	c := newCatalog(t, "10.99.0.0/24")
	c.Scale(5)
	_, removed, _ := c.Scale(3)
	var got []string
	for _, r := range removed {
		got = append(got, r.Name)
	}
	if diff := cmp.Diff([]string{"WEB-005", "WEB-004"}, got); diff != "" {
		t.Fatal(diff)
	}
}

type flakyRotation struct{ failBusy, failReady bool }

func (f flakyRotation) SetBusy(context.Context, netip.Addr) error {
	if f.failBusy {
		return errors.New("host agent unreachable")
	}
	return nil
}

func (f flakyRotation) SetReady(context.Context, netip.Addr) error {
	if f.failReady {
		return errors.New("probe failed")
	}
	return nil
}

// Property: whatever fails (rotation, setup, or nothing), every instance
// ends Ready, or Failed with a reason, and Ready only via Busy.
func TestPropertyBringUpEndsReadyOrFailed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := newCatalog(t, "10.99.0.0/24")
		added, _, err := c.Scale(rapid.IntRange(1, 20).Draw(t, "n"))
		if err != nil {
			t.Fatal(err)
		}
		clock := &fixedClock{}
		for _, in := range added {
			for _, s := range []State{Cloning, Specializing, FirstLogon} {
				if err := in.To(s, clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			rot := flakyRotation{failBusy: rapid.Bool().Draw(t, "failBusy"), failReady: rapid.Bool().Draw(t, "failReady")}
			failSetup := rapid.Bool().Draw(t, "failSetup")
			BringUp(context.Background(), in, rot, clock, func(context.Context, *Instance) error {
				if failSetup {
					return errors.New("registration refused")
				}
				return nil
			})
			switch in.State() {
			case Ready:
				h := in.History()
				if h[len(h)-2].To != Busy {
					t.Fatalf("Ready not via Busy: %v", h)
				}
			case Failed:
				if in.Reason() == "" {
					t.Fatal("failed without reason")
				}
			default:
				t.Fatalf("ended in %v", in.State())
			}
		}
	})
}

func TestIPPoolReusesLowest(t *testing.T) {
	p, _ := NewIPPool(netip.MustParsePrefix("10.99.0.0/16"))
	var got []netip.Addr
	for range 5000 {
		a, err := p.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	p.Release(got[10])
	p.Release(got[3])
	for _, want := range []netip.Addr{got[3], got[10], got[4999].Next()} {
		if a, _ := p.Allocate(); a != want {
			t.Fatalf("got %v want %v", a, want)
		}
	}
	if _, err := NewIPPool(netip.MustParsePrefix("10.99.0.0/24"), netip.MustParseAddr("10.98.0.1")); !errors.Is(err, ErrBadSubnet) {
		t.Fatal(err)
	}
}

func TestCatalogInstanceLookup(t *testing.T) {
	c := newCatalog(t, "10.99.0.0/24")
	c.Scale(3)
	if in := c.Instance("WEB-002"); in == nil || in.Index != 2 {
		t.Fatal(in)
	}
	if c.Instance("WEB-009") != nil {
		t.Fatal("found a missing instance")
	}
}

func BenchmarkCatalogScale999(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c := newCatalog(b, "10.99.0.0/20")
		if _, _, err := c.Scale(999); err != nil {
			b.Fatal(err)
		}
	}
}

type countingRotation struct{ busy int }

func (r *countingRotation) SetBusy(context.Context, netip.Addr) error  { r.busy++; return nil }
func (r *countingRotation) SetReady(context.Context, netip.Addr) error { return nil }

func TestBringUpRefusesWrongState(t *testing.T) {
	c := &fixedClock{}
	in := NewInstance("WEB-001", 1, MAC{2}, netip.MustParseAddr("10.99.0.2"), c.Now())
	rot := &countingRotation{}
	err := BringUp(context.Background(), in, rot, c, func(context.Context, *Instance) error { return nil })
	if !errors.Is(err, ErrIllegalTransition) || rot.busy != 0 || in.State() != Requested {
		t.Fatalf("%v busy=%d state=%v", err, rot.busy, in.State())
	}
}
