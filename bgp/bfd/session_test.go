package bfd

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// link runs two sessions against each other in virtual time, delivering
// every packet at once unless the link is cut.
type link struct {
	a, b    *Session
	now     time.Time
	cut     bool
	changes []Change // of a
	sentA   []Packet
}

func (l *link) step(d time.Duration) {
	end := l.now.Add(d)
	for l.now.Before(end) {
		l.now = l.now.Add(time.Millisecond)
		for _, pair := range [][2]*Session{{l.a, l.b}, {l.b, l.a}} {
			from, to := pair[0], pair[1]
			pkt, ok, ch := from.Poll(l.now)
			if ch != nil && from == l.a {
				l.changes = append(l.changes, *ch)
			}
			if !ok || l.cut {
				continue
			}
			if from == l.a {
				l.sentA = append(l.sentA, pkt)
			}
			if ch := to.Receive(pkt, l.now); ch != nil && to == l.a {
				l.changes = append(l.changes, *ch)
			}
		}
	}
}

func newLink(ca, cb Config) *link {
	return &link{a: NewSession(ca, 1, 1), b: NewSession(cb, 2, 2), now: t0}
}

func TestThreeWayHandshakeAndSpeedUp(t *testing.T) {
	l := newLink(Config{}, Config{})
	l.step(3 * time.Second)
	if l.a.State() != Up || l.b.State() != Up {
		t.Fatalf("states %v %v, want Up Up", l.a.State(), l.b.State())
	}
	// a speaks first (Down), b goes Init, and a seeing Init goes straight Up.
	if len(l.changes) != 1 || l.changes[0].Old != Down || l.changes[0].New != Up {
		t.Fatalf("transitions of a: %v, want Down->Up", l.changes)
	}
	// After the Poll sequence, packets go out every 225-300 ms.
	l.sentA = nil
	l.step(3 * time.Second)
	if n := len(l.sentA); n < 10 || n > 14 {
		t.Fatalf("%d packets in 3 s after Up, want 10-14 (300 ms with 0-25%% jitter)", n)
	}
	for _, p := range l.sentA {
		if p.DesiredMinTx != DefaultInterval {
			t.Fatalf("advertised DesiredMinTx %v after Up, want %v", p.DesiredMinTx, DefaultInterval)
		}
	}
}

func TestSlowRateUntilUp(t *testing.T) {
	a := NewSession(Config{}, 1, 1)
	pkt, ok, _ := a.Poll(t0)
	if !ok || pkt.DesiredMinTx != time.Second || pkt.State != Down || pkt.YourDiscriminator != 0 {
		t.Fatalf("first packet %+v, want Down at 1 s with Your Discriminator 0", pkt)
	}
	if _, ok, _ := a.Poll(t0.Add(500 * time.Millisecond)); ok {
		t.Fatal("sent again after 500 ms while Down")
	}
}

func TestDetectionTimeExpires(t *testing.T) {
	l := newLink(Config{}, Config{})
	l.step(3 * time.Second)
	l.cut = true
	cutAt := l.now
	l.step(2 * time.Second)
	if l.a.State() != Down {
		t.Fatalf("state %v after the peer went silent, want Down", l.a.State())
	}
	last := l.changes[len(l.changes)-1]
	if last.Diag != DiagDetectionTimeExpired {
		t.Fatalf("diag %v, want %v", last.Diag, DiagDetectionTimeExpired)
	}
	if took := last.Time.Sub(cutAt); took > time.Second || took < 600*time.Millisecond {
		t.Fatalf("detected after %v, want 3 x 300 ms (0.6-0.9 s plus the last interval)", took)
	}
	if l.a.RemoteDiscriminator() != 0 {
		t.Fatal("remote discriminator kept after detection time expired")
	}
	l.cut = false
	l.step(4 * time.Second)
	if l.a.State() != Up || l.b.State() != Up {
		t.Fatalf("no recovery: %v %v", l.a.State(), l.b.State())
	}
}

