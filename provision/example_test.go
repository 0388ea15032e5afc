package provision_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/provision"
)

type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time { c.t = c.t.Add(time.Second); return c.t }

type printRotation struct{}

func (printRotation) SetBusy(_ context.Context, a netip.Addr) error {
	fmt.Println("busy", a)
	return nil
}
func (printRotation) SetReady(_ context.Context, a netip.Addr) error {
	fmt.Println("ready", a)
	return nil
}

func Example() {
	clock := &stepClock{}
	img, err := provision.Capture("web-master", provision.CaptureSource{Machine: "build01", Sysprepped: true})
	if err != nil {
		panic(err)
	}
	cat, err := provision.NewCatalog(provision.CatalogConfig{
		Name: "web", Image: img, Scheme: "WEB-###",
		Subnet:   netip.MustParsePrefix("10.99.0.0/24"),
		Reserved: []netip.Addr{netip.MustParseAddr("10.99.0.1")},
		Clock:    clock,
	})
	if err != nil {
		panic(err)
	}
	added, _, _ := cat.Scale(2)
	for _, in := range added {
		fmt.Println(in.Name, in.MAC, in.Addr)
	}
	in := added[0]
	for _, s := range []provision.State{provision.Cloning, provision.Specializing, provision.FirstLogon} {
		in.To(s, clock.Now())
	}
	err = provision.BringUp(context.Background(), in, printRotation{}, clock, func(context.Context, *provision.Instance) error {
		fmt.Println("setup", in.Name, in.State())
		return nil
	})
	fmt.Println(in.State(), err, len(in.History()))

	_, err = provision.NewCatalog(provision.CatalogConfig{Image: provision.Image{Name: "snap", Kind: provision.Specialized}, Scheme: "WEB-###"})
	fmt.Println(err != nil)
	// Output:
	// WEB-001 02:00:00:00:00:00 10.99.0.2
	// WEB-002 02:00:00:00:00:01 10.99.0.3
	// busy 10.99.0.2
	// setup WEB-001 Busy
	// ready 10.99.0.2
	// Ready <nil> 6
	// true
}
