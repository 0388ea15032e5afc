package tap_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/sdnfabric/sdnfabric/offload/tap"
)

func ExampleOffload() {
	want := tap.OffloadCsum | tap.OffloadTSO4 | tap.OffloadTSO6
	fmt.Println(want)
	// An offload other than csum without csum is refused before any
	// system call.
	_, err := tap.Open(tap.Config{Name: "tap0", Offload: tap.OffloadTSO4})
	fmt.Println(errors.Is(err, tap.ErrConfig))
	// Output:
	// csum|tso4|tso6
	// true
}

// A forwarding loop: read super-packets with their virtio-net headers and
// write them to another device. Needs CAP_NET_ADMIN, so it is not run.
func ExampleOpen() {
	a, err := tap.Open(tap.Config{Name: "tapa", Offload: tap.OffloadCsum | tap.OffloadTSO4 | tap.OffloadTSO6})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	b, err := tap.Open(tap.Config{Name: "tapb"})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	buf := make([]byte, tap.ReadBufferSize)
	for {
		h, frame, err := a.ReadPacket(buf)
		if err != nil {
			log.Fatal(err)
		}
		// A TAP device accepts GSO packets and partial checksums.
		if err := b.WritePacket(h, frame); err != nil {
			log.Print(err)
		}
	}
}
