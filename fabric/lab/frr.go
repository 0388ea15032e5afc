package lab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"time"
)

// FRRBFDPeer is one of the BFD sessions (RFC 5880) of an FRR router, as
// its bfdd reports it (`show bfd peers json`).
type FRRBFDPeer struct {
	Peer, Local netip.Addr
	// Status is "up", "down", "init" or "shutdown".
	Status string
	// Diagnostic is why the session last went down ("ok" if it never
	// did), such as "control detection time expired".
	Diagnostic string
	// Our timers, and the peer's as it announces them.
	ReceiveInterval, TransmitInterval             time.Duration
	DetectMultiplier                              int
	RemoteReceiveInterval, RemoteTransmitInterval time.Duration
	RemoteDetectMultiplier                        int
}

// parseFRRBFDPeers reads the output of `show bfd peers json`.
func parseFRRBFDPeers(out []byte) ([]FRRBFDPeer, error) {
	var raw []struct {
		Peer                   netip.Addr `json:"peer"`
		Local                  netip.Addr `json:"local"`
		Status                 string     `json:"status"`
		Diagnostic             string     `json:"diagnostic"`
		ReceiveInterval        int64      `json:"receive-interval"`
		TransmitInterval       int64      `json:"transmit-interval"`
		DetectMultiplier       int        `json:"detect-multiplier"`
		RemoteReceiveInterval  int64      `json:"remote-receive-interval"`
		RemoteTransmitInterval int64      `json:"remote-transmit-interval"`
		RemoteDetectMultiplier int        `json:"remote-detect-multiplier"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("lab: FRR's BFD peers: %w", err)
	}
	peers := make([]FRRBFDPeer, 0, len(raw))
	for _, r := range raw {
		peers = append(peers, FRRBFDPeer{Peer: r.Peer, Local: r.Local, Status: r.Status, Diagnostic: r.Diagnostic,
			ReceiveInterval: time.Duration(r.ReceiveInterval) * time.Millisecond, TransmitInterval: time.Duration(r.TransmitInterval) * time.Millisecond,
			DetectMultiplier:      r.DetectMultiplier,
			RemoteReceiveInterval: time.Duration(r.RemoteReceiveInterval) * time.Millisecond, RemoteTransmitInterval: time.Duration(r.RemoteTransmitInterval) * time.Millisecond,
			RemoteDetectMultiplier: r.RemoteDetectMultiplier})
	}
	return peers, nil
}
