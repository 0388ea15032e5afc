// Command bgpd is a small BGP speaker for trying the bgp module by hand:
// it reads a JSON configuration (its AS, router ID, listen addresses,
// peers and the prefixes to announce), keeps the sessions, and prints what
// happens and what it learns, one line per event (or JSON with -json).
// SIGINT or SIGTERM ends every session with a Cease / Administrative
// Shutdown NOTIFICATION carrying -shutdown-message (RFC 9003).
//
// Usage:
//
//	bgpd -config bgpd.json [-json] [-v] [-shutdown-message "maintenance"] [-restarting]
//
// A configuration (durations as Go durations):
//
//	{
//	  "asn": 65001, "router_id": "10.99.0.1", "listen": ["10.99.0.1:179"],
//	  "peers": [{"address": "10.99.0.2", "asn": 65002, "hold_time": "9s",
//	             "connect_time": "2s", "password": "s3cr3t", "passive": false}],
//	  "announce": [{"prefix": "192.0.2.1/32", "communities": ["65001:100"]}],
//	  "graceful_restart": {"restart_time": "120s"}
//	}
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bgpd:", err)
		os.Exit(1)
	}
}

// run runs the daemon until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bgpd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "bgpd.json", "JSON configuration file")
	asJSON := fs.Bool("json", false, "print events as JSON lines")
	verbose := fs.Bool("v", false, "debug logging on stderr")
	msg := fs.String("shutdown-message", "bgpd shutting down", "RFC 9003 shutdown communication sent on exit")
	restarting := fs.Bool("restarting", false, "with graceful_restart: announce that bgpd has restarted (the R bit of RFC 4724)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*path)
	if err != nil {
		return err
	}
	cfg, err := parseConfig(f)
	f.Close()
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	var gr *bgp.GracefulRestart
	if g := cfg.GracefulRestart; g != nil {
		gr = &bgp.GracefulRestart{RestartTime: time.Duration(g.RestartTime), Restarting: g.Restarting || *restarting}
	}
	s, err := bgp.New(bgp.Config{
		ASN: cfg.ASN, RouterID: cfg.RouterID, Listen: cfg.Listen, NetNS: cfg.NetNS,
		Logger:          slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		GracefulRestart: gr,
	})
	if err != nil {
		return err
	}
	sub := s.Subscribe(4096)
	for _, a := range cfg.Announce {
		at, _ := a.attributes()
		if err := s.Announce(a.Prefix, at); err != nil {
			return err
		}
	}
	for _, p := range cfg.Peers {
		pc, _ := p.peer()
		if err := s.AddPeer(pc); err != nil {
			s.Close()
			return err
		}
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(sctx, *msg)
	}()
	for ev := range sub.Events() {
		printEvent(stdout, ev, *asJSON)
	}
	return nil
}

// printEvent writes one line per session change, route or withdrawal.
func printEvent(w io.Writer, ev bgp.Event, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(jsonEvent(ev))
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	switch ev.Type {
	case bgp.SessionUp:
		fmt.Fprintf(w, "up %v as %d hold %v families %v\n", ev.Peer, ev.Session.PeerOpen.ASN, ev.Session.HoldTime, ev.Session.Families)
	case bgp.SessionDown:
		fmt.Fprintf(w, "down %v: %v\n", ev.Peer, ev.Err)
	case bgp.RoutesReceived:
		for _, r := range ev.Announced {
			fmt.Fprintf(w, "announce %v %v next-hop %v as-path %v%s\n", ev.Peer, r.Prefix, r.Attrs.NextHop, asPath(r), communities(r))
		}
		for _, r := range ev.Withdrawn {
			fmt.Fprintf(w, "withdraw %v %v\n", ev.Peer, r.Prefix)
		}
		for _, f := range ev.EndOfRIB {
			fmt.Fprintf(w, "end-of-rib %v %v\n", ev.Peer, f)
		}
		for _, f := range ev.Disabled {
			fmt.Fprintf(w, "disabled %v %v (malformed MP_REACH/MP_UNREACH_NLRI)\n", ev.Peer, f)
		}
	}
}

func asPath(r bgp.Route) string {
	var parts []string
	for _, s := range r.Attrs.ASPath {
		for _, a := range s.ASNs {
			parts = append(parts, fmt.Sprint(a))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func communities(r bgp.Route) string {
	if len(r.Attrs.Communities) == 0 {
		return ""
	}
	var parts []string
	for _, c := range r.Attrs.Communities {
		parts = append(parts, c.String())
	}
	return " communities " + strings.Join(parts, ",")
}

type jsonRoute struct {
	Prefix  string   `json:"prefix"`
	NextHop string   `json:"next_hop,omitempty"`
	ASPath  []uint32 `json:"as_path,omitempty"`
}

func jsonEvent(ev bgp.Event) map[string]any {
	m := map[string]any{"type": ev.Type.String(), "peer": ev.Peer.String(), "time": ev.Time.Format(time.RFC3339Nano)}
	if ev.Err != nil {
		m["reason"] = ev.Err.Error()
	}
	if ev.Session != nil {
		m["hold_time"] = ev.Session.HoldTime.String()
	}
	var ann, wd []jsonRoute
	for _, r := range ev.Announced {
		jr := jsonRoute{Prefix: r.Prefix.String(), NextHop: r.Attrs.NextHop.String()}
		for _, s := range r.Attrs.ASPath {
			jr.ASPath = append(jr.ASPath, s.ASNs...)
		}
		ann = append(ann, jr)
	}
	for _, r := range ev.Withdrawn {
		wd = append(wd, jsonRoute{Prefix: r.Prefix.String()})
	}
	if ann != nil {
		m["announced"] = ann
	}
	if wd != nil {
		m["withdrawn"] = wd
	}
	if ev.Disabled != nil {
		var fams []string
		for _, f := range ev.Disabled {
			fams = append(fams, f.String())
		}
		m["disabled"] = fams
	}
	return m
}
