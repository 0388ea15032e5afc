package netsim_test

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// ethernet returns a frame from src to dst carrying payload.
func ethernet(dst, src byte, payload ...byte) []byte {
	f := make([]byte, 14, 14+len(payload))
	f[0], f[6] = 0x02, 0x02 // locally administered unicast
	f[5], f[11] = dst, src
	if dst == 0xff {
		copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	}
	f[12], f[13] = 0x08, 0x00
	return append(f, payload...)
}

// collector receives frames into a channel, copying them.
func collector(p *netsim.Port, n int) chan []byte {
	ch := make(chan []byte, n)
	p.SetReceiver(func(f []byte) { ch <- bytes.Clone(f) })
	return ch
}

func recv(t *testing.T, ch chan []byte) []byte {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no frame delivered")
		return nil
	}
}

// noLeak fails the test if goroutines started during it are still running
// at its end.
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%d goroutines leaked", n-before)
		}
	})
}

func TestWireCarriesFramesInOrderBothWays(t *testing.T) {
	noLeak(t)
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	atB, atA := collector(b, 100), collector(a, 100)
	for i := range 50 {
		if !a.Send(ethernet(2, 1, byte(i))) {
			t.Fatalf("send %d dropped", i)
		}
		b.Send(ethernet(1, 2, byte(i)))
	}
	for i := range 50 {
		if got := recv(t, atB); got[14] != byte(i) {
			t.Fatalf("frame %d at b carries %d", i, got[14])
		}
		if got := recv(t, atA); got[14] != byte(i) {
			t.Fatalf("frame %d at a carries %d", i, got[14])
		}
	}
	want := netsim.PortStats{TxFrames: 50, TxBytes: 50 * 15, RxFrames: 50, RxBytes: 50 * 15}
	if diff := cmp.Diff(want, a.Stats()); diff != "" {
		t.Errorf("a stats (-want +got):\n%s", diff)
	}
	if a.Name() != "w.a" || b.Name() != "w.b" {
		t.Errorf("names %q %q", a.Name(), b.Name())
	}
}

func TestSendCopiesTheFrame(t *testing.T) {
	noLeak(t)
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	f := ethernet(2, 1, 'x')
	a.Send(f)
	f[14] = 'y'
	if got := recv(t, collector(b, 1)); got[14] != 'x' {
		t.Errorf("receiver saw the sender's later write: %q", got[14])
	}
}

func TestQueueWaitsForReceiverAndOverruns(t *testing.T) {
	noLeak(t)
	a, b := netsim.NewWire("w", netsim.WireConfig{Queue: 4})
	defer a.Close()
	defer b.Close()
	for i := range 6 {
		ok := a.Send(ethernet(2, 1, byte(i)))
		if want := i < 4; ok != want {
			t.Errorf("send %d = %v, want %v", i, ok, want)
		}
	}
	if got := b.Stats(); got.Overrun != 2 || got.Queued != 4 {
		t.Errorf("b stats %+v, want 2 overruns and 4 queued", got)
	}
	ch := collector(b, 4)
	for i := range 4 {
		if got := recv(t, ch); got[14] != byte(i) {
			t.Errorf("frame %d carries %d", i, got[14])
		}
	}
}

func TestMalformedFramesAreCounted(t *testing.T) {
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	if a.Send(make([]byte, 13)) || a.Send(make([]byte, netsim.MaxFrame+1)) {
		t.Error("a runt or an oversized frame was accepted")
	}
	if got := a.Stats().Oversize; got != 2 {
		t.Errorf("Oversize = %d, want 2", got)
	}
}

func TestLossIsSeededAndNearItsRate(t *testing.T) {
	pattern := func(seed uint64) []bool {
		a, b := netsim.NewWire("w", netsim.WireConfig{Loss: 0.1, Seed: seed, Queue: 10000})
		defer a.Close()
		defer b.Close()
		var sent []bool
		for range 5000 {
			sent = append(sent, a.Send(ethernet(2, 1)))
		}
		return sent
	}
	p1, p2 := pattern(7), pattern(7)
	if diff := cmp.Diff(p1, p2); diff != "" {
		t.Fatal("same seed, different drops")
	}
	if diff := cmp.Diff(p1, pattern(8)); diff == "" {
		t.Error("different seeds, same drops")
	}
	lost := 0
	for _, ok := range p1 {
		if !ok {
			lost++
		}
	}
	if lost < 400 || lost > 600 {
		t.Errorf("lost %d of 5000 at 10%%", lost)
	}
}

