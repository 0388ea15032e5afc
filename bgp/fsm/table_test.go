package fsm

// The transition table of RFC 4271 section 8.2.2, written as data: for each
// state, which events lead where, what NOTIFICATION is sent and what happens
// to the ConnectRetryCounter. The rapid state machine in machine_test.go
// drives a Machine with random events and checks every step against it.

// cond is a condition of a row on the Machine's configuration or timers.
type cond uint8

const (
	always          cond = iota
	delayRunning         // DelayOpenTimer is running
	delayNotRunning      // DelayOpenTimer is not running
	delayOpenCfg         // the DelayOpen attribute is set
	noDelayOpenCfg       // it is not
	passiveMode          // the last start asked for passive TCP establishment
	activeMode           // it did not
)

// notif is the NOTIFICATION a row sends.
type notif uint8

const (
	noNotif        notif = iota
	ceaseNotif           // Cease (ManualStop, AutomaticStop)
	holdNotif            // Hold Timer Expired
	fsmNotif             // Finite State Machine Error
	eventNotif           // the error carried by the event (header, OPEN, UPDATE error)
	collisionNotif       // Cease, Connection Collision Resolution
	// eventIfNoOpen: the event's error, only when SendNOTIFICATIONwithoutOPEN.
	eventIfNoOpen
	// ceaseIfNoOpenDelay: Cease, only when the DelayOpenTimer runs and
	// SendNOTIFICATIONwithoutOPEN is set.
	ceaseIfNoOpenDelay
)

type row struct {
	from    State
	events  []EventType
	when    cond
	to      State
	send    notif
	counter counterOp // counterKeep, counterReset (to 0) or counterInc
}

var (
	starts     = []EventType{1, 3, 4, 5, 6, 7}
	allButIdle = []EventType{2, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28}
)

