// Package trace records the hop-by-hop path of packets through the fabric:
// at each node and layer, the rule that matched, what was done, and the
// encapsulation headers added or removed (VXLAN, RFC 7348; IPv4, RFC 791;
// UDP, RFC 768; TCP, RFC 9293 as summarised by Describe).
//
// A Recorder keeps a bounded list of Events for the flows it was asked to
// watch, so tracing costs nothing for the packets of other flows, and the
// runtime can leave it on.
package trace
