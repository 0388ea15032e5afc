package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// config is the daemon's JSON configuration file.
type config struct {
	ASN      uint32           `json:"asn"`
	RouterID netip.Addr       `json:"router_id"`
	Listen   []netip.AddrPort `json:"listen"`
	NetNS    string           `json:"netns"`
	Peers    []peerConfig     `json:"peers"`
	Announce []announcement   `json:"announce"`
	// GracefulRestart turns on RFC 4724 graceful restart: peers keep our
	// routes while bgpd restarts. Start a restarted bgpd with
	// "restarting": true (or -restarting) so the R bit tells them.
	GracefulRestart *gracefulRestart `json:"graceful_restart"`
}

type gracefulRestart struct {
	RestartTime duration `json:"restart_time"`
	Restarting  bool     `json:"restarting"`
}

type peerConfig struct {
	Address       netip.Addr `json:"address"`
	Port          uint16     `json:"port"`
	ASN           uint32     `json:"asn"`
	LocalASN      uint32     `json:"local_asn"`
	SourceAddress netip.Addr `json:"source_address"`
	SourcePort    uint16     `json:"source_port"`
	HoldTime      duration   `json:"hold_time"`
	KeepaliveTime duration   `json:"keepalive_time"`
	ConnectTime   duration   `json:"connect_time"`
	DelayOpen     duration   `json:"delay_open"`
	Password      string     `json:"password"`
	Multihop      uint8      `json:"ebgp_multihop"`
	TTLSecurity   uint8      `json:"ttl_security"`
	Passive       bool       `json:"passive"`
	Families      []string   `json:"families"` // "ipv4-unicast", "ipv6-unicast"
	// AddPath maps a family to "receive", "send" or "both" (RFC 7911).
	AddPath         map[string]string `json:"add_path"`
	ExtendedMessage bool              `json:"extended_message"`  // RFC 8654
	ExtendedNextHop bool              `json:"extended_next_hop"` // RFC 8950
}

type announcement struct {
	Prefix      netip.Prefix `json:"prefix"`
	NextHop     netip.Addr   `json:"next_hop"`
	MED         *uint32      `json:"med"`
	LocalPref   *uint32      `json:"local_pref"`
	Communities []string     `json:"communities"` // "65001:100"
}

// duration is a time.Duration written as "9s" in JSON.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string like \"9s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

func parseConfig(r io.Reader) (*config, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var c config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if c.ASN == 0 || !c.RouterID.Is4() {
		return nil, fmt.Errorf("config: asn and an IPv4 router_id are required")
	}
	for i, a := range c.Announce {
		if !a.Prefix.IsValid() {
			return nil, fmt.Errorf("config: announce[%d]: prefix is required", i)
		}
		if _, err := a.attributes(); err != nil {
			return nil, fmt.Errorf("config: announce[%d]: %w", i, err)
		}
	}
	for i, p := range c.Peers {
		if _, err := p.peer(); err != nil {
			return nil, fmt.Errorf("config: peers[%d]: %w", i, err)
		}
	}
	return &c, nil
}

func (p *peerConfig) peer() (bgp.PeerConfig, error) {
	pc := bgp.PeerConfig{
		Address: p.Address, Port: p.Port, PeerASN: p.ASN, LocalASN: p.LocalASN,
		SourceAddress: p.SourceAddress, SourcePort: p.SourcePort,
		HoldTime: time.Duration(p.HoldTime), KeepaliveTime: time.Duration(p.KeepaliveTime),
		ConnectTime: time.Duration(p.ConnectTime), DelayOpen: time.Duration(p.DelayOpen),
		Password: p.Password, EBGPMultihop: p.Multihop, TTLSecurity: p.TTLSecurity, Passive: p.Passive,
		ExtendedMessage: p.ExtendedMessage, ExtendedNextHop: p.ExtendedNextHop,
	}
	if !p.Address.IsValid() || p.ASN == 0 {
		return pc, fmt.Errorf("address and asn are required")
	}
	for _, f := range p.Families {
		switch f {
		case "ipv4-unicast":
			pc.Families = append(pc.Families, wire.IPv4Unicast)
		case "ipv6-unicast":
			pc.Families = append(pc.Families, wire.IPv6Unicast)
		default:
			return pc, fmt.Errorf("unknown family %q (ipv4-unicast or ipv6-unicast)", f)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(p.AddPath)) {
		fam := map[string]wire.Family{"ipv4-unicast": wire.IPv4Unicast, "ipv6-unicast": wire.IPv6Unicast}
		mode := map[string]wire.AddPathMode{"receive": wire.AddPathReceive, "send": wire.AddPathSend, "both": wire.AddPathBoth}
		af, ok1 := fam[f]
		m, ok2 := mode[p.AddPath[f]]
		if !ok1 || !ok2 {
			return pc, fmt.Errorf("add_path %q: %q: want ipv4-unicast or ipv6-unicast to receive, send or both", f, p.AddPath[f])
		}
		pc.AddPath = append(pc.AddPath, wire.AddPathFamily{Family: af, Mode: m})
	}
	return pc, nil
}

func (a *announcement) attributes() (wire.Attributes, error) {
	at := wire.Attributes{Origin: wire.OriginIGP, NextHop: a.NextHop}
	if a.MED != nil {
		at.MED, at.HasMED = *a.MED, true
	}
	if a.LocalPref != nil {
		at.LocalPref, at.HasLocalPref = *a.LocalPref, true
	}
	for _, s := range a.Communities {
		hi, lo, ok := strings.Cut(s, ":")
		h, err1 := strconv.ParseUint(hi, 10, 16)
		l, err2 := strconv.ParseUint(lo, 10, 16)
		if !ok || err1 != nil || err2 != nil {
			return at, fmt.Errorf("community %q: want AS:VALUE with two 16-bit numbers", s)
		}
		at.Communities = append(at.Communities, wire.Community(h<<16|l))
	}
	return at, nil
}
