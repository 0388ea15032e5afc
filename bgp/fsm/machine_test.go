package fsm

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
	"pgregory.net/rapid"
)

// holds reports whether c holds for m.
func holds(c cond, m *Machine) bool {
	switch c {
	case delayRunning:
		return m.running[DelayOpenTimer]
	case delayNotRunning:
		return !m.running[DelayOpenTimer]
	case delayOpenCfg:
		return m.cfg.DelayOpen
	case noDelayOpenCfg:
		return !m.cfg.DelayOpen
	case passiveMode:
		return m.passive
	case activeMode:
		return !m.passive
	}
	return true
}

// lookup finds the row for state s and event e under m's conditions.
func lookup(t interface{ Fatalf(string, ...any) }, m *Machine, e EventType) row {
	var found []row
	for _, r := range rfc4271Table {
		if r.from != m.state || !holds(r.when, m) {
			continue
		}
		for _, x := range r.events {
			if x == e {
				found = append(found, r)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("table has %d rows for %v in %v", len(found), e, m.state)
	}
	return found[0]
}

// TestTableComplete checks that the table has exactly one row for every
// state, event and combination of conditions.
func TestTableComplete(t *testing.T) {
	for _, delayCfg := range []bool{false, true} {
		for _, delayRun := range []bool{false, true} {
			for _, passive := range []bool{false, true} {
				for s := Idle; s <= Established; s++ {
					for e := EventType(1); e <= NumEvents; e++ {
						m := New(Config{DelayOpen: delayCfg})
						m.state, m.passive = s, passive
						m.running[DelayOpenTimer] = delayRun
						lookup(t, m, e)
					}
				}
			}
		}
	}
}

var testNotif = wire.Notification{Code: wire.CodeUpdate, Subcode: wire.SubMalformedAttributeList}

type fsmModel struct {
	m       *Machine
	running [numTimers]bool // timers per the emitted actions
	sent    bool            // our OPEN was sent on this connection
}

func (f *fsmModel) step(t *rapid.T, e Event) {
	m := f.m
	from, counter := m.state, m.counter
	r := lookup(t, m, e.Type)
	delayWasRunning := m.running[DelayOpenTimer]
	if tm, ok := expired(e.Type); ok {
		f.running[tm] = false
	}
	acts := m.Step(e, nil)
	if m.state != r.to {
		t.Fatalf("%v + %v: state %v, RFC says %v (actions %v)", from, e.Type, m.state, r.to, acts)
	}
	switch r.counter {
	case counterKeep:
		if m.counter != counter {
			t.Fatalf("%v + %v: counter %d -> %d, want unchanged", from, e.Type, counter, m.counter)
		}
	case counterReset:
		if m.counter != 0 {
			t.Fatalf("%v + %v: counter %d, want 0", from, e.Type, m.counter)
		}
	case counterInc:
		if m.counter != counter+1 {
			t.Fatalf("%v + %v: counter %d -> %d, want +1", from, e.Type, counter, m.counter)
		}
	}
	var notes []wire.Notification
	var dropped, up, deleted, opened, connected bool
	for _, a := range acts {
		switch a.Type {
		case StartTimer:
			if a.Duration < 0 {
				t.Fatalf("negative duration %v", a)
			}
			f.running[a.Timer] = true
		case StopTimer:
			if !f.running[a.Timer] {
				t.Fatalf("%v + %v: stops %v which is not running", from, e.Type, a.Timer)
			}
			f.running[a.Timer] = false
		case SendNotification:
			notes = append(notes, a.Notification)
		case Drop:
			dropped = true
		case SessionUp:
			up = true
		case DeleteRoutes:
			deleted = true
		case SendOpen:
			opened = true
		case InitiateConnect:
			connected = true
		}
	}
	if f.running != m.running {
		t.Fatalf("%v + %v: timers from actions %v, machine says %v", from, e.Type, f.running, m.running)
	}
	want := wantNotif(r.send, e, m, delayWasRunning)
	if len(notes) != len(want) || (len(want) == 1 && notes[0].Code != want[0].Code) ||
		(len(want) == 1 && want[0].Subcode != 0xff && notes[0].Subcode != want[0].Subcode) {
		t.Fatalf("%v + %v: sent %v, want %v", from, e.Type, notes, want)
	}
	if len(notes) > 0 && !dropped {
		t.Fatalf("%v + %v: NOTIFICATION without closing the connection", from, e.Type)
	}
	if r.to == Idle && from != Idle && !dropped {
		t.Fatalf("%v + %v: to Idle without dropping the connection", from, e.Type)
	}
	if up != (from == OpenConfirm && r.to == Established) {
		t.Fatalf("%v + %v: SessionUp=%v", from, e.Type, up)
	}
	if deleted != (from == Established && r.to != Established) {
		t.Fatalf("%v + %v: DeleteRoutes=%v", from, e.Type, deleted)
	}
	if opened {
		if f.sent {
			t.Fatalf("%v + %v: second OPEN on a connection", from, e.Type)
		}
		f.sent = true
	}
	if connected || r.to == Idle || (from == OpenSent && r.to == Active) || (from == Connect && e.Type == ConnectRetryTimerExpires) {
		f.sent = false
	}
	// Timers each state must (not) have.
	switch m.state {
	case Idle:
		for tm := range numTimers {
			if tm != IdleHoldTimer && m.running[tm] {
				t.Fatalf("%v + %v: %v running in Idle", from, e.Type, tm)
			}
		}
	case OpenSent:
		if !m.running[HoldTimer] {
			t.Fatalf("OpenSent without HoldTimer")
		}
	case OpenConfirm, Established:
		hold, keep := m.Negotiated()
		if (hold != 0) != m.running[HoldTimer] || (hold != 0) != m.running[KeepaliveTimer] {
			t.Fatalf("%v with hold %v: timers %v", m.state, hold, m.running)
		}
		if hold != 0 && (hold < 3*time.Second || keep > hold/3 || keep <= 0) {
			t.Fatalf("negotiated hold %v keepalive %v", hold, keep)
		}
	}
	if m.state != Connect && m.state != Active && m.running[DelayOpenTimer] {
		t.Fatalf("DelayOpenTimer running in %v", m.state)
	}
}

func wantNotif(n notif, e Event, m *Machine, delayWasRunning bool) []wire.Notification {
	const anySub = 0xff
	switch n {
	case ceaseNotif:
		return []wire.Notification{{Code: wire.CodeCease, Subcode: anySub}}
	case holdNotif:
		return []wire.Notification{{Code: wire.CodeHoldTimer}}
	case fsmNotif:
		return []wire.Notification{{Code: wire.CodeFSM, Subcode: anySub}}
	case collisionNotif:
		return []wire.Notification{{Code: wire.CodeCease, Subcode: wire.SubConnectionCollision}}
	case eventNotif:
		if e.Notification != nil {
			return []wire.Notification{*e.Notification}
		}
	case eventIfNoOpen:
		if e.Notification != nil && m.cfg.SendNotificationWithoutOpen {
			return []wire.Notification{*e.Notification}
		}
	case ceaseIfNoOpenDelay:
		if delayWasRunning && m.cfg.SendNotificationWithoutOpen {
			return []wire.Notification{{Code: wire.CodeCease, Subcode: anySub}}
		}
	}
	return nil
}

// TestMachineFollowsRFC4271Table drives Machines with random
// configurations and events and checks every transition against the
// table of RFC 4271 section 8.2.2, plus invariants on timers and actions.
func TestMachineFollowsRFC4271Table(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		hold := rapid.SampledFrom([]time.Duration{0, 3 * time.Second, 9 * time.Second, 90 * time.Second}).Draw(t, "hold")
		cfg := Config{
			HoldTime:                    hold,
			KeepaliveTime:               rapid.SampledFrom([]time.Duration{0, time.Second, 30 * time.Second}).Draw(t, "keepalive"),
			ConnectRetryTime:            2 * time.Second,
			DelayOpen:                   rapid.Bool().Draw(t, "delayOpen"),
			DelayOpenTime:               time.Second,
			Passive:                     rapid.Bool().Draw(t, "passive"),
			AutoRestart:                 rapid.Bool().Draw(t, "autoRestart"),
			IdleHoldTime:                time.Second,
			SendNotificationWithoutOpen: rapid.Bool().Draw(t, "notifWithoutOpen"),
		}
		if rapid.Bool().Draw(t, "jitter") {
			cfg.Jitter = func(d time.Duration) time.Duration { return d }
		}
		f := &fsmModel{m: New(cfg)}
		t.Repeat(map[string]func(*rapid.T){
			"event": func(t *rapid.T) {
				e := Event{Type: EventType(rapid.IntRange(1, NumEvents).Draw(t, "event"))}
				switch e.Type {
				case BGPOpen, BGPOpenWithDelayOpenTimerRunning:
					e.HoldTime = uint16(rapid.SampledFrom([]int{0, 3, 5, 90, 65535}).Draw(t, "peerHold"))
				case BGPHeaderErr, BGPOpenMsgErr, UpdateMsgErr:
					e.Notification = &testNotif
				}
				f.step(t, e)
			},
			// A likely session: the events a real connection produces.
			"handshake": func(t *rapid.T) {
				for _, e := range []EventType{ManualStart, TCPConnectionConfirmed} {
					f.step(t, Event{Type: e})
				}
				if f.m.state == Connect || f.m.state == Active {
					f.step(t, f.m.OpenEvent(9))
				} else {
					f.step(t, Event{Type: BGPOpen, HoldTime: 9})
				}
				f.step(t, Event{Type: KeepAliveMsg})
			},
		})
	})
}

