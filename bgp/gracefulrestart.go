package bgp

import (
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// GracefulRestart configures graceful restart (RFC 4724) for every peer.
//
// As the restarting speaker: our OPEN carries the capability with
// RestartTime and every session family marked as having its forwarding
// state preserved (the data plane a speaker serves, a Mux or a FIB, keeps
// forwarding while the speaker restarts), so a peer that loses the session
// without a NOTIFICATION keeps our routes until we are back and have sent
// End-of-RIB. A speaker that has just restarted sets Restarting.
//
// As the receiving speaker (with Config.RIB): when a peer that advertised
// the capability loses its session without a NOTIFICATION, its paths stay
// in the RIB, stale, for the peer's restart time; the new session takes
// them over, its End-of-RIB for a family drops the ones it did not send
// again, and families the peer no longer preserves are dropped at once.
type GracefulRestart struct {
	// RestartTime is how long peers should keep our routes while we
	// restart (default 120 s; at most 4095 s).
	RestartTime time.Duration
	// Restarting sets the Restart State (R) bit: we have restarted.
	Restarting bool
	// StalePathTime bounds how long a peer's stale paths wait for its
	// End-of-RIB once it is back (default 360 s).
	StalePathTime time.Duration
}

const (
	defaultRestartTime   = 120 * time.Second
	maxRestartTime       = 4095 * time.Second
	defaultStalePathTime = 360 * time.Second
)

// capability returns our GR capability for the given families.
func (g *GracefulRestart) capability(fams []wire.Family) *wire.GracefulRestart {
	d := g.RestartTime
	if d <= 0 {
		d = defaultRestartTime
	}
	c := &wire.GracefulRestart{Restarting: g.Restarting, Time: uint16(min(d, maxRestartTime) / time.Second)}
	for _, f := range fams {
		c.Families = append(c.Families, wire.GracefulRestartFamily{Family: f, ForwardingPreserved: true})
	}
	return c
}

// grRetained is a restarting peer's paths kept in Config.RIB between its
// sessions, with the timer that drops them.
type grRetained struct {
	mu    sync.Mutex
	id    rib.PeerID
	ok    bool
	gen   uint64
	timer Timer
}

// retainFamilies returns the families whose paths survive the loss of the
// session on link l: those of the peer's GR capability, when we do GR, the
// peer advertised it, and the session ended without a NOTIFICATION.
func (p *peer) retainFamilies(c *conn) []wire.Family {
	if p.s.cfg.GracefulRestart == nil || !c.up || c.peerOpen == nil || c.peerOpen.GracefulRestart == nil {
		return nil
	}
	if _, notified := p.lastErr.(*NotificationError); notified {
		return nil
	}
	var fams []wire.Family
	for _, f := range c.peerOpen.GracefulRestart.Families {
		fams = append(fams, f.Family)
	}
	return fams
}

// retain keeps the peer's RIB paths of fams as stale for the peer's
// restart time.
func (p *peer) retain(r *rib.RIB, id rib.PeerID, fams []wire.Family, restart time.Duration) {
	n, _ := r.MarkStale(id, fams)
	p.log.Info("graceful restart: keeping the peer's paths as stale", "paths", n, "restart_time", restart)
	p.gr.mu.Lock()
	defer p.gr.mu.Unlock()
	p.gr.id, p.gr.ok = id, true
	p.gr.arm(p, restart, true)
}

// arm (re)starts the timer that ends the retention: at expiry the stale
// paths go, and the peer too when no session took it back (detached).
// Called with gr.mu held.
func (g *grRetained) arm(p *peer, d time.Duration, detached bool) {
	if g.timer != nil {
		g.timer.Stop()
	}
	g.gen++
	gen, id := g.gen, g.id
	g.timer = p.s.clock.AfterFunc(d, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.gen != gen {
			return
		}
		r := p.s.cfg.RIB
		n := 0
		for _, f := range []wire.Family{wire.IPv4Unicast, wire.IPv6Unicast} {
			k, _ := r.SweepStale(id, f)
			n += k
		}
		if detached && g.ok && g.id == id {
			g.ok = false
			_ = r.RemovePeer(id)
		}
		p.log.Info("graceful restart: stale paths timed out", "paths", n)
	})
}

// takeRetained hands the retained RIB peer to a new session, dropping the
// families the peer's new OPEN no longer preserves and bounding the wait
// for its End-of-RIB.
func (p *peer) takeRetained(r *rib.RIB, o *wire.Open, cfg rib.PeerConfig) (rib.PeerID, bool) {
	p.gr.mu.Lock()
	defer p.gr.mu.Unlock()
	if !p.gr.ok {
		return 0, false
	}
	p.gr.ok = false
	id := p.gr.id
	if err := r.Reattach(id, cfg); err != nil {
		return 0, false
	}
	for _, f := range []wire.Family{wire.IPv4Unicast, wire.IPv6Unicast} {
		if !forwardingPreserved(o, f) {
			r.SweepStale(id, f)
		}
	}
	d := p.s.cfg.GracefulRestart.StalePathTime
	if d <= 0 {
		d = defaultStalePathTime
	}
	p.gr.arm(p, d, false)
	return id, true
}

func forwardingPreserved(o *wire.Open, f wire.Family) bool {
	if o.GracefulRestart == nil {
		return false
	}
	for _, g := range o.GracefulRestart.Families {
		if g.Family == f {
			return g.ForwardingPreserved
		}
	}
	return false
}

// stopGR ends any retention (the peer is removed or the speaker stops).
func (p *peer) stopGR() {
	p.gr.mu.Lock()
	defer p.gr.mu.Unlock()
	if p.gr.timer != nil {
		p.gr.timer.Stop()
	}
	p.gr.gen++
	if p.gr.ok && p.s.cfg.RIB != nil {
		_ = p.s.cfg.RIB.RemovePeer(p.gr.id)
	}
	p.gr.ok = false
}
