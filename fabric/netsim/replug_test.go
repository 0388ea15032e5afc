package netsim_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// TestReplug: after Replug, what the wire's end sends arrives at the new
// far end and what the new end sends arrives at it; the old far end can
// still reach it until it is closed. A switch port cannot be replugged.
func TestReplug(t *testing.T) {
	noLeak(t)
	vm, old := netsim.NewWire("w", netsim.WireConfig{})
	defer vm.Close()
	atVM, atOld := collector(vm, 10), collector(old, 10)
	vm.Send(ethernet(2, 1, 'a'))
	if got := recv(t, atOld); got[14] != 'a' {
		t.Fatalf("before Replug: old end got %q", got[14])
	}
	moved, err := vm.Replug("moved")
	if err != nil {
		t.Fatal(err)
	}
	defer moved.Close()
	if moved.Name() != "w.moved" {
		t.Errorf("new end named %q", moved.Name())
	}
	vm.Send(ethernet(2, 1, 'b')) // queued until the new end has a receiver
	atMoved := collector(moved, 10)
	if got := recv(t, atMoved); got[14] != 'b' {
		t.Fatalf("after Replug: new end got %q", got[14])
	}
	moved.Send(ethernet(1, 2, 'c'))
	if got := recv(t, atVM); got[14] != 'c' {
		t.Fatalf("from the new end: %q", got[14])
	}
	old.Send(ethernet(1, 2, 'd'))
	if got := recv(t, atVM); got[14] != 'd' {
		t.Fatalf("from the old end before it closed: %q", got[14])
	}
	old.Close()
	if old.Send(ethernet(1, 2, 'e')) {
		t.Error("a closed old end still sends")
	}
	if len(atOld) != 0 {
		t.Errorf("the old end got %d frames after Replug", len(atOld))
	}

	sw := netsim.NewSwitch("s", netsim.WireConfig{})
	defer sw.Close()
	if _, err := sw.Port("p").Replug("q"); !errors.Is(err, netsim.ErrNotWire) {
		t.Errorf("Replug of a switch port: %v, want ErrNotWire", err)
	}
}

// TestReplugWhileSending: a wire's end sends and receives without pause
// while its far end is replugged again and again and each old end closes
// (as hosts do during migrations); nothing races (go test -race), the last
// end gets what is sent after its Replug, and no goroutine is left.
func TestReplugWhileSending(t *testing.T) {
	noLeak(t)
	vm, first := netsim.NewWire("w", netsim.WireConfig{})
	defer vm.Close()
	vm.SetReceiver(func([]byte) {})
	first.SetReceiver(func([]byte) {})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				vm.Send(ethernet(2, 1, 'x'))
			}
		}
	})
	cur := first
	for i := range 20 {
		n, err := vm.Replug(fmt.Sprintf("h%d", i))
		if err != nil {
			t.Fatal(err)
		}
		n.SetReceiver(func([]byte) {})
		go cur.Send(ethernet(1, 2, 'y')) // the old end still reaches vm until it closes
		cur.Close()
		cur = n
	}
	close(stop)
	wg.Wait()
	defer cur.Close()
	got := make(chan []byte, 1)
	cur.SetReceiver(func(f []byte) {
		if f[14] == 'z' {
			select {
			case got <- bytes.Clone(f):
			default:
			}
		}
	})
	vm.Send(ethernet(2, 1, 'z'))
	recv(t, got)
}

// A VM's NIC (vm) keeps sending while its cable moves from one switch
// port (old) to another (moved).
func ExamplePort_Replug() {
	vm, old := netsim.NewWire("vm", netsim.WireConfig{})
	defer vm.Close()
	old.Close() // the old host unplugs its end
	moved, err := vm.Replug("host2")
	if err != nil {
		panic(err)
	}
	defer moved.Close()
	got := make(chan string, 1)
	moved.SetReceiver(func(frame []byte) { got <- string(frame[14:]) })
	vm.Send([]byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5, 'h', 'i'})
	fmt.Println(moved.Name(), <-got)
	// Output: vm.host2 hi
}
