// Package vxlan implements Virtual eXtensible Local Area Network
// encapsulation (RFC 7348), the Group Policy extension
// (draft-smith-vxlan-group-policy), VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe),
// UDP zero-checksum rules for tunnels over IPv6 (RFC 6935, RFC 6936), and a
// userspace VXLAN tunnel endpoint with a forwarding database.
package vxlan
