package model

import (
	"net/netip"
	"time"
)

// A BGPPeer is one BGP neighbor of a Mux or a Gateway (RFC 4271).
type BGPPeer struct {
	Name    string     `json:"name"`
	Address netip.Addr `json:"address"`
	ASN     uint32     `json:"asn"`
	// Gateway or Mux names the resource the peer is, when the model
	// holds it; validation then checks that its address and ASN agree.
	Gateway string `json:"gateway,omitempty"`
	Mux     string `json:"mux,omitempty"`
	// HoldTimeSeconds is 0 (no keepalives) or 3-65535; omitted means 90.
	HoldTimeSeconds *int `json:"holdTimeSeconds,omitempty"`
}

// BGPPeerStatus is one BGP session as an agent reports it.
type BGPPeerStatus struct {
	Name             string     `json:"name"`
	Address          netip.Addr `json:"address"`
	State            string     `json:"state"` // the RFC 4271 FSM state: "Established", "Active", ...
	Since            time.Time  `json:"since,omitzero"`
	PrefixesSent     int        `json:"prefixesSent,omitempty"`
	PrefixesReceived int        `json:"prefixesReceived,omitempty"`
	LastError        string     `json:"lastError,omitempty"`
}

// MaxHoldTime is the largest BGP hold time, in seconds.
const MaxHoldTime = 65535
