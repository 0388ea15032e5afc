package bgp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// BenchmarkSessionReceive measures a session taking in UPDATEs of 100
// IPv4 /32s each from a peer over loopback TCP, through the reader, the
// state machine and a subscription, until the subscriber has them.
func BenchmarkSessionReceive(b *testing.B) {
	s, _, r := establishRaw(b)
	sub := s.Subscribe(4096)
	var nlri []wire.NLRI
	for i := range 100 {
		nlri = append(nlri, wire.NLRI{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 1, byte(i), 1}), 32)})
	}
	msg, n, err := (&wire.UpdateBuilder{
		Family: wire.IPv4Unicast,
		Attrs: &wire.Attributes{ASPath: []wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{65002, 65010}}},
			NextHop: netip.MustParseAddr("127.0.0.2"), Communities: []wire.Community{0xfdea0001}},
		NLRI: nlri,
	}).Append(nil, &wire.EncodeOptions{AS4: true})
	if err != nil || n != 1 {
		b.Fatal(n, err)
	}
	const batch = 64 // UPDATEs per write
	var buf []byte
	for range batch {
		buf = append(buf, msg...)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	done := make(chan struct{})
	go func() {
		defer close(done)
		got := 0
		timeout := time.NewTimer(30 * time.Second)
		for got+int(sub.Dropped()) < b.N {
			select {
			case ev := <-sub.Events():
				if len(ev.Announced) > 0 {
					got++
				}
			case <-timeout.C:
				b.Errorf("received %d of %d UPDATEs", got, b.N)
				return
			}
		}
	}()
	for sent := 0; sent < b.N; sent += batch {
		k := min(batch, b.N-sent)
		r.send(buf[:k*len(msg)])
	}
	<-done
	if d := sub.Dropped(); d > 0 {
		b.Logf("%d of %d events dropped by the subscription (consumer slower than the session)", d, b.N)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/prefix")
}
