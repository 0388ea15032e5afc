package bfd

import (
	"math/rand/v2"
	"time"
)

// Config holds a session's timer parameters (RFC 5880 section 6.8.1).
type Config struct {
	// DesiredMinTx is how often we would like to send once Up (default
	// 300 ms); RequiredMinRx how often we can receive (default 300 ms).
	DesiredMinTx, RequiredMinRx time.Duration
	// DetectMult is how many intervals without a packet declare the path
	// down (default 3).
	DetectMult uint8
	// Passive waits for the peer's first packet before sending
	// (RFC 5880 section 6.1).
	Passive bool
}

// Default timers: 300 ms x 3 detects a dead peer in under a second.
const (
	DefaultInterval   = 300 * time.Millisecond
	DefaultDetectMult = 3
	// slowInterval is the least transmit interval while not Up (RFC 5880
	// section 6.8.3).
	slowInterval = time.Second
)

func (c Config) withDefaults() Config {
	if c.DesiredMinTx <= 0 {
		c.DesiredMinTx = DefaultInterval
	}
	if c.RequiredMinRx <= 0 {
		c.RequiredMinRx = DefaultInterval
	}
	if c.DetectMult == 0 {
		c.DetectMult = DefaultDetectMult
	}
	return c
}

// A Change is a session's transition from one state to another, with the
// diagnostic that explains it.
type Change struct {
	Old, New State
	Diag     Diag
	Time     time.Time
}

// Session is one BFD session's state machine (RFC 5880 section 6.8). It
// does no I/O and reads no clock: the caller passes received packets to
// Receive and the current time to Poll, sends what Poll returns, and waits
// until Deadline. A Session is not safe for concurrent use.
type Session struct {
	cfg Config
	rng *rand.Rand

	state      State
	diag       Diag
	localDiscr uint32

	remoteDiscr      uint32
	remoteMinRx      time.Duration
	remoteDesiredTx  time.Duration
	remoteDetectMult uint8
	heard            bool // a packet arrived since the session was (re)started

	// txDesired is the DesiredMinTx we advertise and use: at least a
	// second until Up, then cfg.DesiredMinTx after a Poll sequence.
	txDesired time.Duration
	polling   bool // a Poll sequence is running: send P until F comes
	pending   time.Duration
	final     bool // answer a received Poll with F

	lastRx  time.Time
	nextTx  time.Time
	sendNow bool
}

// NewSession returns a session in state Down with the local discriminator
// discr (non-zero, unique on this system). seed makes the transmit jitter
// reproducible.
func NewSession(cfg Config, discr uint32, seed uint64) *Session {
	s := &Session{
		cfg:        cfg.withDefaults(),
		rng:        rand.New(rand.NewPCG(seed, uint64(discr))),
		state:      Down,
		localDiscr: discr,
	}
	s.txDesired = max(s.cfg.DesiredMinTx, slowInterval)
	s.remoteMinRx = time.Microsecond // RFC 5880 6.8.1: initial bfd.RemoteMinRxInterval is 1
	return s
}

// State returns the local state.
func (s *Session) State() State { return s.state }

// Diag returns the local diagnostic.
func (s *Session) Diag() Diag { return s.diag }

// LocalDiscriminator returns the session's own discriminator.
func (s *Session) LocalDiscriminator() uint32 { return s.localDiscr }

// RemoteDiscriminator returns the peer's discriminator, 0 until heard.
func (s *Session) RemoteDiscriminator() uint32 { return s.remoteDiscr }

// DetectionTime is how long the session waits for a packet before going
// Down (RFC 5880 section 6.8.4, asynchronous mode).
func (s *Session) DetectionTime() time.Duration {
	return time.Duration(s.remoteDetectMult) * max(s.cfg.RequiredMinRx, s.remoteDesiredTx)
}

func (s *Session) set(st State, d Diag, now time.Time) *Change {
	if st == s.state {
		return nil
	}
	c := &Change{Old: s.state, New: st, Diag: d, Time: now}
	s.state, s.diag = st, d
	switch st {
	case Up:
		// Speed up from the slow rate with a Poll sequence (6.8.3).
		if s.cfg.DesiredMinTx < s.txDesired {
			s.startPoll(s.cfg.DesiredMinTx)
		}
	case Down, AdminDown:
		s.txDesired = max(s.cfg.DesiredMinTx, slowInterval)
		s.polling = false
	}
	s.sendNow = true
	return c
}

func (s *Session) startPoll(tx time.Duration) {
	s.polling, s.pending = true, tx
	if tx < s.txDesired {
		// A decrease may take effect at once; only an increase waits for
		// the Final (6.8.3).
		s.txDesired = tx
	}
	s.sendNow = true
}