func ev(lists ...[]EventType) []EventType {
	var out []EventType
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var rfc4271Table = []row{
	// Idle
	{Idle, []EventType{1, 3}, always, Connect, noNotif, counterReset},
	{Idle, []EventType{4, 5}, always, Active, noNotif, counterReset},
	// Events 6, 7 and 13 exist only with DampPeerOscillations; the method
	// is outside the RFC. Here 6 and 7 start the IdleHoldTimer and 13
	// starts the session in the mode last asked for.
	{Idle, []EventType{6, 7}, always, Idle, noNotif, counterKeep},
	{Idle, []EventType{13}, activeMode, Connect, noNotif, counterReset},
	{Idle, []EventType{13}, passiveMode, Active, noNotif, counterReset},
	{Idle, allButIdle, always, Idle, noNotif, counterKeep},

	// Connect
	{Connect, ev(starts, []EventType{14, 15}), always, Connect, noNotif, counterKeep},
	{Connect, []EventType{2}, always, Idle, noNotif, counterReset},
	{Connect, []EventType{9}, always, Connect, noNotif, counterKeep},
	{Connect, []EventType{12}, always, OpenSent, noNotif, counterKeep},
	{Connect, []EventType{16, 17}, delayOpenCfg, Connect, noNotif, counterKeep},
	{Connect, []EventType{16, 17}, noDelayOpenCfg, OpenSent, noNotif, counterKeep},
	{Connect, []EventType{18}, delayRunning, Active, noNotif, counterKeep},
	{Connect, []EventType{18}, delayNotRunning, Idle, noNotif, counterKeep},
	{Connect, []EventType{20}, always, OpenConfirm, noNotif, counterKeep},
	{Connect, []EventType{21, 22}, always, Idle, eventIfNoOpen, counterInc},
	{Connect, []EventType{24}, delayRunning, Idle, noNotif, counterKeep},
	{Connect, []EventType{24}, delayNotRunning, Idle, noNotif, counterInc},
	{Connect, []EventType{8, 10, 11, 13, 19, 23, 25, 26, 27, 28}, always, Idle, noNotif, counterInc},

	// Active
	{Active, ev(starts, []EventType{14, 15}), always, Active, noNotif, counterKeep},
	{Active, []EventType{2}, always, Idle, ceaseIfNoOpenDelay, counterReset},
	{Active, []EventType{9}, always, Connect, noNotif, counterKeep},
	{Active, []EventType{12}, always, OpenSent, noNotif, counterKeep},
	{Active, []EventType{16, 17}, delayOpenCfg, Active, noNotif, counterKeep},
	{Active, []EventType{16, 17}, noDelayOpenCfg, OpenSent, noNotif, counterKeep},
	{Active, []EventType{18}, always, Idle, noNotif, counterInc},
	{Active, []EventType{20}, always, OpenConfirm, noNotif, counterKeep},
	{Active, []EventType{21, 22}, always, Idle, eventIfNoOpen, counterInc},
	{Active, []EventType{24}, delayRunning, Idle, noNotif, counterKeep},
	{Active, []EventType{24}, delayNotRunning, Idle, noNotif, counterInc},
	{Active, []EventType{8, 10, 11, 13, 19, 23, 25, 26, 27, 28}, always, Idle, noNotif, counterInc},

	// OpenSent
	{OpenSent, ev(starts, []EventType{14, 15, 16, 17}), always, OpenSent, noNotif, counterKeep},
	{OpenSent, []EventType{2}, always, Idle, ceaseNotif, counterReset},
	{OpenSent, []EventType{8}, always, Idle, ceaseNotif, counterInc},
	{OpenSent, []EventType{10}, always, Idle, holdNotif, counterInc},
	{OpenSent, []EventType{18}, always, Active, noNotif, counterKeep},
	{OpenSent, []EventType{19}, always, OpenConfirm, noNotif, counterKeep},
	{OpenSent, []EventType{21, 22}, always, Idle, eventNotif, counterInc},
	{OpenSent, []EventType{23}, always, Idle, collisionNotif, counterInc},
	{OpenSent, []EventType{24}, always, Idle, noNotif, counterKeep},
	{OpenSent, []EventType{9, 11, 12, 13, 20, 25, 26, 27, 28}, always, Idle, fsmNotif, counterInc},

	// OpenConfirm. Event 19 on this connection: the collision check of
	// section 6.8 is done by the caller, which sends 23 to the loser.
	{OpenConfirm, ev(starts, []EventType{14, 15, 16, 17, 19}), always, OpenConfirm, noNotif, counterKeep},
	{OpenConfirm, []EventType{2}, always, Idle, ceaseNotif, counterReset},
	{OpenConfirm, []EventType{8}, always, Idle, ceaseNotif, counterInc},
	{OpenConfirm, []EventType{10}, always, Idle, holdNotif, counterInc},
	{OpenConfirm, []EventType{11}, always, OpenConfirm, noNotif, counterKeep},
	{OpenConfirm, []EventType{18, 24, 25}, always, Idle, noNotif, counterInc},
	{OpenConfirm, []EventType{21, 22}, always, Idle, eventNotif, counterInc},
	{OpenConfirm, []EventType{23}, always, Idle, collisionNotif, counterInc},
	{OpenConfirm, []EventType{26}, always, Established, noNotif, counterKeep},
	{OpenConfirm, []EventType{9, 12, 13, 20, 27, 28}, always, Idle, fsmNotif, counterInc},

	// Established
	{Established, ev(starts, []EventType{14, 15, 16, 17, 19}), always, Established, noNotif, counterKeep},
	{Established, []EventType{2}, always, Idle, ceaseNotif, counterReset},
	{Established, []EventType{8}, always, Idle, ceaseNotif, counterInc},
	{Established, []EventType{10}, always, Idle, holdNotif, counterInc},
	{Established, []EventType{11, 26, 27}, always, Established, noNotif, counterKeep},
	{Established, []EventType{18, 24, 25}, always, Idle, noNotif, counterInc},
	{Established, []EventType{23}, always, Idle, collisionNotif, counterInc},
	{Established, []EventType{28}, always, Idle, eventNotif, counterInc},
	// The RFC's catch-all sends an FSM Error for 21 and 22 here; section
	// 6.1 and 6.2 ask for the header or OPEN error itself, which says
	// what was wrong. This implementation follows section 6.
	{Established, []EventType{21, 22}, always, Idle, eventNotif, counterInc},
	{Established, []EventType{9, 12, 13, 20}, always, Idle, fsmNotif, counterInc},
}
