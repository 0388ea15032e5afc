package guest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// Ping sends ICMP echo requests (RFC 792 for IPv4, RFC 4443 for IPv6) to
// dst, one a second, until a reply arrives or ctx ends, and returns the
// round-trip time of the first reply.
func (g *Guest) Ping(ctx context.Context, dst netip.Addr) (time.Duration, error) {
	proto, typ := icmp.ProtocolNumber4, uint8(header.ICMPv4Echo)
	if dst.Is6() {
		proto, typ = icmp.ProtocolNumber6, uint8(header.ICMPv6EchoRequest)
	}
	var wq waiter.Queue
	ep, terr := g.stack.NewEndpoint(proto, protocolOf(dst), &wq)
	if terr != nil {
		return 0, fmt.Errorf("guest %s: ping %s: %s", g.name, dst, terr)
	}
	defer ep.Close()
	entry, readable := waiter.NewChannelEntry(waiter.ReadableEvents)
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)

	payload := []byte("sdnfabric guest ping")
	req := make([]byte, 8+len(payload))
	req[0] = typ
	copy(req[8:], payload)
	to := tcpip.FullAddress{Addr: address(dst)}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var start time.Time
	for seq := uint16(1); ; seq++ {
		binary.BigEndian.PutUint16(req[6:], seq)
		start = time.Now()
		// The stack fills in the identifier and checksum of a ping socket.
		if _, terr := ep.Write(bytes.NewReader(req), tcpip.WriteOptions{To: &to}); terr != nil {
			if _, ok := terr.(*tcpip.ErrWouldBlock); !ok {
				return 0, fmt.Errorf("guest %s: ping %s: %s", g.name, dst, terr)
			}
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-tick.C:
				break wait
			case <-readable:
				var reply bytes.Buffer
				for {
					reply.Reset()
					_, terr := ep.Read(&reply, tcpip.ReadOptions{})
					if terr != nil {
						if _, ok := terr.(*tcpip.ErrWouldBlock); ok {
							break
						}
						return 0, errors.New(terr.String())
					}
					if b := reply.Bytes(); len(b) >= 8 && bytes.Equal(b[8:], payload) {
						return time.Since(start), nil
					}
				}
			}
		}
	}
}
