//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// feeder is one BGP peer that sends a prepared table to the target: it
// opens a session, writes every UPDATE as fast as TCP takes them, then the
// End-of-RIB markers, and keeps the session alive until closed.
type feeder struct {
	asn     uint32
	addr    netip.Addr
	updates [][]byte
	conn    net.Conn
}

const feederHoldTime = 240 // seconds: a target busy ingesting must not time us out

// run connects (from f.addr, inside the benchmark's namespace through
// dial), waits for Established, and sends the table. It returns when the
// table and the End-of-RIB markers are written.
func (f *feeder) run(ctx context.Context, dial func(ctx context.Context, local, remote netip.AddrPort) (net.Conn, error),
	target netip.AddrPort, targetASN uint32) error {
	c, err := dial(ctx, netip.AddrPortFrom(f.addr, 0), target)
	if err != nil {
		return err
	}
	f.conn = c
	open := wire.Open{ASN: f.asn, HoldTime: feederHoldTime, RouterID: f.addr, Capabilities: wire.Capabilities{
		Multiprotocol: []wire.Family{wire.IPv4Unicast, wire.IPv6Unicast}, FourOctetAS: true, RouteRefresh: true,
	}}
	msg, err := open.Append(nil)
	if err != nil {
		return err
	}
	if _, err := c.Write(msg); err != nil {
		return err
	}
	buf := make([]byte, wire.MaxExtendedMessageLen)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	m, err := wire.ReadMessage(c, buf, wire.MaxExtendedMessageLen)
	if err != nil {
		return fmt.Errorf("reading the target's OPEN: %w", err)
	}
	if m[18] != byte(wire.TypeOpen) {
		if n, err := wire.ParseNotification(m); err == nil {
			return fmt.Errorf("target refused the session: %v", n)
		}
		return fmt.Errorf("target sent message type %d, not OPEN", m[18])
	}
	if _, err := c.Write(wire.AppendKeepalive(nil)); err != nil {
		return err
	}
	c.SetReadDeadline(time.Time{})
	// Read and drop what the target sends (KEEPALIVEs, its own UPDATEs),
	// answering with KEEPALIVEs so the session stays up.
	go func() {
		rb := make([]byte, wire.MaxExtendedMessageLen)
		for {
			if _, err := wire.ReadMessage(c, rb, wire.MaxExtendedMessageLen); err != nil {
				return
			}
		}
	}()
	w := bufio.NewWriterSize(c, 256<<10)
	for _, u := range f.updates {
		if _, err := w.Write(u); err != nil {
			return err
		}
	}
	for _, fam := range []wire.Family{wire.IPv4Unicast, wire.IPv6Unicast} {
		if _, err := w.Write(wire.AppendEndOfRIB(nil, fam)); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// Every UPDATE resets the target's hold timer; once they are all out,
	// keepalives do (never before: they would interleave with a message
	// the buffered writer has half written).
	go func() {
		t := time.NewTicker(feederHoldTime / 3 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := c.Write(wire.AppendKeepalive(nil)); err != nil {
					return
				}
			}
		}
	}()
	return nil
}

func (f *feeder) close() {
	if f.conn != nil {
		f.conn.Close()
	}
}