func TestSetLoss(t *testing.T) {
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	a.SetLoss(1)
	if a.Send(ethernet(2, 1)) {
		t.Error("frame survived a loss of 1")
	}
	a.SetLoss(0)
	if !a.Send(ethernet(2, 1)) {
		t.Error("frame lost at a loss of 0")
	}
	if got := a.Stats().Lost; got != 1 {
		t.Errorf("Lost = %d", got)
	}
}

func TestDelay(t *testing.T) {
	noLeak(t)
	const delay = 30 * time.Millisecond
	a, b := netsim.NewWire("w", netsim.WireConfig{Delay: delay})
	defer a.Close()
	defer b.Close()
	ch := collector(b, 1)
	start := time.Now()
	a.Send(ethernet(2, 1))
	recv(t, ch)
	if took := time.Since(start); took < delay {
		t.Errorf("frame arrived after %v, before the %v delay", took, delay)
	}
}

func TestSwitchLearnsAndFloods(t *testing.T) {
	noLeak(t)
	sw := netsim.NewSwitch("sw", netsim.WireConfig{})
	defer sw.Close()
	p1, p2, p3 := sw.Port("1"), sw.Port("2"), sw.Port("3")
	if got := sw.Ports(); len(got) != 3 || got[0] != p1 || got[2] != p3 {
		t.Errorf("Ports() = %v", got)
	}
	c1, c2, c3 := collector(p1, 10), collector(p2, 10), collector(p3, 10)

	// Unknown destination: flooded to 2 and 3, and 1's MAC is learned.
	p1.Send(ethernet(2, 1, 'a'))
	recv(t, c2)
	recv(t, c3)
	// 2 answers 1: learned, so only port 1 gets it; 2 is learned too.
	p2.Send(ethernet(1, 2, 'b'))
	if got := recv(t, c1); got[14] != 'b' {
		t.Fatalf("port 1 got %q", got[14])
	}
	p1.Send(ethernet(2, 1, 'c'))
	if got := recv(t, c2); got[14] != 'c' {
		t.Fatalf("port 2 got %q", got[14])
	}
	// Broadcast reaches everyone else.
	p3.Send(ethernet(0xff, 3, 'd'))
	recv(t, c1)
	recv(t, c2)
	select {
	case f := <-c3:
		t.Errorf("port 3 got its own broadcast %x", f)
	case <-time.After(20 * time.Millisecond):
	}
	select {
	case f := <-c3:
		t.Errorf("port 3 got a frame for a learned address: %x", f)
	default:
	}
	want := netsim.SwitchStats{Ports: 3, Learned: 3, Flooded: 2, FloodCopies: 4}
	if diff := cmp.Diff(want, sw.Stats()); diff != "" {
		t.Errorf("switch stats (-want +got):\n%s", diff)
	}
	if p1.Name() != "sw.1" {
		t.Errorf("name %q", p1.Name())
	}
}

func TestClose(t *testing.T) {
	noLeak(t)
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	collector(b, 1)
	b.Close()
	b.Close()
	if a.Send(ethernet(2, 1)) {
		t.Error("frame accepted by a closed far end")
	}
	if b.Send(ethernet(1, 2)) {
		t.Error("closed port sent")
	}
	if got := a.Stats().Unreachable; got != 1 {
		t.Errorf("Unreachable = %d", got)
	}
	a.Close() // never had a receiver
	sw := netsim.NewSwitch("sw", netsim.WireConfig{})
	p := sw.Port("1")
	sw.Close()
	if p.Send(ethernet(2, 1)) || sw.Port("late").Send(ethernet(2, 1)) {
		t.Error("closed switch carried a frame")
	}
}

// TestCountersAddUp checks, for any mix of loss, queue length and sends,
// that every frame sent is lost, overrun or received.
func TestCountersAddUp(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := netsim.WireConfig{
			Queue: rapid.IntRange(1, 64).Draw(t, "queue"),
			Loss:  rapid.Float64Range(0, 1).Draw(t, "loss"),
			Seed:  rapid.Uint64().Draw(t, "seed"),
		}
		n := rapid.IntRange(0, 200).Draw(t, "frames")
		a, b := netsim.NewWire("w", cfg)
		defer a.Close()
		defer b.Close()
		var got atomic.Uint64
		accepted := 0
		for range n {
			if a.Send(ethernet(2, 1)) {
				accepted++
			}
		}
		b.SetReceiver(func([]byte) { got.Add(1) })
		deadline := time.Now().Add(5 * time.Second)
		for got.Load() < uint64(accepted) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		as, bs := a.Stats(), b.Stats()
		if as.TxFrames != uint64(n) || as.Lost+bs.Overrun+bs.RxFrames != as.TxFrames || bs.RxFrames != uint64(accepted) {
			t.Fatalf("sent %d accepted %d: a %+v b %+v", n, accepted, as, bs)
		}
	})
}