func TestHoldTimeNegotiation(t *testing.T) {
	for _, tc := range []struct {
		local         time.Duration
		keep          time.Duration
		peer          uint16
		hold, keepOut time.Duration
	}{
		{90 * time.Second, 0, 180, 90 * time.Second, 30 * time.Second},
		{90 * time.Second, 0, 9, 9 * time.Second, 3 * time.Second},
		{90 * time.Second, 10 * time.Second, 9, 9 * time.Second, 3 * time.Second},
		{9 * time.Second, time.Second, 90, 9 * time.Second, time.Second},
		{0, 0, 90, 0, 0},
		{90 * time.Second, 0, 0, 0, 0},
	} {
		m := New(Config{HoldTime: tc.local, KeepaliveTime: tc.keep, Jitter: func(d time.Duration) time.Duration { return d }})
		m.Step(Event{Type: ManualStart}, nil)
		m.Step(Event{Type: TCPCRAcked}, nil)
		acts := m.Step(Event{Type: BGPOpen, HoldTime: tc.peer}, nil)
		hold, keep := m.Negotiated()
		if hold != tc.hold || keep != tc.keepOut {
			t.Errorf("local %v/%v peer %d: got %v/%v, want %v/%v (%v)", tc.local, tc.keep, tc.peer, hold, keep, tc.hold, tc.keepOut, acts)
		}
	}
}

