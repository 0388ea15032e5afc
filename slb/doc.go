// Package slb is a software load balancer in the style of Ananta
// (SIGCOMM 2013) and Maglev (NSDI 2016): a Mux that owns tenant VIPs and
// hashes flows to backend DIPs with consistent hashing, encapsulating them
// in VXLAN (RFC 7348) to the DIP's host, and a host agent that performs NAT,
// Direct Server Return and SNAT (RFC 3022 terminology).
package slb