// Receive processes a packet from the peer that Parse accepted and the
// caller matched to this session (by Your Discriminator, or by address
// when that is zero), per RFC 5880 section 6.8.6. It returns the state
// change it caused, if any.
func (s *Session) Receive(p Packet, now time.Time) *Change {
	if p.YourDiscriminator == 0 && p.State != Down && p.State != AdminDown {
		return nil // 6.8.6: only a peer that is Down (or AdminDown) may not know our discriminator
	}
	if p.YourDiscriminator != 0 && p.YourDiscriminator != s.localDiscr {
		return nil
	}
	s.remoteDiscr = p.MyDiscriminator
	s.remoteDesiredTx = p.DesiredMinTx
	s.remoteDetectMult = p.DetectMult
	if p.RequiredMinRx != s.remoteMinRx {
		s.remoteMinRx = p.RequiredMinRx
		if s.nextTx.After(now.Add(s.txInterval())) {
			s.nextTx = now // a faster receiver: do not wait out the old interval
		}
	}
	if p.Final && s.polling {
		s.polling = false
		s.txDesired = s.pending
	}
	s.lastRx, s.heard = now, true
	if p.Poll {
		s.final, s.sendNow = true, true
	}
	if s.state == AdminDown {
		return nil
	}
	if p.State == AdminDown {
		if s.state != Down {
			return s.set(Down, DiagNeighborDown, now)
		}
		return nil
	}
	switch s.state {
	case Down:
		switch p.State {
		case Down:
			return s.set(Init, DiagNone, now)
		case Init:
			return s.set(Up, DiagNone, now)
		}
	case Init:
		if p.State == Init || p.State == Up {
			return s.set(Up, DiagNone, now)
		}
	case Up:
		if p.State == Down {
			return s.set(Down, DiagNeighborDown, now)
		}
	}
	return nil
}

// txInterval is the interval between packets before jitter: the larger of
// what we want to send and what the peer can receive (6.8.7).
func (s *Session) txInterval() time.Duration { return max(s.txDesired, s.remoteMinRx) }

// jittered applies the 0-25% reduction of RFC 5880 section 6.8.7 (10-25%
// with a detect multiplier of 1).
func (s *Session) jittered(d time.Duration) time.Duration {
	lo := 0.0
	if s.cfg.DetectMult == 1 {
		lo = 0.10
	}
	return time.Duration(float64(d) * (1 - lo - s.rng.Float64()*(0.25-lo)))
}

// Poll advances the session to now: it declares the path down when the
// detection time has passed without a packet, and returns the packet to
// send, if one is due (send false otherwise), with the state change.
func (s *Session) Poll(now time.Time) (pkt Packet, send bool, change *Change) {
	if (s.state == Init || s.state == Up) && s.heard && now.Sub(s.lastRx) > s.DetectionTime() {
		change = s.set(Down, DiagDetectionTimeExpired, now)
		s.remoteDiscr, s.heard = 0, false
	}
	if s.cfg.Passive && s.remoteDiscr == 0 {
		return Packet{}, false, change // 6.8.7: a passive system waits to be spoken to
	}
	if s.remoteMinRx == 0 && !s.final {
		return Packet{}, false, change // the peer asked for no packets
	}
	if !s.sendNow && now.Before(s.nextTx) {
		return Packet{}, false, change
	}
	pkt = Packet{
		Diag:              s.diag,
		State:             s.state,
		Poll:              s.polling,
		Final:             s.final,
		DetectMult:        s.cfg.DetectMult,
		MyDiscriminator:   s.localDiscr,
		YourDiscriminator: s.remoteDiscr,
		DesiredMinTx:      s.txDesired,
		RequiredMinRx:     s.cfg.RequiredMinRx,
	}
	if pkt.Poll && pkt.Final {
		pkt.Poll = false // 6.8.7: never both; the Poll goes out next time
	}
	s.final, s.sendNow = false, false
	s.nextTx = now.Add(s.jittered(s.txInterval()))
	return pkt, true, change
}

// Deadline is when Poll next has work: the next transmission or the end of
// the detection time, whichever is first.
func (s *Session) Deadline() time.Time {
	d := s.nextTx
	if s.sendNow {
		return time.Time{}
	}
	if (s.state == Init || s.state == Up) && s.heard {
		if exp := s.lastRx.Add(s.DetectionTime()); exp.Before(d) {
			d = exp
		}
	}
	return d
}

// SetAdminDown takes the session administratively down (it tells the peer
// with state AdminDown and stops reacting), or brings it back to Down.
func (s *Session) SetAdminDown(down bool, now time.Time) *Change {
	if down {
		return s.set(AdminDown, DiagAdminDown, now)
	}
	if s.state == AdminDown {
		return s.set(Down, DiagNone, now)
	}
	return nil
}
