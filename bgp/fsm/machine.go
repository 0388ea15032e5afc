package fsm

import (
	"math/rand/v2"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// LargeHoldTime is the hold time used from sending an OPEN until the
// peer's OPEN arrives (RFC 4271 section 8.2.2 suggests 4 minutes).
const LargeHoldTime = 4 * time.Minute

// Config holds the session attributes of RFC 4271 section 8.1.
type Config struct {
	// HoldTime is the hold time we propose: 0 (no keepalives) or at least
	// 3 seconds; the session uses the smaller of ours and the peer's.
	HoldTime time.Duration
	// KeepaliveTime is the interval between KEEPALIVEs; zero means a third
	// of the negotiated hold time, which also caps it.
	KeepaliveTime time.Duration
	// ConnectRetryTime is the initial value of the ConnectRetryTimer.
	ConnectRetryTime time.Duration
	// DelayOpen waits DelayOpenTime after the TCP connection is up before
	// sending our OPEN, unless the peer's OPEN arrives first.
	DelayOpen     bool
	DelayOpenTime time.Duration
	// Passive: after an automatic restart, wait for the peer to connect.
	// A Machine started passive (events 4, 5, 7 or this) never runs the
	// ConnectRetryTimer in Active, so it never connects out.
	Passive bool
	// AutoRestart: after the session fails (not after ManualStop or
	// AutomaticStop), start the IdleHoldTimer and restart when it expires.
	// The wait is IdleHoldTime, doubled for each failure since the session
	// was last Established, up to 8 times IdleHoldTime.
	AutoRestart  bool
	IdleHoldTime time.Duration
	// SendNotificationWithoutOpen allows a NOTIFICATION before our OPEN
	// is sent (on OPEN or header errors while DelayOpen is waiting).
	SendNotificationWithoutOpen bool
	// Jitter scales ConnectRetry and Keepalive durations; nil applies the
	// RFC 4271 section 10 jitter (a uniform factor between 0.75 and 1).
	Jitter func(time.Duration) time.Duration
}

// Jitter75 returns d scaled by a random factor in [0.75, 1], the jitter
// RFC 4271 section 10 asks for.
func Jitter75(d time.Duration) time.Duration {
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

// Machine is the state machine of one BGP connection. The zero value is
// not usable; call New.
type Machine struct {
	cfg      Config
	state    State
	counter  int // ConnectRetryCounter
	failures int // failures since the last Established, for IdleHold backoff
	running  [numTimers]bool
	passive  bool
	hold     time.Duration // negotiated
	keep     time.Duration // negotiated
	out      []Action
}

// New returns a Machine in the Idle state.
func New(cfg Config) *Machine {
	if cfg.Jitter == nil {
		cfg.Jitter = Jitter75
	}
	return &Machine{cfg: cfg, passive: cfg.Passive}
}

// State is the current state.
func (m *Machine) State() State { return m.state }

// ConnectRetryCounter is the RFC's ConnectRetryCounter.
func (m *Machine) ConnectRetryCounter() int { return m.counter }

// Running reports whether the Machine considers timer t started.
func (m *Machine) Running(t Timer) bool { return m.running[t] }

// SetPassive sets whether the next automatic restart (IdleHoldTimer
// expiry) waits for the peer to connect. A caller that started a Machine
// passive to answer a connection the peer opened (section 6.8) uses it
// when that connection becomes the peer's only one.
func (m *Machine) SetPassive(passive bool) { m.passive = passive }

// Negotiated returns the hold time and keepalive interval in use once the
// peer's OPEN has been accepted (zero hold time: no keepalives).
func (m *Machine) Negotiated() (hold, keepalive time.Duration) { return m.hold, m.keep }

// OpenEvent is the event for a valid OPEN from the peer with the given hold
// time: BGPOpenWithDelayOpenTimerRunning while our OPEN is delayed,
// BGPOpen otherwise.
func (m *Machine) OpenEvent(holdTime uint16) Event {
	if m.running[DelayOpenTimer] {
		return Event{Type: BGPOpenWithDelayOpenTimerRunning, HoldTime: holdTime}
	}
	return Event{Type: BGPOpen, HoldTime: holdTime}
}

// Step applies one event and appends the resulting actions to dst.
func (m *Machine) Step(ev Event, dst []Action) []Action {
	m.out = dst
	if t, ok := expired(ev.Type); ok {
		m.running[t] = false // a timer that fired is no longer running
	}
	switch m.state {
	case Idle:
		m.idle(ev)
	case Connect, Active:
		m.connectOrActive(ev)
	case OpenSent:
		m.openSent(ev)
	case OpenConfirm:
		m.openConfirm(ev)
	case Established:
		m.established(ev)
	}
	out := m.out
	m.out = nil
	return out
}

// expired names the timer behind a timer event.
func expired(e EventType) (Timer, bool) {
	switch e {
	case ConnectRetryTimerExpires:
		return ConnectRetryTimer, true
	case HoldTimerExpires:
		return HoldTimer, true
	case KeepaliveTimerExpires:
		return KeepaliveTimer, true
	case DelayOpenTimerExpires:
		return DelayOpenTimer, true
	case IdleHoldTimerExpires:
		return IdleHoldTimer, true
	}
	return 0, false
}

func (m *Machine) emit(a Action) { m.out = append(m.out, a) }

func (m *Machine) start(t Timer, d time.Duration) {
	m.running[t] = true
	m.emit(Action{Type: StartTimer, Timer: t, Duration: d})
}

func (m *Machine) stop(t Timer) {
	if m.running[t] {
		m.running[t] = false
		m.emit(Action{Type: StopTimer, Timer: t})
	}
}

func (m *Machine) notify(n wire.Notification) {
	m.emit(Action{Type: SendNotification, Notification: n})
}

// startConnectRetry starts the ConnectRetryTimer, except on the way to
// Active for a passive session: its expiry would make the Machine connect
// (Active + ConnectRetryTimer_Expires goes to Connect), and a passive peer
// waits for the other side however long it takes.
func (m *Machine) startConnectRetry(to State) {
	if to == Active && m.passive {
		return
	}
	m.start(ConnectRetryTimer, m.cfg.Jitter(m.cfg.ConnectRetryTime))
}

// counterOp says what leaving for Idle does to the ConnectRetryCounter.
type counterOp uint8

const (
	counterKeep counterOp = iota
	counterReset
	counterInc
)

// toIdle releases the connection: stops every timer, deletes routes when
// leaving Established, drops the TCP connection and, for failures, starts
// the IdleHoldTimer when AutoRestart is set.
func (m *Machine) toIdle(c counterOp, restart bool) {
	for t := range numTimers {
		m.stop(t)
	}
	if m.state == Established {
		m.emit(Action{Type: DeleteRoutes})
	}
	m.emit(Action{Type: Drop})
	switch c {
	case counterReset:
		m.counter = 0
	case counterInc:
		m.counter++
	}
	m.hold, m.keep = 0, 0
	m.state = Idle
	if restart && m.cfg.AutoRestart {
		m.failures++
		m.start(IdleHoldTimer, m.idleHold())
	}
}

func (m *Machine) idleHold() time.Duration {
	n := min(m.failures, 4) - 1
	return m.cfg.IdleHoldTime << max(n, 0)
}

func (m *Machine) startSession(passive bool) {
	m.stop(IdleHoldTimer)
	m.counter = 0
	m.passive = passive
	if passive {
		m.startConnectRetry(Active)
		m.state = Active
		return
	}
	m.startConnectRetry(Connect)
	m.emit(Action{Type: InitiateConnect})
	m.state = Connect
}

func (m *Machine) idle(ev Event) {
	switch ev.Type {
	case ManualStart, AutomaticStart:
		m.startSession(false)
	case ManualStartWithPassiveTCPEstablishment, AutomaticStartWithPassiveTCPEstablishment:
		m.startSession(true)
	case AutomaticStartWithDampPeerOscillations, AutomaticStartWithDampPeerOscillationsAndPassiveTCPEstablishment:
		// Damped start: wait for the IdleHoldTimer first.
		m.passive = ev.Type == AutomaticStartWithDampPeerOscillationsAndPassiveTCPEstablishment
		if !m.running[IdleHoldTimer] {
			m.start(IdleHoldTimer, m.idleHold())
		}
	case IdleHoldTimerExpires:
		m.startSession(m.passive)
	}
	// RFC 4271: any other event in Idle is ignored (ManualStop and
	// AutomaticStop included).
}

// sendOpen sends our OPEN and waits for the peer's with the large hold time.
func (m *Machine) sendOpen() {
	m.emit(Action{Type: SendOpen})
	m.start(HoldTimer, LargeHoldTime)
	m.state = OpenSent
}

// negotiate sets the hold and keepalive times from the peer's hold time
// (RFC 4271 section 4.2: the smaller of the two; keepalive a third of it).
func (m *Machine) negotiate(peer uint16) {
	hold := min(m.cfg.HoldTime.Truncate(time.Second), time.Duration(peer)*time.Second)
	m.hold = hold
	m.keep = hold / 3
	if k := m.cfg.KeepaliveTime; k > 0 && k < m.keep {
		m.keep = k
	}
}

// openReceived sends the KEEPALIVE answering an OPEN and runs the
// negotiated timers.
func (m *Machine) openReceived(peer uint16) {
	m.negotiate(peer)
	m.emit(Action{Type: SendKeepalive})
	if m.hold != 0 {
		m.start(KeepaliveTimer, m.cfg.Jitter(m.keep))
		m.start(HoldTimer, m.hold)
	} else {
		m.stop(KeepaliveTimer)
		m.stop(HoldTimer)
	}
	m.state = OpenConfirm
}

func (m *Machine) connectOrActive(ev Event) {
	delayRunning := m.running[DelayOpenTimer]
	switch ev.Type {
	case ManualStart, AutomaticStart, ManualStartWithPassiveTCPEstablishment,
		AutomaticStartWithPassiveTCPEstablishment, AutomaticStartWithDampPeerOscillations,
		AutomaticStartWithDampPeerOscillationsAndPassiveTCPEstablishment,
		TCPConnectionValid, TCPCRInvalid:
		// ignored
	case ManualStop:
		if m.state == Active && delayRunning && m.cfg.SendNotificationWithoutOpen {
			m.notify(stopNotification(ev, wire.SubAdministrativeShutdown))
		}
		m.toIdle(counterReset, false)
	case ConnectRetryTimerExpires:
		if m.state == Connect {
			m.emit(Action{Type: Drop})
		}
		m.stop(DelayOpenTimer)
		m.startConnectRetry(Connect)
		m.emit(Action{Type: InitiateConnect})
		m.state = Connect
	case DelayOpenTimerExpires:
		m.stop(ConnectRetryTimer)
		m.sendOpen()
	case TCPCRAcked, TCPConnectionConfirmed:
		m.stop(ConnectRetryTimer)
		if m.cfg.DelayOpen {
			m.start(DelayOpenTimer, m.cfg.DelayOpenTime)
			return
		}
		m.sendOpen()
	case TCPConnectionFails:
		if m.state == Active {
			m.toIdle(counterInc, true)
			return
		}
		if delayRunning {
			m.stop(DelayOpenTimer)
			m.startConnectRetry(Active)
			m.emit(Action{Type: Drop})
			m.state = Active
			return
		}
		m.toIdle(counterKeep, true)
	case BGPOpenWithDelayOpenTimerRunning:
		m.stop(ConnectRetryTimer)
		m.stop(DelayOpenTimer)
		m.emit(Action{Type: SendOpen})
		m.openReceived(ev.HoldTime)
	case BGPHeaderErr, BGPOpenMsgErr:
		if m.cfg.SendNotificationWithoutOpen && ev.Notification != nil {
			m.notify(*ev.Notification)
		}
		m.toIdle(counterInc, true)
	case NotifMsgVerErr:
		if delayRunning {
			m.toIdle(counterKeep, true)
			return
		}
		m.toIdle(counterInc, true)
	case AutomaticStop:
		m.toIdle(counterInc, false)
	default: // 10, 11, 13, 19, 23, 25-28
		m.toIdle(counterInc, true)
	}
}

func stopNotification(ev Event, sub uint8) wire.Notification {
	if ev.Notification != nil {
		return *ev.Notification
	}
	return wire.Notification{Code: wire.CodeCease, Subcode: sub}
}

var holdExpired = wire.Notification{Code: wire.CodeHoldTimer}

// fsmError is the NOTIFICATION for an event the state does not expect:
// RFC 6608 subcodes name the state for unexpected messages.
func fsmError(ev Event, s State) wire.Notification {
	n := wire.Notification{Code: wire.CodeFSM}
	if ev.Type >= BGPOpen { // a message arrived
		switch s {
		case OpenSent:
			n.Subcode = wire.SubFSMUnexpectedOpenSent
		case OpenConfirm:
			n.Subcode = wire.SubFSMUnexpectedOpenConfirm
		case Established:
			n.Subcode = wire.SubFSMUnexpectedEstablished
		}
	}
	return n
}

// common handles the events OpenSent, OpenConfirm and Established treat
// alike; it reports whether it did.
func (m *Machine) common(ev Event) bool {
	switch ev.Type {
	case ManualStart, AutomaticStart, ManualStartWithPassiveTCPEstablishment,
		AutomaticStartWithPassiveTCPEstablishment, AutomaticStartWithDampPeerOscillations,
		AutomaticStartWithDampPeerOscillationsAndPassiveTCPEstablishment,
		TCPConnectionValid, TCPCRInvalid, TCPCRAcked, TCPConnectionConfirmed:
		// ignored; a second connection runs its own Machine (section 6.8)
	case ManualStop:
		m.notify(stopNotification(ev, wire.SubAdministrativeShutdown))
		m.toIdle(counterReset, false)
	case AutomaticStop:
		m.notify(stopNotification(ev, 0))
		m.toIdle(counterInc, false)
	case HoldTimerExpires:
		m.notify(holdExpired)
		m.toIdle(counterInc, true)
	case OpenCollisionDump:
		m.notify(wire.Notification{Code: wire.CodeCease, Subcode: wire.SubConnectionCollision})
		m.toIdle(counterInc, true)
	default:
		return false
	}
	return true
}

func (m *Machine) openSent(ev Event) {
	if m.common(ev) {
		return
	}
	switch ev.Type {
	case TCPConnectionFails:
		m.emit(Action{Type: Drop})
		m.stop(HoldTimer)
		m.startConnectRetry(Active)
		m.state = Active
	case BGPOpen:
		m.stop(DelayOpenTimer)
		m.stop(ConnectRetryTimer)
		m.openReceived(ev.HoldTime)
	case BGPHeaderErr, BGPOpenMsgErr:
		m.notifyEvent(ev)
		m.toIdle(counterInc, true)
	case NotifMsgVerErr:
		m.toIdle(counterKeep, true)
	default: // 9, 11, 12, 13, 20, 25-28
		m.notify(fsmError(ev, OpenSent))
		m.toIdle(counterInc, true)
	}
}

func (m *Machine) notifyEvent(ev Event) {
	if ev.Notification != nil {
		m.notify(*ev.Notification)
	}
}

func (m *Machine) openConfirm(ev Event) {
	if m.common(ev) {
		return
	}
	switch ev.Type {
	case KeepaliveTimerExpires:
		m.emit(Action{Type: SendKeepalive})
		if m.hold != 0 { // a hold time of zero: no periodic KEEPALIVEs
			m.start(KeepaliveTimer, m.cfg.Jitter(m.keep))
		}
	case TCPConnectionFails, NotifMsgVerErr, NotifMsg:
		m.toIdle(counterInc, true)
	case BGPOpen:
		// Collision detection is the caller's (section 6.8): it sends
		// OpenCollisionDump to the connection that loses.
	case BGPHeaderErr, BGPOpenMsgErr:
		m.notifyEvent(ev)
		m.toIdle(counterInc, true)
	case KeepAliveMsg:
		if m.hold != 0 {
			m.start(HoldTimer, m.hold)
		}
		m.state = Established
		m.failures = 0
		m.emit(Action{Type: SessionUp})
	default: // 9, 12, 13, 20, 27, 28
		m.notify(fsmError(ev, OpenConfirm))
		m.toIdle(counterInc, true)
	}
}

func (m *Machine) established(ev Event) {
	if m.common(ev) {
		return
	}
	switch ev.Type {
	case KeepaliveTimerExpires:
		m.emit(Action{Type: SendKeepalive})
		if m.hold != 0 {
			m.start(KeepaliveTimer, m.cfg.Jitter(m.keep))
		}
	case BGPOpen:
		// As in OpenConfirm: collisions are resolved by the caller.
	case TCPConnectionFails, NotifMsgVerErr, NotifMsg:
		m.toIdle(counterInc, true)
	case KeepAliveMsg:
		if m.hold != 0 {
			m.start(HoldTimer, m.hold)
		}
	case UpdateMsg:
		m.emit(Action{Type: ProcessUpdate})
		if m.hold != 0 {
			m.start(HoldTimer, m.hold)
		}
	case UpdateMsgErr, BGPHeaderErr, BGPOpenMsgErr:
		// Section 6 asks for the error's own NOTIFICATION; the FSM table
		// lists header and OPEN errors under its FSM Error catch-all,
		// which would hide what was wrong.
		m.notifyEvent(ev)
		m.toIdle(counterInc, true)
	default: // 9, 12, 13, 20
		m.notify(fsmError(ev, Established))
		m.toIdle(counterInc, true)
	}
}