// TestPeerSessionRestarted: a peer that starts its session anew (a new
// discriminator, as FRR's bfdd does when bgpd registers the session again)
// sends Down with Your Discriminator 0, a valid packet whatever our state
// (RFC 5880 section 6.8.6 discards only one whose own State is not Down or
// AdminDown). From Init we take its new discriminator at once and come Up
// on its next packet; from Up we go Down (neighbor signaled session down)
// rather than wait out the detection time.
func TestPeerSessionRestarted(t *testing.T) {
	t.Run("Init", func(t *testing.T) {
		s := NewSession(Config{}, 1, 1)
		down := Packet{State: Down, DetectMult: 3, MyDiscriminator: 2, DesiredMinTx: time.Second, RequiredMinRx: time.Second}
		if s.Receive(down, t0); s.State() != Init || s.RemoteDiscriminator() != 2 {
			t.Fatalf("after the peer's Down: %v, remote %d; want Init, 2", s.State(), s.RemoteDiscriminator())
		}
		down.MyDiscriminator = 3 // the peer's new session
		if s.Receive(down, t0.Add(time.Second)); s.State() != Init || s.RemoteDiscriminator() != 3 {
			t.Fatalf("after the new session's Down: %v, remote %d; want Init, 3", s.State(), s.RemoteDiscriminator())
		}
		pkt, ok, _ := s.Poll(t0.Add(2 * time.Second))
		if !ok || pkt.YourDiscriminator != 3 {
			t.Fatalf("next packet %+v (sent %v), want Your Discriminator 3", pkt, ok)
		}
		if s.Receive(Packet{State: Init, DetectMult: 3, MyDiscriminator: 3, YourDiscriminator: 1, DesiredMinTx: time.Second, RequiredMinRx: time.Second}, t0.Add(2*time.Second)); s.State() != Up {
			t.Fatalf("after the new session's Init: %v, want Up", s.State())
		}
	})
	t.Run("Up", func(t *testing.T) {
		l := newLink(Config{}, Config{})
		l.step(3 * time.Second)
		l.changes = nil
		l.b = NewSession(Config{}, 3, 3)
		l.step(3 * time.Second)
		if l.a.State() != Up || l.b.State() != Up || l.a.RemoteDiscriminator() != 3 {
			t.Fatalf("states %v %v, remote %d; want Up Up with the new discriminator 3", l.a.State(), l.b.State(), l.a.RemoteDiscriminator())
		}
		if len(l.changes) == 0 || l.changes[0].New != Down || l.changes[0].Diag != DiagNeighborDown || l.changes[0].Time.After(t0.Add(3*time.Second+10*time.Millisecond)) {
			t.Fatalf("transitions of a: %v, want Down at once (neighbor signaled session down)", l.changes)
		}
	})
}

func TestAdminDownTellsThePeer(t *testing.T) {
	l := newLink(Config{}, Config{})
	l.step(3 * time.Second)
	l.b.SetAdminDown(true, l.now)
	l.step(time.Second)
	last := l.changes[len(l.changes)-1]
	if l.a.State() != Down || last.Diag != DiagNeighborDown {
		t.Fatalf("state %v diag %v, want Down with %v", l.a.State(), last.Diag, DiagNeighborDown)
	}
	l.step(5 * time.Second)
	if l.a.State() != Down {
		t.Fatalf("came up with a peer in AdminDown: %v", l.a.State())
	}
	l.b.SetAdminDown(false, l.now)
	l.step(4 * time.Second)
	if l.a.State() != Up {
		t.Fatalf("state %v after the peer came back, want Up", l.a.State())
	}
}