// TestKeepaliveTimerWithHoldZero: with a negotiated hold time of zero a
// KeepaliveTimer_Expires (a stale timer) sends its KEEPALIVE but does not
// start the KeepaliveTimer again, in OpenConfirm as in Established
// (found by TestMachineFollowsRFC4271Table with -rapid.seed=8226339702801624552).
func TestKeepaliveTimerWithHoldZero(t *testing.T) {
	m := New(Config{HoldTime: 90 * time.Second, Jitter: func(d time.Duration) time.Duration { return d }})
	m.Step(Event{Type: ManualStart}, nil)
	m.Step(Event{Type: TCPCRAcked}, nil)
	m.Step(Event{Type: BGPOpen, HoldTime: 0}, nil)
	for _, want := range []State{OpenConfirm, Established} {
		if m.State() != want {
			t.Fatalf("state %v, want %v", m.State(), want)
		}
		acts := m.Step(Event{Type: KeepaliveTimerExpires}, nil)
		if len(acts) != 1 || acts[0].Type != SendKeepalive || m.Running(KeepaliveTimer) || m.Running(HoldTimer) {
			t.Fatalf("%v: KeepaliveTimer_Expires with hold 0: %v, KeepaliveTimer running %v, HoldTimer running %v",
				want, acts, m.Running(KeepaliveTimer), m.Running(HoldTimer))
		}
		m.Step(Event{Type: KeepAliveMsg}, nil)
	}
}

func TestJitter75(t *testing.T) {
	for range 1000 {
		d := Jitter75(4 * time.Second)
		if d < 3*time.Second || d > 4*time.Second {
			t.Fatalf("jitter %v outside [3s, 4s]", d)
		}
	}
}

func TestCollision(t *testing.T) {
	lo, hi := netipAddr("10.0.0.1"), netipAddr("10.0.0.2")
	// Our ID is lower: close the connection we initiated.
	if !Collision(lo, hi, true) || Collision(lo, hi, false) {
		t.Fatal("lower local ID must close its own connection")
	}
	if Collision(hi, lo, true) || !Collision(hi, lo, false) {
		t.Fatal("higher local ID must close the peer's connection")
	}
}

func Example() {
	m := New(Config{HoldTime: 9 * time.Second, ConnectRetryTime: 2 * time.Second,
		Jitter: func(d time.Duration) time.Duration { return d }})
	for _, e := range []Event{
		{Type: ManualStart},
		{Type: TCPCRAcked},
		m.OpenEvent(90),
		{Type: KeepAliveMsg},
	} {
		acts := m.Step(e, nil)
		fmt.Println(e.Type, "->", m.State(), acts)
	}
	// Output:
	// ManualStart -> Connect [StartTimer(ConnectRetryTimer, 2s) InitiateConnect]
	// Tcp_CR_Acked -> OpenSent [StopTimer(ConnectRetryTimer) SendOpen StartTimer(HoldTimer, 4m0s)]
	// BGPOpen -> OpenConfirm [SendKeepalive StartTimer(KeepaliveTimer, 3s) StartTimer(HoldTimer, 9s)]
	// KeepAliveMsg -> Established [StartTimer(HoldTimer, 9s) SessionUp]
}

func netipAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