func TestConcurrentSenders(t *testing.T) {
	noLeak(t)
	sw := netsim.NewSwitch("sw", netsim.WireConfig{Queue: 4096})
	defer sw.Close()
	sink := sw.Port("sink")
	var got atomic.Uint64
	sink.SetReceiver(func([]byte) { got.Add(1) })
	sink.Send(ethernet(0xff, 9)) // nobody else yet: unreachable
	var wg sync.WaitGroup
	for i := range 4 {
		p := sw.Port(fmt.Sprint(i))
		p.SetReceiver(func([]byte) {})
		wg.Go(func() {
			for range 500 {
				p.Send(ethernet(9, byte(i+1)))
			}
		})
	}
	wg.Wait()
	sink.Send(ethernet(0xff, 9)) // learn 9
	deadline := time.Now().Add(5 * time.Second)
	for got.Load() < 2000 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got.Load() != 2000 {
		t.Errorf("sink got %d of 2000 frames", got.Load())
	}
}

func TestSendDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	done := make(chan struct{}, 1)
	b.SetReceiver(func([]byte) { done <- struct{}{} })
	f := ethernet(2, 1, make([]byte, 1500)...)
	allocs := testing.AllocsPerRun(1000, func() {
		a.Send(f)
		<-done
	})
	if allocs != 0 {
		t.Errorf("Send+deliver allocates %v times", allocs)
	}
}

func BenchmarkWire(b *testing.B) {
	a, z := netsim.NewWire("w", netsim.WireConfig{Queue: 1024})
	defer a.Close()
	defer z.Close()
	var got atomic.Uint64
	z.SetReceiver(func([]byte) { got.Add(1) })
	f := ethernet(2, 1, make([]byte, 1500)...)
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	sent := uint64(0)
	for b.Loop() {
		for !a.Send(f) {
			runtime.Gosched()
		}
		sent++
	}
	for got.Load() < sent {
		runtime.Gosched()
	}
}

func Example() {
	a, b := netsim.NewWire("cable", netsim.WireConfig{})
	defer a.Close()
	defer b.Close()
	got := make(chan string, 1)
	b.SetReceiver(func(frame []byte) { got <- string(frame[14:]) })
	frame := []byte{
		0x02, 0, 0, 0, 0, 2, // destination MAC
		0x02, 0, 0, 0, 0, 1, // source MAC
		0x88, 0xb5, // local experimental EtherType
		'h', 'e', 'l', 'l', 'o',
	}
	a.Send(frame)
	fmt.Println(<-got, a.Stats().TxFrames, b.Stats().RxFrames)
	// Output: hello 1 1
}

// TestCloseTwiceWithoutReceiver: closing a port that never had a receiver
// twice returns both times.
func TestCloseTwiceWithoutReceiver(t *testing.T) {
	a, b := netsim.NewWire("w", netsim.WireConfig{})
	done := make(chan struct{})
	go func() {
		a.Close()
		a.Close()
		b.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung")
	}
}

// TestSwitchLearnsAtMostMaxLearned: a port sending from ever new source
// MACs fills the forwarding table up to MaxLearned and no further; known
// addresses still move.
func TestSwitchLearnsAtMostMaxLearned(t *testing.T) {
	noLeak(t)
	sw := netsim.NewSwitch("sw", netsim.WireConfig{})
	defer sw.Close()
	p1, p2 := sw.Port("1"), sw.Port("2")
	var unicast atomic.Int64
	p2.SetReceiver(func(f []byte) {
		if len(f) > 14 && f[14] == 'x' {
			unicast.Add(1)
		}
	})
	f := ethernet(0xff, 1)
	for i := range netsim.MaxLearned + 100 {
		f[9], f[10], f[11] = byte(i>>16), byte(i>>8), byte(i)
		p1.Send(f)
	}
	if got := sw.Stats().Learned; got != netsim.MaxLearned {
		t.Fatalf("learned %d addresses, want %d", got, netsim.MaxLearned)
	}
	// A learned address moves to port 2; frames to it go there.
	f[9], f[10], f[11] = 0, 0, 5
	p2.Send(f)
	for p2.Stats().Queued > 0 {
		time.Sleep(time.Millisecond)
	}
	p1.Send(ethernet(5, 1, 'x'))
	deadline := time.Now().Add(5 * time.Second)
	for unicast.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if unicast.Load() != 1 {
		t.Fatal("the frame to the moved address did not reach port 2")
	}
	if got := sw.Stats().Learned; got != netsim.MaxLearned {
		t.Fatalf("learned %d addresses after a move, want %d", got, netsim.MaxLearned)
	}
}