func TestPassiveWaits(t *testing.T) {
	p := NewSession(Config{Passive: true}, 1, 1)
	if _, ok, _ := p.Poll(t0.Add(10 * time.Second)); ok {
		t.Fatal("a passive session spoke first")
	}
	p.Receive(Packet{State: Down, DetectMult: 3, MyDiscriminator: 9, RequiredMinRx: time.Second}, t0)
	if pkt, ok, _ := p.Poll(t0); !ok || pkt.YourDiscriminator != 9 || pkt.State != Init {
		t.Fatalf("after hearing the peer: %+v %v, want Init to discriminator 9", pkt, ok)
	}
}

func TestPollIsAnsweredWithFinal(t *testing.T) {
	s := NewSession(Config{}, 1, 1)
	s.Poll(t0)
	s.Receive(Packet{State: Down, Poll: true, DetectMult: 3, MyDiscriminator: 9, RequiredMinRx: time.Second}, t0.Add(time.Millisecond))
	pkt, ok, _ := s.Poll(t0.Add(time.Millisecond))
	if !ok || !pkt.Final || pkt.Poll {
		t.Fatalf("answer %+v %v, want an immediate packet with F and without P", pkt, ok)
	}
}

// transition is RFC 5880 section 6.2's state diagram for the states a
// received packet can cause.
func transition(local, remote State) State {
	switch {
	case local == AdminDown:
		return AdminDown
	case remote == AdminDown:
		return Down
	case local == Down && remote == Down:
		return Init
	case local == Down && remote == Init, local == Init && (remote == Init || remote == Up):
		return Up
	case local == Up && remote == Down:
		return Down
	}
	return local
}

// TestStateMachine checks the session against the RFC's diagram on random
// packet sequences, with timers, admin changes and silences mixed in, and
// that it never sends faster than its interval allows.
func TestStateMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := NewSession(Config{}, 1, rapid.Uint64().Draw(t, "seed"))
		now := t0
		lastRx := time.Time{}
		for range rapid.IntRange(1, 60).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 1500).Draw(t, "ms")) * time.Millisecond)
			before := s.State()
			if (before == Init || before == Up) && !lastRx.IsZero() && now.Sub(lastRx) > s.DetectionTime() {
				if s.Poll(now); s.State() != Down {
					t.Fatalf("%v: detection time passed, state %v", before, s.State())
				}
				continue
			}
			switch rapid.IntRange(0, 9).Draw(t, "event") {
			case 0:
				admin := rapid.Bool().Draw(t, "admin")
				s.SetAdminDown(admin, now)
				if admin && s.State() != AdminDown || !admin && before == AdminDown && s.State() != Down {
					t.Fatalf("admin %v from %v gave %v", admin, before, s.State())
				}
			case 1:
				s.Poll(now)
			default:
				remote := State(rapid.IntRange(0, 3).Draw(t, "remote"))
				your := uint32(0)
				if rapid.Bool().Draw(t, "knows") {
					your = 1
				}
				s.Receive(Packet{State: remote, DetectMult: 3, MyDiscriminator: 2, YourDiscriminator: your,
					DesiredMinTx: 300 * time.Millisecond, RequiredMinRx: 300 * time.Millisecond}, now)
				want := transition(before, remote)
				if your == 0 && remote != Down && remote != AdminDown {
					want = before // discarded: 6.8.6
				} else {
					lastRx = now
				}
				if s.State() != want {
					t.Fatalf("%v receiving %v (your %d): got %v, want %v", before, remote, your, s.State(), want)
				}
			}
		}
	})
}

func TestJitter(t *testing.T) {
	for _, mult := range []uint8{1, 3} {
		s := NewSession(Config{DetectMult: mult, DesiredMinTx: time.Second}, 1, 42)
		for range 1000 {
			d := s.jittered(time.Second)
			lo := 750 * time.Millisecond
			hi := time.Second
			if mult == 1 {
				hi = 900 * time.Millisecond
			}
			if d < lo || d > hi {
				t.Fatalf("detect mult %d: interval %v outside [%v, %v]", mult, d, lo, hi)
			}
		}
	}
}
