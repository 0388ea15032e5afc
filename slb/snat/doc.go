// Package snat is the manager side of the load balancer's source NAT, after
// Ananta (Patel et al., SIGCOMM 2013, section 3.5): the (VIP, port) pairs
// that DIPs use for their outbound connections are leased to the DIPs'
// hosts in blocks of slb.SNATPortBlock (8) consecutive ports, so that a
// host agent asks the manager once per eight connections at most, and
// usually never, since it reuses each port for connections to different
// remote endpoints.
//
// A [Manager] holds, for every (VIP, IP protocol) that an outbound rule
// names, which blocks are free and which are leased to which (host, DIP).
// The usable ports run from slb.SNATFirstPort to 65535, less every block
// that holds a port an inbound rule (load-balancing or NAT) receives on.
// Each DIP of a rule's pool may hold the rule's
// OutboundPortsPerBackend/8 blocks per protocol ([ErrQuota] beyond); when
// every frontend of the rule is out of free blocks, Lease fails with
// [ErrExhausted]. Both are counted in [Stats] and neither is fatal: the
// host agent drops the connection attempt and TCP retries.
//
// Leases expire unless renewed (Config.LeaseTime), so a host that
// vanishes does not hold ports forever; released and expired blocks go
// back to the free set and are handed out again after the other free
// blocks (next fit), which leaves the remote ends time to forget the old
// connections. Config.OnChange reports every grant and every release, for
// the Muxes, which must send the return traffic of a leased block to the
// DIP's host.
//
// Memory is bounded by the configuration: one bit per block of each
// (VIP, protocol), and one record per leased block.
//
// The mappings this yields are address-and-port-dependent in the terms of
// RFC 4787 (and RFC 5382 for TCP): the host agent maps a DIP's connection
// to whichever leased (VIP, port) is free for that remote endpoint, trading
// endpoint-independent mapping (RFC 4787 REQ-1) for Ananta's port reuse.
// RFC 3022 gives the NAPT terms.
package snat
